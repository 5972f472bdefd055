/**
 * `caruso script`: the script developer's tool. Validate and lint dialogue scripts, run them in
 * the terminal or from an answers file, draw them as a graph, and run the analysts' tests.
 */
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CHANNELS,
  fileSourceReader,
  findScriptTests,
  loadScriptBundle,
  runScriptTestFile,
  scriptGraph,
  simulate,
  type Channel,
  type DialogueStep,
  type LoadedBundle,
  type ScriptObjectModel,
  type SessionIdentity,
  type SimulatedAnswer,
} from '@caruso/dialogue';
import { loadModelFile } from '@caruso/objects';
import { ExitCode, InputError, UsageError, type CommandArea, type CommandIO, type Verb } from '../command.js';

/** The script files named: files as given, the `*.xml` files of folders. A folder without any is an error. */
function scriptFiles(args: string[], cwd: string): string[] {
  const out: string[] = [];
  for (const a of args) {
    const p = resolve(cwd, a);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      out.push(a);
      continue;
    }
    if (isDir) {
      const found = readdirSync(p).filter((n) => n.endsWith('.xml')).sort();
      if (found.length === 0) throw new InputError(`${a}: no script files found (no *.xml in the folder ${p})`);
      out.push(...found.map((n) => join(a, n)));
    } else out.push(a);
  }
  return out;
}

/** The business-object model of `--model`, to check `<fetch object>` and `<action object>` against. */
function modelOf(path: string | undefined, cwd: string): ScriptObjectModel | undefined {
  if (path === undefined) return undefined;
  try {
    return loadModelFile(resolve(cwd, path));
  } catch (err) {
    throw new InputError(`--model ${path}: ${(err as Error).message}`);
  }
}

function load(file: string, cwd: string, objects?: ScriptObjectModel): LoadedBundle | { readonly error: string } {
  const abs = resolve(cwd, file);
  const text = fileSourceReader.read(abs);
  if (text === undefined) {
    let why = 'no such file';
    try {
      if (statSync(abs).isFile()) why = 'it is not readable';
    } catch {
      why = `no such file (looked for ${abs})`;
    }
    return { error: `${file}:1:1: error: cannot read the file: ${why}` };
  }
  // diagnostics name the file as the user wrote it; subscripts resolve against its real place
  const loaded = loadScriptBundle(abs, text, fileSourceReader, objects ? { objects } : {});
  const rel = (p: string): string => (p === abs ? file : p.startsWith(cwd + '/') ? p.slice(cwd.length + 1) : p);
  return { bundle: loaded.bundle, diagnostics: loaded.diagnostics.map((d) => Object.assign(Object.create(Object.getPrototypeOf(d) as object) as typeof d, d, { file: rel(d.file) })) };
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

async function check(args: string[], io: CommandIO, warnings: boolean): Promise<ExitCode> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { quiet: { type: 'boolean', short: 'q' }, model: { type: 'string' } } });
  if (positionals.length === 0) throw new UsageError('name at least one script file or folder');
  const objects = modelOf(values.model, io.cwd);
  const seen = new Set<string>();
  let errors = 0;
  let warns = 0;
  let files = 0;
  for (const file of scriptFiles(positionals, io.cwd)) {
    files++;
    const r = load(file, io.cwd, objects);
    const lines = 'error' in r ? [{ text: r.error, severity: 'error' }] : r.diagnostics.map((d) => ({ text: String(d), severity: d.severity }));
    for (const l of lines) {
      if (seen.has(l.text)) continue;
      seen.add(l.text);
      if (l.severity === 'error') errors++;
      else warns++;
      if (l.severity === 'error' || warnings) io.stdout.write(l.text + '\n');
    }
  }
  if (!values.quiet) {
    // one line: success on stdout, failure on stderr (the problems above are on stdout)
    if (errors === 0) io.stdout.write(`ok: ${plural(files, 'script')}, ${plural(warns, 'warning')}${!warnings && warns > 0 ? ' (caruso script lint shows them)' : ''}\n`);
    else io.stderr.write(`failed: ${plural(files, 'script')}, ${plural(errors, 'error')}, ${plural(warns, 'warning')}\n`);
  }
  return errors > 0 ? ExitCode.BadInput : ExitCode.Ok;
}

