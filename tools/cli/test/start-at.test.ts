// `caruso start --simulate --at office-hours`: the moment a demonstration runs at. Every queue with
// opening hours must be open (the utility example's general line is open until 20:00, its billing and
// moves queues and its demo load until 17:00: a start at 17:43 used to keep the clock and show a quiet
// center).
import type { Assembly } from '../src/assembly/assembly-file.js';
import { simulationMoment } from '../src/commands/start.js';

const AMS = 'Europe/Amsterdam';
const assembly = {
  queues: [
    { id: 'general', hours: { timezone: AMS, afterHours: 'voicemail', open: [{ days: 'mon-fri', from: '08:00', until: '20:00' }, { days: 'sat', from: '09:00', until: '13:00' }] } },
    { id: 'billing', hours: { timezone: AMS, afterHours: 'voicemail', open: [{ days: 'mon-fri', from: '08:30', until: '17:00' }] } },
    { id: 'chat' },
  ],
} as unknown as Assembly;
// Monday 7 December 2026, Amsterdam is UTC+1.
const at = (local: string): number => Date.parse(`${local}+01:00`);

describe('caruso start --at office-hours', () => {
  it('keeps the clock when every queue is open for the next hour', () => {
    expect(simulationMoment('office-hours', assembly, at('2026-12-07T10:00'))).toBeUndefined();
  });

  it('moves to half an hour after all queues next open when one is closed', () => {
    // 17:43: the general line is open, billing is not; tomorrow 08:30 both are.
    expect(simulationMoment('office-hours', assembly, at('2026-12-07T17:43'))).toBe(at('2026-12-08T09:00'));
    // Saturday: only the general line opens; Monday 8:30 both.
    expect(simulationMoment('office-hours', assembly, at('2026-12-12T10:00'))).toBe(at('2026-12-14T09:00'));
  });

  it('moves on when a queue closes within the hour', () => {
    expect(simulationMoment('office-hours', assembly, at('2026-12-07T16:30'))).toBe(at('2026-12-08T09:00'));
  });

  it('is no shift without opening hours, and an ISO moment as given', () => {
    expect(simulationMoment('office-hours', { queues: [{ id: 'q' }] } as unknown as Assembly, at('2026-12-07T23:00'))).toBeUndefined();
    expect(simulationMoment('2026-11-30T10:00+01:00', assembly)).toBe(at('2026-11-30T10:00'));
    expect(simulationMoment(undefined, assembly)).toBeUndefined();
  });
});
