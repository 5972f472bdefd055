import { createToken, type Event } from '@caruso/kernel';
import type { CampaignProgress } from '../campaigns/campaign-dialer.js';
import type { AgentConfig, AgentQueueChoice, AgentQueues, AgentSnapshot, Channel, ConsultParty, ContactSnapshot, ContactSpec, DialSpec, ExitReason, Offer, QueueConfig } from './model.js';
import type { CustomerRef, InteractionRecord } from '../interactions/interaction-record.js';
import type { InteractionQuery } from '../interactions/interaction-store.js';
import type { QualityManagement } from './quality.js';
import type { VoicemailMessage } from '../telephony/voicemail/voicemail-store.js';
import type { AgentStateChange, ContactConnected, ContactEnded, ContactExit, QueuePosition, QueueStatus, ScheduledCallback, ScheduledCallbackSpec, WithdrawReason } from '../acd/queue-router.js';

/** A wrap-up in progress: a contact the agent ended and has not yet given a disposition for. */
export interface WrapUpInfo {
  readonly contactId: string;
  readonly queueId: string;
  readonly channel: Channel;
  /** When the wrap-up started (clock ms). */
  readonly startedAt: number;
}

/** What an agent has on their desk now (the front office's agent desktop shows it). */
export interface AgentWork {
  readonly agent: AgentSnapshot;
  /** Offers ringing for the agent (accept or reject each within its ring time-out). */
  readonly offers: readonly Offer[];
  /** The contacts connected to the agent. */
  readonly contacts: readonly ContactSnapshot[];
  /** Contacts in wrap-up, oldest first (give each a disposition with `wrapUp`). */
  readonly wrapUps: readonly WrapUpInfo[];
}

/** The contact center's shape and clock: queues and agents added at run time. Part of {@link CommunicationServer}: depend on the narrowest part you use. */
export interface ContactCenterSetup {
  /**
   * The server's time (ms since the epoch) by its clock: what opening hours, calling hours and the
   * event log go by. The system clock unless the server runs on another (a simulation, a test).
   */
  now(): number;
  /** Adds a queue (CARUSO_COMMS_INVALID_QUEUE, CARUSO_COMMS_DUPLICATE). */
  addQueue(config: QueueConfig): Promise<void>;
  /** Adds an agent, logged out (CARUSO_COMMS_INVALID_AGENT, CARUSO_COMMS_UNKNOWN_QUEUE, CARUSO_COMMS_DUPLICATE). */
  addAgent(config: AgentConfig): Promise<void>;
}

