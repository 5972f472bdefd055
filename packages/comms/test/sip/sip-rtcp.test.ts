// RTCP on RTP port + 1 between two real legs on loopback (sender and receiver reports with report
// blocks, round-trip time, BYE), and a hand-made sender report and junk from a plain UDP socket.
import { createSocket, type Socket } from 'node:dgram';
import { RtpMediaEngine, type RtpSession } from '../../src/telephony/sip/rtp-session.js';
import { tone } from '../../src/telephony/sip/wav-file.js';

const LOOPBACK = '127.0.0.1';

async function until(predicate: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RTCP of an RTP leg', () => {
  let engine: RtpMediaEngine;
  let sockets: Socket[];

  beforeEach(() => {
    const min = 30000 + 2 * Math.floor(Math.random() * 7000);
    engine = new RtpMediaEngine({ host: LOOPBACK, minPort: min, maxPort: min + 40, rtcpIntervalMs: 100 });
    sockets = [];
  });

  afterEach(async () => {
    engine.dispose();
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  async function pair(): Promise<[RtpSession, RtpSession]> {
    const a = await engine.open();
    const b = await engine.open();
    a.remote = { host: LOOPBACK, port: b.port };
    b.remote = { host: LOOPBACK, port: a.port };
    return [a, b];
  }

  it('binds RTCP on the port after RTP and exchanges sender and receiver reports about the stream', async () => {
    const [a, b] = await pair();
    expect(a.rtcpPort).toBe(a.port + 1);
    // a talks to b (sender reports), b only listens (receiver reports with a block about a's stream).
    a.play(tone(440, 1500), () => undefined);
    await until(() => (a.stats.rtcp.remoteFractionLost !== undefined && a.stats.rtcp.roundTripMs !== undefined && (b.stats.rtcp.remotePacketsSent ?? 0) > 0), 3000,
      () => JSON.stringify({ a: a.stats, b: b.stats }));
    expect(b.stats.rtcp.remotePacketsSent).toBeGreaterThan(0);
    expect(b.stats.rtcp.remotePacketsSent).toBeLessThanOrEqual(a.stats.packetsSent);
    expect(a.stats.rtcp).toMatchObject({ remoteFractionLost: 0, remoteCumulativeLost: 0, malformed: 0 });
    expect(a.stats.rtcp.remoteJitterMs).toBeGreaterThanOrEqual(0);
    expect(a.stats.rtcp.remoteJitterMs).toBeLessThan(100);
    // Loopback: the round trip is well under a second.
    expect(a.stats.rtcp.roundTripMs).toBeGreaterThanOrEqual(0);
    expect(a.stats.rtcp.roundTripMs).toBeLessThan(1000);
    expect(b.stats.rtcp.malformed).toBe(0);
    // Closing a leg says goodbye.
    a.dispose();
    await until(() => b.stats.rtcp.byeReceived, 2000, () => JSON.stringify(b.stats.rtcp));
  });

  it('reads a hand-made sender report and an APP keep-alive, drops junk without harm, and reports back to where RTCP came from', async () => {
    const leg = await engine.open();
    const peer = createSocket('udp4');
    sockets.push(peer);
    await new Promise<void>((r) => peer.bind(0, LOOPBACK, () => r()));
    const replies: Buffer[] = [];
    peer.on('message', (m) => replies.push(m));
    // The leg sends RTP to a port where nothing listens; RTCP answers must follow the peer's source.
    leg.remote = { host: LOOPBACK, port: 9 };
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(0x1234abcd, 4);
    sr.writeUInt32BE(3_900_000_000, 8);
    sr.writeUInt32BE(0x80000000, 12);
    sr.writeUInt32BE(1000, 16);
    sr.writeUInt32BE(42, 20);
    sr.writeUInt32BE(42 * 160, 24);
    const send = (b: Buffer) => new Promise<void>((r) => peer.send(b, leg.rtcpPort!, LOOPBACK, () => r()));
    await send(Buffer.from('not rtcp at all'));
    await send(sr.subarray(0, 10));
    const lying = Buffer.from(sr);
    lying.writeUInt16BE(60, 2); // says 244 bytes, has 28
    await send(lying);
    // A stand-alone APP packet (baresip's keep-alive "PING") is RTCP, not junk.
    await send(Buffer.from('80cc00030c76123c50494e47504f4e47', 'hex'));
    await send(sr);
    await until(() => leg.stats.rtcp.remotePacketsSent === 42, 2000, () => JSON.stringify(leg.stats.rtcp));
    expect(leg.stats.rtcp).toMatchObject({ malformed: 3, packetsReceived: 2 });
    await until(() => replies.length > 0, 2000, () => 'a report back to the peer');
    const reply = replies[0]!;
    expect(reply[0]! >> 6).toBe(2);
    // No media sent and none received: a receiver report without blocks, then SDES with a CNAME.
    expect(reply[1]).toBe(201);
    const rrLength = (reply.readUInt16BE(2) + 1) * 4;
    expect(reply[rrLength + 1]).toBe(202);
    expect(reply.toString('latin1', rrLength + 10, rrLength + 10 + reply[rrLength + 9]!)).toMatch(/^caruso-[0-9a-f]+@127\.0\.0\.1$/);
  });
});
