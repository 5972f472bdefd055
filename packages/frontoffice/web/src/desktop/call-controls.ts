/**
 * The controls of a connected call: hold and resume (Alt+H), mute (Alt+M), transfer (Alt+T: blind or
 * after a consultation, to an agent, a queue or a number; then complete as transfer or conference, or
 * cancel), conference another agent or a number in, leave a conference, and a DTMF keypad (Alt+K).
 * The state shown (held, muted, consultation, conferees) is the server's.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { QualityRecordingState } from '../../../src/common/api-types.js';
import { api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { queueLabel } from '../shared/labels.js';
import { DeskElement } from './desk-element.js';
import type { DeskContact, TransferTargets } from './desktop-types.js';

type TargetKind = 'agent' | 'queue' | 'number';
type DialogMode = 'transfer' | 'conference';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export class CarusoCallControls extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    contactId: { attribute: false },
    keypad: { state: true },
    targets: { state: true },
    mode: { state: true },
    kind: { state: true },
    consult: { state: true },
    sent: { state: true },
    recording: { state: true },
  };

  declare contactId: string;
  declare keypad: boolean;
  declare targets: TransferTargets | null;
  declare mode: DialogMode;
  declare kind: TargetKind;
  /** Transfer after a consultation (attended) rather than at once (blind). */
  declare consult: boolean;
  /** The digits sent on the keypad during this call (shown, never stored). */
  declare sent: string;
  /** Whether the call is recorded now (GET /api/contacts/:id/recording), read again on each change of the desk. */
  declare recording: QualityRecordingState['state'];
  private recordingRead = '';

  constructor() {
    super();
    this.keypad = false;
    this.targets = null;
    this.mode = 'transfer';
    this.kind = 'agent';
    this.consult = false;
    this.sent = '';
    this.recording = 'off';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('contactId')) this.recording = 'off';
    const c = this.contact();
    const key = `${this.contactId}:${this.rev}`;
    if (c && (c.channel === 'call' || c.channel === 'callback') && key !== this.recordingRead) {
      this.recordingRead = key;
      const id = this.contactId;
      api<{ data: QualityRecordingState }>('GET', this.path('recording')).then((r) => {
        if (this.contactId === id) this.recording = r.data.state;
      }, () => undefined);
    }
  }

  /** Pauses the call's recording (while card details are read, say) or resumes it. */
  async toggleRecording(): Promise<void> {
    const pause = this.recording === 'on';
    const r = await this.store.act<{ data: QualityRecordingState }>('PATCH', this.path('recording'), { paused: pause });
    if (r === null) return;
    this.recording = r.data.state;
    announce(pause ? t('call.recordingPaused') : t('call.recordingResumed'));
  }

  private contact(): DeskContact | undefined {
    return this.store.state?.contacts.find((c) => c.id === this.contactId);
  }

  /** Whether this agent was added to the call (and may leave it); the agent who took the call hangs up instead. */
  private isConferee(c: DeskContact): boolean {
    const me = this.store.me.agentId;
    return typeof me === 'string' && c.conferees.includes(me);
  }

  private path(tail: string): string {
    return `/api/contacts/${encodeURIComponent(this.contactId)}/${tail}`;
  }

  async hold(): Promise<void> {
    const c = this.contact();
    if (!c) return;
    const r = await this.store.act('POST', this.path(c.held ? 'retrieve' : 'hold'), {});
    if (r !== null) announce(c.held ? t('call.resumed') : t('call.held'));
  }

  async mute(): Promise<void> {
    const c = this.contact();
    if (!c) return;
    const r = await this.store.act('POST', this.path('mute'), { muted: !c.muted });
    if (r !== null) announce(c.muted ? t('call.unmuted') : t('call.muted'));
  }

  async toggleKeypad(): Promise<void> {
    this.keypad = !this.keypad;
    await this.updateComplete;
    if (this.keypad) this.querySelector<HTMLButtonElement>('.keypad button')?.focus();
  }

  private async dtmf(key: string): Promise<void> {
    const r = await this.store.act('POST', this.path('dtmf'), { digits: key });
    if (r !== null) this.sent = `${this.sent}${key}`.slice(-32);
  }

  /** Whether the contact on screen is in a consultation (the server's state). */
  consulting(): boolean {
    return this.contact()?.consult != null;
  }

  /** Ends the consultation: the customer goes to the consulted party (transfer) or all three talk (conference). */
  async completeConsult(outcome: 'transfer' | 'conference'): Promise<void> {
    if (!this.consulting()) return;
    await this.store.act('POST', this.path('consult/complete'), { outcome });
  }

  /** Cancels the consultation: back to the customer. */
  async cancelConsult(): Promise<void> {
    if (!this.consulting()) return;
    await this.store.act('POST', this.path('consult/cancel'), {});
  }

  /** Opens the transfer (or conference) dialog, with the agents and queues to choose from. */
  async openDialog(mode: DialogMode = 'transfer'): Promise<void> {
    this.mode = mode;
    this.kind = 'agent';
    this.consult = false;
    try {
      this.targets = await api<TransferTargets>('GET', '/api/agent/transfer-targets');
    } catch (e) {
      fail(e);
      this.targets = { agents: [], queues: [] };
    }
    await this.updateComplete;
    const dialog = this.querySelector<HTMLDialogElement>('#transfer-dialog');
    if (dialog && !dialog.open) dialog.showModal();
    this.querySelector<HTMLElement>('#transfer-dialog select, #transfer-dialog input[type="tel"]')?.focus();
  }

  private close(): void {
    this.querySelector<HTMLDialogElement>('#transfer-dialog')?.close();
    this.querySelector<HTMLButtonElement>(this.mode === 'transfer' ? '#btn-transfer' : '#btn-conference')?.focus();
  }

  private async submit(ev: Event): Promise<void> {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const value = (name: string): string => (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null)?.value ?? '';
    const target = this.kind === 'agent' ? { agentId: value('target-agent') } : this.kind === 'queue' ? { queueId: value('target-queue') } : { number: value('target-number').trim() };
    if (Object.values(target)[0] === '') return;
    const r = this.mode === 'conference'
      ? await this.store.act('POST', this.path('conference'), target)
      : await this.store.act('POST', this.path('transfer'), { mode: this.consult ? 'consult' : 'blind', ...target });
    if (r === null) return;
    this.close();
    announce(this.mode === 'conference' ? t('call.conferenceAdded') : this.consult ? t('call.consulting') : t('call.transferred'));
  }

  private dialog(): TemplateResult {
    const c = this.contact();
    const isCall = c?.channel === 'call' || c?.channel === 'callback';
    const kinds: TargetKind[] = this.mode === 'conference' ? ['agent', 'number'] : isCall ? ['agent', 'queue', 'number'] : ['agent', 'queue'];
    const targets = this.targets ?? { agents: [], queues: [] };
    return html`<dialog id="transfer-dialog" aria-labelledby="transfer-title" @close=${() => undefined}>
      <form @submit=${(ev: Event) => contain(this.submit(ev))}>
        <h2 id="transfer-title">${this.mode === 'conference' ? t('call.conference') : t('call.transfer')}</h2>
        <fieldset class="radios"><legend>${t('call.to')}</legend>
          ${kinds.map((k) => html`<label class="check"><input type="radio" name="target-kind" value=${k} .checked=${this.kind === k} @change=${() => { this.kind = k; }}> ${t(`call.to.${k}`)}</label>`)}
        </fieldset>
        ${this.kind === 'agent' ? html`<label for="target-agent">${t('call.agent')}</label>
          <select id="target-agent" name="target-agent" required>${targets.agents.map((a) => html`<option value=${a.id}>${a.id} (${a.state})</option>`)}</select>` : nothing}
        ${this.kind === 'queue' ? html`<label for="target-queue">${t('call.queue')}</label>
          <select id="target-queue" name="target-queue" required>${targets.queues.map((q) => html`<option value=${q}>${queueLabel(this.store.app, q)}</option>`)}</select>` : nothing}
        ${this.kind === 'number' ? html`<label for="target-number">${t('call.number')}</label>
          <input id="target-number" name="target-number" type="tel" autocomplete="off" maxlength="32" required>` : nothing}
        ${this.mode === 'transfer' && isCall ? html`<label class="check"><input type="checkbox" id="transfer-consult" .checked=${this.consult} @change=${(ev: Event) => { this.consult = (ev.target as HTMLInputElement).checked; }}> ${t('call.consultFirst')}</label>` : nothing}
        <p class="bar"><button type="submit" id="btn-transfer-go">${this.mode === 'conference' ? t('call.add') : this.consult ? t('call.consult') : t('call.transferNow')}</button>
          <button type="button" class="secondary" @click=${() => this.close()}>${t('call.cancel')}</button></p>
      </form>
    </dialog>`;
  }

  protected override render(): TemplateResult {
    const c = this.contact();
    if (!c) return html``;
    const isCall = c.channel === 'call' || c.channel === 'callback';
    const party = c.consult ? ('agentId' in c.consult.party ? c.consult.party.agentId : c.consult.party.number) : '';
    return html`<div class="panel call-controls" role="group" aria-label=${t('call.controls')}>
      ${isCall ? html`
        <button type="button" id="btn-hold" class="secondary" aria-pressed=${c.held ? 'true' : 'false'} aria-keyshortcuts="Alt+H" @click=${() => contain(this.hold())}>${c.held ? t('call.resume') : t('call.hold')}</button>
        <button type="button" id="btn-mute" class="secondary" aria-pressed=${c.muted ? 'true' : 'false'} aria-keyshortcuts="Alt+M" @click=${() => contain(this.mute())}>${c.muted ? t('call.unmute') : t('call.mute')}</button>` : nothing}
      <button type="button" id="btn-transfer" class="secondary" aria-keyshortcuts="Alt+T" ?disabled=${c.consult !== null} @click=${() => contain(this.openDialog('transfer'))}>${t('call.transfer')}</button>
      ${isCall ? html`
        <button type="button" id="btn-conference" class="secondary" aria-keyshortcuts="Alt+C" ?disabled=${c.consult !== null} @click=${() => contain(this.openDialog('conference'))}>${t('call.conference')}</button>
        <button type="button" id="btn-keypad" class="secondary" aria-expanded=${this.keypad ? 'true' : 'false'} aria-controls="keypad" aria-keyshortcuts="Alt+K" @click=${() => contain(this.toggleKeypad())}>${t('call.keypad')}</button>` : nothing}
      ${isCall && this.recording !== 'off' ? html`
        <button type="button" id="btn-recording" class="secondary" aria-pressed=${this.recording === 'paused' ? 'true' : 'false'} @click=${() => contain(this.toggleRecording())}>${this.recording === 'paused' ? t('call.resumeRecording') : t('call.pauseRecording')}</button>
        <span id="call-recording" data-recording=${this.recording}>${this.recording === 'paused' ? t('call.recordingIsPaused') : t('call.recordingIsOn')}</span>` : nothing}
      ${c.held ? html`<span class="badge" id="call-held">${t('call.onHold')}</span>` : nothing}
      ${c.muted ? html`<span class="badge" id="call-muted">${t('call.isMuted')}</span>` : nothing}
      ${c.consult ? html`<div class="consult bar" id="consult" role="status">
          <span>${t('call.consultWith')} ${party} · ${c.consult.answered ? t('call.answered') : t('call.ringing')}</span>
          <button type="button" id="btn-consult-transfer" aria-keyshortcuts="Alt+T" @click=${() => contain(this.completeConsult('transfer'))}>${t('call.completeTransfer')}</button>
          <button type="button" id="btn-consult-conference" class="secondary" aria-keyshortcuts="Alt+C" @click=${() => contain(this.completeConsult('conference'))}>${t('call.completeConference')}</button>
          <button type="button" id="btn-consult-cancel" class="secondary" aria-keyshortcuts="Alt+X" @click=${() => contain(this.cancelConsult())}>${t('call.cancelConsult')}</button></div>` : nothing}
      ${c.conferees.length ? html`<div class="bar" id="conferees"><span>${t('call.conferees')} ${c.conferees.join(', ')}</span>
          ${this.isConferee(c) ? html`<button type="button" class="secondary" id="btn-leave-conference" @click=${() => contain(this.store.act('POST', this.path('conference/leave'), {}))}>${t('call.leaveConference')}</button>` : nothing}</div>` : nothing}
      ${this.keypad && isCall ? html`<div id="keypad" class="keypad" role="group" aria-label=${t('call.keypad')}>
          ${KEYS.map((k) => html`<button type="button" class="secondary" aria-label="${t('call.key')} ${k}" @click=${() => contain(this.dtmf(k))}>${k}</button>`)}
          <output id="dtmf-sent" aria-live="polite">${this.sent}</output></div>` : nothing}
    </div>${this.dialog()}`;
  }
}
customElements.define('desk-call-controls', CarusoCallControls);

declare global {
  interface HTMLElementTagNameMap {
    'desk-call-controls': CarusoCallControls;
  }
}
