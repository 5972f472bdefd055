import { createToken, type Event } from '@caruso/kernel';
import { CommsErrors } from '../errors.js';
import type { AgentState, Channel, Direction, SkillRequirement } from './model.js';

/**
 * Kinds of events of the contact event log (rule 5 of the architecture): the single source of the
 * monitor's live figures and of every report.
 */
export type ContactEventKind =
  // contacts in queues
  | 'queue-entered'
  | 'offered'
  | 'ring-no-answer'
  | 'rejected'
  | 'connected'
  | 'held'
  | 'retrieved'
  | 'transferred'
  | 'conferenced'
  | 'completed'
  | 'wrap-up-ended'
  | 'abandoned'
  | 'exited'
  | 'disposition'
  // the agent's call control and the contact's customer
  | 'customer-linked'
  | 'muted'
  | 'unmuted'
  | 'dtmf-sent'
  | 'consult-started'
  | 'consult-ended'
  // voicemail and callbacks
  | 'voicemail-left'
  | 'voicemail-notified'
  | 'callback-scheduled'
  | 'callback-attempted'
  | 'callback-completed'
  // agents
  | 'agent-logged-in'
  | 'agent-logged-out'
  | 'agent-state-changed'
  | 'agent-queues-changed'
  // campaigns and the dialer
  | 'campaign-started'
  | 'campaign-paused'
  | 'campaign-stopped'
  | 'dial-attempt'
  | 'dial-result'
  | 'dial-drop'
  // quality management
  | 'recording-started'
  | 'recording-paused'
  | 'recording-resumed'
  | 'recording-stopped'
  | 'monitoring-started'
  | 'monitoring-changed'
  | 'monitoring-stopped'
  | 'note-added';

/** Every event kind. */
export const CONTACT_EVENT_KINDS: readonly ContactEventKind[] = [
  'queue-entered', 'offered', 'ring-no-answer', 'rejected', 'connected', 'held', 'retrieved', 'transferred',
  'conferenced', 'completed', 'wrap-up-ended', 'abandoned', 'exited', 'disposition',
  'customer-linked', 'muted', 'unmuted', 'dtmf-sent', 'consult-started', 'consult-ended', 'voicemail-left',
  'voicemail-notified', 'callback-scheduled', 'callback-attempted', 'callback-completed', 'agent-logged-in',
  'agent-logged-out', 'agent-state-changed', 'agent-queues-changed', 'campaign-started', 'campaign-paused', 'campaign-stopped',
  'dial-attempt', 'dial-result', 'dial-drop', 'recording-started', 'recording-paused', 'recording-resumed', 'recording-stopped',
  'monitoring-started', 'monitoring-changed', 'monitoring-stopped', 'note-added',
];

/**
 * The version of the typed contract below. It goes up when a kind's fields change in a way an
 * older reader would misread; a reader may then translate older events before folding them.
 */
export const CONTACT_EVENT_SCHEMA_VERSION = 1;

/**
 * The flat fields an event may carry (one column each in a stored log). Each kind says which of
 * them it has, required or optional; the others are absent. Figures are in milliseconds.
 */
export interface ContactEventFields {
  readonly contactId: string;
  readonly queueId: string;
  readonly agentId: string;
  readonly channel: Channel;
  readonly direction: Direction;
  /** Why (a completion's `agent`/`caller`, an exit reason, a disposition code, a dial result …). */
  readonly reason: string;
  /** agent-state-changed: the new state (the previous one is in `fromState`). */
  readonly state: AgentState;
  readonly fromState: AgentState;
  /** Waiting time from first entering the contact center. */
  readonly waitMs: number;
  readonly ringMs: number;
  readonly talkMs: number;
  readonly holdMs: number;
  readonly wrapMs: number;
  readonly priority: number;
  /** The kind's own JSON (typed per kind). */
  readonly data: EventData;
}

/**
 * The `data` of an event: each kind types the keys it writes. Keys a later version adds are kept
 * (untyped), so that an older reader still reads a newer log.
 * Note: it may hold customer data (collected IVR variables); it never reaches a log line.
 */
export interface EventData {
  readonly [key: string]: unknown;
}

/** One kind: its own fields, and none of the other flat fields. */
type KindOf<K extends ContactEventKind, F extends Partial<ContactEventFields>> = { readonly kind: K; /** When it happened (server clock, ms since the epoch). */ readonly at: number } & Readonly<F> & {
  readonly [P in Exclude<keyof ContactEventFields, keyof F>]?: undefined;
};

