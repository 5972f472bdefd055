// Recording on the simulated telephony (the demo and `caruso simulate`): a call of a recorded queue
// hears the announcement in its language, its talk time is written as simulated voices taking turns,
// the catalogue and the log say so; a recorded agent's calls are recorded from any queue. The
// simulated telephony cannot monitor. SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { CommunicationServer, ContactEventLog, SimulatedTelephony, TelephonyAdapter, VirtualClock, commsService, contactEventLogService, readRecording, simulatedTelephonyService, type Prompt } from '@caruso/comms';
import { toneLevel } from '@caruso/comms/testing';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 30));
};

describe('recording on the simulated telephony', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-rec-sim-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  forEachDatabase((db) => {
    let m: ServiceManager;
    let clock: VirtualClock;
    let telephony: SimulatedTelephony;
    let comms: CommunicationServer;
    let log: ContactEventLog;
    const prompts: Prompt[] = [];

    /** Waits (in real time, the virtual clock standing still) until the call's recording file is open and tapped. */
    const recordingStarted = async (callId: string): Promise<void> => {
      for (let i = 0; i < 300 && (await comms.recordings(callId)).length === 0; i++) await settle();
      await settle();
    };

    beforeEach(async () => {
      clock = new VirtualClock();
      telephony = new SimulatedTelephony(clock);
      telephony.onDidPlayPrompt((p) => prompts.push(p.prompt));
      m = createServiceManager();
      m.register(StorageManager, storageService(await db.freshDatabase()));
      m.register(ContactEventLog, contactEventLogService());
      m.register(TelephonyAdapter, simulatedTelephonyService({ telephony }));
      m.register(CommunicationServer, commsService({
        clock,
        queues: [{ id: 'sales' }, { id: 'plain' }],
        agents: [{ id: 'anna', queues: [{ queueId: 'sales' }, { queueId: 'plain' }] }, { id: 'bram', queues: [{ queueId: 'plain' }] }],
        telephony: { entryPoints: [{ number: '100', queueId: 'sales' }, { queueId: 'plain' }] },
        recording: { folder: join(dir, db.dialect), queues: ['sales'], agents: ['bram'], announcement: { en: 'This call is recorded.', nl: 'Dit gesprek wordt opgenomen.' }, language: 'nl' },
        interactions: { enabled: false },
      }));
      await m.start();
      comms = m.get(CommunicationServer);
      log = m.get(ContactEventLog);
      await comms.login('anna');
      prompts.length = 0;
    });
    afterEach(async () => {
      await m.stop();
      telephony.dispose();
    });

    it('records a call of a recorded queue after the announcement, as voices taking turns, and not one of another queue', async () => {
      const recorded = telephony.placeInboundCall({ from: '+3247111', to: '100', talkMs: 8_000 });
      await settle();
      await recordingStarted(recorded);
      clock.advance(100);
      await settle();
      expect(prompts).toContainEqual({ text: 'Dit gesprek wordt opgenomen.', language: 'nl' });
      const plain = telephony.placeInboundCall({ from: '+3247222', to: '200', talkMs: 3_000 });
      await settle();
      await comms.setRecordingPaused(recorded, true, 'anna');
      await comms.setRecordingPaused(recorded, false, 'anna');
      for (let i = 0; i < 10; i++) {
        clock.advance(1_000);
        await settle();
      }
      for (let i = 0; i < 300 && (await comms.recordings(recorded))[0]?.endedAt === undefined; i++) await settle();
      const [entry] = await comms.recordings(recorded);
      // Recorded from the queue, before anybody took it: the agent who did is named in the catalogue.
      expect(entry).toMatchObject({ contactId: recorded, queueId: 'sales', agentId: 'anna', channels: 1 });
      expect(entry!.endedAt).toBeDefined();
      expect(await comms.recordings(plain)).toEqual([]);
      const audio = await readRecording(join(dir, db.dialect, ...entry!.file.split('/')));
      // 8 s of talk: the caller's voice in the first 2 s, the agent's in the next 2 s.
      expect(audio.durationMs).toBeGreaterThan(7_000);
      const first = audio.channels[0]!.subarray(0, 8000);
      const second = audio.channels[0]!.subarray(20_000, 28_000);
      expect({ caller: toneLevel(first, 400) > 2000, agent: toneLevel(second, 1000) > 2000, notAgentFirst: toneLevel(first, 1000) < 300 }).toEqual({ caller: true, agent: true, notAgentFirst: true });
      const kinds = (await log.read({ afterSeq: 0, limit: 1000 })).filter((e) => e.contactId === recorded).map((e) => e.kind).filter((k) => k.startsWith('recording-'));
      expect(kinds[0]).toBe('recording-started');
      expect(kinds.at(-1)).toBe('recording-stopped');
      const stopped = (await log.read({ afterSeq: 0, limit: 1000 })).find((e) => e.contactId === recorded && e.kind === 'recording-stopped');
      expect(stopped?.agentId).toBe('anna');
    });

    it('records the calls a recorded agent takes from a queue that is not recorded (announced when offered)', async () => {
      await comms.logout('anna');
      await comms.login('bram');
      const callId = telephony.placeInboundCall({ from: '+3247333', to: '200', talkMs: 3_000 });
      await settle();
      await recordingStarted(callId);
      for (let i = 0; i < 5; i++) {
        clock.advance(1_000);
        await settle();
      }
      for (let i = 0; i < 300 && (await comms.recordings(callId))[0]?.endedAt === undefined; i++) await settle();
      const [entry] = await comms.recordings(callId);
      expect(entry).toMatchObject({ contactId: callId, queueId: 'plain', agentId: 'bram' });
      expect(entry!.durationMs).toBeGreaterThanOrEqual(2_900);
      expect(prompts).toContainEqual({ text: 'Dit gesprek wordt opgenomen.', language: 'nl' });
    });
  });

  it('without a text of its own, the announcement is the built-in one in the configured language, or in the call’s', async () => {
    const clock = new VirtualClock();
    const telephony = new SimulatedTelephony(clock);
    const prompts: Prompt[] = [];
    telephony.onDidPlayPrompt((p) => prompts.push(p.prompt));
    const m = createServiceManager();
    m.register(StorageManager, storageService(`sqlite:${join(dir, 'default-announcement.db')}`));
    m.register(ContactEventLog, contactEventLogService());
    m.register(TelephonyAdapter, simulatedTelephonyService({ telephony }));
    m.register(CommunicationServer, commsService({
      clock,
      queues: [{ id: 'sales' }],
      agents: [{ id: 'anna', queues: [{ queueId: 'sales' }] }],
      telephony: { entryPoints: [{ queueId: 'sales' }] },
      recording: { folder: join(dir, 'default-announcement'), queues: ['sales'], language: 'nl' },
      interactions: { enabled: false },
    }));
    await m.start();
    try {
      await m.get(CommunicationServer).login('anna');
      telephony.placeInboundCall({ from: '+3247333', to: '300', talkMs: 2_000 });
      await settle();
      clock.advance(100);
      await settle();
      expect(prompts).toContainEqual({ text: 'Dit gesprek wordt opgenomen voor kwaliteits- en trainingsdoeleinden.', language: 'nl' });
      expect(prompts.some((p) => 'text' in p && p.text.startsWith('This call'))).toBe(false);
    } finally {
      await m.stop();
      telephony.dispose();
    }
  });
});
