// Issue 13: an administrator's remote token (call: ["*"]) could call lifecycle methods such as
// caruso.storage.close of a running service. Now close, shutdown, register … are refused with
// CARUSO_KERNEL_LIFECYCLE_DENIED unless the grant's lifecycle list names token.method exactly, and
// start/stop/dispose/exportState/importState are never callable remotely.
import { WebSocket } from 'ws';
import { AccessList, connectServiceManager, createServiceManager, createToken, RemoteEndpoint, type ServiceManager } from '@caruso/kernel';

interface Storage {
  query(sql: string): string;
  close(): void;
  migrate(): string;
  register(name: string): string;
  shutdown(): void;
}
const Storage = createToken<Storage>('test.storage');

const ADMIN = 'admin-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const access = new AccessList([
  { principal: 'admin', secret: ADMIN, lookup: ['*'], call: ['*'], register: ['*'] },
  { principal: 'operator', secret: OPERATOR, lookup: ['test.*'], call: ['test.*'], lifecycle: ['test.storage.close'] },
]);

/** Sends one JSON-RPC request on a raw socket (no client-side filtering) and returns the answer. */
async function rawCall(url: string, token: string, params: Record<string, unknown>): Promise<{ result?: unknown; error?: { data?: { code?: string } } }> {
  const ws = new WebSocket(url);
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const answers: Record<number, unknown> = {};
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { id: number };
    answers[m.id] = m;
  });
  const request = async (id: number, method: string, p: unknown): Promise<unknown> => {
    ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: p }));
    const end = Date.now() + 3000;
    while (answers[id] === undefined) {
      if (Date.now() > end) throw new Error(`no answer to ${method}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return answers[id];
  };
  try {
    await request(1, 'auth', { token });
    return (await request(2, 'call', params)) as { result?: unknown; error?: { data?: { code?: string } } };
  } finally {
    ws.close();
  }
}

describe('remote endpoint: lifecycle methods need an explicit grant', () => {
  let sm: ServiceManager;
  let endpoint: RemoteEndpoint;
  let closed: number;

  beforeEach(async () => {
    closed = 0;
    sm = createServiceManager();
    sm.register(Storage, {
      version: '1.0.0',
      create: () => ({
        query: (sql: string) => `rows of ${sql}`,
        close: () => {
          closed++;
        },
        migrate: () => 'migrated',
        register: (name: string) => name,
        shutdown: () => undefined,
      }),
    });
    await sm.start();
    endpoint = await RemoteEndpoint.listen(sm, { port: 0, accessList: access });
  });

  afterEach(async () => {
    await endpoint.close();
    await sm.stop();
  });

  it.each(['close', 'migrate', 'register', 'shutdown'])('refuses %s to an administrator with call ["*"], and the service keeps working', async (method) => {
    const r = await rawCall(endpoint.url, ADMIN, { token: 'test.storage', method, args: ['x'] });
    expect(r.error?.data?.code).toBe('CARUSO_KERNEL_LIFECYCLE_DENIED');
    expect(closed).toBe(0);
    expect((await rawCall(endpoint.url, ADMIN, { token: 'test.storage', method: 'query', args: ['x'] })).result).toBe('rows of x');
  });

  it('answers a lifecycle name the service does not have as an unknown method', async () => {
    const r = await rawCall(endpoint.url, ADMIN, { token: 'test.storage', method: 'destroy', args: [] });
    expect(r.error?.data?.code).toBe('CARUSO_KERNEL_RPC_METHOD_NOT_FOUND');
  });

  it('leaves lifecycle methods out of what a lookup offers, and the typed proxy has none', async () => {
    const admin = await connectServiceManager(endpoint.url, { accessToken: ADMIN });
    try {
      expect((await admin.lookup(Storage))[0]?.methods).toEqual(['query']);
      const storage = (await admin.get(Storage)) as unknown as Record<string, unknown>;
      expect(storage['close']).toBeUndefined();
      expect(await (storage['query'] as (s: string) => Promise<string>)('y')).toBe('rows of y');
    } finally {
      await admin.close();
    }
  });

  it('lets a grant that names test.storage.close call exactly that one', async () => {
    const operator = await connectServiceManager(endpoint.url, { accessToken: OPERATOR });
    try {
      expect((await operator.lookup(Storage))[0]?.methods).toEqual(['close', 'query']);
      await (await operator.get(Storage)).close();
      expect(closed).toBe(1);
    } finally {
      await operator.close();
    }
    expect((await rawCall(endpoint.url, OPERATOR, { token: 'test.storage', method: 'migrate', args: [] })).error?.data?.code).toBe('CARUSO_KERNEL_LIFECYCLE_DENIED');
  });

  it('never calls the service contract (start, stop, dispose …) remotely', async () => {
    for (const method of ['start', 'stop', 'dispose', 'exportState', 'importState']) {
      const r = await rawCall(endpoint.url, ADMIN, { token: 'test.storage', method, args: [] });
      expect(r.error?.data?.code).toBe('CARUSO_KERNEL_RPC_METHOD_NOT_FOUND');
    }
  });

  it('refuses lifecycle grants with a *, of a contract method or of a method that is no lifecycle method', () => {
    const grant = (lifecycle: string[]) => () => new AccessList([{ principal: 'p', secret: 'a-long-enough-secret', call: ['*'], lifecycle }]);
    expect(grant(['test.storage.*'])).toThrow(/must name one method of one token exactly/);
    expect(grant(['*'])).toThrow(/must name one method of one token exactly/);
    expect(grant(['test.storage.stop'])).toThrow(/never callable remotely/);
    expect(grant(['test.storage.query'])).toThrow(/not a lifecycle method/);
    expect(grant(['caruso.storage.close'])).not.toThrow();
  });
});
