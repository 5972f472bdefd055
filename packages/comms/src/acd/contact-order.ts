// The order of contacts within a queue: a key (priority minus ageing) fixed at entry, so a queue is a
// sorted array kept by binary insertion and removal; the head is the next contact to offer.
import { isDeferredChannel } from '../contract/model.js';
import type { ContactRec, QueueRec } from './router-records.js';

/** Order key within a queue: with one ageing rate per queue, the order of two contacts never changes while they wait. */
export function keyOf(c: ContactRec, q: QueueRec): number {
  return c.priority - (q.ageing * c.enteredAt) / 1000;
}

/** True when `a` is served before `b`: higher key, then earlier entry, then earlier arrival in the router. */
function before(a: ContactRec, b: ContactRec): boolean {
  return a.key > b.key || (a.key === b.key && (a.enteredAt < b.enteredAt || (a.enteredAt === b.enteredAt && a.seq < b.seq)));
}

export function insertSorted(list: ContactRec[], c: ContactRec): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(list[mid]!, c)) lo = mid + 1;
    else hi = mid;
  }
  if (lo === list.length) list.push(c);
  else list.splice(lo, 0, c);
}

export function removeFrom(list: ContactRec[], c: ContactRec): void {
  // Usually the head; binary search would need the same key, which we have.
  if (list[0] === c) {
    list.shift();
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(list[mid]!, c)) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === c) list.splice(lo, 1);
  else {
    const i = list.indexOf(c);
    if (i >= 0) list.splice(i, 1);
  }
}

/** The calls and chats waiting in a queue (what `maxLength` counts; e-mails and callbacks do not). */
export function liveWaiting(q: QueueRec): number {
  let n = 0;
  for (const c of q.waiting) if (!isDeferredChannel(c.channel)) n++;
  return n;
}
