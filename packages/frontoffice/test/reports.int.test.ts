import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager } from '@caruso/kernel';
import { CommunicationServer, ContactEventLog, commsService, contactEventLogService } from '@caruso/comms';
import { DialogueEngine, dialogueEngineService } from '@caruso/dialogue';
import { Monitor, monitorService } from '@caruso/monitor';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { StorageManager, storageService } from '@caruso/storage';
import { FrontOffice, frontOfficeService } from '@caruso/frontoffice';
import { forEachDatabase } from '@caruso/storage/testing';
import { HAND_MADE_LOG, insertContactEvents } from '@caruso/monitor/testing';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath, fixtureText } from './fixture.js';
import { restContract } from './rest-contract.js';

const PW = 'correct horse battery';
const USERS = [
  { name: 'admin', role: 'administrator' as const, agentId: undefined, password: PW },
  { name: 'anna', role: 'agent' as const, agentId: 'anna', password: PW },
  { name: 'sam', role: 'supervisor' as const, agentId: undefined, password: PW },
];
/** The day of the hand-made log (2025-01-06, UTC). */
const PERIOD = 'from=2025-01-06&to=2025-01-07';

interface ErrorBody { readonly error: { readonly code: string; readonly message: string; readonly details?: unknown } }
interface Report { readonly name: string; readonly title: string; readonly columns: string[]; readonly dimensions: string[]; readonly rows: Array<Record<string, unknown>>; readonly chart: string }

const loggedIn = (url: string, name: string): Promise<ApiClient> => loggedInClient(url, name, PW);

const code = (r: { body: unknown }): string => (r.body as ErrorBody).error.code;

