import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { CommunicationServer, ContactEventLog, INTERACTIONS_TABLE, SimulatedTelephony, TelephonyAdapter, VirtualClock, commsService, contactEventLogService, simulatedTelephonyService, type CommsServiceOptions, type Offer } from '@caruso/comms';
import { INTERACTIONS_STATE_TABLE } from '@caruso/comms/testing';

const MODEL = `<?xml version="1.0" encoding="UTF-8"?>
<model name="interactions">
  <object name="Customer" table="customers">
    <field name="id" type="id"/>
    <field name="name" type="string"/>
    <field name="phone" type="string"/>
    <field name="email" type="string"/>
    <field name="doNotCall" type="boolean" default="false"/>
    <relation name="contracts" kind="one-to-many" target="Contract" inverse="customer"/>
  </object>
  <object name="Contract" table="contracts">
    <field name="id" type="id"/>
    <field name="status" type="string"/>
    <relation name="customer" kind="many-to-one" target="Customer" required="true"/>
  </object>
</model>
`;

/** Lets the promise chains of the server (log flushes, records, dials) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('interaction records: every ended contact in the customer history', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-interactions-'));
    writeFileSync(join(dir, 'crm.model.xml'), MODEL);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  forEachDatabase((db) => {
    let services: ServiceManager | undefined;
    let telephony: SimulatedTelephony | undefined;
    afterEach(async () => {
      await services?.stop();
      telephony?.dispose();
      services = undefined;
      telephony = undefined;
    });

    async function start(url: string, clock: VirtualClock, options: CommsServiceOptions): Promise<ServiceManager> {
      telephony ??= new SimulatedTelephony(clock);
      const m = createServiceManager();
      m.register(StorageManager, storageService(url));
      m.register(BusinessObjects, businessObjectsService({ model: join(dir, 'crm.model.xml'), schema: 'migrate' }));
      m.register(ContactEventLog, contactEventLogService());
      m.register(TelephonyAdapter, simulatedTelephonyService({ telephony }));
      m.register(CommunicationServer, commsService({ clock, ...options }));
      await m.start();
      services = m;
      return m;
    }

    /** Advances the virtual clock timer by timer, letting the server's promises run in between. */
    async function run(clock: VirtualClock, ms: number): Promise<void> {
      const until = clock.now() + ms;
      for (let i = 0; i < 20_000; i++) {
        let next = clock.nextAt();
        // Nothing due: the server may still be writing (a dialer round on PostgreSQL re-arms its timer after the write).
        for (let w = 0; w < 40 && (next === undefined || next > until); w++) {
          await new Promise((r) => setTimeout(r, 5));
          next = clock.nextAt();
        }
        if (next === undefined || next > until) break;
        clock.runNext();
        await settle();
      }
      clock.advance(Math.max(0, until - clock.now()));
      await settle();
    }

    it('records calls, e-mails, chats and callbacks with their outcome, linked to the customer; history() reads them; a restart writes what was missing', async () => {
      const url = await db.freshDatabase();
      const clock = new VirtualClock();
      const options: CommsServiceOptions = {
        queues: [{ id: 'general', wrapUpMs: 30_000 }],
        agents: [{ id: 'fred', queues: [{ queueId: 'general' }], capacity: { voice: 1, email: 1, chat: 1 } }],
        interactions: { identify: { object: 'Customer', phoneField: 'phone', emailField: 'email' } },
      };
      const m = await start(url, clock, options);
      const comms = m.get(CommunicationServer);
      const customers = m.get(BusinessObjects).repository('Customer');
      const ada = await customers.create({ name: 'Ada', phone: '+3211000001', email: 'ada@example.org' });
      const bob = await customers.create({ name: 'Bob', phone: '+3211000002', email: 'bob@example.org' });
      const adaId = String(ada['id']);
      const bobId = String(bob['id']);
      const offers: Offer[] = [];
      comms.onDidOffer((o) => offers.push(o));
      await comms.login('fred');

      // 1. Ada calls, fred talks 60 s, the caller hangs up; fred gives a disposition with a note.
      const call = telephony!.placeInboundCall({ from: '+3211000001', to: 'main', talkMs: 60_000 });
      await run(clock, 60_000);
      await comms.wrapUp('fred', call, 'solved', { note: 'meter reading corrected' });

      // 2. An unknown caller gives up after 10 s while fred is on a break.
      await comms.pause('fred', 'break');
      const lost = telephony!.placeInboundCall({ from: '+3299999999', to: 'main', talkMs: 1_000, patienceMs: 10_000 });
      await run(clock, 10_000);

      // 3. An e-mail from Ada's address; fred links it to Bob at wrap-up (the agent's choice wins).
      const mail = await comms.enqueue({ id: 'mail-1', channel: 'email', queueId: 'general', data: { from: 'ada@example.org', subject: 'move' } });
      await comms.resume('fred');
      await comms.accept(offers.find((o) => o.contactId === mail.id)!.offerId);
      await run(clock, 120_000);
      await comms.complete(mail.id, 'agent');
      await comms.wrapUp('fred', mail.id, 'answered', { customer: { object: 'Customer', id: bobId } });

      // 4. A chat of a logged-in self-service customer that leaves before an agent takes it.
      await comms.pause('fred', 'lunch');
      await comms.enqueue({ id: 'chat-1', channel: 'chat', queueId: 'general', data: { customerKey: adaId } });
      await run(clock, 5_000);
      await comms.abandon('chat-1');

      // 5. A callback to Bob's number, scheduled; dialled when fred takes it; Bob hangs up after 60 s.
      await comms.resume('fred');
      const cb = await comms.scheduleCallback({ id: 'cb-1', number: '+3211000002', queueId: 'general', at: clock.now() + 60_000 });
      await run(clock, 60_000);
      await comms.accept(offers.find((o) => o.contactId === cb.id)!.offerId);
      await run(clock, 70_000);

      const adaHistory = await comms.history('Customer', adaId);
      expect(adaHistory.map((r) => [r.contactId, r.channel, r.direction, r.outcome, r.disposition ?? null])).toEqual([
        ['chat-1', 'chat', 'inbound', 'abandoned', null],
        [call, 'call', 'inbound', 'completed', 'solved'],
      ]);
      expect(adaHistory[1]).toMatchObject({
        customer: { object: 'Customer', id: adaId },
        address: '+3211000001',
        queueId: 'general',
        agentId: 'fred',
        endedBy: 'caller',
        note: 'meter reading corrected',
        talkMs: 60_000,
      });
      expect(adaHistory[1]!.endedAt - adaHistory[1]!.startedAt).toBe(60_000);
      const bobHistory = await comms.history('Customer', bobId);
      expect(bobHistory.map((r) => [r.contactId, r.channel, r.direction, r.outcome, r.agentId])).toEqual([
        ['cb-1', 'callback', 'outbound', 'completed', 'fred'],
        ['mail-1', 'email', 'inbound', 'completed', 'fred'],
      ]);
      expect(bobHistory[1]).toMatchObject({ disposition: 'answered', address: 'ada@example.org', endedBy: 'agent', talkMs: 120_000 });
      const [unknown] = await comms.interactions({ contactId: lost });
      expect(unknown).toMatchObject({ channel: 'call', outcome: 'abandoned', address: '+3299999999', waitMs: 10_000 });
      expect(unknown!.customer).toBeUndefined();
      expect(await comms.history('Customer', 'nobody')).toEqual([]);
      await expect(comms.history('', adaId)).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CONTACT' });
      await expect(comms.wrapUp('fred', 'cb-1', 'x', { customer: { object: 'Customer' } as never })).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CONTACT' });
      const all = await comms.interactions();
      expect(all).toHaveLength(5);
      // The agent changes the customer of the callback after its end (during the wrap-up): its record follows.
      await comms.setCustomer('cb-1', { object: 'Customer', id: adaId });
      expect((await comms.history('Customer', adaId)).map((r) => r.contactId)).toEqual(['cb-1', 'chat-1', call]);
      await comms.setCustomer('cb-1', { object: 'Customer', id: bobId });
      expect((await comms.history('Customer', bobId)).map((r) => r.contactId)).toEqual(['cb-1', 'mail-1']);
      await m.stop();
      services = undefined;

      // The records were lost (as if the process died before writing them): the restart writes them again from the log.
      const storage = createServiceManager();
      storage.register(StorageManager, storageService(url));
      await storage.start();
      await storage.get(StorageManager).knex(INTERACTIONS_TABLE).whereIn('contact_id', ['chat-1', 'cb-1']).delete();
      await storage.get(StorageManager).knex(INTERACTIONS_STATE_TABLE).update({ last_seq: 0 });
      await storage.stop();
      const m2 = await start(url, clock, options);
      const again = m2.get(CommunicationServer);
      const after = await again.interactions();
      expect(after.map((r) => r.contactId).sort()).toEqual(all.map((r) => r.contactId).sort());
      expect(await again.history('Customer', adaId)).toEqual(adaHistory);

      // Bob and Ada turn out to be one customer: the records are merged, Bob's history follows to Ada.
      expect((await again.history('Customer', bobId)).map((r) => r.contactId)).toEqual(['cb-1', 'mail-1']);
      await m2.get(BusinessObjects).merge('Customer', ada['id'] as number, bob['id'] as number, { actor: 'test' });
      for (let i = 0; i < 100 && (await again.history('Customer', bobId)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await again.history('Customer', bobId)).toEqual([]);
      expect((await again.history('Customer', adaId)).map((r) => r.contactId).sort()).toEqual(['cb-1', 'chat-1', 'mail-1', call].sort());
      await expect(again.relinkCustomer({ object: '', id: '1' }, { object: 'Customer', id: '2' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CONTACT' });
    });

    it('a campaign whose targets are a business-object query with the phone through a relation (customer.phone) dials the right numbers', async () => {
      const url = await db.freshDatabase();
      const clock = new VirtualClock();
      // The business objects first, then the server reads its campaign targets at its start.
      const seed = createServiceManager();
      seed.register(StorageManager, storageService(url));
      seed.register(BusinessObjects, businessObjectsService({ model: join(dir, 'crm.model.xml'), schema: 'migrate' }));
      await seed.start();
      const objects = seed.get(BusinessObjects);
      const people = [
        { name: 'Ada', phone: '+3211000001', doNotCall: false, contracts: ['active', 'active'] },
        { name: 'Bob', phone: '+3211000002', doNotCall: true, contracts: ['active'] },
        { name: 'Cas', phone: '+3211000003', doNotCall: false, contracts: ['ended'] },
        { name: 'Dee', phone: '(0)32 11 000004', doNotCall: false, contracts: ['active'] },
        { name: 'Eve', phone: null, doNotCall: false, contracts: ['active'] },
      ];
      const contractOf = new Map<string, string>();
      for (const p of people) {
        const c = await objects.repository('Customer').create({ name: p.name, phone: p.phone, doNotCall: p.doNotCall });
        for (const status of p.contracts) {
          const k = await objects.repository('Contract').create({ status, customerId: c['id'] });
          if (status === 'active' && !p.doNotCall && p.phone) contractOf.set(String(k['id']), p.phone.replace(/[\s()]/g, ''));
        }
      }
      await seed.stop();

      const m = await start(url, clock, {
        queues: [{ id: 'campaigns' }],
        agents: [{ id: 'fred', queues: [{ queueId: 'campaigns' }] }],
        campaigns: [
          {
            id: 'green',
            queueId: 'campaigns',
            mode: 'progressive',
            autoStart: true,
            targets: { object: 'Contract', filter: { status: 'active', customer: { doNotCall: false } }, phoneField: 'customer.phone' },
          },
        ],
      });
      const comms = m.get(CommunicationServer);
      expect(comms.campaignProgress('green')).toMatchObject({ targets: 3 });
      await comms.login('fred');
      await run(clock, 3_600_000);
      expect([...telephony!.dialled].sort()).toEqual([...contractOf.values()].sort());
      expect(telephony!.dialled).toHaveLength(3);
      expect(comms.campaignProgress('green')).toMatchObject({ status: 'finished', answered: 3 });
      // Each campaign call ends as an interaction linked to its target record.
      const records = await comms.interactions();
      expect(records.map((r) => [r.customer?.object, r.customer?.id, r.address, r.direction, r.campaignId, r.outcome]).sort()).toEqual(
        [...contractOf].map(([id, number]) => ['Contract', id, number, 'outbound', 'green', 'completed']).sort(),
      );
    });
  });
});
