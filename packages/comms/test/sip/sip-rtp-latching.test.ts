// Symmetric RTP of a leg (RtpSession) against a plain UDP socket on loopback: where a leg sends follows
// where the far end's packets come from when its SDP names another address.
import { createSocket, type Socket } from 'node:dgram';
import { RtpMediaEngine } from '../../src/telephony/sip/rtp-session.js';
import { tone } from '../../src/telephony/sip/wav-file.js';

const LOOPBACK = '127.0.0.1';

async function until(predicate: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A PCMU packet of 20 ms. */
function packet(seq: number): Buffer {
  const p = Buffer.alloc(12 + 160, 0xff);
  p[0] = 0x80;
  p[1] = 0;
  p.writeUInt16BE(seq, 2);
  p.writeUInt32BE(seq * 160, 4);
  p.writeUInt32BE(0x1234, 8);
  return p;
}

describe('RtpSession (symmetric RTP)', () => {
  let engine: RtpMediaEngine;
  let phone: Socket;
  let others: Socket[];

  beforeEach(() => {
    const min = 30000 + 2 * Math.floor(Math.random() * 7000);
    engine = new RtpMediaEngine({ host: LOOPBACK, minPort: min, maxPort: min + 40, rtcp: false });
    others = [];
  });

  afterEach(async () => {
    engine.dispose();
    await Promise.all([phone, ...others].map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  const bind = async (s: Socket): Promise<number> => new Promise<number>((r) => s.bind(0, LOOPBACK, () => r(s.address().port)));

  it('follows the phone\'s packets when one came before its SDP answer, and the answer names another address (a phone that sends as soon as it answers)', async () => {
    phone = createSocket('udp4');
    const phonePort = await new Promise<number>((r) => phone.bind(0, LOOPBACK, () => r(phone.address().port)));
    const got: Buffer[] = [];
    phone.on('message', (b) => got.push(b));
    const leg = await engine.open();
    // The phone answered and sends at once: its first packet arrives before the 200 OK is read.
    phone.send(packet(1), leg.port, LOOPBACK);
    await until(() => leg.stats.packetsReceived === 1, 2000, () => JSON.stringify(leg.stats));
    // Then the 200 OK's SDP: the phone wrote its other interface's address (as baresip bound to loopback does).
    leg.useSdpAddress({ host: '192.0.2.2', port: 40000 });
    for (let seq = 2; seq <= 11; seq++) phone.send(packet(seq), leg.port, LOOPBACK);
    await until(() => leg.stats.packetsReceived === 11, 2000, () => `every packet to be taken: ${JSON.stringify(leg.stats)}`);
    expect(leg.remote).toEqual({ host: LOOPBACK, port: phonePort });
    // What the leg sends goes where the phone's packets come from.
    leg.play(tone(440, 200), () => undefined);
    await until(() => got.length > 0, 2000, () => 'the leg to send to the phone');
  });

  it('keeps the address latched from the phone\'s packets when a re-INVITE repeats its SDP address (hold from a phone behind NAT), and follows a new one', async () => {
    phone = createSocket('udp4');
    const phonePort = await bind(phone);
    const leg = await engine.open();
    leg.useSdpAddress({ host: '192.0.2.2', port: 40000 });
    for (let seq = 1; seq <= 5; seq++) phone.send(packet(seq), leg.port, LOOPBACK);
    await until(() => leg.stats.packetsReceived === 5, 2000, () => JSON.stringify(leg.stats));
    expect(leg.remote).toEqual({ host: LOOPBACK, port: phonePort });

    // The phone holds and takes back the call: its re-INVITEs name the same address as before.
    leg.useSdpAddress({ host: '192.0.2.2', port: 40000 });
    expect(leg.remote).toEqual({ host: LOOPBACK, port: phonePort });
    for (let seq = 6; seq <= 10; seq++) phone.send(packet(seq), leg.port, LOOPBACK);
    await until(() => leg.stats.packetsReceived === 10, 2000, () => `the packets after the re-INVITE to be taken: ${JSON.stringify(leg.stats)}`);

    // A re-INVITE with a new address (the phone moved): we send there.
    const moved = createSocket('udp4');
    others.push(moved);
    const movedPort = await bind(moved);
    leg.useSdpAddress({ host: LOOPBACK, port: movedPort });
    expect(leg.remote).toEqual({ host: LOOPBACK, port: movedPort });
  });
});
