import { Emitter, DisposableStore, toDisposable, type ServiceLookup, type HealthStatus, type IDisposable, type Logger, type ServiceContext, type ServiceDefinition, type ServiceInfo, type ServiceLifecycle } from '@caruso/kernel';
import { ServiceManager } from '@caruso/kernel';
import { ContactEventLog, systemClock, type Clock, type ContactEvent } from '@caruso/comms';
import { StorageManager } from '@caruso/storage';
import type { WebSocket } from 'ws';
import { AlertBoard, parseAlertDefinitions, type Alert, type AlertChange, type AlertDefinition } from './alerts.js';
import type { MonitorPrincipal } from './common/protocol.js';
import { MonitorErrors } from './errors.js';
import { LiveFigures, type CampaignFigures, type LiveFiguresOptions } from './live-figures.js';
import type { Monitor } from './monitor.js';
import { MonitorHub, mayView, type MonitorHubOptions, type TopicSource } from './monitor-hub.js';
import { listenMonitor, type MonitorListener, type MonitorListenerOptions } from './monitor-listener.js';
import { checkDailyReportsOptions, DailyReportWriter, type DailyReportsOptions, type DailyReportsWritten } from './reports/daily-reports.js';
import { ReportCatalogue } from './reports/report-catalogue.js';
import type { ReportDefinition } from './reports/report-definition.js';
import { runReport, type ReportRequest, type ReportResult } from './reports/report-engine.js';

/** The version of this implementation, as registered. */
export const MONITOR_SERVICE_VERSION = '0.1.0';

/** Options of {@link monitorService} and {@link MonitorRuntime}. */
export interface MonitorOptions extends LiveFiguresOptions, MonitorHubOptions {
  /** Alert definitions (validated at creation; CARUSO_MONITOR_INVALID_ALERT). */
  readonly alerts?: readonly AlertDefinition[] | unknown;
  /** Clock of "today", of time in state and of the alert and health timers (default: the system clock). */
  readonly clock?: Clock;
  /** Alerts are evaluated this often, and after every batch of events (default 1,000 ms). */
  readonly evaluateEveryMs?: number;
  /** Service health is checked and metrics read this often (default 10,000 ms). */
  readonly healthEveryMs?: number;
  /** On start, events this long before the start of today are folded too, for agents' and contacts' current state (default 24 h). */
  readonly lookbackMs?: number;
  /**
   * The service manager whose services are shown (topic `services`), when it is not registered
   * under its own token.
   */
  readonly services?: ServiceManager;
  /**
   * The storage manager the reports read (the contact event log's and the dialogue sessions'
   * database), when it is not registered under its own token (`caruso.storage`).
   */
  readonly storage?: StorageManager;
  /** The company's own report definitions (parsed JSON, validated at creation; CARUSO_MONITOR_INVALID_REPORT). */
  readonly reportDefinitions?: unknown;
  /**
   * Daily report files: every day at `reports.at` (local time of `utcOffsetMinutes`, on `clock`) the
   * previous day's reports are written into `reports.folder` as HTML with charts and CSV. Needs
   * the storage manager.
   */
  readonly reports?: DailyReportsOptions;
}

/**
 * The monitor's implementation: folds the contact event log into {@link LiveFigures}, publishes them
 * through a {@link MonitorHub}, reads the service manager's health and metrics, and evaluates alerts.
 */
export class MonitorRuntime implements Monitor, ServiceLifecycle, TopicSource {
  private live: LiveFigures;
  private hub: MonitorHub | undefined;
  private readonly board: AlertBoard;
  private readonly clock: Clock;
  private store = new DisposableStore();
  private readonly listeners = new Set<MonitorListener>();
  private readonly _onDidChangeAlert = new Emitter<AlertChange>();
  readonly onDidChangeAlert = this._onDidChangeAlert.event;
  private servicesValue: { services: Record<string, unknown> } = { services: {} };
  private serviceInfos: ServiceInfo[] = [];
  private logger: Logger | undefined;
  private started = false;
  private evaluating = false;
  private readonly catalogue: ReportCatalogue;
  private writer: DailyReportWriter | undefined;
  private lookup: ServiceLookup | undefined;
  private readonly _onDidWriteReports = new Emitter<DailyReportsWritten>();
  readonly onDidWriteReports = this._onDidWriteReports.event;

