/**
 * Plans and applies the schema changes a model needs: creates missing managed tables, adds missing
 * columns and unique constraints, renames tables and columns whose stable id says they were renamed
 * (by comparing with the snapshot of the last applied model). Never touches an unmanaged table;
 * never drops anything (it warns instead). All steps run in one transaction: a failure leaves the
 * schema as it was.
 */
import type { ColumnInfo, ColumnType, Dialect, Knex, StorageManager, StorageSession, TableInfo } from '@caruso/storage';
import type { FieldDef, Model, ObjectDef, RelationDef, SourceRef } from '../common/model.js';
import { ObjectsErrors } from '../errors.js';
import { columnShape, fieldShape, formatShape, typeChange, type ColumnShape } from './column-shape.js';
import { rebuildSqliteTable } from './sqlite-rebuild.js';
import { normalizeValue } from '../common/values.js';
import { AUDIT_TABLE } from './object-repository.js';

/** The table holding the snapshot of the last applied model. */
export const MODEL_STATE_TABLE = 'caruso_model_state';

/** One step of a migration plan. */
export interface MigrationStep {
  /** One line for people, e.g. `create table customers`. */
  readonly summary: string;
  /** Adds the step to a schema builder (a data step adds nothing). */
  build(schema: Knex.SchemaBuilder): Knex.SchemaBuilder;
  /**
   * A data step (rewriting values, such as phone numbers to E.164): runs in the migration's
   * transaction after the schema steps before it. Its values are bound, so `--dry-run` shows only
   * its summary.
   */
  readonly data?: (session: StorageSession) => Promise<void>;
}

/** A stored phone number the migration to E.164 could not read: kept as it was. */
export interface UnreadablePhone {
  readonly object: string;
  readonly field: string;
  /** The record's key as text (never the number itself: it is customer data). */
  readonly key: string;
}

/** A column type change the planner refuses because it could lose data. */
export interface SchemaRefusal {
  readonly object: string;
  readonly field: string;
  /** Where the field is declared (for `file:line:col` diagnostics). */
  readonly origin: SourceRef;
  /** What would be lost and what to do instead. */
  readonly message: string;
}

/** What {@link planMigration} found. */
export interface MigrationPlan {
  readonly steps: readonly MigrationStep[];
  /** Changes that are not applied automatically (unsupported type changes, removed fields …). */
  readonly warnings: readonly string[];
  /**
   * Lossy column type changes (decimal → integer, a shorter string, text → string, datetime → date,
   * fewer decimal digits). {@link applyMigration} refuses a plan that has any with
   * CARUSO_OBJECTS_LOSSY_SCHEMA_CHANGE and changes nothing.
   */
  readonly refusals: readonly SchemaRefusal[];
  /** Whether a step rebuilds a SQLite table (the migration then checks foreign keys at commit). */
  readonly rebuilds: boolean;
  /** Stored phone numbers the step to E.164 cannot read; they stay as they are (also counted in `warnings`). */
  readonly unreadablePhones: readonly UnreadablePhone[];
}

interface SnapshotField {
  readonly name: string;
  readonly id: string | undefined;
  readonly columns: readonly string[];
  /** The field's type and sizes when it was applied (absent in snapshots written before type changes were planned). */
  readonly type?: FieldDef['type'];
  readonly precision?: number;
  readonly scale?: number;
  /** Phone fields: `e164:<default country>` once their values were normalised (absent before). */
  readonly phoneFormat?: string;
}
interface SnapshotObject {
  readonly name: string;
  readonly id: string | undefined;
  readonly table: string;
  readonly fields: readonly SnapshotField[];
}
interface Snapshot {
  readonly objects: readonly SnapshotObject[];
}

function fieldColumns(f: FieldDef): string[] {
  if (f.computed && !f.stored) return [];
  return f.currencyColumn ? [f.column, f.currencyColumn] : [f.column];
}

const phoneFormat = (model: Model): string => `e164:${model.defaultCountry ?? ''}`;

