import { forEachDatabase } from '@caruso/storage/testing';
import { VirtualClock, openContacts, type ContactEvent } from '@caruso/comms';
import { QueueRouter, StorageContactEventLog } from '@caruso/comms/testing';

async function readAll(log: StorageContactEventLog): Promise<ContactEvent[]> {
  const out: ContactEvent[] = [];
  for (let after = 0; ; ) {
    const page = await log.read({ afterSeq: after, limit: 500 });
    if (page.length === 0) return out;
    out.push(...page);
    after = page[page.length - 1]!.seq;
  }
}

describe('StorageContactEventLog', () => {
  forEachDatabase((db) => {
    it('makes events durable only on flush, and a reopened log reads them back and continues the numbering', async () => {
      const log = await StorageContactEventLog.open(db.storage);
      const before = log.lastSeq;
      const a = log.append({ kind: 'queue-entered', at: 1_700_000_000_000, contactId: 'x1', queueId: 'q', channel: 'email', direction: 'inbound', priority: 2, data: { requiredSkills: [{ skill: 'nl', minLevel: 1 }] } });
      log.append({ kind: 'agent-state-changed', at: 1_700_000_000_500, agentId: 'a1', state: 'paused', fromState: 'ready', reason: 'break' });
      expect(await log.read({ afterSeq: before })).toEqual([]);
      expect(log.pending).toBe(2);
      await log.flush();
      expect(log.pending).toBe(0);
      const other = await db.open();
      const reopened = await StorageContactEventLog.open(other);
      expect(reopened.lastSeq).toBe(before + 2);
      const back = await reopened.read({ afterSeq: before });
      expect(back).toEqual([
        a,
        { seq: before + 2, kind: 'agent-state-changed', at: 1_700_000_000_500, agentId: 'a1', state: 'paused', fromState: 'ready', reason: 'break' },
      ]);
      expect(await reopened.read({ contactId: 'x1' })).toEqual([a]);
      log.dispose();
      reopened.dispose();
    });

    it('keeps the events buffered, in order, when the database fails, and reports a coded error', async () => {
      const broken = await db.open();
      const log = await StorageContactEventLog.open(broken);
      const first = log.append({ kind: 'agent-logged-in', at: 1, agentId: 'a9' });
      await broken.close();
      log.append({ kind: 'agent-logged-out', at: 2, agentId: 'a9' });
      await expect(log.flush()).rejects.toMatchObject({ code: 'CARUSO_COMMS_EVENT_LOG_FAILED' });
      expect(log.pending).toBe(2);
      const fresh = await StorageContactEventLog.open(db.storage);
      expect(await fresh.read({ afterSeq: first.seq - 1 })).toEqual([]);
      log.dispose();
      fresh.dispose();
    });

    it('after a crash, the waiting contacts are back in their queues in their order', async () => {
      const clock = new VirtualClock();
      const log = await StorageContactEventLog.open(db.storage);
      const start = log.lastSeq;
      const router = new QueueRouter({ clock, events: log, idPrefix: 'r' });
      router.addQueue({ id: 'sales', ageingPerSecond: 0.01 });
      router.addQueue({ id: 'support', overflow: [{ afterMs: 30_000, action: 'move', queueId: 'sales' }] });
      router.addAgent({ id: 'a1', queues: [{ queueId: 'sales' }, { queueId: 'support' }] });
      router.login('a1');
      router.enqueue({ id: 'served', channel: 'call', queueId: 'sales' });
      router.accept(router.pendingOffers('a1')[0]!.offerId);
      for (const [id, queueId, priority] of [['s1', 'sales', 0], ['u1', 'support', 0], ['s2', 'sales', 3], ['s3', 'sales', 0], ['gone', 'sales', 0]] as const) {
        clock.advance(10_000);
        router.enqueue({ id, channel: id === 's3' ? 'email' : 'call', queueId, priority, data: { caller: `+3120${id}` } });
      }
      router.abandon('gone');
      clock.advance(25_000); // u1 overflows into sales
      const before = router.waiting('sales').map((c) => c.id);
      expect(before).toEqual(['s2', 's1', 'u1', 's3']);
      await log.flush();
      // Crash: the router and log vanish without any further write.
      router.dispose();
      log.dispose();

      const restarted = await StorageContactEventLog.open(await db.open());
      const events = (await readAll(restarted)).filter((e) => e.seq > start);
      const { waiting, connected } = openContacts(events);
      expect(connected.map((c) => `${c.spec.id}@${c.connectedTo}`)).toEqual(['served@a1']);
      const clock2 = new VirtualClock(clock.now() + 60_000);
      const router2 = new QueueRouter({ clock: clock2, events: restarted, idPrefix: 'r2' });
      router2.addQueue({ id: 'sales', ageingPerSecond: 0.01 });
      router2.addQueue({ id: 'support' });
      for (const spec of waiting) router2.enqueue(spec);
      expect(router2.waiting('sales').map((c) => c.id)).toEqual(before);
      expect(router2.contact('s3')).toMatchObject({ channel: 'email', data: { caller: '+3120s3' } });
      expect(router2.contact('s2')?.priority).toBe(3);
      await restarted.flush();
      router2.dispose();
      restarted.dispose();
    });

    it('writes a large burst in one flush', async () => {
      const log = await StorageContactEventLog.open(db.storage);
      const start = log.lastSeq;
      for (let i = 0; i < 2_000; i++) log.append({ kind: 'offered', at: i, contactId: `b${i}`, queueId: 'q', agentId: 'a1', channel: 'chat' });
      await log.flush();
      const back = await readAll(log);
      expect(back.filter((e) => e.seq > start)).toHaveLength(2_000);
      log.dispose();
    });
  });
});
