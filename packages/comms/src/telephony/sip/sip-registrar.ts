import type { SipAddress } from './sip-stack.js';

/** Where a registered phone can be reached. */
export interface SipBinding {
  /** The user (an agent's phone login), e.g. `anna`. */
  readonly user: string;
  /** The Contact URI the phone registered. */
  readonly contact: string;
  /** Where its REGISTER came from: requests go there (works behind NAT). */
  readonly source: SipAddress;
  readonly expiresAt: number;
}

/**
 * The location service of the registrar (RFC 3261 §10): one binding per user and contact, expired
 * by time. The SIP adapter authenticates a REGISTER before it reaches here.
 */
export class SipRegistrar {
  private readonly bindings = new Map<string, Map<string, SipBinding>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds or refreshes a binding; `expiresSec` 0 removes it. */
  bind(user: string, contact: string, source: SipAddress, expiresSec: number): void {
    let forUser = this.bindings.get(user);
    if (expiresSec <= 0) {
      forUser?.delete(contact);
      if (forUser?.size === 0) this.bindings.delete(user);
      return;
    }
    if (!forUser) this.bindings.set(user, (forUser = new Map()));
    forUser.set(contact, { user, contact, source, expiresAt: this.now() + expiresSec * 1000 });
  }

  /** Removes every binding of a user (`Contact: *`). */
  unbindAll(user: string): void {
    this.bindings.delete(user);
  }

  /** The live bindings of a user, newest expiry first. */
  lookup(user: string): SipBinding[] {
    const forUser = this.bindings.get(user);
    if (!forUser) return [];
    const now = this.now();
    for (const [k, b] of forUser) if (b.expiresAt <= now) forUser.delete(k);
    return [...forUser.values()].sort((a, b) => b.expiresAt - a.expiresAt);
  }

  /** Users with at least one live binding. */
  /** Whether a live binding was registered from this address (a registered phone sending a request). */
  isBoundFrom(source: SipAddress): boolean {
    for (const user of this.bindings.keys()) {
      if (this.lookup(user).some((b) => b.source.host === source.host && b.source.port === source.port)) return true;
    }
    return false;
  }

  get users(): string[] {
    return [...this.bindings.keys()].filter((u) => this.lookup(u).length > 0);
  }
}
