/**
 * The domain of the communication server: contacts, queues and agents, as plain data.
 * This file has no Node imports so that front-office code can share it.
 */
import type { ScriptValue } from '@caruso/dialogue';
import type { WeeklyHours } from '../acd/opening-hours.js';

/**
 * What happens to a contact that a queue does not take (after hours, or no agent logged in):
 * - `voicemail`: it exits and the channel records a message;
 * - `message`: it exits and the channel plays `prompt`, then hangs up;
 * - `queue`: it moves to another queue, keeping its age and priority.
 */
export type QueueAction =
  | { readonly action: 'voicemail' }
  | { readonly action: 'message'; readonly prompt: string }
  | { readonly action: 'queue'; readonly queueId: string };

/** A value of an agent attribute, read by a queue's {@link QueueConfig.agentExpression}. */
export type AgentAttributeValue = ScriptValue;

/** The kind of a contact. All of them wait in the same queues and are routed by the same ACD. */
export type Channel = 'call' | 'email' | 'chat' | 'callback';

/** Every channel, in a stable order. */
export const CHANNELS: readonly Channel[] = ['call', 'email', 'chat', 'callback'];

/** Who started the contact. */
export type Direction = 'inbound' | 'outbound';

/**
 * What an agent's capacity is counted in: a callback is a voice contact like a call.
 * Note: while an agent is on a voice contact, nothing else is offered to them.
 */
export type CapacityClass = 'voice' | 'email' | 'chat';

/** The capacity class of a channel. */
export function capacityClassOf(channel: Channel): CapacityClass {
  return channel === 'email' ? 'email' : channel === 'chat' ? 'chat' : 'voice';
}

/**
 * A channel whose contact is work that waits (an e-mail, a callback): nobody is on the line, so a
 * queue's rules for live contacts (its opening hours, the empty exit, `maxLength` and `maxWaitMs`)
 * never turn it away; it waits in line until an agent takes it. Overflow rules that move it or widen
 * its skills apply; those that send a caller to voicemail or a callback pass it by.
 */
export function isDeferredChannel(channel: Channel): boolean {
  return channel === 'email' || channel === 'callback';
}

/**
 * How a queue picks among the agents able to take a contact (after skills and the per-queue
 * level tiers have narrowed them):
 * - `ring-all`: offer to all of them at once, the first to accept gets it;
 * - `longest-idle`: the agent idle the longest (across all queues);
 * - `least-recent`: the agent whose last contact from this queue ended the longest ago;
 * - `fewest-contacts`: the agent who handled the fewest contacts of this queue;
 * - `round-robin`: the next agent after the one offered last, in member order (with memory);
 * - `random`: uniformly at random;
 * - `linear`: the first in member order (top-down);
 * - `weighted-random`: at random, proportionally to each member's weight.
 */
export type RoutingStrategy =
  | 'ring-all'
  | 'longest-idle'
  | 'least-recent'
  | 'fewest-contacts'
  | 'round-robin'
  | 'random'
  | 'linear'
  | 'weighted-random';

/** Every routing strategy. */
export const ROUTING_STRATEGIES: readonly RoutingStrategy[] = [
  'ring-all',
  'longest-idle',
  'least-recent',
  'fewest-contacts',
  'round-robin',
  'random',
  'linear',
  'weighted-random',
];

/** A skill an agent must have, at least at `minLevel` (levels are integers, higher is better). */
export interface SkillRequirement {
  readonly skill: string;
  readonly minLevel: number;
}

/** Why a contact leaves a queue without reaching an agent (besides abandoning). */
export type ExitReason = 'timeout' | 'full' | 'empty' | 'key' | 'callback-requested' | 'voicemail' | 'after-hours';

/**
 * What happens to a contact that has waited `afterMs` in a queue (measured from when it entered
 * this queue). Rules fire in the order of their `afterMs`.
 * - `widen-skills`: drop the skill requirements (of the queue and of the contact);
 * - `move`: move it to another queue, keeping its age and priority;
 * - `voicemail` / `callback`: take it out of the queue with that exit reason (the channel then
 *   records a message or schedules a callback).
 */
export type OverflowRule =
  | { readonly afterMs: number; readonly action: 'widen-skills' }
  | { readonly afterMs: number; readonly action: 'move'; readonly queueId: string }
  | { readonly afterMs: number; readonly action: 'voicemail' | 'callback' };

