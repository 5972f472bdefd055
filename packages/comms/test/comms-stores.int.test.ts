import { createServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { CommunicationServer, ContactEventLog, SimulatedTelephony, VirtualClock, commsService, contactEventLogService } from '@caruso/comms';
import { CampaignDialer, CampaignStore, InMemoryContactEventLog, QueueRouter, StorageVoicemailStore, TelephonyChannel } from '@caruso/comms/testing';

describe('comms storage on every database', () => {
  forEachDatabase((db) => {
    it('voicemail: stores the recording durably, lists it, refuses a duplicate id and changes nothing', async () => {
      const store = await StorageVoicemailStore.open(db.storage);
      const audio = new Uint8Array([82, 73, 70, 70, 1, 2, 3, 255]);
      const m = { id: 'vm-1', callId: 'k1', from: '+3247', queueId: 'general', recordedAt: 1_000, durationMs: 4_000, mimeType: 'audio/wav', uri: 'sim://r1', audio };
      await store.save(m);
      await expect(store.save({ ...m, from: '+3299' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_DUPLICATE' });
      expect(await store.get('vm-1')).toEqual(m);
      expect(await store.list()).toEqual([{ id: 'vm-1', callId: 'k1', from: '+3247', queueId: 'general', recordedAt: 1_000, durationMs: 4_000, mimeType: 'audio/wav', uri: 'sim://r1' }]);
    });

    it('campaigns: targets, do-not-call list and progress survive a restart of the dialer', async () => {
      const clock = new VirtualClock();
      const open = async () => {
        const router = new QueueRouter({ clock, events: new InMemoryContactEventLog(), idPrefix: 'x' });
        router.addQueue({ id: 'out' });
        router.addAgent({ id: 'a1', queues: [{ queueId: 'out' }] });
        router.login('a1');
        const telephony = new SimulatedTelephony(clock);
        const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'out' });
        const dialer = await CampaignDialer.open({ store: await CampaignStore.open(db.storage), router, telephony, clock });
        const close = () => {
          dialer.dispose();
          channel.dispose();
          router.dispose();
          telephony.dispose();
        };
        return { dialer, close };
      };
      const first = await open();
      await first.dialer.createCampaign({ id: 'c', queueId: 'out', mode: 'preview' });
      expect(await first.dialer.addTargets('c', [{ key: 'k1', number: '+32901' }, { key: 'k2', number: '+32902', timeZone: 'Europe/Brussels' }])).toBe(2);
      expect(await first.dialer.addTargets('c', [{ key: 'k1', number: '+32901' }])).toBe(0);
      await first.dialer.addDoNotCall(['+32902']);
      await first.dialer.pauseCampaign('c');
      first.close();
      const store = await CampaignStore.open(db.storage);
      expect(await store.isDoNotCall('+32902')).toBe(true);
      expect((await store.targets('c')).map((t) => [t.key, t.timeZone, t.state])).toEqual([['k1', 'UTC', 'pending'], ['k2', 'Europe/Brussels', 'pending']]);
      const second = await open();
      expect(second.dialer.campaignIds()).toEqual(['c']);
      expect(second.dialer.progress('c')).toMatchObject({ status: 'paused', targets: 2, pending: 2 });
      second.close();
    });

    it('the contact event log has an index on its time column (the monitor reports filter on it)', async () => {
      const m = createServiceManager();
      m.register(StorageManager, storageService(await db.freshDatabase()));
      m.register(ContactEventLog, contactEventLogService());
      await m.start();
      const k = m.get(StorageManager).knex;
      const names =
        db.dialect === 'sqlite'
          ? ((await k.raw("select name from sqlite_master where type = 'index' and tbl_name = 'caruso_contact_events'")) as { name: string }[]).map((r) => r.name)
          : ((await k.raw("select indexname as name from pg_indexes where tablename = 'caruso_contact_events'")) as { rows: { name: string }[] }).rows.map((r) => r.name);
      expect(names).toContain('caruso_contact_events_at_idx');
      await m.stop();
    });

    it('a scheduled callback comes back after a restart and enters its queue when due; a cancelled one does not', async () => {
      const url = await db.freshDatabase();
      const clock = new VirtualClock();
      const options = { clock, queues: [{ id: 'support' }], agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }] };
      const first = createServiceManager();
      first.register(StorageManager, storageService(url));
      first.register(ContactEventLog, contactEventLogService());
      first.register(CommunicationServer, commsService(options));
      await first.start();
      const comms = first.get(CommunicationServer);
      const at = clock.now() + 3_600_000;
      await comms.scheduleCallback({ id: 'cb-1', number: '+3247111', queueId: 'support', at, data: { reason: 'invoice' } });
      await comms.scheduleCallback({ id: 'cb-2', number: '+3247222', queueId: 'support', at: at + 60_000 });
      await comms.cancelScheduledCallback('cb-2');
      await expect(comms.scheduleCallback({ id: 'cb-3', number: 'not a number!', queueId: 'support', at })).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CONTACT' });
      expect(comms.scheduledCallbacks().map((c) => c.id)).toEqual(['cb-1']);
      await first.stop();

      const second = createServiceManager();
      second.register(StorageManager, storageService(url));
      second.register(ContactEventLog, contactEventLogService());
      second.register(CommunicationServer, commsService(options));
      await second.start();
      const again = second.get(CommunicationServer);
      expect(again.scheduledCallbacks()).toEqual([{ id: 'cb-1', number: '+3247111', queueId: 'support', at, priority: 0, data: { reason: 'invoice' } }]);
      clock.advance(3_600_000);
      expect(again.waiting('support').map((c) => [c.id, c.channel, c.data['callbackNumber']])).toEqual([['cb-1', 'callback', '+3247111']]);
      expect(again.scheduledCallbacks()).toEqual([]);
      await second.stop();
    });
  });
});

