import { access, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Knex } from 'knex';
import BetterSqlite3Client from 'knex/lib/dialects/better-sqlite3/index.js';
import { StorageErrors } from '../../errors.js';
import type { ResolvedStorageOptions } from '../../options.js';
import { translatingClient, type ClientHooks } from '../client.js';
import type { DialectConnection, DialectDriver, ForeignKeyDeferral } from '../dialect.js';
import { translateSqliteError, translateSqliteOpenError } from './sqlite-errors.js';
import { SqliteExecutor, type SqliteDatabase } from './sqlite-executor.js';
import { sqliteDescribeTable, sqliteHasTable, sqliteListTables } from './sqlite-introspection.js';

/** The part of a better-sqlite3 connection used when it is opened. */
interface SqliteConnection {
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** Where the database lives: a file, or memory. */
export type SqliteTarget = { readonly memory: true } | { readonly memory: false; readonly file: string };

/**
 * Parses `sqlite:<path>`: `sqlite:./data/crm.db` (relative to `baseDir`), `sqlite:/abs/crm.db`,
 * `sqlite:///abs/crm.db`, `sqlite::memory:`. Percent-escapes are decoded.
 */
export function parseSqliteUrl(url: string, baseDir: string): SqliteTarget {
  const bad = (reason: string): never => {
    throw StorageErrors.CARUSO_STORAGE_BAD_URL({ url, reason });
  };
  const m = /^sqlite:(.*)$/is.exec(url.trim());
  if (!m) return bad('it does not start with sqlite:');
  let path = m[1] as string;
  if (path.startsWith('//')) path = path.slice(2);
  if (path.includes('?') || path.includes('#')) bad('query parameters and fragments are not supported; set SQLite options in the storage options');
  try {
    path = decodeURIComponent(path);
  } catch {
    bad('it has a malformed percent-escape');
  }
  if (path === '') bad('the file path is missing');
  if (path.includes('\0')) bad('the file path contains a NUL character');
  if (path === ':memory:') return { memory: true };
  return { memory: false, file: isAbsolute(path) ? path : resolve(baseDir, path) };
}

class SqliteConnectionConfig implements DialectConnection {
  readonly displayUrl: string;
  readonly executor = new SqliteExecutor();
  private readonly target: SqliteTarget;

  constructor(private readonly options: ResolvedStorageOptions) {
    this.displayUrl = options.url;
    this.target = parseSqliteUrl(options.url, options.baseDir);
  }

