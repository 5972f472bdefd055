import type { Event } from './event.js';
import type { IDisposable } from './lifecycle.js';
import type { HealthStatus, ServiceLifecycle } from './service.js';
import { createToken, type Token } from './token.js';

/** A service property value. */
export type PropertyValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

/** Free-form properties of a registration, e.g. `{ vendor: 'legacy', region: 'nl' }`. */
export type ServiceProperties = Readonly<Record<string, PropertyValue>>;

/**
 * A property filter: an LDAP-style string such as `(&(vendor=legacy)(|(region=nl)(region=be))(!(beta=*)))`
 * (operators `=`, `=*` presence, `~=` case-insensitive, `<`, `<=`, `>`, `>=`, `*` wildcards, `&`, `|`, `!`),
 * or an object of equalities `{ vendor: 'legacy' }`.
 */
export type ServiceFilter = string | Readonly<Record<string, string | number | boolean>>;

/** How a lookup narrows the candidates of a token. */
export interface LookupOptions {
  /** A semver range the version must satisfy, e.g. `^2.0.0`. Default: any. */
  readonly range?: string;
  /** A property filter. */
  readonly filter?: ServiceFilter;
}

/** Lifecycle states of a registration. */
export type ServiceState = 'registered' | 'starting' | 'active' | 'draining' | 'stopped' | 'failed';

/** A dependency of a service on another contract. */
export interface DependencySpec<T = unknown> extends LookupOptions {
  readonly token: Token<T>;
  /** When true the service starts without it (it receives `undefined`). */
  readonly optional?: boolean;
  /** When true the service receives a live {@link ServiceSet} of every match. */
  readonly multiple?: boolean;
}

/** Every match of a `multiple` dependency, kept up to date. */
export interface ServiceSet<T> {
  /** Proxies of the current matches, best ranked first. */
  all(): T[];
  /** Fires when the set changes. */
  readonly onDidChange: Event<void>;
}

/** The value a service receives for each declared dependency. */
export type ResolvedDependencies<D extends Readonly<Record<string, DependencySpec>>> = {
  -readonly [K in keyof D]: D[K] extends DependencySpec<infer U>
    ? D[K]['multiple'] extends true
      ? ServiceSet<U>
      : D[K]['optional'] extends true
        ? U | undefined
        : U
    : never;
};

/** What an implementation registers. */
export interface ServiceDefinition<T, D extends Readonly<Record<string, DependencySpec>> = Record<string, never>> {
  /** Semver version of this implementation, e.g. `2.1.0`. */
  readonly version: string;
  readonly properties?: ServiceProperties;
  /** Higher ranks win lookups; equal ranks go to the earlier registration. Default 0. */
  readonly ranking?: number;
  /** Contracts this one needs; it starts after them, in dependency order. */
  readonly dependencies?: D;
  /**
   * Builds the implementation once its dependencies are active. The object returned is what
   * consumers call; it may implement {@link ServiceLifecycle}.
   */
  readonly create: (deps: ResolvedDependencies<D>) => (T & ServiceLifecycle) | T | Promise<T>;
  /** Start time-out; past it the service fails with a diagnostic. Default 10 s. */
  readonly startTimeoutMs?: number;
  /** How long a replaced version may drain its in-flight calls. Default 5 s. */
  readonly drainTimeoutMs?: number;
  /**
   * Hot replacement: whether this registration replaces an active one of the same token with equal
   * properties and a lower version. Default true.
   */
  readonly replaces?: boolean;
}

/** Per-service call figures. */
export interface ServiceMetrics {
  readonly calls: number;
  readonly errors: number;
  readonly inFlight: number;
  readonly drainTimeouts: number;
  /**
   * Faults contained in this service's code (listeners, timers, sockets, fire-and-forget promises)
   * since the process started: counted under the service's token id and its parts (`<token>/…`).
   */
  readonly faults: number;
  /** Latency histogram over sampled calls: upper bounds in ms → counts (last bucket is +Inf). */
  readonly latency: { readonly boundsMs: readonly number[]; readonly counts: readonly number[]; readonly sampled: number };
}

/** A description of one registration. */
export interface ServiceInfo {
  /** Registry-wide id, e.g. `billing.Invoices@2.0.0#7`. */
  readonly id: string;
  readonly tokenId: string;
  readonly version: string;
  readonly properties: ServiceProperties;
  readonly ranking: number;
  readonly state: ServiceState;
  /** Where it lives: `local`, or the remote connection's name. */
  readonly origin: string;
  readonly registeredSeq: number;
  /** The last health reported. */
  readonly health: HealthStatus | undefined;
  readonly metrics: ServiceMetrics;
}

