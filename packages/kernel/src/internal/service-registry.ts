import semver from 'semver';
import { KernelErrors } from '../errors.js';
import { Emitter, type Event } from '../event.js';
import { containPromise } from '../faults.js';
import { toDisposable, type IDisposable } from '../lifecycle.js';
import { silentLogger, type Logger } from '../logger.js';
import type { HealthStatus, ServiceContext, ServiceLifecycle, StopReason } from '../service.js';
import type {
  DependencySpec,
  LookupOptions,
  PropertyValue,
  RegistryEvent,
  ServiceDefinition,
  ServiceHandle,
  ServiceInfo,
  ServiceManager,
  ServiceProperties,
  ServiceSet,
  ServiceState,
  ServiceTracker,
  TrackerEvent,
} from '../service-manager.js';
import { isValidTokenId, type Token } from '../token.js';
import { ServiceManager as ServiceManagerToken } from '../service-manager.js';
import { compileFilter, describeFilter, filterKey, type PropertyPredicate } from './property-filter.js';
import { Registration } from './registration.js';
import { Binding } from './service-proxy.js';

/** Options of {@link createServiceManager}. */
export interface ServiceManagerOptions {
  /** Root logger; each service gets a child `{ svc, version }`. Default: silent. */
  readonly logger?: Logger;
  /** Default start time-out in ms (10 s). */
  readonly startTimeoutMs?: number;
  /** Default drain time-out in ms (5 s). */
  readonly drainTimeoutMs?: number;
  /**
   * Registers the manager itself under the `caruso.ServiceManager` token (version 1.0.0, property
   * `builtin=true`), so that a service can depend on it (e.g. the monitor reads every service's
   * health and metrics). Consumers get a view without the manager's own start and stop. Default false.
   */
  readonly registerSelf?: boolean;
}

/** Internal registration options (used by the remote endpoint). */
export interface RegisterOptions {
  /** Where the implementation lives; `local` by default. */
  readonly origin?: string;
}

/** An event before it gets its sequence number (distributes over the union). */
type Unsequenced<E> = E extends unknown ? Omit<E, 'seq'> : never;

type AnyDefinition = ServiceDefinition<unknown, Readonly<Record<string, DependencySpec>>>;

function sameProperties(a: ServiceProperties, b: ServiceProperties): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length) return false;
  return ka.every((k, i) => k === kb[i] && JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

function validProperty(v: unknown): v is PropertyValue {
  const scalar = (x: unknown): boolean => typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x));
  return scalar(v) || (Array.isArray(v) && v.every(scalar));
}

/**
 * The service manager. See the contract in service-manager.ts for what each member promises.
 */
/** Who owns the faults contained in the registry's background work (rule 10). */
const OWNER = 'caruso.kernel';

export class ServiceRegistry implements ServiceManager {
  private readonly regs = new Map<string, Registration>();
  private readonly byToken = new Map<string, Registration[]>();
  private readonly bindingsByToken = new Map<string, Set<Binding>>();
  private readonly bindingCache = new Map<string, Binding>();
  private readonly defaultBindings = new Map<string, Binding>();
  private readonly fixedBindings = new WeakMap<Registration, Binding>();
  private readonly proxyBindings = new WeakMap<object, Binding>();
  private readonly pending = new Set<Registration>();
  private readonly _onDidChangeRegistry = new Emitter<RegistryEvent>();
  readonly onDidChangeRegistry: Event<RegistryEvent> = this._onDidChangeRegistry.event;
  private _seq = 0;
  private regSeq = 0;
  private activations = 0;
  private started = false;
  private stopping = false;
  private shutdown: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly startTimeoutMs: number;
  private readonly drainTimeoutMs: number;

  constructor(options: ServiceManagerOptions = {}) {
    this.logger = options.logger ?? silentLogger();
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 5_000;
    if (options.registerSelf) {
      // A view, not the manager itself: its start/stop would otherwise be taken for lifecycle hooks.
      const view = {
        get: this.get.bind(this),
        tryGet: this.tryGet.bind(this),
        getAll: this.getAll.bind(this),
        whenAvailable: this.whenAvailable.bind(this),
        find: this.find.bind(this),
        track: this.track.bind(this),
        pin: this.pin.bind(this),
        register: this.register.bind(this),
        list: this.list.bind(this),
        checkHealth: this.checkHealth.bind(this),
        onDidChangeRegistry: this.onDidChangeRegistry,
      };
      this.register(ServiceManagerToken, { version: '1.0.0', properties: { builtin: true }, create: () => view as unknown as ServiceManager });
    }
  }

