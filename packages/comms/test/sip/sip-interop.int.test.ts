// Caruso behind software nobody on the project wrote: Kamailio (Debian's package) as the company's
// proxy and registrar with digest authentication and Record-Route, SIPp as customers and as callees in
// "the public network", baresip as an agent's phone registered at Kamailio. Caruso registers at
// Kamailio as a trunk; customers call it through the proxy, and its outbound calls go through it.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, systemClock, type SipTelephonyOptions, type SipTrunk, type TelephonyEvent } from '@caruso/comms';
import {
  baresip, freeMediaPort, freePort, freeSipPort, has, InMemoryContactEventLog, kamailioBinary, killPeers, LOOPBACK, promptDir, QueueRouter, rtpRange, sipp, soxStat, startKamailio,
  TelephonyChannel, toneLevel, until, type KamailioProxy,
} from '@caruso/comms/testing';
import { requireOrSkip } from '@caruso/kernel/testing';

jest.setTimeout(40_000);

const T1 = 40;

function ok(run: { code: number | null; output: string }): void {
  expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
}

if (requireOrSkip('Kamailio, SIPp, baresip and sox', kamailioBinary() !== undefined && has('sipp') && has('baresip', ['-h']) && has('sox', ['--version']))) {
  describe('SipTelephonyAdapter through a Kamailio proxy (Record-Route, digest auth)', () => {
    let dir: string;
    let kam: KamailioProxy;
    let sip: SipTelephonyAdapter;
    let trunk: SipTrunk;
    const events: TelephonyEvent[] = [];

    async function startCaruso(extra: Partial<SipTrunk> = {}, options: Partial<SipTelephonyOptions> = {}, port?: number): Promise<SipTelephonyAdapter> {
      trunk = {
        id: 'pbx', host: LOOPBACK, port: kam.port, register: true, registerExpiresSec: 120,
        username: 'caruso', password: 'caruso-secret', fromUser: 'caruso', assertedIdentity: 'pai', ...extra,
      };
      const adapter = new SipTelephonyAdapter({
        host: LOOPBACK, port: port ?? await freePort(), rtpPorts: rtpRange(), recordingDir: dir, t1Ms: T1, users: [], trunks: [trunk], ...options,
      });
      await adapter.start();
      adapter.onDidEvent((e) => events.push(e));
      await until(() => adapter.trunkRegistrations()[0]?.state === 'registered', 8000,
        () => `Caruso to register at Kamailio ${JSON.stringify(adapter.trunkRegistrations())}\n${kam.output().slice(-3000)}`);
      return adapter;
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-interop-'));
      kam = await startKamailio({
        dir, port: await freePort(),
        accounts: [
          { username: 'caruso', password: 'caruso-secret' },
          { username: 'anna', password: 'anna-secret' },
          { username: 'caruso2', password: 'caruso2-secret' },
          // A 3CX-style account: it authenticates as caruso-auth and calls as its number.
          { username: 'caruso-auth', password: 'carrier-secret', identities: ['31201234567'] },
        ],
      });
      sip = await startCaruso();
    });

    afterEach(async () => {
      await killPeers();
      events.length = 0;
    });

    afterAll(async () => {
      await killPeers();
      await sip?.stop();
      await kam?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    function answerEveryCall(adapter: SipTelephonyAdapter): { dispose(): void } {
      return adapter.onDidEvent((e) => {
        if (e.type === 'call-offered') adapter.answer(e.callId);
      });
    }

    it('takes a call through the proxy, holds it, resumes it and hangs it up: every request follows the route set', async () => {
      const answering = answerEveryCall(sip);
      const caller = sipp({
        scenario: 'proxy-caller-held.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port,
        args: ['-m', '1'], placeholders: { TARGET: 'caruso' },
      });
      await until(() => events.some((e) => e.type === 'answered'), 8000, () => `the call to be answered ${JSON.stringify(events)}\n${kam.output().slice(-3000)}`);
      const callId = events.find((e) => e.type === 'answered')!.callId;
      // The caller's ACK came through the proxy (the call is no longer pending).
      await until(() => sip.metrics().pendingInvites === 0, 8000, 'the ACK through the proxy');
      sip.hold(callId);
      await until(() => events.some((e) => e.type === 'held'), 4000, () => `held ${JSON.stringify(events)}\n${kam.output().slice(-3000)}`);
      sip.unhold(callId);
      await until(() => events.some((e) => e.type === 'unheld'), 4000, 'unheld');
      sip.hangUp(callId);
      ok(await caller.done);
      expect(kam.output()).toMatch(/in-dialog BYE loose-routed/);
      expect(kam.output()).not.toMatch(/without our Route/);
      answering.dispose();
    });

    it('calls out through the proxy: answers the 407 and gets the ACK to the callee through the route set', async () => {
      const uasPort = await freePort();
      const callee = sipp({
        scenario: 'proxy-uas.xml', dir, port: uasPort, mediaPort: await freeMediaPort(), args: ['-m', '1'],
        placeholders: { ACK_MS: '3000', FROM_RE: 'sip:caruso@127\\.0\\.0\\.1', PAI_RE: 'P-Asserted-Identity: .sip:0201234567@127\\.0\\.0\\.1.', PRIVACY_RE: 'Call-ID' },
      });
      const callId = sip.originate(`trunk:pbx:uas-${uasPort}`, { callerId: '0201234567', timeoutMs: 8000 });
      await until(() => events.some((e) => e.type === 'originate-result' && e.callId === callId), 8000,
        () => `an answer ${JSON.stringify(events)}\n${kam.output().slice(-3000)}`);
      expect(events.find((e) => e.type === 'originate-result')).toMatchObject({ result: 'answered' });
      // Longer than the callee waits for its ACK: the call is still up.
      await new Promise((r) => setTimeout(r, 3500));
      expect(sip.isActive(callId)).toBe(true);
      sip.hangUp(callId);
      ok(await callee.done);
      expect(kam.output()).toMatch(/INVITE authenticated as caruso from caruso, PAI \[<sip:0201234567@127\.0\.0\.1>\]/);
    });

    it('bridges a customer to an agent phone (baresip registered at the proxy): media both ways, BYE to both through the proxy', async () => {
      const answering = answerEveryCall(sip);
      const phone = baresip({ dir, user: 'anna', password: 'anna-secret', registrarPort: kam.port, sipPort: await freeSipPort(), ctrlPort: await freePort() });
      await until(() => /200 OK/.test(phone.output()), 8000, () => `baresip to register at Kamailio\n${phone.output()}`);
      const bridging = sip.onDidEvent((e) => {
        if (e.type === 'answered') sip.bridge(e.callId, 'trunk:pbx:anna', { ringTimeoutMs: 8000 });
      });
      const caller = sipp({
        scenario: 'proxy-caller-held.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port,
        args: ['-m', '1', '-rtp_echo'], placeholders: { TARGET: 'caruso' },
      });
      await until(() => events.some((e) => e.type === 'bridged'), 10_000, () => `the agent phone to answer ${JSON.stringify(events)}\n${phone.output()}\n${kam.output().slice(-3000)}`);
      const callId = events.find((e) => e.type === 'bridged')!.callId;
      await until(() => (sip.mediaStats(callId).agent?.packetsReceived ?? 0) > 50 && (sip.mediaStats(callId).caller?.packetsReceived ?? 0) > 50, 6000,
        () => `media both ways ${JSON.stringify(sip.mediaStats(callId))}`);
      // baresip only reports the call established once the ACK for its 200 arrived (through the proxy).
      expect(phone.output()).toMatch(/established/i);
      // What the customer hears is the agent's 440 Hz sine: the caller echoes it back, and a recording of
      // the caller's leg, measured with sox, carries it.
      sip.record(callId, { maxMs: 1000, beep: false });
      await until(() => events.some((e) => e.type === 'recording-finished'), 4000, 'the recording');
      const recording = events.find((e) => e.type === 'recording-finished');
      const uri = recording?.type === 'recording-finished' ? recording.recording.uri : '';
      expect(soxStat(uri).seconds).toBeGreaterThan(0);
      const raw = execFileSync('sox', [uri, '-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-r', '8000', '-']);
      const samples = new Int16Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 2));
      expect(toneLevel(samples, 440)).toBeGreaterThan(1000);
      expect(toneLevel(samples, 440)).toBeGreaterThan(10 * toneLevel(samples, 1000));
      sip.hold(callId);
      await until(() => events.some((e) => e.type === 'held'), 8000, 'held');
      sip.unhold(callId);
      await until(() => events.some((e) => e.type === 'unheld'), 8000, 'unheld');
      sip.hangUp(callId);
      ok(await caller.done);
      await until(() => /closed|terminated/i.test(phone.output()), 4000, () => `baresip to get the BYE\n${phone.output()}`);
      bridging.dispose();
      answering.dispose();
    });

    it('refuses an INVITE that requires an extension it lacks (Require: 100rel) with 420 and Unsupported', async () => {
      const caller = sipp({
        scenario: 'proxy-caller-refused.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'],
        placeholders: { TARGET: 'caruso', HEADERS: 'Require: 100rel', STATUS: '420', CHECK_RE: 'Unsupported: 100rel' },
      });
      ok(await caller.done);
      expect(events.filter((e) => e.type === 'call-offered')).toEqual([]);
    });

    it('refuses a session interval below Min-SE with 422 (RFC 4028)', async () => {
      const caller = sipp({
        scenario: 'proxy-caller-refused.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'],
        placeholders: { TARGET: 'caruso', HEADERS: 'Supported: timer\r\nSession-Expires: 30', STATUS: '422', CHECK_RE: 'Min-SE: 90' },
      });
      ok(await caller.done);
      expect(events.filter((e) => e.type === 'call-offered')).toEqual([]);
    });

    it('answers every m= line (video declined with port 0), takes Require: timer, refuses a G.722-only re-INVITE with 488, follows a change to PCMA and takes c=0.0.0.0 as hold', async () => {
      const answering = answerEveryCall(sip);
      const caller = sipp({
        scenario: 'proxy-caller-renegotiate.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'],
        placeholders: {
          TARGET: 'caruso', HEADERS: 'Supported: timer\r\nRequire: timer\r\nSession-Expires: 1800;refresher=uac',
          CHECK_RE: 'Session-Expires: 1800;refresher=uac.*Require: timer',
        },
      });
      ok(await caller.done);
      expect(events.find((e) => e.type === 'hung-up')).toMatchObject({ by: 'remote' });
      answering.dispose();
    });

    it('takes a delayed offer (INVITE without SDP): offers in the 200 and follows the answer in the ACK', async () => {
      const answering = answerEveryCall(sip);
      let heard = 0;
      const watching = sip.onDidEvent((e) => {
        if (e.type === 'answered') {
          sip.playPrompt(e.callId, { file: join(promptDir, 'welcome.wav') });
          const poll = setInterval(() => {
            heard = Math.max(heard, sip.mediaStats(e.callId).caller?.packetsReceived ?? 0);
          }, 50);
          setTimeout(() => clearInterval(poll), 2500);
        }
      });
      const caller = sipp({
        scenario: 'proxy-caller-delayed-offer.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port,
        args: ['-m', '1', '-rtp_echo'], placeholders: { TARGET: 'caruso', TALK_MS: '2000' },
      });
      ok(await caller.done);
      // Our media went to the address of the ACK's answer and came back from the caller's echo.
      expect(heard).toBeGreaterThan(20);
      expect(events.find((e) => e.type === 'hung-up')).toMatchObject({ by: 'remote', cause: 'caller-hung-up' });
      watching.dispose();
      answering.dispose();
    });

    describe('a Caruso that rings before it answers (ringMs), with T1 = 60 ms and Min-SE 2 s', () => {
      let slow: SipTelephonyAdapter;

      beforeAll(async () => {
        slow = await startCaruso({ username: 'caruso2', password: 'caruso2-secret', fromUser: 'caruso2' }, { ringMs: 1500, t1Ms: 60, minSessionExpiresSec: 2 });
      });

      afterAll(async () => {
        await slow?.stop();
      });

      it('answers a CANCEL while it rings: 180, then 200 to the CANCEL and 487 to the INVITE', async () => {
        const answering = answerEveryCall(slow);
        const caller = sipp({
          scenario: 'proxy-caller-cancel.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'],
          placeholders: { TARGET: 'caruso2' },
        });
        ok(await caller.done);
        await until(() => events.some((e) => e.type === 'hung-up'), 3000, 'hung-up');
        expect(events.find((e) => e.type === 'hung-up')).toMatchObject({ by: 'remote', cause: 'caller-cancelled' });
        expect(events.some((e) => e.type === 'answered')).toBe(false);
        expect(slow.activeCalls).toBe(0);
        answering.dispose();
      });

      it('ends a session the caller should refresh and does not (RFC 4028) with a BYE through the proxy', async () => {
        const answering = answerEveryCall(slow);
        const caller = sipp({
          scenario: 'proxy-caller-session-expired.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'],
          placeholders: {
            TARGET: 'caruso2', HEADERS: 'Supported: timer\r\nSession-Expires: 3', CHECK_RE: 'Session-Expires: 3;refresher=uac.*Require: timer', BYE_MS: '8000',
          },
        });
        ok(await caller.done);
        expect(events.find((e) => e.type === 'hung-up')).toMatchObject({ by: 'remote', cause: 'session-expired' });
        answering.dispose();
      });

      it('refreshes the session itself when the caller does not support timers (re-INVITE through the proxy)', async () => {
        const answering = answerEveryCall(slow);
        const caller = sipp({
          scenario: 'proxy-caller-session-refreshed.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'],
          placeholders: { TARGET: 'caruso2', HEADERS: 'Session-Expires: 2', CHECK_RE: 'Session-Expires: 2;refresher=uas', REFRESH_MS: '4000' },
        });
        ok(await caller.done);
        expect(events.find((e) => e.type === 'hung-up')).toMatchObject({ by: 'remote', cause: 'caller-hung-up' });
        answering.dispose();
      });

      it('ends a call whose 200 is never ACKed with a BYE through the proxy after 64×T1, and frees the agent it reached', async () => {
        const phone = baresip({ dir, user: 'anna', password: 'anna-secret', registrarPort: kam.port, sipPort: await freeSipPort(), ctrlPort: await freePort() });
        await until(() => /200 OK/.test(phone.output()), 8000, () => `baresip to register at Kamailio\n${phone.output()}`);
        const log = new InMemoryContactEventLog();
        const router = new QueueRouter({ clock: systemClock, events: log, idPrefix: 'n' });
        router.addQueue({ id: 'support' });
        router.addAgent({ id: 'anna', queues: [{ queueId: 'support' }] });
        router.login('anna');
        const channel = new TelephonyChannel({ router, telephony: slow, defaultQueueId: 'support', endpointOf: () => 'trunk:pbx:anna' });
        const caller = sipp({
          scenario: 'proxy-caller-noack.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'],
          placeholders: { TARGET: 'caruso2', BYE_MS: '15000' },
        });
        await until(() => events.some((e) => e.type === 'bridged'), 8000, () => `the agent to be reached ${JSON.stringify(events)}\n${phone.output()}`);
        expect(router.agent('anna').contactIds).toHaveLength(1);
        ok(await caller.done);
        await until(() => events.some((e) => e.type === 'hung-up'), 3000, 'hung-up');
        expect(events.find((e) => e.type === 'hung-up')).toMatchObject({ cause: 'no-ack' });
        await until(() => router.agent('anna').contactIds.length === 0, 3000, () => `anna to be freed ${JSON.stringify(router.agent('anna'))}`);
        await until(() => /closed|terminated/i.test(phone.output()), 4000, () => `baresip to get the BYE\n${phone.output()}`);
        expect(slow.activeCalls).toBe(0);
        expect(slow.metrics().ackTimeouts).toBe(1);
        channel.dispose();
        router.dispose();
      });
    });

    it('fails over from a trunk that does not answer to the next; registers and calls through an outbound proxy, with a separate auth user, PAI and Privacy: id', async () => {
      // A trunk that takes packets and never answers: the INVITE times out (408 after 64×T1).
      const blackHole = createSocket('udp4');
      blackHole.on('error', () => undefined);
      const silent = await new Promise<number>((resolve) => blackHole.bind(0, LOOPBACK, () => resolve(blackHole.address().port)));
      const carrier = new SipTelephonyAdapter({
        host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), recordingDir: dir, t1Ms: T1, users: [],
        trunks: [
          { id: 'down', host: LOOPBACK, port: silent },
          {
            id: 'carrier', host: 'sip.carrier.example', outboundProxy: `${LOOPBACK}:${kam.port}`, username: '31201234567', authUsername: 'caruso-auth',
            password: 'carrier-secret', assertedIdentity: 'pai', privacy: 'id', register: true, registerExpiresSec: 60,
          },
        ],
      });
      await carrier.start();
      carrier.onDidEvent((e) => events.push(e));
      // The REGISTER went through the outbound proxy too, answered as caruso-auth for 31201234567.
      await until(() => carrier.trunkRegistrations()[0]?.state === 'registered', 8000, () => `the registration ${JSON.stringify(carrier.trunkRegistrations())}`);
      const uasPort = await freePort();
      const callee = sipp({
        scenario: 'proxy-uas.xml', dir, port: uasPort, mediaPort: await freeMediaPort(), args: ['-m', '1'],
        placeholders: {
          ACK_MS: '3000', FROM_RE: '"Anonymous" .sip:anonymous@anonymous\\.invalid.', PAI_RE: 'P-Asserted-Identity: .sip:0201234599@sip\\.carrier\\.example.',
          PRIVACY_RE: 'Privacy: id',
        },
      });
      try {
        const callId = carrier.originate(`00${uasPort}`, { callerId: '0201234599', timeoutMs: 10_000 });
        await until(() => events.some((e) => e.type === 'originate-result' && e.callId === callId), 10_000,
          () => `an answer ${JSON.stringify(events)}\n${kam.output().slice(-3000)}`);
        expect(events.find((e) => e.type === 'originate-result')).toMatchObject({ result: 'answered' });
        carrier.hangUp(callId);
        ok(await callee.done);
        expect(kam.output()).toMatch(/INVITE authenticated as caruso-auth from anonymous, PAI \[<sip:0201234599@sip\.carrier\.example>\] Privacy \[id\]/);
      } finally {
        await carrier.stop();
        blackHole.close();
      }
    });

    it('takes a call that reaches the proxy over TCP (the proxy record-routes both sides) and hangs it up', async () => {
      const answering = answerEveryCall(sip);
      const caller = sipp({
        scenario: 'proxy-caller-held.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port,
        args: ['-m', '1', '-t', 't1'], placeholders: { TARGET: 'caruso' },
      });
      // What a failure needs to be understood: the adapter's events, the proxy's log and SIPp's end.
      let callerEnd = 'running';
      void caller.done.then((r) => {
        callerEnd = `exited ${r.code}: ${r.output.slice(-1500)}`;
      });
      const said = (what: string) => () => `${what} ${JSON.stringify(events)}\nSIPp caller: ${callerEnd}\n${kam.output().slice(-3000)}`;
      await until(() => events.some((e) => e.type === 'answered'), 8000, said('the call to be answered'));
      const callId = events.find((e) => e.type === 'answered')!.callId;
      await until(() => sip.metrics().pendingInvites === 0, 8000, said('the ACK through the proxy'));
      sip.hold(callId);
      await until(() => events.some((e) => e.type === 'held'), 8000, said('held'));
      sip.unhold(callId);
      await until(() => events.some((e) => e.type === 'unheld'), 8000, said('unheld'));
      sip.hangUp(callId);
      ok(await caller.done);
      // Our BYE went to the proxy over UDP, and on to the caller's TCP Contact.
      expect(kam.output()).toMatch(/in-dialog BYE loose-routed to sip:customer@127\.0\.0\.1:\d+;transport=tcp/i);
      answering.dispose();
    });

    it('calls out over TCP to the proxy: 407, ACK and BYE on the TCP route', async () => {
      const tcp = new SipTelephonyAdapter({
        host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), recordingDir: dir, t1Ms: T1, users: [],
        trunks: [{ id: 'pbx', host: LOOPBACK, port: kam.port, transport: 'tcp', username: 'caruso', password: 'caruso-secret', fromUser: 'caruso' }],
      });
      await tcp.start();
      tcp.onDidEvent((e) => events.push(e));
      const uasPort = await freePort();
      const callee = sipp({
        scenario: 'proxy-uas.xml', dir, port: uasPort, mediaPort: await freeMediaPort(), args: ['-m', '1'],
        placeholders: { ACK_MS: '3000', FROM_RE: 'sip:caruso@127\\.0\\.0\\.1', PAI_RE: 'Via: SIP/2.0/UDP', PRIVACY_RE: 'transport=tcp' },
      });
      try {
        const callId = tcp.originate(`trunk:pbx:uas-${uasPort}`, { callerId: '0201234567', timeoutMs: 8000 });
        await until(() => events.some((e) => e.type === 'originate-result' && e.callId === callId), 8000, () => `an answer ${JSON.stringify(events)}`);
        expect(events.find((e) => e.type === 'originate-result')).toMatchObject({ result: 'answered' });
        await new Promise((r) => setTimeout(r, 3500));
        expect(tcp.isActive(callId)).toBe(true);
        tcp.hangUp(callId);
        ok(await callee.done);
        expect(tcp.metrics().tcpConnections).toBeGreaterThan(0);
      } finally {
        await tcp.stop();
      }
    });

    it('gives calls new ids after a restart, each taken through the proxy', async () => {
      const answering = answerEveryCall(sip);
      const first = sipp({
        scenario: 'proxy-caller-bye.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'], placeholders: { TARGET: 'caruso' },
      });
      await until(() => events.some((e) => e.type === 'answered'), 8000, 'the first call');
      const firstId = events.find((e) => e.type === 'answered')!.callId;
      await until(() => sip.metrics().pendingInvites === 0, 8000, 'the ACK');
      sip.hangUp(firstId);
      ok(await first.done);
      answering.dispose();
      // Restart on the same port: the numbering of the new process starts again, its ids must not.
      const port = sip.port;
      await sip.stop();
      events.length = 0;
      sip = await startCaruso({}, {}, port);
      const again = answerEveryCall(sip);
      const second = sipp({
        scenario: 'proxy-caller-bye.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: kam.port, args: ['-m', '1'], placeholders: { TARGET: 'caruso' },
      });
      await until(() => events.some((e) => e.type === 'answered'), 8000, () => `the call after the restart ${JSON.stringify(events)}`);
      const secondId = events.find((e) => e.type === 'answered')!.callId;
      expect(secondId).not.toBe(firstId);
      expect(secondId.replace(/\d+$/, '')).not.toBe(firstId.replace(/\d+$/, ''));
      await until(() => sip.metrics().pendingInvites === 0, 8000, 'the ACK');
      sip.hangUp(secondId);
      ok(await second.done);
      again.dispose();
    });
  });
}
