import type { StatementResult } from '../../storage.js';
import type { PoolState, StatementExecutor } from '../dialect.js';

/** The part of a better-sqlite3 statement the executor uses. */
interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** The part of a better-sqlite3 connection the executor uses. */
export interface SqliteDatabase {
  readonly open: boolean;
  prepare(sql: string): SqliteStatement;
}

/** Statements kept per connection; shapes come from models, so this bound is rarely reached. */
const CACHE_LIMIT = 500;

/** Values as knex's better-sqlite3 client binds them (dates as epoch milliseconds, booleans as 0/1). */
function bindable(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.valueOf();
  return v;
}

/**
 * SQLite's prepared-statement path: one better-sqlite3 statement per SQL text and connection, and a
 * synchronous run on the one connection when the pool is idle.
 */
export class SqliteExecutor implements StatementExecutor {
  private readonly statements = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();
  /** The connection the pool created last (the pool holds one at most). */
  private latest: SqliteDatabase | undefined;

  /** Called by the pool's afterCreate hook. */
  connectionCreated(conn: SqliteDatabase): void {
    this.latest = conn;
  }

  idleConnection(pool: PoolState | undefined): SqliteDatabase | undefined {
    const conn = this.latest;
    if (!pool || !conn?.open) return undefined;
    // The pool holds one connection; free, not held and not awaited, it is `latest`.
    if (pool.numFree() !== 1 || pool.numUsed() !== 0 || pool.numPendingAcquires() !== 0 || pool.numPendingCreates() !== 0) return undefined;
    return conn;
  }

  run(connection: unknown, sql: string, values: readonly unknown[]): StatementResult {
    const conn = connection as SqliteDatabase;
    let cache = this.statements.get(conn);
    if (!cache) {
      cache = new Map();
      this.statements.set(conn, cache);
    }
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = conn.prepare(sql);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(sql, stmt);
    }
    const params = values.map(bindable);
    if (stmt.reader) {
      const rows = stmt.all(params) as Record<string, unknown>[];
      return { rows, changes: /^\s*select\b/i.test(sql) ? 0 : rows.length };
    }
    return { rows: [], changes: stmt.run(params).changes };
  }
}
