/**
 * The agent's connection to the chat channel's hub (/ws/chat): one socket for all the agent's chats,
 * opened again when it drops. Frames are handed to the chat panel of their chat; the agent's own
 * messages are shown once the hub acknowledged them (`sent`).
 */
import { socketUrl } from '../shared/dom.js';

export interface ChatFrame {
  readonly type: string;
  readonly chatId?: string;
  readonly [key: string]: unknown;
}

type Listener = (f: ChatFrame) => void;

export class ChatConnection {
  private ws: WebSocket | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private retry: number | undefined;
  private attempts = 0;
  private closed = false;
  private sent = 0;
  /** Texts sent and not yet acknowledged, by client id. */
  readonly pending = new Map<string, { chatId: string; text: string }>();

  constructor(private readonly onOpen: () => void = () => undefined) {}

  get live(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  open(): void {
    this.closed = false;
    const ws = new WebSocket(socketUrl('/ws/chat'));
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.attempts = 0;
      this.onOpen();
    });
    ws.addEventListener('message', (m) => {
      let f: ChatFrame;
      try {
        f = JSON.parse(String(m.data)) as ChatFrame;
      } catch {
        return;
      }
      const chatId = typeof f.chatId === 'string' ? f.chatId : '';
      if (f.type === 'sent' && typeof f['clientId'] === 'string') {
        const p = this.pending.get(f['clientId']);
        this.pending.delete(f['clientId']);
        if (p) for (const l of this.listeners.get(p.chatId) ?? []) l({ type: 'message', chatId: p.chatId, seq: f['seq'], from: 'agent', text: p.text });
        return;
      }
      for (const l of this.listeners.get(chatId) ?? []) l(f);
      if (f.type === 'error') for (const l of this.listeners.get('*') ?? []) l(f);
    });
    const lost = (): void => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      const delay = Math.min(5000, 250 * 2 ** this.attempts);
      this.attempts += 1;
      window.clearTimeout(this.retry);
      this.retry = window.setTimeout(() => this.open(), delay);
    };
    ws.addEventListener('close', lost);
    ws.addEventListener('error', lost);
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.retry);
    this.ws?.close();
  }

  /** Follows the frames of one chat (`*`: errors of any); returns the way to stop. */
  on(chatId: string, l: Listener): () => void {
    const set = this.listeners.get(chatId) ?? new Set<Listener>();
    set.add(l);
    this.listeners.set(chatId, set);
    return () => set.delete(l);
  }

  /** Sends a message of the agent; false when the socket is not open. */
  say(chatId: string, text: string): boolean {
    if (!this.live) return false;
    const clientId = `a${++this.sent}`;
    this.pending.set(clientId, { chatId, text });
    this.ws!.send(JSON.stringify({ type: 'message', chatId, text, clientId }));
    return true;
  }

  send(frame: Record<string, unknown>): boolean {
    if (!this.live) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }
}
