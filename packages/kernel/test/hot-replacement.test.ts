import { ensureNoDisposablesLeaked } from '@caruso/kernel/testing';
import { createServiceManager, createToken } from '@caruso/kernel';

interface Counter {
  add(n: number): Promise<number>;
  version(): string;
}
const Counter = createToken<Counter>('test.Counter');

/** A counter whose add() takes a little time, so calls are in flight during the switch. */
function counter(version: string, calls: string[], opts: { delayMs?: number } = {}) {
  return {
    version,
    drainTimeoutMs: 2000,
    create: () => {
      let total = 0;
      let stopped = false;
      return {
        async add(n: number) {
          if (stopped) throw new Error(`${version} called after stop`);
          calls.push(version);
          await new Promise((r) => setTimeout(r, opts.delayMs ?? 1));
          total += n;
          return total;
        },
        version: () => version,
        exportState: () => ({ total }),
        importState: (s: unknown) => {
          total += (s as { total: number }).total;
        },
        stop: () => {
          stopped = true;
        },
      };
    },
  };
}

describe('hot replacement', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  it('switches every proxy to v2 under continuous load with zero failed calls and no call to v1 after the switch', async () => {
    const sm = createServiceManager();
    const calls: string[] = [];
    const v1 = sm.register(Counter, counter('1.0.0', calls));
    await sm.start();
    const proxy = sm.get(Counter);
    const other = sm.get(Counter, { range: '>=1' }); // a second consumer with its own proxy

    let failures = 0;
    let done = false;
    let switchedAt = -1;
    const drivers = Array.from({ length: 8 }, async () => {
      let n = 0;
      while (!done && n < 2000) {
        n++;
        try {
          await (n % 2 ? proxy : other).add(1);
        } catch {
          failures++;
        }
      }
    });
    // Let load build, then replace while it runs.
    await new Promise((r) => setTimeout(r, 30));
    const v2 = sm.register(Counter, {
      ...counter('2.0.0', calls),
      create: async () => {
        await new Promise((r) => setTimeout(r, 10)); // a slow start: v1 keeps serving meanwhile
        return counter('2.0.0', calls).create();
      },
    });
    const sub = sm.onDidChangeRegistry((e) => {
      if (e.type === 'state' && e.service.id === v2.id && e.service.state === 'active') switchedAt = calls.length;
    });
    await v2.ready;
    sub.dispose();
    await new Promise((r) => setTimeout(r, 30));
    done = true;
    await Promise.all(drivers);

    expect(failures).toBe(0);
    expect(switchedAt).toBeGreaterThan(0);
    // Every call that began after the switch reached v2.
    expect(calls.slice(switchedAt).every((v) => v === '2.0.0')).toBe(true);
    expect(calls.slice(0, switchedAt)).toContain('1.0.0');
    expect(proxy.version()).toBe('2.0.0');
    expect(other.version()).toBe('2.0.0');
    // v1 drained, handed its state over, and stopped.
    await new Promise((r) => setTimeout(r, 20));
    expect(sm.find('test.Counter').map((s) => s.version)).toEqual(['2.0.0']);
    expect(v1.info().state).toBe('stopped');
    // The state hand-over: v2's total includes what v1 counted.
    const v1Calls = calls.filter((v) => v === '1.0.0').length;
    const v2Calls = calls.filter((v) => v === '2.0.0').length;
    expect(await proxy.add(0)).toBe(v1Calls + v2Calls);
    await sm.stop();
  });

  it('lets a pinned caller finish on the old version, then stops it', async () => {
    const sm = createServiceManager();
    const calls: string[] = [];
    const v1 = sm.register(Counter, counter('1.0.0', calls));
    await sm.start();
    const session = sm.pin(sm.get(Counter));
    const v2 = sm.register(Counter, counter('1.1.0', calls));
    await v2.ready;
    expect(sm.get(Counter).version()).toBe('1.1.0');
    expect(session.version()).toBe('1.0.0');
    expect(v1.info().state).toBe('draining');
    session.dispose();
    await new Promise((r) => setTimeout(r, 10));
    expect(v1.info().state).toBe('stopped');
    expect(() => session.version()).toThrow(/no longer available/);
    await sm.stop();
  });

  it('keeps v1 serving when v2 fails to start', async () => {
    const sm = createServiceManager();
    const calls: string[] = [];
    sm.register(Counter, counter('1.0.0', calls));
    await sm.start();
    const proxy = sm.get(Counter);
    const bad = sm.register(Counter, {
      version: '2.0.0',
      create: () => {
        throw new Error('bad config');
      },
    });
    await expect(bad.ready).rejects.toMatchObject({ code: 'CARUSO_KERNEL_START_FAILED' });
    expect(proxy.version()).toBe('1.0.0');
    expect(await proxy.add(1)).toBe(1);
    await sm.stop();
  });

  it('counts a drain time-out when v1 still has calls in flight at the deadline', async () => {
    const sm = createServiceManager({ drainTimeoutMs: 30 });
    const calls: string[] = [];
    const v1 = sm.register(Counter, { ...counter('1.0.0', calls, { delayMs: 200 }), drainTimeoutMs: 30 });
    await sm.start();
    const slow = sm.get(Counter).add(1);
    const v2 = sm.register(Counter, counter('1.1.0', calls));
    await v2.ready;
    await new Promise((r) => setTimeout(r, 60));
    expect(v1.info().metrics.drainTimeouts).toBe(1);
    await slow.catch(() => undefined);
    await sm.stop();
  });
});
