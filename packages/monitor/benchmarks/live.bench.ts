// Events per second folded into the live figures while 200 WebSocket subscribers on loopback receive
// the changes: a paced run at the goal rate (delivery delay p99), and the fastest rate with and
// without the subscribers (the peer: folding alone).
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { type ContactEventInput } from '@caruso/comms';
import { InMemoryContactEventLog } from '@caruso/comms/testing';
import { AccessList } from '@caruso/kernel';
import { defineBenchmark, quantile, type BenchFigure } from '@caruso/kernel/testing';
import { singleRun } from '../../../benchmarks/support/rounds.js';
import { MonitorRuntime, type ServerMessage } from '@caruso/monitor';

const SUBSCRIBERS = 200;
const QUEUES = 10;
const AGENTS = 100;
const TOKEN = 'benchmark-supervisor-token';

/** An endless, plausible stream: contacts enter, are answered, completed and wrapped up; agents change state. */
function* stream(): Generator<ContactEventInput> {
  let t = Date.UTC(2025, 0, 6, 8);
  for (let i = 0; ; i++) {
    t += 20;
    const q = `q${i % QUEUES}`;
    const a = `a${i % AGENTS}`;
    const c = `c${i}`;
    yield { kind: 'queue-entered', at: t, contactId: c, queueId: q, channel: 'call' };
    yield { kind: 'connected', at: t + 5, contactId: c, queueId: q, agentId: a, channel: 'call', waitMs: 5_000 + (i % 40) * 1000 };
    yield { kind: 'agent-state-changed', at: t + 5, agentId: a, state: 'busy', fromState: 'ready' };
    yield { kind: 'completed', at: t + 10, contactId: c, queueId: q, agentId: a, channel: 'call', reason: 'agent', talkMs: 120_000, holdMs: 0 };
    yield { kind: 'agent-state-changed', at: t + 10, agentId: a, state: 'ready', fromState: 'busy' };
  }
}

interface Setup {
  log: InMemoryContactEventLog;
  monitor: MonitorRuntime;
  clients: WebSocket[];
  appendedAt: Map<number, number>;
  delays: number[];
  received: () => number;
  close(): Promise<void>;
}

async function setUp(subscribers: number): Promise<Setup> {
  const log = new InMemoryContactEventLog({ keep: false });
  const monitor = new MonitorRuntime(log, undefined, { batchMs: 50, agentGroups: {} });
  await monitor.start();
  const listener = await monitor.listen({ port: 0, accessList: new AccessList([{ principal: 'sup', secret: TOKEN, call: ['caruso.monitor'] }]) });
  const appendedAt = new Map<number, number>();
  const delays: number[] = [];
  let received = 0;
  const clients: WebSocket[] = [];
  for (let i = 0; i < subscribers; i++) {
    const ws = new WebSocket(listener.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      if (m.type !== 'change') return;
      received++;
      const sent = appendedAt.get(m.fromSeq);
      if (sent !== undefined) delays.push(performance.now() - sent);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'center' }));
    ws.send(JSON.stringify({ type: 'subscribe', topic: `queue:q${i % QUEUES}` }));
    clients.push(ws);
  }
  await new Promise((r) => setTimeout(r, 200));
  return {
    log,
    monitor,
    clients,
    appendedAt,
    delays,
    received: () => received,
    close: async () => {
      for (const c of clients) c.terminate();
      await listener.close();
      await monitor.dispose();
    },
  };
}

/** Appends `rate` events per second for `seconds`, in slices every 10 ms. */
async function paced(s: Setup, rate: number, seconds: number): Promise<number> {
  const gen = stream();
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (sent < due) {
      const e = s.log.append(gen.next().value as ContactEventInput);
      s.appendedAt.set(e.seq, performance.now());
      sent++;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 300));
  return sent / ((performance.now() - t0 - 300) / 1000);
}

/** Appends as fast as the loop allows (slices of 500 events, yielding between them) for `seconds`. */
async function flat(s: Setup, seconds: number): Promise<number> {
  const gen = stream();
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < seconds * 1000) {
    for (let k = 0; k < 500; k++) {
      s.log.append(gen.next().value as ContactEventInput);
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  return sent / ((performance.now() - t0) / 1000);
}

export default defineBenchmark({
  id: 'monitor.live',
  title: 'Monitor: events folded into live figures while 200 WebSocket subscribers receive them (loopback)',
  async run(): Promise<BenchFigure[]> {
    const withSubs = await setUp(SUBSCRIBERS);
    const rate = await paced(withSubs, 5_000, 4);
    const p99 = quantile(withSubs.delays, 0.99);
    const p50 = quantile(withSubs.delays, 0.5);
    const messages = withSubs.received();
    const maxWith = await flat(withSubs, 3);
    const lagging = withSubs.monitor.publisher.stats.lagging;
    await withSubs.close();
    const alone = await setUp(0);
    const maxAlone = await flat(alone, 3);
    await alone.close();
    // One paced run and one flat-out run per side: labelled single runs.
    const figures: BenchFigure[] = [
      {
        name: 'paced 5,000 events/s, 200 subscribers: delivery delay p99',
        value: Math.round(p99 * 10) / 10,
        unit: 'ms',
        goal: '5,000 events/s with p99 < 100 ms',
        met: rate >= 4_900 && p99 < 100,
        note: `achieved ${Math.round(rate)} events/s, p50 ${Math.round(p50 * 10) / 10} ms, ${messages} patches received (batches of 50 ms)`,
      },
      {
        name: 'fastest fold rate with 200 subscribers',
        value: Math.round(maxWith),
        unit: 'events/s',
        peer: { name: 'folding alone, no subscriber', value: Math.round(maxAlone) },
        goal: '≥ 5,000 events/s',
        met: maxWith >= 5_000,
        note: `${lagging} slow subscribers at the end (they get a fresh snapshot once drained)`,
      },
    ];
    return figures.map(singleRun);
  },
});
