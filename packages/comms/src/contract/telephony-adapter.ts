import { createToken, type Event } from '@caruso/kernel';
import type { MonitorMode } from './quality.js';

/**
 * The telephony adapter contract: what the communication server asks of a phone system. It is
 * event-driven like Asterisk ARI or the FreeSWITCH event socket: commands return at once (they
 * throw CARUSO_COMMS_UNKNOWN_CALL for a call that is gone) and their outcome arrives as a
 * {@link TelephonyEvent}. A SIP adapter implements the same interface; the simulated adapter runs
 * on a virtual clock.
 */

/** A recorded message. */
export interface Recording {
  readonly recordingId: string;
  readonly durationMs: number;
  /** Where the audio is (a file path or URL the adapter can serve). */
  readonly uri: string;
  /** Media type of the audio, e.g. `audio/wav` (optional; added after the first version). */
  readonly mimeType?: string;
}

/** What the adapter tells the server. */
export type TelephonyEvent =
  /** A new inbound call rings at a number of ours. */
  | { readonly type: 'call-offered'; readonly callId: string; readonly from: string; readonly to: string }
  /** The call is answered: an inbound call by us, an outbound call by the far end. */
  | { readonly type: 'answered'; readonly callId: string }
  /** A prompt finished playing (or was interrupted by a key). */
  | { readonly type: 'prompt-finished'; readonly callId: string; readonly promptId: string; readonly interrupted: boolean }
  /** Digits collected by `collectDtmf` (empty on time-out). */
  | { readonly type: 'dtmf-collected'; readonly callId: string; readonly digits: string; readonly timedOut: boolean }
  /** A recording ended. */
  | { readonly type: 'recording-finished'; readonly callId: string; readonly recording: Recording }
  /** An agent endpoint started ringing for this call. */
  | { readonly type: 'bridge-ringing'; readonly callId: string; readonly endpoint: string }
  /** The agent endpoint answered: caller and agent talk. */
  | { readonly type: 'bridged'; readonly callId: string; readonly endpoint: string }
  /** The agent endpoint could not be reached. */
  | { readonly type: 'bridge-failed'; readonly callId: string; readonly endpoint: string; readonly cause: 'busy' | 'no-answer' | 'failed' }
  /** The call was put on hold (or back): by the agent's phone or the server (`agent`), or from the customer's phone (`customer`). */
  | { readonly type: 'held'; readonly callId: string; readonly by?: 'agent' | 'customer' }
  | { readonly type: 'unheld'; readonly callId: string; readonly by?: 'agent' | 'customer' }
  /** The call left us for another destination (blind transfer). */
  | { readonly type: 'transferred'; readonly callId: string; readonly destination: string }
  /** The call ended. `by`: the customer (`remote`), the agent's side (`agent`) or us (`local`). */
  | { readonly type: 'hung-up'; readonly callId: string; readonly by: 'remote' | 'agent' | 'local'; readonly cause?: string }
  /** The agent's side is muted (the customer no longer hears the agent) or unmuted. */
  | { readonly type: 'muted'; readonly callId: string; readonly muted: boolean }
  /** Digits sent towards the customer by `sendDtmf` went out. */
  | { readonly type: 'dtmf-sent'; readonly callId: string; readonly count: number }
  /** A consultation leg (see `consult`) answered: the agent talks to the party, the customer waits on hold. */
  | { readonly type: 'consult-answered'; readonly callId: string; readonly party: string }
  /**
   * A consultation ended without `endConsult`: the party could not be reached (`busy`, `no-answer`,
   * `failed`) or hung up (`hung-up`). The customer stays on hold with the agent.
   */
  | { readonly type: 'consult-failed'; readonly callId: string; readonly party: string; readonly cause: 'busy' | 'no-answer' | 'failed' | 'hung-up' }
  /** A supervisor's phone dialled by `monitor` answered and joined the call. */
  | { readonly type: 'monitor-joined'; readonly callId: string; readonly monitorId: string }
  /**
   * A monitoring leg ended: its phone could not be reached (`busy`, `no-answer`, `failed`), hung up
   * (`hung-up`), was hung up by `stopMonitor` (`stopped`) or the call ended (`call-ended`).
   */
  | { readonly type: 'monitor-ended'; readonly callId: string; readonly monitorId: string; readonly cause: 'busy' | 'no-answer' | 'failed' | 'hung-up' | 'stopped' | 'call-ended' }
  /** How an outbound call ended up. */
  | { readonly type: 'originate-result'; readonly callId: string; readonly result: 'answered' | 'busy' | 'no-answer' | 'machine' | 'failed' };

/**
 * A prompt to play: a recorded file or a text for speech synthesis. A text made from a template
 * (the queue announcements) carries the values filled in as `variables`, for an adapter that
 * assembles recorded pieces instead of synthesising the text.
 */
export type Prompt =
  | { readonly file: string }
  | { readonly text: string; readonly language?: string; readonly variables?: Readonly<Record<string, string | number>> };

