// Recording of outbound calls over real SIP on loopback, through the communication server: a manual
// dial by a recorded agent, a callback of a recorded queue, a progressive campaign with recording on
// dialling a SIPp callee; and the recording announcement heard to its end before the agent is
// connected, even when the agent's phone answers at once (bounded by its length + 1 s). On SQLite
// and PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { requireOrSkip } from '@caruso/kernel/testing';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { CommunicationServer, ContactEventLog, SipTelephonyAdapter, TelephonyAdapter, commsService, contactEventLogService, readRecording, sipTelephonyService, type ContactEvent, type RecordingSettings } from '@caruso/comms';
import { eventually, freePort, has, killPeers, LOOPBACK, makeTone, PhoneSet, promptDir, rms, rtpRange, sipp, synthesizeWithEspeak, toneLevel, until, type TestPhone } from '@caruso/comms/testing';

jest.setTimeout(90_000);

const CUSTOMER_HZ = 440;
const AGENT_HZ = 1000;
const PRESENT = 2500;
const ABSENT = 500;
const ANNOUNCEMENT = 'This call is recorded for quality and training purposes.';

const MODEL = `<?xml version="1.0" encoding="UTF-8"?>
<model name="quality-outbound">
  <object name="Contract" table="contracts">
    <field name="id" type="id"/>
    <field name="phone" type="string"/>
  </object>
</model>
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first 100 ms window from `from` in which a phone heard a frequency, as ms after `from` (undefined: never). */
function firstHeard(p: TestPhone, hz: number, from: number, to = Date.now()): number | undefined {
  const audio = p.heard(from, to);
  for (let at = 0; at + 800 <= audio.length; at += 800) if (toneLevel(audio.subarray(at, at + 800), hz) > PRESENT) return at / 8;
  return undefined;
}

const middle = (x: Int16Array) => x.subarray(Math.floor(x.length / 4), Math.floor((3 * x.length) / 4));

if (requireOrSkip('sox, espeak-ng and sipp', has('sox', ['--version']) && has('espeak-ng', ['--version']) && has('sipp'))) {
  describe('recording of outbound calls over SIP (callbacks, manual dials, campaigns) and the announcement before the agent', () => {
    let announcementMs = 0;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-quality-out-'));
      writeFileSync(join(dir, 'crm.model.xml'), MODEL);
      announcementMs = Math.round((await synthesizeWithEspeak(ANNOUNCEMENT, 'en')).length / 8);
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    forEachDatabase((db) => {
      let m: ServiceManager | undefined;
      let comms: CommunicationServer;
      let sip: SipTelephonyAdapter;
      let log: ContactEventLog;
      const phones = new PhoneSet();
      const phone = (name: string, hz: number): Promise<TestPhone> => phones.open(name, { hz });
      const events = async (contactId?: string): Promise<ContactEvent[]> => (await log.read({ afterSeq: 0, limit: 10_000 })).filter((e) => contactId === undefined || e.contactId === contactId);
      const recordingOf = async (contactId: string) => {
        await eventually(async () => (await events(contactId)).some((e) => e.kind === 'recording-stopped'), 'recording-stopped', 6000);
        const [entry] = await comms.recordings(contactId);
        expect(entry).toBeDefined();
        return { entry: entry!, audio: await readRecording(join(dir, 'recordings', ...entry!.file.split('/'))) };
      };

      const start = async (agentUri: string, recording: Partial<RecordingSettings>, extra: { url?: string; campaign?: boolean } = {}): Promise<void> => {
        m = createServiceManager();
        m.register(StorageManager, storageService(extra.url ?? (await db.freshDatabase())));
        if (extra.campaign) m.register(BusinessObjects, businessObjectsService({ model: join(dir, 'crm.model.xml'), schema: 'migrate' }));
        m.register(ContactEventLog, contactEventLogService());
        m.register(TelephonyAdapter, sipTelephonyService({ host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir, users: [] }));
        m.register(CommunicationServer, commsService({
          queues: [{ id: 'sales' }, { id: 'plain' }],
          agents: [{ id: 'anna', queues: [{ queueId: 'plain' }, { queueId: 'sales' }], endpoint: agentUri }],
          telephony: { entryPoints: [{ queueId: 'plain' }] },
          recording: { folder: join(dir, 'recordings'), announcement: ANNOUNCEMENT, ...recording },
          ...(extra.campaign ? { campaigns: [{ id: 'green', queueId: 'sales', mode: 'progressive' as const, autoStart: true, targets: { object: 'Contract', phoneField: 'phone' } }] } : {}),
          interactions: { enabled: false },
        }));
        await m.start();
        comms = m.get(CommunicationServer);
        sip = m.get(TelephonyAdapter) as SipTelephonyAdapter;
        log = m.get(ContactEventLog);
      };

      /**
       * What the customer heard from their answer: the whole announcement (speech, no agent), then the
       * agent, at most the announcement's length + 1 s after the answer.
       */
      const expectAnnouncementFirst = (customer: TestPhone, answeredAt: number): void => {
        const agentAfter = firstHeard(customer, AGENT_HZ, answeredAt);
        expect(agentAfter).toBeDefined();
        const speech = customer.heard(answeredAt + 200, answeredAt + announcementMs - 300);
        expect({
          agentNotBefore: agentAfter! >= announcementMs - 300, agentWithinBound: agentAfter! <= announcementMs + 1000 + 600,
          speech: rms(speech) > 300, agentInSpeech: toneLevel(speech, AGENT_HZ) < ABSENT,
        }).toEqual({ agentNotBefore: true, agentWithinBound: true, speech: true, agentInSpeech: true });
      };

      afterEach(async () => {
        await killPeers();
        await m?.stop();
        m = undefined;
        await phones.close();
      });

      it('records a manual dial by a recorded agent: the customer hears the announcement on answering, then the agent (who answered at once); both sides in the file', async () => {
        const agent = await phone('agent', AGENT_HZ);
        agent.answerAfterMs = 50;
        await start(agent.uri, { agents: ['anna'] });
        await comms.login('anna');
        const customer = await phone('customer', CUSTOMER_HZ);
        customer.answerAfterMs = 200;
        const contact = await comms.dial('anna', { number: customer.uri });
        await until(() => customer.connected, 5000, 'the customer answered');
        const answeredAt = customer.seen('INVITE')[0]!.at + customer.answerAfterMs;
        await until(() => firstHeard(customer, AGENT_HZ, answeredAt) !== undefined, announcementMs + 4000, 'the customer hears the agent');
        await sleep(1500);
        expectAnnouncementFirst(customer, answeredAt);
        agent.hangUp();
        await until(() => comms.contact(contact.id) === undefined, 5000, 'the contact ended');
        const { entry, audio } = await recordingOf(contact.id);
        expect(entry).toMatchObject({ contactId: contact.id, queueId: 'plain', agentId: 'anna' });
        const mono = middle(audio.channels[0]!);
        expect({ customer: toneLevel(mono, CUSTOMER_HZ) > PRESENT, agent: toneLevel(mono, AGENT_HZ) > PRESENT }).toEqual({ customer: true, agent: true });
        const kinds = (await events(contact.id)).map((e) => e.kind).filter((k) => k.startsWith('recording-'));
        expect(kinds).toEqual(['recording-started', 'recording-stopped']);
      });

      it('does not record a manual dial of an agent, queue and campaign that are not recorded, nor one the customer does not answer', async () => {
        const agent = await phone('agent', AGENT_HZ);
        await start(agent.uri, { queues: ['sales'] });
        await comms.login('anna');
        const customer = await phone('customer', CUSTOMER_HZ);
        const plain = await comms.dial('anna', { number: customer.uri, queueId: 'plain' });
        await until(() => customer.connected, 5000, 'the customer answered');
        await sleep(800);
        agent.hangUp();
        await until(() => comms.contact(plain.id) === undefined, 5000, 'the contact ended');
        // Recorded queue, but the customer's phone is busy: nothing to record.
        customer.answerMode = 'busy';
        const busy = await comms.dial('anna', { number: customer.uri, queueId: 'sales' });
        await until(() => comms.contact(busy.id) === undefined, 5000, 'the busy dial ended');
        await sleep(300);
        expect(await comms.recordings(plain.id)).toEqual([]);
        expect(await comms.recordings(busy.id)).toEqual([]);
        expect((await events()).filter((e) => e.kind.startsWith('recording-'))).toEqual([]);
      });

      it('records a callback of a recorded queue: announcement when the customer answers, before the agent; both sides in the file', async () => {
        const agent = await phone('agent', AGENT_HZ);
        agent.answerAfterMs = 50;
        await start(agent.uri, { queues: ['sales'] });
        await comms.login('anna');
        const customer = await phone('customer', CUSTOMER_HZ);
        customer.answerAfterMs = 200;
        await comms.scheduleCallback({ id: 'cb1', number: customer.uri, queueId: 'sales', at: Date.now() });
        await until(() => comms.agentWork('anna').offers.length === 1, 5000, 'the callback is offered to anna');
        await comms.accept(comms.agentWork('anna').offers[0]!.offerId);
        await until(() => customer.connected, 5000, 'the customer answered');
        const answeredAt = customer.seen('INVITE')[0]!.at + customer.answerAfterMs;
        await until(() => firstHeard(customer, AGENT_HZ, answeredAt) !== undefined, announcementMs + 4000, 'the customer hears the agent');
        await sleep(1500);
        expectAnnouncementFirst(customer, answeredAt);
        customer.hangUp();
        await until(() => comms.contact('cb1') === undefined, 5000, 'the callback ended');
        const { entry, audio } = await recordingOf('cb1');
        expect(entry).toMatchObject({ contactId: 'cb1', queueId: 'sales', agentId: 'anna' });
        const mono = middle(audio.channels[0]!);
        expect({ customer: toneLevel(mono, CUSTOMER_HZ) > PRESENT, agent: toneLevel(mono, AGENT_HZ) > PRESENT }).toEqual({ customer: true, agent: true });
      });

      it('waits for the announcement of a call recorded only because of its agent before connecting the agent who answered at once (inbound)', async () => {
        const agent = await phone('agent', AGENT_HZ);
        agent.answerAfterMs = 50;
        await start(agent.uri, { agents: ['anna'] });
        await comms.login('anna');
        const customer = await phone('customer', CUSTOMER_HZ);
        await customer.call(sip.port, '555');
        // The 200 came in: the call is answered (the recording starts with the offer to anna).
        const answeredAt = Date.now();
        await until(() => firstHeard(customer, AGENT_HZ, answeredAt) !== undefined, announcementMs + 5000, 'the customer hears the agent');
        await sleep(1000);
        expectAnnouncementFirst(customer, answeredAt);
        const [contactId] = comms.agent('anna').contactIds;
        customer.hangUp();
        await until(() => comms.contact(contactId!) === undefined, 5000, 'the contact ended');
        const { entry } = await recordingOf(contactId!);
        expect(entry).toMatchObject({ agentId: 'anna', queueId: 'plain' });
      });

      it('records a progressive campaign with recording on, dialling a SIPp callee: the WAV holds both sides', async () => {
        const url = await db.freshDatabase();
        const calleePort = await freePort();
        const seed = createServiceManager();
        seed.register(StorageManager, storageService(url));
        seed.register(BusinessObjects, businessObjectsService({ model: join(dir, 'crm.model.xml'), schema: 'migrate' }));
        await seed.start();
        await seed.get(BusinessObjects).repository('Contract').create({ phone: `sip:customer@${LOOPBACK}:${calleePort}` });
        await seed.stop();
        const tone = makeTone(join(dir, `customer-${db.dialect}.wav`), 12, CUSTOMER_HZ);
        const callee = sipp({ scenario: 'callee-audio.xml', dir, port: calleePort, mediaPort: await freePort(), args: ['-m', '1'], placeholders: { ANSWER_MS: '300', AUDIO: tone }, timeoutMs: 40_000 });
        const agent = await phone('agent', AGENT_HZ);
        agent.answerAfterMs = 50;
        await start(agent.uri, { campaigns: ['green'], channels: 2 }, { url, campaign: true });
        await comms.login('anna');
        await until(() => comms.agent('anna').contactIds.length === 1 && comms.contact(comms.agent('anna').contactIds[0]!)?.state === 'connected', announcementMs + 8000, 'the campaign call connected to anna');
        const contactId = comms.agent('anna').contactIds[0]!;
        expect(comms.contact(contactId)?.data).toMatchObject({ campaignId: 'green' });
        await sleep(2500);
        agent.hangUp();
        const done = await callee.done;
        expect({ code: done.code, output: done.code === 0 ? '' : done.output }).toEqual({ code: 0, output: '' });
        const { entry, audio } = await recordingOf(contactId);
        expect(entry).toMatchObject({ contactId, queueId: 'sales', channels: 2 });
        const [left, right] = audio.channels as [Int16Array, Int16Array];
        expect({
          customerLeft: toneLevel(middle(left), CUSTOMER_HZ) > PRESENT, agentRight: toneLevel(middle(right), AGENT_HZ) > PRESENT,
          noAgentLeft: toneLevel(middle(left), AGENT_HZ) < ABSENT, noCustomerRight: toneLevel(middle(right), CUSTOMER_HZ) < ABSENT,
        }).toEqual({ customerLeft: true, agentRight: true, noAgentLeft: true, noCustomerRight: true });
      });
    });
  });
}