/** What an agent's desktop does: presence, queue choice, offers, the contacts on the desk and their wrap-up. Part of {@link CommunicationServer}: depend on the narrowest part you use. */
export interface AgentDesk {
  /**
   * Logs an agent in, ready (CARUSO_COMMS_UNKNOWN_AGENT). Logging in twice is harmless.
   * With `queues`, the agent serves those queues from now on (as `setAgentQueues`, checked first:
   * a bad choice rejects and the agent stays logged out).
   */
  login(agentId: string, options?: { readonly queues?: readonly AgentQueueChoice[] }): Promise<void>;
  /**
   * The queues the agent serves from now on, each with a level (default: the configured level for
   * that queue, else 1); effective for the next routing decision, logged as `agent-queues-changed`
   * and kept across a restart. Offers ringing and contacts connected from a queue left stay.
   * Rejects with CARUSO_COMMS_UNKNOWN_AGENT, CARUSO_COMMS_INVALID_AGENT (a malformed list or a queue
   * chosen twice), CARUSO_COMMS_UNKNOWN_QUEUE, or CARUSO_COMMS_QUEUE_NOT_ALLOWED (outside
   * `agentQueues(agentId).allowed`), changing nothing.
   */
  setAgentQueues(agentId: string, queues: readonly AgentQueueChoice[]): Promise<void>;
  /** The queues an agent serves now (`selected`), those of its configuration, and those it may choose (`allowed`). */
  agentQueues(agentId: string): AgentQueues;
  /** Logs out; with `force` the agent's connected contacts go back in line (else CARUSO_COMMS_AGENT_STATE while connected). */
  logout(agentId: string, options?: { readonly force?: boolean }): Promise<void>;
  /** Pauses a logged-in agent with a reason code (`break`, `training` …); CARUSO_COMMS_AGENT_STATE when logged out. */
  pause(agentId: string, reason: string): Promise<void>;
  /** Ends a pause. */
  resume(agentId: string): Promise<void>;
  /**
   * Makes the agent ready in one step: logs them in when logged out, ends a pause, and ends every
   * wrap-up still running (without a disposition).
   */
  ready(agentId: string): Promise<void>;
  /** Ends the agent's wrap-ups now (without a disposition). */
  finishWrapUp(agentId: string): Promise<void>;
  /**
   * The agent's disposition of a contact they ended (`solved`, `sale` …), logged as a `disposition`
   * event with the contact's queue; ends that contact's wrap-up. Works during the wrap-up and for the
   * agent's last 16 contacts. CARUSO_COMMS_INVALID_CONTACT for a bad code or note,
   * CARUSO_COMMS_CONTACT_STATE when the agent did not end that contact (hang up first).
   * Note: a campaign call's disposition is also kept with its campaign target.
   * With `customer` the contact's interaction record is linked to that business-object record.
   */
  wrapUp(agentId: string, contactId: string, disposition: string, options?: { readonly note?: string; readonly customer?: CustomerRef }): Promise<void>;
  /**
   * The agent takes an offer. Idempotent: accepting an offer that was already accepted (the desktop's
   * Accept and the agent's phone answering are one accept) changes nothing and resolves.
   * @param options.agentId when given, the offer must be (or have been accepted as) this agent's.
   * Note: CARUSO_COMMS_UNKNOWN_OFFER once it was withdrawn or timed out, or belongs to another agent.
   */
  accept(offerId: string, options?: { readonly agentId?: string }): Promise<void>;
  /** The agent declines an offer; the contact goes back in line and is not offered to that agent again. */
  reject(offerId: string, reason?: string): Promise<void>;
  /**
   * The agent ends a connected contact: it completes (by the agent) and, for a call, the line is hung
   * up through the telephony adapter. The agent goes to wrap-up (or ready).
   */
  hangUp(contactId: string): Promise<void>;
  /**
   * Links a contact to the customer's business-object record (`undefined` unlinks): from now on the
   * contact's customer (in its snapshot, `customer-linked` in the event log, kept across a restart);
   * the wrap-up's disposition and the interaction record go to that customer. Works for a contact
   * queued, ringing or connected, and during and after its wrap-up (the agent's last 16 contacts).
   * CARUSO_COMMS_UNKNOWN_CONTACT, CARUSO_COMMS_INVALID_CONTACT for a malformed reference.
   */
  setCustomer(contactId: string, customer: CustomerRef | undefined): Promise<void>;
  /** The customer linked to a contact, live or among its agent's last 16 ended contacts; undefined when none. */
  customerOf(contactId: string): CustomerRef | undefined;
  /**
   * Manual dial (click-to-dial): an outbound call by the agent to `number`, connected to that agent at
   * once (no offer to anyone else): the channel rings the agent's phone and dials the customer, as for
   * a callback. Counted in `queueId` (default: the agent's first queue). Resolves with the contact.
   * CARUSO_COMMS_AGENT_STATE when the agent is logged out or already on a call,
   * CARUSO_COMMS_INVALID_CONTACT for a number that cannot be dialled.
   */
  dial(agentId: string, spec: DialSpec): Promise<ContactSnapshot>;
  agent(agentId: string): AgentSnapshot;
  /** What the agent has on their desk: state, ringing offers, connected contacts, wrap-ups (CARUSO_COMMS_UNKNOWN_AGENT). */
  agentWork(agentId: string): AgentWork;
  pendingOffers(agentId?: string): Offer[];
}

