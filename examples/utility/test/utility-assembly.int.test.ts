// examples/utility started from its own assembly file, the way `caruso start` does, on a fresh
// database (SQLite and a real PostgreSQL): an agent logs in through the REST API, a call from a
// customer joins the moves queue, the agent accepts it, runs the move-house script to its end and
// wraps up. Checked: the legacy billing tables were written through the billing.Invoices wrapper,
// the move is recorded through utility.Customers, the new address was written to the customer
// record, the confirmation e-mail is in the demo outbox, and the contact event log holds the whole
// story. Needs `npx tsc -b` first (the assembly
// loads its services from dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '@caruso/frontoffice/testing';
import { createStorage } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import type { Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { generateDemoData } from '../src/index.js';
import { officeHoursClock } from './office-hours-clock.js';
import { LEGACY_BILLING_DB, root, utilityAssemblyOn } from './utility-assembly-setup.js';
import { CommunicationServer, SimulatedTelephony } from '@caruso/comms';

const PASSWORD = randomBytes(12).toString('base64url');

function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

type Step = { status: string; step: { node: string; kind: string; error?: string } };

/** Answers the script's questions from `answers` (by node) until it ends; fails on a node it has no answer for. */
async function runScript(agent: ApiClient, sessionId: string, first: Step, answers: Record<string, unknown>): Promise<{ status: string; nodes: string[] }> {
  let view = first;
  const nodes: string[] = [];
  for (let i = 0; i < 40 && view.status === 'active'; i++) {
    const node = view.step.node;
    nodes.push(node);
    if (view.step.error) throw new Error(`the script refused the answer at ${node}: ${view.step.error}`);
    if (!(node in answers) && view.step.kind !== 'info') throw new Error(`no answer for ${node} (${view.step.kind})`);
    const res = await agent.post(`/api/scripts/sessions/${sessionId}/answer`, { value: answers[node] ?? null });
    if (res.status !== 200) throw new Error(`answer at ${node}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    view = res.body as Step;
  }
  return { status: view.status, nodes };
}

describe('examples/utility started from its assembly file', () => {
  forEachDatabase((db) => {
    let dir: string;
    let billingDb: string;
    let running: RunningAssembly | undefined;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(clock);
    let assembly: Assembly;
    const data = generateDemoData({ customers: 150, seed: 9 });
    // A customer the caller is: a phone number, an e-mail address (for the confirmation), an
    // electricity connection and a billing account.
    const caller = data.customers.find(
      (c) => c['phone'] && c['email'] && c['billingAccount'] && data.connections.some((cp) => cp['customerNumber'] === c['customerNumber'] && cp['product'] === 'electricity'),
    ) as Record<string, string>;

    beforeAll(async () => {
      if (!existsSync(join(root, 'dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), `caruso-utility-e2e-${db.dialect}-`));
      billingDb = join(dir, LEGACY_BILLING_DB);
      const env = { CARUSO_DB_URL: db.url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: '0', UTILITY_AGENT_BRAM_PASSWORD: PASSWORD, UTILITY_SUPERVISOR_PASSWORD: PASSWORD };
      // The data folder, the legacy billing database and the outbox live in the temporary folder.
      const a = await utilityAssemblyOn(db.storage, dir, data, env);
      // No demo load here: this test places its own call (demo-load-assembly.int.test.ts runs the load).
      assembly = { ...a, services: a.services.filter((s) => s.token !== 'utility.DemoLoad') };
      running = await startAssembly(assembly, { env, clock, telephony, simulate: true });
    }, 60_000);

    afterAll(async () => {
      await running?.stop();
      telephony.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('starts every service of the assembly, creates its users and says what it does not start yet', () => {
      const r = running as RunningAssembly;
      const states = Object.fromEntries(r.services().map((s) => [s.tokenId, s.state]));
      expect(states).toMatchObject({ 'caruso.comms.OutboundMail': 'active', 'caruso.storage': 'active', 'caruso.objects': 'active', 'caruso.dialogue.DialogueEngine': 'active', 'caruso.comms': 'active', 'caruso.frontoffice': 'active', 'utility.Customers': 'active', 'billing.Invoices': 'active' });
      expect(r.createdUsers).toEqual(['admin', 'sanne', 'anna', 'bram', 'chantal']);
      // Passwords not given by the environment are generated and reported once, never stored in clear.
      expect(r.generatedPasswords.map((p) => p.name)).toEqual(['admin', 'anna', 'chantal']);
      expect(r.frontOfficeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it('takes a call through the moves queue, the agent desktop, the move-house script and wrap-up', async () => {
      const r = running as RunningAssembly;
      const agent = new ApiClient(r.frontOfficeUrl as string);
      expect((await agent.login('bram', PASSWORD)).status).toBe(200);
      expect(((await agent.post('/api/agent/ready')).body as { agent: { state: string } }).agent.state).toBe('ready');

      // The call: the customer dials the moves desk's direct line on the simulated telephone network;
      // the communication server answers it, queues it in `moves` and rings bram's phone, which
      // answers (the simulated endpoint picks up at once): bram is connected to the caller.
      telephony.placeInboundCall({ from: caller['phone'] as string, to: '+31300000003', talkMs: 600_000 });
      type AgentView = { agent: { state: string; contactIds: string[] } };
      let desk = (await agent.get('/api/agent')).body as AgentView;
      for (let i = 0; i < 100 && desk.agent.contactIds.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        desk = (await agent.get('/api/agent')).body as AgentView;
      }
      expect(desk.agent.state).toBe('busy');
      expect(desk.agent.contactIds).toHaveLength(1);
      const contact = { id: desk.agent.contactIds[0] as string };

      // Screen pop by the calling number, and the queue's script.
      const pop = (await agent.get(`/api/contacts/${contact.id}`)).body as { screenPop: { matches: { id: number; customerNumber: string }[] }; script: string };
      expect(pop.script).toBe('move-house');
      expect(pop.screenPop.matches.map((m) => m.customerNumber)).toEqual([caller['customerNumber']]);
      const customerId = pop.screenPop.matches[0]!.id;

      const started = await agent.post('/api/scripts/sessions', { contactId: contact.id, object: 'Customer', recordId: customerId });
      expect(started.status).toBe(201);
      const s = started.body as Step & { sessionId: string };
      const power = data.connections.find((cp) => cp['customerNumber'] === caller['customerNumber'] && cp['product'] === 'electricity') as Record<string, string>;
      const last = Math.max(...data.readings.filter((x) => x['ean'] === power['ean']).map((x) => Number(x['normal'])));
      const moveOutDate = isoDay(10);
      const result = await runScript(agent, s.sessionId, s, {
        isCustomer: 'ja',
        askNumber: caller['customerNumber'],
        moveOutDate,
        newPostcode: '3511 AB',
        newHouseNumber: '12A',
        newStreet: 'Oudegracht',
        newCity: 'Utrecht',
        finalNormal: String(last + 250),
        finalLow: '',
        confirm: 'ja',
      });
      expect(result.status).toBe('ended');
      expect(result.nodes).toContain('confirm');

      const w = await agent.post(`/api/contacts/${contact.id}/wrap-up`, { code: 'opgelost', notes: 'Verhuizing doorgegeven', object: 'Customer', recordId: customerId });
      expect(w.status).toBe(200);
      expect((w.body as { agent: { state: string } }).agent.state).toBe('ready');

      // The legacy billing system's own table, written through the billing.Invoices wrapper.
      const legacy = await createStorage(`sqlite:${billingDb}`);
      try {
        const rows = (await legacy.knex('FACT_MUTATIE').where({ DEB_NR: caller['billingAccount'] })) as Array<Record<string, unknown>>;
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ MUT_DATUM: moveOutDate, STAND_NORMAAL: last + 250, NIEUW_ADRES: 'Oudegracht 12A, 3511 AB Utrecht' });
      } finally {
        await legacy.close();
      }

      // The confirmation e-mail, in the demo outbox that stands in for the mail relay.
      const outbox = readdirSync(join(dir, 'outbox'));
      expect(outbox).toHaveLength(1);
      const eml = readFileSync(join(dir, 'outbox', outbox[0] as string), 'utf8');
      expect(eml).toContain(`To: ${caller['email']}`);
      expect(eml).toContain(`Subject: Bevestiging van uw verhuizing op ${moveOutDate}`);
      expect(Buffer.from(eml.split('\r\n\r\n')[1] as string, 'base64').toString('utf8')).toContain('Oudegracht 12A, 3511 AB Utrecht');

      // The move through utility.Customers, and the new address written to the customer record.
      const moves = await db.storage.knex('moves').where({ customer_id: customerId });
      expect(moves).toHaveLength(1);
      const admin = new ApiClient(r.frontOfficeUrl as string);
      expect((await admin.login('sanne', PASSWORD)).status).toBe(200);
      const record = (await admin.get(`/api/objects/Customer/${customerId}`)).body as { data: Record<string, unknown> };
      expect(record.data).toMatchObject({ street: 'Oudegracht', houseNumber: '12A', postcode: '3511 AB', city: 'Utrecht' });
      const timeline = (await agent.get(`/api/objects/Customer/${customerId}/timeline`)).body as { entries: { kind: string; code?: string }[] };
      expect(timeline.entries.find((e) => e.kind === 'contact')).toMatchObject({ code: 'opgelost' });
      // The communication server's interaction record of the call, in the customer's history.
      const history = await r.manager.get(CommunicationServer).history('Customer', String(customerId));
      expect(history.find((h) => h.contactId === contact.id)).toMatchObject({ channel: 'call', address: caller['phone'], disposition: 'opgelost' });

      // The contact event log: the whole story of the contact, in order, and the agent's states.
      const events = (await db.storage.knex('caruso_contact_events').where({ contact_id: contact.id }).orderBy('seq')) as Array<{ kind: string; agent_id: string | null; queue_id: string | null }>;
      const kinds = events.map((e) => e.kind);
      expect(kinds.slice(0, 3)).toEqual(['queue-entered', 'offered', 'connected']);
      expect(kinds).toContain('completed');
      expect(kinds.indexOf('completed')).toBeGreaterThan(kinds.indexOf('connected'));
      expect(events.every((e) => e.queue_id === null || e.queue_id === 'moves')).toBe(true);
      expect(events.find((e) => e.kind === 'connected')?.agent_id).toBe('agent-bram');
      const agentStates = (await db.storage.knex('caruso_contact_events').where({ agent_id: 'agent-bram', kind: 'agent-state-changed' }).orderBy('seq')) as Array<{ state: string }>;
      expect(agentStates.map((e) => e.state)).toEqual(expect.arrayContaining(['ready', 'busy']));
      expect(agentStates[agentStates.length - 1]?.state).toBe('ready');
    }, 60_000);
  });
});
