import type { Logger } from '@caruso/kernel';
import { StorageErrors } from './errors.js';

/** Connection-pool settings (PostgreSQL; SQLite always uses one connection). */
export interface PoolOptions {
  /** Connections kept open. Default 0. */
  readonly min?: number;
  /** Most connections at once. Default 10. */
  readonly max?: number;
  /** How long a query waits for a free connection before CARUSO_STORAGE_POOL_TIMEOUT. Default 10 000 ms. */
  readonly acquireTimeoutMs?: number;
  /** An idle connection above `min` is closed after this long. Default 30 000 ms. */
  readonly idleTimeoutMs?: number;
}

/** SQLite settings. */
export interface SqliteOptions {
  /** How long a writer waits for another writer's lock before CARUSO_STORAGE_BUSY. Default 5 000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Open the database read-only: nothing is written, and a missing file (or folder) is never created;
   * opening one fails with CARUSO_STORAGE_CONNECTION_FAILED (driver code SQLITE_CANTOPEN). Made for
   * looking without touching, e.g. `caruso model migrate --dry-run`. Default false.
   * Note: the journal mode is left as the file has it (WAL is not switched on).
   */
  readonly readOnly?: boolean;
}

/** PostgreSQL settings. */
export interface PostgresOptions {
  /** Server-side statement timeout in ms (0 = none). Default 0. */
  readonly statementTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity. Default `caruso`. */
  readonly applicationName?: string;
  /** How long opening a connection may take. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** The schema search path, first entry first, e.g. `['crm', 'public']`. Default: the server's. */
  readonly searchPath?: readonly string[];
  /** TLS: `true` to require it with verification, or pg's TLS options object. Default: the URL's `sslmode`. */
  readonly ssl?: boolean | Readonly<Record<string, unknown>>;
}

/** Options of {@link createStorage}. */
export interface StorageOptions {
  /**
   * The connection URL; its scheme chooses the dialect: `sqlite:./data/crm.db`, `sqlite::memory:`,
   * `sqlite:///var/lib/caruso/crm.db`, `postgres://user:password@host:5432/db` (or `postgresql://`).
   */
  readonly url: string;
  /** Folder that a relative SQLite path is resolved against (the assembly's folder). Default: the working directory. */
  readonly baseDir?: string;
  readonly pool?: PoolOptions;
  readonly sqlite?: SqliteOptions;
  readonly postgres?: PostgresOptions;
  /** Name of the migration journal table. Default `caruso_migrations`. */
  readonly journalTable?: string;
  /** Logger (a child `{ svc: 'storage' }` is made). Default: silent. */
  readonly logger?: Logger;
}

