/**
 * The dialogue engine as a service of the service manager: it depends on the storage manager
 * (sessions and kept script versions), loads a folder of scripts, and reaches `<fetch>` and
 * `<action>` services through the manager it is started by.
 */
import type { HealthStatus, ServiceContext, ServiceDefinition, ServiceLifecycle } from '@caruso/kernel';
import { StorageManager } from '@caruso/storage';
import type { DialogueEngine, SessionView, StartOptions, StepOptions } from './dialogue-engine.js';
import { DialogueErrors } from './errors.js';
import { createDialogueEngine, type DialogueEngineImpl } from './internal/dialogue-engine-impl.js';
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
}

const storageDependency = { storage: { token: StorageManager } } as const;

/** The engine behind the token, with its lifecycle. */
class DialogueService implements DialogueEngine, ServiceLifecycle {
  private scriptStore: ScriptStore | undefined;
  private engine: DialogueEngineImpl | undefined;

  constructor(
    private readonly sessions: StorageSessionStore,
    private readonly options: DialogueServiceOptions,
  ) {}

  async start(ctx: ServiceContext): Promise<void> {
    await this.sessions.migrate();
    const scripts = ScriptStore.loadFolder(this.options.folder, { watch: this.options.watch ?? true, logger: ctx.logger });
    for (const d of scripts.diagnostics()) if (d.severity === 'error') ctx.logger.warn({ diagnostic: String(d) }, 'script not loaded');
    this.scriptStore = scripts;
    this.engine = createDialogueEngine({ scripts, sessions: this.sessions, services: serviceLookupServices(ctx.services), logger: ctx.logger });
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
