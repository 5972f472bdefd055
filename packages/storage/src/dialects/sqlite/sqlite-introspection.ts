import type { Knex } from 'knex';
import type { ColumnInfo, ForeignKeyInfo, TableInfo, UniqueInfo } from '../../storage.js';
import { lengthOf, normalizeType } from '../normalize-type.js';

type Db = Knex | Knex.Transaction;

interface ColumnRow { cid: number; name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden?: number }
interface ForeignKeyRow { id: number; seq: number; table: string; from: string; to: string | null; on_update: string; on_delete: string }
interface IndexRow { name: string; unique: number; origin: string; partial: number }
interface IndexColumnRow { seqno: number; name: string | null }

/** Whether a table (or view) exists in the main database. */
export async function sqliteHasTable(db: Db, table: string): Promise<boolean> {
  const rows = (await db.raw(`select 1 as found from sqlite_master where type in ('table', 'view') and name = ?`, [table])) as unknown[];
  return rows.length > 0;
}

/** Tables of the main database, sorted, without SQLite's own. */
export async function sqliteListTables(db: Db): Promise<string[]> {
  const rows = (await db.raw(`select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name`)) as { name: string }[];
  return rows.map((r) => r.name);
}

async function primaryKeyOf(db: Db, table: string): Promise<string[]> {
  const rows = (await db.raw('select name, pk from pragma_table_info(?) where pk > 0 order by pk', [table])) as ColumnRow[];
  return rows.map((r) => r.name);
}

/** Introspects a table through SQLite's pragma table functions; undefined when it does not exist. */
export async function sqliteDescribeTable(db: Db, table: string): Promise<TableInfo | undefined> {
  if (!(await sqliteHasTable(db, table))) return undefined;
  const cols = (await db.raw('select * from pragma_table_xinfo(?) order by cid', [table])) as ColumnRow[];
  const visible = cols.filter((c) => !c.hidden || c.hidden === 2 || c.hidden === 3);
  const pkCols = visible.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const primaryKey = pkCols.map((c) => c.name);
  // INTEGER PRIMARY KEY (exactly that type name) is an alias of the rowid: SQLite assigns it.
  const rowidAlias = pkCols.length === 1 && pkCols[0]?.type.trim().toUpperCase() === 'INTEGER' ? pkCols[0].name : undefined;
  const columns: ColumnInfo[] = visible.map((c) => ({
    name: c.name,
    type: normalizeType(c.type),
    dataType: c.type,
    nullable: c.notnull === 0 && c.pk === 0,
    defaultValue: c.dflt_value,
    maxLength: lengthOf(c.type),
    autoIncrement: c.name === rowidAlias,
  }));

  const fkRows = (await db.raw('select * from pragma_foreign_key_list(?) order by id, seq', [table])) as ForeignKeyRow[];
  const byId = new Map<number, ForeignKeyRow[]>();
  for (const r of fkRows) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  const foreignKeys: ForeignKeyInfo[] = [];
  for (const rows of [...byId.values()].reverse()) {
    const first = rows[0] as ForeignKeyRow;
    // `references parent` without columns means the parent's primary key.
    const referencedColumns = rows.every((r) => r.to !== null) ? rows.map((r) => r.to as string) : await primaryKeyOf(db, first.table);
    foreignKeys.push({
      name: null,
      columns: rows.map((r) => r.from),
      referencedTable: first.table,
      referencedColumns,
      onDelete: first.on_delete,
      onUpdate: first.on_update,
    });
  }

  const indexes = (await db.raw('select * from pragma_index_list(?)', [table])) as IndexRow[];
  const uniques: UniqueInfo[] = [];
  for (const ix of indexes) {
    if (ix.unique !== 1 || ix.origin === 'pk') continue;
    const icols = (await db.raw('select seqno, name from pragma_index_info(?) order by seqno', [ix.name])) as IndexColumnRow[];
    if (icols.some((c) => c.name === null)) continue; // an expression index names no columns
    uniques.push({ name: ix.name, columns: icols.map((c) => c.name as string) });
  }
  uniques.sort((a, b) => a.name.localeCompare(b.name));
  return { name: table, schema: null, columns, primaryKey, foreignKeys, uniques };
}
