import { faultCount } from '../faults.js';
import type { ServiceMetrics } from '../service-manager.js';

/** Upper bounds of the latency histogram, in milliseconds (the last bucket is +Inf). */
export const LATENCY_BOUNDS_MS: readonly number[] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100, 500, 1000, 5000];

/**
 * Mutable call figures of one registration. Latency is sampled (one call in `sampleEvery`) so
 * that the proxy's overhead stays in the tens of nanoseconds; calls, errors and in-flight count
 * every call.
 */
export class MetricsRecorder {
  calls = 0;
  errors = 0;
  inFlight = 0;
  drainTimeouts = 0;
  sampled = 0;
  readonly counts: number[] = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);

  record(ms: number): void {
    this.sampled++;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > (LATENCY_BOUNDS_MS[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
  }

  /** @param owner the token id under which the service's contained faults are counted. */
  snapshot(owner: string): ServiceMetrics {
    return {
      faults: faultCount(owner),
      calls: this.calls,
      errors: this.errors,
      inFlight: this.inFlight,
      drainTimeouts: this.drainTimeouts,
      latency: { boundsMs: LATENCY_BOUNDS_MS, counts: [...this.counts], sampled: this.sampled },
    };
  }
}
