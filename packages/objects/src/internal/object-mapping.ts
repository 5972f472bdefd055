/**
 * The compiled mapping of one object onto its table: which columns to read, how a row becomes a
 * record and a record becomes column values, the key, computed fields in dependency order. Built
 * once per object; every identifier in SQL comes from here (that is, from the model).
 */
import type { Dialect } from '@caruso/storage';
import { evaluate, recordEnvironment } from '../common/expression.js';
import type { FieldDef, Model, Money, ObjectDef, RelationDef } from '../common/model.js';
import { coerceValue } from '../common/values.js';
import type { ObjectRecord, RecordKey } from '../business-objects.js';
import { ObjectsErrors } from '../errors.js';
import { StatementCache } from './statement-cache.js';

/** Per-field conversion between a record value and the columns. */
export interface FieldMapping {
  readonly field: FieldDef;
  /** Whether the field has columns (not a computed-on-read field). */
  readonly stored: boolean;
  /** Column values for a (converted) record value. */
  toColumns(value: unknown, out: Record<string, unknown>): void;
  /** The record value from a row. */
  fromRow(row: Readonly<Record<string, unknown>>): unknown;
}

function isoDay(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) {
    // pg parses DATE into local midnight.
    const y = v.getFullYear();
    const m = String(v.getMonth() + 1).padStart(2, '0');
    const d = String(v.getDate()).padStart(2, '0');
    return `${y}-${m}-${d}`;
  }
  if (typeof v === 'number') return new Date(v).toISOString().slice(0, 10);
  return String(v).slice(0, 10);
}

function isoTime(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return new Date(v).toISOString();
  const s = String(v);
  const t = Date.parse(s.includes('T') || s.length <= 10 ? s : s.replace(' ', 'T'));
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

const toNum = (v: unknown): number | null => (v === null || v === undefined ? null : typeof v === 'number' ? v : Number(v));

/** Builds the conversion of one field for a dialect. */
export function mapField(field: FieldDef, _dialect: Dialect): FieldMapping {
  const col = field.column;
  const stored = !field.computed || field.stored;
  const simple = (fromRow: (v: unknown) => unknown, toCol: (v: unknown) => unknown = (v) => v): FieldMapping => ({
    field,
    stored,
    toColumns: (value, out) => {
      out[col] = value === null || value === undefined ? null : toCol(value);
    },
    fromRow: (row) => {
      const v = row[col];
      return v === null || v === undefined ? null : fromRow(v);
    },
  });
  switch (field.type) {
    case 'id':
    case 'integer':
    case 'decimal':
      return simple(toNum);
    case 'boolean':
      return simple((v) => v === true || v === 1 || v === '1' || v === 't' || v === 'true');
    case 'date':
      return simple(isoDay);
    case 'datetime':
      return simple(isoTime);
    case 'json':
      return simple(
        (v) => {
          if (typeof v !== 'string') return v;
          try {
            return JSON.parse(v);
          } catch {
            return v;
          }
        },
        (v) => JSON.stringify(v),
      );
    case 'money': {
      const cur = field.currencyColumn;
      return {
        field,
        stored,
        toColumns: (value, out) => {
          const m = value as Money | null | undefined;
          out[col] = m ? m.amount : null;
          if (cur !== undefined) out[cur] = m ? m.currency : null;
        },
        fromRow: (row) => {
          const a = row[col];
          if (a === null || a === undefined) return null;
          const currency = cur !== undefined ? row[cur] : field.currency;
          return { amount: toNum(a), currency: currency === null || currency === undefined ? null : String(currency) };
        },
      };
    }
    default:
      return simple((v) => (typeof v === 'string' ? v : String(v)));
  }
}

/** The compiled mapping of an object. */
export class ObjectMapping {
  readonly fields: readonly FieldMapping[];
  readonly byName: ReadonlyMap<string, FieldMapping>;
  /** Every column a read selects (fields, currencies, version, soft-delete mark). */
  readonly columns: readonly string[];
  readonly keyFields: readonly FieldDef[];
  /** Computed fields in an order where each comes after those it reads. */
  readonly computedOrder: readonly FieldDef[];
  readonly auditedFields: ReadonlySet<string>;
  readonly relations: ReadonlyMap<string, RelationDef>;
  /** Whether an update must read the current record first (rules, stored computed fields, audit, uniques). */
  readonly updateNeedsCurrent: boolean;
  /** The statements of this object compiled so far, by shape (SQL text from this mapping only). */
  readonly statements = new StatementCache();

  constructor(
    readonly object: ObjectDef,
    readonly dialect: Dialect,
  ) {
    this.fields = object.fields.map((f) => mapField(f, dialect));
    this.byName = new Map(this.fields.map((m) => [m.field.name, m]));
    const cols: string[] = [];
    for (const m of this.fields) {
      if (!m.stored) continue;
      cols.push(m.field.column);
      if (m.field.currencyColumn) cols.push(m.field.currencyColumn);
    }
    if (object.versionColumn) cols.push(object.versionColumn);
    if (object.softDeleteColumn) cols.push(object.softDeleteColumn);
    this.columns = cols;
    this.keyFields = object.key.map((k) => (this.byName.get(k) as FieldMapping).field);
    this.computedOrder = topoComputed(object);
    this.auditedFields = new Set(object.fields.filter((f) => f.audited && !(f.computed && !f.stored)).map((f) => f.name));
    this.relations = new Map(object.relations.map((r) => [r.name, r]));
    this.updateNeedsCurrent =
      object.rules.length > 0 || this.auditedFields.size > 0 || object.fields.some((f) => f.computed && f.stored) || object.uniques.length > 0;
  }

  /** Converts a row into a record (computed-on-read fields included). */
  toRecord(row: Readonly<Record<string, unknown>>, now: () => Date): ObjectRecord {
    const rec: ObjectRecord = {};
    for (const m of this.fields) if (m.stored) rec[m.field.name] = m.fromRow(row);
    for (const f of this.computedOrder) if (!f.stored) rec[f.name] = computeField(f, rec, now);
    if (this.object.versionColumn) rec['$version'] = toNum(row[this.object.versionColumn]);
    if (this.object.softDeleteColumn) rec['$deletedAt'] = isoTime(row[this.object.softDeleteColumn]);
    return rec;
  }

  /** Column values of the stored fields present in `values`. */
  toColumns(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(values)) {
      const m = this.byName.get(name);
      if (m?.stored) m.toColumns(v, out);
    }
    return out;
  }

  /** The key's values in key order, checked and converted; throws CARUSO_OBJECTS_BAD_KEY. */
  keyValues(key: RecordKey): unknown[] {
    const o = this.object;
    const fail = (reason: string): never => {
      throw ObjectsErrors.CARUSO_OBJECTS_BAD_KEY({ object: o.name, reason, key: o.key.join(', ') });
    };
    if (this.keyFields.length === 1) {
      const f = this.keyFields[0] as FieldDef;
      const raw = typeof key === 'object' && key !== null ? (key as Record<string, unknown>)[f.name] : key;
      const c = coerceValue(f, raw);
      if (!c.ok || c.value === null) fail(`the key ${f.name} ${c.ok ? 'is missing' : c.message}`);
      return [(c as { value: unknown }).value];
    }
    if (typeof key !== 'object' || key === null) return fail(`a composite key is an object of ${o.key.join(', ')}`);
    const extra = Object.keys(key).filter((k) => !o.key.includes(k));
    if (extra.length) fail(`${extra.join(', ')} is not part of the key`);
    return this.keyFields.map((f) => {
      const c = coerceValue(f, (key as Record<string, unknown>)[f.name]);
      if (!c.ok || c.value === null) fail(`the key field ${f.name} ${c.ok ? 'is missing' : c.message}`);
      return (c as { value: unknown }).value;
    });
  }

  /** The key of a record. */
  keyOf(rec: Readonly<ObjectRecord>): RecordKey {
    if (this.keyFields.length === 1) return rec[(this.keyFields[0] as FieldDef).name] as string | number;
    const out: Record<string, string | number> = {};
    for (const f of this.keyFields) out[f.name] = rec[f.name] as string | number;
    return out;
  }

  /** The key as text, for messages and the audit table (`42`, or `company=NL01,accountNo=7`). */
  keyText(values: readonly unknown[]): string {
    if (values.length === 1) return String(values[0]);
    return this.keyFields.map((f, i) => `${f.name}=${String(values[i])}`).join(',');
  }
}

