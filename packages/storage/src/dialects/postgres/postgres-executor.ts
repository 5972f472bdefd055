import type { StatementResult } from '../../storage.js';
import type { StatementExecutor } from '../dialect.js';

/** The part of a pg client the executor uses. */
interface PgClientLike {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null; command: string }>;
}

interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

/** Statement names kept; shapes come from models, so this bound is rarely reached. */
const NAME_LIMIT = 1000;

/** knex's `?` placeholders as PostgreSQL's `$1, $2 …` (`\?` stays a question mark), as knex's pg client does. */
function positionBindings(sql: string): string {
  let n = 0;
  return sql.replace(/(\\*)(\?)/g, (_match, escapes: string) => {
    if (escapes.length % 2) return '?';
    n++;
    return `$${n}`;
  });
}

function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === '0A000' && typeof e.message === 'string' && /cached plan must not change result type/.test(e.message);
}

/**
 * PostgreSQL's prepared-statement path: a named statement per SQL text, which pg parses once per
 * connection and the server plans once per connection.
 */
export class PostgresExecutor implements StatementExecutor {
  private readonly named = new Map<string, NamedStatement>();
  private counter = 0;

  private statement(sql: string): NamedStatement {
    let st = this.named.get(sql);
    if (!st) {
      if (this.named.size >= NAME_LIMIT) this.named.clear();
      st = { name: `caruso_${++this.counter}`, text: positionBindings(sql) };
      this.named.set(sql, st);
    }
    return st;
  }

  /**
   * Forgets every named statement, so that each is prepared again under a new name: after a column
   * type change, a statement prepared before it fails inside a transaction ("cached plan must not
   * change result type"), where it cannot be retried.
   */
  forgetStatements(): void {
    this.named.clear();
  }

  async run(connection: unknown, sql: string, values: readonly unknown[], inTransaction: boolean): Promise<StatementResult> {
    const conn = connection as PgClientLike;
    const params = values.map((v) => (v === undefined ? null : v));
    try {
      const st = this.statement(sql);
      const r = await conn.query({ name: st.name, text: st.text, values: params });
      return { rows: r.rows, changes: r.command === 'SELECT' ? 0 : (r.rowCount ?? 0) };
    } catch (err) {
      // A column type changed under a prepared statement: prepare it again under a new name.
      if (!isStalePlan(err)) throw err;
      this.named.delete(sql);
      if (inTransaction) throw err;
      const st = this.statement(sql);
      const r = await conn.query({ name: st.name, text: st.text, values: params });
      return { rows: r.rows, changes: r.command === 'SELECT' ? 0 : (r.rowCount ?? 0) };
    }
  }
}
