import { erlangAFigures, erlangB, erlangC, erlangCFigures } from '@caruso/comms/testing';

describe('Erlang formulas', () => {
  it('Erlang B matches the tables', () => {
    expect(erlangB(5, 3)).toBeCloseTo(0.11005, 5);
    expect(erlangB(10, 5)).toBeCloseTo(0.018385, 6);
    expect(erlangB(1, 1)).toBeCloseTo(0.5, 12);
  });

  it('Erlang C gives the textbook figures for 48 erlangs on 55 agents with 240 s AHT', () => {
    const f = erlangCFigures(55, 720, 240, 15);
    expect(f.erlangs).toBe(48);
    expect(f.pWait).toBeCloseTo(0.2387, 4);
    expect(f.serviceLevel).toBeCloseTo(0.8459, 4);
    expect(f.asa).toBeCloseTo(8.18, 2);
    expect(f.occupancy).toBeCloseTo(48 / 55, 12);
  });

  it('Erlang C of one agent is the utilisation, and an overloaded queue always waits', () => {
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 12);
    expect(erlangC(10, 10)).toBe(1);
    expect(erlangCFigures(10, 3600, 10, 20).asa).toBe(Infinity);
  });

  it('Erlang A with very patient callers is Erlang C', () => {
    const a = erlangAFigures(55, 720, 240, 1e9, 15);
    const c = erlangCFigures(55, 720, 240, 15);
    expect(a.pWait).toBeCloseTo(c.pWait, 6);
    expect(a.serviceLevelOfOffered).toBeCloseTo(c.serviceLevel, 6);
    expect(a.asa).toBeCloseTo(c.asa, 4);
    expect(a.pAbandon).toBeLessThan(1e-6);
  });

  it('Erlang A with one agent and patience equal to the handle time is the M/M/∞ chain in closed form', () => {
    // With n = 1 and θ = μ the death rate in state k is kμ: the number in system is Poisson(a).
    for (const a of [0.5, 1, 2.5]) {
      const f = erlangAFigures(1, a * 3600, 1, 1, 1);
      expect(f.pWait).toBeCloseTo(1 - Math.exp(-a), 10);
      expect(f.pAbandon).toBeCloseTo((a - 1 + Math.exp(-a)) / a, 10);
      expect(f.occupancy).toBeCloseTo(1 - Math.exp(-a), 10);
    }
  });

  it('Erlang A keeps its identities: answered + abandoned = 1 and the service level is bounded by it', () => {
    const f = erlangAFigures(20, 300, 200, 60, 20);
    expect(f.serviceLevelOfOffered).toBeLessThan(1 - f.pAbandon);
    expect(f.serviceLevelOfOffered).toBeGreaterThan(1 - f.pWait);
    expect(f.serviceLevelOfAnswered).toBeCloseTo(f.serviceLevelOfOffered / (1 - f.pAbandon), 12);
    // Little's law on the queue: average wait of everyone = E[queue] / λ = P(abandon) / θ.
    expect(f.averageWait).toBeCloseTo(f.pAbandon * 60, 8);
  });
});