  get seq(): number {
    return this._seq;
  }

  // ---------------------------------------------------------------- registration

  register<T, D extends Readonly<Record<string, DependencySpec>> = Record<string, never>>(
    token: Token<T>,
    definition: ServiceDefinition<T, D>,
    options: RegisterOptions = {},
  ): ServiceHandle<T> {
    if (this.stopping) throw KernelErrors.CARUSO_KERNEL_MANAGER_STOPPED();
    const tokenId = token?.id;
    if (!isValidTokenId(tokenId)) {
      throw KernelErrors.CARUSO_KERNEL_INVALID_DEFINITION({ token: String(tokenId), reason: 'the token is not a token made by createToken()' });
    }
    const def = definition as unknown as AnyDefinition;
    const bad = (reason: string): never => {
      throw KernelErrors.CARUSO_KERNEL_INVALID_DEFINITION({ token: tokenId, reason });
    };
    if (typeof def !== 'object' || def === null) bad('the definition must be an object');
    if (typeof def.version !== 'string' || semver.valid(def.version) === null) {
      throw KernelErrors.CARUSO_KERNEL_INVALID_VERSION({ token: tokenId, version: String(def.version) });
    }
    if (typeof def.create !== 'function') bad('create must be a function that returns the implementation');
    const ranking = def.ranking ?? 0;
    if (typeof ranking !== 'number' || !Number.isFinite(ranking)) bad('ranking must be a finite number');
    const properties = def.properties ?? {};
    for (const [k, v] of Object.entries(properties)) {
      if (!validProperty(v)) bad(`property ${k} must be a string, a finite number, a boolean or an array of those`);
    }
    for (const t of ['startTimeoutMs', 'drainTimeoutMs'] as const) {
      const v = def[t];
      if (v !== undefined && (typeof v !== 'number' || !(v > 0))) bad(`${t} must be a positive number of milliseconds`);
    }
    for (const [name, dep] of Object.entries(def.dependencies ?? {})) {
      if (!dep || !isValidTokenId(dep.token?.id)) bad(`dependency ${name} has no valid token`);
      if (dep.range !== undefined && semver.validRange(dep.range) === null) {
        throw KernelErrors.CARUSO_KERNEL_INVALID_RANGE({ token: `${tokenId} (dependency ${name})`, range: dep.range });
      }
      compileFilter(dep.filter);
    }
    const existing = (this.byToken.get(tokenId) ?? []).find(
      (r) => semver.eq(r.version, def.version) && sameProperties(r.properties, properties) && r.state !== 'stopped' && r.state !== 'failed',
    );
    if (existing) throw KernelErrors.CARUSO_KERNEL_DUPLICATE_SERVICE({ token: tokenId, version: def.version, id: existing.id });
    const cycle = this.findCycle(tokenId, def);
    if (cycle) throw KernelErrors.CARUSO_KERNEL_DEPENDENCY_CYCLE({ token: tokenId, cycle: cycle.join(' → ') });

    // Valid: from here on the registry changes.
    const seq = ++this.regSeq;
    const reg = new Registration(`${tokenId}@${def.version}#${seq}`, seq, tokenId, def.version, { ...properties }, ranking, def, options.origin ?? 'local');
    this.regs.set(reg.id, reg);
    const list = this.byToken.get(tokenId) ?? [];
    list.push(reg);
    this.byToken.set(tokenId, list);
    this.emit({ type: 'registered', service: reg.info() });
    if (this.started) containPromise(OWNER, this.startRegistration(reg));
    return this.handleFor<T>(reg);
  }

  private handleFor<T>(reg: Registration): ServiceHandle<T> {
    return {
      id: reg.id,
      ready: reg.ready,
      info: () => reg.info(),
      setProperties: (properties) => this.setProperties(reg, properties),
      unregister: () => this.unregister(reg, 'unregistered'),
      get instance() {
        return reg.instance as T | undefined;
      },
    };
  }

  /** Token-level search over mandatory dependencies for a path back to `tokenId`. */
  private findCycle(tokenId: string, def: AnyDefinition): string[] | undefined {
    const mandatory = (d: AnyDefinition): string[] =>
      Object.values(d.dependencies ?? {})
        .filter((dep) => !dep.optional && !dep.multiple)
        .map((dep) => dep.token.id);
    const visit = (current: string, path: string[], seen: Set<string>): string[] | undefined => {
      if (current === tokenId) return path;
      if (seen.has(current)) return undefined;
      seen.add(current);
      for (const reg of this.byToken.get(current) ?? []) {
        if (reg.state === 'stopped' || reg.state === 'failed') continue;
        for (const next of mandatory(reg.definition)) {
          const found = visit(next, [...path, next], seen);
          if (found) return found;
        }
      }
      return undefined;
    };
    for (const dep of mandatory(def)) {
      const found = visit(dep, [tokenId, dep], new Set());
      if (found) return found;
    }
    return undefined;
  }

