import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { HAND_MADE_LOG, HAND_MADE_SESSIONS, insertContactEvents, insertDialogueSessions } from '@caruso/monitor/testing';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

describe('caruso report', () => {
  forEachDatabase((db) => {
    let dir: string;
    beforeAll(async () => {
      await insertContactEvents(db.storage, HAND_MADE_LOG);
      await insertDialogueSessions(db.storage, HAND_MADE_SESSIONS);
      dir = await mkdtemp(join(tmpdir(), 'caruso-report-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('prints the inbound report as JSON for a period and a queue', async () => {
      const io = bufferIO({}, dir);
      const code = await main(['report', 'inbound', '--from', '2025-01-06', '--to', '2025-01-07', '--queue', 'billing', '--db', db.url], io);
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      const doc = JSON.parse(io.out()) as { rows: Array<Record<string, number>>; from: string };
      expect(doc.from).toBe('2025-01-06T00:00:00.000Z');
      expect(doc.rows[0]).toMatchObject({ offered: 4, answered: 2, abandoned: 2, shortAbandons: 1, asaSeconds: 20 });
    });

    it('writes CSV and an HTML page with an inline SVG chart', async () => {
      const csv = bufferIO({}, dir);
      expect(await main(['report', 'inbound-by-hour', '--from', '2025-01-06', '--to', '2025-01-07', '--format', 'csv', '--db', db.url], csv)).toBe(0);
      const lines = csv.out().split('\r\n');
      expect(lines[0]!.startsWith('hour,offered,answered,handled,abandoned')).toBe(true);
      expect(lines[1]!.startsWith('9,3,2,2,1')).toBe(true);
      expect(lines[2]!.startsWith('10,3,1,1,1')).toBe(true);
      const html = bufferIO({}, dir);
      expect(await main(['report', 'agents', '--from', '2025-01-06', '--to', '2025-01-07', '--format', 'html', '--out', 'agents.html', '--db', db.url], html)).toBe(0);
      const page = await readFile(join(dir, 'agents.html'), 'utf8');
      expect(page).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
      expect(page).toContain('<td>a1</td><td>32400</td>');
      expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    });

    it('reports dialogue-script outcomes per script, filtered by script, judged as of a time, split by an interval', async () => {
      const io = bufferIO({}, dir);
      const args = ['report', 'scripts', '--from', '2025-01-06', '--to', '2025-01-07', '--format', 'csv', '--db', db.url];
      expect(await main([...args, '--script', 'water-web', '--as-of', '2025-01-07'], io)).toBe(0);
      expect(io.out().split('\r\n')[1]).toBe('water-web,2.0,web,4,2,0,0,1,1,0.5,0,0.25,0.6667,200');
      const later = bufferIO({}, dir);
      expect(await main([...args, '--script', 'water-web', '--as-of', '2025-01-07T01:00:00Z'], later)).toBe(0);
      expect(later.out().split('\r\n')[1]).toBe('water-web,2.0,web,4,2,0,0,2,0,0.5,0,0.5,0.5,225');
      const abandons = bufferIO({}, dir);
      expect(await main(['report', 'script-abandons', '--from', '2025-01-06', '--to', '2025-01-07', '--channel', 'ivr', '--format', 'csv', '--db', db.url], abandons)).toBe(0);
      expect(abandons.out()).toBe('script,channel,node,abandoned,avgDurationSeconds\r\nwater-ivr,ivr,ask-account,1,20\r\nwater-ivr,ivr,ask-meter,1,40\r\nwater-ivr,ivr,identify#ask-pin,1,30\r\n');
      const hourly = bufferIO({}, dir);
      expect(await main(['report', 'agents', '--interval', 'hour', '--agent', 'a2', '--from', '2025-01-06', '--to', '2025-01-07', '--format', 'csv', '--db', db.url], hourly)).toBe(0);
      expect(hourly.out().split('\r\n').map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['agent,hour,loggedInSeconds', 'a2,8,1800', 'a2,9,3600', 'a2,10,3600', 'a2,11,3600', '']);
      const bad = bufferIO({}, dir);
      expect(await main(['report', 'agents', '--interval', 'month', '--from', '2025-01-06', '--to', '2025-01-07', '--db', db.url], bad)).toBe(2);
      expect(bad.err()).toMatch(/--interval must be one of hour, day, weekday/);
    });

    it('runs a company report from a definitions file', async () => {
      await writeFile(join(dir, 'reports.json'), JSON.stringify([{ name: 'by-channel', source: 'contacts', groupBy: ['channel'], columns: ['offered', 'abandoned'] }]));
      const io = bufferIO({}, dir);
      expect(await main(['report', 'by-channel', '--definitions', 'reports.json', '--from', '2025-01-06', '--to', '2025-01-07', '--format', 'csv', '--db', db.url], io)).toBe(0);
      expect(io.out()).toBe('channel,offered,abandoned\r\ncall,4,1\r\nchat,1,0\r\nemail,1,1\r\n');
    });
  });

  it('reports usage and input errors with their exit codes, changing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caruso-report-'));
    try {
      const url = `sqlite:${join(dir, 'crm.db')}`;
      const cases: Array<[string[], number, RegExp]> = [
        [['report', 'inbound', '--from', '2025-01-06', '--db', url], 2, /--to is required/],
        [['report', 'inbound', '--from', 'yesterday', '--to', '2025-01-07', '--db', url], 2, /--from must be/],
        [['report', 'inbound', '--from', '2025-01-07', '--to', '2025-01-06', '--db', url], 2, /--to must be after/],
        [['report', 'inbound', '--from', '2025-01-06', '--to', '2025-01-07', '--format', 'pdf', '--db', url], 2, /--format/],
        [['report', 'nosuch', '--from', '2025-01-06', '--to', '2025-01-07', '--db', url], 1, /CARUSO_MONITOR_UNKNOWN_REPORT/],
        [['report', '--list', '--definitions', 'missing.json'], 1, /cannot read/],
      ];
      for (const [argv, exit, message] of cases) {
        const io = bufferIO({}, dir);
        expect(await main(argv, io)).toBe(exit);
        expect(io.err()).toMatch(message);
      }
      await writeFile(join(dir, 'bad.json'), JSON.stringify([{ name: 'x', source: 'contacts', columns: ['nosuch'] }]));
      const io = bufferIO({}, dir);
      expect(await main(['report', '--list', '--definitions', 'bad.json'], io)).toBe(1);
      expect(io.err()).toMatch(/column nosuch.*CARUSO_MONITOR_INVALID_REPORT/);
      const list = bufferIO({}, dir);
      expect(await main(['report', '--list'], list)).toBe(0);
      expect(list.out()).toMatch(/^agents\t/m);
      // An empty database gives an empty report rather than an error.
      const empty = bufferIO({}, dir);
      expect(await main(['report', 'dispositions', '--from', '2025-01-06', '--to', '2025-01-07', '--db', url], empty)).toBe(0);
      expect(JSON.parse(empty.out())).toMatchObject({ rows: [] });
      const storage = await createStorage(url);
      expect(await storage.hasTable('caruso_contact_events')).toBe(false);
      await storage.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
