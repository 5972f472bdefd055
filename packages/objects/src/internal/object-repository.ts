/**
 * The repository of one object over one storage session (the manager or a transaction).
 */
import { isCarusoError } from '@caruso/kernel';
import type { Knex, StorageSession } from '@caruso/storage';
import { evaluate, recordEnvironment } from '../common/expression.js';
import type { FieldDef, ObjectDef, RelationDef } from '../common/model.js';
import { checkConstraints, coerceValue, normalizeValue } from '../common/values.js';
import type {
  AggregateQuery,
  AuditEntry,
  DeleteOptions,
  Filter,
  Link,
  ObjectChangeEvent,
  ObjectRecord,
  Query,
  QueryResult,
  ReadOptions,
  RecordKey,
  Repository,
  VersionedWriteOptions,
  WriteOptions,
} from '../business-objects.js';
import { DEFAULT_QUERY_LIMIT } from '../business-objects.js';
import { ObjectsErrors, type FieldViolation } from '../errors.js';
import { computeField, type ModelMapping, type ObjectMapping } from './object-mapping.js';
import { QueryCompiler } from './query-compiler.js';
import { compileStatement, numberParam, param, runStatement, type CompiledStatement } from './statement-cache.js';

/** The audit table every audited object writes to. */
export const AUDIT_TABLE = 'caruso_audit';

const MAIN = 't0';
const CHUNK = 500;

/** What repositories of one session share. */
export interface RepositoryContext {
  readonly session: StorageSession;
  readonly mapping: ModelMapping;
  readonly now: () => Date;
  repository(name: string): ObjectRepository;
  /** Whether anyone listens to the change events (a write then reads what the event needs). */
  readonly watchesChanges: boolean;
  /** Fires a change written through `session` once it is committed. */
  changed(session: StorageSession, event: ObjectChangeEvent): void;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Turns a page of records into a {@link QueryResult}: the page facts are non-enumerable, so JSON and deep equality see the records only. */
function queryResult(records: ObjectRecord[], page: Omit<QueryResult, keyof ObjectRecord[]>): QueryResult {
  const facts: PropertyDescriptorMap = {};
  for (const [k, v] of Object.entries(page)) facts[k] = { value: v, enumerable: false, writable: false };
  return Object.defineProperties(records, facts) as QueryResult;
}

const tupleKey = (values: readonly unknown[]): string => JSON.stringify(values);

/** The repository of one object. */
export class ObjectRepository implements Repository {
  readonly object: ObjectDef;
  private readonly selectCols: string[];

  constructor(
    private readonly ctx: RepositoryContext,
    readonly om: ObjectMapping,
  ) {
    this.object = om.object;
    this.selectCols = om.columns.map((c) => `${MAIN}.${c}`);
  }

  private get knex(): Knex | Knex.Transaction {
    return this.ctx.session.knex;
  }

  private table(): Knex.QueryBuilder {
    return this.knex({ [MAIN]: this.object.table });
  }

  private whereKey(qb: Knex.QueryBuilder, values: readonly unknown[], alias = MAIN): Knex.QueryBuilder {
    this.om.keyFields.forEach((f, i) => {
      qb.where(alias === '' ? f.column : `${alias}.${f.column}`, values[i] as Knex.Value);
    });
    return qb;
  }

  private notDeleted(qb: Knex.QueryBuilder, withDeleted: boolean | undefined, alias = MAIN): Knex.QueryBuilder {
    const col = this.object.softDeleteColumn;
    if (col !== undefined && !withDeleted) qb.whereNull(alias === '' ? col : `${alias}.${col}`);
    return qb;
  }

  // ---------------------------------------------------------------- reads

  async get(key: RecordKey, options: ReadOptions = {}): Promise<ObjectRecord | undefined> {
    const values = this.om.keyValues(key);
    this.checkIncludes(options.include);
    const row = await this.rowByKey(this.ctx.session, values, options.withDeleted === true);
    if (!row) return undefined;
    const rec = this.om.toRecord(row, this.ctx.now);
    if (options.include?.length) await this.loadIncludes([rec], options.include);
    return rec;
  }

  async query(query: Query = {}): Promise<QueryResult> {
    const limit = query.limit ?? DEFAULT_QUERY_LIMIT;
    const offset = query.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) this.badQuery('limit', 'limit is a whole number from 1 to 10000');
    if (!Number.isInteger(offset) || offset < 0) this.badQuery('offset', 'offset is a whole number from 0');
    if (query.withTotal !== undefined && typeof query.withTotal !== 'boolean') this.badQuery('withTotal', 'withTotal is true or false');
    this.checkIncludes(query.include);
    // One row more than the page tells whether the limit left records out.
    const simple = this.simpleQuery(query, limit + 1, offset);
    let rows: Record<string, unknown>[];
    if (simple) rows = (await runStatement(this.ctx.session, simple.st, simple.params)).rows;
    else {
      const qc = new QueryCompiler(this.ctx.session.knex as Knex, this.ctx.mapping);
      const qb = this.table().select(this.selectCols);
      this.notDeleted(qb, query.withDeleted);
      qc.applyFilter(qb, this.om, MAIN, query.where, '');
      qc.applySearch(qb, this.om, MAIN, query.search);
      for (const [col, dir] of qc.sortColumns(this.om, MAIN, query.orderBy)) qb.orderBy(col, dir);
      qb.limit(limit + 1);
      if (offset > 0) qb.offset(offset);
      rows = (await qb) as Record<string, unknown>[];
    }
    const hasMore = rows.length > limit;
    const recs = rows.slice(0, limit).map((r) => this.om.toRecord(r, this.ctx.now));
    if (query.include?.length && recs.length) await this.loadIncludes(recs, query.include);
    const total = query.withTotal ? await this.count(query.where, { ...(query.search !== undefined ? { search: query.search } : {}), ...(query.withDeleted ? { withDeleted: true } : {}) }) : undefined;
    return queryResult(recs, { hasMore, limit, offset, nextOffset: hasMore ? offset + recs.length : null, total });
  }

