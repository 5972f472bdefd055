/**
 * The front office as a service: it finds the storage manager, the business objects, the dialogue
 * engine and the communication server through the service manager, checks the application
 * definition against the model and the loaded scripts, migrates its tables and listens.
 */
import type { ServiceContext, ServiceDefinition, ServiceHandle, ServiceManager } from '@caruso/kernel';
import { ChatChannel, CommunicationServer, ContactEventLog, EmailChannel, OutboundMail, VoicemailStore } from '@caruso/comms';
import { Monitor } from '@caruso/monitor';
import { DialogueEngine, ObjectAccessPolicy } from '@caruso/dialogue';
import { BusinessObjects } from '@caruso/objects';
import { StorageManager } from '@caruso/storage';
import { readApplication, readApplicationFile, requireApplication } from './application-reader.js';
import type { Application, RoleName } from './common/application.js';
import { FrontOfficeErrors } from './errors.js';
import type { FrontOffice } from './front-office.js';
import { createFrontOfficeServer, type FrontOfficeServer, type FrontOfficeServerOptions } from './server.js';
import { FrontOfficeStore, type User } from './user-store.js';
import { roleObjectAccessPolicy } from './internal/object-access.js';
import { Permissions } from './permissions.js';

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
  /**
   * The service manager the front office is registered with. When given, the front office registers
   * its access policy for business objects in scripts under the dialogue engine's
   * `ObjectAccessPolicy` token while it runs: a desktop script's `<fetch object>` and
   * `<action object>` then run with the agent's role's rights (the application's `<grant>`s), a
   * self-service script's with the visitor's identity. Note: without it (and without another policy
   * registered) scripts run under the dialogue engine's default policy, which lets agents do what a
   * script declares.
   */
  readonly services?: ServiceManager;
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
      let policy: ServiceHandle<ObjectAccessPolicy> | undefined;
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
          // A screen pop by field names a variable the scripts collect: an unknown one is a warning.
          const variables = new Set(infos.flatMap((s) => s.variables ?? []));
          const ctxApp = { model: objects.model, scripts, identifiedDataAccess, variables, ...(Array.isArray(names) ? { reports: new Set(names as string[]) } : {}) };
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
          // Scripts run with the caller's rights: the agent's role decides what a desktop script's
          // business-object elements may do (the engine looks the policy up at every request). In
          // force before the first request arrives.
          if (options.services) {
            const permissions = new Permissions(objects.model, application);
            policy = options.services.register(ObjectAccessPolicy, { version: FRONTOFFICE_SERVICE_VERSION, properties: { owner: 'frontoffice' }, create: () => roleObjectAccessPolicy(permissions) });
            await policy.ready;
          } else if (ctx.services.find(ObjectAccessPolicy.id).length === 0) {
            // Nobody decides with the roles: a desktop script may do with business objects what it declares.
            ctx.logger.warn('no object access policy: desktop scripts run without the agents\' role rights (give the front office the service manager as services)');
          }
          let url: string;
          try {
            url = await server.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
          } catch (err) {
            await policy?.unregister();
            policy = undefined;
            throw err;
          }
          ctx.logger.info({ url, objectAccessPolicy: policy !== undefined }, 'front office listening');
        },
        async stop(): Promise<void> {
          const registered = policy;
          policy = undefined;
          await registered?.unregister();
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
