import type { ColumnType } from '../storage.js';

/**
 * Normalizes a declared SQL type (SQLite's free text or PostgreSQL's type name) into a
 * {@link ColumnType}, following SQLite's affinity rules where they apply.
 */
export function normalizeType(declared: string): ColumnType {
  const t = declared.trim().toLowerCase();
  if (t === '') return 'unknown';
  if (/^(bool|boolean)\b/.test(t)) return 'boolean';
  if (/^(int8|bigint|bigserial|serial8)\b/.test(t)) return 'bigint';
  if (/int/.test(t) || /^(serial|smallserial|serial2|serial4)\b/.test(t)) return 'integer';
  if (/^uuid\b/.test(t)) return 'uuid';
  if (/^(jsonb?)\b/.test(t)) return 'json';
  if (/^(text|clob|tinytext|mediumtext|longtext)\b/.test(t)) return 'text';
  if (/char|clob|^string\b|^citext\b|^name\b/.test(t)) return 'string';
  if (/^(bytea|blob|binary|varbinary)\b/.test(t)) return 'binary';
  if (/^(real|float|double|float4|float8)\b/.test(t)) return 'float';
  if (/^(decimal|numeric|money)\b/.test(t)) return 'decimal';
  if (/^(timestamp|timestamptz|datetime)\b/.test(t)) return 'datetime';
  if (/^date\b/.test(t)) return 'date';
  if (/^(time|timetz)\b/.test(t)) return 'time';
  return 'unknown';
}

/** `varchar(80)` → 80; otherwise null. */
export function lengthOf(declared: string): number | null {
  const m = /char[^(]*\(\s*(\d+)\s*\)/i.exec(declared);
  return m?.[1] ? Number(m[1]) : null;
}
