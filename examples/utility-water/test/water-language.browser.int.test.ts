// The Dutch water company's pages in Dutch: with its assembly started (SQLite), the log-in, list,
// record, desktop, wallboard and self-service pages show no English text of the product. As in
// packages/frontoffice/test/crm-language.browser.int.test.ts, the texts a person reads are compared
// with the English page texts that Dutch says otherwise; the application's own labels are the
// integrator's and are left out. Needs `npx tsc -b` first (the utility's services come from ../utility/dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SimulatedTelephony } from '@caruso/comms';
import { applyMigration, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import { createStorage, type StorageManager } from '@caruso/storage';
import { readAssembly, type Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { generateDemoData, loadDemoData, seedLegacyBilling, type DemoRow } from '../../utility/src/index.js';
import { officeHoursClock } from '../../utility/test/office-hours-clock.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const I18N = fileURLToPath(new URL('../../../packages/frontoffice/assets/i18n/', import.meta.url));
const en = JSON.parse(readFileSync(join(I18N, 'en.json'), 'utf8')) as Record<string, string>;
const nl = JSON.parse(readFileSync(join(I18N, 'nl.json'), 'utf8')) as Record<string, string>;
/** English texts that Dutch says otherwise (a word both share, such as "Chat", is no sign of English). */
const ENGLISH = new Set(Object.keys(en).filter((k) => en[k] !== nl[k] && (en[k] ?? '').length > 2).map((k) => en[k] as string));
const PASSWORD = randomBytes(12).toString('base64url');
const water = (account: string | undefined): string => `W-0${String(account).slice(2)}`;

/** The texts a person reads on the page now: text nodes, and the placeholders, labels and titles of elements. */
async function pageTexts(page: Page): Promise<string[]> {
  const texts = (await page.evaluate(`(() => {
    const out = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const el = n.parentElement;
      if (el && el.closest('script,style,[hidden]')) continue;
      out.push(n.textContent);
    }
    for (const el of document.querySelectorAll('[placeholder],[aria-label],[title]')) {
      for (const a of ['placeholder', 'aria-label', 'title']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    out.push(document.title);
    return out;
  })()`)) as string[];
  return texts.map((s) => s.trim()).filter((s) => s !== '');
}

/** Every `label` of the application as a role sees it (GET /api/app): the integrator's words. */
function labelsOf(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) labelsOf(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'label' && typeof x === 'string') out.add(x);
      else labelsOf(x, out);
    }
  }
  return out;
}

/** The English texts of the product on the page (whole, or at the start of a longer text). */
async function englishOn(page: Page, appLabels: ReadonlySet<string> = new Set()): Promise<string[]> {
  return (await pageTexts(page)).filter((s) => !appLabels.has(s) && (ENGLISH.has(s) || [...ENGLISH].some((e) => e.length > 6 && s.startsWith(`${e} `))));
}

