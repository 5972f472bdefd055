import type { G711PayloadType } from './g711.js';

/**
 * SDP (RFC 4566) offer/answer (RFC 3264) for one audio stream: G.711 µ-law (0) and A-law (8) and
 * RFC 4733 telephone-events. Other streams of an offer are declined in the answer (port 0); an offer
 * without G.711, or whose audio streams are all declined, gets no answer (the caller answers 488);
 * a malformed one or one with values out of range is refused with a reason (the caller answers 400).
 */

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One media line of an offer, as written (kept so that the answer has the same m-lines in the same order, RFC 3264 §6). */
export interface SdpMediaLine {
  readonly media: string;
  readonly port: number;
  readonly proto: string;
  readonly formats: string;
}

/** What we need from a session description. */
export interface AudioDescription {
  readonly host: string;
  readonly port: number;
  /** Payload types in order of preference. */
  readonly payloadTypes: readonly number[];
  /** Payload type of `telephone-event/8000`, if any. */
  readonly dtmfPayloadType: number | undefined;
  /** Payload type → encoding name in upper case (from rtpmap or the static table). */
  readonly encodings: ReadonlyMap<number, string>;
  readonly direction: MediaDirection;
  /** Every m-line of the description in order, and which of them is this audio stream. */
  readonly media: readonly SdpMediaLine[];
  readonly index: number;
}

/**
 * What an offer (or an answer) says, checked against the ranges of RFC 4566: the audio stream to
 * use; `declined` when every audio stream has port 0 (RFC 3264 §5.1: answer 488 when it is the only
 * one); `no-audio`; `ipv6-only` (valid, but the media engine is IPv4); `malformed` with the reason
 * (answer 400, keep nothing).
 */
export type SdpReading =
  | { readonly kind: 'audio'; readonly audio: AudioDescription }
  | { readonly kind: 'declined' | 'no-audio' | 'ipv6-only'; readonly media: readonly SdpMediaLine[] }
  | { readonly kind: 'malformed'; readonly reason: string };

/** Longest SDP body read, bytes. */
export const MAX_SDP_BYTES = 8192;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MEDIA = /^([a-z][a-z0-9-]*) (\d+)(?:\/(\d+))? ([A-Za-z0-9/._-]+) ?(.*)$/;

function ipv4(text: string): string | undefined {
  const m = IPV4.exec(text);
  return m && m.slice(1).every((o) => Number(o) <= 255) ? text : undefined;
}

interface Stream {
  line: SdpMediaLine;
  host: string | undefined;
  ipv6: boolean;
  pts: number[];
  rtpmaps: Map<number, string>;
  direction: MediaDirection | undefined;
}

/**
 * Reads a session description. Every value is checked against its range before it is used: ports
 * 0–65535 (0 is a declined stream), payload types 0–127, IPv4 octets 0–255, and each stream needs a
 * connection address (its own or the session's).
 */
export function readSdp(body: string): SdpReading {
  if (body.length > MAX_SDP_BYTES) return { kind: 'malformed', reason: `longer than ${MAX_SDP_BYTES} bytes` };
  const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines[0] !== 'v=0') return { kind: 'malformed', reason: 'does not start with v=0' };
  let sessionHost: string | undefined;
  let sessionIpv6 = false;
  let sessionDirection: MediaDirection | undefined;
  const streams: Stream[] = [];
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) return { kind: 'malformed', reason: `bad line ${JSON.stringify(line.slice(0, 40))}` };
    const value = line.slice(2);
    const stream = streams[streams.length - 1];
    switch (line[0]) {
      case 'c': {
        const m = /^IN (IP4|IP6) ([^\s/]+)/.exec(value);
        if (!m) return { kind: 'malformed', reason: `bad connection line ${JSON.stringify(value.slice(0, 40))}` };
        // An IPv6 stream is valid SDP that this IPv4 media engine cannot use: it has no address here.
        let host: string | undefined;
        if (m[1] === 'IP4') {
          host = ipv4(m[2]!);
          if (!host) return { kind: 'malformed', reason: `bad IPv4 address ${JSON.stringify(m[2]!.slice(0, 40))}` };
        }
        if (stream) {
          stream.host = host;
          stream.ipv6 = m[1] === 'IP6';
        } else {
          sessionHost = host;
          sessionIpv6 = m[1] === 'IP6';
        }
        break;
      }
      case 'm': {
        const m = MEDIA.exec(value);
        if (!m) return { kind: 'malformed', reason: `bad media line ${JSON.stringify(value.slice(0, 40))}` };
        const port = Number(m[2]);
        if (port > 65535) return { kind: 'malformed', reason: `port ${m[2]!.slice(0, 10)} out of range (0-65535)` };
        const formats = m[5]!.trim();
        if (!formats) return { kind: 'malformed', reason: 'media line without formats' };
        const line: SdpMediaLine = { media: m[1]!, port, proto: m[4]!, formats };
        let pts: number[] = [];
        if (/^RTP\/S?AVPF?$/.test(line.proto)) {
          const list = formats.split(/\s+/);
          if (!list.every((f) => /^\d{1,3}$/.test(f) && Number(f) <= 127)) return { kind: 'malformed', reason: `payload types ${JSON.stringify(formats.slice(0, 40))} out of range (0-127)` };
          pts = list.map(Number);
        }
        streams.push({ line, host: undefined, ipv6: false, pts, rtpmaps: new Map(), direction: undefined });
        break;
      }
      case 'a': {
        const rtpmap = /^rtpmap:(\d{1,3}) ([\w-]+)\/(\d+)/.exec(value);
        if (rtpmap && stream) stream.rtpmaps.set(Number(rtpmap[1]), `${rtpmap[2]!.toUpperCase()}/${rtpmap[3]}`);
        else if (value === 'sendonly' || value === 'recvonly' || value === 'inactive' || value === 'sendrecv') {
          if (stream) stream.direction = value;
          else sessionDirection = value;
        }
        break;
      }
      default:
        break;
    }
  }
  const media = streams.map((s) => s.line);
  const audio = streams.filter((s) => s.line.media === 'audio' && /^RTP\/S?AVPF?$/.test(s.line.proto));
  if (audio.length === 0) return { kind: 'no-audio', media };
  const chosen = audio.find((s) => s.line.port !== 0);
  if (!chosen) return { kind: 'declined', media };
  const host = chosen.host ?? (chosen.ipv6 ? undefined : sessionHost);
  if (!host) {
    if (chosen.ipv6 || sessionIpv6) return { kind: 'ipv6-only', media };
    return { kind: 'malformed', reason: 'the audio stream has no connection address' };
  }
  const encodings = new Map<number, string>([[0, 'PCMU'], [8, 'PCMA'], ...chosen.rtpmaps]);
  const dtmf = chosen.pts.find((pt) => encodings.get(pt)?.startsWith('TELEPHONE-EVENT/8000'));
  const named = new Map<number, string>();
  for (const pt of chosen.pts) named.set(pt, (encodings.get(pt) ?? '').split('/')[0] ?? '');
  return {
    kind: 'audio',
    audio: {
      host, port: chosen.line.port, payloadTypes: chosen.pts, dtmfPayloadType: dtmf, encodings: named,
      direction: chosen.direction ?? sessionDirection ?? 'sendrecv', media, index: streams.indexOf(chosen),
    },
  };
}

