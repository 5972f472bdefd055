import { StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, startTestAssembly, type TestAssembly, type TestAssemblyOptions } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function options(db: string, server: TestAssemblyOptions['server'] = {}): TestAssemblyOptions {
  return {
    db,
    model: fixturePath('crm.model.xml'),
    application: fixturePath('crm.app.xml'),
    scripts: fixturePath('scripts'),
    agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
    users: [
      { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
      { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
    ],
    server,
  };
}

async function sessionRows(asm: TestAssembly): Promise<Record<string, unknown>[]> {
  return (await asm.manager.get(StorageManager).knex('caruso_fo_sessions').select('*')) as Record<string, unknown>[];
}

describe('front-office sessions kept in the database', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly | undefined;
    afterEach(async () => {
      await asm?.stop();
      asm = undefined;
    });

    it('keeps staff and visitors logged in across a restart; logging out revokes the session for good', async () => {
      const url = await db.freshDatabase();
      asm = await startTestAssembly(options(url));
      const anna = new ApiClient(asm.url);
      const login = await anna.login('anna', PW);
      expect(login.status).toBe(200);
      const token = /caruso_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
      const csrf = anna.csrf;
      const visitor = new ApiClient(asm.url);
      const ss = (await visitor.post('/api/self-service/meter/sessions')).body as { sessionId: string };
      expect((await visitor.post(`/api/self-service/sessions/${ss.sessionId}/answer`, { value: '123456' })).status).toBe(200);
      // Only digests are stored, never the token itself.
      const rows = await sessionRows(asm);
      expect(rows.map((r) => r['name']).sort()).toEqual(['anna', expect.stringMatching(/^visitor:/)]);
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows.find((r) => r['kind'] === 'visitor')!['script_sessions']).toBe(JSON.stringify([ss.sessionId]));

      // A session that expires while the front office is down is gone after the start.
      await asm.manager.get(StorageManager).knex('caruso_fo_sessions').insert({ token_digest: 'expired-digest', kind: 'user', name: 'sam', role: 'supervisor', agent_id: null, csrf: 'x', script_sessions: '[]', expires_at: Date.now() + 50, created_at: new Date().toISOString() });
      await asm.stop();
      await sleep(60);
      asm = await startTestAssembly(options(url));
      expect((await sessionRows(asm)).map((r) => r['token_digest'])).not.toContain('expired-digest');
      const anna2 = anna.withBase(asm.url);
      expect((await anna2.get('/api/session')).body).toEqual({ user: { name: 'anna', role: 'agent', agentId: 'anna' }, csrf });
      // The CSRF token of the session is the same one: changes go through without a new log-in.
      expect(((await anna2.post('/api/agent/ready')).body as { agent: { state: string } }).agent.state).toBe('ready');
      const visitor2 = visitor.withBase(asm.url);
      expect(((await visitor2.get(`/api/self-service/sessions/${ss.sessionId}`)).body as { step: { node: string } }).step.node).toBe('reading');
      expect((await new ApiClient(asm.url).get(`/api/self-service/sessions/${ss.sessionId}`)).status).toBe(401);

      const stale = anna2.withBase(asm.url);
      expect((await anna2.delete('/api/session')).status).toBe(204);
      expect((await stale.get('/api/session')).status).toBe(401);
      expect((await stale.post('/api/agent/ready')).status).toBe(401);
      expect((await sessionRows(asm)).map((r) => r['name'])).not.toContain('anna');
      await asm.stop();
      asm = await startTestAssembly(options(url));
      expect((await stale.withBase(asm.url).get('/api/session')).status).toBe(401);
    }, 60_000);

    it('expires a session after the idle time (sliding while it is used) and deletes its row', async () => {
      asm = await startTestAssembly(options(await db.freshDatabase(), { sessionTtlMs: 1_500, sessionRevalidateMs: 0 }));
      const sam = new ApiClient(asm.url);
      expect((await sam.login('sam', PW)).status).toBe(200);
      await sleep(900);
      expect((await sam.get('/api/session')).status).toBe(200);
      await sleep(900);
      // 1.8 s after the log-in, but only 0.9 s after the last request.
      expect((await sam.get('/api/session')).status).toBe(200);
      await sleep(1_700);
      expect((await sam.get('/api/session')).status).toBe(401);
      expect(await sessionRows(asm)).toEqual([]);
    }, 30_000);

    it('sees a log-out made by another front-office process on the same database', async () => {
      const url = await db.freshDatabase();
      asm = await startTestAssembly(options(url, { sessionRevalidateMs: 0 }));
      const other = await startTestAssembly(options(url, { sessionRevalidateMs: 0 }));
      try {
        const anna = new ApiClient(asm.url);
        await anna.login('anna', PW);
        const there = anna.withBase(other.url);
        expect((await there.get('/api/session')).status).toBe(200);
        expect((await anna.delete('/api/session')).status).toBe(204);
        expect((await there.get('/api/session')).status).toBe(401);
      } finally {
        await other.stop();
      }
    }, 60_000);

    it('counts failed log-ins across front-office processes on the same database, and keeps no failure older than the window', async () => {
      const url = await db.freshDatabase();
      asm = await startTestAssembly(options(url, { maxLoginFailures: 3, loginWindowMs: 2_500 }));
      const other = await startTestAssembly(options(url, { maxLoginFailures: 3, loginWindowMs: 2_500 }));
      try {
        // Two failures here and one there: the third failure anywhere locks the name everywhere.
        const here = new ApiClient(asm.url);
        const there = new ApiClient(other.url);
        for (const c of [here, here, there]) expect((await c.login('anna', 'wrong password!')).status).toBe(401);
        expect((await here.login('anna', PW)).status).toBe(429);
        expect((await there.login('anna', PW)).status).toBe(429);
        // Another name is not locked by them.
        expect((await there.login('sam', PW)).status).toBe(200);
        const failures = async (key: string) => ((await asm!.manager.get(StorageManager).knex('caruso_fo_login_failures').where({ key }).select('key')) as unknown[]).length;
        expect(await failures('u:anna')).toBe(3);
        // Once the window has passed the name is free again, and the next failure clears the old rows.
        await sleep(2_700);
        expect((await there.login('anna', 'wrong password!')).status).toBe(401);
        expect(await failures('u:anna')).toBe(1);
        expect((await here.login('anna', PW)).status).toBe(200);
        expect(await failures('u:anna')).toBe(0);
      } finally {
        await other.stop();
      }
    }, 60_000);
  });
});
