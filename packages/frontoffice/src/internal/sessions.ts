import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { User } from '../user-store.js';

/** A logged-in staff member or a self-service visitor. */
export interface Principal {
  readonly kind: 'user' | 'visitor';
  readonly name: string;
  readonly role: User['role'] | 'anonymous';
  readonly agentId: string | undefined;
  readonly csrf: string;
  /** Visitors: the script sessions they started (they reach only these). */
  readonly scriptSessions: Set<string>;
  expiresAt: number;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Sessions behind the HttpOnly cookie. Only a digest of each token is kept, so that a memory dump
 * does not hand out live sessions. Sliding expiry.
 * Note: sessions live in this process; a restart logs everyone out (their work is durable).
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Principal>();

  constructor(private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  create(p: Omit<Principal, 'csrf' | 'expiresAt' | 'scriptSessions'>): { token: string; principal: Principal } {
    const token = randomBytes(32).toString('base64url');
    const principal: Principal = { ...p, csrf: randomBytes(24).toString('base64url'), scriptSessions: new Set(), expiresAt: this.now() + this.ttlMs };
    this.sessions.set(digest(token), principal);
    if (this.sessions.size % 1000 === 0) this.sweep();
    return { token, principal };
  }

  get(token: string | undefined): Principal | undefined {
    if (!token || token.length > 100) return undefined;
    const key = digest(token);
    const p = this.sessions.get(key);
    if (!p) return undefined;
    if (p.expiresAt < this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    p.expiresAt = this.now() + this.ttlMs;
    return p;
  }

  delete(token: string | undefined): void {
    if (token) this.sessions.delete(digest(token));
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, p] of this.sessions) if (p.expiresAt < t) this.sessions.delete(k);
  }
}

/** Whether the header carries the principal's CSRF token (constant time). */
export function csrfMatches(principal: Principal, header: unknown): boolean {
  if (typeof header !== 'string') return false;
  const a = Buffer.from(header);
  const b = Buffer.from(principal.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Failed log-ins per user name and per address in a sliding window: past `max` failures the next
 * attempts are refused until the window moves on.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly max: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  /** Seconds to wait, or 0 when an attempt is allowed. */
  retryAfter(keys: readonly string[]): number {
    const t = this.now();
    let wait = 0;
    for (const k of keys) {
      const list = (this.failures.get(k) ?? []).filter((x) => x > t - this.windowMs);
      this.failures.set(k, list);
      if (list.length >= this.max) wait = Math.max(wait, Math.ceil(((list[0] as number) + this.windowMs - t) / 1000));
    }
    return wait;
  }

  fail(keys: readonly string[]): void {
    for (const k of keys) this.failures.set(k, [...(this.failures.get(k) ?? []), this.now()]);
  }

  succeed(keys: readonly string[]): void {
    for (const k of keys) this.failures.delete(k);
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
