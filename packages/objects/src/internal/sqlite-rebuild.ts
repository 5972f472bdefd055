/**
 * SQLite cannot change a column's type: the table is rebuilt (SQLite's "generalized ALTER TABLE
 * procedure"): a new table from the stored CREATE TABLE text with the new types, the rows copied, the
 * old table dropped, the new one renamed, its indexes and triggers created again. The CREATE TABLE
 * text keeps every constraint (primary key, unique, check, foreign keys, defaults). The migration runs
 * it with foreign keys checked at commit, so the DROP fires no ON DELETE action of referencing tables.
 */
import type { StorageSession } from '@caruso/storage';

/** One column whose declared type changes. */
export interface SqliteRetype {
  readonly column: string;
  /** The new declared type, e.g. `varchar(80)`, `float`, `text`, `datetime`. */
  readonly type: string;
  /** A date (`YYYY-MM-DD`) becomes a datetime: midnight UTC in the ISO form the repositories write. */
  readonly dateToDatetime: boolean;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Splits the inside of `create table x (…)` at its top-level commas, respecting quotes and parentheses. */
function splitDefinitions(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let close: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (close !== undefined) {
      if (c === close) close = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') close = c;
    else if (c === '[') close = ']';
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(body.slice(start, i));
      start = i + 1;
    }
  }
  out.push(body.slice(start));
  return out;
}

const NAME = /^(\s*)("(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|[A-Za-z_][\w$]*)/;
const CONSTRAINT_WORDS = new Set(['constraint', 'primary', 'unique', 'check', 'foreign', 'not', 'null', 'default', 'collate', 'references', 'generated', 'as']);

function unquote(name: string): string {
  const q = name[0];
  if (q === '"' || q === '`') return name.slice(1, -1).replace(q === '"' ? /""/g : /``/g, q);
  if (q === '[') return name.slice(1, -1);
  return name;
}

/** The definition of `column` with its declared type replaced. */
function retype(definition: string, type: string): string {
  const m = NAME.exec(definition) as RegExpExecArray;
  const rest = definition.slice(m[0].length);
  const t = /^\s+([A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)*?\s*(?:\([^)]*\))?)(?=\s|$)/.exec(rest);
  if (t && !CONSTRAINT_WORDS.has((t[1] as string).split(/[\s(]/)[0]?.toLowerCase() ?? '')) return `${m[0]} ${type}${rest.slice(t[0].length)}`;
  return `${m[0]} ${type}${rest}`;
}

/** The statements that rebuild `table` with the new column types. */
export async function rebuildSqliteTable(session: StorageSession, table: string, changes: readonly SqliteRetype[]): Promise<string[]> {
  const objects = (await session.knex.raw(`select type, name, sql from sqlite_master where tbl_name = ? and sql is not null order by rowid`, [table])) as { type: string; name: string; sql: string }[];
  const create = objects.find((o) => o.type === 'table' && o.name === table);
  if (!create) throw new Error(`table ${table} has no CREATE TABLE text`);
  const open = create.sql.indexOf('(');
  const close = create.sql.lastIndexOf(')');
  const definitions = splitDefinitions(create.sql.slice(open + 1, close));
  const pending = new Map(changes.map((c) => [c.column.toLowerCase(), c]));
  const rewritten = definitions.map((d) => {
    const m = NAME.exec(d);
    const change = m ? pending.get(unquote(m[2] as string).toLowerCase()) : undefined;
    if (!m || !change || CONSTRAINT_WORDS.has((m[2] as string).toLowerCase())) return d;
    pending.delete(change.column.toLowerCase());
    return retype(d, change.type);
  });
  if (pending.size) throw new Error(`columns ${[...pending.keys()].join(', ')} not found in the CREATE TABLE text of ${table}`);
  const temp = `${table}__caruso_rebuild`;
  const columns = ((await session.knex.raw('select name, hidden from pragma_table_xinfo(?) order by cid', [table])) as { name: string; hidden: number }[])
    .filter((c) => c.hidden === 0)
    .map((c) => c.name);
  const byName = new Map(changes.map((c) => [c.column.toLowerCase(), c]));
  const select = columns.map((c) =>
    byName.get(c.toLowerCase())?.dateToDatetime ? `case when typeof(${quote(c)}) = 'text' and length(${quote(c)}) = 10 then ${quote(c)} || 'T00:00:00.000Z' else ${quote(c)} end` : quote(c),
  );
  const statements = [
    `create table ${quote(temp)} (${rewritten.join(',')})${create.sql.slice(close + 1)}`,
    `insert into ${quote(temp)} (${columns.map(quote).join(', ')}) select ${select.join(', ')} from ${quote(table)}`,
  ];
  // The AUTOINCREMENT counter carries over, so ids of deleted rows are never given out again.
  if (/autoincrement/i.test(create.sql)) {
    statements.push(`update sqlite_sequence set seq = coalesce((select seq from sqlite_sequence where name = '${table.replace(/'/g, "''")}'), seq) where name = '${temp.replace(/'/g, "''")}'`);
  }
  statements.push(`drop table ${quote(table)}`, `alter table ${quote(temp)} rename to ${quote(table)}`);
  for (const o of objects) if (o !== create && (o.type === 'index' || o.type === 'trigger')) statements.push(o.sql);
  return statements;
}
