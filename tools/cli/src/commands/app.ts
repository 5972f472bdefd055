/**
 * `caruso app`: the application builder's command line (validate, scaffold).
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { childElements, parseXml, XmlDiagnostic } from '@caruso/kernel';
import { fileSourceReader, identifiedDataAccess, loadScriptBundle, scriptVariables } from '@caruso/dialogue';
import { readApplicationFile, scaffoldApplication } from '@caruso/frontoffice';
import { readReportFolder, ReportCatalogue, type ReportDefinition } from '@caruso/monitor';
import { readModelFile, type Model } from '@caruso/objects';
import { ExitCode, InputError, UsageError, type CommandArea, type CommandIO } from '../command.js';
import { readAssembly } from '../assembly/assembly-file.js';

function relabel(diags: readonly XmlDiagnostic[], path: string, file: string): XmlDiagnostic[] {
  return diags.map((d) => new XmlDiagnostic(d.file === path ? file : d.file, d.line, d.col, d.severity, d.message, d.code));
}

function model(file: unknown, io: CommandIO): Model {
  if (typeof file !== 'string' || file === '') throw new UsageError('--model <model.xml> is required');
  const path = resolve(io.cwd, file);
  const r = readModelFile(path);
  if (!r.model) throw new InputError(relabel(r.diagnostics, path, file).filter((d) => d.severity === 'error').map(String).join('\n'));
  return r.model;
}

/**
 * The ids of the scripts of a folder, and per id what it reads or changes on the web that needs an
 * identified visitor (files that do not load are reported by `caruso script validate`).
 */
function scriptIds(folder: string, io: CommandIO): { ids: Set<string>; access: Map<string, readonly string[]>; variables: Set<string> } {
  const dir = resolve(io.cwd, folder);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.xml'));
  } catch {
    throw new InputError(`error: ${folder}: cannot read the scripts folder`);
  }
  if (names.length === 0) throw new InputError(`error: ${folder}: no dialogue scripts (*.xml) found`);
  const ids = new Set<string>();
  const access = new Map<string, readonly string[]>();
  // The variables the scripts declare or collect: what a `<screenpop by="field" var>` may name.
  const variables = new Set<string>();
  for (const n of names) {
    const loaded = loadScriptBundle(join(dir, n), readFileSync(join(dir, n), 'utf8'), fileSourceReader);
    if (!loaded.bundle) continue;
    ids.add(loaded.bundle.main.id);
    access.set(loaded.bundle.main.id, identifiedDataAccess(loaded.bundle).map((a) => a.replace(`${dir}/`, '')));
    for (const v of scriptVariables(loaded.bundle)) variables.add(v);
  }
  return { ids, access, variables };
}

/** The report names a dashboard may show: the built-in reports and those of a folder of definitions (*.json). */
function reportNames(folder: string | undefined, io: CommandIO): Set<string> {
  let own: readonly ReportDefinition[] = [];
  if (folder !== undefined) {
    let read;
    try {
      read = readReportFolder(resolve(io.cwd, folder));
    } catch {
      throw new InputError(`error: ${folder}: cannot read the reports folder`);
    }
    if (read.problems.length) throw new InputError(read.problems.map((p) => `${join(folder, p.file)}:1:1: error: ${p.message}`).join('\n'));
    own = read.definitions;
  }
  try {
    return new Set(new ReportCatalogue(own).names());
  } catch (err) {
    throw new InputError(`error: ${folder ?? 'reports'}: ${(err as Error).message}`);
  }
}

/** The queue ids of an assembly file (`--assembly`), read without starting anything. */
function assemblyQueues(file: string, io: CommandIO): Set<string> {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`error: ${file}: cannot read the assembly file`);
  }
  const parsed = parseXml(text, file);
  if (!parsed.root) throw new InputError(parsed.diagnostics.map(String).join('\n'));
  if (parsed.root.name !== 'assembly') throw new InputError(`${file}:1:1: error: the root element must be <assembly>, not <${parsed.root.name}>`);
  const comms = childElements(parsed.root, 'comms')[0];
  return new Set((comms ? childElements(comms, 'queue') : []).map((q) => q.attributes['id'] ?? '').filter(Boolean));
}

