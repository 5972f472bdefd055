import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@caruso/comms';
import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly, type TestAssemblyOptions } from '@caruso/frontoffice/testing';
import { fixturePath, fixtureText } from './fixture.js';
import { restContract } from './rest-contract.js';
import { sendMail, until } from './smtp-helpers.js';
import { mustOpen, openSocket } from './ws-helpers.js';

const PW = 'correct horse battery';
type Body = Record<string, unknown>;
type Item = Body & { kind: string; at: number };

/** The fixture model with Customer in the global search, and the application with one follow-up rule. */
function files(): { model: string; application: string } {
  const dir = mkdtempSync(join(tmpdir(), 'caruso-crm-'));
  const model = join(dir, 'crm.model.xml');
  const application = join(dir, 'crm.app.xml');
  writeFileSync(model, fixtureText('crm.model.xml').replace('<object name="Customer" table="customers"', '<object name="Customer" table="customers" searchable="true"').replace('<field name="phone" type="phone"', '<field name="phone" type="phone" searchable="true"'));
  writeFileSync(
    application,
    fixtureText('crm.app.xml').replace('</application>', `  <followup name="welcome" object="Customer" when="segment == 'business'" after="PT2S" title="Welcome call for {{lastName}}" kind="call" queue="support"/>\n</application>`),
  );
  return { model, application };
}

/** The communication server's clock, which the test may move forward (the notes' edit window). */
function movableClock(): Clock & { offset: number } {
  const c = {
    offset: 0,
    now: () => Date.now() + c.offset,
    setTimer: (delayMs: number, fn: () => void) => {
      const h = setTimeout(fn, Math.max(0, delayMs));
      return { dispose: () => clearTimeout(h) };
    },
  };
  return c;
}

function options(db: string, clock: Clock): TestAssemblyOptions {
  const f = files();
  return {
    db,
    ...f,
    scripts: fixturePath('scripts'),
    clock,
    queues: [{ id: 'support', wrapUpMs: 600_000 }],
    agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }, { id: 'bob', queues: [{ queueId: 'support' }] }],
    users: [
      { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
      { name: 'bob', role: 'agent', agentId: 'bob', password: PW },
      { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
      { name: 'root', role: 'administrator', agentId: undefined, password: PW },
    ],
    email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
    chat: { queueId: 'support', port: 0 },
    server: { sessionRevalidateMs: 0 },
  };
}