  async count(where?: Filter, options: { readonly search?: string; readonly withDeleted?: boolean } = {}): Promise<number> {
    const qc = new QueryCompiler(this.ctx.session.knex as Knex, this.ctx.mapping);
    const qb = this.table().count({ n: '*' });
    this.notDeleted(qb, options.withDeleted);
    qc.applyFilter(qb, this.om, MAIN, where, '');
    qc.applySearch(qb, this.om, MAIN, options.search);
    const row = (await qb.first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  async aggregate(query: AggregateQuery): Promise<Record<string, unknown>[]> {
    const knex = this.ctx.session.knex as Knex;
    const qc = new QueryCompiler(knex, this.ctx.mapping);
    const qb = this.table();
    this.notDeleted(qb, query.withDeleted);
    qc.applyFilter(qb, this.om, MAIN, query.where, '');
    qc.applySearch(qb, this.om, MAIN, query.search);
    const groups = (query.groupBy ?? []).map((g, i) => qc.groupField(this.om, g, `groupBy[${i}]`, false));
    const outNames = new Set<string>();
    const selects: Knex.Raw[] = [];
    groups.forEach((f, i) => {
      selects.push(knex.raw('?? as ??', [`${MAIN}.${f.column}`, `g${i}`]));
      if (f.currencyColumn) selects.push(knex.raw('?? as ??', [`${MAIN}.${f.currencyColumn}`, `g${i}c`]));
      outNames.add(f.name);
    });
    const measures = Object.entries(query.measures ?? {});
    if (measures.length === 0 && groups.length === 0) this.badQuery('measures', 'name at least one measure or group');
    if (measures.length > 20) this.badQuery('measures', 'at most 20 measures');
    const measureFields: (FieldDef | undefined)[] = [];
    measures.forEach(([name, m], i) => {
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || outNames.has(name)) this.badQuery(`measures.${name}`, 'a measure name is a unique identifier');
      outNames.add(name);
      const fn = m?.fn;
      if (!['count', 'sum', 'avg', 'min', 'max'].includes(fn as string)) this.badQuery(`measures.${name}.fn`, 'fn is count, sum, avg, min or max');
      if (fn === 'count' && m.field === undefined) {
        selects.push(knex.raw('count(*) as ??', [`m${i}`]));
        measureFields.push(undefined);
        return;
      }
      const f = qc.groupField(this.om, m.field, `measures.${name}.field`, fn === 'sum' || fn === 'avg');
      measureFields.push(f);
      selects.push(knex.raw(`${fn as string}(??) as ??`, [`${MAIN}.${f.column}`, `m${i}`]));
    });
    qb.select(selects);
    groups.forEach((f) => {
      qb.groupBy(`${MAIN}.${f.column}`);
      if (f.currencyColumn) qb.groupBy(`${MAIN}.${f.currencyColumn}`);
    });
    (query.orderBy ?? []).forEach((k, i) => {
      const name = typeof k === 'string' ? k.replace(/^-/, '') : k.field;
      const dir = typeof k === 'string' ? (k.startsWith('-') ? 'desc' : 'asc') : (k.direction ?? 'asc');
      const gi = groups.findIndex((g) => g.name === name);
      const mi = measures.findIndex(([n]) => n === name);
      if (gi < 0 && mi < 0) this.badQuery(`orderBy[${i}]`, `unknown group or measure '${String(name)}'`);
      qb.orderBy(gi >= 0 ? `g${gi}` : `m${mi}`, dir === 'desc' ? 'desc' : 'asc');
    });
    if (query.limit !== undefined) {
      if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 10_000) this.badQuery('limit', 'limit is a whole number from 1 to 10000');
      qb.limit(query.limit);
    }
    const rows = (await qb) as Record<string, unknown>[];
    return rows.map((r) => {
      const out: Record<string, unknown> = {};
      groups.forEach((f, i) => {
        const fm = this.om.byName.get(f.name);
        out[f.name] = fm?.fromRow({ [f.column]: r[`g${i}`], ...(f.currencyColumn ? { [f.currencyColumn]: r[`g${i}c`] } : {}) });
      });
      measures.forEach(([name, m], i) => {
        const v = r[`m${i}`];
        const f = measureFields[i];
        if (v === null || v === undefined) out[name] = null;
        else if (m.fn === 'min' || m.fn === 'max') out[name] = f ? this.om.byName.get(f.name)?.fromRow({ [f.column]: v }) : v;
        else out[name] = Number(v);
      });
      return out;
    });
  }

  // ---------------------------------------------------------------- compiled statements

  /** The statement of a shape, compiled on first use. */
  private statement(shape: string, build: () => Knex.QueryBuilder, numberParams?: readonly number[]): CompiledStatement {
    return this.om.statements.get(shape, () => compileStatement(build(), numberParams));
  }

  /** The key's placeholders, from parameter `from` on. */
  private keyParams(from = 0): string[] {
    return this.om.keyFields.map((_, i) => param(from + i));
  }

  /** Reads a row by key (unaliased; the cheapest statement for the most frequent read). */
  private async rowByKey(session: StorageSession, values: readonly unknown[], withDeleted: boolean): Promise<Record<string, unknown> | undefined> {
    const st = this.statement(withDeleted ? 'get:with-deleted' : 'get', () =>
      // The limit is written into the text: SQLite plans `limit ?` more slowly than `limit 1`.
      this.notDeleted(this.whereKey(this.knex(this.object.table).select(this.om.columns as string[]), this.keyParams(), ''), withDeleted, '').limit(1, { skipBinding: true }),
    );
    const { rows } = await runStatement(session, st, values);
    return rows[0];
  }