function snapshotOf(model: Model): Snapshot {
  return {
    objects: model.objects.map((o) => ({
      name: o.name,
      id: o.id,
      table: o.table,
      fields: o.fields.map((f) => ({
        name: f.name,
        id: f.id,
        columns: fieldColumns(f),
        type: f.type,
        ...(f.type === 'decimal' ? { precision: f.precision ?? 15, scale: f.scale ?? 2 } : {}),
        ...(f.type === 'phone' ? { phoneFormat: phoneFormat(model) } : {}),
      })),
    })),
  };
}

const EXPECTED: Record<FieldDef['type'], readonly ColumnType[]> = {
  id: ['integer', 'bigint'],
  integer: ['integer', 'bigint'],
  decimal: ['decimal', 'float', 'integer', 'bigint'],
  money: ['integer', 'bigint', 'decimal'],
  boolean: ['boolean', 'integer'],
  date: ['date', 'string', 'text', 'datetime'],
  datetime: ['datetime', 'string', 'text'],
  string: ['string', 'text'],
  email: ['string', 'text'],
  phone: ['string', 'text'],
  enum: ['string', 'text'],
  text: ['text', 'string'],
  json: ['json', 'text', 'string'],
};

/** Adds the column(s) of a field to a table builder. */
function addField(t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, f: FieldDef, dialect: Dialect, nullable: boolean): void {
  const c = f.column;
  let col: Knex.ColumnBuilder;
  switch (f.type) {
    case 'id':
      col = f.generated ? t.increments(c) : t.integer(c);
      break;
    case 'integer':
      col = t.integer(c);
      break;
    case 'decimal':
      col = t.decimal(c, f.precision ?? 15, f.scale ?? 2);
      break;
    case 'money':
      col = t.bigInteger(c);
      if (f.currencyColumn) {
        const cc = t.string(f.currencyColumn, 3);
        if (!nullable && f.required) cc.notNullable();
      }
      break;
    case 'boolean':
      col = t.boolean(c);
      break;
    case 'date':
      col = t.date(c);
      break;
    case 'datetime':
      col = t.timestamp(c, { useTz: true });
      break;
    case 'json':
      col = dialect === 'postgres' ? t.jsonb(c) : t.json(c);
      break;
    case 'text':
      col = t.text(c);
      break;
    default:
      col = t.string(c, f.length ?? 255);
  }
  if (!nullable && f.required && !f.generated) col.notNullable();
}

function keyColumnType(t: Knex.CreateTableBuilder, name: string, key: FieldDef, nullable: boolean): void {
  const col = key.type === 'id' || key.type === 'integer' ? t.integer(name) : key.type === 'text' ? t.text(name) : t.string(name, key.length ?? 255);
  if (!nullable) col.notNullable();
}

/** Orders managed objects so that targets of many-to-one relations come first. */
function creationOrder(objects: readonly ObjectDef[]): ObjectDef[] {
  const out: ObjectDef[] = [];
  const state = new Map<string, number>();
  const byName = new Map(objects.map((o) => [o.name, o]));
  const visit = (o: ObjectDef): void => {
    if (state.get(o.name)) return;
    state.set(o.name, 1);
    for (const r of o.relations) {
      const t = byName.get(r.target);
      if (r.kind === 'many-to-one' && t && t !== o) visit(t);
    }
    state.set(o.name, 2);
    out.push(o);
  };
  objects.forEach(visit);
  return out;
}

const sameCols = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.some((y) => y.toLowerCase() === x.toLowerCase()));

/**
 * Compares the model with the database (and the snapshot of the last applied model) and lists the
 * steps that bring the managed tables in line.
 */