describe('the CRM routes of the front office', () => {
  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: TestAssembly;
    const clock = movableClock();
    let anna: ApiClient;
    let bob: ApiClient;
    let sam: ApiClient;
    let root: ApiClient;
    let carla: number;
    let dbUrl: string;

    beforeAll(async () => {
      dbUrl = await db.freshDatabase();
      asm = await startTestAssembly(options(dbUrl, clock));
      [anna, bob, sam, root] = await Promise.all([loggedInClient(asm.url, 'anna', PW), loggedInClient(asm.url, 'bob', PW), loggedInClient(asm.url, 'sam', PW), loggedInClient(asm.url, 'root', PW)]);
      carla = ((await anna.post('/api/objects/Customer', { firstName: 'Carla', lastName: 'Caller', phone: '+32 12 34 56 78', email: 'carla@example.org' })).body as { data: { id: number } }).data.id;
    }, 60_000);
    afterAll(async () => {
      await asm?.stop();
    });

    it('shows the whole history of a customer: call, abandoned, callback with attempts, voicemail, IVR, e-mail with subject, chat with transcript, one item for the create', async () => {
      const customer = { object: 'Customer', id: String(carla) };
      const t = asm.comms.now() - 3_600_000;
      const data = { data: { customer } };
      const log = asm.events;
      // Calls as the telephony channel logs them.
      log.append({ kind: 'queue-entered', at: t, contactId: 'h-call', queueId: 'support', channel: 'call', direction: 'inbound', data: { data: { customer, ivrScript: 'main-menu' } } });
      log.append({ kind: 'connected', at: t + 5_000, contactId: 'h-call', queueId: 'support', agentId: 'anna', channel: 'call', waitMs: 5_000 });
      log.append({ kind: 'completed', at: t + 65_000, contactId: 'h-call', queueId: 'support', agentId: 'anna', channel: 'call', reason: 'agent', talkMs: 60_000 });
      log.append({ kind: 'disposition', at: t + 70_000, contactId: 'h-call', queueId: 'support', agentId: 'anna', channel: 'call', reason: 'solved', data: { note: 'meter read' } });
      log.append({ kind: 'queue-entered', at: t + 100_000, contactId: 'h-abandoned', queueId: 'support', channel: 'call', direction: 'inbound', data });
      log.append({ kind: 'abandoned', at: t + 130_000, contactId: 'h-abandoned', queueId: 'support', channel: 'call', waitMs: 30_000 });
      log.append({ kind: 'queue-entered', at: t + 200_000, contactId: 'h-callback', queueId: 'support', channel: 'callback', direction: 'outbound', data });
      log.append({ kind: 'callback-attempted', at: t + 210_000, contactId: 'h-callback', queueId: 'support', channel: 'callback', data: { attempt: 1 } });
      log.append({ kind: 'callback-attempted', at: t + 220_000, contactId: 'h-callback', queueId: 'support', channel: 'callback', data: { attempt: 2 } });
      log.append({ kind: 'connected', at: t + 225_000, contactId: 'h-callback', queueId: 'support', agentId: 'bob', channel: 'callback', waitMs: 25_000 });
      log.append({ kind: 'completed', at: t + 285_000, contactId: 'h-callback', queueId: 'support', agentId: 'bob', channel: 'callback', reason: 'agent', talkMs: 60_000 });
      log.append({ kind: 'queue-entered', at: t + 300_000, contactId: 'h-voicemail', queueId: 'support', channel: 'call', direction: 'inbound', data });
      log.append({ kind: 'exited', at: t + 360_000, contactId: 'h-voicemail', queueId: 'support', channel: 'call', reason: 'voicemail', waitMs: 60_000 });
      log.append({ kind: 'disposition', at: t + 400_000, contactId: 'h-ivr', channel: 'call', reason: 'ivr-end', data: { outcome: 'meter-reading-given', script: 'meter-ivr' } });
      log.append({ kind: 'customer-linked', at: t + 400_001, contactId: 'h-ivr', reason: 'linked', data: { customer } });
      await log.flush();

      // An e-mail and a chat through their channels, linked to Carla, ended without an agent.
      await sendMail(asm.email!.address()!.port, { from: 'carla@example.org', to: 'support@caruso.test', subject: 'My meter reading', text: 'It reads 4711.' });
      await until(() => asm.comms.waiting('support').some((c) => c.channel === 'email'), 'the e-mail contact');
      const mailId = asm.comms.waiting('support').find((c) => c.channel === 'email')!.id;
      await asm.comms.setCustomer(mailId, customer);
      await asm.comms.abandon(mailId);
      const opened = await asm.chat!.openChat({ customerName: 'Carla', customerKey: String(carla), subject: 'Bill' });
      const socket = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
      try {
        socket.send({ type: 'auth', token: opened.token });
        await socket.next((f) => f.type === 'welcome');
        socket.send({ type: 'message', text: 'Why is my bill so high?' });
        await socket.next((f) => f.type === 'sent');
      } finally {
        await socket.close();
      }
      await asm.comms.abandon(opened.chatId);
      const deadline = Date.now() + 10_000;
      while ((await asm.comms.history('Customer', String(carla))).length < 7) {
        if (Date.now() > deadline) throw new Error('the interaction records did not arrive');
        await new Promise((r) => setTimeout(r, 50));
      }

      const r = await anna.get(`/api/objects/Customer/${carla}/history?limit=200`);
      expect(r.status).toBe(200);
      const items = (r.body as { items: Item[]; next: string | null }).items;
      expect((r.body as { next: unknown }).next).toBeNull();
      const contacts = items.filter((i) => i.kind === 'contact');
      const byId = new Map(contacts.map((c) => [c['contactId'] as string, c]));
      expect(byId.get('h-call')).toMatchObject({ channel: 'call', outcome: 'completed', agent: 'anna', talkMs: 60_000, waitMs: 5_000, disposition: { code: 'solved' }, note: 'meter read', queue: { id: 'support' } });
      expect(byId.get('h-abandoned')).toMatchObject({ channel: 'call', outcome: 'abandoned', agent: null });
      expect(byId.get('h-callback')).toMatchObject({ channel: 'callback', direction: 'outbound', attempts: 2, agent: 'bob' });
      expect(byId.get('h-voicemail')).toMatchObject({ outcome: 'voicemail' });
      expect(byId.get('h-ivr')).toMatchObject({ ivr: { script: 'meter-ivr', outcome: 'meter-reading-given' } });
      // A call the IVR handed to a queue names its script too.
      expect(byId.get('h-call')).toMatchObject({ ivr: { script: 'main-menu', outcome: 'handoff' } });
      expect(byId.get(mailId)).toMatchObject({ channel: 'email', email: { subject: 'My meter reading', body: expect.stringContaining('It reads 4711.') } });
      expect(byId.get(opened.chatId)).toMatchObject({ channel: 'chat', chat: { transcript: [expect.objectContaining({ from: 'customer', text: 'Why is my bill so high?' })] } });
      expect(contacts).toHaveLength(7);
      const changes = items.filter((i) => i.kind === 'change');
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ action: 'create', actor: 'user:anna' });
      expect((changes[0]!['fields'] as Body[]).map((f) => f['field'])).toEqual(expect.arrayContaining(['firstName', 'lastName', 'phone']));
      // Newest first.
      expect(items.map((i) => i.at)).toEqual([...items.map((i) => i.at)].sort((a, b) => b - a));

      // One save of two fields is one item.
      const v = ((await anna.get(`/api/objects/Customer/${carla}`)).body as { data: Body }).data['$version'];
      expect((await anna.patch(`/api/objects/Customer/${carla}`, { postcode: '1000', firstName: 'Carla M.', $version: v })).status).toBe(200);
      const after = ((await anna.get(`/api/objects/Customer/${carla}/history?kinds=change`)).body as { items: Item[] }).items;
      expect(after).toHaveLength(2);
      expect(after[0]).toMatchObject({ action: 'update', fields: [expect.objectContaining({ field: expect.any(String) }), expect.objectContaining({ field: expect.any(String) })] });

      // Pages by cursor give the same items; filters by channel and kind.
      const all = ((await anna.get(`/api/objects/Customer/${carla}/history?limit=200`)).body as { items: Item[] }).items;
      const paged: Item[] = [];
      let next: string | null = '';
      while (next !== null) {
        const page = (await anna.get(`/api/objects/Customer/${carla}/history?limit=3${next ? `&before=${next}` : ''}`)).body as { items: Item[]; next: string | null };
        paged.push(...page.items);
        next = page.next;
      }
      expect(paged).toEqual(all);
      const mails = ((await anna.get(`/api/objects/Customer/${carla}/history?channel=email&kinds=contact`)).body as { items: Item[] }).items;
      expect(mails.map((i) => i['contactId'])).toEqual([mailId]);
      expect((await anna.get(`/api/objects/Customer/${carla}/history?kinds=letters`)).status).toBe(400);
      expect((await anna.get(`/api/objects/Customer/${carla}/history?before=nonsense`)).status).toBe(400);

      // Role checks: the record must be readable.
      expect((await sam.get(`/api/objects/Customer/${carla}/history`)).status).toBe(200);
      expect((await anna.get('/api/objects/Customer/99999/history')).status).toBe(404);
      expect((await anna.get(`/api/objects/Invoice/${carla}/history`)).status).toBe(404);
      expect((await new ApiClient(asm.url).get(`/api/objects/Customer/${carla}/history`)).status).toBe(401);
    }, 90_000);

    it('keeps notes: any staff role may write on a readable record, only the author changes them within 15 minutes, an administrator deletes', async () => {
      const r = await anna.post(`/api/objects/Customer/${carla}/notes`, { text: 'Prefers e-mail' });
      expect(r.status).toBe(201);
      const note = r.body as { id: string; editableUntil: number };
      expect(note.editableUntil).toBeGreaterThan(asm.comms.now());
      expect((await anna.post(`/api/objects/Customer/${carla}/notes`, { text: '   ' })).status).toBe(400);
      expect((await anna.post(`/api/objects/Customer/${carla}/notes`, { text: 'x', extra: 1 })).status).toBe(400);
      expect((await anna.post('/api/objects/Customer/99999/notes', { text: 'x' })).status).toBe(404);
      expect((await sam.post(`/api/objects/Customer/${carla}/notes`, { text: 'Supervisor note' })).status).toBe(201);

      const other = await bob.patch(`/api/notes/${note.id}`, { text: 'bob was here' });
      expect(other.status).toBe(403);
      expect((other.body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_NOTE_LOCKED');
      expect((await bob.delete(`/api/notes/${note.id}`)).status).toBe(403);
      expect((await anna.patch(`/api/notes/${note.id}`, { text: 'Prefers e-mail, not calls' })).status).toBe(200);
      const seenByBob = ((await bob.get(`/api/objects/Customer/${carla}/history?kinds=note`)).body as { items: Item[] }).items;
      expect(seenByBob.find((i) => i['id'] === note.id)).toMatchObject({ kind: 'note', author: 'anna', text: 'Prefers e-mail, not calls', editableUntil: null });

      // 16 minutes later on the server's clock the author cannot change it any more.
      clock.offset += 16 * 60_000;
      try {
        expect((await anna.patch(`/api/notes/${note.id}`, { text: 'late' })).status).toBe(403);
        expect((await anna.delete(`/api/notes/${note.id}`)).status).toBe(403);
        expect((await root.delete(`/api/notes/${note.id}`)).status).toBe(204);
        expect((await root.delete(`/api/notes/${note.id}`)).status).toBe(404);
      } finally {
        clock.offset -= 16 * 60_000;
      }
    });

    it('creates a call task when a follow-up rule becomes true, and a due call task becomes a callback linked to the record', async () => {
      const v = ((await root.get(`/api/objects/Customer/${carla}`)).body as { data: Body }).data['$version'];
      expect((await root.patch(`/api/objects/Customer/${carla}`, { segment: 'business', $version: v })).status).toBe(200);
      let task: Body | undefined;
      for (let i = 0; i < 50 && !task; i++) {
        task = ((await sam.get('/api/tasks?queue=support')).body as { tasks: Body[] }).tasks.find((x) => x['rule'] === 'welcome');
        if (!task) await new Promise((r) => setTimeout(r, 50));
      }
      expect(task).toMatchObject({ title: 'Welcome call for Caller', kind: 'call', assignee: { queue: 'support' }, done: false, recordId: String(carla) });
      expect(task!['due'] as number).toBeGreaterThan(asm.comms.now());
      // A second save while the condition holds creates no second task.
      const v2 = ((await root.get(`/api/objects/Customer/${carla}`)).body as { data: Body }).data['$version'];
      await root.patch(`/api/objects/Customer/${carla}`, { postcode: '2000', $version: v2 });

      // When due (2 s on the server's clock) it is a callback contact to Carla's phone, linked to her record.
      const contactId = `task-${String(task!['id'])}`;
      const deadline = Date.now() + 10_000;
      while (!asm.comms.contact(contactId)) {
        if (Date.now() > deadline) throw new Error('the call task did not become a callback');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(asm.comms.contact(contactId)).toMatchObject({ channel: 'callback', queueId: 'support', customer: { object: 'Customer', id: String(carla) } });
      const tasks = ((await sam.get('/api/tasks?queue=support')).body as { tasks: Body[] }).tasks;
      expect(tasks.filter((x) => x['rule'] === 'welcome')).toEqual([expect.objectContaining({ callbackId: contactId })]);
      const inHistory = ((await anna.get(`/api/objects/Customer/${carla}/history?kinds=task`)).body as { items: Item[] }).items;
      expect(inHistory).toEqual([expect.objectContaining({ kind: 'task', taskKind: 'call', title: 'Welcome call for Caller', rule: 'welcome', assignee: { queue: 'support' } })]);
      expect(((await sam.get('/api/tasks/summary')).body as { queues: Body[] }).queues).toEqual([expect.objectContaining({ queueId: 'support' })]);
      expect((await anna.get('/api/tasks/summary')).status).toBe(403);
    }, 30_000);

    it('keeps tasks by people: reminders, role checks on change and delete', async () => {
      const due = asm.comms.now() + 10 * 60_000;
      const r = await sam.post('/api/tasks', { object: 'Customer', recordId: carla, title: 'Send the tariff sheet', due, assignee: { user: 'anna' }, kind: 'todo' });
      expect(r.status).toBe(201);
      const id = (r.body as { id: string }).id;
      expect((await sam.post('/api/tasks', { object: 'Customer', recordId: carla, title: 'x', due, assignee: { user: 'nobody' }, kind: 'todo' })).status).toBe(400);
      expect((await sam.post('/api/tasks', { object: 'Customer', recordId: 99999, title: 'x', due, assignee: { user: 'anna' }, kind: 'todo' })).status).toBe(404);
      expect((await sam.post('/api/tasks', { object: 'Customer', recordId: carla, title: 'x', due, assignee: { user: 'anna', queue: 'support' }, kind: 'todo' })).status).toBe(400);
      expect(((await anna.get('/api/tasks/reminders')).body as { tasks: Body[] }).tasks.map((x) => x['id'])).toContain(id);
      expect(((await bob.get('/api/tasks/reminders')).body as { tasks: Body[] }).tasks.map((x) => x['id'])).not.toContain(id);
      expect(((await anna.get('/api/tasks?assignee=me&done=false')).body as { tasks: Body[] }).tasks.map((x) => x['id'])).toContain(id);
      expect((await bob.get('/api/tasks?assignee=anna')).status).toBe(403);
      expect((await bob.patch(`/api/tasks/${id}`, { done: true })).status).toBe(403);
      expect((await anna.patch(`/api/tasks/${id}`, { done: true })).body).toMatchObject({ done: true });
      expect((await anna.delete(`/api/tasks/${id}`)).status).toBe(403);
      expect((await sam.delete(`/api/tasks/${id}`)).status).toBe(204);
      expect((await sam.delete(`/api/tasks/${id}`)).status).toBe(404);
    });

    it('reminds the agents of a queue of its tasks, and not a supervisor who serves none', async () => {
      const t = asm.comms.now();
      // A team's task: everyone who serves the queue is reminded; a supervisor who serves none is not.
      const team = ((await anna.post('/api/tasks', { object: 'Customer', recordId: carla, title: 'Check the meter photo', due: t + 5 * 60_000, assignee: { queue: 'support' }, kind: 'todo' })).body as { id: string }).id;
      for (const c of [anna, bob]) expect(((await c.get('/api/tasks/reminders')).body as { tasks: Body[] }).tasks.map((x) => x['id'])).toContain(team);
      expect(((await sam.get('/api/tasks/reminders')).body as { tasks: Body[] }).tasks.map((x) => x['id'])).not.toContain(team);
      await anna.patch(`/api/tasks/${team}`, { done: true });
      expect(((await bob.get('/api/tasks/reminders')).body as { tasks: Body[] }).tasks.map((x) => x['id'])).not.toContain(team);

      // The wallboard counts the queue's tasks due today (local days: local-day.test).
      const summary = ((await sam.get('/api/tasks/summary')).body as { queues: Body[] }).queues.find((q) => q['queueId'] === 'support');
      expect(summary).toBeDefined();
    });

    it('finds records by any format of a phone number, lists duplicates and merges them keeping both histories', async () => {
      const dup = ((await anna.post('/api/objects/Customer', { firstName: 'Karla', lastName: 'Caller', phone: '+32 (12) 34-56-78' })).body as { data: { id: number } }).data.id;
      for (const q of ['+3212345678', '+32 12 34 56 78', '+32 (12) 34-56-78']) {
        const hits = ((await anna.get(`/api/search?q=${encodeURIComponent(q)}`)).body as { hits: Body[] }).hits;
        expect([q, hits.map((h) => h['key']).sort()]).toEqual([q, [carla, dup].sort()]);
        expect(hits[0]).toMatchObject({ object: 'Customer', objectLabel: expect.any(String), field: 'phone', score: 100 });
      }
      expect((await anna.get('/api/search?q=Caller&objects=Contract')).status).toBe(400);
      expect((await anna.get('/api/search')).status).toBe(400);
      const dups = ((await anna.get(`/api/objects/Customer/${carla}/duplicates`)).body as { duplicates: Body[] }).duplicates;
      expect(dups).toEqual([expect.objectContaining({ key: dup, reasons: expect.arrayContaining(['phone']) })]);

      // The dropped record has a contact and a note of its own.
      await asm.comms.enqueue({ id: 'h-dup', channel: 'call', queueId: 'support', direction: 'inbound', data: { customer: { object: 'Customer', id: String(dup) } } });
      await asm.comms.abandon('h-dup');
      await until(() => true, 'nothing');
      const deadline = Date.now() + 10_000;
      while ((await asm.comms.history('Customer', String(dup))).length < 1) {
        if (Date.now() > deadline) throw new Error('no record of h-dup');
        await new Promise((r) => setTimeout(r, 50));
      }
      await bob.post(`/api/objects/Customer/${dup}/notes`, { text: 'Karla with a K' });

      expect((await anna.post(`/api/objects/Customer/${carla}/merge`, { dropKey: dup })).status).toBe(403);
      expect((await sam.post(`/api/objects/Customer/${carla}/merge`, { dropKey: dup })).status).toBe(403);
      expect((await root.post(`/api/objects/Customer/${carla}/merge`, { dropKey: carla })).status).toBe(400);
      const m = await root.post(`/api/objects/Customer/${carla}/merge`, { dropKey: dup });
      expect(m.status).toBe(200);
      expect((await anna.get(`/api/objects/Customer/${dup}`)).status).toBe(404);
      let items: Item[] = [];
      const until2 = Date.now() + 10_000;
      do {
        items = ((await anna.get(`/api/objects/Customer/${carla}/history?limit=200`)).body as { items: Item[] }).items;
        if (items.some((i) => i['contactId'] === 'h-dup')) break;
        await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < until2);
      expect(items.some((i) => i['contactId'] === 'h-dup')).toBe(true);
      expect(items.some((i) => i['contactId'] === 'h-call')).toBe(true);
      expect(items.some((i) => i.kind === 'note' && i['text'] === 'Karla with a K')).toBe(true);
      expect(items.some((i) => i.kind === 'change' && i['action'] === 'merge')).toBe(true);
    }, 30_000);

    it('sorts lists by field:direction and keeps saved filters per user', async () => {
      const names = ((await anna.get('/api/objects/Customer?sort=firstName:desc')).body as { data: Body[] }).data.map((x) => x['firstName'] as string);
      expect(names).toEqual([...names].sort().reverse());
      expect((await anna.get('/api/objects/Customer?sort=firstName:sideways')).status).toBe(400);
      expect((await anna.post('/api/me/filters?list=customers', { name: 'Business', query: 'filter={"segment":"business"}' })).status).toBe(201);
      expect(((await anna.get('/api/me/filters?list=customers')).body as { filters: Body[] }).filters).toEqual([{ name: 'Business', query: 'filter={"segment":"business"}' }]);
      expect(((await bob.get('/api/me/filters?list=customers')).body as { filters: Body[] }).filters).toEqual([]);
      expect((await anna.post('/api/me/filters?list=nowhere', { name: 'x', query: '' })).status).toBe(404);
      expect((await anna.delete('/api/me/filters?list=customers&name=Business')).status).toBe(204);
      expect((await anna.delete('/api/me/filters?list=customers&name=Business')).status).toBe(404);
    });

    it('imports CSV with a preview, bad rows and duplicates, a progress job for a long file, and exports what the role reads', async () => {
      const csv = (text: string, path: string, c: ApiClient): Promise<{ status: number; body: unknown }> => c.request('POST', path, undefined, { raw: text, contentType: 'text/csv' });
      const file = ['firstName,lastName,phone,email', 'Ina,Import,+32 50 11 22 33,ina@example.org', 'No,,+32 50 11 22 34,', 'Carla,Caller,+32 12 34 56 78,carla2@example.org', 'Otto,Other,+32 50 11 22 35,otto@example.org'].join('\n');
      const before = await asm.objects.repository('Customer').count();
      const preview = await csv(file, '/api/objects/Customer/import?mode=skip-bad-rows&preview=true', root);
      expect(preview.status).toBe(200);
      expect((preview.body as { rows: Body[] }).rows.map((r) => r['status'])).toEqual(['created', 'error', 'duplicate', 'created']);
      expect(await asm.objects.repository('Customer').count()).toBe(before);
      const strict = await csv(file, '/api/objects/Customer/import', root);
      expect(strict.status).toBe(422);
      expect(await asm.objects.repository('Customer').count()).toBe(before);
      const done = await csv(file, '/api/objects/Customer/import?mode=skip-bad-rows', root);
      expect(done.body).toMatchObject({ created: 2, errors: 1, duplicates: 1, preview: false });
      expect(await asm.objects.repository('Customer').count()).toBe(before + 2);
      const ina = (await asm.objects.repository('Customer').query({ where: { email: 'ina@example.org' } }))[0]!;
      const changes = ((await anna.get(`/api/objects/Customer/${String(ina['id'])}/history?kinds=change`)).body as { items: Item[] }).items;
      expect(changes).toEqual([expect.objectContaining({ action: 'import' })]);

      // A record created by an import meets the follow-up rules too.
      const bea = await csv('firstName,lastName,phone,segment\nBea,Business,+32 50 99 88 77,business', '/api/objects/Customer/import', root);
      const beaKey = String((bea.body as { rows: Body[] }).rows[0]!['key']);
      let beaTasks: Body[] = [];
      for (let i = 0; i < 50 && beaTasks.length === 0; i++) {
        beaTasks = ((await root.get(`/api/tasks?object=Customer&recordId=${beaKey}`)).body as { tasks: Body[] }).tasks;
        if (beaTasks.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(beaTasks).toEqual([expect.objectContaining({ rule: 'welcome', title: 'Welcome call for Business', createdBy: 'root' })]);
      expect((await csv(file, '/api/objects/Customer/import', anna)).status).toBe(403);
      expect((await csv(file, '/api/objects/Customer/import', sam)).status).toBe(403);
      expect((await csv('firstName,shoeSize\nA,44', '/api/objects/Customer/import', root)).status).toBe(400);

      const long = ['firstName,lastName,email', ...Array.from({ length: 1_200 }, (_, i) => `Bulk${i},Row,bulk${i}@example.org`)].join('\n');
      const started = await csv(long, '/api/objects/Customer/import?mode=skip-bad-rows&duplicates=ignore', root);
      expect(started.status).toBe(202);
      const jobId = (started.body as { jobId: string }).jobId;
      expect((await sam.get(`/api/imports/${jobId}`)).status).toBe(404);
      let job: Body = {};
      const deadline = Date.now() + 30_000;
      do {
        job = (await root.get(`/api/imports/${jobId}`)).body as Body;
        if (job['done']) break;
        await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < deadline);
      expect(job).toMatchObject({ done: true, total: 1_200, processed: 1_200, result: expect.objectContaining({ created: 1_200 }) });

      const exported = await anna.get('/api/objects/Customer/export?format=csv&filter=' + encodeURIComponent('{"lastName":"Import"}'));
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toContain('text/csv');
      const lines = String(exported.body).trim().split(/\r?\n/);
      expect(lines[0]).toBe('id,firstName,lastName,phone,email,segment,postcode');
      expect(lines).toHaveLength(2);
      expect((await anna.get('/api/objects/Customer/export?filter=' + encodeURIComponent('{"creditScore":1}'))).status).toBe(400);
    }, 90_000);

    it('administers users: role and active, a password reset that must be changed, one\'s own password, the audit', async () => {
      expect((await anna.get('/api/audit')).status).toBe(403);
      expect((await sam.patch('/api/users/bob', { active: false })).status).toBe(403);
      expect((await sam.post('/api/users/anna/reset-password', {})).status).toBe(403);
      expect((await anna.post('/api/users/bob/reset-password', {})).status).toBe(403);
      expect((await sam.get('/api/users')).status).toBe(403);
      expect((await sam.get('/api/audit')).status).toBe(403);
      expect((await new ApiClient(asm.url).post('/api/me/password', { current: PW, next: 'another secret!' })).status).toBe(401);
      expect((await root.get('/api/audit?limit=0')).status).toBe(400);
      const users = ((await root.get('/api/users')).body as { data: Body[] }).data;
      expect(users.find((u) => u['name'] === 'anna')).toMatchObject({ role: 'agent', agentId: 'anna', active: true, mustChangePassword: false, lastLogin: expect.any(Number) });

      // bob deactivated: his session ends and he cannot log in.
      expect(((await root.patch('/api/users/bob', { active: false })).body as { data: Body }).data).toMatchObject({ active: false });
      expect((await bob.get('/api/tasks/reminders')).status).toBe(401);
      expect((await new ApiClient(asm.url).login('bob', PW)).status).toBe(401);
      expect((await root.patch('/api/users/bob', { active: true, role: 'supervisor' })).status).toBe(200);
      expect((await root.patch('/api/users/nobody', { active: true })).status).toBe(404);
      expect((await root.patch('/api/users/root', { role: 'agent' })).status).toBe(400);

      // anna's password is reset: the temporary one must be changed before anything else.
      const temp = ((await root.post('/api/users/anna/reset-password', {})).body as { temporaryPassword: string }).temporaryPassword;
      expect((await anna.get('/api/tasks/reminders')).status).toBe(401);
      const again = new ApiClient(asm.url);
      expect((await again.login('anna', PW)).status).toBe(401);
      expect((await again.login('anna', temp)).status).toBe(200);
      const blocked = await again.get('/api/objects/Customer');
      expect([blocked.status, (blocked.body as { error: { code: string } }).error.code]).toEqual([403, 'CARUSO_FRONTOFFICE_PASSWORD_CHANGE_REQUIRED']);
      expect((await again.get('/api/session')).status).toBe(200);
      expect(await openSocket(`${asm.url}/ws/agent`, again)).toBe(403);
      expect((await again.post('/api/me/password', { current: 'wrong one!!', next: 'a brand new secret' })).status).toBe(403);
      expect((await again.post('/api/me/password', { current: temp, next: 'short' })).status).toBe(422);
      expect((await again.post('/api/me/password', { current: temp, next: PW })).status).toBe(204);
      expect((await again.get('/api/objects/Customer')).status).toBe(200);
      anna = again;

      const audit = ((await root.get('/api/audit?limit=50')).body as { entries: Body[] }).entries;
      expect(audit.map((e) => e['action'])).toEqual(expect.arrayContaining(['user.change', 'user.reset-password', 'me.password', 'record.merge']));
      expect(audit.find((e) => e['action'] === 'user.reset-password')).toMatchObject({ actor: 'root', target: 'anna' });
      expect(JSON.stringify(audit)).not.toContain(temp);
    }, 60_000);

    it('serves the texts of a language over English, and names unknown languages with a code', async () => {
      const en = await new ApiClient(asm.url).get('/api/i18n/en');
      expect(en.status).toBe(200);
      expect(typeof en.body).toBe('object');
      const xx = await new ApiClient(asm.url).get('/api/i18n/xx');
      expect([xx.status, (xx.body as { error: { code: string } }).error.code]).toEqual([404, 'CARUSO_FRONTOFFICE_UNKNOWN_LANGUAGE']);
      expect((await new ApiClient(asm.url).get('/api/i18n/..%2Fen')).status).toBe(404);
    });

    it('turns a call task that fell due while the front office was down into a callback at the next start', async () => {
      const r = await root.post('/api/tasks', { object: 'Customer', recordId: carla, title: 'Call about the meter', due: asm.comms.now() + 1_500, assignee: { queue: 'support' }, kind: 'call' });
      expect(r.status).toBe(201);
      const id = (r.body as { id: string }).id;
      await asm.stop();
      await new Promise((res) => setTimeout(res, 2_000));
      asm = await startTestAssembly(options(dbUrl, clock));
      root = root.withBase(asm.url);
      const deadline = Date.now() + 10_000;
      while (!asm.comms.contact(`task-${id}`) && !asm.comms.scheduledCallbacks().some((c) => c.id === `task-${id}`)) {
        if (Date.now() > deadline) throw new Error('the call task did not become a callback after the restart');
        await new Promise((res) => setTimeout(res, 100));
      }
      const task = ((await root.get('/api/tasks?queue=support')).body as { tasks: Body[] }).tasks.find((x) => x['id'] === id);
      expect(task).toMatchObject({ callbackId: `task-${id}` });
    }, 60_000);

    describe('REST contract', () => {
      it('answers every request of this suite as its OpenAPI document says (status, content type, body)', () => {
        expectAllDocumented(asm);
      });
    });
  });
});
