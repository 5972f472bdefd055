import type { Migration, StorageManager } from '@caruso/storage';
import { CommsErrors } from '../errors.js';
import type { RecordingEnd, RecordingEntry, RecordingStore } from './recording-store.js';

/** The table of the recording catalogue. */
export const RECORDINGS_TABLE = 'caruso_recordings';

/** Migrations of the recording catalogue (scope `comms-recordings`). */
export const RECORDING_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-recordings',
    up: async (trx) => {
      await trx.schema.createTable(RECORDINGS_TABLE, (t) => {
        t.string('id', 64).primary();
        t.string('contact_id', 128).notNullable().index();
        t.string('queue_id', 128);
        t.string('agent_id', 128);
        t.string('file', 256).notNullable();
        t.integer('channels').notNullable();
        t.bigInteger('started_at').notNullable().index();
        t.bigInteger('ended_at');
        t.bigInteger('duration_ms').notNullable().defaultTo(0);
        t.bigInteger('paused_ms').notNullable().defaultTo(0);
        t.bigInteger('bytes').notNullable().defaultTo(0);
      });
    },
    down: async (trx) => {
      await trx.schema.dropTable(RECORDINGS_TABLE);
    },
  },
];

interface Row {
  id: string;
  contact_id: string;
  queue_id: string | null;
  agent_id: string | null;
  file: string;
  channels: number | string;
  started_at: number | string;
  ended_at: number | string | null;
  duration_ms: number | string;
  paused_ms: number | string;
  bytes: number | string;
}

function fromRow(r: Row): RecordingEntry {
  return {
    id: r.id,
    contactId: r.contact_id,
    ...(r.queue_id !== null ? { queueId: r.queue_id } : {}),
    ...(r.agent_id !== null ? { agentId: r.agent_id } : {}),
    file: r.file,
    channels: Number(r.channels) === 2 ? 2 : 1,
    startedAt: Number(r.started_at),
    ...(r.ended_at !== null ? { endedAt: Number(r.ended_at) } : {}),
    durationMs: Number(r.duration_ms),
    pausedMs: Number(r.paused_ms),
    bytes: Number(r.bytes),
  };
}

/** The recording catalogue in one table through the storage manager (SQLite or PostgreSQL). */
export class StorageRecordingStore implements RecordingStore {
  private constructor(private readonly storage: StorageManager) {}

  /** Applies the migrations (scope `comms-recordings`) and opens the store. */
  static async open(storage: StorageManager): Promise<StorageRecordingStore> {
    await storage.migrate(RECORDING_MIGRATIONS, { scope: 'comms-recordings' });
    return new StorageRecordingStore(storage);
  }

  private get table() {
    return this.storage.knex(RECORDINGS_TABLE);
  }

  async begin(e: Omit<RecordingEntry, 'endedAt' | 'durationMs' | 'pausedMs' | 'bytes'>): Promise<void> {
    const existing = await this.table.where({ id: e.id }).first('id');
    if (existing) throw CommsErrors.CARUSO_COMMS_DUPLICATE({ what: 'recording', id: e.id });
    await this.table.insert({ id: e.id, contact_id: e.contactId, queue_id: e.queueId ?? null, agent_id: e.agentId ?? null, file: e.file, channels: e.channels, started_at: e.startedAt });
  }

  async finish(id: string, end: RecordingEnd): Promise<void> {
    await this.table.where({ id }).update({ ended_at: end.endedAt, duration_ms: end.durationMs, paused_ms: end.pausedMs, bytes: end.bytes });
  }

  async nameAgent(id: string, agentId: string): Promise<void> {
    await this.table.where({ id }).whereNull('agent_id').update({ agent_id: agentId });
  }

  async get(id: string): Promise<RecordingEntry | undefined> {
    const r = (await this.table.where({ id }).first()) as Row | undefined;
    return r && fromRow(r);
  }

  async forContact(contactId: string): Promise<RecordingEntry[]> {
    return ((await this.table.where({ contact_id: contactId }).orderBy('started_at').orderBy('id')) as Row[]).map(fromRow);
  }

  async startedBefore(time: number, limit: number): Promise<RecordingEntry[]> {
    return ((await this.table.where('started_at', '<', time).orderBy('started_at').orderBy('id').limit(limit)) as Row[]).map(fromRow);
  }

  async remove(id: string): Promise<void> {
    await this.table.where({ id }).delete();
  }

  async count(from: number, to: number): Promise<number> {
    const r = (await this.table.where('started_at', '>=', from).andWhere('started_at', '<', to).count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(r?.n ?? 0);
  }
}
