/**
 * Turns filters, search words and sort keys given by users into knex query-builder calls. Every
 * name is looked up in the model first; identifiers in SQL come only from the model's mapping and
 * every value is a binding, so no user text ever reaches SQL text.
 */
import type { Knex } from '@caruso/storage';
import type { FieldDef, RelationDef } from '../common/model.js';
import { coerceValue, isNumeric, isTextual, normalizeValue } from '../common/values.js';
import type { Filter, FilterValue, SortKey } from '../business-objects.js';
import { ObjectsErrors } from '../errors.js';
import type { ModelMapping, ObjectMapping } from './object-mapping.js';
import { textMatch } from './text-match.js';

const TEXT_OPS = new Set(['eq', 'ne', 'in', 'nin', 'contains', 'startsWith', 'endsWith', 'lt', 'lte', 'gt', 'gte', 'isNull']);
const ORDER_OPS = new Set(['eq', 'ne', 'in', 'nin', 'lt', 'lte', 'gt', 'gte', 'between', 'isNull']);
const BOOL_OPS = new Set(['eq', 'ne', 'isNull']);
const JSON_OPS = new Set(['isNull']);
const MAX_IN = 1000;
const MAX_DEPTH = 3;
const MAX_NODES = 200;

/** Compiles the conditions of one query; `alias` names the object's table in the query. */
export class QueryCompiler {
  private aliasCounter = 0;
  private nodes = 0;

  constructor(
    private readonly knex: Knex,
    private readonly mapping: ModelMapping,
  ) {}

  private get dialect(): ModelMapping['dialect'] {
    return this.mapping.dialect;
  }

  private fail(object: string, path: string, reason: string): never {
    throw ObjectsErrors.CARUSO_OBJECTS_BAD_QUERY({ object, path, reason });
  }

