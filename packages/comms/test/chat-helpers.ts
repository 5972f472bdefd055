import { WebSocket } from 'ws';

/** A real WebSocket client on loopback that records every frame it receives. */
export interface ChatClient {
  readonly frames: Record<string, unknown>[];
  send(frame: object): void;
  /** Waits (bounded) for a frame matching `pred` that arrived after `from` frames, and returns it. */
  next(pred: (f: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  close(): void;
}

export async function connect(port: number, path: string, token?: string): Promise<ChatClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (token !== undefined) ws.send(JSON.stringify({ type: 'auth', token }));
  let seen = 0;
  return {
    frames,
    send: (f) => ws.send(JSON.stringify(f)),
    async next(pred, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = frames.findIndex((f, idx) => idx >= seen && pred(f));
        if (i >= 0) {
          seen = i + 1;
          return frames[i]!;
        }
        if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(frames.slice(seen))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    closed,
    close: () => ws.close(),
  };
}
