/**
 * The agent desktop: the agent's state and queues, ringing offers, one tab per contact on the desk
 * (connected or in wrap-up), and for the contact on screen its customer, call controls, conversation,
 * wrap-up and script. Everything comes from the server (DesktopStore); this element draws it, keeps
 * the sockets (presence on /ws/agent, the chat hub on /ws/chat) and maps the keys.
 */
import { html, LitElement, nothing, type TemplateResult } from 'lit';
import { announce, contain } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtAddress } from '../shared/format.js';
import { OPEN_RECORD } from '../records/related-records.js';
import { channelLabel, pauseLabel, queueLabel, stateLabel } from '../shared/labels.js';
import { AgentSocket } from './agent-socket.js';
import { ChatConnection } from './chat-connection.js';
import type { DesktopStore, DeskItem } from './desktop-store.js';
import type { DeskOffer } from './desktop-types.js';
import { commandOf, KEY_BINDINGS, type DeskCommand } from './keys.js';
import { IDLE, type CarusoCustomerPanel } from './customer-panel.js';
import type { CarusoCallControls } from './call-controls.js';
import type { CarusoScriptPanel } from './script-panel.js';
import type { CarusoWrapUpPanel } from './wrap-up-panel.js';
import './customer-panel.js';
import './call-controls.js';
import './script-panel.js';
import './chat-panel.js';
import './email-panel.js';
import './wrap-up-panel.js';

export class CarusoDesktop extends LitElement {
  static override properties = {
    rev: { state: true },
    linkUp: { state: true },
    chosen: { state: true },
    reason: { state: true },
  };

  declare rev: number;
  declare linkUp: boolean;
  /** The queues ticked (sent with Ready at log-in, or applied). */
  declare chosen: ReadonlySet<string>;
  declare reason: string;
  store!: DesktopStore;
  private agentSocket: AgentSocket | null = null;
  private chat: ChatConnection | null = null;
  private queuesSig = '';
  private offersSeen = new Set<string>();
  private focusWrapUp: string | null = null;
  private readonly onChange = (): void => {
    this.openChat();
    this.rev += 1;
  };
  private readonly onKey = (ev: KeyboardEvent): void => {
    const cmd = commandOf(ev);
    if (!cmd) return;
    ev.preventDefault();
    contain(this.command(cmd));
  };

