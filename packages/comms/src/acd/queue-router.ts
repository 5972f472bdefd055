import { randomUUID } from 'node:crypto';
import { Disposable, Emitter, silentLogger, type Logger } from '@caruso/kernel';
import type { CustomerRef } from '../contract/contact-event-log.js';
import type { ConsultParty, DialSpec } from '../contract/model.js';
import { customerRefOf } from '../log/contact-fold.js';
import { evaluate, referencedVariables, truthy, type ScriptValue } from '@caruso/dialogue';
import type { Clock, Timer } from '../contract/clock.js';
import type { ContactEventInput, ContactEventSink, DispositionEvent } from '../contract/contact-event-log.js';
import { CommsErrors } from '../errors.js';
import {
  capacityClassOf,
  isDeferredChannel,
  type AgentConfig,
  type AgentQueueChoice,
  type AgentQueues,
  type AgentSnapshot,
  type AgentState,
  type Channel,
  type ContactSnapshot,
  type ContactSpec,
  type ExitReason,
  type Offer,
  type OverflowRule,
  type QueueAction,
  type QueueAnnouncementConfig,
  type QueueConfig,
  type SkillRequirement,
} from '../contract/model.js';
import { DIALABLE, sortedRules, validateAgentConfig, validateAgentQueueChoices, validateContactSpec, validateQueue } from '../internal/validate.js';
import { admitAgentCommand, isAvailable, presenceOf } from './agent-presence.js';
import { AvailableMembers, updateOrder } from './available-members.js';
import { insertSorted, keyOf, liveWaiting, removeFrom } from './contact-order.js';
import { keepPlaceCallback } from './keep-place.js';
import { isOpen } from './opening-hours.js';
import { memberOf, RECENT_PER_AGENT, type AgentRec, type ContactRec, type MemberRec, type OfferRec, type QueueRec } from './router-records.js';
import { chooseMember } from './routing-strategies.js';
import { expectedWaitMs, recordServed, SERVED_WINDOW } from './wait-estimate.js';

/**
 * A queue's configuration. Note: kept as an alias for compatibility; opening hours, the empty exit,
 * the agent expression and the voicemail queue are part of {@link QueueConfig} now.
 */
export type QueueOptions = QueueConfig;

/** An agent's configuration (alias kept for compatibility; attributes are part of {@link AgentConfig}). */
export type AgentOptions = AgentConfig;

/** A callback to dial at a given time. */
export interface ScheduledCallbackSpec {
  /** Id of the callback contact (default generated). */
  readonly id?: string;
  /** The number to dial. */
  readonly number: string;
  readonly queueId: string;
  /** When the callback enters the queue (ms since the epoch). */
  readonly at: number;
  readonly priority?: number;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A scheduled callback not yet due. */
export interface ScheduledCallback {
  readonly id: string;
  readonly number: string;
  readonly queueId: string;
  readonly at: number;
  readonly priority: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A contact reached an agent (or a conference party joined). */
export interface ContactConnected {
  readonly contactId: string;
  readonly agentId: string;
  readonly queueId: string;
  readonly channel: Channel;
  readonly endpoint?: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** `transfer`: an attended transfer handed it over; the line is connected already. */
  readonly via?: 'transfer';
}

/** What the router asks a channel to do on the line (the telephony channel carries it out). */
export type LineCommand =
  | { readonly type: 'hold' | 'retrieve'; readonly contactId: string }
  | { readonly type: 'transfer-out'; readonly contactId: string; readonly destination: string }
  | { readonly type: 'conference'; readonly contactId: string; readonly party: string; readonly agentId?: string }
  | { readonly type: 'leave-conference'; readonly contactId: string; readonly party: string; readonly agentId?: string }
  | { readonly type: 'mute'; readonly contactId: string; readonly muted: boolean }
  | { readonly type: 'dtmf'; readonly contactId: string; readonly digits: string }
  | { readonly type: 'consult'; readonly contactId: string; readonly party: string; readonly agentId?: string; readonly ringTimeoutMs: number }
  | { readonly type: 'end-consult'; readonly contactId: string; readonly outcome: 'transfer' | 'conference' | 'cancel' };

/** The campaign and target of a campaign call (the data the dialer queued it with), else nothing. */
function campaignTagOf(data: Readonly<Record<string, unknown>> | undefined): { campaignId?: string; target?: string } {
  const campaignId = data?.['campaignId'];
  const target = data?.['target'];
  if (typeof campaignId !== 'string' || campaignId.length === 0) return {};
  return { campaignId, ...(typeof target === 'string' && target.length > 0 ? { target } : {}) };
}

const DISPOSITION = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Options of a {@link QueueRouter}. */
export interface QueueRouterOptions {
  /** The clock every time-out runs on. */
  readonly clock: Clock;
  /** Where events go (the contact event log). Default: nowhere. */
  readonly events?: ContactEventSink;
  /** Uniform source for the random strategies (default Math.random; pass a seeded one in tests). */
  readonly random?: () => number;
  /** Prefix of generated contact ids (default a random one per router, so ids never repeat across restarts). */
  readonly idPrefix?: string;
  readonly logger?: Logger;
  /**
   * Choose by scanning every available member of the queue instead of reading the ordered index.
   * Note: for tests and benchmarks only (the reference the index is checked against); it picks the
   * same agents, more slowly.
   */
  readonly scanRouting?: boolean;
}

/** Why an offer was withdrawn. */
export type WithdrawReason = 'ring-no-answer' | 'answered-elsewhere' | 'abandoned' | 'exited' | 'logged-out';

/** A contact left its queue without reaching an agent (the channel decides what comes next). */
/** A contact that ended (see {@link QueueRouter.onDidEnd}). */
export interface ContactEnded {
  readonly contactId: string;
  readonly queueId: string;
  readonly channel: Channel;
  /** `completed` (with `by`), `abandoned`, or `exited` (with the exit reason in `by`). */
  readonly outcome: 'completed' | 'abandoned' | 'exited';
  /** Who ended a completed contact (`agent`, `caller`, …), or the exit reason. */
  readonly by?: string;
}

export interface ContactExit {
  readonly contactId: string;
  readonly queueId: string;
  readonly channel: Channel;
  readonly reason: ExitReason;
  readonly data: Readonly<Record<string, unknown>>;
  /** For `after-hours` and `empty`: what the queue wants done with the contact. */
  readonly action?: QueueAction;
}

/** An agent's state changed. */
export interface AgentStateChange {
  readonly agentId: string;
  readonly state: AgentState;
  readonly fromState: AgentState;
  readonly reason?: string;
}

/** A queue's live figures. */
export interface QueueStatus {
  readonly queueId: string;
  readonly waiting: number;
  /** Agents logged in as members. */
  readonly staffed: number;
  /** Members able to take a contact now. */
  readonly available: number;
  /**
   * Wait of the call or chat waiting longest, in ms (0 when none waits). E-mails and callbacks wait
   * for hours by design ({@link isDeferredChannel}); they count in `waiting`, not here.
   */
  readonly longestWaitMs: number;
}

/** Position in line and expected wait (for announcements). */
export interface QueuePosition {
  /** 1 for the next contact to be served. */
  readonly position: number;
  /**
   * Expected wait from now: the position divided by the queue's service rate, which is the rate at
   * which its last contacts reached an agent (at least 5 within the last 30 minutes), else the
   * staffed agents over the average handle time (talk, hold and wrap-up of its recent contacts).
   */
  readonly expectedWaitMs: number;
}

/** An announcement due for a waiting call (the telephony channel plays it). */
export interface QueueAnnouncement extends QueuePosition {
  readonly contactId: string;
  readonly queueId: string;
  readonly channel: Channel;
  /** Whether the call just entered the queue (else a repeat). */
  readonly onEntry: boolean;
  readonly config: QueueAnnouncementConfig;
}

/** Whether the agent has every required skill at its minimum level. */
/** The agents a contact is offered to now (a loop: most contacts have one offer or none). */
function offeredAgentIds(c: ContactRec): string[] {
  const ids: string[] = [];
  for (const o of c.offers.values()) ids.push(o.member.agent.id);
  return ids;
}

function hasSkills(a: AgentRec, required: readonly SkillRequirement[]): boolean {
  for (const r of required) if ((a.skills.get(r.skill) ?? -Infinity) < r.minLevel) return false;
  return true;
}

/** How many served contacts per queue the expected wait looks at, and how far back. */
const NO_EVENTS: ContactEventSink = {
  append: (e) => ({ ...e, seq: 0 }),
};

/**
 * The automatic call distributor: queues, agents and the routing decision, on a clock, with no I/O.
 * Every change is appended to the contact event log synchronously; the service around it flushes
 * the log before acknowledging.
 *
 * Agents are indexed by queue and availability, so a routing decision looks only at the agents
 * free in the contact's queue (or the heads of the agent's queues), never at everyone.
 *
 * Every state has a way out: a queued contact has its maximum wait and overflow rules, an offer its
 * ring time-out, a wrap-up its time; an agent who does not answer is paused after `maxNoAnswer`
 * ring-no-answers; a forced log-out puts the agent's contacts back in line.
 */
export class QueueRouter extends Disposable {
  private readonly clock: Clock;
  private readonly sink: ContactEventSink;
  private readonly random: () => number;
  private readonly idPrefix: string;
  private readonly logger: Logger;
  private readonly scanRouting: boolean;
  private readonly queues = new Map<string, QueueRec>();
  private readonly agents = new Map<string, AgentRec>();
  private readonly contacts = new Map<string, ContactRec>();
  private readonly offers = new Map<string, OfferRec>();
  /** Offers accepted, by id, while their contact lives: a second accept of one is the same accept. */
  private readonly acceptedOffers = new Map<string, ContactRec>();
  private contactSeq = 0;
  private offerSeq = 0;
  private draining = false;
  private pendingContacts: ContactRec[] = [];
  private pendingAgents: AgentRec[] = [];
  private readonly scratch: MemberRec[] = [];
  private readonly scheduled = new Map<string, { readonly cb: ScheduledCallback; readonly timer: Timer }>();
  private readonly exprWarned = new Set<string>();

  private readonly _onDidOffer = this.register(new Emitter<Offer>());
  /** A contact is offered to an agent: ring the agent (accept or reject it within its ring time-out). */
  readonly onDidOffer = this._onDidOffer.event;
  private readonly _onDidWithdrawOffer = this.register(new Emitter<{ readonly offer: Offer; readonly reason: WithdrawReason }>());
  /** An offer is no longer valid: stop ringing the agent. */
  readonly onDidWithdrawOffer = this._onDidWithdrawOffer.event;
  private readonly _onDidExit = this.register(new Emitter<ContactExit>());
  /** A contact left its queue without an agent (time-out, full, overflow to voicemail or callback, key). */
  readonly onDidExit = this._onDidExit.event;
  private readonly _onDidChangeAgentState = this.register(new Emitter<AgentStateChange>());
  /** An agent's state changed. */
  readonly onDidChangeAgentState = this._onDidChangeAgentState.event;
  private readonly _onDidEnd = this.register(new Emitter<ContactEnded>({ owner: 'caruso.comms/router' }));
  /**
   * A contact ended: completed (not by a transfer), abandoned or exited. Fired after the change that
   * ended it is done (on a microtask), so a listener may call the router again.
   */
  readonly onDidEnd = this._onDidEnd.event;
  private readonly _onDidConnect = this.register(new Emitter<ContactConnected>());
  /** A contact reached an agent (a callback: the channel now dials the customer). */
  readonly onDidConnect = this._onDidConnect.event;
  private readonly _onDidAnnounce = this.register(new Emitter<QueueAnnouncement>());
  /** A waiting call is due an announcement of its position and expected wait (queues with `announce`). */
  readonly onDidAnnounce = this._onDidAnnounce.event;
  private readonly _onDidLineCommand = this.register(new Emitter<LineCommand>());
  /** Hold, retrieve, transfer to an outside number, conference: the channel carries it out on the line. */
  readonly onDidLineCommand = this._onDidLineCommand.event;

