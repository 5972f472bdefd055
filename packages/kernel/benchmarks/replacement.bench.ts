// Calls per second through one hot replacement under load (zero failures expected), next to the same
// load without a replacement: the median of 5 interleaved rounds with its spread (benchmarks/support/rounds.ts).
import { performance } from 'node:perf_hooks';
import { createServiceManager, createToken } from '@caruso/kernel';
import { defineBenchmark } from '@caruso/kernel/testing';
import { interleavedRounds, roundsFigure } from '../../../benchmarks/support/rounds.js';

interface Counter {
  inc(): number;
  incAsync(): Promise<number>;
}
const Counter = createToken<Counter>('bench.Counter');

function impl(): Counter {
  let n = 0;
  return { inc: () => ++n, incAsync: async () => ++n };
}

async function drive(durationMs: number, replaceAtMs: number | undefined): Promise<{ callsPerSec: number; failures: number; v2Active: boolean }> {
  const sm = createServiceManager();
  sm.register(Counter, { version: '1.0.0', create: impl });
  await sm.start();
  const proxy = sm.get(Counter);
  let calls = 0;
  let failures = 0;
  let v2Active = false;
  const t0 = performance.now();
  let replaced = replaceAtMs === undefined;
  // Several async drivers plus synchronous bursts: calls are in flight when the switch happens.
  const drivers = Array.from({ length: 4 }, async () => {
    while (performance.now() - t0 < durationMs) {
      for (let k = 0; k < 500; k++) {
        try {
          proxy.inc();
          calls++;
        } catch {
          failures++;
        }
      }
      try {
        await proxy.incAsync();
        calls++;
      } catch {
        failures++;
      }
      if (!replaced && performance.now() - t0 > (replaceAtMs as number)) {
        replaced = true;
        const v2 = sm.register(Counter, { version: '2.0.0', create: impl });
        void v2.ready.then(() => (v2Active = true));
      }
    }
  });
  await Promise.all(drivers);
  const elapsed = (performance.now() - t0) / 1000;
  await sm.stop();
  return { callsPerSec: calls / elapsed, failures, v2Active };
}

export default defineBenchmark({
  id: 'kernel.replacement',
  title: 'Service manager: calls per second through a hot replacement (local)',
  async run() {
    const through: Array<{ callsPerSec: number; failures: number; v2Active: boolean }> = [];
    const r = await interleavedRounds(5, {
      replaced: async () => {
        const t = await drive(400, 150);
        through.push(t);
        return t.callsPerSec;
      },
      steady: async () => (await drive(400, undefined)).callsPerSec,
    });
    const failures = through.reduce((n, t) => n + t.failures, 0);
    return [
      roundsFigure({
        name: 'calls/s through one replacement',
        unit: 'calls/s',
        rounds: r.replaced,
        peer: { name: 'same load without replacement', rounds: r.steady },
        goal: '≥ 100,000 calls/s, 0 failures',
        met: r.replaced.median >= 100_000 && failures === 0 && through.every((t) => t.v2Active),
        note: `${failures} failed calls over ${through.length} runs; v2 active in every run: ${through.every((t) => t.v2Active)}`,
      }),
    ];
  },
});