describe('examples/utility-water: the pages in Dutch', () => {
  let dir: string;
  let storage: StorageManager;
  let running: RunningAssembly | undefined;
  let browser: Browser;
  let customerId: string;
  const clock = officeHoursClock();
  const telephony = new SimulatedTelephony(clock);

  beforeAll(async () => {
    if (!existsSync(join(root, '../utility/dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
    dir = mkdtempSync(join(tmpdir(), 'caruso-water-nl-'));
    const dbUrl = `sqlite:${join(dir, 'caruso.db')}`;
    const billingDb = join(dir, 'aquanota.db');
    const demo = generateDemoData({ customers: 12, seed: 7 });
    const accounts: DemoRow[] = demo.billing.accounts.map((a) => ({ ...a, accountNo: water(a['accountNo']) }));
    const invoices: DemoRow[] = demo.billing.invoices.map((i) => ({ ...i, accountNo: water(i['accountNo']), number: `N${i['year']}/${String(i['sequence']).padStart(5, '0')}` }));
    const customers: DemoRow[] = demo.customers.map((c) => ({ ...c, billingAccount: water(c['billingAccount']) }));
    await seedLegacyBilling({ database: billingDb, schemaSql: readFileSync(join(root, 'legacy-billing/schema.sql'), 'utf8'), model: loadModelFile(join(root, 'model/legacy-billing.model.xml')), data: { accounts, invoices } });
    const model = loadModelFile(join(root, 'model/water.model.xml'));
    storage = await createStorage({ url: dbUrl });
    await applyMigration(model, storage);
    const objects = new BusinessObjectsImpl(model, storage);
    await loadDemoData(objects, { ...demo, customers });
    customerId = String((await objects.repository('Customer').query({ limit: 1 }))[0]?.['id']);
    objects.dispose();
    await storage.close();

    const env = { CARUSO_DB_URL: dbUrl, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: '0', CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0', WATER_AGENT_DIRK_PASSWORD: PASSWORD, WATER_SUPERVISOR_PASSWORD: PASSWORD, WATER_ADMIN_PASSWORD: PASSWORD };
    const read = readAssembly(join(root, 'assembly.xml'), env);
    const errors = read.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
    const a = read.assembly as Assembly;
    running = await startAssembly(
      { ...a, dataDir: dir, services: a.services.map((s) => (s.token === 'billing.Invoices' ? { ...s, config: { ...s.config, database: billingDb } } : s)) },
      { env, clock, telephony },
    );
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 20_000,
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    telephony.dispose();
    await running?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function logIn(page: Page, user: string): Promise<void> {
    await page.goto(`${running!.frontOfficeUrl as string}/login`);
    await page.getByLabel('Gebruikersnaam').fill(user);
    await page.getByLabel('Wachtwoord').fill(PASSWORD);
    await page.getByRole('button', { name: 'Aanmelden' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  }

  it('shows no English text of the product on the log-in, list, record, wallboard, desktop and self-service pages', async () => {
    const url = running!.frontOfficeUrl as string;
    const errors: string[] = [];
    const found: Record<string, string[]> = {};
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/login`);
    await page.getByLabel('Gebruikersnaam').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('nl');
    found['login'] = await englishOn(page);
    await logIn(page, 'femke');
    const app = labelsOf(await page.evaluate('fetch("/api/app").then((r) => r.json())'));
    expect(app.has('Klanten')).toBe(true);
    await page.goto(`${url}/lists/klanten`);
    await page.locator('tbody tr').first().waitFor();
    found['list'] = await englishOn(page, app);
    await page.goto(`${url}/records/klant/${customerId}`);
    await page.locator('.history-day h3, #record-history').first().waitFor();
    found['record'] = await englishOn(page, app);
    await page.goto(`${url}/wallboard`);
    await page.locator('#wallboard [data-state]').first().waitFor();
    await page.locator('section[aria-labelledby="wb-queues"] tbody tr').first().waitFor();
    found['wallboard'] = await englishOn(page, app);
    // The queues by the names the app sends (or the page texts), never their ids.
    const queueNames = await page.locator('section[aria-labelledby="wb-queues"] tbody tr td:first-child').allTextContents();
    expect(queueNames.filter((n) => ['general', 'billing', 'moves'].includes(n))).toEqual([]);

    const agentCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const desk = await agentCtx.newPage();
    desk.setDefaultTimeout(10_000);
    desk.on('pageerror', (e) => errors.push(e.message));
    await logIn(desk, 'dirk');
    await desk.goto(`${url}/desktop`);
    await desk.locator('#agent-state').waitFor();
    found['desktop'] = await englishOn(desk, labelsOf(await desk.evaluate('fetch("/api/app").then((r) => r.json())')));
    await agentCtx.close();

    // Off the staff page first: its next poll, answered 401 without the cookie, would send it to the
    // log-in page and abort the navigation below.
    await page.goto('about:blank');
    await ctx.clearCookies();
    await page.goto(`${url}/self-service/meterstand`);
    await page.locator('#main form, #main h1').first().waitFor();
    found['self-service'] = await englishOn(page);
    expect(found).toEqual({ login: [], list: [], record: [], wallboard: [], desktop: [], 'self-service': [] });
    expect(errors).toEqual([]);
    await ctx.close();
  }, 90_000);
});
