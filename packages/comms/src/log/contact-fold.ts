import type { ContactEvent, CustomerRef } from '../contract/contact-event-log.js';
import type { Channel, Direction, SkillRequirement } from '../contract/model.js';

/**
 * Where a contact stands: `scheduled` (a callback for a later time), `dialing` (a campaign call not
 * yet answered), `queued`, `ringing` (offered to an agent), `connected`, `held`, `wrap-up` (ended
 * for the customer, the agent's wrap-up not finished), `ended`.
 * Note: a queue without wrap-up time logs no `wrap-up-ended`; its contacts stay `wrap-up` until a
 * disposition. Both `wrap-up` and `ended` have `endedAt` and `outcome`.
 */
export type ContactLifeStatus = 'scheduled' | 'dialing' | 'queued' | 'ringing' | 'connected' | 'held' | 'wrap-up' | 'ended';

/** Everything the contact event log says about one contact, as folded by {@link foldContact}. */
export interface ContactLife {
  readonly id: string;
  readonly channel: Channel;
  readonly direction: Direction;
  readonly status: ContactLifeStatus;
  /** The queue it is in (or was in last). */
  readonly queueId: string | undefined;
  /** The queue it entered first (the day's figures are credited to it). */
  readonly firstQueueId: string | undefined;
  readonly priority: number;
  /** When it first entered the contact center (a queue, the dialer, the IVR); undefined while only scheduled. */
  readonly enteredAt: number | undefined;
  /** The seq of the event by which it entered a queue first (the order of the line). */
  readonly enteredSeq: number | undefined;
  /** The agent it is connected to, or was handled by last. */
  readonly agentId: string | undefined;
  /** Agents an offer of it rings at now. */
  readonly ringingAt: readonly string[];
  readonly requiredSkills: readonly SkillRequirement[] | undefined;
  /** The contact's data (caller, sender, collected IVR variables, campaign tag …). */
  readonly data: Readonly<Record<string, unknown>> | undefined;
  /** The caller's number, the sender's address, or the number to call, when known. */
  readonly address: string | undefined;
  readonly campaignId: string | undefined;
  readonly target: string | undefined;
  /** Wait until an agent first took it, or until it left unanswered. */
  readonly waitMs: number | undefined;
  /** Abandoned or exited: its wait from first entry until it left (for a short abandon), even after an earlier answer. */
  readonly waitAtEndMs: number | undefined;
  readonly talkMs: number;
  readonly holdMs: number;
  readonly wrapMs: number;
  /** How many times it was transferred. */
  readonly transfers: number;
  /** How many times the customer was put on hold (a consultation's hold included). */
  readonly holds: number;
  /** How many attended transfers (consultations) were started for it. */
  readonly consults: number;
  /** Whether the agent's side is muted now. */
  readonly muted: boolean;
  /** Whether the contact is being recorded now, and whether that recording is paused. */
  readonly recording: 'off' | 'on' | 'paused';
  /** The supervisors monitoring it now, with their mode (listen, whisper, barge). */
  readonly monitors: Readonly<Record<string, string>>;
  readonly endedAt: number | undefined;
  /**
   * How it ended: `completed` (see `endedBy`), `abandoned`, an exit reason (`timeout`, `voicemail`,
   * `callback-requested`, `after-hours`, `empty`, `full`, `key`), `transferred-out`, `lost-on-restart`,
   * `ivr-end`, `ivr-hung-up`, `voicemail` (left in the IVR), a dial result of a call not reached
   * (`busy`, `no-answer`, `machine`, `failed`), or `cancelled` (a scheduled callback).
   */
  readonly outcome: string | undefined;
  readonly endedBy: 'agent' | 'caller' | undefined;
  /** The agent's disposition code, note and chosen customer (wrap-up). */
  readonly disposition: string | undefined;
  readonly note: string | undefined;
  /**
   * The customer: from the contact data (`customer`), replaced by a `customer-linked` (the agent's
   * choice, the server's look-up) and by the one given in the agent's disposition.
   */
  readonly customer: CustomerRef | undefined;
  /** A bare customer key in the contact data (`customerKey`: e-mail, chat), its business object left to the reader. */
  readonly customerKey: string | undefined;
  /** A scheduled callback's time and number. */
  readonly scheduledAt: number | undefined;
  readonly callbackNumber: string | undefined;
  /** The last dial result of a campaign call or of a callback's leg to the customer. */
  readonly dialResult: string | undefined;
  /** A callback: how many times the channel dialled the customer for an agent (`callback-attempted`). */
  readonly callbackAttempts: number;
  /** A callback: its result as the channel logged it (`callback-completed`: `reached`, `unreached`, `cancelled`). */
  readonly callbackResult: string | undefined;
  /** The seq of the last event folded into it. */
  readonly seq: number;
}

