/**
 * G.711 µ-law and A-law (ITU-T G.711) for 16-bit linear PCM at 8 kHz. Decoding uses 256-entry
 * tables; encoding uses 64 Ki-entry tables built once, so a 20 ms frame costs 160 lookups.
 */

function ulawDecode(u: number): number {
  u = ~u & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const sample = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -sample : sample;
}

function alawDecode(a: number): number {
  a ^= 0x55;
  const sign = a & 0x80;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const sample = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return sign ? sample : -sample;
}

function ulawEncode(sample: number): number {
  const BIAS = 0x84;
  let sign = 0;
  if (sample < 0) {
    sample = -sample;
    sign = 0x80;
  }
  if (sample > 32635) sample = 32635;
  sample += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function alawEncode(sample: number): number {
  let sign = 0x80;
  if (sample < 0) {
    sample = -sample - 1;
    sign = 0;
  }
  if (sample > 32767) sample = 32767;
  let out: number;
  if (sample < 256) out = sample >> 4;
  else {
    let exponent = 7;
    for (let mask = 0x4000; (sample & mask) === 0 && exponent > 1; mask >>= 1) exponent--;
    out = (exponent << 4) | ((sample >> (exponent + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

const ulawToLinear = new Int16Array(256);
const alawToLinear = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  ulawToLinear[i] = ulawDecode(i);
  alawToLinear[i] = alawDecode(i);
}
const linearToUlaw = new Uint8Array(65536);
const linearToAlaw = new Uint8Array(65536);
for (let i = -32768; i < 32768; i++) {
  linearToUlaw[i & 0xffff] = ulawEncode(i);
  linearToAlaw[i & 0xffff] = alawEncode(i);
}

/** The G.711 payload types of RFC 3551: 0 PCMU (µ-law), 8 PCMA (A-law). */
export type G711PayloadType = 0 | 8;

/** Encodes 16-bit samples to G.711 bytes. */
export function encodeG711(samples: Int16Array, pt: G711PayloadType, out = new Uint8Array(samples.length)): Uint8Array {
  const table = pt === 0 ? linearToUlaw : linearToAlaw;
  for (let i = 0; i < samples.length; i++) out[i] = table[samples[i]! & 0xffff]!;
  return out;
}

/** Decodes G.711 bytes to 16-bit samples. */
export function decodeG711(bytes: Uint8Array, pt: G711PayloadType, out = new Int16Array(bytes.length)): Int16Array {
  const table = pt === 0 ? ulawToLinear : alawToLinear;
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]!]!;
  return out;
}

/** Re-encodes a G.711 payload from one law to the other (for a relay between legs with different codecs). */
export function transcodeG711(bytes: Uint8Array, from: G711PayloadType, to: G711PayloadType): Uint8Array {
  return from === to ? bytes : encodeG711(decodeG711(bytes, from), to);
}
