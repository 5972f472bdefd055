import { randomUUID } from 'node:crypto';
import { containPromise, silentLogger, type Logger } from '@caruso/kernel';
import { loadScriptBundle, mapSourceReader } from '../script-bundle.js';
import type { ScriptBundle } from '../common/model.js';
import type { DialogueEngine, SessionView, StartOptions, StepOptions } from '../dialogue-engine.js';
import { DialogueErrors } from '../errors.js';
import { storedVersion, type ScriptCatalog, type ScriptInfo } from '../script-store.js';
import { SessionRuntime, type ScriptServices, type SessionState, type StepResult } from '../session-runtime.js';
import type { SessionStore } from '../session-store.js';

/** Options of {@link createDialogueEngine}. */
export interface DialogueEngineOptions {
  readonly scripts: ScriptCatalog;
  readonly sessions: SessionStore;
  /** How `<fetch>` and `<action>` reach services. */
  readonly services: ScriptServices;
  readonly logger?: Logger;
  /** The clock (tests pin it). */
  readonly now?: () => number;
  /** The application's language and time zone for the formatting functions (see RuntimeOptions). */
  readonly locale?: string;
  readonly timeZone?: string;
}

/** The dialogue engine. */
export class DialogueEngineImpl implements DialogueEngine {
  private runtime: SessionRuntime;
  private readonly bundles = new Map<string, ScriptBundle>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly logger: Logger;
  private readonly savedVersions = new Set<string>();

  constructor(private readonly options: DialogueEngineOptions) {
    this.runtime = new SessionRuntime({ services: options.services, ...this.runtimeOptions() });
    this.logger = (options.logger ?? silentLogger()).child({ svc: 'dialogue' });
  }

  /** Replaces how services are reached (the service wrapper sets it on start). */
  setServices(services: ScriptServices): void {
    this.runtime = new SessionRuntime({ services, ...this.runtimeOptions() });
  }

  private runtimeOptions(): { now?: () => number; locale?: string; timeZone?: string } {
    const o = this.options;
    return { ...(o.now ? { now: o.now } : {}), ...(o.locale ? { locale: o.locale } : {}), ...(o.timeZone ? { timeZone: o.timeZone } : {}) };
  }

