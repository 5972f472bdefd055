import { createServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { CommunicationServer, VirtualClock, commsService, type Offer } from '@caruso/comms';

const config = {
  queues: [{ id: 'support' }, { id: 'billing' }],
  agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
};

describe('commsService with a real service manager', () => {
  forEachDatabase((db) => {
    it('starts after the storage manager, routes, and brings waiting contacts back after a restart', async () => {
      const clock = new VirtualClock();
      const first = createServiceManager();
      first.register(StorageManager, storageService(db.url));
      first.register(CommunicationServer, commsService({ ...config, clock }));
      await first.start();
      const comms = first.get(CommunicationServer);
      const offers: Offer[] = [];
      const sub = comms.onDidOffer((o) => offers.push(o));
      await comms.login('anna');
      await comms.enqueue({ id: 'mail-1', channel: 'email', queueId: 'support', data: { subject: 'invoice' } });
      expect(offers.map((o) => o.contactId)).toEqual(['mail-1']);
      await comms.accept(offers[0]!.offerId);
      clock.advance(60_000);
      await comms.complete('mail-1');
      await comms.enqueue({ id: 'chat-1', channel: 'chat', queueId: 'billing' });
      clock.advance(1_000);
      await comms.enqueue({ id: 'chat-2', channel: 'chat', queueId: 'billing', priority: 1 });
      await expect(comms.enqueue({ channel: 'pigeon', queueId: 'billing' } as never)).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CONTACT' });
      expect(comms.waiting('billing').map((c) => c.id)).toEqual(['chat-2', 'chat-1']);
      await comms.enqueue({ id: 'call-1', channel: 'call', queueId: 'billing' });
      await comms.requestCallback('call-1', '+31207654321');
      expect(comms.waiting('billing').map((c) => c.id)).toEqual(['chat-2', 'chat-1', 'call-1-cb']);
      expect((await first.checkHealth()).find((s) => s.tokenId === 'caruso.comms')?.health?.status).toBe('ok');
      sub.dispose();
      await first.stop();

      const second = createServiceManager();
      second.register(StorageManager, storageService(db.url));
      second.register(CommunicationServer, commsService({ ...config, clock }));
      await second.start();
      const again = second.get(CommunicationServer);
      expect(again.waiting('billing').map((c) => c.id)).toEqual(['chat-2', 'chat-1', 'call-1-cb']);
      expect(again.contact('call-1-cb')).toMatchObject({ channel: 'callback', data: { callbackNumber: '+31207654321' } });
      expect(again.agent('anna').state).toBe('logged-out');
      await second.stop();
    });

    it('keeps the line in one order over restarts when contacts entered in the same millisecond and a waiting call became its callback', async () => {
      const clock = new VirtualClock();
      const start = async (): Promise<{ waiting: string[]; stop: () => Promise<void> }> => {
        const services = createServiceManager();
        services.register(StorageManager, storageService(db.url));
        services.register(CommunicationServer, commsService({ ...config, clock }));
        await services.start();
        return { waiting: services.get(CommunicationServer).waiting('support').map((c) => c.id), stop: () => services.stop() };
      };
      const first = createServiceManager();
      first.register(StorageManager, storageService(db.url));
      first.register(CommunicationServer, commsService({ ...config, clock }));
      await first.start();
      const comms = first.get(CommunicationServer);
      await comms.enqueue({ id: 'tie-call-1', channel: 'call', queueId: 'support', data: { caller: '+31201234567' } });
      await comms.enqueue({ id: 'tie-mail-2', channel: 'email', queueId: 'support' });
      await comms.enqueue({ id: 'tie-call-3', channel: 'call', queueId: 'support', data: { caller: '+31201234568' } });
      // A chat that happens to carry the id the second call's callback would get.
      await comms.enqueue({ id: 'tie-call-3-cb', channel: 'chat', queueId: 'billing' });
      // A call whose id leaves no room for '-cb' (ids are at most 128 characters).
      await comms.enqueue({ id: `tie-${'x'.repeat(123)}`, channel: 'call', queueId: 'support', data: { caller: '+31201234569' } });
      await first.stop();
      clock.advance(5_000);
      // The calls lost their lines: each callback takes its call's place, before and after the e-mail
      // that entered in the same millisecond (the second under a new id, as its own is taken); the
      // starts after that read the same order back.
      const second = await start();
      const line = ['tie-call-1-cb', 'tie-mail-2', 'tie-call-3-cb2', expect.stringMatching(/^cb-[0-9a-f-]{36}$/)];
      expect(second.waiting).toEqual(line);
      await second.stop();
      for (let i = 0; i < 2; i++) {
        const later = await start();
        expect(later.waiting).toEqual(second.waiting);
        await later.stop();
      }
    });

    it('a restart after closing time keeps the e-mails waiting and the lost calls as callbacks, for the agents of the next morning', async () => {
      const clock = new VirtualClock(); // Monday 08:00 UTC
      const hours: [string, string][] = [['08:00', '17:00']];
      // As the demo's queues: closed at night, a callback offered to callers after 5 minutes, 10 minutes at most on the line.
      const queues = [{ id: 'desk', openingHours: { timeZone: 'UTC', days: { mon: hours, tue: hours } }, afterHours: { action: 'voicemail' as const }, whenEmpty: { action: 'message' as const, prompt: 'Nobody here' }, maxWaitMs: 600_000, overflow: [{ afterMs: 300_000, action: 'callback' as const }] }];
      const agents = [{ id: 'kim', queues: [{ queueId: 'desk' }] }];
      const start = async () => {
        const services = createServiceManager();
        services.register(StorageManager, storageService(db.url));
        services.register(CommunicationServer, commsService({ queues, agents, clock }));
        await services.start();
        return { services, comms: services.get(CommunicationServer) };
      };
      const first = await start();
      clock.advance(8 * 3_600_000 + 50 * 60_000); // 16:50
      await first.comms.login('kim');
      await first.comms.pause('kim', 'break');
      await first.comms.enqueue({ id: 'late-call', channel: 'call', queueId: 'desk', data: { caller: '+31201234599' } });
      await first.comms.enqueue({ id: 'late-mail', channel: 'email', queueId: 'desk' });
      await first.services.stop();
      clock.advance(40 * 60_000); // 17:30: closed, nobody logged in
      const second = await start();
      expect(second.comms.waiting('desk').map((c) => c.id)).toEqual(['late-call-cb', 'late-mail']);
      await second.services.stop();
      // The next morning, Tuesday 08:05, they are still there, also once the queue's overflow rule and
      // maxWait have passed, for the first agent who logs in.
      clock.advance(14 * 3_600_000 + 35 * 60_000);
      const third = await start();
      expect(third.comms.waiting('desk').map((c) => c.id)).toEqual(['late-call-cb', 'late-mail']);
      clock.advance(700_000);
      expect(third.comms.waiting('desk').map((c) => c.id)).toEqual(['late-call-cb', 'late-mail']);
      await third.comms.login('kim');
      expect(third.comms.contact('late-call-cb')).toMatchObject({ state: 'offered', agentIds: ['kim'] });
      await third.services.stop();
    });
  });
});