describe('front office /api/reports (the monitor\'s reports over the hand-made event log)', () => {
  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: TestAssembly;
    let sam: ApiClient;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
        users: USERS,
        monitor: { thresholdMs: 20_000 },
      });
      await insertContactEvents(asm.manager.get(StorageManager), HAND_MADE_LOG);
      sam = await loggedIn(asm.url, 'sam');
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    it('lists the reports with their titles and columns', async () => {
      const r = await sam.get('/api/reports');
      expect(r.status).toBe(200);
      const data = (r.body as { data: Array<{ name: string; title: string; columns: string[]; dimensions: string[]; chart: string | null }> }).data;
      expect(data.map((d) => d.name)).toEqual(asm.monitor!.reportNames());
      expect(data.find((d) => d.name === 'inbound-by-queue')).toEqual({
        name: 'inbound-by-queue',
        title: 'Inbound contacts by queue',
        columns: expect.arrayContaining(['queue', 'offered', 'answered', 'serviceLevel']),
        dimensions: ['queue'],
        chart: 'serviceLevel',
      });
    });

    it('tells the pages the server’s time (report periods follow the communication server’s clock)', async () => {
      const r = await sam.get('/api/app');
      expect(r.status).toBe(200);
      const serverTime = (r.body as { serverTime: number }).serverTime;
      expect(Math.abs(serverTime - asm.manager.get(CommunicationServer).now())).toBeLessThan(5_000);
    });

    it('runs a report over a period with the figures computed by hand', async () => {
      const r = await sam.get(`/api/reports/inbound-by-queue?${PERIOD}`);
      expect(r.status).toBe(200);
      const rep = (r.body as { data: Report }).data;
      expect(rep).toMatchObject({ name: 'inbound-by-queue', from: '2025-01-06T00:00:00.000Z', to: '2025-01-07T00:00:00.000Z', dimensions: ['queue'], chart: 'serviceLevel' });
      expect(rep.rows.map((x) => [x['queue'], x['offered'], x['answered'], x['abandoned'], x['exited'], x['transferred']])).toEqual([
        ['billing', 4, 2, 2, 0, 0],
        ['sales', 2, 1, 0, 1, 1],
      ]);
      // The previous day has no contacts.
      const before = await sam.get('/api/reports/inbound?from=2025-01-05T00:00:00Z&to=2025-01-06T00:00:00%2B00:00');
      expect((before.body as { data: Report }).data.rows[0]).toMatchObject({ offered: 0 });
    });

    it('applies the filters (repeatable) and lets administrators read reports too', async () => {
      const admin = await loggedIn(asm.url, 'admin');
      const billing = await admin.get(`/api/reports/inbound?${PERIOD}&queue=billing`);
      expect(billing.status).toBe(200);
      expect((billing.body as { data: Report }).data.rows[0]).toMatchObject({ offered: 4, answered: 2, asaSeconds: 20 });
      const both = await admin.get(`/api/reports/inbound?${PERIOD}&queue=billing&queue=sales`);
      expect((both.body as { data: Report }).data.rows[0]).toMatchObject({ offered: 6 });
      const chats = await admin.get(`/api/reports/inbound?${PERIOD}&channel=chat`);
      expect((chats.body as { data: Report }).data.rows[0]).toMatchObject({ offered: 1 });
    });

    it('sends CSV as a download with a safe file name', async () => {
      const r = await sam.get(`/api/reports/inbound-by-queue?from=2025-01-06T00:00:00Z&to=2025-01-07&format=csv`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(r.headers.get('content-disposition')).toBe('attachment; filename="inbound-by-queue_2025-01-06T000000Z_2025-01-07.csv"');
      const lines = (r.body as string).split('\r\n');
      expect(lines[0]!.startsWith('queue,offered,answered,')).toBe(true);
      expect(lines[1]!.startsWith('billing,4,2,')).toBe(true);
      expect(lines[2]!.startsWith('sales,2,1,')).toBe(true);
    });

    it('refuses agents (403) and anonymous callers (401)', async () => {
      const anna = await loggedIn(asm.url, 'anna');
      for (const path of ['/api/reports', `/api/reports/inbound?${PERIOD}`, `/api/reports/inbound?${PERIOD}&format=csv`]) {
        const a = await anna.get(path);
        expect([a.status, code(a)]).toEqual([403, 'CARUSO_FRONTOFFICE_FORBIDDEN']);
        const n = await new ApiClient(asm.url).get(path);
        expect([n.status, code(n)]).toEqual([401, 'CARUSO_FRONTOFFICE_AUTH_REQUIRED']);
      }
    });

    it('answers 404 for an unknown report', async () => {
      const r = await sam.get(`/api/reports/no-such-report?${PERIOD}`);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: { code: 'CARUSO_FRONTOFFICE_NOT_FOUND', message: 'report no-such-report not found', details: { report: 'no-such-report' } } });
    });

    it('rejects a missing, malformed or impossible period and unknown parameters with the error body', async () => {
      const bad: Array<[string, number, string]> = [
        ['to=2025-01-07', 400, 'CARUSO_FRONTOFFICE_BAD_REQUEST'],
        ['from=yesterday&to=2025-01-07', 400, 'CARUSO_FRONTOFFICE_BAD_REQUEST'],
        ['from=2025-01-06T10:00&to=2025-01-07', 400, 'CARUSO_FRONTOFFICE_BAD_REQUEST'],
        ["from=2025-01-06'%20OR%201=1--&to=2025-01-07", 400, 'CARUSO_FRONTOFFICE_BAD_REQUEST'],
        [`${PERIOD}&format=xlsx`, 400, 'CARUSO_FRONTOFFICE_BAD_REQUEST'],
        [`${PERIOD}&sort=queue`, 400, 'CARUSO_FRONTOFFICE_BAD_REQUEST'],
        [`${PERIOD}&queue=${'q'.repeat(101)}`, 400, 'CARUSO_FRONTOFFICE_BAD_REQUEST'],
        ['from=2025-02-30&to=2025-03-02', 422, 'CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST'],
        ['from=2025-01-06T25:00:00Z&to=2025-01-07', 422, 'CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST'],
        ['from=2025-01-07&to=2025-01-06', 422, 'CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST'],
        ['from=2025-01-06&to=2025-01-06', 422, 'CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST'],
        ['from=2023-01-01&to=2025-01-07', 422, 'CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST'],
      ];
      for (const [query, status, c] of bad) {
        const r = await sam.get(`/api/reports/inbound?${query}`);
        expect([query, r.status, code(r)]).toEqual([query, status, c]);
        expect((r.body as ErrorBody).error.message).toEqual(expect.any(String));
      }
      const missing = await sam.get('/api/reports/inbound?to=2025-01-07');
      expect((missing.body as ErrorBody).error.message).toMatch(/from/);
      const unknown = await sam.get(`/api/reports/inbound?${PERIOD}&sort=queue`);
      expect((unknown.body as ErrorBody).error.details).toEqual({ unknown: ['sort'] });
    });

    it('passes the monitor\'s refusal of a filter on as 422', async () => {
      const r = await sam.get(`/api/reports/inbound?${PERIOD}&campaign=winter`);
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ error: { code: 'CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST', message: 'report inbound: report inbound cannot be filtered by campaign' } });
    });

    it('describes both endpoints in the OpenAPI document of supervisors, not of agents', async () => {
      const doc = (await sam.get('/api/openapi.json')).body as { paths: Record<string, { get?: { parameters?: Array<{ name: string; required: boolean }> } }> };
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/reports', '/api/reports/{name}']));
      expect(doc.paths['/api/reports/{name}']!.get!.parameters!.map((p) => [p.name, p.required])).toEqual([
        ['name', true], ['from', true], ['to', true], ['queue', false], ['agent', false], ['channel', false], ['campaign', false], ['script', false], ['format', false],
      ]);
      const anna = await loggedIn(asm.url, 'anna');
      expect(Object.keys(((await anna.get('/api/openapi.json')).body as { paths: object }).paths)).not.toContain('/api/reports');
    });

    describe('REST contract', () => {
      it('answers every request of this suite as its OpenAPI document says (status, content type, body)', () => {
        expectAllDocumented(asm);
      });
    });
  });
});

