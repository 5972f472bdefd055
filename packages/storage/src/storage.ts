/**
 * The storage manager's contract: one interface over relational databases (SQLite through
 * better-sqlite3, PostgreSQL through pg), built on knex. Consumers import only this file's types and
 * the {@link StorageManager} token; implementations live in `create-storage.ts` and `dialects/`.
 */
import { createToken, type HealthStatus } from '@caruso/kernel';
import type { Knex } from 'knex';

/** The relational databases the storage manager speaks. */
export type Dialect = 'sqlite' | 'postgres';

/** Isolation levels a transaction may ask for (PostgreSQL; SQLite is always serializable). */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** Options of {@link StorageSession.transaction}. */
export interface TransactionOptions {
  /**
   * Isolation level of the outermost transaction (PostgreSQL). Ignored on SQLite, whose
   * transactions are serializable. Note: a nested transaction (a savepoint) inherits the level of
   * the outer one; asking for a different one throws CARUSO_STORAGE_BAD_OPTIONS.
   */
  readonly isolation?: IsolationLevel;
  /** Start a read-only transaction (PostgreSQL `READ ONLY`; on SQLite it is only a hint). */
  readonly readOnly?: boolean;
  /**
   * How many times to run `fn` again when the outermost transaction fails with a retryable error
   * (CARUSO_STORAGE_SERIALIZATION_FAILURE, CARUSO_STORAGE_DEADLOCK, CARUSO_STORAGE_BUSY). Default 0.
   * Note: `fn` must then be safe to run again (no side effects outside the transaction, or use
   * {@link StorageTransaction.afterCommit}). Not allowed on a nested transaction.
   */
  readonly retries?: number;
  /**
   * When foreign keys are checked. `immediate` (default): by every statement. `atCommit`: on SQLite
   * the transaction runs with enforcement off (`PRAGMA foreign_keys=OFF`, so a `DROP TABLE` of a
   * table rebuild fires no `ON DELETE` action of the tables that reference it) and every foreign
   * key of the database is checked (`PRAGMA foreign_key_check`) before the commit: a violation rolls
   * everything back with CARUSO_STORAGE_FOREIGN_KEY_VIOLATION. PostgreSQL checks immediately anyway
   * (its DDL needs no rebuild). Not allowed on a nested transaction (CARUSO_STORAGE_BAD_OPTIONS).
   */
  readonly foreignKeys?: 'immediate' | 'atCommit';
}

/** What {@link StorageSession.execute} returns. */
export interface StatementResult {
  /** The rows a query (or a write with RETURNING) produced; empty for other statements. */
  readonly rows: Record<string, unknown>[];
  /** Rows written: for a write without RETURNING the driver's count, with RETURNING the rows returned; 0 for a query. */
  readonly changes: number;
}

/**
 * The query surface shared by the storage manager and every transaction handle. Inside a
 * transaction, use the handle the callback received, never the manager: on SQLite there is one
 * connection, so a query through the manager would wait for the transaction to end (a deadlock).
 */