  knexConfig(hooks: ClientHooks): Knex.Config {
    const busyTimeoutMs = this.options.sqlite.busyTimeoutMs;
    const memory = this.target.memory;
    const readOnly = this.options.sqlite.readOnly;
    const executor = this.executor;
    return {
      client: translatingClient(BetterSqlite3Client, hooks) as unknown as typeof Knex.Client,
      // Read-only: better-sqlite3 opens with SQLITE_OPEN_READONLY, which never creates a missing file.
      connection: { filename: this.target.memory ? ':memory:' : this.target.file, ...(readOnly ? { options: { readonly: true } } : {}) },
      useNullAsDefault: true,
      // better-sqlite3 is synchronous: one connection serves everything, and an in-memory database
      // lives exactly as long as its connection, so the pool holds one connection and never reaps it.
      pool: {
        min: 1,
        max: 1,
        acquireTimeoutMillis: this.options.pool.acquireTimeoutMs,
        idleTimeoutMillis: 2_147_483_647,
        afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
          try {
            conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
            // WAL: readers do not block the writer and the writer does not block readers.
            if (!memory && !readOnly) conn.pragma('journal_mode = WAL');
            // Rule 4 of the architecture: a commit is on disk when it is acknowledged.
            conn.pragma('synchronous = FULL');
            conn.pragma('foreign_keys = ON');
            executor.connectionCreated(conn as unknown as SqliteDatabase);
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
      acquireConnectionTimeout: this.options.pool.acquireTimeoutMs,
    };
  }

  async prepare(): Promise<void> {
    if (this.target.memory) return;
    if (this.options.sqlite.readOnly) {
      // better-sqlite3 reports a missing folder without a code; name both cases the same way.
      try {
        await access(this.target.file);
      } catch {
        throw StorageErrors.CARUSO_STORAGE_CONNECTION_FAILED(
          { url: this.displayUrl, reason: 'the database file does not exist, and a read-only storage manager does not create it' },
          { details: { dialect: 'sqlite', driverCode: 'SQLITE_CANTOPEN' } },
        );
      }
      return;
    }
    try {
      await mkdir(dirname(this.target.file), { recursive: true });
    } catch (err) {
      throw StorageErrors.CARUSO_STORAGE_CONNECTION_FAILED(
        { url: this.displayUrl, reason: `cannot create the folder ${dirname(this.target.file)}: ${(err as Error).message}` },
        { cause: err, details: { dialect: 'sqlite' } },
      );
    }
  }

  translate = translateSqliteError;

  translateConnect(err: unknown) {
    return translateSqliteOpenError(err, this.displayUrl);
  }

  transactionConfig(): Knex.TransactionConfig {
    // SQLite transactions are serializable and infer read/write from the statements; knex would
    // only print a warning for the settings.
    return {};
  }

  async foreignKeysAtCommit(knex: Knex): Promise<ForeignKeyDeferral> {
    // The pragma is a no-op inside a transaction: it is set on the connection before BEGIN.
    const conn = (await knex.client.acquireConnection()) as SqliteConnection;
    try {
      conn.pragma('foreign_keys = OFF');
    } catch (err) {
      await knex.client.releaseConnection(conn);
      throw err;
    }
    return {
      connection: conn,
      async check(trx) {
        const rows = (await trx.raw('pragma foreign_key_check')) as { table: string; rowid: number | null; parent: string; fkid: number }[];
        const first = rows[0];
        if (first) {
          throw StorageErrors.CARUSO_STORAGE_FOREIGN_KEY_VIOLATION(
            { table: first.table, where: ` (${rows.length} row(s) reference a missing row of ${first.parent})` },
            { details: { dialect: 'sqlite', table: first.table, referencedTable: first.parent, rows: rows.length } },
          );
        }
      },
      async release() {
        try {
          conn.pragma('foreign_keys = ON');
        } finally {
          await knex.client.releaseConnection(conn);
        }
      },
    };
  }

  hasTable(db: Knex | Knex.Transaction, table: string) {
    return sqliteHasTable(db, table);
  }

  describeTable(db: Knex | Knex.Transaction, table: string) {
    return sqliteDescribeTable(db, table);
  }

  listTables(db: Knex | Knex.Transaction) {
    return sqliteListTables(db);
  }

  async lockMigrations(trx: Knex.Transaction, _scope: string, journalTable: string): Promise<void> {
    // knex begins deferred transactions: one that reads first and writes later gets SQLITE_BUSY at
    // once when another connection wrote meanwhile (the busy timeout does not apply to that upgrade).
    // A write as the first statement takes the single writer lock now, waiting up to the busy timeout.
    await trx(journalTable).where(trx.raw('0 = 1')).update({ scope: trx.ref('scope') });
  }

  async describeSettings(db: Knex): Promise<Record<string, string>> {
    const version = (await db.raw('select sqlite_version() as v')) as { v: string }[];
    const journal = (await db.raw('pragma journal_mode')) as { journal_mode: string }[];
    const fk = (await db.raw('pragma foreign_keys')) as { foreign_keys: number }[];
    return {
      version: version[0]?.v ?? '?',
      journalMode: journal[0]?.journal_mode ?? '?',
      foreignKeys: fk[0]?.foreign_keys ? 'on' : 'off',
    };
  }
}

/** SQLite through better-sqlite3: the embedded default. */
export const sqliteDialect: DialectDriver = {
  name: 'sqlite',
  schemes: ['sqlite'],
  connect: (options) => new SqliteConnectionConfig(options),
};
