import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, createServiceManager, type ServiceManager } from '@caruso/kernel';
import { CommunicationServer, commsService } from '@caruso/comms';
import { applyMigration, BusinessObjects, BusinessObjectsImpl, businessObjectsService, loadModelFile } from '@caruso/objects';
import { createStorage, StorageManager, storageService } from '@caruso/storage';
import { DemoLoad, demoLoadService, generateDemoData, loadDemoData } from '../src/index.js';

const MODEL = join(fileURLToPath(new URL('..', import.meta.url)), 'model/utility.model.xml');

describe('utility.DemoLoad', () => {
  let dir: string;
  let sm: ServiceManager;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-utility-demoload-'));
    const url = `sqlite:${join(dir, 'caruso.db')}`;
    const storage = await createStorage(url);
    const model = loadModelFile(MODEL);
    await applyMigration(model, storage);
    await loadDemoData(new BusinessObjectsImpl(model, storage), generateDemoData({ customers: 40, seed: 3 }));
    await storage.close();
    sm = createServiceManager();
    sm.register(StorageManager, storageService({ url }));
    sm.register(BusinessObjects, businessObjectsService({ model: MODEL, schema: 'migrate' }));
    sm.register(CommunicationServer, commsService({ queues: [{ id: 'general' }, { id: 'billing' }, { id: 'moves' }] }));
    // Fast enough to see contacts within a second: 36,000 calls, 7,200 e-mails and 7,200 chats an hour,
    // at any hour, and no simulated agents (the contacts stay in line). Without a telephony adapter
    // and channels, contacts enter the queues directly.
    sm.register(DemoLoad, demoLoadService({ callsPerHour: '36000', emailsPerHour: '7200', chatsPerHour: '7200', seed: '4', hours: 'always', agents: '0' }));
    await sm.start();
  });

  afterAll(async () => {
    await sm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps calls, e-mails and chats from demo customers coming into the queues', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const counts = sm.get(DemoLoad).generated();
    expect(counts.call).toBeGreaterThan(3);
    expect(counts.email + counts.chat).toBeGreaterThan(0);
    const comms = sm.get(CommunicationServer);
    const waiting = ['general', 'billing', 'moves'].flatMap((q) => comms.waiting(q));
    expect(waiting.length).toBe(counts.call + counts.email + counts.chat);
    const call = waiting.find((c) => c.channel === 'call');
    expect(String(call?.data['caller'] ?? '')).toMatch(/^0[0-9]{9}$/);
    expect(new Set(waiting.filter((c) => c.channel === 'call').map((c) => c.queueId)).size).toBeGreaterThan(1);
  });

  it('refuses a bad configuration with CARUSO_UTILITY_BAD_CONFIG', () => {
    const bad = expect.objectContaining({ code: 'CARUSO_UTILITY_BAD_CONFIG' });
    expect(() => demoLoadService({ callsPerHour: 'lots' })).toThrow(bad);
    expect(() => demoLoadService({ speed: '1' } as never)).toThrow(bad);
    expect(() => demoLoadService({ hours: 'weekdays 9 to 5' })).toThrow(bad);
    expect(() => demoLoadService({ timeZone: 'Mars/Olympus' })).toThrow(bad);
    expect(() => demoLoadService({ lines: 'the main line' })).toThrow(bad);
    expect(() => demoLoadService({ agents: '2.5' })).toThrow(bad);
    expect(() => demoLoadService({ agentSkills: 'dutch' })).toThrow(bad);
    expect(() => demoLoadService({ keys: 'one' })).toThrow(bad);
    expect(() => demoLoadService({ dispositions: '' })).toThrow(bad);
    expect(() => demoLoadService({ campaignAgents: '-1' })).toThrow(bad);
    expect(() => demoLoadService({ campaignDispositions: 'ja!' })).toThrow(bad);
    expect(() => demoLoadService({ hours: 'mon-fri 08:30-17:00, sat 09:00-13:00', timeZone: 'Europe/Amsterdam', lines: '+31300000000*6 +31300000003' })).not.toThrow();
  });

  it('places nothing outside its hours', async () => {
    // A day that is not today in Amsterdam: the load stays quiet at a rate of 36,000 calls an hour.
    const today = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', weekday: 'short' }).format(new Date()).toLowerCase().slice(0, 3);
    const other = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].find((d) => d !== today) as string;
    const lines: string[] = [];
    const quiet = createServiceManager({ logger: createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) });
    quiet.register(StorageManager, storageService({ url: `sqlite:${join(dir, 'caruso.db')}` }));
    quiet.register(BusinessObjects, businessObjectsService({ model: MODEL, schema: 'migrate' }));
    quiet.register(CommunicationServer, commsService({ queues: [{ id: 'general' }, { id: 'billing' }, { id: 'moves' }] }));
    quiet.register(DemoLoad, demoLoadService({ callsPerHour: '36000', emailsPerHour: '0', chatsPerHour: '0', agents: '0', hours: `${other} 00:00-24:00` }));
    try {
      await quiet.start();
      await new Promise((r) => setTimeout(r, 600));
      expect(quiet.get(DemoLoad).generated().call).toBe(0);
      // It says so once, with when contacts start coming.
      const said = lines.map((l) => JSON.parse(l) as { svc?: string; msg: string; from?: string }).filter((l) => l.svc === 'utility.DemoLoad');
      expect(said).toEqual([expect.objectContaining({ msg: expect.stringContaining('the demo load is quiet outside its hours'), from: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/) })]);
    } finally {
      await quiet.stop();
    }
  });
});
