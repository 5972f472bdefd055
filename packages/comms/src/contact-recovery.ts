import type { ContactEvent } from './contact-event-log.js';
import type { Channel, ContactSpec, Direction, SkillRequirement } from './model.js';
import type { ScheduledCallbackSpec } from './queue-router.js';

/** A contact that was still waiting (queued or ringing) when the log ended. */
export interface WaitingContact {
  readonly spec: ContactSpec;
  /** The agent it was connected to, when it was connected (not waiting) at the end of the log. */
  readonly connectedTo?: string;
}

interface Open {
  id: string;
  channel: Channel;
  direction: Direction;
  queueId: string;
  priority: number;
  enteredAt: number;
  requiredSkills: readonly SkillRequirement[] | undefined;
  data: Readonly<Record<string, unknown>> | undefined;
  connectedTo: string | undefined;
  order: number;
}

/**
 * Folds the contact event log into the contacts that had not ended: those waiting (queued or
 * ringing) and those connected to an agent, in the order they entered. Re-enqueueing the waiting
 * ones with their original `enteredAt` and priority puts them back in their queues in their order
 * after a crash.
 */
export function openContacts(events: Iterable<ContactEvent>): {
  readonly waiting: ContactSpec[];
  readonly connected: WaitingContact[];
  /** Callbacks scheduled for a time (`scheduleCallback`) that had not entered their queue, nor been cancelled, soonest first. */
  readonly scheduled: ScheduledCallbackSpec[];
} {
  const open = new Map<string, Open>();
  const scheduled = new Map<string, ScheduledCallbackSpec>();
  let order = 0;
  for (const e of events) {
    const id = e.contactId;
    if (id === undefined) continue;
    switch (e.kind) {
      case 'callback-scheduled': {
        // Only callbacks for a time; a keep-place callback enters its queue in the same change.
        const d = e.data as { scheduledAt?: unknown; callbackNumber?: unknown; data?: unknown } | undefined;
        if (e.reason !== 'scheduled' || typeof d?.scheduledAt !== 'number' || typeof d.callbackNumber !== 'string' || !e.queueId) break;
        const data = typeof d.data === 'object' && d.data !== null && !Array.isArray(d.data) ? (d.data as Record<string, unknown>) : {};
        scheduled.set(id, { id, number: d.callbackNumber, queueId: e.queueId, at: d.scheduledAt, priority: e.priority ?? 0, data });
        break;
      }
      case 'callback-completed':
        scheduled.delete(id);
        break;
      case 'queue-entered': {
        scheduled.delete(id);
        if (open.has(id)) break;
        const d = e.data as { requiredSkills?: SkillRequirement[]; data?: Record<string, unknown> } | undefined;
        open.set(id, {
          id,
          channel: e.channel ?? 'call',
          direction: e.direction ?? 'inbound',
          queueId: e.queueId ?? '',
          priority: e.priority ?? 0,
          enteredAt: e.at - (e.waitMs ?? 0),
          requiredSkills: d?.requiredSkills,
          data: d?.data,
          connectedTo: undefined,
          order: order++,
        });
        break;
      }
      case 'transferred': {
        const c = open.get(id);
        if (c && e.queueId) {
          c.queueId = e.queueId;
          c.connectedTo = undefined;
        }
        break;
      }
      case 'connected': {
        const c = open.get(id);
        if (c) c.connectedTo = e.agentId;
        break;
      }
      case 'completed':
        if (e.reason !== 'transferred') open.delete(id);
        else {
          const c = open.get(id);
          if (c) c.connectedTo = undefined;
        }
        break;
      case 'abandoned':
      case 'exited':
        open.delete(id);
        break;
      default:
        break;
    }
  }
  const all = [...open.values()].sort((a, b) => a.order - b.order);
  const spec = (c: Open): ContactSpec => ({
    id: c.id,
    channel: c.channel,
    direction: c.direction,
    queueId: c.queueId,
    priority: c.priority,
    enteredAt: c.enteredAt,
    ...(c.requiredSkills ? { requiredSkills: c.requiredSkills } : {}),
    ...(c.data ? { data: c.data } : {}),
  });
  return {
    waiting: all.filter((c) => c.connectedTo === undefined).map(spec),
    connected: all.filter((c) => c.connectedTo !== undefined).map((c) => ({ spec: spec(c), connectedTo: c.connectedTo! })),
    scheduled: [...scheduled.values()].sort((a, b) => a.at - b.at),
  };
}
