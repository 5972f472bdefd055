import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import {
  AccessList,
  connectServiceManager,
  createServiceManager,
  createToken,
  RemoteEndpoint,
  type RemoteServiceManager,
  type ServiceManager,
  type TrackerEvent,
} from '@caruso/kernel';

interface Customers {
  find(id: string): { id: string; name: string } | null;
  stamp(id: string): Promise<{ id: string; at: number }>;
  hang(): Promise<void>;
  fail(): void;
}
const Customers = createToken<Customers>('legacy.Customers');
interface Clock {
  now(): number;
}
const Clock = createToken<Clock>('test.Clock');

const ADMIN = 'admin-token-0123456789';
const WRAPPER = 'wrapper-token-0123456789';
const READER = 'reader-token-0123456789';
const access = new AccessList([
  { principal: 'admin', secret: ADMIN, lookup: ['*'], call: ['*'], register: ['*'] },
  { principal: 'wrapper', secret: WRAPPER, lookup: ['test.*'], call: ['test.*'], register: ['legacy.*'] },
  { principal: 'reader', secret: READER, lookup: ['*'] },
]);

const peerScript = fileURLToPath(new URL('./fixtures/remote-wrapper-process.mjs', import.meta.url));
const builtKernel = fileURLToPath(new URL('../dist/index.js', import.meta.url));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends raw text over a fresh authenticated socket and returns the next answer. */
async function raw(url: string, messages: (string | Buffer)[], token = ADMIN): Promise<unknown[]> {
  const ws = new WebSocket(url);
  await new Promise((r) => ws.once('open', r));
  const answers: unknown[] = [];
  ws.on('message', (d) => answers.push(JSON.parse(d.toString())));
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'auth', params: { token } }));
  await until(() => answers.length === 1);
  // One at a time, so that the answers line up with the messages.
  for (const [i, m] of messages.entries()) {
    ws.send(m);
    await until(() => answers.length === i + 2);
  }
  ws.close();
  return answers.slice(1);
}