  /** Runs operations of one session one after the other. */
  private serialize<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.queues.set(id, tail);
    containPromise('caruso.dialogue', tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    }));
    return next;
  }

  async startSession(script: string, options: StartOptions): Promise<SessionView> {
    const v = this.options.scripts.get(script, options.version);
    if (!v) {
      throw DialogueErrors.CARUSO_DIALOGUE_SCRIPT_NOT_FOUND({ script, version: options.version ?? 'latest', known: this.options.scripts.list().map((s) => s.id).join(', ') || 'none' });
    }
    const key = `${script}@${v.bundle.main.version}#${v.hash}`;
    this.bundles.set(key, v.bundle);
    const id = options.sessionId ?? randomUUID();
    return this.serialize(id, async () => {
      const res = await this.runtime.start(v.bundle, { id, hash: v.hash, channel: options.channel, ...(options.vars ? { vars: options.vars } : {}), ...(options.lang ? { lang: options.lang } : {}), ...(options.identity ? { identity: options.identity } : {}), ...(options.actor ? { actor: options.actor } : {}) });
      if (!this.savedVersions.has(key)) {
        await this.options.sessions.saveVersion(storedVersion(v));
        this.savedVersions.add(key);
      }
      await this.options.sessions.save(res.state, undefined);
      this.logger.debug({ session: id, script, version: v.bundle.main.version, channel: options.channel }, 'session started');
      return view(res);
    });
  }

  async answer(sessionId: string, value: unknown, options: StepOptions = {}): Promise<SessionView> {
    return this.serialize(sessionId, async () => {
      const state = await this.load(sessionId, options);
      const bundle = await this.bundleOf(state);
      const res = await this.runtime.answer(bundle, state, value);
      await this.options.sessions.save(res.state, state.revision);
      return view(res);
    });
  }

  async back(sessionId: string, options: StepOptions = {}): Promise<SessionView> {
    return this.serialize(sessionId, async () => {
      const state = await this.load(sessionId, options);
      const bundle = await this.bundleOf(state);
      const res = this.runtime.back(bundle, state);
      await this.options.sessions.save(res.state, state.revision);
      return view(res);
    });
  }

  async abandon(sessionId: string): Promise<SessionView> {
    return this.serialize(sessionId, async () => {
      const state = await this.load(sessionId, {});
      const bundle = await this.bundleOf(state);
      if (state.status !== 'active') return view({ state, step: this.runtime.present(bundle, state), trace: [] });
      const res = this.runtime.abandon(bundle, state);
      await this.options.sessions.save(res.state, state.revision);
      this.logger.debug({ session: sessionId, script: state.script, node: state.at.node }, 'session abandoned');
      return view(res);
    });
  }

  async resume(sessionId: string): Promise<SessionView> {
    const state = await this.load(sessionId, {});
    const bundle = await this.bundleOf(state);
    return view({ state, step: this.runtime.present(bundle, state), trace: [] });
  }

  async state(sessionId: string): Promise<SessionState> {
    return this.load(sessionId, {});
  }

  scripts(): ScriptInfo[] {
    return this.options.scripts.list();
  }

  private async load(id: string, options: StepOptions): Promise<SessionState> {
    const state = await this.options.sessions.load(id);
    if (!state) throw DialogueErrors.CARUSO_DIALOGUE_SESSION_NOT_FOUND({ session: id });
    if (options.revision !== undefined && options.revision !== state.revision) {
      throw DialogueErrors.CARUSO_DIALOGUE_SESSION_CONFLICT({ session: id, actual: state.revision, expected: options.revision });
    }
    // A session saved without an actor adopts the one the host names (saved with the step).
    if (!state.actor && options.actor) {
      const a = options.actor;
      return { ...state, actor: { kind: a.kind, ...(a.id !== undefined ? { id: a.id } : {}), ...(a.roles ? { roles: [...a.roles] } : {}) } };
    }
    return state;
  }

  /** The bundle a session is pinned to: in memory, in the script store, or kept in the session store. */
  private async bundleOf(state: SessionState): Promise<ScriptBundle> {
    const key = `${state.script}@${state.version}#${state.hash}`;
    const cached = this.bundles.get(key);
    if (cached) return cached;
    const fromCatalog = this.options.scripts.find(state.script, state.version, state.hash);
    if (fromCatalog) {
      this.bundles.set(key, fromCatalog.bundle);
      return fromCatalog.bundle;
    }
    const stored = await this.options.sessions.loadVersion(state.script, state.version, state.hash);
    const main = stored?.files[0];
    if (!stored || !main) throw DialogueErrors.CARUSO_DIALOGUE_SCRIPT_NOT_FOUND({ script: state.script, version: `${state.version} (${state.hash})`, known: this.options.scripts.list().map((s) => s.id).join(', ') || 'none' });
    const files = new Map(stored.files.map((f) => [f.file, f.text] as const));
    const loaded = loadScriptBundle(main.file, main.text, mapSourceReader(files));
    if (!loaded.bundle) {
      const first = loaded.diagnostics.find((d) => d.severity === 'error');
      throw DialogueErrors.CARUSO_DIALOGUE_INVALID_SCRIPT({ file: main.file, count: loaded.diagnostics.length, first: first ? String(first) : 'unknown' });
    }
    this.logger.info({ script: state.script, version: state.version }, 'session resumed on a kept script version');
    this.bundles.set(key, loaded.bundle);
    return loaded.bundle;
  }
}

function view(res: StepResult): SessionView {
  const s = res.state;
  return { sessionId: s.id, revision: s.revision, status: s.status, script: s.script, version: s.version, channel: s.channel, step: res.step, trace: res.trace };
}

/** Creates a dialogue engine over a script catalog and a session store. */
export function createDialogueEngine(options: DialogueEngineOptions): DialogueEngineImpl {
  return new DialogueEngineImpl(options);
}