const OPEN: ReadonlySet<ContactLifeStatus> = new Set(['queued', 'ringing', 'connected', 'held']);

/** True while the contact is in the contact center's hands: queued, ringing, connected or held. */
export function isOpenContact(c: ContactLife | undefined): boolean {
  return c !== undefined && OPEN.has(c.status);
}

/** True once the contact ended for the customer (`wrap-up` or `ended`). */
export function isEndedContact(c: ContactLife | undefined): boolean {
  return c !== undefined && (c.status === 'wrap-up' || c.status === 'ended');
}

/**
 * The contact an event is about, or undefined. Usually its `contactId`; a voice message left in the
 * IVR is about the call it was left on (`data.callId`).
 */
export function contactOfEvent(e: ContactEvent): string | undefined {
  if (e.kind === 'voicemail-left') return e.data?.callId ?? undefined;
  return e.contactId;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** A `{ object, id }` value (a numeric id reads as its text), or undefined. */
export function customerRefOf(v: unknown): CustomerRef | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { readonly object?: unknown; readonly id?: unknown };
  const object = text(o.object);
  const id = typeof o.id === 'number' ? String(o.id) : text(o.id);
  return object && id ? { object, id } : undefined;
}

/**
 * What the fold reads from a contact's own data (free-form JSON from channels, the IVR and the
 * dialer): the only place it is interpreted, each value checked for its type.
 */
function factsOf(d: Readonly<Record<string, unknown>> | undefined): Pick<ContactLife, 'address' | 'campaignId' | 'target' | 'customer' | 'customerKey'> {
  if (d === undefined) return { address: undefined, campaignId: undefined, target: undefined, customer: undefined, customerKey: undefined };
  return {
    address: text(d['caller']) ?? text(d['from']) ?? text(d['callbackNumber']) ?? text(d['number']),
    campaignId: text(d['campaignId']),
    target: text(d['target']),
    customer: customerRefOf(d['customer']),
    customerKey: text(d['customerKey']),
  };
}

function fresh(id: string, e: ContactEvent, over: Partial<ContactLife>): ContactLife {
  return {
    id,
    channel: 'call',
    direction: 'inbound',
    status: 'queued',
    queueId: undefined,
    firstQueueId: undefined,
    priority: 0,
    enteredAt: undefined,
    enteredSeq: undefined,
    agentId: undefined,
    ringingAt: [],
    requiredSkills: undefined,
    data: undefined,
    address: undefined,
    campaignId: undefined,
    target: undefined,
    waitMs: undefined,
    waitAtEndMs: undefined,
    talkMs: 0,
    holdMs: 0,
    wrapMs: 0,
    transfers: 0,
    holds: 0,
    consults: 0,
    muted: false,
    recording: 'off',
    monitors: {},
    endedAt: undefined,
    outcome: undefined,
    endedBy: undefined,
    disposition: undefined,
    note: undefined,
    customer: undefined,
    customerKey: undefined,
    scheduledAt: undefined,
    callbackNumber: undefined,
    dialResult: undefined,
    callbackAttempts: 0,
    callbackResult: undefined,
    seq: e.seq,
    ...over,
  };
}

function end(c: ContactLife, e: ContactEvent, outcome: string, over: Partial<ContactLife> = {}): ContactLife {
  return { ...c, status: 'ended', ringingAt: [], endedAt: e.at, outcome, seq: e.seq, ...over };
}

/**
 * Folds one event into the state of the contact it is about ({@link contactOfEvent}); `c` is that
 * contact's state so far (undefined for a contact not seen yet). Pure: returns a new state, or `c`
 * itself when the event changes nothing, or undefined when the event does not open a contact.
 * Events that follow an end are ignored, except the wrap-up's (`wrap-up-ended`, `disposition`) and a
 * new entry into a queue or the dialer, which starts the contact's life again.
 */
