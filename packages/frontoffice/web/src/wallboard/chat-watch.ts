/**
 * A supervisor watching one live chat (`/ws/chat/watch`, docs/frontoffice-quality.md): the transcript
 * as it happens, read-only, and private notes to the agent, which the agent's chat panel shows marked
 * as private and the customer never sees.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { announce, socketUrl } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';

interface Line {
  readonly key: string;
  readonly kind: 'customer' | 'agent' | 'note';
  readonly who: string;
  readonly text: string;
  readonly order: number;
}

export class ChatWatch extends LightElement {
  static override properties = { chatId: { attribute: false }, lines: { state: true }, ended: { state: true }, agent: { state: true }, error: { state: true } };
  declare chatId: string;
  declare lines: readonly Line[];
  declare ended: boolean;
  declare agent: string;
  declare error: string;
  private ws: WebSocket | null = null;
  private watched = '';
  private sent = 0;

  constructor() {
    super();
    this.chatId = '';
    this.lines = [];
    this.ended = false;
    this.agent = '';
    this.error = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.ws?.close();
    this.ws = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('chatId') || this.chatId === this.watched) return;
    if (this.watched && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'unwatch', chatId: this.watched }));
    this.watched = this.chatId;
    this.lines = [];
    this.ended = false;
    this.error = '';
    if (!this.ws) this.open();
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'watch', chatId: this.chatId }));
  }

  private open(): void {
    const ws = new WebSocket(socketUrl('/ws/chat/watch'));
    this.ws = ws;
    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'watch', chatId: this.watched })));
    ws.addEventListener('message', (m) => {
      let f: Record<string, unknown>;
      try {
        f = JSON.parse(String(m.data)) as Record<string, unknown>;
      } catch {
        return;
      }
      this.frame(f);
    });
    ws.addEventListener('close', () => {
      if (this.ws === ws) this.ws = null;
    });
  }

  private add(line: Line): void {
    if (this.lines.some((l) => l.key === line.key)) return;
    this.lines = [...this.lines, line].sort((a, b) => a.order - b.order);
  }

  private message(m: Record<string, unknown>): void {
    const from = m['from'] === 'agent' ? 'agent' : 'customer';
    this.add({ key: `m${String(m['seq'])}`, kind: from, who: from === 'agent' ? String(m['agentId'] ?? this.agent) : t('chat.customer'), text: String(m['text'] ?? ''), order: Number(m['at']) || 0 });
  }

  private note(n: Record<string, unknown>): void {
    this.add({ key: `n${String(n['id'])}`, kind: 'note', who: String(n['from'] ?? ''), text: String(n['text'] ?? ''), order: Number(n['at']) || 0 });
  }

  private frame(f: Record<string, unknown>): void {
    if (f['chatId'] !== undefined && f['chatId'] !== this.watched) return;
    switch (f['type']) {
      case 'watching': {
        const chat = f['chat'] as { agentId?: string | null } | null;
        this.agent = chat?.agentId ?? '';
        for (const m of (f['transcript'] ?? []) as Record<string, unknown>[]) this.message(m);
        for (const n of (f['notes'] ?? []) as Record<string, unknown>[]) this.note(n);
        return;
      }
      case 'message':
        this.message(f);
        if (f['from'] === 'customer') announce(`${t('chat.customer')}: ${String(f['text'] ?? '')}`);
        return;
      case 'note':
        this.note(f);
        return;
      case 'connected':
        this.agent = String(f['agentId'] ?? '');
        return;
      case 'noted':
        announce(t('notes.sent'));
        return;
      case 'ended':
        this.ended = true;
        announce(t('chat.ended'));
        return;
      case 'error':
        this.error = String(f['message'] ?? t('error'));
        return;
      default:
    }
  }

  private send(ev: Event): void {
    ev.preventDefault();
    const input = this.querySelector<HTMLTextAreaElement>('#watch-note');
    const text = input?.value.trim() ?? '';
    if (!text || !input) return;
    if (this.ws?.readyState !== WebSocket.OPEN) {
      this.error = t('chat.offline');
      return;
    }
    this.ws.send(JSON.stringify({ type: 'note', chatId: this.watched, text, clientId: `w${++this.sent}` }));
    input.value = '';
  }

  protected override render(): TemplateResult {
    return html`<section id="chat-watch" class="panel" aria-labelledby="chat-watch-title">
      <h2 id="chat-watch-title">${t('quality.watching')}${this.agent ? ` · ${this.agent}` : ''}</h2>
      ${this.error ? html`<p class="field-error" role="alert" id="chat-watch-error">${this.error}</p>` : nothing}
      <ol id="watch-log" class="chat-log" aria-live="polite" aria-label=${t('chat.transcript')} tabindex="0">
        ${this.lines.map((l) => html`<li class=${l.kind === 'note' ? 'chat-note' : `chat-${l.kind}`}>${l.kind === 'note' ? html`<span class="badge">${t('notes.privateBadge')}</span> ` : nothing}<strong>${l.kind === 'note' ? t('notes.privateFrom', { name: l.who }) : l.who}: </strong><span>${l.text}</span></li>`)}
        ${this.ended ? html`<li class="muted">${t('chat.ended')}</li>` : nothing}
      </ol>
      ${this.ended ? nothing : html`<form id="watch-note-form" @submit=${(ev: Event) => this.send(ev)}>
        <label for="watch-note">${t('notes.privateTo', { agent: this.agent || t('quality.agent') })}</label>
        <textarea id="watch-note" rows="2" maxlength="2000" required></textarea>
        <p class="muted">${t('notes.privateHint')}</p>
        <div class="bar"><button type="submit" id="btn-watch-note">${t('notes.send')}</button>
          <button type="button" class="secondary" id="btn-watch-close" @click=${() => this.dispatchEvent(new CustomEvent('closed'))}>${t('quality.unwatch')}</button></div>
      </form>`}
    </section>`;
  }
}
customElements.define('caruso-chat-watch', ChatWatch);