describe('remote access over WebSocket (JSON-RPC 2.0)', () => {
  let sm: ServiceManager;
  let endpoint: RemoteEndpoint;
  const clients: RemoteServiceManager[] = [];
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    sm = createServiceManager();
    sm.register(Clock, { version: '1.0.0', create: () => ({ now: () => 1234 }) });
    await sm.start();
    endpoint = await RemoteEndpoint.listen(sm, { port: 0, accessList: access, maxMessageBytes: 64 * 1024, leaseTtlMs: 1000 });
  });

  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    for (const c of clients.splice(0)) await c.close();
    await endpoint.close();
    await sm.stop();
  });

  async function connect(token = ADMIN): Promise<RemoteServiceManager> {
    const c = await connectServiceManager(endpoint.url, { accessToken: token, callDeadlineMs: 2000 });
    clients.push(c);
    return c;
  }

  function startWrapperProcess(): Promise<void> {
    expect(existsSync(builtKernel)).toBe(true); // `npm test` builds the packages before jest runs
    child = spawn(process.execPath, [peerScript, endpoint.url, WRAPPER], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let err = '';
      child!.stderr!.on('data', (d) => (err += String(d)));
      child!.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
      child!.once('exit', (code) => reject(new Error(`wrapper process exited with ${code}: ${err}`)));
    });
  }

  it('lets another process register a service that local consumers call through the same typed proxy', async () => {
    await startWrapperProcess();
    const customers = sm.get(Customers, { filter: '(vendor=legacy)' });
    expect(await customers.find('42')).toEqual({ id: '42', name: 'Jansen' });
    expect(await customers.find('7')).toBeNull();
    // The wrapper calls back into this process's clock over the same connection.
    expect(await customers.stamp('42')).toEqual({ id: '42', at: 1234 });
    expect(sm.find('legacy.Customers')[0]).toMatchObject({ state: 'active', origin: expect.stringContaining('legacy-wrapper') });
    // A remote error comes back as a clear error, not a crash.
    await expect(Promise.resolve().then(() => customers.fail())).rejects.toMatchObject({ code: 'CARUSO_KERNEL_RPC_REMOTE_ERROR', message: expect.stringContaining('legacy system says no') });
  });

  it('lets a remote client look services up and call them, also across a hot replacement', async () => {
    const remote = await connect();
    const clock = await remote.get(Clock);
    expect(await clock.now()).toBe(1234);
    const v2 = sm.register(Clock, { version: '2.0.0', create: () => ({ now: () => 5678 }) });
    await v2.ready;
    expect(await clock.now()).toBe(5678);
    const list = await remote.list();
    expect(list.map((s) => `${s.tokenId}@${s.version}`)).toContain('test.Clock@2.0.0');
  });

  it('removes the services of a process whose connection drops and fails its in-flight calls clearly', async () => {
    await startWrapperProcess();
    const tracker = sm.track(Customers);
    const events: TrackerEvent[] = [];
    tracker.onDidChange((e) => events.push(e));
    const hanging = sm.get(Customers).hang();
    child!.kill('SIGKILL');
    await expect(hanging).rejects.toMatchObject({ code: 'CARUSO_KERNEL_RPC_CONNECTION_LOST' });
    await until(() => events.length > 0);
    expect(events[0]!.type).toBe('removed');
    expect(sm.tryGet(Customers)).toBeUndefined();
    tracker.dispose();
  });

  it('expires the lease of a registration that stops renewing, and tells trackers', async () => {
    const remote = await connect(WRAPPER);
    const tracker = sm.track(Customers);
    const events: string[] = [];
    tracker.onDidChange((e) => events.push(e.type));
    await remote.register(Customers, { version: '1.0.0', leaseTtlMs: 100, renew: false, implementation: { find: () => null, stamp: async () => ({ id: '', at: 0 }), hang: async () => undefined, fail: () => undefined } });
    expect(sm.tryGet(Customers)).toBeDefined();
    await until(() => events.includes('removed'), 2000);
    expect(events).toEqual(['added', 'removed']);
    expect(sm.tryGet(Customers)).toBeUndefined();
    tracker.dispose();
  });

  it('keeps a renewed lease alive past its time-to-live', async () => {
    const remote = await connect(WRAPPER);
    // Renewed every third of the time-to-live: a busy machine may delay one renewal, not three.
    await remote.register(Customers, { version: '1.0.0', leaseTtlMs: 300, implementation: { find: () => null, stamp: async () => ({ id: '', at: 0 }), hang: async () => undefined, fail: () => undefined } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(sm.tryGet(Customers)).toBeDefined();
  });

  it('authenticates every connection and checks every action against the grants', async () => {
    await expect(connectServiceManager(endpoint.url, { accessToken: 'wrong-token-0123456789' })).rejects.toMatchObject({ code: 'CARUSO_KERNEL_AUTH_FAILED' });
    const [unauth] = await raw(endpoint.url, [JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'lookup', params: { token: 'test.Clock' } })], 'bad');
    expect(unauth).toMatchObject({ id: 1, error: { data: { code: expect.stringMatching(/CARUSO_KERNEL_AUTH_(REQUIRED|FAILED)/) } } });
    const reader = await connect(READER);
    const clock = await reader.get(Clock); // lookup is granted
    await expect(clock.now()).rejects.toMatchObject({ code: 'CARUSO_KERNEL_PERMISSION_DENIED', message: 'reader may not call test.Clock' });
    await expect(reader.register(Customers, { version: '1.0.0', implementation: {} as Customers })).rejects.toMatchObject({ code: 'CARUSO_KERNEL_PERMISSION_DENIED' });
    const wrapper = await connect(WRAPPER);
    await expect(wrapper.get(Customers)).rejects.toMatchObject({ code: 'CARUSO_KERNEL_PERMISSION_DENIED' });
    expect(sm.find('legacy.Customers')).toEqual([]);
  });

  it('answers messages that are not JSON-RPC with clear errors and leaves the registry unchanged', async () => {
    const before = sm.list().map((s) => s.id);
    const answers = await raw(endpoint.url, [
      'this is not json',
      JSON.stringify({ id: 2, method: 'lookup' }),
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'nope', params: {} }),
      JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'register', params: { token: 'legacy.X', version: 'one', methods: ['a'], ref: 'r1' } }),
      JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'call', params: { token: 'test.Clock', method: 'constructor' } }),
      JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'register', params: { token: 'legacy.X', version: '1.0.0', methods: ['__proto__'], ref: 'r2' } }),
      'x'.repeat(100 * 1024),
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'call', params: { token: 'test.Clock', method: 'now' } }),
    ]);
    expect(answers).toEqual([
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32700, data: expect.objectContaining({ code: 'CARUSO_KERNEL_RPC_PARSE_ERROR' }) }) }),
      expect.objectContaining({ id: 2, error: expect.objectContaining({ code: -32600 }) }),
      expect.objectContaining({ id: 3, error: expect.objectContaining({ code: -32601 }) }),
      expect.objectContaining({ id: 4, error: expect.objectContaining({ data: expect.objectContaining({ code: 'CARUSO_KERNEL_INVALID_VERSION' }) }) }),
      expect.objectContaining({ id: 5, error: expect.objectContaining({ code: -32601 }) }),
      expect.objectContaining({ id: 6, error: expect.objectContaining({ code: -32602 }) }),
      expect.objectContaining({ id: null, error: expect.objectContaining({ data: expect.objectContaining({ code: 'CARUSO_KERNEL_RPC_MESSAGE_TOO_LARGE' }) }) }),
      { jsonrpc: '2.0', id: 7, result: 1234 }, // the connection still works
    ]);
    expect(sm.list().map((s) => s.id)).toEqual(before);
  });

  it('fails a call that exceeds its deadline', async () => {
    await startWrapperProcess();
    const remote = await connect();
    const customers = await remote.get(Customers, { deadlineMs: 50 });
    await expect(customers.hang()).rejects.toMatchObject({ code: 'CARUSO_KERNEL_RPC_DEADLINE_EXCEEDED' });
  });

  it('pushes registry events to subscribers', async () => {
    const remote = await connect();
    const seen: string[] = [];
    remote.onDidChangeRegistry((e) => seen.push(`${e.type}:${e.service.tokenId}`));
    await remote.subscribe();
    const h = sm.register(Customers, { version: '1.0.0', create: () => ({ find: () => null, stamp: async () => ({ id: '', at: 0 }), hang: async () => undefined, fail: () => undefined }) });
    await h.ready;
    await until(() => seen.includes('state:legacy.Customers'));
    expect(seen[0]).toBe('registered:legacy.Customers');
  });
});
