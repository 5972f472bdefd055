import { forEachDatabase } from '@caruso/storage/testing';
import { connect } from 'node:net';
import { StorageManager } from '@caruso/storage';
import { ApiClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { restContract } from './rest-contract.js';

const PW = 'correct horse battery';

describe('front-office REST API (real HTTP on 127.0.0.1)', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly;
    let admin: ApiClient;
    let agent: ApiClient;
    let supervisor: ApiClient;

    // Its beforeAll starts recording before the assembly's; its test is declared last.
    const expectAllDocumented = restContract();

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
        users: [
          { name: 'admin', role: 'administrator', agentId: undefined, password: PW },
          { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
          { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
        ],
        server: { bodyLimit: 16 * 1024, maxLoginFailures: 3 },
      });
      admin = new ApiClient(asm.url);
      agent = new ApiClient(asm.url);
      supervisor = new ApiClient(asm.url);
      for (const [c, n] of [[admin, 'admin'], [agent, 'anna'], [supervisor, 'sam']] as const) {
        if ((await c.login(n, PW)).status !== 200) throw new Error(`log-in of ${n} failed`);
      }
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    describe('sessions', () => {
      it('sets an HttpOnly SameSite=Strict cookie and never returns the password hash', async () => {
        const c = new ApiClient(asm.url);
        const r = await c.login('anna', PW);
        expect(r.headers.get('set-cookie')).toMatch(/^caruso_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict/);
        expect(r.body).toEqual({ user: { name: 'anna', role: 'agent', agentId: 'anna' }, csrf: expect.any(String) });
        expect(JSON.stringify((await admin.get('/api/users')).body)).not.toMatch(/scrypt|hash/);
      });

      it('refuses a wrong password with 401 and rate-limits repeated failures with 429', async () => {
        const c = new ApiClient(asm.url);
        for (let i = 0; i < 3; i++) expect((await c.login('sam', 'wrong password!')).body).toEqual({ error: { code: 'CARUSO_FRONTOFFICE_LOGIN_FAILED', message: 'unknown user name or wrong password' } });
        const r = await c.login('sam', PW);
        expect(r.status).toBe(429);
        expect((r.body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_TOO_MANY_ATTEMPTS');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      });

      it('answers 401 without a session and 403 without the CSRF token', async () => {
        const anon = new ApiClient(asm.url);
        expect((await anon.get('/api/objects/Customer')).status).toBe(401);
        const r = await agent.request('POST', '/api/objects/Customer', { firstName: 'X', lastName: 'Y' }, { csrf: null });
        expect(r.status).toBe(403);
        expect((r.body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_CSRF');
        expect((await admin.get('/api/objects/Customer?search=X')).body).toMatchObject({ total: 0 });
      });

      it('lets only the administrator manage users, and rejects weak passwords and duplicates', async () => {
        expect((await agent.get('/api/users')).status).toBe(403);
        expect((await admin.post('/api/users', { name: 'bob', role: 'agent', agentId: 'bob', password: 'short' })).status).toBe(422);
        expect((await admin.post('/api/users', { name: 'bob', role: 'agent', agentId: 'bob', password: PW })).status).toBe(201);
        expect(((await admin.post('/api/users', { name: 'bob', role: 'agent', password: PW })).body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_DUPLICATE_USER');
        expect((await admin.post('/api/users', { name: 'eve', role: 'root', password: PW })).status).toBe(400);
      });
    });

    describe('objects', () => {
      let id: number;
      let version: number;

      it('creates a record (201) and reads it back with only the fields the role sees', async () => {
        const r = await agent.post('/api/objects/Customer', { firstName: 'Ada', lastName: '<b>Lovelace</b>', phone: '+31 20 555 0101', email: 'ada@example.org' });
        expect(r.status).toBe(201);
        const data = (r.body as { data: Record<string, unknown> }).data;
        id = data['id'] as number;
        version = data['$version'] as number;
        expect(data).not.toHaveProperty('creditScore');
        expect(data['lastName']).toBe('<b>Lovelace</b>');
        const full = await admin.get(`/api/objects/Customer/${id}`);
        expect((full.body as { data: Record<string, unknown> }).data).toHaveProperty('creditScore', null);
      });

      it('rejects unknown, hidden and read-only fields naming each (400) and writes nothing', async () => {
        const before = ((await admin.get('/api/objects/Customer')).body as { total: number }).total;
        const r = await agent.post('/api/objects/Customer', { firstName: 'A', lastName: 'B', creditScore: 900, segment: 'business', shoe: 1 });
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ error: { code: 'CARUSO_FRONTOFFICE_UNKNOWN_FIELD', details: { fields: ['creditScore', 'segment', 'shoe'] } } });
        expect((await admin.get('/api/objects/Customer')).body).toMatchObject({ total: before });
      });

      it('answers 422 with every field error', async () => {
        const r = await agent.post('/api/objects/Customer', { firstName: '', email: 'not-an-address' });
        expect(r.status).toBe(422);
        const v = (r.body as { error: { code: string; details: { violations: { field: string }[] } } }).error;
        expect(v.code).toBe('CARUSO_OBJECTS_VALIDATION_FAILED');
        expect(v.details.violations.map((x) => x.field).sort()).toEqual(['email', 'firstName', 'lastName']);
      });

      it('PATCH needs the version (428), applies it, and answers 409 with the current record on a stale one', async () => {
        expect((await agent.patch(`/api/objects/Customer/${id}`, { postcode: '1234 AB' })).status).toBe(428);
        const ok = await agent.patch(`/api/objects/Customer/${id}`, { postcode: '1234 AB', $version: version });
        expect(ok.status).toBe(200);
        const stale = await agent.patch(`/api/objects/Customer/${id}`, { postcode: '9999 ZZ', $version: version });
        expect(stale.status).toBe(409);
        const current = (stale.body as { error: { code: string; details: { current: Record<string, unknown> } } }).error;
        expect(current.code).toBe('CARUSO_OBJECTS_CONFLICT');
        expect(current.details.current).toMatchObject({ postcode: '1234 AB', $version: version + 1 });
        expect(current.details.current).not.toHaveProperty('creditScore');
      });

      it('lists with filter, sort, search, limit/offset and cursor', async () => {
        for (const [f, l, s] of [['Bea', 'Zed', 'business'], ['Cas', 'Young', 'residential'], ['Dirk', 'Xander', 'business']]) {
          expect((await admin.post('/api/objects/Customer', { firstName: f, lastName: l, segment: s })).status).toBe(201);
        }
        const biz = await agent.get(`/api/objects/Customer?filter=${encodeURIComponent(JSON.stringify({ segment: 'business' }))}&sort=-lastName`);
        expect((biz.body as { data: { lastName: string }[] }).data.map((r) => r.lastName)).toEqual(['Zed', 'Xander']);
        const p1 = (await agent.get('/api/objects/Customer?sort=firstName&limit=2')).body as { data: { firstName: string }[]; total: number; nextCursor: string };
        expect(p1.data.map((r) => r.firstName)).toEqual(['Ada', 'Bea']);
        expect(p1.total).toBe(4);
        const p2 = (await agent.get(`/api/objects/Customer?sort=firstName&limit=2&cursor=${p1.nextCursor}`)).body as { data: { firstName: string }[]; nextCursor: string | null };
        expect(p2.data.map((r) => r.firstName)).toEqual(['Cas', 'Dirk']);
        expect(p2.nextCursor).toBeNull();
        const off = (await agent.get('/api/objects/Customer?sort=firstName&limit=1&offset=3')).body as { data: { firstName: string }[] };
        expect(off.data.map((r) => r.firstName)).toEqual(['Dirk']);
        expect(((await agent.get('/api/objects/Customer?search=lovel')).body as { total: number }).total).toBe(1);
      });

      it('rejects injection attempts in filters and sorts with 400 and no SQL error', async () => {
        const attempts = [
          `filter=${encodeURIComponent('{"lastName; DROP TABLE customers; --":"x"}')}`,
          `filter=${encodeURIComponent('{"creditScore":{"gt":0}}')}`,
          `filter=${encodeURIComponent('{"lastName":{"raw":"1=1"}}')}`,
          `filter=${encodeURIComponent("{'bad json'")}`,
          'sort=lastName%20desc%3B%20DROP%20TABLE%20customers',
          'sort=creditScore',
          'limit=100000',
          'offset=-1',
          'cursor=abc',
          'orderBy=lastName',
        ];
        for (const q of attempts) {
          const r = await agent.get(`/api/objects/Customer?${q}`);
          expect([q, r.status]).toEqual([q, 400]);
          expect(JSON.stringify(r.body)).not.toMatch(/SQLITE|syntax error|select |relation|column|pg_/i);
        }
        const lit = await agent.get(`/api/objects/Customer?filter=${encodeURIComponent(JSON.stringify({ lastName: "x' OR '1'='1" }))}`);
        expect((lit.body as { total: number }).total).toBe(0);
        expect(((await admin.get('/api/objects/Customer')).body as { total: number }).total).toBe(4);
      });

      it('refuses oversized bodies (413), non-JSON (415) and malformed JSON (400)', async () => {
        const big = await agent.post('/api/objects/Customer', { firstName: 'x'.repeat(20_000), lastName: 'y' });
        expect(big.status).toBe(413);
        expect((big.body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_BODY_TOO_LARGE');
        expect((await agent.request('POST', '/api/objects/Customer', undefined, { raw: 'firstName=a', contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
        expect((await agent.request('POST', '/api/objects/Customer', undefined, { raw: '{"firstName":' })).status).toBe(400);
      });

      it('hides objects a role is not granted (404) and refuses actions it lacks (403)', async () => {
        expect((await agent.delete(`/api/objects/Customer/${id}`)).status).toBe(403);
        expect((await supervisor.post('/api/objects/Customer', { firstName: 'S', lastName: 'T' })).status).toBe(403);
        expect((await agent.post('/api/objects/Contract', { number: 'C-1234' })).status).toBe(403);
        expect((await agent.get('/api/objects/Invoice')).status).toBe(404);
        expect((await agent.get('/api/objects/Customer/99999')).status).toBe(404);
        expect((await agent.get('/api/objects/Customer/abc')).status).toBe(404);
      });

      it('shows the timeline of field changes and deletes as administrator', async () => {
        const t = (await agent.get(`/api/objects/Customer/${id}/timeline`)).body as { entries: { kind: string; field: string | null }[] };
        expect(t.entries.some((e) => e.kind === 'change' && e.field === 'postcode')).toBe(true);
        const rec = (await admin.get(`/api/objects/Customer/${id}`)).body as { data: { $version: number } };
        expect((await admin.delete(`/api/objects/Customer/${id}`)).status).toBe(204);
        expect(rec.data.$version).toBeGreaterThan(0);
        expect((await admin.get(`/api/objects/Customer/${id}`)).status).toBe(404);
      });
    });

    describe('agent desktop, scripts and self-service', () => {
      it('goes ready, gets an offer with the screen pop, runs the script, writes the answer, wraps up', async () => {
        const cust = (await agent.post('/api/objects/Customer', { firstName: 'Carla', lastName: 'Caller', phone: '+3212345678' })).body as { data: { id: number } };
        expect(((await agent.post('/api/agent/ready')).body as { agent: { state: string } }).agent.state).toBe('ready');
        expect((await agent.post('/api/agent/pause', { reason: 'nap' })).status).toBe(400);
        expect(((await agent.post('/api/agent/pause', { reason: 'break' })).body as { agent: { state: string; pauseReason: string } }).agent).toMatchObject({ state: 'paused', pauseReason: 'break' });
        await agent.post('/api/agent/ready');
        const contact = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678', dialled: '+3280012345', account: 'A-77', meterDigits: 5, '<bad key>': 'x', nested: { no: 1 } } });
        const st = (await agent.get('/api/agent')).body as { offers: { offerId: string; contactId: string }[] };
        expect(st.offers).toHaveLength(1);
        const pop = (await agent.get(`/api/contacts/${contact.id}`)).body as { screenPop: { matches: { id: number }[] }; script: string };
        expect(pop.screenPop.matches.map((m) => m.id)).toEqual([cust.data.id]);
        expect(pop.script).toBe('fault-check');
        expect((await supervisor.post(`/api/agent/offers/${encodeURIComponent(st.offers[0]!.offerId)}/accept`)).status).toBe(403);
        expect((await agent.post(`/api/agent/offers/${encodeURIComponent(st.offers[0]!.offerId)}/accept`)).status).toBe(200);
        const s = (await agent.post('/api/scripts/sessions', { contactId: contact.id, object: 'Customer', recordId: cust.data.id })).body as { sessionId: string; revision: number; step: { kind: string } };
        expect(s.step.kind).toBe('question');
        const started = await asm.dialogue.state(s.sessionId);
        expect(started.vars).toMatchObject({ caller: '+3212345678', dialled: '+3280012345', account: 'A-77', meterDigits: 5, contactQueue: 'support' });
        expect(Object.keys(started.vars)).not.toContain('<bad key>');
        expect(Object.keys(started.vars)).not.toContain('nested');
        let v = (await agent.post(`/api/scripts/sessions/${s.sessionId}/answer`, { value: 'water' })).body as { revision: number; step: { node: string; error?: string } };
        expect(v.step.node).toBe('postcode');
        v = (await agent.post(`/api/scripts/sessions/${s.sessionId}/answer`, { value: '0123 AB' })).body as typeof v;
        expect(v.step.error).toBe('Postcodes do not start with 0.');
        v = (await agent.post(`/api/scripts/sessions/${s.sessionId}/back`, {})).body as typeof v;
        expect(v.step.node).toBe('kind');
        await agent.post(`/api/scripts/sessions/${s.sessionId}/answer`, { value: 'power' });
        // The caller turns out to be someone else: the agent links the contact to that customer before
        // the script ends, and the answers go to the customer linked then, not to the one of the start.
        const dora = (await agent.post('/api/objects/Customer', { firstName: 'Dora', lastName: 'Other', phone: '+3212345679' })).body as { data: { id: number } };
        expect((await agent.request('PUT', `/api/contacts/${contact.id}/customer`, { object: 'Customer', recordId: dora.data.id })).status).toBe(200);
        const end = (await agent.post(`/api/scripts/sessions/${s.sessionId}/answer`, { value: '4321 XY' })).body as { status: string };
        expect(end.status).toBe('ended');
        expect(((await admin.get(`/api/objects/Customer/${dora.data.id}`)).body as { data: { postcode: string } }).data.postcode).toBe('4321 XY');
        expect(((await admin.get(`/api/objects/Customer/${cust.data.id}`)).body as { data: { postcode: string | null } }).data.postcode).not.toBe('4321 XY');
        const other = new ApiClient(asm.url);
        await other.login('admin', PW);
        expect((await other.get(`/api/scripts/sessions/${s.sessionId}`)).status).toBe(403);
        expect((await agent.post(`/api/contacts/${contact.id}/wrap-up`, { code: 'bogus' })).status).toBe(400);
        const soon = (ms: number): string => new Date(Date.now() + ms).toISOString();
        expect((await agent.post(`/api/contacts/${contact.id}/callback`, { at: soon(-60_000) })).status).toBe(400);
        expect((await agent.post(`/api/contacts/${contact.id}/callback`, { at: soon(31 * 86_400_000) })).status).toBe(400);
        expect((await agent.post(`/api/contacts/${contact.id}/callback`, { at: 'tomorrow' })).status).toBe(400);
        expect((await agent.post(`/api/contacts/${contact.id}/callback`, { at: soon(3_600_000), number: '<script>' })).status).toBe(400);
        expect((await agent.post(`/api/contacts/${contact.id}/callback`, { at: soon(3_600_000), extra: 1 })).status).toBe(400);
        expect((await agent.post('/api/contacts/nope/callback', { at: soon(3_600_000) })).status).toBe(404);
        const visitorCb = await new ApiClient(asm.url).post(`/api/contacts/${contact.id}/callback`, { at: soon(3_600_000) });
        expect([401, 403]).toContain(visitorCb.status);
        const cb = await agent.post(`/api/contacts/${contact.id}/callback`, { at: soon(3_600_000), note: 'after the repair' });
        expect(cb.status).toBe(201);
        const cbBody = cb.body as { callbackId: string; queueId: string; number: string };
        expect(cbBody).toMatchObject({ queueId: 'support', number: '+3212345678' });
        expect(asm.comms.scheduledCallbacks().find((c) => c.id === cbBody.callbackId)?.data).toMatchObject({ originalContactId: contact.id, scheduledBy: 'user:anna', note: 'after the repair' });
        await asm.comms.cancelScheduledCallback(cbBody.callbackId);
        const w = await agent.post(`/api/contacts/${contact.id}/wrap-up`, { code: 'solved', notes: 'Power fault logged', object: 'Customer', recordId: cust.data.id });
        expect((w.body as { agent: { state: string } }).agent.state).toBe('ready');
        const disposition = (await asm.events.read({ contactId: contact.id })).filter((e) => e.kind === 'disposition');
        expect(disposition).toEqual([expect.objectContaining({ agentId: 'anna', queueId: 'support', reason: 'solved', data: { note: 'Power fault logged', customer: { object: 'Customer', id: String(cust.data.id) } } })]);
        const again = await agent.post(`/api/contacts/${contact.id}/wrap-up`, { code: 'solved', notes: 'x'.repeat(2001) });
        expect(again.status).toBe(400);
        const stranger = await agent.post('/api/contacts/no-such-contact/wrap-up', { code: 'solved' });
        expect(stranger.status).toBe(409);
        expect((stranger.body as { error: { code: string } }).error.code).toBe('CARUSO_COMMS_CONTACT_STATE');
        expect((await supervisor.post(`/api/contacts/${contact.id}/wrap-up`, { code: 'solved' })).status).toBe(403);
        const t = (await agent.get(`/api/objects/Customer/${cust.data.id}/timeline`)).body as { entries: { kind: string; code?: string; notes?: string }[] };
        expect(t.entries.find((e) => e.kind === 'contact')).toMatchObject({ code: 'solved', notes: 'Power fault logged' });
        // One customer history: the wrap-up linked the contact's interaction record to the chosen customer
        // in the communication server, and the record's timeline shows that record (stamped by its clock).
        const [record] = await asm.comms.history('Customer', String(cust.data.id));
        expect(record).toMatchObject({ contactId: contact.id, channel: 'call', agentId: 'anna', disposition: 'solved', note: 'Power fault logged', outcome: 'completed' });
        expect(t.entries.find((e) => e.kind === 'contact')).toMatchObject({ contactId: contact.id, channel: 'call', actor: 'anna', at: new Date(record!.endedAt).toISOString() });
        expect(await asm.manager.get(StorageManager).hasTable('caruso_fo_interactions')).toBe(false);
        const wb = (await supervisor.get('/api/wallboard')).body as { agents: Record<string, number>; queues: { queueId: string }[] };
        expect(wb.agents['ready']).toBe(1);
        expect(wb.queues.map((q) => q.queueId)).toEqual(['support']);
        expect((await agent.get('/api/wallboard')).status).toBe(403);
      });

      it('lets a visitor run only their own self-service session, go back and ask for an agent with the answers', async () => {
        const visitor = new ApiClient(asm.url);
        const s = (await visitor.post('/api/self-service/meter/sessions')).body as { sessionId: string; step: { node: string } };
        expect(s.step.node).toBe('meter');
        expect((await visitor.get('/api/objects/Customer')).status).toBe(403);
        await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: '12345' });
        const b = (await visitor.post(`/api/self-service/sessions/${s.sessionId}/back`)).body as { step: { node: string } };
        expect(b.step.node).toBe('meter');
        await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: '12345' });
        const stranger = new ApiClient(asm.url);
        await stranger.post('/api/self-service/meter/sessions');
        expect((await stranger.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: '1' })).status).toBe(404);
        expect((await visitor.post(`/api/self-service/sessions/${s.sessionId}/agent`, { channel: 'callback' })).status).toBe(400);
        const h = await visitor.post(`/api/self-service/sessions/${s.sessionId}/agent`, { channel: 'chat' });
        expect(h.status).toBe(201);
        const c = asm.comms.contact((h.body as { contactId: string }).contactId);
        expect(c?.data).toMatchObject({ selfService: 'meter', answers: { meter: '12345' } });
        expect((await visitor.post('/api/self-service/nowhere/sessions')).status).toBe(404);
      });
    });

    describe('pages and OpenAPI', () => {
      it('serves the OpenAPI document cut to the role', async () => {
        const doc = (await agent.get('/api/openapi.json')).body as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
        expect(doc.openapi).toBe('3.1.0');
        expect(Object.keys(doc.paths['/api/objects/Customer/{id}']!)).toEqual(['get', 'patch']);
        expect(doc.components.schemas['Customer']!.properties).not.toHaveProperty('creditScore');
        expect((await new ApiClient(asm.url).get('/api/openapi.json')).status).toBe(401);
      });

      it('documents every route with a summary, the roles that may call it, its answers, and the house error body for each error status', () => {
        type Op = { summary?: string; 'x-roles'?: string[]; responses: Record<string, { description?: string; content?: Record<string, { schema?: { required?: string[]; properties?: { error?: { required?: string[] } } } }> }> };
        const doc = asm.openApi() as { paths: Record<string, Record<string, Op>> };
        const problems: string[] = [];
        let operations = 0;
        for (const [path, item] of Object.entries(doc.paths)) {
          for (const [method, op] of Object.entries(item)) {
            operations++;
            const at = `${method.toUpperCase()} ${path}`;
            if (!op.summary) problems.push(`${at}: no summary`);
            if (!op['x-roles']?.length) problems.push(`${at}: no roles (the route has no schema)`);
            const statuses = Object.keys(op.responses);
            if (!statuses.some((st) => st.startsWith('2') || st.startsWith('3'))) problems.push(`${at}: no success answer`);
            for (const st of statuses) {
              const r = op.responses[st]!;
              if (!r.description) problems.push(`${at} ${st}: no description`);
              if (Number(st) >= 400) {
                const schema = r.content?.['application/json']?.schema;
                if (!schema?.required?.includes('error') || !schema.properties?.error?.required?.includes('code')) problems.push(`${at} ${st}: not the house error body`);
              }
            }
          }
        }
        expect(problems).toEqual([]);
        expect(operations).toBeGreaterThan(57);
      });

      it('serves pages with a strict content security policy and unknown paths as coded 404s', async () => {
        const r = await new ApiClient(asm.url).get('/login');
        expect(r.status).toBe(200);
        expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
        expect(r.body).not.toMatch(/<script>/);
        const nf = await agent.get('/api/nothing');
        expect(nf.body).toMatchObject({ error: { code: 'CARUSO_FRONTOFFICE_NOT_FOUND' } });
        expect((await agent.get('/assets/../package.json')).status).toBe(404);
      });
    });

    describe('error answers in the house shape', () => {
      /** One raw HTTP exchange: node's parser answers some requests before fastify does. */
      const raw = (request: string): Promise<{ status: number; body: unknown }> =>
        new Promise((resolve, reject) => {
          const { hostname, port } = new URL(asm.url);
          const socket = connect(Number(port), hostname, () => socket.end(request));
          let text = '';
          socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
          socket.on('error', reject);
          socket.on('close', () => {
            const [head = '', body = ''] = text.split('\r\n\r\n');
            resolve({ status: Number(head.split(' ')[1]), body: body === '' ? '' : (JSON.parse(body) as unknown) });
          });
        });

      it('answers a request line and headers over the limit with 431 and the house error body', async () => {
        const r = await raw(`GET /api/session?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
        expect(r).toEqual({ status: 431, body: { error: { code: 'CARUSO_FRONTOFFICE_HEADERS_TOO_LARGE', message: 'the request line and headers are larger than 16384 bytes' } } });
        const h = await raw(`GET /api/session HTTP/1.1\r\nHost: localhost\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`);
        expect(h.status).toBe(431);
        expect(h.body).toMatchObject({ error: { code: 'CARUSO_FRONTOFFICE_HEADERS_TOO_LARGE' } });
      });

      it('answers bytes that are no HTTP with 400 and the house error body', async () => {
        expect(await raw('HELLO THERE\r\n\r\n')).toEqual({ status: 400, body: { error: { code: 'CARUSO_FRONTOFFICE_BAD_REQUEST', message: 'bad request: the request is not valid HTTP' } } });
      });

      it('answers a path parameter over the limit with 414 and a bad URL with 400, both in the house shape', async () => {
        const long = await agent.get(`/api/objects/Customer/${'9'.repeat(150)}`);
        expect(long.status).toBe(414);
        expect(long.body).toEqual({ error: { code: 'CARUSO_FRONTOFFICE_URI_TOO_LONG', message: 'a path parameter is longer than 100 characters' } });
        const bad = await agent.get('/api/objects/%E0%A4%A');
        expect(bad.status).toBe(400);
        expect(bad.body).toMatchObject({ error: { code: 'CARUSO_FRONTOFFICE_BAD_REQUEST' } });
      });

      it('answers a body or query that breaks the route\'s schema with 400 naming the field, and a method a path lacks with 404', async () => {
        const wrongType = await agent.post('/api/agent/pause', { reason: 7 });
        expect(wrongType.status).toBe(400);
        expect(wrongType.body).toEqual({ error: { code: 'CARUSO_FRONTOFFICE_BAD_REQUEST', message: 'bad request: the body: reason must be string', details: { in: 'body', field: 'reason' } } });
        const missing = await admin.post('/api/users', { name: 'x' });
        expect(missing.body).toMatchObject({ error: { code: 'CARUSO_FRONTOFFICE_BAD_REQUEST', details: { in: 'body', field: 'role' } } });
        const extra = await agent.post('/api/agent/pause', { reason: 'lunch', why: 'hungry', when: 'now' });
        expect(extra.body).toEqual({ error: { code: 'CARUSO_FRONTOFFICE_BAD_REQUEST', message: 'bad request: unknown properties why, when; allowed: reason', details: { unknown: ['why', 'when'] } } });
        const query = await agent.get('/api/callbacks?mine=perhaps');
        expect(query.body).toMatchObject({ error: { code: 'CARUSO_FRONTOFFICE_BAD_REQUEST', details: { in: 'query', field: 'mine' } } });
        const method = await agent.request('PUT', '/api/session', {});
        expect(method.status).toBe(404);
        expect(method.body).toMatchObject({ error: { code: 'CARUSO_FRONTOFFICE_NOT_FOUND', message: 'PUT /api/session not found' } });
      });
    });

    describe('REST contract', () => {
      it('answers every request of this suite as its OpenAPI document says (status, content type, body)', () => {
        expectAllDocumented(asm);
      });
    });
  });
});
