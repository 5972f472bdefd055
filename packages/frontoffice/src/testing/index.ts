/**
 * Test helpers of the front office: a whole assembly (storage, business objects, dialogue engine,
 * communication server, front office) on a real service manager and a real HTTP port, and a small
 * HTTP client that keeps the session cookie and CSRF token.
 */
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import {
  ChatChannel,
  CommunicationServer,
  ContactEventLog,
  EmailChannel,
  OutboundMail,
  chatChannel,
  commsService,
  contactEventLogService,
  emailChannel,
  simulatedTelephonyService,
  smtpRelayMail,
  type SimulatedTelephony,
  TelephonyAdapter,
  type AgentConfig,
  type CampaignSettings,
  type Clock,
  type ChatChannelOptions,
  type EmailChannelOptions,
  type CommsServiceOptions,
  type QueueConfig,
} from '@caruso/comms';
import { Monitor, monitorService, type MonitorOptions } from '@caruso/monitor';
import { DialogueEngine, dialogueEngineService } from '@caruso/dialogue';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { StorageManager, storageService } from '@caruso/storage';
import { FrontOffice } from '../front-office.js';
import { frontOfficeService, type FrontOfficeServiceOptions } from '../frontoffice-service.js';
import type { User } from '../user-store.js';
import type { RoleName } from '../common/application.js';
import { reportResponse } from './response-contract.js';

export { checkResponses, recordResponses, type ContractReport, type ContractViolation, type RecordedResponse } from './response-contract.js';
export { deskPage, expectValue, launchChromium, logIn, seriousFindings, watchedPage, type WatchedPage, type WatchedPageOptions } from './chromium.js';
export { mustOpen, openSocket, type Frame, type TestSocket } from './test-socket.js';

export interface TestAssemblyOptions {
  /** Storage URL, e.g. `sqlite:/tmp/x/crm.db`. */
  readonly db: string;
  readonly model: string;
  readonly application: string;
  readonly scripts: string;
  readonly queues?: readonly QueueConfig[];
  readonly agents?: readonly AgentConfig[];
  readonly users?: readonly (User & { readonly password: string })[];
  readonly server?: FrontOfficeServiceOptions['server'];
  /** Registers a monitor service with these options (none by default: the wallboard then uses its own figures). */
  readonly monitor?: MonitorOptions;
  /**
   * Registers the web-chat channel. With `port` (0: any) it also has its standalone listener, where
   * test customers connect to `/chat/customer` (agents use the front office's `/ws/chat`).
   */
  readonly chat?: Pick<ChatChannelOptions, 'queueId' | 'port' | 'customerGraceMs'>;
  /** Registers the e-mail channel (SMTP on loopback, port 0 by default). */
  readonly email?: Pick<EmailChannelOptions, 'queueId' | 'recipients' | 'mailbox'>;
  /** Registers the outbound mail relay: an SMTP server on loopback at this port, sender `from`. */
  readonly relay?: { readonly port: number; readonly from: string };
  /** Outbound campaigns of the communication server (a simulated telephony adapter is registered for them). */
  readonly campaigns?: readonly CampaignSettings[];
  /** The communication server's clock (default the system clock), e.g. `shiftedClock(…)` as `caruso start --at` runs it. */
  readonly clock?: Clock;
  /** A simulated telephony adapter the test keeps (to place calls): registered as the telephony adapter. */
  readonly telephony?: SimulatedTelephony;
  /** Call recording in the communication server (with a telephony adapter that taps audio). */
  readonly recording?: CommsServiceOptions['recording'];
  /** Monitoring of calls in the communication server (the supervisors' phones). */
  readonly monitoring?: CommsServiceOptions['monitoring'];
}

