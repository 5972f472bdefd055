import type { Knex } from 'knex';
import type { ColumnInfo, ForeignKeyInfo, TableInfo, UniqueInfo } from '../../storage.js';
import { normalizeType } from '../normalize-type.js';

type Db = Knex | Knex.Transaction;

interface PgRows<T> {
  rows: T[];
}

/** `billing.customers` → `"billing"."customers"`, `customers` → `"customers"` (for to_regclass, as a bound value). */
function qualified(table: string): string {
  const dot = table.indexOf('.');
  const parts = dot > 0 ? [table.slice(0, dot), table.slice(dot + 1)] : [table];
  return parts.map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}

async function relationOid(db: Db, table: string): Promise<number | undefined> {
  const r = (await db.raw(`select to_regclass(?)::oid as oid`, [qualified(table)])) as PgRows<{ oid: number | null }>;
  const oid = r.rows[0]?.oid;
  return oid === null || oid === undefined ? undefined : Number(oid);
}

/** Whether a table (or view) exists; an unqualified name is looked up along the search path. */
export async function pgHasTable(db: Db, table: string): Promise<boolean> {
  return (await relationOid(db, table)) !== undefined;
}

/** Tables of `schema` (default: the current schema), sorted. */
export async function pgListTables(db: Db, schema: string | undefined): Promise<string[]> {
  const r = (await db.raw(
    `select c.relname as name from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = coalesce(?, current_schema()) order by c.relname`,
    [schema ?? null],
  )) as PgRows<{ name: string }>;
  return r.rows.map((x) => x.name);
}

const ACTIONS: Readonly<Record<string, string>> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/** Introspects a table through pg_catalog; undefined when it does not exist. */
export async function pgDescribeTable(db: Db, table: string): Promise<TableInfo | undefined> {
  const oid = await relationOid(db, table);
  if (oid === undefined) return undefined;
  const head = (await db.raw(
    `select c.relname as name, n.nspname as schema, current_schema() as current
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = ?`,
    [oid],
  )) as PgRows<{ name: string; schema: string; current: string | null }>;
  const rel = head.rows[0];
  if (!rel) return undefined;

  const cols = (await db.raw(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as data_type, t.typname as type_name,
            a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default_value,
            a.attidentity as identity, a.atttypmod as typmod
       from pg_catalog.pg_attribute a
       join pg_catalog.pg_type t on t.oid = a.atttypid
       left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = ? and a.attnum > 0 and not a.attisdropped
      order by a.attnum`,
    [oid],
  )) as PgRows<{ name: string; data_type: string; type_name: string; not_null: boolean; default_value: string | null; identity: string; typmod: number }>;
  const columns: ColumnInfo[] = cols.rows.map((c) => ({
    name: c.name,
    type: normalizeType(c.type_name),
    dataType: c.data_type,
    nullable: !c.not_null,
    defaultValue: c.default_value,
    maxLength: (c.type_name === 'varchar' || c.type_name === 'bpchar') && c.typmod > 4 ? c.typmod - 4 : null,
    autoIncrement: c.identity === 'a' || c.identity === 'd' || (c.default_value ?? '').startsWith('nextval('),
  }));

  const pk = (await db.raw(
    `select a.attname as name
       from pg_catalog.pg_index i
       cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
       join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
      where i.indrelid = ? and i.indisprimary
      order by k.ord`,
    [oid],
  )) as PgRows<{ name: string }>;

  const fks = (await db.raw(
    `select con.conname as name,
            (select array_agg(a.attname::text order by k.ord) from unnest(con.conkey) with ordinality as k(attnum, ord)
               join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum) as columns,
            (select array_agg(a.attname::text order by k.ord) from unnest(con.confkey) with ordinality as k(attnum, ord)
               join pg_catalog.pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum) as ref_columns,
            rc.relname as ref_table, rn.nspname as ref_schema, con.confupdtype as on_update, con.confdeltype as on_delete
       from pg_catalog.pg_constraint con
       join pg_catalog.pg_class rc on rc.oid = con.confrelid
       join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
      where con.conrelid = ? and con.contype = 'f'
      order by con.conname`,
    [oid],
  )) as PgRows<{ name: string; columns: string[]; ref_columns: string[]; ref_table: string; ref_schema: string; on_update: string; on_delete: string }>;
  const foreignKeys: ForeignKeyInfo[] = fks.rows.map((f) => ({
    name: f.name,
    columns: f.columns,
    referencedTable: f.ref_schema === rel.schema ? f.ref_table : `${f.ref_schema}.${f.ref_table}`,
    referencedColumns: f.ref_columns,
    onDelete: ACTIONS[f.on_delete] ?? f.on_delete,
    onUpdate: ACTIONS[f.on_update] ?? f.on_update,
  }));

  const uq = (await db.raw(
    `select ci.relname as name,
            (select array_agg(a.attname::text order by k.ord) from unnest(i.indkey) with ordinality as k(attnum, ord)
               join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum) as columns
       from pg_catalog.pg_index i join pg_catalog.pg_class ci on ci.oid = i.indexrelid
      where i.indrelid = ? and i.indisunique and not i.indisprimary and i.indexprs is null
      order by ci.relname`,
    [oid],
  )) as PgRows<{ name: string; columns: string[] }>;
  const uniques: UniqueInfo[] = uq.rows.map((u) => ({ name: u.name, columns: u.columns }));

  return { name: rel.name, schema: rel.schema, columns, primaryKey: pk.rows.map((r) => r.name), foreignKeys, uniques };
}
