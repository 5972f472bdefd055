import { randomUUID } from 'node:crypto';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Disposable, Emitter, safeInterval, silentLogger, type Event, type Logger } from '@caruso/kernel';
import { CallRecording, type RecordingSide } from './call-recording.js';
import type { RecordingEntry, RecordingStore } from './recording-store.js';

const DAY_MS = 86_400_000;

/** What happened to a recording (the communication server writes these to the event log). */
export interface RecordingChange {
  readonly kind: 'started' | 'paused' | 'resumed' | 'stopped';
  readonly recordingId: string;
  readonly contactId: string;
  readonly queueId?: string;
  readonly agentId?: string;
  /** Who paused or resumed (an agent id), or `system`. */
  readonly by?: string;
  readonly at: number;
  /** `stopped`: the length recorded and the time of it paused. */
  readonly durationMs?: number;
  readonly pausedMs?: number;
}

/** Options of {@link CallRecorder}. */
export interface CallRecorderOptions {
  /** The folder recordings are written to (`yyyy/mm/dd/<id>.wav` below it). */
  readonly folder: string;
  readonly store: RecordingStore;
  /** The communication server's clock. */
  readonly now: () => number;
  /** 1 (mixed, default) or 2 channels (caller left, agent right). */
  readonly channels?: 1 | 2;
  /** Recordings older than this many days are deleted by {@link sweep} (default: kept forever). */
  readonly retentionDays?: number;
  readonly logger?: Logger;
  /** See CallRecordingOptions.flushEveryMs. */
  readonly flushEveryMs?: number;
}

interface Active {
  /** The catalogue entry; its agent is named once one takes a call recorded from the queue. */
  entry: RecordingEntry;
  readonly recording: CallRecording;
}

/**
 * Records calls to files and keeps their catalogue: one recording per contact at a time, started,
 * paused, resumed and stopped by the communication server as the call goes; a daily sweep deletes
 * recordings older than the retention period. File names are random ids: they carry no number, no
 * name and no customer data.
 */
