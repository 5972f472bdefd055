import { EventEmitter } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { KernelErrors } from '../errors.js';
import { Disposable, DisposableStore } from '../lifecycle.js';
import { silentLogger, type Logger } from '../logger.js';
import type { LookupOptions, RegistryEvent, ServiceFilter, ServiceHandle, ServiceManager } from '../service-manager.js';
import { createToken, isValidTokenId } from '../token.js';
import { ServiceRegistry } from '../internal/service-registry.js';
import { AccessList, CONTRACT_METHODS, LIFECYCLE_METHODS, type AccessAction } from './access-list.js';
import { RpcPeer } from './rpc-peer.js';

/** Options of {@link RemoteEndpoint.listen}. */
export interface RemoteEndpointOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 7070. */
  readonly port?: number;
  /** Who may connect and what they may do. */
  readonly accessList: AccessList;
  /** Largest accepted message in bytes. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Lease of a remote registration when the client does not ask for one. Default 10 s. */
  readonly leaseTtlMs?: number;
  /** Deadline of a call into a remote process when the caller gives none. Default 30 s. */
  readonly callDeadlineMs?: number;
  /**
   * Requests of one connection handled at the same time; further ones wait, and the connection is
   * not read meanwhile (backpressure). Default 128.
   */
  readonly maxConcurrentRequests?: number;
  /** A connection that has not authenticated within this time is closed. Default 10 s. */
  readonly authTimeoutMs?: number;
  readonly logger?: Logger;
}

/** What a remote registration looks like on the wire. */
export interface RemoteServiceDescription {
  readonly id: string;
  readonly tokenId: string;
  readonly version: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly ranking: number;
  readonly methods: readonly string[];
}

interface Lease {
  readonly handle: ServiceHandle<unknown>;
  readonly ttlMs: number;
  timer: NodeJS.Timeout | undefined;
  /** False until the service is active: only then does its lease start to run. */
  armed: boolean;
}

/** Expired registration ids remembered per connection (to answer LEASE_EXPIRED), at most this many. */
const MAX_EXPIRED_REMEMBERED = 1000;

interface Connection {
  readonly peer: RpcPeer;
  principal: string | undefined;
  readonly leases: Map<string, Lease>;
  /** Ids whose lease expired, oldest first. */
  readonly expired: Set<string>;
  subscribed: { dispose(): void } | undefined;
  authTimer: NodeJS.Timeout | undefined;
}

const METHOD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/**
 * Never callable remotely, wherever they are defined: the service contract (the manager drives it),
 * promise and object plumbing. Other lifecycle methods (close, register …) need an explicit grant.
 */
const RESERVED = new Set([
  ...CONTRACT_METHODS,
  'constructor',
  '__proto__',
  'prototype',
  'then',
  'toString',
  'toLocaleString',
  'valueOf',
  'toJSON',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
]);

/**
 * The walk over an implementation's prototype chain stops at these: what they define (Disposable's
 * `register` and `dispose`, EventEmitter's `emit` and `on` …) is plumbing, not the contract.
 */
const BASE_PROTOTYPES: ReadonlySet<object> = new Set<object>([
  Object.prototype,
  Function.prototype,
  Disposable.prototype,
  DisposableStore.prototype,
  EventEmitter.prototype,
]);

function obj(params: unknown, method: string): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method, reason: 'params must be an object' });
  }
  return params as Record<string, unknown>;
}

function str(p: Record<string, unknown>, key: string, method: string, optional = false): string | undefined {
  const v = p[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096) {
    throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method, reason: `${key} must be a non-empty string` });
  }
  return v;
}

function lookupOptions(p: Record<string, unknown>, method: string): LookupOptions {
  const range = str(p, 'range', method, true);
  const filter = p['filter'];
  if (filter !== undefined && typeof filter !== 'string' && (typeof filter !== 'object' || filter === null || Array.isArray(filter))) {
    throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method, reason: 'filter must be a string or an object' });
  }
  return { ...(range === undefined ? {} : { range }), ...(filter === undefined ? {} : { filter: filter as ServiceFilter }) };
}

/**
 * The names of the methods an implementation offers (what a remote caller may call): its own and
 * its classes' methods with identifier names, without lifecycle and disposal members, names that
 * start with `_` (private by convention), symbols, and anything inherited from a base class of the
 * kernel or of Node (Object, Disposable, EventEmitter …).
 */
export function methodNames(instance: unknown): string[] {
  const names = new Set<string>();
  for (let o = instance as object | null; o && !BASE_PROTOTYPES.has(o); o = Object.getPrototypeOf(o) as object | null) {
    for (const n of Object.getOwnPropertyNames(o)) {
      if (RESERVED.has(n) || n.startsWith('_') || !METHOD_NAME.test(n)) continue;
      const d = Object.getOwnPropertyDescriptor(o, n);
      if (d && typeof d.value === 'function') names.add(n);
    }
  }
  return [...names].sort();
}

