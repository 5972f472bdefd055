import { open, readFile, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { CommsErrors } from '../errors.js';

/**
 * A WAV file written while the call runs: 8 kHz, 16-bit linear PCM, one channel (both sides
 * mixed) or two (the caller left, the agent right). The header is written first with an empty
 * data chunk; audio is appended in blocks and the header's sizes are patched after every block, so
 * a crash leaves a playable file holding everything up to the last block (at most `flushEveryMs`).
 */
const LITTLE_ENDIAN = endianness() === 'LE';

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
      await fh.write(header(channels, 0), 0, 44, 0);
    } catch (err) {
      await fh.close();
      throw err;
    }
    // A whole number of frames (2 bytes a sample per channel) per block.
    const frameBytes = 2 * channels;
    const bytes = Math.max(320, Math.round((flushEveryMs / 1000) * 8000) * frameBytes);
    return new WavStreamWriter(fh, channels, bytes - (bytes % frameBytes));
  }

  /** Bytes of audio written or buffered so far. */
  get bytes(): number {
    return this.dataBytes + this.pendingBytes;
  }

  /** Appends interleaved samples (`channels` per frame). Written in blocks; see {@link flush}. */
  append(samples: Int16Array): void {
    if (this.closed) return;
    let from = 0;
    while (from < samples.length) {
      const room = (this.flushBytes - this.pendingBytes) >> 1;
      const n = Math.min(room, samples.length - from);
      if (LITTLE_ENDIAN) {
        // WAV is little-endian, like the machine: the samples' bytes are copied as they are.
        this.block.set(new Uint8Array(samples.buffer, samples.byteOffset + from * 2, n * 2), this.pendingBytes);
      } else {
        for (let i = 0; i < n; i++) this.block.writeInt16LE(samples[from + i]!, this.pendingBytes + i * 2);
      }
      this.pendingBytes += n * 2;
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
        await this.fh.write(block, 0, block.length, 44 + this.dataBytes);
        this.dataBytes += block.length;
        await this.fh.write(header(this.channels, this.dataBytes), 0, 44, 0);
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

function header(channels: number, dataBytes: number): Buffer {
  const buf = Buffer.alloc(44);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(8000, 24);
  buf.writeUInt32LE(8000 * 2 * channels, 28);
  buf.writeUInt16LE(2 * channels, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(dataBytes, 40);
  return buf;
}

/** A recording read back: one array of 8 kHz samples per channel. */
export interface RecordingAudio {
  readonly channels: readonly Int16Array[];
  readonly durationMs: number;
}

/**
 * Reads a recording written by {@link WavStreamWriter} (8 kHz 16-bit PCM, 1 or 2 channels). Reads
 * as much data as the header declares (a crashed recording: up to its last patched block).
 */
export async function readRecording(path: string): Promise<RecordingAudio> {
  const buf = await readFile(path);
  const bad = (reason: string) => CommsErrors.CARUSO_COMMS_SIP_BAD_AUDIO({ file: path, reason });
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE' || buf.toString('latin1', 36, 40) !== 'data') throw bad('not a Caruso recording');
  const channels = buf.readUInt16LE(22);
  if (buf.readUInt16LE(20) !== 1 || buf.readUInt16LE(34) !== 16 || buf.readUInt32LE(24) !== 8000 || (channels !== 1 && channels !== 2)) throw bad('not 8 kHz 16-bit PCM with 1 or 2 channels');
  const bytes = Math.min(buf.readUInt32LE(40), buf.length - 44);
  const frames = Math.floor(bytes / (2 * channels));
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) out[c]![f] = buf.readInt16LE(44 + (f * channels + c) * 2);
  }
  return { channels: out, durationMs: frames / 8 };
}
