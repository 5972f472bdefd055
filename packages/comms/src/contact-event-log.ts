import { createToken, type Event } from '@caruso/kernel';
import type { AgentState, Channel, Direction } from './model.js';

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
  | 'dial-drop';

/** Every event kind. */
export const CONTACT_EVENT_KINDS: readonly ContactEventKind[] = [
  'queue-entered', 'offered', 'ring-no-answer', 'rejected', 'connected', 'held', 'retrieved', 'transferred',
  'conferenced', 'completed', 'wrap-up-ended', 'abandoned', 'exited', 'disposition', 'voicemail-left',
  'voicemail-notified', 'callback-scheduled', 'callback-attempted', 'callback-completed', 'agent-logged-in',
  'agent-logged-out', 'agent-state-changed', 'agent-queues-changed', 'campaign-started', 'campaign-paused', 'campaign-stopped',
  'dial-attempt', 'dial-result', 'dial-drop',
];

/**
 * One event, before the log gave it a sequence number. Figures are in milliseconds.
 * Note: `data` is JSON and may hold customer data (collected IVR variables); it never reaches a log line.
 */
export interface ContactEventInput {
  readonly kind: ContactEventKind;
  /** When it happened (clock ms since the epoch). */
  readonly at: number;
  readonly contactId?: string;
  readonly queueId?: string;
  readonly agentId?: string;
  readonly channel?: Channel;
  readonly direction?: Direction;
  /**
   * Why: completed `agent`/`caller`; exited with an exit reason; rejected, paused, transferred
   * (`overflow`, `agent` …) with a reason code.
   */
  readonly reason?: string;
  /** agent-state-changed: the new state (the previous one is in `fromState`). */
  readonly state?: AgentState;
  readonly fromState?: AgentState;
  /** Waiting time from first entering the contact center (connected, abandoned, exited). */
  readonly waitMs?: number;
  readonly ringMs?: number;
  readonly talkMs?: number;
  readonly holdMs?: number;
  readonly wrapMs?: number;
  /** Priority at entry (queue-entered). */
  readonly priority?: number;
  /** Free-form JSON. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** An event as stored: with its position in the log. */
export interface ContactEvent extends ContactEventInput {
  /** Strictly increasing position in the log, from 1. */
  readonly seq: number;
}

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