/** The contract every telephony adapter implements. */
export interface TelephonyAdapter {
  /** A short name for messages, e.g. `sim` or `sip:pbx1`. */
  readonly name: string;
  /** Every call event. */
  readonly onDidEvent: Event<TelephonyEvent>;
  /** Answers an inbound call (then `answered`). */
  answer(callId: string): void;
  /**
   * Plays a prompt; returns its id (then `prompt-finished`). `holdsAgent`: an agent answering while
   * it plays is connected once it has finished (at most its length + 1 s later), so the customer
   * hears all of it (the recording announcement). An adapter may ignore it.
   */
  playPrompt(callId: string, prompt: Prompt, options?: PromptOptions): string;
  /** Collects keys (then `dtmf-collected`). */
  collectDtmf(callId: string, options: { readonly maxDigits: number; readonly timeoutMs: number; readonly terminator?: string }): void;
  /** Records the caller (then `recording-finished`). */
  record(callId: string, options: { readonly maxMs: number; readonly beep?: boolean }): void;
  /**
   * Rings an agent endpoint for this call (then `bridge-ringing`, and `bridged` or `bridge-failed`).
   * Several endpoints may ring at once (ring-all); the first to answer is bridged.
   * Note: the adapter itself gives up after `ringTimeoutMs`; the router has its own ring time-out too.
   */
  bridge(callId: string, endpoint: string, options: { readonly ringTimeoutMs: number }): void;
  /** Stops ringing an endpoint (the offer was withdrawn). Harmless when it is not ringing. */
  cancelBridge(callId: string, endpoint: string): void;
  /** Blind transfer to a number or endpoint outside the server (then `transferred`). */
  transfer(callId: string, destination: string): void;
  hold(callId: string): void;
  unhold(callId: string): void;
  /** Ends the call (then `hung-up` with `by: 'local'`). Harmless for a call already gone. */
  hangUp(callId: string, cause?: string): void;
  /** Starts an outbound call; returns its id (then `originate-result`). */
  originate(destination: string, options: { readonly callerId: string; readonly timeoutMs: number }): string;
  /**
   * The audio of a finished recording (for voicemail storage and the notification e-mail).
   * Optional: without it the server keeps only the recording's `uri`.
   */
  readRecording?(recording: Recording): Promise<Uint8Array>;
  /** Whether the call is still up. Optional: without it the server assumes it is until `hung-up`. */
  isActive?(callId: string): boolean;
  /**
   * Adds a party (an agent endpoint or an outside number) to the call: a conference of three.
   * Optional: an adapter without it cannot conference.
   */
  conference?(callId: string, party: string): void;
  /** Removes a conferenced party from the call. */
  leaveConference?(callId: string, party: string): void;
  /**
   * Mutes the agent's side of a bridged call (`muted: true`: the customer no longer hears the agent;
   * the agent still hears the customer), or unmutes it (then `muted`). Optional.
   */
  mute?(callId: string, muted: boolean): void;
  /**
   * Sends DTMF digits (0-9, *, #, A-D) towards the customer's side, as RFC 4733 telephone events
   * (then `dtmf-sent`): the agent keys through an outside IVR. Optional.
   */
  sendDtmf?(callId: string, digits: string): void;
  /**
   * Attended transfer, first step: the customer goes on hold (with the hold music) and a new leg rings
   * `party` (an agent endpoint or an outside number); when it answers (`consult-answered`) the agent
   * talks to the party alone. `consult-failed` when it cannot be reached or hangs up. One consultation
   * per call at a time. Optional: an adapter without it cannot do attended transfers.
   */
  consult?(callId: string, party: string, options: { readonly ringTimeoutMs: number }): void;
  /**
   * Attended transfer, second step: `transfer` connects the customer to the consulted party and drops
   * the agent's leg (then `transferred` with the party as destination, and the call goes on between
   * customer and party until one hangs up: `hung-up`); `conference` joins all three (a conference);
   * `cancel` hangs up the party and the customer stays on hold with the agent (`unhold` to talk).
   */
  endConsult?(callId: string, outcome: 'transfer' | 'conference' | 'cancel'): void;
  /**
   * Call recording: while the call's customer and agent are bridged, hands every 20 ms frame of
   * decoded audio (8 kHz, 16-bit) each side sends to `tap` (`caller`: the customer, `agent`: the
   * agent's leg); `undefined` removes the tap. The tap is called synchronously and must be quick; the
   * array may be reused once it returns (copy what you keep). Optional: an adapter without it
   * cannot record.
   */
  tapAudio?(callId: string, tap: AudioTap | undefined): void;
  /**
   * Supervisor monitoring: dials `phone` (an agent-style endpoint, a SIP URI or a number) and, when it
   * answers, joins it to the call in `mode` (then `monitor-joined`; `monitor-ended` when it cannot be
   * reached or leaves). Returns the monitoring leg's id. Optional: an adapter without it cannot monitor.
   */
  monitor?(callId: string, phone: string, mode: MonitorMode, options: { readonly ringTimeoutMs: number }): string;
  /** Switches a monitoring leg's mode (who hears whom) without dialling again. */
  setMonitorMode?(monitorId: string, mode: MonitorMode): void;
  /** Hangs up a monitoring leg (then `monitor-ended` with `stopped`). Harmless for one gone. */
  stopMonitor?(monitorId: string): void;
}

/** Options of {@link TelephonyAdapter.playPrompt}. */
export interface PromptOptions {
  /** A key pressed stops it (default true). */
  readonly interruptible?: boolean;
  /** The agent's leg is connected only after it (bounded by its length + 1 s). */
  readonly holdsAgent?: boolean;
}

/** Receives a call's audio for recording (see {@link TelephonyAdapter.tapAudio}). */
export type AudioTap = (side: 'caller' | 'agent', samples: Int16Array) => void;

/** The token of telephony adapters (several may be registered, told apart by properties). */
export const TelephonyAdapter = createToken<TelephonyAdapter>('caruso.comms.TelephonyAdapter');
