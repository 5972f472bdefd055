import { WebSocket } from 'ws';
import { isCarusoError } from '../error-catalogue.js';
import { KernelErrors } from '../errors.js';
import { Emitter, type Event } from '../event.js';
import { silentLogger, type Logger } from '../logger.js';
import type { LookupOptions, RegistryEvent, ServiceInfo, ServiceProperties } from '../service-manager.js';
import type { Token } from '../token.js';
import { methodNames, type RemoteServiceDescription } from './endpoint.js';
import { RpcPeer } from './rpc-peer.js';

/**
 * The remote view of a contract: the same methods, each answering with a promise (every call
 * crosses the network).
 */
export type Remote<T> = {
  readonly [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/** Options of {@link connectServiceManager}. */
export interface RemoteConnectOptions {
  /** The access token (from the environment). */
  readonly accessToken: string;
  /** A name for the manager's logs, e.g. `billing-wrapper`. */
  readonly name?: string;
  /** Deadline of every call unless one is given per lookup. Default 30 s. */
  readonly callDeadlineMs?: number;
  /** Time to connect and authenticate. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Largest accepted message. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  readonly logger?: Logger;
}

/** A service this process registered with a remote manager. */
export interface RemoteRegistration {
  readonly id: string;
  readonly leaseTtlMs: number;
  /** Removes it from the manager. */
  unregister(): Promise<void>;
}

/** What {@link RemoteServiceManager.register} takes. */
export interface RemoteServiceDefinition<T> {
  readonly version: string;
  readonly properties?: ServiceProperties;
  readonly ranking?: number;
  /** The implementation; its methods are what remote callers may call. */
  readonly implementation: T;
  /** Lease time-to-live; renewed automatically every third of it. Default: the manager's (10 s). */
  readonly leaseTtlMs?: number;
  /** When false the lease is not renewed (used to test expiry). Default true. */
  readonly renew?: boolean;
}

/**
 * A connection to a service manager in another process: look up and call its services through
 * typed proxies, and register services of this process with it.
 */
export class RemoteServiceManager {
  private readonly implementations = new Map<string, Record<string, unknown>>();
  private readonly renewTimers = new Set<NodeJS.Timeout>();
  private refs = 0;
  private readonly _onDidChangeRegistry = new Emitter<RegistryEvent>();
  /** Registry events (after {@link subscribe}). */
  readonly onDidChangeRegistry: Event<RegistryEvent> = this._onDidChangeRegistry.event;
  private readonly _onDidClose = new Emitter<void>();
  /** Fires when the connection is closed or lost. */
  readonly onDidClose: Event<void> = this._onDidClose.event;
  private peer!: RpcPeer;
  private readonly logger: Logger;

  private constructor(
    readonly url: string,
    private readonly options: RemoteConnectOptions,
  ) {
    this.logger = options.logger ?? silentLogger();
  }

  /** Connects and authenticates. Throws CARUSO_KERNEL_AUTH_FAILED for an unknown token. */
  static async connect(url: string, options: RemoteConnectOptions): Promise<RemoteServiceManager> {
    const client = new RemoteServiceManager(url, options);
    const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
    const timeout = options.connectTimeoutMs ?? 5000;
    const socket = new WebSocket(url, { maxPayload: maxMessageBytes * 4, handshakeTimeout: timeout });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (err) => reject(KernelErrors.CARUSO_KERNEL_RPC_CONNECTION_LOST({ peer: url, method: 'connect' }, { cause: err })));
    });
    client.peer = new RpcPeer(socket, url, (method, params) => client.handle(method, params), client.logger, maxMessageBytes);
    client.peer.onDidClose(() => {
      for (const t of client.renewTimers) clearInterval(t);
      client.renewTimers.clear();
      client._onDidClose.fire();
    });
    client.peer.onDidNotify(({ method, params }) => {
      if (method === 'event') client._onDidChangeRegistry.fire(params as RegistryEvent);
    });
    try {
      await client.peer.request('auth', { token: options.accessToken, name: options.name }, timeout);
    } catch (err) {
      client.peer.close();
      throw err;
    }
    return client;
  }

  private get deadline(): number {
    return this.options.callDeadlineMs ?? 30_000;
  }

  /** Calls from the manager into a service this process registered. */
  private async handle(method: string, params: unknown): Promise<unknown> {
    if (method === 'event') return undefined;
    if (method !== 'invoke') throw KernelErrors.CARUSO_KERNEL_RPC_METHOD_NOT_FOUND({ method });
    const p = params as { ref?: unknown; method?: unknown; args?: unknown };
    const impl = typeof p.ref === 'string' ? this.implementations.get(p.ref) : undefined;
    if (!impl) throw KernelErrors.CARUSO_KERNEL_SERVICE_UNAVAILABLE({ token: String(p.ref), reason: 'not registered by this process' });
    const name = typeof p.method === 'string' ? p.method : '';
    if (!methodNames(impl).includes(name)) throw KernelErrors.CARUSO_KERNEL_RPC_METHOD_NOT_FOUND({ method: name });
    return (impl[name] as (...a: unknown[]) => unknown)(...(Array.isArray(p.args) ? p.args : []));
  }

  /** Describes the matches of a lookup, best first (throws CARUSO_KERNEL_SERVICE_NOT_FOUND when none). */
  async lookup(token: Token<unknown>, options: LookupOptions = {}): Promise<RemoteServiceDescription[]> {
    const r = (await this.peer.request('lookup', { token: token.id, ...options }, this.deadline, token.id)) as { services: RemoteServiceDescription[] };
    return r.services;
  }

  /**
   * A typed proxy for the best match of `token` on the manager. Calls go through the manager's own
   * stable proxy, so they follow hot replacements there.
   */
  async get<T>(token: Token<T>, options: LookupOptions & { readonly deadlineMs?: number } = {}): Promise<Remote<T>> {
    const { deadlineMs = this.deadline, ...lookup } = options;
    const services = await this.lookup(token, lookup);
    const proxy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const methods = new Set(services.flatMap((s) => s.methods));
    for (const m of methods) {
      proxy[m] = (...args: unknown[]) =>
        this.peer.request('call', { token: token.id, ...lookup, method: m, args, deadlineMs }, deadlineMs + 1000, token.id);
    }
    return proxy as Remote<T>;
  }

  /** Registers an implementation living in this process; its lease is renewed automatically. */
  async register<T>(token: Token<T>, definition: RemoteServiceDefinition<T>): Promise<RemoteRegistration> {
    const impl = definition.implementation as unknown as Record<string, unknown>;
    const methods = methodNames(impl);
    // The manager may call in (its first health check) before the answer arrives: the
    // implementation is known under a reference this process chooses, before the request goes out.
    const ref = `r${++this.refs}`;
    this.implementations.set(ref, impl);
    const r = (await this.peer.request(
      'register',
      {
        token: token.id,
        version: definition.version,
        properties: definition.properties ?? {},
        ranking: definition.ranking ?? 0,
        methods,
        ref,
        ...(definition.leaseTtlMs === undefined ? {} : { leaseTtlMs: definition.leaseTtlMs }),
      },
      this.deadline,
      token.id,
    ).catch((err: unknown) => {
      this.implementations.delete(ref);
      throw err;
    })) as { id: string; leaseTtlMs: number };
    let timer: NodeJS.Timeout | undefined;
    const stopRenewing = (): void => {
      if (timer) {
        clearInterval(timer);
        this.renewTimers.delete(timer);
        timer = undefined;
      }
    };
    if (definition.renew !== false) {
      timer = setInterval(() => {
        this.peer.request('renew', { id: r.id }, r.leaseTtlMs).catch((err: unknown) => {
          if (!isCarusoError(err, 'CARUSO_KERNEL_LEASE_EXPIRED')) return; // a late answer: the next renewal retries
          stopRenewing();
          this.implementations.delete(ref);
          this.logger.warn({ id: r.id }, 'the lease of a registration expired; register again');
        });
      }, Math.max(20, Math.floor(r.leaseTtlMs / 3)));
      timer.unref();
      this.renewTimers.add(timer);
    }
    return {
      id: r.id,
      leaseTtlMs: r.leaseTtlMs,
      unregister: async () => {
        stopRenewing();
        try {
          await this.peer.request('unregister', { id: r.id }, this.deadline);
        } finally {
          this.implementations.delete(ref);
        }
      },
    };
  }

  /** Every registration this principal may see, with state, version, properties, health and metrics. */
  async list(): Promise<ServiceInfo[]> {
    return (await this.peer.request('services', {}, this.deadline)) as ServiceInfo[];
  }

  /** Runs the health checks on the manager and returns the list. */
  async health(): Promise<ServiceInfo[]> {
    return (await this.peer.request('health', {}, this.deadline)) as ServiceInfo[];
  }

  /** Starts receiving registry events through {@link onDidChangeRegistry}. */
  async subscribe(): Promise<number> {
    const r = (await this.peer.request('subscribe', {}, this.deadline)) as { seq: number };
    return r.seq;
  }

  /** Closes the connection; the manager removes this process's services. */
  async close(): Promise<void> {
    if (this.peer.isClosed) return;
    const closed = new Promise<void>((resolve) => this.peer.socket.once('close', () => resolve()));
    this.peer.close();
    await closed;
    this._onDidChangeRegistry.dispose();
  }
}

/** Connects to the service manager at `url` (e.g. `ws://127.0.0.1:7070`). */
export function connectServiceManager(url: string, options: RemoteConnectOptions): Promise<RemoteServiceManager> {
  return RemoteServiceManager.connect(url, options);
}
