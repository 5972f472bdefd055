// Regression (found by the WebSocket fuzz suite): a socket of the chat channel's standalone listener
// on an unknown path (e.g. `/`) was refused before its 'error' listener was attached, so one bad
// frame sent before the close completed (here: RSV2 set) ended the whole process with an unhandled
// 'error' event (WS_ERR_UNEXPECTED_RSV_2_3). Every socket of the listener now has its error handler
// first; the bad frame ends that connection only, and the listener goes on.
import { WebSocket } from 'ws';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { ChatChannel, CommunicationServer, chatChannel, commsService } from '@caruso/comms';

/** A masked client text frame with the RSV2 bit set: no WebSocket library writes it. */
const RSV2_FRAME = Buffer.from([0x80 | 0x20 | 0x1, 0x80 | 1, 0, 0, 0, 0, 0x41]);

describe('the chat listener under a bad frame on a socket it refuses', () => {
  let services: ServiceManager;
  let port: number;
  beforeAll(async () => {
    services = createServiceManager();
    services.register(StorageManager, storageService('sqlite::memory:'));
    services.register(CommunicationServer, commsService({ queues: [{ id: 'chat' }], agents: [] }));
    services.register(ChatChannel, chatChannel({ queueId: 'chat', port: 0, authenticateAgent: () => undefined }));
    await services.start();
    port = services.get(ChatChannel).address()!.port;
  });
  afterAll(async () => {
    await services.stop();
  });

  it.each(['/', '/admin', '/chat/customer', '/chat/agent'])('closes a socket on %s that sends a frame with RSV2 set, and goes on serving', async (path) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      // At once, before the client has read the listener's refusal (and answered its close frame).
      ws.once('open', () => {
        (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(RSV2_FRAME);
        resolve();
      });
      ws.once('unexpected-response', () => reject(new Error('refused')));
    });
    expect([1002, 1006, 4401]).toContain(await closed);
    ws.terminate();
    // The listener still answers: a customer with a real chat gets its welcome.
    const opened = await services.get(ChatChannel).openChat({ customerName: 'Ada' });
    const good = new WebSocket(`ws://127.0.0.1:${port}/chat/customer`);
    const welcome = new Promise<string>((resolve, reject) => {
      good.on('message', (d) => resolve(String(d)));
      good.once('error', reject);
    });
    good.once('open', () => good.send(JSON.stringify({ type: 'auth', token: opened.token })));
    expect(JSON.parse(await welcome)).toMatchObject({ type: 'welcome', chatId: opened.chatId });
    good.terminate();
  });
});
