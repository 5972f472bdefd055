/**
 * A chat contact: what a self-service visitor entered before, the transcript (the customer's messages
 * as they arrive, announced), typing, and the agent's messages with canned replies. The transcript is
 * read from the server when the panel opens (also after a reload), then follows the chat hub.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { api, ApiError } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import type { ChatConnection, ChatFrame } from './chat-connection.js';
import { DeskElement } from './desk-element.js';
import type { ChatAnswer, ChatLine, ContactTemplates, DeskContact } from './desktop-types.js';
import './private-notes.js';

export class CarusoChatPanel extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    contactId: { attribute: false },
    chat: { attribute: false },
    lines: { state: true },
    info: { state: true },
    typing: { state: true },
    ended: { state: true },
    none: { state: true },
    canned: { state: true },
  };

  declare contactId: string;
  declare chat: ChatConnection | null;
  declare lines: readonly ChatLine[];
  declare info: ChatAnswer['chat'] | null;
  declare typing: boolean;
  declare ended: boolean;
  /** No conversation behind this chat contact (a hand-off without a chat). */
  declare none: boolean;
  declare canned: ContactTemplates['cannedReplies'];
  private stop: (() => void) | null = null;
  private typedAt = 0;
  private joined = false;
  /** The customer the canned replies were read for. */
  private templatesFor = '';

  constructor() {
    super();
    this.chat = null;
    this.lines = [];
    this.info = null;
    this.typing = false;
    this.ended = false;
    this.none = false;
    this.canned = [];
  }

  private contact(): DeskContact | undefined {
    return this.store.state?.contacts.find((c) => c.id === this.contactId);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('contactId') || changed.has('chat')) this.follow();
    // The canned replies are filled with the contact's customer: read again once another is linked.
    else if (this.customerKey() !== this.templatesFor) this.readTemplates(this.contactId);
  }

  private customerKey(): string {
    const c = this.contact()?.customer;
    return c ? `${c.object}:${c.id}` : '';
  }

  private readTemplates(id: string): void {
    this.templatesFor = this.customerKey();
    api<ContactTemplates>('GET', `/api/contacts/${encodeURIComponent(id)}/templates`).then((r) => {
      if (this.contactId === id) this.canned = r.cannedReplies;
    }, () => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop?.();
    this.stop = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.stop && this.contactId) this.follow();
  }

  private follow(): void {
    this.stop?.();
    this.lines = [];
    this.info = null;
    this.ended = false;
    this.none = false;
    this.joined = false;
    const id = this.contactId;
    this.stop = this.chat?.on(id, (f) => this.frame(f)) ?? null;
    contain(this.read(id));
    this.readTemplates(id);
  }

  /** Reads the chat and its transcript (again after the hub's socket came back). */
  async read(id = this.contactId): Promise<void> {
    try {
      const r = await api<ChatAnswer>('GET', `/api/contacts/${encodeURIComponent(id)}/chat`);
      if (this.contactId !== id) return;
      this.info = r.chat;
      for (const m of r.transcript) this.add(m, false);
      if (r.chat.state === 'ended') this.ended = true;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 503)) this.none = true;
      else fail(e);
    }
  }

  private add(m: ChatLine, say: boolean): void {
    if (this.lines.some((x) => x.seq === m.seq)) return;
    this.lines = [...this.lines, m].sort((a, b) => a.seq - b.seq);
    if (say && m.from === 'customer') announce(`${this.info?.customerName ?? t('chat.customer')}: ${m.text}`);
  }

  private frame(f: ChatFrame): void {
    if (f.type === 'joined') {
      this.joined = true;
      for (const m of (f['transcript'] ?? []) as ChatLine[]) this.add(m, false);
      const info = f['chat'] as ChatAnswer['chat'] | null;
      if (info) this.info = info;
    } else if (f.type === 'message' && typeof f['seq'] === 'number' && typeof f['text'] === 'string') {
      const from = f['from'] === 'agent' ? 'agent' : 'customer';
      this.add({ seq: f['seq'], from, text: f['text'] }, true);
      if (from === 'customer') this.chat?.send({ type: 'read', chatId: this.contactId, upTo: f['seq'] });
      this.typing = false;
    } else if (f.type === 'typing' && f['from'] === 'customer') this.typing = f['typing'] === true;
    else if (f.type === 'note') this.store.requestRefresh(0);
    else if (f.type === 'ended') {
      this.ended = true;
      announce(t('chat.ended'));
      this.store.requestRefresh(0);
    } else if (f.type === 'error' && typeof f['message'] === 'string') fail(new Error(f['message']));
  }

  private canSend(): boolean {
    const open = this.info?.state === 'open' && this.info.agentId === this.store.me.agentId;
    return !this.ended && (open || this.joined) && this.contact() !== undefined;
  }

  private send(ev: Event): void {
    ev.preventDefault();
    const input = this.querySelector<HTMLInputElement>('#chat-text');
    if (!input || !input.value.trim()) return;
    if (!this.chat?.say(this.contactId, input.value)) {
      fail(new Error(t('chat.offline')));
      return;
    }
    input.value = '';
    this.store.ui(this.contactId).message = '';
  }

  /** Tells the customer the agent is typing (at most every 3 s). */
  private typed(): void {
    if (Date.now() - this.typedAt < 3000) return;
    this.typedAt = Date.now();
    this.chat?.send({ type: 'typing', chatId: this.contactId, typing: true });
  }

  private useCanned(id: string): void {
    const reply = this.canned.find((c) => c.id === id);
    const input = this.querySelector<HTMLInputElement>('#chat-text');
    if (!reply || !input) return;
    input.value = input.value ? `${input.value} ${reply.text}` : reply.text;
    this.store.ui(this.contactId).message = input.value;
    input.focus();
  }

  protected override render(): TemplateResult {
    const c = this.contact();
    const answers = Object.entries(c?.handoff?.answers ?? {});
    const name = this.info?.customerName ?? '';
    const title = `${t('chat.title')}${name ? ` · ${name}` : ''}${this.info?.subject ? ` · ${this.info.subject}` : ''}`;
    const sendable = this.canSend();
    return html`<section id="conversation" class="panel" aria-labelledby="conv-title">
      <h2 id="conv-title">${title}</h2>
      <div id="chat-answers">${answers.length ? html`<dl class="answers" aria-label=${t('chat.answers')}>${answers.map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>`)}</dl>` : nothing}</div>
      ${this.none ? html`<p id="chat-none">${t('chat.noConversation')}</p>` : nothing}
      <ol id="chat-log" class="chat-log" aria-live="polite" aria-label=${t('chat.transcript')} tabindex="0">
        ${this.lines.map((m) => html`<li class="chat-${m.from}" data-seq=${String(m.seq)}><strong>${m.from === 'customer' ? name || t('chat.customer') : t('chat.you')}: </strong><span>${m.text}</span></li>`)}
        ${this.ended ? html`<li class="muted">${t('chat.ended')}</li>` : nothing}
      </ol>
      <desk-private-notes .store=${this.store} .rev=${this.rev} .contactId=${this.contactId}></desk-private-notes>
      <p class="muted" id="chat-typing">${this.typing ? t('chat.typing') : ''}</p>
      <form id="chat-form" @submit=${(ev: Event) => this.send(ev)}>
        ${this.canned.length ? html`<label for="canned">${t('chat.canned')}</label>
          <select id="canned" @change=${(ev: Event) => { const s = ev.target as HTMLSelectElement; this.useCanned(s.value); s.value = ''; }}>
            <option value="">${t('chat.cannedPick')}</option>${this.canned.map((r) => html`<option value=${r.id}>${r.label}</option>`)}</select>` : nothing}
        <label for="chat-text">${t('chat.message')}</label>
        <div class="bar"><input id="chat-text" maxlength="4000" autocomplete="off" ?disabled=${!sendable} .value=${this.store.ui(this.contactId).message}
            @input=${(ev: Event) => { this.store.ui(this.contactId).message = (ev.target as HTMLInputElement).value; this.typed(); }}>
          <button type="submit" id="btn-chat-send" ?disabled=${!sendable}>${t('chat.send')}</button></div>
      </form>
    </section>`;
  }
}
customElements.define('desk-chat-panel', CarusoChatPanel);

declare global {
  interface HTMLElementTagNameMap {
    'desk-chat-panel': CarusoChatPanel;
  }
}
