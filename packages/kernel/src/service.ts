import type { Logger } from './logger.js';
import type { ServiceLookup } from './service-manager.js';

/** Health of a service, as reported by its `health()`. */
export type HealthState = 'ok' | 'degraded' | 'down';

/** What `health()` returns. `detail` is a short human sentence; never customer data or secrets. */
export interface HealthStatus {
  readonly status: HealthState;
  readonly detail?: string;
  /** Health of the parts (a database connection, a listener …). */
  readonly checks?: Readonly<Record<string, HealthStatus>>;
}

/** Why a service is being stopped. */
export type StopReason = 'shutdown' | 'replaced' | 'unregistered' | 'dependency-lost' | 'failed';

/** What a service receives when it starts. */
export interface ServiceContext {
  /** The contract's token id. */
  readonly tokenId: string;
  /** This implementation's version. */
  readonly version: string;
  /** Look other services up (a consumer's only way to reach another component). */
  readonly services: ServiceLookup;
  /** The service's own pino child logger (`{ svc: tokenId, version }`). */
  readonly logger: Logger;
  /** This service's own signal: aborted when its start times out, when it is removed, or when the manager shuts down. */
  readonly signal: AbortSignal;
}

/**
 * The service contract every component and every legacy wrapper implements (rule 2 of the
 * architecture). All members are optional: a plain object with methods is a valid service.
 */
export interface ServiceLifecycle {
  /** Acquire resources. The manager waits for the promise, up to the start timeout. */
  start?(ctx: ServiceContext): void | Promise<void>;
  /** Free resources. Called once, after draining when the service is replaced. */
  stop?(reason: StopReason): void | Promise<void>;
  /** Cheap liveness check, called after start and on demand. A throw counts as `down`. */
  health?(): HealthStatus | Promise<HealthStatus>;
  /**
   * Hot replacement: the old version's state, handed to the new version's `importState` after
   * the old one has drained. Must be structured-cloneable.
   */
  exportState?(): unknown;
  /** Hot replacement: receives what the previous version's `exportState` returned. */
  importState?(state: unknown): void | Promise<void>;
}

/** Names of the lifecycle methods; a proxy does not forward them to consumers. */
export const LIFECYCLE_METHODS: ReadonlySet<string> = new Set(['start', 'stop', 'health', 'exportState', 'importState']);
