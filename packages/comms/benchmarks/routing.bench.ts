// Routing decision latency of QueueRouter.enqueue at 10, 100, 1,000 and 10,000 agents (4 queues with
// skills, each agent in 2, four ordered strategies, a quarter of the agents busy), next to a straightforward sorted-array ACD
// doing the same offer work (the peer), and to the router's own reference scan of every available
// agent (what the router did before its index), in interleaved rounds.
import { performance } from 'node:perf_hooks';
import { VirtualClock, seededRandom, type ContactEventInput, type Offer, type RoutingStrategy, type Timer } from '@caruso/comms';
import { QueueRouter } from '@caruso/comms/testing';
import { defineBenchmark } from '@caruso/kernel/testing';
import { interleavedRounds, quantileOf, roundsFigure, type RoundsFigure } from '../../../benchmarks/support/rounds.js';

// CARUSO_ROUTING_BENCH_SIZES: the agent counts (default 10,100,1000,10000), e.g. one size to profile.
const SIZES = (process.env['CARUSO_ROUTING_BENCH_SIZES'] ?? '10,100,1000,10000').split(',').filter(Boolean).map(Number);
const QUEUES = 4;
const QUEUES_PER_AGENT = 2;
const SKILLS = ['nl', 'fr', 'de', 'en', 'billing', 'tech'];
const STRATEGIES: RoutingStrategy[] = ['longest-idle', 'least-recent', 'fewest-contacts', 'round-robin'];
const STEPS = 4_000;
const ROUNDS = 3;

interface AgentSpec {
  readonly id: string;
  readonly skills: Record<string, number>;
  readonly queues: number[];
}

function agentsOf(n: number, seed: number): AgentSpec[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, (_, a) => {
    const queues = new Set<number>();
    while (queues.size < Math.min(QUEUES_PER_AGENT, QUEUES)) queues.add(Math.floor(rng() * QUEUES));
    const skills: Record<string, number> = {};
    for (const s of SKILLS) skills[s] = 1 + Math.floor(rng() * 5);
    return { id: `a${a}`, skills, queues: [...queues] };
  });
}
const required = (q: number): { skill: string; minLevel: number } => ({ skill: SKILLS[q % SKILLS.length]!, minLevel: 1 + (q % 3) });

/** One subject of the comparison: takes a call into a queue and offers it; the caller answers and completes. */
interface Acd {
  /** Enqueues a call; returns the offer's id, or undefined when no agent was free. */
  enqueue(queue: number): string | undefined;
  accept(offerId: string): string;
  complete(contactId: string): void;
  abandonLast(): void;
  tick(): void;
}

function routerAcd(agents: readonly AgentSpec[], scanRouting: boolean): Acd {
  const clock = new VirtualClock();
  let events = 0;
  const router = new QueueRouter({ clock, random: seededRandom(7), idPrefix: 'b', scanRouting, events: { append: (e) => ({ ...e, seq: ++events }) } });
  for (let q = 0; q < QUEUES; q++) router.addQueue({ id: `q${q}`, strategy: STRATEGIES[q % STRATEGIES.length]!, requiredSkills: [required(q)] });
  for (const a of agents) router.addAgent({ id: a.id, skills: a.skills, queues: a.queues.map((q) => ({ queueId: `q${q}` })) });
  for (const a of agents) router.login(a.id);
  let last: Offer | undefined;
  let lastContact = '';
  router.onDidOffer((o) => (last = o));
  return {
    enqueue(queue) {
      last = undefined;
      lastContact = router.enqueue({ channel: 'call', queueId: `q${queue}` }).id;
      return last ? (last as Offer).offerId : undefined;
    },
    accept(offerId) {
      router.accept(offerId);
      return lastContact;
    },
    complete: (id) => router.complete(id),
    abandonLast: () => router.abandon(lastContact),
    tick: () => clock.advance(1),
  };
}

interface PeerAgent {
  readonly id: string;
  readonly seq: number;
  readonly skills: ReadonlyMap<string, number>;
  readonly queues: number[];
  idleSince: number;
  available: boolean;
}

/**
 * The peer: per queue, a sorted array of the available agents that have its skills (idle longest
 * first), kept by binary insertion; an enqueue takes the head, makes the offer (record, ring timer,
 * events) and takes the agent out of all its queues' arrays; a completion puts the agent back.
 */
