// Regression tests of the remote endpoint found by a code review: malformed messages, untrusted
// clients, leaks of information, resource exhaustion. Each one talks to a real endpoint over a real
// WebSocket on 127.0.0.1.
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import {
  AccessList,
  connectServiceManager,
  createLogger,
  Disposable,
  createServiceManager,
  createToken,
  RemoteEndpoint,
  type RemoteServiceManager,
  type ServiceManager,
} from '@caruso/kernel';
import { fromRpcError } from '../src/remote/rpc-peer.js';

interface Customers {
  find(id: string): { id: string } | null;
}
const Customers = createToken<Customers>('legacy.Customers');
interface Clock {
  now(): number;
}
const Clock = createToken<Clock>('test.Clock');

const ADMIN = 'admin-token-0123456789';
const WRAPPER = 'wrapper-token-0123456789';
const access = new AccessList([
  { principal: 'admin', secret: ADMIN, lookup: ['*'], call: ['*'], register: ['*'] },
  { principal: 'wrapper', secret: WRAPPER, lookup: ['test.*'], call: ['test.*'], register: ['legacy.*'] },
]);

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Json = Record<string, unknown>;

/** A hand-driven JSON-RPC client: sends whatever a test wants and records every answer. */
class RawClient {
  readonly messages: unknown[] = [];
  private nextId = 1000;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.messages.push(JSON.parse(d.toString())));
  }

  static async open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    await new Promise((r) => ws.once('open', r));
    return new RawClient(ws);
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Waits for the first message (in arrival order, from `from`) that satisfies `match`. */
  async next(match: (m: Json) => boolean, from = 0, ms = 3000): Promise<Json> {
    let found: Json | undefined;
    await until(() => {
      found = this.messages.slice(from).find((m) => typeof m === 'object' && m !== null && !Array.isArray(m) && match(m as Json)) as Json | undefined;
      return found !== undefined;
    }, ms);
    return found as Json;
  }

  async request(method: string, params: unknown): Promise<Json> {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.next((m) => m['id'] === id);
  }

  async auth(token = ADMIN): Promise<void> {
    const r = await this.request('auth', { token });
    if (r['result'] === undefined) throw new Error(`auth failed: ${JSON.stringify(r)}`);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) => this.ws.once('close', r));
    this.ws.close();
    await closed;
  }
}

