// `caruso simulate`: simulated calls per second (the real router on the virtual clock) next to the
// virtual clock alone running as many timers, in interleaved rounds; and the peak memory (RSS) of a
// run of 100,000, 1 million and 10 million calls, each in a child process of its own (single runs).
// CARUSO_BENCH_SIMULATE_CALLS=100000,1000000 measures fewer sizes (the 10-million run takes minutes).
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { VirtualClock, runSimulation, type SimulationOptions } from '@caruso/comms';
import { defineBenchmark } from '@caruso/kernel/testing';
import { interleavedRounds, roundsFigure, singleRun, type RoundsFigure } from '../../../benchmarks/support/rounds.js';

const ROUNDS = 3;
/** 180 agents at 0.9 occupancy. */
const CENTER = { agents: 180, callsPerHour: 3645, ahtSeconds: 160, seed: 1 } as const;
const SIZES = (process.env['CARUSO_BENCH_SIMULATE_CALLS'] ?? '100000,1000000,10000000').split(',').map(Number).filter((n) => n > 0);

/** The options of a run of about `calls` calls (10 % of them in the warm-up). */
function optionsFor(calls: number): SimulationOptions {
  const hours = calls / CENTER.callsPerHour / 1.1;
  return { ...CENTER, hours, warmupHours: hours * 0.1 };
}

/** In a child process: one run, then its peak RSS, as JSON on stdout. */
async function child(calls: number): Promise<void> {
  const r = await runSimulation(optionsFor(calls));
  const peakMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ calls: r.run.calls, wallMs: r.run.wallMs, callsPerSecond: r.run.callsPerSecond, peakMb, serviceLevel: r.figures.serviceLevel.ofAnswered.value, theory: r.theory.model === 'erlang-c' ? r.theory.serviceLevel : NaN }) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--calls') await child(Number(process.argv[3]));

/** The virtual clock alone with as many timers as `calls` calls need, in timer chains (a heap of realistic size). */
function clockAlone(calls: number, timersPerCall: number): number {
  const clock = new VirtualClock();
  const n = calls * timersPerCall;
  let fired = 0;
  const tick = (): void => {
    if (++fired < n) clock.setTimer(1 + (fired % 997), tick);
  };
  const t0 = performance.now();
  for (let i = 0; i < CENTER.agents; i++) clock.setTimer(i, tick);
  clock.runAll(n + 1_000);
  return fired / timersPerCall / ((performance.now() - t0) / 1000);
}

export default defineBenchmark({
  id: 'comms.simulate',
  title: 'Communication server: caruso simulate, calls per second and memory',
  async run() {
    const timersPerCall = 5;
    const r = await interleavedRounds(ROUNDS, {
      simulate: async () => (await runSimulation(optionsFor(100_000))).run.callsPerSecond,
      clock: () => clockAlone(100_000, timersPerCall),
    });
    const figures: RoundsFigure[] = [
      roundsFigure({
        name: 'simulated calls/s (100,000 calls a round)',
        unit: 'calls/s',
        rounds: r.simulate,
        peer: { name: `virtual clock alone, ${timersPerCall} timers per call`, rounds: r.clock },
        goal: '1,000,000 calls < 60 s',
        met: 1_000_000 / r.simulate.median < 60,
      }),
    ];
    for (const calls of SIZES) {
      const t0 = performance.now();
      const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--calls', String(calls)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      const line = out.stdout.trim().split('\n').pop() ?? '';
      if (out.status !== 0 || !line.startsWith('{')) throw new Error(`the ${calls}-call run failed (exit ${out.status}): ${out.stderr.slice(-2_000)}`);
      const m = JSON.parse(line) as { calls: number; wallMs: number; callsPerSecond: number; peakMb: number; serviceLevel: number; theory: number };
      figures.push(
        singleRun({
          name: `peak RSS, ${calls.toLocaleString('en-US')} calls`,
          value: m.peakMb,
          unit: 'MB',
          ...(calls >= 10_000_000 ? { goal: '10,000,000 calls < 300 MB', met: m.peakMb < 300 } : {}),
          note: `child process; ${m.calls.toLocaleString('en-US')} calls in ${(m.wallMs / 1000).toFixed(0)} s (${m.callsPerSecond.toLocaleString('en-US')} calls/s, ${((performance.now() - t0) / 1000).toFixed(0)} s with start-up); service level ${(m.serviceLevel * 100).toFixed(1)} % (Erlang C ${(m.theory * 100).toFixed(1)} %)`,
        }),
      );
    }
    return figures;
  },
});
