// baresip as an agent's softphone: it registers with digest authentication and auto-answers, so that a
// whole call runs caller (SIPp, RFC 4733 key) → menu → queue → agent (baresip) → the agent hangs up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, systemClock, type TelephonyEvent } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';
import { requireOrSkip } from '@caruso/kernel/testing';
import { MenuFront } from './sip-menu.js';
import { baresip, freePort, freeSipPort, has, killPeers, LOOPBACK, makeTone, promptDir, rtpRange, sipp, until } from '@caruso/comms/testing';

jest.setTimeout(30_000);

if (requireOrSkip('SIPp, baresip and sox', has('sipp') && has('baresip', ['-h']) && has('sox', ['--version']))) {
  describe('SipTelephonyAdapter with baresip as the agent phone', () => {
    let dir: string;
    let sip: SipTelephonyAdapter;
    const events: TelephonyEvent[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-baresip-'));
      sip = new SipTelephonyAdapter({
        host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir,
        users: [{ username: 'anna', password: 'anna-secret' }],
      });
      await sip.start();
      sip.onDidEvent((e) => events.push(e));
    });

    afterAll(async () => {
      await killPeers();
      await sip.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('does not register a phone with a wrong password', async () => {
      const phone = baresip({ dir, user: 'anna', password: 'wrong', registrarPort: sip.port, sipPort: await freeSipPort(), ctrlPort: await freePort() });
      await until(() => /reg: sip:anna@127\.0\.0\.1:\d+: 401 Unauthorized/.test(phone.output()), 8000, () => `baresip to report the refused registration\n${phone.output()}`);
      expect(sip.registrar.lookup('anna')).toEqual([]);
      await killPeers();
    });

    it('runs caller → menu → queue → agent phone (registered with digest auth, auto-answer) → the agent hangs up', async () => {
      const phone = baresip({ dir, user: 'anna', password: 'anna-secret', registrarPort: sip.port, sipPort: await freeSipPort(), ctrlPort: await freePort() });
      await until(() => sip.registrar.lookup('anna').length > 0, 8000, `baresip to register\n${phone.output()}`);
      const log = new InMemoryContactEventLog();
      const router = new QueueRouter({ clock: systemClock, events: log, idPrefix: 'b' });
      router.addQueue({ id: 'support' });
      router.addQueue({ id: 'other' });
      router.addAgent({ id: 'anna', queues: [{ queueId: 'support' }] });
      router.login('anna');
      // The menu: answer, play the welcome prompt, take one key (2 here), then hand the call to the channel.
      const front = new MenuFront(sip);
      const channel = new TelephonyChannel({ router, telephony: front, defaultQueueId: 'other', queueFor: (call) => (call.to === 'menu:2' ? 'support' : undefined) });
      const caller = sipp({
        scenario: 'caller-dtmf-waits.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port,
        args: ['-m', '1', '-s', '100'],
        placeholders: { DTMF: '/usr/share/sip-tester/dtmf_2833_2.pcap', AUDIO: makeTone(join(dir, 'voice.wav'), 2), WAIT_MS: '15000' },
      });
      await until(() => events.some((e) => e.type === 'bridged'), 10_000, () => `the agent phone to answer ${JSON.stringify(events)}\n${phone.output()}`);
      // Talk for a moment, checking that the phone's audio (its 440 Hz sine) reaches the caller's leg through the relay.
      const callId = events.find((e) => e.type === 'bridged')!.callId;
      await until(() => (sip.mediaStats(callId).agent?.packetsReceived ?? 0) > 50 && (sip.mediaStats(callId).caller?.packetsReceived ?? 0) > 50, 5000,
        () => `media both ways ${JSON.stringify(sip.mediaStats(callId))}`);
      expect(sip.mediaStats(callId).agent?.packetsLost).toBe(0);
      await phone.command('hangup');
      const c = await caller.done;
      expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
      await until(() => events.some((e) => e.type === 'hung-up'), 2000, 'hung-up');
      expect(events.find((e) => e.type === 'hung-up')).toMatchObject({ by: 'agent' });
      const kinds = (await log.read()).filter((e) => e.contactId).map((e) => e.kind);
      expect(kinds).toEqual(['queue-entered', 'offered', 'connected', 'completed']);
      expect((await log.read()).find((e) => e.kind === 'completed')).toMatchObject({ agentId: 'anna' });
      channel.dispose();
      router.dispose();
    });
  });
}
