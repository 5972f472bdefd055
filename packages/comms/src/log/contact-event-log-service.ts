import { Emitter, type HealthStatus, type Logger, type ServiceContext, type ServiceDefinition, type ServiceLifecycle } from '@caruso/kernel';
import { StorageManager } from '@caruso/storage';
import type { ContactEvent, ContactEventInput, ContactEventLog, ReadEventsOptions } from '../contract/contact-event-log.js';
import { CommsErrors } from '../errors.js';
import { StorageContactEventLog, type StorageContactEventLogOptions } from './storage-event-log.js';

/** The version of the contact event log service, as registered. */
export const CONTACT_EVENT_LOG_SERVICE_VERSION = '0.1.0';

/** Options of {@link contactEventLogService}: the writer lease's timing. */
export type ContactEventLogServiceOptions = Omit<StorageContactEventLogOptions, 'logger'>;

/** The stored log behind the token, with its lifecycle: opened (and migrated) on start, flushed on stop. */
class ContactEventLogService implements ContactEventLog, ServiceLifecycle {
  private log: StorageContactEventLog | undefined;
  private readonly _onDidAppend = new Emitter<ContactEvent>();
  readonly onDidAppend = this._onDidAppend.event;

  private logger: Logger | undefined;

  constructor(
    private readonly storage: StorageManager,
    private readonly options: ContactEventLogServiceOptions,
  ) {}

  async start(ctx: ServiceContext): Promise<void> {
    this.logger = ctx.logger;
    this.log = await StorageContactEventLog.open(this.storage, { logger: ctx.logger, ...this.options });
  }

  async stop(): Promise<void> {
    const log = this.log;
    if (!log) return;
    try {
      await log.flush();
    } finally {
      this.log = undefined;
      // Give the writer lease back before the storage manager closes, so that the next start (in
      // another process) is not refused.
      await log.close().catch((err: unknown) => this.logger?.warn({ err }, 'the writer lease could not be given back; it goes stale'));
    }
  }

  /**
   * `down` when the log lost its writer lease to another process or its writes failed repeatedly,
   * `degraded` after a failed write or with a large backlog; `ok` again once a write succeeds.
   */
  health(): HealthStatus {
    if (!this.log) return { status: 'down', detail: 'not started' };
    return this.log.health();
  }

  append(event: ContactEventInput): ContactEvent {
    const e = this.need().append(event);
    if (this._onDidAppend.hasListeners) this._onDidAppend.fire(e);
    return e;
  }

  flush(): Promise<void> {
    return this.need().flush();
  }

  read(options?: ReadEventsOptions): Promise<ContactEvent[]> {
    return this.need().read(options);
  }

  get lastSeq(): number {
    return this.need().lastSeq;
  }

  /** Events appended but not yet durable. */
  get pending(): number {
    return this.log?.pending ?? 0;
  }

  private need(): StorageContactEventLog {
    if (!this.log) throw CommsErrors.CARUSO_COMMS_EVENT_LOG_FAILED({ reason: 'the contact event log is not started' });
    return this.log;
  }
}

/**
 * The contact event log as a service: register it under the {@link ContactEventLog} token so that
 * the communication server, its channels and the monitor share the one log (table
 * `caruso_contact_events`, migrations of scope `comms`). On start it takes the database's writer
 * lease: a second process is refused with CARUSO_COMMS_DATABASE_IN_USE naming the holder's host and
 * pid. Its health goes `degraded` when a write fails and `down` when writes keep failing or the lease
 * was lost; the monitor's built-in alert `event-log-failing` follows it.
 * @example
 * services.register(ContactEventLog, contactEventLogService());
 * services.register(CommunicationServer, commsService({ queues: [{ id: 'support' }] }));
 */
export function contactEventLogService(options: ContactEventLogServiceOptions = {}): ServiceDefinition<ContactEventLog, { storage: { token: typeof StorageManager } }> {
  return {
    version: CONTACT_EVENT_LOG_SERVICE_VERSION,
    dependencies: { storage: { token: StorageManager } },
    create: ({ storage }) => new ContactEventLogService(storage, options),
  };
}
