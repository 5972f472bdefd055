import { forEachDatabase } from '@caruso/storage/testing';
import { WebSocket } from 'ws';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';
const USERS = [
  { name: 'anna', role: 'agent' as const, agentId: 'anna', password: PW },
  { name: 'sam', role: 'supervisor' as const, agentId: undefined, password: PW },
];

interface Msg { readonly type: string; readonly topic?: string; readonly code?: string; readonly value?: unknown }

/** Opens a socket with the client's session cookie; resolves with the socket and a message queue, or the refusal status. */
function open(url: string, path: string, client?: ApiClient): Promise<{ ws: WebSocket; next: (pred: (m: Msg) => boolean) => Promise<Msg> } | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}${path}`, { headers: client ? { cookie: client.cookieHeader() } : {} });
    const seen: Msg[] = [];
    const waiters: { pred: (m: Msg) => boolean; done: (m: Msg) => void }[] = [];
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as Msg;
      seen.push(m);
      for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.done(m); }
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        next: (pred) => {
          const m = seen.find(pred);
          return m ? Promise.resolve(m) : new Promise((done) => waiters.push({ pred, done }));
        },
      }),
    );
  });
}

const loggedIn = (url: string, name: string): Promise<ApiClient> => loggedInClient(url, name, PW);

describe('front office /ws/monitor (the monitor hub on the front office server)', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
        users: USERS,
        monitor: { thresholdMs: 20_000 },
      });
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    it('gives a supervisor every topic and the wallboard says the monitor is there', async () => {
      const sam = await loggedIn(asm.url, 'sam');
      expect(((await sam.get('/api/wallboard')).body as { monitor: boolean }).monitor).toBe(true);
      const s = await open(asm.url, '/ws/monitor', sam);
      if (typeof s === 'number') throw new Error(`refused with ${s}`);
      s.ws.send(JSON.stringify({ type: 'subscribe', topic: 'center' }));
      expect((await s.next((m) => m.type === 'snapshot' || m.type === 'error')).type).toBe('snapshot');
      s.ws.close();
    });

    it('gives an agent only their own figures', async () => {
      const anna = await loggedIn(asm.url, 'anna');
      const s = await open(asm.url, '/ws/monitor', anna);
      if (typeof s === 'number') throw new Error(`refused with ${s}`);
      s.ws.send(JSON.stringify({ type: 'subscribe', topic: 'center' }));
      expect(await s.next((m) => m.type === 'error' || m.type === 'snapshot')).toMatchObject({ type: 'error', code: 'CARUSO_MONITOR_FORBIDDEN' });
      s.ws.send(JSON.stringify({ type: 'subscribe', topic: 'agent:anna' }));
      expect(await s.next((m) => m.type === 'snapshot')).toMatchObject({ topic: 'agent:anna' });
      s.ws.close();
    });

    it('refuses a socket without a session (401)', async () => {
      expect(await open(asm.url, '/ws/monitor')).toBe(401);
    });

    it('has no /ws/wallboard any more (the wallboard reads the monitor\'s topics)', async () => {
      const sam = await loggedIn(asm.url, 'sam');
      expect(await open(asm.url, '/ws/wallboard', sam)).toBe(404);
    });
  });
});

describe('front office without a monitor service', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
        users: USERS,
      });
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    it('answers 503 on /ws/monitor; the wallboard has no socket of its own, only its figures read once', async () => {
      const sam = await loggedIn(asm.url, 'sam');
      const wb = (await sam.get('/api/wallboard')).body as { monitor: boolean; waiting: number; agents: Record<string, number>; at: string };
      expect(wb).toMatchObject({ monitor: false, waiting: 0, agents: { 'logged-out': 1 } });
      expect(await open(asm.url, '/ws/monitor', sam)).toBe(503);
      // One live feed: the monitor's (it folds the contact event log); the polling /ws/wallboard is gone.
      expect(await open(asm.url, '/ws/wallboard', sam)).toBe(404);
    });
    it('answers 503 for e-mail and chat contacts when the assembly has no such channel', async () => {
      const sam = await loggedIn(asm.url, 'sam');
      const r = await sam.get('/api/contacts/email-1/email');
      expect(r.status).toBe(503);
      expect((r.body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_CHANNEL_UNAVAILABLE');
      expect((await sam.get('/api/contacts/chat-1/chat')).status).toBe(503);
      const anna = await loggedIn(asm.url, 'anna');
      expect(((await anna.get('/api/agent')).body as { channels: unknown }).channels).toEqual({ chat: false, email: false });
      expect(await open(asm.url, '/ws/chat', anna)).toBe(503);
    });
  });
});
