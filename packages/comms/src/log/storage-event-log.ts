import { Emitter, silentLogger, type HealthStatus, type IDisposable, type Logger } from '@caruso/kernel';
import type { Migration, StorageManager } from '@caruso/storage';
import { parseContactEvent, type ContactEvent, type ContactEventInput, type ContactEventLog, type ReadEventsOptions } from '../contract/contact-event-log.js';
import { CommsErrors } from '../errors.js';
import { WRITER_LEASE_MIGRATION, WriterLease } from '../internal/writer-lease.js';
import type { AgentState, Channel, Direction } from '../contract/model.js';

/** The one table of the contact event log. */
export const CONTACT_EVENTS_TABLE = 'caruso_contact_events';

/** The migrations of the communication server (scope `comms`). */
export const COMMS_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-contact-events',
    up: async (trx) => {
      await trx.schema.createTable(CONTACT_EVENTS_TABLE, (t) => {
        t.bigInteger('seq').primary();
        t.bigInteger('at').notNullable();
        t.string('kind', 32).notNullable();
        t.string('contact_id', 128).nullable().index();
        t.string('queue_id', 128).nullable();
        t.string('agent_id', 128).nullable();
        t.string('channel', 16).nullable();
        t.string('direction', 16).nullable();
        t.string('reason', 64).nullable();
        t.string('state', 16).nullable();
        t.string('from_state', 16).nullable();
        t.bigInteger('wait_ms').nullable();
        t.bigInteger('ring_ms').nullable();
        t.bigInteger('talk_ms').nullable();
        t.bigInteger('hold_ms').nullable();
        t.bigInteger('wrap_ms').nullable();
        t.double('priority').nullable();
        t.text('data').nullable();
      });
    },
    down: async (trx) => {
      await trx.schema.dropTable(CONTACT_EVENTS_TABLE);
    },
  },
  {
    // Reports and the monitor's history filter the log by time.
    id: '0002-contact-events-at',
    up: async (trx) => {
      await trx.schema.alterTable(CONTACT_EVENTS_TABLE, (t) => {
        t.index(['at'], 'caruso_contact_events_at_idx');
      });
    },
    down: async (trx) => {
      await trx.schema.alterTable(CONTACT_EVENTS_TABLE, (t) => {
        t.dropIndex(['at'], 'caruso_contact_events_at_idx');
      });
    },
  },
  // One writer per database: the process that writes the log holds a lease (caruso_comms_writer_lease).
  WRITER_LEASE_MIGRATION,
];

/** The name of the contact event log's row in the writer lease table. */
const LEASE_NAME = 'contact-events';

interface Row {
  seq: number | string;
  at: number | string;
  kind: string;
  contact_id: string | null;
  queue_id: string | null;
  agent_id: string | null;
  channel: string | null;
  direction: string | null;
  reason: string | null;
  state: string | null;
  from_state: string | null;
  wait_ms: number | string | null;
  ring_ms: number | string | null;
  talk_ms: number | string | null;
  hold_ms: number | string | null;
  wrap_ms: number | string | null;
  priority: number | string | null;
  data: string | null;
}

// 18 columns × 50 rows stays under every database's limit of bound parameters per statement.
const ROWS_PER_INSERT = 50;

/** An event as a row of the log's table (the one mapping; tests that write hand-made logs use it too). */
export function contactEventRow(e: ContactEvent): Row {
  return {
    seq: e.seq,
    at: e.at,
    kind: e.kind,
    contact_id: e.contactId ?? null,
    queue_id: e.queueId ?? null,
    agent_id: e.agentId ?? null,
    channel: e.channel ?? null,
    direction: e.direction ?? null,
    reason: e.reason ?? null,
    state: e.state ?? null,
    from_state: e.fromState ?? null,
    wait_ms: e.waitMs ?? null,
    ring_ms: e.ringMs ?? null,
    talk_ms: e.talkMs ?? null,
    hold_ms: e.holdMs ?? null,
    wrap_ms: e.wrapMs ?? null,
    priority: e.priority ?? null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
  };
}

function num(v: number | string | null): number | undefined {
  return v === null ? undefined : Number(v);
}

function fromRow(r: Row): ContactEvent {
  const seq = Number(r.seq);
  let data: Record<string, unknown> | undefined;
  if (r.data !== null) {
    try {
      data = JSON.parse(r.data) as Record<string, unknown>;
    } catch (cause) {
      throw CommsErrors.CARUSO_COMMS_INVALID_EVENT({ seq, reason: 'the data column is not JSON' }, { cause });
    }
  }
  const e: Record<string, unknown> = { seq, at: Number(r.at), kind: r.kind };
  const set = (k: string, v: unknown): void => {
    if (v !== null && v !== undefined) e[k] = v;
  };
  set('contactId', r.contact_id);
  set('queueId', r.queue_id);
  set('agentId', r.agent_id);
  set('channel', r.channel as Channel | null);
  set('direction', r.direction as Direction | null);
  set('reason', r.reason);
  set('state', r.state as AgentState | null);
  set('fromState', r.from_state as AgentState | null);
  set('waitMs', num(r.wait_ms));
  set('ringMs', num(r.ring_ms));
  set('talkMs', num(r.talk_ms));
  set('holdMs', num(r.hold_ms));
  set('wrapMs', num(r.wrap_ms));
  set('priority', num(r.priority));
  set('data', data);
  // Every stored event is checked against its kind: readers get the typed union, never a guess.
  return parseContactEvent(e, seq);
}

