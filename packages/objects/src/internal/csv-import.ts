/**
 * CSV import and export of one object. An import runs in one transaction (written in batches of
 * multi-row statements). Mode `all-or-nothing` (the default): when any row is rejected nothing is
 * written. Mode `skip-bad-rows`: the good rows are written and the bad ones reported. A preview
 * validates every row and looks for duplicates without writing anything. Every row gets a line in
 * the report.
 */
import type { Knex, StorageSession } from '@caruso/storage';
import type { FieldDef } from '../common/model.js';
import { checkConstraints, coerceText, formatText, normalizeValue } from '../common/values.js';
import type { Filter, ObjectRecord } from '../business-objects.js';
import { ObjectsErrors, type FieldViolation } from '../errors.js';
import type { BusinessObjectsImpl } from './business-objects-impl.js';
import { CsvReader, formatCsvRow, type CsvRow } from './csv.js';
import { findDuplicates, probeOf, similarNames } from './duplicate-finder.js';
import type { ObjectRepository } from './object-repository.js';

/** Options of {@link importCsv}. */
export interface CsvImportOptions {
  /** The fields to upsert by (default: the object's businessKey, else its key). Must be unique. */
  readonly key?: readonly string[];
  /** Rows per batch. Default 1000. */
  readonly batchSize?: number;
  /**
   * `all-or-nothing` (default): one bad row and nothing is written (CARUSO_OBJECTS_IMPORT_REJECTED
   * with the report in `details`). `skip-bad-rows`: the good rows are written, the bad ones reported.
   */
  readonly mode?: CsvImportMode;
  /** Same as `mode: 'skip-bad-rows'` (the older name). */
  readonly partial?: boolean;
  /**
   * Validate every row and look for duplicates, write nothing: the report says what would happen
   * (`created`, `updated`, `skipped`, `error`, `duplicate`). Never throws for bad rows.
   */
  readonly preview?: boolean;
  /**
   * `skip`: a row that would create a record duplicating a stored one (same normalised phone, same
   * e-mail, similar name; see `duplicatesOf`) or an earlier row of the file (same phone, e-mail or a
   * similar name) is not written and reported as `duplicate`; the message names both when both hold.
   * `ignore` (default): no duplicate check, except in a preview.
   */
  readonly duplicates?: 'ignore' | 'skip';
  /** Recorded in the audit history. */
  readonly actor?: string;
  /** The file name used in messages. */
  readonly file?: string;
  /**
   * Called after each batch with the data rows done so far and their total: known when the input is
   * a string, undefined for a stream (measure the bytes read instead).
   */
  readonly onProgress?: (done: number, total: number | undefined) => void;
  /** Stops the import (rolled back) when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Reads a file written with {@link CsvExportOptions.safeFormulas}: a cell that starts with
   * apostrophes followed by =, +, - or @ loses its first apostrophe. Other cells are read as they are.
   * Default false.
   */
  readonly safeFormulas?: boolean;
}

/**
 * Cells a spreadsheet would run as a formula (CSV injection), and cells that already look protected
 * (apostrophes, then a formula start): those get one more apostrophe too, so that the import can strip
 * exactly one and every value comes back as it was.
 */
const FORMULA_START = /^'*[=+\-@]/;

/** A cell as a spreadsheet shows it as text: an apostrophe before a formula start. */
export function protectFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** The cell that {@link protectFormula} protected. */
export function unprotectFormula(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell) ? cell.slice(1) : cell;
}

/** A rejected row. */
export interface RejectedRow {
  /** Line of the file where the row starts. */
  readonly line: number;
  readonly reasons: readonly string[];
}

/** The modes of {@link importCsv}. */
export type CsvImportMode = 'all-or-nothing' | 'skip-bad-rows';

/**
 * What became of a row: `created`, `updated`, `skipped` (unchanged, or not written because the
 * import was all or nothing and failed), `error` (rejected: see the message), `duplicate` (not
 * written: it duplicates a stored record or an earlier row).
 */