/** Parses the first usable audio stream of an SDP body; undefined when there is none or the body is malformed. */
export function parseSdp(body: string): AudioDescription | undefined {
  const r = readSdp(body);
  return r.kind === 'audio' ? r.audio : undefined;
}

/** The G.711 codec both sides can use, preferring the offerer's order. */
export function chooseCodec(offer: AudioDescription, preferred: readonly G711PayloadType[] = [0, 8]): G711PayloadType | undefined {
  for (const pt of offer.payloadTypes) {
    const name = offer.encodings.get(pt);
    if ((pt === 0 || name === 'PCMU') && preferred.includes(0)) return 0;
    if ((pt === 8 || name === 'PCMA') && preferred.includes(8)) return 8;
  }
  return undefined;
}

/** The direction we answer with: the mirror of the offer's (RFC 3264 §6.1). */
export function answerDirection(offered: MediaDirection): MediaDirection {
  return offered === 'sendonly' ? 'recvonly' : offered === 'recvonly' ? 'sendonly' : offered;
}

/** Builds an SDP body for our side of one audio stream. */
export function buildSdp(options: {
  readonly host: string;
  readonly port: number;
  readonly sessionId: number;
  readonly version: number;
  readonly payloadTypes: readonly G711PayloadType[];
  readonly dtmfPayloadType: number | undefined;
  readonly direction: MediaDirection;
  /**
   * The offer's m-lines and the index of our audio stream: the answer repeats every other m-line
   * with port 0 (declined), in the same order (RFC 3264 §6).
   */
  readonly mirror?: { readonly media: readonly SdpMediaLine[]; readonly index: number };
}): string {
  const pts = [...options.payloadTypes, ...(options.dtmfPayloadType !== undefined ? [options.dtmfPayloadType] : [])];
  const lines = [
    'v=0',
    `o=caruso ${options.sessionId} ${options.version} IN IP4 ${options.host}`,
    's=caruso',
    `c=IN IP4 ${options.host}`,
    't=0 0',
  ];
  const declined = (m: SdpMediaLine) => `m=${m.media} 0 ${m.proto} ${m.formats}`;
  const mirror = options.mirror;
  if (mirror) for (const m of mirror.media.slice(0, mirror.index)) lines.push(declined(m));
  lines.push(`m=audio ${options.port} RTP/AVP ${pts.join(' ')}`);
  for (const pt of options.payloadTypes) lines.push(`a=rtpmap:${pt} ${pt === 0 ? 'PCMU' : 'PCMA'}/8000`);
  if (options.dtmfPayloadType !== undefined) lines.push(`a=rtpmap:${options.dtmfPayloadType} telephone-event/8000`, `a=fmtp:${options.dtmfPayloadType} 0-15`);
  lines.push('a=ptime:20', `a=${options.direction}`);
  if (mirror) for (const m of mirror.media.slice(mirror.index + 1)) lines.push(declined(m));
  return lines.join('\r\n') + '\r\n';
}