function readJson(path: string, cwd: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch {
    throw new InputError(`${path}: cannot read the ${what} file`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: the ${what} file is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`${path}: the ${what} file must hold a JSON object`);
  return v as Record<string, unknown>;
}

/** `--identity`: inline JSON (starts with `{`) or a JSON file naming one key field and its value. */
function identityOf(given: string | undefined, cwd: string): SessionIdentity | undefined {
  if (given === undefined) return undefined;
  let o: Record<string, unknown>;
  if (given.trim().startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(given);
    } catch (err) {
      throw new InputError(`--identity is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError('--identity must be a JSON object');
    o = v as Record<string, unknown>;
  } else {
    o = readJson(given, cwd, 'identity');
  }
  const object = o['$object'];
  const entries = Object.entries(o).filter(([k]) => k !== '$object');
  const [first] = entries;
  if (entries.length !== 1 || !first || typeof first[1] !== 'string' || first[1] === '' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(first[0]) || (object !== undefined && (typeof object !== 'string' || object === ''))) {
    throw new InputError('--identity must name one key field and its value, e.g. {"customerNumber":"K100042"} (and optionally "$object":"Customer")');
  }
  return { field: first[0], key: first[1], ...(typeof object === 'string' ? { object } : {}) };
}

/** `--today`: a real date YYYY-MM-DD; the run's clock stands at noon UTC of that day. */
function todayOf(given: string | undefined): (() => number) | undefined {
  if (given === undefined) return undefined;
  const at = Date.parse(`${given}T12:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(given) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== given) throw new UsageError(`--today must be a date YYYY-MM-DD, not ${given}`);
  return () => at;
}

function loadOrFail(file: string, io: CommandIO, objects?: ScriptObjectModel): NonNullable<LoadedBundle['bundle']> {
  const r = load(file, io.cwd, objects);
  if ('error' in r) throw new InputError(r.error);
  if (!r.bundle) throw new InputError(r.diagnostics.filter((d) => d.severity === 'error').map(String).join('\n'));
  return r.bundle;
}

function channelOf(v: string | undefined): Channel {
  if (v === undefined) throw new UsageError('--channel is required: agent, web or ivr');
  if (!CHANNELS.includes(v as Channel)) throw new UsageError(`--channel ${v}: use agent, web or ivr`);
  return v as Channel;
}

function parseVars(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--var ${kv}: write name=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function showStep(step: DialogueStep, io: CommandIO): void {
  const w = (s: string): boolean => io.stdout.write(s + '\n');
  if (step.error) w(`  ! ${step.error}`);
  w(`[${step.node}] ${step.prompt}`);
  if (step.help) w(`  (help: ${step.help})`);
  for (const c of step.choices ?? []) w(`  - ${c.value}${c.dtmf ? ` [${c.dtmf}]` : ''}: ${c.label}`);
  if (step.kind === 'question') w(`  (${step.type}${step.required ? '' : ', optional'}${step.canGoBack ? '; :back to go back' : ''}; :quit to stop)`);
  else if (step.kind === 'info') w('  (press Enter)');
}

const run: Verb = {
  summary: 'run a script in the terminal, or from an answers file (prints one JSON document)',
  help: `Usage: caruso script run <file> --channel agent|web|ivr [--answers answers.json] [--data data.json]
                           [--var name=value]… [--lang nl] [--model model.xml]
                           [--identity '{"customerNumber":"K100042"}'|identity.json] [--today 2026-03-31]

Without --answers the script runs interactively: type an answer, ':back' or ':quit'.
With --answers it runs without asking and prints one JSON document:
  { "script", "version", "channel", "outcome", "steps": [ { "node", "kind", "prompt", "answer", "error" } ],
    "vars": {…}, "actions": [ { "service", "operation", "params" } ], "path": [ … ] }

  --answers  JSON object: question id → answer, or a list of answers consumed in order when the
             question is asked several times. For ivr, the keys pressed as strings ("1", "1234#").
  --data     JSON object: what fetches and actions return, keyed by object or service and
             operation ("Customer.read", "ServiceRequest.create", "crm.Customers.get"), or by
             service alone for every operation ("crm.Customers"). { "$error": { "code": "invalid",
             "fields": [ { "field", "message" } ] } } makes the call fail; { "$responses": [a, b] }
             answers a, then b.
  --var      an initial variable (repeatable).
  --model    the business-object model: <fetch object> and <action object> are checked against it.
  --identity the identified self-service visitor (as <identify> verified them), as inline JSON or a
             JSON file: one key field and its value, e.g. {"customerNumber":"K100042"}, and
             optionally "$object": "Customer". Scripts read it as identity; web runs need it for
             every <fetch> and <action> not marked anonymous="true".
  --today    the date today() returns (YYYY-MM-DD; the clock stands at noon UTC), as a case of
             caruso script test gives it with "today".
Actions and writes of business objects are recorded, never executed. Exit 1 when the run stops before an <end> or <handoff>.`,
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        channel: { type: 'string' },
        answers: { type: 'string' },
        data: { type: 'string' },
        var: { type: 'string', multiple: true },
        lang: { type: 'string' },
        model: { type: 'string' },
        identity: { type: 'string' },
        today: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('name exactly one script file');
    const channel = channelOf(values.channel);
    const now = todayOf(values.today);
    const identity = identityOf(values.identity, io.cwd);
    const session = { ...(values.lang ? { lang: values.lang } : {}), ...(identity ? { identity } : {}), ...(now ? { now } : {}) };
    const vars = parseVars(values.var);
    const answers = values.answers !== undefined ? readJson(values.answers, io.cwd, 'answers') : undefined;
    const data = values.data !== undefined ? readJson(values.data, io.cwd, 'data') : {};
    const bundle = loadOrFail(positionals[0] as string, io, modelOf(values.model, io.cwd));
    if (answers) {
      const report = await simulate(bundle, { channel, answers, data, vars, ...session });
      io.stdout.write(JSON.stringify(report, null, 2) + '\n');
      if (report.stopped) io.stderr.write(`the run stopped: ${report.stopped}\n`);
      return report.stopped ? ExitCode.BadInput : ExitCode.Ok;
    }
    const rl = createInterface({ input: io.stdin, terminal: false });
    const lines = rl[Symbol.asyncIterator]();
    const onAbort = (): void => rl.close();
    io.signal.addEventListener('abort', onAbort);
    try {
      const report = await simulate(bundle, {
        channel,
        data,
        vars,
        ...session,
        ask: async (step): Promise<SimulatedAnswer> => {
          showStep(step, io);
          if (step.kind === 'info') {
            const l = await lines.next();
            return l.done ? { stop: true } : { value: null };
          }
          const l = await lines.next();
          if (l.done) return { stop: true };
          const text = String(l.value).trim();
          if (text === ':quit') return { stop: true };
          if (text === ':back') {
            if (!step.canGoBack) {
              io.stdout.write('  ! cannot go back here\n');
              return { value: undefined };
            }
            return { back: true };
          }
          return { value: text };
        },
      });
      const last = report.steps.at(-1);
      if (last && (last.kind === 'end' || last.kind === 'handoff')) {
        if (last.prompt) io.stdout.write(`[${last.node}] ${last.prompt}\n`);
        io.stdout.write(`outcome: ${report.outcome}\n`);
      }
      for (const a of report.actions) io.stdout.write(`action (recorded): ${'service' in a ? a.service : a.object}.${a.operation}${'object' in a && a.key !== undefined ? ` key ${JSON.stringify(a.key)}` : ''} ${JSON.stringify(a.params)}\n`);
      if (report.stopped && report.stopped !== 'stopped by the user') io.stderr.write(`the run stopped: ${report.stopped}\n`);
      return report.outcome === null && report.stopped !== 'stopped by the user' ? ExitCode.BadInput : ExitCode.Ok;
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      rl.close();
    }
  },
};

/** The `caruso script` area. */
export const scriptArea: CommandArea = {
  name: 'script',
  summary: 'validate, lint, run, draw and test dialogue scripts',
  verbs: {
    validate: {
      summary: 'check scripts; print each error as file:line:col: error: message',
      help: `Usage: caruso script validate <file|folder>… [--model model.xml] [--quiet]

Checks the structure (dtd/dialogue.dtd) and the meaning of each script and of the subscripts it
uses. Prints one line per error, 'file:line:col: error: message', then one summary line
('ok: 8 scripts, 0 warnings'). Exit 1 on any error, and when a folder holds no script.
  --model  the business-object model: <fetch object> and <action object> are checked against it.
  --quiet  no summary line.`,
      run: (args, io) => check(args, io, false),
    },
    lint: {
      summary: 'like validate, and print the warnings too (unreachable nodes, dead ends …)',
      help: `Usage: caruso script lint <file|folder>… [--model model.xml] [--quiet]

Like 'validate', and prints the warnings too: unreachable nodes, possible dead ends, transitions
that are never taken, shadowed handlers. Exit 1 on any error (warnings alone exit 0), and when a
folder holds no script.`,
      run: (args, io) => check(args, io, true),
    },
    run,
    graph: {
      summary: 'print a script as a graph (mermaid or dot) for review',
      help: `Usage: caruso script graph <file> [--format mermaid|dot]

Prints the script as a Mermaid flowchart (default) or a Graphviz dot graph: one node per script
node, solid edges for <next> (labelled with the cond), dashed edges for <goto>.`,
      async run(args, io) {
        const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string', default: 'mermaid' } } });
        if (positionals.length !== 1) throw new UsageError('name exactly one script file');
        if (values.format !== 'mermaid' && values.format !== 'dot') throw new UsageError(`--format ${values.format}: use mermaid or dot`);
        const bundle = loadOrFail(positionals[0] as string, io);
        io.stdout.write(scriptGraph(bundle.main, values.format));
        return ExitCode.Ok;
      },
    },
    test: {
      summary: "run the analysts' expected runs (*.test.json) of a folder",
      help: `Usage: caruso script test <folder|file.test.json>…

Runs every '*.test.json' file: each names a script and a list of cases (channel, answers, data
keyed by object or service and operation, initial vars, today) with what must come out (outcome,
path of nodes, actions, variables). Prints one line per case and a summary. Exit 1 when a case
fails, and when no test file is found. See docs/script-analyst-guide.md.`,
      async run(args, io) {
        const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
        if (positionals.length === 0) throw new UsageError('name a folder or a test file');
        const files: string[] = [];
        for (const p of positionals) {
          const abs = resolve(io.cwd, p);
          let isDir: boolean;
          try {
            isDir = statSync(abs).isDirectory();
          } catch {
            throw new InputError(`${p}: no such file or folder`);
          }
          files.push(...(isDir ? findScriptTests(abs) : [abs]));
        }
        if (files.length === 0) throw new InputError(`no *.test.json files in ${positionals.join(', ')}`);
        let passed = 0;
        let failed = 0;
        for (const f of files) {
          const results = await runScriptTestFile(f);
          for (const r of results) {
            if (r.passed) passed++;
            else failed++;
            io.stdout.write(`${r.passed ? 'ok  ' : 'FAIL'} ${r.file} › ${r.name}\n`);
            for (const why of r.failures) io.stdout.write(`       ${why}\n`);
          }
        }
        io.stdout.write(`${passed + failed} case(s): ${passed} passed, ${failed} failed\n`);
        return failed ? ExitCode.BadInput : ExitCode.Ok;
      },
    },
  },
};
