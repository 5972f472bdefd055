/**
 * The session interpreter: runs a {@link ScriptBundle} for one conversation on one channel. Pure
 * state in, state out: every operation works on a copy and returns the new state, so a failed
 * step (a broken expression, a service that throws) leaves the stored session unchanged.
 */
import { evaluate, ExpressionError, formatValue, truthy, compilePattern, type CompiledExpression, type EvalContext, type ScriptValue } from './common/expression.js';
import type {
  Channel,
  CompiledScript,
  EventHandler,
  Executable,
  ObjectAction,
  ObjectCondition,
  ObjectFetch,
  Prompt,
  QuestionEvent,
  QuestionNode,
  QuestionType,
  ScriptBundle,
  ScriptNode,
  SourceRef,
  Transition,
  Variables,
} from './common/model.js';
import { CHANNELS } from './common/model.js';
import { DialogueErrors } from './errors.js';
import { actorOfChannel, type ObjectCaller, type ObjectFailure, type ObjectFilter, type ObjectOutcome, type ObjectRequest, type SessionActor } from './object-access.js';
import { publicVariables } from './script-bundle.js';
import { questionCollecting } from './script-parser.js';

/** Where a session stands: a node of one script of the bundle. */
export interface SessionPosition {
  readonly script: string;
  readonly node: string;
}

/** A state to go back to: taken just before a question was answered. */
export interface SessionSnapshot {
  readonly at: SessionPosition;
  readonly stack: readonly SessionPosition[];
  readonly vars: Variables;
}

/**
 * Lifecycle of a session: `active` until it reaches an end (`ended`) or a hand-off (`handoff`), or
 * until the person left it on the way (`abandoned`: a caller hung up in the IVR), where it stays
 * at the node it stood at.
 */
export type SessionStatus = 'active' | 'ended' | 'handoff' | 'abandoned';

