import fc from 'fast-check';
import { isCarusoError } from '@caruso/kernel';
import { ROUTING_STRATEGIES, VirtualClock, seededRandom, type Channel, type ContactEventInput, type QueueConfig, type AgentConfig } from '@caruso/comms';
import { QueueRouter } from '@caruso/comms/testing';

// The ordered index of available agents must choose exactly as the scan of every available agent
// did: two routers, one reading the index and one scanning (the reference), get the same random
// sequence of presence changes, queue choices (memberships and levels), contacts with and without
// extra skills, answers, rejections, completions, abandons and time passing (ring time-outs, wrap-ups,
// widened skills); their event logs, errors and pending offers must stay identical.

const SKILLS = ['nl', 'fr', 'billing'] as const;
const CHANNELS: readonly Channel[] = ['call', 'email', 'chat'];
const AGENTS = 10;

/** One queue per strategy; some need skills, some widen them after a while. */
const QUEUES: QueueConfig[] = ROUTING_STRATEGIES.map((strategy, i) => ({
  id: `q-${strategy}`,
  strategy,
  ringTimeoutMs: 5_000,
  wrapUpMs: i % 2 ? 2_000 : 0,
  maxNoAnswer: 2,
  ...(i % 3 === 0 ? {} : { requiredSkills: [{ skill: SKILLS[i % SKILLS.length]!, minLevel: 1 + (i % 3) }] }),
  ...(i % 2 === 0 ? { overflow: [{ afterMs: 7_000, action: 'widen-skills' as const }] } : {}),
}));

type Command =
  | { readonly t: 'login' | 'pause' | 'resume' | 'finish-wrap-up'; readonly agent: number }
  | { readonly t: 'logout'; readonly agent: number; readonly force: boolean }
  | { readonly t: 'queues'; readonly agent: number; readonly queues: ReadonlyArray<{ readonly queue: number; readonly level: number }> }
  | { readonly t: 'enqueue'; readonly queue: number; readonly channel: number; readonly priority: number; readonly skill: number; readonly level: number }
  | { readonly t: 'accept' | 'reject' | 'complete' | 'abandon' | 'serve'; readonly k: number }
  | { readonly t: 'advance'; readonly ms: number };

const agentIx = fc.integer({ min: 0, max: AGENTS - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('login' as const), agent: agentIx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('resume' as const, 'finish-wrap-up' as const), agent: agentIx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pause' as const), agent: agentIx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('logout' as const), agent: agentIx, force: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('queues' as const),
      agent: agentIx,
      queues: fc.uniqueArray(fc.record({ queue: fc.integer({ min: 0, max: QUEUES.length - 1 }), level: fc.integer({ min: 1, max: 3 }) }), { selector: (x) => x.queue, maxLength: 5 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('enqueue' as const),
      queue: fc.integer({ min: 0, max: QUEUES.length - 1 }),
      channel: fc.integer({ min: 0, max: CHANNELS.length - 1 }),
      priority: fc.integer({ min: 0, max: 2 }),
      // Negative: no extra skill.
      skill: fc.integer({ min: -4, max: SKILLS.length - 1 }),
      level: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constantFrom('accept' as const, 'reject' as const, 'complete' as const, 'abandon' as const), k: fc.nat(20) }) },
  // Accept an offer and complete its contact at once: agents come back free, often at the same time.
  { weight: 6, arbitrary: fc.record({ t: fc.constant('serve' as const), k: fc.nat(20) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 9_000 })) }) },
);

/** Agents: random skills and capacities; each starts in one to three queues at a random level. */
const agentConfigs: fc.Arbitrary<AgentConfig[]> = fc.array(
  fc.record({
    skills: fc.tuple(...SKILLS.map(() => fc.integer({ min: 0, max: 4 }))),
    email: fc.integer({ min: 0, max: 3 }),
    chat: fc.integer({ min: 0, max: 2 }),
    queues: fc.uniqueArray(fc.record({ queue: fc.integer({ min: 0, max: QUEUES.length - 1 }), level: fc.integer({ min: 1, max: 3 }) }), { selector: (x) => x.queue, minLength: 2, maxLength: 5 }),
  }),
  { minLength: AGENTS, maxLength: AGENTS },
).map((xs) =>
  xs.map((x, i) => ({
    id: `a${i}`,
    skills: Object.fromEntries(SKILLS.map((s, j): [string, number] => [s, x.skills[j]!]).filter(([, level]) => level > 0)),
    capacity: { voice: 1, email: x.email, chat: x.chat },
    queues: x.queues.map((m) => ({ queueId: QUEUES[m.queue]!.id, level: m.level })),
  })),
);

