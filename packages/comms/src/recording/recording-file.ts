import { open, readFile, type FileHandle } from 'node:fs/promises';
import { encodeG711 } from '../telephony/sip/g711.js';
import { decodeWav } from '../telephony/sip/wav-file.js';

/**
 * A WAV file written while the call runs: 8 kHz G.711 A-law (8 bits a sample, the telephone's own
 * coding: 8 KB a second a channel, half of 16-bit PCM), one channel (both sides mixed) or two (the
 * caller left, the agent right). The header (RIFF, fmt of format 6, fact, data) is written first with
 * an empty data chunk; audio is appended in blocks and the header's sizes are patched after every
 * block, so a crash leaves a playable file holding everything up to the last block (at most
 * `flushEveryMs`). Browsers play it (Chromium decodes A-law WAV).
 */
const HEADER_BYTES = 58;
/** WAVE_FORMAT_ALAW. */
const FORMAT_ALAW = 6;
/** The RTP payload type of A-law, as the G.711 codec names it. */
const PCMA = 8;

export class WavStreamWriter {
  /** The block being filled (written once full, or by {@link flush}). */
  private block: Buffer;
  private pendingBytes = 0;
  private dataBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closed = false;

  private constructor(
    private readonly fh: FileHandle,
    /** Channels of the file (1 or 2). */
    readonly channels: 1 | 2,
    private readonly flushBytes: number,
  ) {
    this.block = Buffer.allocUnsafe(flushBytes);
  }

  /**
   * Creates `path` (it must not exist: a recording is never overwritten) and writes its header.
   * @param flushEveryMs how much audio is buffered before it is written (default 1 s).
   */
  static async create(path: string, channels: 1 | 2, flushEveryMs = 1000): Promise<WavStreamWriter> {
    const fh = await open(path, 'wx', 0o640);
    try {
      await fh.write(header(channels, 0), 0, HEADER_BYTES, 0);
    } catch (err) {
      await fh.close();
      throw err;
    }
    // A whole number of frames (1 byte a sample per channel) per block.
    const frameBytes = channels;
    const bytes = Math.max(320, Math.round((flushEveryMs / 1000) * 8000) * frameBytes);
    return new WavStreamWriter(fh, channels, bytes - (bytes % frameBytes));
  }

  /** Bytes of audio written or buffered so far. */
  get bytes(): number {
    return this.dataBytes + this.pendingBytes;
  }

  /** Appends interleaved samples (`channels` per frame), A-law coded. Written in blocks; see {@link flush}. */
  append(samples: Int16Array): void {
    if (this.closed) return;
    let from = 0;
    while (from < samples.length) {
      const room = this.flushBytes - this.pendingBytes;
      const n = Math.min(room, samples.length - from);
      encodeG711(samples.subarray(from, from + n), PCMA, new Uint8Array(this.block.buffer as ArrayBuffer, this.block.byteOffset + this.pendingBytes, n));
      this.pendingBytes += n;
      from += n;
      if (this.pendingBytes >= this.flushBytes) this.flush().catch(() => undefined);
    }
  }

  /** Writes what is buffered and patches the header; resolves when it is on disk (not fsynced). */
  flush(): Promise<void> {
    if (this.pendingBytes === 0) return this.chain;
    const block = this.block.subarray(0, this.pendingBytes);
    this.block = Buffer.allocUnsafe(this.flushBytes);
    this.pendingBytes = 0;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await this.fh.write(block, 0, block.length, HEADER_BYTES + this.dataBytes);
        this.dataBytes += block.length;
        await this.fh.write(header(this.channels, this.dataBytes), 0, HEADER_BYTES, 0);
      } catch (err) {
        // Kept, not thrown into a timer: close() reports it.
        this.failure = err;
      }
    });
    return this.chain;
  }

  /** Flushes, fsyncs and closes the file; rejects when any write failed. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    await this.flush();
    try {
      if (!this.failure) await this.fh.sync();
    } finally {
      await this.fh.close();
    }
    if (this.failure) throw this.failure;
  }
}

/** The header of an A-law WAV file holding `dataBytes` of audio: RIFF, fmt (18 bytes), fact, data. */
function header(channels: number, dataBytes: number): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(HEADER_BYTES - 8 + dataBytes, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(18, 16);
  buf.writeUInt16LE(FORMAT_ALAW, 20);
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(8000, 24);
  buf.writeUInt32LE(8000 * channels, 28);
  buf.writeUInt16LE(channels, 32);
  buf.writeUInt16LE(8, 34);
  buf.writeUInt16LE(0, 36);
  // A non-PCM format says its length in frames.
  buf.write('fact', 38, 'latin1');
  buf.writeUInt32LE(4, 42);
  buf.writeUInt32LE(Math.floor(dataBytes / channels), 46);
  buf.write('data', 50, 'latin1');
  buf.writeUInt32LE(dataBytes, 54);
  return buf;
}

/** A recording read back: one array of 8 kHz samples per channel. */
export interface RecordingAudio {
  readonly channels: readonly Int16Array[];
  readonly durationMs: number;
}

/**
 * Reads a recording written by {@link WavStreamWriter}: 8 kHz A-law, or 16-bit PCM as recordings
 * were written before (both kept on disk for their retention), 1 or 2 channels. Reads as much data
 * as the header declares (a crashed recording: up to its last patched block).
 */
export async function readRecording(path: string): Promise<RecordingAudio> {
  const { channels, samples } = decodeWav(await readFile(path), path, 2);
  const frames = samples.length / channels;
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) out[c]![f] = samples[f * channels + c]!;
  }
  return { channels: out, durationMs: frames / 8 };
}
