/**
 * Runs a script without a database or services, for analysts: answers come from a map (or a
 * callback), `<fetch>` data from a map, and actions are recorded. Used by `caruso script run` and
 * by the analysts' test format run by `caruso script test`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ScriptValue } from './common/expression.js';
import { equals } from './common/expression.js';
import { CHANNELS, type Channel, type ScriptBundle, type Variables } from './common/model.js';
import { DialogueErrors } from './errors.js';
import { loadScriptBundle } from './script-bundle.js';
import { RecordingServices, type RecordedAction } from './script-services.js';
import { fileSourceReader } from './script-store.js';
import { SessionRuntime, type DialogueStep, type SessionIdentity, type StepResult } from './session-runtime.js';

/** One shown step of a simulated run. */
export interface RunStep {
  readonly node: string;
  readonly kind: DialogueStep['kind'];
  readonly prompt: string;
  /** The answer given (absent for steps that take none). */
  readonly answer?: unknown;
  /** Why the step was shown again. */
  readonly error?: string;
}

/** The JSON document `caruso script run --answers` prints. */
export interface RunReport {
  readonly script: string;
  readonly version: string;
  readonly channel: Channel;
  /** The `<end>` outcome, `handoff:<queue>` for a hand-off, or null when the run stopped early. */
  readonly outcome: string | null;
  readonly steps: RunStep[];
  readonly vars: Variables;
  readonly actions: RecordedAction[];
  /** Every node entered, in order (decisions and subscripts included, skipped nodes not). */
  readonly path: string[];
  /** Why the run stopped early (no answer left, a loop of re-asks, a run-time error). */
  readonly stopped?: string;
}

/** What an answer source returns: a value, or a request to go back or to stop. */
export type SimulatedAnswer = { readonly value: unknown } | { readonly back: true } | { readonly stop: true };

/** Options of {@link simulate}. */
export interface SimulateOptions {
  readonly channel: Channel;
  /** Question id → answer, or an array of answers consumed in order. */
  readonly answers?: Readonly<Record<string, unknown>>;
  /** Asked for each step when `answers` is not given (interactive runs). */
  readonly ask?: (step: DialogueStep) => Promise<SimulatedAnswer>;
  /** `<fetch source>` → the data it returns. */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly vars?: Variables;
  readonly lang?: string;
  /** The identified visitor of a web run (what self-service verified). */
  readonly identity?: SessionIdentity;
  /** The clock (tests pin it). */
  readonly now?: () => number;
  /** Most steps before the run is stopped. Default 1,000. */
  readonly maxSteps?: number;
}

