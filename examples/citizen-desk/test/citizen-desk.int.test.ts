// examples/citizen-desk, a municipality's citizen desk assembled from configuration alone, started
// from its own assembly file (SQLite and a real PostgreSQL) the way `caruso start` does. One script
// runs end to end on each channel: a call through the telephone menu (IVR) to an agent who takes a
// public-space report, an e-mail over real SMTP that an agent handles with the e-mail script, and a
// resident on the self-service page who makes a tax payment arrangement, written into the municipal
// tax system's own table through the billing wrapper of examples/utility. Also checked: the example's
// folder holds no code. Needs `npx tsc -b` first (the assembly loads the wrapper from ../utility/dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommunicationServer, EmailChannel, SimulatedTelephony, type Clock } from '@caruso/comms';
import { ApiClient } from '@caruso/frontoffice/testing';
import { applyMigration, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import { createStorage } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { readAssembly, type Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { seedLegacyBilling, sendDemoMail } from '../../utility/src/index.js';
import { officeHoursClock } from '../../utility/test/office-hours-clock.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = randomBytes(12).toString('base64url');

/** Extensions of files that hold code (program text); the example may hold none outside test/. */
const CODE = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.py', '.sh', '.rb', '.java', '.go', '.php', '.pl']);

/** Every file of `dir` (relative), without node_modules, build output and the data folder. */
function filesOf(dir: string, base = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', 'data'].includes(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) filesOf(p, base, out);
    else out.push(relative(base, p));
  }
  return out;
}

/**
 * The simulated telephone network's clock: the office-hours clock, with its timers twenty times
 * faster, so that a spoken menu (60 ms a character) and the keys take a second, not a minute.
 */
function fastTelephoneClock(base: Clock): Clock {
  return { now: () => base.now(), setTimer: (delayMs, fn) => base.setTimer(delayMs / 20, fn) };
}

function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

type Step = { sessionId: string; status: string; outcome?: string; step: { node: string; kind: string; prompt?: string; error?: string } };

/** Answers a script's steps from `answers` (by node; info steps continue) until it is no longer active. */
async function runScript(client: ApiClient, path: (id: string) => string, first: Step, answers: Record<string, unknown>): Promise<{ last: Step; nodes: string[] }> {
  let view = first;
  const nodes: string[] = [];
  for (let i = 0; i < 40 && view.status === 'active'; i++) {
    const node = view.step.node;
    nodes.push(node);
    if (view.step.error) throw new Error(`the script refused the answer at ${node}: ${view.step.error}`);
    if (!(node in answers) && view.step.kind !== 'info') throw new Error(`no answer for ${node} (${view.step.kind})`);
    const res = await client.post(path(view.sessionId), { value: answers[node] ?? null });
    if (res.status !== 200) throw new Error(`answer at ${node}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    view = res.body as Step;
  }
  return { last: view, nodes };
}

/** Waits (bounded) until the agent has a contact, accepting the offers made meanwhile; returns its id. */
async function nextContact(agent: ApiClient, before: readonly string[]): Promise<string> {
  type Desk = { agent: { state: string; contactIds: string[] }; offers: { offerId: string }[] };
  for (let i = 0; i < 250; i++) {
    const desk = (await agent.get('/api/agent')).body as Desk;
    for (const o of desk.offers ?? []) await agent.post(`/api/agent/offers/${encodeURIComponent(o.offerId)}/accept`);
    const fresh = desk.agent.contactIds.find((id) => !before.includes(id));
    if (fresh) return fresh;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no contact reached the agent');
}

describe('examples/citizen-desk', () => {
  it('is configuration only: no code in its folder outside its tests, and one wrapper, reused from another example', () => {
    const files = filesOf(root);
    expect(files).toEqual(expect.arrayContaining(['assembly.xml', 'app/citizen.app.xml', 'model/citizen.model.xml', 'model/legacy-tax.model.xml', 'scripts/ivr-main.xml', 'README.md', 'package.json']));
    const code = files.filter((f) => CODE.has(extname(f).toLowerCase()) && !f.startsWith(`test${'/'}`));
    expect(code).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const entry of ['main', 'exports', 'bin', 'scripts']) expect(pkg).not.toHaveProperty(entry);
    const read = readAssembly(join(root, 'assembly.xml'), {});
    expect(read.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const services = (read.assembly as Assembly).services;
    expect(services.map((s) => s.token)).toEqual(['billing.Invoices']);
    expect(relative(root, services[0]!.module)).toBe(join('..', 'utility', 'dist', 'index.js'));
  });

  forEachDatabase((db) => {
    let dir: string;
    let belas: string;
    let running: RunningAssembly | undefined;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(fastTelephoneClock(clock));
    // Residents of Beekdal and their accounts in BELAS (subject number = account number).
    const residents = [
      { subjectNumber: '40012345', initials: 'J.', lastName: 'de Boer', phone: '0612345678', email: 'j.deboer@example.nl', street: 'Esdoornlaan', houseNumber: '14', postcode: '6711 AB', city: 'Beekdal' },
      { subjectNumber: '40012346', initials: 'F.', lastName: 'Yilmaz', phone: '0687654321', email: 'f.yilmaz@example.nl', street: 'Molenweg', houseNumber: '3a', postcode: '6712 CD', city: 'Beekdal' },
    ];
    const accounts = [
      { accountNo: '40012345', holder: 'J. de Boer', balance: '412.80 EUR', collection: 'N' },
      { accountNo: '40012346', holder: 'F. Yilmaz', balance: '0.00 EUR', collection: 'N' },
    ];
    const invoices = [
      { number: '2025-0001234', accountNo: '40012345', invoiceDate: isoDay(-60), dueDate: isoDay(-30), amount: '412.80 EUR', open: '412.80 EUR' },
      { number: '2025-0001235', accountNo: '40012346', invoiceDate: isoDay(-60), dueDate: isoDay(-30), amount: '388.10 EUR', open: '0.00 EUR' },
    ];
    const url = (): string => (running as RunningAssembly).frontOfficeUrl as string;

    beforeAll(async () => {
      if (!existsSync(join(root, '../utility/dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), `caruso-citizen-desk-${db.dialect}-`));
      belas = join(dir, 'belas.db');
      await seedLegacyBilling({ database: belas, schemaSql: readFileSync(join(root, 'test/fixtures/belas-schema.sql'), 'utf8'), model: loadModelFile(join(root, 'model/legacy-tax.model.xml')), data: { accounts, invoices } });
      const model = loadModelFile(join(root, 'model/citizen.model.xml'));
      await applyMigration(model, db.storage);
      const objects = new BusinessObjectsImpl(model, db.storage);
      for (const r of residents) await objects.repository('Resident').create(r, { actor: 'test' });

      const env = { CARUSO_DB_URL: db.url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: '0', CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0', BEEKDAL_AGENT_ANOUK_PASSWORD: PASSWORD };
      const read = readAssembly(join(root, 'assembly.xml'), env);
      const errors = read.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
      const a = read.assembly as Assembly;
      running = await startAssembly(
        { ...a, dataDir: dir, services: a.services.map((s) => (s.token === 'billing.Invoices' ? { ...s, config: { ...s.config, database: belas } } : s)) },
        // The simulated telephone network runs beside the SIP adapter (as with `caruso start --simulate`).
        { env, clock, telephony, simulate: true },
      );
    }, 60_000);

    afterAll(async () => {
      await running?.stop();
      telephony.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('starts every service of its assembly, the reused billing wrapper on the tax system among them', () => {
      const states = Object.fromEntries((running as RunningAssembly).services().map((s) => [s.tokenId, s.state]));
      expect(states).toMatchObject({ 'caruso.objects': 'active', 'caruso.dialogue.DialogueEngine': 'active', 'caruso.comms': 'active', 'caruso.frontoffice': 'active', 'billing.Invoices': 'active' });
      // The queues carry the names people read.
      const queues = (running as RunningAssembly).manager.get(CommunicationServer).queues() as Array<{ queueId: string; label?: string }>;
      expect(queues.filter((q) => q.queueId !== 'voicemail').map((q) => [q.queueId, q.label])).toEqual([
        ['algemeen', 'Algemene vragen'],
        ['belastingen', 'Belastingen'],
        ['meldingen', 'Meldingen openbare ruimte'],
        ['burgerzaken', 'Burgerzaken'],
        ['post', 'Digitale post'],
      ]);
    });

    it('phone: the telephone menu routes a report to the reports desk, where the agent takes it down', async () => {
      const agent = new ApiClient(url());
      expect((await agent.login('anouk', PASSWORD)).status).toBe(200);
      expect((await agent.post('/api/agent/ready')).status).toBe(200);
      // 2: a report about the public space; 1: street lighting. The menu hands the call to `meldingen`.
      telephony.placeInboundCall({ from: residents[0]!.phone, to: '+31880123000', talkMs: 6_000_000, keys: ['2', '1'] });
      const contactId = await nextContact(agent, []);
      const pop = (await agent.get(`/api/contacts/${contactId}`)).body as { script: string; screenPop: { matches: { subjectNumber: string }[] } };
      expect(pop.script).toBe('desk-report');
      expect(pop.screenPop.matches.map((m) => m.subjectNumber)).toEqual([residents[0]!.subjectNumber]);

      const started = await agent.post('/api/scripts/sessions', { contactId });
      expect(started.status).toBe(201);
      const first = started.body as Step;
      // The menu asked the category: the script starts at the place.
      expect(first.step.node).toBe('location');
      const run = await runScript(agent, (id) => `/api/scripts/sessions/${id}/answer`, first, {
        location: 'Esdoornlaan 20, bij de speeltuin',
        postcode: '6711 AB',
        description: 'De lantaarnpaal brandt al een week niet.',
        confirm: 'ja',
      });
      expect(run.last).toMatchObject({ status: 'ended', step: { node: 'done' } });
      expect(run.nodes).toEqual(['location', 'postcode', 'description', 'confirm']);
      // What the caller keyed in the menu travelled with the call.
      expect((running as RunningAssembly).manager.get(CommunicationServer).contact(contactId)?.data).toMatchObject({ menu: 'report', category: 'lighting' });

      // The report, a business object the script wrote without code, linked to the caller on file.
      const [caller] = (await db.storage.knex('residents').where({ subject_number: residents[0]!.subjectNumber })) as Array<{ id: number }>;
      const reports = (await db.storage.knex('public_space_reports').where({ category: 'lighting' })) as Array<Record<string, unknown>>;
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ location: 'Esdoornlaan 20, bij de speeltuin', postcode: '6711 AB', channel: 'agent', status: 'new', resident_id: caller!.id });

      await agent.post(`/api/contacts/${contactId}/hang-up`);
      const w = await agent.post(`/api/contacts/${contactId}/wrap-up`, { code: 'melding' });
      expect(w.status).toBe(200);
      const kinds = ((await db.storage.knex('caruso_contact_events').where({ contact_id: contactId }).orderBy('seq')) as Array<{ kind: string; queue_id: string | null }>).map((e) => `${e.kind}:${e.queue_id ?? ''}`);
      expect(kinds.slice(0, 3)).toEqual(['queue-entered:meldingen', 'offered:meldingen', 'connected:meldingen']);
      expect(kinds).toContain('disposition:meldingen');
    }, 60_000);

    it('e-mail: a resident’s e-mail over SMTP reaches the digital post queue and the agent handles it with the e-mail script', async () => {
      const r = running as RunningAssembly;
      const agent = new ApiClient(url());
      expect((await agent.login('anouk', PASSWORD)).status).toBe(200);
      // The wrap-up of the call made anouk ready again.
      const desk = (await agent.get('/api/agent')).body as { agent: { state: string; contactIds: string[] } };
      expect(desk.agent.state).toBe('ready');
      const address = r.manager.get(EmailChannel).address();
      expect(address).toBeDefined();
      await sendDemoMail(address!, { from: residents[1]!.email, to: 'gemeente@beekdal.example', subject: 'Zwerfvuil bij de glasbak', text: 'Bij de glasbak op de Molenweg ligt al dagen zwerfvuil.' });
      const contactId = await nextContact(agent, desk.agent.contactIds);
      const pop = (await agent.get(`/api/contacts/${contactId}`)).body as { script: string };
      expect(pop.script).toBe('email-intake');

      const started = await agent.post('/api/scripts/sessions', { contactId });
      expect(started.status).toBe(201);
      const run = await runScript(agent, (id) => `/api/scripts/sessions/${id}/answer`, started.body as Step, {
        topic: 'report',
        askCategory: 'waste',
        location: 'Molenweg, bij de glasbak',
        postcode: '',
        description: 'Zwerfvuil rond de glasbak, al dagen.',
        confirm: 'ja',
      });
      expect(run.last).toMatchObject({ status: 'ended', step: { node: 'done' } });
      expect(run.nodes).toEqual(['topic', 'askCategory', 'location', 'postcode', 'description', 'confirm']);

      const [sender] = (await db.storage.knex('residents').where({ subject_number: residents[1]!.subjectNumber })) as Array<{ id: number }>;
      const reports = (await db.storage.knex('public_space_reports').where({ category: 'waste' })) as Array<Record<string, unknown>>;
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ location: 'Molenweg, bij de glasbak', postcode: null, channel: 'email', resident_id: sender!.id });

      await agent.post(`/api/contacts/${contactId}/hang-up`);
      expect((await agent.post(`/api/contacts/${contactId}/wrap-up`, { code: 'melding' })).status).toBe(200);
      const events = (await db.storage.knex('caruso_contact_events').where({ contact_id: contactId }).orderBy('seq')) as Array<{ kind: string; queue_id: string | null }>;
      expect(events.map((e) => e.kind).slice(0, 2)).toEqual(['queue-entered', 'offered']);
      expect(events.every((e) => e.queue_id === null || e.queue_id === 'post')).toBe(true);
      // The e-mail is in the sender's history: the interactions are matched to residents by address.
      const history = await r.manager.get(CommunicationServer).history('Resident', String(sender!.id));
      expect(history.find((h) => h.contactId === contactId)).toMatchObject({ channel: 'email', disposition: 'melding' });
    }, 60_000);

    it('web: a resident identifies on the self-service page and makes a payment arrangement, booked in the tax system’s own table', async () => {
      const visitor = new ApiClient(url());
      const page = await visitor.get('/api/self-service/betalingsregeling');
      expect(page.body).toMatchObject({ name: 'betalingsregeling', identify: [{ name: 'subjectNumber' }, { name: 'postcode' }, { name: 'houseNumber' }] });
      const s = (await visitor.post('/api/self-service/betalingsregeling/sessions')).body as Step;
      expect(s.step.kind).toBe('identify');
      const resident = residents[0]!;
      const first = (await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: { subjectNumber: resident.subjectNumber, postcode: resident.postcode, houseNumber: resident.houseNumber } })).body as Step;
      expect(first.step).toMatchObject({ kind: 'info', node: 'balance' });
      // The amount from BELAS, formatted in the script's language.
      expect(first.step.prompt).toContain('Het openstaande bedrag is € 412,80');
      const firstDueDate = isoDay(10);
      const run = await runScript(visitor, (id) => `/api/self-service/sessions/${id}/answer`, first, { installments: 4, firstDueDate, confirm: true });
      expect(run.last).toMatchObject({ status: 'ended', step: { node: 'arranged' } });
      expect(run.nodes).toEqual(['balance', 'installments', 'firstDueDate', 'confirm']);

      const legacy = await createStorage(`sqlite:${belas}`);
      try {
        const rows = (await legacy.knex('BEL_REGELING').where({ SUBJECTNR: resident.subjectNumber })) as Array<Record<string, unknown>>;
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ TOTAAL_CT: 41280, TERMIJNEN: 4, TERMIJN_CT: 10320, EERSTE_TERMIJN: firstDueDate, STATUS: 'LOPEND' });
      } finally {
        await legacy.close();
      }
    }, 60_000);

    it('web: anyone reports without identifying; an identified resident books an appointment, a time outside opening hours asked again', async () => {
      // The report page needs no identification: it starts at once and creates the report anonymously.
      const visitor = new ApiClient(url());
      const report = (await visitor.post('/api/self-service/melding/sessions')).body as Step;
      expect(report.step).toMatchObject({ kind: 'question', node: 'askCategory' });
      const reported = await runScript(visitor, (id) => `/api/self-service/sessions/${id}/answer`, report, {
        askCategory: 'greenery',
        location: 'Beekpad, bij de brug',
        postcode: '6712cd',
        description: 'Een omgewaaide boom ligt over het pad.',
        confirm: true,
      });
      expect(reported.last).toMatchObject({ status: 'ended', step: { node: 'registered' } });
      const rows = (await db.storage.knex('public_space_reports').where({ category: 'greenery' })) as Array<Record<string, unknown>>;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ location: 'Beekpad, bij de brug', postcode: '6712 CD', channel: 'web', resident_id: null });

      const resident = residents[1]!;
      const s = (await visitor.post('/api/self-service/afspraak/sessions')).body as Step;
      expect(s.step.kind).toBe('identify');
      const first = (await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: { subjectNumber: resident.subjectNumber, postcode: resident.postcode, houseNumber: resident.houseNumber } })).body as Step;
      expect(first.step).toMatchObject({ kind: 'question', node: 'product' });
      const date = isoDay(8);
      let view = first;
      const nodes: string[] = [];
      const answers: Record<string, unknown[]> = { product: ['passport'], date: [date], time: ['08:00', '10:30'], confirm: [true, true] };
      let refused: string | undefined;
      for (let i = 0; i < 20 && view.status === 'active'; i++) {
        nodes.push(view.step.node);
        if (view.step.error) refused = view.step.error;
        view = (await visitor.post(`/api/self-service/sessions/${view.sessionId}/answer`, { value: answers[view.step.node]?.shift() ?? null })).body as Step;
      }
      expect(view).toMatchObject({ status: 'ended', step: { node: 'booked' } });
      // The model's rule refused 08:00; the script asked the time again with the rule's message.
      expect(nodes).toEqual(['product', 'date', 'time', 'confirm', 'time', 'confirm']);
      expect(refused).toMatch(/09:00 tot 16:30/);
      // Read through the business objects (dates as YYYY-MM-DD on either database).
      const objects = new BusinessObjectsImpl(loadModelFile(join(root, 'model/citizen.model.xml')), db.storage);
      const [booked] = await objects.repository('Resident').query({ where: { subjectNumber: resident.subjectNumber } });
      const appointments = await objects.repository('Appointment').query({});
      expect(appointments).toHaveLength(1);
      expect(appointments[0]).toMatchObject({ product: 'passport', date, time: '10:30', status: 'booked', residentId: booked!['id'] });
    }, 60_000);
  });
});
