// Remote calls per second over one loopback WebSocket connection, with latency percentiles,
// next to a bare ws echo (same payload, same concurrency) as the peer: the median of 5 interleaved
// rounds with its spread (benchmarks/support/rounds.ts).
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import { AccessList, connectServiceManager, createServiceManager, createToken, RemoteEndpoint } from '@caruso/kernel';
import { defineBenchmark } from '@caruso/kernel/testing';
import { interleavedRounds, quantileOf, roundsFigure } from '../../../benchmarks/support/rounds.js';

interface Echo {
  echo(x: number): number;
}
const Echo = createToken<Echo>('bench.Echo');
const SECRET = 'bench-secret-0123456789';
const CONCURRENCY = 32;
const CALLS = 40_000;
const ROUNDS = 5;

async function runClosedLoop(call: () => Promise<unknown>): Promise<{ rate: number; latencies: number[] }> {
  const latencies: number[] = [];
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < CALLS) {
        issued++;
        const s = performance.now();
        await call();
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { rate: CALLS / ((performance.now() - t0) / 1000), latencies };
}

export default defineBenchmark({
  id: 'kernel.remote',
  title: 'Service manager: remote calls over one loopback WebSocket',
  async run() {
    const sm = createServiceManager();
    sm.register(Echo, { version: '1.0.0', create: () => ({ echo: (x: number) => x }) });
    await sm.start();
    const endpoint = await RemoteEndpoint.listen(sm, { port: 0, accessList: new AccessList([{ principal: 'bench', secret: SECRET, lookup: ['*'], call: ['*'] }]) });
    const client = await connectServiceManager(endpoint.url, { accessToken: SECRET });
    const echo = await client.get(Echo);

    // Peer: a bare ws echo server answering the same JSON-RPC-shaped messages without any RPC layer.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (s) => s.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id: number; params: { args: number[] } };
      s.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: m.params.args[0] }));
    }));
    const port = (wss.address() as { port: number }).port;
    const raw = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((r) => raw.once('open', r));
    const waiting = new Map<number, () => void>();
    raw.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id: number };
      waiting.get(m.id)?.();
      waiting.delete(m.id);
    });
    let nextId = 1;
    const rawCall = () =>
      new Promise<void>((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        raw.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'call', params: { token: 'bench.Echo', method: 'echo', args: [id] } }));
      });

    let i = 0;
    const r = await interleavedRounds(ROUNDS, {
      caruso: async () => {
        const a = await runClosedLoop(() => echo.echo(i++));
        return { rate: a.rate, p50: quantileOf(a.latencies, 0.5), p99: quantileOf(a.latencies, 0.99) };
      },
      ws: async () => {
        const a = await runClosedLoop(rawCall);
        return { rate: a.rate, p50: quantileOf(a.latencies, 0.5), p99: quantileOf(a.latencies, 0.99) };
      },
    });
    raw.close();
    await new Promise((res) => wss.close(res));
    await client.close();
    await endpoint.close();
    await sm.stop();
    const c = r.caruso;
    return [
      roundsFigure({
        name: `remote calls/s (${CONCURRENCY} in flight)`,
        unit: 'calls/s',
        rounds: c.rate,
        peer: { name: 'bare ws JSON echo', rounds: r.ws.rate },
        goal: '≥ 20,000 calls/s',
        met: c.rate.median >= 20_000,
        note: `latency p50 ${c.p50.median.toFixed(2)} ms (${c.p50.min.toFixed(2)}–${c.p50.max.toFixed(2)}), p99 ${c.p99.median.toFixed(2)} ms (${c.p99.min.toFixed(2)}–${c.p99.max.toFixed(2)}); bare ws p99 ${r.ws.p99.median.toFixed(2)} ms`,
      }),
    ];
  },
});