/** The whole state of a session: plain JSON, persisted after every step. */
export interface SessionState {
  readonly id: string;
  /** Main script id and the version (and content hash) the session is pinned to. */
  readonly script: string;
  readonly version: string;
  readonly hash: string;
  readonly channel: Channel;
  readonly lang?: string;
  readonly status: SessionStatus;
  readonly vars: Variables;
  /** The node waiting for input, or the end/hand-off node reached. */
  readonly at: SessionPosition;
  /** Return points of the subscripts being run, innermost last. */
  readonly stack: readonly SessionPosition[];
  /** noinput/nomatch/invalid counters of the current question. */
  readonly counters: Readonly<Partial<Record<QuestionEvent, number>>>;
  /** Why the current question is asked again (validation message or handler prompt). */
  readonly notice?: string;
  /** Snapshots for `back()`, one per answered question, oldest first. */
  readonly history: readonly SessionSnapshot[];
  readonly outcome?: string;
  readonly handoff?: { readonly queue: string; readonly skills: readonly string[]; readonly priority?: number; readonly reason: 'handoff' | 'fallback' };
  /**
   * Who the host verified the person to be (a self-service visitor who passed the application's
   * second factor): the record's key field and value. Read by scripts as the built-in `identity`.
   */
  readonly identity?: SessionIdentity;
  /**
   * Who the session serves, as the host said when it started it (an agent with their roles, a web
   * visitor, an IVR caller); business-object access is decided for them. Absent: by channel.
   */
  readonly actor?: SessionActor;
  /** Incremented by every change; used for optimistic concurrency between devices. */
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The person a web session serves, as the host verified them: `field` is the key field of the
 * record (e.g. `customerNumber`) and `key` its value. On the web channel every `<fetch>` and
 * `<action>` not marked `anonymous="true"` needs it, and data that names another record by that
 * field is refused (CARUSO_DIALOGUE_NOT_IDENTIFIED).
 */
export interface SessionIdentity {
  readonly field: string;
  readonly key: string;
  /**
   * The business object the visitor was identified as (e.g. `Customer`), when the host knows it: a
   * `<fetch object>` or `<action object>` then reaches only records of that object with the key, or
   * records that link to it.
   */
  readonly object?: string;
}

/** A choice as shown to the agent, the web user or the caller. */
export interface StepChoice {
  readonly value: string;
  readonly label: string;
  readonly dtmf?: string;
}

/** What to show (or speak) now. */
export interface DialogueStep {
  readonly kind: 'question' | 'info' | 'end' | 'handoff';
  readonly script: string;
  readonly node: string;
  /** The prompt for the session's channel and language, values filled in. */
  readonly prompt: string;
  readonly help?: string;
  /** For a question. */
  readonly type?: QuestionType;
  readonly required?: boolean;
  readonly choices?: readonly StepChoice[];
  /** Why the question is asked again. */
  readonly error?: string;
  readonly outcome?: string;
  readonly queue?: string;
  readonly skills?: readonly string[];
  /** For a hand-off with `priority="…"`: the contact's priority in the queue. */
  readonly priority?: number;
  /**
   * For a hand-off: the collected variables, carried to the agent queue. On the web channel (an
   * anonymous visitor sees the step) only the variables declared `public="true"`.
   */
  readonly vars?: Variables;
  /** Whether `back()` is possible now. */
  readonly canGoBack: boolean;
}

/** One thing that happened during an operation (for execution logs, `caruso script run` and tests). */
export type TraceEntry =
  | { readonly type: 'enter'; readonly script: string; readonly node: string; readonly kind: ScriptNode['kind']; readonly skipped?: true }
  | { readonly type: 'answer'; readonly script: string; readonly node: string; readonly value: ScriptValue }
  | { readonly type: 'event'; readonly script: string; readonly node: string; readonly event: QuestionEvent; readonly count: number }
  | { readonly type: 'action'; readonly service: string; readonly operation: string; readonly params: Variables }
  | { readonly type: 'fetch'; readonly source: string; readonly operation: string; readonly key: ScriptValue; readonly into: string }
  /** A `<fetch object>` (operation `read`) or an `<action object>` (create, update, delete). */
  | { readonly type: 'object'; readonly object: string; readonly operation: ObjectRequest['operation']; readonly key?: ScriptValue; readonly where?: ObjectFilter; readonly data?: Variables }
  /** A fetch or action failed and the script's `on-error` (or `on-invalid="reask"`) took over. */
  | { readonly type: 'failure'; readonly at: SourceRef; readonly code: ObjectFailure['code']; readonly message: string; readonly to: string }
  | { readonly type: 'log'; readonly message: string; readonly at: SourceRef };

/** How scripts reach data and actions: through the service manager in production. */
export interface ScriptServices {
  /** Reads data: calls `operation(key)` on the service whose token id is `source`. */
  fetch(source: string, operation: string, key: ScriptValue): Promise<unknown> | unknown;
  /** Runs an action: calls `operation(params)` on the service whose token id is `service`. */
  action(service: string, operation: string, params: Variables): Promise<unknown> | unknown;
  /**
   * Reads or writes business objects (`<fetch object>`, `<action object>`): through the objects
   * service, with the caller's rights. A refusal the script may handle (validation, not found,
   * conflict, denied) is an outcome, not a throw. Absent: such elements fail the step.
   */
  objects?(request: ObjectRequest): Promise<ObjectOutcome> | ObjectOutcome;
}

/** The result of an operation. */
export interface StepResult {
  readonly state: SessionState;
  readonly step: DialogueStep;
  readonly trace: readonly TraceEntry[];
}

/** Options of the interpreter. */
export interface RuntimeOptions {
  readonly services: ScriptServices;
  /** The clock (tests pin it). */
  readonly now?: () => number;
  /** Nodes one operation may pass before it is stopped as a loop. Default 10,000. */
  readonly maxNodesPerStep?: number;
  /** Snapshots kept for `back()`. Default 100. */
  readonly maxHistory?: number;
  /**
   * The application's language tag for the formatting functions (`formatMoney` …) when the session
   * has no `lang` of its own (neither given at start nor the script's `xml:lang`). Default `en`.
   */
  readonly locale?: string;
  /** The time zone formatted times are shown in (`Europe/Amsterdam`). Default: the process's. */
  readonly timeZone?: string;
}

const DEFAULT_NOTICES: Record<QuestionEvent, string> = {
  noinput: 'An answer is needed.',
  nomatch: 'That answer was not understood.',
  invalid: 'That answer is not valid.',
};

interface Draft {
  id: string;
  script: string;
  version: string;
  hash: string;
  channel: Channel;
  lang?: string;
  status: SessionStatus;
  vars: Variables;
  at: SessionPosition;
  stack: SessionPosition[];
  counters: Partial<Record<QuestionEvent, number>>;
  notice?: string;
  history: SessionSnapshot[];
  outcome?: string;
  handoff?: { queue: string; skills: readonly string[]; priority?: number; reason: 'handoff' | 'fallback' };
  identity?: SessionIdentity;
  actor?: SessionActor;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

type Interpreted = { ok: true; value: ScriptValue } | { ok: false; event: QuestionEvent; message?: string };

const FILTER_OPS = { '!=': 'ne', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte', in: 'in', 'not in': 'nin', contains: 'contains', startsWith: 'startsWith' } as const;
/** Longest text a `contains`/`startsWith` of a `where` looks for (the objects service's limit). */
const MAX_MATCH_TEXT = 200;

/** What `error-into` holds: `{ code, message, fields: [{ field, code, message }] }`. */
function failureValue(f: ObjectFailure): ScriptValue {
  return { code: f.code, message: f.message, fields: f.fields.map((x) => ({ field: x.field, code: x.code, message: x.message })) };
}

function refText(at: SourceRef): string {
  return `${at.file}:${at.line}:${at.col}`;
}

/** Turns what a service returned into a script value (JSON data only). */
function toValue(v: unknown): ScriptValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toValue);
  if (typeof v === 'object') {
    const out: Record<string, ScriptValue> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x !== 'function') out[k] = toValue(x);
    return out;
  }
  return null;
}

/** The variables of `vars` named in `names`. */
function onlyPublic(vars: Variables, names: ReadonlySet<string>): Variables {
  const out: Variables = {};
  for (const [k, v] of Object.entries(vars)) if (names.has(k)) out[k] = v;
  return out;
}

/** The interpreter of dialogue scripts. Stateless: give it a bundle and a state. */
export class SessionRuntime {
  private readonly services: ScriptServices;
  private readonly clock: () => number;
  private readonly maxNodes: number;
  private readonly maxHistory: number;
  private readonly locale: string | undefined;
  private readonly timeZone: string | undefined;

  constructor(options: RuntimeOptions) {
    this.locale = options.locale;
    this.timeZone = options.timeZone;
    this.services = options.services;
    this.clock = options.now ?? Date.now;
    this.maxNodes = options.maxNodesPerStep ?? 10_000;
    this.maxHistory = options.maxHistory ?? 100;
  }

