import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath, fixtureText } from './fixture.js';

const PW = 'correct horse battery';
type Body = Record<string, unknown>;

/** The fixture application with one follow-up rule on VIP customers. */
function files(): { model: string; application: string } {
  const dir = mkdtempSync(join(tmpdir(), 'caruso-followup-'));
  const application = join(dir, 'crm.app.xml');
  writeFileSync(application, fixtureText('crm.app.xml').replace('</application>', `  <followup name="welcome" object="Customer" when="postcode == 'VIP'" after="P1D" title="Welcome {{lastName}}" kind="todo" queue="support"/>\n</application>`));
  return { model: fixturePath('crm.model.xml'), application };
}

describe('follow-up rules meet every write of the business objects', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly;
    let anna: ApiClient;
    let sam: ApiClient;
    let root: ApiClient;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        ...files(),
        scripts: fixturePath('scripts'),
        queues: [{ id: 'support' }, { id: 'general' }],
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
        users: [
          { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
          { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
          { name: 'root', role: 'administrator', agentId: undefined, password: PW },
        ],
      });
      [anna, sam, root] = await Promise.all([loggedInClient(asm.url, 'anna', PW), loggedInClient(asm.url, 'sam', PW), loggedInClient(asm.url, 'root', PW)]);
    }, 60_000);
    afterAll(async () => {
      await asm?.stop();
    });

    const welcomeTasks = async (id: unknown): Promise<Body[]> => {
      const r = await sam.get(`/api/tasks?object=Customer&recordId=${encodeURIComponent(String(id))}`);
      expect(r.status).toBe(200);
      return (r.body as { tasks: Body[] }).tasks.filter((t) => t['rule'] === 'welcome');
    };

    /** Waits (bounded) until the record has a task of the rule. */
    async function firstTask(id: unknown): Promise<Body[]> {
      const deadline = Date.now() + 4_000;
      for (;;) {
        const tasks = await welcomeTasks(id);
        if (tasks.length) return tasks;
        if (Date.now() > deadline) throw new Error(`no follow-up task for Customer ${String(id)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }

    /**
     * Writes a business customer directly and waits for its task: the follow-ups handle the changes in
     * order, so every task of an earlier write is made by then (a second firing included).
     */
    async function settle(): Promise<void> {
      const marker = await asm.objects.repository('Customer').create({ firstName: 'Mark', lastName: 'Marker', postcode: 'VIP' });
      await firstTask(marker['id']);
    }

    it('fires on a create through the repository itself, as a service wrapper or a dialogue script writes', async () => {
      const rec = await asm.objects.repository('Customer').create({ firstName: 'Wim', lastName: 'Wrapper', postcode: 'VIP' }, { actor: 'script:meter-reading' });
      const tasks = await firstTask(rec['id']);
      expect(tasks).toEqual([expect.objectContaining({ title: 'Welcome Wrapper', kind: 'todo', assignee: { queue: 'support' }, createdBy: 'script:meter-reading' })]);
    });

    it('fires on an update through the repository when the condition becomes true, not when it stays true', async () => {
      const repo = asm.objects.repository('Customer');
      const rec = await repo.create({ firstName: 'Uma', lastName: 'Update', postcode: '1000' });
      const changed = await repo.update(rec['id'] as number, { postcode: 'VIP' });
      await firstTask(rec['id']);
      await repo.update(rec['id'] as number, { firstName: 'Uma-Lise', $version: changed['$version'] });
      await settle();
      expect(await welcomeTasks(rec['id'])).toHaveLength(1);
    });

    it('fires exactly once for a write through the front office\'s routes (create and update)', async () => {
      const created = await anna.post('/api/objects/Customer', { firstName: 'Rita', lastName: 'Route', postcode: 'VIP' });
      expect(created.status).toBe(201);
      const rita = (created.body as { data: Body }).data;
      const plain = (await anna.post('/api/objects/Customer', { firstName: 'Pim', lastName: 'Patch', postcode: '1000' })).body as { data: Body };
      expect((await anna.patch(`/api/objects/Customer/${String(plain.data['id'])}`, { postcode: 'VIP', $version: plain.data['$version'] })).status).toBe(200);
      await settle();
      expect(await welcomeTasks(rita['id'])).toEqual([expect.objectContaining({ createdBy: 'anna' })]);
      expect(await welcomeTasks(plain.data['id'])).toHaveLength(1);
    });

    it('fires once for each record an import creates or turns into a business customer, nothing for a preview', async () => {
      const repo = asm.objects.repository('Customer');
      const old = await repo.create({ firstName: 'Olga', lastName: 'Old', email: 'olga@example.org', postcode: '1000' });
      const csv = 'id,firstName,lastName,email,postcode\n,Ivo,Import,ivo@example.org,VIP\n' + `${String(old['id'])},Olga,Old,olga@example.org,VIP\n`;
      const send = (path: string): Promise<{ status: number; body: unknown }> => root.request('POST', path, undefined, { raw: csv, contentType: 'text/csv' });
      const preview = await send('/api/objects/Customer/import?preview=true');
      expect(preview.status).toBe(200);
      const done = await send('/api/objects/Customer/import');
      expect(done.status).toBe(200);
      const rows = (done.body as { rows: Body[] }).rows;
      expect(rows.map((r) => r['status'])).toEqual(['created', 'updated']);
      await settle();
      expect(await welcomeTasks(rows[0]!['key'])).toEqual([expect.objectContaining({ createdBy: 'root' })]);
      expect(await welcomeTasks(old['id'])).toHaveLength(1);
    });

    it('fires nothing for a transaction rolled back, and after the commit of one that holds', async () => {
      const objects = asm.objects;
      await expect(objects.transaction(async (tx) => {
        await tx.repository('Customer').create({ firstName: 'Rolf', lastName: 'Rollback', postcode: 'VIP' });
        throw new Error('roll back');
      })).rejects.toThrow('roll back');
      const kept = await objects.transaction(async (tx) => tx.repository('Customer').create({ firstName: 'Cora', lastName: 'Commit', postcode: 'VIP' }));
      await firstTask(kept['id']);
      await settle();
      const all = ((await sam.get('/api/tasks?queue=support')).body as { tasks: Body[] }).tasks;
      expect(all.filter((t) => t['title'] === 'Welcome Rollback')).toEqual([]);
      expect(all.filter((t) => t['title'] === 'Welcome Commit')).toHaveLength(1);
    });

    it('sends the labels of the queues and of the scripts with the application', async () => {
      const app = (await sam.get('/api/app')).body as { queues: Body[]; scripts: Body[] };
      expect(app.queues).toEqual([{ id: 'support', label: expect.any(String) }, { id: 'general', label: 'General' }]);
      expect(app.scripts).toEqual(expect.arrayContaining([{ id: 'meter-reading', label: 'Meter reading' }, { id: 'fault-check', label: 'Fault check' }]));
    });
  });
});
