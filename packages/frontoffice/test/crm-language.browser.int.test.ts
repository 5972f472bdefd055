// The pages in the application's language: with lang="nl" no text of the product shows in English
// (log-in, list, record with its history, search, wallboard, users, self-service). The visible texts,
// placeholders, labels and titles of each page are compared with the English bundle's texts that Dutch
// translates differently; the application's own labels are the integrator's and are not checked.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forEachDatabase } from '@caruso/storage/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixtureText } from './fixture.js';

const PW = 'correct horse battery';
const I18N = fileURLToPath(new URL('../assets/i18n/', import.meta.url));
const en = JSON.parse(readFileSync(join(I18N, 'en.json'), 'utf8')) as Record<string, string>;
const nl = JSON.parse(readFileSync(join(I18N, 'nl.json'), 'utf8')) as Record<string, string>;
/** English texts that Dutch says otherwise (a word both share, such as "Chat", is no sign of English). */
const ENGLISH = new Set(Object.keys(en).filter((k) => en[k] !== nl[k] && (en[k] ?? '').length > 2).map((k) => en[k] as string));

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
    return out;
  })()`)) as string[];
  return texts.map((s) => s.trim()).filter((s) => s !== '');
}

/** Every `label` of the application as a role sees it (GET /api/app): the integrator's words, not the product's. */
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

/** The English texts of the product on the page (each whole text, or a text that begins with one followed by a space), leaving out the application's own labels. */
async function englishOn(page: Page, appLabels: ReadonlySet<string> = new Set()): Promise<string[]> {
  return (await pageTexts(page)).filter((s) => !appLabels.has(s) && (ENGLISH.has(s) || [...ENGLISH].some((e) => e.length > 6 && s.startsWith(`${e} `))));
}

describe('the pages in the application’s language (lang="nl")', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-crm-lang-'));
    writeFileSync(join(dir, 'crm.app.xml'), fixtureText('crm.app.xml').replace('lang="en"', 'lang="nl"').replace('../../../../dtd/', `${fileURLToPath(new URL('../../../dtd/', import.meta.url))}`));
    writeFileSync(join(dir, 'crm.model.xml'), fixtureText('crm.model.xml').replace('audited="true">', 'audited="true" searchable="true">'));
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

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: join(dir, 'crm.model.xml'),
        application: join(dir, 'crm.app.xml'),
        scripts: fileURLToPath(new URL('./fixtures/scripts', import.meta.url)),
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
        users: [
          { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
          { name: 'admin', role: 'administrator', agentId: undefined, password: PW },
        ],
        monitor: { thresholdMs: 20_000, alerts: [] },
      });
      const c = await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: 'Caller', phone: '+3212345678', segment: 'business' }, { actor: 'test' });
      carla = String(c['id']);
      await asm.objects.repository('Customer').update(Number(carla), { postcode: '1234 AB' }, { actor: 'test' });
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    it('shows no English text of the product on the log-in, list, record, search, wallboard, users and self-service pages', async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      page.setDefaultTimeout(8000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const found: Record<string, string[]> = {};
      await page.goto(`${asm.url}/login`);
      await page.getByRole('heading', { name: 'Aanmelden bij Caruso' }).waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe('nl');
      found['login'] = await englishOn(page);
      await page.getByLabel('Gebruikersnaam').fill('admin');
      await page.getByLabel('Wachtwoord').fill('wrong password');
      await page.getByRole('button', { name: 'Aanmelden' }).click();
      await page.locator('#error', { hasText: 'Onbekende gebruikersnaam of verkeerd wachtwoord' }).waitFor();
      await page.getByLabel('Wachtwoord').fill(PW);
      await page.getByRole('button', { name: 'Aanmelden' }).click();
      await page.waitForURL('**/lists/customers');
      await page.locator('tbody tr').first().waitFor();
      const app = labelsOf(await page.evaluate('fetch("/api/app").then((r) => r.json())'));
      expect(app.has('Customer')).toBe(true);
      found['list'] = await englishOn(page, app);
      expect(await page.title()).toBe('Lijst · Caruso');
      expect(await page.locator('a.skip').textContent()).toBe('Naar de inhoud');
      await page.goto(`${asm.url}/records/customer/${carla}`);
      await page.locator('.history-day h3', { hasText: 'Vandaag' }).waitFor();
      await page.locator('.history-change', { hasText: 'Gewijzigd' }).waitFor();
      found['record'] = await englishOn(page, app);
      // A field's message in Dutch, with the field's label.
      await page.locator('#f-email').fill('not an address');
      await page.getByRole('button', { name: 'Opslaan', exact: true }).click();
      await page.locator('#f-email-error', { hasText: 'E-mail is geen e-mailadres' }).waitFor();
      found['record-error'] = await englishOn(page, app);
      // The server's refusals in Dutch too (their code's text), not its English message.
      await page.goto(`${asm.url}/records/customer/99999999`);
      await page.locator('#error', { hasText: /^(Dit record bestaat niet \(meer\)|Dit is niet gevonden, of uw rol mag het niet zien)$/ }).waitFor();
      found['not-found'] = await englishOn(page, app);
      await page.locator('#global-search').fill('Carla');
      await page.locator('#search-hits [role="option"]', { hasText: 'Carla' }).waitFor();
      found['search'] = await englishOn(page, app);
      await page.goto(`${asm.url}/users`);
      await page.locator('#users tbody tr').first().waitFor();
      found['users'] = await englishOn(page, app);
      await page.goto(`${asm.url}/wallboard`);
      await page.locator('#wallboard [data-state]').first().waitFor();
      found['wallboard'] = await englishOn(page, app);
      // Off the staff page first: its next poll, answered 401 without the cookie, would send it to the
      // log-in page and abort the navigation below.
      await page.goto('about:blank');
      await ctx.clearCookies();
      await page.goto(`${asm.url}/self-service/meter`);
      await page.locator('#main form, #main h1').first().waitFor();
      found['self-service'] = await englishOn(page);
      expect(found).toEqual({ login: [], list: [], record: [], 'record-error': [], 'not-found': [], search: [], users: [], wallboard: [], 'self-service': [] });
      expect(errors).toEqual([]);
      await ctx.close();
    }, 60_000);
  });
});
