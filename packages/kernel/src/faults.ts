import { silentLogger, type Logger } from './logger.js';

/**
 * Fault containment (rule 10 of the architecture): an error thrown by a listener, a timer, a socket
 * handler or a fire-and-forget promise is caught where it happens, logged with its owner and
 * counted, and never reaches the process. This is VS Code's `onUnexpectedError`, with a count per
 * owner so that the service manager's metrics and the monitor can show where faults happen.
 *
 * The owner is a short name of whoever holds the code that failed: a service's token id
 * (`caruso.comms`) or a part of it (`caruso.comms/telephony`). Counts are per process.
 */

/** One contained fault, as given to {@link onDidContainFault} subscribers. */
export interface ContainedFault {
  readonly owner: string;
  /** What was running: `listener`, `timer`, `socket`, `promise`, `request` … */
  readonly where: string;
  readonly error: unknown;
}

let faultLogger: Logger = silentLogger();
const counts = new Map<string, number>();
const watchers = new Set<(fault: ContainedFault) => void>();

/**
 * Sets where contained faults are logged (by default nowhere). The process's root logger is set by
 * whoever starts the services (`caruso start`).
 */
export function setFaultLogger(logger: Logger): void {
  faultLogger = logger;
}

/**
 * Contains one fault: logs it at error level with its owner and counts it. Never throws.
 * @param owner who holds the code that failed (`caruso.comms/telephony`).
 * @param where what ran (`listener`, `timer`, `socket`, `promise`).
 */
export function containFault(owner: string, where: string, error: unknown): void {
  counts.set(owner, (counts.get(owner) ?? 0) + 1);
  try {
    faultLogger.error({ err: error, owner, where }, 'fault contained');
  } catch {
    // A logger that fails must not turn a contained fault into an uncontained one.
  }
  for (const watch of watchers) {
    try {
      watch({ owner, where, error });
    } catch {
      // Watchers are observers; their own failure is not counted again (it would loop).
    }
  }
}

/**
 * Faults contained so far. With an owner: that owner's count plus those of its parts
 * (`caruso.comms` counts `caruso.comms/telephony` too). Without: every owner's count.
 */
export function faultCount(owner?: string): number {
  let n = 0;
  for (const [o, c] of counts) if (owner === undefined || o === owner || o.startsWith(`${owner}/`)) n += c;
  return n;
}

/** Counts per owner, for metrics pages. */
export function faultCounts(): Readonly<Record<string, number>> {
  return Object.fromEntries(counts);
}

/**
 * Calls `watch` for each fault contained from now on (the monitor raises alerts from it).
 * @returns a function that stops watching.
 */
export function onDidContainFault(watch: (fault: ContainedFault) => void): { dispose(): void } {
  watchers.add(watch);
  return { dispose: () => void watchers.delete(watch) };
}

/**
 * Runs a fire-and-forget promise with its rejection contained. Use it instead of `void promise`
 * where nobody awaits the result (an event handler, a timer).
 */
export function containPromise(owner: string, promise: PromiseLike<unknown>, where = 'promise'): void {
  Promise.resolve(promise).then(undefined, (err: unknown) => containFault(owner, where, err));
}

/** Wraps a callback (a listener, a socket handler) so that what it throws, or rejects with, is contained. */
export function contained<A extends unknown[]>(owner: string, where: string, fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A): void => {
    try {
      const r = fn(...args);
      if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') containPromise(owner, r as PromiseLike<unknown>, where);
    } catch (err) {
      containFault(owner, where, err);
    }
  };
}

/** `setTimeout` whose callback's errors (thrown or rejected) are contained. */
export function safeTimeout(owner: string, fn: () => unknown, ms: number): ReturnType<typeof setTimeout> {
  return setTimeout(contained(owner, 'timer', fn), ms);
}

/** `setInterval` whose callback's errors (thrown or rejected) are contained. */
export function safeInterval(owner: string, fn: () => unknown, ms: number): ReturnType<typeof setInterval> {
  return setInterval(contained(owner, 'timer', fn), ms);
}

/** Forgets every count (tests). */
export function resetFaultCounts(): void {
  counts.clear();
}
