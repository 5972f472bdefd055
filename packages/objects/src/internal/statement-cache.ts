/**
 * Statements compiled once per shape. A repository builds the query of a shape with knex, using
 * placeholders for every value; the SQL text (identifiers only from the model) is kept, and each call
 * binds its values and runs it through the storage manager's prepared-statement path.
 */
import type { Knex, StatementResult, StorageSession } from '@caruso/storage';

/** Where a binding of a compiled statement comes from: the n-th parameter, or a constant of the shape. */
type Slot = number | { readonly value: unknown };

/** A statement of one shape: its SQL text (knex `?` placeholders) and where each binding comes from. */
export interface CompiledStatement {
  readonly sql: string;
  readonly slots: readonly Slot[];
  /** Whether the bindings are exactly the parameters, in order (then binding is a copy). */
  readonly direct: boolean;
}

// A NUL character cannot occur in a value of the model, so a placeholder never meets a real value.
const MARK = '\u0000caruso-param-';
const END = '\u0000';
/** Numeric placeholders for limit and offset, which knex wants as numbers. */
const NUMBER_BASE = 2_000_000_000;

/** The placeholder of the `i`-th parameter as a value (for where, insert and update values). */
export function param(i: number): string {
  return `${MARK}${i}${END}`;
}

/** The placeholder of the `i`-th parameter as a number (for limit and offset). */
export function numberParam(i: number): number {
  return NUMBER_BASE + i;
}

/** Compiles a query built with placeholders into a statement. */
export function compileStatement(qb: Knex.QueryBuilder, numberParams: readonly number[] = []): CompiledStatement {
  const { sql, bindings } = qb.toSQL();
  const slots: Slot[] = bindings.map((b) => {
    if (typeof b === 'string' && b.startsWith(MARK) && b.endsWith(END)) {
      const n = Number(b.slice(MARK.length, -END.length));
      if (Number.isInteger(n)) return n;
    }
    if (typeof b === 'number' && numberParams.includes(b - NUMBER_BASE)) return b - NUMBER_BASE;
    return { value: b };
  });
  return { sql, slots, direct: slots.every((s, i) => s === i) };
}

/** The bindings of a statement for the given parameters. */
export function bindStatement(st: CompiledStatement, params: readonly unknown[]): unknown[] {
  if (st.direct && params.length === st.slots.length) return params as unknown[];
  return st.slots.map((s) => (typeof s === 'number' ? params[s] : s.value));
}

/** Runs a compiled statement in a session. */
export function runStatement(session: StorageSession, st: CompiledStatement, params: readonly unknown[]): Promise<StatementResult> {
  return session.execute(st.sql, bindStatement(st, params));
}

/** Compiled statements of one object, by shape. Shapes come from the model; the bound keeps odd callers from growing it. */
export class StatementCache {
  private readonly byShape = new Map<string, CompiledStatement>();
  constructor(private readonly limit = 256) {}

  get(shape: string, build: () => CompiledStatement): CompiledStatement {
    let st = this.byShape.get(shape);
    if (!st) {
      st = build();
      if (this.byShape.size >= this.limit) this.byShape.clear();
      this.byShape.set(shape, st);
    }
    return st;
  }

  get size(): number {
    return this.byShape.size;
  }
}
