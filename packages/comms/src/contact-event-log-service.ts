import { Emitter, type HealthStatus, type ServiceContext, type ServiceDefinition, type ServiceLifecycle } from '@caruso/kernel';
import { StorageManager } from '@caruso/storage';
import type { ContactEvent, ContactEventInput, ContactEventLog, ReadEventsOptions } from './contact-event-log.js';
import { CommsErrors } from './errors.js';
import { StorageContactEventLog } from './storage-event-log.js';

/** The version of the contact event log service, as registered. */
export const CONTACT_EVENT_LOG_SERVICE_VERSION = '0.1.0';

/** The stored log behind the token, with its lifecycle: opened (and migrated) on start, flushed on stop. */
class ContactEventLogService implements ContactEventLog, ServiceLifecycle {
  private log: StorageContactEventLog | undefined;
  private readonly _onDidAppend = new Emitter<ContactEvent>();
  readonly onDidAppend = this._onDidAppend.event;

  constructor(private readonly storage: StorageManager) {}

  async start(ctx: ServiceContext): Promise<void> {
    this.log = await StorageContactEventLog.open(this.storage, { logger: ctx.logger });
  }

  async stop(): Promise<void> {
    const log = this.log;
    if (!log) return;
    try {
      await log.flush();
    } finally {
      log.dispose();
      this.log = undefined;
    }
  }

  health(): HealthStatus {
    if (!this.log) return { status: 'down', detail: 'not started' };
    const pending = this.log.pending;
    return pending > 10_000 ? { status: 'degraded', detail: `${pending} events not yet written` } : { status: 'ok' };
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
 * `caruso_contact_events`, migrations of scope `comms`).
 * @example
 * services.register(ContactEventLog, contactEventLogService());
 * services.register(CommunicationServer, commsService({ queues: [{ id: 'support' }] }));
 */
export function contactEventLogService(): ServiceDefinition<ContactEventLog, { storage: { token: typeof StorageManager } }> {
  return {
    version: CONTACT_EVENT_LOG_SERVICE_VERSION,
    dependencies: { storage: { token: StorageManager } },
    create: ({ storage }) => new ContactEventLogService(storage),
  };
}