export type ImportRowStatus = 'created' | 'updated' | 'skipped' | 'error' | 'duplicate';

/** One row of the per-row report. */
export interface ImportRowReport {
  /** The data row, from 1 (the header is not counted). */
  readonly row: number;
  /** The line of the file where the row starts. */
  readonly line: number;
  readonly status: ImportRowStatus;
  /** Why (for errors and duplicates: every reason; never a cell's value). */
  readonly message: string;
  /** The record's key: the stored one for updates, duplicates (the record it duplicates) and created rows. */
  readonly key: unknown;
}

/** What an import did. */
export interface CsvImportReport {
  readonly total: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly duplicates: number;
  readonly rejected: readonly RejectedRow[];
  /** One entry per data row, in file order. */
  readonly rows: readonly ImportRowReport[];
  /** Whether this was a preview (nothing written). */
  readonly preview: boolean;
}

interface ReportDraft {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  duplicates: number;
  rejected: RejectedRow[];
  rows: Mutable<ImportRowReport>[];
  preview: boolean;
}
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What the rows of the file seen so far offer to duplicate detection within the file. */
interface FileProbe {
  readonly phones: Map<string, number>;
  readonly emails: Map<string, number>;
  /** Folded names of the rows, by the first two letters of each of their words (the candidates to compare). */
  readonly names: Map<string, { readonly name: string; readonly row: number }[]>;
}

/** At most this many earlier names are compared per first letters (a file of thousands of Jansens stays linear). */
const NAME_CANDIDATES = 200;

interface NumberedRow {
  readonly row: number;
  readonly csv: CsvRow;
}

const MAX_PARAMS = 30_000;

async function* chunksOf(input: string | AsyncIterable<string | Uint8Array>): AsyncIterable<string> {
  if (typeof input === 'string') {
    yield input;
    return;
  }
  const dec = new TextDecoder();
  for await (const c of input) yield typeof c === 'string' ? c : dec.decode(c, { stream: true });
  const rest = dec.decode();
  if (rest) yield rest;
}

