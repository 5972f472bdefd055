/**
 * Seeded randomness for routing (random and weighted-random strategies) and for the load generator.
 * xoshiro128** seeded through splitmix32: fast, 2^128 − 1 period, reproducible from one integer.
 */

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/** Creates a reproducible uniform source from an integer seed. */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A distribution of durations in seconds, as the load generator and `caruso simulate` take it. */
export type Distribution =
  | { readonly kind: 'exponential'; readonly mean: number }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  /** Log-normal with the given mean and standard deviation (of the value itself, not its log). */
  | { readonly kind: 'lognormal'; readonly mean: number; readonly sd: number }
  /** Erlang-k with the given mean (sum of k exponentials; less variable than exponential). */
  | { readonly kind: 'erlang'; readonly mean: number; readonly k: number };

/** Draws one value of `d` using `rng`. */
export function sample(d: Distribution, rng: RandomSource): number {
  switch (d.kind) {
    case 'exponential':
      return -Math.log(1 - rng()) * d.mean;
    case 'constant':
      return d.value;
    case 'uniform':
      return d.min + (d.max - d.min) * rng();
    case 'lognormal': {
      const sigma2 = Math.log(1 + (d.sd * d.sd) / (d.mean * d.mean));
      const mu = Math.log(d.mean) - sigma2 / 2;
      return Math.exp(mu + Math.sqrt(sigma2) * normal(rng));
    }
    case 'erlang': {
      let p = 1;
      for (let i = 0; i < d.k; i++) p *= 1 - rng();
      return (-Math.log(p) * d.mean) / d.k;
    }
  }
}

/** The mean of `d`. */
export function meanOf(d: Distribution): number {
  switch (d.kind) {
    case 'constant':
      return d.value;
    case 'uniform':
      return (d.min + d.max) / 2;
    default:
      return d.mean;
  }
}

function normal(rng: RandomSource): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}
