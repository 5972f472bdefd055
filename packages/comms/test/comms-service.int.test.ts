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
  });
});
