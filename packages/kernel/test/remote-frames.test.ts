// The remote endpoint under frames no JSON-RPC layer sees: one over the WebSocket limit (4 × the
// message limit: ws closes with 1009) or a text frame that is not UTF-8 (1007) ends that connection
// only, before or after authentication; the endpoint keeps serving every other client.
import { WebSocket } from 'ws';
import { AccessList, connectServiceManager, createServiceManager, createToken, RemoteEndpoint, type ServiceManager } from '@caruso/kernel';

interface Clock {
  now(): number;
}
const Clock = createToken<Clock>('test.Clock');
const ADMIN = 'admin-token-0123456789';
const access = new AccessList([{ principal: 'admin', secret: ADMIN, lookup: ['*'], call: ['*'], register: ['*'] }]);

function openRaw(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends one frame and resolves with the close code the endpoint gave. */
function closeCodeAfter(ws: WebSocket, payload: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the endpoint did not close the connection')), 5_000);
    ws.on('error', () => undefined);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    ws.send(payload, { binary: false });
  });
}

describe('remote endpoint under hostile frames', () => {
  let sm: ServiceManager;
  let endpoint: RemoteEndpoint;

  beforeEach(async () => {
    sm = createServiceManager();
    sm.register(Clock, { version: '1.0.0', create: () => ({ now: () => 1234 }) });
    await sm.start();
    endpoint = await RemoteEndpoint.listen(sm, { port: 0, accessList: access, maxMessageBytes: 16 * 1024 });
  });

  afterEach(async () => {
    await endpoint.close();
    await sm.stop();
  });

  /** A real client still looks up and calls a service. */
  async function stillServing(): Promise<void> {
    const client = await connectServiceManager(endpoint.url, { accessToken: ADMIN });
    try {
      expect(await (await client.get(Clock)).now()).toBe(1234);
    } finally {
      await client.close();
    }
  }

  it('closes an unauthenticated connection with 1009 for a 100 KiB frame', async () => {
    expect(await closeCodeAfter(await openRaw(endpoint.url), Buffer.alloc(100 * 1024, 'x'))).toBe(1009);
    await stillServing();
  });

  it('closes an administrator\'s connection with 1009 for a 100 KiB frame', async () => {
    const ws = await openRaw(endpoint.url);
    const authed = new Promise((r) => ws.once('message', r));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'auth', params: { token: ADMIN } }));
    expect(String(await authed)).toContain('"principal":"admin"');
    expect(await closeCodeAfter(ws, Buffer.alloc(100 * 1024, 'x'))).toBe(1009);
    await stillServing();
  });

  it('closes a connection with 1007 for a text frame that is not UTF-8', async () => {
    expect(await closeCodeAfter(await openRaw(endpoint.url), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe(1007);
    await stillServing();
  });
});
