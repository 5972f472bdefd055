import { readFile, writeFile } from 'node:fs/promises';
import { CommsErrors } from '../../errors.js';
import { decodeG711 } from './g711.js';

/**
 * WAV files for prompts and recordings: 8 kHz mono, 16-bit linear PCM, µ-law or A-law in, 16-bit
 * linear PCM out. Other rates or channel counts are refused with a coded error (convert with
 * `sox in.wav -r 8000 -c 1 out.wav`).
 */

/** Reads a WAV file into 8 kHz 16-bit samples. */
export async function readWav(path: string): Promise<Int16Array> {
  return parseWav(await readFile(path), path);
}

/** Parses WAV bytes (`where` names the file in errors): 8 kHz mono. */
export function parseWav(buf: Buffer, where: string): Int16Array {
  return decodeWav(buf, where, 1).samples;
}

/** Decoded WAV audio: 8 kHz 16-bit samples, interleaved when there are two channels. */
export interface WavAudio {
  readonly channels: 1 | 2;
  readonly samples: Int16Array;
}

/**
 * Decodes 8 kHz WAV bytes of 16-bit PCM, µ-law or A-law with up to `maxChannels` channels (a prompt
 * is mono; a recording may have the caller and the agent apart). A data chunk cut short (a recording
 * of a crashed process) gives the whole frames it holds.
 */
export function decodeWav(buf: Buffer, where: string, maxChannels: 1 | 2): WavAudio {
  const bad = (reason: string) => CommsErrors.CARUSO_COMMS_SIP_BAD_AUDIO({ file: where, reason });
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') throw bad('not a RIFF/WAVE file');
  let offset = 12;
  let format = 0;
  let channels = 0;
  let rate = 0;
  let bits = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw bad('short fmt chunk');
      format = buf.readUInt16LE(body);
      channels = buf.readUInt16LE(body + 2);
      rate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
      if (format === 0xfffe && size >= 26) format = buf.readUInt16LE(body + 24);
    } else if (id === 'data') {
      if (!format) throw bad('data chunk before fmt chunk');
      if ((channels !== 1 && channels !== maxChannels) || rate !== 8000) throw bad(`${rate} Hz, ${channels} channel(s); 8000 Hz ${maxChannels === 1 ? 'mono' : 'with 1 or 2 channels'} is needed`);
      const ch = channels as 1 | 2;
      const sampleBytes = format === 1 ? 2 : 1;
      const frames = Math.floor(Math.min(buf.length - body, size) / (sampleBytes * ch));
      const data = buf.subarray(body, body + frames * ch * sampleBytes);
      if (format === 1 && bits === 16) {
        const out = new Int16Array(frames * ch);
        for (let i = 0; i < out.length; i++) out[i] = data.readInt16LE(i * 2);
        return { channels: ch, samples: out };
      }
      if (format === 7 && bits === 8) return { channels: ch, samples: decodeG711(data, 0) };
      if (format === 6 && bits === 8) return { channels: ch, samples: decodeG711(data, 8) };
      throw bad(`format ${format} with ${bits} bits; 16-bit PCM, µ-law or A-law is needed`);
    }
    offset = body + size + (size & 1);
  }
  throw bad('no data chunk');
}

/** Encodes 8 kHz mono 16-bit samples as a WAV file. */
export function encodeWav(samples: Int16Array): Buffer {
  const data = samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(8000, 24);
  buf.writeUInt32LE(16000, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i]!, 44 + i * 2);
  return buf;
}

/** Writes samples to a WAV file. */
export async function writeWav(path: string, samples: Int16Array): Promise<void> {
  await writeFile(path, encodeWav(samples));
}

/** A tone (e.g. the beep before a recording): `ms` of `hz` at amplitude `level` (0..1). */
export function tone(hz: number, ms: number, level = 0.3): Int16Array {
  const out = new Int16Array(Math.round(ms * 8));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.sin((2 * Math.PI * hz * i) / 8000) * level * 32767);
  return out;
}
