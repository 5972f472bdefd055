// Malformed and hostile SIP input over UDP and TCP on loopback: each message is answered as RFC 3261
// says (400, 501) or dropped, nothing crashes, and a good call from SIPp still succeeds after an
// INVITE flood.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { requireOrSkip } from '@caruso/kernel/testing';
import { freePort, has, killPeers, LOOPBACK, makeTone, promptDir, rtpRange, sipp, until } from '@caruso/comms/testing';

jest.setTimeout(30_000);

const sdp = 'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';

function request(method: string, callId: string, options: { extra?: string; body?: string; contentLength?: string } = {}): string {
  const body = options.body ?? '';
  return `${method} sip:100@127.0.0.1 SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK${callId}\r\n` +
    `From: <sip:flood@127.0.0.1>;tag=f${callId}\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 ${method}\r\nMax-Forwards: 70\r\n` +
    (options.extra ?? '') +
    (body ? 'Content-Type: application/sdp\r\n' : '') +
    `Content-Length: ${options.contentLength ?? Buffer.byteLength(body)}\r\n\r\n${body}`;
}

if (requireOrSkip('SIPp and sox', has('sipp') && has('sox', ['--version']))) {
  describe('SipTelephonyAdapter under malformed and hostile input', () => {
    let dir: string;
    let sip: SipTelephonyAdapter;
    let client: Socket;
    const responses = new Map<string, number[]>();
    const events: TelephonyEvent[] = [];

    const send = (text: string | Buffer) => client.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, sip.port, LOOPBACK);
    const statusOf = async (callId: string, ms = 1000) => {
      await until(() => (responses.get(callId)?.some((s) => s >= 200) ?? false), ms, `a final response to ${callId}`);
      return responses.get(callId)!.filter((s) => s >= 200)[0];
    };
    const silence = async (callId: string) => {
      await new Promise((r) => setTimeout(r, 300));
      return responses.get(callId) ?? [];
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-hostile-'));
      sip = new SipTelephonyAdapter({ host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(600), promptDir, recordingDir: dir, users: [], maxCalls: 200 });
      await sip.start();
      sip.onDidEvent((e) => {
        events.push(e);
        if (e.type !== 'call-offered') return;
        // Flood calls are refused as busy; the good caller is answered and hears the menu.
        if (e.from === 'flood') sip.hangUp(e.callId, 'busy');
        else {
          sip.answer(e.callId);
          sip.playPrompt(e.callId, { file: 'welcome.wav' });
        }
      });
      client = createSocket('udp4');
      client.on('message', (buf) => {
        const text = buf.toString('latin1');
        const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
        const callId = /\r\nCall-ID: ([^\r]+)/i.exec(text)?.[1];
        if (status && callId) responses.set(callId, [...(responses.get(callId) ?? []), Number(status)]);
      });
      await new Promise<void>((r) => client.bind(0, LOOPBACK, () => r()));
    });

    afterAll(async () => {
      await killPeers();
      client.close();
      await sip.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers OPTIONS with 200 and an unknown method with 501', async () => {
      send(request('OPTIONS', 'opt1'));
      send(request('FROBNICATE', 'frob1'));
      expect(await statusOf('opt1')).toBe(200);
      expect(await statusOf('frob1')).toBe(501);
    });

    it('answers a wrong Content-Length, a huge header and a CSeq of another method with 400', async () => {
      send(request('INVITE', 'cl1', { body: sdp, contentLength: '4000' }));
      send(request('INVITE', 'huge1', { body: sdp, extra: `X-Huge: ${'h'.repeat(5000)}\r\n` }));
      send(request('INVITE', 'cseq1', { body: sdp }).replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'));
      send(request('INVITE', 'cl2', { body: sdp, contentLength: 'abc' }));
      expect(await statusOf('cl1')).toBe(400);
      expect(await statusOf('huge1')).toBe(400);
      expect(await statusOf('cseq1')).toBe(400);
      expect(await statusOf('cl2')).toBe(400);
      expect(sip.activeCalls).toBe(0);
    });

    it('drops truncated messages, junk, datagrams above the size limit and requests it cannot answer', async () => {
      send(request('INVITE', 'trunc1', { body: sdp }).slice(0, 120));
      send(Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]));
      send(request('INVITE', 'big1', { body: sdp, extra: `X-Pad: ${'p'.repeat(1500)}\r\n`.repeat(12) }));
      send(request('INVITE', 'novia1', { body: sdp }).replace(/Via: [^\r]+\r\n/, ''));
      expect(await silence('trunc1')).toEqual([]);
      expect(await silence('big1')).toEqual([]);
      expect(await silence('novia1')).toEqual([]);
      expect(sip.stack.stats.malformed).toBeGreaterThanOrEqual(8);
    });

    it('answers an INVITE without G.711 with 488 and an in-dialog request for no dialog with 481', async () => {
      send(request('INVITE', 'g722', { body: sdp.replace('RTP/AVP 0', 'RTP/AVP 9') }));
      send(request('BYE', 'nodialog1').replace('To: <sip:100@127.0.0.1>', 'To: <sip:100@127.0.0.1>;tag=x'));
      expect(await statusOf('g722')).toBe(488);
      expect(await statusOf('nodialog1')).toBe(481);
    });

    it('closes a TCP connection that sends a stream without Content-Length, and keeps serving TCP', async () => {
      const bad = connect(sip.port, LOOPBACK);
      const closed = new Promise<void>((r) => bad.on('close', () => r()));
      bad.on('error', () => undefined);
      bad.write(request('OPTIONS', 'tcpbad').replace(/Content-Length: \d+\r\n/, ''));
      await closed;
      const good = connect(sip.port, LOOPBACK);
      const reply = new Promise<string>((r) => good.on('data', (d) => r(d.toString('latin1'))));
      good.write(request('OPTIONS', 'tcpgood').replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
      expect(await reply).toMatch(/^SIP\/2\.0 200 OK/);
      good.destroy();
    });

    it('refuses a flood of 400 INVITEs (486 or 503, each answered) and still takes a good call from SIPp', async () => {
      const ids = Array.from({ length: 400 }, (_, i) => `flood${i}`);
      for (const id of ids) send(request('INVITE', id, { body: sdp }));
      // Like a real client (Timer A), INVITEs without an answer are sent again; the kernel may drop some of a burst.
      const unanswered = () => ids.filter((id) => !responses.get(id)?.some((s) => s >= 200));
      for (let round = 0; round < 10 && unanswered().length > 0; round++) {
        await new Promise((r) => setTimeout(r, 500));
        for (const id of unanswered()) send(request('INVITE', id, { body: sdp }));
      }
      expect(unanswered()).toEqual([]);
      const finals = ids.map((id) => responses.get(id)!.find((s) => s >= 200));
      expect(new Set(finals)).toEqual(new Set(finals.filter((s) => s === 486 || s === 503)));
      expect(finals.filter((s) => s === 486).length).toBeGreaterThan(100);
      // ACK the refusals as a real client would (stops the retransmissions of the 486s).
      for (const id of ids) send(request('ACK', id));
      const caller = sipp({
        scenario: 'caller-audio.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port,
        args: ['-m', '1'], placeholders: { AUDIO: makeTone(join(dir, 'voice.wav'), 1), TALK_MS: '1000' },
      });
      const c = await caller.done;
      expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
      expect(events.filter((e) => e.type === 'answered')).toHaveLength(1);
      expect(sip.activeCalls).toBe(0);
    });
  });
}