/** The life of one contact: queueing, ending, hold, transfers, conference and callbacks (channels and supervisors). Part of {@link CommunicationServer}: depend on the narrowest part you use. */
export interface ContactControl {
  /** Queues a contact (an e-mail, a chat, a callback request, a call from a channel) and routes it. */
  enqueue(spec: ContactSpec): Promise<ContactSnapshot>;
  /** Ends a connected contact (by the agent or the customer) without touching the line; see `hangUp`. */
  complete(contactId: string, by?: 'agent' | 'caller'): Promise<void>;
  abandon(contactId: string): Promise<void>;
  exit(contactId: string, reason: ExitReason): Promise<void>;
  /** Puts a connected customer on hold (the line too, for a call). */
  hold(contactId: string): Promise<void>;
  /** Takes the customer off hold. */
  retrieve(contactId: string): Promise<void>;
  /** Transfers a contact to a queue; a connected one leaves its agent (wrap-up) and keeps its age. */
  transferToQueue(contactId: string, queueId: string): Promise<void>;
  /** Transfers a contact to one agent (CARUSO_COMMS_AGENT_STATE when they cannot take it now). */
  transferToAgent(contactId: string, agentId: string): Promise<void>;
  /** Blind transfer of a connected call to an outside number; the contact ends for the agent. */
  transferToNumber(contactId: string, destination: string): Promise<void>;
  /** Adds a third party (an agent or an outside number) to a connected call. */
  conference(contactId: string, party: { readonly agentId: string } | { readonly number: string }): Promise<void>;
  /** A conferenced agent leaves the call. */
  leaveConference(contactId: string, agentId: string): Promise<void>;
  /**
   * Mutes the agent's side of a connected call (the customer no longer hears the agent) or unmutes it;
   * logged as `muted` / `unmuted`. CARUSO_COMMS_CONTACT_STATE for a contact that is not a connected call.
   */
  mute(contactId: string, muted: boolean): Promise<void>;
  /**
   * Sends DTMF digits (`0-9 * # A-D`, 1 to 32) to the customer's side of a connected call (the agent
   * keys through an outside IVR); logged as `dtmf-sent` with the count only, never the digits.
   */
  sendDtmf(contactId: string, digits: string): Promise<void>;
  /**
   * Attended transfer, first step: the customer goes on hold and the agent's line rings `party` (an
   * agent, who is reserved for it; a queue, whose routing strategy picks a free agent of it now,
   * CARUSO_COMMS_AGENT_STATE when none is free; or an outside number); logged as `consult-started`. Then
   * {@link completeConsult} or {@link cancelConsult}. One consultation per contact at a time;
   * CARUSO_COMMS_CONTACT_STATE for a contact that is not a connected call of an agent,
   * CARUSO_COMMS_AGENT_STATE for an agent who cannot take it.
   */
  consult(contactId: string, party: ConsultParty): Promise<void>;
  /**
   * Attended transfer, second step: `transfer` hands the customer to the consulted party (an agent
   * becomes the contact's agent; an outside number takes the line and the contact ends for the center)
   * and the first agent goes to wrap-up; `conference` joins all three. Logged as `consult-ended`
   * (reason `transferred` or `conferenced`) with the transfer or conference events.
   */
  completeConsult(contactId: string, outcome: 'transfer' | 'conference'): Promise<void>;
  /** Ends a consultation without transferring: the party leaves and the customer is taken off hold. */
  cancelConsult(contactId: string): Promise<void>;
  /** The customer leaves the line and keeps their place: a `callback` contact to `number` takes it. */
  requestCallback(contactId: string, number: string): Promise<ContactSnapshot>;
  /**
   * Schedules a callback: at `spec.at` a `callback` contact to `spec.number` enters the queue.
   * Durable when it resolves; a restart re-arms it. CARUSO_COMMS_INVALID_CONTACT, CARUSO_COMMS_UNKNOWN_QUEUE, CARUSO_COMMS_DUPLICATE.
   */
  scheduleCallback(spec: ScheduledCallbackSpec): Promise<ScheduledCallback>;
  /** Cancels a scheduled callback not yet due (CARUSO_COMMS_UNKNOWN_CONTACT). */
  cancelScheduledCallback(id: string): Promise<void>;
  /** Callbacks scheduled and not yet due, soonest first. */
  scheduledCallbacks(): ScheduledCallback[];
  /** A contact (undefined once ended). */
  contact(contactId: string): ContactSnapshot | undefined;
  position(contactId: string): QueuePosition | undefined;
}

/** The live state of queues and agents (wallboards, reports of now). Part of {@link CommunicationServer}: depend on the narrowest part you use. */
export interface ContactCenterStatus {
  /** Every agent's snapshot, in configuration order. */
  agents(): AgentSnapshot[];
  waiting(queueId: string): ContactSnapshot[];
  queueStatus(queueId: string): QueueStatus;
  /** Every queue's live status, in configuration order. */
  queues(): QueueStatus[];
}

