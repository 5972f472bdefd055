import type { G711PayloadType } from './g711.js';

/**
 * SDP (RFC 4566) offer/answer (RFC 3264) for one audio stream: G.711 µ-law (0) and A-law (8) and
 * RFC 4733 telephone-events. Everything else in an offer is ignored; an offer without G.711 gets
 * no answer (the caller answers 488).
 */

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

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
}

/** Parses the first audio stream of an SDP body; undefined when there is none or it is malformed. */
export function parseSdp(body: string): AudioDescription | undefined {
  if (body.length > 8192) return undefined;
  let sessionHost: string | undefined;
  let mediaHost: string | undefined;
  let port: number | undefined;
  let pts: number[] = [];
  let direction: MediaDirection = 'sendrecv';
  let inAudio = false;
  let seenAudio = false;
  const encodings = new Map<number, string>([[0, 'PCMU'], [8, 'PCMA']]);
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2);
    switch (line[0]) {
      case 'c': {
        const m = /^IN IP4 (\d{1,3}(?:\.\d{1,3}){3})/.exec(value);
        if (!m) break;
        if (inAudio) mediaHost = m[1];
        else if (!seenAudio) sessionHost = m[1];
        break;
      }
      case 'm': {
        if (seenAudio) {
          inAudio = false;
          break;
        }
        const m = /^audio (\d{1,5})(?:\/\d+)? RTP\/S?AVPF? ([\d ]+)$/.exec(value);
        if (!m) break;
        inAudio = true;
        seenAudio = true;
        port = Number(m[1]);
        pts = m[2]!.trim().split(/\s+/).map(Number).filter((n) => n >= 0 && n < 128);
        break;
      }
      case 'a': {
        if (!inAudio && seenAudio) break;
        const rtpmap = /^rtpmap:(\d{1,3}) ([\w-]+)\/(\d+)/.exec(value);
        if (rtpmap) encodings.set(Number(rtpmap[1]), `${rtpmap[2]!.toUpperCase()}/${rtpmap[3]}`);
        else if (value === 'sendonly' || value === 'recvonly' || value === 'inactive' || value === 'sendrecv') direction = value;
        break;
      }
      default:
        break;
    }
  }
  const host = mediaHost ?? sessionHost;
  if (!seenAudio || port === undefined || port > 65535 || !host) return undefined;
  const dtmf = pts.find((pt) => encodings.get(pt)?.startsWith('TELEPHONE-EVENT/8000'));
  const named = new Map<number, string>();
  for (const pt of pts) named.set(pt, (encodings.get(pt) ?? '').split('/')[0] ?? '');
  return { host, port, payloadTypes: pts, dtmfPayloadType: dtmf, encodings: named, direction };
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
}): string {
  const pts = [...options.payloadTypes, ...(options.dtmfPayloadType !== undefined ? [options.dtmfPayloadType] : [])];
  const lines = [
    'v=0',
    `o=caruso ${options.sessionId} ${options.version} IN IP4 ${options.host}`,
    's=caruso',
    `c=IN IP4 ${options.host}`,
    't=0 0',
    `m=audio ${options.port} RTP/AVP ${pts.join(' ')}`,
  ];
  for (const pt of options.payloadTypes) lines.push(`a=rtpmap:${pt} ${pt === 0 ? 'PCMU' : 'PCMA'}/8000`);
  if (options.dtmfPayloadType !== undefined) lines.push(`a=rtpmap:${options.dtmfPayloadType} telephone-event/8000`, `a=fmtp:${options.dtmfPayloadType} 0-15`);
  lines.push('a=ptime:20', `a=${options.direction}`);
  return lines.join('\r\n') + '\r\n';
}
