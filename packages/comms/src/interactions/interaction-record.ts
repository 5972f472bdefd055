import type { ContactEvent, CustomerRef } from '../contact-event-log.js';
import type { Channel, Direction } from '../model.js';

export type { CustomerRef };

/**
 * One ended contact in the customer's history: a call (inbound or outbound), an e-mail, a chat, a
 * callback or a campaign dial. Written by the communication server from the contact event log.
 */
export interface InteractionRecord {
  /** The contact id (a call id, a chat id, an e-mail thread id …). */
  readonly contactId: string;
  readonly channel: Channel;
  readonly direction: Direction;
  /** The customer, when identified (contact data, a campaign target, the wrap-up, or a look-up by address). */
  readonly customer?: CustomerRef;
  /** The caller's number, the sender's address, or the number dialled, when known. */
  readonly address?: string;
  /** The queue the contact was in last. */
  readonly queueId?: string;
  /** The agent who handled it last. */
  readonly agentId?: string;
  /** When the contact entered the contact center, and when it ended (clock ms). */
  readonly startedAt: number;
  readonly endedAt: number;
  /**
   * How it ended: `completed`, `transferred-out`, `abandoned`, an exit reason (`timeout`,
   * `voicemail`, `callback-requested`, `after-hours`, `empty`, `full`, `key`), `ivr-end`,
   * `ivr-hung-up`, a dial result of an unanswered campaign call (`busy`, `no-answer`, `machine`,
   * `failed`), or `lost-on-restart`.
   */
  readonly outcome: string;
  /** For `completed`: who ended it. */
  readonly endedBy?: 'agent' | 'caller';
  /** The agent's disposition code (wrap-up) and note. */
  readonly disposition?: string;
  readonly note?: string;
  /** Wait until an agent took it (or until it left), and talk time, ms. */
  readonly waitMs?: number;
  readonly talkMs?: number;
  /** The campaign of an outbound campaign contact. */
  readonly campaignId?: string;
  /** The sequence number of the event that ended it in the contact event log. */
  readonly endSeq: number;
}

/** A change the contact event log asks of the interaction records. */
export type InteractionChange =
  | { readonly type: 'ended'; readonly seq: number; readonly record: InteractionRecord }
  | { readonly type: 'disposition'; readonly seq: number; readonly contactId: string; readonly disposition: string; readonly note?: string; readonly customer?: CustomerRef };

interface Open {
  readonly contactId: string;
  channel: Channel;
  direction: Direction;
  queueId: string | undefined;
  agentId: string | undefined;
  startedAt: number;
  waitMs: number | undefined;
  talkMs: number;
  customer: CustomerRef | undefined;
  address: string | undefined;
  campaignId: string | undefined;
}

/** Options of {@link InteractionFold}. */
export interface InteractionFoldOptions {
  /** The business object of a bare `customerKey` in contact data (e-mail, chat). Default `Customer`. */
  readonly customerObject?: string;
  /** The business object of a campaign's targets (from the campaign's business-object query). */
  readonly campaignObject?: (campaignId: string) => string | undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** A `{ object, id }` value, or undefined. */
export function customerRefOf(v: unknown): CustomerRef | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const object = str(o['object']);
  const id = typeof o['id'] === 'number' ? String(o['id']) : str(o['id']);
  return object && id ? { object, id } : undefined;
}

/**
 * Folds the contact event log, event by event, into interaction records: a contact is opened by
 * `queue-entered` (or a campaign `dial-attempt`) and becomes a record when it ends (`completed`
 * other than by a transfer, `abandoned`, `exited`, an unanswered `dial-result`, the IVR's own end,
 * a voicemail chosen in the IVR); a later `disposition` of the agent updates it.
 * Note: it keeps only the contacts still open, so it can follow a log of any length.
 */
export class InteractionFold {
  private readonly open = new Map<string, Open>();
  private readonly customerObject: string;

  constructor(private readonly options: InteractionFoldOptions = {}) {
    this.customerObject = options.customerObject ?? 'Customer';
  }