export interface TestAssembly {
  readonly manager: ServiceManager;
  readonly url: string;
  readonly objects: BusinessObjects;
  readonly comms: CommunicationServer;
  readonly dialogue: DialogueEngine;
  /** The contact event log shared by the communication server (and the monitor, when registered). */
  readonly events: ContactEventLog;
  /** The monitor, when `monitor` options were given. */
  readonly monitor: Monitor | undefined;
  /** The chat channel, when `chat` options were given. */
  readonly chat: ChatChannel | undefined;
  /** The e-mail channel, when `email` options were given. */
  readonly email: EmailChannel | undefined;
  /** The front office's OpenAPI document: cut to a role, or whole (every route) without one. */
  openApi(role?: RoleName): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startTestAssembly(o: TestAssemblyOptions): Promise<TestAssembly> {
  const manager = createServiceManager();
  manager.register(StorageManager, storageService(o.db));
  manager.register(BusinessObjects, businessObjectsService({ model: o.model, schema: 'migrate' }));
  manager.register(DialogueEngine, dialogueEngineService({ folder: o.scripts, watch: false }));
  manager.register(ContactEventLog, contactEventLogService());
  if (o.monitor) manager.register(Monitor, monitorService({ ...o.monitor, services: manager }));
  if (o.telephony) manager.register(TelephonyAdapter, simulatedTelephonyService({ telephony: o.telephony }));
  else if (o.campaigns) manager.register(TelephonyAdapter, simulatedTelephonyService());
  manager.register(CommunicationServer, commsService({
    queues: o.queues ?? [{ id: 'support', wrapUpMs: 600_000 }],
    agents: o.agents ?? [],
    ...(o.campaigns ? { campaigns: o.campaigns } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.recording ? { recording: o.recording } : {}),
    ...(o.monitoring ? { monitoring: o.monitoring } : {}),
  }));
  if (o.relay) manager.register(OutboundMail, smtpRelayMail({ host: '127.0.0.1', port: o.relay.port, from: o.relay.from }));
  if (o.email) manager.register(EmailChannel, emailChannel({ port: 0, ...o.email }));
  // Without a standalone listener the hub needs no agent authenticator: the front office attaches agents.
  if (o.chat) manager.register(ChatChannel, chatChannel({ ...o.chat, ...(o.chat.port !== undefined ? { authenticateAgent: () => undefined } : {}) }));
  const handle = manager.register(FrontOffice, frontOfficeService({ application: o.application, port: 0, users: o.users ?? [], services: manager, ...(o.server ? { server: o.server } : {}) }));
  await manager.start();
  await handle.ready;
  const fo = manager.get(FrontOffice);
  return {
    manager,
    url: fo.url,
    objects: manager.get(BusinessObjects),
    comms: manager.get(CommunicationServer),
    dialogue: manager.get(DialogueEngine),
    events: manager.get(ContactEventLog),
    monitor: o.monitor ? manager.get(Monitor) : undefined,
    chat: o.chat ? manager.get(ChatChannel) : undefined,
    email: o.email ? manager.get(EmailChannel) : undefined,
    openApi: (role) => fo.openApi(role),
    stop: () => manager.stop(),
  };
}

/** A response of {@link ApiClient}. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

/** An HTTP client with a cookie jar and the CSRF token of its session. */
/** A client logged in as `name` (throws when the log-in fails). */
export async function loggedInClient(url: string, name: string, password: string): Promise<ApiClient> {
  const c = new ApiClient(url);
  const r = await c.login(name, password);
  if (r.status !== 200) throw new Error(`log-in of ${name} failed: HTTP ${r.status}`);
  return c;
}

export class ApiClient {
  private cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown, init: { readonly raw?: string; readonly contentType?: string; readonly csrf?: string | null } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers['cookie'] = cookie;
    const token = init.csrf === null ? undefined : (init.csrf ?? this.csrf);
    if (token && method !== 'GET') headers['x-csrf-token'] = token;
    let payload: string | undefined;
    if (init.raw !== undefined) payload = init.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
    const res = await fetch(`${this.base}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}), redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const k = pair!.slice(0, i);
      const v = pair!.slice(i + 1);
      if (v === '') this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
    const b = parsed as { csrf?: string };
    if (b && typeof b === 'object' && typeof b.csrf === 'string') this.csrf = b.csrf;
    reportResponse({ method, url: path, status: res.status, contentType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(), body: parsed });
    return { status: res.status, body: parsed, headers: res.headers };
  }

  login(username: string, password: string): Promise<ApiResponse> {
    return this.request('POST', '/api/session', { username, password });
  }

  get(path: string): Promise<ApiResponse> {
    return this.request('GET', path);
  }

  post(path: string, body: unknown = {}): Promise<ApiResponse> {
    return this.request('POST', path, body);
  }

  patch(path: string, body: unknown): Promise<ApiResponse> {
    return this.request('PATCH', path, body);
  }

  delete(path: string): Promise<ApiResponse> {
    return this.request('DELETE', path);
  }

  /** A client for another base URL (e.g. the front office after a restart) with this one's cookies and CSRF token. */
  withBase(base: string): ApiClient {
    const c = new ApiClient(base);
    c.cookies = new Map(this.cookies);
    c.csrf = this.csrf;
    return c;
  }

    cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
