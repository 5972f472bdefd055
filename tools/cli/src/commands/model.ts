/**
 * `caruso model`: the business-object modeller's command line (validate, migrate, introspect, diff,
 * import, export).
 */
import { createReadStream, createWriteStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { XmlDiagnostic } from '@caruso/kernel';
import {
  applyMigration,
  BusinessObjectsImpl,
  checkMapping,
  diffModels,
  exportCsv,
  formatChange,
  formatCsvRow,
  importCsv,
  introspectModel,
  planMigration,
  planSql,
  readModelFile,
  requireModel,
  type ImportRowReport,
  type MigrationPlan,
  type Model,
} from '@caruso/objects';
import { createStorage, type StorageManager, type StorageOptions } from '@caruso/storage';
import { ExitCode, InputError, UsageError, type CommandArea, type CommandIO } from '../command.js';
import { readAssembly } from '../assembly/assembly-file.js';

function positionals(args: string[], count: number, usage: string, options: NonNullable<ParseArgsConfig['options']> = {}): { values: Record<string, unknown>; files: string[] } {
  const { values, positionals: pos } = parseArgs({ args, options, allowPositionals: true, strict: true });
  // count -1: any number (the verb checks).
  if (count >= 0 && pos.length !== count) throw new UsageError(`expected ${usage}`);
  return { values: values as Record<string, unknown>, files: pos };
}

/**
 * The model file and database of the assembly in the working folder (`assembly.xml`, or the one
 * `--assembly` names): what `caruso model validate` and `caruso model migrate` use when no model
 * file is given, as the integrator guide writes them from an assembly's folder.
 */
function fromAssembly(io: CommandIO, given: unknown, usage: string): { model: string; db: string } {
  const file = typeof given === 'string' && given !== '' ? given : 'assembly.xml';
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) throw new UsageError(`expected ${usage}, or run it in a folder with an assembly.xml (or give --assembly <file>)`);
  const { assembly, diagnostics } = readAssembly(path, io.env);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!assembly) throw new InputError(errors.map(String).join('\n') || `error: ${file}: cannot read the assembly`);
  if (!assembly.model) throw new InputError(`error: ${file}: the assembly has no <model src>; give the model file`);
  return { model: relative(io.cwd, assembly.model.src) || assembly.model.src, db: assembly.storageUrl };
}

function loadModel(file: string, io: CommandIO): { model: Model | undefined; diagnostics: XmlDiagnostic[] } {
  const path = resolve(io.cwd, file);
  const r = readModelFile(path);
  // Print paths as the user wrote them.
  const diagnostics = r.diagnostics.map((d) => new XmlDiagnostic(d.file === path ? file : d.file, d.line, d.col, d.severity, d.message, d.code));
  return { model: r.model, diagnostics };
}

function requireLoaded(file: string, io: CommandIO): Model {
  const { model, diagnostics } = loadModel(file, io);
  if (!model) throw new InputError(diagnostics.map(String).join('\n'));
  for (const d of diagnostics) io.stderr.write(`${d.toString()}\n`);
  return requireModel(model, diagnostics, file);
}

async function withStorage<T>(url: unknown, fn: (s: StorageManager) => Promise<T>, options: Omit<StorageOptions, 'url'> = {}): Promise<T> {
  if (typeof url !== 'string' || url === '') throw new UsageError('--db <url> is required (e.g. sqlite:./data/crm.db or postgres://…)');
  const storage = await createStorage({ ...options, url });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

/** A progress bar on stderr: drawn when stderr is a terminal or --progress is given. */
function progressBar(io: CommandIO, enabled: boolean, total: number, label: string): { update(done: number, rows: number): void; finish(): void } {
  if (!enabled) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  const draw = (done: number, rows: number): void => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    io.stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(frac * 100)).padStart(3)}% ${rows} rows`);
  };
  return {
    update(done, rows) {
      const t = Date.now();
      if (t - last < 100) return;
      last = t;
      draw(done, rows);
    },
    finish() {
      io.stderr.write('\n');
    },
  };
}

const validate = {
  summary: 'check a model file; with --db also that mapped legacy tables and columns exist',
  help: `Usage: caruso model validate [<model.xml>] [--db <url>] [--assembly <assembly.xml>]