/** Events of the registry, each with a strictly increasing sequence number. */
export type RegistryEvent =
  | { readonly seq: number; readonly type: 'registered'; readonly service: ServiceInfo }
  | { readonly seq: number; readonly type: 'modified'; readonly service: ServiceInfo }
  | { readonly seq: number; readonly type: 'unregistered'; readonly service: ServiceInfo }
  | { readonly seq: number; readonly type: 'state'; readonly service: ServiceInfo; readonly from: ServiceState };

/** A tracker's change: a service began or stopped matching, or changed. */
export interface TrackerEvent {
  readonly seq: number;
  readonly type: 'added' | 'modified' | 'removed';
  readonly service: ServiceInfo;
}

/** Returned by `track()`: the current matches and a subscription taken in one atomic step. */
export interface ServiceTracker<T> extends IDisposable {
  /** Active matches now, best ranked first. */
  services(): ServiceInfo[];
  /** Proxies pinned to each active match, best ranked first. */
  all(): T[];
  readonly onDidChange: Event<TrackerEvent>;
}

/** A registration's handle, for the one who registered. */
export interface ServiceHandle<T> {
  readonly id: string;
  /**
   * Resolves when the service is active; rejects when its start failed, when it was unregistered
   * or removed before it became active, or when a newer version became active first.
   */
  readonly ready: Promise<void>;
  info(): ServiceInfo;
  /** Changes the properties (fires `modified`; trackers re-evaluate their filter). */
  setProperties(properties: ServiceProperties): void;
  /** Stops (after draining) and removes the registration. */
  unregister(): Promise<void>;
  /** The implementation object itself, once created (not a proxy). */
  readonly instance: T | undefined;
}

/** The read side of the service manager: what a consumer needs. */
export interface ServiceLookup {
  /**
   * A stable proxy for the best active match of `token`. The proxy follows hot replacements.
   * Throws CARUSO_KERNEL_SERVICE_NOT_FOUND (naming the token, range, filter and what is registered) when nothing matches.
   */
  get<T>(token: Token<T>, options?: LookupOptions): T;
  /** Like `get` but returns `undefined` when nothing matches. */
  tryGet<T>(token: Token<T>, options?: LookupOptions): T | undefined;
  /** Proxies pinned to every active match, best ranked first. */
  getAll<T>(token: Token<T>, options?: LookupOptions): T[];
  /** Waits until a match is active (or the time-out passes), then returns its stable proxy. */
  whenAvailable<T>(token: Token<T>, options?: LookupOptions & { readonly timeoutMs?: number }): Promise<T>;
  /** Descriptions of every registration of `token` matching the options, in any state. */
  find(tokenId: string, options?: LookupOptions): ServiceInfo[];
  /** Current matches plus a subscription, atomically (like OSGi's ServiceTracker). */
  track<T>(token: Token<T>, options?: LookupOptions): ServiceTracker<T>;
  /**
   * A proxy that stays on the version `proxy` points to now, even across a replacement (the old
   * version keeps serving it until it is disposed, or its drain deadline). Dispose to release.
   * Note: the pinned proxy's `dispose` releases the pin (a service's own `dispose` is not reachable
   * through it); once the version has stopped, calls fail with CARUSO_KERNEL_SERVICE_UNAVAILABLE.
   */
  pin<T>(proxy: T): T & IDisposable;
}

/** The service manager: registry, lifecycle, replacement, events, metrics. */
export interface ServiceManager extends ServiceLookup {
  /**
   * Registers an implementation. Validates synchronously (version, duplicates, dependency cycles)
   * and leaves the registry unchanged when it throws. Once the manager is started the service
   * starts as soon as its mandatory dependencies are active.
   */
  register<T, D extends Readonly<Record<string, DependencySpec>> = Record<string, never>>(
    token: Token<T>,
    definition: ServiceDefinition<T, D>,
  ): ServiceHandle<T>;
  /** Starts every registered service in dependency order; resolves when all are active or failed. */
  start(): Promise<void>;
  /** Stops every service in reverse dependency order. */
  stop(): Promise<void>;
  /** Every registration. */
  list(): ServiceInfo[];
  /** Runs every active service's health check. */
  checkHealth(): Promise<ServiceInfo[]>;
  readonly onDidChangeRegistry: Event<RegistryEvent>;
  /** The current sequence number of the event stream. */
  readonly seq: number;
}

/** The token under which the service manager registers itself. */
export const ServiceManager = createToken<ServiceManager>('caruso.ServiceManager');
