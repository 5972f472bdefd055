import { performance } from 'node:perf_hooks';
import { VirtualClock } from '../contract/clock.js';
import { ContactFigures, type FiguresReport } from './contact-figures.js';
import { erlangAFigures, erlangCFigures, type ErlangAFigures, type ErlangCFigures } from './erlang.js';
import { CommsErrors } from '../errors.js';
import { InMemoryContactEventLog } from '../log/in-memory-event-log.js';
import { ROUTING_STRATEGIES, type RoutingStrategy } from '../contract/model.js';
import { QueueRouter } from '../acd/queue-router.js';
import { seededRandom } from './random.js';
import { LoadGenerator, SimulatedTelephony } from '../telephony/simulated-telephony.js';
import { TelephonyChannel } from '../telephony/telephony-channel.js';

/** Parameters of a simulation run (what `caruso simulate` takes). */
export interface SimulationOptions {
  readonly agents: number;
  readonly callsPerHour: number;
  /** Mean talk time, seconds (exponential). */
  readonly ahtSeconds: number;
  /** Mean patience, seconds (exponential); absent: callers never give up. */
  readonly patienceSeconds?: number;
  /** Measured hours (default 8). */
  readonly hours?: number;
  /** Warm-up hours before the measurement, discarded (default: 10 % of the hours, at least 20 AHTs). */
  readonly warmupHours?: number;
  readonly strategy?: RoutingStrategy;
  /** Service-level threshold, seconds (default 20). */
  readonly slSeconds?: number;
  readonly seed?: number;
  /**
   * Called between slices of the run (about every 2,000 timers) with how far it got; for a progress
   * bar. Note: an error it throws is not contained (it ends the run).
   */
  readonly onProgress?: (progress: SimulationProgress) => void;
}

/** How far a run got (see {@link SimulationOptions.onProgress}). */
export interface SimulationProgress {
  /** Simulated ms so far (warm-up included), and in all. */
  readonly doneMs: number;
  readonly totalMs: number;
  /** Calls generated so far. */
  readonly calls: number;
  /** Calls in the system now (entered, not ended): the per-call state the run holds. */
  readonly openCalls: number;
}

/**
 * Timers run between two yields to the event loop. Small: the promises a slice settles wait for the
 * yield, and with 50,000 timers a slice they outlived two scavenges and were promoted, to die in the
 * old generation (a 300,000-call run peaked at 286 MB RSS then; with 2,000, 197 MB and no slower).
 */
const SLICE = 2_000;

/** The JSON document `caruso simulate` prints. */
export interface SimulationResult {
  readonly parameters: Required<Omit<SimulationOptions, 'patienceSeconds' | 'onProgress'>> & { readonly patienceSeconds: number | null; readonly erlangs: number };
  /** Figures folded from the event log of the run (only contacts that arrived in the measured window). */
  readonly figures: FiguresReport;
  /** What queueing theory predicts: Erlang C without patience, Erlang A with exponential patience. */
  readonly theory:
    | ({ readonly model: 'erlang-c' } & ErlangCFigures)
    | ({ readonly model: 'erlang-a' } & ErlangAFigures);
  readonly run: { readonly calls: number; readonly events: number; readonly wallMs: number; readonly callsPerSecond: number };
}

function check(ok: boolean, reason: string): void {
  if (!ok) throw CommsErrors.CARUSO_COMMS_INVALID_SIMULATION({ reason });
}

/**
 * Runs the real router on a virtual clock with the simulated telephony adapter and Poisson
 * arrivals, and folds the event log into figures as it goes (no per-call state is kept once a call
 * has ended, so memory does not grow with the number of calls). Throws CARUSO_COMMS_INVALID_SIMULATION
 * at once for parameters out of range.
 * Note: the run yields to the event loop between slices of timers, so that the promises the channel
 * settles per call are released as it goes (a run that never yielded kept every one until its end).
 */
