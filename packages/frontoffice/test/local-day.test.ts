// "Today" of the task list and the wallboard: days on the company's wall clock, not UTC's.
import { dayStartIn, nextDayStartIn } from '../src/internal/local-day.js';

const at = (iso: string): number => Date.parse(iso);

describe('days in a time zone', () => {
  it('begins the day at local midnight: Auckland (UTC+13 in December) at 11:00 UTC the day before', () => {
    // 2026-12-08 09:00 in Auckland is 2026-12-07 20:00 UTC.
    const t = at('2026-12-07T20:00:00Z');
    expect(new Date(dayStartIn(t, 'Pacific/Auckland')).toISOString()).toBe('2026-12-07T11:00:00.000Z');
    expect(new Date(nextDayStartIn(t, 'Pacific/Auckland')).toISOString()).toBe('2026-12-08T11:00:00.000Z');
    // A minute before local midnight belongs to the day before; a minute after, to this one.
    expect(dayStartIn(at('2026-12-07T10:59:00Z'), 'Pacific/Auckland')).toBe(at('2026-12-06T11:00:00Z'));
    expect(dayStartIn(at('2026-12-07T11:01:00Z'), 'Pacific/Auckland')).toBe(at('2026-12-07T11:00:00Z'));
    // UTC itself, and Amsterdam in winter (UTC+1).
    expect(dayStartIn(t, 'UTC')).toBe(at('2026-12-07T00:00:00Z'));
    expect(dayStartIn(t, 'Europe/Amsterdam')).toBe(at('2026-12-06T23:00:00Z'));
  });

  it('keeps days of 23 and 25 hours when the clocks change (Amsterdam, March and October)', () => {
    // 2026-03-29: the clocks go from 02:00 to 03:00, the day has 23 hours.
    const spring = at('2026-03-29T12:00:00Z');
    expect(dayStartIn(spring, 'Europe/Amsterdam')).toBe(at('2026-03-28T23:00:00Z'));
    expect(nextDayStartIn(spring, 'Europe/Amsterdam') - dayStartIn(spring, 'Europe/Amsterdam')).toBe(23 * 3_600_000);
    // 2026-10-25: from 03:00 back to 02:00, 25 hours.
    const autumn = at('2026-10-25T12:00:00Z');
    expect(dayStartIn(autumn, 'Europe/Amsterdam')).toBe(at('2026-10-24T22:00:00Z'));
    expect(nextDayStartIn(autumn, 'Europe/Amsterdam') - dayStartIn(autumn, 'Europe/Amsterdam')).toBe(25 * 3_600_000);
  });
});