/** Options after defaults and validation. */
export interface ResolvedStorageOptions {
  readonly url: string;
  readonly baseDir: string;
  readonly pool: Required<PoolOptions>;
  readonly sqlite: Required<SqliteOptions>;
  readonly postgres: {
    readonly statementTimeoutMs: number;
    readonly applicationName: string;
    readonly connectTimeoutMs: number;
    readonly searchPath: readonly string[] | undefined;
    readonly ssl: boolean | Readonly<Record<string, unknown>> | undefined;
  };
  readonly journalTable: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const KNOWN_TOP = new Set(['url', 'baseDir', 'pool', 'sqlite', 'postgres', 'journalTable', 'logger']);
const KNOWN_POOL = new Set(['min', 'max', 'acquireTimeoutMs', 'idleTimeoutMs']);
const KNOWN_SQLITE = new Set(['busyTimeoutMs', 'readOnly']);
const KNOWN_PG = new Set(['statementTimeoutMs', 'applicationName', 'connectTimeoutMs', 'searchPath', 'ssl']);

function bad(option: string, reason: string): never {
  throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({ option, reason });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(value: unknown, known: ReadonlySet<string>, path: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isRecord(value)) bad(path, 'must be an object');
  for (const key of Object.keys(value)) if (!known.has(key)) bad(`${path}.${key}`, `unknown option; known: ${[...known].join(', ')}`);
  return value;
}

function bool(value: unknown, option: string, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') bad(option, 'must be true or false');
  return value as boolean;
}

function int(value: unknown, option: string, dflt: number, min: number, max = 2_147_483_647): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(option, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Validates options given as `unknown` (e.g. from an assembly file) and fills in the defaults.
 * Throws CARUSO_STORAGE_BAD_OPTIONS naming the option, or CARUSO_STORAGE_BAD_URL.
 */
export function resolveStorageOptions(input: unknown): ResolvedStorageOptions {
  const top = typeof input === 'string' ? { url: input } : checkKeys(input, KNOWN_TOP, 'options');
  if (!isRecord(input) && typeof input !== 'string') bad('options', 'give a URL string or an options object with url');
  const url = top['url'];
  if (typeof url !== 'string' || url.trim() === '') {
    throw StorageErrors.CARUSO_STORAGE_BAD_URL({ url: JSON.stringify(url ?? null), reason: 'a non-empty URL string is required' });
  }
  const baseDir = top['baseDir'] ?? process.cwd();
  if (typeof baseDir !== 'string' || baseDir === '') bad('baseDir', 'must be a non-empty path');
  const p = checkKeys(top['pool'], KNOWN_POOL, 'pool');
  const min = int(p['min'], 'pool.min', 0, 0, 1000);
  const max = int(p['max'], 'pool.max', 10, 1, 1000);
  if (min > max) bad('pool.min', `must not exceed pool.max (${min} > ${max})`);
  const s = checkKeys(top['sqlite'], KNOWN_SQLITE, 'sqlite');
  const g = checkKeys(top['postgres'], KNOWN_PG, 'postgres');
  const applicationName = g['applicationName'] ?? 'caruso';
  if (typeof applicationName !== 'string' || applicationName.length > 63 || /[^\x20-\x7e]/.test(applicationName)) {
    bad('postgres.applicationName', 'must be printable ASCII, at most 63 characters');
  }
  const searchPath = g['searchPath'];
  if (searchPath !== undefined && (!Array.isArray(searchPath) || searchPath.length === 0 || !searchPath.every((x) => typeof x === 'string' && IDENTIFIER.test(x)))) {
    bad('postgres.searchPath', 'must be a non-empty list of plain identifiers ([A-Za-z_][A-Za-z0-9_]*)');
  }
  const ssl = g['ssl'];
  if (ssl !== undefined && typeof ssl !== 'boolean' && !isRecord(ssl)) bad('postgres.ssl', 'must be true, false or an object of TLS options');
  const journalTable = top['journalTable'] ?? 'caruso_migrations';
  if (typeof journalTable !== 'string' || !IDENTIFIER.test(journalTable)) {
    bad('journalTable', 'must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters)');
  }
  return {
    url,
    baseDir,
    pool: {
      min,
      max,
      acquireTimeoutMs: int(p['acquireTimeoutMs'], 'pool.acquireTimeoutMs', 10_000, 1),
      idleTimeoutMs: int(p['idleTimeoutMs'], 'pool.idleTimeoutMs', 30_000, 1),
    },
    sqlite: { busyTimeoutMs: int(s['busyTimeoutMs'], 'sqlite.busyTimeoutMs', 5_000, 0), readOnly: bool(s['readOnly'], 'sqlite.readOnly', false) },
    postgres: {
      statementTimeoutMs: int(g['statementTimeoutMs'], 'postgres.statementTimeoutMs', 0, 0),
      applicationName,
      connectTimeoutMs: int(g['connectTimeoutMs'], 'postgres.connectTimeoutMs', 10_000, 1),
      searchPath: searchPath as readonly string[] | undefined,
      ssl: ssl as ResolvedStorageOptions['postgres']['ssl'],
    },
    journalTable,
  };
}
