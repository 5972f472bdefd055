import { performance } from 'node:perf_hooks';

/**
 * The benchmark toolkit shared by every package's `benchmarks/*.bench.ts` (run by `npm run bench`).
 * Each figure is measured next to its peer in the same run; the machines are shared and noisy, so
 * the report quotes medians over several rounds and ratios.
 */

/** One measured figure. */
export interface BenchFigure {
  /** What was measured, e.g. `get() lookup`. */
  readonly name: string;
  /** The median value. */
  readonly value: number;
  /** Unit of `value`, e.g. `ns/op`, `ops/s`, `ms`, `MB`. */
  readonly unit: string;
  /** The peer measured in the same run, for comparison. */
  readonly peer?: { readonly name: string; readonly value: number };
  /** The goal, in words, e.g. `< 100 ns`. */
  readonly goal?: string;
  /** Whether the goal was met (undefined when there is no goal). */
  readonly met?: boolean;
  /** Extra remarks (p99, failures, sample sizes). */
  readonly note?: string;
}

/** A benchmark file's default export. */
export interface BenchmarkSuite {
  /** Stable id, used as the section key in docs/benchmarks.md, e.g. `kernel.lookup`. */
  readonly id: string;
  /** Title of the section. */
  readonly title: string;
  /** Runs the measurements and returns the figures. */
  run(): Promise<BenchFigure[]>;
}

/** Declares a benchmark suite (identity function, for typing). */
export function defineBenchmark(suite: BenchmarkSuite): BenchmarkSuite {
  return suite;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The q-quantile (0..1) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[idx] as number;
}

/**
 * Measures the time of one operation in nanoseconds: `rounds` rounds of `iterations` calls after a
 * warm-up; returns the median over rounds. The function should return something derived from its
 * work so that the optimizer cannot remove it.
 */
export function nsPerOp(fn: () => unknown, options: { iterations?: number; rounds?: number } = {}): number {
  const iterations = options.iterations ?? 1_000_000;
  const rounds = options.rounds ?? 7;
  let sink: unknown;
  for (let i = 0; i < Math.min(iterations, 100_000); i++) sink = fn();
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) sink = fn();
    perRound.push(((performance.now() - t0) * 1e6) / iterations);
  }
  if (sink === Symbol.for('never')) throw new Error('unreachable');
  return median(perRound);
}

/** Interleaves the measurement of several functions (A B A B …) so that noise hits them alike. */
export function compareNsPerOp(
  fns: Readonly<Record<string, () => unknown>>,
  options: { iterations?: number; rounds?: number } = {},
): Record<string, number> {
  const rounds = options.rounds ?? 7;
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(fns)) samples[name] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      samples[name]!.push(nsPerOp(fn, { iterations: options.iterations ?? 1_000_000, rounds: 1 }));
    }
  }
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(samples)) out[name] = median(s);
  return out;
}
