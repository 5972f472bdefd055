// WebSockets for tests (and the examples' tests): open on loopback with a session, wait for frames with a bound.
import { WebSocket } from 'ws';

/** A logged-in client whose session cookie the socket sends (ApiClient is one). */
export interface CookieClient {
  cookieHeader(): string;
}

/** A frame received on a test socket. */
export type Frame = Readonly<Record<string, unknown>> & { readonly type: string };

/** An open test socket with a bounded wait for frames. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly seen: Frame[];
  /** The first frame (already seen or coming) that matches; rejects after `timeoutMs` (default 5 s). */
  next(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  send(frame: object): void;
  close(): Promise<void>;
}

/**
 * Opens a WebSocket on 127.0.0.1, with the client's session cookie when one is given; resolves with
 * the socket, or with the HTTP status the server refused the upgrade with.
 */
export function openSocket(url: string, client?: CookieClient, headers: Record<string, string> = {}): Promise<TestSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers: { ...(client ? { cookie: client.cookieHeader() } : {}), ...headers } });
    const seen: Frame[] = [];
    const waiters: { pred: (f: Frame) => boolean; done: (f: Frame) => void }[] = [];
    ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString()) as Frame;
      seen.push(f);
      for (const w of [...waiters]) {
        if (w.pred(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.done(f);
        }
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('error', (err) => reject(err));
    ws.on('open', () =>
      resolve({
        ws,
        seen,
        next: (pred, timeoutMs = 5_000) => {
          const f = seen.find(pred);
          if (f) return Promise.resolve(f);
          return new Promise((done, fail) => {
            const timer = setTimeout(() => {
              waiters.splice(waiters.findIndex((w) => w.done === finish), 1);
              fail(new Error(`no matching frame in ${timeoutMs} ms; seen: ${JSON.stringify(seen).slice(0, 500)}`));
            }, timeoutMs);
            const finish = (x: Frame): void => {
              clearTimeout(timer);
              done(x);
            };
            waiters.push({ pred, done: finish });
          });
        },
        send: (frame) => ws.send(JSON.stringify(frame)),
        close: () =>
          new Promise<void>((done) => {
            if (ws.readyState === ws.CLOSED) return done();
            ws.once('close', () => done());
            ws.close();
          }),
      }),
    );
  });
}

/** The socket, or a failed test naming the refusal status. */
export async function mustOpen(url: string, client?: CookieClient, headers?: Record<string, string>): Promise<TestSocket> {
  const s = await openSocket(url, client, headers);
  if (typeof s === 'number') throw new Error(`the socket ${url} was refused with ${s}`);
  return s;
}