/** The contact's own data and the skills it needs, as it entered a queue. */
export interface QueueEnteredData extends EventData {
  readonly requiredSkills?: readonly SkillRequirement[];
  /** The contact data (caller, sender, collected IVR variables, campaign tag …). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The campaign and target of a campaign call. */
export interface CampaignTagData extends EventData {
  readonly campaignId?: string;
  readonly target?: string;
}

export interface TransferredData extends EventData {
  /** The queue it left (a transfer to another queue). */
  readonly fromQueueId?: string;
  /** The number it went to (`reason: 'outside'`). */
  readonly destination?: string;
}

export interface ConferencedData extends EventData {
  /** An outside party's number (an agent joining is `agentId`). */
  readonly party?: string;
}

export interface ExitedData extends EventData {
  /** The queue action that moved it out (`voicemail`, `callback`, `transfer` …). */
  readonly action?: string;
}

/** The customer's business object a contact is linked to. */
export interface CustomerRef {
  /** The business object, e.g. `Customer`. */
  readonly object: string;
  /** The record's key (a composite key joined with `:`). */
  readonly id: string;
}

export interface DispositionData extends CampaignTagData {
  readonly note?: string;
  /** The customer the agent chose in wrap-up (a numeric key reads as its text). */
  readonly customer?: { readonly object: string; readonly id: string | number };
  /** `ivr-end`: the outcome the IVR script ended with. */
  readonly outcome?: string;
  /** `ivr-end`, `ivr-hung-up`: the IVR's dialogue script. */
  readonly script?: string;
}

export interface CustomerLinkedData extends EventData {
  /** The customer now linked (absent: unlinked, `reason: 'unlinked'`). */
  readonly customer?: { readonly object: string; readonly id: string | number };
}

export interface DtmfSentData extends EventData {
  /** How many digits (the digits themselves are never logged: they may be a card number). */
  readonly count: number;
}

export interface ConsultData extends EventData {
  /** The agent consulted (`reason: 'agent'`, or `'queue'`: the agent the queue picked). */
  readonly party?: string;
  /** `reason: 'queue'`: the queue consulted. */
  readonly queueId?: string;
  /** The outside number consulted (`reason: 'number'`). */
  readonly number?: string;
}

export interface VoicemailLeftData extends EventData {
  /** The call the message was left on. */
  readonly callId?: string;
  readonly durationMs?: number;
  readonly bytes?: number;
}

export interface VoicemailNotifiedData extends EventData {
  readonly messageId?: string;
}

export interface CallbackScheduledData extends EventData {
  /** `keep-place`: the waiting contact this callback replaces. */
  readonly originalContactId?: string;
  /** `scheduled`: when it is due (ms since the epoch), the number, and the contact data. */
  readonly scheduledAt?: number;
  readonly callbackNumber?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface CallbackAttemptedData extends EventData {
  readonly attempt?: number;
}

export interface CallbackCompletedData extends EventData {
  readonly attempts?: number;
  readonly lastResult?: string;
}

export interface AgentQueuesChangedData extends EventData {
  /** The queues the agent chose to serve, with the agent's level in each. */
  readonly queues: ReadonlyArray<{ readonly queueId: string; readonly level: number }>;
}

export interface CampaignData extends EventData {
  readonly campaignId: string;
  /** campaign-started: how many numbers it has, when known. */
  readonly size?: number;
}

export interface DialData extends EventData {
  readonly campaignId: string;
  readonly target?: string;
  readonly attempt?: number;
}

/**
 * A contact entered a queue (first entry, a recovered contact, a campaign call answered).
 * `waitMs`: time already waited before (kept age). The router always writes `direction` and
 * `priority`; absent, they read as `inbound` and 0.
 */
export type QueueEnteredEvent = KindOf<'queue-entered', { contactId: string; queueId: string; channel: Channel; direction?: Direction; priority?: number; waitMs?: number; data?: QueueEnteredData }>;
/** The contact rings at an agent. */
export type OfferedEvent = KindOf<'offered', { contactId: string; queueId: string; agentId: string; channel: Channel }>;
export type RingNoAnswerEvent = KindOf<'ring-no-answer', { contactId: string; queueId: string; agentId: string; channel: Channel; ringMs: number }>;
export type RejectedEvent = KindOf<'rejected', { contactId: string; queueId: string; agentId: string; channel: Channel; reason: string; ringMs: number }>;
/** An agent took the contact. `waitMs` from first entering the contact center. */
export type ConnectedEvent = KindOf<'connected', { contactId: string; queueId: string; agentId: string; channel: Channel; waitMs: number; ringMs?: number; data?: CampaignTagData }>;
export type HeldEvent = KindOf<'held', { contactId: string; queueId: string; agentId: string; channel: Channel }>;
/** Off hold; `holdMs` of this hold. */
export type RetrievedEvent = KindOf<'retrieved', { contactId: string; queueId: string; agentId: string; channel: Channel; holdMs: number }>;
/**
 * A transfer. `reason`: `agent`/`overflow`/… to the queue `queueId` (from `data.fromQueueId`);
 * `to-agent` (offered to `agentId` only); `agent-disconnected` (back in line in `queueId`);
 * `outside` (to `data.destination`, no queue).
 */
export type TransferredEvent = KindOf<'transferred', { contactId: string; channel: Channel; reason: string; queueId?: string; agentId?: string; data?: TransferredData }>;
/** `reason`: `joined` or `left`. */
export type ConferencedEvent = KindOf<'conferenced', { contactId: string; queueId: string; agentId: string; channel: Channel; reason: string; data?: ConferencedData }>;
/**
 * A connected contact ended for its agent. `reason`: `agent`, `caller`, `transferred` (it goes on
 * elsewhere), `transferred-out`, `lost-on-restart` (no talk figures then).
 */
export type CompletedEvent = KindOf<'completed', { contactId: string; queueId: string; agentId: string; channel: Channel; reason: string; talkMs?: number; holdMs?: number }>;
export type WrapUpEndedEvent = KindOf<'wrap-up-ended', { contactId: string; queueId: string; agentId: string; channel: Channel; wrapMs: number }>;
export type AbandonedEvent = KindOf<'abandoned', { contactId: string; queueId: string; channel: Channel; waitMs: number }>;
/** Left its queue for an exit reason (`timeout`, `full`, `voicemail`, `callback-requested` …). */
export type ExitedEvent = KindOf<'exited', { contactId: string; queueId: string; channel: Channel; reason: string; waitMs: number; data?: ExitedData }>;
/**
 * A disposition code: an agent's wrap-up (with contact, queue, agent), the IVR's own end
 * (`ivr-end`, `ivr-hung-up`: contact and channel, no queue), or a campaign target's code (no contact).
 */
export type DispositionEvent = KindOf<'disposition', { reason: string; contactId?: string; queueId?: string; agentId?: string; channel?: Channel; data?: DispositionData }>;
/**
 * The contact's customer changed: `reason` `linked` (with `data.customer`) or `unlinked`; by the agent
 * (`agentId`) or by the server's look-up (no agent).
 */
export type CustomerLinkedEvent = KindOf<'customer-linked', { contactId: string; reason: string; agentId?: string; queueId?: string; channel?: Channel; data?: CustomerLinkedData }>;
/** The agent's side of a call muted, or unmuted. */
export type MutedEvent = KindOf<'muted', { contactId: string; queueId: string; agentId: string; channel: Channel }>;
export type UnmutedEvent = KindOf<'unmuted', { contactId: string; queueId: string; agentId: string; channel: Channel }>;
/** Digits sent to the customer's side (their count only). */
export type DtmfSentEvent = KindOf<'dtmf-sent', { contactId: string; queueId: string; agentId: string; channel: Channel; data: DtmfSentData }>;
/** An attended transfer began: `reason` `agent` (`data.party`), `queue` (`data.queueId`, and the agent it picked in `data.party`) or `number` (`data.number`); the customer is on hold. */
export type ConsultStartedEvent = KindOf<'consult-started', { contactId: string; queueId: string; agentId: string; channel: Channel; reason: string; data: ConsultData }>;
/**
 * An attended transfer ended: `reason` `transferred`, `conferenced`, `cancelled`, or why the party
 * was not reached (`busy`, `no-answer`, `failed`, `hung-up`).
 */
export type ConsultEndedEvent = KindOf<'consult-ended', { contactId: string; queueId: string; agentId: string; channel: Channel; reason: string; data: ConsultData }>;
/** A voice message; `contactId` is the message id (its callback contact), `talkMs` its length when known. */
export type VoicemailLeftEvent = KindOf<'voicemail-left', { contactId: string; queueId: string; channel?: Channel; reason?: string; talkMs?: number; data?: VoicemailLeftData }>;
export type VoicemailNotifiedEvent = KindOf<'voicemail-notified', { contactId: string; queueId: string; channel?: Channel; data?: VoicemailNotifiedData }>;
/** `reason`: `keep-place` (it enters its queue at once) or `scheduled` (for `data.scheduledAt`). */
export type CallbackScheduledEvent = KindOf<'callback-scheduled', { contactId: string; queueId: string; channel?: Channel; reason?: string; priority?: number; data?: CallbackScheduledData }>;
export type CallbackAttemptedEvent = KindOf<'callback-attempted', { contactId: string; queueId: string; channel?: Channel; agentId?: string; data?: CallbackAttemptedData }>;
/** `reason`: `reached`, `unreached`, `cancelled`, `voicemail` …; `waitMs` the time to call back when known. */
export type CallbackCompletedEvent = KindOf<'callback-completed', { contactId: string; queueId: string; reason?: string; channel?: Channel; agentId?: string; waitMs?: number; data?: CallbackCompletedData }>;
export type AgentLoggedInEvent = KindOf<'agent-logged-in', { agentId: string }>;
/** `reason`: why the agent was logged out when not by their own choice (e.g. a restart). */
export type AgentLoggedOutEvent = KindOf<'agent-logged-out', { agentId: string; reason?: string }>;
/** `reason`: the pause reason when `state` is `paused`. */
export type AgentStateChangedEvent = KindOf<'agent-state-changed', { agentId: string; state: AgentState; fromState?: AgentState; reason?: string }>;
export type AgentQueuesChangedEvent = KindOf<'agent-queues-changed', { agentId: string; data: AgentQueuesChangedData }>;
/** `reason`: the dialing mode (or `finished` when a campaign stops by itself). */
export type CampaignStartedEvent = KindOf<'campaign-started', { data: CampaignData; queueId?: string; reason?: string }>;
export type CampaignPausedEvent = KindOf<'campaign-paused', { data: CampaignData; queueId?: string; reason?: string }>;
export type CampaignStoppedEvent = KindOf<'campaign-stopped', { data: CampaignData; queueId?: string; reason?: string }>;
/** A campaign call dialled (the dialer always writes `data`). */
export type DialAttemptEvent = KindOf<'dial-attempt', { contactId: string; queueId?: string; direction?: Direction; channel?: Channel; data?: DialData }>;
/**
 * A dial's result in `reason` (`answered`, `busy`, `no-answer`, `machine`, `failed`, `do-not-call`):
 * a campaign call (with `data`) or a callback leg (with agent and channel).
 */
export type DialResultEvent = KindOf<'dial-result', { reason: string; contactId?: string; queueId?: string; agentId?: string; channel?: Channel; data?: DialData }>;
export type DialDropEvent = KindOf<'dial-drop', { contactId: string; data: DialData; queueId?: string }>;

/** The recording an event is about. */
export interface RecordingData extends EventData {
  readonly recordingId: string;
}
/** A recording that ended: its length and the time it was paused. */
export interface RecordingStoppedData extends RecordingData {
  readonly durationMs: number;
  readonly pausedMs: number;
}
/** A call's recording started (before the agent joins: the caller heard the announcement). */
export type RecordingStartedEvent = KindOf<'recording-started', { contactId: string; data: RecordingData; queueId?: string; agentId?: string; channel?: Channel }>;
/** Recording paused (e.g. while card details are read) by `agentId`, or by the system (`reason: 'system'`). */
export type RecordingPausedEvent = KindOf<'recording-paused', { contactId: string; data: RecordingData; agentId?: string; reason?: string; queueId?: string; channel?: Channel }>;
export type RecordingResumedEvent = KindOf<'recording-resumed', { contactId: string; data: RecordingData; agentId?: string; reason?: string; queueId?: string; channel?: Channel }>;
export type RecordingStoppedEvent = KindOf<'recording-stopped', { contactId: string; data: RecordingStoppedData; queueId?: string; agentId?: string; channel?: Channel }>;
/** Who monitors: the supervisor's user name. */
export interface MonitoringData extends EventData {
  readonly supervisor: string;
}
/**
 * A supervisor began to monitor `agentId`'s contact; `reason` is the mode: `listen` (heard by
 * nobody), `whisper` (heard by the agent only) or `barge` (a three-party call).
 */
export type MonitoringStartedEvent = KindOf<'monitoring-started', { contactId: string; agentId: string; reason: string; data: MonitoringData; queueId?: string; channel?: Channel }>;
/** The supervisor switched mode (`reason`: the new mode). */
export type MonitoringChangedEvent = KindOf<'monitoring-changed', { contactId: string; agentId: string; reason: string; data: MonitoringData; queueId?: string; channel?: Channel }>;
/** The supervisor stopped monitoring (`reason`: the mode at the end). */
export type MonitoringStoppedEvent = KindOf<'monitoring-stopped', { contactId: string; agentId: string; reason: string; data: MonitoringData; queueId?: string; channel?: Channel }>;

/** A supervisor's private note to the agent of a contact. */
export interface NoteAddedData extends EventData {
  /** The supervisor's user name. */
  readonly from: string;
  readonly text: string;
  /** Always true: the note is for the agent, never shown to the customer. */
  readonly private: true;
}
/**
 * A supervisor wrote a private note to the agent of a live chat or an e-mail contact (`agentId`:
 * the agent it is for, when the contact has one).
 */
export type NoteAddedEvent = KindOf<'note-added', { contactId: string; data: NoteAddedData; agentId?: string; queueId?: string; channel?: Channel }>;

/**
 * One event, before the log gave it a sequence number: a discriminated union by `kind`, each kind
 * with its own typed fields (see docs/comms.md). Readers switch on `kind`; none casts `data`.
 */
export type ContactEventInput =
  | QueueEnteredEvent
  | OfferedEvent
  | RingNoAnswerEvent
  | RejectedEvent
  | ConnectedEvent
  | HeldEvent
  | RetrievedEvent
  | TransferredEvent
  | ConferencedEvent
  | CompletedEvent
  | WrapUpEndedEvent
  | AbandonedEvent
  | ExitedEvent
  | DispositionEvent
  | CustomerLinkedEvent
  | MutedEvent
  | UnmutedEvent
  | DtmfSentEvent
  | ConsultStartedEvent
  | ConsultEndedEvent
  | VoicemailLeftEvent
  | VoicemailNotifiedEvent
  | CallbackScheduledEvent
  | CallbackAttemptedEvent
  | CallbackCompletedEvent
  | AgentLoggedInEvent
  | AgentLoggedOutEvent
  | AgentStateChangedEvent
  | AgentQueuesChangedEvent
  | CampaignStartedEvent
  | CampaignPausedEvent
  | CampaignStoppedEvent
  | DialAttemptEvent
  | DialResultEvent
  | DialDropEvent
  | RecordingStartedEvent
  | RecordingPausedEvent
  | RecordingResumedEvent
  | RecordingStoppedEvent
  | MonitoringStartedEvent
  | MonitoringChangedEvent
  | MonitoringStoppedEvent
  | NoteAddedEvent;

/** An event as stored: with its position in the log (strictly increasing, from 1). */
export type ContactEvent = ContactEventInput & { readonly seq: number };

/** The stored event of one kind. */
export type ContactEventOf<K extends ContactEventKind> = Extract<ContactEvent, { readonly kind: K }>;

/** Where the router writes events: a synchronous append that buffers. */
export interface ContactEventSink {
  /**
   * Appends an event and returns it with its sequence number.
   * Note: the event is durable only once a later {@link ContactEventLog.flush} resolved.
   */
  append(event: ContactEventInput): ContactEvent;
}

/** How to read the log. */
export interface ReadEventsOptions {
  /** Only events with a sequence number above this (default 0). */
  readonly afterSeq?: number;
  /** At most this many (default 10,000). */
  readonly limit?: number;
  /** Only this contact's events. */
  readonly contactId?: string;
}

/**
 * The append-only contact event log. Appends are synchronous and buffered; `flush()` makes every
 * appended event durable (in one transaction) and is awaited before a change is acknowledged
 * (rule 4 of the architecture).
 */
export interface ContactEventLog extends ContactEventSink {
  /** Writes every buffered event durably. Rejects with CARUSO_COMMS_EVENT_LOG_FAILED; the events stay buffered. */
  flush(): Promise<void>;
  /** Events in sequence order (durable ones only). */
  read(options?: ReadEventsOptions): Promise<ContactEvent[]>;
  /** The sequence number of the last appended event (0 when empty). */
  readonly lastSeq: number;
  /** Fires for each event, when appended. */
  readonly onDidAppend: Event<ContactEvent>;
}

/** The token of the contact event log service. */
export const ContactEventLog = createToken<ContactEventLog>('caruso.comms.ContactEventLog');

// ---------------------------------------------------------------- validation of stored events

type FieldCheck = 'string' | 'number' | 'channel' | 'direction' | 'state';
const FIELD_CHECKS: Readonly<Record<Exclude<keyof ContactEventFields, 'data'>, FieldCheck>> = {
  contactId: 'string', queueId: 'string', agentId: 'string', channel: 'channel', direction: 'direction', reason: 'string', state: 'state',
  fromState: 'state', waitMs: 'number', ringMs: 'number', talkMs: 'number', holdMs: 'number', wrapMs: 'number', priority: 'number',
};
type DataCheck = 'string' | 'number' | 'true' | 'record' | 'skills' | 'queues' | 'customer';

/** A kind's contract: its flat fields (`?` optional) and its data keys (`?` optional), as written by the code that appends it. */
interface KindRule {
  readonly fields: string;
  readonly data?: { readonly required: boolean; readonly keys: Readonly<Record<string, DataCheck>>; readonly optional: readonly string[] };
}

function dataRule(required: boolean, keys: Record<string, DataCheck>, optional: readonly string[] = Object.keys(keys)): NonNullable<KindRule['data']> {
  return { required, keys, optional };
}
const CAMPAIGN_TAG = { campaignId: 'string', target: 'string' } as const;
const CAMPAIGN = dataRule(true, { campaignId: 'string', size: 'number' }, ['size']);
const DIAL = { campaignId: 'string', target: 'string', attempt: 'number' } as const;

const KIND_RULES: Readonly<Record<ContactEventKind, KindRule>> = {
  'queue-entered': { fields: 'contactId queueId channel direction? priority? waitMs?', data: dataRule(false, { requiredSkills: 'skills', data: 'record' }) },
  offered: { fields: 'contactId queueId agentId channel' },
  'ring-no-answer': { fields: 'contactId queueId agentId channel ringMs' },
  rejected: { fields: 'contactId queueId agentId channel reason ringMs' },
  connected: { fields: 'contactId queueId agentId channel waitMs ringMs?', data: dataRule(false, CAMPAIGN_TAG) },
  held: { fields: 'contactId queueId agentId channel' },
  retrieved: { fields: 'contactId queueId agentId channel holdMs' },
  transferred: { fields: 'contactId channel reason queueId? agentId?', data: dataRule(false, { fromQueueId: 'string', destination: 'string' }) },
  conferenced: { fields: 'contactId queueId agentId channel reason', data: dataRule(false, { party: 'string' }) },
  completed: { fields: 'contactId queueId agentId channel reason talkMs? holdMs?' },
  'wrap-up-ended': { fields: 'contactId queueId agentId channel wrapMs' },
  abandoned: { fields: 'contactId queueId channel waitMs' },
  exited: { fields: 'contactId queueId channel reason waitMs', data: dataRule(false, { action: 'string' }) },
  disposition: { fields: 'reason contactId? queueId? agentId? channel?', data: dataRule(false, { ...CAMPAIGN_TAG, note: 'string', customer: 'customer', outcome: 'string', script: 'string' }) },
  'customer-linked': { fields: 'contactId reason agentId? queueId? channel?', data: dataRule(false, { customer: 'customer' }) },
  muted: { fields: 'contactId queueId agentId channel' },
  unmuted: { fields: 'contactId queueId agentId channel' },
  'dtmf-sent': { fields: 'contactId queueId agentId channel', data: dataRule(true, { count: 'number' }, []) },
  'consult-started': { fields: 'contactId queueId agentId channel reason', data: dataRule(true, { party: 'string', number: 'string', queueId: 'string' }) },
  'consult-ended': { fields: 'contactId queueId agentId channel reason', data: dataRule(true, { party: 'string', number: 'string' }) },
  'voicemail-left': { fields: 'contactId queueId channel? reason? talkMs?', data: dataRule(false, { callId: 'string', durationMs: 'number', bytes: 'number' }) },
  'voicemail-notified': { fields: 'contactId queueId channel?', data: dataRule(false, { messageId: 'string' }) },
  'callback-scheduled': {
    fields: 'contactId queueId channel? reason? priority?',
    data: dataRule(false, { originalContactId: 'string', scheduledAt: 'number', callbackNumber: 'string', data: 'record' }),
  },
  'callback-attempted': { fields: 'contactId queueId channel? agentId?', data: dataRule(false, { attempt: 'number' }) },
  'callback-completed': { fields: 'contactId queueId reason? channel? agentId? waitMs?', data: dataRule(false, { attempts: 'number', lastResult: 'string' }) },
  'agent-logged-in': { fields: 'agentId' },
  'agent-logged-out': { fields: 'agentId reason?' },
  'agent-state-changed': { fields: 'agentId state fromState? reason?' },
  'agent-queues-changed': { fields: 'agentId', data: dataRule(true, { queues: 'queues' }, []) },
  'campaign-started': { fields: 'queueId? reason?', data: CAMPAIGN },
  'campaign-paused': { fields: 'queueId? reason?', data: CAMPAIGN },
  'campaign-stopped': { fields: 'queueId? reason?', data: CAMPAIGN },
  'dial-attempt': { fields: 'contactId queueId? direction? channel?', data: dataRule(false, DIAL, ['target', 'attempt']) },
  'dial-result': { fields: 'reason contactId? queueId? agentId? channel?', data: dataRule(false, DIAL, ['target', 'attempt']) },
  'dial-drop': { fields: 'contactId queueId?', data: dataRule(true, DIAL, ['target', 'attempt']) },
  'recording-started': { fields: 'contactId queueId? agentId? channel?', data: dataRule(true, { recordingId: 'string' }, []) },
  'recording-paused': { fields: 'contactId agentId? reason? queueId? channel?', data: dataRule(true, { recordingId: 'string' }, []) },
  'recording-resumed': { fields: 'contactId agentId? reason? queueId? channel?', data: dataRule(true, { recordingId: 'string' }, []) },
  'recording-stopped': { fields: 'contactId queueId? agentId? channel?', data: dataRule(true, { recordingId: 'string', durationMs: 'number', pausedMs: 'number' }, []) },
  'monitoring-started': { fields: 'contactId agentId reason queueId? channel?', data: dataRule(true, { supervisor: 'string' }, []) },
  'monitoring-changed': { fields: 'contactId agentId reason queueId? channel?', data: dataRule(true, { supervisor: 'string' }, []) },
  'monitoring-stopped': { fields: 'contactId agentId reason queueId? channel?', data: dataRule(true, { supervisor: 'string' }, []) },
  'note-added': { fields: 'contactId agentId? queueId? channel?', data: dataRule(true, { from: 'string', text: 'string', private: 'true' }, []) },
};

const CHANNEL_SET: ReadonlySet<unknown> = new Set<Channel>(['call', 'email', 'chat', 'callback']);
const DIRECTION_SET: ReadonlySet<unknown> = new Set<Direction>(['inbound', 'outbound']);
const STATE_SET: ReadonlySet<unknown> = new Set<AgentState>(['logged-out', 'ready', 'reserved', 'busy', 'wrap-up', 'paused']);
const KIND_SET: ReadonlySet<unknown> = new Set(CONTACT_EVENT_KINDS);

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fieldProblem(check: FieldCheck, v: unknown): string | undefined {
  switch (check) {
    case 'string':
      return typeof v === 'string' ? undefined : 'a text';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : 'a finite number';
    case 'channel':
      return CHANNEL_SET.has(v) ? undefined : 'a channel (call, email, chat, callback)';
    case 'direction':
      return DIRECTION_SET.has(v) ? undefined : 'inbound or outbound';
    default:
      return STATE_SET.has(v) ? undefined : 'an agent state';
  }
}

function dataProblem(check: DataCheck, v: unknown): string | undefined {
  switch (check) {
    case 'string':
    case 'number':
      return fieldProblem(check, v);
    case 'true':
      return v === true ? undefined : 'true';
    case 'record':
      return isRecord(v) ? undefined : 'an object';
    case 'customer':
      return isRecord(v) && typeof v['object'] === 'string' && (typeof v['id'] === 'string' || typeof v['id'] === 'number') ? undefined : '{ object, id }';
    case 'skills':
      return Array.isArray(v) && v.every((s) => isRecord(s) && typeof s['skill'] === 'string' && typeof s['minLevel'] === 'number') ? undefined : 'a list of { skill, minLevel }';
    default:
      return Array.isArray(v) && v.every((q) => isRecord(q) && typeof q['queueId'] === 'string' && typeof q['level'] === 'number') ? undefined : 'a list of { queueId, level }';
  }
}

interface ParsedRule {
  readonly required: readonly string[];
  readonly allowed: ReadonlySet<string>;
  readonly dataKeys: ReadonlyArray<readonly [string, DataCheck, boolean]>;
}
const PARSED_RULES = new Map<ContactEventKind, ParsedRule>(
  CONTACT_EVENT_KINDS.map((k) => {
    const names = KIND_RULES[k].fields.split(' ');
    const data = KIND_RULES[k].data;
    const dataKeys = data ? Object.entries(data.keys).map(([key, check]) => [key, check, data.optional.includes(key)] as const) : [];
    return [k, { required: names.filter((n) => !n.endsWith('?')), allowed: new Set(names.map((n) => n.replace('?', ''))), dataKeys }];
  }),
);

/**
 * Validates a stored (or received) event against the contract of its kind and returns it typed:
 * the kind is known, its required fields are there, every field has its type, no field of another
 * kind is set, and the typed keys of `data` have their types (other keys of `data` are kept).
 * A `null` field counts as absent (a database column). `seq` is the event's position when the raw
 * value does not carry it. Throws CARUSO_COMMS_INVALID_EVENT naming the event's seq and what is wrong.
 */
export function parseContactEvent(raw: unknown, seq?: number): ContactEvent {
  const at = seq ?? (isRecord(raw) && typeof raw['seq'] === 'number' ? raw['seq'] : undefined);
  const fail = (reason: string): never => {
    throw CommsErrors.CARUSO_COMMS_INVALID_EVENT({ seq: at === undefined ? '?' : String(at), reason });
  };
  if (!isRecord(raw)) return fail('it is not an object');
  if (at === undefined || !Number.isSafeInteger(at) || at < 1) return fail('its seq must be a whole number from 1');
  const kind = raw['kind'];
  if (!KIND_SET.has(kind)) return fail(`unknown kind ${JSON.stringify(kind)}`);
  const k = kind as ContactEventKind;
  if (typeof raw['at'] !== 'number' || !Number.isFinite(raw['at'])) return fail(`${k}: at must be a time (ms since the epoch)`);
  const rules = PARSED_RULES.get(k)!;
  const out: Record<string, unknown> = { kind: k, at: raw['at'], seq: at };
  for (const name in raw) {
    const value = raw[name];
    if (name === 'kind' || name === 'at' || name === 'seq' || name === 'data' || value === null || value === undefined) continue;
    if (!Object.hasOwn(FIELD_CHECKS, name)) return fail(`${k}: unknown field ${JSON.stringify(name)}`);
    if (!rules.allowed.has(name)) return fail(`${k}: has no field ${name}`);
    const problem = fieldProblem(FIELD_CHECKS[name as keyof typeof FIELD_CHECKS], value);
    if (problem) return fail(`${k}: ${name} must be ${problem}`);
    out[name] = value;
  }
  for (const name of rules.required) if (out[name] === undefined) return fail(`${k}: ${name} is missing`);
  const data = raw['data'];
  const rule = KIND_RULES[k].data;
  if (data === null || data === undefined) {
    if (rule?.required) return fail(`${k}: data is missing`);
  } else {
    if (!rule) return fail(`${k}: has no data`);
    if (!isRecord(data)) return fail(`${k}: data must be an object`);
    for (const [key, check, optional] of rules.dataKeys) {
      const v = data[key];
      if (v === undefined) {
        if (!optional) return fail(`${k}: data.${key} is missing`);
        continue;
      }
      const problem = dataProblem(check, v);
      if (problem) return fail(`${k}: data.${key} must be ${problem}`);
    }
    out['data'] = data;
  }
  // Every field of this kind was checked above against the kind's contract.
  return out as unknown as ContactEvent;
}
