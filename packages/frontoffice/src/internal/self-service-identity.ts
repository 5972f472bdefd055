/**
 * Self-service identification: a visitor whose page runs a script that reads or changes data first
 * proves who they are with the application's `<identify>` declaration (the record's key and a second
 * factor of other fields of it). Until then the page's session is pending: no dialogue session
 * runs, so no script fetch or action can happen, and the visitor is shown an `identify` step.
 *
 * Note: pending sessions and failure counts live in this process (bounded, expiring); a visitor
 * whose next request reaches another front-office process starts the page again.
 */
import type { ObjectRecord } from '@caruso/objects';
import type { Application, Identify, SelfService } from '../common/application.js';
import { FrontOfficeErrors } from '../errors.js';

/** A page session waiting for the visitor to identify themselves. */
export interface PendingIdentification {
  readonly page: SelfService;
  readonly createdAt: number;
  failures: number;
}

/** Failed attempts a pending session, a key and an address may have in {@link WINDOW_MS}. */
export const LIMITS = { session: 5, key: 5, address: 30 } as const;
const WINDOW_MS = 15 * 60_000;
const PENDING_TTL_MS = 30 * 60_000;
const MAX_ENTRIES = 10_000;

/** What a visitor may be identified by, with the record's key once they are. */
export type IdentifyOutcome = { readonly ok: true; readonly key: string } | { readonly ok: false };

/** Case, spaces and dashes do not count: "3511 ab" is "3511AB", "12-a" is "12A". */
export function normalise(v: unknown): string {
  return (v === null || v === undefined ? '' : String(v)).replace(/[\s-]+/g, '').toUpperCase();
}

/** Pending sessions and failure counters of one application (one front office). */
export class SelfServiceIdentification {
  private readonly pending = new Map<string, PendingIdentification>();
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Remembers `sessionId` as waiting for identification on `page`. */
  open(sessionId: string, page: SelfService): void {
    this.sweep();
    this.pending.set(sessionId, { page, createdAt: this.now(), failures: 0 });
  }

  /** The pending session, if `sessionId` is one (and not expired). */
  get(sessionId: string): PendingIdentification | undefined {
    const p = this.pending.get(sessionId);
    if (p && this.now() - p.createdAt > PENDING_TTL_MS) {
      this.pending.delete(sessionId);
      return undefined;
    }
    return p;
  }

  /** The session is a dialogue session now (or abandoned). */
  close(sessionId: string): void {
    this.pending.delete(sessionId);
  }

  /**
   * Checks the visitor's details against the record. Throws CARUSO_FRONTOFFICE_IDENTIFY_LOCKED (429)
   * when the session, the key or the address has used up its attempts; counts a failure otherwise.
   * @param find reads the record(s) whose key field holds the given value.
   */
  async verify(
    sessionId: string,
    identify: Identify,
    given: Readonly<Record<string, string>>,
    address: string,
    find: (key: string) => Promise<readonly ObjectRecord[]>,
  ): Promise<IdentifyOutcome> {
    const p = this.get(sessionId);
    const key = (given[identify.by.name] ?? '').trim();
    const counters = [`k:${normalise(key)}`, `a:${address}`];
    const wait = this.locked(p, counters);
    if (wait > 0) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_IDENTIFY_LOCKED({ seconds: wait });
    const found = key === '' ? [] : await find(key);
    const record = found.length === 1 ? found[0] : undefined;
    const ok = record !== undefined && identify.verify.every((f) => normalise(record[f.name]) !== '' && normalise(record[f.name]) === normalise(given[f.name]));
    if (ok && record) return { ok: true, key: String(record[identify.by.name]) };
    if (p) p.failures += 1;
    const t = this.now();
    for (const c of counters) {
      const list = (this.failures.get(c) ?? []).filter((x) => t - x < WINDOW_MS);
      list.push(t);
      this.failures.delete(c);
      this.failures.set(c, list.slice(-LIMITS.address));
    }
    this.sweep();
    return { ok: false };
  }

  /** Seconds until another attempt is allowed (0: now). */
  private locked(p: PendingIdentification | undefined, counters: readonly string[]): number {
    const t = this.now();
    if (p && p.failures >= LIMITS.session) return Math.ceil(WINDOW_MS / 1000);
    let wait = 0;
    for (const c of counters) {
      const limit = c.startsWith('k:') ? LIMITS.key : LIMITS.address;
      const recent = (this.failures.get(c) ?? []).filter((x) => t - x < WINDOW_MS);
      if (recent.length >= limit) wait = Math.max(wait, Math.ceil((WINDOW_MS - (t - (recent[recent.length - limit] as number))) / 1000));
    }
    return wait;
  }

  /** Keeps both maps bounded: expired entries go, then the oldest. */
  private sweep(): void {
    const t = this.now();
    if (this.pending.size >= MAX_ENTRIES) {
      for (const [id, p] of this.pending) if (t - p.createdAt > PENDING_TTL_MS) this.pending.delete(id);
      for (const id of [...this.pending.keys()].slice(0, Math.max(0, this.pending.size - MAX_ENTRIES + 1))) this.pending.delete(id);
    }
    if (this.failures.size >= MAX_ENTRIES) {
      for (const [c, list] of this.failures) if (list.every((x) => t - x >= WINDOW_MS)) this.failures.delete(c);
      for (const c of [...this.failures.keys()].slice(0, Math.max(0, this.failures.size - MAX_ENTRIES + 1))) this.failures.delete(c);
    }
  }
}

const byApp = new WeakMap<Application, SelfServiceIdentification>();

/** The identification state of an application's self-service pages (one per front office). */
export function identificationOf(app: Application): SelfServiceIdentification {
  let s = byApp.get(app);
  if (!s) {
    s = new SelfServiceIdentification();
    byApp.set(app, s);
  }
  return s;
}

/** The step a pending session shows: the fields the application's `<identify>` asks for. */
export function identifyStep(page: SelfService, identify: Identify, error?: string): Record<string, unknown> {
  return {
    kind: 'identify',
    script: page.script,
    node: 'identify',
    prompt: '',
    fields: [identify.by, ...identify.verify].map((f) => ({ name: f.name, label: f.label })),
    ...(error !== undefined ? { error } : {}),
    canGoBack: false,
  };
}