export async function planMigration(model: Model, session: StorageSession): Promise<MigrationPlan> {
  const dialect = session.dialect;
  const steps: MigrationStep[] = [];
  const warnings: string[] = [];
  const refusals: SchemaRefusal[] = [];
  const unreadablePhones: UnreadablePhone[] = [];
  let rebuilds = false;
  const prev = await loadSnapshot(session);
  const byName = new Map(model.objects.map((o) => [o.name, o]));
  const existing = new Set((await session.listTables()).map((t) => t.toLowerCase()));
  const hasTable = async (t: string): Promise<boolean> => existing.has(t.toLowerCase()) || (t.includes('.') && (await session.hasTable(t)));
  const created = new Set<string>();

  for (const o of creationOrder(model.objects.filter((x) => x.managed))) {
    const before = prev?.objects.find((p) => (o.id !== undefined && p.id === o.id) || (p.id === undefined && p.name === o.name));
    let table = o.table;
    if (!(await hasTable(o.table)) && before && before.table !== o.table && (await hasTable(before.table))) {
      const from = before.table;
      steps.push({ summary: `rename table ${from} to ${o.table} (${o.name})`, build: (s) => s.renameTable(from, o.table) as unknown as Knex.SchemaBuilder });
      table = from;
    }
    if (table === o.table && !(await hasTable(o.table))) {
      steps.push({ summary: `create table ${o.table} (${o.name})`, build: (s) => s.createTable(o.table, (t) => createObjectTable(t, o, byName, created, dialect)) });
      created.add(o.name);
      continue;
    }
    const info: TableInfo = await session.columnInfo(table);
    const have = new Set(info.columns.map((c) => c.name.toLowerCase()));
    const adds: FieldDef[] = [];
    const renames: [string, string][] = [];
    const retypes: { field: FieldDef; column: string; from: ColumnShape; to: ColumnShape }[] = [];
    const phones: { field: FieldDef; column: string }[] = [];
    const readTable = table;
    for (const f of o.fields) {
      const cols = fieldColumns(f);
      if (f.type === 'phone' && cols.length) {
        const was = before?.fields.find((p) => (f.id !== undefined && p.id === f.id) || (p.id === undefined && p.name === f.name));
        const column = have.has(f.column.toLowerCase()) ? f.column : was?.columns[0] !== undefined && have.has(was.columns[0].toLowerCase()) ? was.columns[0] : undefined;
        if (column !== undefined && was?.phoneFormat !== phoneFormat(model)) phones.push({ field: f, column });
      }
      if (cols.length === 0 || cols.every((c) => have.has(c.toLowerCase()))) {
        const col = info.columns.find((c) => c.name.toLowerCase() === f.column.toLowerCase());
        const was = before?.fields.find((p) => (f.id !== undefined && p.id === f.id) || (p.id === undefined && p.name === f.name));
        const from = col && cols.length ? columnShape(col, was) : undefined;
        const to = fieldShape(f);
        const change = from && to ? typeChange(from, to) : 'none';
        if (change === 'widen') retypes.push({ field: f, column: (col as ColumnInfo).name, from: from as ColumnShape, to: to as ColumnShape });
        else if (change === 'lossy') {
          refusals.push({
            object: o.name,
            field: f.name,
            origin: f.origin,
            message: `${o.name}.${f.name}: changing column ${table}.${(col as ColumnInfo).name} from ${formatShape(from as ColumnShape)} to ${formatShape(to as ColumnShape)} could lose data; Caruso only widens types (a longer string, string → text, integer → decimal, more decimal digits, date → datetime). Keep the old type, or add a new field, copy the data over by hand and remove the old one`,
          });
        } else if (change === 'none') checkType(o, f, info, warnings);
        else warnings.push(`${o.name}.${f.name}: column ${info.name}.${(col as ColumnInfo).name} is ${(col as ColumnInfo).dataType} but the field is ${f.type}; this type change is not made automatically`);
        continue;
      }
      const old = before?.fields.find((p) => (f.id !== undefined && p.id === f.id) || (p.id === undefined && p.name === f.name));
      if (old && old.columns.length === cols.length && old.columns.every((c) => have.has(c.toLowerCase()))) {
        old.columns.forEach((c, i) => {
          if (c !== cols[i]) renames.push([c, cols[i] as string]);
        });
        continue;
      }
      adds.push(f);
      if (f.required) warnings.push(`${o.name}.${f.name}: column ${f.column} is added as nullable because ${table} already has rows; Caruso enforces "required" on writes`);
    }
    const extra: [string, (t: Knex.AlterTableBuilder) => void][] = [];
    if (o.versionColumn && !have.has(o.versionColumn.toLowerCase())) {
      const vc = o.versionColumn;
      extra.push([`add version column ${vc}`, (t) => void t.integer(vc).notNullable().defaultTo(1)]);
    }
    if (o.softDeleteColumn && !have.has(o.softDeleteColumn.toLowerCase())) {
      const sc = o.softDeleteColumn;
      extra.push([`add soft-delete column ${sc}`, (t) => void t.timestamp(sc, { useTz: true })]);
    }
    const uniques: string[][] = [];
    for (const g of [...o.fields.filter((f) => f.unique && fieldColumns(f).length).map((f) => [f.column]), ...o.uniques.map((u) => u.map((n) => (o.fields.find((f) => f.name === n) as FieldDef).column))]) {
      if (!info.uniques.some((u) => sameCols(u.columns, g)) && !sameCols(info.primaryKey, g)) uniques.push(g);
    }
    if (renames.length) {
      for (const [from, to] of renames) steps.push({ summary: `rename column ${o.table}.${from} to ${to}`, build: (s) => s.table(o.table, (t) => t.renameColumn(from, to)) });
    }
    if (table !== o.table) {
      // The remaining steps address the table under its new name.
      table = o.table;
    }
    const target = table;
    if (adds.length || extra.length) {
      const names = [...adds.map((f) => fieldColumns(f).join(', ')), ...extra.map(([s]) => s)];
      steps.push({
        summary: `alter table ${target}: add ${names.join(', ')}`,
        build: (s) =>
          s.table(target, (t) => {
            for (const f of adds) addField(t, f, dialect, true);
            for (const [, fn] of extra) fn(t);
          }),
      });
    }
    if (retypes.length) {
      const summary = `change column type${retypes.length > 1 ? 's' : ''} of ${target}: ${retypes.map((r) => `${r.column} ${formatShape(r.from)} → ${formatShape(r.to)}`).join(', ')}`;
      if (dialect === 'postgres') {
        steps.push({
          summary,
          build: (s) => {
            let b = s;
            for (const r of retypes) {
              // A date is midnight UTC as a datetime, whatever the session's time zone.
              const using = r.from.kind === 'date' && r.to.kind === 'datetime' ? ` using (${pgName(r.column)}::timestamp at time zone 'UTC')` : '';
              b = b.raw(`alter table ${target.split('.').map(pgName).join('.')} alter column ${pgName(r.column)} type ${pgType(r.to)}${using}`);
            }
            return b;
          },
        });
      } else {
        rebuilds = true;
        // SQLite cannot alter a column: the table is rebuilt (same rows, indexes, constraints, keys).
        const sql = await rebuildSqliteTable(session, target, retypes.map((r) => ({ column: r.column, type: sqliteType(r.to), dateToDatetime: r.from.kind === 'date' && r.to.kind === 'datetime' })));
        steps.push({ summary: `${summary} (rebuild of the table)`, build: (s) => sql.reduce((b, q) => b.raw(q), s) });
      }
    }
    for (const g of uniques) steps.push({ summary: `add unique constraint on ${target}(${g.join(', ')})`, build: (s) => s.table(target, (t) => void t.unique(g)) });
    for (const p of phones) {
      const step = await planPhoneStep(session, model, o, p.field, readTable, p.column, target, unreadablePhones);
      if (step) steps.push(step);
    }
    const unread = unreadablePhones.filter((u) => u.object === o.name);
    if (unread.length) {
      warnings.push(`${o.name}: ${unread.length} stored phone number(s) cannot be read as phone numbers${model.defaultCountry ? '' : ' (no defaultCountry: national numbers stay as written)'} and were kept as they are (keys ${unread.slice(0, 10).map((u) => u.key).join(', ')}${unread.length > 10 ? ', …' : ''})`);
    }
    const mapped = new Set(o.fields.flatMap(fieldColumns).map((c) => c.toLowerCase()));
    for (const c of [o.versionColumn, o.softDeleteColumn]) if (c) mapped.add(c.toLowerCase());
    for (const [from] of renames) mapped.add(from.toLowerCase());
    for (const col of info.columns) {
      if (!mapped.has(col.name.toLowerCase()) && before?.fields.some((p) => p.columns.some((c) => c.toLowerCase() === col.name.toLowerCase()))) {
        warnings.push(`${o.name}: column ${table}.${col.name} is no longer mapped; it was kept (drop it by hand once its data is not needed)`);
      }
    }
  }
  for (const o of model.objects) {
    for (const r of o.relations) {
      if (r.kind !== 'many-to-many' || !r.managed) continue;
      const through = r.through as string;
      if (!(await hasTable(through))) {
        steps.push({ summary: `create join table ${through} (${o.name}.${r.name})`, build: (s) => s.createTable(through, (t) => createJoinTable(t, o, r, byName, dialect)) });
      } else {
        const info = await session.columnInfo(through);
        const have = new Set(info.columns.map((c) => c.name.toLowerCase()));
        const adds = r.linkFields.filter((f) => !fieldColumns(f).every((c) => have.has(c.toLowerCase())));
        if (adds.length) {
          steps.push({
            summary: `alter table ${through}: add ${adds.map((f) => f.column).join(', ')}`,
            build: (s) => s.table(through, (t) => adds.forEach((f) => addField(t, f, dialect, true))),
          });
        }
      }
    }
  }
  if (prev) {
    for (const p of prev.objects) {
      if (!model.objects.some((o) => (o.id !== undefined && o.id === p.id) || (p.id === undefined && o.name === p.name))) {
        warnings.push(`object ${p.name} is no longer in the model; its table ${p.table} was kept (drop it by hand once its data is not needed)`);
      }
    }
  }
  if (model.objects.some((o) => o.fields.some((f) => f.audited)) && !(await hasTable(AUDIT_TABLE))) {
    steps.push({ summary: `create audit table ${AUDIT_TABLE}`, build: (s) => s.createTable(AUDIT_TABLE, createAuditTable) });
  }
  return { steps, warnings, refusals, rebuilds, unreadablePhones };
}

