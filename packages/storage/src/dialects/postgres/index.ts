import type { Knex } from 'knex';
import PgClient from 'knex/lib/dialects/postgres/index.js';
import pg from 'pg';
import { StorageErrors } from '../../errors.js';
import { maskUrl } from '../../internal/url.js';
import type { ResolvedStorageOptions } from '../../options.js';
import type { TransactionOptions } from '../../storage.js';
import { translatingClient, type ClientHooks } from '../client.js';
import type { DialectConnection, DialectDriver, TranslationContext } from '../dialect.js';
import { translatePgConnectError, translatePgError } from './postgres-errors.js';
import { PostgresExecutor } from './postgres-executor.js';

const ALTERS_TYPE = /^\s*alter\s+table\b[\s\S]*\balter\s+column\b[\s\S]*\btype\b/i;
import { pgDescribeTable, pgHasTable, pgListTables } from './postgres-introspection.js';

/** What a PostgreSQL URL says. */
export interface PostgresTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string;
  readonly sslmode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full' | undefined;
  readonly applicationName: string | undefined;
}

const PARAMS = new Set(['sslmode', 'application_name', 'host']);
const SSLMODES = new Set(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']);

/**
 * Parses `postgres://user:password@host:port/database?sslmode=…&application_name=…` (also
 * `postgresql://`; `?host=/run/postgresql` for a Unix socket folder). Messages mask the password.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  const shown = maskUrl(url);
  const bad = (reason: string): never => {
    throw StorageErrors.CARUSO_STORAGE_BAD_URL({ url: shown, reason });
  };
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return bad('it is not a valid URL');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') bad('the scheme must be postgres: or postgresql:');
  const dec = (s: string, what: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return bad(`the ${what} has a malformed percent-escape`);
    }
  };
  for (const key of u.searchParams.keys()) if (!PARAMS.has(key)) bad(`unknown parameter ${key}; known: ${[...PARAMS].join(', ')}`);
  const sslmode = u.searchParams.get('sslmode') ?? undefined;
  if (sslmode !== undefined && !SSLMODES.has(sslmode)) bad(`sslmode must be one of ${[...SSLMODES].join(', ')}`);
  const socketHost = u.searchParams.get('host') ?? undefined;
  const host = socketHost ?? (u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname);
  if (!host) bad('the host is missing');
  let port = 5432;
  if (u.port !== '') {
    port = Number(u.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) bad('the port must be from 1 to 65535');
  }
  const path = u.pathname.replace(/^\//, '');
  if (path === '') bad('the database name is missing (postgres://host:5432/<database>)');
  if (path.includes('/')) bad('the path must be just the database name');
  return {
    host,
    port,
    user: u.username ? dec(u.username, 'user name') : undefined,
    password: u.password ? dec(u.password, 'password') : undefined,
    database: dec(path, 'database name'),
    sslmode: sslmode as PostgresTarget['sslmode'],
    applicationName: u.searchParams.get('application_name') ?? undefined,
  };
}

/** BIGINT (and COUNT(*)) as a number when it is a safe integer, as its decimal text otherwise. */
function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): unknown {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
};

class PostgresConnectionConfig implements DialectConnection {
  readonly displayUrl: string;
  readonly executor = new PostgresExecutor();
  private readonly target: PostgresTarget;

  constructor(private readonly options: ResolvedStorageOptions) {
    this.displayUrl = maskUrl(options.url);
    this.target = parsePostgresUrl(options.url);
  }

  private ssl(): boolean | Readonly<Record<string, unknown>> | undefined {
    const given = this.options.postgres.ssl;
    if (given !== undefined) return given;
    switch (this.target.sslmode) {
      case 'require':
      case 'prefer':
        return { rejectUnauthorized: false };
      case 'verify-ca':
      case 'verify-full':
        return true;
      default:
        return undefined;
    }
  }

  knexConfig(hooks: ClientHooks): Knex.Config {
    const t = this.target;
    const o = this.options;
    const ssl = this.ssl();
    const connection: Record<string, unknown> = {
      host: t.host,
      port: t.port,
      database: t.database,
      application_name: t.applicationName ?? o.postgres.applicationName,
      connectionTimeoutMillis: o.postgres.connectTimeoutMs,
      types,
    };
    if (t.user !== undefined) connection['user'] = t.user;
    if (t.password !== undefined) connection['password'] = t.password;
    if (ssl !== undefined) connection['ssl'] = ssl;
    if (o.postgres.statementTimeoutMs > 0) connection['statement_timeout'] = o.postgres.statementTimeoutMs;
    const config: Knex.Config = {
      client: translatingClient(PgClient, {
        ...hooks,
        beforeStatement: (sql) => {
          // A column changes type: prepared statements over it must be prepared again.
          if (sql !== undefined && ALTERS_TYPE.test(sql)) this.executor.forgetStatements();
        },
      }) as unknown as typeof Knex.Client,
      connection: connection as Knex.PgConnectionConfig,
      pool: {
        min: o.pool.min,
        max: o.pool.max,
        acquireTimeoutMillis: o.pool.acquireTimeoutMs,
        idleTimeoutMillis: o.pool.idleTimeoutMs,
      },
      acquireConnectionTimeout: o.pool.acquireTimeoutMs,
    };
    if (o.postgres.searchPath) config.searchPath = [...o.postgres.searchPath];
    return config;
  }

  async prepare(): Promise<void> {}

  translate(err: unknown, ctx: TranslationContext) {
    return translatePgError(err, ctx, this.target.password);
  }

  translateConnect(err: unknown) {
    return translatePgConnectError(err, this.displayUrl, this.target.password);
  }

  transactionConfig(options: TransactionOptions): Knex.TransactionConfig {
    const config: Knex.TransactionConfig = {};
    if (options.isolation) config.isolationLevel = options.isolation === 'read committed' ? 'read committed' : options.isolation;
    if (options.readOnly) config.readOnly = true;
    return config;
  }

  hasTable(db: Knex | Knex.Transaction, table: string) {
    return pgHasTable(db, table);
  }

  describeTable(db: Knex | Knex.Transaction, table: string) {
    return pgDescribeTable(db, table);
  }

  listTables(db: Knex | Knex.Transaction, schema: string | undefined) {
    return pgListTables(db, schema);
  }

  async lockMigrations(trx: Knex.Transaction, scope: string, _journalTable: string): Promise<void> {
    // Held until the transaction ends: a second process waits, then finds the migration journaled.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`caruso.migrate.${scope}`]);
  }

  async describeSettings(db: Knex): Promise<Record<string, string>> {
    const r = (await db.raw('show server_version')) as { rows: { server_version: string }[] };
    return { version: r.rows[0]?.server_version ?? '?' };
  }
}

/** PostgreSQL through pg: the choice for a bigger site. */
export const postgresDialect: DialectDriver = {
  name: 'postgres',
  schemes: ['postgres', 'postgresql'],
  connect: (options) => new PostgresConnectionConfig(options),
};