  constructor(options: QueueRouterOptions) {
    super();
    this.clock = options.clock;
    this.sink = options.events ?? NO_EVENTS;
    this.random = options.random ?? Math.random;
    this.idPrefix = options.idPrefix ?? `c-${randomUUID().slice(0, 8)}-`;
    this.logger = options.logger ?? silentLogger();
    this.scanRouting = options.scanRouting ?? false;
  }

  // ---------------------------------------------------------------- configuration

  /** Adds a queue. Throws CARUSO_COMMS_INVALID_QUEUE or CARUSO_COMMS_DUPLICATE (and changes nothing). */
  addQueue(config: QueueConfig): void {
    const { config: c, expr } = validateQueue(config);
    const { openingHours, afterHours, whenEmpty, voicemailQueueId } = c;
    if (this.queues.has(c.id)) throw CommsErrors.CARUSO_COMMS_DUPLICATE({ what: 'queue', id: c.id });
    const strategy = c.strategy ?? 'longest-idle';
    const required = [...(c.requiredSkills ?? [])];
    this.queues.set(c.id, {
      id: c.id,
      strategy,
      required,
      ageing: c.ageingPerSecond ?? 0,
      maxWaitMs: c.maxWaitMs ?? 3_600_000,
      maxLength: c.maxLength ?? Infinity,
      wrapUpMs: c.wrapUpMs ?? 0,
      ringTimeoutMs: c.ringTimeoutMs ?? 20_000,
      maxNoAnswer: c.maxNoAnswer ?? 3,
      overflow: sortedRules(c.overflow),
      waiting: [],
      available: new AvailableMembers(strategy, (m) => hasSkills(m.agent, required)),
      members: [],
      rrLast: -1,
      staffed: 0,
      ahtMs: 180_000,
      ahtN: 0,
      served: new Float64Array(SERVED_WINDOW),
      servedCount: 0,
      announce: c.announce,
      hours: openingHours,
      afterHours: afterHours ?? { action: 'message', prompt: 'We are closed.' },
      whenEmpty,
      expr,
      exprPerContact: expr !== undefined && referencedVariables(expr.ast).some((v) => v.name === 'contact'),
      voicemailQueueId,
    });
  }

  /** Adds an agent (logged out). Throws CARUSO_COMMS_INVALID_AGENT, CARUSO_COMMS_UNKNOWN_QUEUE or CARUSO_COMMS_DUPLICATE. */
  addAgent(config: AgentConfig): void {
    const c = validateAgentConfig(config);
    const attributes = c.attributes;
    if (this.agents.has(c.id)) throw CommsErrors.CARUSO_COMMS_DUPLICATE({ what: 'agent', id: c.id });
    for (const m of c.queues) this.queueRec(m.queueId);
    const agent: AgentRec = {
      id: c.id,
      endpoint: c.endpoint,
      skills: new Map(Object.entries(c.skills ?? {})),
      attributes: attributes ?? {},
      capacity: { voice: c.capacity?.voice ?? 1, email: c.capacity?.email ?? 1, chat: c.capacity?.chat ?? 1 },
      load: { voice: 0, email: 0, chat: 0 },
      members: [],
      configured: c.queues.map((m) => ({ queueId: m.queueId, level: m.level ?? 1, weight: m.weight ?? 1 })),
      selectable: c.selectableQueues === undefined ? undefined : new Set(c.selectableQueues),
      offers: new Map(),
      contacts: new Set(),
      wraps: new Map(),
      recent: new Map(),
      loggedIn: false,
      paused: false,
      pauseReason: undefined,
      available: false,
      state: 'logged-out',
      idleSince: this.clock.now(),
      noAnswer: 0,
    };
    for (const m of c.queues) {
      const q = this.queueRec(m.queueId);
      const member: MemberRec = { agent, queue: q, index: q.members.length, level: m.level ?? 1, weight: m.weight ?? 1, lastEndedAt: 0, handled: 0, exprOk: undefined, availableSeq: 0 };
      q.members.push(member);
      agent.members.push(member);
    }
    this.agents.set(c.id, agent);
  }

  // ---------------------------------------------------------------- agents

  /**
   * Sets the queues an agent serves (the queue choice at login), with a level per queue; takes
   * effect for the next routing decision. Queues left: the agent gets no new offer from them (an
   * offer ringing or a contact connected stays); when the agent was the last one staffing a queue
   * with a `whenEmpty` action, its waiting contacts get that action as at a log-out. Logged as
   * `agent-queues-changed` with `data.queues` = `[{ queueId, level }]`.
   * Throws CARUSO_COMMS_UNKNOWN_AGENT, CARUSO_COMMS_INVALID_AGENT (a malformed list),
   * CARUSO_COMMS_UNKNOWN_QUEUE, or CARUSO_COMMS_QUEUE_NOT_ALLOWED (a queue outside the agent's
   * configured and `selectableQueues`), changing nothing.
   * @param options.restore re-applies a choice read back from the log after a restart (not logged again).
   */
  setAgentQueues(agentId: string, queues: readonly AgentQueueChoice[], options: { readonly restore?: boolean } = {}): void {
    const a = this.agentRec(agentId);
    const choices = validateAgentQueueChoices(agentId, queues);
    const allowed = this.allowedQueues(a);
    const wanted = choices.map((ch) => {
      const q = this.queueRec(ch.queue);
      if (!allowed.includes(q.id)) throw CommsErrors.CARUSO_COMMS_QUEUE_NOT_ALLOWED({ agent: agentId, queue: q.id, allowed: allowed.slice(0, 20).join(', ') || '(none)' });
      const conf = a.configured.find((m) => m.queueId === q.id);
      return { q, level: ch.level ?? conf?.level ?? 1, weight: conf?.weight ?? 1 };
    });
    const keep = new Set(wanted.map((w) => w.q));
    const left: QueueRec[] = [];
    for (const m of a.members) {
      if (keep.has(m.queue)) continue;
      const q = m.queue;
      // Out of the index first: it is ordered by the index being renumbered below.
      q.available.delete(m);
      const i = q.members.indexOf(m);
      if (i >= 0) {
        q.members.splice(i, 1);
        for (let j = i; j < q.members.length; j++) q.members[j]!.index = j;
        // Round-robin memory: the agent after the one offered last stays the next one.
        if (i <= q.rrLast) q.rrLast--;
      }
      if (a.loggedIn) q.staffed--;
      left.push(q);
    }
    const members: MemberRec[] = [];
    for (const w of wanted) {
      let m = memberOf(a, w.q);
      if (m) {
        const member = m;
        w.q.available.update(member, () => (member.level = w.level));
      } else {
        m = { agent: a, queue: w.q, index: w.q.members.length, level: w.level, weight: w.weight, lastEndedAt: 0, handled: 0, exprOk: undefined, availableSeq: 0 };
        w.q.members.push(m);
        if (a.loggedIn) w.q.staffed++;
        if (a.available) w.q.available.add(m);
      }
      members.push(m);
    }
    a.members.length = 0;
    a.members.push(...members);
    if (!options.restore) {
      this.emit({ kind: 'agent-queues-changed', at: this.clock.now(), agentId, data: { queues: members.map((m) => ({ queueId: m.queue.id, level: m.level })) } });
    }
    if (a.available) this.pendingAgents.push(a);
    // The "empty" exit, when this agent was the last one staffing a queue left.
    for (const q of a.loggedIn ? left : []) {
      if (q.staffed > 0 || !q.whenEmpty) continue;
      for (const c of [...q.waiting]) if (!isDeferredChannel(c.channel)) this.applyQueueAction(c, 'empty', q.whenEmpty);
    }
    this.drain();
  }

  /** The queues an agent serves now, those configured, and those the agent may choose. Throws CARUSO_COMMS_UNKNOWN_AGENT. */
  agentQueues(agentId: string): AgentQueues {
    const a = this.agentRec(agentId);
    return {
      agentId,
      selected: a.members.map((m) => ({ queue: m.queue.id, level: m.level })),
      configured: a.configured.map((m) => ({ queue: m.queueId, level: m.level })),
      allowed: this.allowedQueues(a),
    };
  }

  private allowedQueues(a: AgentRec): string[] {
    if (!a.selectable) return [...this.queues.keys()];
    const ids = new Set([...a.configured.map((m) => m.queueId), ...a.selectable]);
    return [...this.queues.keys()].filter((id) => ids.has(id));
  }

  /** Logs an agent in (ready). Throws CARUSO_COMMS_UNKNOWN_AGENT. Logging in twice is harmless. */
  login(agentId: string): void {
    const a = this.agentRec(agentId);
    if (!admitAgentCommand(agentId, a.state, 'login')) return;
    a.loggedIn = true;
    a.paused = false;
    a.pauseReason = undefined;
    a.noAnswer = 0;
    for (const m of a.members) m.queue.staffed++;
    this.emit({ kind: 'agent-logged-in', at: this.clock.now(), agentId });
    this.refresh(a);
    this.drain();
  }

  /**
   * Logs an agent out. Pending offers are withdrawn (their contacts go back in line, in their place)
   * and wrap-ups end. With a contact connected it throws CARUSO_COMMS_AGENT_STATE, unless `force`
   * (the agent's endpoint is gone): then the connected contacts go back in line too.
   */
  logout(agentId: string, options: { readonly force?: boolean } = {}): void {
    const a = this.agentRec(agentId);
    if (!admitAgentCommand(agentId, a.state, 'logout', options)) return;
    const withdrawn: Array<[OfferRec, WithdrawReason]> = [];
    for (const o of [...a.offers.values()]) {
      this.closeOffer(o);
      withdrawn.push([o, 'logged-out']);
      if (o.contact.offers.size === 0) this.requeue(o.contact);
    }
    for (const c of [...a.contacts]) {
      a.contacts.delete(c);
      a.load[c.cls]--;
      c.agent = undefined;
      this.emit({ kind: 'transferred', at: this.clock.now(), contactId: c.id, queueId: c.queue.id, agentId, channel: c.channel, reason: 'agent-disconnected' });
      this.requeue(c);
    }
    for (const w of a.wraps.values()) w.timer.dispose();
    a.wraps.clear();
    a.loggedIn = false;
    a.paused = false;
    a.pauseReason = undefined;
    for (const m of a.members) m.queue.staffed--;
    this.refresh(a);
    this.emit({ kind: 'agent-logged-out', at: this.clock.now(), agentId });
    for (const [o, reason] of withdrawn) this._onDidWithdrawOffer.fire({ offer: this.offerView(o), reason });
    // The "empty" exit: the last agent of a queue left; its waiting contacts get the queue's action.
    for (const m of a.members) {
      const q = m.queue;
      if (q.staffed > 0 || !q.whenEmpty) continue;
      for (const c of [...q.waiting]) if (!isDeferredChannel(c.channel)) this.applyQueueAction(c, 'empty', q.whenEmpty);
    }
    this.drain();
  }