/**
 * The data step that rewrites the stored numbers of a phone field to E.164 (read in the model's
 * default country), or undefined when every value already is. Values that cannot be read are kept
 * and listed in `unreadable` by key.
 */
async function planPhoneStep(session: StorageSession, model: Model, o: ObjectDef, f: FieldDef, readTable: string, readColumn: string, table: string, unreadable: UnreadablePhone[]): Promise<MigrationStep | undefined> {
  const keyCols = o.key.map((k) => (o.fields.find((x) => x.name === k) as FieldDef).column);
  const rows = (await session.knex(readTable).select([...keyCols, readColumn]).whereNotNull(readColumn)) as Record<string, unknown>[];
  const updates: { key: unknown[]; value: string }[] = [];
  for (const row of rows) {
    const v = row[readColumn];
    if (typeof v !== 'string' || v.trim() === '') continue;
    const n = normalizeValue(f, v, model.defaultCountry);
    const key = keyCols.map((c) => row[c]);
    if (!n.ok || (typeof n.value === 'string' && !/^\+[1-9]\d{3,14}$/.test(n.value))) {
      unreadable.push({ object: o.name, field: f.name, key: key.length === 1 ? String(key[0]) : o.key.map((k, i) => `${k}=${String(key[i])}`).join(',') });
    } else if (n.value !== v) updates.push({ key, value: n.value as string });
  }
  if (updates.length === 0) return undefined;
  return {
    summary: `normalise ${updates.length} phone number(s) of ${table}.${f.column} (${o.name}.${f.name}) to E.164`,
    build: (s) => s,
    data: async (trx) => {
      for (const u of updates) {
        const qb = trx.knex(table).update({ [f.column]: u.value });
        keyCols.forEach((c, i) => {
          qb.where(c, u.key[i] as Knex.Value);
        });
        await qb;
      }
    },
  };
}

