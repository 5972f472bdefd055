import type { ForeignKeyDeferral } from '../dialects/dialect.js';
import type { Logger } from '@caruso/kernel';
import type { Knex } from 'knex';
import type { Dialect, StatementResult, TableInfo, TransactionOptions } from '../storage.js';

/** What transaction handles share with their storage manager. */
export interface SessionCore {
  readonly dialect: Dialect;
  readonly logger: Logger;
  transactionConfig(options: TransactionOptions): Knex.TransactionConfig;
  hasTable(db: Knex | Knex.Transaction, table: string): Promise<boolean>;
  columnInfo(db: Knex | Knex.Transaction, table: string): Promise<TableInfo>;
  listTables(db: Knex | Knex.Transaction, options?: { readonly schema?: string }): Promise<string[]>;
  execute(db: Knex | Knex.Transaction, sql: string, values?: readonly unknown[]): Promise<StatementResult>;
  /** A connection with foreign-key enforcement off for an `atCommit` transaction; undefined where the dialect needs none. */
  foreignKeysAtCommit(knex: Knex): Promise<ForeignKeyDeferral | undefined>;
}
