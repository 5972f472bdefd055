import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Disposable, Emitter, silentLogger, type Logger } from '@caruso/kernel';
import { CommsErrors } from '../errors.js';
import { decodeG711, encodeG711, transcodeG711, type G711PayloadType } from './g711.js';

/**
 * RTP (RFC 3550) media anchored in Caruso: one UDP socket per call leg, 20 ms G.711 frames sent on
 * one shared media clock, received audio decoded for recording, RFC 4733 telephone-events turned
 * into digits, and a relay between two legs (the B2BUA's media path).
 */

const FRAME = 160; // samples per 20 ms at 8 kHz
const DIGITS = '0123456789*#ABCD';

/** Reception figures of one leg. */
export interface RtpStats {
  packetsReceived: number;
  packetsSent: number;
  /** Packets missing by sequence number (RFC 3550 §6.4.1 cumulative lost, never negative). */
  packetsLost: number;
}

interface Playback {
  readonly samples: Int16Array;
  offset: number;
  readonly done: (interrupted: boolean) => void;
}

/** One call leg's media. */
export class RtpSession extends Disposable {
  private readonly _onDidDtmf = this.register(new Emitter<string>());
  /** A digit from an RFC 4733 telephone-event (once per event). */
  readonly onDidDtmf = this._onDidDtmf.event;
  readonly stats: RtpStats = { packetsReceived: 0, packetsSent: 0, packetsLost: 0 };
  /** Where we send: from the far end's SDP, then latched to where its packets come from. */
  remote: { host: string; port: number } | undefined;
  codec: G711PayloadType = 0;
  dtmfPayloadType: number | undefined;
  /** False while the far end is on hold (sendonly/inactive from us): nothing is sent. */
  sending = true;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private seq = randomBytes(2).readUInt16BE(0);
  private timestamp = randomBytes(4).readUInt32BE(0);
  private marker = true;
  private playback: Playback | undefined;
  private recording: Int16Array[] | undefined;
  private relay: RtpSession | undefined;
  private relayOffset: number | undefined;
  private lastEventTs: number | undefined;
  private latched = false;
  private baseSeq: number | undefined;
  private maxSeq = 0;
  private cycles = 0;
  private sourceSsrc: number | undefined;
  private lostBefore = 0;
  private receivedBefore = 0;
  nextFrameAt = 0;

