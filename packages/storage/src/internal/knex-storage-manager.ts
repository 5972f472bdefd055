import { isCarusoError, silentLogger, type HealthStatus, type Logger, type ServiceContext } from '@caruso/kernel';
import knexFactory, { type Knex } from 'knex';
import type { DialectConnection, DialectDriver, ForeignKeyDeferral, PoolState } from '../dialects/dialect.js';
import { StorageErrors } from '../errors.js';
import type { ResolvedStorageOptions } from '../options.js';
import type {
  AppliedMigration,
  Dialect,
  Migration,
  MigrationOptions,
  MigrationReport,
  StatementResult,
  StorageManager,
  StorageTransaction,
  TableInfo,
  TransactionOptions,
} from '../storage.js';
import { isErrorLike, messageOf } from './error-shape.js';
import { Migrator } from './migrator.js';
import type { SessionCore } from './session.js';
import { scrubDriverError, targetTable } from './statement.js';
import { runTransaction } from './transaction.js';


/** The parts of knex's (untyped) client that the prepared-statement path uses. */
interface KnexClientInternals {
  readonly pool: PoolState | undefined;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
  emit(event: string, ...args: unknown[]): boolean;
}

function checkTableName(table: unknown): asserts table is string {
  if (typeof table !== 'string' || table.trim() === '' || table.length > 200) {
    throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({ option: 'table', reason: `expected a table name, got ${JSON.stringify(table)}` });
  }
}

/**
 * The storage manager over knex. One instance owns one knex pool. It is also the service object
 * registered with the service manager: `start()` opens and checks the connection, `stop()` closes.
 */
export class KnexStorageManager implements StorageManager, SessionCore {
  readonly dialect: Dialect;
  // An accessor, not a data property: the service manager's proxy forwards function-valued data
  // properties as methods (and awaits thenable results), which would run a knex query builder.
  readonly #knex: Knex;
  readonly displayUrl: string;
  readonly journalTable: string;
  private readonly connection: DialectConnection;
  private readonly migrator: Migrator;
  private state: 'new' | 'open' | 'closed' = 'new';
  private closing: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  private log: Logger;

