// Quality management over real SIP on loopback: a call recorded end to end through the
// communication server (queue recorded, announcement, pause, stop), its WAV read back and measured
// tone by tone; supervisor monitoring (listen, whisper, barge, switching, the supervisor hanging up)
// with who-hears-whom measured on what each phone received. On SQLite and PostgreSQL (the recording
// catalogue and the contact events are stored).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { requireOrSkip } from '@caruso/kernel/testing';
import { CommunicationServer, ContactEventLog, SipTelephonyAdapter, TelephonyAdapter, commsService, contactEventLogService, readRecording, sipTelephonyService, type ContactEvent } from '@caruso/comms';
import { eventually, freePort, has, killPeers, listen, LOOPBACK, PhoneSet, promptDir, rms, rtpRange, soxStat, toneLevel, until, type TestPhone } from '@caruso/comms/testing';

jest.setTimeout(90_000);

const CUSTOMER_HZ = 440;
const AGENT_HZ = 1000;
const SUPERVISOR_HZ = 1400;
const PRESENT = 2500;
const ABSENT = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The level of a frequency in each 100 ms window of a recording. */
function windows(samples: Int16Array, hz: number): number[] {
  const out: number[] = [];
  for (let at = 0; at + 800 <= samples.length; at += 800) out.push(Math.round(toneLevel(samples.subarray(at, at + 800), hz)));
  return out;
}

/** Runs of windows: 'C' the customer's tone alone, 'A' the agent's alone, 'B' both, '-' silence. */
function timeline(samples: Int16Array): string {
  const c = windows(samples, CUSTOMER_HZ);
  const a = windows(samples, AGENT_HZ);
  let line = '';
  for (let i = 0; i < c.length; i++) {
    const ch = c[i]! > PRESENT / 2 && a[i]! > PRESENT / 2 ? 'B' : c[i]! > PRESENT / 2 ? 'C' : a[i]! > PRESENT / 2 ? 'A' : c[i]! < ABSENT / 2 && a[i]! < ABSENT / 2 ? '-' : '?';
    line += ch;
  }
  return line;
}

/** The runs of a timeline with at least `min` windows, in order ("CCCC--AAA" → "C-A"). */
function runs(line: string, min = 4): string {
  return (line.match(/(.)\1*/g) ?? []).filter((r) => r.length >= min && r[0] !== '?').map((r) => r[0]).join('').replace(/(.)\1+/g, '$1');
}

