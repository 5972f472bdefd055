// Issue 13: mutated SIP messages (from valid INVITE, REGISTER, OPTIONS, BYE, CANCEL, ACK and
// responses with SDP) over UDP and TCP, and mutated RTP/RTCP packets, sent from real sockets on loopback. Seeded,
// so a failure can be replayed; bounded in count and time. Afterwards no packet handler has thrown,
// every call, RTP port and transaction has been released, and a good call is answered.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter } from '@caruso/comms';
import { freePort, LOOPBACK, promptDir, rtpRange, until } from '@caruso/comms/testing';
import { offer, RawSipPeer } from './sip-raw-peer.js';

jest.setTimeout(60_000);

const T1 = 20;
/** Mutated SIP datagrams and media packets; more for a longer run (`CARUSO_FUZZ_SIP_INPUTS`, `CARUSO_FUZZ_RTP_INPUTS`). */
const SIP_INPUTS = Number(process.env['CARUSO_FUZZ_SIP_INPUTS'] ?? 4000);
const RTP_INPUTS = Number(process.env['CARUSO_FUZZ_RTP_INPUTS'] ?? 2000);
const TCP_CONNECTIONS = 50;
const SEED = Number(process.env['CARUSO_FUZZ_SEED'] ?? 1013);

/** mulberry32: a small seeded generator, so that a failing run can be replayed with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXTREMES = ['0', '-1', '65535', '65536', '99999', '4294967296', '9007199254740993', '1e999', 'NaN', '', ' ', '%', '%E0%A4%A', '\u0000', '0x10', '1.5'];

function mutate(text: string, rnd: () => number): Buffer {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  let s = text;
  const rounds = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < rounds; i++) {
    const at = Math.floor(rnd() * s.length);
    switch (Math.floor(rnd() * 9)) {
      case 0: { // a number replaced by an extreme value
        const numbers = [...s.matchAll(/\d+/g)];
        if (numbers.length) {
          const m = pick(numbers);
          s = s.slice(0, m.index) + pick(EXTREMES) + s.slice(m.index + m[0].length);
        }
        break;
      }
      case 1: // a range deleted
        s = s.slice(0, at) + s.slice(at + Math.floor(rnd() * 40));
        break;
      case 2: // a range repeated
        s = s.slice(0, at) + s.slice(at, at + 60).repeat(1 + Math.floor(rnd() * 30)) + s.slice(at);
        break;
      case 3: // random bytes inserted
        s = s.slice(0, at) + String.fromCharCode(...Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256))) + s.slice(at);
        break;
      case 4: { // one line dropped
        const lines = s.split('\r\n');
        lines.splice(Math.floor(rnd() * lines.length), 1);
        s = lines.join('\r\n');
        break;
      }
      case 5: // cut short
        s = s.slice(0, at);
        break;
      case 6: // line ends changed
        s = rnd() < 0.5 ? s.replace(/\r\n/g, '\n') : s.replace(/\r\n/, '\r\n\r\n');
        break;
      case 7: { // a header value replaced by an extreme or a huge one
        const lines = s.split('\r\n');
        const i = Math.floor(rnd() * lines.length);
        const colon = lines[i]!.indexOf(':');
        if (colon > 0) lines[i] = lines[i]!.slice(0, colon + 1) + ' ' + (rnd() < 0.3 ? 'x'.repeat(Math.floor(rnd() * 3000)) : pick(EXTREMES));
        s = lines.join('\r\n');
        break;
      }
      default: { // an SDP or header token swapped for another valid-looking one
        const swaps: Array<[RegExp, string]> = [
          [/m=audio \d+/, `m=audio ${pick(EXTREMES)}`], [/RTP\/AVP [\d ]+/, `RTP/AVP ${pick(['0', '8 0', '127', '128', '300', ''])}`],
          [/c=IN IP4 [^\r]+/, `c=IN IP4 ${pick(['0.0.0.0', '255.255.255.255', '1.2.3', '999.0.0.1', '::1'])}`],
          [/INVITE|REGISTER|OPTIONS|BYE|CANCEL|ACK/, pick(['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'INFO', 'NOTIFY', 'REFER', 'PRACK', 'X'])],
          [/tag=[^;\r]+/, `tag=${pick(['', 'x', ';;;', '"'])}`], [/SIP\/2\.0/, pick(['SIP/2.1', 'SIP/20', 'sip/2.0'])],
          [/Content-Length: \d+/, `Content-Length: ${pick(EXTREMES)}`],
        ];
        const [re, by] = pick(swaps);
        s = s.replace(re, by);
        break;
      }
    }
  }
  return Buffer.from(s, 'latin1');
}

describe('SipTelephonyAdapter under mutated SIP, SDP, RTP and RTCP', () => {
  let dir: string;
  let sip: SipTelephonyAdapter;
  let peer: RawSipPeer;
  let raw: Socket;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-sip-fuzz-'));
    sip = new SipTelephonyAdapter({
      host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(200), promptDir, recordingDir: dir, t1Ms: T1,
      users: [{ username: 'anna', password: 'secret' }], maxPendingInvitesPerSource: 1000, mediaTimeoutMs: 1000,
    });
    await sip.start();
    sip.onDidEvent((e) => {
      if (e.type !== 'call-offered') return;
      sip.answer(e.callId);
      sip.playPrompt(e.callId, { file: 'welcome.wav' });
      sip.collectDtmf(e.callId, { maxDigits: 2, timeoutMs: 500 });
    });
    peer = await RawSipPeer.open(sip.port);
    raw = createSocket('udp4');
    raw.on('error', () => undefined);
    await new Promise<void>((r) => raw.bind(0, LOOPBACK, () => r()));
  });

  afterAll(async () => {
    await new Promise<void>((r) => raw.close(() => r()));
    await peer.close();
    await sip.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`survives ${SIP_INPUTS} mutated SIP datagrams, ${TCP_CONNECTIONS * 10} over TCP and ${RTP_INPUTS} mutated media packets (seed ${SEED})`, async () => {
    const rnd = random(SEED);
    const body = offer(peer.port + 2);
    const seeds = [
      peer.request('INVITE', 'fz', { body }),
      peer.request('INVITE', 'fz', { body: body + 'm=video 5000 RTP/AVP 96\r\nm=audio 0 RTP/AVP 8\r\na=sendonly\r\n' }),
      peer.request('REGISTER', 'fz', { extra: 'Expires: 60\r\nAuthorization: Digest username="anna", realm="caruso", nonce="x", uri="sip:127.0.0.1", response="00"\r\n', uri: 'sip:127.0.0.1' }),
      peer.request('OPTIONS', 'fz'),
      peer.request('BYE', 'fz', { toTag: 'x', cseq: 2 }),
      peer.request('CANCEL', 'fz'),
      peer.request('ACK', 'fz', { toTag: 'x' }),
      peer.request('INFO', 'fz', { toTag: 'x', extra: 'Content-Type: application/dtmf-relay\r\n' }).replace('Content-Length: 0\r\n\r\n', 'Content-Length: 24\r\n\r\nSignal=5\r\nDuration=160\r\n'),
      `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:${sip.port};branch=z9hG4bKnone\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: fz\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    ];
    // Call-IDs vary, so that mutated INVITEs start calls of their own and later ones hit their dialogs.
    for (let i = 0; i < SIP_INPUTS; i++) {
      const text = seeds[Math.floor(rnd() * seeds.length)]!.replace(/fz/g, `fz${Math.floor(rnd() * 200)}`);
      peer.send(mutate(text, rnd));
      // Paced a little so that the kernel does not drop most of a burst.
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
    }

    // The same over TCP: ten mutated messages per connection (a stream that breaks the framing rules is closed).
    const beforeTcp = sip.stack.stats.received;
    for (let c = 0; c < TCP_CONNECTIONS; c++) {
      const socket = connect(sip.port, LOOPBACK);
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      const closed = new Promise<void>((r) => socket.on('close', () => r()));
      await new Promise<void>((r) => socket.once('connect', () => r()));
      for (let i = 0; i < 10 && !socket.destroyed; i++) {
        const text = seeds[Math.floor(rnd() * seeds.length)]!.replace(/fz/g, `tz${Math.floor(rnd() * 50)}`).replace(/SIP\/2\.0\/UDP/g, 'SIP/2.0/TCP');
        socket.write(mutate(text, rnd));
      }
      await new Promise((r) => setTimeout(r, 10));
      socket.end();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 500))]);
      socket.destroy();
    }

    expect(sip.stack.stats.received - beforeTcp).toBeGreaterThan(TCP_CONNECTIONS);

    // A good call, and mutated RTP and RTCP packets to its legs while the menu plays.
    peer.send(peer.request('INVITE', 'good-media', { body }));
    const final = await peer.final('good-media');
    expect(final.status).toBe(200);
    const rtpPort = Number(/m=audio (\d+)/.exec(final.text)?.[1]);
    const rtp = Buffer.from('80000001000000a0deadbeef' + 'ff'.repeat(160), 'hex');
    for (let i = 0; i < RTP_INPUTS; i++) {
      const packet = Buffer.from(rtp);
      for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) packet[Math.floor(rnd() * 16)] = Math.floor(rnd() * 256);
      const cut = rnd() < 0.2 ? packet.subarray(0, Math.floor(rnd() * 30)) : packet;
      raw.send(cut, rnd() < 0.5 ? rtpPort : rtpPort + 1, LOOPBACK);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
    }
    peer.ack('good-media');
    peer.bye('good-media');

    // Every call the mutations started ends (BYE after 64×T1 without an ACK, or after 1 s without
    // media once a mutated ACK confirmed it), every port and transaction is released.
    await until(() => sip.activeCalls === 0 && sip.media.openSessions === 0, 64 * T1 + 10_000, () => `calls and RTP ports released (${sip.activeCalls} calls, ${sip.media.openSessions} sessions)`);
    await until(() => sip.stack.openTransactions === 0, 64 * T1 + 10_000, () => `transactions ended (${sip.stack.openTransactions} open)`);
    const m = sip.metrics();
    expect({ packetErrors: m.packetErrors, pendingInvites: m.pendingInvites }).toEqual({ packetErrors: 0, pendingInvites: 0 });
    expect(m.received).toBeGreaterThan(SIP_INPUTS / 2);
    expect(m.malformed).toBeGreaterThan(0);

    peer.send(peer.request('INVITE', 'good-after', { body }));
    expect((await peer.final('good-after')).status).toBe(200);
    peer.ack('good-after');
    peer.bye('good-after');
    await until(() => sip.activeCalls === 0, 2000, 'the last call ended');
  });
});
