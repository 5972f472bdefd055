/**
 * The production session store: two tables in the storage manager's database (SQLite or
 * PostgreSQL), created by the migrations of scope `dialogue`.
 */
import type { Migration, StorageManager } from '@caruso/storage';
import { isCarusoError } from '@caruso/kernel';
import { DialogueErrors } from './errors.js';
import type { SessionState } from './session-runtime.js';
import type { SessionStore, StoredScriptVersion } from './session-store.js';

/**
 * The table of the persisted sessions (one row per session: script, version, channel, status,
 * `state` JSON with the node it stands at, `created_at`/`updated_at` ISO times). The monitor's
 * script-outcome reports read it.
 */
export const DIALOGUE_SESSIONS_TABLE = 'dialogue_sessions';

/** The migrations of the dialogue engine's tables (scope `dialogue`). */
export const DIALOGUE_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-dialogue-sessions',
    async up(trx) {
      await trx.schema.createTable('dialogue_sessions', (t) => {
        t.string('id', 64).primary();
        t.string('script', 200).notNullable();
        t.string('version', 100).notNullable();
        t.string('channel', 10).notNullable();
        t.string('status', 10).notNullable();
        t.integer('revision').notNullable();
        t.text('state').notNullable();
        t.string('created_at', 30).notNullable();
        t.string('updated_at', 30).notNullable();
        t.index(['status'], 'dialogue_sessions_status');
      });
      await trx.schema.createTable('dialogue_script_versions', (t) => {
        t.string('script', 200).notNullable();
        t.string('version', 100).notNullable();
        t.string('hash', 32).notNullable();
        t.text('files').notNullable();
        t.string('created_at', 30).notNullable();
        t.primary(['script', 'version', 'hash']);
      });
    },
    async down(trx) {
      await trx.schema.dropTable('dialogue_script_versions');
      await trx.schema.dropTable('dialogue_sessions');
    },
  },
];

/** A {@link SessionStore} on the storage manager. Call {@link StorageSessionStore.migrate} once first. */
export class StorageSessionStore implements SessionStore {
  constructor(private readonly storage: StorageManager) {}

  /** Creates or updates the tables (idempotent; safe from several processes). */
  async migrate(): Promise<void> {
    await this.guard('migrate', () => this.storage.migrate(DIALOGUE_MIGRATIONS, { scope: 'dialogue' }));
  }

  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isCarusoError(err) && err.code.startsWith('CARUSO_DIALOGUE_')) throw err;
      throw DialogueErrors.CARUSO_DIALOGUE_STORE_FAILED({ operation, reason: isCarusoError(err) ? err.code : 'database error' }, { cause: err });
    }
  }

  async load(id: string): Promise<SessionState | undefined> {
    return this.guard('load a session', async () => {
      const row = (await this.storage.knex('dialogue_sessions').where({ id }).first('state')) as { state: string } | undefined;
      return row ? (JSON.parse(row.state) as SessionState) : undefined;
    });
  }

  /**
   * One statement in the common cases: a new session is `insert … on conflict (id) do nothing
   * returning revision`, an existing one the update guarded by its revision. Only when no row
   * changed is the current revision read, to tell a conflict (the row is there with another
   * revision: CARUSO_DIALOGUE_SESSION_CONFLICT with it) from a missing row (conflict with `none`).
   */
  async save(state: SessionState, expectedRevision: number | undefined): Promise<void> {
    await this.guard('save a session', async () => {
      const knex = this.storage.knex;
      const row = { script: state.script, version: state.version, channel: state.channel, status: state.status, revision: state.revision, state: JSON.stringify(state), updated_at: state.updatedAt };
      const current = async (): Promise<number | undefined> =>
        ((await knex('dialogue_sessions').where({ id: state.id }).first('revision')) as { revision: number } | undefined)?.revision;
      if (expectedRevision === undefined) {
        // A row deleted between the refused insert and the read is inserted again (bounded).
        for (let attempt = 0; ; attempt++) {
          const inserted = (await knex('dialogue_sessions').insert({ id: state.id, ...row, created_at: state.createdAt }).onConflict('id').ignore().returning('revision')) as unknown[];
          if (inserted.length > 0) return;
          const actual = await current();
          if (actual !== undefined || attempt >= 2) throw DialogueErrors.CARUSO_DIALOGUE_SESSION_CONFLICT({ session: state.id, actual: actual ?? 'none', expected: 'none' });
        }
      }
      const n = await knex('dialogue_sessions').where({ id: state.id, revision: expectedRevision }).update(row);
      if (n === 0) throw DialogueErrors.CARUSO_DIALOGUE_SESSION_CONFLICT({ session: state.id, actual: (await current()) ?? 'none', expected: expectedRevision });
    });
  }

  async delete(id: string): Promise<void> {
    await this.guard('delete a session', async () => {
      await this.storage.knex('dialogue_sessions').where({ id }).delete();
    });
  }

  async saveVersion(v: StoredScriptVersion): Promise<void> {
    await this.guard('keep a script version', async () => {
      await this.storage
        .knex('dialogue_script_versions')
        .insert({ script: v.script, version: v.version, hash: v.hash, files: JSON.stringify(v.files), created_at: new Date().toISOString() })
        .onConflict(['script', 'version', 'hash'])
        .ignore();
    });
  }

  async loadVersion(script: string, version: string, hash: string): Promise<StoredScriptVersion | undefined> {
    return this.guard('load a script version', async () => {
      const row = (await this.storage.knex('dialogue_script_versions').where({ script, version, hash }).first('files')) as { files: string } | undefined;
      return row ? { script, version, hash, files: JSON.parse(row.files) as StoredScriptVersion['files'] } : undefined;
    });
  }

  async listActive(limit = 1000): Promise<string[]> {
    return this.guard('list sessions', async () => {
      const rows = (await this.storage.knex('dialogue_sessions').where({ status: 'active' }).orderBy('updated_at').limit(limit).select('id')) as Array<{ id: string }>;
      return rows.map((r) => r.id);
    });
  }
}