if (requireOrSkip('sox', has('sox', ['--version']))) {
  describe('quality management over SIP (recording and monitoring through the communication server)', () => {
    forEachDatabase((db) => {
      let dir: string;
      let m: ServiceManager;
      let comms: CommunicationServer;
      let sip: SipTelephonyAdapter;
      let log: ContactEventLog;
      const phones = new PhoneSet();
      const phone = (name: string, hz: number): Promise<TestPhone> => phones.open(name, { hz });
      const events = async (contactId?: string): Promise<ContactEvent[]> => (await log.read({ afterSeq: 0, limit: 10_000 })).filter((e) => contactId === undefined || e.contactId === contactId);

      const start = async (agentUri: string, extra: { announcement?: string; channels?: 1 | 2 } = {}): Promise<void> => {
        m = createServiceManager();
        m.register(StorageManager, storageService(await db.freshDatabase()));
        m.register(ContactEventLog, contactEventLogService());
        m.register(TelephonyAdapter, sipTelephonyService({ host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir, users: [] }));
        m.register(CommunicationServer, commsService({
          queues: [{ id: 'sales' }, { id: 'plain' }],
          agents: [{ id: 'anna', queues: [{ queueId: 'sales' }], endpoint: agentUri }],
          telephony: { entryPoints: [{ number: '100', queueId: 'sales' }, { queueId: 'plain' }] },
          recording: { folder: join(dir, 'recordings'), queues: ['sales'], announcement: extra.announcement ?? '', ...(extra.channels ? { channels: extra.channels } : {}), retentionDays: 30 },
          interactions: { enabled: false },
        }));
        await m.start();
        comms = m.get(CommunicationServer);
        sip = m.get(TelephonyAdapter) as SipTelephonyAdapter;
        log = m.get(ContactEventLog);
        await comms.login('anna');
      };
      /** The customer calls the number; resolves with the contact once the agent's phone talks to them. */
      const connect = async (customer: TestPhone): Promise<string> => {
        await customer.call(sip.port, '100');
        await until(() => comms.agent('anna').contactIds.length === 1 && comms.contact(comms.agent('anna').contactIds[0]!)?.state === 'connected', 8000, 'the call connected to anna');
        return comms.agent('anna').contactIds[0]!;
      };

      beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), `caruso-quality-${db.dialect}-`));
      });
      afterEach(async () => {
        await killPeers();
        await m?.stop();
        await phones.close();
      });
      afterAll(() => {
        rmSync(dir, { recursive: true, force: true });
      });

      it('records a call of a recorded queue: the customer\'s tone, then the agent\'s, a silent paused stretch, in order; logged and catalogued', async () => {
        const agent = await phone('agent', 0);
        await start(agent.uri);
        const customer = await phone('customer', CUSTOMER_HZ);
        const contactId = await connect(customer);
        // The customer speaks alone, then the agent alone.
        await sleep(1200);
        customer.hz = 0;
        agent.hz = AGENT_HZ;
        await sleep(1200);
        // Paused while both send their tones: nothing of it is written.
        await comms.setRecordingPaused(contactId, true, 'anna');
        customer.hz = CUSTOMER_HZ;
        await sleep(1200);
        await comms.setRecordingPaused(contactId, false, 'anna');
        await sleep(1000);
        customer.hangUp();
        await until(() => comms.contact(contactId) === undefined, 5000, 'the contact ended');
        await eventually(async () => (await events(contactId)).some((e) => e.kind === 'recording-stopped'), 'recording-stopped');
        const kinds = (await events(contactId)).map((e) => e.kind).filter((k) => k.startsWith('recording-'));
        expect(kinds).toEqual(['recording-started', 'recording-paused', 'recording-resumed', 'recording-stopped']);
        const paused = (await events(contactId)).find((e) => e.kind === 'recording-paused')!;
        expect(paused).toMatchObject({ agentId: 'anna', reason: 'agent', queueId: 'sales' });

        const [entry] = await comms.recordings(contactId);
        expect(entry).toMatchObject({ contactId, queueId: 'sales', channels: 1 });
        expect(entry!.file).toMatch(/^\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.wav$/);
        expect(entry!.pausedMs).toBeGreaterThan(1000);
        const got = await comms.recordingAudio(entry!.id);
        expect(got?.wav.byteLength).toBe(entry!.bytes + 58); // the A-law WAV header: RIFF, fmt, fact, data
        const file = join(dir, 'recordings', ...entry!.file.split('/'));
        // sox reads it as an ordinary WAV file of about the call's length.
        const stat = soxStat(file);
        expect(stat.seconds).toBeGreaterThan(3.5);
        const audio = await readRecording(file);
        const line = timeline(audio.channels[0]!);
        // The customer's tone, then the agent's, then silence while paused, then both again.
        expect(runs(line)).toBe('CA-B');
      });

      it('announces the recording to the caller while the agent\'s phone rings, and records two channels (customer left, agent right)', async () => {
        const agent = await phone('agent', AGENT_HZ);
        agent.answerAfterMs = 3500;
        await start(agent.uri, { announcement: 'This call is recorded for quality purposes.', channels: 2 });
        const customer = await phone('customer', CUSTOMER_HZ);
        const calledAt = Date.now();
        const contactId = await connect(customer);
        const connectedAt = Date.now();
        // The announcement (synthesised speech) reached the caller before the agent was connected.
        const before = customer.heard(calledAt, connectedAt - 200);
        expect(rms(before)).toBeGreaterThan(300);
        expect(Math.round(toneLevel(before, AGENT_HZ))).toBeLessThan(ABSENT);
        // The connection is made durable in the background: wait for it in the log.
        await eventually(async () => (await events(contactId)).some((e) => e.kind === 'connected'), 'connected in the log');
        const kinds = (await events(contactId)).map((e) => e.kind);
        expect(kinds.indexOf('recording-started')).toBeGreaterThan(-1);
        expect(kinds.indexOf('recording-started')).toBeLessThan(kinds.indexOf('connected'));
        await sleep(1500);
        customer.hangUp();
        await eventually(async () => (await events(contactId)).some((e) => e.kind === 'recording-stopped'), 'recording-stopped');
        const [entry] = await comms.recordings(contactId);
        expect(entry!.channels).toBe(2);
        const audio = await readRecording(join(dir, 'recordings', ...entry!.file.split('/')));
        const [left, right] = audio.channels as [Int16Array, Int16Array];
        // Written from the moment the agent was connected: the wait and the announcement are not in it.
        expect(audio.durationMs).toBeLessThan(Date.now() - connectedAt + 300);
        const middle = (x: Int16Array) => x.subarray(Math.floor(x.length / 4), Math.floor((3 * x.length) / 4));
        expect({
          leftCustomer: toneLevel(middle(left), CUSTOMER_HZ) > PRESENT, leftAgent: toneLevel(middle(left), AGENT_HZ) < ABSENT,
          rightAgent: toneLevel(middle(right), AGENT_HZ) > PRESENT, rightCustomer: toneLevel(middle(right), CUSTOMER_HZ) < ABSENT,
        }).toEqual({ leftCustomer: true, leftAgent: true, rightAgent: true, rightCustomer: true });
      });

      it('monitors a call: listen hears both sides and is heard by nobody, whisper reaches the agent only, barge both; switched without a new call; logged', async () => {
        const agent = await phone('agent', AGENT_HZ);
        await start(agent.uri);
        const customer = await phone('customer', CUSTOMER_HZ);
        const contactId = await connect(customer);
        const sup = await phone('sup', SUPERVISOR_HZ);
        await comms.monitor('sue', 'anna', 'listen', { phone: sup.uri });
        expect(comms.monitoring()).toEqual([{ supervisor: 'sue', agentId: 'anna', contactId, mode: 'listen', since: expect.any(Number) }]);
        let level = await listen();
        expect({
          supervisorHearsCustomer: level(sup, CUSTOMER_HZ) > PRESENT, supervisorHearsAgent: level(sup, AGENT_HZ) > PRESENT,
          customerHearsSupervisor: level(customer, SUPERVISOR_HZ) < ABSENT, agentHearsSupervisor: level(agent, SUPERVISOR_HZ) < ABSENT,
          customerHearsAgent: level(customer, AGENT_HZ) > PRESENT, agentHearsCustomer: level(agent, CUSTOMER_HZ) > PRESENT,
        }).toEqual({ supervisorHearsCustomer: true, supervisorHearsAgent: true, customerHearsSupervisor: true, agentHearsSupervisor: true, customerHearsAgent: true, agentHearsCustomer: true });

        await comms.setMonitorMode('sue', 'whisper');
        level = await listen();
        // The customer's leg receives no supervisor audio; the agent's does.
        expect({ agent: level(agent, SUPERVISOR_HZ) > PRESENT, customer: level(customer, SUPERVISOR_HZ) < ABSENT, customerHearsAgent: level(customer, AGENT_HZ) > PRESENT, supervisorHearsCustomer: level(sup, CUSTOMER_HZ) > PRESENT })
          .toEqual({ agent: true, customer: true, customerHearsAgent: true, supervisorHearsCustomer: true });

        await comms.setMonitorMode('sue', 'barge');
        level = await listen();
        expect({ agent: level(agent, SUPERVISOR_HZ) > PRESENT, customer: level(customer, SUPERVISOR_HZ) > PRESENT, supervisorHearsBoth: level(sup, CUSTOMER_HZ) > PRESENT && level(sup, AGENT_HZ) > PRESENT })
          .toEqual({ agent: true, customer: true, supervisorHearsBoth: true });
        // One INVITE reached the supervisor's phone for the three modes.
        expect(sup.seen('INVITE')).toHaveLength(1);

        await comms.stopMonitoring('sue');
        expect(comms.monitoring()).toEqual([]);
        await until(() => !sup.connected, 3000, "the supervisor's phone hung up");
        level = await listen();
        expect(level(customer, AGENT_HZ)).toBeGreaterThan(PRESENT);
        const monitoring = (await events(contactId)).filter((e) => e.kind.startsWith('monitoring-')).map((e) => [e.kind, e.reason, e.agentId, (e.data as { supervisor?: string }).supervisor]);
        expect(monitoring).toEqual([
          ['monitoring-started', 'listen', 'anna', 'sue'],
          ['monitoring-changed', 'whisper', 'anna', 'sue'],
          ['monitoring-changed', 'barge', 'anna', 'sue'],
          ['monitoring-stopped', 'barge', 'anna', 'sue'],
        ]);
      });

      it('records what the customer hears: a barging supervisor and a conferenced party on the agent\'s side, never a supervisor who listens or whispers', async () => {
        const PARTY_HZ = 2000;
        const agent = await phone('agent', AGENT_HZ);
        await start(agent.uri, { channels: 2 });
        const customer = await phone('customer', CUSTOMER_HZ);
        const contactId = await connect(customer);
        const connectedAt = Date.now();
        const sup = await phone('sup', SUPERVISOR_HZ);
        // Stretches of 2 s in each mode, the times kept to find them in the file.
        const marks: Array<[string, number]> = [];
        await comms.monitor('sue', 'anna', 'listen', { phone: sup.uri });
        marks.push(['listen', Date.now()]);
        await sleep(2000);
        await comms.setMonitorMode('sue', 'whisper');
        marks.push(['whisper', Date.now()]);
        await sleep(2000);
        await comms.setMonitorMode('sue', 'barge');
        marks.push(['barge', Date.now()]);
        await sleep(2000);
        await comms.stopMonitoring('sue');
        await until(() => !sup.connected, 3000, "the supervisor's phone hung up");
        sup.hz = 0;
        const party = await phone('party', PARTY_HZ);
        await comms.conference(contactId, { number: party.uri });
        await until(() => party.connected, 5000, 'the party joined');
        marks.push(['conference', Date.now()]);
        await sleep(2000);
        marks.push(['end', Date.now()]);
        customer.hangUp();
        await eventually(async () => (await events(contactId)).some((e) => e.kind === 'recording-stopped'), 'recording-stopped', 8000);
        const [entry] = await comms.recordings(contactId);
        const audio = await readRecording(join(dir, 'recordings', ...entry!.file.split('/')));
        const [left, right] = audio.channels as [Int16Array, Int16Array];
        // The file starts when the agent was connected; each stretch is measured 500 ms in from its
        // start to 300 ms before the next (the mix settles, clocks drift a little).
        const stretch = (x: Int16Array, i: number) => x.subarray(Math.max(0, (marks[i]![1] - connectedAt + 500) * 8), Math.max(0, (marks[i + 1]![1] - connectedAt - 300) * 8));
        const level = (x: Int16Array, i: number, hz: number) => Math.round(toneLevel(stretch(x, i), hz));
        const got = Object.fromEntries(marks.slice(0, -1).map(([mode], i) => [mode, {
          customerSideSupervisor: level(left, i, SUPERVISOR_HZ) < ABSENT, customerSideCustomer: level(left, i, CUSTOMER_HZ) > PRESENT,
          agentSideAgent: level(right, i, AGENT_HZ) > PRESENT, agentSideCustomer: level(right, i, CUSTOMER_HZ) < ABSENT,
          agentSideSupervisor: mode === 'barge' ? level(right, i, SUPERVISOR_HZ) > PRESENT : level(right, i, SUPERVISOR_HZ) < ABSENT,
          agentSideParty: mode === 'conference' ? level(right, i, PARTY_HZ) > PRESENT : level(right, i, PARTY_HZ) < ABSENT,
        }]));
        const all = { customerSideSupervisor: true, customerSideCustomer: true, agentSideAgent: true, agentSideCustomer: true, agentSideSupervisor: true, agentSideParty: true };
        expect(got).toEqual({ listen: all, whisper: all, barge: all, conference: all });
      });

      it('the supervisor hanging up ends the session; an agent without a call, or a contact not recorded, is refused', async () => {
        const agent = await phone('agent', AGENT_HZ);
        await start(agent.uri);
        const sup = await phone('sup', SUPERVISOR_HZ);
        await expect(comms.monitor('sue', 'anna', 'listen', { phone: sup.uri })).rejects.toMatchObject({ code: 'CARUSO_COMMS_AGENT_STATE' });
        await expect(comms.monitor('sue', 'nobody', 'listen', { phone: sup.uri })).rejects.toMatchObject({ code: 'CARUSO_COMMS_UNKNOWN_AGENT' });
        await expect(comms.setRecordingPaused('no-such-call', true, 'anna')).rejects.toMatchObject({ code: 'CARUSO_COMMS_CONTACT_STATE' });
        const customer = await phone('customer', CUSTOMER_HZ);
        const contactId = await connect(customer);
        await expect(comms.monitor('sue', 'anna', 'spy' as never, { phone: sup.uri })).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CONTACT' });
        await expect(comms.monitor('sue', 'anna', 'listen')).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CONTACT' });
        await comms.monitor('sue', 'anna', 'whisper', { phone: sup.uri });
        sup.hangUp();
        await eventually(async () => (await events(contactId)).some((e) => e.kind === 'monitoring-stopped'), 'monitoring-stopped');
        expect(comms.monitoring()).toEqual([]);
        // The call goes on between customer and agent.
        const level = await listen();
        expect(level(customer, AGENT_HZ)).toBeGreaterThan(PRESENT);
        expect(level(agent, CUSTOMER_HZ)).toBeGreaterThan(PRESENT);
      });

    });
  });
}
