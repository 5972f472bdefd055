import { ensureNoDisposablesLeaked } from '@caruso/kernel/testing';
import { createServiceManager, Disposable, createToken, isCarusoError, type RegistryEvent, type ServiceManager } from '@caruso/kernel';

interface Greeter {
  greet(name: string): string;
}
const Greeter = createToken<Greeter>('test.Greeter');
interface Clock {
  now(): number;
}
const Clock = createToken<Clock>('test.Clock');

function greeter(version: string, prefix = version, extra: Record<string, unknown> = {}) {
  return { version, create: () => ({ greet: (n: string) => `${prefix}:${n}`, ...extra }) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isCarusoError(err) ? err.code : `not a CarusoError: ${String(err)}`;
  }
  return undefined;
}

describe('ServiceManager registration', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  let sm: ServiceManager;
  beforeEach(() => {
    sm = createServiceManager({ startTimeoutMs: 500, drainTimeoutMs: 500 });
  });
  afterEach(() => sm.stop());

  it('refuses a malformed version and leaves the registry unchanged', () => {
    expect(codeOf(() => sm.register(Greeter, greeter('1.0')))).toBe('CARUSO_KERNEL_INVALID_VERSION');
    expect(sm.list()).toEqual([]);
  });

  it('refuses a definition without create', () => {
    expect(codeOf(() => sm.register(Greeter, { version: '1.0.0' } as never))).toBe('CARUSO_KERNEL_INVALID_DEFINITION');
    expect(sm.list()).toEqual([]);
  });

  it('refuses a duplicate token + version + properties and names the existing one', () => {
    const first = sm.register(Greeter, greeter('1.0.0'));
    expect(codeOf(() => sm.register(Greeter, greeter('1.0.0')))).toBe('CARUSO_KERNEL_DUPLICATE_SERVICE');
    expect(() => sm.register(Greeter, greeter('1.0.0'))).toThrow(first.id);
    expect(sm.list()).toHaveLength(1);
    // Same version with other properties is a different service.
    sm.register(Greeter, { ...greeter('1.0.0'), properties: { region: 'be' } });
    expect(sm.list()).toHaveLength(2);
  });

  it('detects a dependency cycle at registration and names it', () => {
    const A = createToken<object>('test.A');
    const B = createToken<object>('test.B');
    const C = createToken<object>('test.C');
    sm.register(A, { version: '1.0.0', dependencies: { b: { token: B } }, create: () => ({}) });
    sm.register(B, { version: '1.0.0', dependencies: { c: { token: C } }, create: () => ({}) });
    let err: unknown;
    try {
      sm.register(C, { version: '1.0.0', dependencies: { a: { token: A } }, create: () => ({}) });
    } catch (e) {
      err = e;
    }
    expect(isCarusoError(err, 'CARUSO_KERNEL_DEPENDENCY_CYCLE')).toBe(true);
    expect((err as Error).message).toContain('test.C → test.A → test.B → test.C');
    expect(sm.list().map((s) => s.tokenId)).toEqual(['test.A', 'test.B']);
  });

  it('refuses an invalid property filter with the position of the problem', () => {
    let err: unknown;
    try {
      sm.get(Greeter, { filter: '(&(a=1)(b' });
    } catch (e) {
      err = e;
    }
    expect(isCarusoError(err, 'CARUSO_KERNEL_INVALID_FILTER')).toBe(true);
    expect((err as Error).message).toMatch(/at position 9: expected an operator/);
  });
});

