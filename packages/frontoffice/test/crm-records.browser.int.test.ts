import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachDatabase } from '@caruso/storage/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath, fixtureText } from './fixture.js';

const PW = 'correct horse battery';
const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The serious and critical findings of axe-core on the page as it is now. */
async function seriousFindings(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const options = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] };
  const r = (await page.evaluate(`axe.run(document, ${JSON.stringify(options)})`)) as { violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] };
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

describe('the CRM pages in a real Chromium: lists, records, search, administration', () => {
  let browser: Browser;
  let dir: string;
  /** The fixture's model with customers in the global search (their names and phone). */
  let model: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'caruso-crm-records-'));
    model = join(dir, 'crm.model.xml');
    writeFileSync(model, fixtureText('crm.model.xml')
      // A Belgian company: its numbers are shown in national format, others in international format.
      .replace('<model name="crm" version="1">', '<model name="crm" version="1" defaultCountry="BE">')
      // Named last name first (the model's nameFields): the record page's title says so.
      .replace('<object name="Customer" table="customers" version="true" audited="true">', '<object name="Customer" table="customers" version="true" audited="true" searchable="true" nameFields="lastName,firstName">')
      .replace('<field name="phone" type="phone" label="Phone"/>', '<field name="phone" type="phone" label="Phone" searchable="true"/>'));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 20_000,
    });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  forEachDatabase((db) => {
    let asm: TestAssembly;
    let carla: string;
    let ctx: BrowserContext;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model,
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
        users: [
          { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
          { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
          { name: 'admin', role: 'administrator', agentId: undefined, password: PW },
        ],
      });
      const customers = asm.objects.repository('Customer');
      const c = await customers.create({ firstName: 'Carla', lastName: 'Caller', phone: '+3212345678', email: 'carla@example.org', segment: 'business' }, { actor: 'test' });
      carla = String(c['id']);
      await customers.create({ firstName: 'Bert', lastName: 'Aalders', phone: '+3287654321', segment: 'residential' }, { actor: 'test' });
      await customers.create({ firstName: 'Zoë', lastName: 'Zwart', phone: '+31205551234', segment: 'residential' }, { actor: 'test' });
      await asm.objects.repository('Contract').create({ number: 'C-1001', product: 'gas', customerId: Number(carla) }, { actor: 'test' });
      await asm.objects.repository('Contract').create({ number: 'C-1002', product: 'power', customerId: Number(carla) }, { actor: 'test' });
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    beforeEach(async () => {
      ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    });

    afterEach(async () => {
      await ctx?.close();
    });

    async function login(user: string): Promise<{ page: Page; errors: string[] }> {
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.setDefaultTimeout(8000);
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${asm.url}/login`);
      await page.getByLabel('User name').fill(user);
      await page.getByLabel('Password').fill(PW);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));
      return { page, errors };
    }

    const lastNames = async (page: Page): Promise<string[]> => page.locator('table tbody tr td:first-child').allTextContents();

    it('sorts a list by clicking a column header (aria-sort follows) and shows enum values by their labels', async () => {
      const { page, errors } = await login('admin');
      await page.goto(`${asm.url}/lists/customers`);
      await page.locator('tbody tr').nth(2).waitFor();
      // The view's own order first (lastName, firstName): aria-sort says so.
      expect(await lastNames(page)).toEqual(['Aalders', 'Caller', 'Zwart']);
      const head = (field: string) => page.locator('th', { has: page.locator(`button[data-sort="${field}"]`) });
      expect(await head('lastName').getAttribute('aria-sort')).toBe('ascending');
      expect(await head('firstName').getAttribute('aria-sort')).toBe('none');
      await page.locator('button[data-sort="lastName"]').click();
      await page.locator('th[aria-sort="descending"] button[data-sort="lastName"]').waitFor();
      await page.locator('tbody tr:first-child td:first-child', { hasText: /^Zwart$/ }).waitFor();
      expect(await lastNames(page)).toEqual(['Zwart', 'Caller', 'Aalders']);
      await page.locator('button[data-sort="firstName"]').click();
      await page.locator('th[aria-sort="ascending"] button[data-sort="firstName"]').waitFor();
      await page.locator('tbody tr:first-child td:first-child', { hasText: /^Aalders$/ }).waitFor();
      expect(await head('lastName').getAttribute('aria-sort')).toBe('none');
      expect(await lastNames(page)).toEqual(['Aalders', 'Caller', 'Zwart']);
      // The segment column shows the option's label, not the stored value.
      expect(await page.locator('tbody tr', { hasText: 'Caller' }).locator('td').nth(3).textContent()).toBe('Business');
      // Phone numbers as people read them: the company's own country's in national format, another's
      // in international format (stored as +3212345678 and +31205551234).
      expect(await page.locator('tbody tr', { hasText: 'Caller' }).locator('td').nth(2).textContent()).toBe('012 34 56 78');
      expect(await page.locator('tbody tr', { hasText: 'Zwart' }).locator('td').nth(2).textContent()).toBe('+31 20 555 1234');
      // Saved as the user's own filter, and applied again after a reload.
      await page.locator('summary', { hasText: 'My filters' }).click();
      await page.getByLabel('Save this view as').fill('Newest names last');
      await page.getByRole('button', { name: 'Save filter' }).click();
      await page.locator('button[data-my-filter="Newest names last"]').waitFor();
      await page.reload();
      await page.locator('tbody tr').nth(2).waitFor();
      expect(await lastNames(page)).toEqual(['Aalders', 'Caller', 'Zwart']);
      await page.locator('summary', { hasText: 'My filters' }).click();
      await page.locator('button[data-my-filter="Newest names last"]').click();
      await page.locator('th[aria-sort="ascending"] button[data-sort="firstName"]').waitFor();
      await page.screenshot({ path: join(SHOTS, 'record-list-sorted.png') });
      expect(await seriousFindings(page)).toEqual([]);
      expect(errors).toEqual([]);
    }, 40_000);

    it('creates a record with New, edits it with ONE Save, and deletes it (administrator)', async () => {
      const { page, errors } = await login('admin');
      await page.goto(`${asm.url}/lists/customers`);
      await page.locator('#btn-new').click();
      await page.waitForURL('**/records/customer/new');
      await page.getByRole('heading', { level: 1, name: 'New: Customer' }).waitFor();
      await page.getByLabel('First name *').fill('Nina');
      await page.getByLabel('Last name *').fill('Nieuw');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.waitForURL((u) => /\/records\/customer\/\d+$/.test(u.pathname));
      await page.getByRole('heading', { level: 1, name: /Nieuw Nina/ }).waitFor();
      // Every section in one form: one Save for the whole record.
      expect(await page.locator('fieldset.record-section').count()).toBe(2);
      expect(await page.getByRole('button', { name: 'Save', exact: true }).count()).toBe(1);
      await page.getByLabel('Postcode').fill('1234 AB');
      await page.getByLabel('Last name *').fill('Nieuwer');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.locator('#live', { hasText: 'Saved' }).waitFor();
      const id = page.url().split('/').pop() as string;
      const stored = await asm.objects.repository('Customer').get(Number(id));
      expect(stored).toMatchObject({ lastName: 'Nieuwer', postcode: '1234 AB' });
      // One save of two fields is one history item listing both.
      await page.locator('.history-change', { hasText: 'Postcode' }).filter({ hasText: 'Last name' }).waitFor();
      await page.locator('#btn-delete').click();
      await page.locator('#btn-delete-confirm').click();
      await page.waitForURL('**/lists/customers');
      expect(await asm.objects.repository('Customer').get(Number(id))).toBeUndefined();
      expect(errors).toEqual([]);
    }, 40_000);

    it('shows a record with its related records, its history grouped by day, and the role’s buttons only', async () => {
      // A call of Carla's that she gave up on while waiting: the history says so in words.
      const gaveUp = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678', customer: { object: 'Customer', id: carla } } });
      await asm.comms.abandon(gaveUp.id);
      const { page, errors } = await login('admin');
      await page.goto(`${asm.url}/records/customer/${carla}`);
      await page.locator('li.history-contact', { hasText: 'Call · caller hung up while waiting' }).waitFor();
      const related = page.locator('section.related', { hasText: 'C-1001' });
      await related.waitFor();
      expect(await related.locator('tbody tr').count()).toBe(2);
      expect(await related.locator('tbody tr', { hasText: 'C-1002' }).locator('td').nth(1).textContent()).toBe('Power');
      await page.locator('.history-day h3', { hasText: 'Today' }).waitFor();
      expect(await page.locator('#btn-new').count()).toBe(1);
      expect(await page.locator('#btn-delete').count()).toBe(1);
      await page.screenshot({ path: join(SHOTS, 'record-page.png'), fullPage: true });
      expect(await seriousFindings(page)).toEqual([]);
      // A supervisor reads only: no New, no Delete, Save disabled.
      const own = ctx;
      ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const sup = await login('sam');
      await sup.page.goto(`${asm.url}/records/customer/${carla}`);
      await sup.page.getByRole('heading', { level: 1, name: /Caller Carla/ }).waitFor();
      expect(await sup.page.locator('h1').textContent()).toMatch(/^Caller Carla ·/);
      expect(await sup.page.locator('#btn-new').count()).toBe(0);
      expect(await sup.page.locator('#btn-delete').count()).toBe(0);
      expect(await sup.page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
      expect([...errors, ...sup.errors]).toEqual([]);
      await own.close();
    }, 40_000);

    it('adds a note, edits it, adds a task and ticks it off, in the history of the record', async () => {
      const { page, errors } = await login('anna');
      await page.goto(`${asm.url}/records/customer/${carla}`);
      await page.locator('#history-title').waitFor();
      await page.locator('summary', { hasText: 'Add a note' }).click();
      await page.locator('#note-text').fill('Asked about the\nnew tariff.');
      await page.getByRole('button', { name: 'Save note' }).click();
      const note = page.locator('.history-note', { hasText: 'new tariff' });
      await note.waitFor();
      expect(await note.locator('.note-text').innerText()).toBe('Asked about the\nnew tariff.');
      await note.getByRole('button', { name: 'Edit note' }).click();
      await page.locator('.history-note textarea').fill('Asked about the green tariff.');
      await page.locator('.history-note').getByRole('button', { name: 'Save note' }).click();
      await page.locator('.history-note .note-text', { hasText: 'green tariff' }).waitFor();
      await page.locator('summary', { hasText: 'Add a task' }).click();
      await page.getByLabel('What to do').fill('Send the tariff sheet');
      // Due in five minutes: a reminder in the header (the browser's local time, as the input takes it).
      const soon = new Date(Date.now() + 5 * 60_000);
      const pad = (n: number): string => String(n).padStart(2, '0');
      await page.locator('#task-due').fill(`${soon.getFullYear()}-${pad(soon.getMonth() + 1)}-${pad(soon.getDate())}T${pad(soon.getHours())}:${pad(soon.getMinutes())}`);
      await page.getByRole('button', { name: 'Add task' }).click();
      const task = page.locator('.history-task', { hasText: 'Send the tariff sheet' });
      await task.waitFor();
      await page.reload();
      await page.locator('details.reminders summary .badge', { hasText: '1' }).waitFor();
      await page.locator('details.reminders summary').click();
      await page.locator('details.reminders li a', { hasText: 'Send the tariff sheet' }).waitFor();
      await task.waitFor();
      await task.getByLabel('Done').check();
      await page.locator('.history-task input[type="checkbox"]:checked').waitFor();
      // A task for a team: the queue is chosen under For, and the history names the team.
      const addTask = page.locator('details.history-add', { has: page.locator('#task-form') });
      if ((await addTask.getAttribute('open')) === null) await addTask.locator('summary').click();
      await page.getByLabel('What to do').fill('Check the meter photo');
      await page.getByLabel('For', { exact: true }).selectOption('support');
      await page.getByRole('button', { name: 'Add task' }).click();
      await page.locator('.history-task', { hasText: 'Check the meter photo' }).waitFor();
      const teamTasks = (await (await page.request.get(`${asm.url}/api/tasks?queue=support&done=false`)).json()) as { tasks: { title: string; assignee: unknown }[] };
      expect(teamTasks.tasks.find((x) => x.title === 'Check the meter photo')?.assignee).toEqual({ queue: 'support' });
      // Only calls: the note and the task are filtered out, and come back.
      await page.locator('input[data-filter="note"]').uncheck();
      await page.locator('.history-note').waitFor({ state: 'detached' });
      await page.locator('input[data-filter="note"]').check();
      await page.locator('.history-note').waitFor();
      await page.screenshot({ path: join(SHOTS, 'record-history.png'), fullPage: true });
      expect(await seriousFindings(page)).toEqual([]);
      expect(errors).toEqual([]);
    }, 40_000);

    it('finds records from the header search box: "/" reaches it, the arrow keys choose a hit, Enter opens it', async () => {
      const { page, errors } = await login('sam');
      await page.goto(`${asm.url}/lists/customers`);
      await page.locator('tbody tr').first().waitFor();
      await page.locator('body').click({ position: { x: 5, y: 300 } });
      await page.keyboard.press('/');
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('global-search');
      await page.keyboard.type('Call');
      const hit = page.locator('#search-hits [role="option"]', { hasText: 'Carla' });
      await hit.waitFor();
      expect(await hit.locator('.badge').textContent()).toBe('Customer');
      expect(await page.locator('#global-search').getAttribute('aria-expanded')).toBe('true');
      await page.screenshot({ path: join(SHOTS, 'search-hits.png') });
      expect(await seriousFindings(page)).toEqual([]);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Enter');
      await page.waitForURL(`**/records/customer/${carla}`);
      // Ctrl+K reaches it too.
      await page.getByRole('heading', { level: 1, name: /Caller Carla/ }).waitFor();
      await page.locator('h1').click();
      await page.keyboard.press('Control+k');
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('global-search');
      // A phone number typed in another format (national, with spaces) finds the customer.
      await page.keyboard.type('012 34 56 78');
      await page.locator('#search-hits [role="option"]', { hasText: 'Carla' }).waitFor();
      expect(errors).toEqual([]);
    }, 40_000);

    it('on the agent desktop, a record found in the header opens in the customer panel: the call is not left', async () => {
      const { page, errors } = await login('anna');
      await page.goto(`${asm.url}/desktop`);
      await page.locator('#agent-state[data-state]').waitFor();
      await page.keyboard.press('F2');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678' } });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('#agent-state[data-state="busy"]').waitFor();
      await page.locator('#global-search').fill('Aalders');
      await page.locator('#search-hits [role="option"]', { hasText: 'Aalders' }).waitFor();
      await page.locator('#global-search').press('ArrowDown');
      await page.locator('#global-search').press('Enter');
      await page.locator('desk-customer-panel #customer-name', { hasText: 'Aalders' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/desktop');
      expect(asm.comms.contact(call.id)?.state).toBe('connected');
      await page.keyboard.press('F8');
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      await asm.comms.logout('anna');
      expect(errors).toEqual([]);
    }, 40_000);

    it('shows a duplicate on the record and merges it into the record (administrator)', async () => {
      const dup = await asm.objects.repository('Customer').create({ firstName: 'Karla', lastName: 'Caller', phone: '+3212345678' }, { actor: 'test' });
      const { page, errors } = await login('admin');
      await page.goto(`${asm.url}/records/customer/${carla}`);
      const panel = page.locator('section[aria-labelledby="dup-title"]');
      await panel.locator('li', { hasText: 'Karla' }).waitFor();
      expect(await panel.locator('li', { hasText: 'Karla' }).textContent()).toContain('same phone number');
      await panel.getByRole('button', { name: 'Merge into this record' }).click();
      await page.locator('#live', { hasText: 'Records merged' }).waitFor();
      await panel.waitFor({ state: 'detached' });
      expect(await asm.objects.repository('Customer').get(Number(dup['id']))).toBeUndefined();
      expect(errors).toEqual([]);
    }, 40_000);

    it('counts open tasks per queue on the wallboard', async () => {
      const { page, errors } = await login('sam');
      const { csrf } = (await (await page.request.get(`${asm.url}/api/session`)).json()) as { csrf: string };
      const made = await page.request.post(`${asm.url}/api/tasks`, { headers: { 'x-csrf-token': csrf }, data: { object: 'Customer', recordId: carla, title: 'Queue task', due: Date.now() - 60_000, assignee: { queue: 'support' }, kind: 'todo' } });
      expect(made.status()).toBe(201);
      await page.goto(`${asm.url}/wallboard`);
      const row = page.locator('#wb-task-table tbody tr', { hasText: 'support' });
      await row.waitFor();
      // Queue, overdue, due today (the server's day: an overdue task of today counts there too).
      expect((await row.locator('td').allTextContents()).slice(0, 2)).toEqual(['support', '1']);
      expect(errors).toEqual([]);
    }, 40_000);

    it('lists the users with column headers and their roles for an administrator', async () => {
      const { page, errors } = await login('admin');
      await page.goto(`${asm.url}/users`);
      await page.locator('#users tbody tr').nth(2).waitFor();
      expect(await page.locator('#users thead th').allTextContents()).toEqual(['Name', 'Role', 'Agent', 'Active', 'Last log-in', 'Actions']);
      expect(await page.locator('#users tr[data-user="anna"] select').inputValue()).toBe('agent');
      await page.screenshot({ path: join(SHOTS, 'admin-users.png'), fullPage: true });
      expect(await seriousFindings(page)).toEqual([]);
      expect(errors).toEqual([]);
    }, 40_000);

    it('imports a CSV file in the page: a preview table, then the import with its per-row report; exports the list', async () => {
      const { page, errors } = await login('admin');
      await page.goto(`${asm.url}/lists/customers`);
      await page.locator('tbody tr').first().waitFor();
      const href = (await page.locator('#btn-export').getAttribute('href')) ?? '';
      const csv = await (await page.request.get(`${asm.url}${href}`)).text();
      expect(csv.split('\n')[0]).toContain('lastName');
      expect(csv).toContain('Caller');
      await page.locator('summary', { hasText: 'Import CSV' }).click();
      await page.locator('#import-file').setInputFiles({ name: 'new.csv', mimeType: 'text/csv', buffer: Buffer.from('firstName,lastName,email\nIvo,Importeur,ivo@example.org\nEva,Fout,not-an-address\n') });
      await page.locator('#btn-import-preview').click();
      await page.locator('#import-report tbody tr').nth(1).waitFor();
      expect(await page.locator('#import-report tbody tr.import-error').count()).toBe(1);
      expect(await asm.objects.repository('Customer').query({ where: { lastName: 'Importeur' } })).toHaveLength(0);
      await page.locator('#btn-import').click();
      await page.locator('#import-summary', { hasText: '1 created' }).waitFor();
      expect(await page.locator('#import-report tbody tr.import-error td').nth(2).textContent()).toMatch(/E-mail/);
      await page.locator('tbody tr td', { hasText: /^Importeur$/ }).waitFor();
      // A new row that looks like a customer already there (Carla Caller) is left out and listed by
      // default; "Import it anyway" creates it.
      const carlas = async (): Promise<number> => (await asm.objects.repository('Customer').query({ where: { firstName: 'Carla', lastName: 'Caller' } })).length;
      const before = await carlas();
      await page.locator('#import-file').setInputFiles({ name: 'again.csv', mimeType: 'text/csv', buffer: Buffer.from('firstName,lastName,email\nCarla,Caller,carla.second@example.org\n') });
      await page.locator('#btn-import').click();
      await page.locator('#import-report tbody tr.import-duplicate').waitFor();
      expect(await carlas()).toBe(before);
      await page.locator('#import-duplicates').selectOption('ignore');
      await page.locator('#btn-import').click();
      await page.locator('#import-report tbody tr.import-created').waitFor();
      expect(await carlas()).toBe(before + 1);
      await page.screenshot({ path: join(SHOTS, 'record-import.png'), fullPage: true });
      expect(await seriousFindings(page)).toEqual([]);
      expect(errors).toEqual([]);
    }, 40_000);

    it('resets a password: the temporary one logs in and must be changed first; everyone changes their own', async () => {
      const { page, errors } = await login('admin');
      await page.goto(`${asm.url}/users`);
      await page.locator('button[data-reset="anna"]').click();
      const temporary = (await page.locator('#temporary-password code').textContent()) ?? '';
      expect(temporary.length).toBeGreaterThanOrEqual(10);
      await page.screenshot({ path: join(SHOTS, 'admin-reset-password.png') });
      const own = ctx;
      ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const anna = await ctx.newPage();
      anna.setDefaultTimeout(8000);
      anna.on('pageerror', (e) => errors.push(e.message));
      await anna.goto(`${asm.url}/login`);
      await anna.getByLabel('User name').fill('anna');
      await anna.getByLabel('Password').fill(temporary);
      await anna.getByRole('button', { name: 'Log in' }).click();
      await anna.locator('#password-form').waitFor();
      await anna.getByText('Your password was reset').waitFor();
      await anna.getByLabel('Current password').fill(temporary);
      await anna.getByLabel('New password', { exact: true }).fill('a new secret 2026');
      await anna.getByLabel('New password again').fill('a new secret 2026');
      await anna.getByRole('button', { name: 'Change password' }).last().click();
      await anna.waitForURL('**/desktop');
      await anna.locator('#password-form').waitFor({ state: 'detached' });
      expect(await anna.locator('[role="alert"]').count()).toBe(0);
      await ctx.close();
      // Logged in again with the new password: no form.
      ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const again = await ctx.newPage();
      await again.goto(`${asm.url}/login`);
      await again.getByLabel('User name').fill('anna');
      await again.getByLabel('Password').fill('a new secret 2026');
      await again.getByRole('button', { name: 'Log in' }).click();
      await again.waitForURL('**/desktop');
      expect(await again.locator('#password-form').count()).toBe(0);
      // Own change from the header, with a wrong current password first.
      await page.locator('#btn-change-password').click();
      await page.getByLabel('Current password').fill('not my password');
      await page.getByLabel('New password', { exact: true }).fill('admin secret 2026');
      await page.getByLabel('New password again').fill('admin secret 2026');
      await page.locator('#btn-password').click();
      await page.locator('#pw-error', { hasText: 'current password is not right' }).waitFor();
      await page.getByLabel('Current password').fill(PW);
      await page.locator('#btn-password').click();
      await page.locator('#password-form').waitFor({ state: 'detached' });
      expect(errors).toEqual([]);
      await own.close();
    }, 60_000);
  });
});