  /**
   * The compiled form of a simple query (equality filters on stored fields, sort, limit, offset; no
   * search), or undefined when the query needs the general compiler. Validates what it reads.
   */
  private simpleQuery(query: Query, limit: number, offset: number): { st: CompiledStatement; params: unknown[] } | undefined {
    if (query.search !== undefined) return undefined;
    const where = query.where;
    if (where !== undefined && (typeof where !== 'object' || where === null || Array.isArray(where))) return undefined;
    const qc = new QueryCompiler(this.knex as Knex, this.ctx.mapping);
    const conds: { field: FieldDef; value: unknown }[] = [];
    for (const [name, cond] of Object.entries(where ?? {})) {
      if (cond === undefined) continue;
      const fm = this.om.byName.get(name);
      if (!fm || !fm.stored || fm.field.type === 'json') return undefined;
      if (cond !== null && typeof cond !== 'string' && typeof cond !== 'number' && typeof cond !== 'boolean') return undefined;
      conds.push({ field: fm.field, value: qc.value(this.om, fm.field, cond, name) });
    }
    const sort = qc.sortColumns(this.om, MAIN, query.orderBy);
    const withDeleted = query.withDeleted === true;
    // The shape names only model fields and columns: values are parameters.
    const shape = [
      'query',
      withDeleted ? 'd' : '',
      conds.map((c) => `${c.field.name}${c.value === null ? '=null' : ''}`).join(','),
      sort.map(([c, d]) => `${c} ${d}`).join(','),
      offset > 0 ? 'offset' : '',
    ].join('|');
    const params: unknown[] = conds.filter((c) => c.value !== null).map((c) => c.value);
    const limitAt = params.length;
    params.push(limit);
    if (offset > 0) params.push(offset);
    const numbers = offset > 0 ? [limitAt, limitAt + 1] : [limitAt];
    const st = this.statement(
      shape,
      () => {
        const qb = this.table().select(this.selectCols);
        this.notDeleted(qb, withDeleted);
        let i = 0;
        for (const c of conds) {
          if (c.value === null) qb.whereNull(`${MAIN}.${c.field.column}`);
          else qb.where(`${MAIN}.${c.field.column}`, param(i++));
        }
        for (const [col, dir] of sort) qb.orderBy(col, dir);
        qb.limit(numberParam(limitAt));
        if (offset > 0) qb.offset(numberParam(limitAt + 1));
        return qb;
      },
      numbers,
    );
    return { st, params };
  }

  private badQuery(path: string, reason: string): never {
    throw ObjectsErrors.CARUSO_OBJECTS_BAD_QUERY({ object: this.object.name, path, reason });
  }

  /** Checks include paths against the model before any query runs. */
  private checkIncludes(include: readonly string[] | undefined): void {
    if (include === undefined) return;
    if (!Array.isArray(include) || include.length > 20) this.badQuery('include', 'include takes a list of at most 20 relation paths');
    for (const p of include) {
      if (typeof p !== 'string') this.badQuery('include', 'relation paths are text');
      let om = this.om;
      const parts = p.split('.');
      if (parts.length > 4) this.badQuery('include', `${p} is nested more than 4 deep`);
      for (const part of parts) {
        const rel = om.relations.get(part);
        if (!rel) {
          throw ObjectsErrors.CARUSO_OBJECTS_UNKNOWN_RELATION({ object: om.object.name, relation: part, known: [...om.relations.keys()].join(', ') || '(none)' });
        }
        om = this.ctx.mapping.object(rel.target);
      }
    }
  }

  /** Loads relations for `recs`: one query per relation and level, whatever the number of records. */
  async loadIncludes(recs: ObjectRecord[], include: readonly string[]): Promise<void> {
    const tree = new Map<string, string[]>();
    for (const p of include) {
      const [head, ...rest] = p.split('.');
      const list = tree.get(head as string) ?? [];
      if (rest.length) list.push(rest.join('.'));
      tree.set(head as string, list);
    }
    for (const [name, nested] of tree) {
      const rel = this.om.relations.get(name) as RelationDef;
      const target = this.ctx.repository(rel.target);
      if (rel.kind === 'many-to-one') {
        const fkOf = (r: ObjectRecord): unknown[] => rel.fields.map((f) => r[f]);
        const wanted = new Map<string, unknown[]>();
        for (const r of recs) {
          const fk = fkOf(r);
          if (fk.every((v) => v !== null && v !== undefined)) wanted.set(tupleKey(fk), fk);
        }
        const found = await target.byKeyColumns(target.om.keyFields.map((f) => f.column), [...wanted.values()], nested);
        for (const r of recs) r[name] = found.get(tupleKey(fkOf(r)))?.[0] ?? null;
      } else if (rel.kind === 'one-to-many') {
        const inv = target.om.relations.get(rel.inverse as string) as RelationDef;
        const cols = inv.fields.map((f) => (target.om.byName.get(f)?.field as FieldDef).column);
        const keys = recs.map((r) => this.om.keyFields.map((f) => r[f.name]));
        const found = await target.byKeyColumns(cols, keys, nested, inv.fields);
        for (const r of recs) r[name] = found.get(tupleKey(this.om.keyFields.map((f) => r[f.name]))) ?? [];
      } else {
        const links = await this.linkRows(rel, recs.map((r) => this.om.keyFields.map((f) => r[f.name])));
        const targetKeys = new Map<string, unknown[]>();
        for (const l of links) targetKeys.set(tupleKey(l.target), l.target);
        const found = await target.byKeyColumns(target.om.keyFields.map((f) => f.column), [...targetKeys.values()], nested);
        const bySource = new Map<string, ObjectRecord[]>();
        for (const l of links) {
          const t = found.get(tupleKey(l.target))?.[0];
          if (!t) continue;
          const k = tupleKey(l.source);
          const list = bySource.get(k) ?? [];
          list.push({ ...t, $link: l.attributes });
          bySource.set(k, list);
        }
        for (const r of recs) r[name] = bySource.get(tupleKey(this.om.keyFields.map((f) => r[f.name]))) ?? [];
      }
    }
  }

