// StorageSessionStore.save() in one statement in the common cases, on SQLite and PostgreSQL: a new
// session is one insert, an update with the expected revision one update; a conflict reads the row
// once more to say which revision is there (or that the row is missing). Statements are counted with
// knex's 'query' event on the storage manager's knex.
import type { Knex } from 'knex';
import { StorageSessionStore, type SessionState } from '@caruso/dialogue';
import { forEachDatabase } from '@caruso/storage/testing';

function session(id: string, revision: number, answer = 'none'): SessionState {
  const now = new Date(Date.UTC(2026, 11, 7, 9, 0, revision)).toISOString();
  return {
    id, script: 'greet', version: '1', hash: 'h', channel: 'web', status: 'active', vars: { answer }, at: { script: 'greet', node: 'name' },
    stack: [], counters: {}, history: [], revision, createdAt: '2026-12-07T09:00:00.000Z', updatedAt: now,
  } as unknown as SessionState;
}

forEachDatabase((db) => {
  describe('StorageSessionStore.save: statements per save', () => {
    let sessions: StorageSessionStore;
    let statements: string[];
    const onQuery = (q: { sql: string }): void => {
      statements.push(q.sql);
    };
    const counted = async <T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; sql: string[] }> => {
      statements = [];
      const knex = db.storage.knex as Knex;
      knex.on('query', onQuery);
      try {
        return { result: await fn(), sql: statements };
      } catch (error) {
        return { error, sql: statements };
      } finally {
        knex.off('query', onQuery);
      }
    };

    beforeAll(async () => {
      sessions = new StorageSessionStore(db.storage);
      await sessions.migrate();
    });

    it('saves a new session with one insert and an update with one update', async () => {
      const id = `stmt-${db.dialect}-1`;
      const created = await counted(() => sessions.save(session(id, 1), undefined));
      expect(created.error).toBeUndefined();
      expect(created.sql).toHaveLength(1);
      expect(created.sql[0]).toMatch(/^insert into /i);

      const updated = await counted(() => sessions.save(session(id, 2, 'Ann'), 1));
      expect(updated.error).toBeUndefined();
      expect(updated.sql).toHaveLength(1);
      expect(updated.sql[0]).toMatch(/^update /i);

      expect(await sessions.load(id)).toMatchObject({ id, revision: 2, vars: { answer: 'Ann' }, createdAt: '2026-12-07T09:00:00.000Z' });
      expect(await sessions.listActive()).toContain(id);
    });

    it('refuses a second new session of the same id and a stale or missing update, changing nothing (insert/update + one read)', async () => {
      const id = `stmt-${db.dialect}-2`;
      await sessions.save(session(id, 1), undefined);
      await sessions.save(session(id, 2, 'Ann'), 1);

      const again = await counted(() => sessions.save(session(id, 1, 'Bo'), undefined));
      expect(again.error).toMatchObject({ code: 'CARUSO_DIALOGUE_SESSION_CONFLICT', message: expect.stringMatching(/revision 2, expected none/) });
      expect(again.sql).toHaveLength(2);

      const stale = await counted(() => sessions.save(session(id, 2, 'Bo'), 1));
      expect(stale.error).toMatchObject({ code: 'CARUSO_DIALOGUE_SESSION_CONFLICT', message: expect.stringMatching(/revision 2, expected 1/) });
      expect(stale.sql).toHaveLength(2);
      expect(await sessions.load(id)).toMatchObject({ revision: 2, vars: { answer: 'Ann' } });

      const missing = await counted(() => sessions.save(session(`${id}-gone`, 4), 3));
      expect(missing.error).toMatchObject({ code: 'CARUSO_DIALOGUE_SESSION_CONFLICT', message: expect.stringMatching(/revision none, expected 3/) });
      expect(missing.sql).toHaveLength(2);
      expect(await sessions.load(`${id}-gone`)).toBeUndefined();
    });

    it('turns a database error into CARUSO_DIALOGUE_STORE_FAILED and writes nothing', async () => {
      const tooLong = session('x'.repeat(db.dialect === 'postgres' ? 65 : 1), 1);
      const bad = { ...tooLong, script: null } as unknown as SessionState;
      await expect(sessions.save(bad, undefined)).rejects.toMatchObject({ code: 'CARUSO_DIALOGUE_STORE_FAILED' });
      expect(await sessions.load(bad.id)).toBeUndefined();
    });
  });
});
