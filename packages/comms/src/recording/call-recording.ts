import { WavStreamWriter } from './recording-file.js';

/** The side of a call a stretch of audio comes from. */
export type RecordingSide = 'caller' | 'agent';

/** Samples in one 20 ms frame at 8 kHz. */
const FRAME = 160;
/** A frame of silence (never written to). */
const SILENCE = new Int16Array(FRAME);

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

/** One side's audio waiting to be aligned with the other's: a ring of samples, no allocation per frame. */
class SideBuffer {
  private readonly ring: Int16Array;
  private head = 0;
  /** Samples waiting. */
  length = 0;
  /** The frame {@link take} fills (read only for the caller; reused). */
  private readonly frame = new Int16Array(FRAME);

  constructor(capacity: number) {
    this.ring = new Int16Array(capacity);
  }

  get room(): number {
    return this.ring.length - this.length;
  }

  /** Appends `n` samples of `samples` from `from` (silence when `silent`); n ≤ room. */
  write(samples: Int16Array, from: number, n: number, silent: boolean): void {
    const cap = this.ring.length;
    const tail = (this.head + this.length) % cap;
    const first = Math.min(n, cap - tail);
    if (silent) {
      this.ring.fill(0, tail, tail + first);
      this.ring.fill(0, 0, n - first);
    } else {
      this.ring.set(samples.subarray(from, from + first), tail);
      if (n > first) this.ring.set(samples.subarray(from + first, from + n), 0);
    }
    this.length += n;
  }

  /** The next frame, padded with silence; SILENCE when nothing waits. */
  take(): Int16Array {
    if (this.length === 0) return SILENCE;
    const cap = this.ring.length;
    const n = Math.min(FRAME, this.length);
    const first = Math.min(n, cap - this.head);
    this.frame.set(this.ring.subarray(this.head, this.head + first), 0);
    if (n > first) this.frame.set(this.ring.subarray(0, n - first), first);
    if (n < FRAME) this.frame.fill(0, n);
    this.head = (this.head + n) % cap;
    this.length -= n;
    return this.frame;
  }
}

/**
 * The recording of one call, written while it runs. The telephony adapter pushes the decoded
 * audio each side sends ({@link push}); the two sides are aligned frame by frame and mixed (or
 * kept as two channels). While paused, audio is replaced by silence, so the timeline stays true
 * and what was said in the paused stretch is never written.
 */
export class CallRecording {
  private readonly sides: Record<RecordingSide, SideBuffer>;
  private readonly maxLag: number;
  /** The frame being mixed or interleaved (the writer copies it). */
  private readonly scratch: Int16Array;
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
    // A side is written once it is maxLag ahead: room for that and one more frame is enough.
    this.sides = { caller: new SideBuffer(this.maxLag + 2 * FRAME), agent: new SideBuffer(this.maxLag + 2 * FRAME) };
    this.scratch = new Int16Array(FRAME * writer.channels);
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

  /** Audio one side sent: 8 kHz 16-bit samples, any length (copied: the array may be reused). Ignored once stopped. */
  push(side: RecordingSide, samples: Int16Array): void {
    if (this.stopped || samples.length === 0) return;
    // Paused audio is dropped here, at once, so it is never buffered either.
    const silent = this.paused;
    const buffer = this.sides[side];
    for (let from = 0; from < samples.length; ) {
      const n = Math.min(buffer.room, samples.length - from);
      buffer.write(samples, from, n, silent);
      from += n;
      this.drain(false);
    }
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
      const c = this.sides.caller.length;
      const a = this.sides.agent.length;
      const both = c >= FRAME && a >= FRAME;
      const ahead = c >= this.maxLag || a >= this.maxLag;
      const rest = all && (c > 0 || a > 0);
      if (!both && !ahead && !rest) return;
      this.writeFrame();
    }
  }

  private writeFrame(): void {
    const caller = this.sides.caller.take();
    const agent = this.sides.agent.take();
    this.frames += FRAME;
    const out = this.scratch;
    if (this.writer.channels === 2) {
      for (let i = 0; i < FRAME; i++) {
        out[i * 2] = caller[i]!;
        out[i * 2 + 1] = agent[i]!;
      }
      this.writer.append(out);
      return;
    }
    if (agent === SILENCE) return this.writer.append(caller);
    if (caller === SILENCE) return this.writer.append(agent);
    for (let i = 0; i < FRAME; i++) {
      const v = caller[i]! + agent[i]!;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.writer.append(out);
  }

}
