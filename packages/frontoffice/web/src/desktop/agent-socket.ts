/**
 * The desktop's presence on /ws/agent: a ping every `heartbeatMs` (the server answers `pong`; an agent
 * whose last desktop socket is gone is paused `disconnected`), and every frame the server pushes
 * (`desktop-changed`, and the older `offer`, `withdrawn`, `state`, `hello`) makes the store read the
 * desktop again. A socket that closes or stays silent is opened again, sooner first, then every few
 * seconds; each time it opens the desktop is read again (what happened meanwhile is on the server).
 */
import { socketUrl } from '../shared/dom.js';

export interface AgentSocketOptions {
  /** Something on the desktop may have changed: read it again. */
  readonly onChange: () => void;
  /** The socket opened (true) or is gone and being opened again (false). */
  readonly onLink: (up: boolean) => void;
  /** The heartbeat interval (from the desktop state; 10 s until it is known). */
  readonly heartbeatMs: () => number;
}

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];

export class AgentSocket {
  private ws: WebSocket | null = null;
  private heartbeat: number | undefined;
  private retry: number | undefined;
  private attempts = 0;
  private lastHeard = 0;
  private closed = false;

  constructor(private readonly options: AgentSocketOptions) {}

  open(): void {
    this.closed = false;
    const ws = new WebSocket(socketUrl('/ws/agent'));
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.attempts = 0;
      this.lastHeard = Date.now();
      this.options.onLink(true);
      this.options.onChange();
      this.beat();
    });
    ws.addEventListener('message', (m) => {
      this.lastHeard = Date.now();
      let frame: { type?: unknown };
      try {
        frame = JSON.parse(String(m.data)) as { type?: unknown };
      } catch {
        return;
      }
      if (frame.type === 'pong') return;
      this.options.onChange();
    });
    ws.addEventListener('close', () => this.lost(ws));
    ws.addEventListener('error', () => this.lost(ws));
  }

  /** Closes the socket for good (the page goes away). */
  close(): void {
    this.closed = true;
    window.clearInterval(this.heartbeat);
    window.clearTimeout(this.retry);
    this.ws?.close();
  }

  /** Drops the socket as a lost network would (the shift test uses it through the page). */
  drop(): void {
    this.ws?.close();
  }

  private beat(): void {
    window.clearInterval(this.heartbeat);
    const every = Math.max(1000, this.options.heartbeatMs());
    this.heartbeat = window.setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      // Two beats without a word from the server: the socket is dead even if the browser thinks not.
      if (Date.now() - this.lastHeard > every * 2 + 1000) {
        ws.close();
        this.lost(ws);
        return;
      }
      ws.send(JSON.stringify({ type: 'ping' }));
    }, every);
  }

  private lost(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    window.clearInterval(this.heartbeat);
    if (this.closed) return;
    this.options.onLink(false);
    const delay = BACKOFF_MS[Math.min(this.attempts, BACKOFF_MS.length - 1)]!;
    this.attempts += 1;
    window.clearTimeout(this.retry);
    // Reading the desktop meanwhile also finds an expired session (401: to the log-in page).
    this.options.onChange();
    this.retry = window.setTimeout(() => this.open(), delay);
  }
}
