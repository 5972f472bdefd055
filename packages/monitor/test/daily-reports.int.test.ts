import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContactEventLog, VirtualClock } from '@caruso/comms';
import { InMemoryContactEventLog } from '@caruso/comms/testing';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { DAY, HAND_MADE_LOG, HAND_MADE_SESSIONS, insertContactEvents, insertDialogueSessions } from '@caruso/monitor/testing';
import { Monitor, monitorService, type DailyReportsWritten, type MonitorOptions } from '@caruso/monitor';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Waits (bounded) until `n` writes were seen. */
async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!pred()) throw new Error(`timed out waiting for ${what}`);
}

describe('monitor: daily report files on the clock it is given', () => {
  forEachDatabase((db) => {
    let folder: string;
    beforeAll(async () => {
      await insertContactEvents(db.storage, HAND_MADE_LOG);
      await insertDialogueSessions(db.storage, HAND_MADE_SESSIONS);
      folder = await mkdtemp(join(tmpdir(), 'caruso-daily-'));
    });
    afterAll(async () => {
      await rm(folder, { recursive: true, force: true });
    });

    async function startMonitor(clock: VirtualClock, options: Partial<MonitorOptions> = {}): Promise<{ services: ServiceManager; monitor: Monitor; written: DailyReportsWritten[] }> {
      const services = createServiceManager();
      services.register(ContactEventLog, { version: '1.0.0', create: () => new InMemoryContactEventLog() });
      services.register(StorageManager, storageService(db.url));
      services.register(Monitor, monitorService({ clock, batchMs: 0, reports: { folder, at: '00:05' }, ...options }));
      await services.start();
      const monitor = services.get(Monitor);
      const written: DailyReportsWritten[] = [];
      monitor.onDidWriteReports((w) => written.push(w));
      return { services, monitor, written };
    }

    it('writes the previous day\'s reports as HTML with charts and CSV at the configured time, every day', async () => {
      const clock = new VirtualClock(DAY + 86_400_000); // 2025-01-07 00:00 UTC
      const { services, monitor, written } = await startMonitor(clock);
      try {
        clock.advance(4 * 60_000);
        await settle();
        expect(written).toEqual([]);
        clock.advance(60_000); // 00:05
        await until(() => written.length === 1, 'the first day');
        const day = join(folder, '2025-01-06');
        expect(written[0]).toEqual({ day: '2025-01-06', folder: day, files: expect.arrayContaining(['inbound.html', 'inbound.csv', 'agents-by-hour.csv', 'scripts.html', 'scripts.csv', 'index.html']) });
        const files = (await readdir(day)).sort();
        expect(files).toEqual([...written[0]!.files].sort());
        // The figures of the hand-made log and sessions (computed by hand in docs/reports.md).
        const inbound = (await readFile(join(day, 'inbound.csv'), 'utf8')).split('\r\n');
        expect(inbound[1]!.startsWith('6,3,3,2,1,1,1,1,1,2,')).toBe(true);
        expect(await readFile(join(day, 'inbound.html'), 'utf8')).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
        const scripts = (await readFile(join(day, 'scripts.csv'), 'utf8')).split('\r\n');
        expect(scripts[2]).toBe('water-ivr,1.0,ivr,5,1,2,1,2,0,0.2,0.4,0.4,0.2,66');
        // Judged at 00:05: s11 (idle since 23:55) is still in progress.
        expect(scripts[4]!.startsWith('water-web,2.0,web,4,2,0,0,1,1,')).toBe(true);
        expect(await readFile(join(day, 'agents-by-hour.csv'), 'utf8')).toContain('\r\na1,9,3600,3270,0,300,30,0,');
        expect(await readFile(join(day, 'index.html'), 'utf8')).toContain('<a href="scripts.html">');
        // No temporary folder is left behind.
        expect((await readdir(folder)).filter((f) => f.startsWith('.'))).toEqual([]);

        clock.advance(86_400_000); // 2025-01-08 00:05
        await until(() => written.length === 2, 'the second day');
        expect(written[1]!.day).toBe('2025-01-07');
        expect((await readFile(join(folder, '2025-01-07', 'inbound.csv'), 'utf8')).split('\r\n')[1]!.startsWith('1,1,0,0,')).toBe(true);

        // The report API runs the same reports.
        expect(monitor.reportNames()).toEqual(expect.arrayContaining(['scripts', 'script-abandons', 'agents-by-hour']));
        const r = await monitor.report('script-handoffs', { from: DAY, to: DAY + 86_400_000 });
        expect(r.rows).toEqual([{ script: 'water-ivr', channel: 'ivr', queue: 'billing', handedOff: 2, fallbacks: 1, avgDurationSeconds: 75 }]);
        const again = await monitor.writeDailyReports('2025-01-06');
        expect(again.files).toEqual(written[0]!.files);
        await expect(monitor.writeDailyReports('06/01/2025')).rejects.toMatchObject({ code: 'CARUSO_MONITOR_INVALID_PERIOD' });
      } finally {
        await services.stop();
      }
    });

    it('catches up on start when it was down at the time, in local days, with its own names and formats', async () => {
      // 2025-01-07 10:00 UTC = 11:00 at UTC+1: the local day 2025-01-06 was never written to this folder.
      const own = await mkdtemp(join(tmpdir(), 'caruso-daily-'));
      const clock = new VirtualClock(DAY + 86_400_000 + 10 * 3_600_000);
      const { services, written } = await startMonitor(clock, { utcOffsetMinutes: 60, reports: { folder: own, at: '06:30', names: ['inbound-by-hour'], formats: ['csv'] } });
      try {
        // (written on start, possibly before this test subscribed: look at the folder)
        let files: string[] = [];
        await until(() => files.length > 0 || (void readdir(join(own, '2025-01-06')).then((f) => (files = f), () => undefined), false), 'the catch-up');
        expect(files.sort()).toEqual(['inbound-by-hour.csv', 'index.html']);
        // Hours are local (UTC+1): the 09:xx UTC contacts are in hour 10.
        const csv = (await readFile(join(own, '2025-01-06', 'inbound-by-hour.csv'), 'utf8')).split('\r\n');
        expect(csv.slice(1, 3).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['10,3', '11,3']);
        // Next: 2025-01-08 06:30 local = 05:30 UTC.
        clock.runUntil(DAY + 2 * 86_400_000 + 5 * 3_600_000 + 30 * 60_000 - 1);
        await settle();
        expect(written.filter((w) => w.day === '2025-01-07')).toEqual([]);
        clock.advance(1);
        await until(() => written.some((w) => w.day === '2025-01-07'), 'the next day');
      } finally {
        await services.stop();
        await rm(own, { recursive: true, force: true });
      }
    });
  });

  it('rejects bad options with coded errors, and reports without a storage manager', async () => {
    expect(() => monitorService({ reports: { folder: '' } })).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_INVALID_OPTIONS' }));
    expect(() => monitorService({ reports: { folder: 'r', at: '24:00' } })).toThrow(/at must be HH:MM/);
    expect(() => monitorService({ reports: { folder: 'r', formats: ['pdf' as never] } })).toThrow(/formats must list/);
    expect(() => monitorService({ reports: { folder: 'r', names: ['nosuch'] } })).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_UNKNOWN_REPORT' }));
    expect(() => monitorService({ reports: { folder: 'r', names: ['mine'] }, reportDefinitions: [{ name: 'mine', source: 'sessions', columns: ['started'] }] })).not.toThrow();

    const services = createServiceManager();
    services.register(ContactEventLog, { version: '1.0.0', create: () => new InMemoryContactEventLog() });
    services.register(Monitor, monitorService({ clock: new VirtualClock(DAY), batchMs: 0 }));
    await services.start();
    try {
      const monitor = services.get(Monitor);
      await expect(monitor.report('scripts', { from: DAY, to: DAY + 1 })).rejects.toMatchObject({ code: 'CARUSO_MONITOR_NO_STORAGE' });
      await expect(monitor.report('nosuch', { from: DAY, to: DAY + 1 })).rejects.toMatchObject({ code: 'CARUSO_MONITOR_UNKNOWN_REPORT' });
      await expect(monitor.writeDailyReports()).rejects.toMatchObject({ code: 'CARUSO_MONITOR_INVALID_OPTIONS' });
    } finally {
      await services.stop();
    }
  });
});
