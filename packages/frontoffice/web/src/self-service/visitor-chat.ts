/** A visitor's chat with an agent: the chat channel's protocol over the socket the hand-off names. */
import { html, type TemplateResult } from 'lit';
import { announce, fail, socketUrl } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';

/** What the hand-off answers: the socket path and the chat-session token its first frame carries. */
export interface VisitorChatTicket {
  readonly socket: string;
  readonly token: string;
}

interface Line {
  readonly seq: number;
  readonly from: string;
  readonly text: string;
}

type ChatFrame =
  | { readonly type: 'welcome'; readonly transcript: readonly Line[] }
  | ({ readonly type: 'message' } & Line)
  | { readonly type: 'sent'; readonly clientId: string; readonly seq: number }
  | { readonly type: 'connected' | 'ended' }
  | { readonly type: 'error'; readonly message: string };

export class VisitorChat extends LightElement {
  static override properties = { lines: { state: true }, ended: { state: true } };
  declare private lines: readonly Line[];
  declare private ended: boolean;

  ticket!: VisitorChatTicket;
  onStatus: (text: string) => void = () => undefined;

  private ws: WebSocket | undefined;
  private readonly seen = new Set<number>();
  /** The visitor's own messages until the hub acknowledges them (`sent`). */
  private readonly pending = new Map<string, string>();
  private sent = 0;

  constructor() {
    super();
    this.lines = [];
    this.ended = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const ws = new WebSocket(socketUrl(this.ticket.socket));
    this.ws = ws;
    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'auth', token: this.ticket.token })));
    ws.addEventListener('message', (m: MessageEvent<string>) => this.receive(JSON.parse(m.data) as ChatFrame));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.ws?.close();
  }

  private line(m: Line): void {
    if (this.seen.has(m.seq)) return;
    this.seen.add(m.seq);
    this.lines = [...this.lines, m];
  }

  private receive(f: ChatFrame): void {
    if (f.type === 'welcome') for (const x of f.transcript) this.line(x);
    else if (f.type === 'message') this.line(f);
    else if (f.type === 'sent') {
      const text = this.pending.get(f.clientId);
      if (text === undefined) return;
      this.line({ seq: f.seq, from: 'customer', text });
      this.pending.delete(f.clientId);
    } else if (f.type === 'connected') {
      this.onStatus(t('chat.agentJoined'));
      announce(t('chat.agentJoined'));
    } else if (f.type === 'ended') {
      this.onStatus(t('chat.ended'));
      this.ended = true;
      announce(t('chat.ended'));
    } else if (f.type === 'error') fail(new Error(f.message));
  }

  private readonly submit = (ev: SubmitEvent): void => {
    ev.preventDefault();
    const input = this.querySelector('#ss-chat-text') as HTMLInputElement;
    if (!input.value.trim() || !this.ws) return;
    const clientId = `c${++this.sent}`;
    this.pending.set(clientId, input.value);
    this.ws.send(JSON.stringify({ type: 'message', text: input.value, clientId }));
    input.value = '';
  };

  private readonly leave = (): void => {
    this.ws?.send(JSON.stringify({ type: 'leave' }));
  };

  protected override render(): TemplateResult {
    const items = this.lines.map((m) => html`<li class=${`chat-${m.from === 'customer' ? 'agent' : 'customer'}`}><strong>${m.from === 'customer' ? t('chat.you') : t('chat.agent')}: </strong><span>${m.text}</span></li>`);
    return html`<ol id="ss-chat-log" class="chat-log" aria-live="polite" aria-label=${t('chat.transcript')}>${items}</ol><form id="ss-chat-form" @submit=${this.submit}><label for="ss-chat-text">${t('chat.message')}</label><div class="bar"><input id="ss-chat-text" maxlength="4000" autocomplete="off" ?disabled=${this.ended}><button type="submit" id="ss-chat-send" ?disabled=${this.ended}>${t('chat.send')}</button></div></form><p><button type="button" class="secondary" id="ss-chat-end" ?disabled=${this.ended} @click=${this.leave}>${t('chat.end')}</button></p>`;
  }

  protected override firstUpdated(): void {
    (this.querySelector('#ss-chat-text') as HTMLInputElement).focus();
  }
}
customElements.define('caruso-visitor-chat', VisitorChat);
