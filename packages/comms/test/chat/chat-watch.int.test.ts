import { jest } from '@jest/globals';
import { AccessList, createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { ChatChannel, CommunicationServer, chatChannel, commsService } from '@caruso/comms';
import { connect, type ChatClient } from '../chat-helpers.js';

jest.setTimeout(20_000);

type WatchFrame = Parameters<Parameters<ChatChannel['watch']>[1]>[0];

const access = new AccessList([{ principal: 'anna', secret: 'anna-agent-token-0123456789' }]);
const is = (type: string, extra: Record<string, unknown> = {}) => (f: Record<string, unknown>) => f['type'] === type && Object.entries(extra).every(([k, v]) => f[k] === v);

/** Waits (bounded) until `pred` holds for one of `frames`. */
async function until(frames: readonly WatchFrame[], pred: (f: WatchFrame) => boolean): Promise<WatchFrame> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const f = frames.find(pred);
    if (f) return f;
    if (Date.now() > deadline) throw new Error(`no matching watch frame; got ${JSON.stringify(frames)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ChatChannel watch and private notes (real WebSockets)', () => {
  forEachDatabase((db) => {
    let services: ServiceManager | undefined;
    const clients: ChatClient[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await services?.stop();
      services = undefined;
    });

    async function start() {
      const m = createServiceManager();
      m.register(StorageManager, storageService(await db.freshDatabase()));
      m.register(CommunicationServer, commsService({ queues: [{ id: 'chat' }], agents: [{ id: 'anna', queues: [{ queueId: 'chat' }], capacity: { chat: 3 } }] }));
      m.register(ChatChannel, chatChannel({ queueId: 'chat', port: 0, authenticateAgent: (t) => access.authenticate(t) }));
      await m.start();
      services = m;
      const chat = m.get(ChatChannel);
      const port = chat.address()!.port;
      const client = async (path: string, token: string) => {
        const c = await connect(port, path, token);
        clients.push(c);
        return c;
      };
      return { chat, server: m.get(CommunicationServer), client };
    }

    it('a watcher sees both sides as they are stored; a note reaches the agent and the watcher, never the customer', async () => {
      const { chat, server, client } = await start();
      await server.login('anna');
      const agent = await client('/chat/agent', 'anna-agent-token-0123456789');
      await agent.next(is('welcome'));
      const opened = await chat.openChat({ customerName: 'Ada' });
      const customer = await client('/chat/customer', opened.token);
      await customer.next(is('welcome'));

      const seen: WatchFrame[] = [];
      const watching = chat.watch(opened.chatId, (f) => seen.push(f));
      // One listener that throws does not keep the frames from the others.
      const broken = chat.watch(opened.chatId, () => {
        throw new Error('a broken page');
      });
      customer.send({ type: 'message', text: 'My card number is on the letter' });
      const offer = await agent.next(is('offer', { chatId: opened.chatId }));
      agent.send({ type: 'accept', offerId: offer['offerId'] });
      await agent.next(is('joined'));
      expect(await until(seen, (f) => f.type === 'connected')).toMatchObject({ chatId: opened.chatId, agentId: 'anna' });
      agent.send({ type: 'message', chatId: opened.chatId, text: 'Thank you, one moment' });
      await customer.next(is('message', { from: 'agent' }));
      await until(seen, (f) => f.type === 'message' && f.from === 'agent');
      expect(seen.filter((f) => f.type === 'message').map((f) => f.type === 'message' && [f.seq, f.from, f.text])).toEqual([
        [1, 'customer', 'My card number is on the letter'],
        [2, 'agent', 'Thank you, one moment'],
      ]);

      expect(chat.deliverNote({ chatId: opened.chatId, id: '77', from: 'sam', text: 'Ask for the customer number instead', at: 1_000 })).toBe(1);
      expect(await agent.next(is('note', { chatId: opened.chatId }))).toMatchObject({ private: true, id: '77', from: 'sam', text: 'Ask for the customer number instead' });
      expect(await until(seen, (f) => f.type === 'note')).toMatchObject({ private: true, from: 'sam' });
      // The customer's window: a message after the note arrives, the note never did.
      agent.send({ type: 'message', chatId: opened.chatId, text: 'May I have your customer number?' });
      await customer.next(is('message', { seq: 3 }));
      expect(customer.frames.some((f) => f['type'] === 'note' || JSON.stringify(f).includes('Ask for the customer number'))).toBe(false);
      // A note is no chat message: the transcript has the three messages only.
      expect((await chat.transcript(opened.chatId)).map((m) => m.seq)).toEqual([1, 2, 3]);

      broken.dispose();
      customer.send({ type: 'leave' });
      expect(await until(seen, (f) => f.type === 'ended')).toMatchObject({ reason: 'customer-left' });
      watching.dispose();
      // An ended (or unknown) chat cannot be watched or noted.
      expect(() => chat.watch(opened.chatId, () => undefined)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_CHAT_UNKNOWN_CHAT' }));
      expect(() => chat.deliverNote({ chatId: 'chat-nope', id: '1', from: 'sam', text: 'x', at: 1 })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_CHAT_UNKNOWN_CHAT' }));
    });

    it('stops sending to a watcher once it is disposed', async () => {
      const { chat, client } = await start();
      const opened = await chat.openChat({ customerName: 'Bo' });
      const customer = await client('/chat/customer', opened.token);
      await customer.next(is('welcome'));
      const seen: WatchFrame[] = [];
      const w = chat.watch(opened.chatId, (f) => seen.push(f));
      customer.send({ type: 'message', text: 'one' });
      await until(seen, (f) => f.type === 'message');
      w.dispose();
      customer.send({ type: 'message', text: 'two' });
      await customer.next(is('sent'));
      await customer.next(is('sent'));
      expect(seen.filter((f) => f.type === 'message')).toHaveLength(1);
    });
  });
});
