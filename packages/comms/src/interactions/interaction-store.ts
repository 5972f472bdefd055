import type { Migration, StorageManager } from '@caruso/storage';
import type { CustomerRef, InteractionChange, InteractionRecord } from './interaction-record.js';

/** The table of interaction records (the contact part of the customer's history). */
export const INTERACTIONS_TABLE = 'caruso_interactions';
/** One row: the sequence number of the last contact event folded into the records. */
export const INTERACTIONS_STATE_TABLE = 'caruso_interactions_state';

/** Migrations of the interaction records (scope `comms-interactions`). */
export const INTERACTION_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-interactions',
    up: async (trx) => {
      await trx.schema.createTable(INTERACTIONS_TABLE, (t) => {
        t.increments('id').primary();
        t.string('contact_id', 200).notNullable();
        t.string('channel', 16).notNullable();
        t.string('direction', 16).notNullable();
        t.string('customer_object', 100).nullable();
        t.string('customer_id', 200).nullable();
        t.string('address', 320).nullable();
        t.string('queue_id', 128).nullable();
        t.string('agent_id', 128).nullable();
        t.bigInteger('started_at').notNullable();
        t.bigInteger('ended_at').notNullable();
        t.string('outcome', 64).notNullable();
        t.string('ended_by', 16).nullable();
        t.string('disposition', 64).nullable();
        t.text('note').nullable();
        t.bigInteger('wait_ms').nullable();
        t.bigInteger('talk_ms').nullable();
        t.string('campaign_id', 128).nullable();
        t.bigInteger('end_seq').notNullable();
        t.unique(['contact_id', 'end_seq']);
        t.index(['customer_object', 'customer_id', 'ended_at']);
      });
      await trx.schema.createTable(INTERACTIONS_STATE_TABLE, (t) => {
        t.integer('id').primary();
        t.bigInteger('last_seq').notNullable();
      });
      await trx.knex(INTERACTIONS_STATE_TABLE).insert({ id: 1, last_seq: 0 });
    },
    down: async (trx) => {
      await trx.schema.dropTable(INTERACTIONS_STATE_TABLE);
      await trx.schema.dropTable(INTERACTIONS_TABLE);
    },
  },
];

interface Row {
  id: number;
  contact_id: string;
  channel: string;
  direction: string;
  customer_object: string | null;
  customer_id: string | null;
  address: string | null;
  queue_id: string | null;
  agent_id: string | null;
  started_at: number | string;
  ended_at: number | string;
  outcome: string;
  ended_by: string | null;
  disposition: string | null;
  note: string | null;
  wait_ms: number | string | null;
  talk_ms: number | string | null;
  campaign_id: string | null;
  end_seq: number | string;
}

function toRow(r: InteractionRecord): Omit<Row, 'id'> {
  return {
    contact_id: r.contactId,
    channel: r.channel,
    direction: r.direction,
    customer_object: r.customer?.object ?? null,
    customer_id: r.customer?.id ?? null,
    address: r.address?.slice(0, 320) ?? null,
    queue_id: r.queueId ?? null,
    agent_id: r.agentId ?? null,
    started_at: r.startedAt,
    ended_at: r.endedAt,
    outcome: r.outcome.slice(0, 64),
    ended_by: r.endedBy ?? null,
    disposition: r.disposition ?? null,
    note: r.note ?? null,
    wait_ms: r.waitMs ?? null,
    talk_ms: r.talkMs ?? null,
    campaign_id: r.campaignId ?? null,
    end_seq: r.endSeq,
  };
}

function fromRow(r: Row): InteractionRecord {
  const n = (v: number | string | null): number | undefined => (v === null ? undefined : Number(v));
  const waitMs = n(r.wait_ms);
  const talkMs = n(r.talk_ms);
  return {
    contactId: r.contact_id,
    channel: r.channel as InteractionRecord['channel'],
    direction: r.direction as InteractionRecord['direction'],
    ...(r.customer_object !== null && r.customer_id !== null ? { customer: { object: r.customer_object, id: r.customer_id } } : {}),
    ...(r.address === null ? {} : { address: r.address }),
    ...(r.queue_id === null ? {} : { queueId: r.queue_id }),
    ...(r.agent_id === null ? {} : { agentId: r.agent_id }),
    startedAt: Number(r.started_at),
    endedAt: Number(r.ended_at),
    outcome: r.outcome,
    ...(r.ended_by === null ? {} : { endedBy: r.ended_by as 'agent' | 'caller' }),
    ...(r.disposition === null ? {} : { disposition: r.disposition }),
    ...(r.note === null ? {} : { note: r.note }),
    ...(waitMs === undefined ? {} : { waitMs }),
    ...(talkMs === undefined ? {} : { talkMs }),
    ...(r.campaign_id === null ? {} : { campaignId: r.campaign_id }),
    endSeq: Number(r.end_seq),
  };
}