/** Evaluates a computed field over a record. */
export function computeField(f: FieldDef, rec: Readonly<ObjectRecord>, now: () => Date): unknown {
  if (!f.computed) return null;
  const v = evaluate(f.computed, recordEnvironment(rec, now));
  if (v === null || v === undefined) return null;
  const c = coerceValue(f, v);
  return c.ok ? c.value : null;
}

function topoComputed(o: ObjectDef): FieldDef[] {
  const computed = o.fields.filter((f) => f.computed);
  const out: FieldDef[] = [];
  const done = new Set<string>();
  const visit = (f: FieldDef, depth: number): void => {
    if (done.has(f.name) || depth > computed.length) return;
    for (const r of f.computed?.references ?? []) {
      const g = computed.find((x) => x.name === r);
      if (g) visit(g, depth + 1);
    }
    done.add(f.name);
    out.push(f);
  };
  for (const f of computed) visit(f, 0);
  return out;
}

/** The compiled mappings of every object of a model for one dialect. */
export class ModelMapping {
  readonly objects: ReadonlyMap<string, ObjectMapping>;
  constructor(
    readonly model: Model,
    readonly dialect: Dialect,
  ) {
    this.objects = new Map(model.objects.map((o) => [o.name, new ObjectMapping(o, dialect)]));
  }

  private readonly links = new Map<string, FieldMapping>();

  /** The conversion of a many-to-many link field. */
  linkField(rel: RelationDef, f: FieldDef): FieldMapping {
    const k = `${rel.through ?? ''}.${f.name}`;
    let m = this.links.get(k);
    if (!m) {
      m = mapField(f, this.dialect);
      this.links.set(k, m);
    }
    return m;
  }

  object(name: string): ObjectMapping {
    const m = this.objects.get(name);
    if (!m) {
      throw ObjectsErrors.CARUSO_OBJECTS_UNKNOWN_OBJECT({ object: name, known: [...this.objects.keys()].join(', ') });
    }
    return m;
  }
}
