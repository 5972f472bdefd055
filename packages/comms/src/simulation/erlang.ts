/**
 * Queueing formulas for staffing and for checking the simulator: Erlang B, Erlang C (M/M/n) and
 * Erlang A (M/M/n+M, with exponential patience). Times are in seconds, rates per second.
 * See docs/figures.md for the definitions.
 */

/** Erlang B: the probability that all `n` servers are busy in a loss system with `a` erlangs offered. */
export function erlangB(n: number, a: number): number {
  // Stable recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b;
}

/** Erlang C: the probability that a contact waits (all `n` agents busy) with `a` erlangs offered; 1 when a ≥ n. */
export function erlangC(n: number, a: number): number {
  if (a >= n) return 1;
  const b = erlangB(n, a);
  return (n * b) / (n - a * (1 - b));
}

/** Figures of the Erlang C model. */
export interface ErlangCFigures {
  /** Offered load in erlangs (arrival rate × AHT). */
  readonly erlangs: number;
  /** Probability of waiting. */
  readonly pWait: number;
  /** Fraction answered within the threshold (all are answered). */
  readonly serviceLevel: number;
  /** Average speed of answer over all contacts, seconds. */
  readonly asa: number;
  /** Agent occupancy (a / n). */
  readonly occupancy: number;
}

/**
 * Erlang C figures for `n` agents, `ratePerHour` arrivals, `aht` seconds of handling and a
 * service-level threshold of `threshold` seconds. With a ≥ n the queue is unstable: everything is 1
 * or Infinity.
 */
export function erlangCFigures(n: number, ratePerHour: number, aht: number, threshold: number): ErlangCFigures {
  const a = (ratePerHour / 3600) * aht;
  if (a >= n) return { erlangs: a, pWait: 1, serviceLevel: 0, asa: Infinity, occupancy: 1 };
  const c = erlangC(n, a);
  return {
    erlangs: a,
    pWait: c,
    serviceLevel: 1 - c * Math.exp((-(n - a) * threshold) / aht),
    asa: (c * aht) / (n - a),
    occupancy: a / n,
  };
}

/** Figures of the Erlang A model. */
export interface ErlangAFigures {
  readonly erlangs: number;
  /** Probability that an arriving contact has to wait. */
  readonly pWait: number;
  /** Probability of abandoning. */
  readonly pAbandon: number;
  /** Fraction of all offered contacts answered within the threshold. */
  readonly serviceLevelOfOffered: number;
  /** Fraction of answered contacts answered within the threshold. */
  readonly serviceLevelOfAnswered: number;
  /** Average wait of answered contacts, seconds. */
  readonly asa: number;
  /** Average wait of all contacts (answered or not), seconds. */
  readonly averageWait: number;
  /** Agent occupancy. */
  readonly occupancy: number;
}

/**
 * Erlang A (Palm's M/M/n+M): `n` agents, Poisson arrivals at `ratePerHour`, exponential handle times
 * of mean `aht` s and exponential patience of mean `patience` s. Computed exactly from the
 * birth–death chain (truncated where the tail is below 1e-15) and, for the service level, by
 * uniformisation of the waiting customer's position chain.
 */
export function erlangAFigures(n: number, ratePerHour: number, aht: number, patience: number, threshold: number): ErlangAFigures {
  const lambda = ratePerHour / 3600;
  const mu = 1 / aht;
  const theta = 1 / patience;
  // Unnormalised stationary probabilities, in log space against overflow for large n.
  const logp: number[] = [0];
  let peak = 0;
  for (let k = 0; k < n + 10_000_000; k++) {
    const death = Math.min(k + 1, n) * mu + Math.max(k + 1 - n, 0) * theta;
    const next = logp[k]! + Math.log(lambda / death);
    logp.push(next);
    if (next > peak) peak = next;
    // Past n the terms eventually fall (deaths grow with θ); stop once they are negligible and falling.
    if (k + 1 > n && next < logp[k]! && next < peak - 40) break;
  }
  const max = peak;
  const p = logp.map((x) => Math.exp(x - max));
  const total = p.reduce((s, x) => s + x, 0);
  for (let i = 0; i < p.length; i++) p[i] = p[i]! / total;
  let pWait = 0;
  let queueLength = 0;
  let busy = 0;
  for (let i = 0; i < p.length; i++) {
    if (i >= n) {
      pWait += p[i]!;
      queueLength += (i - n) * p[i]!;
    }
    busy += Math.min(i, n) * p[i]!;
  }
  const pAbandon = (theta * queueLength) / lambda;
  // A contact arriving to find j ahead in line passes stages j, j−1, …, 0; in stage m it leaves the
  // stage at rate nμ + mθ (someone ahead served or abandoning) and abandons itself at rate θ.
  // served_j = Π (nμ+mθ)/(nμ+(m+1)θ); each stage lasts Exp(nμ+(m+1)θ) whatever the outcome.
  let servedWaitSum = 0;
  for (let j = 0; j + n < p.length; j++) {
    const w = p[j + n]!;
    if (w < 1e-18) continue;
    let served = 1;
    let meanTime = 0;
    for (let m = j; m >= 0; m--) {
      const out = n * mu + m * theta;
      served *= out / (out + theta);
      meanTime += 1 / (out + theta);
    }
    servedWaitSum += w * served * meanTime;
  }
  const pServed = 1 - pAbandon;
  const servedWithin = (1 - pWait) + servedWithinThreshold(p, n, mu, theta, threshold);
  return {
    erlangs: lambda / mu,
    pWait,
    pAbandon,
    serviceLevelOfOffered: servedWithin,
    serviceLevelOfAnswered: servedWithin / pServed,
    asa: servedWaitSum / pServed,
    averageWait: queueLength / lambda,
    occupancy: busy / n,
  };
}

/** P(arrives to wait, is served, and waited at most `t`) by uniformisation of the stage chain. */
function servedWithinThreshold(p: readonly number[], n: number, mu: number, theta: number, t: number): number {
  const J = p.length - n;
  if (J <= 0 || t <= 0) return 0;
  // v[m]: mass waiting with m ahead; served accumulates.
  let v = new Float64Array(J);
  for (let j = 0; j < J; j++) v[j] = p[j + n]!;
  const maxRate = n * mu + J * theta;
  const lt = maxRate * t;
  // Poisson weights, computed in log space for large lt.
  const steps = Math.ceil(lt + 10 * Math.sqrt(lt) + 20);
  let served = 0;
  let result = 0;
  let logw = -lt; // log of Poisson(k; lt) at k = 0
  for (let k = 0; k <= steps; k++) {
    result += Math.exp(logw) * served;
    // One uniformised step.
    const next = new Float64Array(J);
    for (let m = 0; m < J; m++) {
      const mass = v[m]!;
      if (mass === 0) continue;
      const advance = (n * mu + m * theta) / maxRate;
      const abandon = theta / maxRate;
      if (m === 0) served += mass * advance;
      else next[m - 1]! += mass * advance;
      next[m]! += mass * (1 - advance - abandon);
    }
    v = next;
    logw += Math.log(lt) - Math.log(k + 1);
  }
  return result;
}