  private setProperties(reg: Registration, properties: ServiceProperties): void {
    for (const [k, v] of Object.entries(properties)) {
      if (!validProperty(v)) {
        throw KernelErrors.CARUSO_KERNEL_INVALID_DEFINITION({ token: reg.tokenId, reason: `property ${k} must be a string, a finite number, a boolean or an array of those` });
      }
    }
    reg.properties = { ...properties };
    this.reselect(reg.tokenId);
    this.emit({ type: 'modified', service: reg.info() });
    // A service waiting for a dependency with a filter may be satisfied by the new properties.
    this.retryPending();
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.stopping) throw KernelErrors.CARUSO_KERNEL_MANAGER_STOPPED();
    this.started = true;
    const waiting = [...this.regs.values()].filter((r) => r.state === 'registered');
    for (const reg of waiting) containPromise(OWNER, this.startRegistration(reg));
    await Promise.allSettled(waiting.map((r) => r.ready));
  }

  private unresolved(reg: Registration): string[] {
    const problems: string[] = [];
    for (const [name, dep] of Object.entries(reg.definition.dependencies ?? {})) {
      if (dep.optional || dep.multiple) continue;
      if (this.selectBest(dep.token.id, dep.range, compileFilter(dep.filter))) continue;
      const regs = (this.byToken.get(dep.token.id) ?? []).filter((r) => r.state !== 'stopped' && r.state !== 'failed');
      const what = `${dep.token.id}${dep.range ? ` ${dep.range}` : ''}${dep.filter ? ` ${describeFilter(dep.filter)}` : ''}`;
      const state =
        regs.length === 0
          ? 'nothing is registered for it'
          : `registered: ${regs.map((r) => `${r.version} (${r.state})`).join(', ')}`;
      problems.push(`missing dependency '${name}' = ${what}: ${state}`);
    }
    return problems;
  }

  private async startRegistration(reg: Registration): Promise<void> {
    if (reg.state !== 'registered') return;
    this.setState(reg, 'starting');
    const timeoutMs = reg.definition.startTimeoutMs ?? this.startTimeoutMs;
    reg.startTimer = setTimeout(() => {
      reg.abort.abort();
      const missing = this.unresolved(reg);
      const diagnostic = missing.length ? missing.join('; ') : 'its create() or start() did not finish';
      this.fail(reg, KernelErrors.CARUSO_KERNEL_START_TIMEOUT({ token: reg.tokenId, version: reg.version, timeoutMs, diagnostic }));
    }, timeoutMs);
    if (this.unresolved(reg).length > 0) {
      this.pending.add(reg);
      return;
    }
    await this.createAndStart(reg);
  }

  /** Retries the services waiting for dependencies (after a service became active). */
  private retryPending(): void {
    for (const reg of [...this.pending]) {
      if (reg.state !== 'starting') {
        this.pending.delete(reg);
        continue;
      }
      if (this.unresolved(reg).length === 0) {
        this.pending.delete(reg);
        containPromise(OWNER, this.createAndStart(reg));
      }
    }
  }

  private resolveDependencies(reg: Registration): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, dep] of Object.entries(reg.definition.dependencies ?? {})) {
      const options: LookupOptions = { ...(dep.range === undefined ? {} : { range: dep.range }), ...(dep.filter === undefined ? {} : { filter: dep.filter }) };
      if (dep.multiple) {
        const tracker = this.track(dep.token, options);
        const onDidChange = new Emitter<void>();
        const sub = tracker.onDidChange(() => onDidChange.fire());
        reg.cleanups.push(() => {
          sub.dispose();
          tracker.dispose();
          onDidChange.dispose();
        });
        const set: ServiceSet<unknown> = { all: () => tracker.all(), onDidChange: onDidChange.event };
        out[name] = set;
      } else if (dep.optional) {
        out[name] = this.tryGet(dep.token, options);
      } else {
        out[name] = this.get(dep.token, options);
      }
    }
    return out;
  }

  private async createAndStart(reg: Registration): Promise<void> {
    const log = this.logger.child({ svc: reg.tokenId, version: reg.version });
    try {
      const deps = this.resolveDependencies(reg);
      const instance = (await reg.definition.create(deps as never)) as Record<string, unknown> & ServiceLifecycle;
      if (typeof instance !== 'object' || instance === null) {
        throw new TypeError('create() must return an object');
      }
      reg.instance = instance;
      if (reg.state !== 'starting') return; // timed out or stopped meanwhile
      const ctx: ServiceContext = { tokenId: reg.tokenId, version: reg.version, services: this, logger: log, signal: reg.abort.signal };
      reg.inStart = true;
      try {
        await instance.start?.(ctx);
      } finally {
        reg.inStart = false;
      }
      // Timed out, unregistered or shut down while it started: it stops here, once.
      if (reg.state !== 'starting') {
        await this.safeStop(reg, 'failed');
        return;
      }
      if (typeof instance.health === 'function') {
        reg.health = await this.runHealth(reg);
        if (reg.health.status === 'down') {
          await this.safeStop(reg, 'failed');
          this.fail(reg, KernelErrors.CARUSO_KERNEL_UNHEALTHY({ token: reg.tokenId, version: reg.version, status: reg.health.status, detail: reg.health.detail ?? '' }));
          return;
        }
      }
      if (reg.state !== 'starting') return;
      this.activate(reg);
    } catch (err) {
      if (reg.state !== 'starting') return;
      if (reg.instance) await this.safeStop(reg, 'failed');
      const reason = err instanceof Error ? err.message : String(err);
      this.fail(reg, KernelErrors.CARUSO_KERNEL_START_FAILED({ token: reg.tokenId, version: reg.version, reason }, { cause: err }));
    }
  }

  private async runHealth(reg: Registration): Promise<HealthStatus> {
    try {
      const h = await reg.instance?.health?.();
      return h ?? { status: 'ok' };
    } catch (err) {
      return { status: 'down', detail: err instanceof Error ? err.message : String(err) };
    }
  }

  private activate(reg: Registration): void {
    clearTimeout(reg.startTimer);
    // A slower older version that finishes starting after a newer one took over must not win (it
    // would be preferred as the earlier registration) nor retire the newer one.
    const newer =
      reg.definition.replaces === false
        ? undefined
        : (this.byToken.get(reg.tokenId) ?? []).find(
            (r) => r !== reg && r.state === 'active' && r.definition.replaces !== false && semver.gt(r.version, reg.version) && sameProperties(r.properties, reg.properties),
          );
    if (newer) {
      this.logger.info({ svc: reg.tokenId, version: reg.version, active: newer.version }, 'a newer version became active first; this one is not activated');
      reg.abort.abort();
      this.pending.delete(reg);
      this.setState(reg, 'stopped');
      this.remove(reg);
      reg.rejectReady(
        KernelErrors.CARUSO_KERNEL_SERVICE_UNAVAILABLE({ token: reg.tokenId, reason: `version ${newer.version} became active first; ${reg.version} was not activated` }),
      );
      containPromise(OWNER, this.safeStop(reg, 'replaced'));
      return;
    }
    reg.activationOrder = ++this.activations;
    // Hot replacement: older versions with the same properties retire once this one is active.
    const retiring =
      reg.definition.replaces === false
        ? []
        : (this.byToken.get(reg.tokenId) ?? []).filter(
            (r) => r !== reg && r.state === 'active' && semver.lt(r.version, reg.version) && sameProperties(r.properties, reg.properties),
          );
    // One synchronous step: every proxy moves at once; no call can reach a retired version after this.
    // The events go out after the switch, so a listener that looks the service up finds the new state.
    const from = reg.state;
    reg.state = 'active';
    for (const old of retiring) old.state = 'draining';
    this.reselect(reg.tokenId);
    this.emit({ type: 'state', service: reg.info(), from });
    for (const old of retiring) this.emit({ type: 'state', service: old.info(), from: 'active' });
    reg.resolveReady();
    this.logger.info({ svc: reg.tokenId, version: reg.version, replaced: retiring.map((r) => r.version) }, 'service active');
    for (const old of retiring) containPromise(OWNER, this.retire(old, reg));
    this.retryPending();
  }

  private fail(reg: Registration, err: Error): void {
    if (reg.state === 'stopped' || reg.state === 'failed') return;
    clearTimeout(reg.startTimer);
    reg.abort.abort();
    this.pending.delete(reg);
    this.logger.warn({ svc: reg.tokenId, version: reg.version, code: (err as { code?: string }).code, err: err.message }, 'service failed to start');
    this.setState(reg, 'failed');
    this.remove(reg);
    reg.rejectReady(err);
  }

  /** Waits until `reg` has no in-flight calls and no pins, or its drain deadline. Returns true when drained in time. */
  private drain(reg: Registration): Promise<boolean> {
    // One drain per registration: a second caller (a shutdown during a replacement) waits for the
    // same one instead of overwriting its onIdle.
    reg.drainPromise ??= this.drainOnce(reg);
    return reg.drainPromise;
  }

  private drainOnce(reg: Registration): Promise<boolean> {
    const idle = (): boolean => reg.metrics.inFlight === 0 && reg.pins === 0;
    if (idle()) return Promise.resolve(true);
    const deadline = reg.definition.drainTimeoutMs ?? this.drainTimeoutMs;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        reg.onIdle = undefined;
        if (reg.metrics.inFlight > 0) reg.metrics.drainTimeouts++;
        this.logger.warn({ svc: reg.tokenId, version: reg.version, inFlight: reg.metrics.inFlight, pins: reg.pins }, 'drain deadline passed');
        resolve(false);
      }, deadline);
      reg.onIdle = () => {
        if (!idle()) return;
        reg.onIdle = undefined;
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  private async retire(old: Registration, successor: Registration): Promise<void> {
    await this.drain(old);
    // The manager may have shut down (or the successor gone) during the drain: no hand-over to a
    // stopped successor; the shutdown stops the old version.
    if (this.stopping || old.stopPromise !== undefined || successor.state !== 'active' || successor.stopPromise !== undefined) {
      await this.safeStop(old, this.stopping ? 'shutdown' : 'replaced');
      this.setState(old, 'stopped');
      this.remove(old);
      return;
    }
    try {
      if (typeof old.instance?.exportState === 'function' && typeof successor.instance?.importState === 'function') {
        const state = await old.instance.exportState();
        await successor.instance.importState(state);
      }
    } catch (err) {
      this.logger.error({ svc: old.tokenId, from: old.version, to: successor.version, err: (err as Error).message }, 'state hand-over failed');
    }
    await this.safeStop(old, 'replaced');
    this.setState(old, 'stopped');
    this.remove(old);
  }

  /** Stops the implementation once, whoever asks first (unregister, retire, shutdown, a failed start). */
  private safeStop(reg: Registration, reason: StopReason): Promise<void> {
    reg.stopPromise ??= this.runStop(reg, reason);
    return reg.stopPromise;
  }

  private async runStop(reg: Registration, reason: StopReason): Promise<void> {
    // Pinned and fixed proxies fail cleanly from now on instead of calling a stopped instance.
    this.detach(reg);
    reg.abort.abort();
    for (const c of reg.cleanups.splice(0)) c();
    try {
      await reg.instance?.stop?.(reason);
    } catch (err) {
      this.logger.error({ svc: reg.tokenId, version: reg.version, err: (err as Error).message }, 'stop failed');
    }
  }

  /** Unbinds every proxy bound to `reg` alone (pins, getAll/track proxies). */
  private detach(reg: Registration): void {
    for (const b of reg.fixed) b.current = undefined;
    reg.fixed.clear();
  }

  private unregister(reg: Registration, reason: StopReason): Promise<void> {
    if (!this.regs.has(reg.id)) return reg.removal ?? Promise.resolve();
    reg.removal ??= this.runUnregister(reg, reason);
    return reg.removal;
  }

  private async runUnregister(reg: Registration, reason: StopReason): Promise<void> {
    if (reg.state === 'registered' || reg.state === 'starting') {
      // Final at once, before anything is awaited: a start() that finishes meanwhile sees the new
      // state and neither activates this version nor retires the one it was to replace.
      clearTimeout(reg.startTimer);
      this.pending.delete(reg);
      reg.abort.abort();
      this.setState(reg, 'stopped');
      this.remove(reg);
      reg.rejectReady(KernelErrors.CARUSO_KERNEL_SERVICE_UNAVAILABLE({ token: reg.tokenId, reason: 'unregistered before it started' }));
      // While its start() runs, createAndStart() stops it when start() returns.
      if (reg.instance && !reg.inStart) await this.safeStop(reg, reason);
      return;
    }
    if (reg.state === 'active' || reg.state === 'draining') {
      if (reg.state === 'active') {
        reg.state = 'draining';
        this.reselect(reg.tokenId);
        this.emit({ type: 'state', service: reg.info(), from: 'active' });
      }
      await this.drain(reg);
      await this.safeStop(reg, reason);
      this.setState(reg, 'stopped');
      this.remove(reg);
    }
  }

  /**
   * Removes a registration at once, without further lifecycle calls (a remote one whose lease
   * expired or whose connection dropped). A `ready` still pending rejects with `reason`.
   */
  removeNow(reg: Registration, reason?: Error): void {
    clearTimeout(reg.startTimer);
    this.pending.delete(reg);
    if (reg.state !== 'stopped' && reg.state !== 'failed') this.setState(reg, 'stopped');
    this.remove(reg);
    reg.rejectReady(reason ?? KernelErrors.CARUSO_KERNEL_SERVICE_UNAVAILABLE({ token: reg.tokenId, reason: 'removed' }));
  }

  private remove(reg: Registration): void {
    this.detach(reg);
    if (!this.regs.delete(reg.id)) return;
    const list = (this.byToken.get(reg.tokenId) ?? []).filter((r) => r !== reg);
    if (list.length) this.byToken.set(reg.tokenId, list);
    else this.byToken.delete(reg.tokenId);
    this.reselect(reg.tokenId);
    this.emit({ type: 'unregistered', service: reg.info() });
  }

  stop(): Promise<void> {
    // Once: a second caller waits for the same shutdown instead of returning while services still run.
    this.shutdown ??= this.runShutdown();
    return this.shutdown;
  }

  private async runShutdown(): Promise<void> {
    this.stopping = true;
    // Every service's own ctx.signal.
    for (const reg of this.regs.values()) reg.abort.abort();
    for (const reg of [...this.regs.values()]) {
      if (reg.state === 'registered' || reg.state === 'starting') {
        this.fail(reg, KernelErrors.CARUSO_KERNEL_MANAGER_STOPPED());
      }
    }
    // Reverse activation order: a service stops before the services it depends on.
    const active = [...this.regs.values()].sort((a, b) => b.activationOrder - a.activationOrder);
    for (const reg of active) {
      if (reg.state === 'active' || reg.state === 'draining') {
        this.setState(reg, 'draining');
        await this.drain(reg);
        await this.safeStop(reg, 'shutdown');
        this.setState(reg, 'stopped');
      }
      this.remove(reg);
    }
    this._onDidChangeRegistry.dispose();
  }

  private setState(reg: Registration, state: ServiceState): void {
    const from = reg.state;
    if (from === state) return;
    reg.state = state;
    this.emit({ type: 'state', service: reg.info(), from });
  }

  private emit(e: Unsequenced<RegistryEvent>): void {
    this._onDidChangeRegistry.fire({ ...e, seq: ++this._seq } as RegistryEvent);
  }

  // ---------------------------------------------------------------- lookup

  private selectBest(tokenId: string, range: string | undefined, predicate: PropertyPredicate): Registration | undefined {
    let best: Registration | undefined;
    for (const r of this.byToken.get(tokenId) ?? []) {
      if (!r.selectable) continue;
      if (range !== undefined && !semver.satisfies(r.version, range, { includePrerelease: true })) continue;
      if (!predicate(r.properties)) continue;
      if (!best || r.ranking > best.ranking || (r.ranking === best.ranking && r.seq < best.seq)) best = r;
    }
    return best;
  }

  private matches(tokenId: string, range: string | undefined, predicate: PropertyPredicate): Registration[] {
    return (this.byToken.get(tokenId) ?? [])
      .filter((r) => r.selectable && (range === undefined || semver.satisfies(r.version, range, { includePrerelease: true })) && predicate(r.properties))
      .sort((a, b) => b.ranking - a.ranking || a.seq - b.seq);
  }

  /** Moves every proxy of `tokenId` to its best match now. */
  private reselect(tokenId: string): void {
    // Every binding is moved even if one of them fails: a half-switched registry would send some
    // proxies to a retired version.
    for (const b of this.bindingsByToken.get(tokenId) ?? []) {
      try {
        const best = this.selectBest(tokenId, b.range, b.predicate);
        if (best !== b.current) b.point(best);
      } catch (err) {
        b.current = undefined;
        this.logger.error({ svc: tokenId, filter: b.filterText, err: err instanceof Error ? err.message : String(err) }, 'could not move a proxy; it has no service until the next change');
      }
    }
  }

  private bindingFor(tokenId: string, options: LookupOptions | undefined): Binding {
    if (options === undefined || (options.range === undefined && options.filter === undefined)) {
      const hit = this.defaultBindings.get(tokenId);
      if (hit) return hit;
    }
    const range = checkedRange(tokenId, options);
    const fk = filterKey(options?.filter);
    const key = `${tokenId}\u0000${range ?? ''}\u0000${fk}`;
    let b = this.bindingCache.get(key);
    if (!b) {
      b = new Binding(tokenId, range, fk, compileFilter(options?.filter), false);
      const best = this.selectBest(tokenId, range, b.predicate);
      // A failed lookup leaves nothing behind: otherwise every lookup with a new filter that matches
      // nothing would grow the cache for good.
      if (best === undefined) return b;
      b.point(best);
      this.bindingCache.set(key, b);
      this.proxyBindings.set(b.proxy, b);
      const set = this.bindingsByToken.get(tokenId) ?? new Set<Binding>();
      set.add(b);
      this.bindingsByToken.set(tokenId, set);
      if (range === undefined && fk === '') this.defaultBindings.set(tokenId, b);
    }
    return b;
  }

  /**
   * The not-found error of a lookup. Internal (the remote endpoint passes `visible`, so that a
   * remote principal is told only about token ids it may look up).
   */
  notFound(tokenId: string, options: LookupOptions | undefined, visible: (tokenId: string) => boolean = () => true): Error {
    const regs = visible(tokenId) ? (this.byToken.get(tokenId) ?? []) : [];
    const others = [...this.byToken.keys()].filter((t) => t !== tokenId && visible(t));
    const registered = regs.length
      ? regs.map((r) => `${r.version} ${JSON.stringify(r.properties)} (${r.state})`).join('; ')
      : others.length
        ? `nothing for this token; other tokens: ${others.sort().join(', ')}`
        : 'nothing that you may see';
    return KernelErrors.CARUSO_KERNEL_SERVICE_NOT_FOUND(
      { token: tokenId, range: options?.range ?? 'any', filter: describeFilter(options?.filter), registered },
      { details: { token: tokenId, range: options?.range ?? null, filter: options?.filter ?? null, registered: regs.map((r) => ({ version: r.version, properties: r.properties, state: r.state })) } },
    );
  }

  get<T>(token: Token<T>, options?: LookupOptions): T {
    const b = this.bindingFor(token.id, options);
    if (b.current === undefined) throw this.notFound(token.id, options);
    return b.proxy as T;
  }

  tryGet<T>(token: Token<T>, options?: LookupOptions): T | undefined {
    const b = this.bindingFor(token.id, options);
    return b.current === undefined ? undefined : (b.proxy as T);
  }

  private fixedProxy(reg: Registration): unknown {
    let b = this.fixedBindings.get(reg);
    if (!b) {
      b = new Binding(reg.tokenId, undefined, '', () => true, true);
      b.point(reg);
      this.fixedBindings.set(reg, b);
      this.proxyBindings.set(b.proxy, b);
      // When the registration stops, its fixed proxy fails cleanly instead of calling a stopped instance.
      if (reg.stopPromise === undefined && this.regs.has(reg.id)) reg.fixed.add(b);
      else b.current = undefined;
    }
    return b.proxy;
  }

  getAll<T>(token: Token<T>, options?: LookupOptions): T[] {
    const range = checkedRange(token.id, options);
    return this.matches(token.id, range, compileFilter(options?.filter)).map((r) => this.fixedProxy(r) as T);
  }

  whenAvailable<T>(token: Token<T>, options: LookupOptions & { readonly timeoutMs?: number } = {}): Promise<T> {
    const { timeoutMs = this.startTimeoutMs, ...lookup } = options;
    const now = this.tryGet(token, lookup);
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(KernelErrors.CARUSO_KERNEL_WAIT_TIMEOUT({ token: token.id, range: lookup.range ?? 'any', filter: describeFilter(lookup.filter), timeoutMs }));
      }, timeoutMs);
      const sub = this.onDidChangeRegistry((e) => {
        if (e.service.tokenId !== token.id) return;
        const p = this.tryGet(token, lookup);
        if (p !== undefined) {
          clearTimeout(timer);
          sub.dispose();
          resolve(p);
        }
      });
    });
  }

  find(tokenId: string, options?: LookupOptions): ServiceInfo[] {
    const predicate = compileFilter(options?.filter);
    const range = options?.range;
    return (this.byToken.get(tokenId) ?? [])
      .filter((r) => (range === undefined || semver.satisfies(r.version, range, { includePrerelease: true })) && predicate(r.properties))
      .map((r) => r.info());
  }

  track<T>(token: Token<T>, options?: LookupOptions): ServiceTracker<T> {
    const range = checkedRange(token.id, options);
    const predicate = compileFilter(options?.filter);
    const onDidChange = new Emitter<TrackerEvent>();
    const known = new Set<string>(this.matches(token.id, range, predicate).map((r) => r.id));
    // Snapshot and subscription happen in the same synchronous step: no event can fall between them.
    const sub = this.onDidChangeRegistry((e) => {
      if (e.service.tokenId !== token.id) return;
      const reg = this.regs.get(e.service.id);
      const matchesNow =
        reg !== undefined &&
        reg.selectable &&
        (range === undefined || semver.satisfies(reg.version, range, { includePrerelease: true })) &&
        predicate(reg.properties);
      const was = known.has(e.service.id);
      if (matchesNow && !was) {
        known.add(e.service.id);
        onDidChange.fire({ seq: e.seq, type: 'added', service: reg.info() });
      } else if (!matchesNow && was) {
        known.delete(e.service.id);
        onDidChange.fire({ seq: e.seq, type: 'removed', service: reg?.info() ?? e.service });
      } else if (matchesNow && was && e.type === 'modified') {
        onDidChange.fire({ seq: e.seq, type: 'modified', service: reg.info() });
      }
    });
    const disposable: IDisposable = toDisposable(() => {
      sub.dispose();
      onDidChange.dispose();
    });
    return {
      services: () => this.matches(token.id, range, predicate).map((r) => r.info()),
      all: () => this.matches(token.id, range, predicate).map((r) => this.fixedProxy(r) as T),
      onDidChange: onDidChange.event,
      dispose: () => disposable.dispose(),
    };
  }

  pin<T>(proxy: T): T & IDisposable {
    const b = typeof proxy === 'object' && proxy !== null ? this.proxyBindings.get(proxy) : undefined;
    if (!b) throw KernelErrors.CARUSO_KERNEL_NOT_A_PROXY({ got: typeof proxy });
    const reg = b.current;
    if (!reg) throw b.unavailable();
    const pinned = new Binding(reg.tokenId, undefined, '', () => true, true);
    let released = false;
    // The pin's own dispose, reserved before the implementation's members are adopted: a service
    // with a dispose() of its own keeps it unreachable through the pin (and pin() does not throw).
    pinned.reserve('dispose', () => {
      if (released) return;
      released = true;
      reg.pins--;
      pinned.current = undefined;
      reg.fixed.delete(pinned);
      reg.onIdle?.();
    });
    pinned.point(reg);
    // Counted only once nothing can throw any more.
    reg.pins++;
    reg.fixed.add(pinned);
    this.proxyBindings.set(pinned.proxy, pinned);
    return pinned.proxy as T & IDisposable;
  }

  list(): ServiceInfo[] {
    return [...this.regs.values()].sort((a, b) => a.seq - b.seq).map((r) => r.info());
  }

  async checkHealth(): Promise<ServiceInfo[]> {
    const active = [...this.regs.values()].filter((r) => r.state === 'active');
    await Promise.all(
      active.map(async (r) => {
        r.health = await this.runHealth(r);
      }),
    );
    return this.list();
  }

  /**
   * Internal (remote endpoint): the best active match of a lookup right now, without creating or
   * caching a binding (remote lookups are ad hoc and untrusted). Validates the range and filter.
   */
  resolve(tokenId: string, options: LookupOptions | undefined): Registration | undefined {
    const range = checkedRange(tokenId, options);
    return this.selectBest(tokenId, range, compileFilter(options?.filter));
  }

  /** Internal (remote endpoint): every active match, best first, without creating bindings. */
  resolveAll(tokenId: string, options: LookupOptions | undefined): Registration[] {
    const range = checkedRange(tokenId, options);
    return this.matches(tokenId, range, compileFilter(options?.filter));
  }

  /** Internal: the registration behind an id (remote endpoint). */
  registration(id: string): Registration | undefined {
    return this.regs.get(id);
  }
}

/** The range of a lookup, checked: CARUSO_KERNEL_INVALID_RANGE when it is not a semver range. */
function checkedRange(tokenId: string, options: LookupOptions | undefined): string | undefined {
  const range = options?.range;
  if (range !== undefined && semver.validRange(range) === null) throw KernelErrors.CARUSO_KERNEL_INVALID_RANGE({ token: tokenId, range });
  return range;
}

/** Creates a service manager. */
export function createServiceManager(options: ServiceManagerOptions = {}): ServiceRegistry {
  return new ServiceRegistry(options);
}
