import { randomBytes } from 'node:crypto';

/**
 * SIP messages (RFC 3261 §7): a strict parser with limits and a serializer. The parser never
 * throws on network input: it returns a {@link SipParseFailure} that says whether enough of a
 * request was read to answer it with a 400, so that a malformed message is answered or dropped and
 * never crashes the server.
 */

/** Limits of the parser; every one of them is checked before the work it bounds. */
export interface SipParseLimits {
  /** Largest whole message, bytes (default 16 KiB; UDP datagrams above it are dropped). */
  readonly maxMessageBytes: number;
  /** Most header lines (default 64). */
  readonly maxHeaders: number;
  /** Longest header line, bytes (default 2 KiB). */
  readonly maxHeaderBytes: number;
}

export const defaultSipLimits: SipParseLimits = { maxMessageBytes: 16 * 1024, maxHeaders: 64, maxHeaderBytes: 2048 };

/** One header line: `name` in lower case (compact forms expanded), `value` trimmed. */
export interface SipHeader {
  readonly name: string;
  readonly value: string;
}

interface SipMessageBase {
  readonly headers: SipHeader[];
  readonly body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** Why a message was refused; `request` is set when it can still be answered (with a 400). */
export interface SipParseFailure {
  readonly ok: false;
  readonly reason: string;
  readonly request?: SipRequest;
}

export type SipParseResult = { readonly ok: true; readonly message: SipMessage } | SipParseFailure;

const compact: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from',
  s: 'subject', k: 'supported', t: 'to', v: 'via', r: 'refer-to', b: 'referred-by', o: 'event', u: 'allow-events', x: 'session-expires',
};
/** Headers whose comma-separated values are separate entries (RFC 3261 §7.3.1). */
const listHeaders = new Set(['via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require', 'unsupported']);
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/;
const REQUIRED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/** Reads the value of the first header `name` (lower case). */
export function header(msg: { readonly headers: readonly SipHeader[] }, name: string): string | undefined {
  for (const h of msg.headers) if (h.name === name) return h.value;
  return undefined;
}

/** Every value of header `name`, comma lists split (quoted commas kept). */
export function headerValues(msg: { readonly headers: readonly SipHeader[] }, name: string): string[] {
  const out: string[] = [];
  for (const h of msg.headers) if (h.name === name) out.push(...(listHeaders.has(name) ? splitList(h.value) : [h.value]));
  return out;
}

function splitList(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') angle = true;
    else if (!quoted && ch === '>') angle = false;
    else if (ch === ',' && !quoted && !angle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/** The CSeq header split into number and method. */
export function cseqOf(msg: SipMessage): { readonly seq: number; readonly method: string } {
  const [n, m] = (header(msg, 'cseq') ?? '').split(/\s+/);
  return { seq: Number(n), method: (m ?? '').toUpperCase() };
}

/** Where the head ends (index of the blank line), or -1. */
export function headEnd(buf: Buffer, from = 0): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

/**
 * Parses one message from `buf`. For a stream transport `buf` must be exactly one framed message
 * (see {@link SipStreamFramer}); for a datagram it is the whole datagram.
 * @param datagram true for UDP: a body longer than Content-Length is cut (RFC 3261 §18.3), a
 *   missing Content-Length means "the rest of the datagram".
 */
export function parseSipMessage(buf: Buffer, limits: SipParseLimits = defaultSipLimits, datagram = true): SipParseResult {
  if (buf.length > limits.maxMessageBytes) return { ok: false, reason: `message of ${buf.length} bytes exceeds ${limits.maxMessageBytes}` };
  // Leading CRLFs are keep-alives (RFC 5626) or junk between messages.
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  const end = headEnd(buf, start);
  if (end < 0) return { ok: false, reason: 'no end of header (truncated message)' };
  const head = buf.toString('latin1', start, end);
  if (/[\0]/.test(head)) return { ok: false, reason: 'NUL byte in header' };
  // Header folding (RFC 3261 §7.3.1): continuation lines start with white space.
  const lines = head.split('\r\n');
  const first = lines.shift() ?? '';
  const headers: SipHeader[] = [];
  let count = 0;
  for (const line of lines) {
    if (line.length > limits.maxHeaderBytes) return failure(first, headers, `header line of ${line.length} bytes exceeds ${limits.maxHeaderBytes}`);
    if (/^[ \t]/.test(line)) {
      const last = headers.pop();
      if (!last) return { ok: false, reason: 'continuation line before any header' };
      const value = `${last.value} ${line.trim()}`;
      if (value.length > limits.maxHeaderBytes) return failure(first, headers, 'folded header too long');
      headers.push({ name: last.name, value });
      continue;
    }
    if (++count > limits.maxHeaders) return failure(first, headers, `more than ${limits.maxHeaders} headers`);
    const colon = line.indexOf(':');
    if (colon <= 0) return failure(first, headers, `header line without a name: ${JSON.stringify(line.slice(0, 40))}`);
    const raw = line.slice(0, colon).trim();
    if (!TOKEN.test(raw)) return failure(first, headers, `bad header name ${JSON.stringify(raw.slice(0, 40))}`);
    const lower = raw.toLowerCase();
    headers.push({ name: compact[lower] ?? lower, value: line.slice(colon + 1).trim() });
  }
  const bodyStart = end + 4;
  const available = buf.length - bodyStart;
  const clHeaders = headers.filter((h) => h.name === 'content-length');
  let length = available;
  if (clHeaders.length > 1) return failure(first, headers, 'more than one Content-Length');
  if (clHeaders.length === 1) {
    const v = clHeaders[0]!.value;
    if (!/^\d{1,7}$/.test(v)) return failure(first, headers, `bad Content-Length ${JSON.stringify(v.slice(0, 20))}`);
    length = Number(v);
    if (length > available) return failure(first, headers, `Content-Length ${length} but only ${available} bytes of body`);
    if (!datagram && length < available) return failure(first, headers, `Content-Length ${length} but ${available} bytes follow`);
  } else if (!datagram) return failure(first, headers, 'no Content-Length on a stream transport');
  const body = Buffer.from(buf.subarray(bodyStart, bodyStart + length));
  const message = startLine(first, headers, body);
  if (typeof message === 'string') return { ok: false, reason: message };
  for (const name of REQUIRED) {
    if (!header(message, name)) return failure(first, headers, `no ${name} header`);
  }
  const cseq = cseqOf(message);
  if (!Number.isInteger(cseq.seq) || cseq.seq < 0 || cseq.seq > 2 ** 31 || !TOKEN.test(cseq.method)) return failure(first, headers, 'bad CSeq');
  if (message.kind === 'request' && cseq.method !== message.method && !(message.method === 'ACK' && cseq.method === 'ACK')) {
    return failure(first, headers, 'CSeq method differs from the request method');
  }
  if (!/;\s*branch=/i.test(header(message, 'via') ?? '') && message.kind === 'request') return failure(first, headers, 'Via without branch');
  const insane = message.kind === 'request' ? checkRanges(message) : undefined;
  if (insane) return failure(first, headers, insane);
  return { ok: true, message };
}

const VIA = /^SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d+))?\s*(?:;|,|$)/;

