import type { IDisposable } from '@caruso/kernel';

/** A scheduled call; dispose it to cancel. Disposing after it ran is harmless. */
export type Timer = IDisposable;

/**
 * Time as the communication server sees it. Every state of a contact or an agent that can last
 * has a timer on this clock, so nothing stays stuck. Production uses {@link systemClock}; tests,
 * the simulator and benchmarks use a {@link VirtualClock}, which never sleeps.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (virtual clocks start wherever they are told). */
  now(): number;
  /**
   * Calls `fn` once, `delayMs` from now (negative delays count as 0).
   * Note: timers due at the same instant run in the order they were set.
   */
  setTimer(delayMs: number, fn: () => void): Timer;
}

/** The wall clock, on Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return { dispose: () => clearTimeout(handle) };
  },
};

/**
 * The wall clock moved to another moment: it reads `startAt` now and then runs at the speed of the
 * wall clock, on Node's timers (a demonstration run as if in office hours: `caruso start --at`).
 */
export function shiftedClock(startAt: number, wallNow: number = Date.now()): Clock & { readonly offsetMs: number } {
  const offsetMs = startAt - wallNow;
  return {
    offsetMs,
    now: () => Date.now() + offsetMs,
    setTimer: systemClock.setTimer,
  };
}

class VirtualTimer implements Timer {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly seq: number,
    public fn: (() => void) | undefined,
    private readonly owner: VirtualClock,
  ) {}
  dispose(): void {
    if (this.cancelled || this.fn === undefined) return;
    this.cancelled = true;
    this.fn = undefined;
    this.owner.noteCancelled();
  }
}

/**
 * A clock that advances only when told, running its timers in time order (ties in the order they
 * were set). A binary heap with lazy deletion keeps `setTimer` and cancellation O(log n).
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private heap: VirtualTimer[] = [];
  private cancelled = 0;

  /** @param start the initial time in ms since the epoch (default 2025-01-06T08:00:00Z, a Monday). */
  constructor(start = Date.UTC(2025, 0, 6, 8, 0, 0)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const t = new VirtualTimer(this.time + Math.max(0, delayMs || 0), this.seq++, fn, this);
    this.push(t);
    return t;
  }

  /** Number of timers still due (cancelled ones excluded). */
  get pending(): number {
    return this.heap.length - this.cancelled;
  }

  /** When the next live timer is due, or undefined when none is. */
  nextAt(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /** Runs the next due timer (moving the time to it). Returns false when there is none. */
  runNext(): boolean {
    this.dropCancelledTop();
    const t = this.pop();
    if (!t) return false;
    this.time = Math.max(this.time, t.at);
    const fn = t.fn;
    t.fn = undefined;
    fn?.();
    return true;
  }

  /** Runs every timer due up to `this.now() + ms` in order, then sets the time to that instant. */
  advance(ms: number): void {
    this.runUntil(this.time + Math.max(0, ms));
  }

  /** Runs every timer due up to `at` in order, then sets the time to `at` (if later). */
  runUntil(at: number): void {
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (!top || top.at > at) break;
      this.runNext();
    }
    if (at > this.time) this.time = at;
  }

  /**
   * Runs timers until none is left or `maxTimers` ran (a guard against a model that schedules
   * forever). Returns the number run.
   */
  runAll(maxTimers = 1_000_000): number {
    let n = 0;
    while (n < maxTimers && this.runNext()) n++;
    return n;
  }

  /** @internal */
  noteCancelled(): void {
    this.cancelled++;
    // Compact when cancelled entries dominate, so a long run does not keep dead timers around.
    if (this.cancelled > 1024 && this.cancelled * 2 > this.heap.length) {
      this.heap = this.heap.filter((t) => !t.cancelled);
      this.cancelled = 0;
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
    }
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) {
      this.pop();
      this.cancelled--;
    }
  }

  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: VirtualTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.down(0);
    }
    return top;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(h[l]!, h[m]!)) m = l;
      if (r < n && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
