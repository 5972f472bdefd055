import type { ContactEvent, CustomerRef } from '../contract/contact-event-log.js';
import { contactOfEvent, customerRefOf, foldContact, isEndedContact, type ContactLife } from '../log/contact-fold.js';
import type { Channel, Direction } from '../contract/model.js';

export type { CustomerRef };
export { customerRefOf };

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
  | { readonly type: 'disposition'; readonly seq: number; readonly contactId: string; readonly disposition: string; readonly note?: string; readonly customer?: CustomerRef }
  /** The agent linked (or unlinked) the customer of a contact that has ended (during or after its wrap-up). */
  | { readonly type: 'customer'; readonly seq: number; readonly contactId: string; readonly customer: CustomerRef | undefined };

/** Options of {@link InteractionFold}. */
export interface InteractionFoldOptions {
  /** The business object of a bare `customerKey` in contact data (e-mail, chat). Default `Customer`. */
  readonly customerObject?: string;
  /** The business object of a campaign's targets (from the campaign's business-object query). */
  readonly campaignObject?: (campaignId: string) => string | undefined;
}

/**
 * Turns the contact event log, event by event, into interaction records, from the one contact fold
 * ({@link foldContact}): a record is written when a contact that entered the contact center (a
 * queue, the dialer, the IVR) ends, and a later `disposition` of the agent updates it.
 * Note: it keeps only the contacts still open, so it can follow a log of any length.
 */
export class InteractionFold {
  private readonly open = new Map<string, ContactLife>();
  private readonly customerObject: string;

  constructor(private readonly options: InteractionFoldOptions = {}) {
    this.customerObject = options.customerObject ?? 'Customer';
  }

  /** The changes one event makes (none for most events). */
  feed(e: ContactEvent): InteractionChange[] {
    const id = contactOfEvent(e);
    if (id === undefined) return [];
    const before = this.open.get(id);
    if (e.kind === 'customer-linked' && before === undefined) {
      // Its record is written already: the link changes the record's customer.
      return [{ type: 'customer', seq: e.seq, contactId: id, customer: e.reason === 'unlinked' ? undefined : customerRefOf(e.data?.customer) }];
    }
    const after = foldContact(before, e);
    const changes: InteractionChange[] = [];
    if (after !== undefined && after !== before) {
      if (isEndedContact(after)) {
        this.open.delete(id);
        // A scheduled callback cancelled before it was due never reached the contact center.
        if (after.enteredAt !== undefined) changes.push({ type: 'ended', seq: e.seq, record: this.record(after, e.seq) });
      } else {
        this.open.set(id, after);
      }
    }
    if (e.kind === 'disposition' && e.agentId !== undefined && e.contactId !== undefined) {
      const note = e.data?.note;
      const customer = customerRefOf(e.data?.customer);
      changes.push({ type: 'disposition', seq: e.seq, contactId: e.contactId, disposition: e.reason, ...(note ? { note } : {}), ...(customer ? { customer } : {}) });
    }
    return changes;
  }

  private record(c: ContactLife, endSeq: number): InteractionRecord {
    const campaignObject = c.campaignId ? this.options.campaignObject?.(c.campaignId) : undefined;
    const customer =
      c.customer ??
      (campaignObject && c.target ? { object: campaignObject, id: c.target } : undefined) ??
      (c.customerKey ? { object: this.customerObject, id: c.customerKey } : undefined);
    return {
      contactId: c.id,
      channel: c.channel,
      direction: c.direction,
      ...(customer ? { customer } : {}),
      ...(c.address ? { address: c.address } : {}),
      ...(c.queueId ? { queueId: c.queueId } : {}),
      ...(c.agentId ? { agentId: c.agentId } : {}),
      startedAt: c.enteredAt ?? c.endedAt ?? 0,
      endedAt: c.endedAt ?? 0,
      outcome: c.outcome ?? 'completed',
      ...(c.endedBy ? { endedBy: c.endedBy } : {}),
      ...(c.waitMs === undefined ? {} : { waitMs: c.waitMs }),
      ...(c.talkMs > 0 ? { talkMs: c.talkMs } : {}),
      ...(c.campaignId ? { campaignId: c.campaignId } : {}),
      endSeq,
    };
  }
}
