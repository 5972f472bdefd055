import { Writable } from 'node:stream';
import {
  containPromise,
  createLogger,
  createServiceManager,
  createToken,
  Emitter,
  faultCount,
  onDidContainFault,
  resetFaultCounts,
  safeInterval,
  safeTimeout,
  setFaultLogger,
  silentLogger,
  type ContainedFault,
} from '@caruso/kernel';

function wait(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('fault containment', () => {
  let seen: ContainedFault[];
  let stop: { dispose(): void };
  beforeEach(() => {
    resetFaultCounts();
    seen = [];
    stop = onDidContainFault((f) => seen.push(f));
  });
  afterEach(() => {
    stop.dispose();
    setFaultLogger(silentLogger());
  });

  it('contains a listener that throws: the other listeners run, the fault is counted under the owner, nothing reaches the process', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const e = new Emitter<number>({ owner: 'caruso.comms/router' });
      const got: number[] = [];
      e.event(() => {
        throw new Error('listener bug');
      });
      e.event((n) => got.push(n));
      e.fire(1);
      e.fire(2);
      await wait(5);
      expect(got).toEqual([1, 2]);
      expect(faultCount('caruso.comms/router')).toBe(2);
      expect(faultCount('caruso.comms')).toBe(2);
      expect(faultCount('caruso.monitor')).toBe(0);
      expect(seen.map((f) => [f.owner, f.where])).toEqual([
        ['caruso.comms/router', 'listener'],
        ['caruso.comms/router', 'listener'],
      ]);
      expect(uncaught).toEqual([]);
      e.dispose();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('contains a timer that throws and an interval whose promise rejects', async () => {
    safeTimeout('caruso.monitor', () => {
      throw new Error('timer bug');
    }, 1);
    let n = 0;
    const h = safeInterval('caruso.monitor/alerts', async () => {
      n++;
      await Promise.resolve();
      throw new Error('async timer bug');
    }, 2);
    // At least two rounds, however busy the machine (bounded: 2 s).
    for (let i = 0; i < 200 && n < 2; i++) await wait(10);
    clearInterval(h);
    await wait(5);
    expect(n).toBeGreaterThan(1);
    expect(faultCount('caruso.monitor')).toBe(1 + n);
    expect(seen.every((f) => f.where === 'timer')).toBe(true);
  });

  it('contains a fire-and-forget promise that rejects', async () => {
    containPromise('caruso.frontoffice', Promise.reject(new Error('nobody awaited me')));
    await wait(1);
    expect(faultCount('caruso.frontoffice')).toBe(1);
  });

  it('logs the fault with its owner and never the error as a bare throw', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => { lines.push(chunk.toString()); cb(); } });
    setFaultLogger(createLogger({ level: 'info' }, sink));
    const e = new Emitter<void>({ owner: 'caruso.comms/telephony' });
    e.event(() => {
      throw new Error('boom');
    });
    e.fire();
    await wait(5);
    const line = JSON.parse(lines[0] ?? '{}') as { owner?: string; where?: string; msg?: string; err?: { message?: string } };
    expect(line).toMatchObject({ owner: 'caruso.comms/telephony', where: 'listener', msg: 'fault contained' });
    expect(line.err?.message).toBe('boom');
    e.dispose();
  });

  it("shows a service's contained faults in its metrics", async () => {
    const Svc = createToken<{ ping(): number }>('caruso.test.Faulty');
    const manager = createServiceManager();
    manager.register(Svc, { version: '1.0.0', create: () => ({ ping: () => 1 }) });
    const e = new Emitter<void>({ owner: 'caruso.test.Faulty/part' });
    e.event(() => {
      throw new Error('x');
    });
    e.fire();
    const info = manager.list().find((i) => i.tokenId === 'caruso.test.Faulty');
    expect(info?.metrics.faults).toBe(1);
    e.dispose();
    await manager.stop();
  });
});