const pgName = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The PostgreSQL type of a widened column, spelled as knex creates it. */
function pgType(to: ColumnShape): string {
  switch (to.kind) {
    case 'decimal':
      return `decimal(${to.precision}, ${to.scale})`;
    case 'string':
      return `varchar(${to.length})`;
    case 'datetime':
      return 'timestamptz';
    default:
      return to.kind;
  }
}

/** The SQLite declared type of a widened column, spelled as knex creates it. */
function sqliteType(to: ColumnShape): string {
  switch (to.kind) {
    case 'decimal':
      return 'float';
    case 'string':
      return `varchar(${to.length})`;
    default:
      return to.kind;
  }
}

function checkType(o: ObjectDef, f: FieldDef, info: TableInfo, warnings: string[]): void {
  const col = info.columns.find((c) => c.name.toLowerCase() === f.column.toLowerCase()) as ColumnInfo | undefined;
  if (!col || col.type === 'unknown') return;
  if (!EXPECTED[f.type].includes(col.type)) {
    warnings.push(`${o.name}.${f.name}: column ${info.name}.${col.name} is ${col.dataType} but the field is ${f.type}; the type is not changed automatically`);
  }
}

function createObjectTable(t: Knex.CreateTableBuilder, o: ObjectDef, byName: Map<string, ObjectDef>, created: ReadonlySet<string>, dialect: Dialect): void {
  for (const f of o.fields) if (fieldColumns(f).length) addField(t, f, dialect, false);
  if (o.versionColumn) t.integer(o.versionColumn).notNullable().defaultTo(1);
  if (o.softDeleteColumn) t.timestamp(o.softDeleteColumn, { useTz: true });
  const keyCols = o.key.map((k) => (o.fields.find((f) => f.name === k) as FieldDef).column);
  const generated = o.key.length === 1 && o.fields.find((f) => f.name === o.key[0])?.generated;
  if (!generated) t.primary(keyCols);
  for (const f of o.fields) if (f.unique && fieldColumns(f).length) t.unique([f.column]);
  for (const u of o.uniques) t.unique(u.map((n) => (o.fields.find((f) => f.name === n) as FieldDef).column));
  for (const r of o.relations) {
    if (r.kind !== 'many-to-one') continue;
    const target = byName.get(r.target) as ObjectDef;
    const cols = r.fields.map((n) => (o.fields.find((f) => f.name === n) as FieldDef).column);
    t.index(cols);
    if (target.managed && (created.has(target.name) || target === o)) {
      t.foreign(cols).references(target.key.map((k) => (target.fields.find((f) => f.name === k) as FieldDef).column)).inTable(target.table);
    }
  }
}