function sortedArrayAcd(agents: readonly AgentSpec[]): Acd {
  const clock = new VirtualClock();
  const log: ContactEventInput[] = [];
  const emit = (e: ContactEventInput): void => {
    log.push(e);
    if (log.length > 1024) log.length = 0;
  };
  const before = (a: PeerAgent, b: PeerAgent): boolean => a.idleSince < b.idleSince || (a.idleSince === b.idleSince && a.seq < b.seq);
  const lists: PeerAgent[][] = Array.from({ length: QUEUES }, () => []);
  const fitsQueue = (a: PeerAgent, q: number): boolean => (a.skills.get(required(q).skill) ?? 0) >= required(q).minLevel;
  const position = (list: PeerAgent[], a: PeerAgent): number => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(list[mid]!, a)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const insert = (a: PeerAgent): void => {
    a.available = true;
    for (const q of a.queues) if (fitsQueue(a, q)) lists[q]!.splice(position(lists[q]!, a), 0, a);
  };
  const remove = (a: PeerAgent): void => {
    a.available = false;
    for (const q of a.queues) {
      if (!fitsQueue(a, q)) continue;
      const list = lists[q]!;
      const i = position(list, a);
      if (list[i] === a) list.splice(i, 1);
    }
  };
  const peers = agents.map((a, i): PeerAgent => ({ id: a.id, seq: i, skills: new Map(Object.entries(a.skills)), queues: a.queues, idleSince: clock.now(), available: false }));
  for (const a of peers) insert(a);
  const offers = new Map<string, { readonly contactId: string; readonly queue: number; readonly agent: PeerAgent; readonly timer: Timer }>();
  const connected = new Map<string, { readonly queue: number; readonly agent: PeerAgent }>();
  let seq = 0;
  let lastContact = '';
  return {
    enqueue(queue) {
      const contactId = `p${++seq}`;
      lastContact = contactId;
      const now = clock.now();
      emit({ kind: 'queue-entered', at: now, contactId, queueId: `q${queue}`, channel: 'call', direction: 'inbound', priority: 0 });
      const agent = lists[queue]![0];
      if (!agent) return undefined;
      remove(agent);
      const offerId = `${contactId}#${seq}`;
      const timer = clock.setTimer(20_000, () => offers.delete(offerId));
      offers.set(offerId, { contactId, queue, agent, timer });
      emit({ kind: 'offered', at: now, contactId, queueId: `q${queue}`, agentId: agent.id, channel: 'call' });
      emit({ kind: 'agent-state-changed', at: now, agentId: agent.id, state: 'reserved', fromState: 'ready' });
      return offerId;
    },
    accept(offerId) {
      const o = offers.get(offerId)!;
      offers.delete(offerId);
      o.timer.dispose();
      connected.set(o.contactId, { queue: o.queue, agent: o.agent });
      const now = clock.now();
      emit({ kind: 'connected', at: now, contactId: o.contactId, queueId: `q${o.queue}`, agentId: o.agent.id, channel: 'call', waitMs: 0 });
      emit({ kind: 'agent-state-changed', at: now, agentId: o.agent.id, state: 'busy', fromState: 'reserved' });
      return o.contactId;
    },
    complete(contactId) {
      const c = connected.get(contactId)!;
      connected.delete(contactId);
      const now = clock.now();
      emit({ kind: 'completed', at: now, contactId, queueId: `q${c.queue}`, agentId: c.agent.id, channel: 'call', reason: 'agent' });
      emit({ kind: 'agent-state-changed', at: now, agentId: c.agent.id, state: 'ready', fromState: 'busy' });
      c.agent.idleSince = now;
      insert(c.agent);
    },
    abandonLast() {
      emit({ kind: 'abandoned', at: clock.now(), contactId: lastContact, queueId: 'q', channel: 'call', waitMs: 0 });
    },
    tick: () => clock.advance(1),
  };
}

/** Drives an ACD with a quarter of its agents busy; returns the enqueue latencies (µs) of `steps` calls, and the share offered. */
function drive(acd: Acd, agents: number, steps: number, seed: number): { p50: number; p99: number; offered: number } {
  const rng = seededRandom(seed);
  const busy: string[] = [];
  let head = 0;
  let offered = 0;
  const step = (timed: boolean): number => {
    const queue = Math.floor(rng() * QUEUES);
    const t0 = timed ? performance.now() : 0;
    const offer = acd.enqueue(queue);
    const us = timed ? (performance.now() - t0) * 1000 : 0;
    if (offer) {
      busy.push(acd.accept(offer));
      if (timed) offered++;
    } else acd.abandonLast();
    // Keep a quarter of the agents busy: the longest connected call ends.
    while (busy.length - head > agents / 4) acd.complete(busy[head++]!);
    acd.tick();
    return us;
  };
  for (let i = 0; i < Math.max(agents, 200); i++) step(false);
  const samples = new Float64Array(steps);
  for (let i = 0; i < steps; i++) samples[i] = step(true);
  return { p50: quantileOf(samples as unknown as number[], 0.5), p99: quantileOf(samples as unknown as number[], 0.99), offered: offered / steps };
}

export default defineBenchmark({
  id: 'comms.routing',
  title: 'Communication server: enqueue-to-offer latency by number of agents (4 queues with skills, ordered strategies)',
  async run() {
    const figures: RoundsFigure[] = [];
    for (const n of SIZES) {
      const agents = agentsOf(n, 42);
      const subjects = { router: routerAcd(agents, false), peer: sortedArrayAcd(agents), scan: routerAcd(agents, true) };
      const r = await interleavedRounds(ROUNDS, {
        router: (round: number) => drive(subjects.router, n, STEPS, 1000 * round + 1),
        peer: (round: number) => drive(subjects.peer, n, STEPS, 1000 * round + 1),
        scan: (round: number) => drive(subjects.scan, n, STEPS, 1000 * round + 1),
      });
      const scanNote = (k: 'p50' | 'p99'): string => `router before its index (scan of every available agent, same run): ${r.scan[k].median.toFixed(1)} µs (${r.scan[k].min.toFixed(1)}–${r.scan[k].max.toFixed(1)})`;
      const label = n.toLocaleString('en-US');
      figures.push(
        roundsFigure({ name: `enqueue p50, ${label} agents`, unit: 'µs', rounds: r.router.p50, peer: { name: 'sorted-array ACD p50', rounds: r.peer.p50 }, note: `${scanNote('p50')}; ${STEPS} calls a round, ${Math.round(r.router.offered.median * 100)} % offered at once (peer ${Math.round(r.peer.offered.median * 100)} %)` }),
        roundsFigure({
          name: `enqueue p99, ${label} agents`,
          unit: 'µs',
          rounds: r.router.p99,
          peer: { name: 'sorted-array ACD p99', rounds: r.peer.p99 },
          ...(n === 10_000 ? { goal: '≤ 50 µs', met: r.router.p99.median <= 50 } : {}),
          note: scanNote('p99'),
        }),
      );
    }
    return figures;
  },
});
