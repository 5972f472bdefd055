import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FrontOfficeStore, User } from '../user-store.js';

/** A logged-in staff member or a self-service visitor. */
export interface Principal {
  /** The digest of the session's token (the key of its row). */
  readonly key: string;
  readonly kind: 'user' | 'visitor';
  readonly name: string;
  readonly role: User['role'] | 'anonymous';
  readonly agentId: string | undefined;
  readonly csrf: string;
  /** Visitors: the script sessions they started (they reach only these). */
  readonly scriptSessions: ReadonlySet<string>;
  expiresAt: number;
}

/** Where sessions are kept (the front office's tables). */
export type SessionStore = Pick<FrontOfficeStore, 'insertSession' | 'session' | 'touchSession' | 'setSessionScripts' | 'deleteSession' | 'deleteExpiredSessions'>;

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

interface Cached {
  readonly principal: Principal & { scriptSessions: Set<string> };
  /** The expiry as last written to the table. */
  storedExpiresAt: number;
  /** When the row was last read or written (a logout in another process is seen after `revalidateMs`). */
  checkedAt: number;
}

/** Options of {@link SessionRegistry}. */
export interface SessionRegistryOptions {
  /** Lifetime without activity (sliding). */
  readonly ttlMs: number;
  /** How long a session read from the table is trusted before it is read again. Default 5 s. */
  readonly revalidateMs?: number;
  /**
   * Default: the wall clock, on purpose. Session expiry is a security timer: it must not move with the
   * communication server's clock, which a simulation may shift (everything else the front office
   * stamps or shows goes by that server clock).
   */
  readonly now?: () => number;
}

/**
 * Sessions behind the HttpOnly cookie, kept in the database (table caruso_fo_sessions) so that a
 * restart of the front office, or another front-office process on the same database, keeps people
 * logged in. Only a digest of each token is stored, so that a database dump does not hand out live
 * sessions. Sliding expiry: the row's expiry moves on at most about once a minute per session;
 * logging out and expiry delete the row. A small cache saves a read per request; a row deleted by
 * another process is noticed within `revalidateMs`.
 */
export class SessionRegistry {
  private readonly cache = new Map<string, Cached>();
  private readonly ttlMs: number;
  private readonly revalidateMs: number;
  private readonly now: () => number;
  private created = 0;

  constructor(private readonly store: SessionStore, options: SessionRegistryOptions) {
    this.ttlMs = options.ttlMs;
    this.revalidateMs = options.revalidateMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  async create(p: Pick<Principal, 'kind' | 'name' | 'role' | 'agentId'>): Promise<{ token: string; principal: Principal }> {
    const token = randomBytes(32).toString('base64url');
    const key = digest(token);
    const t = this.now();
    const principal = { ...p, key, csrf: randomBytes(24).toString('base64url'), scriptSessions: new Set<string>(), expiresAt: t + this.ttlMs };
    await this.store.insertSession({ tokenDigest: key, kind: p.kind, name: p.name, role: p.role, agentId: p.agentId, csrf: principal.csrf, scriptSessions: [], expiresAt: principal.expiresAt });
    this.cache.set(key, { principal, storedExpiresAt: principal.expiresAt, checkedAt: t });
    if (++this.created % 500 === 0) await this.sweep();
    return { token, principal };
  }

  /** The session's principal, or undefined (no such session, logged out, or expired: its row goes). */
  async get(token: string | undefined): Promise<Principal | undefined> {
    if (!token || token.length > 100) return undefined;
    const key = digest(token);
    const t = this.now();
    let c = this.cache.get(key);
    if (!c || t - c.checkedAt > this.revalidateMs) {
      const row = await this.store.session(key);
      if (!row) {
        this.cache.delete(key);
        return undefined;
      }
      const principal = c?.principal ?? { key, kind: row.kind, name: row.name, role: row.role, agentId: row.agentId, csrf: row.csrf, scriptSessions: new Set(row.scriptSessions), expiresAt: row.expiresAt };
      for (const id of row.scriptSessions) principal.scriptSessions.add(id);
      principal.expiresAt = Math.max(principal.expiresAt, row.expiresAt);
      c = { principal, storedExpiresAt: row.expiresAt, checkedAt: t };
      this.cache.set(key, c);
    }
    if (c.principal.expiresAt < t) {
      this.cache.delete(key);
      await this.store.deleteSession(key);
      return undefined;
    }
    c.principal.expiresAt = t + this.ttlMs;
    if (c.principal.expiresAt - c.storedExpiresAt > Math.min(60_000, this.ttlMs / 10)) {
      c.storedExpiresAt = c.principal.expiresAt;
      await this.store.touchSession(key, c.storedExpiresAt);
    }
    return c.principal;
  }

  /** Ends a session (log-out): its row is deleted, the token is worthless from then on. */
  async delete(token: string | undefined): Promise<void> {
    if (!token || token.length > 100) return;
    const key = digest(token);
    this.cache.delete(key);
    await this.store.deleteSession(key);
  }

  /** Records a script session a visitor started (kept with their session). */
  async addScriptSession(p: Principal, sessionId: string): Promise<void> {
    const c = this.cache.get(p.key);
    const set = c?.principal.scriptSessions ?? new Set(p.scriptSessions);
    set.add(sessionId);
    await this.store.setSessionScripts(p.key, [...set]);
  }

  /** Deletes expired rows and forgets cached sessions that expired. */
  async sweep(): Promise<void> {
    const t = this.now();
    for (const [k, c] of this.cache) if (c.principal.expiresAt < t) this.cache.delete(k);
    await this.store.deleteExpiredSessions(t);
  }
}

/** Whether the header carries the principal's CSRF token (constant time). */
export function csrfMatches(principal: Principal, header: unknown): boolean {
  if (typeof header !== 'string') return false;
  const a = Buffer.from(header);
  const b = Buffer.from(principal.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Where a {@link LoginLimiter} keeps its failures (the front office's database). */
export interface LoginFailureStore {
  loginFailures(keys: readonly string[], since: number): Promise<Map<string, { count: number; first: number }>>;
  addLoginFailures(keys: readonly string[], at: number, before: number): Promise<void>;
  clearLoginFailures(keys: readonly string[]): Promise<void>;
}

/**
 * Failed log-ins per user name and per address in a sliding window: past `max` failures the next
 * attempts are refused until the window moves on. The failures are in the database, so every
 * front-office process sharing it counts the same ones.
 */
export class LoginLimiter {
  constructor(
    private readonly store: LoginFailureStore,
    private readonly max: number,
    private readonly windowMs: number,
    // The wall clock, on purpose: a security timer, not a contact-center time (see SessionRegistryOptions.now).
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait, or 0 when an attempt is allowed. */
  async retryAfter(keys: readonly string[]): Promise<number> {
    const t = this.now();
    let wait = 0;
    for (const f of (await this.store.loginFailures(keys, t - this.windowMs)).values()) {
      if (f.count >= this.max) wait = Math.max(wait, Math.ceil((f.first + this.windowMs - t) / 1000));
    }
    return wait;
  }

  async fail(keys: readonly string[]): Promise<void> {
    const t = this.now();
    await this.store.addLoginFailures(keys, t, t - this.windowMs);
  }

  async succeed(keys: readonly string[]): Promise<void> {
    await this.store.clearLoginFailures(keys);
  }
}

/** Parses a Cookie header. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !(k in out)) out[k] = v;
  }
  return out;
}