  /** Pauses an agent with a reason code (`break`, `training`, `no-answer` …). Throws when logged out. */
  pause(agentId: string, reason: string): void {
    const a = this.agentRec(agentId);
    admitAgentCommand(agentId, a.state, 'pause');
    a.paused = true;
    a.pauseReason = reason;
    this.refresh(a);
  }

  /** Ends a pause (also resets the ring-no-answer count). */
  resume(agentId: string): void {
    const a = this.agentRec(agentId);
    admitAgentCommand(agentId, a.state, 'resume');
    a.paused = false;
    a.pauseReason = undefined;
    a.noAnswer = 0;
    this.refresh(a);
    this.drain();
  }

  /**
   * The agent's disposition of a contact they handled (`solved`, `sale`, `call-back-later` …):
   * logged as a `disposition` event with the contact's queue (and, for a campaign call, its
   * `data.campaignId` and `data.target`), and the wrap-up of that contact ends. Returns the event
   * logged. Works during the wrap-up and after it (for the agent's last 16 contacts). Throws
   * CARUSO_COMMS_INVALID_CONTACT for a bad code and CARUSO_COMMS_CONTACT_STATE when the agent did
   * not end that contact recently (a connected contact is completed first), changing nothing.
   */
  wrapUp(agentId: string, contactId: string, disposition: string, note?: string, customer?: { readonly object: string; readonly id: string }): DispositionEvent {
    const a = this.agentRec(agentId);
    if (typeof disposition !== 'string' || !DISPOSITION.test(disposition)) {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: String(contactId), reason: 'the disposition must be a code of letters, digits and . _ : - (at most 64)' });
    }
    if (note !== undefined && (typeof note !== 'string' || note.length > 2_000)) {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: String(contactId), reason: 'the note must be a text of at most 2000 characters' });
    }
    const ended = a.recent.get(contactId);
    if (!ended) {
      const live = this.contacts.get(contactId);
      throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: String(contactId), action: `take a disposition from ${agentId}`, state: live ? live.state : 'unknown to this agent' });
    }
    // The customer given, else the one linked to the contact (never another contact's).
    const chosen = customer ?? ended.customer;
    const data = {
      ...(note === undefined ? {} : { note }),
      ...(chosen === undefined ? {} : { customer: { object: chosen.object, id: chosen.id } }),
      ...(ended.campaignId === undefined ? {} : { campaignId: ended.campaignId }),
      ...(ended.target === undefined ? {} : { target: ended.target }),
    };
    const event: DispositionEvent = { kind: 'disposition', at: this.clock.now(), contactId, queueId: ended.queueId, agentId, channel: ended.channel, reason: disposition, ...(Object.keys(data).length === 0 ? {} : { data }) };
    this.emit(event);
    this.endWrap(a, contactId);
    this.drain();
    return event;
  }

  /** Ends the agent's wrap-ups now. */
  finishWrapUp(agentId: string): void {
    const a = this.agentRec(agentId);
    for (const id of [...a.wraps.keys()]) this.endWrap(a, id);
    this.drain();
  }

  // ---------------------------------------------------------------- contacts

  /**
   * Puts a contact in a queue and routes it. Returns its snapshot (state `ended` when the queue was
   * full: the contact then exited with reason `full`). Throws CARUSO_COMMS_INVALID_CONTACT,
   * CARUSO_COMMS_UNKNOWN_QUEUE or CARUSO_COMMS_DUPLICATE, changing nothing.
   * @param options.restore the contact is being brought back after a restart: its `queue-entered` is in
   * the log already and is not written again.
   */
  enqueue(spec: ContactSpec, options: { readonly restore?: boolean; /** @internal the arrival order of the contact this one replaces */ readonly arrival?: number } = {}): ContactSnapshot {
    const s = validateContactSpec(spec);
    const q = this.queueRec(s.queueId);
    const id = s.id ?? `${this.idPrefix}${this.contactSeq + 1}`;
    if (this.contacts.has(id)) throw CommsErrors.CARUSO_COMMS_DUPLICATE({ what: 'contact', id });
    const now = this.clock.now();
    const c: ContactRec = {
      id,
      seq: options.arrival ?? ++this.contactSeq,
      channel: s.channel,
      cls: capacityClassOf(s.channel),
      direction: s.direction ?? 'inbound',
      priority: s.priority ?? 0,
      extraSkills: s.requiredSkills ?? [],
      enteredAt: s.enteredAt ?? now,
      data: s.data ?? {},
      queue: q,
      queueEnteredAt: now,
      key: 0,
      state: 'queued',
      widened: false,
      ruleIndex: 0,
      deadline: undefined,
      offers: new Map(),
      declined: undefined,
      agent: undefined,
      connectedAt: 0,
      heldAt: undefined,
      holdMs: 0,
      conferees: new Set(),
      announceTimer: undefined,
      acceptedOffer: undefined,
      customer: customerRefOf(s.data?.['customer']),
      muted: false,
      consult: undefined,
    };
    c.key = keyOf(c, q);
    this.contacts.set(id, c);
    // A contact restored after a restart is in the log already: entering again writes nothing twice.
    if (!options.restore) this.emit({
      kind: 'queue-entered',
      at: now,
      contactId: id,
      queueId: q.id,
      channel: c.channel,
      direction: c.direction,
      priority: c.priority,
      ...(s.enteredAt === undefined ? {} : { waitMs: now - c.enteredAt }),
      ...(s.requiredSkills || s.data ? { data: { ...(s.requiredSkills ? { requiredSkills: s.requiredSkills } : {}), ...(s.data ? { data: s.data } : {}) } } : {}),
    });
    // The queue's rules for a new live contact. A contact put back after a restart is not new (its
    // place was taken while the queue took it, and the agents are logged out only by the restart);
    // an e-mail or a callback is work that waits for an agent at any hour.
    const entering = !options.restore && !isDeferredChannel(c.channel);
    if (entering && q.maxLength !== Infinity && liveWaiting(q) >= q.maxLength) {
      this.exitContact(c, 'full');
      return this.snapshot(c);
    }
    if (entering && q.hours && !isOpen(q.hours, now)) {
      this.applyQueueAction(c, 'after-hours', q.afterHours);
      this.drain();
      return this.snapshot(c);
    }
    if (entering && q.whenEmpty && q.staffed === 0) {
      this.applyQueueAction(c, 'empty', q.whenEmpty);
      this.drain();
      return this.snapshot(c);
    }
    insertSorted(q.waiting, c);
    this.scheduleDeadline(c);
    this.pendingContacts.push(c);
    this.drain();
    if (q.announce && c.channel === 'call') {
      this.scheduleAnnouncement(c);
      // Not when an agent's phone already rings for it.
      if (c.state === 'queued' && q.announce.onEntry !== false) this.announce(c, true);
    }
    return this.snapshot(c);
  }

  /**
   * The agent accepts an offer: the contact is connected. Idempotent: the desktop's Accept and the
   * agent's phone answering are the same accept, whichever comes first; the second changes nothing.
   * Throws CARUSO_COMMS_UNKNOWN_OFFER when the offer is no longer pending and was not accepted.
   */
  accept(offerId: string, options: { readonly agentId?: string } = {}): void {
    const done = this.acceptedOffers.get(offerId);
    if (done && done.acceptedOffer === offerId && done.state === 'connected' && this.contacts.get(done.id) === done) {
      if (options.agentId !== undefined && done.agent?.id !== options.agentId) throw CommsErrors.CARUSO_COMMS_UNKNOWN_OFFER({ offer: offerId });
      return;
    }
    const o = this.offerRec(offerId);
    if (options.agentId !== undefined && o.member.agent.id !== options.agentId) throw CommsErrors.CARUSO_COMMS_UNKNOWN_OFFER({ offer: offerId });
    const c = o.contact;
    const a = o.member.agent;
    const now = this.clock.now();
    this.closeOffer(o);
    const others = [...c.offers.values()];
    for (const other of others) this.closeOffer(other);
    this.cancelDeadline(c);
    this.cancelAnnouncement(c);
    c.state = 'connected';
    c.agent = a;
    c.connectedAt = now;
    if (c.acceptedOffer !== undefined) this.acceptedOffers.delete(c.acceptedOffer);
    c.acceptedOffer = offerId;
    this.acceptedOffers.set(offerId, c);
    const sq = c.queue;
    recordServed(sq, now);
    a.contacts.add(c);
    a.load[c.cls]++;
    a.noAnswer = 0;
    // A campaign call says so: the campaign reports count the calls that reached an agent.
    const campaign = campaignTagOf(c.data);
    this.emit({ kind: 'connected', at: now, contactId: c.id, queueId: c.queue.id, agentId: a.id, channel: c.channel, waitMs: now - c.enteredAt, ringMs: now - o.at, ...(campaign.campaignId === undefined ? {} : { data: campaign }) });
    this.refresh(a);
    for (const other of others) {
      this.refresh(other.member.agent);
      this._onDidWithdrawOffer.fire({ offer: this.offerView(other), reason: 'answered-elsewhere' });
    }
    this._onDidConnect.fire({ contactId: c.id, agentId: a.id, queueId: c.queue.id, channel: c.channel, ...(a.endpoint === undefined ? {} : { endpoint: a.endpoint }), data: c.data });
    this.drain();
  }

  /** The agent declines an offer; the contact goes back in line (and is not offered to this agent again). */
  reject(offerId: string, reason = 'rejected'): void {
    const o = this.offerRec(offerId);
    const c = o.contact;
    const a = o.member.agent;
    this.closeOffer(o);
    (c.declined ??= new Set()).add(a);
    this.emit({ kind: 'rejected', at: this.clock.now(), contactId: c.id, queueId: c.queue.id, agentId: a.id, channel: c.channel, reason, ringMs: this.clock.now() - o.at });
    if (c.offers.size === 0) this.requeue(c);
    this.refresh(a);
    this.drain();
  }

  /**
   * The agent's leg of an offer could not be set up (their phone declined, was busy or did not answer).
   * Still ringing: the offer is rejected. Already accepted on the desktop: the connection is undone —
   * the contact goes back in line in its place (`transferred`, reason `agent-unreachable`), is not
   * offered to that agent again, and the agent is free. Anything else (the contact ended, or moved on)
   * changes nothing.
   */
  agentLegFailed(offerId: string, cause: string): void {
    if (this.offers.has(offerId)) {
      this.reject(offerId, cause);
      return;
    }
    const c = this.acceptedOffers.get(offerId);
    const a = c?.agent;
    if (!c || !a || c.state !== 'connected' || c.acceptedOffer !== offerId || this.contacts.get(c.id) !== c) return;
    this.acceptedOffers.delete(offerId);
    c.acceptedOffer = undefined;
    a.contacts.delete(c);
    a.load[c.cls]--;
    c.agent = undefined;
    (c.declined ??= new Set()).add(a);
    this.emit({ kind: 'transferred', at: this.clock.now(), contactId: c.id, queueId: c.queue.id, agentId: a.id, channel: c.channel, reason: 'agent-unreachable' });
    this.requeue(c);
    this.refresh(a);
    this.drain();
  }

  /** Ends a connected contact (`by` the agent or the customer); the agent goes to wrap-up (or ready). */
  complete(contactId: string, by: 'agent' | 'caller' = 'agent'): void {
    const c = this.contactRec(contactId);
    if (c.state !== 'connected' || !c.agent) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'complete', state: c.state });
    const a = c.agent;
    const q = c.queue;
    const now = this.clock.now();
    if (c.heldAt !== undefined) c.holdMs += now - c.heldAt;
    const talkMs = now - c.connectedAt - c.holdMs;
    c.state = 'ended';
    a.contacts.delete(c);
    a.load[c.cls]--;
    this.forgetContact(c);
    const m = memberOf(a, q);
    if (m) {
      q.available.update(m, () => {
        m.handled++;
        m.lastEndedAt = now;
      });
    }
    this.emit({ kind: 'completed', at: now, contactId: c.id, queueId: q.id, agentId: a.id, channel: c.channel, reason: by, talkMs, holdMs: c.holdMs }, c);
    this.releaseConferees(c);
    q.ahtMs += (talkMs + c.holdMs + q.wrapUpMs - q.ahtMs) / Math.min(++q.ahtN, 20);
    if (q.wrapUpMs > 0) {
      const timer = this.clock.setTimer(q.wrapUpMs, () => {
        this.endWrap(a, c.id);
        this.drain();
      });
      a.wraps.set(c.id, { timer, startedAt: now, contactId: c.id, queueId: q.id, channel: c.channel });
    }
    this.refresh(a);
    // Capacity was freed: an agent who stayed available (other channels free) may now fit a waiting contact.
    if (a.available) this.pendingAgents.push(a);
    this.drain();
  }

  /** The customer put on hold by the agent. */
  hold(contactId: string): void {
    const c = this.contactRec(contactId);
    if (c.state !== 'connected' || c.heldAt !== undefined) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'hold', state: c.heldAt === undefined ? c.state : 'held' });
    c.heldAt = this.clock.now();
    this.emit({ kind: 'held', at: c.heldAt, contactId, queueId: c.queue.id, agentId: c.agent?.id ?? '', channel: c.channel });
    this._onDidLineCommand.fire({ type: 'hold', contactId });
  }

  /** Whether a connected contact is on hold. */
  isHeld(contactId: string): boolean {
    return this.contacts.get(contactId)?.heldAt !== undefined;
  }

  /** The customer taken off hold. */
  retrieve(contactId: string): void {
    const c = this.contactRec(contactId);
    if (c.state !== 'connected' || c.heldAt === undefined) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'retrieve', state: c.state });
    const now = this.clock.now();
    const holdMs = now - c.heldAt;
    c.holdMs += holdMs;
    c.heldAt = undefined;
    this.emit({ kind: 'retrieved', at: now, contactId, queueId: c.queue.id, agentId: c.agent?.id ?? '', channel: c.channel, holdMs });
    this._onDidLineCommand.fire({ type: 'retrieve', contactId });
  }

  /**
   * Transfers a contact to another queue. A connected contact leaves its agent (who goes to wrap-up
   * as after completing) and goes back in line in the new queue, keeping its age.
   */
  transferToQueue(contactId: string, queueId: string, reason = 'agent'): void {
    const c = this.contactRec(contactId);
    const target = this.queueRec(queueId);
    if (c.state === 'connected' && c.agent) {
      const a = c.agent;
      const now = this.clock.now();
      if (c.heldAt !== undefined) c.holdMs += now - c.heldAt;
      this.emit({ kind: 'completed', at: now, contactId, queueId: c.queue.id, agentId: a.id, channel: c.channel, reason: 'transferred', talkMs: now - c.connectedAt - c.holdMs, holdMs: c.holdMs }, c);
      this.releaseConferees(c);
      a.contacts.delete(c);
      a.load[c.cls]--;
      c.agent = undefined;
      c.heldAt = undefined;
      c.holdMs = 0;
      c.muted = false;
      // The agent's part of the contact is over: their wrap-up (and disposition) follows, as after a
      // transfer to one agent.
      this.startWrap(a, c, c.queue, now);
      this.refresh(a);
      if (a.available) this.pendingAgents.push(a);
      this.moveTo(c, target, reason);
    } else if (c.state === 'queued') {
      this.moveTo(c, target, reason);
    } else {
      throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'transfer', state: c.state });
    }
    this.drain();
  }

  /** The customer hung up (or closed the chat) before reaching an agent. */
  abandon(contactId: string): void {
    const c = this.contactRec(contactId);
    if (c.state !== 'queued' && c.state !== 'offered') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'abandon', state: c.state });
    const withdrawn = this.leaveQueue(c);
    this.emit({ kind: 'abandoned', at: this.clock.now(), contactId, queueId: c.queue.id, channel: c.channel, waitMs: this.clock.now() - c.enteredAt });
    for (const o of withdrawn) {
      this.refresh(o.member.agent);
      this._onDidWithdrawOffer.fire({ offer: this.offerView(o), reason: 'abandoned' });
    }
    this.drain();
  }

  /** The contact leaves its queue for a reason (a key pressed, a callback requested …). */
  exit(contactId: string, reason: ExitReason): void {
    const c = this.contactRec(contactId);
    if (c.state !== 'queued' && c.state !== 'offered') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'exit', state: c.state });
    this.exitContact(c, reason);
    this.drain();
  }

  /**
   * The customer leaves the line but keeps their place: the contact exits with reason
   * `callback-requested` and a `callback` contact takes its place in the same queue, with the same
   * priority and age (so the same position). When an agent accepts it, the channel dials `number`.
   * Returns the callback contact: `<call>-cb`, or the next free `-cb2`…, or `cb-<uuid>` for a call
   * whose id leaves no room (see {@link keepPlaceCallback}). Throws, changing nothing, for a number
   * that cannot be dialled or a contact not waiting.
   */
  requestCallback(contactId: string, number: string): ContactSnapshot {
    const c = this.contactRec(contactId);
    if (c.state !== 'queued' && c.state !== 'offered') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'request a callback', state: c.state });
    if (typeof number !== 'string' || !DIALABLE.test(number)) {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: contactId, reason: 'the callback number must be a dialable number or endpoint' });
    }
    // Made and checked before anything is written: a call is never closed for a callback that
    // cannot be queued. An id still in use (or due as a timed callback) is passed by.
    const callback = keepPlaceCallback(
      { id: c.id, queueId: c.queue.id, priority: c.priority, enteredAt: c.enteredAt, requiredSkills: c.extraSkills, data: c.data },
      number,
      (id) => this.contacts.has(id) || this.scheduled.has(id),
    );
    this.emit({ kind: 'callback-scheduled', at: this.clock.now(), contactId: callback.id!, queueId: c.queue.id, channel: 'callback', reason: 'keep-place', data: { originalContactId: contactId } });
    this.exitContact(c, 'callback-requested');
    // Its call's arrival too, so a contact that entered in the same millisecond stays behind it, as
    // it does after a restart (openContacts).
    return this.enqueue(callback, { arrival: c.seq });
  }

  /**
   * Schedules a callback: at `at` a `callback` contact to `number` enters the queue (logged now as
   * `callback-scheduled` with `data.scheduledAt`). Throws CARUSO_COMMS_INVALID_CONTACT,
   * CARUSO_COMMS_UNKNOWN_QUEUE or CARUSO_COMMS_DUPLICATE, changing nothing.
   * @param options.restore re-arms a callback read back from the log after a restart (not logged again).
   */
  scheduleCallback(spec: ScheduledCallbackSpec, options: { readonly restore?: boolean } = {}): ScheduledCallback {
    const id = spec?.id ?? `${this.idPrefix}s${++this.contactSeq}`;
    const bad = (reason: string): never => {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: id, reason });
    };
    if (typeof spec !== 'object' || spec === null) bad('the callback must be an object');
    if (typeof spec.number !== 'string' || !DIALABLE.test(spec.number)) bad('the callback number must be a dialable number or endpoint');
    if (typeof spec.at !== 'number' || !Number.isFinite(spec.at)) bad("'at' must be a time in ms");
    if (spec.priority !== undefined && (typeof spec.priority !== 'number' || !Number.isFinite(spec.priority))) bad("'priority' must be a number");
    if (spec.data !== undefined && (typeof spec.data !== 'object' || spec.data === null || Array.isArray(spec.data))) bad("'data' must be an object");
    this.queueRec(spec.queueId);
    if (this.contacts.has(id) || this.scheduled.has(id)) throw CommsErrors.CARUSO_COMMS_DUPLICATE({ what: 'contact', id });
    const cb: ScheduledCallback = { id, number: spec.number, queueId: spec.queueId, at: spec.at, priority: spec.priority ?? 0, data: spec.data ?? {} };
    if (!options.restore) {
      this.emit({ kind: 'callback-scheduled', at: this.clock.now(), contactId: id, queueId: cb.queueId, channel: 'callback', reason: 'scheduled', priority: cb.priority, data: { scheduledAt: cb.at, callbackNumber: cb.number, data: cb.data } });
    }
    const timer = this.clock.setTimer(cb.at - this.clock.now(), () => {
      this.scheduled.delete(id);
      try {
        this.enqueue({ id, channel: 'callback', direction: 'outbound', queueId: cb.queueId, priority: cb.priority, data: { ...cb.data, callbackNumber: cb.number, scheduledAt: cb.at } });
      } catch (err) {
        this.logger.error({ err, queue: cb.queueId }, 'a scheduled callback could not be queued');
      }
    });
    this.scheduled.set(id, { cb, timer });
    return cb;
  }

  /** Cancels a scheduled callback not yet due (logged as `callback-completed` with reason `cancelled`). */
  cancelScheduledCallback(id: string): void {
    const s = this.scheduled.get(id);
    if (!s) throw CommsErrors.CARUSO_COMMS_UNKNOWN_CONTACT({ contact: id });
    s.timer.dispose();
    this.scheduled.delete(id);
    this.emit({ kind: 'callback-completed', at: this.clock.now(), contactId: id, queueId: s.cb.queueId, channel: 'callback', reason: 'cancelled' });
  }

  /** Callbacks scheduled and not yet due, soonest first. */
  scheduledCallbacks(): ScheduledCallback[] {
    return [...this.scheduled.values()].map((s) => s.cb).sort((a, b) => a.at - b.at);
  }

  /**
   * Transfers a connected (or queued) contact to one agent: the current agent goes to wrap-up as
   * after completing, and the contact is offered to `agentId` only. When that agent does not take it
   * (ring-no-answer, reject), it goes back in line in its queue. Throws CARUSO_COMMS_AGENT_STATE when
   * the agent cannot take it now (logged out, paused, busy, no capacity) and changes nothing.
   */
  transferToAgent(contactId: string, agentId: string): void {
    const c = this.contactRec(contactId);
    const b = this.agentRec(agentId);
    if (c.state !== 'connected' && c.state !== 'queued') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'transfer', state: c.state });
    if (c.agent === b) throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: agentId, action: 'take a transfer of its own contact', state: b.state });
    const member = memberOf(b, c.queue) ?? b.members[0];
    if (!member || !b.available || b.load[c.cls] >= b.capacity[c.cls]) throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: agentId, action: 'take a transfer', state: b.state });
    const now = this.clock.now();
    if (c.state === 'connected' && c.agent) {
      const a = c.agent;
      if (c.heldAt !== undefined) c.holdMs += now - c.heldAt;
      this.emit({ kind: 'completed', at: now, contactId, queueId: c.queue.id, agentId: a.id, channel: c.channel, reason: 'transferred', talkMs: now - c.connectedAt - c.holdMs, holdMs: c.holdMs }, c);
      this.releaseConferees(c);
      a.contacts.delete(c);
      a.load[c.cls]--;
      c.agent = undefined;
      c.heldAt = undefined;
      c.holdMs = 0;
      this.startWrap(a, c, c.queue, now);
      this.refresh(a);
    } else {
      removeFrom(c.queue.waiting, c);
      this.cancelDeadline(c);
    }
    this.emit({ kind: 'transferred', at: now, contactId, queueId: c.queue.id, agentId, channel: c.channel, reason: 'to-agent' });
    c.declined = undefined;
    this.offer(c, [member]);
    this.drain();
  }

  /**
   * Transfers a connected call out of the contact center (blind transfer to `destination`): the
   * contact ends for the agent (completed, reason `transferred-out`) and the channel transfers the line.
   */
  transferToNumber(contactId: string, destination: string): void {
    const c = this.contactRec(contactId);
    if (typeof destination !== 'string' || !DIALABLE.test(destination)) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: contactId, reason: 'the destination must be a dialable number or endpoint' });
    if (c.state !== 'connected' || !c.agent || c.cls !== 'voice') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'transfer to a number', state: c.state });
    const now = this.clock.now();
    this.emit({ kind: 'transferred', at: now, contactId, agentId: c.agent.id, channel: c.channel, reason: 'outside', data: { destination } });
    this._onDidLineCommand.fire({ type: 'transfer-out', contactId, destination });
    this.finishConnected(c, 'transferred-out');
  }

  /**
   * Adds a third party to a connected voice contact: another agent (who becomes busy with it) or an
   * outside number. Throws CARUSO_COMMS_AGENT_STATE when the agent cannot take it.
   */
  conference(contactId: string, party: { readonly agentId: string } | { readonly number: string }): void {
    const c = this.contactRec(contactId);
    if (c.state !== 'connected' || !c.agent || c.cls !== 'voice') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'conference', state: c.state });
    const now = this.clock.now();
    if ('agentId' in party) {
      const b = this.agentRec(party.agentId);
      if (b === c.agent || c.conferees.has(b) || !b.loggedIn || b.load.voice >= b.capacity.voice || b.offers.size > 0) {
        throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: b.id, action: 'join a conference', state: b.state });
      }
      c.conferees.add(b);
      b.contacts.add(c);
      b.load[c.cls]++;
      this.emit({ kind: 'conferenced', at: now, contactId, queueId: c.queue.id, agentId: b.id, channel: c.channel, reason: 'joined' });
      this.refresh(b);
      this._onDidLineCommand.fire({ type: 'conference', contactId, party: b.endpoint ?? `agent:${b.id}`, agentId: b.id });
    } else {
      if (typeof party.number !== 'string' || !DIALABLE.test(party.number)) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: contactId, reason: 'the party must be a dialable number or endpoint' });
      this.emit({ kind: 'conferenced', at: now, contactId, queueId: c.queue.id, agentId: c.agent.id, channel: c.channel, reason: 'joined', data: { party: party.number } });
      this._onDidLineCommand.fire({ type: 'conference', contactId, party: party.number });
    }
    this.drain();
  }

  /** A conferenced agent leaves the contact (the others stay connected). */
  leaveConference(contactId: string, agentId: string): void {
    const c = this.contactRec(contactId);
    const b = this.agentRec(agentId);
    if (!c.conferees.has(b)) throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: agentId, action: 'leave a conference it is not in', state: b.state });
    this.releaseConferee(c, b);
    this._onDidLineCommand.fire({ type: 'leave-conference', contactId, party: b.endpoint ?? `agent:${b.id}`, agentId });
    this.drain();
  }

  /**
   * Links a contact (live, or among an agent's recent ones: during and after its wrap-up) to a
   * customer's record, or unlinks it; logged as `customer-linked`. Throws CARUSO_COMMS_INVALID_CONTACT
   * for a malformed reference and CARUSO_COMMS_UNKNOWN_CONTACT, changing nothing.
   */
  setCustomer(contactId: string, customer: CustomerRef | undefined): void {
    const ref = customer === undefined ? undefined : customerRefOf(customer);
    if (customer !== undefined && (!ref || ref.object.length > 100 || ref.id.length > 200)) {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: String(contactId), reason: 'the customer must be { object, id } (object at most 100, id at most 200 characters)' });
    }
    const c = this.contacts.get(contactId);
    const recent = [...this.agents.values()].filter((a) => a.recent.has(contactId));
    if (!c && recent.length === 0) throw CommsErrors.CARUSO_COMMS_UNKNOWN_CONTACT({ contact: String(contactId) });
    if (c) c.customer = ref;
    for (const a of recent) {
      const r = a.recent.get(contactId)!;
      if (ref) r.customer = ref;
      else delete r.customer;
    }
    const last = recent.at(-1);
    const where = c
      ? { queueId: c.queue.id, channel: c.channel, ...(c.agent ? { agentId: c.agent.id } : {}) }
      : { queueId: last!.recent.get(contactId)!.queueId, channel: last!.recent.get(contactId)!.channel, agentId: last!.id };
    this.emit({ kind: 'customer-linked', at: this.clock.now(), contactId, reason: ref ? 'linked' : 'unlinked', ...where, ...(ref ? { data: { customer: ref } } : {}) });
  }

  /** The customer linked to a contact, live or among the agents' recent contacts. */
  customerOf(contactId: string): CustomerRef | undefined {
    const c = this.contacts.get(contactId);
    if (c) return c.customer;
    for (const a of this.agents.values()) {
      const r = a.recent.get(contactId);
      if (r) return r.customer;
    }
    return undefined;
  }

  /** A connected call of an agent, or CARUSO_COMMS_CONTACT_STATE. */
  private connectedCall(contactId: string, action: string): ContactRec & { agent: AgentRec } {
    const c = this.contactRec(contactId);
    if (c.state !== 'connected' || !c.agent || c.cls !== 'voice') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action, state: c.state === 'connected' ? `connected ${c.channel}` : c.state });
    return c as ContactRec & { agent: AgentRec };
  }

  /** Mutes (or unmutes) the agent's side of a connected call; the same state again changes nothing. */
  mute(contactId: string, muted: boolean): void {
    const c = this.connectedCall(contactId, muted ? 'mute' : 'unmute');
    if (c.muted === muted) return;
    c.muted = muted;
    this.emit({ kind: muted ? 'muted' : 'unmuted', at: this.clock.now(), contactId, queueId: c.queue.id, agentId: c.agent.id, channel: c.channel });
    this._onDidLineCommand.fire({ type: 'mute', contactId, muted });
  }

  /** Sends DTMF digits to the customer's side of a connected call (logged with their count only). */
  sendDtmf(contactId: string, digits: string): void {
    if (typeof digits !== 'string' || !/^[0-9*#A-D]{1,32}$/.test(digits)) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: String(contactId), reason: 'DTMF digits are 1 to 32 of 0-9 * # A-D' });
    const c = this.connectedCall(contactId, 'send DTMF');
    this.emit({ kind: 'dtmf-sent', at: this.clock.now(), contactId, queueId: c.queue.id, agentId: c.agent.id, channel: c.channel, data: { count: digits.length } });
    this._onDidLineCommand.fire({ type: 'dtmf', contactId, digits });
  }

  /**
   * Attended transfer, first step: the customer goes on hold and the agent's line rings the party (an
   * agent, reserved for it — busy — until the consultation ends, or an outside number).
   */
  consult(contactId: string, party: ConsultParty): void {
    const c = this.connectedCall(contactId, 'consult');
    if (c.consult) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'consult', state: 'consulting' });
    let agent: AgentRec | undefined;
    let number: string | undefined;
    if (typeof party === 'object' && party !== null && 'queueId' in party) {
      // A queue: its routing strategy picks, now, a free agent of it who can take the call (the
      // customer does not wait in it: no agent free, no consultation).
      const q = this.queueRec(party.queueId);
      const fits = this.candidates(c, q).filter((m) => m.agent !== c.agent && !c.conferees.has(m.agent) && m.agent.offers.size === 0);
      if (fits.length === 0) throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: `(queue ${q.id})`, action: 'take a consultation', state: 'no agent of the queue is free' });
      agent = this.choose(q, [...fits]).agent;
    } else if (typeof party === 'object' && party !== null && 'agentId' in party) {
      agent = this.agentRec(party.agentId);
      if (agent === c.agent || c.conferees.has(agent) || !agent.available || agent.load.voice >= agent.capacity.voice || agent.offers.size > 0) {
        throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: agent.id, action: 'take a consultation', state: agent.state });
      }
    } else if (typeof party === 'object' && party !== null && 'number' in party && typeof party.number === 'string' && DIALABLE.test(party.number)) {
      number = party.number;
    } else {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: contactId, reason: 'consult an agent ({ agentId }), a queue ({ queueId }) or a dialable number ({ number })' });
    }
    const now = this.clock.now();
    if (agent) {
      agent.contacts.add(c);
      agent.load[c.cls]++;
      this.refresh(agent);
    }
    c.consult = { agent, number, answered: false };
    if (c.heldAt === undefined) {
      c.heldAt = now;
      this.emit({ kind: 'held', at: now, contactId, queueId: c.queue.id, agentId: c.agent.id, channel: c.channel });
    }
    const viaQueue = typeof party === 'object' && 'queueId' in party ? { queueId: party.queueId } : {};
    this.emit({ kind: 'consult-started', at: now, contactId, queueId: c.queue.id, agentId: c.agent.id, channel: c.channel, reason: agent ? ('queueId' in viaQueue ? 'queue' : 'agent') : 'number', data: agent ? { party: agent.id, ...viaQueue } : { number: number! } });
    this._onDidLineCommand.fire({ type: 'consult', contactId, party: agent ? (agent.endpoint ?? `agent:${agent.id}`) : number!, ...(agent ? { agentId: agent.id } : {}), ringTimeoutMs: c.queue.ringTimeoutMs });
  }

  /** The consulted party answered (the channel says so). */
  consultAnswered(contactId: string): void {
    const c = this.contacts.get(contactId);
    if (c?.consult) c.consult.answered = true;
  }

  /** The consulted party was not reached or hung up: the consultation ends, the customer stays on hold. */
  consultFailed(contactId: string, cause: string): void {
    const c = this.contacts.get(contactId);
    if (!c?.consult || !c.agent) return;
    this.endConsult(c, cause);
    this.drain();
  }

  /** Ends a consultation in the records: the reserved agent is free again (unless kept by the caller). */
  private endConsult(c: ContactRec, reason: string, keepAgent = false): void {
    const k = c.consult;
    if (!k) return;
    c.consult = undefined;
    if (k.agent && !keepAgent) {
      k.agent.contacts.delete(c);
      k.agent.load[c.cls]--;
      this.refresh(k.agent);
      if (k.agent.available) this.pendingAgents.push(k.agent);
    }
    this.emit({ kind: 'consult-ended', at: this.clock.now(), contactId: c.id, queueId: c.queue.id, agentId: c.agent?.id ?? '', channel: c.channel, reason, data: k.agent ? { party: k.agent.id } : { number: k.number! } });
  }

  /** Takes the customer off hold in the records (the line is the caller's business). */
  private endHold(c: ContactRec, now: number): void {
    if (c.heldAt === undefined) return;
    const holdMs = now - c.heldAt;
    c.holdMs += holdMs;
    c.heldAt = undefined;
    this.emit({ kind: 'retrieved', at: now, contactId: c.id, queueId: c.queue.id, agentId: c.agent?.id ?? '', channel: c.channel, holdMs });
  }

  /**
   * Attended transfer, second step, once the party answered: `transfer` hands the customer over (to
   * the agent consulted, who becomes its agent, or out to the number), `conference` joins all three.
   */
  completeConsult(contactId: string, outcome: 'transfer' | 'conference'): void {
    const c = this.connectedCall(contactId, 'complete a transfer');
    const k = c.consult;
    if (!k) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'complete a transfer', state: 'not consulting' });
    if (!k.answered) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'complete a transfer', state: 'the party has not answered yet' });
    if (outcome !== 'transfer' && outcome !== 'conference') throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: contactId, reason: 'outcome must be transfer or conference' });
    const now = this.clock.now();
    const a = c.agent;
    // The records first, then the line (whose events find the contact off hold already).
    const line = (): void => this._onDidLineCommand.fire({ type: 'end-consult', contactId, outcome });
    if (outcome === 'conference') {
      this.endConsult(c, 'conferenced', true);
      this.endHold(c, now);
      line();
      if (k.agent) {
        c.conferees.add(k.agent);
        this.emit({ kind: 'conferenced', at: now, contactId, queueId: c.queue.id, agentId: k.agent.id, channel: c.channel, reason: 'joined' });
        this.refresh(k.agent);
      } else {
        this.emit({ kind: 'conferenced', at: now, contactId, queueId: c.queue.id, agentId: a.id, channel: c.channel, reason: 'joined', data: { party: k.number! } });
      }
      this.drain();
      return;
    }
    if (!k.agent) {
      this.endConsult(c, 'transferred');
      this.endHold(c, now);
      line();
      this.emit({ kind: 'transferred', at: now, contactId, agentId: a.id, channel: c.channel, reason: 'outside', data: { destination: k.number! } });
      this.finishConnected(c, 'transferred-out');
      return;
    }
    const b = k.agent;
    this.endConsult(c, 'transferred', true);
    this.endHold(c, now);
    line();
    // The first agent's part ends (talk and hold figures) and goes to wrap-up; the consulted agent,
    // already on the line, becomes the contact's agent.
    this.emit({ kind: 'completed', at: now, contactId, queueId: c.queue.id, agentId: a.id, channel: c.channel, reason: 'transferred', talkMs: now - c.connectedAt - c.holdMs, holdMs: c.holdMs }, c);
    this.releaseConferees(c);
    a.contacts.delete(c);
    a.load[c.cls]--;
    c.muted = false;
    c.holdMs = 0;
    this.startWrap(a, c, c.queue, now);
    this.refresh(a);
    if (a.available) this.pendingAgents.push(a);
    c.agent = b;
    c.connectedAt = now;
    this.emit({ kind: 'transferred', at: now, contactId, queueId: c.queue.id, agentId: b.id, channel: c.channel, reason: 'attended' });
    this.emit({ kind: 'connected', at: now, contactId, queueId: c.queue.id, agentId: b.id, channel: c.channel, waitMs: now - c.enteredAt, ringMs: 0 });
    this.refresh(b);
    this._onDidConnect.fire({ contactId, agentId: b.id, queueId: c.queue.id, channel: c.channel, ...(b.endpoint === undefined ? {} : { endpoint: b.endpoint }), data: c.data, via: 'transfer' });
    this.drain();
  }

  /** Ends a consultation without a transfer: the party leaves and the customer is taken off hold. */
  cancelConsult(contactId: string): void {
    const c = this.connectedCall(contactId, 'cancel a transfer');
    if (!c.consult) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contactId, action: 'cancel a transfer', state: 'not consulting' });
    this.endConsult(c, 'cancelled');
    this.endHold(c, this.clock.now());
    this._onDidLineCommand.fire({ type: 'end-consult', contactId, outcome: 'cancel' });
    this._onDidLineCommand.fire({ type: 'retrieve', contactId });
    this.drain();
  }

  /**
   * Manual dial (click-to-dial): an outbound call to `spec.number`, connected to the agent at once
   * (logged as entering its queue and connected, with no offer); the telephony channel dials the
   * customer and rings the agent. Allowed when the agent is logged in (ready, paused or in wrap-up)
   * with no call on the desk and no offer ringing.
   */
  dial(agentId: string, spec: DialSpec): ContactSnapshot {
    const a = this.agentRec(agentId);
    if (typeof spec !== 'object' || spec === null || typeof spec.number !== 'string' || !DIALABLE.test(spec.number)) {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: '(dial)', reason: 'the number must be a dialable number or endpoint' });
    }
    if (spec.data !== undefined && (typeof spec.data !== 'object' || spec.data === null || Array.isArray(spec.data))) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: '(dial)', reason: "'data' must be an object" });
    const customer = spec.customer === undefined ? undefined : customerRefOf(spec.customer);
    if (spec.customer !== undefined && !customer) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: '(dial)', reason: 'the customer must be { object, id }' });
    if (!a.loggedIn || a.load.voice >= a.capacity.voice || a.offers.size > 0) throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: agentId, action: 'dial', state: a.state });
    const queueId = spec.queueId ?? a.members[0]?.queue.id ?? a.configured[0]?.queueId;
    if (queueId === undefined) throw CommsErrors.CARUSO_COMMS_UNKNOWN_QUEUE({ queue: '(none: the agent serves no queue)', known: [...this.queues.keys()].slice(0, 20).join(', ') || '(none)' });
    const q = this.queueRec(queueId);
    const id = `${this.idPrefix}${this.contactSeq + 1}`;
    const now = this.clock.now();
    const data = { ...(spec.data ?? {}), callbackNumber: spec.number, manualDial: true, ...(customer ? { customer } : {}) };
    const c: ContactRec = {
      id, seq: ++this.contactSeq, channel: 'call', cls: 'voice', direction: 'outbound', priority: 0, extraSkills: [], enteredAt: now, data,
      queue: q, queueEnteredAt: now, key: 0, state: 'connected', widened: false, ruleIndex: 0, deadline: undefined, offers: new Map(), declined: undefined,
      agent: a, connectedAt: now, heldAt: undefined, holdMs: 0, conferees: new Set(), announceTimer: undefined, acceptedOffer: undefined,
      customer, muted: false, consult: undefined,
    };
    this.contacts.set(id, c);
    this.emit({ kind: 'queue-entered', at: now, contactId: id, queueId: q.id, channel: 'call', direction: 'outbound', priority: 0, data: { data } });
    a.contacts.add(c);
    a.load.voice++;
    // A manual dial ends the wrap-ups still open: the agent moved on.
    for (const w of [...a.wraps.keys()]) this.endWrap(a, w);
    this.emit({ kind: 'connected', at: now, contactId: id, queueId: q.id, agentId: a.id, channel: 'call', waitMs: 0, ringMs: 0 });
    this.refresh(a);
    this._onDidConnect.fire({ contactId: id, agentId: a.id, queueId: q.id, channel: 'call', ...(a.endpoint === undefined ? {} : { endpoint: a.endpoint }), data });
    this.drain();
    return this.snapshot(c);
  }

  /**
   * Appends an event that channels produce about contacts (voicemail left, callback attempted, IVR
   * disposition, dial results) to the same log as the router's own.
   */
  appendEvent(event: ContactEventInput): void {
    this.emit(event);
  }

  /** The time on the router's clock (channels stamp their events with it). */
  clockNow(): number {
    return this.clock.now();
  }

  // ---------------------------------------------------------------- reading

  /** A contact's snapshot, or undefined once it ended. */
  contact(contactId: string): ContactSnapshot | undefined {
    const c = this.contacts.get(contactId);
    return c && this.snapshot(c);
  }

  /** An agent's snapshot. Throws CARUSO_COMMS_UNKNOWN_AGENT. */
  agent(agentId: string): AgentSnapshot {
    const a = this.agentRec(agentId);
    return {
      id: a.id,
      state: a.state,
      ...(a.pauseReason === undefined ? {} : { pauseReason: a.pauseReason }),
      contactIds: [...a.contacts].map((c) => c.id),
      queueIds: a.members.map((m) => m.queue.id),
      noAnswerCount: a.noAnswer,
    };
  }

  /** The agent's wrap-ups in progress (contacts ended, the wrap-up time not over), oldest first. Throws CARUSO_COMMS_UNKNOWN_AGENT. */
  wrapUpsOf(agentId: string): Array<{ readonly contactId: string; readonly queueId: string; readonly channel: Channel; readonly startedAt: number }> {
    return [...this.agentRec(agentId).wraps.values()].map((w) => ({ contactId: w.contactId, queueId: w.queueId, channel: w.channel, startedAt: w.startedAt }));
  }

  /** Ids of the agents, in the order they were added. */
  agentIds(): string[] {
    return [...this.agents.keys()];
  }

  /** Every queue id. */
  queueIds(): string[] {
    return [...this.queues.keys()];
  }

  /** Contacts waiting in a queue, in the order they will be served. */
  waiting(queueId: string): ContactSnapshot[] {
    return this.queueRec(queueId).waiting.map((c) => this.snapshot(c));
  }

  /** Live figures of a queue. */
  queueStatus(queueId: string): QueueStatus {
    const q = this.queueRec(queueId);
    const now = this.clock.now();
    let longest = 0;
    for (const c of q.waiting) if (!isDeferredChannel(c.channel)) longest = Math.max(longest, now - c.enteredAt);
    return { queueId, waiting: q.waiting.length, staffed: q.staffed, available: q.available.size, longestWaitMs: longest };
  }

  /** Position in line and expected wait of a queued contact (undefined when not queued). */
  position(contactId: string): QueuePosition | undefined {
    const c = this.contactRec(contactId);
    if (c.state !== 'queued') return undefined;
    return this.positionOf(c);
  }

  private positionOf(c: ContactRec): QueuePosition {
    const q = c.queue;
    // A caller's place among the calls and chats: e-mails and callbacks waiting since the night are
    // not ahead of them on the line (and the other way round).
    const deferred = isDeferredChannel(c.channel);
    let position = 1;
    for (const o of q.waiting) {
      if (o === c) break;
      if (isDeferredChannel(o.channel) === deferred) position++;
    }
    return { position, expectedWaitMs: expectedWaitMs(q, position, this.clock.now()) };
  }

  /** Arms the next repeat of a waiting call's announcement (calls only; none when the queue does not repeat them). */
  private scheduleAnnouncement(c: ContactRec): void {
    const every = c.channel === 'call' ? c.queue.announce?.everyMs : undefined;
    if (every === undefined || c.announceTimer) return;
    c.announceTimer = this.clock.setTimer(every, () => {
      c.announceTimer = undefined;
      if (this.contacts.get(c.id) !== c || c.state === 'connected' || c.state === 'ended') return;
      if (c.state === 'queued') this.announce(c, false);
      this.scheduleAnnouncement(c);
    });
  }

  private cancelAnnouncement(c: ContactRec): void {
    c.announceTimer?.dispose();
    c.announceTimer = undefined;
  }

  private announce(c: ContactRec, onEntry: boolean): void {
    const config = c.queue.announce;
    if (!config) return;
    this._onDidAnnounce.fire({ contactId: c.id, queueId: c.queue.id, channel: c.channel, onEntry, config, ...this.positionOf(c) });
  }

  /** Pending offers (for a desktop reconnecting, and for tests). */
  pendingOffers(agentId?: string): Offer[] {
    const list = agentId === undefined ? [...this.offers.values()] : [...this.agentRec(agentId).offers.values()];
    return list.map((o) => this.offerView(o));
  }

  override dispose(): void {
    for (const s of this.scheduled.values()) s.timer.dispose();
    this.scheduled.clear();
    for (const c of this.contacts.values()) {
      c.deadline?.dispose();
      c.announceTimer?.dispose();
    }
    for (const o of this.offers.values()) o.timer?.dispose();
    for (const a of this.agents.values()) for (const w of a.wraps.values()) w.timer.dispose();
    super.dispose();
  }

  // ---------------------------------------------------------------- routing

  /** Runs pending routing work until none is left. Re-entrant calls (from listeners) only queue work. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        if (this.pendingContacts.length > 0) {
          const list = this.pendingContacts;
          this.pendingContacts = [];
          for (const c of list) this.routeContact(c);
        } else if (this.pendingAgents.length > 0) {
          const list = this.pendingAgents;
          this.pendingAgents = [];
          for (const a of list) this.routeAgent(a);
        } else {
          break;
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** A contact became routable: find agents for it in its queue. */
  private routeContact(c: ContactRec): void {
    if (c.state !== 'queued') return;
    const q = c.queue;
    if (q.available.size === 0) return;
    let chosen: MemberRec | undefined;
    if (q.available.ordered && !this.scanRouting) {
      chosen = q.available.first((m) => this.fits(c, m.agent), c.widened, q.rrLast);
      if (!chosen) return;
    } else {
      const fits = this.candidates(c, q);
      if (fits.length === 0) return;
      if (q.strategy === 'ring-all') {
        this.offer(c, fits);
        return;
      }
      chosen = this.choose(q, fits);
    }
    // The chosen agent may have a better contact waiting in another of its queues: serve that first.
    const best = this.bestContactFor(chosen.agent);
    if (best && best !== c) {
      this.offerBest(best, chosen.agent);
      this.pendingContacts.push(c);
      return;
    }
    this.offer(c, [chosen]);
  }

  /** An agent became available: give them the best contact waiting in their queues. */
  private routeAgent(a: AgentRec): void {
    while (a.available) {
      const c = this.bestContactFor(a);
      if (!c) return;
      this.offerBest(c, a);
    }
  }

  private offerBest(c: ContactRec, a: AgentRec): void {
    const q = c.queue;
    if (q.strategy === 'ring-all') {
      this.offer(c, this.candidates(c, q));
    } else {
      this.offer(c, [memberOf(a, q)!]);
    }
  }

  /** Members of `q` available now that can take `c`, restricted to the highest level among them. */
  private candidates(c: ContactRec, q: QueueRec): MemberRec[] {
    return q.available.fitting((m) => this.fits(c, m.agent), this.scratch);
  }

  private choose(q: QueueRec, fits: MemberRec[]): MemberRec {
    return chooseMember(q, fits, this.random);
  }

  /** The contact an agent should take next: the highest current score among the first fitting contact of each of their queues. */
  private bestContactFor(a: AgentRec): ContactRec | undefined {
    const now = this.clock.now();
    let best: ContactRec | undefined;
    let bestScore = -Infinity;
    for (const m of a.members) {
      const q = m.queue;
      for (const c of q.waiting) {
        if (!this.fits(c, a)) continue;
        const score = c.key + (q.ageing * now) / 1000;
        if (!best || score > bestScore || (score === bestScore && (c.enteredAt < best.enteredAt || (c.enteredAt === best.enteredAt && c.seq < best.seq)))) {
          best = c;
          bestScore = score;
        }
        break;
      }
    }
    return best;
  }

  /** Whether `c` fits agent `a`. Note: false for an agent without the queue's skills unless `c.widened` (the index relies on it). */
  private fits(c: ContactRec, a: AgentRec): boolean {
    if (a.load[c.cls] >= a.capacity[c.cls]) return false;
    if (c.declined?.has(a)) return false;
    if (c.widened) return true;
    for (const r of c.queue.required) if ((a.skills.get(r.skill) ?? -Infinity) < r.minLevel) return false;
    for (const r of c.extraSkills) if ((a.skills.get(r.skill) ?? -Infinity) < r.minLevel) return false;
    if (c.queue.expr) return this.exprHolds(c, a);
    return true;
  }

  /** The queue's agent expression for this agent (cached per membership when it does not read the contact). */
  private exprHolds(c: ContactRec, a: AgentRec): boolean {
    const q = c.queue;
    const m = q.exprPerContact ? undefined : memberOf(a, q);
    if (m?.exprOk !== undefined) return m.exprOk;
    let ok = false;
    try {
      ok = truthy(
        evaluate(q.expr!.ast, {
          lookup: (name) => {
            if (name === 'skills') return Object.fromEntries(a.skills);
            if (name === 'agentId') return a.id;
            if (name === 'contact') return c.data as ScriptValue;
            return Object.prototype.hasOwnProperty.call(a.attributes, name) ? a.attributes[name] : undefined;
          },
          now: () => this.clock.now(),
        }),
      );
    } catch (err) {
      // A type error (an attribute of the wrong type) means "does not fit"; warn once per queue and agent.
      const key = `${q.id}\u0000${a.id}`;
      if (!this.exprWarned.has(key)) {
        this.exprWarned.add(key);
        this.logger.warn({ queue: q.id, agent: a.id, reason: (err as Error).message }, 'agent expression failed; the agent does not fit');
      }
    }
    if (m) m.exprOk = ok;
    return ok;
  }

  /** An after-hours or empty queue: the contact moves to another queue, or exits for the channel to act. */
  private applyQueueAction(c: ContactRec, reason: 'after-hours' | 'empty', action: QueueAction): void {
    if (action.action === 'queue') {
      const target = this.queues.get(action.queueId);
      if (target && target !== c.queue) {
        this.moveTo(c, target, reason);
        return;
      }
      this.logger.warn({ queue: c.queue.id, target: action.queueId }, 'queue action names an unknown queue; the contact exits');
    }
    const withdrawn = this.leaveQueue(c);
    const now = this.clock.now();
    this.emit({ kind: 'exited', at: now, contactId: c.id, queueId: c.queue.id, channel: c.channel, reason, waitMs: now - c.enteredAt, data: { action: action.action } });
    for (const o of withdrawn) {
      this.refresh(o.member.agent);
      this._onDidWithdrawOffer.fire({ offer: this.offerView(o), reason: 'exited' });
    }
    this._onDidExit.fire({ contactId: c.id, queueId: c.queue.id, channel: c.channel, reason, data: c.data, action });
  }

  /** The voicemail queue configured for a queue, if any. */
  voicemailQueueOf(queueId: string): string | undefined {
    return this.queues.get(queueId)?.voicemailQueueId;
  }

  private releaseConferee(c: ContactRec, b: AgentRec): void {
    c.conferees.delete(b);
    b.contacts.delete(c);
    b.load[c.cls]--;
    this.emit({ kind: 'conferenced', at: this.clock.now(), contactId: c.id, queueId: c.queue.id, agentId: b.id, channel: c.channel, reason: 'left' });
    this.refresh(b);
    if (b.available) this.pendingAgents.push(b);
  }

  private releaseConferees(c: ContactRec): void {
    // A consultation still under way ends with the contact's part for its agent.
    if (c.consult) this.endConsult(c, 'ended');
    for (const b of [...c.conferees]) this.releaseConferee(c, b);
  }

  private startWrap(a: AgentRec, c: ContactRec, q: QueueRec, now: number): void {
    if (q.wrapUpMs <= 0) return;
    const timer = this.clock.setTimer(q.wrapUpMs, () => {
      this.endWrap(a, c.id);
      this.drain();
    });
    a.wraps.set(c.id, { timer, startedAt: now, contactId: c.id, queueId: q.id, channel: c.channel });
  }

  /** Ends a connected contact with a reason other than agent/caller (transferred out). */
  private finishConnected(c: ContactRec, reason: string): void {
    const a = c.agent!;
    const q = c.queue;
    const now = this.clock.now();
    if (c.heldAt !== undefined) c.holdMs += now - c.heldAt;
    c.state = 'ended';
    a.contacts.delete(c);
    a.load[c.cls]--;
    this.forgetContact(c);
    this.emit({ kind: 'completed', at: now, contactId: c.id, queueId: q.id, agentId: a.id, channel: c.channel, reason, talkMs: now - c.connectedAt - c.holdMs, holdMs: c.holdMs }, c);
    this.releaseConferees(c);
    this.startWrap(a, c, q, now);
    this.refresh(a);
    if (a.available) this.pendingAgents.push(a);
    this.drain();
  }

  private offer(c: ContactRec, members: readonly MemberRec[]): void {
    const q = c.queue;
    const now = this.clock.now();
    removeFrom(q.waiting, c);
    c.state = 'offered';
    const made: OfferRec[] = [];
    for (const m of [...members]) {
      const o: OfferRec = { id: `${c.id}#${++this.offerSeq}`, contact: c, member: m, at: now, timer: undefined };
      o.timer = this.clock.setTimer(q.ringTimeoutMs, () => this.ringNoAnswer(o));
      c.offers.set(o.id, o);
      m.agent.offers.set(o.id, o);
      this.offers.set(o.id, o);
      if (q.strategy === 'round-robin') q.rrLast = m.index;
      made.push(o);
    }
    for (const o of made) {
      this.emit({ kind: 'offered', at: now, contactId: c.id, queueId: q.id, agentId: o.member.agent.id, channel: c.channel });
      this.refresh(o.member.agent);
    }
    for (const o of made) this._onDidOffer.fire(this.offerView(o));
  }

  private ringNoAnswer(o: OfferRec): void {
    if (!this.offers.has(o.id)) return;
    const c = o.contact;
    const a = o.member.agent;
    const q = c.queue;
    this.closeOffer(o);
    a.noAnswer++;
    (c.declined ??= new Set()).add(a);
    this.emit({ kind: 'ring-no-answer', at: this.clock.now(), contactId: c.id, queueId: q.id, agentId: a.id, channel: c.channel, ringMs: this.clock.now() - o.at });
    if (q.maxNoAnswer > 0 && a.noAnswer >= q.maxNoAnswer && a.loggedIn) {
      a.paused = true;
      a.pauseReason = 'no-answer';
    }
    if (c.offers.size === 0) this.requeue(c);
    this.refresh(a);
    this._onDidWithdrawOffer.fire({ offer: this.offerView(o), reason: 'ring-no-answer' });
    this.drain();
  }

  private closeOffer(o: OfferRec): void {
    o.timer?.dispose();
    o.timer = undefined;
    this.offers.delete(o.id);
    o.contact.offers.delete(o.id);
    o.member.agent.offers.delete(o.id);
  }

  private requeue(c: ContactRec): void {
    c.state = 'queued';
    insertSorted(c.queue.waiting, c);
    this.scheduleDeadline(c);
    this.scheduleAnnouncement(c);
    this.pendingContacts.push(c);
  }

  /** Takes a queued or offered contact out of routing; returns the withdrawn offers. */
  private leaveQueue(c: ContactRec): OfferRec[] {
    const withdrawn = [...c.offers.values()];
    for (const o of withdrawn) this.closeOffer(o);
    if (c.state === 'queued') removeFrom(c.queue.waiting, c);
    this.cancelDeadline(c);
    this.cancelAnnouncement(c);
    c.state = 'ended';
    this.forgetContact(c);
    return withdrawn;
  }

  private exitContact(c: ContactRec, reason: ExitReason): void {
    const withdrawn = this.leaveQueue(c);
    const now = this.clock.now();
    this.emit({ kind: 'exited', at: now, contactId: c.id, queueId: c.queue.id, channel: c.channel, reason, waitMs: now - c.enteredAt });
    for (const o of withdrawn) {
      this.refresh(o.member.agent);
      this._onDidWithdrawOffer.fire({ offer: this.offerView(o), reason: 'exited' });
    }
    this._onDidExit.fire({ contactId: c.id, queueId: c.queue.id, channel: c.channel, reason, data: c.data });
  }

  private moveTo(c: ContactRec, target: QueueRec, reason: string): void {
    const from = c.queue;
    if (c.state === 'queued') removeFrom(from.waiting, c);
    this.cancelDeadline(c);
    // The new queue's announcements (if any) take over.
    this.cancelAnnouncement(c);
    this.emit({ kind: 'transferred', at: this.clock.now(), contactId: c.id, queueId: target.id, channel: c.channel, reason, data: { fromQueueId: from.id } });
    c.queue = target;
    c.queueEnteredAt = this.clock.now();
    c.ruleIndex = 0;
    c.declined = undefined;
    c.key = keyOf(c, target);
    this.requeue(c);
  }

  /** Arms the one timer of a queued contact: its next overflow rule or its maximum wait. */
  private scheduleDeadline(c: ContactRec): void {
    this.cancelDeadline(c);
    const q = c.queue;
    const rule = q.overflow[c.ruleIndex];
    const ruleAt = rule ? c.queueEnteredAt + rule.afterMs : Infinity;
    // An e-mail or a callback never times out of its queue; it waits for an agent.
    const maxAt = isDeferredChannel(c.channel) ? Infinity : c.queueEnteredAt + q.maxWaitMs;
    const at = Math.min(ruleAt, maxAt);
    if (at === Infinity) return;
    c.deadline = this.clock.setTimer(at - this.clock.now(), () => {
      c.deadline = undefined;
      if (c.state !== 'queued') return; // ringing: re-armed when it comes back in line
      if (rule && ruleAt <= maxAt) {
        c.ruleIndex++;
        this.applyRule(c, rule);
      } else {
        this.exitContact(c, 'timeout');
      }
      this.drain();
    });
  }

  private cancelDeadline(c: ContactRec): void {
    c.deadline?.dispose();
    c.deadline = undefined;
  }

  private applyRule(c: ContactRec, rule: OverflowRule): void {
    switch (rule.action) {
      case 'widen-skills':
        c.widened = true;
        this.scheduleDeadline(c);
        this.pendingContacts.push(c);
        return;
      case 'move': {
        const target = this.queues.get(rule.queueId);
        if (!target) {
          this.logger.warn({ queue: c.queue.id, target: rule.queueId }, 'overflow rule names an unknown queue; rule skipped');
          this.scheduleDeadline(c);
          return;
        }
        this.moveTo(c, target, 'overflow');
        return;
      }
      case 'voicemail':
      case 'callback':
        // Nobody is on the line of an e-mail or a callback to leave a message or ask to be called
        // back: the rule is for callers, and the contact waits on for the next rule or an agent.
        if (isDeferredChannel(c.channel)) {
          this.scheduleDeadline(c);
          return;
        }
        this.exitContact(c, rule.action === 'voicemail' ? 'voicemail' : 'callback-requested');
        return;
    }
  }

  private endWrap(a: AgentRec, contactId: string): void {
    const w = a.wraps.get(contactId);
    if (!w) return;
    w.timer.dispose();
    a.wraps.delete(contactId);
    this.emit({ kind: 'wrap-up-ended', at: this.clock.now(), contactId, queueId: w.queueId, agentId: a.id, channel: w.channel, wrapMs: this.clock.now() - w.startedAt });
    this.refresh(a);
  }

  /** Recomputes an agent's availability and state, keeping the per-queue indexes and the log in step. */
  private refresh(a: AgentRec): void {
    const available = isAvailable(a);
    if (available !== a.available) {
      a.available = available;
      for (const m of a.members) {
        if (available) m.queue.available.add(m);
        else m.queue.available.delete(m);
      }
      if (available) this.pendingAgents.push(a);
    }
    const state = presenceOf(a);
    if (state !== a.state) {
      const fromState = a.state;
      a.state = state;
      const now = this.clock.now();
      if (state === 'ready' && a.idleSince !== now) {
        updateOrder(a.members, () => (a.idleSince = now));
      }
      const reason = state === 'paused' ? a.pauseReason : undefined;
      // Written out rather than spread: this runs on every offer, accept and end.
      this.emit(reason === undefined ? { kind: 'agent-state-changed', at: now, agentId: a.id, state, fromState } : { kind: 'agent-state-changed', at: now, agentId: a.id, state, fromState, reason });
      if (this._onDidChangeAgentState.hasListeners) this._onDidChangeAgentState.fire(reason === undefined ? { agentId: a.id, state, fromState } : { agentId: a.id, state, fromState, reason });
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Appends an event; a `completed` one (with the contact it ends) is remembered for the agent's disposition. */
  private emit(e: ContactEventInput, contact?: ContactRec): void {
    if (e.kind === 'completed' && e.agentId !== undefined && e.contactId !== undefined && e.queueId !== undefined && e.channel !== undefined) {
      const a = this.agents.get(e.agentId);
      if (a) {
        a.recent.delete(e.contactId);
        a.recent.set(e.contactId, { queueId: e.queueId, channel: e.channel, ...campaignTagOf(contact?.data), ...(contact?.customer ? { customer: contact.customer } : {}) });
        if (a.recent.size > RECENT_PER_AGENT) a.recent.delete(a.recent.keys().next().value as string);
      }
    }
    this.sink.append(e);
    if ((e.kind === 'completed' && e.reason !== 'transferred') || e.kind === 'abandoned' || e.kind === 'exited') {
      if (!this._onDidEnd.hasListeners) return;
      const ended: ContactEnded = { contactId: e.contactId, queueId: e.queueId, channel: e.channel, outcome: e.kind, ...(e.kind === 'abandoned' || e.reason === undefined ? {} : { by: e.reason }) };
      queueMicrotask(() => this._onDidEnd.fire(ended));
    }
  }

  private offerView(o: OfferRec): Offer {
    const a = o.member.agent;
    return {
      offerId: o.id,
      contactId: o.contact.id,
      agentId: a.id,
      queueId: o.member.queue.id,
      channel: o.contact.channel,
      ...(a.endpoint === undefined ? {} : { endpoint: a.endpoint }),
      ringTimeoutMs: o.member.queue.ringTimeoutMs,
    };
  }

  private snapshot(c: ContactRec): ContactSnapshot {
    return {
      id: c.id,
      channel: c.channel,
      direction: c.direction,
      queueId: c.queue.id,
      priority: c.priority,
      state: c.state,
      enteredAt: c.enteredAt,
      agentIds: c.agent ? [c.agent.id] : offeredAgentIds(c),
      requiredSkills: c.widened ? [] : c.extraSkills.length === 0 ? c.queue.required.slice() : [...c.queue.required, ...c.extraSkills],
      data: c.data,
      ...(c.customer ? { customer: c.customer } : {}),
      held: c.heldAt !== undefined,
      muted: c.muted,
      conferees: c.conferees.size === 0 ? [] : [...c.conferees].map((b) => b.id),
      ...(c.consult ? { consult: { party: c.consult.agent ? { agentId: c.consult.agent.id } : { number: c.consult.number! }, answered: c.consult.answered } } : {}),
    };
  }

  private queueRec(id: string): QueueRec {
    const q = this.queues.get(id);
    if (!q) throw CommsErrors.CARUSO_COMMS_UNKNOWN_QUEUE({ queue: id, known: [...this.queues.keys()].slice(0, 20).join(', ') || '(none)' });
    return q;
  }

  private agentRec(id: string): AgentRec {
    const a = this.agents.get(id);
    if (!a) throw CommsErrors.CARUSO_COMMS_UNKNOWN_AGENT({ agent: id });
    return a;
  }

  private contactRec(id: string): ContactRec {
    const c = this.contacts.get(id);
    if (!c) throw CommsErrors.CARUSO_COMMS_UNKNOWN_CONTACT({ contact: id });
    return c;
  }

  private forgetContact(c: ContactRec): void {
    this.contacts.delete(c.id);
    if (c.acceptedOffer !== undefined) this.acceptedOffers.delete(c.acceptedOffer);
  }

  private offerRec(id: string): OfferRec {
    const o = this.offers.get(id);
    if (!o) throw CommsErrors.CARUSO_COMMS_UNKNOWN_OFFER({ offer: id });
    return o;
  }
}
