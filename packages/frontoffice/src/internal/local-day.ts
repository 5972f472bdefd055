/**
 * Days on a company's wall clock: "today" of the task list and the wallboard begins at midnight where
 * the company is (the server's time zone, TZ), also on the days daylight saving time begins or ends,
 * and not at 00:00 UTC.
 */

const DAY_MS = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

/** The time zone of this process (TZ, else the system's). */
export function processTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** How far `timeZone`'s wall clock is ahead of UTC at the moment `at` (ms). */
function offsetAt(at: number, timeZone: string): number {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(timeZone, f);
  }
  const v: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(at))) if (p.type !== 'literal') v[p.type] = Number(p.value);
  const wall = Date.UTC(v['year']!, v['month']! - 1, v['day']!, v['hour']!, v['minute']!, v['second']!);
  return wall - (at - (((at % 1000) + 1000) % 1000));
}

/** The moment (ms) the day holding `at` began in `timeZone`: its local midnight. */
export function dayStartIn(at: number, timeZone: string): number {
  const wallMidnight = Math.floor((at + offsetAt(at, timeZone)) / DAY_MS) * DAY_MS;
  // The offset at midnight may differ from the one at `at` (a clock change during the day).
  const first = wallMidnight - offsetAt(at, timeZone);
  return wallMidnight - offsetAt(first, timeZone);
}

/** The moment the next day begins in `timeZone` (23, 24 or 25 hours after this one's start). */
export function nextDayStartIn(at: number, timeZone: string): number {
  return dayStartIn(dayStartIn(at, timeZone) + 26 * 3_600_000, timeZone);
}
