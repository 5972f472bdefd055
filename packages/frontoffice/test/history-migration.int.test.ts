// One customer history: the front office's own interaction table (caruso_fo_interactions, written by
// the desktop's wrap-up until now) moves into the communication server's interaction store and goes.
// On SQLite and PostgreSQL.
import { InteractionStore } from '@caruso/comms/testing';
import { createStorage, type StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { FRONTOFFICE_MIGRATIONS, FrontOfficeStore } from '@caruso/frontoffice';

const OLD_TABLE = 'caruso_fo_interactions';

/** A database as the front office left it before the move: its first four migrations, users and old rows. */
async function oldFrontOffice(storage: StorageManager): Promise<void> {
  await storage.migrate(FRONTOFFICE_MIGRATIONS.slice(0, 4), { scope: 'frontoffice' });
  await storage.knex('caruso_fo_users').insert([
    { name: 'anna', role: 'agent', agent_id: 'a-1', password_hash: 'x', created_at: '2026-01-01T00:00:00.000Z' },
    { name: 'sam', role: 'supervisor', agent_id: null, password_hash: 'x', created_at: '2026-01-01T00:00:00.000Z' },
  ]);
  await storage.knex(OLD_TABLE).insert([
    { contact_id: 'c-1', channel: 'call', object: 'Customer', record_key: '7', agent: 'anna', code: 'solved', notes: 'meter read', at: '2026-01-01T10:00:00.000Z' },
    { contact_id: 'c-2', channel: 'email', object: 'Customer', record_key: '7', agent: 'anna', code: 'follow-up', notes: '', at: '2026-01-02T10:00:00.000Z' },
    { contact_id: 'c-3', channel: 'chat', object: null, record_key: null, agent: 'ghost', code: 'solved', notes: 'no record chosen', at: '2026-01-03T10:00:00.000Z' },
    { contact_id: 'cb-4', channel: 'callback', object: 'Customer', record_key: '8', agent: 'anna', code: 'solved', notes: '', at: '2026-01-04T10:00:00.000Z' },
  ]);
}

describe('the front office hands its interaction history to the communication server (migration 0005)', () => {
  forEachDatabase((db) => {
    const opened: StorageManager[] = [];
    const fresh = async (): Promise<StorageManager> => {
      const s = await createStorage({ url: await db.freshDatabase() });
      opened.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of opened) await s.close();
    });

    it('copies the rows the comms store lacks, links the ones it has, and drops the old table', async () => {
      const storage = await fresh();
      const comms = await InteractionStore.open(storage);
      await oldFrontOffice(storage);
      // c-1 is in the comms store already (from the contact event log), without customer or disposition.
      await comms.apply([{ type: 'ended', seq: 5, record: { contactId: 'c-1', channel: 'call', direction: 'inbound', queueId: 'support', agentId: 'a-1', startedAt: Date.parse('2026-01-01T09:58:00.000Z'), endedAt: Date.parse('2026-01-01T09:59:30.000Z'), outcome: 'completed', endedBy: 'agent', talkMs: 60_000, endSeq: 5 } }], 5);

      await new FrontOfficeStore(storage).migrate();

      expect(await storage.knex.schema.hasTable(OLD_TABLE)).toBe(false);
      const history = await comms.query({ customer: { object: 'Customer', id: '7' } });
      expect(history).toEqual([
        { contactId: 'c-2', channel: 'email', direction: 'inbound', customer: { object: 'Customer', id: '7' }, agentId: 'a-1', startedAt: Date.parse('2026-01-02T10:00:00.000Z'), endedAt: Date.parse('2026-01-02T10:00:00.000Z'), outcome: 'completed', disposition: 'follow-up', endSeq: 0 },
        { contactId: 'c-1', channel: 'call', direction: 'inbound', customer: { object: 'Customer', id: '7' }, queueId: 'support', agentId: 'a-1', startedAt: Date.parse('2026-01-01T09:58:00.000Z'), endedAt: Date.parse('2026-01-01T09:59:30.000Z'), outcome: 'completed', endedBy: 'agent', disposition: 'solved', note: 'meter read', talkMs: 60_000, endSeq: 5 },
      ]);
      // A wrap-up without a record keeps its row, unlinked; a user name that is no agent stays as it was.
      expect(await comms.query({ contactId: 'c-3' })).toEqual([
        { contactId: 'c-3', channel: 'chat', direction: 'inbound', agentId: 'ghost', startedAt: Date.parse('2026-01-03T10:00:00.000Z'), endedAt: Date.parse('2026-01-03T10:00:00.000Z'), outcome: 'completed', disposition: 'solved', note: 'no record chosen', endSeq: 0 },
      ]);
      // A callback was a call out to the customer.
      expect(await comms.query({ customer: { object: 'Customer', id: '8' } })).toEqual([expect.objectContaining({ contactId: 'cb-4', channel: 'callback', direction: 'outbound', disposition: 'solved' })]);
      // The comms checkpoint is the event log's, untouched; a second start migrates nothing.
      expect(await comms.lastSeq()).toBe(5);
      await new FrontOfficeStore(storage).migrate();
      expect(await comms.query({})).toHaveLength(4);
    });

    it('keeps the old rows and fails the start with a clear error when the comms store is not in this database', async () => {
      const storage = await fresh();
      await oldFrontOffice(storage);
      await expect(new FrontOfficeStore(storage).migrate()).rejects.toMatchObject({ code: 'CARUSO_FRONTOFFICE_HISTORY_NOT_MOVED', details: { rows: 4 } });
      const [left] = (await storage.knex(OLD_TABLE).count({ n: '*' })) as Array<{ n: number | string }>;
      expect(Number(left?.n)).toBe(4);
      // Once the communication server's interaction records are on, the next start moves them.
      const comms = await InteractionStore.open(storage);
      await new FrontOfficeStore(storage).migrate();
      expect(await storage.knex.schema.hasTable(OLD_TABLE)).toBe(false);
      expect(await comms.query({})).toHaveLength(4);
    });

    it('drops an empty old table without needing the comms store', async () => {
      const storage = await fresh();
      await storage.migrate(FRONTOFFICE_MIGRATIONS.slice(0, 4), { scope: 'frontoffice' });
      await new FrontOfficeStore(storage).migrate();
      expect(await storage.knex.schema.hasTable(OLD_TABLE)).toBe(false);
    });
  });
});