export function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const o = options;
  check(Number.isInteger(o.agents) && o.agents >= 1 && o.agents <= 100_000, `--agents must be an integer from 1 to 100000, got ${o.agents}`);
  check(Number.isFinite(o.callsPerHour) && o.callsPerHour > 0, `--rate must be a positive number of calls per hour, got ${o.callsPerHour}`);
  check(Number.isFinite(o.ahtSeconds) && o.ahtSeconds > 0, `--aht must be a positive number of seconds, got ${o.ahtSeconds}`);
  check(o.patienceSeconds === undefined || (Number.isFinite(o.patienceSeconds) && o.patienceSeconds > 0), `--patience must be a positive number of seconds, got ${o.patienceSeconds}`);
  const hours = o.hours ?? 8;
  check(Number.isFinite(hours) && hours > 0 && hours <= 100_000, `--hours must be a positive number (at most 100000), got ${hours}`);
  const warmupHours = o.warmupHours ?? Math.min(hours, Math.max(0.1 * hours, (20 * o.ahtSeconds) / 3600));
  check(Number.isFinite(warmupHours) && warmupHours >= 0, `the warm-up must be a non-negative number of hours, got ${warmupHours}`);
  const strategy = o.strategy ?? 'longest-idle';
  check(ROUTING_STRATEGIES.includes(strategy), `--strategy must be one of ${ROUTING_STRATEGIES.join(', ')}, got ${String(strategy)}`);
  const slSeconds = o.slSeconds ?? 20;
  check(Number.isFinite(slSeconds) && slSeconds >= 0, `--sl must be a non-negative number of seconds, got ${slSeconds}`);
  const seed = o.seed ?? 1;
  check(Number.isInteger(seed), `--seed must be an integer, got ${seed}`);
  const erlangs = (o.callsPerHour / 3600) * o.ahtSeconds;
  check(o.patienceSeconds !== undefined || erlangs < o.agents, `without patience the load (${erlangs.toFixed(1)} erlangs) must stay below the number of agents (${o.agents}), or the queue grows for ever`);
  const expectedCalls = (o.callsPerHour * (hours + warmupHours));
  check(expectedCalls <= 50_000_000, `the run would simulate about ${Math.round(expectedCalls)} calls; at most 50 million`);
  return simulate(o, { hours, warmupHours, strategy, slSeconds, seed, erlangs, expectedCalls });
}

async function simulate(
  o: SimulationOptions,
  p: { readonly hours: number; readonly warmupHours: number; readonly strategy: RoutingStrategy; readonly slSeconds: number; readonly seed: number; readonly erlangs: number; readonly expectedCalls: number },
): Promise<SimulationResult> {
  const { hours, warmupHours, strategy, slSeconds, seed, erlangs, expectedCalls } = p;

  const clock = new VirtualClock();
  const start = clock.now();
  const from = start + warmupHours * 3_600_000;
  const to = from + hours * 3_600_000;
  const log = new InMemoryContactEventLog({ keep: false });
  const figures = new ContactFigures({ thresholdMs: slSeconds * 1000, from, to, batches: 20 });
  log.onDidAppend((e) => figures.add(e));
  const router = new QueueRouter({ clock, events: log, random: seededRandom(seed * 2 + 1), idPrefix: 's' });
  const telephony = new SimulatedTelephony(clock);
  const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'main' });
  const generator = new LoadGenerator({
    clock,
    telephony,
    callsPerHour: o.callsPerHour,
    talk: { kind: 'exponential', mean: o.ahtSeconds },
    ...(o.patienceSeconds === undefined ? {} : { patience: { kind: 'exponential', mean: o.patienceSeconds } }),
    until: to,
    random: seededRandom(seed),
  });
  const t0 = performance.now();
  try {
    // No queue time-out and no ring time-out that could fire in a healthy run: the model is M/M/n(+M).
    router.addQueue({ id: 'main', strategy, maxWaitMs: 1e12, ringTimeoutMs: 60_000, maxNoAnswer: 0 });
    for (let i = 1; i <= o.agents; i++) router.addAgent({ id: `a${i}`, queues: [{ queueId: 'main' }], endpoint: `sim:a${i}` });
    for (let i = 1; i <= o.agents; i++) router.login(`a${i}`);
    generator.start();
    // Bounded: every call needs a handful of timers; the guard stops a model that schedules for ever.
    const budget = Math.ceil(expectedCalls * 20) + 1_000_000;
    let ran = 0;
    let more = true;
    while (more && ran < budget) {
      const until = Math.min(budget, ran + SLICE);
      while (ran < until && (more = clock.runNext())) ran++;
      // Let the promises settled by this slice run their reactions (and be collected).
      await new Promise<void>((resolve) => setImmediate(resolve));
      o.onProgress?.({ doneMs: clock.now() - start, totalMs: to - start, calls: generator.generated, openCalls: figures.openContacts });
    }
    check(ran < budget, 'the simulation did not settle (timer budget exhausted)');
  } finally {
    generator.dispose();
    channel.dispose();
    telephony.dispose();
    router.dispose();
    log.dispose();
  }
  const wallMs = performance.now() - t0;
  const theory =
    o.patienceSeconds === undefined
      ? { model: 'erlang-c' as const, ...erlangCFigures(o.agents, o.callsPerHour, o.ahtSeconds, slSeconds) }
      : { model: 'erlang-a' as const, ...erlangAFigures(o.agents, o.callsPerHour, o.ahtSeconds, o.patienceSeconds, slSeconds) };
  return {
    parameters: { agents: o.agents, callsPerHour: o.callsPerHour, ahtSeconds: o.ahtSeconds, patienceSeconds: o.patienceSeconds ?? null, hours, warmupHours, strategy, slSeconds, seed, erlangs },
    figures: figures.report(to),
    theory,
    run: { calls: generator.generated, events: log.lastSeq, wallMs: Math.round(wallMs), callsPerSecond: Math.round(generator.generated / (wallMs / 1000)) },
  };
}
