import type { CarusoError } from '@caruso/kernel';
import type { Knex } from 'knex';
import type { ResolvedStorageOptions } from '../options.js';
import type { Dialect, StatementResult, TableInfo, TransactionOptions } from '../storage.js';
import type { ClientHooks, StatementContext } from './client.js';

/** What a dialect needs to know to translate an error. */
export interface TranslationContext extends StatementContext {
  /** The table the statement writes to, when the SQL says (`insert into`, `update`, `delete from`). */
  readonly table: string | undefined;
}

/**
 * One database of the storage manager. Adding a database means adding a folder `dialects/<db>/`
 * that exports one of these, and one entry in the map of `dialects/index.ts` (knex's layout).
 */
export interface DialectDriver {
  readonly name: Dialect;
  /** URL schemes without the colon, e.g. `postgres`, `postgresql`. */
  readonly schemes: readonly string[];
  /** Parses and checks the URL (CARUSO_STORAGE_BAD_URL); no I/O. */
  connect(options: ResolvedStorageOptions): DialectConnection;
}

/** The state of knex's connection pool that the prepared-statement path reads (tarn's counters). */
export interface PoolState {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

/** Runs statements of {@link StorageSession.execute} on the dialect's connections, with a statement cache. */
export interface StatementExecutor {
  /**
   * Runs `sql` (knex-style `?` placeholders) with `values` on a driver connection. Throws the
   * driver's error untranslated.
   * @param inTransaction whether the connection is inside a transaction (no retry is possible then).
   */
  run(connection: unknown, sql: string, values: readonly unknown[], inTransaction: boolean): StatementResult | Promise<StatementResult>;
  /**
   * A connection on which a statement may run at once, synchronously, without going through the
   * pool, or undefined. SQLite: its only connection when nobody holds it nor waits for it (the driver
   * is synchronous, so nothing can take it while the statement runs). Absent where every statement is
   * asynchronous (PostgreSQL).
   */
  idleConnection?(pool: PoolState | undefined): unknown;
}

/** A connection on which foreign keys are checked once, before the commit (see TransactionOptions.foreignKeys). */
export interface ForeignKeyDeferral {
  /** The driver connection the transaction must run on. */
  readonly connection: unknown;
  /** Checks every foreign key inside the transaction; throws CARUSO_STORAGE_FOREIGN_KEY_VIOLATION. */
  check(trx: Knex.Transaction): Promise<void>;
  /** Turns enforcement back on and gives the connection back to the pool. */
  release(): Promise<void>;
}

/** A dialect bound to one URL and its options. */
export interface DialectConnection {
  /** The URL with its password masked. */
  readonly displayUrl: string;
  /** Everything knex needs; `hooks` make the client translate errors. */
  knexConfig(hooks: ClientHooks): Knex.Config;
  /** The prepared-statement path of {@link StorageSession.execute}. */
  readonly executor: StatementExecutor;
  /** Work before the first connection (SQLite: create the database's folder). */
  prepare(): Promise<void>;
  /** Translates a driver error of a statement; `undefined` when the error is not the driver's. */
  translate(err: unknown, ctx: TranslationContext): CarusoError | undefined;
  /** Translates an error raised while opening a connection. */
  translateConnect(err: unknown): CarusoError | undefined;
  /** knex transaction settings for the options (the dialect ignores what it cannot do, silently). */
  transactionConfig(options: TransactionOptions): Knex.TransactionConfig;
  /** For `foreignKeys: 'atCommit'`: a connection with enforcement off, or undefined when the dialect needs none. */
  foreignKeysAtCommit?(knex: Knex): Promise<ForeignKeyDeferral>;
  hasTable(db: Knex | Knex.Transaction, table: string): Promise<boolean>;
  describeTable(db: Knex | Knex.Transaction, table: string): Promise<TableInfo | undefined>;
  listTables(db: Knex | Knex.Transaction, schema: string | undefined): Promise<string[]>;
  /** Serializes migration runs of one scope across processes, for the rest of the transaction. */
  lockMigrations(trx: Knex.Transaction, scope: string, journalTable: string): Promise<void>;
  /** Facts for health(): e.g. the SQLite journal mode, the PostgreSQL server version. */
  describeSettings(db: Knex): Promise<Record<string, string>>;
}
