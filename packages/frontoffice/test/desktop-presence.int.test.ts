import { WebSocket } from 'ws';
import { forEachDatabase } from '@caruso/storage/testing';
import { loggedInClient, startTestAssembly, type ApiClient, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { until } from './smtp-helpers.js';
import { mustOpen, type TestSocket } from './ws-helpers.js';

const PW = 'correct horse battery';
/**
 * Short timers so that the rules show within a test: the defaults are 10 s, 10 s, 5 s and 120 s. The
 * reload grace stays well apart from the silence, so that a loaded machine cannot blur the two.
 */
const PRESENCE = { heartbeatMs: 100, silentMs: 500, readyGraceMs: 1_500, disconnectGraceMs: 3_500 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('agent presence follows the desktop (/ws/agent heartbeats, disconnect rules)', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly;
    let carl: ApiClient;
    let dana: ApiClient;
    const open: TestSocket[] = [];
    /** A desktop socket that sends its heartbeat as the page does. */
    const desktop = async (c: ApiClient): Promise<TestSocket> => {
      const s = await mustOpen(`${asm.url}/ws/agent`, c);
      open.push(s);
      const beat = setInterval(() => {
        if (s.ws.readyState === s.ws.OPEN) s.send({ type: 'ping' });
      }, PRESENCE.heartbeatMs);
      s.ws.once('close', () => clearInterval(beat));
      return s;
    };
    const agentEvents = async (agentId: string): Promise<{ state?: string; reason?: string }[]> =>
      (await asm.events.read()).filter((e) => e.kind === 'agent-state-changed' && (e as { agentId?: string }).agentId === agentId) as { state?: string; reason?: string }[];

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        queues: [{ id: 'support', wrapUpMs: 600_000 }],
        agents: [{ id: 'carl', queues: [{ queueId: 'support' }] }, { id: 'dana', queues: [{ queueId: 'support' }] }],
        users: [
          { name: 'carl', role: 'agent', agentId: 'carl', password: PW },
          { name: 'dana', role: 'agent', agentId: 'dana', password: PW },
        ],
        chat: { queueId: 'support', port: 0 },
        server: { presence: PRESENCE },
      });
      carl = await loggedInClient(asm.url, 'carl', PW);
      dana = await loggedInClient(asm.url, 'dana', PW);
    }, 60_000);

    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    afterAll(async () => {
      await asm?.stop();
    });

    it('answers the heartbeat, and tells the page when its desk changed', async () => {
      const s = await desktop(carl);
      expect(await s.next((f) => f.type === 'hello')).toMatchObject({ agent: { id: 'carl' } });
      s.send({ type: 'ping' });
      expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong', at: expect.any(Number) });
      expect(((await carl.get('/api/desktop')).body as { presence: unknown }).presence).toEqual({ heartbeatMs: 100, disconnectGraceMs: PRESENCE.disconnectGraceMs });
      await carl.post('/api/agent/ready');
      await s.next((f) => f.type === 'desktop-changed');
      const chat = await asm.chat!.openChat({ customerName: 'Eve' });
      const offer = await s.next((f) => f.type === 'offer' && (f['offer'] as { contactId: string }).contactId === chat.chatId);
      const seen = s.seen.length;
      await carl.post(`/api/agent/offers/${encodeURIComponent((offer['offer'] as { offerId: string }).offerId)}/accept`);
      await s.next((f) => f.type === 'desktop-changed' && s.seen.indexOf(f) >= seen);
      await carl.post(`/api/contacts/${chat.chatId}/hang-up`);
      await carl.post(`/api/contacts/${chat.chatId}/wrap-up`, { code: 'solved' });
      await carl.post('/api/agent/logout');
    }, 20_000);

    it('pauses a ready agent `disconnected` when the last desktop closes, not on a quick reload, and resumes on reconnect', async () => {
      await carl.post('/api/agent/ready');
      const first = await desktop(carl);
      const second = await desktop(carl);
      await first.close();
      await sleep(PRESENCE.readyGraceMs + 200);
      // Another tab still holds the desk.
      expect(asm.comms.agent('carl').state).toBe('ready');
      // A reload: the socket closes and a new one opens within the grace.
      await second.close();
      await sleep(50);
      const reloaded = await desktop(carl);
      await sleep(PRESENCE.readyGraceMs + 200);
      expect(asm.comms.agent('carl').state).toBe('ready');

      const closedAt = Date.now();
      await reloaded.close();
      await until(() => asm.comms.agent('carl').state === 'paused', 'carl paused', 3_000);
      expect(Date.now() - closedAt).toBeLessThan(PRESENCE.readyGraceMs + 1_000);
      expect(asm.comms.agent('carl').pauseReason).toBe('disconnected');
      // The contact event log records it (read once it is durable: the state changes before the write ends).
      const deadline = Date.now() + 3_000;
      let last = (await agentEvents('carl')).at(-1);
      while (last?.reason !== 'disconnected' && Date.now() < deadline) {
        await sleep(20);
        last = (await agentEvents('carl')).at(-1);
      }
      expect(last).toMatchObject({ state: 'paused', reason: 'disconnected' });

      await desktop(carl);
      await until(() => asm.comms.agent('carl').state === 'ready', 'carl ready again', 3_000);
      await carl.post('/api/agent/logout');
    }, 20_000);

    it('keeps a contact with its agent while the desktop is gone (the chat is not re-queued), then pauses after the longer grace', async () => {
      await dana.post('/api/agent/ready');
      const s = await desktop(dana);
      await s.next((f) => f.type === 'hello');
      const chat = await asm.chat!.openChat({ customerName: 'Fred' });
      const offer = await s.next((f) => f.type === 'offer' && (f['offer'] as { contactId: string }).contactId === chat.chatId);
      expect((await dana.post(`/api/agent/offers/${encodeURIComponent((offer['offer'] as { offerId: string }).offerId)}/accept`)).status).toBe(200);
      await s.close();
      await sleep(PRESENCE.readyGraceMs + 300);
      // Past the short grace: still busy with the chat, which stays connected to dana.
      expect(asm.comms.agent('dana')).toMatchObject({ state: 'busy', contactIds: [chat.chatId] });
      expect(asm.comms.contact(chat.chatId)).toMatchObject({ state: 'connected', agentIds: ['dana'] });
      // Past the long grace: paused `disconnected`, the chat still hers (nothing re-queued).
      await until(() => asm.comms.agent('dana').pauseReason === 'disconnected', 'dana paused disconnected', PRESENCE.disconnectGraceMs + 2_000);
      expect(asm.comms.contact(chat.chatId)).toMatchObject({ state: 'connected', agentIds: ['dana'] });
      expect((await asm.events.read({ contactId: chat.chatId })).map((e) => e.kind)).not.toContain('transferred');
      // Back: the pause ends and the contact is on the desk again.
      await desktop(dana);
      await until(() => asm.comms.agent('dana').pauseReason === undefined, 'dana resumed', 3_000);
      expect(asm.comms.agent('dana')).toMatchObject({ state: 'busy', contactIds: [chat.chatId] });
      const st = (await dana.get('/api/desktop')).body as { contacts: { id: string }[] };
      expect(st.contacts.map((c) => c.id)).toEqual([chat.chatId]);
      await dana.post(`/api/contacts/${chat.chatId}/hang-up`);
      await dana.post(`/api/contacts/${chat.chatId}/wrap-up`, { code: 'solved' });
      await dana.post('/api/agent/logout');
    }, 20_000);

    it('pauses a ready agent at once when their only desktop is dropped for its silence (no reload grace on top)', async () => {
      await carl.post('/api/agent/ready');
      // A laptop that went to sleep: the socket stays open but answers nothing.
      const silent = new WebSocket(`${asm.url.replace(/^http/, 'ws')}/ws/agent`, { headers: { cookie: carl.cookieHeader() }, autoPong: false });
      silent.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => silent.once('close', () => resolve(Date.now())));
      await new Promise<void>((resolve, reject) => {
        silent.once('open', () => resolve());
        silent.once('unexpected-response', () => reject(new Error('refused')));
      });
      const droppedAt = await closed;
      await until(() => asm.comms.agent('carl').state === 'paused', 'carl paused', 3_000);
      expect(asm.comms.agent('carl').pauseReason).toBe('disconnected');
      const deadline = Date.now() + 3_000;
      let last = (await agentEvents('carl')).at(-1) as { state?: string; reason?: string; at?: number } | undefined;
      while (last?.reason !== 'disconnected' && Date.now() < deadline) {
        await sleep(20);
        last = (await agentEvents('carl')).at(-1);
      }
      expect(last).toMatchObject({ state: 'paused', reason: 'disconnected' });
      // Paused when the server dropped the socket, not a reload's grace (1.5 s here) later.
      expect(last!.at! - droppedAt).toBeLessThan(PRESENCE.readyGraceMs - 500);
      await desktop(carl);
      await until(() => asm.comms.agent('carl').state === 'ready', 'carl ready again', 3_000);
      await carl.post('/api/agent/logout');
    }, 20_000);

    it('drops a socket without heartbeat (no frames, no pongs) and keeps one that beats', async () => {
      const beating = await desktop(carl);
      const silent = new WebSocket(`${asm.url.replace(/^http/, 'ws')}/ws/agent`, { headers: { cookie: carl.cookieHeader() }, autoPong: false });
      silent.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        silent.once('open', () => resolve());
        silent.once('unexpected-response', () => reject(new Error('refused')));
      });
      const openedAt = Date.now();
      await closed;
      expect(Date.now() - openedAt).toBeGreaterThanOrEqual(PRESENCE.silentMs - 50);
      expect(Date.now() - openedAt).toBeLessThan(PRESENCE.silentMs + 1_500);
      expect(beating.ws.readyState).toBe(WebSocket.OPEN);
    }, 20_000);
  });
});