/** Outbound campaigns and the do-not-call list. Part of {@link CommunicationServer}: depend on the narrowest part you use. */
export interface CampaignControl {
  /** Campaigns (configured or created), with their progress. Empty without a telephony adapter. */
  campaigns(): CampaignProgress[];
  campaignProgress(campaignId: string): CampaignProgress;
  startCampaign(campaignId: string): Promise<void>;
  pauseCampaign(campaignId: string): Promise<void>;
  stopCampaign(campaignId: string): Promise<void>;
  /** Reads a campaign's targets again from its business-object query; resolves with how many were new. */
  reloadCampaignTargets(campaignId: string): Promise<number>;
  /** Adds numbers to the do-not-call list (checked before every dial). */
  addDoNotCall(numbers: readonly string[]): Promise<void>;
}

/** The customers' history of contacts (interaction records). Part of {@link CommunicationServer}: depend on the narrowest part you use. */
export interface ContactHistory {
  /**
   * The customer's history of contacts: the interaction records linked to the business-object
   * record `object`/`id`, newest first (default 100, at most 1,000). Every ended contact (call,
   * e-mail, chat, callback, campaign dial) is recorded; it is linked to a customer by its data
   * (`customer: { object, id }`, `customerKey`, a campaign target), the wrap-up, or a look-up by
   * address (option `interactions.identify`). Empty when interaction records are off.
   */
  history(object: string, id: string, options?: { readonly limit?: number }): Promise<InteractionRecord[]>;
  /**
   * Moves the history of one customer record to another (two records merged into one); resolves with
   * how many interaction records moved. Done by itself when the business objects announce a merge
   * (`onDidMerge`). CARUSO_COMMS_INVALID_CONTACT for a malformed reference.
   */
  relinkCustomer(from: CustomerRef, to: CustomerRef): Promise<number>;
  /** Voicemail messages without their audio, oldest first (empty without a telephony adapter). */
  voicemails(): Promise<Array<Omit<VoicemailMessage, 'audio'>>>;
  /** One voicemail message with its audio (for playing it back), or undefined. */
  voicemail(id: string): Promise<VoicemailMessage | undefined>;
  /** Interaction records by contact or customer, newest first (those of contacts ended so far are all written when it resolves). */
  interactions(query?: InteractionQuery): Promise<InteractionRecord[]>;
}

/** What happens, as it happens: offers, connections, ends, agent states. Part of {@link CommunicationServer}: depend on the narrowest part you use. */
export interface ContactCenterEvents {
  /** A contact is offered to an agent (`offer.agentId`): ring their desktop or endpoint. */
  readonly onDidOffer: Event<Offer>;
  /** An offer is no longer valid (answered elsewhere, ring-no-answer, abandoned …): stop ringing. */
  readonly onDidWithdrawOffer: Event<{ readonly offer: Offer; readonly reason: WithdrawReason }>;
  /** A contact reached an agent (after an accept, or a conference party joined). */
  readonly onDidConnect: Event<ContactConnected>;
  /** A contact left its queue without an agent (time-out, full, after hours, voicemail, a callback, a key). */
  readonly onDidExit: Event<ContactExit>;
  /**
   * A contact ended: completed (not by a transfer), abandoned or exited, whoever ended it (the
   * desktop's Hang up, the customer, a channel). Channels close what they hold for it (a chat's
   * row and the customer's window).
   */
  readonly onDidEnd: Event<ContactEnded>;
  /** An agent's state changed (logged in or out, ready, busy, wrap-up, paused with a reason). */
  readonly onDidChangeAgentState: Event<AgentStateChange>;
}

/**
 * The communication server's contract, as other components reach it through the service manager.
 * Every method that changes something resolves only once the events of the change are durable in
 * the contact event log (rule 4 of the architecture); bad input rejects with a coded error and
 * changes nothing.
 */
export interface CommunicationServer
  extends ContactCenterSetup, AgentDesk, ContactControl, ContactCenterStatus, CampaignControl, ContactHistory, ContactCenterEvents, QualityManagement {}

/** The communication server's token. */
export const CommunicationServer = createToken<CommunicationServer>('caruso.comms');
