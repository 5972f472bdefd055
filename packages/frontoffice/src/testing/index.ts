/**
 * Test helpers of the front office: a whole assembly (storage, business objects, dialogue engine,
 * communication server, front office) on a real service manager and a real HTTP port, and a small
 * HTTP client that keeps the session cookie and CSRF token.
 */
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { CommunicationServer, ContactEventLog, commsService, contactEventLogService, type AgentConfig, type QueueConfig } from '@caruso/comms';
import { Monitor, monitorService, type MonitorOptions } from '@caruso/monitor';
import { DialogueEngine, dialogueEngineService } from '@caruso/dialogue';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { StorageManager, storageService } from '@caruso/storage';
import { FrontOffice } from '../front-office.js';
import { frontOfficeService, type FrontOfficeServiceOptions } from '../frontoffice-service.js';
import type { User } from '../user-store.js';

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
  stop(): Promise<void>;
}

export async function startTestAssembly(o: TestAssemblyOptions): Promise<TestAssembly> {
  const manager = createServiceManager();
  manager.register(StorageManager, storageService(o.db));
  manager.register(BusinessObjects, businessObjectsService({ model: o.model, schema: 'migrate' }));
  manager.register(DialogueEngine, dialogueEngineService({ folder: o.scripts, watch: false }));
  manager.register(ContactEventLog, contactEventLogService());
  if (o.monitor) manager.register(Monitor, monitorService({ ...o.monitor, services: manager }));
  manager.register(CommunicationServer, commsService({ queues: o.queues ?? [{ id: 'support', wrapUpMs: 600_000 }], agents: o.agents ?? [] }));
  const handle = manager.register(FrontOffice, frontOfficeService({ application: o.application, port: 0, users: o.users ?? [], ...(o.server ? { server: o.server } : {}) }));
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

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
