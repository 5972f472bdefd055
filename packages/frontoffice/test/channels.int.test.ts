import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { sendMail, startRelay, until, type TestRelay } from './smtp-helpers.js';
import { mustOpen, openSocket } from './ws-helpers.js';
import { restContract } from './rest-contract.js';

const PW = 'correct horse battery';
const USERS = [
  { name: 'anna', role: 'agent' as const, agentId: 'anna', password: PW },
  { name: 'bob', role: 'agent' as const, agentId: 'bob', password: PW },
  { name: 'sam', role: 'supervisor' as const, agentId: undefined, password: PW },
];
const pdf = Buffer.from('%PDF-1.4 invoice 2026-117\n' + 'x'.repeat(2_000));

type Body = Record<string, unknown>;

const loggedIn = (url: string, name: string): Promise<ApiClient> => loggedInClient(url, name, PW);

async function offerFor(client: ApiClient, contactId: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const offers = ((await client.get('/api/agent')).body as { offers: { offerId: string; contactId: string }[] }).offers;
    const o = offers.find((x) => x.contactId === contactId);
    if (o) return o.offerId;
    if (Date.now() > deadline) throw new Error(`no offer of ${contactId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('e-mail and chat contacts answered from the agent desktop (real WebSocket, real SMTP on loopback)', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(async () => {
    await relay.close();
  });

  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: TestAssembly;
    let anna: ApiClient;
    let bob: ApiClient;
    let sam: ApiClient;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }, { id: 'bob', queues: [{ queueId: 'support' }] }],
        users: USERS,
        chat: { queueId: 'support', port: 0 },
        email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
        relay: { port: relay.port, from: 'Support <support@caruso.test>' },
      });
      anna = await loggedIn(asm.url, 'anna');
      bob = await loggedIn(asm.url, 'bob');
      sam = await loggedIn(asm.url, 'sam');
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    it('mounts the chat hub at /ws/chat for agents only: the agent sees the conversation, answers, and ends the chat', async () => {
      expect(((await anna.post('/api/agent/ready')).body as { channels: Body }).channels).toEqual({ chat: true, email: true });
      expect(await openSocket(`${asm.url}/ws/chat`)).toBe(401);
      expect(await openSocket(`${asm.url}/ws/chat`, sam)).toBe(403);
      expect(await openSocket(`${asm.url}/ws/chat`, anna, { origin: 'http://evil.example' })).toBe(403);
      const desk = await mustOpen(`${asm.url}/ws/chat`, anna);
      try {
        expect(await desk.next((f) => f.type === 'welcome')).toMatchObject({ role: 'agent', agentId: 'anna' });

        // The customer opens a chat on the web and writes before an agent has taken it.
        const opened = await asm.chat!.openChat({ customerName: 'Carla <b>Caller</b>', subject: 'Meter reading' });
        const customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
        try {
          customer.send({ type: 'auth', token: opened.token });
          await customer.next((f) => f.type === 'welcome');
          customer.send({ type: 'message', text: 'Hello, my meter shows 4711' });
          await customer.next((f) => f.type === 'sent');

          const offerId = await offerFor(anna, opened.chatId);
          await desk.next((f) => f.type === 'offer' && f['chatId'] === opened.chatId);
          const before = (await anna.get(`/api/contacts/${opened.chatId}/chat`)).body as { chat: Body; transcript: Body[] };
          expect(before.chat).toMatchObject({ chatId: opened.chatId, state: 'open', customerName: 'Carla <b>Caller</b>', subject: 'Meter reading', agentId: null });
          expect(before.transcript.map((m) => [m['from'], m['text']])).toEqual([['customer', 'Hello, my meter shows 4711']]);
          expect((await bob.get(`/api/contacts/${opened.chatId}/chat`)).status).toBe(404);

          expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offerId)}/accept`)).status).toBe(200);
          const joined = await desk.next((f) => f.type === 'joined' && f['chatId'] === opened.chatId);
          expect((joined['transcript'] as Body[]).map((m) => m['text'])).toEqual(['Hello, my meter shows 4711']);
          await customer.next((f) => f.type === 'connected');

          desk.send({ type: 'message', chatId: opened.chatId, text: 'Thank you, Carla. I note 4711.', clientId: 'c1' });
          expect(await desk.next((f) => f.type === 'sent' && f['clientId'] === 'c1')).toMatchObject({ seq: 2 });
          expect(await customer.next((f) => f.type === 'message' && f['from'] === 'agent')).toMatchObject({ text: 'Thank you, Carla. I note 4711.', agentId: 'anna' });
          customer.send({ type: 'message', text: 'Great, bye' });
          expect(await desk.next((f) => f.type === 'message' && f['from'] === 'customer' && f['seq'] === 3)).toMatchObject({ text: 'Great, bye' });
          // bob's desk cannot write into anna's chat.
          const other = await mustOpen(`${asm.url}/ws/chat`, bob);
          other.send({ type: 'message', chatId: opened.chatId, text: 'intruder' });
          expect(await other.next((f) => f.type === 'error')).toMatchObject({ code: 'CARUSO_COMMS_CHAT_FORBIDDEN' });
          await other.close();

          desk.send({ type: 'leave', chatId: opened.chatId });
          expect(await customer.next((f) => f.type === 'ended')).toMatchObject({ reason: 'agent-left' });
          await until(() => asm.comms.agent('anna').state === 'wrap-up', 'anna in wrap-up');
          const after = (await sam.get(`/api/contacts/${opened.chatId}/chat`)).body as { chat: Body; transcript: Body[] };
          expect(after.chat).toMatchObject({ state: 'ended', agentId: 'anna' });
          expect(after.transcript.map((m) => m['from'])).toEqual(['customer', 'agent', 'customer']);
          const w = await anna.post(`/api/contacts/${opened.chatId}/wrap-up`, { code: 'solved', channel: 'chat' });
          expect((w.body as { agent: { state: string } }).agent.state).toBe('ready');
        } finally {
          await customer.close();
        }
      } finally {
        await desk.close();
      }
    });

    it('hands a self-service visitor off into a real chat on /ws/chat/customer; the agent sees the answers and chats with them', async () => {
      await anna.post('/api/agent/ready');
      const visitor = new ApiClient(asm.url);
      const ss = (await visitor.post('/api/self-service/meter/sessions')).body as { sessionId: string };
      await visitor.post(`/api/self-service/sessions/${ss.sessionId}/answer`, { value: '123456' });
      const h = await visitor.post(`/api/self-service/sessions/${ss.sessionId}/agent`, { channel: 'chat' });
      expect(h.status).toBe(201);
      const handoff = h.body as { contactId: string; channel: string; chat: { token: string; socket: string } };
      expect(handoff).toMatchObject({ channel: 'chat', chat: { socket: '/ws/chat/customer', token: expect.any(String) } });

      // Only this visitor, with this chat's token, reaches it.
      expect(await openSocket(`${asm.url}/ws/chat/customer`)).toBe(401);
      expect(await openSocket(`${asm.url}/ws/chat/customer`, anna)).toBe(401);
      const stranger = new ApiClient(asm.url);
      await stranger.post('/api/self-service/meter/sessions');
      const s2 = await mustOpen(`${asm.url}/ws/chat/customer`, stranger);
      s2.send({ type: 'auth', token: handoff.chat.token });
      expect(await s2.next((f) => f.type === 'error')).toMatchObject({ code: 'CARUSO_COMMS_CHAT_AUTH_FAILED' });
      await s2.close();

      const customer = await mustOpen(`${asm.url}/ws/chat/customer`, visitor);
      const desk = await mustOpen(`${asm.url}/ws/chat`, anna);
      try {
        customer.send({ type: 'auth', token: handoff.chat.token });
        customer.send({ type: 'message', text: 'Hi, about my meter reading' });
        expect(await customer.next((f) => f.type === 'welcome')).toMatchObject({ role: 'customer', chatId: handoff.contactId });
        await customer.next((f) => f.type === 'sent');
        const offerId = await offerFor(anna, handoff.contactId);
        const pop = (await anna.get(`/api/contacts/${handoff.contactId}`)).body as { handoff: { selfService: string; answers: Body } };
        expect(pop.handoff).toMatchObject({ selfService: 'meter', answers: { meter: '123456' } });
        expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offerId)}/accept`)).status).toBe(200);
        const joined = await desk.next((f) => f.type === 'joined' && f['chatId'] === handoff.contactId);
        expect((joined['transcript'] as Body[]).map((m) => m['text'])).toEqual(['Hi, about my meter reading']);
        desk.send({ type: 'message', chatId: handoff.contactId, text: 'I see 123456, what does it show?' });
        expect(await customer.next((f) => f.type === 'message' && f['from'] === 'agent')).toMatchObject({ text: 'I see 123456, what does it show?' });
        customer.send({ type: 'leave' });
        expect(await desk.next((f) => f.type === 'ended' && f['chatId'] === handoff.contactId)).toMatchObject({ reason: 'customer-left' });
        await until(() => asm.comms.agent('anna').state === 'wrap-up', 'anna in wrap-up');
        expect((await anna.post(`/api/contacts/${handoff.contactId}/wrap-up`, { code: 'solved', channel: 'chat' })).status).toBe(200);
      } finally {
        await customer.close();
        await desk.close();
      }
    });

    it('shows an e-mail contact with its attachments and sends the agent reply through the relay, threaded', async () => {
      await anna.post('/api/agent/ready');
      const sentBefore = relay.received.length;
      const messageId = await sendMail(asm.email!.address()!.port, {
        from: 'Ada Lovelace <ada@example.org>',
        to: 'support@caruso.test',
        subject: 'Invoice 2026-117 is wrong',
        text: 'Dear support,\nthe invoice counts 4711 kWh twice.\nAda',
        attachments: [
          { filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' },
          { filename: 'note.html', content: '<script>alert(1)</script>', contentType: 'text/html' },
        ],
      });
      const contactId = await (async () => {
        const deadline = Date.now() + 5_000;
        for (;;) {
          const o = ((await anna.get('/api/agent')).body as { offers: { contactId: string; channel: string }[] }).offers.find((x) => x.channel === 'email');
          if (o) return o.contactId;
          if (Date.now() > deadline) throw new Error('no e-mail offer');
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const contact = (await anna.get(`/api/contacts/${contactId}`)).body as { contact: Body };
      expect(contact.contact).toMatchObject({ channel: 'email', address: 'ada@example.org' });

      const thread = (await anna.get(`/api/contacts/${contactId}/email`)).body as { messages: Body[] };
      expect(thread.messages).toHaveLength(1);
      const first = thread.messages[0]!;
      expect(first).toMatchObject({ direction: 'inbound', messageId, from: 'ada@example.org', to: ['support@caruso.test'], subject: 'Invoice 2026-117 is wrong', text: 'Dear support,\nthe invoice counts 4711 kWh twice.\nAda' });
      const atts = first['attachments'] as { id: string; filename: string; contentType: string; size: number; href: string }[];
      expect(atts.map((a) => [a.filename, a.contentType, a.size])).toEqual([
        ['invoice.pdf', 'application/pdf', pdf.length],
        ['note.html', 'text/html', 25],
      ]);
      // Attachments are downloads, never rendered on the front office's origin.
      const dl = await fetch(`${asm.url}${atts[0]!.href}`, { headers: { cookie: anna.cookieHeader() } });
      expect(dl.status).toBe(200);
      expect(dl.headers.get('content-type')).toBe('application/octet-stream');
      expect(dl.headers.get('content-disposition')).toBe("attachment; filename=\"download\"; filename*=UTF-8''invoice.pdf");
      expect(Buffer.from(await dl.arrayBuffer()).equals(pdf)).toBe(true);
      const html = await fetch(`${asm.url}${atts[1]!.href}`, { headers: { cookie: anna.cookieHeader() } });
      expect(html.headers.get('content-type')).toBe('application/octet-stream');
      expect((await anna.get(`/api/contacts/${contactId}/email/attachments/not-an-attachment`)).status).toBe(404);
      expect((await bob.get(`/api/contacts/${contactId}/email`)).status).toBe(404);
      expect((await bob.get(atts[0]!.href)).status).toBe(404);
      expect((await sam.get(`/api/contacts/${contactId}/email`)).status).toBe(200);

      // No reply before the offer is accepted, none from a supervisor, none empty or with unknown fields.
      expect((await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'too early' })).status).toBe(404);
      const offerId = await offerFor(anna, contactId);
      expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offerId)}/accept`)).status).toBe(200);
      expect((await sam.post(`/api/contacts/${contactId}/email/reply`, { text: 'x' })).status).toBe(403);
      expect((await anna.post(`/api/contacts/${contactId}/email/reply`, { text: '   ' })).status).toBe(400);
      expect((await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'x', bcc: 'eve@example.org' })).status).toBe(400);
      expect((await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'x'.repeat(20_001) })).status).toBe(400);
      expect(relay.received.length).toBe(sentBefore);

      const r = await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'Dear Ada,\nwe corrected the invoice.\nAnna' });
      expect(r.status).toBe(201);
      const sent = (r.body as { message: Body; accepted: string[] });
      expect(sent.accepted).toEqual(['ada@example.org']);
      expect(sent.message).toMatchObject({ direction: 'outbound', inReplyTo: messageId, references: [messageId], subject: 'Re: Invoice 2026-117 is wrong', to: ['ada@example.org'] });
      await relay.waitFor(sentBefore + 1);
      const out = relay.received[sentBefore]!;
      expect(out.rcptTo).toEqual(['ada@example.org']);
      expect(out.parsed.subject).toBe('Re: Invoice 2026-117 is wrong');
      expect(out.parsed.inReplyTo).toBe(messageId);
      expect([out.parsed.references].flat()).toEqual([messageId]);
      expect(out.parsed.text?.trim()).toBe('Dear Ada,\nwe corrected the invoice.\nAnna');
      expect(((await anna.get(`/api/contacts/${contactId}/email`)).body as { messages: Body[] }).messages.map((m) => m['direction'])).toEqual(['inbound', 'outbound']);

      expect((await anna.post(`/api/contacts/${contactId}/hang-up`)).status).toBe(200);
      expect(asm.comms.agent('anna').state).toBe('wrap-up');
      const w = await anna.post(`/api/contacts/${contactId}/wrap-up`, { code: 'solved', channel: 'email' });
      expect((w.body as { agent: { state: string } }).agent.state).toBe('ready');
    });

    describe('REST contract', () => {
      it('answers every request of this suite as its OpenAPI document says (status, content type, body)', () => {
        expectAllDocumented(asm);
      });
    });
  });
});