/** Imports CSV rows into an object, upserting by a business key. */
export async function importCsv(
  objects: BusinessObjectsImpl,
  objectName: string,
  input: string | AsyncIterable<string | Uint8Array>,
  options: CsvImportOptions = {},
): Promise<CsvImportReport> {
  const file = options.file ?? 'input.csv';
  const base = objects.repository(objectName);
  const om = base.om;
  const o = om.object;
  const key = options.key?.length ? [...options.key] : [...(o.businessKey ?? o.key)];
  for (const k of key) {
    if (!om.byName.has(k)) throw ObjectsErrors.CARUSO_OBJECTS_BAD_OPTIONS({ reason: `${o.name} has no field ${k} to import by` });
  }
  const isUnique = (key.length === o.key.length && key.every((k) => o.key.includes(k))) || (key.length === 1 && om.byName.get(key[0] as string)?.field.unique) || o.uniques.some((u) => u.length === key.length && u.every((x) => key.includes(x)));
  if (!isUnique) throw ObjectsErrors.CARUSO_OBJECTS_BAD_OPTIONS({ reason: `the import key ${key.join(',')} of ${o.name} is neither its key nor declared unique` });
  const keyFields = key.map((k) => om.byName.get(k)?.field as FieldDef);
  const generatedKey = keyFields.length === 1 && keyFields[0]?.generated === true;
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw ObjectsErrors.CARUSO_OBJECTS_BAD_OPTIONS({ reason: 'batchSize is a whole number from 1 to 10000' });

  const mode: CsvImportMode = options.mode ?? (options.partial ? 'skip-bad-rows' : 'all-or-nothing');
  if (mode !== 'all-or-nothing' && mode !== 'skip-bad-rows') throw ObjectsErrors.CARUSO_OBJECTS_BAD_OPTIONS({ reason: `mode must be 'all-or-nothing' or 'skip-bad-rows', not ${String(mode)}` });
  const preview = options.preview === true;
  const checkDuplicates = preview || options.duplicates === 'skip';
  const settings: BatchSettings = { skipBad: mode === 'skip-bad-rows', preview, checkDuplicates, defaultCountry: objects.model.defaultCountry };

  const run = async (trx: StorageSession): Promise<CsvImportReport> => {
    const tx = objects.withSession(trx);
    const repo = tx.repository(objectName);
    const reader = new CsvReader();
    let header: FieldDef[] | undefined;
    const report: ReportDraft = { total: 0, created: 0, updated: 0, unchanged: 0, duplicates: 0, rejected: [], rows: [], preview };
    const seen = new Set<string>();
    const fileProbe: FileProbe = { phones: new Map(), emails: new Map(), names: new Map() };
    let batch: NumberedRow[] = [];
    let known: number | undefined;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await importBatch(trx, repo, header as FieldDef[], keyFields, generatedKey, batch, seen, fileProbe, report, options, settings, objects.now);
      batch = [];
      options.onProgress?.(report.total, known);
    };
    const take = async (rows: CsvRow[]): Promise<void> => {
      for (const row of rows) {
        if (!header) {
          header = readHeader(row, om.byName, o.name, file, keyFields, generatedKey);
          continue;
        }
        report.total++;
        batch.push({ row: report.total, csv: row });
        if (batch.length >= batchSize) await flush();
      }
    };
    const fail = (err: unknown): never => {
      if (err instanceof RangeError) throw ObjectsErrors.CARUSO_OBJECTS_BAD_CSV({ file, line: 0, reason: err.message });
      throw err;
    };
    if (typeof input === 'string') {
      // The whole text is here: read it first, so that progress knows the total.
      let rows: CsvRow[] = [];
      try {
        rows = [...reader.push(input), ...reader.end()];
      } catch (err) {
        fail(err);
      }
      known = Math.max(0, rows.length - 1);
      await take(rows);
    } else {
      for await (const chunk of chunksOf(input)) {
        if (options.signal?.aborted) throw ObjectsErrors.CARUSO_OBJECTS_BAD_CSV({ file, line: 0, reason: 'the import was cancelled; nothing was written' });
        try {
          await take(reader.push(chunk));
        } catch (err) {
          fail(err);
        }
      }
      await take(reader.end());
    }
    if (reader.error) throw ObjectsErrors.CARUSO_OBJECTS_BAD_CSV({ file, line: reader.error.line, reason: reader.error.message });
    if (!header) throw ObjectsErrors.CARUSO_OBJECTS_BAD_CSV({ file, line: 1, reason: 'the file is empty; the first line must name the fields' });
    await flush();
    report.rows.sort((a, b) => a.row - b.row);
    if (report.rejected.length && !settings.skipBad && !preview) {
      // Nothing is written: say so on every row that would have been.
      for (const r of report.rows) {
        if (r.status === 'created' || r.status === 'updated') {
          if (r.status === 'created') r.key = null;
          r.status = 'skipped';
          r.message = 'not written: the import is all or nothing and other rows have errors';
        }
      }
      report.created = 0;
      report.updated = 0;
      const first = report.rejected[0] as RejectedRow;
      throw ObjectsErrors.CARUSO_OBJECTS_IMPORT_REJECTED(
        { object: o.name, rejected: report.rejected.length, total: report.total, first: `line ${first.line}: ${first.reasons.join('; ')}` },
        { details: report },
      );
    }
    return report;
  };
  return objects.session.transaction(run);
}

interface BatchSettings {
  readonly skipBad: boolean;
  readonly preview: boolean;
  readonly checkDuplicates: boolean;
  readonly defaultCountry: string | undefined;
}

