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
}

/** The three things a principal can be granted. */
export type AccessAction = 'lookup' | 'call' | 'register';

interface CompiledGrant {
  readonly principal: string;
  readonly hash: Buffer;
  readonly rules: Record<AccessAction, Glob[]>;
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
