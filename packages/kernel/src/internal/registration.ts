import { performance } from 'node:perf_hooks';
import { types } from 'node:util';
import type { HealthStatus, ServiceLifecycle } from '../service.js';
import type { DependencySpec, ServiceDefinition, ServiceInfo, ServiceProperties, ServiceState } from '../service-manager.js';
import { MetricsRecorder } from './service-metrics.js';
import type { Binding } from './service-proxy.js';

/** One call in this many is timed for the latency histogram (must be a power of two). */
export const LATENCY_SAMPLE_EVERY = 8;
const SAMPLE_MASK = LATENCY_SAMPLE_EVERY - 1;

type AnyDefinition = ServiceDefinition<unknown, Readonly<Record<string, DependencySpec>>>;

/** The manager's record of one registration. Internal. */
export class Registration {
  state: ServiceState = 'registered';
  instance: (Record<string, unknown> & ServiceLifecycle) | undefined;
  health: HealthStatus | undefined;
  readonly metrics = new MetricsRecorder();
  /** Pinned proxies holding this version. */
  pins = 0;
  /** Order in which services became active (stop runs in reverse). */
  activationOrder = 0;
  /** Set while draining: called whenever in-flight calls or pins drop. */
  onIdle: (() => void) | undefined;
  startTimer: NodeJS.Timeout | undefined;
  /** Resolvers of `ready`. */
  resolveReady!: () => void;
  rejectReady!: (err: unknown) => void;
  readonly ready: Promise<void>;
  /** Disposables created for this registration's dependencies (trackers of `multiple` deps). */
  readonly cleanups: Array<() => void> = [];
  /** The service's `ctx.signal`: aborted when its start times out, it is removed, or the manager stops. */
  readonly abort = new AbortController();
  /** True while the implementation's start() runs. */
  inStart = false;
  /** The one stop of the implementation (stop runs once, whoever asks first). */
  stopPromise: Promise<void> | undefined;
  /** The one drain (a shutdown during a replacement's drain waits for the same one). */
  drainPromise: Promise<boolean> | undefined;
  /** The one unregistration. */
  removal: Promise<void> | undefined;
  /** Proxies bound to this registration alone (pins, getAll/track proxies): cleared when it stops. */
  readonly fixed = new Set<Binding>();

  constructor(
    readonly id: string,
    readonly seq: number,
    readonly tokenId: string,
    readonly version: string,
    public properties: ServiceProperties,
    readonly ranking: number,
    readonly definition: AnyDefinition,
    readonly origin: string,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // The one who registered may never await `ready`; a failed start must not crash the process.
    this.ready.catch(() => undefined);
  }

  /** True while lookups may choose it. */
  get selectable(): boolean {
    return this.state === 'active';
  }

  /** Calls `name` on the implementation, keeping the figures. The hot path of every proxy call. */
  invoke(name: string, args: unknown[]): unknown {
    const m = this.metrics;
    const n = ++m.calls;
    m.inFlight++;
    const sample = (n & SAMPLE_MASK) === 0;
    const t0 = sample ? performance.now() : 0;
    let result: unknown;
    try {
      const target = this.instance as Record<string, unknown>;
      result = (target[name] as (...a: unknown[]) => unknown).apply(target, args);
    } catch (err) {
      m.inFlight--;
      m.errors++;
      if (sample) m.record(performance.now() - t0);
      if (this.onIdle) this.onIdle();
      throw err;
    }
    // Only real promises are followed: a thenable such as a query builder must not be started by
    // the proxy (knex runs a query when its `then` is called).
    if (typeof result === 'object' && result !== null && types.isPromise(result)) {
      return (result as Promise<unknown>).then(
        (value) => {
          m.inFlight--;
          if (sample) m.record(performance.now() - t0);
          if (this.onIdle) this.onIdle();
          return value;
        },
        (err: unknown) => {
          m.inFlight--;
          m.errors++;
          if (sample) m.record(performance.now() - t0);
          if (this.onIdle) this.onIdle();
          throw err;
        },
      );
    }
    m.inFlight--;
    if (sample) m.record(performance.now() - t0);
    if (this.onIdle) this.onIdle();
    return result;
  }

  info(): ServiceInfo {
    return {
      id: this.id,
      tokenId: this.tokenId,
      version: this.version,
      properties: this.properties,
      ranking: this.ranking,
      state: this.state,
      origin: this.origin,
      registeredSeq: this.seq,
      health: this.health,
      metrics: this.metrics.snapshot(this.tokenId),
    };
  }
}
