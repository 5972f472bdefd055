import { runSimulation, type Estimate } from '@caruso/comms';
import { studentT975 } from '@caruso/comms/testing';

// The run's 95 % batch-means interval, widened to 99 % (same batches): a fixed seed makes each
// check deterministic, and 99 % keeps the family of checks below from failing by chance alone.
const WIDEN = 2.861 / studentT975(19);

function within(est: Estimate, theory: number): void {
  expect(est.ci95).toBeDefined();
  expect(Math.abs(est.value - theory)).toBeLessThanOrEqual(est.ci95! * WIDEN);
}

describe('runSimulation against Erlang C (exponential handle times, no abandonment)', () => {
  const cases = [
    { agents: 4, callsPerHour: 40, ahtSeconds: 300, hours: 2000, slSeconds: 20 },
    { agents: 20, callsPerHour: 240, ahtSeconds: 270, hours: 400, slSeconds: 20 },
    { agents: 55, callsPerHour: 720, ahtSeconds: 240, hours: 200, slSeconds: 15 },
    { agents: 180, callsPerHour: 3900, ahtSeconds: 160, hours: 40, slSeconds: 10 },
  ];
  it.each(cases)('$agents agents at $callsPerHour calls/h, AHT $ahtSeconds s agree with Erlang C', (c) => {
    const r = runSimulation({ ...c, seed: 7 });
    if (r.theory.model !== 'erlang-c') throw new Error('expected Erlang C');
    expect(r.figures.abandoned).toBe(0);
    expect(r.figures.answered).toBe(r.figures.offered);
    within(r.figures.probabilityOfWait, r.theory.pWait);
    within(r.figures.serviceLevel.ofAnswered, r.theory.serviceLevel);
    within(r.figures.asaSeconds, r.theory.asa);
    within(r.figures.ahtSeconds, c.ahtSeconds);
    expect(Math.abs(r.figures.occupancy - r.theory.occupancy)).toBeLessThan(0.01);
  });
});

describe('runSimulation against Erlang A (exponential patience)', () => {
  const cases = [
    { agents: 4, callsPerHour: 60, ahtSeconds: 180, patienceSeconds: 60, hours: 1000, slSeconds: 20 },
    { agents: 50, callsPerHour: 720, ahtSeconds: 240, patienceSeconds: 120, hours: 150, slSeconds: 20 },
    { agents: 150, callsPerHour: 3600, ahtSeconds: 160, patienceSeconds: 90, hours: 40, slSeconds: 20 },
  ];
  it.each(cases)('$agents agents with $patienceSeconds s mean patience agree with Erlang A', (c) => {
    const r = runSimulation({ ...c, seed: 11 });
    if (r.theory.model !== 'erlang-a') throw new Error('expected Erlang A');
    within(r.figures.abandonRate, r.theory.pAbandon);
    within(r.figures.serviceLevel.ofOffered, r.theory.serviceLevelOfOffered);
    within(r.figures.serviceLevel.ofAnswered, r.theory.serviceLevelOfAnswered);
    within(r.figures.asaSeconds, r.theory.asa);
    expect(Math.abs(r.figures.occupancy - r.theory.occupancy)).toBeLessThan(0.01);
  });
});

describe('runSimulation', () => {
  it('is reproducible from its seed and changes with it', () => {
    const a = runSimulation({ agents: 5, callsPerHour: 60, ahtSeconds: 240, hours: 20, seed: 3 });
    const b = runSimulation({ agents: 5, callsPerHour: 60, ahtSeconds: 240, hours: 20, seed: 3 });
    const c = runSimulation({ agents: 5, callsPerHour: 60, ahtSeconds: 240, hours: 20, seed: 4 });
    expect(b.figures).toEqual(a.figures);
    expect(c.figures).not.toEqual(a.figures);
  });

  it('gives every strategy the same waiting figures for identical agents (work-conserving)', () => {
    const base = runSimulation({ agents: 6, callsPerHour: 80, ahtSeconds: 240, hours: 50, seed: 5, strategy: 'longest-idle' });
    for (const strategy of ['round-robin', 'random', 'ring-all', 'fewest-contacts'] as const) {
      const r = runSimulation({ agents: 6, callsPerHour: 80, ahtSeconds: 240, hours: 50, seed: 5, strategy });
      expect(r.figures.offered).toBe(base.figures.offered);
      expect(r.figures.asaSeconds.value).toBeCloseTo(base.figures.asaSeconds.value, 6);
    }
  });

  it('rejects parameters out of range with a coded error', () => {
    const bad = [
      { agents: 0, callsPerHour: 10, ahtSeconds: 100 },
      { agents: 2.5, callsPerHour: 10, ahtSeconds: 100 },
      { agents: 2, callsPerHour: -1, ahtSeconds: 100 },
      { agents: 2, callsPerHour: 10, ahtSeconds: 0 },
      { agents: 2, callsPerHour: 100, ahtSeconds: 100 }, // 2.8 erlangs on 2 agents without patience
      { agents: 2, callsPerHour: 10, ahtSeconds: 100, strategy: 'loudest' as never },
    ];
    for (const b of bad) expect(() => runSimulation(b)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_SIMULATION' }));
  });
});