Prints file:line:col: error: message for each problem and exits 1; prints a one-line summary
(ok: …) and exits 0 when the model is clean. Without a model file, the model of the assembly in
the working folder (assembly.xml, or --assembly) is checked.

Options:
  --db <url>         also check that every table and column of the unmanaged (legacy) objects exists
  --assembly <file>  the assembly whose <model src> to check when no model file is given`,
  async run(args: string[], io: CommandIO): Promise<ExitCode> {
    const { values, files: given } = positionals(args, -1, '<model.xml>', { db: { type: 'string' }, assembly: { type: 'string' } });
    if (given.length > 1) throw new UsageError('expected one <model.xml>');
    const file = given[0] ?? fromAssembly(io, values['assembly'], '<model.xml>').model;
    const { model, diagnostics } = loadModel(file, io);
    const out = [...diagnostics];
    if (model && values['db'] !== undefined) {
      await withStorage(values['db'], async (storage) => {
        const { errors } = await checkMapping(model, storage, { onlyUnmanaged: true });
        for (const e of errors) {
          const at = e.field?.origin ?? e.object.origin;
          out.push(new XmlDiagnostic(at.file === resolve(io.cwd, file) ? file : at.file, at.line, at.col, 'error', e.message, 'missing-column'));
        }
      });
    }
    out.sort(XmlDiagnostic.compare);
    for (const d of out) io.stderr.write(`${d.toString()}\n`);
    if (!model || out.some((d) => d.severity === 'error')) return ExitCode.BadInput;
    const warnings = out.filter((d) => d.severity === 'warning').length;
    io.stdout.write(`ok: ${file}: ${model.objects.length} objects, ${model.objects.reduce((n, o) => n + o.fields.length, 0)} fields${values['db'] !== undefined ? ', legacy tables checked' : ''}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
    return ExitCode.Ok;
  },
};

interface RefusalDetail {
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly origin?: { readonly file: string; readonly line: number; readonly col: number };
  readonly message: string;
}

/** Prints refused (lossy) type changes as `file:line:col: error: …`; nothing was changed. */
function printRefusals(refusals: readonly RefusalDetail[], file: string, io: CommandIO): ExitCode {
  const path = resolve(io.cwd, file);
  for (const r of refusals) {
    const at = r.origin ?? { file: r.file ?? file, line: r.line ?? 1, col: r.col ?? 1 };
    io.stderr.write(`${new XmlDiagnostic(at.file === path ? file : at.file, at.line, at.col, 'error', r.message, 'lossy-type-change').toString()}\n`);
  }
  io.stderr.write(`the migration was refused (${refusals.length} lossy type change(s)); nothing was changed\n`);
  return ExitCode.BadInput;
}

