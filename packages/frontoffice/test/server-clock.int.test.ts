// One clock: what the front office stamps and shows goes by the communication server's clock, which
// a demonstration or a simulation runs at another moment (caruso start --at). On SQLite and PostgreSQL.
import { shiftedClock } from '@caruso/comms';
import { StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { loggedInClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { until } from './smtp-helpers.js';

const PW = 'correct horse battery';
/** Five years and a bit ahead of the wall clock. */
const SHIFT_MS = 5 * 365 * 86_400_000 + 3 * 3_600_000;

describe('the front office on the server’s clock (shifted from the wall clock)', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        clock: shiftedClock(Date.now() + SHIFT_MS),
        agents: [{ id: 'agent-anna', queues: [{ queueId: 'support' }] }],
        users: [
          { name: 'anna', role: 'agent', agentId: 'agent-anna', password: PW },
          { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
          { name: 'admin', role: 'administrator', agentId: undefined, password: PW },
        ],
      });
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    const nearServerNow = (iso: string): boolean => Math.abs(Date.parse(iso) - asm.comms.now()) < 60_000;

    it('stamps the wallboard figures, the page\'s server time and new users by the server\'s clock', async () => {
      const sam = await loggedInClient(asm.url, 'sam', PW);
      const wb = (await sam.get('/api/wallboard')).body as { at: string };
      expect(nearServerNow(wb.at)).toBe(true);
      const app = (await sam.get('/api/app')).body as { serverTime: number };
      expect(Math.abs(app.serverTime - asm.comms.now())).toBeLessThan(60_000);
      const admin = await loggedInClient(asm.url, 'admin', PW);
      expect((await admin.post('/api/users', { name: 'bert', role: 'agent', password: PW })).status).toBe(201);
      const row = (await asm.manager.get(StorageManager).knex('caruso_fo_users').where({ name: 'bert' }).first('created_at')) as { created_at: string };
      expect(nearServerNow(row.created_at)).toBe(true);
    });

    it('checks a callback\'s time against the server\'s clock', async () => {
      const anna = await loggedInClient(asm.url, 'anna', PW);
      await anna.post('/api/agent/ready', {});
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678' } });
      await until(() => asm.comms.pendingOffers('agent-anna').some((o) => o.contactId === call.id), 'the offer to agent-anna');
      const offer = asm.comms.pendingOffers('agent-anna').find((o) => o.contactId === call.id);
      expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offer!.offerId)}/accept`, {})).status).toBe(200);
      // Two hours ahead of the wall clock is years in the server's past; two hours ahead of the server is fine.
      const wall = await anna.post(`/api/contacts/${call.id}/callback`, { at: new Date(Date.now() + 2 * 3_600_000).toISOString() });
      expect(wall.status).toBe(400);
      const server = await anna.post(`/api/contacts/${call.id}/callback`, { at: new Date(asm.comms.now() + 2 * 3_600_000).toISOString() });
      expect(server.status).toBe(201);
      await asm.comms.cancelScheduledCallback((server.body as { callbackId: string }).callbackId);
      expect((await anna.post(`/api/contacts/${call.id}/hang-up`, {})).status).toBe(200);
      const customer = await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: 'Clock', phone: '+3212345678' }, { actor: 'test' });
      expect((await anna.post(`/api/contacts/${call.id}/wrap-up`, { code: 'solved', object: 'Customer', recordId: customer['id'] })).status).toBe(200);
      // The history the record shows is stamped by the same clock.
      const t = (await anna.get(`/api/objects/Customer/${String(customer['id'])}/timeline`)).body as { entries: { kind: string; at: string; actor: string }[] };
      const contact = t.entries.find((e) => e.kind === 'contact');
      expect(contact && nearServerNow(contact.at)).toBe(true);
      // By the user's name, as the record's changes are (the agent id is the communication server's).
      expect(contact?.actor).toBe('anna');
    });
  });
});
