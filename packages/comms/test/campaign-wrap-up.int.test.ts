import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { CommunicationServer, ContactEventLog, SimulatedTelephony, TelephonyAdapter, VirtualClock, commsService, contactEventLogService, simulatedTelephonyService } from '@caruso/comms';
import { CampaignStore } from '@caruso/comms/testing';

const MODEL = `<?xml version="1.0" encoding="UTF-8"?>
<model name="campaign-wrap-up">
  <object name="Contract" table="contracts">
    <field name="id" type="id"/>
    <field name="phone" type="string"/>
  </object>
</model>
`;

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('the wrap-up of a campaign call', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-campaign-wrap-'));
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

    /** Advances the virtual clock timer by timer, letting the server's promises (store writes, dials) run in between. */
    async function run(clock: VirtualClock, ms: number): Promise<void> {
      const until = clock.now() + ms;
      for (let i = 0; i < 20_000; i++) {
        let next = clock.nextAt();
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

    it('logs one disposition event, carrying the campaign and the target, and keeps the code with the target', async () => {
      const url = await db.freshDatabase();
      const clock = new VirtualClock();
      const seed = createServiceManager();
      seed.register(StorageManager, storageService(url));
      seed.register(BusinessObjects, businessObjectsService({ model: join(dir, 'crm.model.xml'), schema: 'migrate' }));
      await seed.start();
      const contract = await seed.get(BusinessObjects).repository('Contract').create({ phone: '+3211000001' });
      const key = String(contract['id']);
      await seed.stop();

      telephony = new SimulatedTelephony(clock);
      telephony.setDestination('+3211000001', { resultAfterMs: 4_000, talkMs: 60_000 });
      const m = createServiceManager();
      m.register(StorageManager, storageService(url));
      m.register(BusinessObjects, businessObjectsService({ model: join(dir, 'crm.model.xml'), schema: 'migrate' }));
      m.register(ContactEventLog, contactEventLogService());
      m.register(TelephonyAdapter, simulatedTelephonyService({ telephony }));
      m.register(
        CommunicationServer,
        commsService({
          clock,
          queues: [{ id: 'campaigns', wrapUpMs: 30_000 }],
          agents: [{ id: 'fred', queues: [{ queueId: 'campaigns' }] }],
          campaigns: [{ id: 'green', queueId: 'campaigns', mode: 'progressive', autoStart: true, targets: { object: 'Contract', phoneField: 'phone' } }],
        }),
      );
      await m.start();
      services = m;
      const comms = m.get(CommunicationServer);
      await comms.login('fred');
      await run(clock, 120_000);
      expect(comms.campaignProgress('green')).toMatchObject({ status: 'finished', answered: 1 });
      const log = m.get(ContactEventLog);
      const completed = (await log.read()).filter((e) => e.kind === 'completed');
      expect(completed).toHaveLength(1);
      const callId = completed[0]!.contactId!;

      await comms.wrapUp('fred', callId, 'sale', { note: 'two-year contract' });
      await settle();

      const dispositions = (await log.read()).filter((e) => e.kind === 'disposition');
      expect(dispositions).toHaveLength(1);
      expect(dispositions[0]).toMatchObject({ contactId: callId, agentId: 'fred', queueId: 'campaigns', reason: 'sale', data: { campaignId: 'green', target: key, note: 'two-year contract' } });
      // The interaction record of the call has the one disposition.
      const records = await comms.interactions({ contactId: callId });
      expect(records.map((r) => [r.campaignId, r.disposition])).toEqual([['green', 'sale']]);
      // The dialer kept the code with the target.
      const store = await CampaignStore.open(m.get(StorageManager));
      expect((await store.targets('green')).map((t) => [t.key, t.disposition])).toEqual([[key, 'sale']]);
    });
  });
});
