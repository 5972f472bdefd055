// Whole calls against real SIPp peers on loopback: a caller navigating the menu with RFC 4733 DTMF,
// queued by the QueueRouter through the TelephonyChannel and connected to an agent leg answered by a
// SIPp UAS; a caller who hangs up while queued; a caller who leaves a voicemail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipTelephonyAdapter, systemClock, type Recording, type TelephonyEvent } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';
import { jest } from '@jest/globals';
import { requireOrSkip } from '@caruso/kernel/testing';
import { MenuFront } from './sip-menu.js';
import { freePort, has, killPeers, LOOPBACK, makeTone, promptDir, rtpRange, sipp, soxStat, until } from '@caruso/comms/testing';

jest.setTimeout(30_000);

if (requireOrSkip('SIPp and sox', has('sipp') && has('sox', ['--version']))) {
  describe('SipTelephonyAdapter with SIPp peers', () => {
    let dir: string;
    let sip: SipTelephonyAdapter;
    let events: TelephonyEvent[];
    let tone: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-'));
      tone = makeTone(join(dir, 'voice.wav'), 3, 440);
    });

    beforeEach(async () => {
      sip = new SipTelephonyAdapter({
        host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir, users: [],
      });
      await sip.start();
      events = [];
      sip.onDidEvent((e) => events.push(e));
    });

    afterEach(async () => {
      await killPeers();
      await sip.stop();
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('takes a caller through the menu (RFC 4733 key 1), queues the call and connects it to an agent leg answered by a SIPp UAS', async () => {
      const log = new InMemoryContactEventLog();
      const router = new QueueRouter({ clock: systemClock, events: log, idPrefix: 't' });
      const front = new MenuFront(sip);
      const agentPort = await freePort();
      router.addQueue({ id: 'support' });
      router.addQueue({ id: 'other' });
      router.addAgent({ id: 'anna', queues: [{ queueId: 'support' }] });
      router.login('anna');
      const channel = new TelephonyChannel({
        router, telephony: front, defaultQueueId: 'other',
        queueFor: (call) => (call.to === 'menu:1' ? 'support' : undefined),
        endpointOf: () => `sip:anna@${LOOPBACK}:${agentPort}`,
      });
      const agent = sipp({ scenario: 'agent-uas.xml', dir, port: agentPort, mediaPort: await freePort(), args: ['-m', '1', '-rtp_echo'], placeholders: { ANSWER_MS: '300' } });
      const caller = sipp({
        scenario: 'caller-dtmf.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port,
        args: ['-m', '1', '-s', '100'], placeholders: { DTMF: '/usr/share/sip-tester/dtmf_2833_1.pcap', AUDIO: tone, TALK_MS: '4000' },
      });
      let relayed = 0;
      sip.onDidEvent((e) => {
        if (e.type === 'bridged') setTimeout(() => { relayed = sip.mediaStats(e.callId).agent?.packetsReceived ?? 0; }, 1500);
      });
      const [c, a] = await Promise.all([caller.done, agent.done]);
      expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
      expect({ code: a.code, output: a.code === 0 ? '' : a.output }).toEqual({ code: 0, output: '' });
      const types = events.map((e) => e.type);
      expect(events).toContainEqual(expect.objectContaining({ type: 'dtmf-collected', digits: '1', timedOut: false }));
      expect(events).toContainEqual(expect.objectContaining({ type: 'prompt-finished', interrupted: true }));
      expect(types).toEqual(expect.arrayContaining(['call-offered', 'answered', 'bridge-ringing', 'bridged', 'hung-up']));
      expect(events.find((e) => e.type === 'hung-up')).toMatchObject({ by: 'remote' });
      // The agent's echo came back through the relay: media flowed caller → Caruso → agent → Caruso.
      expect(relayed).toBeGreaterThan(20);
      const kinds = (await log.read()).map((e) => e.kind);
      expect(kinds).toEqual(expect.arrayContaining(['queue-entered', 'offered', 'connected', 'completed']));
      expect((await log.read()).find((e) => e.kind === 'queue-entered')).toMatchObject({ queueId: 'support' });
      channel.dispose();
      router.dispose();
    });

    it('logs an abandon when the caller hangs up while queued', async () => {
      const log = new InMemoryContactEventLog();
      const router = new QueueRouter({ clock: systemClock, events: log, idPrefix: 'a' });
      router.addQueue({ id: 'support' });
      const channel = new TelephonyChannel({ router, telephony: sip, defaultQueueId: 'support' });
      const caller = sipp({
        scenario: 'caller-audio.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port,
        args: ['-m', '1'], placeholders: { AUDIO: tone, TALK_MS: '1500' },
      });
      const c = await caller.done;
      expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
      await until(() => events.some((e) => e.type === 'hung-up'), 2000, 'hung-up');
      const kinds = (await log.read()).map((e) => e.kind);
      expect(kinds).toEqual(['queue-entered', 'abandoned']);
      expect(sip.activeCalls).toBe(0);
      channel.dispose();
      router.dispose();
    });

    it('records a voicemail: the WAV holds the 3 s tone the caller sent (length and energy checked with sox)', async () => {
      sip.onDidEvent((e) => {
        if (e.type === 'call-offered') {
          sip.answer(e.callId);
          sip.record(e.callId, { maxMs: 10_000, beep: false });
        }
      });
      const caller = sipp({
        scenario: 'caller-audio.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port,
        args: ['-m', '1'], placeholders: { AUDIO: tone, TALK_MS: '3600' },
      });
      const c = await caller.done;
      expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
      await until(() => events.some((e) => e.type === 'recording-finished'), 3000, 'recording-finished');
      const recording = (events.find((e) => e.type === 'recording-finished') as { recording: Recording }).recording;
      const stat = soxStat(recording.uri);
      expect(stat.seconds).toBeGreaterThan(2.8);
      expect(stat.seconds).toBeLessThan(3.2);
      // vol 0.5 sine: RMS ≈ 0.35 of full scale; silence would be ≈ 0.
      expect(stat.rms).toBeGreaterThan(0.25);
      expect(stat.rms).toBeLessThan(0.45);
      expect(recording.durationMs).toBeGreaterThan(2800);
      const bytes = await sip.readRecording(recording);
      expect(Buffer.from(bytes).toString('latin1', 0, 4)).toBe('RIFF');
      expect(events.map((e) => e.type)).toEqual(['call-offered', 'answered', 'recording-finished', 'hung-up']);
    });

    it('puts the caller on hold and back (re-INVITE sendonly, sendrecv) and blind-transfers the call (REFER, 202, BYE)', async () => {
      sip.onDidEvent((e) => {
        if (e.type === 'call-offered') sip.answer(e.callId);
        if (e.type === 'answered') setTimeout(() => sip.hold(e.callId), 300);
        if (e.type === 'held') sip.unhold(e.callId);
        if (e.type === 'unheld') sip.transfer(e.callId, `sip:reception@${LOOPBACK}:5999`);
      });
      const caller = sipp({
        scenario: 'caller-hold-transfer.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port, args: ['-m', '1'],
      });
      const c = await caller.done;
      expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
      expect(events.map((e) => e.type)).toEqual(['call-offered', 'answered', 'held', 'unheld', 'transferred']);
      expect(events.at(-1)).toMatchObject({ destination: `sip:reception@${LOOPBACK}:5999` });
      expect(sip.activeCalls).toBe(0);
    });
  });
}
