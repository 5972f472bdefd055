import type { ContactEvent } from '../contract/contact-event-log.js';
import { contactOfEvent, foldContact, isEndedContact, isOpenContact, type ContactLife } from '../log/contact-fold.js';
import type { ContactSpec } from '../contract/model.js';
import type { ScheduledCallbackSpec } from '../acd/queue-router.js';

/** A contact that was still waiting (queued or ringing) when the log ended. */
export interface WaitingContact {
  readonly spec: ContactSpec;
  /** The agent it was connected to, when it was connected (not waiting) at the end of the log. */
  readonly connectedTo?: string;
}

function specOf(c: ContactLife): ContactSpec {
  return {
    id: c.id,
    channel: c.channel,
    direction: c.direction,
    queueId: c.queueId ?? '',
    priority: c.priority,
    enteredAt: c.enteredAt ?? 0,
    ...(c.requiredSkills ? { requiredSkills: c.requiredSkills } : {}),
    // The customer linked since it entered (by the agent or the look-up) comes back with it.
    ...(c.data || c.customer ? { data: { ...(c.data ?? {}), ...(c.customer ? { customer: c.customer } : {}) } } : {}),
  };
}

/**
 * The contacts that had not ended when the log ended, from the one contact fold
 * ({@link foldContact}, as {@link foldContacts} but forgetting each contact once it ended, so a long
 * log costs memory only for the contacts still open): those waiting (queued or ringing) and those connected to an agent (or on
 * hold), in the order they entered a queue. Re-enqueueing the waiting ones with their original
 * `enteredAt` and priority puts them back in their queues in their order after a crash.
 */
export function openContacts(events: Iterable<ContactEvent>): {
  readonly waiting: ContactSpec[];
  readonly connected: WaitingContact[];
  /** Callbacks scheduled for a time (`scheduleCallback`) that had not entered their queue, nor been cancelled, soonest first. */
  readonly scheduled: ScheduledCallbackSpec[];
  /** Offers still ringing when the log ended (an agent's phone or desktop rang for a waiting contact). */
  readonly ringing: ReadonlyArray<{ readonly spec: ContactSpec; readonly agentId: string }>;
  /**
   * Each waiting and connected contact's place in the order they entered (`waiting` and `connected`
   * are each in this order): a callback that keeps a waiting contact's place has that contact's.
   */
  readonly places: ReadonlyMap<string, number>;
} {
  const live = new Map<string, ContactLife>();
  // A callback that keeps a waiting contact's place: that contact's entry, for the order.
  const keptPlace = new Map<string, number>();
  // The contact that ended last: a restart closes a waiting call and then writes the callback that
  // takes its place, in two events one after the other.
  let lastEnded: { readonly id: string; readonly place: number | undefined } | undefined;
  const placeOf = (c: ContactLife): number | undefined => keptPlace.get(c.id) ?? c.enteredSeq;
  for (const e of events) {
    const id = contactOfEvent(e);
    if (id === undefined) continue;
    const before = live.get(id);
    // An ended contact that comes back (a new entry) starts a new life: forgetting it changes nothing.
    const next = foldContact(before, e);
    if (next === undefined || isEndedContact(next)) {
      if (before !== undefined) lastEnded = { id, place: placeOf(before) };
      live.delete(id);
      keptPlace.delete(id);
      continue;
    }
    live.set(id, next);
    if (next !== before && e.kind === 'callback-scheduled' && e.reason === 'keep-place' && e.data?.originalContactId !== undefined) {
      // The callback takes the original's place in the order too, so a contact that entered in the
      // same millisecond stays behind it (requestCallback writes the callback before the original's
      // exit, a restart after it).
      const original = e.data.originalContactId;
      const was = live.get(original);
      const place = was !== undefined ? placeOf(was) : lastEnded?.id === original ? lastEnded.place : undefined;
      if (place !== undefined) keptPlace.set(id, place);
    }
  }
  const lives = [...live.values()];
  const open = lives.filter(isOpenContact).sort((a, b) => (placeOf(a) ?? 0) - (placeOf(b) ?? 0));
  const scheduled: ScheduledCallbackSpec[] = [];
  for (const c of lives) {
    // A keep-place callback (no time) enters its queue in the same change; only timed ones are due later.
    if (c.status !== 'scheduled' || c.scheduledAt === undefined || c.callbackNumber === undefined || !c.queueId) continue;
    scheduled.push({ id: c.id, number: c.callbackNumber, queueId: c.queueId, at: c.scheduledAt, priority: c.priority, data: c.data ?? {} });
  }
  return {
    waiting: open.filter((c) => c.status === 'queued' || c.status === 'ringing').map(specOf),
    connected: open.filter((c) => c.status === 'connected' || c.status === 'held').map((c) => ({ spec: specOf(c), connectedTo: c.agentId ?? '' })),
    scheduled: scheduled.sort((a, b) => a.at - b.at),
    ringing: open.filter((c) => c.status === 'ringing').flatMap((c) => c.ringingAt.map((agentId) => ({ spec: specOf(c), agentId }))),
    places: new Map(open.map((c) => [c.id, placeOf(c) ?? 0])),
  };
}
