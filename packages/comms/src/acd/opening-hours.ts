/**
 * Weekly hours in a time zone: the opening hours of a queue and the calling hours of a campaign.
 * Uses only `Intl` (no Node imports), so the front office can show the same answer.
 */

/** Days of the week, as keys of {@link WeeklyHours.days}. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
/** Every weekday, Monday first. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * Hours per weekday in a time zone, e.g.
 * `{ timeZone: 'Europe/Amsterdam', days: { mon: [['08:00', '17:30']], sat: [['09:00', '12:00']] }, closedDates: ['2025-12-25'] }`.
 * A day not listed is closed. Intervals are `[from, to)` in local `HH:MM`.
 */
export interface WeeklyHours {
  /** An IANA time zone (`Europe/Amsterdam`, `America/New_York`, `UTC`). */
  readonly timeZone: string;
  readonly days: Partial<Readonly<Record<Weekday, ReadonlyArray<readonly [string, string]>>>>;
  /** Local dates (`YYYY-MM-DD`) closed all day (holidays). */
  readonly closedDates?: readonly string[];
}

/** The local wall-clock time of an instant in a time zone. */
export interface LocalTime {
  readonly weekday: Weekday;
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** Minutes since local midnight. */
  readonly minutes: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const HHMM = /^([01][0-9]|2[0-4]):([0-5][0-9])$/;

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formats.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is a time zone `Intl` knows. */
export function isTimeZone(timeZone: unknown): boolean {
  if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    format(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local time of `ms` in `timeZone`. */
export function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of format(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const weekday = (parts['weekday'] ?? 'Mon').slice(0, 3).toLowerCase() as Weekday;
  return { weekday, date: `${parts['year']}-${parts['month']}-${parts['day']}`, minutes: Number(parts['hour']) * 60 + Number(parts['minute']) };
}

function toMinutes(hhmm: string): number {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

/** Whether the hours are open at `ms`. */
export function isOpen(hours: WeeklyHours, ms: number): boolean {
  const t = localTime(ms, hours.timeZone);
  if (hours.closedDates?.includes(t.date)) return false;
  for (const [from, to] of hours.days[t.weekday] ?? []) if (t.minutes >= toMinutes(from) && t.minutes < toMinutes(to)) return true;
  return false;
}

/**
 * The first instant at or after `ms` when the hours are open (to the minute), or undefined when
 * they are not open within 14 days.
 */
export function nextOpening(hours: WeeklyHours, ms: number): number | undefined {
  if (isOpen(hours, ms)) return ms;
  // Walk whole minutes; 15-minute jumps first, then back to the minute.
  let t = Math.ceil(ms / 60_000) * 60_000;
  const end = ms + 14 * 86_400_000;
  while (t < end) {
    if (isOpen(hours, t + 15 * 60_000)) {
      for (let s = t; s <= t + 15 * 60_000; s += 60_000) if (isOpen(hours, s)) return s;
    }
    t += 15 * 60_000;
  }
  return undefined;
}

/** Checks weekly hours from configuration; returns a message for the first problem, or undefined. */
export function weeklyHoursProblem(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'must be an object { timeZone, days, closedDates? }';
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['timeZone', 'days', 'closedDates'].includes(k)) return `unknown field '${k}' (allowed: timeZone, days, closedDates)`;
  if (!isTimeZone(o['timeZone'])) return `'timeZone' ${JSON.stringify(o['timeZone'])} is not a known time zone`;
  const days = o['days'];
  if (typeof days !== 'object' || days === null || Array.isArray(days)) return "'days' must be an object of weekday → [[from, to]]";
  for (const [day, list] of Object.entries(days as Record<string, unknown>)) {
    if (!WEEKDAYS.includes(day as Weekday)) return `unknown weekday '${day}' (use ${WEEKDAYS.join(', ')})`;
    if (!Array.isArray(list)) return `'days.${day}' must be a list of [from, to]`;
    for (const iv of list as unknown[]) {
      if (!Array.isArray(iv) || iv.length !== 2 || typeof iv[0] !== 'string' || typeof iv[1] !== 'string') return `'days.${day}' intervals must be ['HH:MM', 'HH:MM']`;
      const from = toMinutes(iv[0]);
      const to = toMinutes(iv[1]);
      if (Number.isNaN(from) || Number.isNaN(to) || from >= to || to > 1440) return `'days.${day}' interval ${JSON.stringify(iv)} must be 'HH:MM' with from before to`;
    }
  }
  const closed = o['closedDates'];
  if (closed !== undefined && (!Array.isArray(closed) || closed.some((d) => typeof d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d)))) return "'closedDates' must be a list of 'YYYY-MM-DD'";
  return undefined;
}