  constructor() {
    super();
    this.rev = 0;
    this.linkUp = false;
    this.chosen = new Set();
    this.reason = '';
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /** Starts the desktop on `store`: reads it, opens the sockets, listens to the keys. */
  start(store: DesktopStore): void {
    this.store = store;
    store.addEventListener('change', this.onChange);
    document.addEventListener('keydown', this.onKey);
    window.addEventListener(OPEN_RECORD, this.onOpenRecord);
    this.agentSocket = new AgentSocket({
      onChange: () => store.requestRefresh(),
      onLink: (up) => {
        this.linkUp = up;
        if (!up) announce(t('desktop.reconnecting'));
      },
      heartbeatMs: () => store.state?.presence.heartbeatMs ?? 10_000,
    });
    this.agentSocket.open();
    contain(store.refresh());
    window.addEventListener('pagehide', () => this.stop(), { once: true });
  }

  /** A record chosen in the header (search, a task reminder) opens in the customer panel: the contact is not left. */
  private readonly onOpenRecord = (ev: Event): void => {
    const { object, key } = (ev as CustomEvent<{ object: string; key: string }>).detail;
    if (!this.store || !this.store.app.objects.some((o) => o.name === object)) return;
    ev.preventDefault();
    const id = this.selectedItem()?.id ?? this.store.state?.offers[0]?.contactId ?? IDLE;
    this.store.setUi(id, { panel: 'record', shown: { object, id: key } });
    announce(t('desktop.recordOpened'));
  };

  /**
   * Connects to the chat hub once the desktop has chats (the channel is there, or a chat rings or is
   * connected). After a lost hub socket the chat on screen reads its transcript again.
   */
  private openChat(): void {
    const s = this.store.state;
    if (this.chat || !s) return;
    if (!s.channels.chat && !s.contacts.some((c) => c.channel === 'chat') && !s.offers.some((o) => o.channel === 'chat')) return;
    this.chat = new ChatConnection(() => contain(this.querySelector<HTMLElement & { read?: () => Promise<void> }>('desk-chat-panel')?.read?.() ?? Promise.resolve()));
    this.chat.open();
  }

  stop(): void {
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener(OPEN_RECORD, this.onOpenRecord);
    this.store?.removeEventListener('change', this.onChange);
    this.agentSocket?.close();
    this.chat?.close();
  }

  /** Drops the desktop's sockets as a lost network would (they open again by themselves). */
  dropSockets(): void {
    this.agentSocket?.drop();
  }

  private selectedItem(): DeskItem | undefined {
    return this.store.item(this.store.selected);
  }

  private async command(cmd: DeskCommand): Promise<void> {
    const item = this.selectedItem();
    const controls = this.querySelector<CarusoCallControls>('desk-call-controls');
    if (cmd === 'ready') this.querySelector<HTMLButtonElement>('#btn-ready')?.click();
    else if (cmd === 'pause') this.querySelector<HTMLButtonElement>('#btn-pause')?.click();
    else if (cmd === 'accept') {
      const o = this.store.state?.offers[0];
      if (o) await this.accept(o);
    } else if (cmd === 'reject') {
      const o = this.store.state?.offers[0];
      if (o) await this.store.act('POST', `/api/agent/offers/${encodeURIComponent(o.offerId)}/reject`, {});
    } else if (cmd === 'hangUp') {
      if (item?.kind === 'contact') await this.hangUp(item);
    } else if (cmd === 'finish') {
      if (item?.kind === 'contact') {
        // F9 on a live contact: end it, then file its wrap-up as typed.
        await this.hangUp(item);
        await this.store.refresh();
      }
      const panel = this.querySelector<CarusoWrapUpPanel>('desk-wrap-up-panel');
      if (panel && this.store.selected) await panel.finish();
    } else if (cmd === 'hold') await controls?.hold();
    else if (cmd === 'mute') await controls?.mute();
    // During a consultation Alt+T and Alt+C complete it (as a transfer, as a conference), Alt+X cancels it.
    else if (cmd === 'transfer') await (controls?.consulting() ? controls.completeConsult('transfer') : controls?.openDialog('transfer'));
    // A conference is for calls only (the button is on calls only).
    else if (cmd === 'conference' && item?.kind === 'contact' && item.contact.channel === 'call') await (controls?.consulting() ? controls.completeConsult('conference') : controls?.openDialog('conference'));
    else if (cmd === 'cancelConsult') await controls?.cancelConsult();
    else if (cmd === 'keypad') await controls?.toggleKeypad();
    else if (cmd === 'dial') this.openDial();
    else if (cmd === 'search') await this.querySelector<CarusoCustomerPanel>('desk-customer-panel')?.openSearch();
    else if (cmd.startsWith('choice:')) this.querySelector<CarusoScriptPanel>('desk-script-panel')?.choose(cmd.slice(7));
    else if (cmd.startsWith('tab:')) {
      const target = this.store.items()[Number(cmd.slice(4)) - 1];
      if (target) this.selectTab(target.id);
    }
  }

  private async accept(o: DeskOffer): Promise<void> {
    const r = await this.store.act('POST', `/api/agent/offers/${encodeURIComponent(o.offerId)}/accept`, {});
    if (r !== null) await this.store.refresh();
  }

  private async hangUp(item: Extract<DeskItem, { kind: 'contact' }>): Promise<void> {
    const c = item.contact;
    this.focusWrapUp = c.id;
    // A chat ends through its hub, so the customer is told the agent left.
    if (c.channel === 'chat' && this.chat?.send({ type: 'leave', chatId: c.id })) return;
    await this.store.act('POST', `/api/contacts/${encodeURIComponent(c.id)}/hang-up`, {});
  }

  private selectTab(id: string): void {
    this.store.select(id);
    contain(this.updateComplete.then(() => this.querySelector<HTMLElement>(`#tab-${CSS.escape(id)}`)?.focus()));
  }

  private openDial(number = ''): void {
    const dialog = this.querySelector<HTMLDialogElement>('#dial-dialog');
    const input = this.querySelector<HTMLInputElement>('#dial-number');
    if (!dialog || !input) return;
    input.value = number;
    if (!dialog.open) dialog.showModal();
    input.focus();
  }

  private async dial(number: string, about?: { object?: string; recordId?: string }): Promise<void> {
    const r = await this.store.act('POST', '/api/agent/dial', { number, ...(about?.object && about.recordId ? { object: about.object, recordId: about.recordId } : {}) });
    if (r !== null) announce(`${t('desktop.calling')} ${number}`);
  }

  private async ready(): Promise<void> {
    const s = this.store.state;
    const queues = [...this.chosen];
    await this.store.act('POST', '/api/agent/ready', s?.agent.state === 'logged-out' && queues.length ? { queues } : {});
  }

  private async applyQueues(): Promise<void> {
    const r = await this.store.act<{ queues: { selected: { queue: string }[] } }>('POST', '/api/agent/queues', { queues: [...this.chosen] });
    if (r) announce(`${t('desktop.queuesApplied')} ${r.queues.selected.map((x) => queueLabel(this.store.app, x.queue)).join(', ')}`);
  }

  protected override willUpdate(): void {
    const s = this.store?.state;
    if (!s) return;
    // The ticks follow the server's choice whenever that changes (not while the agent ticks).
    const sig = s.queues.selected.map((q) => q.queue).join(',');
    if (sig !== this.queuesSig) {
      this.queuesSig = sig;
      this.chosen = new Set(s.queues.selected.map((q) => q.queue));
    }
    if (!this.reason || !s.pauseReasons.some((r) => r.code === this.reason)) this.reason = s.pauseReasons[0]?.code ?? '';
  }

  protected override updated(): void {
    const s = this.store?.state;
    if (!s) return;
    // A new offer: said, and its Accept takes the focus unless the agent is typing in a contact.
    for (const o of s.offers) {
      if (this.offersSeen.has(o.offerId)) continue;
      this.offersSeen.add(o.offerId);
      announce(`${t('desktop.incoming')}: ${channelLabel(o.channel)} · ${queueLabel(this.store.app, o.queueId)}`);
      const active = document.activeElement;
      const busy = active instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && this.store.selected !== null;
      if (!busy && o === s.offers[0]) this.querySelector<HTMLButtonElement>('#btn-accept')?.focus();
    }
    if (this.focusWrapUp && this.store.state?.wrapUps.some((w) => w.contactId === this.focusWrapUp) && this.store.selected === this.focusWrapUp) {
      this.focusWrapUp = null;
      // Not while the agent is already typing in the wrap-up (the code, a note, a callback's date):
      // the wrap-up can reach the page after they moved there, and would take their keys away.
      const active = document.activeElement;
      const typing = active instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.closest('#wrapup') !== null;
      if (!typing) this.querySelector<HTMLSelectElement>('#wrap-code')?.focus();
    }
  }

  /** The state, and why when paused ("Pauze (Lunch)"; a reason that only repeats the state is left out). */
  private stateText(label: string, why: string | undefined): string {
    if (!why) return label;
    const reason = pauseLabel(this.store.state?.pauseReasons, why);
    return reason.toLocaleLowerCase() === label.toLocaleLowerCase() ? label : `${label} (${reason})`;
  }

  private statusBar(): TemplateResult {
    const s = this.store.state;
    const state = s?.agent.state ?? '…';
    const why = s?.agent.pauseReason;
    // Said in the application's language; the state's code is in data-state.
    const label = s ? stateLabel(state) : state;
    return html`<div class="panel bar desk-status" role="group" aria-label=${t('desktop.state')}>
      <span>${t('desktop.state')}: </span><span id="agent-state" class="state ${state}" data-state=${state}>${this.stateText(label, why)}</span>
      <button type="button" id="btn-ready" aria-keyshortcuts="F2" @click=${() => contain(this.ready())}>${t('desktop.ready')}</button>
      <label for="pause-reason" class="visually-hidden">${t('desktop.pauseReason')}</label>
      <select id="pause-reason" @change=${(ev: Event) => { this.reason = (ev.target as HTMLSelectElement).value; }}>
        ${(s?.pauseReasons ?? []).map((r) => html`<option value=${r.code} ?selected=${r.code === this.reason}>${r.label}</option>`)}</select>
      <button type="button" id="btn-pause" class="secondary" aria-keyshortcuts="F3" @click=${() => contain(this.store.act('POST', '/api/agent/pause', { reason: this.reason }))}>${t('desktop.pause')}</button>
      <button type="button" id="btn-dial" class="secondary" aria-keyshortcuts="Alt+D" @click=${() => this.openDial()}>${t('desktop.dial')}</button>
      <span id="link-state" role="status" class=${this.linkUp && !this.store.offline ? 'muted' : 'field-error'}>${this.linkUp && !this.store.offline ? '' : t('desktop.reconnecting')}</span>
      <details id="desk-help" class="help"><summary>${t('desktop.keys')}</summary>
        <dl class="answers">${KEY_BINDINGS.map((k) => html`<dt><kbd>${k.keys}</kbd></dt><dd>${t(k.what)}</dd>`)}</dl></details>
    </div>`;
  }

  private queues(): TemplateResult | typeof nothing {
    const q = this.store.state?.queues;
    if (!q || q.allowed.length === 0) return nothing;
    return html`<fieldset id="queues" class="panel queues"><legend>${t('desktop.queues')}</legend>
      ${q.allowed.map((id) => html`<label class="check"><input type="checkbox" name="queue" value=${id} .checked=${this.chosen.has(id)}
        @change=${(ev: Event) => {
          const next = new Set(this.chosen);
          if ((ev.target as HTMLInputElement).checked) next.add(id);
          else next.delete(id);
          this.chosen = next;
        }}> ${queueLabel(this.store.app, id)}</label>`)}
      <button type="button" id="btn-queues" class="secondary" @click=${() => contain(this.applyQueues())}>${t('desktop.applyQueues')}</button>
    </fieldset>`;
  }

  private offers(): TemplateResult {
    const offers = this.store.state?.offers ?? [];
    return html`<div id="offer">${offers.map((o, i) => {
      const sfx = i === 0 ? '' : `-${i + 1}`;
      return html`<div class="panel popup" role="alertdialog" aria-labelledby="offer-title${sfx}" aria-describedby="offer-who${sfx}" data-offer=${o.offerId}>
        <h2 id="offer-title${sfx}">${t('desktop.incoming')}: ${channelLabel(o.channel)} · ${queueLabel(this.store.app, o.queueId)}</h2>
        <p id="offer-who${sfx}">${o.customer?.label ?? (o.address ? fmtAddress(o.channel, o.address) : '')}</p>
        <button type="button" id="btn-accept${sfx}" aria-keyshortcuts=${i === 0 ? 'F4' : nothing} @click=${() => contain(this.accept(o))}>${t('desktop.accept')}</button>
        <button type="button" class="secondary" aria-keyshortcuts="Alt+R" @click=${() => contain(this.store.act('POST', `/api/agent/offers/${encodeURIComponent(o.offerId)}/reject`, {}))}>${t('desktop.reject')}</button>
      </div>`;
    })}</div>`;
  }

  /** Who a contact is with, in words: its customer, else the name a chat visitor gave, else the address. */
  private who(item: DeskItem): string {
    if (item.kind === 'contact') {
      const c = item.contact;
      const name = typeof c.data['customerName'] === 'string' ? c.data['customerName'] : undefined;
      return c.customer?.label ?? name ?? c.address ?? t('desktop.unknownParty');
    }
    return item.wrapUp.customer?.label ?? item.wrapUp.address ?? t('desktop.unknownParty');
  }

  private tabLabel(item: DeskItem): string {
    if (item.kind === 'contact') return `${channelLabel(item.contact.channel)} · ${this.who(item)}${item.contact.held ? ` · ${t('call.onHold')}` : ''}`;
    return `${channelLabel(item.wrapUp.channel)} · ${this.who(item)} · ${t('desktop.wrapUp')}`;
  }

  private tabs(items: readonly DeskItem[]): TemplateResult | typeof nothing {
    if (items.length === 0) return nothing;
    const selected = this.store.selected;
    return html`<div class="desk-tabs" role="tablist" aria-label=${t('desktop.contacts')}
      @keydown=${(ev: KeyboardEvent) => {
        if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
        const at = items.findIndex((i) => i.id === selected);
        const next = items[(at + (ev.key === 'ArrowRight' ? 1 : items.length - 1)) % items.length];
        if (next) this.selectTab(next.id);
      }}>
      ${items.map((item, i) => html`<button type="button" role="tab" id="tab-${item.id}" class="desk-tab ${item.kind}" aria-selected=${item.id === selected ? 'true' : 'false'}
          aria-controls="contact-view" tabindex=${item.id === selected ? '0' : '-1'} aria-keyshortcuts="Alt+${i + 1}" @click=${() => this.selectTab(item.id)}>${this.tabLabel(item)}</button>`)}
    </div>`;
  }

  private contactBar(item: DeskItem): TemplateResult {
    if (item.kind === 'wrap-up') {
      return html`<div class="panel bar contact-bar"><span>${channelLabel(item.wrapUp.channel)} · ${item.wrapUp.address ? fmtAddress(item.wrapUp.channel, item.wrapUp.address) : this.who(item)} · ${t('desktop.inWrapUp')}</span></div>`;
    }
    const c = item.contact;
    const label = c.channel === 'chat' ? t('desktop.endChat') : c.channel === 'email' ? t('desktop.done') : t('desktop.hangUp');
    return html`<div class="panel bar contact-bar"><span>${channelLabel(c.channel)} · ${c.address ? fmtAddress(c.channel, c.address) : this.who(item)}</span>
      <button type="button" id="btn-hangup" class="secondary" aria-keyshortcuts="F8" @click=${() => contain(this.hangUp(item))}>${label}</button></div>`;
  }

  private view(): TemplateResult {
    const item = this.selectedItem();
    const offer = this.store.state?.offers[0];
    // One layout for ringing and connected: the customer panel stays the same element when the offer
    // is accepted, so the record the agent is reading is neither read again nor drawn anew.
    const id = item?.id ?? offer?.contactId ?? IDLE;
    const c = item?.kind === 'contact' ? item.contact : undefined;
    const channel = c?.channel ?? (item?.kind === 'wrap-up' ? item.wrapUp.channel : '');
    return html`${item ? this.contactBar(item) : nothing}
      ${c ? html`<desk-call-controls .store=${this.store} .rev=${this.rev} .contactId=${c.id}></desk-call-controls>` : nothing}
      <div class="grid" id="contact-view" role=${item ? 'tabpanel' : nothing} aria-labelledby=${item ? `tab-${item.id}` : nothing}>
        <desk-customer-panel .store=${this.store} .rev=${this.rev} .contactId=${id}></desk-customer-panel>
        ${item
          ? html`<div class="middle">
              ${channel === 'chat' ? html`<desk-chat-panel .store=${this.store} .rev=${this.rev} .contactId=${item.id} .chat=${this.chat}></desk-chat-panel>` : nothing}
              ${channel === 'email' ? html`<desk-email-panel .store=${this.store} .rev=${this.rev} .contactId=${item.id}></desk-email-panel>` : nothing}
              <desk-wrap-up-panel .store=${this.store} .rev=${this.rev} .contactId=${item.id}></desk-wrap-up-panel>
            </div>
            <desk-script-panel .store=${this.store} .rev=${this.rev} .contactId=${item.id}></desk-script-panel>`
          // Nothing on the desk: the offer's customer while it rings, else the last customer and the search.
          : html`<div class="middle"><p class="panel muted" id="desk-waiting">${offer ? t('desktop.offerWaiting') : t('desktop.waiting')}</p></div>
            <aside id="script" class="panel" aria-labelledby="script-title"><h2 id="script-title">${t('desktop.script')}</h2></aside>`}
      </div>`;
  }

  private dialDialog(): TemplateResult {
    return html`<dialog id="dial-dialog" aria-labelledby="dial-title">
      <form @submit=${(ev: Event) => {
        ev.preventDefault();
        const n = this.querySelector<HTMLInputElement>('#dial-number')?.value.trim() ?? '';
        if (!n) return;
        this.querySelector<HTMLDialogElement>('#dial-dialog')?.close();
        contain(this.dial(n));
      }}>
        <h2 id="dial-title">${t('desktop.dialTitle')}</h2>
        <label for="dial-number">${t('desktop.dialNumber')}</label>
        <input id="dial-number" type="tel" maxlength="32" autocomplete="off" required>
        <p class="bar"><button type="submit" id="btn-dial-go">${t('desktop.call')}</button>
          <button type="button" class="secondary" @click=${() => this.querySelector<HTMLDialogElement>('#dial-dialog')?.close()}>${t('call.cancel')}</button></p>
      </form></dialog>`;
  }

  protected override render(): TemplateResult {
    if (!this.store) return html``;
    const items = this.store.items();
    return html`<h1 class="visually-hidden">${t('nav.desktop')}</h1>
      ${this.statusBar()}
      ${this.queues()}
      ${this.offers()}
      ${this.tabs(items)}
      <div @dial=${(ev: CustomEvent<{ number: string; object?: string; recordId?: string }>) => contain(this.dial(ev.detail.number, ev.detail))}
           @record-changed=${() => { const id = this.store.selected ?? IDLE; this.store.setUi(id, { recordRev: this.store.ui(id).recordRev + 1 }); }}
           @find-customer=${() => contain(this.querySelector<CarusoCustomerPanel>('desk-customer-panel')?.openSearch() ?? Promise.resolve())}>
        ${this.view()}
      </div>
      ${this.dialDialog()}`;
  }
}
customElements.define('caruso-desktop', CarusoDesktop);

declare global {
  interface HTMLElementTagNameMap {
    'caruso-desktop': CarusoDesktop;
  }
}