describe('remote endpoint hardening', () => {
  let sm: ServiceManager;
  let endpoint: RemoteEndpoint;
  const raws: RawClient[] = [];
  const clients: RemoteServiceManager[] = [];
  const rejections: unknown[] = [];
  const onRejection = (err: unknown): void => {
    rejections.push(err);
  };

  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
  });

  beforeEach(async () => {
    rejections.length = 0;
    sm = createServiceManager();
    sm.register(Clock, { version: '1.0.0', create: () => ({ now: () => 1234 }) });
    await sm.start();
    endpoint = await RemoteEndpoint.listen(sm, { port: 0, accessList: access, maxMessageBytes: 64 * 1024, leaseTtlMs: 1000, callDeadlineMs: 2000, maxConcurrentRequests: 32 });
  });

  afterEach(async () => {
    for (const c of raws.splice(0)) await c.close();
    for (const c of clients.splice(0)) await c.close();
    await endpoint.close();
    await sm.stop();
  });

  /** A raw client, authenticated with `token` (null: not authenticated). */
  async function rawClient(token: string | null = ADMIN): Promise<RawClient> {
    const c = await RawClient.open(endpoint.url);
    raws.push(c);
    if (token !== null) await c.auth(token);
    return c;
  }

  async function connect(token = ADMIN): Promise<RemoteServiceManager> {
    const c = await connectServiceManager(endpoint.url, { accessToken: token, callDeadlineMs: 2000 });
    clients.push(c);
    return c;
  }

  /** Registers `legacy.Customers` from a raw client; returns the client, to answer the manager's invoke requests by hand. */
  async function rawWrapper(): Promise<RawClient> {
    const c = await rawClient(WRAPPER);
    const r = await c.request('register', { token: 'legacy.Customers', version: '1.0.0', methods: ['find'], ref: 'r1' });
    expect(r['result']).toMatchObject({ id: expect.any(String) });
    return c;
  }

  describe('a malformed response to one of the manager\'s requests (error:null, a non-string data.code)', () => {
    it.each([
      ['error:null', null],
      ['error as a string', 'boom'],
      ['data.code a number', { code: -32000, message: 'x', data: { code: 42 } }],
      ['data.code an object', { code: -32000, message: 'x', data: { code: { startsWith: 1 } } }],
      ['message not a string', { code: -32000, message: { evil: true } }],
    ])('with %s fails the pending call clearly and does not crash the process', async (_label, error) => {
      const wrapper = await rawWrapper();
      const from = wrapper.messages.length;
      const call = Promise.resolve().then(() => sm.get(Customers).find('42'));
      const invoke = await wrapper.next((m) => m['method'] === 'invoke', from);
      wrapper.send({ jsonrpc: '2.0', id: invoke['id'], error });
      await expect(call).rejects.toMatchObject({ code: 'CARUSO_KERNEL_RPC_REMOTE_ERROR' });
      // The connection still works and nothing went unhandled.
      expect((await wrapper.request('renew', {}))['result']).toEqual({ renewed: 1 });
      expect(rejections).toEqual([]);
    });
  });

  it('rebuilds a clear error from any malformed JSON-RPC error object (fromRpcError never throws)', () => {
    for (const bad of [null, undefined, 'x', 42, [], { data: null }, { message: 1, data: { code: 7 } }, { message: 'm', data: { code: 'CARUSO_X_Y', status: 'nope' } }]) {
      const err = fromRpcError(bad as never);
      expect(err.code).toMatch(/^CARUSO_/);
      expect(typeof err.message).toBe('string');
      expect(typeof err.status).toBe('number');
    }
  });

  it('does not forward the message of an internal (non-Caruso) exception to a remote caller; it sends a correlation id', async () => {
    sm.register(createToken<{ boom(): void }>('test.Boom'), {
      version: '1.0.0',
      create: () => ({
        boom: () => {
          throw new TypeError('secret internal detail at /srv/db.ts:42');
        },
      }),
    });
    await sm.start();
    const c = await rawClient();
    const r = await c.request('call', { token: 'test.Boom', method: 'boom' });
    const error = r['error'] as { message: string; data: { code: string; details?: { correlationId?: string } } };
    expect(error.message).not.toContain('secret internal detail');
    expect(error.data.code).toBe('CARUSO_KERNEL_RPC_REMOTE_ERROR');
    expect(error.data.details?.correlationId).toMatch(/^[0-9a-f-]{8,}$/);
    expect(error.message).toContain(error.data.details!.correlationId!);
  });

  it('answers a call whose result cannot be sent as JSON (a BigInt, a cycle) with an error instead of leaving it unanswered', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    sm.register(createToken<{ big(): bigint; loop(): unknown }>('test.Odd'), { version: '1.0.0', create: () => ({ big: () => 10n, loop: () => cyclic }) });
    await sm.start();
    const c = await rawClient();
    for (const method of ['big', 'loop']) {
      const r = await c.request('call', { token: 'test.Odd', method });
      expect(r['error']).toMatchObject({ data: { code: 'CARUSO_KERNEL_RPC_REMOTE_ERROR', details: { correlationId: expect.any(String) } } });
    }
    expect(rejections).toEqual([]);
  });

  describe('batches (unauthenticated amplification)', () => {
    const lookup = (id: number): Json => ({ jsonrpc: '2.0', id, method: 'lookup', params: { token: 'test.Clock' } });

    it('answers a batch sent before auth with one error, not one error per item', async () => {
      const c = await rawClient(null);
      c.send(Array.from({ length: 50 }, (_, i) => lookup(i + 1)));
      const answer = await c.next(() => true);
      await new Promise((r) => setTimeout(r, 100));
      expect(c.messages).toHaveLength(1);
      expect(answer).toMatchObject({ id: null, error: { code: -32600, data: { code: 'CARUSO_KERNEL_RPC_INVALID_REQUEST' } } });
      expect(String((answer['error'] as Json)['message'])).toContain('auth');
    });

    it('refuses a batch of more than 100 requests with one error and runs none of them', async () => {
      const c = await rawClient();
      const from = c.messages.length;
      c.send(Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'call', params: { token: 'test.Clock', method: 'now' } })));
      const answer = await c.next(() => true, from);
      expect(answer).toMatchObject({ id: null, error: { code: -32600, data: { code: 'CARUSO_KERNEL_RPC_INVALID_REQUEST' } } });
      expect(String((answer['error'] as Json)['message'])).toContain('100');
      await new Promise((r) => setTimeout(r, 100));
      expect(c.messages.length - from).toBe(1);
      expect(sm.find('test.Clock')[0]!.metrics.calls).toBe(0);
    });

    it('still runs a batch of 100 requests after auth', async () => {
      const c = await rawClient();
      const from = c.messages.length;
      c.send(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'call', params: { token: 'test.Clock', method: 'now' } })));
      await until(() => c.messages.length > from);
      const answers = c.messages[from] as Json[];
      expect(answers).toHaveLength(100);
      expect(answers.every((a) => a['result'] === 1234)).toBe(true);
    });
  });

  it('applies backpressure to a client that does not read its answers (answers are not buffered without bound)', async () => {
    const BIG = 'x'.repeat(256 * 1024);
    sm.register(createToken<{ big(): string }>('test.Big'), { version: '1.0.0', create: () => ({ big: () => BIG }) });
    await sm.start();
    const c = await rawClient();
    const from = c.messages.length;
    const REQUESTS = 300; // 75 MiB of answers
    c.ws.pause(); // a slow client: it stops reading
    for (let i = 0; i < REQUESTS; i++) c.send({ jsonrpc: '2.0', id: i + 1, method: 'call', params: { token: 'test.Big', method: 'big' } });
    await new Promise((r) => setTimeout(r, 800));
    const buffered = (endpoint as unknown as { connections: Set<{ peer: { socket: WebSocket } }> }).connections;
    const serverSide = [...buffered].map((conn) => conn.peer.socket.bufferedAmount);
    expect(Math.max(...serverSide)).toBeLessThan(24 * 1024 * 1024);
    expect(sm.find('test.Big')[0]!.metrics.calls).toBeLessThan(REQUESTS);
    // Nothing is lost: once the client reads again, every answer arrives.
    c.ws.resume();
    await until(() => c.messages.length - from === REQUESTS, 20_000);
    expect(sm.find('test.Big')[0]!.metrics.calls).toBe(REQUESTS);
  }, 30_000);

  it('does not list token ids that the principal may not look up in a not-found error', async () => {
    sm.register(Customers, { version: '1.0.0', create: () => ({ find: () => null }) });
    sm.register(createToken('secret.Payroll'), { version: '1.0.0', create: () => ({ pay: () => 1 }) });
    await sm.start();
    const wrapper = await connect(WRAPPER); // may look up and call test.* only
    const missing = createToken<Clock>('test.Missing');
    for (const attempt of [() => wrapper.get(missing), () => wrapper.get(Clock, { filter: '(region=nowhere)' })]) {
      const err = (await attempt().then(
        () => undefined,
        (e: unknown) => e,
      )) as { code: string; message: string; details: unknown };
      expect(err.code).toBe('CARUSO_KERNEL_SERVICE_NOT_FOUND');
      const text = `${err.message} ${JSON.stringify(err.details)}`;
      expect(text).not.toContain('legacy.Customers');
      expect(text).not.toContain('secret.Payroll');
    }
    // The same through a raw call of a token that has nothing registered.
    const c = await rawClient(WRAPPER);
    const r = await c.request('call', { token: 'test.Missing', method: 'now' });
    expect(JSON.stringify(r)).toMatch(/CARUSO_KERNEL_SERVICE_NOT_FOUND/);
    expect(JSON.stringify(r)).not.toMatch(/legacy\.Customers|secret\.Payroll/);
    // An administrator who may see everything still gets the helpful list.
    const admin = await rawClient();
    const a = await admin.request('lookup', { token: 'test.Missing' });
    expect(JSON.stringify(a)).toContain('secret.Payroll');
  });

  describe('what a remote caller may call', () => {
    class Greeter extends Disposable {
      disposed = false;
      greet(name: string): string {
        return `hello ${name}`;
      }
      _internalReset(): void {
        throw new Error('must not be reachable');
      }
      override dispose(): void {
        this.disposed = true;
        super.dispose();
      }
      async [Symbol.asyncDispose](): Promise<void> {
        this.disposed = true;
      }
    }
    class Chatty extends EventEmitter {
      say(): string {
        return 'hi';
      }
    }

    it('offers only the contract: no dispose, register, Symbol.asyncDispose, _private or base-class methods', async () => {
      const greeter = new Greeter();
      sm.register(createToken<Greeter>('test.Greeter'), { version: '1.0.0', create: () => greeter });
      sm.register(createToken<Chatty>('test.Chatty'), { version: '1.0.0', create: () => new Chatty() });
      await sm.start();
      const c = await rawClient();
      const looked = (await c.request('lookup', { token: 'test.Greeter' }))['result'] as { services: Array<{ methods: string[] }> };
      expect(looked.services[0]!.methods).toEqual(['greet']);
      const chatty = (await c.request('lookup', { token: 'test.Chatty' }))['result'] as { services: Array<{ methods: string[] }> };
      expect(chatty.services[0]!.methods).toEqual(['say']);
      for (const method of ['dispose', 'register', '_internalReset', 'Symbol.asyncDispose', '[Symbol.asyncDispose]', 'toString', 'hasOwnProperty', 'isDisposed', 'constructor']) {
        const r = await c.request('call', { token: 'test.Greeter', method });
        expect(r['error']).toMatchObject({ code: -32601 });
      }
      for (const method of ['emit', 'on', 'removeAllListeners', 'setMaxListeners']) {
        const r = await c.request('call', { token: 'test.Chatty', method, args: ['x'] });
        expect(r['error']).toMatchObject({ code: -32601 });
      }
      expect(greeter.disposed).toBe(false);
      expect((await c.request('call', { token: 'test.Greeter', method: 'greet', args: ['Ann'] }))['result']).toBe('hello Ann');
      expect((await c.request('call', { token: 'test.Chatty', method: 'say' }))['result']).toBe('hi');
    });
  });

  it('does not grow the binding cache with remote ad-hoc lookups and calls (each with another filter)', async () => {
    const internals = sm as unknown as { bindingCache: Map<string, unknown>; bindingsByToken: Map<string, Set<unknown>> };
    const before = internals.bindingCache.size;
    const c = await rawClient();
    for (let i = 0; i < 50; i++) {
      await c.request('lookup', { token: 'test.Clock', filter: `(n=${i})` });
      await c.request('lookup', { token: `test.Nothing${i}` });
      const r = await c.request('call', { token: 'test.Clock', method: 'now', filter: `(!(n=${i}))` });
      expect(r['result']).toBe(1234);
    }
    expect(internals.bindingCache.size).toBe(before);
    expect([...internals.bindingsByToken.values()].reduce((n, set) => n + set.size, 0)).toBeLessThanOrEqual(before + 1);
  });

  it('logs a denied call with the token id it was for (not redacted as a secret)', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await RemoteEndpoint.listen(sm, { port: 0, accessList: access, logger: createLogger({ level: 'info' }, sink) });
    try {
      const c = await RawClient.open(logged.url);
      raws.push(c);
      await c.auth(WRAPPER);
      const r = await c.request('call', { token: 'legacy.Customers', method: 'find' });
      expect(r['error']).toMatchObject({ data: { code: 'CARUSO_KERNEL_PERMISSION_DENIED' } });
      await until(() => lines.some((l) => l.includes('permission denied')));
      const line = JSON.parse(lines.find((l) => l.includes('permission denied'))!) as Record<string, unknown>;
      expect(line).toMatchObject({ principal: 'wrapper', action: 'call', tokenId: 'legacy.Customers' });
      expect(JSON.stringify(line)).not.toContain('[redacted]');
      await c.close();
    } finally {
      await logged.close();
    }
  });

  describe('leases', () => {
    const impl = { find: () => null };

    it('arms a lease only once the service is ready (a registration waiting for the manager to start is not expired)', async () => {
      const idle = createServiceManager(); // not started yet: remote registrations wait
      const ep = await RemoteEndpoint.listen(idle, { port: 0, accessList: access, leaseTtlMs: 300 });
      const remote = await connectServiceManager(ep.url, { accessToken: WRAPPER, callDeadlineMs: 3000 });
      try {
        const registered = remote.register(Customers, { version: '1.0.0', leaseTtlMs: 300, implementation: impl });
        await new Promise((r) => setTimeout(r, 700)); // more than twice the lease, before the service could be ready
        await idle.start();
        const r = await registered;
        expect(idle.find('legacy.Customers')).toEqual([expect.objectContaining({ id: r.id, state: 'active' })]);
        await new Promise((res) => setTimeout(res, 700)); // renewed from now on (every 100 ms)
        expect(idle.tryGet(Customers)).toBeDefined();
      } finally {
        await remote.close();
        await ep.close();
        await idle.stop();
      }
    });

    it('rejects the ready promise of a registration removed before it became active (connection lost)', async () => {
      const idle = createServiceManager();
      const ep = await RemoteEndpoint.listen(idle, { port: 0, accessList: access });
      try {
        const c = await RawClient.open(ep.url);
        await c.auth(WRAPPER);
        c.send({ jsonrpc: '2.0', id: 1, method: 'register', params: { token: 'legacy.Customers', version: '1.0.0', methods: ['find'], ref: 'r1' } });
        await until(() => idle.list().length === 1);
        const reg = (idle as unknown as { registration(id: string): { ready: Promise<void> } }).registration(idle.list()[0]!.id);
        await c.close();
        await expect(reg.ready).rejects.toMatchObject({ code: 'CARUSO_KERNEL_RPC_CONNECTION_LOST' });
        expect(idle.list()).toEqual([]);
      } finally {
        await ep.close();
        await idle.stop();
      }
    });

    it('raises CARUSO_KERNEL_LEASE_EXPIRED to a client that renews or unregisters an expired registration', async () => {
      const wrapper = await connect(WRAPPER);
      const reg = await wrapper.register(Customers, { version: '1.0.0', leaseTtlMs: 100, renew: false, implementation: impl });
      await until(() => sm.tryGet(Customers) === undefined);
      const c = await rawClient(WRAPPER);
      expect((await c.request('renew', { id: 'legacy.Customers@9.9.9#99' }))['error']).toMatchObject({ data: { code: 'CARUSO_KERNEL_RPC_INVALID_PARAMS' } });
      await expect(reg.unregister()).rejects.toMatchObject({ code: 'CARUSO_KERNEL_LEASE_EXPIRED', message: expect.stringContaining(reg.id) });
      // A fresh registration of the same connection keeps working.
      const again = await wrapper.register(Customers, { version: '1.0.0', leaseTtlMs: 300, implementation: impl });
      await new Promise((r) => setTimeout(r, 700));
      expect(sm.find('legacy.Customers')).toEqual([expect.objectContaining({ id: again.id, state: 'active' })]);
      await again.unregister();
    });

    it('raises CARUSO_KERNEL_LEASE_EXPIRED when an expired lease is renewed by id', async () => {
      const c = await rawClient(WRAPPER);
      const r = (await c.request('register', { token: 'legacy.Customers', version: '1.0.0', methods: ['find'], ref: 'r1', leaseTtlMs: 60 }))['result'] as { id: string };
      expect((await c.request('renew', { id: r.id }))['result']).toEqual({ renewed: 1 });
      await until(() => sm.tryGet(Customers) === undefined);
      const renewed = await c.request('renew', { id: r.id });
      expect(renewed['error']).toMatchObject({ data: { code: 'CARUSO_KERNEL_LEASE_EXPIRED' } });
    });
  });
});
