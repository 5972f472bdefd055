import { safeTimeout } from '@caruso/kernel';
import { SIP_FAULTS } from './sip-faults.js';

/** A scheduled transaction timer. */
export interface SipTimer {
  /** Stops the timer; nothing happens if it already fired. */
  cancel(): void;
}

/**
 * Where the transaction timers of a {@link SipStack} run: the process's clock by default, or a clock a
 * test moves forward by hand, so that every timer of RFC 3261 §17 can be checked without waiting.
 */
export interface SipClock {
  /** Runs `fn` once after `ms` milliseconds. Note: an error thrown by `fn` must be contained, never rethrown to the process. */
  schedule(fn: () => void, ms: number): SipTimer;
}

/** The process's clock; a timer's error is contained and counted under the SIP fault owner. */
export const realSipClock: SipClock = {
  schedule(fn, ms) {
    const t = safeTimeout(SIP_FAULTS, fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/** The base values of the transaction timers (RFC 3261 §17.1.1.1, table 4), ms. */
export interface SipTimerValues {
  /** RTT estimate: first retransmission interval, and 64×T1 is every transaction's time-out (default 500). */
  readonly t1: number;
  /** Longest retransmission interval of non-INVITE requests and INVITE responses (default 4000). */
  readonly t2: number;
  /** Longest time a message stays in the network: Timers I and K on UDP (default 5000). */
  readonly t4: number;
  /** Timer D: how long a client INVITE transaction absorbs retransmitted non-2xx finals on UDP (default 32,000). */
  readonly timerD: number;
}

/** RFC 3261's recommended values. */
export const defaultSipTimers: SipTimerValues = { t1: 500, t2: 4000, t4: 5000, timerD: 32_000 };
