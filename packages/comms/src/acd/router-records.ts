// The queue router's records: what it keeps of each queue, membership, agent, contact and offer.
// Internal to the ACD: the router and its parts (ordering, strategies, presence, wait estimate) share
// them; nothing outside acd/ sees them.
import type { CompiledExpression, ScriptValue } from '@caruso/dialogue';
import type { Timer } from '../contract/clock.js';
import type {
  AgentState,
  CapacityClass,
  Channel,
  ContactState,
  Direction,
  OverflowRule,
  QueueAction,
  QueueAnnouncementConfig,
  RoutingStrategy,
  SkillRequirement,
} from '../contract/model.js';
import type { AvailableMembers } from './available-members.js';
import type { WeeklyHours } from './opening-hours.js';

/** How many ended contacts per agent can still take a disposition. */
export const RECENT_PER_AGENT = 16;

/** A contact an agent ended, kept for its disposition; a campaign call keeps its campaign and target. */
export interface RecentContact {
  readonly queueId: string;
  readonly channel: Channel;
  /** The customer linked when it ended, or chosen since (during the wrap-up). */
  customer?: { readonly object: string; readonly id: string };
  readonly campaignId?: string;
  readonly target?: string;
}


export interface QueueRec {
  readonly id: string;
  readonly strategy: RoutingStrategy;
  readonly required: readonly SkillRequirement[];
  readonly ageing: number;
  readonly maxWaitMs: number;
  readonly maxLength: number;
  readonly wrapUpMs: number;
  readonly ringTimeoutMs: number;
  readonly maxNoAnswer: number;
  readonly overflow: readonly OverflowRule[];
  /** Queued contacts, best first. */
  readonly waiting: ContactRec[];
  /** Members that can take a contact now. */
  readonly available: AvailableMembers;
  readonly members: MemberRec[];
  rrLast: number;
  staffed: number;
  /** Moving average of handle time (talk + hold + wrap), for the expected-wait announcement. */
  ahtMs: number;
  /** Handle times seen (the first ones are averaged evenly, then a moving average). */
  ahtN: number;
  /** When the last contacts of the queue reached an agent (a ring of SERVED_WINDOW), and how many in all. */
  readonly served: Float64Array;
  servedCount: number;
  readonly announce: QueueAnnouncementConfig | undefined;
  readonly hours: WeeklyHours | undefined;
  readonly afterHours: QueueAction;
  readonly whenEmpty: QueueAction | undefined;
  readonly expr: CompiledExpression | undefined;
  /** The expression reads `contact`: it cannot be cached per agent. */
  readonly exprPerContact: boolean;
  readonly voicemailQueueId: string | undefined;
}

export interface MemberRec {
  readonly agent: AgentRec;
  readonly queue: QueueRec;
  /** Position among the queue's members (linear, round-robin); renumbered when an agent leaves the queue. */
  index: number;
  level: number;
  readonly weight: number;
  lastEndedAt: number;
  handled: number;
  /** Cached result of the queue's agent expression (when it does not read the contact). */
  exprOk: boolean | undefined;
  /** Its rank in the queue's order of availability (set by AvailableMembers when it becomes available). */
  availableSeq: number;
}

export interface Wrap {
  readonly timer: Timer;
  readonly startedAt: number;
  readonly contactId: string;
  readonly queueId: string;
  readonly channel: Channel;
}

export interface AgentRec {
  readonly id: string;
  readonly endpoint: string | undefined;
  readonly skills: ReadonlyMap<string, number>;
  readonly attributes: Readonly<Record<string, ScriptValue>>;
  readonly capacity: Record<CapacityClass, number>;
  readonly load: Record<CapacityClass, number>;
  readonly members: MemberRec[];
  /** The memberships of the configuration (for `agentQueues` and the default weight and level). */
  readonly configured: readonly { readonly queueId: string; readonly level: number; readonly weight: number }[];
  /** Queues the agent may choose besides the configured ones (undefined: every queue). */
  readonly selectable: ReadonlySet<string> | undefined;
  readonly offers: Map<string, OfferRec>;
  readonly contacts: Set<ContactRec>;
  readonly wraps: Map<string, Wrap>;
  /** The last contacts the agent ended (for a disposition after the wrap-up), oldest first. */
  readonly recent: Map<string, RecentContact>;
  loggedIn: boolean;
  paused: boolean;
  pauseReason: string | undefined;
  available: boolean;
  state: AgentState;
  idleSince: number;
  noAnswer: number;
}

export interface ContactRec {
  readonly id: string;
  readonly seq: number;
  readonly channel: Channel;
  readonly cls: CapacityClass;
  readonly direction: Direction;
  readonly priority: number;
  readonly extraSkills: readonly SkillRequirement[];
  readonly enteredAt: number;
  readonly data: Readonly<Record<string, unknown>>;
  queue: QueueRec;
  queueEnteredAt: number;
  key: number;
  state: ContactState;
  widened: boolean;
  ruleIndex: number;
  deadline: Timer | undefined;
  readonly offers: Map<string, OfferRec>;
  declined: Set<AgentRec> | undefined;
  agent: AgentRec | undefined;
  connectedAt: number;
  heldAt: number | undefined;
  holdMs: number;
  /** Agents conferenced in besides `agent`. */
  readonly conferees: Set<AgentRec>;
  /** The next announcement of a waiting call. */
  announceTimer: Timer | undefined;
  /** The offer that connected it, so that the same accept arriving again is recognised. */
  acceptedOffer: string | undefined;
  /** The customer's record it is linked to (its data's `customer`, the agent's choice, the server's look-up). */
  customer: { readonly object: string; readonly id: string } | undefined;
  /** A call: the agent's side is muted. */
  muted: boolean;
  /** An attended transfer under way: the party (an agent reserved for it, or a number) and whether it answered. */
  consult: { readonly agent: AgentRec | undefined; readonly number: string | undefined; answered: boolean } | undefined;
}

export interface OfferRec {
  readonly id: string;
  readonly contact: ContactRec;
  readonly member: MemberRec;
  readonly at: number;
  timer: Timer | undefined;
}

/** The agent's membership of a queue, if any. */
export function memberOf(a: AgentRec, q: QueueRec): MemberRec | undefined {
  for (const m of a.members) if (m.queue === q) return m;
  return undefined;
}