/** Runs `bundle` to its end (or until answers run out) and reports what happened. */
export async function simulate(bundle: ScriptBundle, options: SimulateOptions): Promise<RunReport> {
  const services = new RecordingServices(options.data ?? {});
  const runtime = new SessionRuntime({ services, ...(options.now ? { now: options.now } : {}) });
  const steps: RunStep[] = [];
  const path: string[] = [];
  const used = new Map<string, number>();
  const track = (r: StepResult): StepResult => {
    for (const t of r.trace) if (t.type === 'enter' && !t.skipped) path.push(t.node);
    return r;
  };
  let stopped: string | undefined;
  let res: StepResult | undefined;
  try {
    res = track(await runtime.start(bundle, { id: 'simulation', hash: '', channel: options.channel, ...(options.vars ? { vars: options.vars } : {}), ...(options.lang ? { lang: options.lang } : {}), ...(options.identity ? { identity: options.identity } : {}) }));
    const max = options.maxSteps ?? 1000;
    for (let i = 0; res.state.status === 'active'; i++) {
      const step = res.step;
      if (i >= max) {
        stopped = `stopped after ${max} steps`;
        break;
      }
      let given: SimulatedAnswer;
      if (options.answers) {
        if (step.kind === 'info') given = { value: null };
        else {
          const raw = options.answers[step.node];
          const n = used.get(step.node) ?? 0;
          const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
          if (n >= list.length) {
            steps.push({ node: step.node, kind: step.kind, prompt: step.prompt, ...(step.error !== undefined ? { error: step.error } : {}) });
            stopped = `no ${n === 0 ? '' : 'more '}answer for question '${step.node}' in the answers`;
            break;
          }
          used.set(step.node, n + 1);
          given = { value: list[n] };
        }
      } else if (options.ask) given = await options.ask(step);
      else given = { stop: true };
      if ('stop' in given) {
        stopped = 'stopped by the user';
        break;
      }
      if ('back' in given) {
        res = track(runtime.back(bundle, res.state));
        continue;
      }
      steps.push({ node: step.node, kind: step.kind, prompt: step.prompt, ...(step.kind === 'question' ? { answer: given.value } : {}), ...(step.error !== undefined ? { error: step.error } : {}) });
      res = track(await runtime.answer(bundle, res.state, given.value));
    }
  } catch (err) {
    stopped = (err as Error).message;
  }
  if (res && res.state.status !== 'active') steps.push({ node: res.step.node, kind: res.step.kind, prompt: res.step.prompt });
  const state = res?.state;
  const outcome = !state ? null : state.status === 'ended' ? (state.outcome ?? null) : state.status === 'handoff' ? `handoff:${state.handoff?.queue ?? ''}` : null;
  return {
    script: bundle.main.id,
    version: bundle.main.version,
    channel: options.channel,
    outcome,
    steps,
    vars: state?.vars ?? {},
    actions: services.actions,
    path,
    ...(stopped !== undefined ? { stopped } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The analysts' test format: `<name>.test.json` next to the scripts.

/** One expected run. */
export interface ScriptTestCase {
  readonly name: string;
  readonly channel: Channel;
  readonly answers: Readonly<Record<string, unknown>>;
  /**
   * What fetches and actions return, keyed by object or service and operation (`"Customer.read"`,
   * `"ServiceRequest.create"`, `"crm.Customers.get"`), or by service alone for every operation of
   * that service (the older form); see {@link RecordingServices}.
   */
  readonly data?: Readonly<Record<string, unknown>>;
  /** The date `today()` returns in this case (`YYYY-MM-DD`); overrides the file's `today`. */
  readonly today?: string;
  readonly vars?: Variables;
  readonly lang?: string;
  /**
   * A web visitor identified by the application's second factor: one key field and its value, e.g.
   * `{ "customerNumber": "K100042" }`.
   */
  readonly identity?: Readonly<Record<string, string>>;
  /** Expected `<end>` outcome (or `handoff:<queue>`). */
  readonly outcome?: string;
  /** Expected nodes entered, in order (exactly). */
  readonly path?: readonly string[];
  /** Expected actions (exactly, in order). */
  readonly actions?: readonly RecordedAction[];
  /** Expected values of some variables at the end. */
  readonly expectVars?: Variables;
}

/** A test file. */
export interface ScriptTestFile {
  /** The script file, relative to the test file. */
  readonly script: string;
  /** The date `today()` returns, for repeatable runs (`YYYY-MM-DD`); a case may give its own. */
  readonly today?: string;
  readonly cases: readonly ScriptTestCase[];
}

/** The result of one case. */
export interface ScriptTestResult {
  readonly file: string;
  readonly name: string;
  readonly passed: boolean;
  /** What differed (empty when passed). */
  readonly failures: string[];
  readonly report?: RunReport;
}

function invalid(file: string, reason: string): never {
  throw DialogueErrors.CARUSO_DIALOGUE_INVALID_TEST({ file, reason });
}

/** Reads and checks a test file (throws CARUSO_DIALOGUE_INVALID_TEST). */
export function readScriptTestFile(file: string): ScriptTestFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    invalid(file, `not readable JSON: ${(err as Error).message}`);
  }
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) invalid(file, 'the file must hold a JSON object');
  for (const k of Object.keys(o)) if (!['script', 'today', 'cases'].includes(k)) invalid(file, `unknown field '${k}' (allowed: script, today, cases)`);
  if (typeof o['script'] !== 'string') invalid(file, "'script' must name the script file");
  if (o['today'] !== undefined && (typeof o['today'] !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(o['today']))) invalid(file, "'today' must be a date YYYY-MM-DD");
  if (!Array.isArray(o['cases']) || o['cases'].length === 0) invalid(file, "'cases' must be a non-empty list");
  const allowed = ['name', 'channel', 'answers', 'data', 'today', 'vars', 'lang', 'identity', 'outcome', 'path', 'actions', 'expectVars'];
  (o['cases'] as unknown[]).forEach((c, i) => {
    const where = `cases[${i}]`;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) invalid(file, `${where} must be an object`);
    const r = c as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!allowed.includes(k)) invalid(file, `${where}: unknown field '${k}' (allowed: ${allowed.join(', ')})`);
    if (typeof r['name'] !== 'string' || r['name'] === '') invalid(file, `${where}.name must be a text`);
    if (!CHANNELS.includes(r['channel'] as Channel)) invalid(file, `${where}.channel must be agent, web or ivr`);
    if (typeof r['answers'] !== 'object' || r['answers'] === null || Array.isArray(r['answers'])) invalid(file, `${where}.answers must map question ids to answers`);
    if (r['outcome'] === undefined && r['path'] === undefined && r['actions'] === undefined && r['expectVars'] === undefined) invalid(file, `${where} expects nothing: give outcome, path, actions or expectVars`);
    if (r['today'] !== undefined && (typeof r['today'] !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(r['today']) || Number.isNaN(Date.parse(r['today'])))) invalid(file, `${where}.today must be a date YYYY-MM-DD`);
    if (r['data'] !== undefined && (typeof r['data'] !== 'object' || r['data'] === null || Array.isArray(r['data']))) {
      invalid(file, `${where}.data must map "Object.operation" or "service.operation" (or a service) to what it returns`);
    }
    if (r['path'] !== undefined && (!Array.isArray(r['path']) || r['path'].some((x) => typeof x !== 'string'))) invalid(file, `${where}.path must be a list of node ids`);
    if (r['actions'] !== undefined && !Array.isArray(r['actions'])) invalid(file, `${where}.actions must be a list`);
    const id = r['identity'];
    if (id !== undefined && (typeof id !== 'object' || id === null || Array.isArray(id) || Object.keys(id).length !== 1 || Object.values(id).some((x) => typeof x !== 'string'))) {
      invalid(file, `${where}.identity must name one key field and its value, e.g. { "customerNumber": "K100042" }`);
    }
  });
  return o as unknown as ScriptTestFile;
}

