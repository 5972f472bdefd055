import type { Migration, StorageManager } from '@caruso/storage';

/** Tables of outbound campaigns. */
export const CAMPAIGNS_TABLE = 'caruso_campaigns';
export const CAMPAIGN_TARGETS_TABLE = 'caruso_campaign_targets';
export const DO_NOT_CALL_TABLE = 'caruso_do_not_call';

/** Migrations of campaigns (scope `comms-campaigns`). */
export const CAMPAIGN_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-campaigns',
    up: async (trx) => {
      await trx.schema.createTable(CAMPAIGNS_TABLE, (t) => {
        t.string('id', 128).primary();
        t.string('status', 16).notNullable();
        t.text('config').notNullable();
      });
      await trx.schema.createTable(CAMPAIGN_TARGETS_TABLE, (t) => {
        t.string('campaign_id', 128).notNullable();
        t.string('target_key', 128).notNullable();
        t.string('number', 64).notNullable();
        t.string('time_zone', 64).notNullable();
        t.string('state', 16).notNullable();
        t.integer('attempts').notNullable();
        t.bigInteger('next_at').notNullable();
        t.string('last_result', 16).nullable();
        t.string('disposition', 64).nullable();
        t.integer('position').notNullable();
        t.primary(['campaign_id', 'target_key']);
      });
      await trx.schema.createTable(DO_NOT_CALL_TABLE, (t) => {
        t.string('number', 64).primary();
      });
    },
    down: async (trx) => {
      await trx.schema.dropTable(DO_NOT_CALL_TABLE);
      await trx.schema.dropTable(CAMPAIGN_TARGETS_TABLE);
      await trx.schema.dropTable(CAMPAIGNS_TABLE);
    },
  },
];

/** Where a campaign's target stands. */
export type TargetState = 'pending' | 'dialling' | 'done' | 'dnc' | 'failed';

/** One customer to call. */
export interface CampaignTarget {
  readonly campaignId: string;
  readonly key: string;
  readonly number: string;
  readonly timeZone: string;
  readonly state: TargetState;
  readonly attempts: number;
  readonly nextAt: number;
  readonly lastResult?: string;
  readonly disposition?: string;
  readonly position: number;
}

interface TargetRow {
  campaign_id: string;
  target_key: string;
  number: string;
  time_zone: string;
  state: string;
  attempts: number | string;
  next_at: number | string;
  last_result: string | null;
  disposition: string | null;
  position: number | string;
}

function fromRow(r: TargetRow): CampaignTarget {
  return {
    campaignId: r.campaign_id,
    key: r.target_key,
    number: r.number,
    timeZone: r.time_zone,
    state: r.state as TargetState,
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
    position: Number(r.position),
    ...(r.last_result === null ? {} : { lastResult: r.last_result }),
    ...(r.disposition === null ? {} : { disposition: r.disposition }),
  };
}

/** Campaigns, their targets and the do-not-call list, through the storage manager. Every write is awaited (durable) before the dialer acts on it. */
export class CampaignStore {
  private constructor(private readonly storage: StorageManager) {}

  static async open(storage: StorageManager): Promise<CampaignStore> {
    await storage.migrate(CAMPAIGN_MIGRATIONS, { scope: 'comms-campaigns' });
    return new CampaignStore(storage);
  }

  async saveCampaign(id: string, status: string, config: unknown): Promise<void> {
    const k = this.storage.knex;
    const row = { id, status, config: JSON.stringify(config) };
    const existing = await k(CAMPAIGNS_TABLE).where({ id }).first('id');
    if (existing) await k(CAMPAIGNS_TABLE).where({ id }).update(row);
    else await k(CAMPAIGNS_TABLE).insert(row);
  }

  async setStatus(id: string, status: string): Promise<void> {
    await this.storage.knex(CAMPAIGNS_TABLE).where({ id }).update({ status });
  }

  async campaigns(): Promise<Array<{ id: string; status: string; config: unknown }>> {
    const rows = (await this.storage.knex(CAMPAIGNS_TABLE).select('*').orderBy('id')) as Array<{ id: string; status: string; config: string }>;
    return rows.map((r) => ({ id: r.id, status: r.status, config: JSON.parse(r.config) as unknown }));
  }

  /** Adds targets (a target already in the campaign is kept as it is). */
  async addTargets(campaignId: string, targets: ReadonlyArray<{ key: string; number: string; timeZone: string }>, now: number): Promise<number> {
    return this.storage.transaction(async (trx) => {
      const row = (await trx.knex(CAMPAIGN_TARGETS_TABLE).where({ campaign_id: campaignId }).max({ p: 'position' }).first()) as { p: number | string | null } | undefined;
      let position = Number(row?.p ?? 0);
      let added = 0;
      for (const t of targets) {
        const exists = await trx.knex(CAMPAIGN_TARGETS_TABLE).where({ campaign_id: campaignId, target_key: t.key }).first('target_key');
        if (exists) continue;
        await trx.knex(CAMPAIGN_TARGETS_TABLE).insert({ campaign_id: campaignId, target_key: t.key, number: t.number, time_zone: t.timeZone, state: 'pending', attempts: 0, next_at: now, last_result: null, disposition: null, position: ++position });
        added++;
      }
      return added;
    });
  }

  async targets(campaignId: string): Promise<CampaignTarget[]> {
    const rows = (await this.storage.knex(CAMPAIGN_TARGETS_TABLE).where({ campaign_id: campaignId }).orderBy('position')) as TargetRow[];
    return rows.map(fromRow);
  }

  async updateTarget(campaignId: string, key: string, change: { state?: TargetState; attempts?: number; nextAt?: number; lastResult?: string; disposition?: string }): Promise<void> {
    const row: Record<string, unknown> = {};
    if (change.state !== undefined) row['state'] = change.state;
    if (change.attempts !== undefined) row['attempts'] = change.attempts;
    if (change.nextAt !== undefined) row['next_at'] = change.nextAt;
    if (change.lastResult !== undefined) row['last_result'] = change.lastResult;
    if (change.disposition !== undefined) row['disposition'] = change.disposition;
    await this.storage.knex(CAMPAIGN_TARGETS_TABLE).where({ campaign_id: campaignId, target_key: key }).update(row);
  }

  async addDoNotCall(numbers: readonly string[]): Promise<void> {
    for (const number of numbers) {
      const exists = await this.storage.knex(DO_NOT_CALL_TABLE).where({ number }).first('number');
      if (!exists) await this.storage.knex(DO_NOT_CALL_TABLE).insert({ number });
    }
  }

  async isDoNotCall(number: string): Promise<boolean> {
    return (await this.storage.knex(DO_NOT_CALL_TABLE).where({ number }).first('number')) !== undefined;
  }
}