/** The configuration of a queue. */
export interface QueueConfig {
  /** Stable id, e.g. `billing`. */
  readonly id: string;
  /**
   * The name people read (desktop, wallboard, reports), e.g. `Verhuizingen` for the queue `moves`.
   * Note: optional; a reader without it shows {@link id}.
   */
  readonly label?: string;
  /** Default `longest-idle`. */
  readonly strategy?: RoutingStrategy;
  /** Skills every agent must have for this queue's contacts. */
  readonly requiredSkills?: readonly SkillRequirement[];
  /**
   * Ageing: priority points a contact gains per second of waiting (default 0). The contact with the
   * highest `priority + ageingPerSecond × waited seconds` is served first; ties go to the oldest.
   */
  readonly ageingPerSecond?: number;
  /** After this wait a call or chat exits with reason `timeout` (default 1 hour); e-mails and callbacks wait on ({@link isDeferredChannel}). */
  readonly maxWaitMs?: number;
  /** Above this many waiting calls and chats, new ones exit with reason `full` (default unlimited); e-mails and callbacks neither count nor are refused. */
  readonly maxLength?: number;
  /** Wrap-up time after each contact of this queue; the agent gets no offer from any queue meanwhile (default 0). */
  readonly wrapUpMs?: number;
  /** An offer not accepted within this time is withdrawn (ring-no-answer) (default 20 s). */
  readonly ringTimeoutMs?: number;
  /** After this many ring-no-answers in a row the agent is paused with reason `no-answer` (default 3, 0 = never). */
  readonly maxNoAnswer?: number;
  /** Overflow rules. */
  readonly overflow?: readonly OverflowRule[];
  /**
   * When the queue takes calls and chats; outside them a new one gets {@link afterHours} (default:
   * always open). E-mails and callbacks enter at any hour and wait for an agent.
   */
  readonly openingHours?: WeeklyHours;
  /** What a call or chat arriving after hours gets (default `{ action: 'message', prompt: 'We are closed.' }`). */
  readonly afterHours?: QueueAction;
  /**
   * The "empty" exit: with no agent of the queue logged in, a new call or chat (and, when the last
   * agent logs out, every waiting one) exits with reason `empty` and gets this action. Default: it
   * waits. E-mails and callbacks always wait.
   */
  readonly whenEmpty?: QueueAction;
  /**
   * An expression over agent attributes every agent must satisfy for this queue's contacts, in the
   * expression language (docs/expressions.md): `contains(languages, 'nl') and seniority >= 2`. It reads the
   * agent's `attributes` by name, `skills` (name → level), `agentId`, and `contact` (the contact's data).
   * Note: widened contacts (overflow `widen-skills`) ignore it like the skill requirements.
   */
  readonly agentExpression?: string;
  /** Where this queue's voicemails become callback contacts (default: the channel's voicemail queue). */
  readonly voicemailQueueId?: string;
  /** Announcements of position and expected wait to waiting callers (calls only; default none). */
  readonly announce?: QueueAnnouncementConfig;
}

/**
 * What a waiting caller hears about their place in line: played through the telephony adapter when
 * the call enters the queue without reaching an agent at once, then every `everyMs` while it waits.
 * Nothing is played while an agent's phone rings for the call.
 */
export interface QueueAnnouncementConfig {
  /** Repeat every this many ms while the call waits (default: only on entering the queue). */
  readonly everyMs?: number;
  /** Announce on entering the queue (default true). */
  readonly onEntry?: boolean;
  /** Say the position in line (default true). */
  readonly position?: boolean;
  /** Say the expected wait (default true). */
  readonly expectedWait?: boolean;
  /**
   * The text spoken, with `{position}`, `{minutes}` (expected wait rounded up to whole minutes, at
   * least 1) and `{seconds}` filled in. Default: built from `position` and `expectedWait`.
   */
  readonly text?: string;
  /** The language of the text for speech synthesis, e.g. `en`. */
  readonly language?: string;
}

/** An agent's membership of a queue. */
export interface QueueMembership {
  readonly queueId: string;
  /**
   * The agent's level in this queue (default 1, higher is better). The router offers a contact to
   * the highest level among the agents able to take it, then applies the queue's strategy among them.
   */
  readonly level?: number;
  /** Weight for `weighted-random` (default 1). */
  readonly weight?: number;
}

/** The configuration of an agent. */
export interface AgentConfig {
  readonly id: string;
  /** Skills and their levels, e.g. `{ dutch: 5, billing: 3 }`. */
  readonly skills?: Readonly<Record<string, number>>;
  /** Queues the agent serves. */
  readonly queues: readonly QueueMembership[];
  /** Contacts at once per capacity class (default voice 1, email 1, chat 1). */
  readonly capacity?: Partial<Readonly<Record<CapacityClass, number>>>;
  /** Where the telephony adapter reaches the agent, e.g. `sip:anna@10.0.0.7` (remote agents welcome). */
  readonly endpoint?: string;
  /** Free attributes (`{ languages: ['nl', 'fr'], seniority: 3, site: 'gent' }`), read by {@link QueueConfig.agentExpression}. */
  readonly attributes?: Readonly<Record<string, AgentAttributeValue>>;
  /**
   * The queues the agent may choose at login (`setAgentQueues`) besides those in `queues`.
   * Default: every queue of the server.
   */
  readonly selectableQueues?: readonly string[];
}

