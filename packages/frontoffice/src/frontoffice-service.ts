/**
 * The front office as a service: it finds the storage manager, the business objects, the dialogue
 * engine and the communication server through the service manager, checks the application
 * definition against the model and the loaded scripts, migrates its tables and listens.
 */
import type { ServiceContext, ServiceDefinition } from '@caruso/kernel';
import { ChatChannel, CommunicationServer, ContactEventLog, EmailChannel, OutboundMail, VoicemailStore } from '@caruso/comms';
import { Monitor } from '@caruso/monitor';
import { DialogueEngine } from '@caruso/dialogue';
import { BusinessObjects } from '@caruso/objects';
import { StorageManager } from '@caruso/storage';
import { readApplication, readApplicationFile, requireApplication } from './application-reader.js';
import type { Application, RoleName } from './common/application.js';
import { FrontOfficeErrors } from './errors.js';
import type { FrontOffice } from './front-office.js';
import { createFrontOfficeServer, type FrontOfficeServer, type FrontOfficeServerOptions } from './server.js';
import { FrontOfficeStore, type User } from './user-store.js';

export const FRONTOFFICE_SERVICE_VERSION = '0.1.0';

export interface FrontOfficeServiceOptions {
  /** The application definition: a file path, or its XML text with `applicationText`. */
  readonly application?: string;
  readonly applicationText?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /**
   * Users created at start when missing (set-up). Passwords come from the environment
   * (e.g. CARUSO_ADMIN_PASSWORD), never from a file in the repository.
   */
  readonly users?: readonly (User & { readonly password: string })[];
  readonly server?: Pick<FrontOfficeServerOptions, 'bodyLimit' | 'maxHeaderSize' | 'secureCookies' | 'sessionTtlMs' | 'sessionRevalidateMs' | 'maxLoginFailures' | 'loginWindowMs' | 'queues' | 'presence'>;
}

const DEPENDENCIES = {
  storage: { token: StorageManager },
  objects: { token: BusinessObjects },
  dialogue: { token: DialogueEngine },
  comms: { token: CommunicationServer },
  monitor: { token: Monitor, optional: true },
  chat: { token: ChatChannel, optional: true },
  email: { token: EmailChannel, optional: true },
  events: { token: ContactEventLog, optional: true },
} as const;

/**
 * @example
 * services.register(FrontOffice, frontOfficeService({ application: './app/crm.app.xml', port: 8080,
 *   users: [{ name: 'admin', role: 'administrator', agentId: undefined, password: process.env.CARUSO_ADMIN_PASSWORD! }] }));
 */
export function frontOfficeService(options: FrontOfficeServiceOptions): ServiceDefinition<FrontOffice, typeof DEPENDENCIES> {
  if ((options.application === undefined) === (options.applicationText === undefined)) {
    throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_OPTIONS({ reason: 'give exactly one of application (a file) and applicationText' });
  }
  for (const u of options.users ?? []) {
    if (typeof u.password !== 'string' || u.password.length < 10) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_OPTIONS({ reason: `the password of ${u.name} is missing or shorter than 10 characters` });
  }
  return {
    version: FRONTOFFICE_SERVICE_VERSION,
    dependencies: DEPENDENCIES,
    startTimeoutMs: 30_000,
    create: ({ storage, objects, dialogue, comms, monitor, chat, email, events }) => {
      let server: FrontOfficeServer | undefined;
      let application: Application | undefined;
      // One clock: what the front office stamps goes by the communication server's (maybe shifted) clock.
      const store = new FrontOfficeStore(storage, () => comms.now());
      return {
        get url(): string {
          return server?.url ?? '';
        },
        get application(): Application {
          if (!application) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_OPTIONS({ reason: 'the front office is not started' });
          return application;
        },
        addUser: (user: User, password: string) => store.addUser(user, password),
        openApi(role?: RoleName): Record<string, unknown> {
          if (!server) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_OPTIONS({ reason: 'the front office is not started' });
          return server.openApi(role);
        },
        async start(ctx: ServiceContext): Promise<void> {
          const infos = dialogue.scripts();
          const scripts = new Set(infos.map((s) => s.id));
          // A self-service page whose script reads or changes data needs <identify>: refused at start.
          const identifiedDataAccess = new Map(infos.map((s) => [s.id, s.identifiedDataAccess] as const));
          const file = options.application ?? '(application)';
          // With a monitor, a report widget naming no report of it fails the start (file:line:col).
          const names: unknown = monitor?.reportNames();
          const ctxApp = { model: objects.model, scripts, identifiedDataAccess, ...(Array.isArray(names) ? { reports: new Set(names as string[]) } : {}) };
          const r = options.application !== undefined ? readApplicationFile(options.application, ctxApp) : readApplication(options.applicationText as string, file, ctxApp);
          application = requireApplication(r, file);
          await store.migrate();
          const existing = new Set((await store.users()).map((u) => u.name));
          for (const u of options.users ?? []) if (!existing.has(u.name)) await store.addUser({ name: u.name, role: u.role, agentId: u.agentId }, u.password);
          server = createFrontOfficeServer({ app: application, objects, store, comms: () => comms, dialogue: () => dialogue, monitor: () => monitor,
            // Looked up when needed: a channel that finished starting after the front office is found too.
            chat: () => chat ?? ctx.services.tryGet(ChatChannel),
            email: () => email ?? ctx.services.tryGet(EmailChannel),
            mail: () => ctx.services.tryGet(OutboundMail),
            events: () => events ?? ctx.services.tryGet(ContactEventLog),
            // Registered by an assembly that shares it; otherwise the communication server's own messages.
            voicemails: () => ctx.services.tryGet(VoicemailStore) ?? { list: () => comms.voicemails(), get: (id: string) => comms.voicemail(id) },
            logger: ctx.logger, ...(options.server ?? {}) });
          const url = await server.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
          ctx.logger.info({ url }, 'front office listening');
        },
        async stop(): Promise<void> {
          await server?.close();
          server = undefined;
        },
        health() {
          return server ? { status: 'ok' as const, detail: `listening on ${server.url}` } : { status: 'down' as const, detail: 'not started' };
        },
      };
    },
  };
}
