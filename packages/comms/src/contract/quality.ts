import type { RecordingEntry } from '../recording/recording-store.js';

/**
 * How a supervisor takes part in an agent's call:
 * - `listen`: the supervisor hears both sides; nobody hears the supervisor;
 * - `whisper`: the supervisor hears both sides and the agent hears the supervisor; the customer does not;
 * - `barge`: a three-party call, everybody hears everybody.
 */
export type MonitorMode = 'listen' | 'whisper' | 'barge';

/** The monitor modes, in the order a page offers them. */
export const MONITOR_MODES: readonly MonitorMode[] = ['listen', 'whisper', 'barge'];

/** A supervisor monitoring an agent's call now. */
export interface MonitoringSession {
  /** The supervisor's user name. */
  readonly supervisor: string;
  readonly agentId: string;
  /** The call monitored. */
  readonly contactId: string;
  readonly mode: MonitorMode;
  /** When the supervisor's phone joined the call (clock ms). */
  readonly since: number;
}

/** Options of {@link QualityManagement.monitor}. */
export interface MonitorOptions {
  /**
   * The supervisor's phone: a registered extension (`sip:` endpoint name as agents' phones are
   * addressed) or a number. Default: the phone configured for that supervisor
   * (CommsServiceOptions.recording / monitoring `phones`), else CARUSO_COMMS_INVALID_CONTACT.
   */
  readonly phone?: string;
}

/**
 * Quality management: call recording (pause and resume, the catalogue and the audio) and supervisor
 * monitoring of calls (listen, whisper, barge) through the supervisor's SIP phone, which the server
 * dials. Part of {@link CommunicationServer}: depend on the narrowest part you use.
 *
 * Every change resolves once its events are durable in the contact event log
 * (`recording-paused` / `recording-resumed`, `monitoring-started` / `-changed` / `-stopped`).
 * Access control (which role may hear which recording, who may monitor) is the caller's job: the
 * front office checks roles before it calls these methods.
 */
export interface QualityManagement {
  /**
   * Pauses (`paused: true`) or resumes a call's recording, e.g. while the customer reads card
   * details; the paused stretch is written as silence. `by` is the user name of who did it (the
   * agent or a supervisor), logged as the event's `agentId` with reason `agent`. Pausing a paused
   * recording (or resuming a running one) changes nothing and resolves.
   * CARUSO_COMMS_CONTACT_STATE when the contact is not being recorded (recording off, not a call,
   * not yet answered, or ended); CARUSO_COMMS_INVALID_CONTACT for a bad `by`.
   */
  setRecordingPaused(contactId: string, paused: boolean, by: string): Promise<void>;
  /** A contact's recordings (catalogue entries), oldest first; [] when recording is off or none. */
  recordings(contactId: string): Promise<RecordingEntry[]>;
  /** One recording with its audio (a WAV file's bytes), or undefined when unknown (or recording is off). */
  recordingAudio(recordingId: string): Promise<{ readonly entry: RecordingEntry; readonly wav: Uint8Array } | undefined>;
  /**
   * A supervisor starts monitoring an agent's current call in `mode`: the server dials the
   * supervisor's phone and, once it answers, joins it to the call; resolves when it is joined
   * (`monitoring-started` is durable). One session per supervisor at a time.
   * CARUSO_COMMS_UNKNOWN_AGENT; CARUSO_COMMS_AGENT_STATE when the agent has no connected call (or
   * the supervisor already monitors one: stop first); CARUSO_COMMS_CONTACT_STATE when the telephony
   * adapter cannot monitor or the supervisor's phone did not answer; CARUSO_COMMS_INVALID_CONTACT for
   * a bad mode or phone (or none configured).
   */
  monitor(supervisor: string, agentId: string, mode: MonitorMode, options?: MonitorOptions): Promise<void>;
  /** Switches a running session's mode without dialling again (`monitoring-changed`); CARUSO_COMMS_CONTACT_STATE when the supervisor monitors nothing. */
  setMonitorMode(supervisor: string, mode: MonitorMode): Promise<void>;
  /** Ends the supervisor's session: their phone is hung up (`monitoring-stopped`). Harmless when none. */
  stopMonitoring(supervisor: string): Promise<void>;
  /** The sessions running now, oldest first. A session ends by itself when the call or the supervisor's phone hangs up. */
  monitoring(): ReadonlyArray<MonitoringSession>;
}
