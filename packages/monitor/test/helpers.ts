import { WebSocket } from 'ws';
import { applyPatch, type ServerMessage } from '@caruso/monitor';

/** A real WebSocket client that keeps every message and the topic values it rebuilt from them. */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly values = new Map<string, unknown>();
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(m);
      if (m.type === 'snapshot') this.values.set(m.topic, m.value);
      if (m.type === 'change') this.values.set(m.topic, applyPatch(this.values.get(m.topic), m.ops));
      for (const w of this.waiters) w();
    });
  }

  static async connect(url: string, token?: string): Promise<TestClient> {
    const ws = new WebSocket(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    // Listen before 'open': the first message may arrive in the same packet as the upgrade answer.
    const c = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await c.until((m) => m.some((x) => x.type === 'hello'));
    return c;
  }

  /** Refused connections: the HTTP status and JSON body. */
  static async refused(url: string, token?: string): Promise<{ status: number; body: { code: string } }> {
    const ws = new WebSocket(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => reject(new Error('connection was accepted')));
      ws.once('error', () => undefined);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += String(d)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as { code: string } }));
      });
    });
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** Waits (at most `ms`) until `pred` holds over the messages received. */
  async until(pred: (m: ServerMessage[]) => boolean, ms = 5_000): Promise<void> {
    if (pred(this.messages)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out; last messages: ${JSON.stringify(this.messages.slice(-3)).slice(0, 600)}`));
      }, ms);
      const check = (): void => {
        if (!pred(this.messages)) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
