import { join } from 'node:path';
import { createDialogueEngine, RecordingServices, ScriptStore, StorageSessionStore } from '@caruso/dialogue';
import { forEachDatabase } from '@caruso/storage/testing';
import { versionedScript } from './helpers/scripts.js';

// The same persistence suite on SQLite and on a throw-away PostgreSQL server.
forEachDatabase((db) => {
  describe('StorageSessionStore: resume across a restart', () => {
    it('migrates idempotently, persists each step and resumes on the pinned version with a new storage manager', async () => {
      const first = new StorageSessionStore(db.storage);
      await first.migrate();
      await first.migrate();
      expect(await db.storage.hasTable('dialogue_sessions')).toBe(true);
      const scripts1 = new ScriptStore();
      scripts1.publish(join('/scripts', 'greet.xml'), versionedScript('1', 'Hello'));
      const engine1 = createDialogueEngine({ scripts: scripts1, sessions: first, services: new RecordingServices() });
      await engine1.startSession('greet', { channel: 'web', sessionId: `pg-${db.dialect}` });
      await engine1.answer(`pg-${db.dialect}`, 'Ann');
      scripts1.dispose();

      // "restart": a second storage manager on the same database, a store that only has version 2
      const storage2 = await db.open();
      const second = new StorageSessionStore(storage2);
      await second.migrate();
      const scripts2 = new ScriptStore();
      scripts2.publish(join('/scripts', 'greet.xml'), versionedScript('2', 'Welcome'));
      const engine2 = createDialogueEngine({ scripts: scripts2, sessions: second, services: new RecordingServices() });
      const resumed = await engine2.resume(`pg-${db.dialect}`);
      expect(resumed).toMatchObject({ version: '1', step: { node: 'color', prompt: 'Favourite colour, Ann?' } });
      await expect(engine2.answer(`pg-${db.dialect}`, 'red', { revision: 1 })).rejects.toMatchObject({ code: 'CARUSO_DIALOGUE_SESSION_CONFLICT' });
      const end = await engine2.answer(`pg-${db.dialect}`, 'red', { revision: resumed.revision });
      expect(end.step).toMatchObject({ kind: 'end', outcome: 'greeted-v1' });
      expect(await first.load(`pg-${db.dialect}`)).toMatchObject({ status: 'ended', vars: { name: 'Ann', color: 'red' } });
      const fresh = await engine2.startSession('greet', { channel: 'agent' });
      expect(fresh.version).toBe('2');
      expect(await second.listActive()).toEqual([fresh.sessionId]);
      scripts2.dispose();
    });
  });
});
