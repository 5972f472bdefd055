import { defineErrors } from '@caruso/kernel';

/**
 * Every error the storage manager raises. Each code is documented in docs/errors.md. Driver errors
 * (better-sqlite3, pg) are translated into these at the boundary, with the driver's error as `cause`
 * and, where the driver tells, the table, column and constraint in `details`. Messages never carry
 * bound values, passwords or customer data.
 */
export const StorageErrors = defineErrors({
  // configuration
  CARUSO_STORAGE_BAD_URL: {
    message: 'invalid database URL {url}: {reason}; use sqlite:./data/crm.db, sqlite::memory: or postgres://user:password@host:5432/db',
  },
  CARUSO_STORAGE_UNKNOWN_DIALECT: {
    message: 'unknown database {dialect} in {url}; known: {known}',
  },
  CARUSO_STORAGE_BAD_OPTIONS: { message: 'invalid storage option {option}: {reason}' },
  // connections
  CARUSO_STORAGE_CONNECTION_FAILED: {
    message: 'cannot connect to {url}: {reason}',
    status: 503,
  },
  CARUSO_STORAGE_CONNECTION_LOST: {
    message: 'the connection to the {dialect} database was lost ({reason}); the statement may or may not have run',
    status: 503,
  },
  CARUSO_STORAGE_POOL_TIMEOUT: {
    message: 'no free database connection within {timeoutMs} ms (pool of {max}); a transaction may be holding it, or raise pool.max',
    status: 503,
  },
  CARUSO_STORAGE_CLOSED: { message: 'the storage manager for {url} is closed', status: 503, kind: 'cancel' },
  CARUSO_STORAGE_BUSY: {
    message: 'the database is locked by another writer (table {table}); retry the transaction',
    status: 503,
  },
  // constraint violations
  CARUSO_STORAGE_UNIQUE_VIOLATION: {
    message: 'a row of {table} with the same {columns} already exists (constraint {constraint})',
    status: 409,
  },
  CARUSO_STORAGE_FOREIGN_KEY_VIOLATION: {
    message: '{table}: a foreign key is violated{where}; the referenced row is missing, or the row is still referenced',
    status: 409,
  },
  CARUSO_STORAGE_NOT_NULL_VIOLATION: { message: '{table}.{column} may not be empty (NOT NULL)' },
  CARUSO_STORAGE_CHECK_VIOLATION: { message: '{table}: the check {constraint} is not satisfied' },
  CARUSO_STORAGE_INVALID_VALUE: { message: '{table}: {reason}' },
  // concurrency
  CARUSO_STORAGE_SERIALIZATION_FAILURE: {
    message: 'the transaction conflicted with a concurrent one and was rolled back; run it again',
    status: 409,
  },
  CARUSO_STORAGE_DEADLOCK: {
    message: 'the transaction was chosen as the victim of a deadlock and rolled back; run it again',
    status: 409,
  },
  CARUSO_STORAGE_STATEMENT_TIMEOUT: {
    message: 'a statement on {table} ran longer than the statement timeout and was cancelled',
    status: 503,
  },
  // schema
  CARUSO_STORAGE_UNDEFINED_TABLE: { message: 'table {table} does not exist in the {dialect} database', status: 500, kind: 'bug' },
  CARUSO_STORAGE_UNDEFINED_COLUMN: {
    message: 'column {column} does not exist (table {table}) in the {dialect} database',
    status: 500,
    kind: 'bug',
  },
  CARUSO_STORAGE_QUERY_FAILED: {
    message: 'the {dialect} database rejected a statement on {table}: {reason} (driver code {driverCode})',
    status: 500,
    kind: 'bug',
  },
  // transactions and migrations
  CARUSO_STORAGE_TRANSACTION_MISUSE: { message: 'transaction misuse: {reason}', status: 500, kind: 'bug' },
  CARUSO_STORAGE_BAD_MIGRATION: { message: 'invalid migration list for scope {scope}: {reason}', status: 500, kind: 'bug' },
  CARUSO_STORAGE_MIGRATION_MISMATCH: {
    message: 'the migration journal of scope {scope} does not match the migrations given: {reason}',
    status: 500,
  },
  CARUSO_STORAGE_MIGRATION_FAILED: {
    message: 'migration {id} of scope {scope} failed and was rolled back: {reason}',
    status: 500,
  },
});

/** The union of storage error codes. */
export type StorageErrorCode = (typeof StorageErrors.codes)[number];
