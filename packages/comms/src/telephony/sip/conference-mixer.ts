import type { MediaClockTask, MixInput, RtpMediaEngine, RtpSession } from './rtp-session.js';

const FRAME = 160; // 20 ms at 8 kHz
/** Audio a leg must have buffered before it is mixed (40 ms: absorbs the jitter of loopback and LAN). */
const PRIME = 2 * FRAME;
/** Most audio kept per leg (200 ms); a leg whose clock runs fast is trimmed back to PRIME. */
const CAPACITY = 10 * FRAME;
const HIGH_WATER = 5 * FRAME;

/** One leg's received audio, waiting to be mixed: a small jitter buffer of linear samples. */
class LegBuffer implements MixInput {
  private readonly samples = new Int16Array(CAPACITY);
  private length = 0;
  private primed = false;

  push(samples: Int16Array): void {
    const n = Math.min(samples.length, CAPACITY);
    if (this.length + n > CAPACITY) this.drop(this.length + n - CAPACITY);
    this.samples.set(samples.subarray(samples.length - n), this.length);
    this.length += n;
    if (this.length >= PRIME) this.primed = true;
  }

  /** The next 20 ms, or undefined (silence) while the buffer fills again after running dry. */
  take(): Int16Array | undefined {
    if (!this.primed) return undefined;
    if (this.length < FRAME) {
      this.primed = false;
      return undefined;
    }
    // A sender whose clock runs faster than ours builds up delay: drop back to the priming depth.
    if (this.length > HIGH_WATER) this.drop(this.length - PRIME);
    const frame = this.samples.slice(0, FRAME);
    this.drop(FRAME);
    return frame;
  }

  private drop(n: number): void {
    this.samples.copyWithin(0, n, this.length);
    this.length = Math.max(0, this.length - n);
  }
}

/**
 * A leg in the mix: its session, and who hears it. `heard: false` (a muted agent) leaves it out of
 * everyone's mix; `audience`, when given, names the only legs that hear it (who hears whom: a
 * supervisor who listens is heard by nobody, one who whispers by the agent alone). Every leg hears
 * every other leg that it is an audience of.
 */
export interface MixMember {
  readonly rtp: RtpSession;
  readonly heard: boolean;
  readonly audience?: readonly RtpSession[];
  /** Receives each 20 ms frame this leg is sent (what it hears; call recording). */
  readonly tap?: (samples: Int16Array) => void;
}

/**
 * Mixes the G.711 audio of three or more legs of a call (a conference): every 20 ms on the media
 * clock, each leg is sent the sum of the other legs' decoded audio, clipped to 16 bits and encoded
 * in that leg's own codec. Each leg's input passes a small jitter buffer; a leg that sent nothing
 * counts as silence. The legs' relays must be off while they are mixed.
 */
export class ConferenceMixer implements MediaClockTask {
  private members: { readonly rtp: RtpSession; readonly heard: boolean; readonly audience: ReadonlySet<RtpSession> | undefined; readonly input: LegBuffer; readonly tap: ((samples: Int16Array) => void) | undefined }[] = [];
  /** Whether every heard leg is heard by all (one shared sum serves every leg). */
  private everyoneHearsAll = true;
  private nextAt: number;
  private disposed = false;

  constructor(private readonly engine: RtpMediaEngine) {
    this.nextAt = engine.now() + 20;
    engine.runTask(this);
  }

  /** Sets who is in the mix; a leg that stays keeps its buffered audio. */
  setMembers(list: readonly MixMember[]): void {
    const old = new Map(this.members.map((m) => [m.rtp, m.input]));
    this.members = list.map((m) => ({ rtp: m.rtp, heard: m.heard, audience: m.audience ? new Set(m.audience) : undefined, input: old.get(m.rtp) ?? new LegBuffer(), tap: m.tap }));
    this.everyoneHearsAll = this.members.every((m) => m.audience === undefined);
    for (const [rtp, input] of old) if (rtp.mixInput === input && !list.some((m) => m.rtp === rtp)) rtp.mixInput = undefined;
    for (const m of this.members) m.rtp.mixInput = m.input;
  }

  /** The number of legs mixed. */
  get size(): number {
    return this.members.length;
  }

  tick(now: number): boolean {
    if (this.disposed) return false;
    let frames = 0;
    while (this.nextAt <= now && frames < 5) {
      this.mixFrame();
      this.nextAt += 20;
      frames++;
    }
    if (this.nextAt <= now) this.nextAt = now + 20; // fell behind: skip rather than burst
    return true;
  }

  private mixFrame(): void {
    const inputs = this.members.map((m) => {
      const frame = m.input.take();
      return m.heard ? frame : undefined;
    });
    if (this.everyoneHearsAll) {
      const sum = new Int32Array(FRAME);
      for (const f of inputs) if (f) for (let i = 0; i < FRAME; i++) sum[i]! += f[i]!;
      this.members.forEach((m, k) => {
        const own = inputs[k];
        const out = new Int16Array(FRAME);
        for (let i = 0; i < FRAME; i++) {
          const v = sum[i]! - (own ? own[i]! : 0);
          out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        }
        m.rtp.sendFrame(out);
        m.tap?.(out);
      });
      return;
    }
    // Who hears whom: each leg gets the sum of the legs whose audience it is in.
    this.members.forEach((m, k) => {
      const sum = new Int32Array(FRAME);
      this.members.forEach((o, j) => {
        const f = inputs[j];
        if (j === k || !f || (o.audience !== undefined && !o.audience.has(m.rtp))) return;
        for (let i = 0; i < FRAME; i++) sum[i]! += f[i]!;
      });
      const out = new Int16Array(FRAME);
      for (let i = 0; i < FRAME; i++) {
        const v = sum[i]!;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      m.rtp.sendFrame(out);
      m.tap?.(out);
    });
  }

  /** Stops mixing; the legs stop feeding it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.stopTask(this);
    for (const m of this.members) if (m.rtp.mixInput === m.input) m.rtp.mixInput = undefined;
    this.members = [];
  }
}