  /**
   * Records whose `cols` hold one of `tuples`, grouped by those values (as JSON of the tuple).
   * `groupFields` names the record fields that hold the columns (default the key fields).
   */
  async byKeyColumns(cols: readonly string[], tuples: readonly unknown[][], include: readonly string[], groupFields?: readonly string[]): Promise<Map<string, ObjectRecord[]>> {
    const out = new Map<string, ObjectRecord[]>();
    if (tuples.length === 0) return out;
    const names = groupFields ?? this.om.keyFields.map((f) => f.name);
    const all: ObjectRecord[] = [];
    for (const part of chunks(tuples, CHUNK)) {
      const qb = this.table().select(this.selectCols);
      this.notDeleted(qb, false);
      if (cols.length === 1) qb.whereIn(`${MAIN}.${cols[0] as string}`, part.map((t) => t[0]) as Knex.Value[]);
      else {
        qb.where((b) => {
          for (const t of part) {
            b.orWhere((x) => {
              cols.forEach((c, i) => {
                x.where(`${MAIN}.${c}`, t[i] as Knex.Value);
              });
            });
          }
        });
      }
      for (const f of this.om.keyFields) qb.orderBy(`${MAIN}.${f.column}`);
      const rows = (await qb) as Record<string, unknown>[];
      for (const row of rows) all.push(this.om.toRecord(row, this.ctx.now));
    }
    if (include.length && all.length) await this.loadIncludes(all, include);
    for (const rec of all) {
      const k = tupleKey(names.map((n) => rec[n]));
      const list = out.get(k) ?? [];
      list.push(rec);
      out.set(k, list);
    }
    return out;
  }

  // ---------------------------------------------------------------- writes

  private violation(field: string, code: string, message: string): FieldViolation {
    return { field, code, message };
  }

  private fail(violations: FieldViolation[]): never {
    const summary = violations
      .slice(0, 5)
      .map((v) => `${v.field}: ${v.message}`)
      .join('; ');
    throw ObjectsErrors.CARUSO_OBJECTS_VALIDATION_FAILED(
      { object: this.object.name, count: violations.length, summary: violations.length > 5 ? `${summary}; …` : summary },
      { details: { violations } },
    );
  }

