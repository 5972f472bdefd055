// Simulated calls per second of `caruso simulate` (the real router on the virtual clock), next to
// the virtual clock alone running the same number of timers.
import { performance } from 'node:perf_hooks';
import { VirtualClock, runSimulation } from '@caruso/comms';
import { defineBenchmark } from '@caruso/kernel/testing';

export default defineBenchmark({
  id: 'comms.simulate',
  title: 'Communication server: simulated calls per second (caruso simulate)',
  async run() {
    // 180 agents at 0.9 occupancy; about a million calls.
    const r = runSimulation({ agents: 180, callsPerHour: 3645, ahtSeconds: 160, hours: 250, warmupHours: 25, seed: 1 });
    // Peer: the virtual clock alone, with as many timer chains as agents (a heap of realistic size).
    const timersPerCall = 5;
    const clock = new VirtualClock();
    const n = r.run.calls * timersPerCall;
    let fired = 0;
    const tick = (): void => {
      if (++fired < n) clock.setTimer(1 + (fired % 997), tick);
    };
    const t0 = performance.now();
    for (let i = 0; i < 180; i++) clock.setTimer(i, tick);
    clock.runAll(n + 1_000);
    const clockPerSecond = fired / timersPerCall / ((performance.now() - t0) / 1000);
    const seconds = r.run.wallMs / 1000;
    return [
      {
        name: 'simulated calls/s',
        value: r.run.callsPerSecond,
        unit: 'calls/s',
        peer: { name: `virtual clock alone, ${timersPerCall} timers per call`, value: clockPerSecond },
        goal: '1,000,000 calls < 60 s',
        met: (1_000_000 / r.run.callsPerSecond) < 60,
        note: `${r.run.calls.toLocaleString('en-US')} calls (${r.run.events.toLocaleString('en-US')} events) in ${seconds.toFixed(1)} s`,
      },
    ];
  },
});