describe('commsService options', () => {
  it('refuses bad options with a coded error naming the field, before anything starts', () => {
    expect(() => commsService({ queues: [{ id: 'a' }], telephony: { entryPoints: [{ number: '1', queueId: 'nope' }] } })).toThrow(
      expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_OPTIONS', message: expect.stringContaining('telephony.entryPoints[0].queueId') }),
    );
    expect(() => commsService({ queues: [{ id: 'a' }], telephony: { entryPoints: [{ queueId: 'a' }, { queueId: 'a' }] } })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_OPTIONS' }));
    expect(() => commsService({ queues: [{ id: 'a' }], voicemail: { notify: { a: 'not-an-address' } } })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_OPTIONS', message: expect.stringContaining('voicemail.notify.a') }));
    expect(() => commsService({ queues: [{ id: 'a', agentExpression: 'seniority >=' }] })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_QUEUE' }));
    expect(() => commsService({ queues: [{ id: 'a', whenEmpty: { action: 'queue', queueId: 'a' } }] })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_QUEUE', message: expect.stringContaining('whenEmpty.queueId') }));
    expect(() => commsService({ queues: [{ id: 'a' }], agents: [{ id: 'x', queues: [{ queueId: 'a' }], attributes: { 'bad name': 1 } }] })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_AGENT' }));
  });

  it('campaigns without a telephony adapter fail the start and leave no communication server registered', async () => {
    const m = createServiceManager();
    const url = `sqlite:${(await import('node:os')).tmpdir()}/caruso-comms-opt-${process.pid}-${Date.now()}.db`;
    m.register(StorageManager, storageService(url));
    m.register(CommunicationServer, commsService({ queues: [{ id: 'out' }], campaigns: [{ id: 'c', queueId: 'out', mode: 'preview' }] }));
    const events: unknown[] = [];
    const sub = m.onDidChangeRegistry((e) => events.push(e));
    await m.start();
    sub.dispose();
    const states = (events as { type: string; service: { tokenId: string; state: string } }[]).filter((e) => e.type === 'state' && e.service.tokenId === 'caruso.comms').map((e) => e.service.state);
    expect(states).toEqual(['starting', 'failed']);
    expect(m.tryGet(CommunicationServer)).toBeUndefined();
    await m.stop();
    (await import('node:fs')).rmSync(url.slice('sqlite:'.length), { force: true });
  });
});
