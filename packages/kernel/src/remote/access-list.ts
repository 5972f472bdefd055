import { createHash, timingSafeEqual } from 'node:crypto';
import { compileGlob, globMatch, type Glob } from '../internal/glob.js';

/** What a remote principal may do, each a list of token-id patterns (`*` matches any run of characters). */
export interface AccessGrant {
  /** A name for logs and messages, e.g. `frontoffice`. Never the secret. */
  readonly principal: string;
  /** The access token the principal authenticates with (read it from the environment, never from a file). */
  readonly secret: string;
  /** Token ids it may look up (and list). */
  readonly lookup?: readonly string[];
  /** Token ids it may call. */
  readonly call?: readonly string[];
  /** Token ids it may register implementations of. */
  readonly register?: readonly string[];
  /**
   * Lifecycle methods ({@link LIFECYCLE_METHODS}: `close`, `shutdown`, `register` …) it may call,
   * each named exactly as `tokenId.method`, e.g. `caruso.storage.close`. A `call` grant alone, even
   * `*`, never reaches them.
   * Note: no `*` here, and `start`, `stop`, `dispose`, `exportState`, `importState` cannot be named:
   * the service manager drives those and they are never callable remotely.
   */
  readonly lifecycle?: readonly string[];
}

/**
 * Methods that end, reset or re-wire a service rather than use it. The remote endpoint refuses a call
 * of one (CARUSO_KERNEL_LIFECYCLE_DENIED) unless the caller's grant names `tokenId.method` in its
 * `lifecycle` list, and leaves them out of the method lists it returns.
 */
export const LIFECYCLE_METHODS: ReadonlySet<string> = new Set([
  'close',
  'shutdown',
  'destroy',
  'terminate',
  'kill',
  'restart',
  'reset',
  'init',
  'initialize',
  'listen',
  'disconnect',
  'register',
  'unregister',
  'migrate',
  'drop',
  'reload',
  'setLogger',
]);

/** The service contract's own methods: the service manager calls them; no grant makes them callable remotely. */
export const CONTRACT_METHODS: ReadonlySet<string> = new Set(['start', 'stop', 'dispose', 'exportState', 'importState']);

/** The three things a principal can be granted. */
export type AccessAction = 'lookup' | 'call' | 'register';

interface CompiledGrant {
  readonly principal: string;
  readonly hash: Buffer;
  readonly rules: Record<AccessAction, Glob[]>;
  /** `tokenId.method` of the lifecycle methods it may call, compared exactly. */
  readonly lifecycle: ReadonlySet<string>;
}

const LIFECYCLE_ENTRY = /^([A-Za-z0-9_.-]+)\.([A-Za-z_$][A-Za-z0-9_$]*)$/;

function lifecycleEntry(principal: string, entry: unknown): string {
  const m = typeof entry === 'string' ? LIFECYCLE_ENTRY.exec(entry) : null;
  if (!m) throw new TypeError(`the lifecycle grant ${JSON.stringify(entry)} of ${principal} must name one method of one token exactly, e.g. caruso.storage.close (no *)`);
  const method = m[2] as string;
  if (CONTRACT_METHODS.has(method)) throw new TypeError(`the lifecycle grant ${entry as string} of ${principal} names ${method}, which the service manager drives; it is never callable remotely`);
  if (!LIFECYCLE_METHODS.has(method)) throw new TypeError(`the lifecycle grant ${entry as string} of ${principal} names ${method}, which is not a lifecycle method; grant the token with call instead`);
  return entry as string;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function compile(pattern: string): Glob {
  return compileGlob(pattern);
}

/**
 * The remote endpoint's access list. Secrets are kept only as SHA-256 digests and compared in
 * constant time.
 */
export class AccessList {
  private readonly grants: CompiledGrant[];

  constructor(grants: readonly AccessGrant[]) {
    this.grants = grants.map((g) => {
      if (!g.secret || g.secret.length < 16) throw new TypeError(`the access token of ${g.principal} must be at least 16 characters`);
      return {
        principal: g.principal,
        hash: sha256(g.secret),
        rules: {
          lookup: (g.lookup ?? []).map(compile),
          call: (g.call ?? []).map(compile),
          register: (g.register ?? []).map(compile),
        },
        lifecycle: new Set((g.lifecycle ?? []).map((e) => lifecycleEntry(g.principal, e))),
      };
    });
  }

  /** The principal that `secret` authenticates, or undefined. */
  authenticate(secret: unknown): string | undefined {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 1024) return undefined;
    const h = sha256(secret);
    let found: string | undefined;
    // Compare against every grant so the time taken does not tell which one matched.
    for (const g of this.grants) if (timingSafeEqual(g.hash, h)) found ??= g.principal;
    return found;
  }

  /** True when `principal` may do `action` on `tokenId`. */
  allows(principal: string, action: AccessAction, tokenId: string): boolean {
    const g = this.grants.find((x) => x.principal === principal);
    return g !== undefined && g.rules[action].some((glob) => globMatch(glob, tokenId));
  }

  /**
   * True when `principal` may call the lifecycle method `method` of `tokenId`: its grant names
   * `tokenId.method` exactly in `lifecycle` (a `call` grant is needed as well).
   */
  allowsLifecycle(principal: string, tokenId: string, method: string): boolean {
    const g = this.grants.find((x) => x.principal === principal);
    return g !== undefined && !CONTRACT_METHODS.has(method) && g.lifecycle.has(`${tokenId}.${method}`);
  }

  /**
   * Builds grants from an environment variable holding JSON:
   * `[{"principal":"frontoffice","secretEnv":"CARUSO_FRONTOFFICE_TOKEN","lookup":["*"],"call":["*"]}]`;
   * each secret is read from the variable named by `secretEnv`.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv, variable = 'CARUSO_ACCESS_LIST'): AccessList | undefined {
    const raw = env[variable];
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Array<Omit<AccessGrant, 'secret'> & { secretEnv: string }>;
    return new AccessList(
      parsed.map((g) => {
        const secret = env[g.secretEnv];
        if (!secret) throw new TypeError(`${variable}: the variable ${g.secretEnv} with the access token of ${g.principal} is not set`);
        return { ...g, secret };
      }),
    );
  }
}