  /** Adds `filter` (all conditions must hold) to `qb`. */
  applyFilter(qb: Knex.QueryBuilder, om: ObjectMapping, alias: string, filter: Filter | undefined, path: string, depth = 0): void {
    if (filter === undefined) return;
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) this.fail(om.object.name, path, 'a filter is an object of field names');
    for (const [name, cond] of Object.entries(filter)) {
      if (cond === undefined) continue;
      if (++this.nodes > MAX_NODES) this.fail(om.object.name, path, `the filter has more than ${MAX_NODES} conditions`);
      const here = path === '' ? name : `${path}.${name}`;
      if (name === 'and' || name === 'or') {
        if (!Array.isArray(cond)) this.fail(om.object.name, here, `${name} takes a list of filters`);
        const list = cond as readonly Filter[];
        qb.where((outer) => {
          list.forEach((sub, i) => {
            const apply = (inner: Knex.QueryBuilder): void => this.applyFilter(inner, om, alias, sub, `${here}[${i}]`, depth);
            if (name === 'and' || i === 0) outer.where(apply);
            else outer.orWhere(apply);
          });
          if (list.length === 0 && name === 'or') outer.whereRaw('1 = 0');
        });
        continue;
      }
      if (name === 'not') {
        qb.whereNot((inner) => this.applyFilter(inner, om, alias, cond as Filter, here, depth));
        continue;
      }
      const fm = om.byName.get(name);
      if (fm) {
        if (!fm.stored) this.fail(om.object.name, here, `${name} is computed on read and cannot be filtered; declare it store="true"`);
        this.applyCondition(qb, om, fm.field, `${alias}.${fm.field.column}`, cond as unknown, here);
        continue;
      }
      const rel = om.relations.get(name);
      if (rel) {
        if (depth >= MAX_DEPTH) this.fail(om.object.name, here, `relations may be nested at most ${MAX_DEPTH} deep in a filter`);
        this.applyRelation(qb, om, alias, rel, cond as Filter, here, depth + 1);
        continue;
      }
      this.fail(om.object.name, here, `unknown field '${name}'; the fields are ${om.object.fields.map((f) => f.name).join(', ')}`);
    }
  }

  /** A filter value converted for a field's column; throws CARUSO_OBJECTS_BAD_QUERY. */
  value(om: ObjectMapping, f: FieldDef, raw: unknown, here: string): unknown {
    if (raw === null) return null;
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') this.fail(om.object.name, here, 'a value must be text, a number, true/false or null');
    if (f.type === 'money') {
      const c = coerceValue({ ...f, type: 'integer' }, raw);
      if (!c.ok) this.fail(om.object.name, here, 'money is compared by its amount in minor units (a whole number)');
      return c.value;
    }
    if (f.type === 'json') this.fail(om.object.name, here, 'json fields can only be tested with isNull');
    const c = coerceValue(f, raw);
    if (!c.ok) this.fail(om.object.name, here, `${f.name} ${c.message}`);
    if (f.type === 'phone' && typeof c.value === 'string') {
      // A number in any format finds the stored E.164 value; a text that is no phone number (an
      // anonymous caller id) is compared as it is and finds nothing, rather than failing the query.
      const n = normalizeValue(f, c.value, this.mapping.model.defaultCountry);
      return n.ok ? n.value : c.value;
    }
    return c.value;
  }

  private applyCondition(qb: Knex.QueryBuilder, om: ObjectMapping, f: FieldDef, col: string, cond: unknown, here: string): void {
    if (cond === null || typeof cond !== 'object') {
      const v = this.value(om, f, cond, here);
      if (v === null) qb.whereNull(col);
      else qb.where(col, v as Knex.Value);
      return;
    }
    if (Array.isArray(cond)) this.fail(om.object.name, here, 'use { in: [...] } for a list of values');
    const allowed = f.type === 'boolean' ? BOOL_OPS : f.type === 'json' ? JSON_OPS : isTextual(f.type) ? TEXT_OPS : ORDER_OPS;
    const entries = Object.entries(cond as Record<string, unknown>);
    if (entries.length === 0) this.fail(om.object.name, here, 'an empty condition');
    for (const [op, raw] of entries) {
      const at = `${here}.${op}`;
      if (!allowed.has(op)) {
        this.fail(om.object.name, at, `operator '${op}' does not apply to ${f.type} fields; use ${[...allowed].join(', ')}`);
      }
      switch (op) {
        case 'isNull':
          if (typeof raw !== 'boolean') this.fail(om.object.name, at, 'isNull takes true or false');
          if (raw) qb.whereNull(col);
          else qb.whereNotNull(col);
          break;
        case 'eq':
        case 'ne': {
          const v = this.value(om, f, raw, at);
          if (v === null) {
            if (op === 'eq') qb.whereNull(col);
            else qb.whereNotNull(col);
          } else if (op === 'eq') qb.where(col, v as Knex.Value);
          else {
            qb.where((b) => {
              b.whereNot(col, v as Knex.Value).orWhereNull(col);
            });
          }
          break;
        }
        case 'lt':
        case 'lte':
        case 'gt':
        case 'gte': {
          const v = this.value(om, f, raw, at);
          if (v === null) this.fail(om.object.name, at, `${op} needs a value`);
          qb.where(col, { lt: '<', lte: '<=', gt: '>', gte: '>=' }[op] as string, v as Knex.Value);
          break;
        }
        case 'between': {
          if (!Array.isArray(raw) || raw.length !== 2) this.fail(om.object.name, at, 'between takes [low, high]');
          const lo = this.value(om, f, (raw as unknown[])[0], at);
          const hi = this.value(om, f, (raw as unknown[])[1], at);
          if (lo === null || hi === null) this.fail(om.object.name, at, 'between needs two values');
          qb.whereBetween(col, [lo as Knex.Value, hi as Knex.Value]);
          break;
        }
        case 'in':
        case 'nin': {
          if (!Array.isArray(raw)) this.fail(om.object.name, at, `${op} takes a list of values`);
          const list = raw as FilterValue[];
          if (list.length > MAX_IN) this.fail(om.object.name, at, `${op} takes at most ${MAX_IN} values`);
          const vals = list.map((x, i) => this.value(om, f, x, `${at}[${i}]`));
          const nonNull = vals.filter((v) => v !== null) as Knex.Value[];
          const hasNull = nonNull.length !== vals.length;
          if (op === 'in') {
            qb.where((b) => {
              if (nonNull.length) b.whereIn(col, nonNull);
              else if (!hasNull) b.whereRaw('1 = 0');
              if (hasNull) b.orWhereNull(col);
            });
          } else {
            qb.where((b) => {
              if (nonNull.length) b.whereNotIn(col, nonNull);
              if (hasNull) b.whereNotNull(col);
              else b.orWhereNull(col);
            });
          }
          break;
        }
        case 'contains':
        case 'startsWith':
        case 'endsWith': {
          if (typeof raw !== 'string' || raw === '' || raw.length > 200) this.fail(om.object.name, at, `${op} takes non-empty text of at most 200 characters`);
          const [sql, bindings] = textMatch(this.dialect, col, raw as string, op === 'contains' ? 'contains' : op === 'startsWith' ? 'prefix' : 'suffix');
          qb.whereRaw(sql, bindings as Knex.RawBinding[]);
          break;
        }
        default:
          this.fail(om.object.name, at, `unknown operator '${op}'`);
      }
    }
  }

  /** Correlates a related table with the current one: the related rows that belong to the current row. */
  joinCondition(om: ObjectMapping, alias: string, rel: RelationDef, relAlias: string): { table: string; alias: string; on: [string, string][]; target: ObjectMapping; through?: { table: string; alias: string; on: [string, string][] } } {
    const target = this.mapping.object(rel.target);
    const col = (m: ObjectMapping, name: string): string => (m.byName.get(name) as { field: FieldDef }).field.column;
    if (rel.kind === 'many-to-one') {
      const on = rel.fields.map((fn, i) => [`${relAlias}.${col(target, target.object.key[i] as string)}`, `${alias}.${col(om, fn)}`] as [string, string]);
      return { table: target.object.table, alias: relAlias, on, target };
    }
    if (rel.kind === 'one-to-many') {
      const inv = target.relations.get(rel.inverse as string) as RelationDef;
      const on = inv.fields.map((fn, i) => [`${relAlias}.${col(target, fn)}`, `${alias}.${col(om, om.object.key[i] as string)}`] as [string, string]);
      return { table: target.object.table, alias: relAlias, on, target };
    }
    const j = `${relAlias}j`;
    const throughOn = rel.sourceColumns.map((c, i) => [`${j}.${c}`, `${alias}.${col(om, om.object.key[i] as string)}`] as [string, string]);
    const on = rel.targetColumns.map((c, i) => [`${relAlias}.${col(target, target.object.key[i] as string)}`, `${j}.${c}`] as [string, string]);
    return { table: target.object.table, alias: relAlias, on, target, through: { table: rel.through as string, alias: j, on: throughOn } };
  }

  private applyRelation(qb: Knex.QueryBuilder, om: ObjectMapping, alias: string, rel: RelationDef, sub: Filter, here: string, depth: number): void {
    if (typeof sub !== 'object' || sub === null || Array.isArray(sub)) this.fail(om.object.name, here, `a relation takes a filter on ${rel.target}`);
    const relAlias = `r${++this.aliasCounter}`;
    const jc = this.joinCondition(om, alias, rel, relAlias);
    const sq = this.knex.select(this.knex.raw('1'));
    if (jc.through) {
      const through = jc.through;
      sq.from({ [through.alias]: through.table }).join({ [relAlias]: jc.table }, (j) => {
        for (const [a, b] of jc.on) j.on(a, '=', b);
      });
      for (const [a, b] of through.on) sq.whereRaw('?? = ??', [a, b]);
    } else {
      sq.from({ [relAlias]: jc.table });
      for (const [a, b] of jc.on) sq.whereRaw('?? = ??', [a, b]);
    }
    if (jc.target.object.softDeleteColumn) sq.whereNull(`${relAlias}.${jc.target.object.softDeleteColumn}`);
    this.applyFilter(sq, jc.target, relAlias, sub, here, depth);
    qb.whereExists(sq);
  }

  /** Adds search words: each must occur (ignoring case) in at least one searchable field. */
  applySearch(qb: Knex.QueryBuilder, om: ObjectMapping, alias: string, search: string | undefined): void {
    if (search === undefined) return;
    if (typeof search !== 'string') this.fail(om.object.name, 'search', 'search takes text');
    const words = search.split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) return;
    if (words.length > 8 || words.some((w) => w.length > 100)) this.fail(om.object.name, 'search', 'at most 8 words of at most 100 characters');
    const cols = om.object.fields.filter((f) => f.searchable && (!f.computed || f.stored)).map((f) => `${alias}.${f.column}`);
    if (cols.length === 0) this.fail(om.object.name, 'search', `${om.object.name} has no searchable fields (searchable="true")`);
    for (const w of words) {
      qb.where((b) => {
        for (const c of cols) {
          const [sql, bindings] = textMatch(this.dialect, c, w, 'contains');
          b.orWhereRaw(sql, bindings as Knex.RawBinding[]);
        }
      });
    }
  }

  /** Validates sort keys into [column, direction] pairs; the key is appended for stable pages. */
  sortColumns(om: ObjectMapping, alias: string, orderBy: readonly SortKey[] | undefined): [string, 'asc' | 'desc'][] {
    const out: [string, 'asc' | 'desc'][] = [];
    const used = new Set<string>();
    if (orderBy !== undefined && !Array.isArray(orderBy)) this.fail(om.object.name, 'orderBy', 'orderBy takes a list');
    (orderBy ?? []).forEach((k, i) => {
      let name: unknown;
      let dir: unknown = 'asc';
      if (typeof k === 'string') {
        name = k.startsWith('-') ? k.slice(1) : k;
        dir = k.startsWith('-') ? 'desc' : 'asc';
      } else if (typeof k === 'object' && k !== null) {
        name = k.field;
        dir = k.direction ?? 'asc';
      }
      const fm = typeof name === 'string' ? om.byName.get(name) : undefined;
      if (!fm) this.fail(om.object.name, `orderBy[${i}]`, `unknown field '${String(name)}'`);
      if (!fm.stored || fm.field.type === 'json') this.fail(om.object.name, `orderBy[${i}]`, `${fm.field.name} cannot be sorted on`);
      if (dir !== 'asc' && dir !== 'desc') this.fail(om.object.name, `orderBy[${i}]`, "direction is 'asc' or 'desc'");
      if (used.has(fm.field.name)) return;
      used.add(fm.field.name);
      out.push([`${alias}.${fm.field.column}`, dir]);
    });
    for (const f of om.keyFields) if (!used.has(f.name)) out.push([`${alias}.${f.column}`, 'asc']);
    return out;
  }

  /** A field usable in group-by or a measure; throws CARUSO_OBJECTS_BAD_QUERY. */
  groupField(om: ObjectMapping, name: unknown, path: string, numeric: boolean): FieldDef {
    const fm = typeof name === 'string' ? om.byName.get(name) : undefined;
    if (!fm) this.fail(om.object.name, path, `unknown field '${String(name)}'`);
    if (!fm.stored || fm.field.type === 'json') this.fail(om.object.name, path, `${fm.field.name} cannot be grouped or measured`);
    if (numeric && !isNumeric(fm.field.type)) this.fail(om.object.name, path, `${fm.field.name} is not a number`);
    return fm.field;
  }
}
