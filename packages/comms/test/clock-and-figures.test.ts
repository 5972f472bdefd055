import { ContactFigures, VirtualClock, seededRandom, type ContactEventInput } from '@caruso/comms';
import { sample } from '@caruso/comms/testing';

describe('VirtualClock', () => {
  it('runs timers in time order, ties in the order they were set, and skips cancelled ones', () => {
    const clock = new VirtualClock(0);
    const ran: string[] = [];
    clock.setTimer(20, () => ran.push('b'));
    clock.setTimer(10, () => ran.push('a1'));
    const cancelled = clock.setTimer(15, () => ran.push('never'));
    clock.setTimer(10, () => {
      ran.push('a2');
      clock.setTimer(0, () => ran.push('a3'));
    });
    cancelled.dispose();
    expect(clock.pending).toBe(3);
    clock.advance(15);
    expect(ran).toEqual(['a1', 'a2', 'a3']);
    expect(clock.now()).toBe(15);
    clock.advance(100);
    expect(ran).toEqual(['a1', 'a2', 'a3', 'b']);
    expect(clock.now()).toBe(115);
  });

  it('stops a model that schedules for ever at the given budget', () => {
    const clock = new VirtualClock(0);
    const again = (): void => void clock.setTimer(1, again);
    again();
    expect(clock.runAll(1000)).toBe(1000);
    expect(clock.now()).toBe(1000);
  });

  it('keeps working after many cancellations (compaction)', () => {
    const clock = new VirtualClock(0);
    let ran = 0;
    const timers = Array.from({ length: 5000 }, (_, i) => clock.setTimer(i, () => ran++));
    timers.forEach((t, i) => i % 5 !== 0 && t.dispose());
    clock.runAll();
    expect(ran).toBe(1000);
  });
});

describe('seeded distributions', () => {
  it('draw with the requested means', () => {
    const rng = seededRandom(9);
    for (const d of [
      { kind: 'exponential', mean: 180 },
      { kind: 'lognormal', mean: 180, sd: 90 },
      { kind: 'erlang', mean: 180, k: 3 },
      { kind: 'uniform', min: 120, max: 240 },
    ] as const) {
      let sum = 0;
      for (let i = 0; i < 20_000; i++) sum += sample(d, rng);
      expect(Math.abs(sum / 20_000 - 180)).toBeLessThan(180 * 0.03);
    }
  });
});

describe('ContactFigures', () => {
  it('computes the three service levels, ASA, AHT, abandon rate and occupancy from events', () => {
    const f = new ContactFigures({ thresholdMs: 20_000 });
    const ev = (e: Omit<ContactEventInput, 'at'> & { at?: number }): void => f.add({ at: 0, ...e } as ContactEventInput);
    ev({ kind: 'agent-state-changed', agentId: 'a', state: 'ready', fromState: 'logged-out', at: 0 });
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) ev({ kind: 'queue-entered', contactId: id, queueId: 'q' });
    ev({ kind: 'connected', contactId: 'c1', waitMs: 0 });
    ev({ kind: 'connected', contactId: 'c2', waitMs: 30_000 });
    ev({ kind: 'abandoned', contactId: 'c3', waitMs: 5_000 });
    ev({ kind: 'abandoned', contactId: 'c4', waitMs: 60_000 });
    ev({ kind: 'exited', contactId: 'c5', reason: 'timeout', waitMs: 3_600_000 });
    ev({ kind: 'agent-state-changed', agentId: 'a', state: 'busy', fromState: 'ready', at: 100_000 });
    ev({ kind: 'completed', contactId: 'c1', talkMs: 100_000, holdMs: 20_000, reason: 'caller' });
    ev({ kind: 'completed', contactId: 'c2', talkMs: 200_000, holdMs: 0, reason: 'agent' });
    ev({ kind: 'wrap-up-ended', contactId: 'c2', wrapMs: 40_000 });
    ev({ kind: 'agent-state-changed', agentId: 'a', state: 'paused', fromState: 'busy', at: 400_000 });
    const r = f.report(500_000);
    expect(r).toMatchObject({ offered: 5, answered: 2, handled: 2, abandoned: 2, shortAbandons: 1, exited: { timeout: 1 } });
    expect(r.serviceLevel.ofAnswered.value).toBeCloseTo(1 / 2);
    expect(r.serviceLevel.ofOffered.value).toBeCloseTo(1 / 5);
    expect(r.serviceLevel.excludingShortAbandons.value).toBeCloseTo(1 / 3);
    expect(r.probabilityOfWait.value).toBeCloseTo(1 / 2);
    expect(r.asaSeconds.value).toBeCloseTo(15);
    expect(r.ahtSeconds.value).toBeCloseTo((100 + 20 + 200 + 40) / 2);
    expect(r.abandonRate.value).toBeCloseTo(2 / 5);
    // ready 0–100 s, busy 100–400 s, paused after: 300 / 400
    expect(r.occupancy).toBeCloseTo(0.75);
  });
});
