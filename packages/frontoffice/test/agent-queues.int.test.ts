import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, startTestAssembly, type TestAssembly, type TestAssemblyOptions } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { until } from './smtp-helpers.js';
import { restContract } from './rest-contract.js';

const PW = 'correct horse battery';
type Queues = { selected: { queue: string; level: number }[]; allowed: string[] };

function options(db: string): TestAssemblyOptions {
  return {
    db,
    model: fixturePath('crm.model.xml'),
    application: fixturePath('crm.app.xml'),
    scripts: fixturePath('scripts'),
    queues: [{ id: 'support', wrapUpMs: 600_000 }, { id: 'billing' }, { id: 'sales' }],
    agents: [{ id: 'anna', queues: [{ queueId: 'support', level: 3 }], selectableQueues: ['billing'] }],
    users: [
      { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
      { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
    ],
  };
}

describe('queue choice at log-in (agent desktop API)', () => {
  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: TestAssembly | undefined;
    afterAll(async () => {
      await asm?.stop();
    });

    it('lets an agent pick among the allowed queues with Ready, change them later, and keeps the choice across a restart', async () => {
      const url = await db.freshDatabase();
      asm = await startTestAssembly(options(url));
      const anna = new ApiClient(asm.url);
      await anna.login('anna', PW);
      const sam = new ApiClient(asm.url);
      await sam.login('sam', PW);

      expect((await anna.get('/api/agent/queues')).body).toEqual({ selected: [{ queue: 'support', level: 3 }], configured: [{ queue: 'support', level: 3 }], allowed: ['support', 'billing'] });
      expect(((await anna.get('/api/agent')).body as { queues: Queues }).queues).toEqual({ selected: [{ queue: 'support', level: 3 }], allowed: ['support', 'billing'] });

      // Refused choices change nothing and leave the agent logged out.
      for (const queues of [['sales'], [], ['support', 'support'], 'support', [1], ['x'.repeat(300)]]) {
        const r = await anna.post('/api/agent/ready', { queues });
        expect([queues, r.status, (r.body as { error: { code: string } }).error.code]).toEqual([queues, 400, 'CARUSO_FRONTOFFICE_BAD_REQUEST']);
      }
      expect(asm.comms.agent('anna').state).toBe('logged-out');
      expect((await anna.post('/api/agent/queues', { queues: ['billing'], levels: [5] })).status).toBe(400);
      expect((await sam.post('/api/agent/queues', { queues: ['billing'] })).status).toBe(403);
      expect((await sam.get('/api/agent/queues')).status).toBe(403);

      const ready = (await anna.post('/api/agent/ready', { queues: ['billing'] })).body as { agent: { state: string }; queues: Queues };
      expect(ready.agent.state).toBe('ready');
      expect(ready.queues.selected).toEqual([{ queue: 'billing', level: 1 }]);
      // A support contact is no longer for anna; a billing one is.
      const supportCall = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678' } });
      await new Promise((r) => setTimeout(r, 100));
      expect(asm.comms.pendingOffers('anna')).toEqual([]);
      const billingCall = await asm.comms.enqueue({ channel: 'call', queueId: 'billing', data: { caller: '+3298765432' } });
      await until(() => asm!.comms.pendingOffers('anna').some((o) => o.contactId === billingCall.id), 'the billing offer');
      await asm.comms.abandon(billingCall.id);

      const changed = (await anna.post('/api/agent/queues', { queues: ['support', 'billing'] })).body as { queues: Queues };
      expect(changed.queues.selected).toEqual([{ queue: 'support', level: 3 }, { queue: 'billing', level: 1 }]);
      await until(() => asm!.comms.pendingOffers('anna').some((o) => o.contactId === supportCall.id), 'the support offer after the change');
      await asm.comms.abandon(supportCall.id);
      await anna.post('/api/agent/queues', { queues: ['billing'] });

      await asm.stop();
      asm = await startTestAssembly(options(url));
      expect(((await anna.withBase(asm.url).get('/api/agent/queues')).body as Queues).selected).toEqual([{ queue: 'billing', level: 1 }]);
      const doc = (await anna.withBase(asm.url).get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      expect(Object.keys(doc.paths['/api/agent/queues']!)).toEqual(['get', 'post']);
    }, 60_000);

    describe('REST contract', () => {
      it('answers every request of this suite as its OpenAPI document says (status, content type, body)', () => {
        expectAllDocumented(asm);
      });
    });
  });
});
