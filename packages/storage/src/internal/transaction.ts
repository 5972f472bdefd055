import { isCarusoError, type Logger } from '@caruso/kernel';
import type { Knex } from 'knex';
import { StorageErrors } from '../errors.js';
import type { StatementResult, StorageTransaction, TableInfo, TransactionOptions } from '../storage.js';
import type { SessionCore } from './session.js';

const RETRYABLE = new Set(['CARUSO_STORAGE_SERIALIZATION_FAILURE', 'CARUSO_STORAGE_DEADLOCK', 'CARUSO_STORAGE_BUSY']);

/** A transaction handle: the session surface on a knex transaction, plus depth and after-commit hooks. */
class TransactionHandle implements StorageTransaction {
  /** Hooks registered in this transaction (or savepoints released into it). */
  readonly hooks: Array<() => void | Promise<void>> = [];

  constructor(
    private readonly core: SessionCore,
    readonly knex: Knex.Transaction,
    readonly depth: number,
  ) {}

  get dialect() {
    return this.core.dialect;
  }

  get schema(): Knex.SchemaBuilder {
    return this.knex.schema;
  }

  transaction<T>(fn: (trx: StorageTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (options.retries) {
      throw StorageErrors.CARUSO_STORAGE_TRANSACTION_MISUSE({ reason: 'retries are only possible on the outermost transaction' });
    }
    if (options.isolation !== undefined || options.readOnly !== undefined || options.foreignKeys !== undefined) {
      throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({
        option: options.isolation !== undefined ? 'isolation' : options.readOnly !== undefined ? 'readOnly' : 'foreignKeys',
        reason: 'a nested transaction (savepoint) inherits the settings of the outermost transaction',
      });
    }
    return runNested(this, fn);
  }

  afterCommit(fn: () => void | Promise<void>): void {
    if (typeof fn !== 'function') throw StorageErrors.CARUSO_STORAGE_TRANSACTION_MISUSE({ reason: 'afterCommit() takes a function' });
    if (this.knex.isCompleted()) {
      throw StorageErrors.CARUSO_STORAGE_TRANSACTION_MISUSE({ reason: 'afterCommit() was called after the transaction ended' });
    }
    this.hooks.push(fn);
  }

  execute(sql: string, values?: readonly unknown[]): Promise<StatementResult> {
    return this.core.execute(this.knex, sql, values);
  }

  hasTable(table: string): Promise<boolean> {
    return this.core.hasTable(this.knex, table);
  }

  columnInfo(table: string): Promise<TableInfo> {
    return this.core.columnInfo(this.knex, table);
  }

  listTables(options?: { readonly schema?: string }): Promise<string[]> {
    return this.core.listTables(this.knex, options);
  }

  newChild(trx: Knex.Transaction): TransactionHandle {
    return new TransactionHandle(this.core, trx, this.depth + 1);
  }

  get logger(): Logger {
    return this.core.logger;
  }
}

async function runNested<T>(parent: TransactionHandle, fn: (trx: StorageTransaction) => Promise<T>): Promise<T> {
  let child: TransactionHandle | undefined;
  // knex runs a transaction of a transaction as a SAVEPOINT; a rejection rolls back to it only.
  const result = await parent.knex.transaction(async (trx) => {
    child = parent.newChild(trx);
    return fn(child);
  });
  // Released into the parent: its hooks now wait for the outermost commit.
  if (child) parent.hooks.push(...child.hooks);
  return result;
}

async function runHooks(hooks: ReadonlyArray<() => void | Promise<void>>, logger: Logger): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook();
    } catch (err) {
      logger.error({ err: isCarusoError(err) ? err.toJSON() : { message: (err as Error)?.message } }, 'an afterCommit hook failed (the transaction is committed)');
    }
  }
}

/** Runs an outermost transaction with the given options, retrying retryable failures. */
export async function runTransaction<T>(
  core: SessionCore,
  knex: Knex,
  fn: (trx: StorageTransaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (typeof fn !== 'function') throw StorageErrors.CARUSO_STORAGE_TRANSACTION_MISUSE({ reason: 'transaction() takes a function' });
  const retries = options.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) {
    throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({ option: 'retries', reason: 'must be an integer from 0 to 100' });
  }
  if (options.isolation !== undefined && !['read committed', 'repeatable read', 'serializable'].includes(options.isolation)) {
    throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({ option: 'isolation', reason: 'must be read committed, repeatable read or serializable' });
  }
  if (options.foreignKeys !== undefined && options.foreignKeys !== 'immediate' && options.foreignKeys !== 'atCommit') {
    throw StorageErrors.CARUSO_STORAGE_BAD_OPTIONS({ option: 'foreignKeys', reason: 'must be immediate or atCommit' });
  }
  const config = core.transactionConfig(options);
  for (let attempt = 0; ; attempt++) {
    let handle: TransactionHandle | undefined;
    try {
      const deferral = options.foreignKeys === 'atCommit' ? await core.foreignKeysAtCommit(knex) : undefined;
      let result: T;
      try {
        result = await knex.transaction(
          async (trx) => {
            handle = new TransactionHandle(core, trx, 1);
            const r = await fn(handle);
            if (deferral) await deferral.check(trx);
            return r;
          },
          deferral ? { ...config, connection: deferral.connection } : config,
        );
      } finally {
        await deferral?.release();
      }
      if (handle && handle.hooks.length > 0) await runHooks(handle.hooks, core.logger);
      return result;
    } catch (err) {
      if (attempt < retries && isCarusoError(err) && RETRYABLE.has(err.code)) {
        core.logger.debug({ code: err.code, attempt: attempt + 1 }, 'retrying a transaction');
        // A short, growing, jittered pause lets the competing transaction finish.
        await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random())));
        continue;
      }
      throw err;
    }
  }
}