  constructor(
    private readonly log: ContactEventLog,
    private readonly manager: ServiceManager | undefined,
    private readonly options: MonitorOptions = {},
  ) {
    this.live = new LiveFigures(options);
    this.catalogue = new ReportCatalogue(options.reportDefinitions ?? []);
    if (options.reports !== undefined) checkDailyReportsOptions(options.reports, this.catalogue);
    this.board = new AlertBoard(parseAlertDefinitions(options.alerts ?? []));
    this.clock = options.clock ?? systemClock;
    for (const k of ['evaluateEveryMs', 'healthEveryMs', 'lookbackMs'] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw MonitorErrors.CARUSO_MONITOR_INVALID_OPTIONS({ reason: `${k} must be a number > 0` });
    }
  }

  // ------------------------------------------------------------------ lifecycle

  async start(ctx?: ServiceContext): Promise<void> {
    this.logger = ctx?.logger;
    this.lookup = ctx?.services;
    this.live = new LiveFigures(this.options);
    const hub = new MonitorHub(this, { ...this.options, ...(ctx ? { logger: ctx.logger } : {}) });
    this.store.add(hub);
    // Subscribe first, then read: events appended meanwhile are kept and folded after the catch-up.
    const early: ContactEvent[] = [];
    let caughtUp = false;
    this.store.add(
      this.log.onDidAppend((e) => {
        if (!caughtUp) early.push(e);
        else this.fold([e]);
      }),
    );
    const from = this.live.startOfDay(this.clock.now()) - (this.options.lookbackMs ?? 86_400_000);
    let after = (await this.firstSeqAtOrAfter(from)) - 1;
    for (;;) {
      const page = await this.log.read({ afterSeq: after, limit: 5_000 });
      if (page.length === 0) break;
      for (const e of page) this.live.add(e);
      after = page[page.length - 1]!.seq;
    }
    for (const e of early) if (e.seq > this.live.seq) this.live.add(e);
    caughtUp = true;
    this.live.rollOver(this.clock.now());
    this.hub = hub;
    if (this.manager) {
      const m = this.manager;
      this.store.add(m.onDidChangeRegistry(() => this.refreshServices(m.list())));
      this.refreshServices(m.list());
    }
    if (this.options.reports) {
      const writer = new DailyReportWriter(this.options.reports, this.catalogue, () => this.reportStorage(), this.clock, this.options.utcOffsetMinutes ?? 0, ctx?.logger);
      this.store.add(writer.onDidWrite((w) => this._onDidWriteReports.fire(w)));
      this.writer = writer;
    }
    this.started = true;
    this.writer?.start();
    this.armTimers();
    this.evaluate();
    ctx?.logger.info({ seq: this.live.seq }, 'monitor started');
  }

  async stop(): Promise<void> {
    this.started = false;
    const writer = this.writer;
    this.writer = undefined;
    if (writer) {
      writer.dispose();
      await writer.idle();
    }
    for (const l of [...this.listeners]) await l.close();
    this.listeners.clear();
    this.store.dispose();
    this.store = new DisposableStore();
    this.hub = undefined;
  }

  health(): HealthStatus {
    return this.started ? { status: 'ok', detail: `${this.hub?.clientCount ?? 0} clients, event ${this.live.seq}` } : { status: 'down', detail: 'not started' };
  }

  /** Stops and frees everything (for use without a service manager). */
  async dispose(): Promise<void> {
    await this.stop();
    this._onDidChangeAlert.dispose();
    this._onDidWriteReports.dispose();
  }

  // ------------------------------------------------------------------ Monitor

  topicValue(topic: string, principal: MonitorPrincipal = { name: 'local', role: 'supervisor' }): unknown {
    if (!mayView(principal, topic)) throw MonitorErrors.CARUSO_MONITOR_FORBIDDEN({ principal: principal.name, role: principal.role, topic });
    return this.value(topic);
  }

  topics(): string[] {
    return [...this.live.topics(), 'services', 'alerts'];
  }

  attach(socket: WebSocket, principal: MonitorPrincipal): IDisposable {
    return this.requireHub().attach(socket, principal);
  }

