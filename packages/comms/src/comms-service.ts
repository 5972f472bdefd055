import type { HealthStatus, ServiceContext, ServiceDefinition, ServiceLifecycle } from '@caruso/kernel';
import { StorageManager } from '@caruso/storage';
import { systemClock, type Clock } from './clock.js';
import type { CommunicationServer } from './communication-server.js';
import { openContacts } from './contact-recovery.js';
import type { ContactEvent } from './contact-event-log.js';
import { CommsErrors } from './errors.js';
import type { AgentConfig, QueueConfig } from './model.js';
import { QueueRouter } from './queue-router.js';
import { StorageContactEventLog } from './storage-event-log.js';

/** The version of this implementation, as registered. */
export const COMMS_SERVICE_VERSION = '0.1.0';

/** Options of {@link commsService}. */
export interface CommsServiceOptions {
  /** Queues configured at start (before recovery). */
  readonly queues?: readonly QueueConfig[];
  /** Agents configured at start (logged out). */
  readonly agents?: readonly AgentConfig[];
  /** Default: the system clock. */
  readonly clock?: Clock;
}

class CommsServer implements CommunicationServer, ServiceLifecycle {
  private router: QueueRouter | undefined;
  private log: StorageContactEventLog | undefined;

  constructor(private readonly storage: StorageManager, private readonly options: CommsServiceOptions) {}

  async start(ctx: ServiceContext): Promise<void> {
    const log = await StorageContactEventLog.open(this.storage, { logger: ctx.logger });
    const router = new QueueRouter({ clock: this.options.clock ?? systemClock, events: log, logger: ctx.logger });
    for (const q of this.options.queues ?? []) router.addQueue(q);
    for (const a of this.options.agents ?? []) router.addAgent(a);
    // Recovery: the contacts still waiting when the process stopped go back in line, in their order.
    // Note: this reads the whole log; a checkpoint table is future work for very long logs.
    const events: ContactEvent[] = [];
    for (let after = 0; ; ) {
      const page = await log.read({ afterSeq: after, limit: 5_000 });
      if (page.length === 0) break;
      events.push(...page);
      after = page[page.length - 1]!.seq;
    }
    const { waiting, connected } = openContacts(events);
    let recovered = 0;
    for (const spec of waiting) {
      if (!router.queueIds().includes(spec.queueId)) {
        ctx.logger.warn({ queue: spec.queueId }, 'a waiting contact names a queue that is no longer configured; it stays in the log only');
        continue;
      }
      router.enqueue(spec);
      recovered++;
    }
    for (const c of connected) {
      // The process that held the connection is gone: the contact is closed in the log as such.
      log.append({ kind: 'completed', at: (this.options.clock ?? systemClock).now(), contactId: c.spec.id!, queueId: c.spec.queueId, agentId: c.connectedTo!, channel: c.spec.channel, reason: 'lost-on-restart' });
    }
    await log.flush();
    ctx.logger.info({ recovered, closed: connected.length }, 'communication server started');
    this.router = router;
    this.log = log;
  }

  async stop(): Promise<void> {
    await this.log?.flush();
    this.router?.dispose();
    this.log?.dispose();
    this.router = undefined;
    this.log = undefined;
  }

  health(): HealthStatus {
    const pending = this.log?.pending ?? 0;
    if (!this.router) return { status: 'down', detail: 'not started' };
    return pending > 10_000 ? { status: 'degraded', detail: `${pending} events not yet written` } : { status: 'ok' };
  }

  private get r(): QueueRouter {
    if (!this.router) throw CommsErrors.CARUSO_COMMS_EVENT_LOG_FAILED({ reason: 'the communication server is not started' });
    return this.router;
  }

  /** Runs a change, then makes its events durable before resolving. */
  private async change<T>(fn: (r: QueueRouter) => T): Promise<T> {
    const result = fn(this.r);
    await this.log!.flush();
    return result;
  }

  addQueue = (c: QueueConfig) => this.change((r) => r.addQueue(c));
  addAgent = (c: AgentConfig) => this.change((r) => r.addAgent(c));
  login = (id: string) => this.change((r) => r.login(id));
  logout = (id: string, o?: { readonly force?: boolean }) => this.change((r) => r.logout(id, o));
  pause = (id: string, reason: string) => this.change((r) => r.pause(id, reason));
  resume = (id: string) => this.change((r) => r.resume(id));
  finishWrapUp = (id: string) => this.change((r) => r.finishWrapUp(id));
  enqueue: CommunicationServer['enqueue'] = (spec) => this.change((r) => r.enqueue(spec));
  accept = (id: string) => this.change((r) => r.accept(id));
  reject = (id: string, reason?: string) => this.change((r) => r.reject(id, reason));
  complete = (id: string, by?: 'agent' | 'caller') => this.change((r) => r.complete(id, by));
  abandon = (id: string) => this.change((r) => r.abandon(id));
  exit: CommunicationServer['exit'] = (id, reason) => this.change((r) => r.exit(id, reason));
  hold = (id: string) => this.change((r) => r.hold(id));
  retrieve = (id: string) => this.change((r) => r.retrieve(id));
  transferToQueue = (id: string, queueId: string) => this.change((r) => r.transferToQueue(id, queueId));
  requestCallback: CommunicationServer['requestCallback'] = (id, number) => this.change((r) => r.requestCallback(id, number));
  contact: CommunicationServer['contact'] = (id) => this.r.contact(id);
  agent: CommunicationServer['agent'] = (id) => this.r.agent(id);
  waiting: CommunicationServer['waiting'] = (id) => this.r.waiting(id);
  queueStatus: CommunicationServer['queueStatus'] = (id) => this.r.queueStatus(id);
  position: CommunicationServer['position'] = (id) => this.r.position(id);
  pendingOffers: CommunicationServer['pendingOffers'] = (id) => this.r.pendingOffers(id);
  onDidOffer: CommunicationServer['onDidOffer'] = (l) => this.r.onDidOffer(l);
  onDidWithdrawOffer: CommunicationServer['onDidWithdrawOffer'] = (l) => this.r.onDidWithdrawOffer(l);
  onDidExit: CommunicationServer['onDidExit'] = (l) => this.r.onDidExit(l);
  onDidChangeAgentState: CommunicationServer['onDidChangeAgentState'] = (l) => this.r.onDidChangeAgentState(l);
}

/**
 * The communication server as a service: register it under the {@link CommunicationServer} token.
 * It depends on the storage manager, keeps its contact event log there, and on start puts the
 * contacts that were waiting back in their queues in their order.
 * @example
 * services.register(CommunicationServer, commsService({ queues: [{ id: 'support' }], agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }] }));
 */
export function commsService(options: CommsServiceOptions = {}): ServiceDefinition<CommunicationServer, { storage: { token: typeof StorageManager } }> {
  return {
    version: COMMS_SERVICE_VERSION,
    dependencies: { storage: { token: StorageManager } },
    create: ({ storage }) => new CommsServer(storage, options),
  };
}
