// Median of interleaved rounds, with its spread: the one way every benchmark reports a figure.
// The subjects of a comparison are measured in turns (A B, then B A, …) so that the noise of a shared
// machine hits them alike; each figure is the median over the rounds and shows the lowest and highest
// round. A figure measured once says so (`singleRun`).
import type { BenchFigure } from '@caruso/kernel/testing';

/** What a subject measured over the rounds. */
export interface Rounds {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Every round's value, in the order measured. */
  readonly values: readonly number[];
}

/** A figure with its rounds: `rounds` ≥ 3 with the spread, or 1 (a single run, labelled so). */
export interface RoundsFigure extends BenchFigure {
  readonly rounds: number;
  readonly spread?: { readonly min: number; readonly max: number };
  readonly peerSpread?: { readonly min: number; readonly max: number };
}

/** The median of `values` (not empty). */
export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The q-quantile (0..1) of `values`, nearest rank. */
export function quantileOf(values: readonly number[], q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Summarizes one subject's round values. */
export function roundsOf(values: readonly number[]): Rounds {
  return { median: medianOf(values), min: Math.min(...values), max: Math.max(...values), values };
}

/**
 * Measures every subject `rounds` times (at least 3), in turns: round 1 in the order given, round 2
 * reversed, and so on. A subject returns the value of its round (a rate, a time, a size); it may
 * return several named values (e.g. p50 and p99), each summarized on its own.
 */
export async function interleavedRounds<K extends string, V extends number | Readonly<Record<string, number>>>(
  rounds: number,
  subjects: Readonly<Record<K, (round: number) => V | Promise<V>>>,
): Promise<Record<K, V extends number ? Rounds : Record<keyof V, Rounds>>> {
  if (rounds < 3) throw new Error('a median needs at least 3 rounds');
  const names = Object.keys(subjects) as K[];
  const seen = new Map<K, V[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) seen.get(name)!.push(await subjects[name](r));
  }
  const out = {} as Record<string, unknown>;
  for (const name of names) {
    const vs = seen.get(name)!;
    if (typeof vs[0] === 'number') out[name] = roundsOf(vs as number[]);
    else {
      const keys = Object.keys(vs[0] as object);
      out[name] = Object.fromEntries(keys.map((k) => [k, roundsOf(vs.map((v) => (v as Record<string, number>)[k]!))]));
    }
  }
  return out as Record<K, V extends number ? Rounds : Record<keyof V, Rounds>>;
}

/** A figure from rounds, with its peer's rounds (the ratio is of the medians). */
export function roundsFigure(f: {
  readonly name: string;
  readonly unit: string;
  readonly rounds: Rounds;
  readonly peer?: { readonly name: string; readonly rounds: Rounds };
  readonly goal?: string;
  readonly met?: boolean;
  readonly note?: string;
}): RoundsFigure {
  return {
    name: f.name,
    value: f.rounds.median,
    unit: f.unit,
    rounds: f.rounds.values.length,
    spread: { min: f.rounds.min, max: f.rounds.max },
    ...(f.peer ? { peer: { name: f.peer.name, value: f.peer.rounds.median }, peerSpread: { min: f.peer.rounds.min, max: f.peer.rounds.max } } : {}),
    ...(f.goal === undefined ? {} : { goal: f.goal }),
    ...(f.met === undefined ? {} : { met: f.met }),
    ...(f.note === undefined ? {} : { note: f.note }),
  };
}

/** A figure measured once (a long run, a capacity ramp), labelled as a single run. */
export function singleRun(f: BenchFigure): RoundsFigure {
  return { ...f, rounds: 1 };
}