  async listen(options: MonitorListenerOptions): Promise<MonitorListener> {
    const l = await listenMonitor(this.requireHub(), { ...(this.logger ? { logger: this.logger } : {}), ...options });
    const tracked: MonitorListener = {
      port: l.port,
      url: l.url,
      close: async () => {
        this.listeners.delete(tracked);
        await l.close();
      },
    };
    this.listeners.add(tracked);
    return tracked;
  }

  activeAlerts(): Alert[] {
    return this.board.alerts();
  }

  foldedSeq(): number {
    return this.live.seq;
  }

  reportNames(): string[] {
    return this.catalogue.names();
  }

  reportDefinition(name: string): ReportDefinition {
    return this.catalogue.get(name);
  }

  async report(name: string, request: ReportRequest): Promise<ReportResult> {
    const def = this.catalogue.get(name);
    return runReport(await this.reportStorage(), def, { asOf: this.clock.now(), ...request });
  }

  /**
   * The storage manager reports read: the option, else the registered one (waiting for it while it
   * starts, at most 30 s). Throws CARUSO_MONITOR_NO_STORAGE when there is none.
   */
  private async reportStorage(): Promise<StorageManager> {
    if (this.options.storage) return this.options.storage;
    const lookup = this.lookup;
    const registered = lookup?.find(StorageManager.id).some((i) => i.state !== 'stopped' && i.state !== 'failed');
    if (!lookup || !registered) throw MonitorErrors.CARUSO_MONITOR_NO_STORAGE();
    try {
      return await lookup.whenAvailable(StorageManager, { timeoutMs: 30_000 });
    } catch (cause) {
      throw MonitorErrors.CARUSO_MONITOR_NO_STORAGE({}, { cause });
    }
  }

  async writeDailyReports(day?: string): Promise<DailyReportsWritten> {
    if (!this.options.reports) throw MonitorErrors.CARUSO_MONITOR_INVALID_OPTIONS({ reason: 'no reports folder is configured (option reports.folder)' });
    const writer = this.writer;
    if (!writer || !this.started) throw MonitorErrors.CARUSO_MONITOR_NOT_STARTED();
    return writer.writeQueued(day ?? writer.yesterday());
  }

  /** The hub (for statistics and an explicit flush in tests and benchmarks). */
  get publisher(): MonitorHub {
    return this.requireHub();
  }

  // ------------------------------------------------------------------ TopicSource

  handles(topic: string): boolean {
    return topic === 'services' || topic === 'alerts' || this.live.handles(topic);
  }

  value(topic: string): unknown {
    if (topic === 'services') return this.servicesValue;
    if (topic === 'alerts') return this.board.value();
    return this.live.value(topic);
  }

  get seq(): number {
    return this.live.seq;
  }

  get at(): number {
    return this.live.at;
  }

  // ------------------------------------------------------------------ internals

  private requireHub(): MonitorHub {
    if (!this.hub) throw MonitorErrors.CARUSO_MONITOR_NOT_STARTED();
    return this.hub;
  }

  private fold(events: readonly ContactEvent[]): void {
    const dirty = new Set<string>();
    let first = 0;
    for (const e of events) {
      if (e.seq <= this.live.seq) continue;
      if (first === 0) first = e.seq;
      for (const t of this.live.add(e)) dirty.add(t);
    }
    if (dirty.size > 0) this.hub?.publish(dirty, first);
    this.scheduleEvaluation();
  }

  private scheduleEvaluation(): void {
    if (this.evaluating || !this.started || this.board.definitions.length === 0) return;
    this.evaluating = true;
    queueMicrotask(() => {
      this.evaluating = false;
      this.evaluate();
    });
  }

  private evaluate(): void {
    if (!this.started) return;
    const now = this.clock.now();
    const rolled = this.live.rollOver(now);
    if (rolled.length > 0) this.hub?.publish(rolled, this.live.seq);
    if (this.board.definitions.length === 0) return;
    const campaigns = (this.live.value('campaigns') as { campaigns: Record<string, CampaignFigures> }).campaigns;
    const changes = this.board.evaluate({ live: this.live, services: this.serviceInfos, campaigns }, now);
    if (changes.length === 0) return;
    for (const c of changes) {
      const a = c.alert;
      if (c.type === 'raised') this.logger?.warn({ alert: a.id, subject: a.subject, metric: a.metric, value: a.value, severity: a.severity }, 'alert raised');
      else this.logger?.info({ alert: a.id, subject: a.subject }, 'alert cleared');
      this._onDidChangeAlert.fire(c);
    }
    this.hub?.publish(['alerts'], this.live.seq);
  }

