import { jest } from '@jest/globals';
import { AccessList, createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { ChatChannel, CommunicationServer, chatChannel, commsService } from '@caruso/comms';
import { connect, type ChatClient } from './chat-helpers.js';

jest.setTimeout(20_000);

const access = new AccessList([
  { principal: 'anna', secret: 'anna-agent-token-0123456789' },
  { principal: 'bert', secret: 'bert-agent-token-0123456789' },
]);
const comms = {
  queues: [{ id: 'chat' }],
  agents: [
    { id: 'anna', queues: [{ queueId: 'chat' }], capacity: { chat: 3 } },
    { id: 'bert', queues: [{ queueId: 'chat', level: 0 }], capacity: { chat: 3 } },
  ],
};
const is = (type: string, extra: Record<string, unknown> = {}) => (f: Record<string, unknown>) => f['type'] === type && Object.entries(extra).every(([k, v]) => f[k] === v);

describe('web chat over real WebSockets', () => {
  forEachDatabase((db) => {
    let services: ServiceManager | undefined;
    const clients: ChatClient[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await services?.stop();
      services = undefined;
    });

    async function start(url: string) {
      const m = createServiceManager();
      m.register(StorageManager, storageService(url));
      m.register(CommunicationServer, commsService(comms));
      m.register(ChatChannel, chatChannel({ queueId: 'chat', port: 0, customerGraceMs: 200, agentGraceMs: 300, authenticateAgent: (t) => access.authenticate(t) }));
      await m.start();
      services = m;
      const chat = m.get(ChatChannel);
      return { chat, server: m.get(CommunicationServer), port: chat.address()!.port };
    }
    async function client(port: number, path: string, token?: string) {
      const c = await connect(port, path, token);
      clients.push(c);
      return c;
    }
    const events = async (contactId: string) =>
      (await services!.get(StorageManager).knex('caruso_contact_events').where({ contact_id: contactId }).orderBy('seq')).map((r: { kind: string; reason: string | null }) => [r.kind, r.reason ?? undefined]);

    it('links customer and agent on accept: messages with sent/delivered/read, typing, transcript; the customer leaving completes the contact', async () => {
      const { chat, server, port } = await start(await db.freshDatabase());
      await server.login('anna');
      const agent = await client(port, '/chat/agent', 'anna-agent-token-0123456789');
      await agent.next(is('welcome', { agentId: 'anna' }));

      const opened = await chat.openChat({ customerName: 'Ada', subject: 'invoice' });
      const customer = await client(port, '/chat/customer', opened.token);
      await customer.next(is('welcome', { chatId: opened.chatId }));
      // Written while waiting: stored and acknowledged, delivered once an agent joins.
      customer.send({ type: 'message', text: 'Hello, my invoice is wrong', clientId: 'c1' });
      expect(await customer.next(is('sent', { clientId: 'c1' }))).toMatchObject({ seq: 1 });

      const offer = await agent.next(is('offer', { chatId: opened.chatId }));
      expect(offer).toMatchObject({ customerName: 'Ada', subject: 'invoice' });
      agent.send({ type: 'accept', offerId: offer['offerId'] });
      const joined = await agent.next(is('joined', { chatId: opened.chatId }));
      expect((joined['transcript'] as { text: string }[]).map((m) => m.text)).toEqual(['Hello, my invoice is wrong']);
      await customer.next(is('connected', { agentId: 'anna' }));
      await customer.next(is('delivered', { upTo: 1 }));
      expect(server.agent('anna')).toMatchObject({ state: 'busy', contactIds: [opened.chatId] });

      agent.send({ type: 'typing', chatId: opened.chatId, typing: true });
      expect(await customer.next(is('typing'))).toMatchObject({ from: 'agent', typing: true });
      agent.send({ type: 'message', chatId: opened.chatId, text: 'Let me check that for you.', clientId: 'a1' });
      await agent.next(is('sent', { clientId: 'a1', seq: 2 }));
      expect(await customer.next(is('message', { seq: 2 }))).toMatchObject({ from: 'agent', agentId: 'anna', text: 'Let me check that for you.' });
      await agent.next(is('delivered', { upTo: 2 }));
      customer.send({ type: 'read', upTo: 2 });
      expect(await agent.next(is('read'))).toMatchObject({ by: 'customer', upTo: 2 });
      customer.send({ type: 'typing', typing: true });
      expect(await agent.next(is('typing'))).toMatchObject({ from: 'customer', typing: true });
      customer.send({ type: 'message', text: 'Thanks!' });
      expect(await agent.next(is('message', { seq: 3 }))).toMatchObject({ from: 'customer', text: 'Thanks!' });

      customer.send({ type: 'leave' });
      await agent.next(is('ended', { chatId: opened.chatId, reason: 'customer-left' }));
      expect(await customer.closed).toBe(1000);
      const transcript = await chat.transcript(opened.chatId);
      expect(transcript.map((m) => [m.seq, m.from, m.text, m.deliveredAt !== undefined])).toEqual([
        [1, 'customer', 'Hello, my invoice is wrong', true],
        [2, 'agent', 'Let me check that for you.', true],
        [3, 'customer', 'Thanks!', true],
      ]);
      expect(await chat.chat(opened.chatId)).toMatchObject({ state: 'ended', endReason: 'customer-left', agentId: 'anna', customerReadSeq: 2 });
      expect(await events(opened.chatId)).toEqual([['queue-entered', undefined], ['offered', undefined], ['connected', undefined], ['completed', 'caller']]);
      // The token of an ended chat no longer opens a socket.
      const late = await client(port, '/chat/customer', opened.token);
      await late.next(is('error', { code: 'CARUSO_COMMS_CHAT_AUTH_FAILED' }));
      expect(await late.closed).toBe(4401);
    });

    it('refuses unauthenticated sockets and bad frames, and keeps agents out of chats that are not theirs', async () => {
      const { chat, server, port } = await start(await db.freshDatabase());
      const noAuth = await client(port, '/chat/customer', 'not-a-token');
      await noAuth.next(is('error', { code: 'CARUSO_COMMS_CHAT_AUTH_FAILED' }));
      expect(await noAuth.closed).toBe(4401);
      const wrongAgent = await client(port, '/chat/agent', 'guessed-agent-token-000000');
      expect(await wrongAgent.closed).toBe(4401);
      const silent = await client(port, '/chat/agent');
      silent.send({ type: 'message', chatId: 'x', text: 'hi' });
      await silent.next(is('error', { code: 'CARUSO_COMMS_CHAT_AUTH_FAILED' }));
      expect(await silent.closed).toBe(4401);
      const elsewhere = await client(port, '/admin', 'anna-agent-token-0123456789');
      expect(await elsewhere.closed).toBe(4401);

      await server.login('anna');
      const anna = await client(port, '/chat/agent', 'anna-agent-token-0123456789');
      const bert = await client(port, '/chat/agent', 'bert-agent-token-0123456789');
      await anna.next(is('welcome'));
      await bert.next(is('welcome'));
      const opened = await chat.openChat();
      const customer = await client(port, '/chat/customer', opened.token);
      await customer.next(is('welcome'));
      const offer = await anna.next(is('offer'));
      anna.send({ type: 'accept', offerId: offer['offerId'] });
      await anna.next(is('joined'));
      bert.send({ type: 'message', chatId: opened.chatId, text: 'hijack', clientId: 'b1' });
      expect(await bert.next(is('error'))).toMatchObject({ code: 'CARUSO_COMMS_CHAT_FORBIDDEN', ref: 'b1' });
      customer.send({ type: 'message', text: '' });
      await customer.next(is('error', { code: 'CARUSO_COMMS_CHAT_INVALID_FRAME' }));
      customer.send({ type: 'message', text: 'x'.repeat(4_001) });
      await customer.next(is('error', { code: 'CARUSO_COMMS_CHAT_INVALID_FRAME' }));
      customer.send({ type: 'dance' });
      await customer.next(is('error', { code: 'CARUSO_COMMS_CHAT_INVALID_FRAME' }));
      customer.send({ type: 'read', upTo: 99 });
      await customer.next(is('error', { code: 'CARUSO_COMMS_CHAT_INVALID_FRAME' }));
      customer.send({ type: 'accept', offerId: offer['offerId'] });
      await customer.next(is('error', { code: 'CARUSO_COMMS_CHAT_FORBIDDEN' }));
      expect(await chat.transcript(opened.chatId)).toEqual([]);
      await expect(chat.openChat({ queueId: 'nowhere' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_UNKNOWN_QUEUE' });
      await expect(chat.openChat({ customerName: 'two\nlines' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_CHAT_INVALID_FRAME' });
    });

    it('ends with the right event when either side goes: agent leaves, customer gone while waiting, agent desk drops', async () => {
      const { chat, server, port } = await start(await db.freshDatabase());
      await server.login('anna');
      const anna = await client(port, '/chat/agent', 'anna-agent-token-0123456789');
      await anna.next(is('welcome'));

      // 1. The agent closes the chat.
      const a = await chat.openChat();
      const ca = await client(port, '/chat/customer', a.token);
      const offerA = await anna.next(is('offer', { chatId: a.chatId }));
      anna.send({ type: 'accept', offerId: offerA['offerId'] });
      await ca.next(is('connected'));
      anna.send({ type: 'leave', chatId: a.chatId });
      await ca.next(is('ended', { reason: 'agent-left' }));
      expect(await ca.closed).toBe(1000);
      expect((await events(a.chatId)).at(-1)).toEqual(['completed', 'agent']);

      // 2. A waiting customer closes the page and does not come back within the grace period.
      await server.pause('anna', 'lunch');
      const b = await chat.openChat();
      const cb = await client(port, '/chat/customer', b.token);
      await cb.next(is('welcome'));
      const ended = new Promise((resolve) => chat.onDidEnd((e) => e.chatId === b.chatId && resolve(e.reason)));
      cb.close();
      expect(await ended).toBe('customer-gone');
      expect((await events(b.chatId)).at(-1)).toEqual(['abandoned', undefined]);
      expect(server.waiting('chat')).toEqual([]);

      // 3. The agent's desk drops: the customer is not left alone, the chat goes back in line.
      await server.resume('anna');
      const c = await chat.openChat();
      const cc = await client(port, '/chat/customer', c.token);
      const offerC = await anna.next(is('offer', { chatId: c.chatId }));
      anna.send({ type: 'accept', offerId: offerC['offerId'] });
      await cc.next(is('connected'));
      // A reload within the grace period keeps the chat with the agent.
      anna.close();
      const back = await client(port, '/chat/agent', 'anna-agent-token-0123456789');
      expect(await back.next(is('welcome'))).toMatchObject({ chats: [c.chatId] });
      await new Promise((r) => setTimeout(r, 500));
      expect(server.contact(c.chatId)?.state).toBe('connected');
      // Gone for longer than the grace period: the chat goes back in line.
      back.close();
      await cc.next(is('requeued'));
      expect(server.contact(c.chatId)?.state).not.toBe('connected');
      expect((await events(c.chatId)).map((e) => e[0])).toContain('transferred');
      // A reloaded page comes back into its chat with the transcript.
      cc.send({ type: 'message', text: 'hello?' });
      await cc.next(is('sent'));
      const again = await client(port, '/chat/customer', c.token);
      const welcome = await again.next(is('welcome'));
      expect((welcome['transcript'] as { text: string }[]).map((m) => m.text)).toEqual(['hello?']);
    });

    it('keeps chats and transcripts across a restart: the customer reconnects and the chat waits in line again', async () => {
      const url = await db.freshDatabase();
      const first = await start(url);
      await first.server.login('anna');
      const anna = await client(first.port, '/chat/agent', 'anna-agent-token-0123456789');
      await anna.next(is('welcome'));
      const opened = await first.chat.openChat({ customerName: 'Ada' });
      const customer = await client(first.port, '/chat/customer', opened.token);
      const offer = await anna.next(is('offer'));
      anna.send({ type: 'accept', offerId: offer['offerId'] });
      await customer.next(is('connected'));
      customer.send({ type: 'message', text: 'before the restart', clientId: 'r1' });
      await customer.next(is('sent', { clientId: 'r1' }));
      await services!.stop();
      services = undefined;
      for (const c of clients.splice(0)) c.close();

      const second = await start(url);
      expect(second.server.waiting('chat').map((c) => c.id)).toEqual([opened.chatId]);
      const back = await client(second.port, '/chat/customer', opened.token);
      const welcome = await back.next(is('welcome'));
      expect(welcome).toMatchObject({ chatId: opened.chatId, agentId: null });
      expect((welcome['transcript'] as { text: string }[]).map((m) => m.text)).toEqual(['before the restart']);
      back.send({ type: 'message', text: 'after', clientId: 'r2' });
      expect(await back.next(is('sent', { clientId: 'r2' }))).toMatchObject({ seq: 2 });
    });

    it('a chat hung up and wrapped up from the desktop ends for the customer, stays ended when the desk closes, and never comes back after a restart', async () => {
      const url = await db.freshDatabase();
      const first = await start(url);
      await first.server.login('anna');
      const anna = await client(first.port, '/chat/agent', 'anna-agent-token-0123456789');
      await anna.next(is('welcome'));
      const opened = await first.chat.openChat({ customerName: 'Ada' });
      const customer = await client(first.port, '/chat/customer', opened.token);
      const offer = await anna.next(is('offer'));
      anna.send({ type: 'accept', offerId: offer['offerId'] });
      await customer.next(is('connected'));
      // The desktop's Hang up goes to the communication server, not to the chat socket.
      await first.server.hangUp(opened.chatId);
      await customer.next(is('ended', { reason: 'agent-left' }));
      await first.server.wrapUp('anna', opened.chatId, 'done');
      // The agent closes the browser: nothing goes back in line.
      anna.close();
      await new Promise((r) => setTimeout(r, 200));
      expect(first.server.waiting('chat')).toEqual([]);
      expect((await events(opened.chatId)).map((e) => e[0])).not.toContain('transferred');
      await services!.stop();
      services = undefined;
      for (const c of clients.splice(0)) c.close();

      const second = await start(url);
      expect(second.server.waiting('chat')).toEqual([]);
      expect(second.server.contact(opened.chatId)).toBeUndefined();
      expect((await events(opened.chatId)).filter((e) => e[0] === 'queue-entered')).toHaveLength(1);
      // The customer's token no longer opens the chat.
      const back = await client(second.port, '/chat/customer', opened.token);
      expect(await back.closed).toBe(4401);
    });
  });
});
