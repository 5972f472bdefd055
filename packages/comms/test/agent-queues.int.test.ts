import { createServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { CommunicationServer, ContactEventLog, VirtualClock, commsService, contactEventLogService, type Offer } from '@caruso/comms';

const config = {
  queues: [{ id: 'support' }, { id: 'billing' }, { id: 'vip' }],
  agents: [{ id: 'anna', queues: [{ queueId: 'support', level: 2 }], selectableQueues: ['billing'] }],
};

describe('CommunicationServer: queue choice at login', () => {
  forEachDatabase((db) => {
    it('login with queues and setAgentQueues route at once, are logged durably and hold after a restart', async () => {
      const clock = new VirtualClock();
      const start = async () => {
        const services = createServiceManager();
        services.register(StorageManager, storageService(db.url));
        services.register(ContactEventLog, contactEventLogService());
        services.register(CommunicationServer, commsService({ ...config, clock }));
        await services.start();
        return services;
      };
      const first = await start();
      const comms = first.get(CommunicationServer);
      expect(comms.queues().map((q) => q.queueId)).toEqual(['support', 'billing', 'vip']);
      expect(comms.agentQueues('anna')).toEqual({
        agentId: 'anna',
        selected: [{ queue: 'support', level: 2 }],
        configured: [{ queue: 'support', level: 2 }],
        allowed: ['support', 'billing'],
      });
      // A bad choice at login: nothing changes, the agent stays logged out.
      await expect(comms.login('anna', { queues: [{ queue: 'vip' }] })).rejects.toMatchObject({ code: 'CARUSO_COMMS_QUEUE_NOT_ALLOWED' });
      await expect(comms.login('anna', { queues: [{ queue: 'gone' }] })).rejects.toMatchObject({ code: 'CARUSO_COMMS_UNKNOWN_QUEUE' });
      await expect(comms.setAgentQueues('nobody', [])).rejects.toMatchObject({ code: 'CARUSO_COMMS_UNKNOWN_AGENT' });
      expect(comms.agent('anna').state).toBe('logged-out');

      const offers: Offer[] = [];
      const sub = comms.onDidOffer((o) => offers.push(o));
      await comms.login('anna', { queues: [{ queue: 'billing', level: 3 }] });
      await comms.enqueue({ id: 's1', channel: 'email', queueId: 'support' });
      await comms.enqueue({ id: 'b1', channel: 'email', queueId: 'billing' });
      expect(offers.map((o) => o.contactId)).toEqual(['b1']);
      await comms.setAgentQueues('anna', [{ queue: 'billing', level: 3 }, { queue: 'support' }]);
      await comms.accept(offers[0]!.offerId);
      await comms.complete('b1');
      expect(offers.map((o) => o.contactId)).toEqual(['b1', 's1']);
      await comms.reject(offers[1]!.offerId);
      await comms.setAgentQueues('anna', [{ queue: 'billing', level: 4 }]);
      sub.dispose();

      const log = first.get(ContactEventLog);
      const changes = (await log.read()).filter((e) => e.kind === 'agent-queues-changed');
      expect(changes.map((e) => [e.agentId, e.data])).toEqual([
        ['anna', { queues: [{ queueId: 'billing', level: 3 }] }],
        ['anna', { queues: [{ queueId: 'billing', level: 3 }, { queueId: 'support', level: 2 }] }],
        ['anna', { queues: [{ queueId: 'billing', level: 4 }] }],
      ]);
      const kinds = (await log.read()).map((e) => e.kind);
      expect(kinds.indexOf('agent-queues-changed')).toBeLessThan(kinds.indexOf('agent-logged-in'));
      await first.stop();

      const second = await start();
      const again = second.get(CommunicationServer);
      expect(again.agentQueues('anna').selected).toEqual([{ queue: 'billing', level: 4 }]);
      expect(again.agent('anna')).toMatchObject({ state: 'logged-out', queueIds: ['billing'] });
      await again.login('anna');
      expect(again.queueStatus('billing').staffed).toBe(1);
      expect(again.queueStatus('support')).toMatchObject({ staffed: 0, waiting: 1 });
      await second.stop();
    });
  });
});
