// The expected wait of a contact at a position in its queue, for announcements and the desk: the rate
// at which the queue's last contacts reached an agent (a ring of the last 32, if recent enough), else
// what the staffed agents can do at the queue's average handle time.
import type { QueueRec } from './router-records.js';

/** How many of a queue's last connections the rate is measured over. */
export const SERVED_WINDOW = 32;
/** Fewer connections than this: the observed rate is not trusted yet. */
const SERVED_MIN = 5;
/** Connections older than this say nothing about now. */
const SERVED_MAX_AGE_MS = 30 * 60_000;

/** Notes that a contact of the queue reached an agent now. */
export function recordServed(q: QueueRec, now: number): void {
  q.served[q.servedCount++ % SERVED_WINDOW] = now;
}

/** The expected wait, in ms, of the contact at `position` (from 1) in `q`. */
export function expectedWaitMs(q: QueueRec, position: number, now: number): number {
  // Contacts served per ms: observed lately, else what the staffed agents can do at the average handle time.
  let rate = 0;
  const n = Math.min(q.servedCount, SERVED_WINDOW);
  if (n >= SERVED_MIN) {
    const oldest = q.served[(q.servedCount - n) % SERVED_WINDOW]!;
    if (now - oldest <= SERVED_MAX_AGE_MS && now > oldest) rate = (n - 1) / (now - oldest);
  }
  if (rate === 0 && q.staffed > 0) rate = q.staffed / q.ahtMs;
  return Math.round(rate > 0 ? position / rate : position * q.ahtMs);
}