export function foldContact(c: ContactLife | undefined, e: ContactEvent): ContactLife | undefined {
  const id = contactOfEvent(e);
  if (id === undefined) return c;
  const ended = c === undefined || c.status === 'ended' || c.status === 'wrap-up';
  switch (e.kind) {
    case 'queue-entered': {
      const contactData = e.data?.data;
      const enteredAt = e.at - (e.waitMs ?? 0);
      const facts = factsOf(contactData);
      if (c === undefined || ended) {
        return fresh(id, e, {
          channel: e.channel,
          direction: e.direction ?? 'inbound',
          queueId: e.queueId,
          firstQueueId: e.queueId,
          priority: e.priority ?? 0,
          enteredAt,
          enteredSeq: e.seq,
          requiredSkills: e.data?.requiredSkills,
          data: contactData,
          ...facts,
        });
      }
      // Entering again while not ended (a scheduled callback now due, a campaign call answered, a
      // contact recovered after a restart): it keeps its age and place; the entry fills the gaps.
      return {
        ...c,
        status: 'queued',
        channel: c.status === 'scheduled' || c.status === 'dialing' ? e.channel : c.channel,
        queueId: e.queueId,
        firstQueueId: c.firstQueueId ?? e.queueId,
        priority: c.enteredSeq === undefined ? (e.priority ?? c.priority) : c.priority,
        enteredAt: c.status === 'scheduled' || c.enteredAt === undefined ? enteredAt : c.enteredAt,
        enteredSeq: c.enteredSeq ?? e.seq,
        ringingAt: [],
        requiredSkills: c.requiredSkills ?? e.data?.requiredSkills,
        data: c.data ?? contactData,
        address: c.address ?? facts.address,
        campaignId: c.campaignId ?? facts.campaignId,
        target: c.target ?? facts.target,
        customer: c.customer ?? facts.customer,
        customerKey: c.customerKey ?? facts.customerKey,
        seq: e.seq,
      };
    }
    case 'dial-attempt':
      if (!ended) return c;
      return fresh(id, e, {
        channel: e.channel ?? 'call',
        direction: 'outbound',
        status: 'dialing',
        queueId: e.queueId,
        enteredAt: e.at,
        campaignId: text(e.data?.campaignId),
        target: text(e.data?.target),
      });
    case 'callback-scheduled': {
      if (!ended) return c;
      const number = text(e.data?.callbackNumber);
      return fresh(id, e, {
        channel: e.channel ?? 'callback',
        direction: 'outbound',
        status: 'scheduled',
        queueId: e.queueId,
        priority: e.priority ?? 0,
        data: e.data?.data,
        address: number,
        scheduledAt: e.data?.scheduledAt,
        callbackNumber: number,
      });
    }
    case 'disposition': {
      if (c === undefined) {
        // The IVR's own end: the call never reached a queue.
        if (!e.reason.startsWith('ivr-') || e.queueId !== undefined) return undefined;
        return end(fresh(id, e, { channel: e.channel ?? 'call', enteredAt: e.at }), e, e.reason);
      }
      if (e.agentId === undefined) return c;
      const customer = customerRefOf(e.data?.customer);
      return {
        ...c,
        status: ended ? 'ended' : c.status,
        disposition: e.reason,
        note: text(e.data?.note) ?? c.note,
        customer: customer ?? c.customer,
        seq: e.seq,
      };
    }
    case 'voicemail-left':
      // A message chosen in the IVR ends a call that never entered a queue.
      if (c !== undefined || e.reason !== 'key') return c;
      return end(fresh(id, e, { channel: e.channel ?? 'call', queueId: e.queueId, enteredAt: e.at }), e, 'voicemail');
    default:
      break;
  }
  if (c === undefined) return undefined;
  switch (e.kind) {
    // Also after the end: a recording or a supervisor's monitoring stops when the call has ended.
    case 'recording-stopped':
      return { ...c, recording: 'off', seq: e.seq };
    case 'monitoring-stopped': {
      const monitors = { ...c.monitors };
      delete monitors[e.data.supervisor];
      return { ...c, monitors, seq: e.seq };
    }
    case 'customer-linked':
      // Also after the end: the agent may choose the customer during the wrap-up.
      return { ...c, customer: e.reason === 'unlinked' ? undefined : (customerRefOf(e.data?.customer) ?? c.customer), seq: e.seq };
    case 'wrap-up-ended':
      return { ...c, status: c.status === 'wrap-up' ? 'ended' : c.status, wrapMs: c.wrapMs + e.wrapMs, seq: e.seq };
    case 'callback-completed':
      // A scheduled callback cancelled ends; a callback an agent took is noted (reached, or given up
      // unreached): its contact ends with the agent's completion.
      if (c.status === 'scheduled') return end(c, e, e.reason ?? 'cancelled', { callbackResult: e.reason ?? 'cancelled' });
      return ended ? c : { ...c, callbackResult: e.reason, seq: e.seq };
    default:
      break;
  }
  if (ended) return c;
  switch (e.kind) {
    case 'offered':
      if (c.status !== 'queued' && c.status !== 'ringing') return c;
      return { ...c, status: 'ringing', ringingAt: [...c.ringingAt.filter((a) => a !== e.agentId), e.agentId], seq: e.seq };
    case 'ring-no-answer':
    case 'rejected': {
      if (c.status !== 'ringing') return c;
      const ringingAt = c.ringingAt.filter((a) => a !== e.agentId);
      return { ...c, status: ringingAt.length > 0 ? 'ringing' : 'queued', ringingAt, seq: e.seq };
    }
    case 'connected':
      return {
        ...c,
        status: 'connected',
        agentId: e.agentId,
        queueId: e.queueId,
        ringingAt: [],
        waitMs: c.waitMs ?? e.waitMs,
        campaignId: c.campaignId ?? text(e.data?.campaignId),
        target: c.target ?? text(e.data?.target),
        seq: e.seq,
      };
    case 'held':
      return c.status === 'connected' ? { ...c, status: 'held', holds: c.holds + 1, seq: e.seq } : c;
    case 'muted':
    case 'unmuted':
      return { ...c, muted: e.kind === 'muted', seq: e.seq };
    case 'consult-started':
      return { ...c, consults: c.consults + 1, seq: e.seq };
    case 'recording-started':
    case 'recording-resumed':
      return { ...c, recording: 'on', seq: e.seq };
    case 'recording-paused':
      return c.recording === 'off' ? c : { ...c, recording: 'paused', seq: e.seq };
    case 'monitoring-started':
    case 'monitoring-changed':
      return { ...c, monitors: { ...c.monitors, [e.data.supervisor]: e.reason }, seq: e.seq };
    case 'retrieved':
      return c.status === 'held' ? { ...c, status: 'connected', seq: e.seq } : c;
    case 'transferred':
      // To another queue, to one agent (an offer follows), or back in line: it waits again. Out of
      // the contact center: it stays connected until its `completed` (transferred-out).
      if (e.queueId === undefined) return { ...c, transfers: c.transfers + 1, seq: e.seq };
      return { ...c, status: 'queued', queueId: e.queueId, ringingAt: [], transfers: c.transfers + 1, seq: e.seq };
    case 'completed': {
      const talked = { talkMs: c.talkMs + (e.talkMs ?? 0), holdMs: c.holdMs + (e.holdMs ?? 0), agentId: e.agentId };
      if (e.reason === 'transferred') return { ...c, ...talked, status: 'queued', ringingAt: [], muted: false, seq: e.seq };
      // A callback whose customer was not reached ends with that dial result.
      const unreached = c.dialResult !== undefined && c.dialResult !== 'answered' ? c.dialResult : undefined;
      const by = unreached === undefined && (e.reason === 'agent' || e.reason === 'caller') ? e.reason : undefined;
      return end(c, e, unreached ?? (by ? 'completed' : e.reason), { ...talked, status: 'wrap-up', endedBy: by, muted: false });
    }
    case 'abandoned':
      return end(c, e, 'abandoned', { waitMs: c.waitMs ?? e.waitMs, waitAtEndMs: e.waitMs });
    case 'exited':
      return end(c, e, e.reason, { waitMs: c.waitMs ?? e.waitMs, waitAtEndMs: e.waitMs });
    case 'callback-attempted':
      return { ...c, callbackAttempts: c.callbackAttempts + 1, seq: e.seq };
    case 'dial-result':
      // A campaign call answered goes on (it enters a queue); not answered, it ends. A callback's leg
      // is noted: the agent's contact ends with its completion.
      if (c.status === 'dialing' && e.reason !== 'answered') return end(c, e, e.reason, { dialResult: e.reason });
      return { ...c, dialResult: e.reason, seq: e.seq };
    default:
      return c;
  }
}

/** Folds a log (in sequence order) into the state of every contact it names, in the order first seen. */
export function foldContacts(events: Iterable<ContactEvent>): ReadonlyMap<string, ContactLife> {
  const lives = new Map<string, ContactLife>();
  for (const e of events) {
    const id = contactOfEvent(e);
    if (id === undefined) continue;
    const next = foldContact(lives.get(id), e);
    if (next !== undefined) lives.set(id, next);
  }
  return lives;
}