/** How to read interaction records. */
export interface InteractionQuery {
  /** Only this contact's records. */
  readonly contactId?: string;
  /** Only this customer's records. */
  readonly customer?: CustomerRef;
  /** At most this many, newest first (default 100, at most 1,000). */
  readonly limit?: number;
}

/** Interaction records in one table through the storage manager (SQLite or PostgreSQL). */
export class InteractionStore {
  private constructor(private readonly storage: StorageManager) {}

  /** Applies the migrations (scope `comms-interactions`) and opens the store. */
  static async open(storage: StorageManager): Promise<InteractionStore> {
    await storage.migrate(INTERACTION_MIGRATIONS, { scope: 'comms-interactions' });
    return new InteractionStore(storage);
  }

  /** The sequence number of the last contact event folded into the records. */
  async lastSeq(): Promise<number> {
    const row = (await this.storage.knex(INTERACTIONS_STATE_TABLE).where({ id: 1 }).first('last_seq')) as { last_seq: number | string } | undefined;
    return Number(row?.last_seq ?? 0);
  }

  /**
   * Applies changes in one transaction and moves the checkpoint to `lastSeq`. A record already
   * written (same contact and end event) is kept as it is, so applying twice is harmless.
   */
  async apply(changes: readonly InteractionChange[], lastSeq: number): Promise<void> {
    await this.storage.transaction(async (trx) => {
      for (const c of changes) {
        if (c.type === 'ended') {
          await trx.knex(INTERACTIONS_TABLE).insert(toRow(c.record)).onConflict(['contact_id', 'end_seq']).ignore();
          continue;
        }
        // The disposition (or the customer chosen after the end) belongs to the contact's latest record.
        const latest = trx.knex(INTERACTIONS_TABLE).max('end_seq').where({ contact_id: c.contactId });
        if (c.type === 'customer') {
          await trx
            .knex(INTERACTIONS_TABLE)
            .where({ contact_id: c.contactId })
            .andWhere('end_seq', '=', latest)
            .update({ customer_object: c.customer?.object ?? null, customer_id: c.customer?.id ?? null });
          continue;
        }
        await trx
          .knex(INTERACTIONS_TABLE)
          .where({ contact_id: c.contactId })
          .andWhere('end_seq', '=', latest)
          .update({
            disposition: c.disposition,
            ...(c.note === undefined ? {} : { note: c.note }),
            ...(c.customer ? { customer_object: c.customer.object, customer_id: c.customer.id } : {}),
          });
      }
      await trx.knex(INTERACTIONS_STATE_TABLE).where({ id: 1 }).andWhere('last_seq', '<', lastSeq).update({ last_seq: lastSeq });
    });
  }

  /** Sets the customer of records not yet linked (a look-up by address after the record was written). */
  async linkCustomer(contactId: string, endSeq: number, customer: CustomerRef): Promise<void> {
    await this.storage
      .knex(INTERACTIONS_TABLE)
      .where({ contact_id: contactId, end_seq: endSeq })
      .whereNull('customer_id')
      .update({ customer_object: customer.object, customer_id: customer.id });
  }

  /** Moves every record of one customer to another (two records merged into one); returns how many moved. */
  async relinkCustomer(from: CustomerRef, to: CustomerRef): Promise<number> {
    return this.storage
      .knex(INTERACTIONS_TABLE)
      .where({ customer_object: from.object, customer_id: from.id })
      .update({ customer_object: to.object, customer_id: to.id });
  }

  /** Records, newest first. */
  async query(q: InteractionQuery = {}): Promise<InteractionRecord[]> {
    let k = this.storage.knex<Row>(INTERACTIONS_TABLE);
    if (q.contactId !== undefined) k = k.where({ contact_id: q.contactId });
    if (q.customer) k = k.where({ customer_object: q.customer.object, customer_id: q.customer.id });
    const limit = Math.max(1, Math.min(1_000, Math.floor(q.limit ?? 100)));
    const rows = (await k.orderBy('ended_at', 'desc').orderBy('end_seq', 'desc').limit(limit)) as Row[];
    return rows.map(fromRow);
  }
}
