/**
 * The dialogue engine as a service of the service manager: it depends on the storage manager
 * (sessions and kept script versions), loads a folder of scripts, and reaches `<fetch>` and
 * `<action>` services through the manager it is started by.
 */
import { createToken, type HealthStatus, type ServiceContext, type ServiceDefinition, type ServiceLifecycle } from '@caruso/kernel';
import { StorageManager } from '@caruso/storage';
import type { DialogueEngine, SessionView, StartOptions, StepOptions } from './dialogue-engine.js';
import { DialogueErrors } from './errors.js';
import { createDialogueEngine, type DialogueEngineImpl } from './internal/dialogue-engine-impl.js';
import { OBJECTS_TOKEN_ID, type ScriptObjectModel } from './object-access.js';
import { serviceLookupServices } from './script-services.js';
import { ScriptStore, type ScriptInfo } from './script-store.js';
import type { SessionState } from './session-runtime.js';
import { StorageSessionStore } from './storage-session-store.js';

/** Version of this implementation of {@link DialogueEngine}. */
export const DIALOGUE_SERVICE_VERSION = '1.0.0';

/** Options of {@link dialogueEngineService}. */
export interface DialogueServiceOptions {
  /** The folder of script files. */
  readonly folder: string;
  /** Reload changed files. Default true. */
  readonly watch?: boolean;
  /** The application's language tag: the formatting functions use it when a session has no `lang`. Default `en`. */
  readonly locale?: string;
  /** The time zone formatted times are shown in (`Europe/Amsterdam`). Default: the process's. */
  readonly timeZone?: string;
}

/** The objects service, by its token id (dialogue does not import @caruso/objects): its model checks the scripts. */
const ObjectsModelToken = createToken<{ readonly model: ScriptObjectModel }>(OBJECTS_TOKEN_ID);
/** How long the engine waits at start for a registered objects service, whose model checks the scripts. */
const OBJECTS_WAIT_MS = 20_000;
const storageDependency = { storage: { token: StorageManager } } as const;

/** The engine behind the token, with its lifecycle. */
class DialogueService implements DialogueEngine, ServiceLifecycle {
  private scriptStore: ScriptStore | undefined;
  private engine: DialogueEngineImpl | undefined;

  constructor(
    private readonly sessions: StorageSessionStore,
    private readonly options: DialogueServiceOptions,
  ) {}

  /**
   * The model of the objects service when one is registered (waiting for it to start: services
   * start side by side), so that scripts are checked against it when they load. Not a dependency:
   * an assembly without business objects runs scripts all the same.
   */
  private async objectModel(ctx: ServiceContext): Promise<ScriptObjectModel | undefined> {
    const registered = ctx.services.find(OBJECTS_TOKEN_ID).some((i) => i.state !== 'failed' && i.state !== 'stopped');
    if (!registered) return undefined;
    try {
      return (await ctx.services.whenAvailable(ObjectsModelToken, { timeoutMs: OBJECTS_WAIT_MS })).model;
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message }, 'the objects service did not start: scripts are loaded without checking them against its model');
      return undefined;
    }
  }

  async start(ctx: ServiceContext): Promise<void> {
    await this.sessions.migrate();
    // With the objects service the scripts are checked against its model when they load.
    const model = await this.objectModel(ctx);
    const scripts = ScriptStore.loadFolder(this.options.folder, { watch: this.options.watch ?? true, logger: ctx.logger, ...(model ? { objects: model } : {}) });
    for (const d of scripts.diagnostics()) if (d.severity === 'error') ctx.logger.warn({ diagnostic: String(d) }, 'script not loaded');
    this.scriptStore = scripts;
    this.engine = createDialogueEngine({ scripts, sessions: this.sessions, services: serviceLookupServices(ctx.services), logger: ctx.logger, ...(this.options.locale ? { locale: this.options.locale } : {}), ...(this.options.timeZone ? { timeZone: this.options.timeZone } : {}) });
  }

  stop(): void {
    this.scriptStore?.dispose();
    this.scriptStore = undefined;
    this.engine = undefined;
  }

  health(): HealthStatus {
    return this.engine ? { status: 'ok', detail: `${this.scriptStore?.list().length ?? 0} script(s) loaded` } : { status: 'down', detail: 'not started' };
  }

  private need(): DialogueEngineImpl {
    if (!this.engine) throw DialogueErrors.CARUSO_DIALOGUE_STORE_FAILED({ operation: 'serve', reason: 'the dialogue engine is not started' });
    return this.engine;
  }

  startSession(script: string, options: StartOptions): Promise<SessionView> {
    return this.need().startSession(script, options);
  }
  answer(sessionId: string, value: unknown, options?: StepOptions): Promise<SessionView> {
    return this.need().answer(sessionId, value, options);
  }
  back(sessionId: string, options?: StepOptions): Promise<SessionView> {
    return this.need().back(sessionId, options);
  }
  resume(sessionId: string): Promise<SessionView> {
    return this.need().resume(sessionId);
  }
  abandon(sessionId: string): Promise<SessionView> {
    return this.need().abandon(sessionId);
  }
  state(sessionId: string): Promise<SessionState> {
    return this.need().state(sessionId);
  }
  scripts(): ScriptInfo[] {
    return this.need().scripts();
  }
}

/**
 * The service definition to register under the {@link DialogueEngine} token. The engine migrates
 * its tables (scope `dialogue`) and loads the folder when it starts.
 * @example
 * manager.register(StorageManager, storageService({ url: 'sqlite:./crm.db' }));
 * manager.register(DialogueEngine, dialogueEngineService({ folder: './scripts' }));
 * await manager.start();
 * const view = await manager.get(DialogueEngine).startSession('fault-report', { channel: 'agent' });
 */
export function dialogueEngineService(options: DialogueServiceOptions): ServiceDefinition<DialogueEngine, typeof storageDependency> {
  return {
    version: DIALOGUE_SERVICE_VERSION,
    dependencies: storageDependency,
    create: ({ storage }) => new DialogueService(new StorageSessionStore(storage), options),
  };
}