  /**
   * Starts a session at the bundle's start node and runs until the first step to show.
   * @param vars initial variables (e.g. what an IVR collected, the caller's number).
   */
  async start(bundle: ScriptBundle, init: { id: string; hash: string; channel: Channel; vars?: Variables; lang?: string; identity?: SessionIdentity; actor?: SessionActor }): Promise<StepResult> {
    if (!CHANNELS.includes(init.channel)) throw DialogueErrors.CARUSO_DIALOGUE_INVALID_CHANNEL({ channel: String(init.channel) });
    const main = bundle.main;
    const now = new Date(this.clock()).toISOString();
    const vars: Variables = {};
    const given = init.vars ?? {};
    for (const [k, v] of Object.entries(given)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw DialogueErrors.CARUSO_DIALOGUE_INVALID_VARIABLE({ name: JSON.stringify(k), reason: 'not a valid variable name' });
      vars[k] = this.coerceInitial(main, k, v);
    }
    const lang = init.lang ?? main.lang;
    const d: Draft = {
      id: init.id,
      script: main.id,
      version: main.version,
      hash: init.hash,
      channel: init.channel,
      ...(lang !== undefined ? { lang } : {}),
      ...(init.identity ? { identity: { field: init.identity.field, key: init.identity.key, ...(init.identity.object !== undefined ? { object: init.identity.object } : {}) } } : {}),
      ...(init.actor ? { actor: { kind: init.actor.kind, ...(init.actor.id !== undefined ? { id: init.actor.id } : {}), ...(init.actor.roles ? { roles: [...init.actor.roles] } : {}) } } : {}),
      status: 'active',
      vars,
      at: { script: main.id, node: main.start },
      stack: [],
      counters: {},
      history: [],
      revision: 0,
      createdAt: now,
      updatedAt: now,
    };
    const trace: TraceEntry[] = [];
    this.declareVars(main, d);
    await this.enter(bundle, d, main, main.start, trace, { count: 0 });
    return this.finish(bundle, d, trace);
  }

  /**
   * Answers the current question (or acknowledges an info step) and runs to the next step. An
   * unusable answer gives the same question again with `error` set (and counts noinput, nomatch or
   * invalid, VoiceXML style).
   */
  async answer(bundle: ScriptBundle, state: SessionState, input: unknown): Promise<StepResult> {
    if (state.status !== 'active') throw DialogueErrors.CARUSO_DIALOGUE_SESSION_ENDED({ session: state.id, status: state.status });
    const d = this.draft(state);
    const trace: TraceEntry[] = [];
    const script = this.script(bundle, d.at.script);
    const node = script.nodes.get(d.at.node) as ScriptNode;
    delete d.notice;
    if (node.kind === 'info') {
      await this.leave(bundle, d, script, node, node.next, trace);
      return this.finish(bundle, d, trace);
    }
    if (node.kind !== 'question') throw DialogueErrors.CARUSO_DIALOGUE_SESSION_ENDED({ session: state.id, status: state.status });
    const got = this.interpret(node, d, input);
    if (!got.ok) {
      await this.handleEvent(bundle, d, script, node, got.event, got.message, trace);
      return this.finish(bundle, d, trace);
    }
    d.history.push({ at: d.at, stack: d.stack.slice(), vars: { ...state.vars } });
    if (d.history.length > this.maxHistory) d.history.splice(0, d.history.length - this.maxHistory);
    d.vars[node.var] = got.value;
    trace.push({ type: 'answer', script: script.id, node: node.id, value: got.value });
    await this.leave(bundle, d, script, node, node.next, trace);
    return this.finish(bundle, d, trace);
  }

  /**
   * Goes back to the last answered question: its answer and every later one are undone. Agent and
   * web sessions only; actions already run are not undone.
   */
  back(bundle: ScriptBundle, state: SessionState): StepResult {
    const reason =
      state.channel === 'ivr'
        ? 'going back is for agent and web sessions, not ivr'
        : state.status === 'handoff'
          ? 'the session was handed off'
          : state.status === 'abandoned'
            ? 'the session was abandoned'
          : state.history.length === 0
            ? 'no question has been answered yet'
            : undefined;
    if (reason) throw DialogueErrors.CARUSO_DIALOGUE_CANNOT_GO_BACK({ session: state.id, reason });
    const d = this.draft(state);
    const snap = d.history.pop() as SessionSnapshot;
    d.at = snap.at;
    d.stack = snap.stack.slice();
    d.vars = { ...snap.vars };
    d.counters = {};
    d.status = 'active';
    delete d.notice;
    delete d.outcome;
    return this.finish(bundle, d, [{ type: 'enter', script: snap.at.script, node: snap.at.node, kind: 'question' }]);
  }

  /**
   * Ends an active session as abandoned where it stands (its node is the abandon point): no action
   * runs and no variable changes. Throws CARUSO_DIALOGUE_SESSION_ENDED when it is not active.
   */
  abandon(bundle: ScriptBundle, state: SessionState): StepResult {
    if (state.status !== 'active') throw DialogueErrors.CARUSO_DIALOGUE_SESSION_ENDED({ session: state.id, status: state.status });
    const d = this.draft(state);
    d.status = 'abandoned';
    delete d.notice;
    return this.finish(bundle, d, []);
  }