describe('ServiceManager lookup', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  let sm: ServiceManager;
  beforeEach(async () => {
    sm = createServiceManager();
    sm.register(Greeter, { ...greeter('1.0.0', 'nl-legacy'), properties: { vendor: 'legacy', region: 'nl', capacity: 10 } });
    sm.register(Greeter, { ...greeter('1.2.0', 'be'), properties: { vendor: 'acme', region: 'be', capacity: 50, tags: ['gold', 'eu'] } });
    sm.register(Greeter, { ...greeter('2.0.0', 'nl-new'), properties: { vendor: 'acme', region: 'nl', capacity: 100 }, ranking: 5 });
    await sm.start();
  });
  afterEach(() => sm.stop());

  it('returns the highest ranked match', () => {
    expect(sm.get(Greeter).greet('x')).toBe('nl-new:x');
  });

  it('narrows by semver range', () => {
    expect(sm.get(Greeter, { range: '^1.0.0' }).greet('x')).toBe('nl-legacy:x');
    expect(sm.get(Greeter, { range: '>=1.1.0 <2' }).greet('x')).toBe('be:x');
  });

  it('narrows by LDAP-style filters: equality, presence, comparisons, and/or/not, wildcards, arrays', () => {
    const g = (filter: string) => sm.get(Greeter, { filter }).greet('x');
    expect(g('(vendor=legacy)')).toBe('nl-legacy:x');
    expect(g('(&(region=nl)(!(vendor=acme)))')).toBe('nl-legacy:x');
    expect(g('(|(region=be)(capacity<20))')).toBe('nl-legacy:x'); // both match, equal rank → earlier registration
    expect(g('(tags=*)')).toBe('be:x');
    expect(g('(tags=gold)')).toBe('be:x');
    expect(g('(capacity>=50)')).toBe('nl-new:x');
    expect(g('(&(capacity>10)(capacity<=50))')).toBe('be:x');
    expect(g('(vendor=leg*)')).toBe('nl-legacy:x');
    expect(g('(vendor~=LEGACY)')).toBe('nl-legacy:x');
    expect(sm.get(Greeter, { filter: { vendor: 'acme', region: 'be' } }).greet('x')).toBe('be:x');
  });

  it('breaks equal ranks by registration order', () => {
    expect(sm.get(Greeter, { range: '^1' }).greet('x')).toBe('nl-legacy:x');
  });

  it('getAll returns every match best first', () => {
    expect(sm.getAll(Greeter).map((g) => g.greet('x'))).toEqual(['nl-new:x', 'nl-legacy:x', 'be:x']);
    expect(sm.getAll(Greeter, { filter: '(region=nl)' }).map((g) => g.greet('x'))).toEqual(['nl-new:x', 'nl-legacy:x']);
  });

  it('returns the same stable proxy for the same lookup', () => {
    expect(sm.get(Greeter)).toBe(sm.get(Greeter));
    expect(sm.get(Greeter, { range: '^1' })).toBe(sm.get(Greeter, { range: '^1' }));
  });

  it('fails an unsatisfiable lookup naming the token, range, filter and what is registered', () => {
    let err: unknown;
    try {
      sm.get(Greeter, { range: '^3.0.0', filter: '(region=fr)' });
    } catch (e) {
      err = e;
    }
    expect(isCarusoError(err, 'CARUSO_KERNEL_SERVICE_NOT_FOUND')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain('test.Greeter');
    expect(msg).toContain('^3.0.0');
    expect(msg).toContain('(region=fr)');
    expect(msg).toContain('1.0.0');
    expect(msg).toContain('2.0.0');
    expect(sm.tryGet(Greeter, { range: '^3.0.0' })).toBeUndefined();
  });

  it('does not let consumers call lifecycle or disposal methods through the proxy', async () => {
    const Svc = createToken<{ ping(): string }>('test.Lifecycle');
    class Impl extends Disposable {
      ping(): string {
        return this.isDisposed ? 'gone' : 'pong';
      }
      stop(): void {
        this.dispose();
      }
    }
    const impl = new Impl();
    sm.register(Svc, { version: '1.0.0', create: () => Object.assign(impl, { start: () => undefined }) });
    await sm.whenAvailable(Svc, { timeoutMs: 1000 });
    const p = sm.get(Svc) as unknown as Record<string, unknown>;
    expect(p['ping']).toBeInstanceOf(Function);
    for (const name of ['stop', 'start', 'dispose', 'register', 'exportState']) expect(p[name]).toBeUndefined();
    expect((p['ping'] as () => string)()).toBe('pong');
  });
});

