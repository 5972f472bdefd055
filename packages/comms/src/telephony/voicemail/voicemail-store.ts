import { createToken } from '@caruso/kernel';

/** A recorded voicemail message. */
export interface VoicemailMessage {
  /** Id of the message (also the id of the callback contact it becomes). */
  readonly id: string;
  /** The call it was recorded on. */
  readonly callId: string;
  /** The caller's number (where the agent calls back). */
  readonly from: string;
  /** The queue the caller was in (or meant for). */
  readonly queueId: string;
  /** When the recording ended (ms since the epoch). */
  readonly recordedAt: number;
  readonly durationMs: number;
  /** e.g. `audio/wav`. */
  readonly mimeType: string;
  /** Where the adapter keeps the recording. */
  readonly uri: string;
  /** The audio itself (empty when the adapter cannot hand it over). */
  readonly audio: Uint8Array;
}

/** Voicemail messages, stored durably: `save` resolves only once the message is written. */
export interface VoicemailStore {
  /** Stores a message (CARUSO_COMMS_DUPLICATE for an id already stored). */
  save(message: VoicemailMessage): Promise<void>;
  /** A message with its audio, or undefined. */
  get(id: string): Promise<VoicemailMessage | undefined>;
  /** Every message without its audio, oldest first. */
  list(): Promise<Array<Omit<VoicemailMessage, 'audio'>>>;
}

/** The token of the voicemail store. */
export const VoicemailStore = createToken<VoicemailStore>('caruso.comms.VoicemailStore');