const migrate = {
  summary: 'create and alter the managed tables of a model (never the unmanaged ones)',
  help: `Usage: caruso model migrate [<model.xml>] [--db <url>] [--dry-run] [--assembly <assembly.xml>]

Creates missing tables, adds missing columns and unique constraints, renames tables and columns
whose stable id was kept, and widens column types (a longer string, string → text, integer →
decimal, more decimal digits, date → datetime; SQLite rebuilds the table). Refuses lossy type
changes with file:line:col errors (exit 1). Never drops anything and never touches managed="false"
tables. Everything runs in one transaction: a failure leaves the database unchanged.

Without a model file, the model and the database of the assembly in the working folder
(assembly.xml, or --assembly) are used: \`caruso model migrate --dry-run\` in an assembly's folder.

Options:
  --db <url>         the database (default with an assembly: its storage URL, CARUSO_DB_URL included)
  --dry-run          print the SQL instead of running it; touches nothing (a SQLite file is opened
                     read-only, and one that does not exist is not created: the plan is for an empty database)
  --assembly <file>  the assembly whose model and database to use when no model file is given`,
  async run(args: string[], io: CommandIO): Promise<ExitCode> {
    const { values, files: given } = positionals(args, -1, '<model.xml>', { db: { type: 'string' }, 'dry-run': { type: 'boolean' }, assembly: { type: 'string' } });
    if (given.length > 1) throw new UsageError('expected one <model.xml>');
    const files = given.length ? given : [fromAssembly(io, values['assembly'], '<model.xml>').model];
    if (given.length === 0 && values['db'] === undefined) values['db'] = fromAssembly(io, values['assembly'], '<model.xml>').db;
    const model = requireLoaded(files[0] as string, io);
    if (values['dry-run']) {
      const printPlan = async (storage: StorageManager): Promise<ExitCode> => {
        const plan = await planMigration(model, storage);
        for (const w of plan.warnings) io.stderr.write(`warning: ${w}\n`);
        if (plan.refusals.length) return printRefusals(plan.refusals, files[0] as string, io);
        const sql = planSql(plan, storage.knex);
        io.stdout.write(sql.length ? `${sql.join('\n')}\n` : '-- the database is up to date\n');
        return ExitCode.Ok;
      };
      // A dry run looks without touching: SQLite opens read-only, which never creates a missing file.
      try {
        return await withStorage(values['db'], printPlan, { sqlite: { readOnly: true } });
      } catch (err) {
        const details = (err as { code?: unknown; details?: { driverCode?: unknown } }).details;
        if ((err as { code?: unknown }).code !== 'CARUSO_STORAGE_CONNECTION_FAILED' || details?.driverCode !== 'SQLITE_CANTOPEN') throw err;
        // The file does not exist yet: the plan is the one for an empty database.
        io.stderr.write(`note: ${String(values['db'])} does not exist yet; the plan is for an empty database and nothing was created\n`);
        return withStorage('sqlite::memory:', printPlan);
      }
    }
    return withStorage(values['db'], async (storage) => {
      let plan: MigrationPlan;
      try {
        plan = await applyMigration(model, storage);
      } catch (err) {
        const refusals = (err as { code?: unknown; details?: { refusals?: unknown } }).details?.refusals;
        if ((err as { code?: unknown }).code !== 'CARUSO_OBJECTS_LOSSY_SCHEMA_CHANGE' || !Array.isArray(refusals)) throw err;
        return printRefusals(refusals as RefusalDetail[], files[0] as string, io);
      }
      for (const w of plan.warnings) io.stderr.write(`warning: ${w}\n`);
      for (const s of plan.steps) io.stdout.write(`${s.summary}\n`);
      io.stdout.write(plan.steps.length ? `applied ${plan.steps.length} step(s)\n` : 'the database is up to date\n');
      return ExitCode.Ok;
    });
  },
};

const introspect = {
  summary: 'write a model XML from an existing database (the start of a legacy mapping)',
  help: `Usage: caruso model introspect --db <url> [--tables a,b] [--out model.xml] [--name <model>]

Every table becomes an object with managed="false"; columns become fields, primary keys keys,
foreign keys many-to-one relations (with their one-to-many inverse).`,
  async run(args: string[], io: CommandIO): Promise<ExitCode> {
    const { values } = positionals(args, 0, 'no file arguments', {
      db: { type: 'string' },
      tables: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
    });
    const tables = typeof values['tables'] === 'string' ? (values['tables'] as string).split(',').map((t) => t.trim()).filter(Boolean) : undefined;
    const xml = await withStorage(values['db'], async (storage) => {
      if (tables) for (const t of tables) if (!(await storage.hasTable(t))) throw new InputError(`error: table ${t} does not exist in ${storage.displayUrl}`);
      return introspectModel(storage, { ...(tables ? { tables } : {}), ...(typeof values['name'] === 'string' ? { modelName: values['name'] as string } : {}) });
    });
    if (typeof values['out'] === 'string') writeFileSync(resolve(io.cwd, values['out'] as string), xml);
    else io.stdout.write(xml);
    return ExitCode.Ok;
  },
};

const diff = {
  summary: 'list the differences between two models (renames found by stable id)',
  help: `Usage: caruso model diff <a.xml> <b.xml>

One line per change: + added, - removed, ~ changed or renamed. Prints nothing when equal.`,
  async run(args: string[], io: CommandIO): Promise<ExitCode> {
    const { files } = positionals(args, 2, '<a.xml> <b.xml>');
    const a = requireLoaded(files[0] as string, io);
    const b = requireLoaded(files[1] as string, io);
    for (const c of diffModels(a, b)) io.stdout.write(`${formatChange(c)}\n`);
    return ExitCode.Ok;
  },
};