  /** The step the session shows now (to resume on another device). */
  present(bundle: ScriptBundle, state: SessionState): DialogueStep {
    return this.render(bundle, state);
  }

  // ---- internals ------------------------------------------------------------------------------

  private draft(s: SessionState): Draft {
    return {
      ...s,
      vars: { ...s.vars },
      stack: s.stack.slice(),
      counters: { ...s.counters },
      history: s.history.slice(),
      ...(s.handoff ? { handoff: { ...s.handoff } } : {}),
    } as Draft;
  }

  private finish(bundle: ScriptBundle, d: Draft, trace: TraceEntry[]): StepResult {
    d.revision += 1;
    d.updatedAt = new Date(this.clock()).toISOString();
    const state = d as SessionState;
    return { state, step: this.render(bundle, state), trace };
  }

  private script(bundle: ScriptBundle, id: string): CompiledScript {
    const s = bundle.scripts.get(id);
    if (!s) throw DialogueErrors.CARUSO_DIALOGUE_SCRIPT_NOT_FOUND({ script: id, version: bundle.main.version, known: [...bundle.scripts.keys()].join(', ') });
    return s;
  }

  private coerceInitial(main: CompiledScript, name: string, v: unknown): ScriptValue {
    const decl = main.vars.find((x) => x.name === name);
    const value = toValue(v);
    if (!decl || decl.type === 'any' || value === null) return value;
    const bad = (what: string): never => {
      throw DialogueErrors.CARUSO_DIALOGUE_INVALID_VARIABLE({ name, reason: `declared ${decl.type} but got ${what}` });
    };
    switch (decl.type) {
      case 'number':
        if (typeof value === 'number') return value;
        if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
        return bad(typeof value);
      case 'boolean':
        if (typeof value === 'boolean') return value;
        if (value === 'true' || value === 'false') return value === 'true';
        return bad(typeof value);
      case 'string':
        return typeof value === 'object' ? bad('an object') : String(value);
      case 'date':
        return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : bad(typeof value);
      case 'list':
        return Array.isArray(value) ? value : bad(typeof value);
      case 'object':
        return typeof value === 'object' && !Array.isArray(value) ? value : bad(typeof value);
    }
  }

  private ctx(d: Draft): EvalContext {
    return {
      lookup: (name) => {
        // Set by the host only: no initial variable or answer can pose as it.
        if (name === 'identity') return d.identity?.key ?? null;
        if (Object.prototype.hasOwnProperty.call(d.vars, name)) return d.vars[name];
        switch (name) {
          case 'channel':
            return d.channel;
          case 'lang':
            return d.lang ?? null;
          case 'script':
            return d.script;
          case 'version':
            return d.version;
          default:
            return undefined;
        }
      },
      now: this.clock,
      locale: () => d.lang ?? this.locale,
      timeZone: () => this.timeZone,
    };
  }

  private eval(e: CompiledExpression, d: Draft, at: SourceRef): ScriptValue {
    try {
      return evaluate(e.ast, this.ctx(d));
    } catch (err) {
      if (err instanceof ExpressionError) {
        throw DialogueErrors.CARUSO_DIALOGUE_EXPRESSION_FAILED({ at: refText(at), reason: `${err.message} in '${e.source}' (column ${err.offset + 1})` }, { cause: err });
      }
      throw err;
    }
  }

  private declareVars(script: CompiledScript, d: Draft): void {
    for (const v of script.vars) {
      if (Object.prototype.hasOwnProperty.call(d.vars, v.name)) continue;
      d.vars[v.name] = v.expr ? this.eval(v.expr, d, v.at) : null;
    }
  }

  /** Enters `id` and runs through nodes that need no input, until one does (or the end). */
  private async enter(bundle: ScriptBundle, d: Draft, script: CompiledScript, id: string, trace: TraceEntry[], budget: { count: number }): Promise<void> {
    let current = script;
    let nodeId = id;
    for (;;) {
      const node = current.nodes.get(nodeId);
      if (!node) throw DialogueErrors.CARUSO_DIALOGUE_NO_TRANSITION({ at: `${current.file}`, node: `'${nodeId}' (no such node)` });
      if (++budget.count > this.maxNodes) throw DialogueErrors.CARUSO_DIALOGUE_LOOP({ at: refText(node.at), steps: this.maxNodes });
      d.at = { script: current.id, node: node.id };
      d.counters = {};
      if (!node.channels.includes(d.channel)) {
        trace.push({ type: 'enter', script: current.id, node: node.id, kind: node.kind, skipped: true });
        if (node.kind === 'end' || node.kind === 'handoff') {
          throw DialogueErrors.CARUSO_DIALOGUE_NO_TRANSITION({ at: refText(node.at), node: `<${node.kind} id="${node.id}"> (not enabled on ${d.channel})` });
        }
        const next = await this.transition(bundle, d, current, node, node.next, trace);
        ({ script: current, node: nodeId } = next);
        continue;
      }
      trace.push({ type: 'enter', script: current.id, node: node.id, kind: node.kind });
      switch (node.kind) {
        case 'question':
        case 'info':
          return;
        case 'decision': {
          const next = await this.transition(bundle, d, current, node, node.next, trace);
          ({ script: current, node: nodeId } = next);
          continue;
        }
        case 'subscript': {
          const child = this.script(bundle, node.scriptId);
          d.stack.push({ script: current.id, node: node.id });
          this.declareVars(child, d);
          current = child;
          nodeId = child.start;
          continue;
        }
        case 'handoff':
          d.status = 'handoff';
          d.handoff = { queue: node.queue, skills: node.skills, ...(node.priority === undefined ? {} : { priority: node.priority }), reason: 'handoff' };
          return;
        case 'end': {
          const frame = d.stack.pop();
          if (!frame) {
            d.status = 'ended';
            d.outcome = node.outcome;
            return;
          }
          const parent = this.script(bundle, frame.script);
          const sub = parent.nodes.get(frame.node) as ScriptNode & { next: readonly Transition[] };
          d.at = frame;
          const next = await this.transition(bundle, d, parent, sub, sub.next, trace);
          ({ script: current, node: nodeId } = next);
          continue;
        }
      }
    }
  }

