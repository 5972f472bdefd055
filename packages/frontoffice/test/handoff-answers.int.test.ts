// A self-service visitor's answers reach the agent: a chat hand-off starts the agent's desktop script
// with the visitor's answers (the agent does not ask again), and a callback asked for on the page is
// dialled at the number the visitor gave when an agent takes it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedTelephony, systemClock } from '@caruso/comms';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';

async function offerFor(client: ApiClient, contactId: string): Promise<string> {
  for (let i = 0; i < 250; i++) {
    const offers = ((await client.get('/api/agent')).body as { offers: { offerId: string; contactId: string }[] }).offers;
    const o = offers.find((x) => x.contactId === contactId);
    if (o) return o.offerId;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no offer of ${contactId}`);
}

describe('self-service answers reach the agent (SQLite, real HTTP)', () => {
  let dir: string;
  let asm: TestAssembly;
  let anna: ApiClient;
  const telephony = new SimulatedTelephony(systemClock);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-fo-handoff-'));
    asm = await startTestAssembly({
      db: `sqlite:${join(dir, 'fo.db')}`,
      model: fixturePath('crm.model.xml'),
      application: fixturePath('crm.app.xml'),
      scripts: fixturePath('scripts'),
      agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
      users: [{ name: 'anna', role: 'agent', agentId: 'anna', password: PW }],
      chat: { queueId: 'support', port: 0 },
      telephony,
    });
    anna = await loggedInClient(asm.url, 'anna', PW);
  }, 60_000);
  afterAll(async () => {
    await asm?.stop();
    telephony.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the agent’s script of a chat handed off from self-service with the visitor’s answers', async () => {
    const visitor = new ApiClient(asm.url);
    const ss = (await visitor.post('/api/self-service/meter/sessions')).body as { sessionId: string };
    await visitor.post(`/api/self-service/sessions/${ss.sessionId}/answer`, { value: '123456' });
    const h = await visitor.post(`/api/self-service/sessions/${ss.sessionId}/agent`, { channel: 'chat' });
    expect(h.status).toBe(201);
    const chatId = (h.body as { contactId: string }).contactId;
    await anna.post('/api/agent/ready');
    const offerId = await offerFor(anna, chatId);
    expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offerId)}/accept`)).status).toBe(200);
    const started = await anna.post('/api/scripts/sessions', { contactId: chatId });
    expect(started.status).toBe(201);
    const state = await asm.dialogue.state((started.body as { sessionId: string }).sessionId);
    expect(state.vars).toMatchObject({ meter: '123456', contactChannel: 'chat' });
    await anna.post(`/api/contacts/${chatId}/hang-up`);
    for (let i = 0; i < 250 && asm.comms.agent('anna').state !== 'wrap-up'; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await anna.post(`/api/contacts/${chatId}/wrap-up`, { code: 'solved', channel: 'chat' })).status).toBe(200);
  });

  it('joins the queue at the script’s hand-off, and the visitor’s request for an agent picks up that chat', async () => {
    // anna on a break: the chat waits in the queue.
    expect((await anna.post('/api/agent/pause', { reason: 'break' })).status).toBe(200);
    const visitor = new ApiClient(asm.url);
    const ss = (await visitor.post('/api/self-service/meter/sessions')).body as { sessionId: string };
    const before = asm.comms.waiting('support').length;
    let v = (await visitor.post(`/api/self-service/sessions/${ss.sessionId}/answer`, { value: '777777' })).body as { status: string; revision: number };
    v = (await visitor.post(`/api/self-service/sessions/${ss.sessionId}/answer`, { value: 1234, revision: v.revision })).body as { status: string; revision: number };
    expect(asm.comms.waiting('support')).toHaveLength(before);
    v = (await visitor.post(`/api/self-service/sessions/${ss.sessionId}/answer`, { value: false, revision: v.revision })).body as { status: string; revision: number };
    expect(v.status).toBe('handoff');
    // In line now, without a second request.
    const waiting = asm.comms.waiting('support').filter((c) => c.channel === 'chat');
    expect(waiting).toHaveLength(before + 1);
    const chatId = waiting.at(-1)!.id;
    // With the priority of the script's hand-off (priority="3"): ahead of ordinary chats.
    expect(waiting.at(-1)!.priority).toBe(3);
    const h = await visitor.post(`/api/self-service/sessions/${ss.sessionId}/agent`, { channel: 'chat' });
    expect(h.status).toBe(201);
    expect(h.body).toMatchObject({ contactId: chatId, channel: 'chat', chat: { token: expect.any(String), socket: '/ws/chat/customer' } });
    expect(asm.comms.waiting('support').filter((c) => c.channel === 'chat')).toHaveLength(before + 1);
    // Someone else's session id reaches nothing.
    const stranger = new ApiClient(asm.url);
    await stranger.post('/api/self-service/meter/sessions');
    expect((await stranger.post(`/api/self-service/sessions/${ss.sessionId}/agent`, { channel: 'chat' })).status).toBe(404);
    await asm.comms.exit(chatId, 'timeout').catch(() => undefined);
  });

  it('queues a callback asked for on the page with the number to dial, and dials it when the agent takes it', async () => {
    const visitor = new ApiClient(asm.url);
    const ss = (await visitor.post('/api/self-service/meter/sessions')).body as { sessionId: string };
    await visitor.post(`/api/self-service/sessions/${ss.sessionId}/answer`, { value: '654321' });
    const h = await visitor.post(`/api/self-service/sessions/${ss.sessionId}/agent`, { channel: 'callback', number: '+31 20 555 1234' });
    expect(h.status).toBe(201);
    const contactId = (h.body as { contactId: string }).contactId;
    expect(asm.comms.contact(contactId)).toMatchObject({ channel: 'callback', data: expect.objectContaining({ callbackNumber: '+31205551234', answers: expect.objectContaining({ meter: '654321' }) }) });
    // Once anna is free again the callback is offered to her; taking it dials the visitor's number.
    await anna.post('/api/agent/ready');
    const offerId = await offerFor(anna, contactId);
    expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offerId)}/accept`)).status).toBe(200);
    for (let i = 0; i < 250 && !telephony.dialled.includes('+31205551234'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(telephony.dialled).toContain('+31205551234');
  });
});
