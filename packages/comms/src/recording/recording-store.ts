import { createToken } from '@caruso/kernel';

/** A call recording as the catalogue knows it. The file name carries no personal data. */
export interface RecordingEntry {
  /** Random id; also the file's base name. */
  readonly id: string;
  /** The contact recorded (its interaction in the customer's history). */
  readonly contactId: string;
  readonly queueId?: string;
  readonly agentId?: string;
  /** The file, relative to the recordings folder (`yyyy/mm/dd/<id>.wav`). */
  readonly file: string;
  /** 1: both sides mixed; 2: the caller left, the agent right. */
  readonly channels: 1 | 2;
  readonly startedAt: number;
  /** Absent while the call is being recorded (or when the process died while it was). */
  readonly endedAt?: number;
  readonly durationMs: number;
  readonly pausedMs: number;
  readonly bytes: number;
}

/** What {@link RecordingStore.finish} records of a recording that ended. */
export interface RecordingEnd {
  readonly endedAt: number;
  readonly durationMs: number;
  readonly pausedMs: number;
  readonly bytes: number;
}

/** The catalogue of call recordings (the audio itself is in files; see CallRecording). */
export interface RecordingStore {
  /** Adds a recording that has just started (CARUSO_COMMS_DUPLICATE for a known id). */
  begin(entry: Omit<RecordingEntry, 'endedAt' | 'durationMs' | 'pausedMs' | 'bytes'>): Promise<void>;
  /** Marks a recording ended. */
  finish(id: string, end: RecordingEnd): Promise<void>;
  /**
   * Names the agent of a recording that names none: a queue's call is recorded from the moment it
   * enters the queue, before an agent takes it. A recording that names its agent keeps it.
   */
  nameAgent(id: string, agentId: string): Promise<void>;
  get(id: string): Promise<RecordingEntry | undefined>;
  /** The recordings of a contact, oldest first. */
  forContact(contactId: string): Promise<RecordingEntry[]>;
  /** Recordings started before `time`, oldest first, at most `limit`. */
  startedBefore(time: number, limit: number): Promise<RecordingEntry[]>;
  /** Removes a recording from the catalogue (the caller deletes its file). */
  remove(id: string): Promise<void>;
  /** How many recordings (and of them ended) started in [from, to). */
  count(from: number, to: number): Promise<number>;
}

/** The token of the recording catalogue. */
export const RecordingStore = createToken<RecordingStore>('caruso.comms.RecordingStore');