  /** Takes the first `<next>` whose cond holds; runs its content; returns where to go. */
  private async transition(bundle: ScriptBundle, d: Draft, script: CompiledScript, node: ScriptNode, next: readonly Transition[], trace: TraceEntry[]): Promise<{ script: CompiledScript; node: string }> {
    for (const t of next) {
      if (t.cond && !truthy(this.eval(t.cond, d, t.at))) continue;
      const jump = await this.run(bundle, d, script, t.body, trace);
      return { script, node: jump ?? t.target };
    }
    throw DialogueErrors.CARUSO_DIALOGUE_NO_TRANSITION({ at: refText(node.at), node: `<${node.kind} id="${node.id}">` });
  }

  private async leave(bundle: ScriptBundle, d: Draft, script: CompiledScript, node: ScriptNode, next: readonly Transition[], trace: TraceEntry[]): Promise<void> {
    const to = await this.transition(bundle, d, script, node, next, trace);
    await this.enter(bundle, d, to.script, to.node, trace, { count: 0 });
  }

  /** Runs executable content; returns a `<goto>` target when one was reached. */
  private async run(bundle: ScriptBundle, d: Draft, script: CompiledScript, body: readonly Executable[], trace: TraceEntry[]): Promise<string | undefined> {
    for (const e of body) {
      switch (e.kind) {
        case 'assign':
          d.vars[e.var] = this.eval(e.expr, d, e.at);
          break;
        case 'log':
          trace.push({ type: 'log', message: formatValue(this.eval(e.expr, d, e.at)), at: e.at });
          break;
        case 'goto':
          return e.target;
        case 'if': {
          for (const b of e.branches) {
            if (b.cond && !truthy(this.eval(b.cond, d, e.at))) continue;
            const jump = await this.run(bundle, d, script, b.body, trace);
            if (jump !== undefined) return jump;
            break;
          }
          break;
        }
        case 'fetch': {
          const key = this.eval(e.key, d, e.at);
          this.guard(d, e.anonymous, e.at, e.source, e.operation, {});
          trace.push({ type: 'fetch', source: e.source, operation: e.operation, key, into: e.into });
          let got: ScriptValue;
          try {
            got = toValue(await this.services.fetch(e.source, e.operation, key));
          } catch (err) {
            const fail = DialogueErrors.CARUSO_DIALOGUE_SERVICE_FAILED({ at: refText(e.at), what: 'fetch from', service: e.source, operation: e.operation, reason: (err as Error)?.message ?? String(err) }, { cause: err });
            const to = this.handleFailure(d, e, { code: 'failed', message: fail.message, fields: [] }, trace);
            if (to === undefined) throw fail;
            return to;
          }
          this.guardResult(d, e.anonymous, e.at, e.source, e.operation, got);
          d.vars[e.into] = got;
          break;
        }
        case 'action': {
          const params: Variables = {};
          for (const p of e.params) params[p.name] = this.eval(p.expr, d, e.at);
          this.guard(d, e.anonymous, e.at, e.service, e.operation, params);
          trace.push({ type: 'action', service: e.service, operation: e.operation, params });
          let result: unknown;
          try {
            result = await this.services.action(e.service, e.operation, params);
          } catch (err) {
            const fail = DialogueErrors.CARUSO_DIALOGUE_SERVICE_FAILED({ at: refText(e.at), what: 'action', service: e.service, operation: e.operation, reason: (err as Error)?.message ?? String(err) }, { cause: err });
            const to = this.handleFailure(d, e, { code: 'failed', message: fail.message, fields: [] }, trace);
            if (to === undefined) throw fail;
            return to;
          }
          if (e.into !== undefined) {
            const value = toValue(result);
            this.guardResult(d, e.anonymous, e.at, e.service, e.operation, value);
            d.vars[e.into] = value;
          }
          break;
        }
        case 'object-fetch':
        case 'object-action': {
          const jump = await this.objectStep(d, script, e, trace);
          if (jump !== undefined) return jump;
          break;
        }
      }
    }
    return undefined;
  }

