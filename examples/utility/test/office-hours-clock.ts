import type { Clock } from '@caruso/comms';

/**
 * The wall clock shifted to the next Monday at 10:00 in Amsterdam, so that tests of an assembly
 * with opening hours run the same at any hour of any day; timers run in real time.
 */
export function officeHoursClock(): Clock {
  const now = new Date();
  const monday = new Date(now);
  monday.setUTCDate(now.getUTCDate() + ((8 - now.getUTCDay()) % 7 || 7));
  // 09:00 UTC is 10:00 or 11:00 in Amsterdam: inside every queue's hours on a weekday.
  monday.setUTCHours(9, 0, 0, 0);
  const offset = monday.getTime() - now.getTime();
  return {
    now: () => Date.now() + offset,
    setTimer(delayMs, fn) {
      const handle = setTimeout(fn, Math.max(0, delayMs));
      return { dispose: () => clearTimeout(handle) };
    },
  };
}
