// A scriptable SIP phone for call-control tests: a real SIP user agent over UDP on loopback (it calls,
// answers, is put on hold, gets BYE or CANCEL) with a real RTP socket that sends a sine tone of a known
// frequency in 20 ms G.711 frames and keeps what it receives (decoded audio with arrival times, and
// RFC 4733 telephone-events), so that a test can tell who hears whom.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/** What a phone does with an INVITE it receives. */
export type AnswerMode = 'answer' | 'busy' | 'ring';

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/** The `Authorization` value answering a digest challenge (RFC 2617, MD5, qop=auth when offered). */
export function digestAnswer(challenge: string, method: string, uri: string, user: string, password: string): string {
  const field = (name: string): string | undefined => new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge)?.[1];
  const realm = field('realm') ?? '';
  const nonce = field('nonce') ?? '';
  const qop = /qop="?[^"]*\bauth\b/i.test(challenge);
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5${qop ? `, qop=auth, nc=${nc}, cnonce="${cnonce}"` : ''}`;
}

/** A request the phone received. */
export interface SeenRequest {
  readonly method: string;
  readonly at: number;
  /** The SDP direction of a (re-)INVITE, when it had a body. */
  readonly direction?: string;
}

/** A telephone-event packet received. */
export interface SeenEvent {
  readonly at: number;
  readonly pt: number;
  readonly event: number;
  readonly end: boolean;
  readonly duration: number;
  readonly ts: number;
  readonly marker: boolean;
}

interface Dialog {
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  remoteTarget: string;
  readonly remoteUri: string;
  readonly localUri: string;
  readonly dest: { host: string; port: number };
  seq: number;
  ended: boolean;
  answered: boolean;
  invite: string | undefined;
}

const LOOPBACK = '127.0.0.1';

function ulaw(u: number): number {
  u = ~u & 0xff;
  const sample = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84;
  return u & 0x80 ? -sample : sample;
}
function alaw(a: number): number {
  a ^= 0x55;
  const e = (a >> 4) & 7;
  const m = a & 0x0f;
  const s = e === 0 ? (m << 4) + 8 : ((m << 4) + 0x108) << (e - 1);
  return a & 0x80 ? s : -s;
}
const ULAW = new Int16Array(256).map((_, i) => ulaw(i));
const ALAW = new Int16Array(256).map((_, i) => alaw(i));
const ENC_ULAW = new Uint8Array(65536);
const ENC_ALAW = new Uint8Array(65536);
// Encoding by nearest decoded value is exact enough for test tones.
for (const [dec, enc] of [[ULAW, ENC_ULAW], [ALAW, ENC_ALAW]] as const) {
  const order = [...dec.keys()].sort((a, b) => dec[a]! - dec[b]!);
  let k = 0;
  for (let v = -32768; v < 32768; v++) {
    while (k + 1 < order.length && Math.abs(dec[order[k + 1]!]! - v) <= Math.abs(dec[order[k]!]! - v)) k++;
    enc[v & 0xffff] = order[k]!;
  }
}

/** Amplitude of `hz` in `samples` (Goertzel; `rate` samples a second), in 16-bit units: a sine of amplitude A gives about A. */
export function toneLevel(samples: Int16Array, hz: number, rate = 8000): number {
  if (samples.length === 0) return 0;
  const w = (2 * Math.PI * hz) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s = x + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / samples.length;
}

/** RMS of samples, in 16-bit units. */
export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return samples.length ? Math.sqrt(sum / samples.length) : 0;
}

/** Writes 16-bit 8 kHz mono samples as a WAV file (for sox). */
export function writeWav(path: string, samples: Int16Array): string {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(36 + data.length, 4);
  head.write('WAVEfmt ', 8, 'latin1');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(1, 22);
  head.writeUInt32LE(8000, 24);
  head.writeUInt32LE(16000, 28);
  head.writeUInt16LE(2, 32);
  head.writeUInt16LE(16, 34);
  head.write('data', 36, 'latin1');
  head.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([head, data]));
  return path;
}

export class TestPhone {
  /** Every request received, in order. */
  readonly requests: SeenRequest[] = [];
  /** Audio received: decoded 20 ms frames with their arrival time. */
  readonly audio: { readonly at: number; readonly samples: Int16Array }[] = [];
  readonly events: SeenEvent[] = [];
  /** RTP packets of audio (G.711, payload types 0 and 8) received, kept in `audio` or not. */
  audioPackets = 0;
  /** Final responses received to our INVITEs. */
  readonly finals: number[] = [];
  answerMode: AnswerMode = 'answer';
  answerAfterMs = 100;
  private readonly dialogs = new Map<string, Dialog>();
  private remoteRtp: { host: string; port: number } | undefined;
  private toneTimer: NodeJS.Timeout | undefined;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private rtpSeq = 0;
  private rtpTs = 0;
  private phase = 0;
  private sentFrames = 0;
  private toneStart = 0;
  private timers = new Set<NodeJS.Timeout>();
  /** Registrations under way, failed by close(). */
  private readonly registering = new Set<(err: Error) => void>();
  private waiting: { resolve: (d: Dialog) => void; reject: (e: Error) => void; callId: string } | undefined;

  private constructor(
    readonly name: string,
    private readonly sip: Socket,
    private readonly rtp: Socket,
    readonly sipPort: number,
    readonly rtpPort: number,
    readonly codec: 0 | 8,
    /** Payload type of telephone-event offered and answered (undefined: none). */
    readonly eventPt: number | undefined,
    /** Frequency of the tone this phone sends (0: silence). */
    public hz: number,
    /** Whether received audio is kept in `audio` (false: only counted in `audioPackets`). */
    private readonly keepAudio: boolean,
    /** How long an ended dialog is kept to answer retransmissions (then forgotten). */
    private readonly lingerMs: number,
  ) {
    sip.on('message', (buf, rinfo) => this.onSip(buf.toString('latin1'), rinfo));
    rtp.on('message', (buf) => this.onRtp(buf));
  }

  /**
   * Opens a phone (SIP and RTP sockets on loopback). `keepAudio: false` (default true) keeps no
   * received audio frames, only counts them in `audioPackets`: for long load runs. An ended call is
   * forgotten `lingerMs` after it ended (default 32 s, SIP's 64×T1, to answer retransmissions), so
   * a phone that takes many calls holds only the recent ones.
   */
  static async open(
    name: string,
    options: { readonly hz?: number; readonly codec?: 0 | 8; readonly eventPt?: number | null; readonly keepAudio?: boolean; readonly lingerMs?: number } = {},
  ): Promise<TestPhone> {
    const bind = async (): Promise<[Socket, number]> => {
      const s = createSocket('udp4');
      s.on('error', () => undefined);
      const port = await new Promise<number>((resolve) => s.bind(0, LOOPBACK, () => resolve(s.address().port)));
      return [s, port];
    };
    const [sip, sipPort] = await bind();
    const [rtp, rtpPort] = await bind();
    const eventPt = options.eventPt === null ? undefined : options.eventPt ?? 101;
    return new TestPhone(name, sip, rtp, sipPort, rtpPort, options.codec ?? 0, eventPt, options.hz ?? 0, options.keepAudio ?? true, options.lingerMs ?? 32_000);
  }

  /** The URI the adapter reaches this phone at. */
  get uri(): string {
    return `sip:${this.name}@${LOOPBACK}:${this.sipPort}`;
  }

  private sdp(direction = 'sendrecv'): string {
    const pts = [this.codec, ...(this.eventPt !== undefined ? [this.eventPt] : [])];
    return `v=0\r\no=${this.name} 1 1 IN IP4 ${LOOPBACK}\r\ns=-\r\nc=IN IP4 ${LOOPBACK}\r\nt=0 0\r\n` +
      `m=audio ${this.rtpPort} RTP/AVP ${pts.join(' ')}\r\na=rtpmap:${this.codec} ${this.codec === 0 ? 'PCMU' : 'PCMA'}/8000\r\n` +
      (this.eventPt !== undefined ? `a=rtpmap:${this.eventPt} telephone-event/8000\r\na=fmtp:${this.eventPt} 0-15\r\n` : '') +
      `a=ptime:20\r\na=${direction}\r\n`;
  }

  private send(text: string, to: { host: string; port: number }): void {
    this.sip.send(Buffer.from(text, 'latin1'), to.port, to.host);
  }

  private useSdp(body: string): void {
    const host = /c=IN IP4 (\S+)/.exec(body)?.[1];
    const port = /m=audio (\d+)/.exec(body)?.[1];
    if (host && port && host !== '0.0.0.0') this.remoteRtp = { host, port: Number(port) };
  }

  /** Calls the adapter at `port` (as a customer); resolves once answered (200, ACK sent). */
  call(port: number, user = '100'): Promise<void> {
    const callId = `${randomBytes(6).toString('hex')}@${this.name}`;
    const dialog: Dialog = {
      callId, localTag: randomBytes(4).toString('hex'), remoteTag: '', remoteTarget: `sip:${user}@${LOOPBACK}:${port}`,
      remoteUri: `<sip:${user}@${LOOPBACK}:${port}>`, localUri: `<sip:${this.name}@${LOOPBACK}:${this.sipPort}>`,
      dest: { host: LOOPBACK, port }, seq: 1, ended: false, answered: false, invite: undefined,
    };
    this.dialogs.set(callId, dialog);
    this.send(this.request(dialog, 'INVITE', this.sdp()), dialog.dest);
    return new Promise<void>((resolve, reject) => {
      this.waiting = { callId, resolve: () => resolve(), reject };
    });
  }

  private request(d: Dialog, method: string, body = '', seq = d.seq): string {
    return `${method} ${d.remoteTarget} SIP/2.0\r\nVia: SIP/2.0/UDP ${LOOPBACK}:${this.sipPort};branch=z9hG4bK${randomBytes(6).toString('hex')};rport\r\n` +
      `From: ${d.localUri};tag=${d.localTag}\r\nTo: ${d.remoteUri}${d.remoteTag ? `;tag=${d.remoteTag}` : ''}\r\n` +
      `Call-ID: ${d.callId}\r\nCSeq: ${seq} ${method}\r\nMax-Forwards: 70\r\nContact: <sip:${this.name}@${LOOPBACK}:${this.sipPort}>\r\n` +
      (body ? 'Content-Type: application/sdp\r\n' : '') + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }

  private respond(req: string, to: RemoteInfo | { address: string; port: number }, status: number, reason: string, toTag?: string, body = ''): void {
    const keep = req.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq|v|f|t|i):/i.test(l))
      .map((l) => (toTag && /^(To|t):/i.test(l) && !/;tag=/i.test(l) ? `${l};tag=${toTag}` : l));
    const type = body ? 'Content-Type: application/sdp\r\n' : '';
    const contact = `Contact: <sip:${this.name}@${LOOPBACK}:${this.sipPort}>\r\n`;
    this.send(`SIP/2.0 ${status} ${reason}\r\n${keep.join('\r\n')}\r\n${contact}${type}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, { host: to.address, port: to.port });
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private onSip(text: string, rinfo: RemoteInfo): void {
    const [head = '', body = ''] = text.split('\r\n\r\n');
    const h = (name: string) => new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, 'i').exec(head)?.[1] ?? '';
    const callId = h('Call-ID');
    const status = /^SIP\/2\.0 (\d{3})/.exec(head)?.[1];
    if (status !== undefined) return this.onResponse(Number(status), head, body, callId);
    const method = /^([A-Z]+) /.exec(head)?.[1] ?? '';
    const direction = body ? /a=(sendrecv|sendonly|recvonly|inactive)/.exec(body)?.[1] ?? 'sendrecv' : undefined;
    this.requests.push({ method, at: Date.now(), ...(direction ? { direction } : {}) });
    const d = this.dialogs.get(callId);
    switch (method) {
      case 'INVITE': {
        if (d) {
          // A re-INVITE (hold or resume): answered with the mirrored direction.
          if (body) this.useSdp(body);
          const answer = direction === 'sendonly' ? 'recvonly' : direction === 'recvonly' ? 'sendonly' : direction ?? 'sendrecv';
          return this.respond(text, rinfo, 200, 'OK', undefined, this.sdp(answer));
        }
        const fromTag = /;tag=([^;\s]+)/.exec(h('From'))?.[1] ?? '';
        const dialog: Dialog = {
          callId, localTag: randomBytes(4).toString('hex'), remoteTag: fromTag, remoteTarget: /<([^>]+)>/.exec(h('Contact'))?.[1] ?? '',
          remoteUri: h('From').replace(/;tag=[^;]*/, ''), localUri: h('To'), dest: { host: rinfo.address, port: rinfo.port },
          seq: 1, ended: false, answered: false, invite: text,
        };
        this.dialogs.set(callId, dialog);
        this.useSdp(body);
        this.respond(text, rinfo, 100, 'Trying');
        if (this.answerMode === 'busy') return this.respond(text, rinfo, 486, 'Busy Here', dialog.localTag);
        this.respond(text, rinfo, 180, 'Ringing', dialog.localTag);
        if (this.answerMode === 'ring') return;
        this.later(() => {
          if (dialog.ended) return;
          dialog.answered = true;
          this.respond(text, rinfo, 200, 'OK', dialog.localTag, this.sdp());
        }, this.answerAfterMs);
        return;
      }
      case 'BYE':
        this.respond(text, rinfo, d ? 200 : 481, d ? 'OK' : 'Call/Transaction Does Not Exist');
        if (d) this.ended(d);
        return;
      case 'CANCEL':
        this.respond(text, rinfo, 200, 'OK');
        if (d?.invite && !d.answered) {
          this.ended(d);
          this.respond(d.invite, rinfo, 487, 'Request Terminated', d.localTag);
        }
        return;
      case 'ACK':
        return;
      default:
        this.respond(text, rinfo, 200, 'OK');
    }
  }

  private onResponse(status: number, head: string, body: string, callId: string): void {
    const d = this.dialogs.get(callId);
    if (!d || !/CSeq:\s*\d+ INVITE/i.test(head) || status < 200) return;
    const to = /\r\nTo:\s*([^\r]*)/i.exec(head)?.[1] ?? '';
    d.remoteTag = /;tag=([^;\s]+)/.exec(to)?.[1] ?? '';
    const contact = /\r\nContact:\s*<([^>]+)>/i.exec(head)?.[1];
    if (contact) d.remoteTarget = contact;
    const seq = Number(/CSeq:\s*(\d+)/i.exec(head)?.[1] ?? '1');
    if (!this.finals.includes(status) || status < 300) this.finals.push(status);
    if (status >= 300) {
      this.ended(d);
      this.send(this.request(d, 'ACK', '', seq), d.dest);
      if (this.waiting?.callId === callId) this.waiting.reject(new Error(`${this.name}: INVITE answered ${status}`));
      this.waiting = undefined;
      return;
    }
    this.send(this.request(d, 'ACK', '', seq), d.dest);
    if (body) this.useSdp(body);
    d.answered = true;
    if (this.waiting?.callId === callId) this.waiting.resolve(d);
    this.waiting = undefined;
  }

  /**
   * Registers this phone as `user` with the registrar (default host loopback) from the phone's own SIP
   * socket, so that the registrar reaches the phone where the REGISTER came from; answers one digest
   * challenge (401 with WWW-Authenticate) with `password`. Resolves on 200; rejects when the registrar
   * refuses (any other final answer, or a second challenge) or does not answer within `timeoutMs`
   * (default 5000).
   */
  register(registrar: { readonly host?: string; readonly port: number }, user: string, password: string, opts: { readonly expires?: number; readonly timeoutMs?: number } = {}): Promise<void> {
    const host = registrar.host ?? LOOPBACK;
    const port = registrar.port;
    const timeoutMs = opts.timeoutMs ?? 5000;
    const expires = opts.expires ?? 3600;
    const callId = `reg-${randomBytes(6).toString('hex')}@${user}`;
    const tag = randomBytes(4).toString('hex');
    const uri = `sip:${host}:${port}`;
    const request = (cseq: number, authorization?: string): string =>
      `REGISTER ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP ${LOOPBACK}:${this.sipPort};branch=z9hG4bK${randomBytes(6).toString('hex')};rport\r\n` +
      `From: <sip:${user}@${host}:${port}>;tag=${tag}\r\nTo: <sip:${user}@${host}:${port}>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\nContact: <${this.uri}>\r\nExpires: ${expires}\r\nMax-Forwards: 70\r\n` +
      (authorization ? `Authorization: ${authorization}\r\n` : '') + 'Content-Length: 0\r\n\r\n';
    const socket = this.sip;
    return new Promise<void>((resolve, reject) => {
      let cseq = 1;
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.registering.delete(fail);
        socket.off('message', onMessage);
        if (err) reject(err);
        else resolve();
      };
      const onMessage = (buf: Buffer): void => {
        const text = buf.toString('latin1');
        if (!text.startsWith('SIP/2.0 ') || !text.includes(callId)) return;
        const status = Number(text.slice(8, 11));
        if (status < 200) return;
        if (status === 200) return done();
        const challenge = /\r\nWWW-Authenticate:\s*([^\r]*)/i.exec(text)?.[1];
        if (status === 401 && challenge && cseq === 1) {
          cseq++;
          this.send(request(cseq, digestAnswer(challenge, 'REGISTER', uri, user, password)), { host, port });
          return;
        }
        done(new Error(`the registrar answered ${status} to the REGISTER of ${user}`));
      };
      const fail = (err: Error): void => done(err);
      const timer = setTimeout(() => done(new Error(`the registrar did not answer the REGISTER of ${user} in ${timeoutMs} ms`)), timeoutMs);
      this.timers.add(timer);
      this.registering.add(fail);
      socket.on('message', onMessage);
      this.send(request(cseq), { host, port });
    });
  }

  /** Hangs up every dialog with BYE. */
  hangUp(): void {
    for (const d of this.dialogs.values()) {
      if (d.ended || !d.answered) continue;
      this.ended(d);
      d.seq++;
      this.send(this.request(d, 'BYE'), d.dest);
    }
  }

  /** Marks a dialog ended; it is forgotten `lingerMs` later (a retransmitted BYE is answered meanwhile). */
  private ended(d: Dialog): void {
    if (d.ended) return;
    d.ended = true;
    this.later(() => {
      if (this.dialogs.get(d.callId) === d) this.dialogs.delete(d.callId);
    }, this.lingerMs);
  }

  /** How many calls the phone knows: up, ringing, or ended less than `lingerMs` ago. */
  get calls(): number {
    return this.dialogs.size;
  }

  /** Whether the phone has a dialog that is up. */
  get connected(): boolean {
    return [...this.dialogs.values()].some((d) => d.answered && !d.ended);
  }

  /** Requests of a method received so far. */
  seen(method: string): SeenRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  // ---------------------------------------------------------------- media

  /** Starts sending the tone (`hz`, amplitude 8000) in 20 ms frames to the far end of the last SDP. */
  startMedia(): void {
    if (this.toneTimer) return;
    this.toneStart = Date.now();
    this.sentFrames = 0;
    this.toneTimer = setInterval(() => {
      const due = Math.floor((Date.now() - this.toneStart) / 20);
      for (let n = 0; this.sentFrames < due && n < 5; n++) this.sendFrame();
      this.sentFrames = Math.max(this.sentFrames, due - 5);
    }, 10);
  }

  private sendFrame(): void {
    this.sentFrames++;
    if (!this.remoteRtp) return;
    const pkt = Buffer.alloc(12 + 160);
    pkt[0] = 0x80;
    pkt[1] = this.codec;
    pkt.writeUInt16BE(this.rtpSeq, 2);
    pkt.writeUInt32BE(this.rtpTs >>> 0, 4);
    pkt.writeUInt32BE(this.ssrc, 8);
    const enc = this.codec === 0 ? ENC_ULAW : ENC_ALAW;
    for (let i = 0; i < 160; i++) {
      const v = this.hz > 0 ? Math.round(8000 * Math.sin(this.phase)) : 0;
      this.phase += (2 * Math.PI * this.hz) / 8000;
      pkt[12 + i] = enc[v & 0xffff]!;
    }
    this.phase %= 2 * Math.PI;
    this.rtpSeq = (this.rtpSeq + 1) & 0xffff;
    this.rtpTs += 160;
    this.rtp.send(pkt, this.remoteRtp.port, this.remoteRtp.host);
  }

  stopMedia(): void {
    if (this.toneTimer) clearInterval(this.toneTimer);
    this.toneTimer = undefined;
  }

  private onRtp(buf: Buffer): void {
    if (buf.length < 12 || buf[0]! >> 6 !== 2) return;
    const pt = buf[1]! & 0x7f;
    const payload = buf.subarray(12 + 4 * (buf[0]! & 0x0f));
    const at = Date.now();
    if (pt === 0 || pt === 8) {
      this.audioPackets++;
      if (!this.keepAudio) return;
      const table = pt === 0 ? ULAW : ALAW;
      this.audio.push({ at, samples: Int16Array.from(payload, (b) => table[b]!) });
      return;
    }
    if (payload.length >= 4) {
      this.events.push({
        at, pt, event: payload[0]!, end: (payload[1]! & 0x80) !== 0, duration: payload.readUInt16BE(2), ts: buf.readUInt32BE(4), marker: (buf[1]! & 0x80) !== 0,
      });
    }
  }

  /** The audio received between two instants (ms since the epoch), joined. */
  heard(from: number, to = Date.now()): Int16Array {
    const parts = this.audio.filter((a) => a.at >= from && a.at < to).map((a) => a.samples);
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let k = 0;
    for (const p of parts) {
      out.set(p, k);
      k += p.length;
    }
    return out;
  }

  /** Packets of audio received between two instants. */
  packets(from: number, to = Date.now()): number {
    return this.audio.filter((a) => a.at >= from && a.at < to).length;
  }

  async close(): Promise<void> {
    this.stopMedia();
    for (const fail of [...this.registering]) fail(new Error(`${this.name}: closed while registering`));
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([this.sip, this.rtp].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/**
 * The phones a test opens, each with its media started, closed together after it:
 * `const phones = new PhoneSet()`, `await phones.open('agent', { hz: 1000 })`, `await phones.close()`.
 */
export class PhoneSet {
  private readonly phones = new Set<TestPhone>();

  /** Opens a phone ({@link TestPhone.open}) and starts sending its tone. */
  async open(name: string, options: Parameters<typeof TestPhone.open>[1] = {}): Promise<TestPhone> {
    const p = await TestPhone.open(name, options);
    this.phones.add(p);
    p.startMedia();
    return p;
  }

  /** Closes every phone opened so far. */
  async close(): Promise<void> {
    const all = [...this.phones];
    this.phones.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}

/**
 * Listens for `ms` after a settling time (media paths change when a call is bridged, held or
 * mixed); resolves with the level of a frequency a phone heard in that window.
 */
export async function listen(ms = 700, settleMs = 300): Promise<(p: TestPhone, hz: number) => number> {
  const sleep = (x: number): Promise<void> => new Promise((r) => setTimeout(r, x));
  await sleep(settleMs);
  const from = Date.now();
  await sleep(ms);
  const to = Date.now();
  return (p, hz) => Math.round(toneLevel(p.heard(from, to), hz));
}