  /** Runs a `<fetch object>` or an `<action object>`; returns where to go when its failure is handled. */
  private async objectStep(d: Draft, script: CompiledScript, e: ObjectFetch | ObjectAction, trace: TraceEntry[]): Promise<string | undefined> {
    const caller: ObjectCaller = { actor: d.actor ?? actorOfChannel(d.channel), channel: d.channel, ...(d.identity ? { identity: d.identity } : {}), script: d.script };
    let request: ObjectRequest;
    if (e.kind === 'object-fetch') {
      const key = e.key ? this.eval(e.key, d, e.at) : undefined;
      const where = e.where?.condition ? this.filterOf(e.where.condition, d, e.at) : undefined;
      request = {
        operation: 'read',
        object: e.object,
        ...(key !== undefined ? { key } : {}),
        ...(where !== undefined ? { where } : {}),
        list: e.list,
        ...(e.orderBy.length ? { orderBy: e.orderBy } : {}),
        ...(e.limit !== undefined ? { limit: e.limit } : {}),
        anonymous: e.anonymous,
        caller,
      };
    } else {
      const data: Variables = {};
      for (const p of e.params) data[p.name] = this.eval(p.expr, d, p.at);
      const key = e.key ? this.eval(e.key, d, e.at) : undefined;
      request = { operation: e.operation, object: e.object, ...(key !== undefined ? { key } : {}), ...(e.operation !== 'delete' ? { data } : {}), anonymous: e.anonymous, caller };
    }
    trace.push({ type: 'object', object: request.object, operation: request.operation, ...(request.key !== undefined ? { key: request.key } : {}), ...(request.where ? { where: request.where } : {}), ...(request.data ? { data: request.data } : {}) });
    const what = e.kind === 'object-fetch' ? 'fetch of' : 'action on';
    if (!this.services.objects) {
      throw DialogueErrors.CARUSO_DIALOGUE_SERVICE_FAILED({ at: refText(e.at), what, service: e.object, operation: request.operation, reason: 'business objects are not available here (no objects service)' });
    }
    let outcome: ObjectOutcome;
    try {
      outcome = await this.services.objects(request);
    } catch (err) {
      throw DialogueErrors.CARUSO_DIALOGUE_SERVICE_FAILED({ at: refText(e.at), what, service: e.object, operation: request.operation, reason: (err as Error)?.message ?? String(err) }, { cause: err });
    }
    if (outcome.ok) {
      const into = e.into;
      if (into !== undefined) d.vars[into] = toValue(outcome.value);
      return undefined;
    }
    const failure = outcome.failure;
    if (e.kind === 'object-action' && e.reask && failure.code === 'invalid') {
      for (const problem of failure.fields) {
        const p = e.params.find((x) => x.name === problem.field);
        const qid = p ? (p.question ?? questionCollecting(script, p.expr)) : undefined;
        const q = qid !== undefined ? script.nodes.get(qid) : undefined;
        if (!q || q.kind !== 'question' || !q.channels.includes(d.channel)) continue;
        if (e.errorInto !== undefined) d.vars[e.errorInto] = failureValue(failure);
        trace.push({ type: 'failure', at: e.at, code: failure.code, message: failure.message, to: q.id });
        d.notice = problem.message;
        return q.id;
      }
    }
    const to = this.handleFailure(d, e, failure, trace);
    if (to !== undefined) return to;
    if (failure.code === 'denied' && d.channel === 'web') {
      throw DialogueErrors.CARUSO_DIALOGUE_NOT_IDENTIFIED({ at: refText(e.at), service: e.object, operation: request.operation, reason: failure.message });
    }
    if (failure.code === 'denied') {
      const who = caller.actor.kind === 'agent' ? `the agent${caller.actor.roles?.length ? ` (role ${caller.actor.roles.join(', ')})` : ''}` : caller.actor.kind === 'caller' ? 'the caller' : 'the visitor';
      throw DialogueErrors.CARUSO_DIALOGUE_OBJECT_DENIED({ at: refText(e.at), actor: who, reason: failure.message }, { details: { failure } });
    }
    throw DialogueErrors.CARUSO_DIALOGUE_SERVICE_FAILED({ at: refText(e.at), what, service: e.object, operation: request.operation, reason: failure.message }, { details: { failure } });
  }

  /** The `on-error` exit of a failed fetch or action (with `error-into` set), or undefined when it has none. */
  private handleFailure(d: Draft, e: { readonly onError?: string; readonly errorInto?: string; readonly at: SourceRef }, failure: ObjectFailure, trace: TraceEntry[]): string | undefined {
    if (e.onError === undefined) return undefined;
    if (e.errorInto !== undefined) d.vars[e.errorInto] = failureValue(failure);
    trace.push({ type: 'failure', at: e.at, code: failure.code, message: failure.message, to: e.onError });
    return e.onError;
  }

  /** A `where` as the objects service's filter, with the values of this moment. */
  private filterOf(c: ObjectCondition, d: Draft, at: SourceRef): ObjectFilter {
    switch (c.kind) {
      case 'and':
      case 'or':
        return { [c.kind]: c.items.map((x) => this.filterOf(x, d, at)) };
      case 'not':
        return { not: this.filterOf(c.item, d, at) };
      case 'field': {
        let value = this.eval({ source: '', ast: c.value }, d, at);
        if (c.op === 'contains' || c.op === 'startsWith') {
          // A text match needs text: a number is looked for as written, anything else is the script's mistake.
          if (typeof value === 'number') value = String(value);
          if (typeof value !== 'string' || value === '' || value.length > MAX_MATCH_TEXT) {
            throw DialogueErrors.CARUSO_DIALOGUE_EXPRESSION_FAILED({ at: refText(at), reason: `${c.op}(${c.path.join('.')}, …) needs a text of 1 to ${MAX_MATCH_TEXT} characters, not ${typeof value === 'string' ? (value === '' ? 'an empty text' : 'a longer text') : value === null ? 'null' : typeof value}` });
          }
        }
        const cond: ScriptValue | ObjectFilter = c.op === '==' ? value : { [FILTER_OPS[c.op]]: value };
        const [first, second] = c.path as [string, string | undefined];
        return second === undefined ? { [first]: cond } : { [first]: { [second]: cond } };
      }
    }
  }