function createJoinTable(t: Knex.CreateTableBuilder, o: ObjectDef, r: RelationDef, byName: Map<string, ObjectDef>, dialect: Dialect): void {
  const target = byName.get(r.target) as ObjectDef;
  const keyOf = (x: ObjectDef): FieldDef[] => x.key.map((k) => x.fields.find((f) => f.name === k) as FieldDef);
  r.sourceColumns.forEach((c, i) => keyColumnType(t, c, keyOf(o)[i] as FieldDef, false));
  r.targetColumns.forEach((c, i) => keyColumnType(t, c, keyOf(target)[i] as FieldDef, false));
  for (const f of r.linkFields) addField(t, f, dialect, false);
  t.primary([...r.sourceColumns, ...r.targetColumns]);
  t.index([...r.targetColumns]);
  if (o.managed) t.foreign([...r.sourceColumns]).references(keyOf(o).map((f) => f.column)).inTable(o.table).onDelete('CASCADE');
  if (target.managed) t.foreign([...r.targetColumns]).references(keyOf(target).map((f) => f.column)).inTable(target.table).onDelete('CASCADE');
}

function createAuditTable(t: Knex.CreateTableBuilder): void {
  t.increments('id');
  t.string('object', 100).notNullable();
  t.string('record_key', 200).notNullable();
  t.string('action', 10).notNullable();
  t.string('field', 100);
  t.text('old_value');
  t.text('new_value');
  t.string('actor', 200);
  t.string('at', 30).notNullable();
  t.index(['object', 'record_key']);
}

async function loadSnapshot(session: StorageSession): Promise<Snapshot | undefined> {
  if (!(await session.hasTable(MODEL_STATE_TABLE))) return undefined;
  const row = (await session.knex(MODEL_STATE_TABLE).select('snapshot').where({ name: 'model' }).first()) as { snapshot: string } | undefined;
  if (!row) return undefined;
  try {
    return JSON.parse(row.snapshot) as Snapshot;
  } catch {
    return undefined;
  }
}

/** The SQL a plan would run, statement by statement (for `--dry-run`). */
export function planSql(plan: MigrationPlan, knex: Knex | Knex.Transaction): string[] {
  const out: string[] = [];
  for (const step of plan.steps) {
    if (step.data) {
      out.push(`-- ${step.summary} (a data step: its values are bound when it runs)`);
      continue;
    }
    for (const q of step.build(knex.schema).toSQL() as unknown as { sql: string; bindings: unknown[] }[]) {
      out.push(knex.raw(q.sql, (q.bindings ?? []) as Knex.RawBinding[]).toQuery() + ';');
    }
  }
  return out;
}