function portInRange(port: string | undefined): boolean {
  return port === undefined || (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535);
}

/**
 * Header values against their ranges (RFC 3261 §20, Kamailio's sanity checks): Max-Forwards 0–255,
 * Expires 0–2³²−1, the top Via's sent-by, and the ports of the Request-URI, From, To and Contact
 * 1–65535. Returns why the request is refused, or undefined.
 */
function checkRanges(req: SipRequest): string | undefined {
  const maxForwards = header(req, 'max-forwards');
  if (maxForwards !== undefined && !(/^\d{1,3}$/.test(maxForwards) && Number(maxForwards) <= 255)) return `Max-Forwards ${JSON.stringify(maxForwards.slice(0, 12))} out of range (0-255)`;
  for (const expires of headerValues(req, 'expires')) {
    if (!(/^\d{1,10}$/.test(expires) && Number(expires) <= 2 ** 32 - 1)) return `Expires ${JSON.stringify(expires.slice(0, 12))} out of range (0-4294967295)`;
  }
  const via = VIA.exec(header(req, 'via') ?? '');
  if (!via) return 'bad Via sent-by';
  if (!portInRange(via[1])) return `Via port ${via[1]!.slice(0, 10)} out of range (1-65535)`;
  if (/^sips?:/i.test(req.uri) && !parseSipUri(req.uri)) return 'bad Request-URI';
  for (const name of ['from', 'to'] as const) {
    const uri = uriOf(header(req, name) ?? '');
    if (!/^(sips?|tel):/i.test(uri) || (/^sips?:/i.test(uri) && !parseSipUri(uri))) return `bad ${name === 'from' ? 'From' : 'To'} URI`;
  }
  for (const contact of headerValues(req, 'contact')) {
    if (contact === '*' && req.method === 'REGISTER') continue;
    const uri = uriOf(contact);
    if (!/^[a-z][a-z0-9+.-]*:/i.test(uri) || (/^sips?:/i.test(uri) && !parseSipUri(uri))) return 'bad Contact URI';
    const expires = paramOf(contact, 'expires');
    if (expires !== undefined && !/^\d{1,10}$/.test(expires)) return `Contact expires ${JSON.stringify(expires.slice(0, 12))} out of range`;
  }
  return undefined;
}

function startLine(first: string, headers: SipHeader[], body: Buffer): SipMessage | string {
  const req = REQUEST_LINE.exec(first);
  if (req) {
    const uri = req[2]!;
    if (!/^(sips?|tel):/i.test(uri)) return `unsupported Request-URI scheme in ${JSON.stringify(uri.slice(0, 40))}`;
    return { kind: 'request', method: req[1]!.toUpperCase(), uri, headers, body };
  }
  const res = STATUS_LINE.exec(first);
  if (res) return { kind: 'response', status: Number(res[1]), reason: res[2] ?? '', headers, body };
  return `bad start line ${JSON.stringify(first.slice(0, 60))}`;
}