/** Options of {@link StorageContactEventLog.open}. */
export interface StorageContactEventLogOptions {
  readonly logger?: Logger;
  /** The writer lease's heartbeat interval (default 5,000 ms). */
  readonly heartbeatMs?: number;
  /**
   * Another process may take the writer lease over when its heartbeat is older than this (default
   * 30,000 ms). A holder on the same host whose process is gone is taken over at once.
   */
  readonly staleMs?: number;
}

// Consecutive failed writes after which the log reports itself down rather than degraded.
const DOWN_AFTER_FAILURES = 3;
// Write attempts of one flush when another writer took the numbers (each renumbers first).
const CLASH_ATTEMPTS = 3;

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'CARUSO_STORAGE_UNIQUE_VIOLATION';
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'database error';
}

/**
 * The contact event log in one table, through the storage manager (SQLite or PostgreSQL).
 * `append` buffers; `flush` writes the buffer in one transaction, and only when it resolved are the
 * events durable: the communication server awaits it before acknowledging a change. A failed flush
 * keeps the events buffered, in order, for the next one.
 *
 * One writer per database: `open` takes a writer lease (table `caruso_comms_writer_lease`, a row
 * with the holder's host, pid, start and heartbeat) and refuses with CARUSO_COMMS_DATABASE_IN_USE
 * while another live process holds it. Sequence numbers are assigned in memory, continuing from the
 * highest stored one. The heartbeat runs on a timer, never per append or per flush.
 *
 * Note: a log that lost its lease (another process took it over after its heartbeat went stale)
 * writes nothing more and its flushes reject at once, until its heartbeat takes the lease back. When
 * it writes again, or when another log of the same process took its numbers, it renumbers the
 * events not yet durable (in place, after the highest stored number) before writing them: a
 * sequence number is final once `flush` resolved.
 */
export class StorageContactEventLog implements ContactEventLog, IDisposable {
  private buffer: ContactEvent[] = [];
  private seq: number;
  private writing: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;
  private readonly _onDidAppend = new Emitter<ContactEvent>();
  readonly onDidAppend = this._onDidAppend.event;
  private failures = 0;
  private lastFailure: string | undefined;
  private renumberFirst = false;
  private disposed = false;
  private renumberedCount = 0;
  private writingCount = 0;

  private constructor(
    private readonly storage: StorageManager,
    lastSeq: number,
    private readonly logger: Logger,
    private readonly lease: WriterLease,
  ) {
    this.seq = lastSeq;
  }