function identityOf(o: Readonly<Record<string, string>>): SessionIdentity {
  const [field, key] = Object.entries(o)[0] as [string, string];
  return { field, key };
}

/** Finds every `*.test.json` under `folder` (recursively, sorted). */
export function findScriptTests(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory() && e.name !== 'node_modules') walk(join(dir, e.name));
      else if (e.isFile() && e.name.endsWith('.test.json')) out.push(join(dir, e.name));
    }
  };
  walk(folder);
  return out;
}

/** Runs the cases of one test file. */
export async function runScriptTestFile(file: string): Promise<ScriptTestResult[]> {
  const spec = readScriptTestFile(file);
  const scriptFile = resolve(dirname(file), spec.script);
  const text = fileSourceReader.read(scriptFile);
  if (text === undefined) invalid(file, `script ${spec.script} not found (${scriptFile})`);
  const loaded = loadScriptBundle(scriptFile, text, fileSourceReader);
  const name = basename(file);
  if (!loaded.bundle) {
    const first = loaded.diagnostics.find((d) => d.severity === 'error');
    return spec.cases.map((c) => ({ file: name, name: c.name, passed: false, failures: [`the script does not load: ${String(first)}`] }));
  }
  const clockOf = (day: string | undefined): number | undefined => (day ? Date.parse(`${day}T12:00:00Z`) : undefined);
  const results: ScriptTestResult[] = [];
  for (const c of spec.cases) {
    const clock = clockOf(c.today ?? spec.today);
    const report = await simulate(loaded.bundle, {
      channel: c.channel,
      answers: c.answers,
      ...(c.data ? { data: c.data } : {}),
      ...(c.vars ? { vars: c.vars } : {}),
      ...(c.lang ? { lang: c.lang } : {}),
      ...(c.identity ? { identity: identityOf(c.identity) } : {}),
      ...(clock !== undefined ? { now: () => clock } : {}),
    });
    const failures: string[] = [];
    if (report.stopped) failures.push(`the run stopped: ${report.stopped}`);
    if (c.outcome !== undefined && report.outcome !== c.outcome) failures.push(`outcome: expected ${c.outcome}, got ${String(report.outcome)}`);
    if (c.path && !equals(report.path, [...c.path])) failures.push(`path: expected ${c.path.join(' → ')}, got ${report.path.join(' → ')}`);
    if (c.actions && !equals(report.actions as unknown as ScriptValue, c.actions as unknown as ScriptValue)) failures.push(`actions: expected ${JSON.stringify(c.actions)}, got ${JSON.stringify(report.actions)}`);
    for (const [k, v] of Object.entries(c.expectVars ?? {})) {
      if (!equals(report.vars[k] ?? null, v)) failures.push(`variable ${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(report.vars[k] ?? null)}`);
    }
    results.push({ file: name, name: c.name, passed: failures.length === 0, failures, report });
  }
  return results;
}
