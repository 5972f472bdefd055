import { Disposable, Emitter, safeTimeout, silentLogger, type Logger } from '@caruso/kernel';
import { SIP_FAULTS } from './sip-faults.js';
import { digestAuthorization } from './sip-digest.js';
import { header, headerValues, paramOf, randomToken, uriOf, type SipHeader, type SipResponse } from './sip-message.js';
import type { SipAddress, SipStack } from './sip-stack.js';

/** Where a trunk registration stands. */
export type TrunkRegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed';

/** The registration of one trunk, as monitoring and tests see it. */
export interface TrunkRegistrationStatus {
  readonly trunk: string;
  readonly state: TrunkRegistrationState;
  /** When the binding runs out (registered only), ms since the epoch. */
  readonly expiresAt?: number;
  /** Status code of the last final response (408 for a time-out). */
  readonly lastStatus?: number;
  /** Failed attempts since the last success. */
  readonly failures: number;
  /** Successful REGISTERs (first registration and refreshes). */
  readonly registrations: number;
}

/** What a {@link SipTrunkRegistration} needs to know about its trunk. */
export interface TrunkRegistrationOptions {
  readonly trunkId: string;
  readonly dest: SipAddress;
  /** The registrar's domain (the trunk's host). */
  readonly domain: string;
  /** The user part of our address of record (the account at the provider). */
  readonly username: string;
  readonly password: string | undefined;
  /** The user name of the digest answers when it differs from `username` (default `username`). */
  readonly authUsername?: string;
  /** A Route header value for an outbound proxy (`dest` is then the proxy). */
  readonly route?: string;
  /** Asked-for binding time, s (default 3600; the registrar may shorten it). */
  readonly expiresSec?: number;
  /** First wait before a failed registration is tried again, ms (default 30 s; doubles up to `maxRetryMs`). */
  readonly retryMs?: number;
  /** Longest wait between attempts, ms (default 5 min). */
  readonly maxRetryMs?: number;
  readonly logger?: Logger;
}

/**
 * Caruso registering with a provider's trunk (RFC 3261 §10.2): one Call-ID for every REGISTER of the
 * binding, a CSeq that counts up, digest challenges (401/407, and a `stale` nonce) answered with the
 * trunk's credentials, `423 Interval Too Brief` honoured, a refresh before the binding runs out, and
 * a retry with back-off (or after `Retry-After`) when an attempt fails. `unregister` removes the
 * binding (Expires: 0) when the adapter stops.
 */
export class SipTrunkRegistration extends Disposable {
  private readonly _onDidChange = this.register(new Emitter<TrunkRegistrationStatus>());
  /** Every change of state (and every refresh). */
  readonly onDidChange = this._onDidChange.event;
  private readonly callId = `${randomToken(10)}@caruso`;
  private readonly tag = randomToken(6);
  private readonly logger: Logger;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private current: TrunkRegistrationStatus;
  private stopped = false;
  private attempt = 0;

  constructor(private readonly stack: SipStack, private readonly o: TrunkRegistrationOptions) {
    super();
    this.logger = o.logger ?? silentLogger();
    this.current = { trunk: o.trunkId, state: 'unregistered', failures: 0, registrations: 0 };
  }

  /** The registration's state now. */
  get status(): TrunkRegistrationStatus {
    return this.current;
  }

  /** Sends the first REGISTER. */
  start(): void {
    this.set({ state: 'registering' });
    this.send(this.o.expiresSec ?? 3600, () => undefined);
  }