  /**
   * Applies the migrations (scope `comms`), takes the writer lease and opens the log after its last
   * stored event. Throws CARUSO_COMMS_DATABASE_IN_USE naming the host and pid of the process that
   * holds the lease.
   */
  static async open(storage: StorageManager, options: StorageContactEventLogOptions = {}): Promise<StorageContactEventLog> {
    await storage.migrate(COMMS_MIGRATIONS, { scope: 'comms' });
    const logger = options.logger ?? silentLogger();
    let log: StorageContactEventLog | undefined;
    const lease = await WriterLease.acquire(storage, LEASE_NAME, {
      logger,
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.staleMs !== undefined ? { staleMs: options.staleMs } : {}),
      onChange: (held) => log?.leaseChanged(held),
      onTick: () => log?.retry(),
    });
    try {
      const last = await maxSeq(storage);
      log = new StorageContactEventLog(storage, last, logger, lease);
      return log;
    } catch (err) {
      lease.dispose();
      throw err;
    }
  }

  append(event: ContactEventInput): ContactEvent {
    const e: ContactEvent = { ...event, seq: ++this.seq };
    this.buffer.push(e);
    if (this._onDidAppend.hasListeners) this._onDidAppend.fire(e);
    return e;
  }

  /** Events appended but not yet durable (also those of a write under way). */
  get pending(): number {
    return this.buffer.length + this.writingCount;
  }

  /** Events renumbered so far because their numbers were taken by another writer. */
  get renumbered(): number {
    return this.renumberedCount;
  }

  /**
   * The log's health: `down` when it lost its writer lease or its last writes failed
   * repeatedly, `degraded` after a failed write or with a large backlog, else `ok`. A write that
   * succeeds brings it back to `ok`.
   */
  health(): HealthStatus {
    const pending = this.pending;
    if (this.disposed) return { status: 'down', detail: 'closed' };
    if (!this.lease.held) {
      const h = this.lease.holder;
      const who = h ? `host ${h.host}, pid ${h.pid}` : 'another process';
      return { status: 'down', detail: `lost the writer lease to ${who}; ${pending} events wait, not acknowledged` };
    }
    if (this.failures >= DOWN_AFTER_FAILURES) return { status: 'down', detail: `the last ${this.failures} writes failed (${this.lastFailure ?? 'database error'}); ${pending} events wait, not acknowledged` };
    if (this.failures > 0) return { status: 'degraded', detail: `a write failed (${this.lastFailure ?? 'database error'}); ${pending} events wait, not acknowledged` };
    if (pending > 10_000) return { status: 'degraded', detail: `${pending} events not yet written` };
    return { status: 'ok' };
  }

  flush(): Promise<void> {
    // Group commit: writes run one after the other (rows land in sequence order), and every flush
    // asked for while a write runs shares the one next write, which takes the whole buffer.
    if (this.next) return this.next;
    const next = this.writing.then(() => {
      this.next = undefined;
      return this.writeBuffer();
    });
    this.next = next;
    this.writing = next.catch(() => undefined);
    return next;
  }

  async read(options: ReadEventsOptions = {}): Promise<ContactEvent[]> {
    let q = this.storage.knex<Row>(CONTACT_EVENTS_TABLE).where('seq', '>', options.afterSeq ?? 0);
    if (options.contactId !== undefined) q = q.andWhere('contact_id', options.contactId);
    const rows = (await q.orderBy('seq').limit(options.limit ?? 10_000)) as Row[];
    return rows.map(fromRow);
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Stops the heartbeat and gives the writer lease back (best effort: a lease not given back goes stale). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.lease.dispose();
    this._onDidAppend.dispose();
  }

  /** Like {@link dispose}, and waits until the writer lease is given back. */
  async close(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this._onDidAppend.dispose();
    await this.lease.release();
  }

  private leaseChanged(held: boolean): void {
    // Taken again: another process may have written meanwhile, so number after what is stored.
    if (held) this.renumberFirst = true;
  }

  // On each heartbeat: a write that failed is tried again, and a lease taken back renumbers at once,
  // so that the log recovers (and its health with it) without waiting for the next change. At most
  // one attempt per heartbeat.
  private retry(): void {
    if (this.disposed || (this.failures === 0 && !this.renumberFirst) || !this.lease.held || this.next) return;
    this.flush().catch(() => undefined);
  }

  private async writeBuffer(): Promise<void> {
    if (this.buffer.length === 0 && !this.renumberFirst) return;
    if (!this.lease.held) {
      // Writing now would interleave with the process that holds the lease: refuse, without a
      // round trip and without an error line per flush (the loss was logged once).
      this.failed('lost writer lease');
      throw CommsErrors.CARUSO_COMMS_EVENT_LOG_FAILED({ reason: 'another process holds the writer lease' }, { cause: this.lease.lostError() });
    }
    const batch = this.buffer;
    this.buffer = [];
    this.writingCount = batch.length;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.storage.transaction(async (trx) => {
            if (this.lease.needsConfirm() && !(await this.lease.confirm(trx))) throw this.lease.lostError();
            if (this.renumberFirst) {
              this.renumber(batch, await maxSeq(trx));
              this.renumberFirst = false;
            }
            for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
              await trx.knex(CONTACT_EVENTS_TABLE).insert(batch.slice(i, i + ROWS_PER_INSERT).map(contactEventRow));
            }
          });
          break;
        } catch (cause) {
          // Another writer took these numbers: number after what is stored and write again (bounded).
          if (!isUniqueViolation(cause) || attempt >= CLASH_ATTEMPTS) throw cause;
          this.renumberFirst = true;
        }
      }
    } catch (cause) {
      this.writingCount = 0;
      this.buffer = batch.concat(this.buffer);
      const reason = codeOf(cause);
      this.failed(reason);
      if (this.failures === 1 || this.failures % 100 === 0) this.logger.error({ err: cause, events: batch.length, failures: this.failures }, 'contact event log flush failed');
      throw CommsErrors.CARUSO_COMMS_EVENT_LOG_FAILED({ reason }, { cause });
    }
    this.writingCount = 0;
    if (this.failures > 0) this.logger.info({ failures: this.failures }, 'contact event log writes again');
    this.failures = 0;
    this.lastFailure = undefined;
  }

  private failed(reason: string): void {
    this.failures++;
    this.lastFailure = reason;
  }

  // Gives the batch, and the events appended after it, numbers after `stored` (they keep their order).
  private renumber(batch: ContactEvent[], stored: number): void {
    const all = batch.concat(this.buffer);
    const first = all[0];
    if (!first || first.seq > stored) {
      this.seq = Math.max(this.seq, stored);
      return;
    }
    let n = stored;
    for (const e of all) (e as { seq: number }).seq = ++n;
    this.seq = n;
    this.renumberedCount += all.length;
    this.logger.warn({ events: all.length, after: stored }, 'contact event log numbers were taken by another writer; the events not yet written were renumbered');
  }
}

async function maxSeq(session: Pick<StorageManager, 'knex'>): Promise<number> {
  const row = (await session.knex(CONTACT_EVENTS_TABLE).max({ last: 'seq' }).first()) as { last: number | string | null } | undefined;
  return Number(row?.last ?? 0);
}
