// examples/utility-water started from its own assembly file (SQLite and PostgreSQL): the utility's
// services (utility.Customers, billing.Invoices) configured for the water company, its extended model
// and its application. A call joins the billing queue, the agent runs the reused payment-arrangement
// script, and the arrangement lands in the water company's OWN billing table (betaalafspraak).
// Needs `npx tsc -b` first (the assembly loads the utility's services from ../utility/dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimulatedTelephony } from '@caruso/comms';
import { ApiClient } from '@caruso/frontoffice/testing';
import { applyMigration, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import { createStorage } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { readAssembly, type Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { generateDemoData, loadDemoData, seedLegacyBilling, type DemoRow } from '../../utility/src/index.js';
import { officeHoursClock } from '../../utility/test/office-hours-clock.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = randomBytes(12).toString('base64url');
const water = (account: string | undefined): string => `W-0${String(account).slice(2)}`;
const cents = (money: string | undefined): number => Math.round(Number(String(money).split(' ')[0]) * 100);

type Step = { status: string; step: { node: string; kind: string; error?: string } };

describe('examples/utility-water started from its assembly file', () => {
  forEachDatabase((db) => {
    let dir: string;
    let billingDb: string;
    let running: RunningAssembly | undefined;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(clock);
    const demo = generateDemoData({ customers: 120, seed: 21 });
    // The water company's own account and invoice numbers (as in water-billing.test.ts).
    const accounts: DemoRow[] = demo.billing.accounts.map((a) => ({ ...a, accountNo: water(a['accountNo']) }));
    const invoices: DemoRow[] = demo.billing.invoices.map((i) => ({ ...i, accountNo: water(i['accountNo']), number: `N${i['year']}/${String(i['sequence']).padStart(5, '0')}` }));
    const customers: DemoRow[] = demo.customers.map((c) => ({ ...c, billingAccount: water(c['billingAccount']) }));
    const behind = accounts.find((a) => a['blocked'] === 'false' && cents(a['balance']) >= 6000 && customers.some((c) => c['billingAccount'] === a['accountNo'] && c['phone'])) as DemoRow;
    const caller = customers.find((c) => c['billingAccount'] === behind['accountNo']) as DemoRow;

    beforeAll(async () => {
      if (!existsSync(join(root, '../utility/dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), `caruso-water-e2e-${db.dialect}-`));
      billingDb = join(dir, 'aquanota.db');
      await seedLegacyBilling({ database: billingDb, schemaSql: readFileSync(join(root, 'legacy-billing/schema.sql'), 'utf8'), model: loadModelFile(join(root, 'model/legacy-billing.model.xml')), data: { accounts, invoices } });
      const model = loadModelFile(join(root, 'model/water.model.xml'));
      await applyMigration(model, db.storage);
      await loadDemoData(new BusinessObjectsImpl(model, db.storage), { ...demo, customers });

      const env = { CARUSO_DB_URL: db.url, PORT: '0', CARUSO_MANAGER_PORT: '0', WATER_AGENT_DIRK_PASSWORD: PASSWORD };
      const read = readAssembly(join(root, 'assembly.xml'), env);
      const errors = read.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
      const a = read.assembly as Assembly;
      running = await startAssembly(
        { ...a, dataDir: dir, services: a.services.map((s) => (s.token === 'billing.Invoices' ? { ...s, config: { ...s.config, database: billingDb } } : s)) },
        { env, clock, telephony },
      );
    }, 60_000);

    afterAll(async () => {
      telephony.dispose();
      await running?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('takes a billing call through the reused payment-arrangement script into the water company’s own table', async () => {
      const r = running as RunningAssembly;
      const states = Object.fromEntries(r.services().map((s) => [s.tokenId, s.state]));
      expect(states).toMatchObject({ 'caruso.frontoffice': 'active', 'utility.Customers': 'active', 'billing.Invoices': 'active' });
      const agent = new ApiClient(r.frontOfficeUrl as string);
      expect((await agent.login('dirk', PASSWORD)).status).toBe(200);
      await agent.post('/api/agent/ready');
      // The customer dials the billing desk's direct line on the simulated telephone network; the
      // agent's phone rings and answers: the agent is connected to the caller.
      telephony.placeInboundCall({ from: caller['phone'] as string, to: '+31343000002', talkMs: 600_000 });
      type AgentView = { agent: { state: string; contactIds: string[] } };
      let desk = (await agent.get('/api/agent')).body as AgentView;
      for (let i = 0; i < 100 && desk.agent.contactIds.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        desk = (await agent.get('/api/agent')).body as AgentView;
      }
      expect(desk.agent.contactIds).toHaveLength(1);
      const contact = { id: desk.agent.contactIds[0] as string };
      const pop = (await agent.get(`/api/contacts/${contact.id}`)).body as { screenPop: { matches: { id: number; householdSize?: unknown }[] }; script: string };
      expect(pop.script).toBe('water-payment-arrangement');
      const customerId = pop.screenPop.matches[0]!.id;
      expect(pop.screenPop.matches[0]).toHaveProperty('householdSize');

      const firstDueDate = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
      // The caller's number is known from the call, so the identification asks to confirm the name.
      const answers: Record<string, unknown> = { isCustomer: true, askNumber: caller['customerNumber'], installments: '2', firstDueDate, confirm: 'ja' };
      let view = (await agent.post('/api/scripts/sessions', { contactId: contact.id, object: 'Customer', recordId: customerId })).body as Step & { sessionId: string };
      const sessionId = view.sessionId;
      const nodes: string[] = [];
      for (let i = 0; i < 20 && view.status === 'active'; i++) {
        expect(view.step.error).toBeUndefined();
        nodes.push(view.step.node);
        view = (await agent.post(`/api/scripts/sessions/${sessionId}/answer`, { value: answers[view.step.node] ?? null })).body as Step & { sessionId: string };
      }
      expect(view.status).toBe('ended');
      expect(nodes).toEqual(expect.arrayContaining(['balance', 'installments', 'firstDueDate', 'confirm']));
      expect((await agent.post(`/api/contacts/${contact.id}/wrap-up`, { code: 'opgelost', object: 'Customer', recordId: customerId })).status).toBe(200);

      const legacy = await createStorage(`sqlite:${billingDb}`);
      try {
        const rows = (await legacy.knex('betaalafspraak').where({ reknr: behind['accountNo'] })) as Array<Record<string, unknown>>;
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ aantal_termijnen: 2, bedrag_totaal: cents(behind['balance']), startdatum: firstDueDate });
      } finally {
        await legacy.close();
      }
      const kinds = ((await db.storage.knex('caruso_contact_events').where({ contact_id: contact.id }).orderBy('seq')) as Array<{ kind: string }>).map((e) => e.kind);
      expect(kinds.slice(0, 3)).toEqual(['queue-entered', 'offered', 'connected']);
      expect(kinds).toContain('completed');
    }, 60_000);
  });
});