export class CallRecorder extends Disposable {
  private readonly active = new Map<string, Active>();
  private readonly logger: Logger;
  private readonly _onDidChange = this.register(new Emitter<RecordingChange>({ owner: 'caruso.comms/recording' }));
  /** A recording started, paused, resumed or stopped. */
  readonly onDidChange: Event<RecordingChange> = this._onDidChange.event;
  private retentionTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: CallRecorderOptions) {
    super();
    this.logger = options.logger ?? silentLogger();
  }

  /** Whether a contact is being recorded now. */
  isRecording(contactId: string): boolean {
    return this.active.has(contactId);
  }

  /** Whether a contact's recording is paused. */
  isPaused(contactId: string): boolean {
    return this.active.get(contactId)?.recording.paused ?? false;
  }

  /** Starts recording a contact (nothing when it is recorded already); resolves with its catalogue entry. */
  async start(contact: { readonly contactId: string; readonly queueId?: string; readonly agentId?: string }): Promise<RecordingEntry> {
    const running = this.active.get(contact.contactId);
    if (running) return running.entry;
    const startedAt = this.options.now();
    const id = randomUUID();
    const d = new Date(startedAt);
    const dir = [String(d.getUTCFullYear()), String(d.getUTCMonth() + 1).padStart(2, '0'), String(d.getUTCDate()).padStart(2, '0')];
    const file = [...dir, `${id}.wav`].join('/');
    await mkdir(join(this.options.folder, ...dir), { recursive: true, mode: 0o750 });
    const recording = await CallRecording.start({ file: join(this.options.folder, file), channels: this.options.channels ?? 1, now: this.options.now, ...(this.options.flushEveryMs !== undefined ? { flushEveryMs: this.options.flushEveryMs } : {}) });
    const entry: RecordingEntry = { id, contactId: contact.contactId, ...(contact.queueId !== undefined ? { queueId: contact.queueId } : {}), ...(contact.agentId !== undefined ? { agentId: contact.agentId } : {}), file, channels: this.options.channels ?? 1, startedAt, durationMs: 0, pausedMs: 0, bytes: 0 };
    this.active.set(contact.contactId, { entry, recording });
    await this.options.store.begin(entry);
    this.change('started', entry, 'system');
    return entry;
  }

  /**
   * Names the agent of a contact's running recording when it names none yet (a queue's call is
   * recorded before an agent takes it); nothing otherwise.
   */
  async nameAgent(contactId: string, agentId: string): Promise<void> {
    const a = this.active.get(contactId);
    if (!a || a.entry.agentId !== undefined) return;
    a.entry = { ...a.entry, agentId };
    await this.options.store.nameAgent(a.entry.id, agentId);
  }

  /** Audio one side of a recorded contact sent (ignored when it is not recorded). */
  push(contactId: string, side: RecordingSide, samples: Int16Array): void {
    this.active.get(contactId)?.recording.push(side, samples);
  }

  /** Pauses a contact's recording (e.g. while the customer reads card details). False when not recorded or already paused. */
  pause(contactId: string, by: string): boolean {
    const a = this.active.get(contactId);
    if (!a || a.recording.paused) return false;
    a.recording.pause();
    this.change('paused', a.entry, by);
    return true;
  }

  /** Resumes a paused recording. False when not recorded or not paused. */
  resume(contactId: string, by: string): boolean {
    const a = this.active.get(contactId);
    if (!a || !a.recording.paused) return false;
    a.recording.resume();
    this.change('resumed', a.entry, by);
    return true;
  }

  /** Stops a contact's recording and completes its catalogue entry; undefined when it was not recorded. */
  async stop(contactId: string): Promise<RecordingEntry | undefined> {
    const a = this.active.get(contactId);
    if (!a) return undefined;
    this.active.delete(contactId);
    const s = await a.recording.stop();
    const end = { endedAt: this.options.now(), durationMs: s.durationMs, pausedMs: s.pausedMs, bytes: s.bytes };
    await this.options.store.finish(a.entry.id, end);
    this.change('stopped', a.entry, 'system', { durationMs: s.durationMs, pausedMs: s.pausedMs });
    return { ...a.entry, ...end };
  }

  /** The absolute path of a recording's file. */
  pathOf(entry: Pick<RecordingEntry, 'file'>): string {
    return join(this.options.folder, ...entry.file.split('/'));
  }

  /**
   * Deletes the recordings that started more than the retention period before `now` (files and
   * catalogue entries; never one still being recorded) and logs each. Returns how many.
   */
  async sweep(now = this.options.now()): Promise<number> {
    const days = this.options.retentionDays;
    if (days === undefined) return 0;
    let deleted = 0;
    for (let round = 0; round < 1000; round++) {
      const old = (await this.options.store.startedBefore(now - days * DAY_MS, 200)).filter((e) => !this.active.has(e.contactId) || this.active.get(e.contactId)!.entry.id !== e.id);
      if (old.length === 0) break;
      for (const e of old) {
        try {
          await unlink(this.pathOf(e));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        await this.options.store.remove(e.id);
        deleted++;
        this.logger.info({ recordingId: e.id, startedAt: e.startedAt, retentionDays: days }, 'recording deleted by retention');
      }
      if (old.length < 200) break;
    }
    return deleted;
  }

  /** Runs {@link sweep} now and then every day; errors are contained and logged. */
  startRetention(): void {
    if (this.retentionTimer || this.options.retentionDays === undefined) return;
    const run = async (): Promise<void> => {
      const n = await this.sweep();
      if (n > 0) this.logger.info({ deleted: n }, 'recording retention sweep');
    };
    void run().catch((err: unknown) => this.logger.error({ err }, 'recording retention sweep failed'));
    this.retentionTimer = safeInterval('caruso.comms/recording', run, DAY_MS);
    this.retentionTimer.unref?.();
  }

  /** Stops every running recording (files closed and catalogued) and the retention timer. */
  async close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    for (const contactId of [...this.active.keys()]) await this.stop(contactId);
  }

  override dispose(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    super.dispose();
  }

  private change(kind: RecordingChange['kind'], e: RecordingEntry, by: string, figures: { durationMs?: number; pausedMs?: number } = {}): void {
    this._onDidChange.fire({ kind, recordingId: e.id, contactId: e.contactId, ...(e.queueId !== undefined ? { queueId: e.queueId } : {}), ...(e.agentId !== undefined ? { agentId: e.agentId } : {}), by, at: this.options.now(), ...figures });
  }
}
