import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly, type TestAssemblyOptions } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { restContract } from './rest-contract.js';

const PW = 'correct horse battery';
const soon = (ms: number): string => new Date(Date.now() + ms).toISOString();
type Cb = { callbackId: string; queueId: string; number: string; note: string | null; scheduledBy: string; object: string | null; recordId: string | null };

function options(db: string): TestAssemblyOptions {
  return {
    db,
    model: fixturePath('crm.model.xml'),
    application: fixturePath('crm.app.xml'),
    scripts: fixturePath('scripts'),
    queues: [{ id: 'support', wrapUpMs: 600_000 }, { id: 'billing' }],
    agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }, { id: 'bob', queues: [{ queueId: 'support' }] }],
    users: [
      { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
      { name: 'bob', role: 'agent', agentId: 'bob', password: PW },
      { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
    ],
  };
}

const loggedIn = (url: string, name: string): Promise<ApiClient> => loggedInClient(url, name, PW);

describe('scheduled callbacks in the front office', () => {
  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: TestAssembly | undefined;
    afterAll(async () => {
      await asm?.stop();
    });

    it('schedules a callback for a customer without a contact, lists and cancels by role, and keeps them across a restart', async () => {
      const url = await db.freshDatabase();
      asm = await startTestAssembly(options(url));
      const [anna, bob, sam] = [await loggedIn(asm.url, 'anna'), await loggedIn(asm.url, 'bob'), await loggedIn(asm.url, 'sam')];
      const cust = ((await anna.post('/api/objects/Customer', { firstName: 'Carla', lastName: 'Caller', phone: '+32 12 34 56 78' })).body as { data: { id: number } }).data;

      const r = await anna.post('/api/callbacks', { at: soon(3_600_000), number: '+32 (12) 34-56-78', object: 'Customer', recordId: cust.id, note: 'about the meter' });
      expect(r.status).toBe(201);
      const annas = r.body as Cb;
      expect(annas).toMatchObject({ queueId: 'support', number: '+3212345678', note: 'about the meter', scheduledBy: 'anna', object: 'Customer', recordId: String(cust.id) });
      expect(asm.comms.scheduledCallbacks().find((c) => c.id === annas.callbackId)?.data).toEqual({ scheduledBy: 'user:anna', object: 'Customer', recordId: String(cust.id), note: 'about the meter' });

      // Input that must be refused, and nothing scheduled by it.
      const before = asm.comms.scheduledCallbacks().length;
      const refused: [Record<string, unknown>, number][] = [
        [{ at: soon(-60_000), number: '+3212345678' }, 400],
        [{ at: soon(30_000), number: '+3212345678' }, 400],
        [{ at: soon(31 * 86_400_000), number: '+3212345678' }, 400],
        [{ at: 'tomorrow at nine', number: '+3212345678' }, 400],
        [{ at: soon(3_600_000) }, 400],
        [{ at: soon(3_600_000), number: '<script>alert(1)</script>' }, 400],
        [{ at: soon(3_600_000), number: '+3212345678', note: 'x'.repeat(2001) }, 400],
        [{ at: soon(3_600_000), number: '+3212345678', shoe: 1 }, 400],
        [{ at: soon(3_600_000), number: '+3212345678', queueId: 'billing' }, 400],
        [{ at: soon(3_600_000), number: '+3212345678', queueId: 'nowhere' }, 400],
        [{ at: soon(3_600_000), number: '+3212345678', object: 'Invoice', recordId: 1 }, 404],
        [{ at: soon(3_600_000), number: '+3212345678', object: 'Customer', recordId: 99_999 }, 404],
        [{ at: soon(3_600_000), number: '+3212345678', object: 'Customer', recordId: '1 OR 1=1' }, 404],
      ];
      for (const [b, status] of refused) expect([b, (await anna.post('/api/callbacks', b)).status]).toEqual([b, status]);
      expect((await new ApiClient(asm.url).post('/api/callbacks', { at: soon(3_600_000), number: '+3212345678' })).status).toBe(401);
      const visitor = new ApiClient(asm.url);
      await visitor.post('/api/self-service/meter/sessions');
      expect((await visitor.post('/api/callbacks', { at: soon(3_600_000), number: '+3212345678' })).status).toBe(403);
      expect((await visitor.get('/api/callbacks')).status).toBe(403);
      expect(asm.comms.scheduledCallbacks()).toHaveLength(before);

      // A supervisor may use any queue; bob schedules one of his own.
      const sams = (await sam.post('/api/callbacks', { at: soon(7_200_000), number: '+3298765432', queueId: 'billing' })).body as Cb;
      expect(sams).toMatchObject({ queueId: 'billing', scheduledBy: 'sam', object: null });
      const bobs = (await bob.post('/api/callbacks', { at: soon(5_400_000), number: '+3211111111' })).body as Cb;
      expect(bobs.queueId).toBe('support');

      const ids = async (c: ApiClient, q = ''): Promise<string[]> => ((await c.get(`/api/callbacks${q}`)).body as { data: Cb[] }).data.map((x) => x.callbackId);
      expect(await ids(anna)).toEqual([annas.callbackId]);
      expect(await ids(anna, '?mine=false')).toEqual([annas.callbackId]);
      expect(await ids(bob)).toEqual([bobs.callbackId]);
      expect(await ids(sam)).toEqual([annas.callbackId, bobs.callbackId, sams.callbackId]);
      expect(await ids(sam, '?mine=true')).toEqual([sams.callbackId]);
      expect((await sam.get('/api/callbacks?mine=yes')).status).toBe(400);
      expect((await sam.get('/api/callbacks?agent=anna')).status).toBe(400);

      // Agents cancel only their own; supervisors any.
      expect((await bob.delete(`/api/callbacks/${annas.callbackId}`)).status).toBe(404);
      expect((await anna.request('DELETE', `/api/callbacks/${annas.callbackId}`, undefined, { csrf: null })).status).toBe(403);
      expect((await anna.delete(`/api/callbacks/${annas.callbackId}`)).status).toBe(204);
      expect((await anna.delete(`/api/callbacks/${annas.callbackId}`)).status).toBe(404);
      expect((await sam.delete(`/api/callbacks/${bobs.callbackId}`)).status).toBe(204);
      expect(asm.comms.scheduledCallbacks().map((c) => c.id)).toEqual([sams.callbackId]);

      // Durable: after a restart the remaining callback is still scheduled (and the session still valid).
      await asm.stop();
      asm = await startTestAssembly(options(url));
      expect(await ids(sam.withBase(asm.url))).toEqual([sams.callbackId]);
    }, 60_000);

    it('documents the callback endpoints in the OpenAPI document of each staff role', async () => {
      const anna = await loggedIn(asm!.url, 'anna');
      const sam = await loggedIn(asm!.url, 'sam');
      for (const c of [anna, sam]) {
        const doc = (await c.get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
        expect(Object.keys(doc.paths['/api/contacts/{id}/callback']!)).toEqual(['post']);
        expect(Object.keys(doc.paths['/api/callbacks']!)).toEqual(['get', 'post']);
        expect(Object.keys(doc.paths['/api/callbacks/{id}']!)).toEqual(['delete']);
      }
    });

    describe('REST contract', () => {
      it('answers every request of this suite as its OpenAPI document says (status, content type, body)', () => {
        expectAllDocumented(asm);
      });
    });
  });
});
