// Regression tests of lifecycle races found by a code review: unregister during start, a slower
// older replacement, shutdown during a drain, pins, properties that satisfy a waiting dependency,
// and the start signal.
import { ensureNoDisposablesLeaked } from '@caruso/kernel/testing';
import { createServiceManager, createToken, isCarusoError, type ServiceContext, type ServiceManager } from '@caruso/kernel';

interface Greeter {
  greet(name: string): string;
}
const Greeter = createToken<Greeter>('test.Greeter');
interface Store {
  get(): string;
}
const Store = createToken<Store>('test.Store');

/** A promise with its resolver, to hold a start() or a call until the test lets it go. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('lifecycle races', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  let sm: ServiceManager;
  let log: string[];
  beforeEach(() => {
    sm = createServiceManager({ startTimeoutMs: 1000, drainTimeoutMs: 300 });
    log = [];
  });
  afterEach(async () => {
    await sm.stop();
  });

  /** A greeter that logs its lifecycle; `startGate` holds its start, `stopMs` makes its stop slow. */
  function greeter(version: string, opts: { startGate?: Promise<void>; stopMs?: number; extra?: Record<string, unknown> } = {}) {
    return {
      version,
      create: () => ({
        greet: (n: string) => `${version}:${n}`,
        async start() {
          log.push(`${version}.start`);
          await opts.startGate;
          log.push(`${version}.started`);
        },
        async stop(reason: string) {
          log.push(`${version}.stop(${reason})`);
          if (opts.stopMs) await tick(opts.stopMs);
        },
        exportState: () => {
          log.push(`${version}.export`);
          return { from: version };
        },
        importState: () => {
          log.push(`${version}.import`);
        },
        ...opts.extra,
      }),
    };
  }

  const states = (): string[] => sm.find('test.Greeter').map((s) => `${s.version}:${s.state}`);

  it('unregister during start neither activates the new version nor retires the old one, and stops it once', async () => {
    sm.register(Greeter, greeter('1.0.0'));
    await sm.start();
    const proxy = sm.get(Greeter);
    const g = gate();
    const v2 = sm.register(Greeter, greeter('2.0.0', { startGate: g.promise, stopMs: 30 }));
    await until(() => log.includes('2.0.0.start'));
    const removed = v2.unregister();
    g.open();
    await removed;
    await expect(v2.ready).rejects.toMatchObject({ code: 'CARUSO_KERNEL_SERVICE_UNAVAILABLE' });
    await tick(80);
    expect(states()).toEqual(['1.0.0:active']);
    expect(proxy.greet('a')).toBe('1.0.0:a');
    expect(log.filter((l) => l.startsWith('2.0.0.stop'))).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('1.0.0.stop'))).toEqual([]);
  });

  it('stops a service once when unregister and the manager stop race', async () => {
    const g = gate();
    let stops = 0;
    const h = sm.register(Greeter, {
      version: '1.0.0',
      create: () => ({
        greet: (n: string) => n,
        stop: async () => {
          stops++;
          await tick(10);
        },
      }),
    });
    await sm.start();
    const call = sm.get(Greeter).greet('x'); // in flight: unregister drains
    const removed = h.unregister();
    const stopped = sm.stop();
    g.open();
    await Promise.all([call, removed, stopped]);
    expect(stops).toBe(1);
  });

  it('a second stop() of the manager waits for the first one instead of returning while services still run', async () => {
    let stopped = false;
    sm.register(Greeter, {
      version: '1.0.0',
      create: () => ({
        greet: (n: string) => n,
        stop: async () => {
          await tick(50);
          stopped = true;
        },
      }),
    });
    await sm.start();
    const first = sm.stop();
    await sm.stop();
    expect(stopped).toBe(true);
    await first;
  });

  it('does not let a slower older replacement win over, or retire, a newer version that became active first', async () => {
    sm.register(Greeter, greeter('1.0.0'));
    await sm.start();
    const proxy = sm.get(Greeter);
    const slow = gate();
    const v2 = sm.register(Greeter, greeter('2.0.0', { startGate: slow.promise }));
    const v3 = sm.register(Greeter, greeter('3.0.0'));
    await v3.ready;
    expect(proxy.greet('a')).toBe('3.0.0:a');
    slow.open();
    await expect(v2.ready).rejects.toMatchObject({ code: 'CARUSO_KERNEL_SERVICE_UNAVAILABLE', message: expect.stringContaining('3.0.0') });
    await until(() => states().length === 1);
    expect(states()).toEqual(['3.0.0:active']);
    expect(proxy.greet('b')).toBe('3.0.0:b');
    expect(log).toContain('2.0.0.stop(replaced)');
    expect(log.filter((l) => l.startsWith('3.0.0.stop'))).toEqual([]);
  });

  it('shutdown during a drain drains once, hands no state over to a stopped successor and stops each version once', async () => {
    const g = gate();
    sm.register(Greeter, greeter('1.0.0', { extra: { slow: () => g.promise } }));
    await sm.start();
    const inFlight = (sm.get(Greeter) as Greeter & { slow(): Promise<void> }).slow();
    const v2 = sm.register(Greeter, greeter('2.0.0'));
    await v2.ready; // 1.0.0 is draining, waiting for the call in flight
    const stopped = sm.stop();
    const t0 = Date.now();
    g.open();
    await inFlight;
    await stopped;
    expect(Date.now() - t0).toBeLessThan(250); // not held until the drain deadline (300 ms)
    await tick(400); // past the deadline: a second, overwritten drain would fire now
    const v2Stop = log.indexOf('2.0.0.stop(shutdown)');
    expect(v2Stop).toBeGreaterThanOrEqual(0);
    expect(log.slice(v2Stop)).not.toContain('2.0.0.import');
    expect(log.filter((l) => l.startsWith('1.0.0.stop'))).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('2.0.0.stop'))).toHaveLength(1);
  });

  describe('pin()', () => {
    it('pins a service that has its own dispose, and releasing the pin lets the old version drain at once', async () => {
      let disposed = 0;
      sm.register(Greeter, greeter('1.0.0', { extra: { dispose: () => disposed++ } }));
      await sm.start();
      const pinned = sm.pin(sm.get(Greeter));
      expect(pinned.greet('a')).toBe('1.0.0:a');
      pinned.dispose(); // releases the pin; the service's own dispose is not the pin's
      expect(disposed).toBe(0);
      const t0 = Date.now();
      await sm.register(Greeter, greeter('2.0.0')).ready;
      await until(() => states().length === 1);
      expect(Date.now() - t0).toBeLessThan(250); // no leaked pin held 1.0.0 until its drain deadline
      expect(sm.find('test.Greeter')[0]!.metrics.drainTimeouts).toBe(0);
    });

    it('leaves no pin behind when pin() fails', async () => {
      sm.register(Greeter, greeter('1.0.0', { extra: { dispose: () => undefined } }));
      await sm.start();
      const proxy = sm.get(Greeter);
      try {
        sm.pin(proxy).dispose();
      } catch {
        /* the old code threw here, after counting the pin */
      }
      await sm.register(Greeter, greeter('2.0.0')).ready;
      const t0 = Date.now();
      await until(() => states().length === 1);
      expect(Date.now() - t0).toBeLessThan(250);
    });

    it('fails a pinned proxy cleanly once its version has stopped, instead of calling the stopped instance', async () => {
      sm.register(Greeter, greeter('1.0.0'));
      await sm.start();
      const pinned = sm.pin(sm.get(Greeter));
      await sm.register(Greeter, greeter('2.0.0')).ready;
      expect(pinned.greet('still')).toBe('1.0.0:still'); // the old version serves its pins while it drains
      await until(() => log.includes('1.0.0.stop(replaced)'), 2000); // drain deadline (300 ms) passed
      let err: unknown;
      try {
        pinned.greet('late');
      } catch (e) {
        err = e;
      }
      expect(isCarusoError(err, 'CARUSO_KERNEL_SERVICE_UNAVAILABLE')).toBe(true);
      pinned.dispose();
    });
  });

  it('starts a service waiting for a dependency as soon as setProperties makes one match', async () => {
    const store = sm.register(Store, { version: '1.0.0', properties: { ready: false }, create: () => ({ get: () => 'data' }) });
    const consumer = sm.register(Greeter, {
      version: '1.0.0',
      dependencies: { store: { token: Store, filter: '(ready=true)' } },
      create: ({ store: s }) => ({ greet: (n: string) => `${s.get()}:${n}` }),
    });
    const started = sm.start(); // resolves once every service is active or failed
    await until(() => sm.find('test.Store')[0]?.state === 'active');
    await tick(50);
    expect(states()).toEqual(['1.0.0:starting']); // waiting for a store with ready=true
    store.setProperties({ ready: true });
    await consumer.ready;
    await started;
    expect(sm.get(Greeter).greet('x')).toBe('data:x');
  });

  it('aborts ctx.signal of a service whose start timed out (and only of that one)', async () => {
    const signals: Record<string, AbortSignal> = {};
    sm.register(Store, { version: '1.0.0', create: () => ({ get: () => '', start: (ctx: ServiceContext) => void (signals['store'] = ctx.signal) }) });
    const hanging = sm.register(Greeter, {
      version: '1.0.0',
      startTimeoutMs: 50,
      create: () => ({
        greet: (n: string) => n,
        start: (ctx: ServiceContext) => {
          signals['greeter'] = ctx.signal;
          return new Promise<void>(() => undefined);
        },
      }),
    });
    await sm.start();
    await expect(hanging.ready).rejects.toMatchObject({ code: 'CARUSO_KERNEL_START_TIMEOUT' });
    expect(signals['greeter']!.aborted).toBe(true);
    expect(signals['store']!.aborted).toBe(false);
    await sm.stop();
    expect(signals['store']!.aborted).toBe(true); // shutdown still aborts every signal
  });
});
