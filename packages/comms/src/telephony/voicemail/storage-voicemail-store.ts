import type { Migration, StorageManager } from '@caruso/storage';
import { CommsErrors } from '../../errors.js';
import type { VoicemailMessage, VoicemailStore } from './voicemail-store.js';

/** The table of voicemail messages (audio in a binary column). */
export const VOICEMAIL_TABLE = 'caruso_voicemail';

/** Migrations of the voicemail store (scope `comms-voicemail`). */
export const VOICEMAIL_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-voicemail',
    up: async (trx) => {
      await trx.schema.createTable(VOICEMAIL_TABLE, (t) => {
        t.string('id', 128).primary();
        t.string('call_id', 128).notNullable();
        t.string('from_number', 128).notNullable();
        t.string('queue_id', 128).notNullable();
        t.bigInteger('recorded_at').notNullable();
        t.bigInteger('duration_ms').notNullable();
        t.string('mime_type', 64).notNullable();
        t.string('uri', 512).notNullable();
        t.binary('audio').notNullable();
      });
    },
    down: async (trx) => {
      await trx.schema.dropTable(VOICEMAIL_TABLE);
    },
  },
];

interface Row {
  id: string;
  call_id: string;
  from_number: string;
  queue_id: string;
  recorded_at: number | string;
  duration_ms: number | string;
  mime_type: string;
  uri: string;
  audio?: Uint8Array;
}

function fromRow(r: Row): Omit<VoicemailMessage, 'audio'> {
  return { id: r.id, callId: r.call_id, from: r.from_number, queueId: r.queue_id, recordedAt: Number(r.recorded_at), durationMs: Number(r.duration_ms), mimeType: r.mime_type, uri: r.uri };
}

/** Voicemail in one table through the storage manager (SQLite or PostgreSQL). */
export class StorageVoicemailStore implements VoicemailStore {
  private constructor(private readonly storage: StorageManager) {}

  /** Applies the migrations (scope `comms-voicemail`) and opens the store. */
  static async open(storage: StorageManager): Promise<StorageVoicemailStore> {
    await storage.migrate(VOICEMAIL_MIGRATIONS, { scope: 'comms-voicemail' });
    return new StorageVoicemailStore(storage);
  }

  async save(m: VoicemailMessage): Promise<void> {
    const existing = await this.storage.knex(VOICEMAIL_TABLE).where({ id: m.id }).first('id');
    if (existing) throw CommsErrors.CARUSO_COMMS_DUPLICATE({ what: 'voicemail', id: m.id });
    await this.storage.knex(VOICEMAIL_TABLE).insert({
      id: m.id,
      call_id: m.callId,
      from_number: m.from,
      queue_id: m.queueId,
      recorded_at: m.recordedAt,
      duration_ms: m.durationMs,
      mime_type: m.mimeType,
      uri: m.uri,
      audio: Buffer.from(m.audio.buffer, m.audio.byteOffset, m.audio.byteLength),
    });
  }

  async get(id: string): Promise<VoicemailMessage | undefined> {
    const r = (await this.storage.knex(VOICEMAIL_TABLE).where({ id }).first()) as Row | undefined;
    return r && { ...fromRow(r), audio: new Uint8Array(r.audio ?? new Uint8Array()) };
  }

  async list(): Promise<Array<Omit<VoicemailMessage, 'audio'>>> {
    const rows = (await this.storage.knex(VOICEMAIL_TABLE).select('id', 'call_id', 'from_number', 'queue_id', 'recorded_at', 'duration_ms', 'mime_type', 'uri').orderBy('recorded_at').orderBy('id')) as Row[];
    return rows.map(fromRow);
  }
}