  constructor(driver: DialectDriver, private readonly options: ResolvedStorageOptions, logger: Logger | undefined) {
    this.dialect = driver.name;
    this.connection = driver.connect(options);
    this.displayUrl = this.connection.displayUrl;
    this.journalTable = options.journalTable;
    this.log = (logger ?? silentLogger()).child({ svc: 'storage', dialect: this.dialect });
    const config = this.connection.knexConfig({
      checkOpen: () => {
        if (this.state === 'closed') throw StorageErrors.CARUSO_STORAGE_CLOSED({ url: this.displayUrl });
      },
      translate: (err, ctx) => this.translate(err, ctx.sql),
      translateAcquire: (err) => this.translateAcquire(err),
    });
    this.#knex = knexFactory({
      ...config,
      // Errors carry the SQL text with placeholders, never the bound values (customer data).
      compileSqlOnError: false,
      log: {
        warn: (m: unknown) => this.log.debug({ knex: typeof m === 'string' ? m : '(object)' }, 'knex warning'),
        error: (m: unknown) => this.log.debug({ knex: typeof m === 'string' ? m : '(object)' }, 'knex error'),
        deprecate: (m: unknown) => this.log.debug({ knex: String(m) }, 'knex deprecation'),
        debug: () => undefined,
      },
    });
    this.migrator = new Migrator({
      knex: this.knex,
      journalTable: this.journalTable,
      transaction: (fn) => this.transaction(fn),
      hasTable: (t) => this.hasTable(t),
      lockMigrations: (trx, scope, journal) => this.connection.lockMigrations(trx, scope, journal),
    });
  }

  /** The root knex instance (see StorageManager.knex). */
  get knex(): Knex {
    return this.#knex;
  }

  get logger(): Logger {
    return this.log;
  }

  get schema(): Knex.SchemaBuilder {
    return this.knex.schema;
  }

  /** Prepares (SQLite: the folder) and checks the connection with a trivial query. */
  open(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(StorageErrors.CARUSO_STORAGE_CLOSED({ url: this.displayUrl }));
    this.opening ??= (async () => {
      await this.connection.prepare();
      try {
        await this.knex.raw('select 1 as ok');
      } catch (err) {
        this.opening = undefined;
        if (isCarusoError(err, 'CARUSO_STORAGE_CONNECTION_FAILED')) throw err;
        throw StorageErrors.CARUSO_STORAGE_CONNECTION_FAILED({ url: this.displayUrl, reason: messageOf(err) }, { cause: err });
      }
      this.state = 'open';
      this.log.info({ url: this.displayUrl }, 'storage opened');
    })();
    return this.opening;
  }

  // --- translation -------------------------------------------------------------------------

  private translate(err: unknown, sql: string | undefined): Error {
    const translated = this.connection.translate(err, { sql, table: targetTable(sql) });
    if (translated) return translated;
    return this.translateGeneric(err);
  }

  private translateAcquire(err: unknown): Error {
    if (isErrorLike(err) && err.name === 'KnexTimeoutError') {
      return StorageErrors.CARUSO_STORAGE_POOL_TIMEOUT(
        { timeoutMs: this.options.pool.acquireTimeoutMs, max: this.dialect === 'sqlite' ? 1 : this.options.pool.max },
        { cause: err },
      );
    }
    if (this.state === 'closed' || (isErrorLike(err) && err.message === 'Unable to acquire a connection')) {
      return StorageErrors.CARUSO_STORAGE_CLOSED({ url: this.displayUrl }, { cause: err });
    }
    return this.connection.translateConnect(err) ?? this.translateGeneric(err);
  }

  private translateGeneric(err: unknown): Error {
    if (isErrorLike(err)) {
      if (err.name === 'KnexTimeoutError') return this.translateAcquire(err);
      if (/Transaction query already complete/.test(err.message)) {
        return StorageErrors.CARUSO_STORAGE_TRANSACTION_MISUSE(
          { reason: 'a query used a transaction handle after the transaction ended; keep every query inside the callback and await it' },
          { cause: err },
        );
      }
      return err instanceof Error ? err : Object.assign(new Error(err.message), { cause: err });
    }
    return new Error(String(err));
  }

  /** A failed statement of the prepared-statement path: translated, its driver error scrubbed. */
  private statementError(err: unknown, sql: string, client: KnexClientInternals, connection: unknown): Error {
    if (isCarusoError(err)) return err;
    const translated = this.translate(err, sql);
    scrubDriverError(err, sql);
    const { __knexUid, __knexTxId } = (connection ?? {}) as { __knexUid?: unknown; __knexTxId?: unknown };
    client.emit('query-error', err, { __knexUid, __knexTxId, sql, method: 'raw' });
    return translated;
  }

  translateError(err: unknown): Error {
    if (isCarusoError(err)) return err;
    return this.translate(err, undefined);
  }

  // --- session surface --------------------------------------------------------------------

  transactionConfig(options: TransactionOptions): Knex.TransactionConfig {
    return this.connection.transactionConfig(options);
  }

  foreignKeysAtCommit(knex: Knex): Promise<ForeignKeyDeferral | undefined> {
    return this.connection.foreignKeysAtCommit ? this.connection.foreignKeysAtCommit(knex) : Promise.resolve(undefined);
  }

  transaction<T>(fn: (trx: StorageTransaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return runTransaction(this, this.knex, fn, options);
  }

  hasTable(dbOrTable: Knex | Knex.Transaction | string, maybeTable?: string): Promise<boolean> {
    const [db, table] = typeof dbOrTable === 'string' ? [this.knex, dbOrTable] : [dbOrTable, maybeTable];
    checkTableName(table);
    return this.connection.hasTable(db, table);
  }

  columnInfo(dbOrTable: Knex | Knex.Transaction | string, maybeTable?: string): Promise<TableInfo> {
    const [db, table] = typeof dbOrTable === 'string' ? [this.knex, dbOrTable] : [dbOrTable, maybeTable];
    checkTableName(table);
    return this.connection.describeTable(db, table).then((info) => {
      if (!info) throw StorageErrors.CARUSO_STORAGE_UNDEFINED_TABLE({ table, dialect: this.dialect }, { details: { dialect: this.dialect, table } });
      return info;
    });
  }

  listTables(dbOrOptions?: Knex | Knex.Transaction | { readonly schema?: string }, maybeOptions?: { readonly schema?: string }): Promise<string[]> {
    const isDb = typeof dbOrOptions === 'function';
    const db = isDb ? (dbOrOptions as Knex | Knex.Transaction) : this.knex;
    const options = (isDb ? maybeOptions : (dbOrOptions as { readonly schema?: string } | undefined)) ?? {};
    if (options.schema !== undefined && (typeof options.schema !== 'string' || options.schema === '')) {
      throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({ option: 'schema', reason: 'must be a non-empty schema name' });
    }
    return this.connection.listTables(db, options.schema).then((names) => names.filter((n) => n !== this.journalTable));
  }

  execute(dbOrSql: Knex | Knex.Transaction | string, sqlOrValues?: string | readonly unknown[], maybeValues?: readonly unknown[]): Promise<StatementResult> {
    const [db, sql, values] = typeof dbOrSql === 'string' ? [this.knex, dbOrSql, sqlOrValues as readonly unknown[] | undefined] : [dbOrSql, sqlOrValues as string, maybeValues];
    return this.executeOn(db, sql, values ?? []);
  }

  private async executeOn(db: Knex | Knex.Transaction, sql: string, values: readonly unknown[]): Promise<StatementResult> {
    if (typeof sql !== 'string' || sql.trim() === '') throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({ option: 'sql', reason: 'execute() takes the SQL text of one statement' });
    if (!Array.isArray(values)) throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({ option: 'values', reason: 'execute() takes a list of values, one per placeholder' });
    const client = db.client as unknown as KnexClientInternals;
    const trx = (db as Partial<Knex.Transaction>).isTransaction === true;
    if (trx) {
      if ((db as Knex.Transaction).isCompleted()) {
        throw StorageErrors.CARUSO_STORAGE_TRANSACTION_MISUSE({
          reason: 'a query used a transaction handle after the transaction ended; keep every query inside the callback and await it',
        });
      }
    } else if (this.state === 'closed') {
      throw StorageErrors.CARUSO_STORAGE_CLOSED({ url: this.displayUrl });
    }
    const executor = this.connection.executor;
    const idle = trx ? undefined : executor.idleConnection?.(client.pool);
    const connection = idle ?? (await client.acquireConnection());
    const { __knexUid, __knexTxId } = connection as { __knexUid?: unknown; __knexTxId?: unknown };
    client.emit('query', { __knexUid, __knexTxId, sql, bindings: values, method: 'raw' });
    try {
      return await executor.run(connection, sql, values, trx);
    } catch (err) {
      throw this.statementError(err, sql, client, connection);
    } finally {
      if (idle === undefined) await client.releaseConnection(connection);
    }
  }

  // --- migrations -------------------------------------------------------------------------

  migrate(migrations: readonly Migration[], options?: MigrationOptions): Promise<MigrationReport> {
    return this.migrator.migrate(migrations, options);
  }

  rollbackMigrations(migrations: readonly Migration[], options?: MigrationOptions & { readonly steps?: number }): Promise<string[]> {
    return this.migrator.rollback(migrations, options);
  }

  appliedMigrations(options?: MigrationOptions): Promise<AppliedMigration[]> {
    return this.migrator.applied(options);
  }

  // --- lifecycle --------------------------------------------------------------------------

  async health(): Promise<HealthStatus> {
    if (this.state === 'closed') return { status: 'down', detail: 'the storage manager is closed' };
    const t0 = performance.now();
    try {
      await this.knex.raw('select 1 as ok');
      const ms = performance.now() - t0;
      const settings = await this.connection.describeSettings(this.knex);
      const facts = Object.entries(settings).map(([k, v]) => `${k} ${v}`).join(', ');
      return { status: 'ok', detail: `${this.dialect} ${this.displayUrl} answered in ${ms.toFixed(1)} ms (${facts})` };
    } catch (err) {
      const e = this.translateError(err);
      return { status: 'down', detail: isCarusoError(e) ? `${e.code}: ${e.message}` : `${this.dialect} ${this.displayUrl}: query failed` };
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closed';
      // knex waits for the connections in use (running transactions) to come back, then frees the pool.
      await this.knex.destroy();
      this.log.info({ url: this.displayUrl }, 'storage closed');
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- service lifecycle (when registered with the service manager) ------------------------

  async start(ctx: ServiceContext): Promise<void> {
    this.log = ctx.logger.child({ dialect: this.dialect });
    await this.open();
  }

  async stop(): Promise<void> {
    await this.close();
  }
}