  constructor(private readonly socket: Socket, readonly port: number, private readonly engine: RtpMediaEngine) {
    super();
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo.address, rinfo.port));
  }

  /** Plays samples to the far end; `done(interrupted)` when they ran out or were stopped. */
  play(samples: Int16Array, done: (interrupted: boolean) => void): void {
    this.stopPlayback(true);
    this.playback = { samples, offset: 0, done };
    this.nextFrameAt = this.engine.now();
    this.engine.schedule(this);
  }

  /** Stops the current prompt (its `done(interrupted)` fires). */
  stopPlayback(interrupted: boolean): void {
    const p = this.playback;
    this.playback = undefined;
    if (p) p.done(interrupted);
  }

  get playing(): boolean {
    return this.playback !== undefined;
  }

  /** Starts keeping received audio. */
  startRecording(): void {
    this.recording = [];
  }

  /** Stops keeping received audio and returns it. */
  stopRecording(): Int16Array {
    const parts = this.recording ?? [];
    this.recording = undefined;
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Forwards what this leg receives to `other` (undefined stops). */
  relayTo(other: RtpSession | undefined): void {
    this.relay = other;
    this.relayOffset = undefined;
  }

  /** Called by the media clock: sends the frames that are due. */
  tick(now: number): boolean {
    const p = this.playback;
    if (!p) return false;
    let sent = 0;
    while (this.nextFrameAt <= now && sent < 5) {
      const frame = p.samples.subarray(p.offset, p.offset + FRAME);
      if (frame.length === 0) {
        this.playback = undefined;
        p.done(false);
        return false;
      }
      let padded = frame;
      if (frame.length < FRAME) {
        padded = new Int16Array(FRAME);
        padded.set(frame);
      }
      if (this.sending) this.sendPayload(this.codec, encodeG711(padded, this.codec), FRAME);
      else this.timestamp = (this.timestamp + FRAME) >>> 0;
      p.offset += FRAME;
      this.nextFrameAt += 20;
      sent++;
    }
    if (this.nextFrameAt <= now) this.nextFrameAt = now + 20; // fell behind: skip rather than burst
    return true;
  }

  private sendPayload(pt: number, payload: Uint8Array, samples: number, ts?: number, marker = false): void {
    if (!this.remote) return;
    const packet = Buffer.allocUnsafe(12 + payload.length);
    packet[0] = 0x80;
    packet[1] = (this.marker || marker ? 0x80 : 0) | pt;
    this.marker = false;
    packet.writeUInt16BE(this.seq, 2);
    packet.writeUInt32BE(ts ?? this.timestamp, 4);
    packet.writeUInt32BE(this.ssrc, 8);
    packet.set(payload, 12);
    this.seq = (this.seq + 1) & 0xffff;
    if (ts === undefined) this.timestamp = (this.timestamp + samples) >>> 0;
    this.stats.packetsSent++;
    this.socket.send(packet, this.remote.port, this.remote.host);
  }

  private receive(buf: Buffer, host: string, port: number): void {
    if (buf.length < 12 || buf[0]! >> 6 !== 2) return;
    const pt = buf[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return; // RTCP on the RTP port (RFC 5761): not used here
    if (this.remote && host !== this.remote.host) {
      // Symmetric RTP: a far end behind NAT sends from another address than its SDP says; follow the
      // first such source only. Other ports of the SDP's host are accepted (a phone may send DTMF and
      // audio from different sockets) without moving where we send.
      if (this.latched) return;
      this.remote = { host, port };
    }
    this.latched = true;
    let offset = 12 + 4 * (buf[0]! & 0x0f);
    if (buf[0]! & 0x10) {
      if (buf.length < offset + 4) return;
      offset += 4 + 4 * buf.readUInt16BE(offset + 2);
    }
    let end = buf.length;
    if (buf[0]! & 0x20) end -= buf[buf.length - 1]!;
    if (offset > end) return;
    const seq = buf.readUInt16BE(2);
    const ts = buf.readUInt32BE(4);
    this.track(seq, buf.readUInt32BE(8));
    const payload = buf.subarray(offset, end);
    if (pt === this.dtmfPayloadType) {
      this.onEvent(payload, ts);
      if (this.relay?.dtmfPayloadType !== undefined) this.relay.forward(this.relay.dtmfPayloadType, payload, ts, 0, (buf[1]! & 0x80) !== 0);
      return;
    }
    if (pt !== 0 && pt !== 8) return;
    if (this.recording) this.recording.push(decodeG711(payload, pt));
    if (this.relay) this.relay.forward(this.relay.codec, transcodeG711(payload, pt, this.relay.codec), ts, payload.length, false);
  }

  /** Sends a relayed packet keeping the source's timing (a constant timestamp offset). */
  private forward(pt: number, payload: Uint8Array, sourceTs: number, samples: number, marker: boolean): void {
    if (!this.sending || this.playback) return;
    this.relayOffset ??= (this.timestamp - sourceTs) >>> 0;
    const ts = (sourceTs + this.relayOffset) >>> 0;
    this.sendPayload(pt, payload, samples, ts, marker);
    this.timestamp = (ts + samples) >>> 0;
  }

  private track(seq: number, ssrc: number): void {
    this.stats.packetsReceived++;
    if (ssrc !== this.sourceSsrc) {
      // A new source (another stream of the far end): losses so far are kept, counting starts again.
      this.sourceSsrc = ssrc;
      this.lostBefore = this.stats.packetsLost;
      this.receivedBefore = this.stats.packetsReceived - 1;
      this.baseSeq = undefined;
      this.cycles = 0;
    }
    if (this.baseSeq === undefined) {
      this.baseSeq = seq;
      this.maxSeq = seq;
      return;
    }
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta > 0 && delta < 0x8000) {
      if (seq < this.maxSeq) this.cycles += 0x10000;
      this.maxSeq = seq;
    }
    const expected = this.cycles + this.maxSeq - this.baseSeq + 1;
    this.stats.packetsLost = this.lostBefore + Math.max(0, expected - (this.stats.packetsReceived - this.receivedBefore));
  }

  private onEvent(payload: Buffer, ts: number): void {
    if (payload.length < 4) return;
    const event = payload[0]!;
    // A new event has a new timestamp; its repeats and end packets share it (RFC 4733 §2.5).
    if (ts === this.lastEventTs || event >= DIGITS.length) return;
    this.lastEventTs = ts;
    this._onDidDtmf.fire(DIGITS[event]!);
  }

  /** Delivers a digit that arrived another way (SIP INFO). */
  injectDtmf(digit: string): void {
    this._onDidDtmf.fire(digit);
  }

  override dispose(): void {
    this.stopPlayback(true);
    this.relay = undefined;
    this.engine.release(this);
    try {
      this.socket.close();
    } catch {
      // already closed
    }
    super.dispose();
  }
}

