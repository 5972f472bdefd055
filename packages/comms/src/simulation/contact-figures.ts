import type { AgentState } from '../contract/model.js';
import type { ContactEventInput } from '../contract/contact-event-log.js';

/**
 * Contact-center figures folded from the contact event log: offered, answered, abandoned, service
 * level (three variants), ASA, AHT, abandon rate, occupancy, with 95 % confidence intervals by
 * batch means. The definitions and formulas are in docs/figures.md.
 */

/** An estimate with the half-width of its 95 % confidence interval (batch means), when there are batches. */
export interface Estimate {
  readonly value: number;
  readonly ci95?: number;
}

/** Options of {@link ContactFigures}. */
export interface ContactFiguresOptions {
  /** Service-level threshold in ms (e.g. 20,000 for 80/20). */
  readonly thresholdMs: number;
  /** Abandons within this wait are "short" (default: the threshold). */
  readonly shortAbandonMs?: number;
  /** Only contacts that first entered at or after this time count (warm-up). Default: all. */
  readonly from?: number;
  /** Only contacts that first entered before this time count; occupancy is measured up to it. */
  readonly to?: number;
  /** Number of batches for the confidence intervals (needs `from` and `to`; default 20, 0 for none). */
  readonly batches?: number;
}

/** What {@link ContactFigures.report} returns. */
export interface FiguresReport {
  readonly offered: number;
  readonly answered: number;
  readonly handled: number;
  readonly abandoned: number;
  readonly shortAbandons: number;
  readonly exited: Readonly<Record<string, number>>;
  readonly serviceLevel: {
    readonly thresholdSeconds: number;
    /** answered within T / answered. */
    readonly ofAnswered: Estimate;
    /** answered within T / (answered + abandoned + exited): abandons count against it. */
    readonly ofOffered: Estimate;
    /** answered within T / (answered + abandons after T): short abandons are left out. */
    readonly excludingShortAbandons: Estimate;
  };
  /** Share of answered contacts that waited at all. */
  readonly probabilityOfWait: Estimate;
  /** Average speed of answer of answered contacts, seconds. */
  readonly asaSeconds: Estimate;
  /** Average handle time (talk + hold + wrap-up) of handled contacts, seconds. */
  readonly ahtSeconds: Estimate;
  /** abandoned / offered. */
  readonly abandonRate: Estimate;
  /** (busy + wrap-up) / (ready + reserved + busy + wrap-up) agent time; paused and logged-out time excluded. */
  readonly occupancy: number;
}

interface Batch {
  offered: number;
  answered: number;
  within: number;
  waited: number;
  waitMs: number;
  abandoned: number;
  abandonedAfter: number;
  exited: number;
  handled: number;
  handleMs: number;
}

interface Tracked {
  readonly batch: Batch | undefined;
  answered: boolean;
}

const WORKING: ReadonlySet<AgentState> = new Set(['busy', 'wrap-up']);
const AVAILABLE: ReadonlySet<AgentState> = new Set(['ready', 'reserved', 'busy', 'wrap-up']);

function newBatch(): Batch {
  return { offered: 0, answered: 0, within: 0, waited: 0, waitMs: 0, abandoned: 0, abandonedAfter: 0, exited: 0, handled: 0, handleMs: 0 };
}

/** Folds contact events into figures. Feed it every event in log order, then call `report()`. */
export class ContactFigures {
  private readonly total = newBatch();
  private readonly batches: Batch[] = [];
  private readonly contacts = new Map<string, Tracked>();
  private readonly agents = new Map<string, { state: AgentState; since: number }>();
  private readonly exitedBy: Record<string, number> = {};
  private shortAbandons = 0;
  private wrapMs = 0;
  private workMs = 0;
  private staffedMs = 0;
  private readonly from: number;
  private readonly to: number;
  private readonly batchMs: number;
  private readonly shortMs: number;

  constructor(private readonly options: ContactFiguresOptions) {
    this.from = options.from ?? -Infinity;
    this.to = options.to ?? Infinity;
    const n = options.batches ?? 20;
    this.batchMs = Number.isFinite(this.from) && Number.isFinite(this.to) && n > 1 ? (this.to - this.from) / n : 0;
    if (this.batchMs > 0) for (let i = 0; i < n; i++) this.batches.push(newBatch());
    this.shortMs = options.shortAbandonMs ?? options.thresholdMs;
  }

  /** Contacts entered and not ended yet: all the per-contact state the fold holds. */
  get openContacts(): number {
    return this.contacts.size;
  }

