// Issue 13: one hostile datagram must never stop the SIP adapter. SDP and header values are checked
// against their ranges before any state is kept (a declined stream is answered as RFC 3264 says),
// and whatever a packet makes fail is contained, counted and logged.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { requireOrSkip } from '@caruso/kernel/testing';
import { freePort, has, killPeers, LOOPBACK, makeTone, promptDir, rtpRange, sipp, until } from '@caruso/comms/testing';
import { offer, RawSipPeer } from './sip-raw-peer.js';

jest.setTimeout(30_000);

if (requireOrSkip('SIPp and sox', has('sipp') && has('sox', ['--version']))) {
  describe('SipTelephonyAdapter sanity checks (hostile SDP and headers)', () => {
    let dir: string;
    let sip: SipTelephonyAdapter;
    let peer: RawSipPeer;
    const events: TelephonyEvent[] = [];
    let n = 0;
    const id = (what: string) => `${what}-${++n}`;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-sanity-'));
      sip = new SipTelephonyAdapter({ host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(40), promptDir, recordingDir: dir, users: [], maxTcpConnectionsPerSource: 4 });
      await sip.start();
      sip.onDidEvent((e) => {
        events.push(e);
        // Every call is answered and hears the menu at once: the media clock sends to the offer's port.
        if (e.type === 'call-offered') {
          sip.answer(e.callId);
          sip.playPrompt(e.callId, { file: 'welcome.wav' });
        }
      });
      peer = await RawSipPeer.open(sip.port);
    });

    afterAll(async () => {
      await killPeers();
      await peer.close();
      await sip.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A good call from the raw peer: answered 200, ACKed, hung up. */
    async function goodCall(): Promise<void> {
      const call = id('good');
      peer.send(peer.request('INVITE', call, { body: offer(peer.port + 2) }));
      expect((await peer.final(call)).status).toBe(200);
      peer.ack(call);
      peer.bye(call);
      await until(() => peer.statuses(call).filter((s) => s === 200).length >= 2 && sip.activeCalls === 0, 2000, 'the BYE answered');
    }

    it('answers an INVITE whose only audio stream is declined (m=audio 0) with 488, and keeps serving', async () => {
      const call = id('port0');
      peer.send(peer.request('INVITE', call, { body: offer(0) }));
      const final = await peer.final(call);
      expect(final.status).toBe(488);
      peer.send(peer.request('ACK', call, { toTag: /;tag=([^;\r]+)/.exec(final.text.split('\r\nTo:')[1] ?? '')?.[1] ?? 'x' }));
      // The media clock would have sent the menu to port 0 within these 300 ms.
      await new Promise((r) => setTimeout(r, 300));
      expect(events.filter((e) => e.type === 'call-offered')).toHaveLength(0);
      expect(sip.activeCalls).toBe(0);
      expect(sip.media.openSessions).toBe(0);
      await goodCall();
    });

    it('answers SDP with ports, addresses or payload types out of range with 400 and keeps no state', async () => {
      const bad = {
        port65536: offer(65536),
        port99999: offer(99999),
        address: offer(4000).replace(/IN IP4 127\.0\.0\.1/g, 'IN IP4 999.1.1.1'),
        payload: offer(4000).replace('RTP/AVP 0 101', 'RTP/AVP 0 300'),
        noPort: offer(4000).replace('m=audio 4000', 'm=audio x'),
        noAddress: offer(4000).replace(/c=IN IP4 [^\r]+\r\n/, ''),
      };
      const ids = Object.keys(bad).map((k) => id(k));
      Object.values(bad).forEach((body, i) => peer.send(peer.request('INVITE', ids[i]!, { body })));
      const finals = await Promise.all(ids.map((c) => peer.final(c)));
      expect(Object.fromEntries(finals.map((f, i) => [Object.keys(bad)[i], f.status]))).toEqual(
        Object.fromEntries(Object.keys(bad).map((k) => [k, 400])),
      );
      expect(finals[0]!.text).toMatch(/^SIP\/2\.0 400 Bad Request \(SDP: .*port 65536/);
      expect(sip.activeCalls).toBe(0);
      expect(sip.media.openSessions).toBe(0);
      await goodCall();
    });

    it('answers header values out of range with 400 (Max-Forwards, Expires, Via and Request-URI ports)', async () => {
      const cases: Array<[string, string]> = [
        ['maxfwd', peer.request('OPTIONS', 'maxfwd').replace('Max-Forwards: 70', 'Max-Forwards: 256')],
        ['expires', peer.request('OPTIONS', 'expires', { extra: 'Expires: 99999999999\r\n' })],
        ['viaport', peer.request('OPTIONS', 'viaport').replace(`${LOOPBACK}:${peer.port};branch`, `${LOOPBACK}:70000;branch`)],
        ['uriport', peer.request('INVITE', 'uriport', { body: offer(4000), uri: 'sip:100@127.0.0.1:0' })],
        ['contactport', peer.request('INVITE', 'contactport', { body: offer(4000) }).replace(`:${peer.port}>`, ':99999>')],
      ];
      for (const [, text] of cases) peer.send(text);
      const finals = await Promise.all(cases.map(([c]) => peer.final(c)));
      expect(finals.map((f) => f.status)).toEqual(cases.map(() => 400));
      expect(sip.activeCalls).toBe(0);
      await goodCall();
    });

    it('takes the second audio stream when the first is declined and answers every m-line in order', async () => {
      const call = id('two');
      const body = offer(0) + `m=video 5002 RTP/AVP 96\r\nm=audio ${peer.port + 4} RTP/AVP 8\r\n`;
      peer.send(peer.request('INVITE', call, { body }));
      const final = await peer.final(call);
      expect(final.status).toBe(200);
      const lines = final.text.split('\r\n').filter((l) => l.startsWith('m='));
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^m=audio 0 RTP\/AVP 0 101$/);
      expect(lines[1]).toMatch(/^m=video 0 RTP\/AVP 96$/);
      expect(lines[2]).toMatch(/^m=audio [1-9]\d* RTP\/AVP 8 101$/);
      peer.ack(call);
      peer.bye(call);
      await until(() => sip.activeCalls === 0, 2000, 'the call ended');
    });

    it('answers a second INVITE of a call it has (another branch, no To tag) with 482, so that its transaction ends', async () => {
      const call = id('merged');
      peer.send(peer.request('INVITE', call, { body: offer(peer.port + 2) }));
      expect((await peer.final(call)).status).toBe(200);
      peer.ack(call);
      peer.send(peer.request('INVITE', call, { body: offer(peer.port + 2), cseq: 7 }));
      await until(() => peer.statuses(call).includes(482), 2000, 'a 482');
      peer.bye(call);
      await until(() => sip.activeCalls === 0, 2000, 'the call ended');
    });

    it('answers SIPp\'s INVITE with m=audio 0 with 488, then takes a good SIPp call', async () => {
      const refused = sipp({
        scenario: 'caller-declined.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port, args: ['-m', '1'],
      });
      const r = await refused.done;
      expect({ code: r.code, output: r.code === 0 ? '' : r.output }).toEqual({ code: 0, output: '' });
      const caller = sipp({
        scenario: 'caller-audio.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port,
        args: ['-m', '1'], placeholders: { AUDIO: makeTone(join(dir, 'voice.wav'), 1), TALK_MS: '500' },
      });
      const c = await caller.done;
      expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
      expect(sip.activeCalls).toBe(0);
    });

    it('contains a handler that throws on a packet: counted and logged, and the next request is answered', async () => {
      const before = sip.metrics().packetErrors;
      const faulty = sip.stack.onDidRequest(() => {
        throw new Error('a bug in a packet handler');
      });
      try {
        const call = id('options');
        peer.send(peer.request('OPTIONS', call));
        expect((await peer.final(call)).status).toBe(200);
        expect(sip.metrics().packetErrors).toBe(before + 1);
      } finally {
        faulty.dispose();
      }
      await goodCall();
    });

    it('closes TCP connections from one address beyond maxTcpConnectionsPerSource, and serves other addresses', async () => {
      const open = (localAddress: string) => new Promise<{ socket: Socket; closed: Promise<void> }>((resolve) => {
        const socket = connect({ host: LOOPBACK, port: sip.port, localAddress });
        socket.on('error', () => undefined);
        const closed = new Promise<void>((r) => socket.on('close', () => r()));
        socket.once('connect', () => resolve({ socket, closed }));
      });
      const options = async (s: Socket, call: string) => {
        const reply = new Promise<string>((resolve, reject) => {
          s.once('data', (d: Buffer) => resolve(d.toString('latin1')));
          s.once('close', () => reject(new Error(`the connection of ${call} was closed`)));
        });
        s.write(peer.request('OPTIONS', call).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
        return reply;
      };
      const before = sip.metrics().refusedConnections;
      const mine = await Promise.all(Array.from({ length: 6 }, () => open(LOOPBACK)));
      // Two of the six are closed by the server at once; the other four stay and are served.
      const settled = await Promise.all(mine.map((c) => Promise.race([c.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 300))])));
      expect(settled.filter((x) => x === 'closed')).toHaveLength(2);
      expect(sip.metrics().refusedConnections).toBe(before + 2);
      const kept = mine.filter((_, i) => settled[i] === 'open');
      expect(await options(kept[0]!.socket, id('tcp-kept'))).toMatch(/^SIP\/2\.0 200 OK/);
      const other = await open('127.0.0.2');
      expect(await options(other.socket, id('tcp-other'))).toMatch(/^SIP\/2\.0 200 OK/);
      for (const c of [...kept, other]) c.socket.destroy();
      await Promise.all([...kept, other].map((c) => c.closed));
      await until(() => sip.metrics().tcpConnections === 0, 2000, 'the server side of the connections closed');
      const again = await open(LOOPBACK);
      expect(await options(again.socket, id('tcp-again'))).toMatch(/^SIP\/2\.0 200 OK/);
      again.socket.destroy();
      await again.closed;
    });

    it('keeps the media clock running when a leg cannot be sent to (the error is counted, not thrown)', async () => {
      // The old crash: a session whose far end is port 0 throws ERR_SOCKET_BAD_PORT inside the media clock.
      const rtp = await sip.media.open();
      rtp.remote = { host: LOOPBACK, port: 0 };
      const before = sip.media.sendErrors;
      const done = new Promise<boolean>((r) => rtp.play(new Int16Array(1600), r));
      expect(await done).toBe(false);
      expect(sip.media.sendErrors).toBeGreaterThan(before);
      rtp.dispose();
      await goodCall();
    });
  });
}