  /**
   * Converts and checks input values. Returns the converted values of the fields given, and the
   * violations of the values themselves (type, length, range, pattern, options).
   */
  convertInput(data: Readonly<ObjectRecord>, mode: 'create' | 'update', violations: FieldViolation[]): Record<string, unknown> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      this.fail([this.violation('$record', 'type', 'the data of a record is an object of field values')]);
    }
    const out: Record<string, unknown> = {};
    for (const [name, raw] of Object.entries(data)) {
      if (name.startsWith('$')) continue;
      const fm = this.om.byName.get(name);
      if (!fm) {
        if (this.om.relations.has(name)) {
          violations.push(this.violation(name, 'read-only', `${name} is a relation: set its fields${this.om.relations.get(name)?.kind === 'many-to-many' ? ' or use link()' : ''}`));
        } else violations.push(this.violation(name, 'unknown-field', `${this.object.name} has no field ${name}`));
        continue;
      }
      const f = fm.field;
      if (f.computed) {
        violations.push(this.violation(name, 'read-only', `${f.label} is computed`));
        continue;
      }
      if (f.generated && mode === 'create' && raw !== undefined && raw !== null) {
        violations.push(this.violation(name, 'read-only', `${f.label} is generated by the database`));
        continue;
      }
      const c0 = coerceValue(f, raw);
      const c = c0.ok ? normalizeValue(f, c0.value, this.ctx.mapping.model.defaultCountry) : c0;
      if (!c.ok) {
        violations.push(this.violation(name, 'type', `${f.label} ${c.message}`));
        continue;
      }
      const problem = checkConstraints(f, c.value);
      if (problem) violations.push(this.violation(name, problem.code, problem.message));
      out[name] = c.value;
    }
    return out;
  }

  /** Required fields, stored computed fields, rules, over the full record; adds violations. */
  completeAndCheck(rec: Record<string, unknown>, violations: FieldViolation[]): void {
    for (const f of this.om.computedOrder) rec[f.name] = computeField(f, rec, this.ctx.now);
    for (const f of this.object.fields) {
      if (f.required && !f.generated && !f.computed && (rec[f.name] === null || rec[f.name] === undefined) && !violations.some((v) => v.field === f.name)) {
        violations.push(this.violation(f.name, 'required', `${f.label} is required`));
      }
      if (f.computed && f.stored) {
        const problem = checkConstraints(f, rec[f.name]);
        if (problem) violations.push(this.violation(f.name, problem.code, problem.message));
      }
    }
    if (violations.length) return; // rules read other fields: run them on valid values only
    for (const rule of this.object.rules) {
      const env = recordEnvironment(rec, this.ctx.now);
      if (rule.when && evaluate(rule.when, env) !== true) continue;
      if (evaluate(rule.assert, env) === false) violations.push(this.violation(rule.field ?? '$record', `rule:${rule.name}`, rule.message));
    }
  }

  /** Looks for other rows holding the same values of unique fields (empty values never clash). */
  private async checkUnique(session: StorageSession, rec: Readonly<Record<string, unknown>>, exclude: unknown[] | undefined, violations: FieldViolation[], fields?: ReadonlySet<string>): Promise<void> {
    const groups: FieldDef[][] = [];
    for (const f of this.object.fields) if (f.unique && (!f.computed || f.stored)) groups.push([f]);
    for (const u of this.object.uniques) groups.push(u.map((n) => this.om.byName.get(n)?.field as FieldDef));
    const relevant = groups.filter((g) => (fields === undefined || g.some((f) => fields.has(f.name))) && g.every((f) => rec[f.name] !== null && rec[f.name] !== undefined));
    if (relevant.length === 0) return;
    const cols = new Set<string>();
    relevant.forEach((g) => g.forEach((f) => cols.add(f.column)));
    const qb = session.knex({ [MAIN]: this.object.table }).select([...cols].map((c) => `${MAIN}.${c}`));
    qb.where((b) => {
      for (const g of relevant) {
        b.orWhere((x) => {
          for (const f of g) {
            const cv = this.om.toColumns({ [f.name]: rec[f.name] });
            x.where(`${MAIN}.${f.column}`, cv[f.column] as Knex.Value);
          }
        });
      }
    });
    if (exclude) {
      qb.whereNot((b) => {
        this.whereKey(b, exclude);
      });
    }
    qb.limit(relevant.length * 2);
    const rows = (await qb) as Record<string, unknown>[];
    for (const g of relevant) {
      const clash = rows.some((row) =>
        g.every((f) => {
          const cv = this.om.toColumns({ [f.name]: rec[f.name] });
          // Compare as text: drivers return numbers and strings differently.
          return String(row[f.column]) === String(cv[f.column]);
        }),
      );
      if (clash) {
        const name = g.map((f) => f.name).join(', ');
        violations.push(this.violation(g[0]?.name as string, 'unique', `another ${this.object.label} has the same ${g.length > 1 ? `combination of ${name}` : (g[0] as FieldDef).label}`));
      }
    }
  }

  /** Translates a unique violation the database found (a race past the pre-check). */
  translateWriteError(err: unknown): unknown {
    if (isCarusoError(err, 'CARUSO_STORAGE_UNIQUE_VIOLATION')) {
      const cols = ((err.details as { columns?: string[] } | undefined)?.columns ?? []) as string[];
      const f = this.object.fields.find((x) => cols.includes(x.column));
      try {
        this.fail([this.violation(f?.name ?? '$record', 'unique', `another ${this.object.label} has the same ${f?.label ?? 'values'}`)]);
      } catch (e) {
        (e as { cause?: unknown }).cause = err;
        return e;
      }
    }
    return err;
  }

  private needsTransaction(): boolean {
    return this.om.auditedFields.size > 0;
  }

  private run<T>(fn: (session: StorageSession) => Promise<T>, transactional: boolean): Promise<T> {
    if (!transactional) return fn(this.ctx.session);
    return this.ctx.session.transaction((trx) => fn(trx));
  }

  async create(data: Readonly<ObjectRecord>, options: WriteOptions = {}): Promise<ObjectRecord> {
    const violations: FieldViolation[] = [];
    const given = this.convertInput(data, 'create', violations);
    const rec: Record<string, unknown> = {};
    for (const f of this.object.fields) {
      if (f.computed) continue;
      rec[f.name] = Object.hasOwn(given, f.name) ? given[f.name] : f.defaultValue === undefined ? null : f.defaultValue;
    }
    this.completeAndCheck(rec, violations);
    if (violations.length) this.fail(violations);
    return this.run(async (session) => {
      await this.checkUnique(session, rec, undefined, violations);
      if (violations.length) this.fail(violations);
      const row = this.om.toColumns(rec);
      for (const f of this.om.keyFields) if (f.generated) delete row[f.column];
      if (this.object.versionColumn) row[this.object.versionColumn] = 1;
      let inserted: Record<string, unknown>[];
      const cols = Object.keys(row);
      const st = this.statement(`insert|${cols.join(',')}`, () => {
        const placeholders: Record<string, string> = {};
        cols.forEach((c, i) => (placeholders[c] = param(i)));
        return this.knex(this.object.table).insert(placeholders).returning(this.om.columns as string[]);
      });
      try {
        inserted = (await runStatement(session, st, cols.map((c) => row[c]))).rows;
      } catch (err) {
        throw this.translateWriteError(err);
      }
      const out = this.om.toRecord(inserted[0] as Record<string, unknown>, this.ctx.now);
      if (this.om.auditedFields.size) {
        const entries: [string, unknown, unknown][] = [];
        for (const name of this.om.auditedFields) if (out[name] !== null && out[name] !== undefined) entries.push([name, null, out[name]]);
        await this.audit(session, this.om.keyValues(this.om.keyOf(out)), 'create', entries, options.actor);
      }
      this.announce(session, { kind: 'created', ...this.changeBase(out, options), after: out, version: this.versionOf(out) });
      return out;
    }, this.needsTransaction());
  }

  private async currentRow(session: StorageSession, values: readonly unknown[], withDeleted = false): Promise<Record<string, unknown> | undefined> {
    return this.rowByKey(session, values, withDeleted);
  }

  private async notFoundOrConflict(session: StorageSession, values: readonly unknown[], expected: number | undefined): Promise<never> {
    const row = await this.currentRow(session, values);
    const keyText = this.om.keyText(values);
    if (!row) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: this.object.name, key: keyText });
    const current = this.om.toRecord(row, this.ctx.now);
    throw ObjectsErrors.CARUSO_OBJECTS_CONFLICT(
      { object: this.object.name, key: keyText, expected: expected ?? '?', actual: current['$version'] },
      { details: { current } },
    );
  }

  private expectedVersion(changes: Readonly<ObjectRecord> | undefined, options: VersionedWriteOptions): number | undefined {
    const v = options.expectedVersion ?? (changes?.['$version'] as number | undefined);
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      this.fail([this.violation('$version', 'type', 'the expected version is a whole number from 1')]);
    }
    return this.object.versionColumn ? v : undefined;
  }

  async update(key: RecordKey, changes: Readonly<ObjectRecord>, options: VersionedWriteOptions = {}): Promise<ObjectRecord> {
    const values = this.om.keyValues(key);
    const expected = this.expectedVersion(changes, options);
    const violations: FieldViolation[] = [];
    const given = this.convertInput(changes, 'update', violations);
    for (const k of this.object.key) {
      if (Object.hasOwn(given, k) && String(given[k]) !== String(values[this.object.key.indexOf(k)])) {
        violations.push(this.violation(k, 'read-only', `${k} is part of the key and cannot change`));
      }
    }
    if (!this.om.updateNeedsCurrent) {
      // Fast path: no rule, audit or stored computed field reads the other fields.
      for (const f of this.object.fields) {
        if (Object.hasOwn(given, f.name) && f.required && given[f.name] === null) violations.push(this.violation(f.name, 'required', `${f.label} is required`));
      }
      if (violations.length) this.fail(violations);
      if (this.object.fields.some((f) => f.unique && Object.hasOwn(given, f.name))) {
        await this.checkUnique(this.ctx.session, given, values, violations, new Set(Object.keys(given)));
        if (violations.length) this.fail(violations);
      }
      if (!this.ctx.watchesChanges) return this.writeUpdate(this.ctx.session, values, given, expected, undefined, options);
      // Someone listens: the event carries the record before the change, read in the same transaction.
      return this.run(async (session) => {
        const row = await this.currentRow(session, values);
        return this.writeUpdate(session, values, given, expected, row ? this.om.toRecord(row, this.ctx.now) : undefined, options);
      }, true);
    }
    if (violations.length) this.fail(violations);
    return this.run(async (session) => {
      const row = await this.currentRow(session, values);
      if (!row) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: this.object.name, key: this.om.keyText(values) });
      const before = this.om.toRecord(row, this.ctx.now);
      if (expected !== undefined && before['$version'] !== expected) await this.notFoundOrConflict(session, values, expected);
      const rec: Record<string, unknown> = { ...before, ...given };
      this.completeAndCheck(rec, violations);
      if (violations.length) this.fail(violations);
      await this.checkUnique(session, rec, values, violations);
      if (violations.length) this.fail(violations);
      const set: Record<string, unknown> = { ...given };
      for (const f of this.om.computedOrder) if (f.stored) set[f.name] = rec[f.name];
      return this.writeUpdate(session, values, set, (before['$version'] as number | undefined) ?? undefined, before, options);
    }, true);
  }

  private async writeUpdate(
    session: StorageSession,
    values: readonly unknown[],
    set: Readonly<Record<string, unknown>>,
    expected: number | undefined,
    before: ObjectRecord | undefined,
    options: WriteOptions,
  ): Promise<ObjectRecord> {
    const cols = this.om.toColumns(set);
    const vc = this.object.versionColumn;
    const names = Object.keys(cols);
    if (names.length === 0 && !vc) {
      const row = await this.currentRow(session, values);
      if (!row) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: this.object.name, key: this.om.keyText(values) });
      return this.om.toRecord(row, this.ctx.now);
    }
    const versioned = vc !== undefined && expected !== undefined;
    const st = this.statement(`update|${names.join(',')}|${versioned ? 'v' : ''}`, () => {
      const placeholders: Record<string, unknown> = {};
      names.forEach((c, i) => (placeholders[c] = param(i)));
      if (vc) placeholders[vc] = this.knex.raw('?? + 1', [vc]);
      const qb = this.whereKey(this.knex(this.object.table).update(placeholders), this.keyParams(names.length), '');
      this.notDeleted(qb, false, '');
      if (versioned) qb.where(vc, param(names.length + values.length));
      return qb.returning(this.om.columns as string[]);
    });
    const params: unknown[] = names.map((c) => cols[c]);
    params.push(...values);
    if (versioned) params.push(expected);
    let rows: Record<string, unknown>[];
    try {
      rows = (await runStatement(session, st, params)).rows;
    } catch (err) {
      throw this.translateWriteError(err);
    }
    if (rows.length === 0) return this.notFoundOrConflict(session, values, expected);
    const after = this.om.toRecord(rows[0] as Record<string, unknown>, this.ctx.now);
    if (before && this.om.auditedFields.size) {
      const entries: [string, unknown, unknown][] = [];
      for (const name of this.om.auditedFields) {
        if (JSON.stringify(before[name] ?? null) !== JSON.stringify(after[name] ?? null)) entries.push([name, before[name] ?? null, after[name] ?? null]);
      }
      await this.audit(session, values, 'update', entries, options.actor);
    }
    if (before) this.announceUpdate(session, before, after, options);
    return after;
  }

  /** The fields of `after` whose value differs from `before` (JSON-equal values are the same). */
  changedFields(before: Readonly<ObjectRecord>, after: Readonly<ObjectRecord>): string[] {
    const out: string[] = [];
    for (const f of this.object.fields) if (JSON.stringify(before[f.name] ?? null) !== JSON.stringify(after[f.name] ?? null)) out.push(f.name);
    if (this.object.softDeleteColumn && (before['$deletedAt'] ?? null) !== (after['$deletedAt'] ?? null)) out.push('$deletedAt');
    return out;
  }

  /** Fires `updated` for a committed change of a record (nothing when no field changed). */
  announceUpdate(session: StorageSession, before: ObjectRecord, after: ObjectRecord, options: WriteOptions): void {
    if (!this.ctx.watchesChanges) return;
    const changed = this.changedFields(before, after);
    if (changed.length === 0 && before['$version'] === after['$version']) return;
    this.announce(session, { kind: 'updated', ...this.changeBase(after, options), before, after, changed, version: this.versionOf(after) });
  }

  /** What every change event of a record says. */
  changeBase(rec: Readonly<ObjectRecord>, options: WriteOptions): { object: string; key: RecordKey; id: string; actor: string | null } {
    const key = this.om.keyOf(rec);
    return { object: this.object.name, key, id: this.om.keyText(this.om.keyValues(key)), actor: options.actor ?? null };
  }

  versionOf(rec: Readonly<ObjectRecord>): number | null {
    return this.object.versionColumn && typeof rec['$version'] === 'number' ? rec['$version'] : null;
  }

  /** Fires a change written through `session` once it is committed. */
  announce(session: StorageSession, event: ObjectChangeEvent): void {
    this.ctx.changed(session, event);
  }

  async delete(key: RecordKey, options: DeleteOptions = {}): Promise<void> {
    const values = this.om.keyValues(key);
    const expected = this.expectedVersion(undefined, options);
    const soft = this.object.softDeleteColumn !== undefined && !options.hard;
    await this.run(async (session) => {
      const vc = this.object.versionColumn;
      let n: number;
      const versioned = vc !== undefined && expected !== undefined;
      const k = values.length;
      if (soft) {
        const st = this.statement(`soft-delete|${versioned ? 'v' : ''}`, () => {
          const cols: Record<string, unknown> = { [this.object.softDeleteColumn as string]: param(0) };
          if (vc) cols[vc] = this.knex.raw('?? + 1', [vc]);
          const qb = this.whereKey(this.knex(this.object.table).update(cols), this.keyParams(1), '');
          this.notDeleted(qb, false, '');
          if (versioned) qb.where(vc, param(1 + k));
          return qb;
        });
        n = (await runStatement(session, st, versioned ? [this.dbNow(), ...values, expected] : [this.dbNow(), ...values])).changes;
      } else {
        const st = this.statement(`delete|${versioned ? 'v' : ''}`, () => {
          const qb = this.whereKey(this.knex(this.object.table).delete(), this.keyParams(), '');
          if (versioned) qb.where(vc, param(k));
          return qb;
        });
        n = (await runStatement(session, st, versioned ? [...values, expected] : values)).changes;
      }
      if (n === 0) {
        if (!soft && expected === undefined) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: this.object.name, key: this.om.keyText(values) });
        await this.notFoundOrConflict(session, values, expected);
      }
      if (this.om.auditedFields.size) await this.audit(session, values, 'delete', [[null, null, null]], options.actor);
      if (this.ctx.watchesChanges) {
        const key = this.om.keyOf(Object.fromEntries(this.om.keyFields.map((f, i) => [f.name, values[i]])));
        this.announce(session, { kind: 'deleted', object: this.object.name, key, id: this.om.keyText(values), actor: options.actor ?? null, soft });
      }
    }, this.needsTransaction());
  }

  async restore(key: RecordKey, options: WriteOptions = {}): Promise<ObjectRecord> {
    const values = this.om.keyValues(key);
    const col = this.object.softDeleteColumn;
    if (col === undefined) this.fail([this.violation('$record', 'read-only', `${this.object.name} has no soft delete`)]);
    return this.run(async (session) => {
      const watched = this.ctx.watchesChanges;
      const beforeRow = watched ? await this.currentRow(session, values, true) : undefined;
      const cols: Record<string, unknown> = { [col]: null };
      const vc = this.object.versionColumn;
      if (vc) cols[vc] = session.knex.raw('?? + 1', [vc]);
      const rows = (await this.whereKey(session.knex(this.object.table).update(cols), values, '')
        .whereNotNull(col)
        .returning(this.om.columns as string[])) as Record<string, unknown>[];
      if (rows.length === 0) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: this.object.name, key: `${this.om.keyText(values)} (deleted)` });
      if (this.om.auditedFields.size) await this.audit(session, values, 'restore', [[null, null, null]], options.actor);
      const after = this.om.toRecord(rows[0] as Record<string, unknown>, this.ctx.now);
      if (beforeRow) this.announceUpdate(session, this.om.toRecord(beforeRow, this.ctx.now), after, options);
      return after;
    }, this.needsTransaction() || this.ctx.watchesChanges);
  }

  private dbNow(): string {
    return this.ctx.now().toISOString();
  }

  async audit(session: StorageSession, values: readonly unknown[], action: AuditEntry['action'], entries: [string | null, unknown, unknown][], actor: string | undefined): Promise<void> {
    if (entries.length === 0) return;
    if (actor !== undefined && (typeof actor !== 'string' || actor.length > 200)) this.fail([this.violation('$actor', 'type', 'the actor is text of at most 200 characters')]);
    const at = this.dbNow();
    const recordKey = this.om.keyText(values);
    const AUDIT_COLUMNS = ['object', 'record_key', 'action', 'field', 'old_value', 'new_value', 'actor', 'at'] as const;
    const st = this.statement(`audit|${entries.length}`, () =>
      this.knex(AUDIT_TABLE).insert(
        entries.map((_, r) => Object.fromEntries(AUDIT_COLUMNS.map((c, i) => [c, param(r * AUDIT_COLUMNS.length + i)]))),
      ),
    );
    const params: unknown[] = [];
    for (const [field, o, n] of entries) {
      params.push(
        this.object.name,
        recordKey,
        action,
        field,
        o === null || o === undefined ? null : JSON.stringify(o),
        n === null || n === undefined ? null : JSON.stringify(n),
        actor ?? null,
        at,
      );
    }
    await runStatement(session, st, params);
  }

  async history(key: RecordKey): Promise<AuditEntry[]> {
    const values = this.om.keyValues(key);
    const own = this.om.keyText(values);
    const parse = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(String(v)));
    // The records merged into this one (and into those, a few levels deep) keep their entries.
    const keys = [own];
    for (let depth = 0, fresh = [own]; depth < 10 && fresh.length; depth++) {
      const merges = (await this.ctx.session
        .knex(AUDIT_TABLE)
        .select(['new_value'])
        .where({ object: this.object.name, action: 'merge' })
        .whereIn('record_key', fresh)) as Record<string, unknown>[];
      fresh = [];
      for (const m of merges) {
        const from = (parse(m['new_value']) as { from?: unknown } | null)?.from;
        if (typeof from === 'string' && !keys.includes(from)) {
          keys.push(from);
          fresh.push(from);
        }
      }
    }
    const rows = (await this.ctx.session
      .knex(AUDIT_TABLE)
      .select(['record_key', 'at', 'actor', 'action', 'field', 'old_value', 'new_value'])
      .where({ object: this.object.name })
      .whereIn('record_key', keys)
      .orderBy('id')) as Record<string, unknown>[];
    return rows.map((r) => ({
      at: r['at'] instanceof Date ? r['at'].toISOString() : String(r['at']),
      actor: (r['actor'] as string | null) ?? null,
      action: r['action'] as AuditEntry['action'],
      field: (r['field'] as string | null) ?? null,
      oldValue: parse(r['old_value']),
      newValue: parse(r['new_value']),
      ...(String(r['record_key']) !== own ? { mergedFrom: String(r['record_key']) } : {}),
    }));
  }

  // ---------------------------------------------------------------- many-to-many links

  private manyToMany(relation: string): RelationDef {
    const rel = this.om.relations.get(relation);
    if (!rel || rel.kind !== 'many-to-many') {
      const known = [...this.om.relations.values()].filter((r) => r.kind === 'many-to-many').map((r) => r.name);
      throw ObjectsErrors.CARUSO_OBJECTS_UNKNOWN_RELATION({ object: this.object.name, relation, known: known.join(', ') || '(none)' });
    }
    return rel;
  }

  private linkAttributes(rel: RelationDef, attributes: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const violations: FieldViolation[] = [];
    const cols: Record<string, unknown> = {};
    const mapping = new Map(rel.linkFields.map((f) => [f.name, f]));
    for (const [name, raw] of Object.entries(attributes)) {
      const f = mapping.get(name);
      if (!f) {
        violations.push(this.violation(name, 'unknown-field', `the link ${rel.name} has no field ${name}`));
        continue;
      }
      const c0 = coerceValue(f, raw);
      const c = c0.ok ? normalizeValue(f, c0.value, this.ctx.mapping.model.defaultCountry) : c0;
      if (!c.ok) {
        violations.push(this.violation(name, 'type', `${f.label} ${c.message}`));
        continue;
      }
      const p = checkConstraints(f, c.value);
      if (p) violations.push(this.violation(name, p.code, p.message));
      this.linkMapping(rel, f).toColumns(c.value, cols);
    }
    for (const f of rel.linkFields) {
      if (f.required && (cols[f.column] === null || cols[f.column] === undefined)) violations.push(this.violation(f.name, 'required', `${f.label} is required`));
    }
    if (violations.length) this.fail(violations);
    return cols;
  }

  private linkMapping(rel: RelationDef, f: FieldDef): { toColumns(v: unknown, out: Record<string, unknown>): void; fromRow(row: Record<string, unknown>): unknown } {
    return this.ctx.mapping.linkField(rel, f);
  }

  async link(key: RecordKey, relation: string, target: RecordKey, attributes: Readonly<Record<string, unknown>> = {}): Promise<void> {
    const rel = this.manyToMany(relation);
    const src = this.om.keyValues(key);
    const tgtRepo = this.ctx.repository(rel.target);
    const tgt = tgtRepo.om.keyValues(target);
    const attrs = this.linkAttributes(rel, attributes);
    await this.ctx.session.transaction(async (trx) => {
      if (!(await this.currentRow(trx, src))) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: this.object.name, key: this.om.keyText(src) });
      if (!(await tgtRepo.currentRow(trx, tgt))) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object: rel.target, key: tgtRepo.om.keyText(tgt) });
      const where: Record<string, unknown> = {};
      rel.sourceColumns.forEach((c, i) => (where[c] = src[i]));
      rel.targetColumns.forEach((c, i) => (where[c] = tgt[i]));
      const existing = await trx.knex(rel.through as string).where(where).first();
      if (existing) {
        if (Object.keys(attrs).length) await trx.knex(rel.through as string).where(where).update(attrs);
      } else await trx.knex(rel.through as string).insert({ ...where, ...attrs });
    });
  }

  async unlink(key: RecordKey, relation: string, target: RecordKey): Promise<boolean> {
    const rel = this.manyToMany(relation);
    const src = this.om.keyValues(key);
    const tgt = this.ctx.repository(rel.target).om.keyValues(target);
    const where: Record<string, unknown> = {};
    rel.sourceColumns.forEach((c, i) => (where[c] = src[i]));
    rel.targetColumns.forEach((c, i) => (where[c] = tgt[i]));
    const n = (await this.ctx.session.knex(rel.through as string).where(where).delete()) as unknown as number;
    return n > 0;
  }

  async links(key: RecordKey, relation: string): Promise<Link[]> {
    const rel = this.manyToMany(relation);
    const src = this.om.keyValues(key);
    const rows = await this.linkRows(rel, [src]);
    const target = this.ctx.repository(rel.target);
    const found = await target.byKeyColumns(target.om.keyFields.map((f) => f.column), rows.map((r) => r.target), []);
    const out: Link[] = [];
    for (const r of rows) {
      const t = found.get(tupleKey(r.target))?.[0];
      if (t) out.push({ target: t, attributes: r.attributes });
    }
    return out;
  }

  /** The join-table rows of the given sources: source key, target key, link attributes. */
  private async linkRows(rel: RelationDef, sources: readonly unknown[][]): Promise<{ source: unknown[]; target: unknown[]; attributes: Record<string, unknown> }[]> {
    const out: { source: unknown[]; target: unknown[]; attributes: Record<string, unknown> }[] = [];
    const through = rel.through as string;
    const linkCols = rel.linkFields.flatMap((f) => (f.currencyColumn ? [f.column, f.currencyColumn] : [f.column]));
    for (const part of chunks(sources, CHUNK)) {
      const qb = this.ctx.session.knex(through).select([...rel.sourceColumns, ...rel.targetColumns, ...linkCols]);
      if (rel.sourceColumns.length === 1) qb.whereIn(rel.sourceColumns[0] as string, part.map((s) => s[0]) as Knex.Value[]);
      else {
        qb.where((b) => {
          for (const s of part) {
            b.orWhere((x) => {
              rel.sourceColumns.forEach((c, i) => {
                x.where(c, s[i] as Knex.Value);
              });
            });
          }
        });
      }
      qb.orderBy(rel.targetColumns as string[]);
      const rows = (await qb) as Record<string, unknown>[];
      const srcFields = this.om.keyFields;
      const tgtFields = this.ctx.repository(rel.target).om.keyFields;
      for (const row of rows) {
        const attributes: Record<string, unknown> = {};
        for (const f of rel.linkFields) attributes[f.name] = this.linkMapping(rel, f).fromRow(row);
        out.push({
          source: rel.sourceColumns.map((c, i) => normalizeKeyValue(srcFields[i] as FieldDef, row[c])),
          target: rel.targetColumns.map((c, i) => normalizeKeyValue(tgtFields[i] as FieldDef, row[c])),
          attributes,
        });
      }
    }
    return out;
  }
}

function normalizeKeyValue(f: FieldDef, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  return f.type === 'id' || f.type === 'integer' ? Number(v) : String(v);
}