interface Side {
  readonly clock: VirtualClock;
  readonly router: QueueRouter;
  readonly events: ContactEventInput[];
  readonly contacts: string[];
}

function side(agents: readonly AgentConfig[], scanRouting: boolean, seed: number): Side {
  const clock = new VirtualClock();
  const events: ContactEventInput[] = [];
  const router = new QueueRouter({
    clock,
    events: { append: (e) => (events.push(e), { ...e, seq: events.length }) },
    random: seededRandom(seed),
    idPrefix: 'c',
    scanRouting,
  });
  for (const q of QUEUES) router.addQueue(q);
  for (const a of agents) router.addAgent(a);
  return { clock, router, events, contacts: [] };
}

/** Runs one command; returns what it threw (the error code), if anything. */
function run(s: Side, cmd: Command): string | undefined {
  const { router } = s;
  try {
    switch (cmd.t) {
      case 'login':
        router.login(`a${cmd.agent}`);
        break;
      case 'logout':
        router.logout(`a${cmd.agent}`, { force: cmd.force });
        break;
      case 'pause':
        router.pause(`a${cmd.agent}`, 'break');
        break;
      case 'resume':
        router.resume(`a${cmd.agent}`);
        break;
      case 'finish-wrap-up':
        router.finishWrapUp(`a${cmd.agent}`);
        break;
      case 'queues':
        router.setAgentQueues(`a${cmd.agent}`, cmd.queues.map((m) => ({ queue: QUEUES[m.queue]!.id, level: m.level })));
        break;
      case 'enqueue': {
        const c = router.enqueue({
          channel: CHANNELS[cmd.channel]!,
          queueId: QUEUES[cmd.queue]!.id,
          priority: cmd.priority,
          ...(cmd.skill < 0 ? {} : { requiredSkills: [{ skill: SKILLS[cmd.skill]!, minLevel: cmd.level }] }),
        });
        s.contacts.push(c.id);
        break;
      }
      case 'accept':
      case 'reject':
      case 'serve': {
        const offers = router.pendingOffers();
        const o = offers[cmd.k % Math.max(1, offers.length)];
        if (!o) return 'none';
        if (cmd.t === 'reject') router.reject(o.offerId);
        else router.accept(o.offerId);
        if (cmd.t === 'serve') router.complete(o.contactId);
        break;
      }
      case 'complete':
      case 'abandon': {
        const wanted = cmd.t === 'complete' ? ['connected'] : ['queued', 'offered'];
        const live = s.contacts.filter((id) => wanted.includes(router.contact(id)?.state ?? 'ended'));
        const id = live[cmd.k % Math.max(1, live.length)];
        if (!id) return 'none';
        if (cmd.t === 'complete') router.complete(id);
        else router.abandon(id);
        break;
      }
      case 'advance':
        s.clock.advance(cmd.ms);
        break;
    }
  } catch (err) {
    if (isCarusoError(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('QueueRouter index of available agents', () => {
  it('chooses the same agent as the scan of every available agent, over random sequences', () => {
    fc.assert(
      fc.property(agentConfigs, fc.array(command, { minLength: 40, maxLength: 200, size: 'max' }), fc.integer({ min: 1, max: 1_000 }), (agents, commands, seed) => {
        const indexed = side(agents, false, seed);
        const scanned = side(agents, true, seed);
        try {
          for (const cmd of commands) {
            const seen = indexed.events.length;
            const a = run(indexed, cmd);
            const b = run(scanned, cmd);
            expect(a).toBe(b);
            expect(indexed.events.length).toBe(scanned.events.length);
            expect(indexed.events.slice(seen)).toEqual(scanned.events.slice(seen));
            expect(indexed.router.pendingOffers()).toEqual(scanned.router.pendingOffers());
          }
        } finally {
          indexed.router.dispose();
          scanned.router.dispose();
        }
      }),
      // Bounded: 200 runs, or fewer when 20 s have passed on a slow machine.
      { seed: 20261207, numRuns: 200, interruptAfterTimeLimit: 20_000 },
    );
  });
});