describe('ServiceManager lifecycle', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  it('starts services in dependency order, waits for async start, and stops in reverse order', async () => {
    const sm = createServiceManager();
    const log: string[] = [];
    const Db = createToken<{ q(): string }>('test.Db');
    const Repo = createToken<{ find(): string }>('test.Repo');
    const Api = createToken<{ handle(): string }>('test.Api');
    // Registered top-down on purpose: the manager orders them.
    sm.register(Api, {
      version: '1.0.0',
      dependencies: { repo: { token: Repo } },
      create: ({ repo }) => ({ handle: () => `api(${repo.find()})`, start: () => void log.push('start api'), stop: () => void log.push('stop api') }),
    });
    sm.register(Repo, {
      version: '1.0.0',
      dependencies: { db: { token: Db } },
      create: ({ db }) => ({ find: () => `repo(${db.q()})`, start: () => void log.push('start repo'), stop: () => void log.push('stop repo') }),
    });
    sm.register(Db, {
      version: '1.0.0',
      create: () => ({
        q: () => 'db',
        start: async () => {
          await new Promise((r) => setTimeout(r, 20));
          log.push('start db');
        },
        stop: () => void log.push('stop db'),
      }),
    });
    await sm.start();
    expect(sm.list().map((s) => s.state)).toEqual(['active', 'active', 'active']);
    expect(sm.get(Api).handle()).toBe('api(repo(db))');
    await sm.stop();
    expect(log).toEqual(['start db', 'start repo', 'start api', 'stop api', 'stop repo', 'stop db']);
  });

  it('fails a service whose start throws with a clear error and leaves the registry unchanged', async () => {
    const sm = createServiceManager();
    sm.register(Greeter, greeter('1.0.0', 'good'));
    await sm.start();
    const before = sm.find('test.Greeter').map((s) => s.id);
    const h = sm.register(Greeter, {
      version: '1.1.0',
      create: () => ({
        greet: () => 'bad',
        start: () => {
          throw new Error('cannot open the legacy database');
        },
      }),
    });
    await expect(h.ready).rejects.toMatchObject({ code: 'CARUSO_KERNEL_START_FAILED', message: expect.stringContaining('cannot open the legacy database') });
    expect(sm.find('test.Greeter').map((s) => s.id)).toEqual(before);
    expect(sm.get(Greeter).greet('x')).toBe('good:x');
    await sm.stop();
  });

  it('times out a start whose dependency never comes and names the missing dependency', async () => {
    const sm = createServiceManager();
    const Billing = createToken<object>('billing.Invoices');
    const h = sm.register(Greeter, { version: '1.0.0', startTimeoutMs: 50, dependencies: { billing: { token: Billing, range: '^2' } }, create: () => ({ greet: () => '' }) });
    sm.register(Billing, { version: '1.5.0', create: () => ({}) });
    await sm.start();
    await expect(h.ready).rejects.toMatchObject({ code: 'CARUSO_KERNEL_START_TIMEOUT' });
    await expect(h.ready).rejects.toThrow(/missing dependency 'billing' = billing.Invoices \^2: registered: 1.5.0 \(active\)/);
    await sm.stop();
  });

  it('starts a service registered after start() as soon as its dependency arrives', async () => {
    const sm = createServiceManager();
    await sm.start();
    const h = sm.register(Greeter, { version: '1.0.0', dependencies: { clock: { token: Clock } }, create: ({ clock }) => ({ greet: (n: string) => `${n}@${clock.now()}` }) });
    expect(h.info().state).toBe('starting');
    sm.register(Clock, { version: '1.0.0', create: () => ({ now: () => 42 }) });
    await h.ready;
    expect(sm.get(Greeter).greet('x')).toBe('x@42');
    await sm.stop();
  });

  it('gives optional dependencies undefined and multiple dependencies a live set', async () => {
    const sm = createServiceManager();
    const Plugin = createToken<{ name(): string }>('test.Plugin');
    sm.register(Plugin, { version: '1.0.0', properties: { n: 'a' }, create: () => ({ name: () => 'a' }) });
    let plugins: { all(): { name(): string }[] } | undefined;
    let clock: Clock | undefined = { now: () => 0 };
    sm.register(Greeter, {
      version: '1.0.0',
      dependencies: { clock: { token: Clock, optional: true }, plugins: { token: Plugin, multiple: true } },
      create: (deps) => {
        clock = deps.clock;
        plugins = deps.plugins;
        return { greet: () => '' };
      },
    });
    await sm.start();
    expect(clock).toBeUndefined();
    expect(plugins!.all().map((p) => p.name())).toEqual(['a']);
    const h = sm.register(Plugin, { version: '1.0.0', properties: { n: 'b' }, create: () => ({ name: () => 'b' }) });
    await h.ready;
    expect(plugins!.all().map((p) => p.name())).toEqual(['a', 'b']);
    await sm.stop();
  });

  it('does not make a service active whose first health check is down', async () => {
    const sm = createServiceManager();
    const h = sm.register(Greeter, { version: '1.0.0', create: () => ({ greet: () => '', health: () => ({ status: 'down' as const, detail: 'no connection' }) }) });
    await sm.start();
    await expect(h.ready).rejects.toMatchObject({ code: 'CARUSO_KERNEL_UNHEALTHY' });
    expect(sm.tryGet(Greeter)).toBeUndefined();
    await sm.stop();
  });
});