function readHeader(row: CsvRow, byName: ReadonlyMap<string, { field: FieldDef }>, object: string, file: string, keyFields: FieldDef[], generatedKey: boolean): FieldDef[] {
  const out: FieldDef[] = [];
  for (const raw of row.cells) {
    const name = raw.trim();
    const f = byName.get(name)?.field;
    if (!f) throw ObjectsErrors.CARUSO_OBJECTS_BAD_CSV({ file, line: row.line, reason: `column '${name}' is not a field of ${object}` });
    if (f.computed) throw ObjectsErrors.CARUSO_OBJECTS_BAD_CSV({ file, line: row.line, reason: `column '${name}' is a computed field and cannot be imported` });
    if (out.includes(f)) throw ObjectsErrors.CARUSO_OBJECTS_BAD_CSV({ file, line: row.line, reason: `column '${name}' appears twice` });
    out.push(f);
  }
  if (!generatedKey) {
    for (const k of keyFields) if (!out.includes(k)) throw ObjectsErrors.CARUSO_OBJECTS_BAD_CSV({ file, line: row.line, reason: `the key column '${k.name}' is missing` });
  }
  return out;
}

async function importBatch(
  trx: StorageSession,
  repo: ObjectRepository,
  header: FieldDef[],
  keyFields: FieldDef[],
  generatedKey: boolean,
  rows: NumberedRow[],
  seen: Set<string>,
  fileProbe: FileProbe,
  report: ReportDraft,
  options: CsvImportOptions,
  settings: BatchSettings,
  now: () => Date,
): Promise<void> {
  const om = repo.om;
  const o = om.object;
  const reject = (row: number, line: number, reasons: string[]): void => {
    report.rejected.push({ line, reasons });
    report.rows.push({ row, line, status: 'error', message: reasons.join('; '), key: null });
  };
  const parsed: { row: number; line: number; given: Record<string, unknown>; keyText: string | undefined }[] = [];
  for (const { row: n, csv: row } of rows) {
    const reasons: string[] = [];
    if (row.cells.length !== header.length) {
      reject(n, row.line, [`has ${row.cells.length} cells but the header names ${header.length}`]);
      continue;
    }
    const given: Record<string, unknown> = {};
    header.forEach((f, i) => {
      const cell = row.cells[i] as string;
      const c0 = coerceText(f, options.safeFormulas ? unprotectFormula(cell) : cell);
      const c = c0.ok ? normalizeValue(f, c0.value, settings.defaultCountry) : c0;
      if (!c.ok) reasons.push(`${f.name}: ${f.label} ${c.message}`);
      else {
        const p = checkConstraints(f, c.value);
        if (p) reasons.push(`${f.name}: ${p.message}`);
        given[f.name] = c.value;
      }
    });
    let keyText: string | undefined;
    if (reasons.length === 0) {
      const kv = keyFields.map((f) => given[f.name]);
      if (kv.some((v) => v === null || v === undefined)) {
        if (!generatedKey) reasons.push(`the key ${keyFields.map((f) => f.name).join(', ')} is empty`);
      } else {
        keyText = JSON.stringify(kv);
        if (seen.has(keyText)) reasons.push(`the key ${keyFields.map((f) => f.name).join(', ')} appears on an earlier line of the file`);
        else seen.add(keyText);
      }
    }
    if (generatedKey && keyText === undefined) delete given[(keyFields[0] as FieldDef).name];
    if (reasons.length) reject(n, row.line, reasons);
    else parsed.push({ row: n, line: row.line, given, keyText });
  }
  // Existing records of this batch, by key.
  const existing = new Map<string, ObjectRecord>();
  const withKey = parsed.filter((p) => p.keyText !== undefined);
  if (withKey.length) {
    const selectCols = om.columns.map((c) => `t0.${c}`);
    const per = Math.max(1, Math.floor(MAX_PARAMS / keyFields.length));
    for (let i = 0; i < withKey.length; i += per) {
      const part = withKey.slice(i, i + per);
      const qb = trx.knex({ t0: o.table }).select(selectCols);
      if (keyFields.length === 1) {
        const f = keyFields[0] as FieldDef;
        qb.whereIn(`t0.${f.column}`, part.map((p) => om.toColumns({ [f.name]: p.given[f.name] })[f.column]) as Knex.Value[]);
      } else {
        // A row-value IN: `(a, b, c) in ((?, ?, ?), …)` on PostgreSQL, `in (values (…), …)` on SQLite
        // (≥ 3.15). An OR of ANDs per row nests one level per row and SQLite refuses it beyond a
        // depth of 1000 ("Expression tree is too large").
        const tuples = part.map((p) => keyFields.map((f) => om.toColumns({ [f.name]: p.given[f.name] })[f.column] as Knex.Value));
        qb.whereIn(
          keyFields.map((f) => `t0.${f.column}`),
          tuples,
        );
      }
      for (const row of (await qb) as Record<string, unknown>[]) {
        const rec = om.toRecord(row, now);
        existing.set(JSON.stringify(keyFields.map((f) => rec[f.name])), rec);
      }
    }
  }
  const inserts: { row: number; line: number; rec: Record<string, unknown> }[] = [];
  const updates: { row: number; line: number; before: ObjectRecord; rec: Record<string, unknown>; changed: string[] }[] = [];
  for (const p of parsed) {
    const before = p.keyText !== undefined ? existing.get(p.keyText) : undefined;
    if (!before && generatedKey && p.keyText !== undefined) {
      reject(p.row, p.line, [`${o.name} ${JSON.parse(p.keyText)[0]} does not exist (a generated key cannot be chosen on import)`]);
      continue;
    }
    const violations: FieldViolation[] = [];
    let rec: Record<string, unknown>;
    if (before) {
      rec = { ...before, ...p.given };
    } else {
      rec = {};
      for (const f of o.fields) if (!f.computed) rec[f.name] = Object.hasOwn(p.given, f.name) ? p.given[f.name] : (f.defaultValue ?? null);
    }
    repo.completeAndCheck(rec, violations);
    if (violations.length) {
      reject(p.row, p.line, violations.map((v) => `${v.field}: ${v.message}`));
      continue;
    }
    if (before) {
      const changed = o.fields.filter((f) => (!f.computed || f.stored) && JSON.stringify(before[f.name] ?? null) !== JSON.stringify(rec[f.name] ?? null)).map((f) => f.name);
      const key = om.keyOf(before);
      if (changed.length === 0) {
        report.unchanged++;
        report.rows.push({ row: p.row, line: p.line, status: 'skipped', message: 'unchanged', key });
      } else {
        updates.push({ row: p.row, line: p.line, before, rec, changed });
        report.rows.push({ row: p.row, line: p.line, status: 'updated', message: settings.preview ? `would update ${changed.join(', ')}` : `updated ${changed.join(', ')}`, key });
      }
      continue;
    }
    if (settings.checkDuplicates) {
      const dup = await duplicateOf(trx, om, rec, fileProbe, p.row, settings.defaultCountry, now);
      if (dup) {
        report.duplicates++;
        report.rows.push({ row: p.row, line: p.line, status: 'duplicate', message: dup.message, key: dup.key });
        continue;
      }
    }
    inserts.push({ row: p.row, line: p.line, rec });
  }
  if (settings.preview) {
    for (const i of inserts) report.rows.push({ row: i.row, line: i.line, status: 'created', message: 'would be created', key: null });
    report.created += inserts.length;
    report.updated += updates.length;
    return;
  }
  if (report.rejected.length && !settings.skipBad) {
    // The import fails anyway: spare the writes.
    for (const i of inserts) report.rows.push({ row: i.row, line: i.line, status: 'created', message: '', key: null });
    return;
  }
  if (inserts.length) {
    const rowsOut = inserts.map(({ rec }) => {
      const cols = om.toColumns(rec);
      for (const f of om.keyFields) if (f.generated) delete cols[f.column];
      if (o.versionColumn) cols[o.versionColumn] = 1;
      return cols;
    });
    const width = Object.keys(rowsOut[0] as object).length || 1;
    // SQLite builds a multi-row insert from compound SELECTs, at most 500 of them.
    const per = Math.max(1, Math.min(500, Math.floor(MAX_PARAMS / width)));
    const audited = om.auditedFields.size > 0;
    for (let i = 0; i < rowsOut.length; i += per) {
      const part = rowsOut.slice(i, i + per);
      try {
        const keys = (await trx.knex(o.table).insert(part).returning(om.keyFields.map((f) => f.column))) as Record<string, unknown>[];
        const entries: { field: string; o: unknown; n: unknown; key: unknown[] }[] = [];
        keys.forEach((k, j) => {
          const ins = inserts[i + j] as { row: number; line: number; rec: Record<string, unknown> };
          const rec = { ...ins.rec };
          for (const f of om.keyFields) rec[f.name] = om.byName.get(f.name)?.fromRow(k);
          report.rows.push({ row: ins.row, line: ins.line, status: 'created', message: 'created', key: om.keyOf(rec) });
          if (o.versionColumn) rec['$version'] = 1;
          if (o.softDeleteColumn) rec['$deletedAt'] = null;
          repo.announce(trx, { kind: 'created', ...repo.changeBase(rec, options), after: rec, version: repo.versionOf(rec) });
          if (audited) for (const name of om.auditedFields) if (rec[name] !== null && rec[name] !== undefined) entries.push({ field: name, o: null, n: rec[name], key: om.keyValues(om.keyOf(rec)) });
        });
        for (let e = 0; e < entries.length; e += 2000) {
          const slice = entries.slice(e, e + 2000);
          await writeAudit(trx, repo, slice, 'create', options.actor);
        }
      } catch (err) {
        throw repo.translateWriteError(err);
      }
    }
    report.created += inserts.length;
  }
  for (const u of updates) {
    const set: Record<string, unknown> = {};
    for (const n of u.changed) set[n] = u.rec[n];
    const cols = om.toColumns(set);
    if (o.versionColumn) cols[o.versionColumn] = trx.knex.raw('?? + 1', [o.versionColumn]);
    const qb = trx.knex(o.table).update(cols);
    const kv = om.keyValues(om.keyOf(u.before));
    om.keyFields.forEach((f, i) => {
      qb.where(f.column, kv[i] as Knex.Value);
    });
    try {
      await qb;
    } catch (err) {
      throw repo.translateWriteError(err);
    }
    const after: Record<string, unknown> = { ...u.rec };
    if (o.versionColumn && typeof u.before['$version'] === 'number') after['$version'] = u.before['$version'] + 1;
    repo.announceUpdate(trx, u.before, after, options);
    const audited = u.changed.filter((n) => om.auditedFields.has(n));
    if (audited.length) {
      await writeAudit(
        trx,
        repo,
        audited.map((n) => ({ field: n, o: u.before[n] ?? null, n: u.rec[n] ?? null, key: kv })),
        'update',
        options.actor,
      );
    }
  }
  report.updated += updates.length;
}