/**
 * Plans and applies the migration in one transaction, then stores the model's snapshot (for renames
 * by stable id next time). Returns the plan that was applied.
 */
export async function applyMigration(model: Model, storage: StorageManager | StorageSession): Promise<MigrationPlan> {
  // A SQLite rebuild drops and re-creates a table: foreign keys are then checked once, at commit,
  // which only an outermost transaction can do. A look before the transaction tells whether it is needed.
  const outermost = !('afterCommit' in storage);
  const look = storage.dialect === 'sqlite' && outermost ? await planMigration(model, storage) : undefined;
  if (look) refuse(look);
  return storage.transaction(async (trx) => {
    const plan = await planMigration(model, trx);
    refuse(plan);
    if (plan.rebuilds && !look?.rebuilds) {
      throw ObjectsErrors.CARUSO_OBJECTS_SCHEMA_MISMATCH({
        problems: 'a column type change on SQLite rebuilds a table and needs a migration of its own: run applyMigration with the storage manager, not inside a transaction',
      });
    }
    for (const step of plan.steps) {
      if (step.data) await step.data(trx);
      else await step.build(trx.schema);
    }
    if (!(await trx.hasTable(MODEL_STATE_TABLE))) {
      await trx.schema.createTable(MODEL_STATE_TABLE, (t) => {
        t.string('name', 100).primary();
        t.text('snapshot').notNullable();
        t.string('applied_at', 30).notNullable();
      });
    }
    const row = { name: 'model', snapshot: JSON.stringify(snapshotOf(model)), applied_at: new Date().toISOString() };
    await trx.knex(MODEL_STATE_TABLE).insert(row).onConflict('name').merge();
    return plan;
  }, look?.rebuilds ? { foreignKeys: 'atCommit' } : {});
}

/** Throws CARUSO_OBJECTS_LOSSY_SCHEMA_CHANGE for a plan with lossy type changes. */
function refuse(plan: MigrationPlan): void {
  const first = plan.refusals[0];
  if (!first) return;
  throw ObjectsErrors.CARUSO_OBJECTS_LOSSY_SCHEMA_CHANGE(
    { count: plan.refusals.length, first: `${first.origin.file}:${first.origin.line}:${first.origin.col}: ${first.message}` },
    { details: { refusals: plan.refusals.map((r) => ({ object: r.object, field: r.field, file: r.origin.file, line: r.origin.line, col: r.origin.col, message: r.message })) } },
  );
}

/**
 * Checks that every table and column the model maps exists (unmanaged tables above all). Returns
 * one problem per missing table or column, and type mismatches as warnings.
 */
export async function checkMapping(model: Model, session: StorageSession, options: { readonly onlyUnmanaged?: boolean } = {}): Promise<{ errors: { object: ObjectDef; field?: FieldDef; message: string }[]; warnings: string[] }> {
  const errors: { object: ObjectDef; field?: FieldDef; message: string }[] = [];
  const warnings: string[] = [];
  for (const o of model.objects) {
    if (options.onlyUnmanaged && o.managed) continue;
    if (!(await session.hasTable(o.table))) {
      errors.push({ object: o, message: `table ${o.table} of ${o.name} does not exist in the database` });
      continue;
    }
    const info = await session.columnInfo(o.table);
    const have = new Set(info.columns.map((c) => c.name.toLowerCase()));
    for (const f of o.fields) {
      for (const c of fieldColumns(f)) {
        if (!have.has(c.toLowerCase())) errors.push({ object: o, field: f, message: `column ${o.table}.${c} of ${o.name}.${f.name} does not exist in the database` });
      }
      checkType(o, f, info, warnings);
    }
    for (const c of [o.versionColumn, o.softDeleteColumn]) {
      if (c && !have.has(c.toLowerCase())) errors.push({ object: o, message: `column ${o.table}.${c} of ${o.name} does not exist in the database` });
    }
  }
  return { errors, warnings };
}
