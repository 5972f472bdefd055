/**
 * @caruso/storage: the storage manager, one interface over SQLite (better-sqlite3) and PostgreSQL
 * (pg) through knex: connections, transactions with savepoints, migrations, introspection, health,
 * and driver errors translated into CARUSO_STORAGE_* codes.
 */
export { createStorage } from './create-storage.js';
export { StorageErrors, type StorageErrorCode } from './errors.js';
export {
  resolveStorageOptions,
  type StorageOptions,
  type PoolOptions,
  type SqliteOptions,
  type PostgresOptions,
} from './options.js';
export { storageService, STORAGE_SERVICE_VERSION, type StorageServiceOptions } from './storage-service.js';
export {
  StorageManager,
  type Dialect,
  type IsolationLevel,
  type TransactionOptions,
  type StatementResult,
  type StorageSession,
  type StorageTransaction,
  type Migration,
  type MigrationOptions,
  type MigrationReport,
  type AppliedMigration,
  type ColumnType,
  type ColumnInfo,
  type ForeignKeyInfo,
  type UniqueInfo,
  type TableInfo,
} from './storage.js';
export { KNOWN_SCHEMES } from './dialects/index.js';
export { maskUrl } from './internal/url.js';
/** The knex types, re-exported so that consumers of the contract need not depend on knex themselves. */
export type { Knex } from 'knex';