/** Options of an {@link RtpMediaEngine}. */
export interface RtpMediaEngineOptions {
  /** Address to bind RTP sockets to. */
  readonly host: string;
  /** Port range (even ports are used), default 20000–29998. */
  readonly minPort?: number;
  readonly maxPort?: number;
  readonly logger?: Logger;
}

/** Allocates RTP ports and runs the one media clock that paces every prompt. */
export class RtpMediaEngine extends Disposable {
  private readonly sessions = new Set<RtpSession>();
  private readonly active = new Set<RtpSession>();
  private readonly ports = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private next: number;
  private readonly min: number;
  private readonly max: number;
  private readonly logger: Logger;
  private readonly origin = performance.now();

  constructor(private readonly options: RtpMediaEngineOptions) {
    super();
    this.min = options.minPort ?? 20000;
    this.max = options.maxPort ?? 29998;
    this.next = this.min + 2 * Math.floor(Math.random() * ((this.max - this.min) / 2));
    this.logger = options.logger ?? silentLogger();
  }

  /** Milliseconds on the media clock. */
  now(): number {
    return performance.now() - this.origin;
  }

  /** Opens a session on a free even port of the range. */
  async open(): Promise<RtpSession> {
    const span = Math.floor((this.max - this.min) / 2) + 1;
    for (let tries = 0; tries < span; tries++) {
      const port = this.next;
      this.next = this.next + 2 > this.max ? this.min : this.next + 2;
      if (this.ports.has(port)) continue;
      const socket = createSocket('udp4');
      const ok = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(port, this.options.host, () => resolve(true));
      });
      if (!ok) {
        socket.close();
        continue;
      }
      socket.on('error', (err) => this.logger.debug({ err }, 'RTP socket error'));
      this.ports.add(port);
      const session = new RtpSession(socket, port, this);
      this.sessions.add(session);
      return session;
    }
    throw CommsErrors.CARUSO_COMMS_SIP_NO_MEDIA_PORT({ min: this.min, max: this.max });
  }

  /** Puts a session on the media clock until it has nothing left to play. */
  schedule(session: RtpSession): void {
    this.active.add(session);
    if (!this.timer) this.timer = setInterval(() => this.tick(), 10);
  }

  private tick(): void {
    const now = this.now();
    for (const s of this.active) if (!s.tick(now)) this.active.delete(s);
    if (this.active.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Called by a session when it closes. */
  release(session: RtpSession): void {
    this.active.delete(session);
    if (this.sessions.delete(session)) this.ports.delete(session.port);
  }

  /** Open sessions (two per bridged call). */
  get openSessions(): number {
    return this.sessions.size;
  }

  override dispose(): void {
    for (const s of [...this.sessions]) s.dispose();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    super.dispose();
  }
}