  private armTimers(): void {
    const every = (ms: number, fn: () => void): void => {
      let timer: IDisposable | undefined;
      const arm = (): void => {
        timer = this.clock.setTimer(ms, () => {
          if (!this.started) return;
          fn();
          arm();
        });
      };
      arm();
      this.store.add(toDisposable(() => timer?.dispose()));
    };
    every(this.options.evaluateEveryMs ?? 1_000, () => this.evaluate());
    const m = this.manager;
    if (m) {
      every(this.options.healthEveryMs ?? 10_000, () => {
        m.checkHealth().then(
          (infos) => this.refreshServices(infos),
          (err: unknown) => this.logger?.error({ err }, 'health check failed'),
        );
      });
    }
  }

  private refreshServices(infos: ServiceInfo[]): void {
    if (!this.started && this.hub === undefined) return;
    this.serviceInfos = infos;
    const services: Record<string, unknown> = {};
    for (const s of infos) {
      const total = s.metrics.latency.counts.reduce((a, b) => a + b, 0);
      let p99: number | null = null;
      if (total > 0) {
        let acc = 0;
        for (let i = 0; i < s.metrics.latency.counts.length; i++) {
          acc += s.metrics.latency.counts[i]!;
          if (acc >= 0.99 * total) {
            p99 = s.metrics.latency.boundsMs[i] ?? null;
            break;
          }
        }
      }
      services[s.id] = {
        tokenId: s.tokenId,
        version: s.version,
        state: s.state,
        origin: s.origin,
        health: s.health ? { status: s.health.status, detail: s.health.detail ?? null } : null,
        calls: s.metrics.calls,
        errors: s.metrics.errors,
        inFlight: s.metrics.inFlight,
        p99Ms: p99,
      };
    }
    this.servicesValue = { services };
    this.hub?.publish(['services'], this.live.seq);
    this.scheduleEvaluation();
  }

  /** The first sequence number of an event at or after `t` (binary search; the log is in time order). */
  private async firstSeqAtOrAfter(t: number): Promise<number> {
    let lo = 1;
    let hi = this.log.lastSeq + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const [e] = await this.log.read({ afterSeq: mid - 1, limit: 1 });
      if (!e) {
        hi = mid;
        continue;
      }
      if (e.at >= t) hi = mid;
      else lo = e.seq + 1;
    }
    return lo;
  }
}

/**
 * The monitor as a service: register it under the {@link Monitor} token. It depends on the contact
 * event log (token `caruso.comms.ContactEventLog`) and, optionally, on the service manager (token
 * `caruso.ServiceManager`; or pass it as `options.services`). Reports and the daily report files
 * read the storage manager of `options.storage`, else the one registered under its token
 * (`caruso.storage`), looked up when a report runs (so it may start after the monitor).
 * @example
 * services.register(Monitor, monitorService({ services, alerts: [{ id: 'long-wait', metric: 'queue.longestWaitSeconds', comparison: '>', value: 60 }] }));
 */
export function monitorService(
  options: MonitorOptions = {},
): ServiceDefinition<Monitor, { log: { token: typeof ContactEventLog }; manager: { token: typeof ServiceManager; optional: true } }> {
  // Validate now, so that a bad definition fails at registration with a coded error.
  parseAlertDefinitions(options.alerts ?? []);
  const catalogue = new ReportCatalogue(options.reportDefinitions ?? []);
  if (options.reports !== undefined) checkDailyReportsOptions(options.reports, catalogue);
  return {
    version: MONITOR_SERVICE_VERSION,
    dependencies: { log: { token: ContactEventLog }, manager: { token: ServiceManager, optional: true } },
    create: ({ log, manager }) => new MonitorRuntime(log, manager ?? options.services, options),
  };
}
