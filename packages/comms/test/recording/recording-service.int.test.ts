// The communication server's recording part without a phone line: the daily retention sweep started
// with the server (a real run on the system clock over recordings made earlier), the catalogue and the
// audio through the contract, and the options checked before anything starts. SQLite and PostgreSQL.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { CallRecorder, CommunicationServer, ContactEventLog, StorageRecordingStore, commsService, contactEventLogService, type CommsServiceOptions } from '@caruso/comms';

const DAY = 86_400_000;

function sine(hz: number, ms: number): Int16Array {
  const out = new Int16Array(ms * 8);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

describe('recording in the communication server', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-rec-service-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  forEachDatabase((db) => {
    it('runs the retention sweep when it starts: only recordings older than the period go (file and entry); the rest stay listed and playable', async () => {
      const folder = join(dir, db.dialect);
      const store = await StorageRecordingStore.open(db.storage);
      const made: Record<string, { id: string; file: string }> = {};
      for (const [name, age] of [['old', 40], ['older', 400], ['recent', 2], ['today', 0]] as const) {
        let now = Date.now() - age * DAY;
        const recorder = new CallRecorder({ folder, store, now: () => now });
        const e = await recorder.start({ contactId: `c-${db.dialect}-${name}`, queueId: 'sales' });
        // 20 ms frames of each side in turn, as the adapter hands them over.
        for (let f = 0; f < 10; f++) {
          recorder.push(e.contactId, 'caller', sine(440, 20));
          recorder.push(e.contactId, 'agent', sine(1000, 20));
        }
        now += 200;
        await recorder.stop(e.contactId);
        made[name] = { id: e.id, file: recorder.pathOf(e) };
        recorder.dispose();
      }
      expect(Object.values(made).every((m) => existsSync(m.file))).toBe(true);

      const m = createServiceManager();
      m.register(StorageManager, storageService(db.url));
      m.register(ContactEventLog, contactEventLogService());
      m.register(CommunicationServer, commsService({ queues: [{ id: 'sales' }], recording: { folder, retentionDays: 30, queues: ['sales'] }, interactions: { enabled: false } }));
      await m.start();
      try {
        const comms = m.get(CommunicationServer);
        for (let i = 0; i < 100 && (existsSync(made['old']!.file) || existsSync(made['older']!.file)); i++) await new Promise((r) => setTimeout(r, 50));
        expect({ old: existsSync(made['old']!.file), older: existsSync(made['older']!.file), recent: existsSync(made['recent']!.file), today: existsSync(made['today']!.file) })
          .toEqual({ old: false, older: false, recent: true, today: true });
        expect(await comms.recordings(`c-${db.dialect}-old`)).toEqual([]);
        expect(await comms.recordingAudio(made['old']!.id)).toBeUndefined();
        const [recent] = await comms.recordings(`c-${db.dialect}-recent`);
        expect(recent).toMatchObject({ id: made['recent']!.id, queueId: 'sales', channels: 1, durationMs: 200 });
        const audio = await comms.recordingAudio(recent!.id);
        expect(Buffer.from(audio!.wav.subarray(0, 4)).toString('latin1')).toBe('RIFF');
        // The A-law WAV header (RIFF, fmt, fact, data) and its audio.
        expect(audio!.wav.byteLength).toBe(58 + recent!.bytes);
        // Not an id: never a path.
        expect(await comms.recordingAudio('../../etc/passwd')).toBeUndefined();
        expect(await comms.recordings('')).toEqual([]);
        await expect(comms.setRecordingPaused(`c-${db.dialect}-recent`, true, 'anna')).rejects.toMatchObject({ code: 'CARUSO_COMMS_CONTACT_STATE' });
        await expect(comms.setRecordingPaused('x', true, '')).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CONTACT' });
        expect(comms.monitoring()).toEqual([]);
        await expect(comms.setMonitorMode('sue', 'barge')).rejects.toMatchObject({ code: 'CARUSO_COMMS_CONTACT_STATE' });
        await expect(comms.stopMonitoring('sue')).resolves.toBeUndefined();
      } finally {
        await m.stop();
      }
    });
  });

  it('refuses bad recording and monitoring options before anything starts', () => {
    const bad: Array<[CommsServiceOptions, string]> = [
      [{ recording: { folder: ' ' } }, 'recording.folder'],
      [{ recording: { folder: 'r', channels: 3 as never } }, 'recording.channels'],
      [{ recording: { folder: 'r', retentionDays: 0 } }, 'recording.retentionDays'],
      [{ queues: [{ id: 'sales' }], recording: { folder: 'r', queues: ['salse'] } }, 'recording.queues'],
      [{ recording: { folder: 'r', agents: [''] } }, 'recording.agents'],
      [{ recording: { folder: 'r', announcement: { en: 5 } as never } }, 'recording.announcement'],
      [{ recording: { folder: 'r', language: 'English' } }, 'recording.language'],
      [{ monitoring: { phones: { sue: '' } } }, 'monitoring.phones.sue'],
      [{ monitoring: { ringTimeoutMs: -1 } }, 'monitoring.ringTimeoutMs'],
    ];
    for (const [options, field] of bad) {
      expect(() => commsService(options)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_OPTIONS', message: expect.stringContaining(field) }) as Error);
    }
  });
});
