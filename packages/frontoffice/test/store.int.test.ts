import { forEachDatabase } from '@caruso/storage/testing';
import { FrontOfficeStore } from '@caruso/frontoffice';

const PW = 'correct horse battery';

describe('FrontOfficeStore (the front office tables)', () => {
  forEachDatabase((db) => {
    let store: FrontOfficeStore;
    beforeAll(async () => {
      store = new FrontOfficeStore(db.storage);
      await store.migrate();
      await store.migrate(); // a second start migrates nothing
    });

    it('keeps users with a scrypt hash and authenticates them', async () => {
      await store.addUser({ name: 'anna', role: 'agent', agentId: 'a-1' }, PW);
      await expect(store.addUser({ name: 'anna', role: 'agent', agentId: undefined }, PW)).rejects.toMatchObject({ code: 'CARUSO_FRONTOFFICE_DUPLICATE_USER' });
      expect(await store.users()).toEqual([{ name: 'anna', role: 'agent', agentId: 'a-1' }]);
      expect(await store.authenticate('anna', PW)).toEqual({ name: 'anna', role: 'agent', agentId: 'a-1' });
      expect(await store.authenticate('anna', 'wrong password')).toBeUndefined();
      expect(await store.authenticate("anna' OR '1'='1", PW)).toBeUndefined();
      const row = (await db.storage.knex('caruso_fo_users').where({ name: 'anna' }).first()) as { password_hash: string };
      expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    });

    it('keeps no customer history of its own (that is the communication server\'s interaction store)', async () => {
      expect(await db.storage.hasTable('caruso_fo_interactions')).toBe(false);
      expect('addInteraction' in store).toBe(false);
    });

    it('keeps script-session owners with their written flag', async () => {
      await store.addScriptSession({ sessionId: 's-1', owner: 'user:anna', queue: 'support', object: 'Customer', recordKey: '7', written: false });
      expect(await store.scriptSession('s-1')).toMatchObject({ owner: 'user:anna', written: false });
      await store.markWritten('s-1');
      expect((await store.scriptSession('s-1'))?.written).toBe(true);
      expect(await store.scriptSession('nope')).toBeUndefined();
    });

    it('keeps sessions by token digest with a large expiry time, their visitor scripts, and deletes expired ones', async () => {
      const far = Date.UTC(2099, 0, 1);
      await store.insertSession({ tokenDigest: 'd-1', kind: 'user', name: 'anna', role: 'agent', agentId: 'a-1', csrf: 'c'.repeat(32), scriptSessions: [], expiresAt: far });
      await store.insertSession({ tokenDigest: 'd-2', kind: 'visitor', name: 'visitor:x', role: 'anonymous', agentId: undefined, csrf: 'k'.repeat(32), scriptSessions: [], expiresAt: 1_000 });
      expect(await store.session('d-1')).toEqual({ tokenDigest: 'd-1', kind: 'user', name: 'anna', role: 'agent', agentId: 'a-1', csrf: 'c'.repeat(32), scriptSessions: [], expiresAt: far });
      await store.setSessionScripts('d-2', ['s-1', 's-2']);
      expect(await store.session('d-2')).toMatchObject({ kind: 'visitor', agentId: undefined, scriptSessions: ['s-1', 's-2'], expiresAt: 1_000 });
      await store.touchSession('d-2', 2_000);
      expect((await store.session('d-2'))?.expiresAt).toBe(2_000);
      expect(await store.deleteExpiredSessions(10_000)).toBe(1);
      expect(await store.session('d-2')).toBeUndefined();
      await store.deleteSession('d-1');
      expect(await store.session('d-1')).toBeUndefined();
    });
  });
});
