import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HTTP digest authentication as SIP uses it (RFC 3261 §22, RFC 2617 with qop=auth, MD5): the
 * server side for agents' phones registering with Caruso (stateless nonces signed with a secret
 * and stamped with their time), and the client side for Caruso authenticating to a trunk.
 */

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/** Parses `Digest realm="x", nonce="y", …` into lower-case keys. */
export function parseDigest(value: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*,?/g;
  let part: RegExpExecArray | null;
  while ((part = re.exec(m[1]!)) !== null) out[part[1]!.toLowerCase()] = part[2] ?? part[3] ?? '';
  return out;
}

/** The server side: challenges and checks. */
export class DigestAuthenticator {
  private readonly secret = randomBytes(16);
  private nc = new Map<string, number>();

  /**
   * @param realm shown to phones (`caruso`)
   * @param passwordOf the password of a user name, undefined when there is no such user
   * @param nonceTtlMs how long a nonce is accepted (default 5 minutes; then `stale=true`)
   */
  constructor(readonly realm: string, private readonly passwordOf: (user: string) => string | undefined, private readonly nonceTtlMs = 300_000) {}

  private nonce(now = Date.now()): string {
    const stamp = now.toString(16);
    return `${stamp}.${createHmac('sha256', this.secret).update(stamp).digest('hex').slice(0, 32)}`;
  }

  /** A `WWW-Authenticate` value. */
  challenge(stale = false): string {
    return `Digest realm="${this.realm}", nonce="${this.nonce()}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  /**
   * Checks an `Authorization` header for `method`. Returns the user on success, `stale` when a
   * good answer used an expired nonce, undefined otherwise.
   */
  verify(authorization: string | undefined, method: string): { readonly user: string } | 'stale' | undefined {
    if (!authorization) return undefined;
    const d = parseDigest(authorization);
    if (!d || !d['username'] || !d['nonce'] || !d['response'] || !d['uri'] || d['realm'] !== this.realm) return undefined;
    if (d['algorithm'] && d['algorithm'].toUpperCase() !== 'MD5') return undefined;
    const [stamp, mac] = d['nonce'].split('.');
    if (!stamp || !mac || !/^[0-9a-f]{1,12}$/.test(stamp)) return undefined;
    const expectedMac = createHmac('sha256', this.secret).update(stamp).digest('hex').slice(0, 32);
    if (!safeEqual(mac, expectedMac)) return undefined;
    const password = this.passwordOf(d['username']);
    if (password === undefined) return undefined;
    const ha1 = md5(`${d['username']}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${d['uri']}`);
    const expected = d['qop'] === 'auth'
      ? md5(`${ha1}:${d['nonce']}:${d['nc'] ?? ''}:${d['cnonce'] ?? ''}:auth:${ha2}`)
      : md5(`${ha1}:${d['nonce']}:${ha2}`);
    if (!safeEqual(d['response'].toLowerCase(), expected)) return undefined;
    if (Date.now() - parseInt(stamp, 16) > this.nonceTtlMs) return 'stale';
    if (d['qop'] === 'auth') {
      // A replayed answer repeats its nonce count; every new request must count up.
      const nc = parseInt(d['nc'] ?? '0', 16);
      const key = `${d['nonce']}|${d['cnonce'] ?? ''}`;
      if ((this.nc.get(key) ?? 0) >= nc) return undefined;
      this.nc.set(key, nc);
      if (this.nc.size > 10_000) this.nc = new Map([...this.nc].slice(-5_000));
    }
    return { user: d['username'] };
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The client side: the `Authorization` value answering a challenge. */
export function digestAuthorization(challenge: string, request: { readonly method: string; readonly uri: string }, credentials: { readonly username: string; readonly password: string }, nc = 1): string | undefined {
  const c = parseDigest(challenge);
  if (!c || !c['nonce'] || c['realm'] === undefined) return undefined;
  const ha1 = md5(`${credentials.username}:${c['realm']}:${credentials.password}`);
  const ha2 = md5(`${request.method}:${request.uri}`);
  const qop = (c['qop'] ?? '').split(',').map((s) => s.trim()).includes('auth') ? 'auth' : undefined;
  const cnonce = randomBytes(8).toString('hex');
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = qop ? md5(`${ha1}:${c['nonce']}:${ncHex}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${c['nonce']}:${ha2}`);
  const parts = [`username="${credentials.username}"`, `realm="${c['realm']}"`, `nonce="${c['nonce']}"`, `uri="${request.uri}"`, `response="${response}"`, 'algorithm=MD5'];
  if (c['opaque'] !== undefined) parts.push(`opaque="${c['opaque']}"`);
  if (qop) parts.push('qop=auth', `nc=${ncHex}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}