/**
 * Whether a new row duplicates a stored record or an earlier row of the file (same normalised
 * phone or e-mail); records the row's phones and e-mails for the rows after it.
 */
async function duplicateOf(
  trx: StorageSession,
  om: ObjectRepository['om'],
  rec: Readonly<ObjectRecord>,
  fileProbe: FileProbe,
  row: number,
  defaultCountry: string | undefined,
  now: () => Date,
): Promise<{ message: string; key: unknown } | undefined> {
  const probe = probeOf(om, rec, defaultCountry);
  let earlier: string | undefined;
  for (const p of probe.phones) if (fileProbe.phones.has(p)) earlier ??= `the same phone number as row ${fileProbe.phones.get(p) as number}`;
  for (const e of probe.emails) if (fileProbe.emails.has(e)) earlier ??= `the same e-mail address as row ${fileProbe.emails.get(e) as number}`;
  for (const p of probe.phones) if (!fileProbe.phones.has(p)) fileProbe.phones.set(p, row);
  for (const e of probe.emails) if (!fileProbe.emails.has(e)) fileProbe.emails.set(e, row);
  if (probe.name !== '') {
    const prefixes = new Set(probe.name.split(' ').filter((w) => [...w].length >= 2).map((w) => [...w].slice(0, 2).join('')));
    let similar: number | undefined;
    for (const p of prefixes) {
      for (const n of fileProbe.names.get(p) ?? []) if (similar === undefined && similarNames(probe.name, n.name)) similar = n.row;
    }
    if (similar !== undefined) earlier ??= `a similar name as row ${similar}`;
    for (const p of prefixes) {
      const list = fileProbe.names.get(p) ?? [];
      if (list.length < NAME_CANDIDATES) list.push({ name: probe.name, row });
      fileProbe.names.set(p, list);
    }
  }
  // Both are reported: like an earlier row of the file, and like a stored record.
  const [found] = await findDuplicates(trx, om, rec, defaultCountry, undefined, 1, now);
  const why = found?.reasons.map((r) => (r === 'phone' ? 'the same phone number' : r === 'email' ? 'the same e-mail address' : 'a similar name')).join(', ');
  const stored = found ? `duplicates ${om.object.name} ${om.keyText(om.keyValues(found.key))}: ${why as string}` : undefined;
  if (!earlier && !stored) return undefined;
  return { message: [earlier, stored].filter((m) => m !== undefined).join('; '), key: found?.key ?? null };
}