/**
 * The service manager's remote endpoint: a WebSocket server speaking JSON-RPC 2.0, so that other
 * processes register, look up and call services (a front office only knows this address).
 */
export class RemoteEndpoint {
  private readonly connections = new Set<Connection>();
  private readonly logger: Logger;
  private readonly maxMessageBytes: number;
  /** Remotely callable method names per implementation (computed once per instance). */
  private readonly callable = new WeakMap<object, ReadonlySet<string>>();

  private constructor(
    private readonly registry: ServiceRegistry,
    private readonly wss: WebSocketServer,
    private readonly options: RemoteEndpointOptions,
  ) {
    this.logger = (options.logger ?? silentLogger()).child({ svc: 'kernel.remote' });
    this.maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
    wss.on('connection', (socket, req) => this.accept(socket, req));
    // Errors of the listening server after start-up are logged, never thrown to the process. A
    // client's bad frame is handled per socket by its RpcPeer (ws closes it with 1009 or 1007).
    wss.on('error', (err) => this.logger.error({ err: err.message }, 'remote endpoint server error'));
  }

  /** Starts listening for remote processes on behalf of `manager` (one made by createServiceManager). */
  static listen(manager: ServiceManager, options: RemoteEndpointOptions): Promise<RemoteEndpoint> {
    if (!(manager instanceof ServiceRegistry)) throw new TypeError('RemoteEndpoint.listen needs a manager made by createServiceManager()');
    const registry = manager;
    const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
    return new Promise((resolve, reject) => {
      // ws closes a connection outright only far past the limit; up to 4× we answer with a clear error.
      const wss = new WebSocketServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 7070, maxPayload: maxMessageBytes * 4 });
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        resolve(new RemoteEndpoint(registry, wss, options));
      });
    });
  }

  /** The address it listens on, e.g. `ws://127.0.0.1:7070`. */
  get url(): string {
    const a = this.wss.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `ws://${host}:${a.port}`;
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Closes every connection (their services are removed) and stops listening. */
  async close(): Promise<void> {
    for (const c of [...this.connections]) c.peer.close(1001, 'service manager shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket, req: IncomingMessage): void {
    const name = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const conn: Connection = {
      peer: undefined as unknown as RpcPeer,
      principal: undefined,
      leases: new Map(),
      expired: new Set(),
      subscribed: undefined,
      authTimer: undefined,
    };
    const peer = new RpcPeer(socket, name, (method, params) => this.handle(conn, method, params), this.logger, this.maxMessageBytes, {
      hideInternalErrors: true,
      batchesAllowed: () => conn.principal !== undefined,
      ...(this.options.maxConcurrentRequests === undefined ? {} : { maxConcurrentRequests: this.options.maxConcurrentRequests }),
    });
    (conn as { peer: RpcPeer }).peer = peer;
    this.connections.add(conn);
    conn.authTimer = setTimeout(() => {
      if (!conn.principal) peer.close(4401, 'authentication timed out');
    }, this.options.authTimeoutMs ?? 10_000);
    peer.onDidClose(() => this.dropped(conn));
  }

  private dropped(conn: Connection): void {
    clearTimeout(conn.authTimer);
    conn.subscribed?.dispose();
    this.connections.delete(conn);
    for (const [id, lease] of conn.leases) {
      clearTimeout(lease.timer);
      const reg = this.registry.registration(id);
      if (reg) this.registry.removeNow(reg, KernelErrors.CARUSO_KERNEL_RPC_CONNECTION_LOST({ peer: conn.peer.name, method: 'register' }));
    }
    if (conn.leases.size) this.logger.info({ peer: conn.peer.name, principal: conn.principal, services: [...conn.leases.keys()] }, 'connection lost; its services were removed');
    conn.leases.clear();
  }

  private methodsOf(instance: object): ReadonlySet<string> {
    let names = this.callable.get(instance);
    if (!names) {
      names = new Set(methodNames(instance));
      this.callable.set(instance, names);
    }
    return names;
  }

  /** The not-found error for a remote principal: it names only the token ids the principal may look up. */
  private notFound(conn: Connection, tokenId: string, options: LookupOptions): Error {
    const principal = conn.principal as string;
    return this.registry.notFound(tokenId, options, (t) => this.options.accessList.allows(principal, 'lookup', t));
  }

  private check(conn: Connection, action: AccessAction, tokenId: string): void {
    const principal = conn.principal as string;
    if (!this.options.accessList.allows(principal, action, tokenId)) {
      // `tokenId`, not `token`: the logger redacts fields named token (they usually hold secrets).
      this.logger.warn({ principal, action, tokenId, peer: conn.peer.name }, 'permission denied');
      throw KernelErrors.CARUSO_KERNEL_PERMISSION_DENIED({ principal, action, token: tokenId });
    }
  }

  private async handle(conn: Connection, method: string, params: unknown): Promise<unknown> {
    if (method === 'auth') {
      const p = obj(params, method);
      const principal = this.options.accessList.authenticate(p['token']);
      if (!principal) {
        this.logger.warn({ peer: conn.peer.name }, 'authentication failed');
        throw KernelErrors.CARUSO_KERNEL_AUTH_FAILED();
      }
      conn.principal = principal;
      clearTimeout(conn.authTimer);
      const label = typeof p['name'] === 'string' ? p['name'].slice(0, 100) : principal;
      conn.peer.name = `${label}@${conn.peer.name}`;
      return { principal };
    }
    if (!conn.principal) throw KernelErrors.CARUSO_KERNEL_AUTH_REQUIRED();
    switch (method) {
      case 'lookup':
        return this.lookup(conn, obj(params, method));
      case 'call':
        return this.call(conn, obj(params, method));
      case 'register':
        return this.registerRemote(conn, obj(params, method));
      case 'renew':
        return this.renew(conn, params === undefined ? {} : obj(params, method));
      case 'unregister': {
        const id = str(obj(params, method), 'id', method) as string;
        const lease = conn.leases.get(id);
        if (!lease) {
          if (conn.expired.has(id)) throw KernelErrors.CARUSO_KERNEL_LEASE_EXPIRED({ id });
          throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method, reason: `${id} is not a registration of this connection` });
        }
        clearTimeout(lease.timer);
        conn.leases.delete(id);
        await lease.handle.unregister();
        return { id };
      }
      case 'services':
        return this.registry.list().filter((s) => this.options.accessList.allows(conn.principal as string, 'lookup', s.tokenId));
      case 'health':
        return (await this.registry.checkHealth()).filter((s) => this.options.accessList.allows(conn.principal as string, 'lookup', s.tokenId));
      case 'subscribe':
        conn.subscribed ??= this.registry.onDidChangeRegistry((e: RegistryEvent) => {
          if (this.options.accessList.allows(conn.principal as string, 'lookup', e.service.tokenId)) conn.peer.notify('event', e);
        });
        return { seq: this.registry.seq };
      default:
        throw KernelErrors.CARUSO_KERNEL_RPC_METHOD_NOT_FOUND({ method });
    }
  }

  private lookup(conn: Connection, p: Record<string, unknown>): { services: RemoteServiceDescription[] } {
    const tokenId = str(p, 'token', 'lookup') as string;
    if (!isValidTokenId(tokenId)) throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'lookup', reason: 'token is not a valid token id' });
    this.check(conn, 'lookup', tokenId);
    const options = lookupOptions(p, 'lookup');
    // No binding is made or cached for a remote lookup: its filters are ad hoc and untrusted.
    const regs = this.registry.resolveAll(tokenId, options);
    if (regs.length === 0) throw this.notFound(conn, tokenId, options);
    return {
      services: regs.map((r) => ({
        id: r.id,
        tokenId: r.tokenId,
        version: r.version,
        properties: r.properties,
        ranking: r.ranking,
        // Lifecycle methods this principal may not call are not offered at all.
        methods: r.instance ? [...this.methodsOf(r.instance)].filter((m) => !LIFECYCLE_METHODS.has(m) || this.options.accessList.allowsLifecycle(conn.principal as string, r.tokenId, m)).sort() : [],
      })),
    };
  }

  private async call(conn: Connection, p: Record<string, unknown>): Promise<unknown> {
    const tokenId = str(p, 'token', 'call') as string;
    if (!isValidTokenId(tokenId)) throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'call', reason: 'token is not a valid token id' });
    this.check(conn, 'call', tokenId);
    const name = str(p, 'method', 'call') as string;
    const args = p['args'] ?? [];
    if (!Array.isArray(args)) throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'call', reason: 'args must be an array' });
    const deadlineMs = p['deadlineMs'];
    if (deadlineMs !== undefined && (typeof deadlineMs !== 'number' || !(deadlineMs > 0))) {
      throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'call', reason: 'deadlineMs must be a positive number' });
    }
    const options = lookupOptions(p, 'call');
    // The best match at the moment of the call, like a stable proxy (remote callers follow hot
    // replacements like local ones), but without a binding that would stay cached for the filter.
    const reg = this.registry.resolve(tokenId, options);
    if (reg === undefined || reg.instance === undefined) throw this.notFound(conn, tokenId, options);
    if (!this.methodsOf(reg.instance).has(name)) throw KernelErrors.CARUSO_KERNEL_RPC_METHOD_NOT_FOUND({ method: `${tokenId}.${name}` });
    // close, shutdown, register …: a call grant (even *) is not enough; the grant must name token.method.
    if (LIFECYCLE_METHODS.has(name) && !this.options.accessList.allowsLifecycle(conn.principal as string, tokenId, name)) {
      this.logger.warn({ principal: conn.principal, tokenId, method: name, peer: conn.peer.name }, 'lifecycle call denied');
      throw KernelErrors.CARUSO_KERNEL_LIFECYCLE_DENIED({ principal: conn.principal as string, method: name, token: tokenId });
    }
    let run: Promise<unknown>;
    try {
      run = Promise.resolve(reg.invoke(name, args));
    } catch (err) {
      run = Promise.reject(err);
    }
    if (deadlineMs === undefined) return run;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(KernelErrors.CARUSO_KERNEL_RPC_DEADLINE_EXCEEDED({ method: name, token: tokenId, deadlineMs })), deadlineMs);
    });
    try {
      return await Promise.race([run, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async registerRemote(conn: Connection, p: Record<string, unknown>): Promise<{ id: string; leaseTtlMs: number }> {
    const tokenId = str(p, 'token', 'register') as string;
    if (!isValidTokenId(tokenId)) throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'register', reason: 'token is not a valid token id' });
    this.check(conn, 'register', tokenId);
    const version = str(p, 'version', 'register') as string;
    const methods = p['methods'];
    if (!Array.isArray(methods) || methods.length > 500 || !methods.every((m) => typeof m === 'string' && METHOD_NAME.test(m) && !RESERVED.has(m))) {
      throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'register', reason: 'methods must be an array of method names (identifiers, not lifecycle names)' });
    }
    const properties = (p['properties'] ?? {}) as Record<string, never>;
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'register', reason: 'properties must be an object' });
    }
    const ranking = p['ranking'] ?? 0;
    const ttl = p['leaseTtlMs'] ?? this.options.leaseTtlMs ?? 10_000;
    if (typeof ttl !== 'number' || ttl < 50 || ttl > 3_600_000) {
      throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'register', reason: 'leaseTtlMs must be between 50 ms and 1 hour' });
    }
    const ref = p['ref'];
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > 100) {
      throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'register', reason: 'ref must be a short string chosen by the client' });
    }
    const peer = conn.peer;
    const deadline = this.options.callDeadlineMs ?? 30_000;
    const stub: Record<string, unknown> = {};
    for (const m of methods as string[]) {
      stub[m] = (...args: unknown[]) => peer.request('invoke', { ref, method: m, args }, deadline, tokenId);
    }
    // Validation (version, duplicates, properties) happens in register(): on error nothing changes.
    const handle = this.registry.register(createToken<unknown>(tokenId), { version, properties, ranking: ranking as number, create: () => stub }, { origin: peer.name });
    const id = handle.id;
    // Known to the connection at once (a drop removes it), but the lease runs only once the service
    // is active: the client starts renewing when it gets this answer, which waits for `ready`.
    const lease: Lease = { handle, ttlMs: ttl, timer: undefined, armed: false };
    conn.leases.set(id, lease);
    try {
      await handle.ready;
    } catch (err) {
      clearTimeout(lease.timer);
      conn.leases.delete(id);
      throw err;
    }
    if (conn.leases.get(id) === lease) {
      lease.armed = true;
      this.arm(conn, id, lease);
    }
    return { id, leaseTtlMs: ttl };
  }

  private arm(conn: Connection, id: string, lease: Lease): void {
    if (!lease.armed) return;
    clearTimeout(lease.timer);
    lease.timer = setTimeout(() => {
      conn.leases.delete(id);
      conn.expired.add(id);
      if (conn.expired.size > MAX_EXPIRED_REMEMBERED) conn.expired.delete(conn.expired.values().next().value as string);
      const reg = this.registry.registration(id);
      this.logger.warn({ id, peer: conn.peer.name }, 'lease expired; service removed');
      if (reg) this.registry.removeNow(reg, KernelErrors.CARUSO_KERNEL_LEASE_EXPIRED({ id }));
    }, lease.ttlMs);
  }

  /** Renews one lease (`id`) or every lease of the connection. An expired one gets CARUSO_KERNEL_LEASE_EXPIRED. */
  private renew(conn: Connection, p: Record<string, unknown>): { renewed: number } {
    if (p['id'] === undefined) {
      for (const [id, lease] of conn.leases) this.arm(conn, id, lease);
      return { renewed: conn.leases.size };
    }
    const id = str(p, 'id', 'renew') as string;
    const lease = conn.leases.get(id);
    if (lease) {
      this.arm(conn, id, lease);
      return { renewed: 1 };
    }
    if (conn.expired.has(id)) throw KernelErrors.CARUSO_KERNEL_LEASE_EXPIRED({ id });
    throw KernelErrors.CARUSO_KERNEL_RPC_INVALID_PARAMS({ method: 'renew', reason: `${id} is not a registration of this connection` });
  }
}
