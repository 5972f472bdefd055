import { Emitter, silentLogger, type IDisposable, type Logger } from '@caruso/kernel';
import type { Migration, StorageManager } from '@caruso/storage';
import { CONTACT_EVENT_KINDS, type ContactEvent, type ContactEventInput, type ContactEventKind, type ContactEventLog, type ReadEventsOptions } from './contact-event-log.js';
import { CommsErrors } from './errors.js';
import type { AgentState, Channel, Direction } from './model.js';

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
];

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

function toRow(e: ContactEvent): Row {
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
  if (!CONTACT_EVENT_KINDS.includes(r.kind as ContactEventKind)) {
    throw CommsErrors.CARUSO_COMMS_INVALID_EVENT({ seq, reason: `unknown kind ${JSON.stringify(r.kind)}` });
  }
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
  return e as unknown as ContactEvent;
}

/**
 * The contact event log in one table, through the storage manager (SQLite or PostgreSQL).
 * `append` buffers; `flush` writes the buffer in one transaction, and only when it resolved are the
 * events durable: the communication server awaits it before acknowledging a change. A failed flush
 * keeps the events buffered, in order, for the next one.
 *
 * Note: one writer per table. Sequence numbers are assigned in memory, continuing from the highest
 * stored one when the log is opened.
 */
export class StorageContactEventLog implements ContactEventLog, IDisposable {
  private buffer: ContactEvent[] = [];
  private seq: number;
  private writing: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;
  private readonly _onDidAppend = new Emitter<ContactEvent>();
  readonly onDidAppend = this._onDidAppend.event;

  private constructor(private readonly storage: StorageManager, lastSeq: number, private readonly logger: Logger) {
    this.seq = lastSeq;
  }

  /** Applies the migrations (scope `comms`) and opens the log after its last stored event. */
  static async open(storage: StorageManager, options: { readonly logger?: Logger } = {}): Promise<StorageContactEventLog> {
    await storage.migrate(COMMS_MIGRATIONS, { scope: 'comms' });
    const row = (await storage.knex(CONTACT_EVENTS_TABLE).max({ last: 'seq' }).first()) as { last: number | string | null } | undefined;
    return new StorageContactEventLog(storage, Number(row?.last ?? 0), options.logger ?? silentLogger());
  }

  append(event: ContactEventInput): ContactEvent {
    const e: ContactEvent = { ...event, seq: ++this.seq };
    this.buffer.push(e);
    if (this._onDidAppend.hasListeners) this._onDidAppend.fire(e);
    return e;
  }

  /** Events appended but not yet durable. */
  get pending(): number {
    return this.buffer.length;
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

  dispose(): void {
    this._onDidAppend.dispose();
  }

  private async writeBuffer(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      await this.storage.transaction(async (trx) => {
        for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
          await trx.knex(CONTACT_EVENTS_TABLE).insert(batch.slice(i, i + ROWS_PER_INSERT).map(toRow));
        }
      });
    } catch (cause) {
      this.buffer = batch.concat(this.buffer);
      const reason = cause instanceof Error && 'code' in cause ? String((cause as { code: unknown }).code) : 'database error';
      this.logger.error({ err: cause, events: batch.length }, 'contact event log flush failed');
      throw CommsErrors.CARUSO_COMMS_EVENT_LOG_FAILED({ reason }, { cause });
    }
  }
}