async function writeAudit(trx: StorageSession, repo: ObjectRepository, entries: { field: string; o: unknown; n: unknown; key: unknown[] }[], action: 'create' | 'update', actor: string | undefined): Promise<void> {
  const byKey = new Map<string, { key: unknown[]; list: [string, unknown, unknown][] }>();
  for (const e of entries) {
    const k = JSON.stringify(e.key);
    const g = byKey.get(k) ?? { key: e.key, list: [] };
    g.list.push([e.field, e.o, e.n]);
    byKey.set(k, g);
  }
  for (const g of byKey.values()) await repo.audit(trx, g.key, action, g.list, actor);
}

/** Options of {@link exportCsv}. */
export interface CsvExportOptions {
  readonly where?: Filter;
  /** The fields to write (default: every stored, non-computed field). */
  readonly fields?: readonly string[];
  readonly withDeleted?: boolean;
  readonly onProgress?: (rows: number) => void;
  /**
   * For spreadsheet users: a cell that starts with =, +, - or @ gets an apostrophe in front, so that
   * a spreadsheet shows it as text instead of running it as a formula (CSV injection). Negative
   * numbers get one too, and so do cells that start with apostrophes before such a character (so that
   * the round trip is exact). Import the file with {@link CsvImportOptions.safeFormulas} to strip it.
   * Default false (cells as they are).
   */
  readonly safeFormulas?: boolean;
}