const csvOptions = {
  model: { type: 'string' },
  db: { type: 'string' },
  progress: { type: 'boolean' },
  'safe-formulas': { type: 'boolean' },
} as const;

/** Writes the per-row report of an import as CSV (row, line, status, message, key). */
function writeRowReport(path: string, rows: readonly ImportRowReport[]): void {
  const lines = [formatCsvRow(['row', 'line', 'status', 'message', 'key'])];
  for (const r of rows) lines.push(formatCsvRow([String(r.row), String(r.line), r.status, r.message, r.key === null || r.key === undefined ? '' : typeof r.key === 'object' ? JSON.stringify(r.key) : String(r.key)]));
  writeFileSync(path, lines.join(''));
}

/** The rows a person must look at: errors, duplicates, rows not written. */
function printRowProblems(io: CommandIO, csv: string, rows: readonly ImportRowReport[], limit = 100): void {
  const shown = rows.filter((r) => r.status === 'error' || r.status === 'duplicate');
  for (const r of shown.slice(0, limit)) io.stderr.write(`${csv}:${r.line}: ${r.status === 'error' ? 'rejected' : 'duplicate'}: ${r.message}\n`);
  if (shown.length > limit) io.stderr.write(`… and ${shown.length - limit} more (write them all with --report <file.csv>)\n`);
}

const importVerb = {
  summary: 'import a CSV file into an object, updating by a business key',
  help: `Usage: caruso model import <Object> <file.csv> --model <model.xml> --db <url> [--key f1,f2]
       [--skip-bad-rows] [--preview] [--skip-duplicates] [--report <report.csv>] [--safe-formulas] [--progress]

The first line names the fields. Rows whose key exists are updated, the others created. Phone
numbers are stored in E.164 (read in the model's defaultCountry). The import is all or nothing:
when any row is rejected nothing is written and every rejected row is listed (exit 1);
--skip-bad-rows writes the good rows and reports the bad ones (exit 1 when there were any).
--preview checks every row and looks for duplicates without writing anything. A progress bar is
drawn on stderr when it is a terminal or with --progress.

Options:
  --model <file>      the model
  --db <url>          the database
  --key f1,f2         the fields to match existing records by (default: the object's businessKey, else its key)
  --skip-bad-rows     write the good rows even when some are rejected (--partial is the older name)
  --preview           validate and find duplicates, write nothing; prints what each row would become
  --skip-duplicates   do not create a row that duplicates a stored record (same phone or e-mail,
                      similar name) or an earlier row; it is reported as a duplicate
  --report <file>     write the per-row report (row, line, status, message, key) as CSV; - for stdout
  --safe-formulas     read a file written by export --safe-formulas: strip the apostrophe in front of
                      cells that start with =, +, - or @
  --progress          draw the progress bar even when stderr is not a terminal`,
  async run(args: string[], io: CommandIO): Promise<ExitCode> {
    const { values, files } = positionals(args, 2, '<Object> <file.csv>', {
      ...csvOptions,
      key: { type: 'string' },
      partial: { type: 'boolean' },
      'skip-bad-rows': { type: 'boolean' },
      preview: { type: 'boolean' },
      'skip-duplicates': { type: 'boolean' },
      report: { type: 'string' },
    });
    if (typeof values['model'] !== 'string') throw new UsageError('--model <model.xml> is required');
    const model = requireLoaded(values['model'] as string, io);
    const [object, csv] = files as [string, string];
    const path = resolve(io.cwd, csv);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new InputError(`error: cannot read ${csv}`);
    }
    const preview = Boolean(values['preview']);
    const reportTo = values['report'] as string | undefined;
    const emitReport = (rows: readonly ImportRowReport[]): void => {
      if (reportTo === undefined) return;
      if (reportTo === '-') {
        const lines = [formatCsvRow(['row', 'line', 'status', 'message', 'key'])];
        for (const r of rows) lines.push(formatCsvRow([String(r.row), String(r.line), r.status, r.message, r.key === null || r.key === undefined ? '' : JSON.stringify(r.key)]));
        io.stdout.write(lines.join(''));
      } else writeRowReport(resolve(io.cwd, reportTo), rows);
    };
    const bar = progressBar(io, Boolean(values['progress']) || io.stderr.isTTY === true, size, `${preview ? 'checking' : 'importing'} ${object}`);
    return withStorage(values['db'], async (storage) => {
      const objects = new BusinessObjectsImpl(model, storage);
      const stream = createReadStream(path);
      try {
        const report = await importCsv(objects, object, stream, {
          file: csv,
          mode: values['skip-bad-rows'] || values['partial'] ? 'skip-bad-rows' : 'all-or-nothing',
          preview,
          ...(values['skip-duplicates'] ? { duplicates: 'skip' as const } : {}),
          safeFormulas: Boolean(values['safe-formulas']),
          signal: io.signal,
          ...(typeof values['key'] === 'string' ? { key: (values['key'] as string).split(',').map((k) => k.trim()) } : {}),
          onProgress: (done) => bar.update(stream.bytesRead, done),
        });
        bar.update(size, report.total);
        bar.finish();
        printRowProblems(io, csv, report.rows);
        emitReport(report.rows);
        const summary = `${report.created} ${preview ? 'to create' : 'created'}, ${report.updated} ${preview ? 'to update' : 'updated'}, ${report.unchanged} unchanged, ${report.duplicates} duplicate(s), ${report.rejected.length} rejected`;
        io.stdout.write(`${preview ? 'preview (nothing written): ' : ''}${report.total} row(s): ${summary}\n`);
        return report.rejected.length ? ExitCode.BadInput : ExitCode.Ok;
      } catch (err) {
        bar.finish();
        const details = (err as { details?: { rows?: ImportRowReport[] } }).details;
        if ((err as { code?: string }).code === 'CARUSO_OBJECTS_IMPORT_REJECTED' && details?.rows) {
          printRowProblems(io, csv, details.rows);
          emitReport(details.rows);
        }
        throw err;
      } finally {
        stream.destroy();
      }
    });
  },
};

