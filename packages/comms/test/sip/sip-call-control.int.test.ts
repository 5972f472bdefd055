// Call control on the SIP adapter against real SIP user agents on loopback: hold with music, mute, DTMF
// sent to the customer (RFC 4733 and in-band), attended transfer (transfer, cancel, failures), the
// three-party conference mixed in the adapter, and an outbound call through a trunk bridged to an agent.
// Each phone sends a sine of its own frequency; who hears whom is measured on the received audio
// (Goertzel per frequency, and sox for the silence of a muted agent).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { requireOrSkip } from '@caruso/kernel/testing';
import { baresip, freePort, freeSipPort, has, killPeers, LOOPBACK, promptDir, rtpRange, sipp, soxStat, until } from '@caruso/comms/testing';
import { listen, PhoneSet, rms, toneLevel, writeWav, type TestPhone } from '@caruso/comms/testing';

jest.setTimeout(20_000);

const CUSTOMER_HZ = 600;
const AGENT_HZ = 1000;
const PARTY_HZ = 1400;
const MUSIC_HZ = 350;
/** A tone of amplitude 8000 measures about 8000; what is not there measures a few dozen. */
const PRESENT = 2500;
const ABSENT = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (requireOrSkip('SIPp and sox', has('sipp') && has('sox', ['--version']))) {
  describe('SipTelephonyAdapter call control (real SIP phones on loopback)', () => {
    let dir: string;
    let music: string;
    let sip: SipTelephonyAdapter;
    let events: TelephonyEvent[];
    const phones = new PhoneSet();
    const phone = (name: string, options: Parameters<typeof TestPhone.open>[1] = {}): Promise<TestPhone> => phones.open(name, options);
    const event = async <T extends TelephonyEvent['type']>(type: T, ms = 4000, nth = 1): Promise<Extract<TelephonyEvent, { type: T }>> => {
      await until(() => events.filter((e) => e.type === type).length >= nth, ms, () => `${type} (events: ${events.map((e) => e.type).join(', ')})`);
      return events.filter((e) => e.type === type)[nth - 1] as Extract<TelephonyEvent, { type: T }>;
    };
    const start = async (extra: Partial<ConstructorParameters<typeof SipTelephonyAdapter>[0]> = {}): Promise<void> => {
      sip = new SipTelephonyAdapter({
        host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir, users: [], holdMusic: music, ...extra,
      });
      await sip.start();
      sip.onDidEvent((e) => events.push(e));
    };
    /** The customer calls in, is answered and bridged to the agent; resolves with the call id once they talk. */
    const talk = async (customer: TestPhone, agent: TestPhone): Promise<string> => {
      sip.onDidEvent((e) => {
        if (e.type !== 'call-offered') return;
        sip.answer(e.callId);
        sip.bridge(e.callId, agent.uri, { ringTimeoutMs: 5000 });
      });
      await customer.call(sip.port);
      return (await event('bridged')).callId;
    };

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-control-'));
      music = join(dir, 'music.wav');
      execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', music, 'synth', '2', 'sine', String(MUSIC_HZ), 'vol', '0.25']);
    });

    beforeEach(() => {
      events = [];
    });

    afterEach(async () => {
      await killPeers();
      await sip.stop();
      await phones.close();
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('puts the customer on hold (re-INVITE sendonly) with the hold music, and back (sendrecv) to the agent', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const callId = await talk(customer, agent);
      let level = await listen();
      expect([level(customer, AGENT_HZ), level(agent, CUSTOMER_HZ)].every((l) => l > PRESENT)).toBe(true);

      sip.hold(callId);
      await event('held');
      expect(customer.seen('INVITE').at(-1)?.direction).toBe('sendonly');
      level = await listen();
      // The customer hears the music, not the agent; the agent no longer hears the customer.
      expect({ music: level(customer, MUSIC_HZ) > PRESENT, agent: level(customer, AGENT_HZ) < ABSENT, customer: level(agent, CUSTOMER_HZ) < ABSENT })
        .toEqual({ music: true, agent: true, customer: true });

      sip.unhold(callId);
      await event('unheld');
      expect(customer.seen('INVITE').at(-1)?.direction).toBe('sendrecv');
      level = await listen();
      expect({ agent: level(customer, AGENT_HZ) > PRESENT, music: level(customer, MUSIC_HZ) < ABSENT, customer: level(agent, CUSTOMER_HZ) > PRESENT })
        .toEqual({ agent: true, music: true, customer: true });
    });

    it('mutes the agent: the customer gets silence (packets still flow), the agent still hears the customer; unmute restores', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const callId = await talk(customer, agent);

      sip.mute(callId, true);
      expect(await event('muted')).toEqual({ type: 'muted', callId, muted: true });
      await sleep(300);
      const from = Date.now();
      await sleep(1000);
      const heard = customer.heard(from);
      // About 50 packets a second keep coming, all silence (sox measures the RMS of what the customer got).
      expect(customer.packets(from)).toBeGreaterThan(35);
      const stat = soxStat(writeWav(join(dir, 'muted.wav'), heard));
      expect(stat.rms).toBeLessThan(0.005);
      expect(Math.round(toneLevel(agent.heard(from), CUSTOMER_HZ))).toBeGreaterThan(PRESENT);

      sip.mute(callId, false);
      expect(await event('muted', 4000, 2)).toEqual({ type: 'muted', callId, muted: false });
      const level = await listen();
      expect(level(customer, AGENT_HZ)).toBeGreaterThan(PRESENT);
      expect(rms(customer.heard(Date.now() - 500))).toBeGreaterThan(3000);
    });

    it('sends "12#" to the customer as RFC 4733 events on the payload type its SDP gave, each ended by three end packets', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ, eventPt: 96 });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const callId = await talk(customer, agent);
      sip.sendDtmf(callId, '12#');
      expect(await event('dtmf-sent')).toEqual({ type: 'dtmf-sent', callId, count: 3 });
      await sleep(100);
      const got = customer.events;
      expect(new Set(got.map((e) => e.pt))).toEqual(new Set([96]));
      // One event per key, in order: its packets share a timestamp, the first has the marker bit, the last three the end bit.
      const keys = [...new Set(got.map((e) => e.ts))].map((ts) => got.filter((e) => e.ts === ts));
      expect(keys.map((k) => k[0]!.event)).toEqual([1, 2, 11]);
      for (const k of keys) {
        expect(k[0]!.marker).toBe(true);
        expect(k.filter((e) => e.end).length).toBe(3);
        expect(k.slice(-3).every((e) => e.end && e.duration === 800)).toBe(true);
        expect(k.filter((e) => !e.end).map((e) => e.duration)).toEqual([160, 320, 480, 640]);
      }
      // Keys are apart: 160 ms from one key's start to the next in RTP time.
      expect(keys[1]![0]!.ts - keys[0]![0]!.ts).toBe(1280);
    });

    it('refuses bad DTMF input (nothing is sent) and any command on a call that is gone', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const callId = await talk(customer, agent);
      for (const bad of ['', '12x', '1'.repeat(33), '1 2']) {
        expect(() => sip.sendDtmf(callId, bad)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
      }
      expect(() => sip.endConsult(callId, 'transfer')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_CONTACT_STATE' }));
      await sleep(300);
      expect(customer.events).toEqual([]);
      expect(events.filter((e) => e.type === 'dtmf-sent')).toEqual([]);
      const gone = 'no-such-call';
      const commands: (() => void)[] = [
        () => sip.mute(gone, true), () => sip.sendDtmf(gone, '1'), () => sip.conference(gone, agent.uri), () => sip.leaveConference(gone, agent.uri),
        () => sip.consult(gone, agent.uri, { ringTimeoutMs: 1000 }), () => sip.endConsult(gone, 'cancel'),
      ];
      for (const c of commands) expect(c).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_CALL' }));
    });

    it('falls back to in-band tones for a customer whose SDP has no telephone-event', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ, eventPt: null });
      const agent = await phone('agent', { hz: 0 });
      const callId = await talk(customer, agent);
      await sleep(200);
      const from = Date.now();
      sip.sendDtmf(callId, '1');
      await event('dtmf-sent');
      const heard = customer.heard(from);
      expect(customer.events).toEqual([]);
      // Key 1 is 697 Hz + 1209 Hz.
      expect([toneLevel(heard, 697), toneLevel(heard, 1209)].every((l) => l > 1500)).toBe(true);
      expect(toneLevel(heard, 1477)).toBeLessThan(ABSENT);
    });

    it('attended transfer: consults a party (the agent a SIPp UAS that echoes), then hands the customer over; the agent leg gets BYE', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ });
      const party = await phone('party', { hz: PARTY_HZ, codec: 8 });
      // The agent is a SIPp UAS that echoes; it exits 0 only when it got the BYE.
      const agentPort = await freePort();
      const agent = sipp({ scenario: 'agent-uas.xml', dir, port: agentPort, mediaPort: await freePort(), args: ['-m', '1', '-rtp_echo'], placeholders: { ANSWER_MS: '100' } });
      sip.onDidEvent((e) => {
        if (e.type !== 'call-offered') return;
        sip.answer(e.callId);
        sip.bridge(e.callId, `sip:agent@${LOOPBACK}:${agentPort}`, { ringTimeoutMs: 5000 });
      });
      await customer.call(sip.port);
      const callId = (await event('bridged')).callId;
      await sleep(300);

      sip.consult(callId, party.uri, { ringTimeoutMs: 5000 });
      expect(() => sip.consult(callId, party.uri, { ringTimeoutMs: 5000 })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_CONTACT_STATE' }));
      await event('held');
      expect(await event('consult-answered')).toEqual({ type: 'consult-answered', callId, party: party.uri });
      expect(customer.seen('INVITE').at(-1)?.direction).toBe('sendonly');
      let level = await listen();
      // The agent (echo) talks to the party: the party hears its own tone back; the customer hears the music only.
      expect({ echo: level(party, PARTY_HZ) > PRESENT, music: level(customer, MUSIC_HZ) > PRESENT, party: level(customer, PARTY_HZ) < ABSENT })
        .toEqual({ echo: true, music: true, party: true });

      sip.endConsult(callId, 'transfer');
      expect(await event('transferred')).toEqual({ type: 'transferred', callId, destination: party.uri });
      const a = await agent.done;
      expect({ code: a.code, output: a.code === 0 ? '' : a.output }).toEqual({ code: 0, output: '' });
      await until(() => customer.seen('INVITE').at(-1)?.direction === 'sendrecv', 2000, 'the re-INVITE sendrecv');
      level = await listen();
      expect({ party: level(customer, PARTY_HZ) > PRESENT, customer: level(party, CUSTOMER_HZ) > PRESENT, music: level(customer, MUSIC_HZ) < ABSENT })
        .toEqual({ party: true, customer: true, music: true });
      expect(events.some((e) => e.type === 'unheld' || e.type === 'hung-up')).toBe(false);

      // The call lives on between customer and party until one of them hangs up.
      party.hangUp();
      expect(await event('hung-up')).toMatchObject({ callId, by: 'agent' });
      await until(() => customer.seen('BYE').length === 1, 2000, 'the customer\'s BYE');
      expect(sip.activeCalls).toBe(0);
    });

    it('attended transfer cancelled: the party gets BYE, the customer stays on hold with the music until unhold', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const party = await phone('party', { hz: PARTY_HZ });
      const callId = await talk(customer, agent);
      sip.consult(callId, party.uri, { ringTimeoutMs: 5000 });
      await event('consult-answered');
      let level = await listen();
      expect({ party: level(agent, PARTY_HZ) > PRESENT, agent: level(party, AGENT_HZ) > PRESENT }).toEqual({ party: true, agent: true });

      sip.endConsult(callId, 'cancel');
      await until(() => party.seen('BYE').length === 1, 2000, 'the party\'s BYE');
      level = await listen();
      expect({ music: level(customer, MUSIC_HZ) > PRESENT, agent: level(customer, AGENT_HZ) < ABSENT, customer: level(agent, CUSTOMER_HZ) < ABSENT })
        .toEqual({ music: true, agent: true, customer: true });
      expect(customer.seen('INVITE').at(-1)?.direction).toBe('sendonly');
      expect(events.filter((e) => e.type === 'consult-failed')).toEqual([]);

      sip.unhold(callId);
      await event('unheld');
      level = await listen();
      expect({ agent: level(customer, AGENT_HZ) > PRESENT, customer: level(agent, CUSTOMER_HZ) > PRESENT }).toEqual({ agent: true, customer: true });
    });

    it('reports consult-failed when the party is busy, does not answer, or hangs up; the customer stays on hold', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const busy = await phone('busy');
      busy.answerMode = 'busy';
      const silent = await phone('silent');
      silent.answerMode = 'ring';
      const party = await phone('party', { hz: PARTY_HZ });
      const callId = await talk(customer, agent);

      sip.consult(callId, busy.uri, { ringTimeoutMs: 3000 });
      expect(await event('consult-failed')).toEqual({ type: 'consult-failed', callId, party: busy.uri, cause: 'busy' });
      sip.consult(callId, silent.uri, { ringTimeoutMs: 500 });
      expect(await event('consult-failed', 4000, 2)).toEqual({ type: 'consult-failed', callId, party: silent.uri, cause: 'no-answer' });
      await until(() => silent.seen('CANCEL').length === 1, 2000, 'the CANCEL');
      sip.consult(callId, party.uri, { ringTimeoutMs: 3000 });
      await event('consult-answered');
      party.hangUp();
      expect(await event('consult-failed', 4000, 3)).toEqual({ type: 'consult-failed', callId, party: party.uri, cause: 'hung-up' });
      expect(events.filter((e) => e.type === 'held')).toHaveLength(1);
      const level = await listen();
      expect({ music: level(customer, MUSIC_HZ) > PRESENT, customer: level(agent, CUSTOMER_HZ) < ABSENT }).toEqual({ music: true, customer: true });
      expect(sip.isActive(callId)).toBe(true);
    });

    it('conference of three: each leg hears the two others (mixed, µ-law and A-law), a muted agent is left out, a party leaving leaves two talking', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const party = await phone('party', { hz: PARTY_HZ, codec: 8 });
      const callId = await talk(customer, agent);
      sip.conference(callId, party.uri);
      await until(() => party.connected, 3000, 'the party to answer');
      let level = await listen(1000);
      const matrix = (p: TestPhone) => [CUSTOMER_HZ, AGENT_HZ, PARTY_HZ].map((hz) => level(p, hz) > PRESENT);
      expect({ customer: matrix(customer), agent: matrix(agent), party: matrix(party) })
        .toEqual({ customer: [false, true, true], agent: [true, false, true], party: [true, true, false] });

      sip.mute(callId, true);
      await event('muted');
      level = await listen();
      expect({ customer: matrix(customer), agent: matrix(agent), party: matrix(party) })
        .toEqual({ customer: [false, false, true], agent: [true, false, true], party: [true, false, false] });
      sip.mute(callId, false);
      await event('muted', 4000, 2);

      party.hangUp();
      await sleep(200);
      level = await listen();
      expect({ customer: matrix(customer), agent: matrix(agent) }).toEqual({ customer: [false, true, false], agent: [true, false, false] });
      expect(sip.isActive(callId)).toBe(true);
      expect(events.some((e) => e.type === 'hung-up')).toBe(false);
    });

    it('consult then conference: the customer comes off hold and the three are mixed; the agent leaving leaves customer and party', async () => {
      await start();
      const customer = await phone('customer', { hz: CUSTOMER_HZ });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const party = await phone('party', { hz: PARTY_HZ });
      const callId = await talk(customer, agent);
      sip.consult(callId, party.uri, { ringTimeoutMs: 5000 });
      await event('consult-answered');
      sip.endConsult(callId, 'conference');
      await event('unheld');
      expect(customer.seen('INVITE').at(-1)?.direction).toBe('sendrecv');
      let level = await listen(1000);
      const matrix = (p: TestPhone) => [CUSTOMER_HZ, AGENT_HZ, PARTY_HZ].map((hz) => level(p, hz) > PRESENT);
      expect({ customer: matrix(customer), agent: matrix(agent), party: matrix(party) })
        .toEqual({ customer: [false, true, true], agent: [true, false, true], party: [true, true, false] });

      agent.hangUp();
      await sleep(200);
      level = await listen();
      expect({ customer: matrix(customer), party: matrix(party) }).toEqual({ customer: [false, false, true], party: [true, false, false] });
      expect(events.some((e) => e.type === 'hung-up')).toBe(false);
      customer.hangUp();
      expect(await event('hung-up')).toMatchObject({ callId, by: 'remote' });
      await until(() => party.seen('BYE').length === 1, 2000, 'the party\'s BYE');
    });

    it('click-to-dial: an outbound call through the trunk, bridged to the agent, talks both ways and ends when the agent hangs up', async () => {
      const outside = await phone('outside', { hz: CUSTOMER_HZ });
      await start({ trunks: [{ id: 'pstn', host: LOOPBACK, port: outside.sipPort }] });
      const agent = await phone('agent', { hz: AGENT_HZ });
      const callId = sip.originate('5551234', { callerId: '4940123', timeoutMs: 5000 });
      expect(await event('originate-result')).toEqual({ type: 'originate-result', callId, result: 'answered' });
      sip.bridge(callId, agent.uri, { ringTimeoutMs: 5000 });
      await event('bridged');
      const level = await listen();
      expect({ outside: level(outside, AGENT_HZ) > PRESENT, agent: level(agent, CUSTOMER_HZ) > PRESENT }).toEqual({ outside: true, agent: true });
      sip.sendDtmf(callId, '9');
      await event('dtmf-sent');
      expect(outside.events.filter((e) => e.end).map((e) => e.event)).toEqual([9, 9, 9]);
      agent.hangUp();
      expect(await event('hung-up')).toMatchObject({ callId, by: 'agent' });
      await until(() => outside.seen('BYE').length === 1, 2000, 'the outside BYE');
    });

    if (requireOrSkip('baresip', has('baresip', ['-h']))) {
      it('consults a registered agent phone by name (baresip, auto-answer) and transfers the customer to it; its 440 Hz reaches the customer', async () => {
        await start({ users: [{ username: 'bea', password: 'bea-secret' }] });
        const bea = baresip({ dir, user: 'bea', password: 'bea-secret', registrarPort: sip.port, sipPort: await freeSipPort(), ctrlPort: await freePort(), timeoutMs: 18_000 });
        await until(() => sip.registrar.lookup('bea').length > 0, 8000, () => `baresip to register\n${bea.output()}`);
        const customer = await phone('customer', { hz: CUSTOMER_HZ });
        const agent = await phone('agent', { hz: AGENT_HZ });
        const callId = await talk(customer, agent);
        sip.consult(callId, 'agent:bea', { ringTimeoutMs: 5000 });
        expect(await event('consult-answered', 6000)).toEqual({ type: 'consult-answered', callId, party: 'agent:bea' });
        let level = await listen();
        expect({ bea: level(agent, 440) > PRESENT, music: level(customer, MUSIC_HZ) > PRESENT }).toEqual({ bea: true, music: true });
        sip.endConsult(callId, 'transfer');
        await event('transferred');
        await until(() => agent.seen('BYE').length === 1, 2000, 'the agent\'s BYE');
        level = await listen();
        expect({ bea: level(customer, 440) > PRESENT, agent: level(customer, AGENT_HZ) < ABSENT }).toEqual({ bea: true, agent: true });
        await bea.command('hangup');
        expect(await event('hung-up', 4000)).toMatchObject({ callId, by: 'agent' });
        await until(() => customer.seen('BYE').length === 1, 2000, 'the customer\'s BYE');
      });
    }
  });
}