/** A failure that keeps enough of a request to answer it with 400 when its start line is good. */
function failure(first: string, headers: SipHeader[], reason: string): SipParseFailure {
  const req = REQUEST_LINE.exec(first);
  if (!req || req[1]!.toUpperCase() === 'ACK') return { ok: false, reason };
  const request: SipRequest = { kind: 'request', method: req[1]!.toUpperCase(), uri: req[2]!, headers, body: Buffer.alloc(0) };
  const answerable = REQUIRED.every((n) => header(request, n) !== undefined) && /;\s*branch=/i.test(header(request, 'via') ?? '');
  return answerable ? { ok: false, reason, request } : { ok: false, reason };
}

const canonical: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', www_authenticate: 'WWW-Authenticate', 'www-authenticate': 'WWW-Authenticate',
  'min-se': 'Min-SE', 'p-asserted-identity': 'P-Asserted-Identity', 'remote-party-id': 'Remote-Party-ID',
};

function headerName(name: string): string {
  return canonical[name] ?? name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/** Serializes a message; Content-Length is always written from the body. */
export function serializeSipMessage(msg: SipMessage): Buffer {
  const first = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const lines = [first];
  for (const h of msg.headers) if (h.name !== 'content-length') lines.push(`${headerName(h.name)}: ${h.value}`);
  lines.push(`Content-Length: ${msg.body.length}`, '', '');
  const head = Buffer.from(lines.join('\r\n'), 'latin1');
  return msg.body.length ? Buffer.concat([head, msg.body]) : head;
}

/**
 * Frames messages on a stream (TCP): collects bytes, cuts one message at a time by Content-Length,
 * and refuses a stream that goes past the limits (the caller then closes the connection).
 */
export class SipStreamFramer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: SipParseLimits = defaultSipLimits) {}

  /** Adds bytes; returns the complete messages (raw) or an error string when the stream is bad. */
  push(chunk: Buffer): { readonly messages: Buffer[]; readonly error?: string } {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const messages: Buffer[] = [];
    for (;;) {
      let start = 0;
      while (start + 1 < this.buffer.length && this.buffer[start] === 13 && this.buffer[start + 1] === 10) start += 2;
      if (start) this.buffer = this.buffer.subarray(start);
      const end = headEnd(this.buffer);
      if (end < 0) {
        if (this.buffer.length > this.limits.maxMessageBytes) return { messages, error: 'header longer than the message limit' };
        return { messages };
      }
      const head = this.buffer.toString('latin1', 0, end);
      const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,7})[ \t]*(?:\r\n|$)/i.exec(head);
      if (!m) return { messages, error: 'no Content-Length on a stream transport' };
      const total = end + 4 + Number(m[1]);
      if (total > this.limits.maxMessageBytes) return { messages, error: `message of ${total} bytes exceeds ${this.limits.maxMessageBytes}` };
      if (this.buffer.length < total) return { messages };
      messages.push(Buffer.from(this.buffer.subarray(0, total)));
      this.buffer = this.buffer.subarray(total);
    }
  }
}

/** A URI inside a name-addr or addr-spec (`"Ann" <sip:ann@h>;tag=1` → `sip:ann@h`). */
export function uriOf(value: string): string {
  const lt = value.indexOf('<');
  if (lt >= 0) return value.slice(lt + 1, value.indexOf('>', lt)).trim();
  return (value.split(';')[0] ?? '').trim();
}

/** A header parameter (`tag`, `branch`, `expires`…) outside the angle brackets. */
export function paramOf(value: string, name: string): string | undefined {
  const gt = value.lastIndexOf('>');
  const tail = gt >= 0 ? value.slice(gt + 1) : value;
  for (const part of tail.split(';').slice(1)) {
    const [k, v] = part.split('=');
    if (k?.trim().toLowerCase() === name) return (v ?? '').trim();
  }
  return undefined;
}

/** Parts of a SIP URI: user, host, port and parameters (`transport`). */
export interface SipUri {
  readonly scheme: string;
  readonly user: string | undefined;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `sip:user@host:port;params`; undefined when it is not a SIP URI or its port is not 1–65535. */
export function parseSipUri(uri: string): SipUri | undefined {
  const m = /^(sips?):(?:([^@;]+)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?((?:;[^?]*)?)/i.exec(uri.trim());
  if (!m || !portInRange(m[4])) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[5] ?? '').split(';').slice(1)) {
    const [k, v] = p.split('=');
    if (k) params[k.toLowerCase()] = v ?? '';
  }
  const user = m[2]?.split(':')[0];
  return { scheme: m[1]!.toLowerCase(), user: user ? decodeUser(user) : undefined, host: m[3]!, port: m[4] ? Number(m[4]) : undefined, params };
}

/** A URI's user part with its escapes decoded; a broken escape (`%E0%A4%A`) is kept as written instead of throwing. */
function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

/** A new random token (branch suffix, tag, Call-ID). */
export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