  /** The changes one event makes (none for most events). */
  feed(e: ContactEvent): InteractionChange[] {
    const id = e.contactId;
    if (id === undefined) return [];
    switch (e.kind) {
      case 'queue-entered': {
        const c = this.open.get(id);
        const d = (e.data?.['data'] ?? {}) as Record<string, unknown>;
        if (c) {
          // Entering again (a campaign call answered, a contact recovered after a restart): fill the gaps.
          if (e.queueId) c.queueId = e.queueId;
          const more = this.opened(id, e, d);
          c.customer ??= more.customer;
          c.address ??= more.address;
          c.campaignId ??= more.campaignId;
          return [];
        }
        this.open.set(id, this.opened(id, e, d));
        return [];
      }
      case 'dial-attempt': {
        if (this.open.has(id)) return [];
        const d = e.data ?? {};
        const o = this.opened(id, e, d);
        o.channel = 'call';
        o.direction = 'outbound';
        this.open.set(id, o);
        return [];
      }
      case 'transferred': {
        const c = this.open.get(id);
        if (c && e.queueId) c.queueId = e.queueId;
        return [];
      }
      case 'connected': {
        const c = this.open.get(id);
        if (c) {
          c.agentId = e.agentId;
          if (c.waitMs === undefined && e.waitMs !== undefined) c.waitMs = e.waitMs;
        }
        return [];
      }
      case 'completed': {
        const c = this.open.get(id);
        if (!c) return [];
        c.talkMs += e.talkMs ?? 0;
        if (e.agentId) c.agentId = e.agentId;
        if (e.reason === 'transferred') return [];
        const by = e.reason === 'agent' || e.reason === 'caller' ? e.reason : undefined;
        return this.end(c, e, by ? 'completed' : (e.reason ?? 'completed'), by);
      }
      case 'abandoned': {
        const c = this.open.get(id);
        return c ? this.end(c, e, 'abandoned', undefined, e.waitMs) : [];
      }
      case 'exited': {
        const c = this.open.get(id);
        return c ? this.end(c, e, e.reason ?? 'exited', undefined, e.waitMs) : [];
      }
      case 'dial-result': {
        const c = this.open.get(id);
        // An answered call goes on in its queue; the others end here.
        if (!c || e.reason === 'answered' || e.reason === undefined) return [];
        return this.end(c, e, e.reason);
      }
      case 'voicemail-left': {
        // A message chosen in the IVR: the call never entered a queue, it ends with the message.
        const callId = str(e.data?.['callId']);
        if (e.reason !== 'key' || !callId || this.open.has(callId)) return [];
        return this.end(this.opened(callId, { ...e, contactId: callId }, {}), e, 'voicemail');
      }
      case 'disposition': {
        if (e.reason?.startsWith('ivr-') && e.queueId === undefined && !this.open.has(id)) {
          const o = this.opened(id, e, e.data ?? {});
          o.channel = 'call';
          return this.end(o, e, e.reason);
        }
        if (!e.agentId || !e.reason) return [];
        const note = str(e.data?.['note']);
        const customer = customerRefOf(e.data?.['customer']);
        return [{ type: 'disposition', seq: e.seq, contactId: id, disposition: e.reason, ...(note ? { note } : {}), ...(customer ? { customer } : {}) }];
      }
      default:
        return [];
    }
  }

  private opened(contactId: string, e: ContactEvent, d: Record<string, unknown>): Open {
    const campaignId = str(d['campaignId']);
    const target = str(d['target']);
    const campaignObject = campaignId ? this.options.campaignObject?.(campaignId) : undefined;
    const key = str(d['customerKey']);
    const customer = customerRefOf(d['customer']) ?? (campaignObject && target ? { object: campaignObject, id: target } : undefined) ?? (key ? { object: this.customerObject, id: key } : undefined);
    const address = str(d['caller']) ?? str(d['from']) ?? str(d['callbackNumber']) ?? str(d['number']);
    return {
      contactId,
      channel: e.channel ?? 'call',
      direction: e.direction ?? 'inbound',
      queueId: e.queueId,
      agentId: undefined,
      startedAt: e.at - (e.waitMs ?? 0),
      waitMs: undefined,
      talkMs: 0,
      customer,
      address,
      campaignId,
    };
  }

  private end(c: Open, e: ContactEvent, outcome: string, endedBy?: 'agent' | 'caller', waitMs?: number): InteractionChange[] {
    this.open.delete(c.contactId);
    const wait = c.waitMs ?? waitMs;
    const record: InteractionRecord = {
      contactId: c.contactId,
      channel: c.channel,
      direction: c.direction,
      ...(c.customer ? { customer: c.customer } : {}),
      ...(c.address ? { address: c.address } : {}),
      ...(c.queueId ? { queueId: c.queueId } : {}),
      ...(c.agentId ? { agentId: c.agentId } : {}),
      startedAt: c.startedAt,
      endedAt: e.at,
      outcome,
      ...(endedBy ? { endedBy } : {}),
      ...(wait === undefined ? {} : { waitMs: wait }),
      ...(c.talkMs > 0 ? { talkMs: c.talkMs } : {}),
      ...(c.campaignId ? { campaignId: c.campaignId } : {}),
      endSeq: e.seq,
    };
    return [{ type: 'ended', seq: e.seq, record }];
  }
}
