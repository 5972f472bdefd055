import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { containFault, Disposable, Emitter, safeInterval, safeTimeout, silentLogger, type Logger } from '@caruso/kernel';
import { SIP_FAULTS } from './sip-faults.js';
import { CommsErrors } from '../../errors.js';
import { decodeG711, encodeG711, transcodeG711, type G711PayloadType } from './g711.js';

/**
 * RTP (RFC 3550) media anchored in Caruso: one UDP socket per call leg, 20 ms G.711 frames sent on
 * one shared media clock, received audio decoded for recording, RFC 4733 telephone-events turned
 * into digits, and a relay between two legs (the B2BUA's media path). RTCP runs on the next port
 * (RTP port + 1): sender or receiver reports with a report block every few seconds, a BYE at the
 * end, and the far end's reports read into {@link RtcpStats}.
 */

const FRAME = 160; // samples per 20 ms at 8 kHz
const DIGITS = '0123456789*#ABCD';
/** Sent DTMF: each key is a 100 ms event (5 frames), then 60 ms of nothing before the next (3 frames). */
const DTMF_TONE_FRAMES = 5;
const DTMF_GAP_FRAMES = 3;
/** The key's row and column frequencies (ITU-T Q.23), for in-band tones. */
const DTMF_ROWS = [697, 770, 852, 941] as const;
const DTMF_COLS = [1209, 1336, 1477, 1633] as const;
const DTMF_KEYPAD = ['123A', '456B', '789C', '*0#D'] as const;

/** Where decoded audio a leg receives goes while it is in a conference (see ConferenceMixer). */
export interface MixInput {
  push(samples: Int16Array): void;
}

/** Something the media clock calls every 10 ms until it returns false or is removed. */
export interface MediaClockTask {
  tick(now: number): boolean;
}

interface DtmfOut {
  readonly digits: string;
  /** RFC 4733 telephone-events, or dual tones in the audio when the far end takes no events. */
  readonly inband: boolean;
  readonly done: () => void;
  index: number;
  frame: number;
  startTs: number;
}

/** Reception figures of one leg. */
export interface RtpStats {
  packetsReceived: number;
  packetsSent: number;
  /** Packets missing by sequence number (RFC 3550 §6.4.1 cumulative lost, never negative). */
  packetsLost: number;
  /** Interarrival jitter of what we receive (RFC 3550 §6.4.1), ms. */
  jitterMs: number;
  /** RTCP of this leg. */
  readonly rtcp: RtcpStats;
}

/** RTCP figures of one leg: what we sent and what the far end reported. */
export interface RtcpStats {
  /** Compound reports (SR or RR with SDES) sent. */
  reportsSent: number;
  /** RTCP packets received (SR, RR, SDES, BYE …). */
  packetsReceived: number;
  /** RTCP datagrams that were not valid RTCP (dropped). */
  malformed: number;
  /** From the far end's last report block about our stream: fraction lost (0–1), cumulative lost, jitter (ms). */
  remoteFractionLost?: number;
  remoteCumulativeLost?: number;
  remoteJitterMs?: number;
  /** Round-trip time from the last report block that answered one of our sender reports, ms. */
  roundTripMs?: number;
  /** Packets the far end says it sent (its last sender report). */
  remotePacketsSent?: number;
  /** The far end said goodbye (RTCP BYE). */
  byeReceived: boolean;
}