/** Writes the records of an object as CSV (header of field names first). Returns the number of rows. */
export async function exportCsv(objects: BusinessObjectsImpl, objectName: string, write: (chunk: string) => void | Promise<void>, options: CsvExportOptions = {}): Promise<number> {
  const repo = objects.repository(objectName);
  const om = repo.om;
  const fields = (options.fields ?? om.object.fields.filter((f) => !f.computed).map((f) => f.name)).map((n) => {
    const f = om.byName.get(n)?.field;
    if (!f) throw ObjectsErrors.CARUSO_OBJECTS_BAD_QUERY({ object: om.object.name, path: 'fields', reason: `unknown field '${n}'` });
    return f;
  });
  await write(formatCsvRow(fields.map((f) => f.name)));
  let n = 0;
  const page = 5000;
  for (let offset = 0; ; offset += page) {
    const recs = await repo.query({ ...(options.where ? { where: options.where } : {}), ...(options.withDeleted ? { withDeleted: true } : {}), limit: page, offset });
    let out = '';
    const cell = options.safeFormulas ? (f: FieldDef, r: ObjectRecord) => protectFormula(formatText(f, r[f.name])) : (f: FieldDef, r: ObjectRecord) => formatText(f, r[f.name]);
    for (const r of recs) out += formatCsvRow(fields.map((f) => cell(f, r)));
    if (out) await write(out);
    n += recs.length;
    options.onProgress?.(n);
    if (!recs.hasMore) break;
  }
  return n;
}