const exportVerb = {
  summary: 'export the records of an object as CSV',
  help: `Usage: caruso model export <Object> <file.csv> --model <model.xml> --db <url> [--safe-formulas] [--progress]

Writes a header of field names and one line per record (computed fields are left out, so that the
file can be imported again). Use - as the file to write to standard output.

Options:
  --safe-formulas  for spreadsheet users: put an apostrophe in front of cells that start with =, +,
                   - or @, so that a spreadsheet shows them as text instead of running a formula;
                   import the file again with --safe-formulas to strip it`,
  async run(args: string[], io: CommandIO): Promise<ExitCode> {
    const { values, files } = positionals(args, 2, '<Object> <file.csv>', csvOptions);
    if (typeof values['model'] !== 'string') throw new UsageError('--model <model.xml> is required');
    const model = requireLoaded(values['model'] as string, io);
    const [object, csv] = files as [string, string];
    return withStorage(values['db'], async (storage) => {
      const objects = new BusinessObjectsImpl(model, storage);
      const total = await objects.repository(object).count();
      const bar = progressBar(io, Boolean(values['progress']) || io.stderr.isTTY === true, total, `exporting ${object}`);
      if (csv === '-') {
        const n = await exportCsv(objects, object, (chunk) => void io.stdout.write(chunk), { safeFormulas: Boolean(values['safe-formulas']), onProgress: (r) => bar.update(r, r) });
        bar.finish();
        io.stderr.write(`${n} row(s) exported\n`);
        return ExitCode.Ok;
      }
      const out = createWriteStream(resolve(io.cwd, csv));
      const n = await exportCsv(
        objects,
        object,
        (chunk) =>
          new Promise<void>((res, rej) => {
            out.write(chunk, (e) => (e ? rej(e) : res()));
          }),
        { safeFormulas: Boolean(values['safe-formulas']), onProgress: (r) => bar.update(r, r) },
      );
      await new Promise<void>((res) => out.end(res));
      bar.finish();
      io.stdout.write(`${n} row(s) exported to ${csv}\n`);
      return ExitCode.Ok;
    });
  },
};

/** `caruso model …`. */
export const modelArea: CommandArea = {
  name: 'model',
  summary: 'business-object models: validate, migrate, introspect, diff, import and export CSV',
  verbs: { validate, migrate, introspect, diff, import: importVerb, export: exportVerb },
};