describe('ServiceManager events and trackers', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  it('numbers every event and reports state changes', async () => {
    const sm = createServiceManager();
    const events: RegistryEvent[] = [];
    sm.onDidChangeRegistry((e) => events.push(e));
    const h = sm.register(Greeter, greeter('1.0.0'));
    await sm.start();
    h.setProperties({ region: 'nl' });
    await h.unregister();
    expect(events.map((e) => (e.type === 'state' ? `state:${e.from}->${e.service.state}` : e.type))).toEqual([
      'registered',
      'state:registered->starting',
      'state:starting->active',
      'modified',
      'state:active->draining',
      'state:draining->stopped',
      'unregistered',
    ]);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    await sm.stop();
  });

  it('track() returns the current matches and then every change, including a service that stops matching', async () => {
    const sm = createServiceManager();
    const a = sm.register(Greeter, { ...greeter('1.0.0', 'a'), properties: { region: 'nl' } });
    await sm.start();
    const tracker = sm.track(Greeter, { filter: '(region=nl)' });
    expect(tracker.services().map((s) => s.id)).toEqual([a.id]);
    const seen: string[] = [];
    tracker.onDidChange((e) => seen.push(`${e.type}:${e.service.version}`));
    const b = sm.register(Greeter, { ...greeter('1.1.0', 'b'), properties: { region: 'nl', x: 1 } });
    await b.ready;
    b.setProperties({ region: 'nl', x: 2 });
    a.setProperties({ region: 'be' }); // no longer matches
    await b.unregister();
    expect(seen).toEqual(['added:1.1.0', 'modified:1.1.0', 'removed:1.0.0', 'removed:1.1.0']);
    expect(tracker.all()).toEqual([]);
    tracker.dispose();
    await sm.stop();
  });

  it('whenAvailable waits for a service and times out with a clear error', async () => {
    const sm = createServiceManager();
    await sm.start();
    const waiting = sm.whenAvailable(Greeter, { timeoutMs: 1000 });
    sm.register(Greeter, greeter('1.0.0', 'w'));
    expect((await waiting).greet('x')).toBe('w:x');
    await expect(sm.whenAvailable(Clock, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'CARUSO_KERNEL_WAIT_TIMEOUT' });
    await sm.stop();
  });
});

describe('ServiceManager metrics', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  it('counts calls, errors and in-flight per service and samples latency', async () => {
    const sm = createServiceManager();
    const Svc = createToken<{ ok(): number; fail(): void; slow(): Promise<number> }>('test.Metrics');
    let release!: () => void;
    const h = sm.register(Svc, {
      version: '1.0.0',
      create: () => ({
        ok: () => 1,
        fail: () => {
          throw new Error('boom');
        },
        slow: () => new Promise<number>((r) => (release = () => r(2))),
      }),
    });
    await sm.start();
    const s = sm.get(Svc);
    for (let i = 0; i < 16; i++) s.ok();
    expect(() => s.fail()).toThrow('boom');
    const pending = s.slow();
    expect(h.info().metrics.inFlight).toBe(1);
    release();
    expect(await pending).toBe(2);
    const m = h.info().metrics;
    expect(m).toMatchObject({ calls: 18, errors: 1, inFlight: 0 });
    expect(m.latency.sampled).toBe(2);
    expect(m.latency.counts.reduce((a, b) => a + b, 0)).toBe(2);
    await sm.stop();
  });
});

describe('ServiceManager proxies and thenables', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  it('returns a thenable that is not a promise untouched (a query builder is not started by the proxy)', async () => {
    const sm = createServiceManager();
    let started = 0;
    const builder = {
      then(resolve: (v: number) => void) {
        started++;
        resolve(1);
      },
    };
    const Q = createToken<{ query(): typeof builder }>('test.Query');
    sm.register(Q, { version: '1.0.0', create: () => ({ query: () => builder }) });
    await sm.start();
    expect(sm.get(Q).query()).toBe(builder);
    expect(started).toBe(0);
    await sm.stop();
  });
});

describe('ServiceManager registered under its own token', () => {
  it('lets a service depend on the manager and read every service, without reaching its start and stop', async () => {
    const { ServiceManager: ServiceManagerToken } = await import('@caruso/kernel');
    const sm = createServiceManager({ registerSelf: true });
    let seen: string[] = [];
    const Reader = createToken<{ names(): string[] }>('test.Reader');
    sm.register(Reader, {
      version: '1.0.0',
      dependencies: { manager: { token: ServiceManagerToken } },
      create: ({ manager }) => ({ names: () => manager.list().map((s) => s.tokenId) }),
    });
    await sm.start();
    seen = sm.get(Reader).names();
    expect(seen).toEqual(['caruso.ServiceManager', 'test.Reader']);
    const view = sm.get(ServiceManagerToken) as unknown as Record<string, unknown>;
    expect(view['stop']).toBeUndefined();
    expect(view['start']).toBeUndefined();
    await sm.stop();
  });
});