  /**
   * The web channel serves an anonymous visitor: a `<fetch>` or `<action>` runs only for a visitor
   * the host identified (unless it is marked `anonymous="true"`), and never with parameters that
   * name another record by the identity's key field.
   */
  private guard(d: Draft, anonymous: boolean, at: SourceRef, service: string, operation: string, params: Variables): void {
    if (d.channel !== 'web' || anonymous) return;
    if (!d.identity) throw DialogueErrors.CARUSO_DIALOGUE_NOT_IDENTIFIED({ at: refText(at), service, operation, reason: 'the visitor has not been identified' });
    const named = params[d.identity.field];
    if (named !== undefined && named !== null && String(named) !== d.identity.key) {
      throw DialogueErrors.CARUSO_DIALOGUE_NOT_IDENTIFIED({ at: refText(at), service, operation, reason: `its parameter ${d.identity.field} names another record than the identified one` });
    }
  }

  /** What a service returned on the web channel: no record (or list of records) of someone else. */
  private guardResult(d: Draft, anonymous: boolean, at: SourceRef, service: string, operation: string, value: ScriptValue): void {
    if (d.channel !== 'web' || anonymous || !d.identity) return;
    const field = d.identity.field;
    const other = (v: ScriptValue): boolean => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
      const named = (v as Readonly<Record<string, ScriptValue>>)[field];
      return named !== undefined && named !== null && String(named) !== d.identity?.key;
    };
    if (other(value) || (Array.isArray(value) && value.some(other))) {
      throw DialogueErrors.CARUSO_DIALOGUE_NOT_IDENTIFIED({ at: refText(at), service, operation, reason: `it returned a record whose ${field} is not the identified one` });
    }
  }

  private async handleEvent(bundle: ScriptBundle, d: Draft, script: CompiledScript, node: QuestionNode, event: QuestionEvent, message: string | undefined, trace: TraceEntry[]): Promise<void> {
    const count = (d.counters[event] ?? 0) + 1;
    d.counters[event] = count;
    trace.push({ type: 'event', script: script.id, node: node.id, event, count });
    const candidates = node.handlers.filter((h) => h.event === event);
    let handler: EventHandler | undefined;
    for (const h of candidates) if (h.count <= count && (!handler || h.count > handler.count)) handler = h;
    // IVR: after the last handler (or after max-attempts without one) the caller goes to an agent
    if (d.channel === 'ivr') {
      const last = candidates.reduce((m, h) => Math.max(m, h.count), 0);
      if (count > (candidates.length ? last : script.maxAttempts)) {
        d.status = 'handoff';
        d.handoff = { queue: script.fallbackQueue, skills: [], reason: 'fallback' };
        d.counters = {};
        return;
      }
    }
    if (handler) {
      const jump = await this.run(bundle, d, script, handler.body, trace);
      const text = this.pickPrompt(handler.prompts, d);
      if (jump !== undefined) {
        await this.enter(bundle, d, script, jump, trace, { count: 0 });
        return;
      }
      d.notice = text !== undefined ? this.renderPromptAt(text, d as SessionState, handler.at) : (message ?? DEFAULT_NOTICES[event]);
      return;
    }
    d.notice = message ?? DEFAULT_NOTICES[event];
  }

  /** Reads an answer for `node` on the session's channel. */
  private interpret(node: QuestionNode, d: Draft, input: unknown): Interpreted {
    const ivr = d.channel === 'ivr';
    let raw = input;
    if (typeof raw === 'string') {
      raw = raw.trim();
      if (ivr && node.type !== 'text' && (raw as string).endsWith('#')) raw = (raw as string).slice(0, -1);
    }
    if (raw === undefined || raw === null || raw === '') {
      if (node.required) return { ok: false, event: 'noinput' };
      return { ok: true, value: null };
    }
    let value: ScriptValue;
    switch (node.type) {
      case 'choice': {
        const key = typeof raw === 'number' ? String(raw) : raw;
        if (typeof key !== 'string') return { ok: false, event: 'nomatch' };
        const c = ivr ? node.choices.find((x) => x.dtmf === key) : (node.choices.find((x) => x.value === key) ?? node.choices.find((x) => x.label.toLowerCase() === key.toLowerCase()));
        if (!c) return ivr ? { ok: false, event: 'nomatch' } : { ok: false, event: 'nomatch', message: `Choose one of: ${node.choices.map((x) => x.value).join(', ')}.` };
        value = c.value;
        break;
      }
      case 'boolean': {
        if (ivr) {
          if (raw === '1') value = true;
          else if (raw === '2') value = false;
          else return { ok: false, event: 'nomatch' };
        } else if (typeof raw === 'boolean') value = raw;
        else {
          const s = String(raw).toLowerCase();
          if (['true', 'yes', 'y', 'ja', 'oui', '1'].includes(s)) value = true;
          else if (['false', 'no', 'n', 'nee', 'non', '0'].includes(s)) value = false;
          else return { ok: false, event: 'nomatch', message: 'Answer yes or no.' };
        }
        break;
      }
      case 'number': {
        let s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : '';
        if (ivr) s = s.replace('*', '.'); // VoiceXML: the star key is the decimal point
        const n = Number(s.replace(',', '.'));
        if (s === '' || !Number.isFinite(n) || (ivr && !/^\d+(\.\d+)?$/.test(s))) return { ok: false, event: 'nomatch', message: 'Answer with a number.' };
        value = n;
        break;
      }
      case 'text':
        if (typeof raw === 'object') return { ok: false, event: 'nomatch' };
        value = String(raw);
        break;
      case 'digits': {
        const s = typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 ? String(raw) : raw;
        if (typeof s !== 'string' || !/^[0-9*]+$/.test(s)) return { ok: false, event: 'nomatch', message: 'Answer with digits only.' };
        value = s;
        break;
      }
      case 'date': {
        let s = typeof raw === 'string' ? raw : '';
        if (ivr && /^\d{8}$/.test(s)) s = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
        const t = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
        if (!m || !t || t.toISOString().slice(0, 10) !== s) return { ok: false, event: 'nomatch', message: 'Answer with a date, YYYY-MM-DD.' };
        value = s;
        break;
      }
    }
    // min, max, pattern
    const measure = typeof value === 'number' ? value : node.type === 'date' ? value : typeof value === 'string' ? value.length : undefined;
    if (node.min !== undefined && measure !== undefined && measure < node.min) {
      return { ok: false, event: 'invalid', message: node.type === 'text' || node.type === 'digits' ? `The answer needs at least ${node.min} characters.` : `The answer must be at least ${node.min}.` };
    }
    if (node.max !== undefined && measure !== undefined && measure > node.max) {
      return { ok: false, event: 'invalid', message: node.type === 'text' || node.type === 'digits' ? `The answer may have at most ${node.max} characters.` : `The answer must be at most ${node.max}.` };
    }
    if (node.pattern !== undefined && typeof value === 'string' && !compilePattern(node.pattern, 0).test(value)) {
      return { ok: false, event: 'invalid', message: 'The answer does not have the expected form.' };
    }
    if (node.validations.length) {
      const probe: Draft = { ...d, vars: { ...d.vars, [node.var]: value } };
      for (const v of node.validations) if (!truthy(this.eval(v.cond, probe, v.at))) return { ok: false, event: 'invalid', message: v.message };
    }
    return { ok: true, value };
  }

  private pickPrompt(prompts: readonly Prompt[], d: { channel: Channel; lang?: string }): Prompt | undefined {
    let list = prompts.filter((p) => p.channel === d.channel);
    if (list.length === 0) list = prompts.filter((p) => p.channel === undefined);
    if (list.length === 0) return undefined;
    if (d.lang) {
      const lang = d.lang.toLowerCase();
      const exact = list.find((p) => p.lang?.toLowerCase() === lang) ?? list.find((p) => p.lang !== undefined && lang.startsWith(p.lang.toLowerCase().split('-')[0] as string));
      if (exact) return exact;
    }
    return list.find((p) => p.lang === undefined) ?? list[0];
  }

  private render(bundle: ScriptBundle, s: SessionState): DialogueStep {
    const script = this.script(bundle, s.at.script);
    const node = script.nodes.get(s.at.node) as ScriptNode;
    const canGoBack = s.channel !== 'ivr' && s.status !== 'handoff' && s.status !== 'abandoned' && s.history.length > 0;
    const prompt = (list: readonly Prompt[]): string => {
      const p = this.pickPrompt(list, s);
      return p ? this.renderPromptAt(p, s, node.at) : '';
    };
    if (s.status === 'handoff') {
      return {
        kind: 'handoff',
        script: script.id,
        node: node.id,
        prompt: node.kind === 'handoff' ? prompt(node.prompts) : '',
        queue: s.handoff?.queue ?? '',
        skills: s.handoff?.skills ?? [],
        ...(s.handoff?.priority === undefined ? {} : { priority: s.handoff.priority }),
        vars: s.channel === 'web' ? onlyPublic(s.vars, publicVariables(bundle)) : s.vars,
        canGoBack,
      };
    }
    if (s.status === 'ended') return { kind: 'end', script: script.id, node: node.id, prompt: node.kind === 'end' ? prompt(node.prompts) : '', outcome: s.outcome ?? '', canGoBack };
    // Nothing more is shown to someone who left: an end without a prompt or an outcome.
    if (s.status === 'abandoned') return { kind: 'end', script: script.id, node: node.id, prompt: '', outcome: '', canGoBack };
    if (node.kind === 'info') return { kind: 'info', script: script.id, node: node.id, prompt: prompt(node.prompts), canGoBack };
    const q = node as QuestionNode;
    const help = q.help.length ? prompt(q.help) : undefined;
    return {
      kind: 'question',
      script: script.id,
      node: q.id,
      prompt: prompt(q.prompts),
      ...(help !== undefined ? { help } : {}),
      type: q.type,
      required: q.required,
      ...(q.type === 'choice' ? { choices: q.choices.map((c) => ({ value: c.value, label: c.label, ...(c.dtmf !== undefined ? { dtmf: c.dtmf } : {}) })) } : {}),
      ...(s.notice !== undefined ? { error: s.notice } : {}),
      canGoBack,
    };
  }

  private renderPromptAt(p: Prompt, s: SessionState, at: SourceRef): string {
    let out = '';
    for (const part of p.parts) out += typeof part === 'string' ? part : formatValue(this.eval(part, s as Draft, at));
    return out;
  }
}
