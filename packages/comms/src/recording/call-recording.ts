import { WavStreamWriter } from './recording-file.js';

/** The side of a call a stretch of audio comes from. */
export type RecordingSide = 'caller' | 'agent';

/** Samples in one 20 ms frame at 8 kHz. */
const FRAME = 160;

/** Options of {@link CallRecording.start}. */
export interface CallRecordingOptions {
  /** The file to create (must not exist). */
  readonly file: string;
  /** 1: both sides mixed into one channel (default); 2: the caller left, the agent right. */
  readonly channels?: 1 | 2;
  /**
   * How far (in 20 ms frames) one side may run ahead of a silent other side before its audio is
   * written with silence for the other (default 5 = 100 ms). Packets of the two legs arrive
   * independently; this is the recording's jitter allowance.
   */
  readonly maxLagFrames?: number;
  /** How much audio is buffered before it is written (default 1 s); see WavStreamWriter. */
  readonly flushEveryMs?: number;
  /** The clock that measures paused time (default `Date.now`). */
  readonly now?: () => number;
}

/** What a finished recording holds. */
export interface CallRecordingSummary {
  readonly durationMs: number;
  /** Time recorded as silence because recording was paused. */
  readonly pausedMs: number;
  readonly bytes: number;
}

/**
 * The recording of one call, written while it runs. The telephony adapter pushes the decoded
 * audio each side sends ({@link push}); the two sides are aligned frame by frame and mixed (or
 * kept as two channels). While paused, audio is replaced by silence, so the timeline stays true
 * and what was said in the paused stretch is never written.
 */
export class CallRecording {
  private readonly queues: Record<RecordingSide, Int16Array[]> = { caller: [], agent: [] };
  private readonly queued: Record<RecordingSide, number> = { caller: 0, agent: 0 };
  private readonly maxLag: number;
  private readonly now: () => number;
  private frames = 0;
  private pausedTotalMs = 0;
  private pausedSince: number | undefined;
  private stopped: Promise<CallRecordingSummary> | undefined;

  private constructor(
    private readonly writer: WavStreamWriter,
    options: CallRecordingOptions,
  ) {
    this.maxLag = Math.max(1, options.maxLagFrames ?? 5) * FRAME;
    this.now = options.now ?? Date.now;
  }

  /** Creates the file and starts recording. */
  static async start(options: CallRecordingOptions): Promise<CallRecording> {
    const writer = await WavStreamWriter.create(options.file, options.channels ?? 1, options.flushEveryMs);
    return new CallRecording(writer, options);
  }

  /** Whether recording is paused. */
  get paused(): boolean {
    return this.pausedSince !== undefined;
  }

  /** Length recorded so far, in ms. */
  get durationMs(): number {
    return Math.round(this.frames / 8);
  }

  /** Pauses: from now on, both sides are written as silence until {@link resume}. */
  pause(): void {
    this.pausedSince ??= this.now();
  }

  /** Resumes recording after {@link pause}. */
  resume(): void {
    if (this.pausedSince === undefined) return;
    this.pausedTotalMs += this.now() - this.pausedSince;
    this.pausedSince = undefined;
  }

  /** Time spent paused so far, in ms. */
  get pausedMs(): number {
    return this.pausedTotalMs + (this.pausedSince === undefined ? 0 : this.now() - this.pausedSince);
  }

  /** Audio one side sent: 8 kHz 16-bit samples, any length. Ignored once stopped. */
  push(side: RecordingSide, samples: Int16Array): void {
    if (this.stopped || samples.length === 0) return;
    // Paused audio is dropped here, at once, so it is never buffered either.
    const chunk = this.paused ? new Int16Array(samples.length) : samples.slice();
    this.queues[side].push(chunk);
    this.queued[side] += chunk.length;
    this.drain(false);
  }

  /** Stops recording, writes what is left and closes the file. Idempotent. */
  stop(): Promise<CallRecordingSummary> {
    this.stopped ??= (async () => {
      this.resume();
      this.drain(true);
      await this.writer.close();
      return { durationMs: Math.round(this.frames / 8), pausedMs: this.pausedTotalMs, bytes: this.writer.bytes };
    })();
    return this.stopped;
  }

  private drain(all: boolean): void {
    for (;;) {
      const c = this.queued.caller;
      const a = this.queued.agent;
      const both = c >= FRAME && a >= FRAME;
      const ahead = c >= this.maxLag || a >= this.maxLag;
      const rest = all && (c > 0 || a > 0);
      if (!both && !ahead && !rest) return;
      this.writeFrame();
    }
  }

  private writeFrame(): void {
    const caller = this.take('caller');
    const agent = this.take('agent');
    this.frames += FRAME;
    if (this.writer.channels === 2) {
      const out = new Int16Array(FRAME * 2);
      for (let i = 0; i < FRAME; i++) {
        out[i * 2] = caller[i]!;
        out[i * 2 + 1] = agent[i]!;
      }
      this.writer.append(out);
      return;
    }
    const out = new Int16Array(FRAME);
    for (let i = 0; i < FRAME; i++) out[i] = Math.max(-32768, Math.min(32767, caller[i]! + agent[i]!));
    this.writer.append(out);
  }

  /** Takes up to one frame of a side's audio, padded with silence. */
  private take(side: RecordingSide): Int16Array {
    const out = new Int16Array(FRAME);
    let filled = 0;
    const q = this.queues[side];
    while (filled < FRAME && q.length > 0) {
      const head = q[0]!;
      const n = Math.min(FRAME - filled, head.length);
      out.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) q.shift();
      else q[0] = head.subarray(n);
    }
    this.queued[side] -= filled;
    return out;
  }
}
