/**
 * The shape of a column as far as type changes go (kind, length, digits), read from the database or
 * wanted by a field, and how one shape changes into another: not at all, by widening (no value can
 * be lost), lossily (refused), or in a way Caruso does not migrate (a warning).
 */
import type { ColumnInfo } from '@caruso/storage';
import type { FieldDef } from '../common/model.js';

/** A column's type as the planner compares it. Sizes are undefined when the database does not say. */
export interface ColumnShape {
  readonly kind: 'integer' | 'decimal' | 'string' | 'text' | 'date' | 'datetime';
  readonly length?: number | undefined;
  readonly precision?: number | undefined;
  readonly scale?: number | undefined;
  /** integer: the most decimal digits it holds (10 for a 32-bit integer, 19 for a bigint). */
  readonly digits?: number | undefined;
}

/** What the last applied model said of a field (see the planner's snapshot). */
export interface PreviousField {
  readonly type?: FieldDef['type'];
  readonly precision?: number;
  readonly scale?: number;
}

/** The shape of an existing column, or undefined for kinds the planner never changes. */
export function columnShape(col: ColumnInfo, previous: PreviousField | undefined): ColumnShape | undefined {
  switch (col.type) {
    case 'integer':
      return { kind: 'integer', digits: 10 };
    case 'bigint':
      return { kind: 'integer', digits: 19 };
    case 'decimal':
    case 'float': {
      // PostgreSQL spells numeric(15,2); SQLite's knex columns say only `float`, so the sizes come
      // from the snapshot of the last applied model.
      const m = /\(\s*(\d+)\s*,\s*(\d+)\s*\)/.exec(col.dataType);
      if (m) return { kind: 'decimal', precision: Number(m[1]), scale: Number(m[2]) };
      if (previous?.type === 'decimal') return { kind: 'decimal', precision: previous.precision, scale: previous.scale };
      return { kind: 'decimal' };
    }
    case 'string':
      return { kind: 'string', length: col.maxLength ?? undefined };
    case 'text':
      return { kind: 'text' };
    case 'date':
      return { kind: 'date' };
    case 'datetime':
      return { kind: 'datetime' };
    default:
      return undefined;
  }
}

/** The shape a field's column has when Caruso creates it, or undefined for kinds it never changes. */
export function fieldShape(f: FieldDef): ColumnShape | undefined {
  switch (f.type) {
    case 'id':
    case 'integer':
      return { kind: 'integer', digits: 10 };
    case 'decimal':
      return { kind: 'decimal', precision: f.precision ?? 15, scale: f.scale ?? 2 };
    case 'string':
    case 'email':
    case 'phone':
    case 'enum':
      return { kind: 'string', length: f.length ?? 255 };
    case 'text':
      return { kind: 'text' };
    case 'date':
      return { kind: 'date' };
    case 'datetime':
      return { kind: 'datetime' };
    default:
      return undefined;
  }
}

/** `varchar(80)`, `decimal(15, 2)`, `integer`. */
export function formatShape(s: ColumnShape): string {
  if (s.kind === 'string') return s.length === undefined ? 'string' : `string(${s.length})`;
  if (s.kind === 'decimal') return s.precision === undefined ? 'decimal' : `decimal(${s.precision}, ${s.scale ?? 0})`;
  return s.kind;
}

/** How `from` becomes `to`. */
export function typeChange(from: ColumnShape, to: ColumnShape): 'none' | 'widen' | 'lossy' | 'unsupported' {
  if (from.kind === to.kind) {
    if (from.kind === 'string') {
      if (from.length === undefined || to.length === undefined || from.length === to.length) return 'none';
      return (to.length as number) > from.length ? 'widen' : 'lossy';
    }
    if (from.kind === 'decimal') {
      if (from.precision === undefined || to.precision === undefined) return 'none';
      const [p1, s1, p2, s2] = [from.precision, from.scale ?? 0, to.precision, to.scale ?? 0];
      if (p1 === p2 && s1 === s2) return 'none';
      return s2 >= s1 && p2 - s2 >= p1 - s1 ? 'widen' : 'lossy';
    }
    return 'none';
  }
  if (from.kind === 'integer' && to.kind === 'decimal') return (to.precision ?? 0) - (to.scale ?? 0) >= (from.digits ?? 10) ? 'widen' : 'lossy';
  if (from.kind === 'decimal' && to.kind === 'integer') return 'lossy';
  if (from.kind === 'string' && to.kind === 'text') return 'widen';
  if (from.kind === 'text' && to.kind === 'string') return 'lossy';
  if (from.kind === 'date' && to.kind === 'datetime') return 'widen';
  if (from.kind === 'datetime' && to.kind === 'date') return 'lossy';
  return 'unsupported';
}
