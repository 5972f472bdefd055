/**
 * Writes a model XML from an existing database: every table becomes an unmanaged object (Caruso will
 * read and write its rows but never alter it), columns become fields with their types, primary keys
 * (also composite) become keys, foreign keys become many-to-one relations with their one-to-many
 * inverse. The result is the integrator's starting point for mapping a legacy system.
 */
import type { ColumnInfo, StorageSession, TableInfo } from '@caruso/storage';
import { snakeCase } from '../common/model.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function words(name: string): string[] {
  return snakeCase(name)
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

function camel(name: string): string {
  const w = words(name);
  const s = w.map((x, i) => (i === 0 ? x : x[0]?.toUpperCase() + x.slice(1))).join('');
  return /^[A-Za-z]/.test(s) ? s : `f${s}`;
}

function pascal(name: string): string {
  const c = camel(name);
  return c[0]?.toUpperCase() + c.slice(1);
}

function fieldType(c: ColumnInfo, isSoleKey: boolean): { type: string; length?: number } | undefined {
  switch (c.type) {
    case 'integer':
    case 'bigint':
      return { type: isSoleKey && c.autoIncrement ? 'id' : 'integer' };
    case 'decimal':
    case 'float':
      return { type: 'decimal' };
    case 'string':
      return c.maxLength ? { type: 'string', length: c.maxLength } : { type: 'string' };
    case 'uuid':
      return { type: 'string', length: 36 };
    case 'text':
      return { type: 'text' };
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
      return { type: 'date' };
    case 'datetime':
      return { type: 'datetime' };
    case 'json':
      return { type: 'json' };
    case 'time':
      return { type: 'string', length: 20 };
    default:
      return undefined;
  }
}

/**
 * Reads the given tables (default: every table) and returns the model XML.
 * @param modelName the `name` of the generated `<model>`.
 */
export async function introspectModel(session: StorageSession, options: { readonly tables?: readonly string[]; readonly modelName?: string } = {}): Promise<string> {
  const tables = options.tables?.length ? [...options.tables] : (await session.listTables()).filter((t) => !t.startsWith('caruso_'));
  const infos: TableInfo[] = [];
  for (const t of tables) infos.push(await session.columnInfo(t));
  const objectName = new Map<string, string>();
  const used = new Set<string>();
  for (const info of infos) {
    let n = pascal(info.name);
    while (used.has(n)) n += 'X';
    used.add(n);
    objectName.set(info.name.toLowerCase(), n);
  }
  const fieldNames = new Map<string, Map<string, string>>();
  for (const info of infos) {
    const m = new Map<string, string>();
    const taken = new Set<string>();
    for (const c of info.columns) {
      let n = camel(c.name);
      while (taken.has(n)) n += '_';
      taken.add(n);
      m.set(c.name, n);
    }
    fieldNames.set(info.name, m);
  }
  const inverse = new Map<string, string[]>();
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE model SYSTEM "model.dtd">', `<model name="${esc(options.modelName ?? 'introspected')}">`];
  const body = new Map<string, string[]>();
  for (const info of infos) {
    const name = objectName.get(info.name.toLowerCase()) as string;
    const fnames = fieldNames.get(info.name) as Map<string, string>;
    const out: string[] = [];
    const memberNames = new Set(fnames.values());
    const sole = info.primaryKey.length === 1 ? info.primaryKey[0] : undefined;
    if (info.primaryKey.length === 0) out.push('    <!-- no primary key in the database: declare a key that identifies a row -->');
    if (info.primaryKey.length > 1 || (sole !== undefined && !(info.columns.find((c) => c.name === sole)?.autoIncrement ?? false))) {
      out.push(`    <key fields="${esc(info.primaryKey.map((c) => fnames.get(c) as string).join(','))}"/>`);
    }
    for (const c of info.columns) {
      const t = fieldType(c, c.name === sole);
      const fname = fnames.get(c.name) as string;
      if (!t) {
        out.push(`    <!-- column ${esc(c.name)} (${esc(c.dataType)}) has no field type; left out -->`);
        continue;
      }
      const attrs = [`name="${esc(fname)}"`, `type="${t.type}"`, `column="${esc(c.name)}"`];
      if (t.length) attrs.push(`length="${t.length}"`);
      if (!c.nullable && t.type !== 'id' && !info.primaryKey.includes(c.name)) attrs.push('required="true"');
      if (info.uniques.some((u) => u.columns.length === 1 && u.columns[0] === c.name)) attrs.push('unique="true"');
      out.push(`    <field ${attrs.join(' ')}/>`);
    }
    for (const u of info.uniques) {
      if (u.columns.length > 1) out.push(`    <unique fields="${esc(u.columns.map((c) => fnames.get(c) as string).join(','))}"/>`);
    }
    for (const fk of info.foreignKeys) {
      const target = objectName.get(fk.referencedTable.toLowerCase());
      if (!target) {
        out.push(`    <!-- foreign key to ${esc(fk.referencedTable)} (not introspected) left out -->`);
        continue;
      }
      let rel = fk.columns.length === 1 ? camel((fk.columns[0] as string).replace(/_?id$/i, '')) : camel(fk.referencedTable);
      if (rel === '' || memberNames.has(rel)) rel = `${camel(fk.referencedTable)}Ref`;
      while (memberNames.has(rel)) rel += 'X';
      memberNames.add(rel);
      out.push(`    <relation name="${esc(rel)}" kind="many-to-one" target="${esc(target)}" fields="${esc(fk.columns.map((c) => fnames.get(c) as string).join(','))}"/>`);
      const list = inverse.get(target) ?? [];
      list.push(`${name}|${rel}|${info.name}`);
      inverse.set(target, list);
    }
    body.set(name, out);
  }
  for (const info of infos) {
    const name = objectName.get(info.name.toLowerCase()) as string;
    const out = body.get(name) as string[];
    const taken = new Set([...(fieldNames.get(info.name) as Map<string, string>).values()]);
    for (const l of out) {
      const m = /<relation name="([^"]+)"/.exec(l);
      if (m) taken.add(m[1] as string);
    }
    for (const entry of inverse.get(name) ?? []) {
      const [src, rel, table] = entry.split('|') as [string, string, string];
      let n = camel(table);
      if (!n.endsWith('s')) n += 's';
      while (taken.has(n)) n += 'X';
      taken.add(n);
      out.push(`    <relation name="${esc(n)}" kind="one-to-many" target="${esc(src)}" inverse="${esc(rel)}"/>`);
    }
    lines.push(`  <object name="${esc(name)}" table="${esc(info.name)}" managed="false">`, ...out, '  </object>');
  }
  lines.push('</model>', '');
  return lines.join('\n');
}
