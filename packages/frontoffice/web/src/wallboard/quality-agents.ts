/**
 * The wallboard's busy agents and what a supervisor can do with their contacts
 * (docs/frontoffice-quality.md): on a call, Listen / Whisper / Barge / Stop through the supervisor's
 * phone, switchable during the call, with the mode shown; on a chat, Watch (the transcript live,
 * read-only, and private notes to the agent); on an e-mail, a private note. The list is the server's
 * (`GET /api/quality/agents`), read again when the monitor's `agents` topic changes (or every few
 * seconds without a monitor) and after every action.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { QualityAgent, QualitySession } from '../../../src/common/api-types.js';
import { api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { stateLabel } from '../shared/labels.js';
import { LightElement } from '../shared/light-element.js';
import { MonitorFeed } from '../shared/monitor.js';
import type { PageContext } from '../shared/context.js';
import './chat-watch.js';

const MODES = ['listen', 'whisper', 'barge'] as const;
type Mode = (typeof MODES)[number];
/** Without a monitor the list is read again this often. */
const REREAD_MS = 5_000;

export class QualityAgents extends LightElement {
  static override properties = { agents: { state: true }, canMonitor: { state: true }, watching: { state: true }, noteFor: { state: true }, busy: { state: true } };
  declare private agents: readonly QualityAgent[] | undefined;
  declare private canMonitor: boolean;
  /** The chat being watched, if any. */
  declare private watching: string | null;
  /** The e-mail contact whose note form is open. */
  declare private noteFor: string | null;
  declare private busy: boolean;

  ctx!: PageContext;
  /** Whether the monitor's live topics are there (then no re-reading on a timer). */
  live = false;
  private feed: MonitorFeed | undefined;
  private timer: number | undefined;
  private debounce: number | undefined;

  constructor() {
    super();
    this.canMonitor = false;
    this.watching = null;
    this.noteFor = null;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.load());
    if (this.live) this.feed = new MonitorFeed(() => ['agents'], () => this.soon());
    else this.timer = window.setInterval(() => { if (!document.hidden) contain(this.load()); }, REREAD_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.feed?.close();
    window.clearInterval(this.timer);
    window.clearTimeout(this.debounce);
  }

  private soon(): void {
    window.clearTimeout(this.debounce);
    this.debounce = window.setTimeout(() => contain(this.load()), 200);
  }

  async load(): Promise<void> {
    const r = await api<{ data: QualityAgent[]; monitoring: boolean }>('GET', '/api/quality/agents');
    this.agents = r.data;
    this.canMonitor = r.monitoring;
  }

  /** This supervisor's session, wherever it is. */
  private mine(): QualitySession | undefined {
    for (const a of this.agents ?? []) for (const s of a.monitoring) if (s.supervisor === this.ctx.me.name) return s;
    return undefined;
  }

  private async run(fn: () => Promise<unknown>, said: string): Promise<void> {
    this.busy = true;
    try {
      await fn();
      announce(said);
    } catch (e) {
      fail(e);
    } finally {
      this.busy = false;
      await this.load().catch(() => undefined);
    }
  }

  /** Listen, whisper or barge on the agent's call: a new session, or the running one switched. */
  private monitor(agentId: string, mode: Mode): Promise<void> {
    const mine = this.mine();
    return this.run(async () => {
      if (mine && mine.agentId === agentId) await api('PATCH', '/api/monitoring', { mode });
      else {
        if (mine) await api('DELETE', '/api/monitoring');
        await api('POST', '/api/monitoring', { agentId, mode });
      }
    }, t('quality.modeNow', { agent: agentId, mode: t(`quality.mode.${mode}`) }));
  }

  private stop(): Promise<void> {
    return this.run(() => api('DELETE', '/api/monitoring'), t('quality.stopped'));
  }

  private async note(ev: Event, contactId: string): Promise<void> {
    ev.preventDefault();
    const input = (ev.target as HTMLFormElement).elements.namedItem('note-text') as HTMLTextAreaElement | null;
    const text = input?.value.trim() ?? '';
    if (!text) return;
    await this.run(() => api('POST', `/api/contacts/${encodeURIComponent(contactId)}/notes`, { text }), t('notes.sent'));
    if (input) input.value = '';
    this.noteFor = null;
  }

