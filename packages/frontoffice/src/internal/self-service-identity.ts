/**
 * Self-service identification: a visitor whose page runs a script that reads or changes data first
 * proves who they are with the application's `<identify>` declaration (the record's key and a second
 * factor of other fields of it). Until then the page's session is pending: no dialogue session
 * runs, so no script fetch or action can happen, and the visitor is shown an `identify` step.
 *
 * Note: pending sessions and failure counts live in this process (bounded, expiring); a visitor
 * whose next request reaches another front-office process starts the page again.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { ObjectRecord } from '@caruso/objects';
import type { Application, Identify, SelfService } from '../common/application.js';
import { FrontOfficeErrors } from '../errors.js';

/**
 * A one-time code sent after the details matched. Only a salted hash of it is kept; it expires and
 * takes a few tries.
 */
interface IssuedCode {
  readonly key: string;
  readonly salt: Buffer;
  readonly hash: Buffer;
  readonly expiresAt: number;
  failures: number;
}

/** A page session waiting for the visitor to identify themselves. */
export interface PendingIdentification {
  readonly page: SelfService;
  readonly createdAt: number;
  failures: number;
  /** Codes sent for this session. */
  codesSent: number;
  /** The code the visitor must type now (the second stage), when `<identify code>` is declared. */
  code?: IssuedCode;
}

/** Failed attempts a pending session, a key and an address may have in {@link WINDOW_MS}; codes a session and a key may be sent; tries of one code. */
export const LIMITS = { session: 5, key: 5, address: 30, codesPerSession: 3, codesPerKey: 5, codeTries: 5 } as const;
/** How long a one-time code is valid. */
export const CODE_TTL_MS = 10 * 60_000;
const WINDOW_MS = 15 * 60_000;
const PENDING_TTL_MS = 30 * 60_000;
const MAX_ENTRIES = 10_000;

/** What a visitor may be identified by, with the record's key once they are. */
export type IdentifyOutcome = { readonly ok: true; readonly key: string; readonly record: ObjectRecord } | { readonly ok: false };

/** What checking a typed code gave. */
export type CodeOutcome = { readonly ok: true; readonly key: string } | { readonly ok: false; readonly reason: 'wrong' | 'expired' | 'used-up' };

function hashCode(salt: Buffer, code: string): Buffer {
  return createHash('sha256').update(salt).update(code).digest();
}

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
    this.pending.set(sessionId, { page, createdAt: this.now(), failures: 0, codesSent: 0 });
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
    if (ok && record) return { ok: true, key: String(record[identify.by.name]), record };
    if (p) p.failures += 1;
    this.count(counters);
    return { ok: false };
  }

  /**
   * A new one-time code for a session whose details matched `key`: returned in clear to be sent,
   * kept only as a salted hash. Throws CARUSO_FRONTOFFICE_IDENTIFY_LOCKED when the session or the key
   * has had its codes.
   */
  issueCode(sessionId: string, key: string): string {
    const p = this.get(sessionId);
    if (!p) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'self-service session' });
    const counter = `c:${normalise(key)}`;
    const t = this.now();
    const sent = (this.failures.get(counter) ?? []).filter((x) => t - x < WINDOW_MS);
    if (p.codesSent >= LIMITS.codesPerSession || sent.length >= LIMITS.codesPerKey) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_IDENTIFY_LOCKED({ seconds: Math.ceil(WINDOW_MS / 1000) });
    this.count([counter]);
    p.codesSent += 1;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const salt = randomBytes(16);
    p.code = { key, salt, hash: hashCode(salt, code), expiresAt: t + CODE_TTL_MS, failures: 0 };
    return code;
  }

  /** Checks a typed code; a wrong one counts, the last try or an expired code sends the visitor back to the details. */
  checkCode(sessionId: string, typed: string): CodeOutcome {
    const p = this.get(sessionId);
    const c = p?.code;
    if (!p || !c) return { ok: false, reason: 'expired' };
    if (this.now() > c.expiresAt) {
      delete p.code;
      return { ok: false, reason: 'expired' };
    }
    const given = hashCode(c.salt, typed.replace(/\s+/g, ''));
    if (timingSafeEqual(given, c.hash)) {
      delete p.code;
      return { ok: true, key: c.key };
    }
    c.failures += 1;
    if (c.failures >= LIMITS.codeTries) {
      delete p.code;
      p.failures += 1;
      return { ok: false, reason: 'used-up' };
    }
    return { ok: false, reason: 'wrong' };
  }

  /** Counts one failure (or one code sent) against each counter. */
  private count(counters: readonly string[]): void {
    const t = this.now();
    for (const c of counters) {
      const list = (this.failures.get(c) ?? []).filter((x) => t - x < WINDOW_MS);
      list.push(t);
      this.failures.delete(c);
      this.failures.set(c, list.slice(-LIMITS.address));
    }
    this.sweep();
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

/**
 * The step a pending session shows: the fields the application's `<identify>` asks for (stage
 * `details`), or the one-time code sent to the address on file (stage `code`).
 */
export function identifyStep(page: SelfService, identify: Identify, error?: string, stage: 'details' | 'code' = 'details'): Record<string, unknown> {
  return {
    kind: 'identify',
    stage,
    script: page.script,
    node: 'identify',
    prompt: '',
    fields: stage === 'code' ? [{ name: 'code', label: 'Code' }] : [identify.by, ...identify.verify].map((f) => ({ name: f.name, label: f.label })),
    ...(error !== undefined ? { error } : {}),
    canGoBack: false,
  };
}