describe('front office /api/reports without a monitor', () => {
  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: TestAssembly;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        users: USERS,
      });
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    it('answers 503 CARUSO_FRONTOFFICE_MONITOR_UNAVAILABLE, after the role check', async () => {
      const sam = await loggedIn(asm.url, 'sam');
      for (const path of ['/api/reports', `/api/reports/inbound?${PERIOD}`]) {
        const r = await sam.get(path);
        expect(r.status).toBe(503);
        expect(r.body).toEqual({ error: { code: 'CARUSO_FRONTOFFICE_MONITOR_UNAVAILABLE', message: 'reports need the monitor service, and none is registered in this assembly' } });
      }
      const anna = await loggedIn(asm.url, 'anna');
      expect((await anna.get('/api/reports')).status).toBe(403);
    });

    describe('REST contract', () => {
      it('answers every request of this suite as its OpenAPI document says (status, content type, body)', () => {
        expectAllDocumented(asm);
      });
    });
  });
});

describe('front office start with report widgets', () => {
  it('fails with file:line:col when a report widget names a report the monitor does not have', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-fo-report-widget-'));
    const app = join(dir, 'typo.app.xml');
    writeFileSync(app, fixtureText('crm.app.xml').replace('<widget kind="queues"/>', '<widget kind="queues"/><widget kind="report" report="inbound-by-qeueu"/>'));
    const manager = createServiceManager();
    manager.register(StorageManager, storageService(`sqlite:${join(dir, 'crm.db')}`));
    manager.register(BusinessObjects, businessObjectsService({ model: fixturePath('crm.model.xml'), schema: 'migrate' }));
    manager.register(DialogueEngine, dialogueEngineService({ folder: fixturePath('scripts'), watch: false }));
    manager.register(ContactEventLog, contactEventLogService());
    manager.register(Monitor, monitorService({ services: manager }));
    manager.register(CommunicationServer, commsService({ queues: [{ id: 'support' }], agents: [] }));
    const fo = manager.register(FrontOffice, frontOfficeService({ application: app, port: 0, users: USERS }));
    try {
      const started = manager.start().then(() => fo.ready);
      await expect(started).rejects.toThrow(/typo\.app\.xml:\d+:\d+: error: unknown report inbound-by-qeueu; did you mean 'inbound-by-queue'\?/);
    } finally {
      await manager.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