  private callMenu(a: QualityAgent, contactId: string): TemplateResult {
    const mine = this.mine();
    const here = mine && mine.agentId === a.agentId ? mine : undefined;
    const others = a.monitoring.filter((s) => s.supervisor !== this.ctx.me.name);
    return html`<div class="bar quality-menu" role="group" aria-label=${t('quality.menuFor', { agent: a.agentId })}>
      ${MODES.map((m) => html`<button type="button" class="secondary" data-agent=${a.agentId} data-mode=${m} aria-pressed=${here?.mode === m ? 'true' : 'false'} ?disabled=${this.busy || !this.canMonitor} @click=${() => contain(this.monitor(a.agentId, m))}>${t(`quality.mode.${m}`)}</button>`)}
      <button type="button" class="secondary" data-agent=${a.agentId} data-mode="stop" ?disabled=${this.busy || !here} @click=${() => contain(this.stop())}>${t('quality.stop')}</button>
      <span class="monitor-mode" data-agent=${a.agentId} role="status">${here ? t('quality.youAre', { mode: t(`quality.mode.${here.mode}`) }) : ''}${others.map((s) => ` ${t('quality.otherIs', { name: s.supervisor, mode: t(`quality.mode.${s.mode}`) })}`).join('')}</span>
      <span class="visually-hidden">${contactId}</span>
    </div>`;
  }

  private contactCell(a: QualityAgent, c: QualityAgent['contacts'][number]): TemplateResult {
    const channel = t(`channel.${c.channel}`);
    const recorded = c.recording === 'on' ? html` <span class="badge">${t('call.recordingIsOn')}</span>` : c.recording === 'paused' ? html` <span class="badge">${t('call.recordingIsPaused')}</span>` : nothing;
    if (c.channel === 'call' || c.channel === 'callback') return html`<div>${channel}${recorded}</div>${this.callMenu(a, c.contactId)}`;
    if (c.channel === 'chat') {
      return html`<div>${channel} <button type="button" class="secondary" data-watch=${c.contactId} aria-pressed=${this.watching === c.contactId ? 'true' : 'false'} @click=${() => { this.watching = this.watching === c.contactId ? null : c.contactId; }}>${this.watching === c.contactId ? t('quality.unwatch') : t('quality.watch')}</button></div>`;
    }
    return html`<div>${channel} <button type="button" class="secondary" data-note=${c.contactId} @click=${() => { this.noteFor = this.noteFor === c.contactId ? null : c.contactId; }}>${t('notes.write')}</button></div>
      ${this.noteFor === c.contactId ? html`<form class="note-form" @submit=${(ev: Event) => contain(this.note(ev, c.contactId))}>
        <label for="note-text">${t('notes.privateTo', { agent: a.agentId })}</label>
        <textarea id="note-text" name="note-text" rows="3" maxlength="2000" required></textarea>
        <p class="muted">${t('notes.privateHint')}</p>
        <button type="submit" ?disabled=${this.busy}>${t('notes.send')}</button></form>` : nothing}`;
  }

  protected override render(): TemplateResult {
    const agents = this.agents;
    if (!agents) return html``;
    const table = agents.length
      ? html`<table id="quality-agents"><thead><tr><th scope="col">${t('quality.agent')}</th><th scope="col">${t('quality.state')}</th><th scope="col">${t('quality.contacts')}</th></tr></thead>
        <tbody>${agents.map((a) => html`<tr data-agent=${a.agentId}><th scope="row">${a.agentId}</th><td>${stateLabel(a.state)}</td><td>${a.contacts.map((c) => this.contactCell(a, c))}</td></tr>`)}</tbody></table>`
      : html`<p id="quality-none">${t('quality.none')}</p>`;
    return html`<section class="panel" aria-labelledby="wb-quality"><h2 id="wb-quality">${t('quality.title')}</h2>
      ${this.canMonitor ? nothing : html`<p class="muted" id="quality-no-monitoring">${t('quality.noMonitoring')}</p>`}
      ${table}</section>
      ${this.watching ? html`<caruso-chat-watch .chatId=${this.watching} @closed=${() => { this.watching = null; }}></caruso-chat-watch>` : nothing}`;
  }
}
customElements.define('caruso-quality-agents', QualityAgents);