  /**
   * Removes the binding (REGISTER with Expires: 0) when there is one; resolves on the registrar's
   * answer or after `timeoutMs`. Stops every refresh and retry.
   */
  unregister(timeoutMs = 1000): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    if (this.current.state !== 'registered') return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.send(0, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  override dispose(): void {
    this.stopped = true;
    this.clearTimer();
    super.dispose();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private set(change: Partial<TrunkRegistrationStatus>): void {
    const next: TrunkRegistrationStatus = { ...this.current, ...change };
    if (next.state !== 'registered') delete (next as { expiresAt?: number }).expiresAt;
    this.current = next;
    this._onDidChange.fire(next);
  }

  private get requestUri(): string {
    const { dest, domain } = this.o;
    // The registrar's own address carries its port; a domain (reached through a proxy or by name) does not.
    const port = domain === dest.host && !this.o.route ? `:${dest.port}` : '';
    return `sip:${domain}${port}${dest.transport === 'tcp' ? ';transport=tcp' : ''}`;
  }

  /** One REGISTER transaction chain (with at most two challenges answered); `done` on its final outcome. */
  private send(expires: number, done: () => void, authorization?: SipHeader, challenges = 0): void {
    const { dest, domain, username } = this.o;
    const aor = `<sip:${username}@${domain}>`;
    const contact = `<sip:${username}@${this.stack.advertisedHost}:${this.stack.port}${dest.transport === 'tcp' ? ';transport=tcp' : ''}>`;
    const uri = this.requestUri;
    const attempt = ++this.attempt;
    this.stack.request({
      method: 'REGISTER', uri, body: Buffer.alloc(0),
      headers: [
        ...(this.o.route ? [{ name: 'route', value: this.o.route }] : []),
        { name: 'max-forwards', value: '70' },
        { name: 'from', value: `${aor};tag=${this.tag}` },
        { name: 'to', value: aor },
        { name: 'call-id', value: this.callId },
        { name: 'cseq', value: `${++this.seq} REGISTER` },
        { name: 'contact', value: contact },
        { name: 'expires', value: String(expires) },
        ...(authorization ? [authorization] : []),
      ],
    }, dest, (res) => {
      if (res.status < 200 || attempt !== this.attempt) return;
      this.onFinal(res, expires, contact, challenges, done);
    });
  }

  private onFinal(res: SipResponse, expires: number, contact: string, challenges: number, done: () => void): void {
    const unregistering = expires === 0;
    if (res.status >= 200 && res.status < 300) {
      done();
      if (unregistering) {
        this.set({ state: 'unregistered', lastStatus: res.status });
        return;
      }
      const granted = grantedExpiry(res, contact) ?? expires;
      this.set({ state: 'registered', expiresAt: Date.now() + granted * 1000, lastStatus: res.status, failures: 0, registrations: this.current.registrations + 1 });
      this.logger.info({ trunk: this.o.trunkId, expires: granted }, 'registered with the trunk');
      this.schedule(refreshDelayMs(granted), () => this.send(this.o.expiresSec ?? 3600, () => undefined));
      return;
    }
    if ((res.status === 401 || res.status === 407) && this.o.password !== undefined) {
      const challenge = header(res, res.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
      const stale = /stale\s*=\s*"?true/i.test(challenge);
      // One answer per challenge; a second one only when the first used a nonce that went stale.
      if (challenges === 0 || (challenges === 1 && stale)) {
        const value = digestAuthorization(challenge, { method: 'REGISTER', uri: this.requestUri }, { username: this.o.authUsername ?? this.o.username, password: this.o.password });
        if (value) {
          this.send(expires, done, { name: res.status === 401 ? 'authorization' : 'proxy-authorization', value }, challenges + 1);
          return;
        }
      }
    }
    if (res.status === 423 && !unregistering) {
      const min = Number(header(res, 'min-expires'));
      if (Number.isInteger(min) && min > expires && min <= 86_400) {
        this.send(min, done, undefined, challenges);
        return;
      }
    }
    done();
    if (unregistering) {
      this.set({ state: 'unregistered', lastStatus: res.status });
      return;
    }
    const failures = this.current.failures + 1;
    this.set({ state: 'failed', lastStatus: res.status, failures });
    const retryAfter = Number(header(res, 'retry-after')?.split(/[\s;(]/)[0]);
    const backoff = Math.min((this.o.retryMs ?? 30_000) * 2 ** Math.min(failures - 1, 16), this.o.maxRetryMs ?? 300_000);
    const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff;
    this.logger.warn({ trunk: this.o.trunkId, status: res.status, retryInMs: wait }, 'trunk registration failed; trying again later');
    this.schedule(wait, () => {
      this.set({ state: 'registering' });
      this.send(this.o.expiresSec ?? 3600, () => undefined);
    });
  }

  private schedule(ms: number, run: () => void): void {
    this.clearTimer();
    if (this.stopped) return;
    this.timer = safeTimeout(SIP_FAULTS, () => {
      this.timer = undefined;
      if (!this.stopped) run();
    }, ms);
  }
}

/** The binding time the registrar granted: our Contact's `expires`, else the Expires header. */
function grantedExpiry(res: SipResponse, contact: string): number | undefined {
  const ours = uriOf(contact);
  for (const c of headerValues(res, 'contact')) {
    if (uriOf(c) !== ours) continue;
    const v = Number(paramOf(c, 'expires'));
    if (Number.isFinite(v) && v >= 0) return v;
  }
  const e = Number(header(res, 'expires'));
  return Number.isFinite(e) && e > 0 ? e : undefined;
}

/** Refresh well before the binding runs out: 30 s early for long bindings, half-way for short ones. */
export function refreshDelayMs(expiresSec: number): number {
  return Math.max(500, expiresSec > 60 ? (expiresSec - 30) * 1000 : expiresSec * 500);
}