export interface StorageSession {
  /** Which database is underneath. */
  readonly dialect: Dialect;
  /**
   * The knex instance (or knex transaction) for callers that build their own queries:
   * `session.knex('customers').where({ id }).first()`.
   * Note: errors of queries run through it are already translated into CARUSO_STORAGE_* codes.
   * Use bindings (`?`, query-builder values) for every value; never splice input into SQL text.
   */
  readonly knex: Knex | Knex.Transaction;
  /**
   * A fresh knex schema builder bound to this session (`createTable`, `alterTable`, `hasColumn` …).
   * Equivalent to `knex.schema`; inside a transaction its DDL is part of the transaction (both
   * SQLite and PostgreSQL have transactional DDL).
   */
  readonly schema: Knex.SchemaBuilder;
  /**
   * Runs one statement through the prepared-statement cache: the fast path for statements whose
   * shape repeats (get by key, insert, update of the same columns). SQLite keeps one better-sqlite3
   * `prepare`d statement per SQL text and connection; PostgreSQL runs a named prepared statement per
   * SQL text (parsed once per connection). Inside a transaction it runs on the transaction's
   * connection, also within a savepoint; errors are translated into CARUSO_STORAGE_* codes as for
   * {@link StorageSession.knex}, and knex's `query` event is emitted as for its own queries.
   * @param sql the SQL text with `?` placeholders, as knex's `toSQL().sql` gives it. Note: it must
   *   be a fixed text made from identifiers you trust (your model), never from input: every value goes
   *   into `values`. Each distinct text takes a cache entry, so build texts per shape, not per value.
   * @param values one value per placeholder: string, number, bigint, boolean, null, Date or Buffer.
   * @returns the rows and the number of rows written.
   */
  execute(sql: string, values?: readonly unknown[]): Promise<StatementResult>;
  /**
   * Runs `fn` in a transaction: commits when the returned promise resolves, rolls back when it
   * rejects (and rethrows). Called on a transaction handle it opens a nested transaction through a
   * SAVEPOINT: rolling the inner one back keeps the outer work.
   * @param fn receives the transaction-scoped handle; run every query of the transaction through it.
   * @param options isolation, read-only, retries.
   * @returns what `fn` returned.
   */
  transaction<T>(fn: (trx: StorageTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Whether a table exists. `table` may be qualified with a PostgreSQL schema (`billing.customers`);
   * without one, the connection's search path (PostgreSQL) or the main database (SQLite) is used.
   */
  hasTable(table: string): Promise<boolean>;
  /**
   * Introspects an existing table: its columns with normalized types, its primary key (in key
   * order, also composite), foreign keys and unique constraints. Made for mapping legacy tables.
   * Throws CARUSO_STORAGE_UNDEFINED_TABLE when the table does not exist.
   */
  columnInfo(table: string): Promise<TableInfo>;
  /**
   * The names of the tables of the database (SQLite: main database; PostgreSQL: the first schema
   * of the search path, or `schema` when given), sorted. Internal tables (SQLite's own, the
   * migration journal) are left out.
   */
  listTables(options?: { readonly schema?: string }): Promise<string[]>;
}

/** The handle a transaction callback receives. */
export interface StorageTransaction extends StorageSession {
  /** The knex transaction; queries through it are part of this transaction. */
  readonly knex: Knex.Transaction;
  /** 1 for the outermost transaction, 2 for a savepoint inside it, and so on. */
  readonly depth: number;
  /**
   * Registers `fn` to run once the OUTERMOST transaction has committed (never when it rolls back;
   * not when only a savepoint is released). Use it to acknowledge or publish what was written.
   * Note: an error thrown by `fn` is logged, not raised: the data is already committed.
   */
  afterCommit(fn: () => void | Promise<void>): void;
}

/** One step of a schema history. */
export interface Migration {
  /**
   * Stable identifier, unique within its scope, e.g. `0001-create-customers`. Letters, digits,
   * `.`, `_`, `-`; at most 200 characters. Never rename an applied migration.
   */
  readonly id: string;
  /** Applies the change. Runs inside its own transaction: a throw leaves nothing of it behind. */
  up(trx: StorageTransaction): Promise<void>;
  /** Reverts the change (optional; needed only for {@link StorageManager.rollbackMigrations}). */
  down?(trx: StorageTransaction): Promise<void>;
}

/** Options of {@link StorageManager.migrate} and {@link StorageManager.rollbackMigrations}. */
export interface MigrationOptions {
  /**
   * The migration history this list belongs to, so that several components keep their own
   * histories in the one journal table, e.g. `objects`, `comms`. Default `app`.
   * Letters, digits, `.`, `_`, `-`.
   */
  readonly scope?: string;
}

/** What {@link StorageManager.migrate} did. */
export interface MigrationReport {
  /** Ids applied by this call, in order. */
  readonly applied: readonly string[];
  /** Ids that were already applied before this call. */
  readonly skipped: readonly string[];
}

/** One row of the migration journal. */
export interface AppliedMigration {
  readonly scope: string;
  readonly id: string;
  /** When it was applied (ISO 8601, UTC). */
  readonly appliedAt: string;
}

/** A column type, normalized across dialects (the raw type is in {@link ColumnInfo.dataType}). */
export type ColumnType =
  | 'integer'
  | 'bigint'
  | 'decimal'
  | 'float'
  | 'string'
  | 'text'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'time'
  | 'json'
  | 'uuid'
  | 'binary'
  | 'unknown';

/** One column of an introspected table. */
export interface ColumnInfo {
  readonly name: string;
  /** Normalized type. */
  readonly type: ColumnType;
  /** The type as the database spells it, e.g. `character varying`, `INTEGER`, `varchar(80)`. */
  readonly dataType: string;
  readonly nullable: boolean;
  /** The default as SQL text (`'open'::text`, `0`, `CURRENT_TIMESTAMP`), or null. */
  readonly defaultValue: string | null;
  /** Maximum length of a character column, or null. */
  readonly maxLength: number | null;
  /** Whether the database generates the value (serial/identity, SQLite's INTEGER PRIMARY KEY). */
  readonly autoIncrement: boolean;
}

/** A foreign key of an introspected table. */
export interface ForeignKeyInfo {
  /** Constraint name (PostgreSQL), or null where the database keeps none (SQLite). */
  readonly name: string | null;
  /** The referencing columns, in key order. */
  readonly columns: readonly string[];
  /** The referenced table (schema-qualified on PostgreSQL when outside the search path). */
  readonly referencedTable: string;
  /** The referenced columns, in the same order as `columns`. */
  readonly referencedColumns: readonly string[];
  /** e.g. `CASCADE`, `SET NULL`, `NO ACTION`. */
  readonly onDelete: string;
  readonly onUpdate: string;
}

/** A unique constraint or unique index of an introspected table (the primary key is not listed). */
export interface UniqueInfo {
  readonly name: string;
  readonly columns: readonly string[];
}

/** What {@link StorageSession.columnInfo} returns. */
export interface TableInfo {
  /** The table name as given (without schema). */
  readonly name: string;
  /** The PostgreSQL schema, or null on SQLite. */
  readonly schema: string | null;
  /** Columns in table order. */
  readonly columns: readonly ColumnInfo[];
  /** Primary-key columns in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  readonly foreignKeys: readonly ForeignKeyInfo[];
  readonly uniques: readonly UniqueInfo[];
}

/**
 * The storage manager: connections, transactions, migrations and health over one relational
 * database. Registered with the service manager under the {@link StorageManager} token.
 * @example
 * const storage = services.get(StorageManager);
 * await storage.migrate([{ id: '0001-customers', up: (trx) => trx.schema.createTable('customers', (t) => { t.increments('id'); t.string('name').notNullable(); }) }], { scope: 'crm' });
 * await storage.transaction(async (trx) => { await trx.knex('customers').insert({ name: 'Ada' }); });
 */
export interface StorageManager extends StorageSession {
  /** The root knex instance. Its pool belongs to the storage manager: never `destroy()` it. */
  readonly knex: Knex;
  /** The connection URL with the password masked (`postgres://crm:***@db:5432/crm`), safe to show. */
  readonly displayUrl: string;
  /** Name of the migration journal table (default `caruso_migrations`). */
  readonly journalTable: string;
  /**
   * Applies the migrations of `migrations` not yet in the journal, in array order, each in its own
   * transaction together with its journal row. Idempotent: a second call applies nothing. Safe to
   * run from several processes at once (PostgreSQL takes an advisory lock per scope).
   * Throws CARUSO_STORAGE_BAD_MIGRATION for an invalid list (duplicate or malformed ids),
   * CARUSO_STORAGE_MIGRATION_MISMATCH when the journal holds ids of this scope that the list lacks
   * or when a pending migration comes before an applied one, and CARUSO_STORAGE_MIGRATION_FAILED
   * (with the cause) when one fails; the migrations before it stay applied, nothing of it does.
   */
  migrate(migrations: readonly Migration[], options?: MigrationOptions): Promise<MigrationReport>;
  /**
   * Reverts the last `steps` applied migrations of the scope (default 1), newest first, each with
   * its `down` in its own transaction. Returns the ids reverted.
   * Throws CARUSO_STORAGE_BAD_MIGRATION when one of them has no `down` (before reverting anything).
   */
  rollbackMigrations(migrations: readonly Migration[], options?: MigrationOptions & { readonly steps?: number }): Promise<string[]>;
  /** The journal rows of a scope (default `app`), in the order they were applied. */
  appliedMigrations(options?: MigrationOptions): Promise<AppliedMigration[]>;
  /**
   * Runs a trivial query. `ok` with the round-trip time, `down` with the translated reason
   * (never a secret) when the database cannot be reached. Never throws.
   */
  health(): Promise<HealthStatus>;
  /**
   * Translates a driver error into a CARUSO_STORAGE_* error (already done for queries through
   * {@link StorageSession.knex}; for errors that reached you another way). Returns CarusoErrors
   * unchanged.
   */
  translateError(err: unknown): Error;
  /**
   * Closes the connections gracefully: waits for running queries and transactions, then frees the
   * pool. Later calls fail with CARUSO_STORAGE_CLOSED. Idempotent.
   */
  close(): Promise<void>;
}

/** The storage manager's token. */
export const StorageManager = createToken<StorageManager>('caruso.storage');