/** Seconds from 1900 (NTP) to 1970 (Unix). */
const NTP_OFFSET = 2_208_988_800;

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
  readonly stats: RtpStats = { packetsReceived: 0, packetsSent: 0, packetsLost: 0, jitterMs: 0, rtcp: { reportsSent: 0, packetsReceived: 0, malformed: 0, byeReceived: false } };
  /** Where we send: from the far end's SDP, then latched to where its packets come from. */
  remote: { host: string; port: number } | undefined;
  codec: G711PayloadType = 0;
  dtmfPayloadType: number | undefined;
  /** False while the far end is on hold (sendonly/inactive from us): nothing is sent. */
  sending = true;
  /**
   * Mute: what this leg receives is relayed as silence (same timing, so the far end's jitter buffer
   * stays steady), and its telephone-events are not relayed.
   */
  silenced = false;
  /** While set (a conference), decoded received audio goes here. */
  mixInput: MixInput | undefined;
  /** While set (call recording), every frame of decoded received audio is handed to it (reused: copy what you keep). */
  tap: ((samples: Int16Array) => void) | undefined;
  private readonly decoded = new Int16Array(160);
  private readonly dtmfOut: DtmfOut[] = [];
  private dtmfAt = 0;
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
  /** The far end's address as its last SDP gave it (see `useSdpAddress`). */
  private sdpAddress: { readonly host: string; readonly port: number } | undefined;
  private baseSeq: number | undefined;
  private maxSeq = 0;
  private cycles = 0;
  private sourceSsrc: number | undefined;
  private lostBefore = 0;
  private receivedBefore = 0;
  private octetsSent = 0;
  /** Jitter in timestamp units (1/8000 s) and the last relative transit time. */
  private jitter = 0;
  private lastTransit: number | undefined;
  /** For the fraction lost of the next report block (RFC 3550 A.3). */
  private expectedPrior = 0;
  private receivedPrior = 0;
  private sentAtLastReport = 0;
  /** Middle 32 bits of the NTP time of the far end's last SR, and when it arrived (media clock ms). */
  private lastSr: { readonly lsr: number; readonly at: number } | undefined;
  /** Where RTCP goes: the RTP address's next port, then latched to where the far end's RTCP comes from. */
  private rtcpRemote: { host: string; port: number } | undefined;
  private rtcpTimer: NodeJS.Timeout | undefined;
  nextFrameAt = 0;
  /** When the far end was last heard (an RTP or RTCP packet from it), on the media clock. */
  lastHeardAt: number;

  constructor(private readonly socket: Socket, readonly port: number, private readonly engine: RtpMediaEngine, private readonly rtcpSocket?: Socket) {
    super();
    this.lastHeardAt = engine.now();
    // A packet whose handling throws is contained and counted; it never reaches the process.
    socket.on('message', (buf, rinfo) => {
      try {
        this.receive(buf, rinfo.address, rinfo.port);
      } catch (err) {
        engine.packetFailed(err);
      }
    });
    if (rtcpSocket) {
      rtcpSocket.on('message', (buf, rinfo) => {
        try {
          this.receiveRtcp(buf, rinfo.address, rinfo.port);
        } catch (err) {
          engine.packetFailed(err);
        }
      });
      this.scheduleRtcp();
    }
  }

  /** The RTCP port (RTP port + 1), when RTCP runs. */
  get rtcpPort(): number | undefined {
    return this.rtcpSocket ? this.port + 1 : undefined;
  }

  /** Starts the silence count again (the call was answered, or taken off hold). */
  heardNow(): void {
    this.lastHeardAt = this.engine.now();
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

  /**
   * Sends DTMF keys towards the far end on the media clock: RFC 4733 telephone-events when it
   * negotiated them (each key 100 ms, its end packet sent three times, 60 ms between keys), else
   * dual tones in the audio. Relayed or mixed audio and prompts pause meanwhile. `done` fires once
   * the last key went out (not when the session closes first).
   */
  sendDigits(digits: string, done: () => void): void {
    if (this.dtmfOut.length === 0) this.dtmfAt = this.engine.now();
    this.dtmfOut.push({ digits, inband: this.dtmfPayloadType === undefined, done, index: 0, frame: 0, startTs: 0 });
    this.engine.schedule(this);
  }

  /** Whether keys are being sent. */
  get sendingDigits(): boolean {
    return this.dtmfOut.length > 0;
  }

  /** Sends one 20 ms frame of linear audio (the conference mix), unless a prompt or keys are going out. */
  sendFrame(samples: Int16Array): void {
    if (this.playback || this.dtmfOut.length > 0) return;
    if (this.sending) this.sendPayload(this.codec, encodeG711(samples, this.codec), samples.length);
    else this.timestamp = (this.timestamp + samples.length) >>> 0;
  }

  private dtmfFrame(): void {
    const out = this.dtmfOut[0]!;
    const key = out.digits[out.index]!;
    const event = DIGITS.indexOf(key);
    if (out.frame === 0) out.startTs = this.timestamp;
    if (out.inband) {
      const samples = new Int16Array(FRAME);
      if (out.frame < DTMF_TONE_FRAMES) {
        const row = DTMF_KEYPAD.findIndex((r) => r.includes(key));
        const lo = DTMF_ROWS[row]!;
        const hi = DTMF_COLS[DTMF_KEYPAD[row]!.indexOf(key)]!;
        for (let i = 0; i < FRAME; i++) {
          const t = (out.frame * FRAME + i) / 8000;
          samples[i] = Math.round(8000 * (Math.sin(2 * Math.PI * lo * t) + Math.sin(2 * Math.PI * hi * t)));
        }
      }
      if (this.sending) this.sendPayload(this.codec, encodeG711(samples, this.codec), FRAME);
      else this.timestamp = (this.timestamp + FRAME) >>> 0;
    } else if (out.frame < DTMF_TONE_FRAMES) {
      const last = out.frame === DTMF_TONE_FRAMES - 1;
      const duration = (out.frame + 1) * FRAME;
      const payload = Buffer.from([event, (last ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
      // RFC 4733 §2.5.1.4: the end packet is sent three times; every packet of the event has its start timestamp.
      for (let n = last ? 3 : 1; n > 0; n--) {
        if (this.sending) this.sendPayload(this.dtmfPayloadType!, payload, 0, out.startTs, out.frame === 0);
      }
      this.timestamp = (out.startTs + duration) >>> 0;
    } else {
      this.timestamp = (this.timestamp + FRAME) >>> 0;
    }
    out.frame++;
    if (out.frame < DTMF_TONE_FRAMES + DTMF_GAP_FRAMES) return;
    out.frame = 0;
    out.index++;
    if (out.index < out.digits.length) return;
    this.dtmfOut.shift();
    out.done();
  }

  /** Called by the media clock: sends the frames that are due. */
  tick(now: number): boolean {
    if (this.dtmfOut.length > 0) {
      let keyFrames = 0;
      while (this.dtmfOut.length > 0 && this.dtmfAt <= now && keyFrames < 5) {
        this.dtmfFrame();
        this.dtmfAt += 20;
        keyFrames++;
      }
      if (this.dtmfAt <= now) this.dtmfAt = now + 20;
      if (this.dtmfOut.length > 0) return true;
      this.nextFrameAt = now;
    }
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
    this.octetsSent += payload.length;
    this.engine.send(this.socket, packet, this.remote);
  }

  /**
   * Takes the far end's address from its SDP (an offer, an answer or a re-INVITE). While the SDP names
   * the address it named before, the address latched from the far end's packets stays: a phone behind
   * NAT, or one that writes another of its addresses, repeats that SDP in every re-INVITE (hold from the
   * phone, a session refresh). A new address is where we send until its packets show where they come from.
   */
  useSdpAddress(address: { readonly host: string; readonly port: number }): void {
    const same = this.sdpAddress?.host === address.host && this.sdpAddress.port === address.port;
    this.sdpAddress = { host: address.host, port: address.port };
    if (same && this.latched) return;
    this.remote = { host: address.host, port: address.port };
    this.latched = false;
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
    // Only a packet compared with a known far end latches: a phone may send as soon as it answers,
    // before its SDP is read, and that SDP may name another of its addresses than the one it sends from.
    if (this.remote) this.latched = true;
    this.lastHeardAt = this.engine.now();
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
    this.trackJitter(ts);
    const payload = buf.subarray(offset, end);
    if (pt === this.dtmfPayloadType) {
      this.onEvent(payload, ts);
      if (this.relay?.dtmfPayloadType !== undefined && !this.silenced) this.relay.forward(this.relay.dtmfPayloadType, payload, ts, 0, (buf[1]! & 0x80) !== 0);
      return;
    }
    if (pt !== 0 && pt !== 8) return;
    if (this.recording || this.mixInput || this.tap) {
      // The mix and the tap copy what they keep: a frame-sized buffer is reused for them; the
      // voicemail recording keeps the arrays, so it gets its own.
      const samples = this.recording || payload.length !== this.decoded.length ? decodeG711(payload, pt) : decodeG711(payload, pt, this.decoded);
      this.recording?.push(samples);
      this.mixInput?.push(samples);
      this.tap?.(samples);
    }
    if (!this.relay) return;
    const relayed = this.silenced ? new Uint8Array(payload.length).fill(this.relay.codec === 0 ? 0xff : 0xd5) : transcodeG711(payload, pt, this.relay.codec);
    this.relay.forward(this.relay.codec, relayed, ts, payload.length, false);
  }

  /** Sends a relayed packet keeping the source's timing (a constant timestamp offset). */
  private forward(pt: number, payload: Uint8Array, sourceTs: number, samples: number, marker: boolean): void {
    if (!this.sending || this.playback || this.dtmfOut.length > 0) return;
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
      this.expectedPrior = 0;
      this.receivedPrior = 0;
      this.lastTransit = undefined;
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

  /** RFC 3550 §6.4.1: J += (|D| − J) / 16 over the relative transit times, in timestamp units. */
  private trackJitter(ts: number): void {
    const arrival = Math.round(this.engine.now() * 8);
    const transit = (arrival - ts) | 0;
    if (this.lastTransit !== undefined) {
      const d = Math.abs((transit - this.lastTransit) | 0);
      // A jump of more than 10 s is a new timeline (a relayed source changed), not jitter.
      if (d < 80_000) this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
    this.stats.jitterMs = this.jitter / 8;
  }

  // ---------------------------------------------------------------- RTCP (RFC 3550 §6)

  private scheduleRtcp(): void {
    const interval = this.engine.rtcpIntervalMs;
    // Randomized between 0.5 and 1.5 times the interval so that legs do not report in step (§6.3.1).
    this.rtcpTimer = safeTimeout(SIP_FAULTS, () => {
      this.sendReport(false);
      this.scheduleRtcp();
    }, interval * (0.5 + Math.random()));
    this.rtcpTimer.unref();
  }

  private rtcpDestination(): { host: string; port: number } | undefined {
    if (this.rtcpRemote) return this.rtcpRemote;
    return this.remote && this.remote.port < 65535 ? { host: this.remote.host, port: this.remote.port + 1 } : undefined;
  }

  /** Sends a compound RTCP packet: SR (when we sent media since the last report) or RR, SDES CNAME, and BYE at the end. */
  sendReport(bye: boolean, sent?: () => void): boolean {
    const to = this.rtcpDestination();
    if (!this.rtcpSocket || !to) return false;
    const blocks = this.sourceSsrc !== undefined && this.baseSeq !== undefined ? [this.reportBlock()] : [];
    const sender = this.stats.packetsSent > this.sentAtLastReport;
    this.sentAtLastReport = this.stats.packetsSent;
    const parts: Buffer[] = [];
    if (sender) {
      const sr = Buffer.alloc(28 + 24 * blocks.length);
      sr[0] = 0x80 | blocks.length;
      sr[1] = 200;
      sr.writeUInt16BE(sr.length / 4 - 1, 2);
      sr.writeUInt32BE(this.ssrc, 4);
      const [sec, frac] = ntpNow();
      sr.writeUInt32BE(sec, 8);
      sr.writeUInt32BE(frac, 12);
      sr.writeUInt32BE(this.timestamp, 16);
      sr.writeUInt32BE(this.stats.packetsSent >>> 0, 20);
      sr.writeUInt32BE(this.octetsSent >>> 0, 24);
      blocks.forEach((b, i) => b.copy(sr, 28 + 24 * i));
      parts.push(sr);
    } else {
      const rr = Buffer.alloc(8 + 24 * blocks.length);
      rr[0] = 0x80 | blocks.length;
      rr[1] = 201;
      rr.writeUInt16BE(rr.length / 4 - 1, 2);
      rr.writeUInt32BE(this.ssrc, 4);
      blocks.forEach((b, i) => b.copy(rr, 8 + 24 * i));
      parts.push(rr);
    }
    const cname = Buffer.from(`caruso-${this.ssrc.toString(16)}@${this.engine.host}`, 'latin1').subarray(0, 255);
    const sdesLength = Math.ceil((4 + 2 + cname.length + 1) / 4) * 4;
    const sdes = Buffer.alloc(4 + sdesLength);
    sdes[0] = 0x81;
    sdes[1] = 202;
    sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
    sdes.writeUInt32BE(this.ssrc, 4);
    sdes[8] = 1; // CNAME
    sdes[9] = cname.length;
    cname.copy(sdes, 10);
    parts.push(sdes);
    if (bye) {
      const b = Buffer.alloc(8);
      b[0] = 0x81;
      b[1] = 203;
      b.writeUInt16BE(1, 2);
      b.writeUInt32BE(this.ssrc, 4);
      parts.push(b);
    }
    this.stats.rtcp.reportsSent++;
    return this.engine.send(this.rtcpSocket, Buffer.concat(parts), to, () => sent?.());
  }

  /** The report block about the source we receive (RFC 3550 §6.4.1, A.3). */
  private reportBlock(): Buffer {
    const block = Buffer.alloc(24);
    const expected = this.cycles + this.maxSeq - (this.baseSeq ?? 0) + 1;
    const received = this.stats.packetsReceived - this.receivedBefore;
    const expectedInterval = expected - this.expectedPrior;
    const lostInterval = expectedInterval - (received - this.receivedPrior);
    this.expectedPrior = expected;
    this.receivedPrior = received;
    const fraction = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const lost = Math.min(0x7fffff, Math.max(0, this.stats.packetsLost - this.lostBefore));
    block.writeUInt32BE(this.sourceSsrc ?? 0, 0);
    block.writeUInt32BE(((fraction << 24) | lost) >>> 0, 4);
    block.writeUInt32BE((this.cycles + this.maxSeq) >>> 0, 8);
    block.writeUInt32BE(Math.round(this.jitter) >>> 0, 12);
    if (this.lastSr) {
      block.writeUInt32BE(this.lastSr.lsr, 16);
      block.writeUInt32BE(Math.round(((this.engine.now() - this.lastSr.at) / 1000) * 65536) >>> 0, 20);
    }
    return block;
  }

  private receiveRtcp(buf: Buffer, host: string, port: number): void {
    if (!this.parseRtcp(buf)) {
      this.stats.rtcp.malformed++;
      return;
    }
    this.lastHeardAt = this.engine.now();
    // Symmetric RTCP: answer where the far end's reports come from (NAT).
    if (!this.rtcpRemote && (!this.remote || host === this.remote.host)) this.rtcpRemote = { host, port };
  }

  /**
   * Reads a compound RTCP packet; false when it is not valid RTCP (RFC 3550 §6.1, A.2). Packets that
   * do not start with SR or RR are accepted too: reduced-size RTCP (RFC 5506) and the stand-alone APP
   * keep-alives some phones send (baresip: APP "PING").
   */
  private parseRtcp(buf: Buffer): boolean {
    if (buf.length < 8 || buf[0]! >> 6 !== 2 || buf[1]! < 200 || buf[1]! > 207) return false;
    for (let at = 0; at < buf.length;) {
      if (buf.length - at < 4 || buf[at]! >> 6 !== 2) return false;
      const count = buf[at]! & 0x1f;
      const pt = buf[at + 1]!;
      const length = (buf.readUInt16BE(at + 2) + 1) * 4;
      if (at + length > buf.length) return false;
      const packet = buf.subarray(at, at + length);
      this.stats.rtcp.packetsReceived++;
      if (pt === 200 && packet.length >= 28) {
        const sec = packet.readUInt32BE(8);
        const frac = packet.readUInt32BE(12);
        this.lastSr = { lsr: (((sec & 0xffff) << 16) | (frac >>> 16)) >>> 0, at: this.engine.now() };
        this.stats.rtcp.remotePacketsSent = packet.readUInt32BE(20);
        this.readBlocks(packet, 28, count);
      } else if (pt === 201 && packet.length >= 8) {
        this.readBlocks(packet, 8, count);
      } else if (pt === 203) {
        this.stats.rtcp.byeReceived = true;
      }
      at += length;
    }
    return true;
  }

  private readBlocks(packet: Buffer, offset: number, count: number): void {
    for (let i = 0; i < count && offset + 24 * (i + 1) <= packet.length; i++) {
      const b = offset + 24 * i;
      if (packet.readUInt32BE(b) !== this.ssrc) continue;
      const word = packet.readUInt32BE(b + 4);
      const rtcp = this.stats.rtcp;
      rtcp.remoteFractionLost = (word >>> 24) / 256;
      const lost = word & 0xffffff;
      rtcp.remoteCumulativeLost = lost & 0x800000 ? lost - 0x1000000 : lost;
      rtcp.remoteJitterMs = packet.readUInt32BE(b + 12) / 8;
      const lsr = packet.readUInt32BE(b + 16);
      const dlsr = packet.readUInt32BE(b + 20);
      if (lsr !== 0) {
        const [sec, frac] = ntpNow();
        const now = (((sec & 0xffff) << 16) | (frac >>> 16)) >>> 0;
        const rtt = ((now - lsr - dlsr) >>> 0) / 65.536;
        if (rtt < 60_000) rtcp.roundTripMs = rtt;
      }
    }
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
    this.mixInput = undefined;
    this.tap = undefined;
    this.dtmfOut.length = 0;
    this.engine.release(this);
    if (this.rtcpTimer) clearTimeout(this.rtcpTimer);
    this.rtcpTimer = undefined;
    const close = (s: Socket | undefined): void => {
      try {
        s?.close();
      } catch {
        // already closed
      }
    };
    close(this.socket);
    // The last report says goodbye (RFC 3550 §6.6); its socket closes once it has left.
    const rtcp = this.rtcpSocket;
    if (!this.sendReport(true, () => close(rtcp))) close(rtcp);
    super.dispose();
  }
}

/** The time now as NTP seconds and fraction (RFC 3550 §4). */
function ntpNow(): [number, number] {
  const ms = Date.now();
  const sec = Math.floor(ms / 1000) + NTP_OFFSET;
  const frac = Math.floor(((ms % 1000) / 1000) * 0x1_0000_0000);
  return [sec >>> 0, frac >>> 0];
}

/** Options of an {@link RtpMediaEngine}. */
export interface RtpMediaEngineOptions {
  /** Address to bind RTP sockets to. */
  readonly host: string;
  /** Port range (even ports are used), default 20000–29998. */
  readonly minPort?: number;
  readonly maxPort?: number;
  /** Average gap between RTCP reports, ms (default 5000, RFC 3550's minimum; tests shorten it). */
  readonly rtcpIntervalMs?: number;
  /** Run RTCP on RTP port + 1 (default true). */
  readonly rtcp?: boolean;
  readonly logger?: Logger;
}

/** Allocates RTP ports and runs the one media clock that paces every prompt. */
export class RtpMediaEngine extends Disposable {
  /** Datagrams that could not be sent (a far end out of range, a closing socket): counted, never thrown. */
  sendErrors = 0;
  /** Exceptions while a media packet or a media clock tick was handled: contained, counted and logged. */
  packetErrors = 0;
  private readonly sessions = new Set<RtpSession>();
  private readonly active = new Set<RtpSession>();
  private readonly tasks = new Set<MediaClockTask>();
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

  /** The address RTP binds to (also written into the RTCP CNAME). */
  get host(): string {
    return this.options.host;
  }

  /** Average gap between RTCP reports, ms. */
  get rtcpIntervalMs(): number {
    return this.options.rtcpIntervalMs ?? 5000;
  }

  /** Milliseconds on the media clock. */
  now(): number {
    return performance.now() - this.origin;
  }

  /** How many sessions (call legs) the port range holds: one even port each, and the odd port after it for RTCP. */
  get capacity(): number {
    return Math.floor((this.max - this.min) / 2) + 1;
  }

  /** Ports each session holds (RTP, and RTCP on the next port). */
  get portsPerSession(): number {
    return (this.options.rtcp ?? true) ? 2 : 1;
  }

  /** The configured range. */
  get portRange(): { readonly min: number; readonly max: number } {
    return { min: this.min, max: this.max };
  }

  /**
   * Sends one datagram; false when it could not leave. Never throws: the far end's address comes
   * from the network, and this runs inside the media clock and packet handlers.
   */
  send(socket: Socket, packet: Buffer, to: { readonly host: string; readonly port: number }, sent?: () => void): boolean {
    if (!(Number.isInteger(to.port) && to.port >= 1 && to.port <= 65535)) {
      this.sendErrors++;
      return false;
    }
    try {
      socket.send(packet, to.port, to.host, (err) => {
        if (err) this.sendErrors++;
        sent?.();
      });
      return true;
    } catch (err) {
      this.sendErrors++;
      this.logger.debug({ err }, 'RTP datagram not sent');
      return false;
    }
  }

  /** A media packet's handling or a clock tick threw: contained, counted and logged with the count. */
  packetFailed(err: unknown): void {
    this.packetErrors++;
    containFault(SIP_FAULTS, 'media', err);
    this.logger.error({ err, count: this.packetErrors }, 'RTP packet handling failed');
  }

  /** Opens a session on a free even port of the range. */
  async open(): Promise<RtpSession> {
    const span = this.capacity;
    for (let tries = 0; tries < span; tries++) {
      const port = this.next;
      this.next = this.next + 2 > this.max ? this.min : this.next + 2;
      if (this.ports.has(port)) continue;
      const socket = await this.bind(port);
      if (!socket) continue;
      let rtcp: Socket | undefined;
      if (this.options.rtcp ?? true) {
        rtcp = await this.bind(port + 1);
        if (!rtcp) {
          socket.close();
          continue;
        }
      }
      this.ports.add(port);
      const session = new RtpSession(socket, port, this, rtcp);
      this.sessions.add(session);
      return session;
    }
    throw CommsErrors.CARUSO_COMMS_SIP_NO_MEDIA_PORT({ min: this.min, max: this.max });
  }

  private async bind(port: number): Promise<Socket | undefined> {
    const socket = createSocket('udp4');
    let bound = false;
    // One handler for the socket's whole life: a failed bind, then any later error (logged).
    const ok = await new Promise<boolean>((resolve) => {
      socket.on('error', (err) => {
        if (!bound) resolve(false);
        else this.logger.debug({ err }, 'RTP socket error');
      });
      socket.bind(port, this.options.host, () => {
        bound = true;
        resolve(true);
      });
    });
    if (!ok) {
      try {
        socket.close();
      } catch {
        // never bound
      }
      return undefined;
    }
    return socket;
  }

  /** Puts a session on the media clock until it has nothing left to play. */
  schedule(session: RtpSession): void {
    this.active.add(session);
    if (!this.timer) this.timer = safeInterval(SIP_FAULTS, () => this.tick(), 10);
  }

  /** Runs a task (a conference mixer) on the media clock until it returns false or {@link stopTask}. */
  runTask(task: MediaClockTask): void {
    this.tasks.add(task);
    if (!this.timer) this.timer = safeInterval(SIP_FAULTS, () => this.tick(), 10);
  }

  stopTask(task: MediaClockTask): void {
    this.tasks.delete(task);
  }

  private tick(): void {
    const now = this.now();
    for (const s of this.active) {
      try {
        if (!s.tick(now)) this.active.delete(s);
      } catch (err) {
        // One leg's failure stops that leg's playback, never the clock of the others.
        this.active.delete(s);
        this.packetFailed(err);
        try {
          s.stopPlayback(true);
        } catch (again) {
          this.packetFailed(again);
        }
      }
    }
    for (const t of this.tasks) {
      try {
        if (!t.tick(now)) this.tasks.delete(t);
      } catch (err) {
        // A mixer that throws stops; the calls' legs and the other mixers go on.
        this.tasks.delete(t);
        this.packetFailed(err);
      }
    }
    if (this.active.size === 0 && this.tasks.size === 0 && this.timer) {
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
    this.tasks.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    super.dispose();
  }
}