/** One queue an agent chooses to serve (`setAgentQueues`, or `login` with `queues`). */
export interface AgentQueueChoice {
  /** The queue id. */
  readonly queue: string;
  /** The agent's level in it (default: the level of the agent's configuration for that queue, else 1). */
  readonly level?: number;
}

/** The queues of an agent: served now, configured, and allowed to choose. */
export interface AgentQueues {
  readonly agentId: string;
  /** The queues the agent serves now, with their level, in the order chosen. */
  readonly selected: ReadonlyArray<{ readonly queue: string; readonly level: number }>;
  /** The queues of the agent's configuration (what the agent serves until a choice is made). */
  readonly configured: ReadonlyArray<{ readonly queue: string; readonly level: number }>;
  /** Every queue the agent may choose: the configured ones plus `selectableQueues`, or every queue of the server. */
  readonly allowed: readonly string[];
}

/** What the router shows of an agent's state. */
export type AgentState = 'logged-out' | 'ready' | 'reserved' | 'busy' | 'wrap-up' | 'paused';

/** A contact's state inside the router. */
export type ContactState = 'queued' | 'offered' | 'connected' | 'ended';

/** How a contact is put into a queue. */
export interface ContactSpec {
  /** Id; generated when absent. */
  readonly id?: string;
  readonly channel: Channel;
  /** Default `inbound`. */
  readonly direction?: Direction;
  readonly queueId: string;
  /** Higher is served first (default 0). */
  readonly priority?: number;
  /** Extra skills this contact needs (e.g. collected by the IVR), added to the queue's. */
  readonly requiredSkills?: readonly SkillRequirement[];
  /**
   * When the contact first entered the contact center (default now). A contact moved, recovered
   * after a restart or returning as a callback keeps its place through this.
   */
  readonly enteredAt?: number;
  /** Free-form data (collected IVR variables, the customer's key …), kept with the contact. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A read-only view of a contact. */
export interface ContactSnapshot {
  readonly id: string;
  readonly channel: Channel;
  readonly direction: Direction;
  readonly queueId: string;
  readonly priority: number;
  readonly state: ContactState;
  readonly enteredAt: number;
  readonly agentIds: readonly string[];
  readonly requiredSkills: readonly SkillRequirement[];
  readonly data: Readonly<Record<string, unknown>>;
  /** The customer's record the contact is linked to (its data's `customer`, or the agent's choice). */
  readonly customer?: { readonly object: string; readonly id: string };
  /** A connected call: whether the customer is on hold, and whether the agent's side is muted. */
  readonly held?: boolean;
  readonly muted?: boolean;
  /** Agents conferenced in besides the contact's agent. */
  readonly conferees?: readonly string[];
  /** An attended transfer under way: the party consulted (a queue's: the agent it picked) and whether it answered. */
  readonly consult?: { readonly party: { readonly agentId: string } | { readonly number: string }; readonly answered: boolean };
}

/**
 * Whom an agent consults (attended transfer): another agent, a queue (its routing strategy picks a
 * free agent of it at once), or an outside number.
 */
export type ConsultParty = { readonly agentId: string } | { readonly queueId: string } | { readonly number: string };

/** A manual dial by an agent (see `CommunicationServer.dial`). */
export interface DialSpec {
  /** The number (or SIP endpoint) to call. */
  readonly number: string;
  /** The queue the call is counted in (default: the agent's first queue). */
  readonly queueId?: string;
  /** The customer's record the call is about (click-to-dial from a record). */
  readonly customer?: { readonly object: string; readonly id: string };
  /** Extra contact data (text, number or true/false values). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A read-only view of an agent. */
export interface AgentSnapshot {
  readonly id: string;
  readonly state: AgentState;
  /** The pause reason while paused. */
  readonly pauseReason?: string;
  /** Ids of contacts connected to the agent. */
  readonly contactIds: readonly string[];
  readonly queueIds: readonly string[];
  /** Ring-no-answers in a row. */
  readonly noAnswerCount: number;
}

/** A contact offered to an agent. */
export interface Offer {
  readonly offerId: string;
  readonly contactId: string;
  readonly agentId: string;
  readonly queueId: string;
  readonly channel: Channel;
  /** The agent's endpoint from its configuration, when it has one. */
  readonly endpoint?: string;
  readonly ringTimeoutMs: number;
}