  /** Folds one event. */
  add(e: ContactEventInput): void {
    switch (e.kind) {
      case 'queue-entered': {
        const id = e.contactId;
        if (id === undefined || this.contacts.has(id)) return;
        const first = e.at - (e.waitMs ?? 0);
        if (first < this.from || first >= this.to) {
          this.contacts.set(id, { batch: undefined, answered: false });
          return;
        }
        const batch = this.batchMs > 0 ? this.batches[Math.min(this.batches.length - 1, Math.floor((first - this.from) / this.batchMs))] : undefined;
        this.contacts.set(id, { batch: batch ?? this.total, answered: false });
        this.total.offered++;
        if (batch) batch.offered++;
        return;
      }
      case 'connected': {
        const t = e.contactId === undefined ? undefined : this.contacts.get(e.contactId);
        if (!t || t.answered) return;
        t.answered = true;
        if (!t.batch) return;
        const wait = e.waitMs ?? 0;
        this.both(t.batch, (b) => {
          b.answered++;
          b.waitMs += wait;
          if (wait > 0) b.waited++;
          if (wait <= this.options.thresholdMs) b.within++;
        });
        return;
      }
      case 'completed': {
        const t = e.contactId === undefined ? undefined : this.contacts.get(e.contactId);
        if (!t) return;
        if (t.batch) {
          const ms = (e.talkMs ?? 0) + (e.holdMs ?? 0);
          this.both(t.batch, (b) => {
            b.handleMs += ms;
            if (e.reason !== 'transferred') b.handled++;
          });
        }
        if (e.reason !== 'transferred') this.contacts.delete(e.contactId!);
        return;
      }
      case 'wrap-up-ended':
        if (e.at >= this.from) this.wrapMs += e.wrapMs ?? 0;
        return;
      case 'abandoned': {
        const t = e.contactId === undefined ? undefined : this.contacts.get(e.contactId);
        if (!t) return;
        this.contacts.delete(e.contactId!);
        if (!t.batch) return;
        const wait = e.waitMs ?? 0;
        if (wait <= this.shortMs) this.shortAbandons++;
        this.both(t.batch, (b) => {
          b.abandoned++;
          if (wait > this.shortMs) b.abandonedAfter++;
        });
        return;
      }
      case 'exited': {
        const t = e.contactId === undefined ? undefined : this.contacts.get(e.contactId);
        if (!t) return;
        this.contacts.delete(e.contactId!);
        if (!t.batch) return;
        this.exitedBy[e.reason ?? 'unknown'] = (this.exitedBy[e.reason ?? 'unknown'] ?? 0) + 1;
        this.both(t.batch, (b) => b.exited++);
        return;
      }
      case 'agent-state-changed': {
        if (e.agentId === undefined || e.state === undefined) return;
        const prev = this.agents.get(e.agentId);
        if (prev) this.account(prev.state, prev.since, e.at);
        this.agents.set(e.agentId, { state: e.state, since: e.at });
        return;
      }
      default:
        return;
    }
  }

  /** The figures. `endAt` closes the agents' open states (default: the `to` option). */
  report(endAt?: number): FiguresReport {
    let workMs = this.workMs;
    let staffedMs = this.staffedMs;
    const end = endAt ?? this.to;
    if (Number.isFinite(end)) {
      const saved = [this.workMs, this.staffedMs] as const;
      for (const a of this.agents.values()) this.account(a.state, a.since, end);
      workMs = this.workMs;
      staffedMs = this.staffedMs;
      [this.workMs, this.staffedMs] = saved;
    }
    const t = this.total;
    const T = this.options.thresholdMs;
    return {
      offered: t.offered,
      answered: t.answered,
      handled: t.handled,
      abandoned: t.abandoned,
      shortAbandons: this.shortAbandons,
      exited: { ...this.exitedBy },
      serviceLevel: {
        thresholdSeconds: T / 1000,
        ofAnswered: this.estimate((b) => [b.within, b.answered]),
        ofOffered: this.estimate((b) => [b.within, b.answered + b.abandoned + b.exited]),
        excludingShortAbandons: this.estimate((b) => [b.within, b.answered + b.abandonedAfter]),
      },
      probabilityOfWait: this.estimate((b) => [b.waited, b.answered]),
      asaSeconds: this.estimate((b) => [b.waitMs / 1000, b.answered]),
      ahtSeconds: (() => {
        const talk = this.estimate((b) => [b.handleMs / 1000, b.handled]);
        const wrap = t.handled > 0 ? this.wrapMs / 1000 / t.handled : 0;
        return talk.ci95 === undefined ? { value: talk.value + wrap } : { value: talk.value + wrap, ci95: talk.ci95 };
      })(),
      abandonRate: this.estimate((b) => [b.abandoned, b.offered]),
      occupancy: staffedMs > 0 ? workMs / staffedMs : 0,
    };
  }

  private both(b: Batch, fn: (b: Batch) => void): void {
    fn(b);
    if (b !== this.total) fn(this.total);
  }

  private account(state: AgentState, since: number, until: number): void {
    const lo = Math.max(since, this.from);
    const hi = Math.min(until, this.to);
    if (hi <= lo) return;
    if (WORKING.has(state)) this.workMs += hi - lo;
    if (AVAILABLE.has(state)) this.staffedMs += hi - lo;
  }

  private estimate(ratio: (b: Batch) => readonly [number, number]): Estimate {
    const [num, den] = ratio(this.total);
    const value = den > 0 ? num / den : 0;
    const xs: number[] = [];
    for (const b of this.batches) {
      const [n, d] = ratio(b);
      if (d > 0) xs.push(n / d);
    }
    if (xs.length < 2) return { value };
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
    return { value, ci95: studentT975(xs.length - 1) * Math.sqrt(variance / xs.length) };
  }
}

/** The 97.5 % quantile of Student's t with `df` degrees of freedom (Cornish–Fisher expansion; within 0.5 % for df ≥ 5). */
export function studentT975(df: number): number {
  const z = 1.959963984540054;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}