const validate = {
  summary: 'check an application definition against a model (and a folder of scripts)',
  help: `Usage: caruso app validate <app.xml> --model <model.xml> [--scripts <folder>] [--reports <folder>] [--assembly <assembly.xml>]
       caruso app validate [--assembly <assembly.xml>]

Prints file:line:col: error: message for each problem (unknown objects, fields, relations, roles,
views, scripts, queues, reports, a language without texts) and exits 1; prints a one-line summary
(ok: …) and exits 0 when the definition is clean. Without <app.xml>, the application of the
assembly in the working folder (assembly.xml, or --assembly) is checked with its model, scripts,
queues and reports.

Options:
  --model <model.xml>   the business-object model the application is written for (required)
  --scripts <folder>    the dialogue scripts; every script named must exist there (a folder
                        without *.xml files is an error)
  --reports <folder>    the company's report definitions (*.json, as <monitor><reports folder>);
                        a dashboard's report widget must name one of them or a built-in report
  --assembly <file>     the assembly: every queue named (desktop scripts, self-service pages,
                        follow-ups) must be one of its queues`,
  async run(args: string[], io: CommandIO): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args, options: { model: { type: 'string' }, scripts: { type: 'string' }, reports: { type: 'string' }, assembly: { type: 'string' } }, allowPositionals: true, strict: true });
    if (positionals.length > 1) throw new UsageError('expected one <app.xml>');
    if (positionals.length === 0) {
      // The application of an assembly: everything comes from the assembly file.
      const given = values.assembly ?? 'assembly.xml';
      const at = resolve(io.cwd, given);
      if (!existsSync(at)) throw new UsageError('expected <app.xml>, or run it in a folder with an assembly.xml (or give --assembly <file>)');
      const { assembly, diagnostics } = readAssembly(at, io.env);
      const shown = (p: string): string => relative(io.cwd, p) || p;
      for (const d of diagnostics) io.stderr.write(`${d.toString()}\n`);
      if (!assembly) return ExitCode.BadInput;
      if (!assembly.application || !assembly.model) throw new InputError(`error: ${given}: the assembly has no <application src> and <model src> to check`);
      const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
      io.stdout.write(`ok: ${shown(assembly.application)}: checked with the assembly ${given} (its model, ${assembly.scripts ? 'scripts, ' : ''}${assembly.queues.length} queues and reports), ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
      return ExitCode.Ok;
    }
    const file = positionals[0] as string;
    const m = model(values.model, io);
    const scripts = values.scripts === undefined ? undefined : scriptIds(values.scripts, io);
    const queues = values.assembly === undefined ? undefined : assemblyQueues(values.assembly, io);
    const path = resolve(io.cwd, file);
    const reports = reportNames(values.reports, io);
    const r = readApplicationFile(path, { model: m, reports, ...(queues ? { queues } : {}), ...(scripts ? { scripts: scripts.ids, identifiedDataAccess: scripts.access, variables: scripts.variables } : {}) });
    const diags = relabel(r.diagnostics, path, file);
    for (const d of diags) io.stderr.write(`${d.toString()}\n`);
    if (diags.some((d) => d.severity === 'error') || !r.application) return ExitCode.BadInput;
    const a = r.application;
    const warnings = diags.filter((d) => d.severity === 'warning').length;
    io.stdout.write(
      `ok: ${file}: ${a.lists.length} lists, ${a.records.length} record pages, ${a.desktop.scripts.length} desktop scripts, ${a.selfService.length} self-service pages, ${a.dashboards.length} dashboards${scripts ? `, checked against ${scripts.ids.size} scripts` : ''}${queues ? ` and ${queues.size} queues` : ''}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`,
    );
    return ExitCode.Ok;
  },
};

const scaffold = {
  summary: 'write a complete default application definition for a model',
  help: `Usage: caruso app scaffold --model <model.xml> [--out <app.xml>] [--name <name>] [--force]

Writes a list and a record page per object, grants per role, navigation, the agent desktop (screen
pop by phone and e-mail fields, wrap-up codes, pause reasons) and a wallboard. Without --out the
definition goes to standard output.

Options:
  --model <model.xml>   the business-object model (required)
  --out <app.xml>       the file to write (refuses to overwrite without --force)
  --name <name>         the application's name (default: the model's)`,
  async run(args: string[], io: CommandIO): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args, options: { model: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, force: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length !== 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const m = model(values.model, io);
    const text = scaffoldApplication(m, values.name === undefined ? {} : { name: values.name });
    if (values.out === undefined) {
      io.stdout.write(text);
      return ExitCode.Ok;
    }
    const out = resolve(io.cwd, values.out);
    if (existsSync(out) && !values.force) throw new InputError(`error: ${values.out} exists; pass --force to overwrite it`);
    writeFileSync(out, text);
    io.stdout.write(`wrote ${values.out}\n`);
    return ExitCode.Ok;
  },
};

export const appArea: CommandArea = {
  name: 'app',
  summary: 'application builder: validate and scaffold application definitions',
  verbs: { validate, scaffold },
};
