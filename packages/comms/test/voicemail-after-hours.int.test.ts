import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager } from '@caruso/kernel';
import { StorageManager, createStorage, storageService, type StorageManager as Storage } from '@caruso/storage';
import { CommunicationServer, SimulatedTelephony, TelephonyAdapter, VirtualClock, commsService, simulatedTelephonyService, type Offer, type WeeklyHours } from '@caruso/comms';
import { StorageVoicemailStore } from '@caruso/comms/testing';
import { ivrSetup } from './ivr-helpers.js';

// The virtual clock starts on Monday 2025-01-06 08:00 UTC = 09:00 in Brussels: closed until 10:00.
const HOURS: WeeklyHours = { timeZone: 'Europe/Brussels', days: { mon: [['10:00', '17:00']] } };
const OPENS = Date.UTC(2025, 0, 6, 9, 0, 0);

describe('a voicemail left after hours (simulated adapter, SQLite store, virtual clock)', () => {
  let dir: string;
  let storage: Storage;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-vm-hours-'));
    storage = await createStorage(`sqlite:${join(dir, 'vm.db')}`);
  });
  afterAll(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('becomes a callback that waits until the queue opens and is offered then, instead of leaving the closed queue at once', async () => {
    const store = await StorageVoicemailStore.open(storage);
    const t = ivrSetup({
      queues: [{ id: 'general', openingHours: HOURS, afterHours: { action: 'voicemail' } }],
      agents: [{ id: 'anna', queues: [{ queueId: 'general' }] }],
      channel: { voicemail: store, scriptFor: () => undefined, hoursOf: (q) => (q === 'general' ? HOURS : undefined) },
    });
    try {
      t.router.login('anna');
      t.telephony.placeInboundCall({ from: '+3261', to: 'main', talkMs: 4_000 });
      await t.run(60_000);
      const left = (await t.log.read()).find((e) => e.kind === 'voicemail-left');
      expect(left).toMatchObject({ queueId: 'general', reason: 'after-hours' });
      const vmId = left!.contactId!;
      // Still closed: the callback waits for the opening, nothing has left the queue for it.
      expect(t.router.scheduledCallbacks()).toEqual([expect.objectContaining({ id: vmId, queueId: 'general', number: '+3261', at: OPENS })]);
      expect((await t.log.read()).filter((e) => e.contactId === vmId && (e.kind === 'exited' || e.kind === 'offered'))).toEqual([]);
      await t.run(OPENS - t.clock.now() + 1_000);
      const events = (await t.log.read()).filter((e) => e.contactId === vmId);
      expect(events.filter((e) => e.kind === 'exited')).toEqual([]);
      const offered = events.find((e) => e.kind === 'offered');
      expect(offered).toMatchObject({ agentId: 'anna', queueId: 'general', channel: 'callback' });
      expect(offered!.at).toBeGreaterThanOrEqual(OPENS);
      expect(t.router.contact(vmId)).toMatchObject({ channel: 'callback', data: expect.objectContaining({ callbackNumber: '+3261', voicemailId: vmId }) });
    } finally {
      t.dispose();
    }
  });
});

describe('the communication server’s queue priority, entry point priority, label and voicemail settings', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-vm-svc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves an urgent queue first across queues, takes a queue label, and holds an after-hours message until the opening', async () => {
    const clock = new VirtualClock();
    const telephony = new SimulatedTelephony(clock);
    const services = createServiceManager();
    services.register(StorageManager, storageService(`sqlite:${join(dir, 'svc.db')}`));
    services.register(TelephonyAdapter, simulatedTelephonyService({ telephony, clock }));
    services.register(
      CommunicationServer,
      commsService({
        clock,
        queues: [{ id: 'general', label: 'Algemeen' }, { id: 'faults', label: 'Storingen' }, { id: 'moves', openingHours: HOURS, afterHours: { action: 'voicemail' } }],
        agents: [{ id: 'anna', queues: [{ queueId: 'general' }, { queueId: 'faults' }] }],
        queuePriority: { faults: 10 },
        telephony: { entryPoints: [{ queueId: 'general' }, { number: '112', queueId: 'general', priority: 20 }, { number: 'moves', queueId: 'moves' }] },
        voicemail: { notify: { moves: ['a@example.com', 'b@example.com'] } },
      }),
    );
    await services.start();
    try {
      const comms = services.get(CommunicationServer);
      // The label is shown with the queue's status (the pages show it instead of the id).
      expect(comms.queues().map((q) => [q.queueId, (q as { label?: string }).label])).toEqual([['general', 'Algemeen'], ['faults', 'Storingen'], ['moves', undefined]]);
      expect(comms.queueStatus('faults')).toMatchObject({ queueId: 'faults', label: 'Storingen' });
      // Contacts of the urgent queue go first though they came later; a call to the urgent line goes before both.
      await comms.enqueue({ id: 'mail-1', channel: 'email', queueId: 'general' });
      clock.advance(1_000);
      await comms.enqueue({ id: 'mail-2', channel: 'email', queueId: 'faults' });
      expect(comms.contact('mail-2')?.priority).toBe(10);
      expect(comms.contact('mail-1')?.priority).toBe(0);
      const urgent = telephony.placeInboundCall({ from: '+3270', to: '112', talkMs: 60_000 });
      clock.advance(1_000);
      expect(comms.contact(urgent)?.priority).toBe(20);
      const offers: Offer[] = [];
      const sub = comms.onDidOffer((o) => offers.push(o));
      await comms.login('anna');
      expect(offers.map((o) => o.contactId)).toEqual([urgent]);
      sub.dispose();
      // A message left after hours in moves waits for the opening.
      telephony.placeInboundCall({ from: '+3299', to: 'moves', talkMs: 3_000 });
      for (let i = 0; i < 200 && comms.scheduledCallbacks().length === 0; i++) {
        clock.advance(1_000);
        await new Promise((r) => setImmediate(r));
      }
      expect(comms.scheduledCallbacks()).toEqual([expect.objectContaining({ queueId: 'moves', number: '+3299', at: OPENS })]);
    } finally {
      await services.stop();
      telephony.dispose();
    }
  });

  it('refuses a priority for a queue it does not have', () => {
    expect(() => commsService({ queues: [{ id: 'general' }], queuePriority: { genral: 1 } })).toThrow(/queuePriority\.genral/);
  });
});
