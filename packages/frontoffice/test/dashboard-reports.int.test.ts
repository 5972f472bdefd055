import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { ContactEvent } from '@caruso/comms';
import { DAY, HAND_MADE_LOG, insertContactEvents } from '@caruso/monitor/testing';
import { StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath, fixtureText } from './fixture.js';

const PW = 'correct horse battery';
const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The fixture application with a report widget on the supervisors' dashboard and a second dashboard. */
function applicationWithReports(dir: string): string {
  const text = fixtureText('crm.app.xml').replace(
    /<dashboard name="wallboard-main"[^]*?<\/dashboard>/,
    '<dashboard name="wallboard-main" label="Wallboard"><widget kind="agents-by-state"/><widget kind="waiting"/><widget kind="queues"/>' +
      '<widget kind="report" report="inbound-by-queue" label="Inbound by queue"/></dashboard>\n' +
      '  <dashboard name="week" label="This week" roles="supervisor"><widget kind="report" report="inbound-by-day" period="last-7-days"/></dashboard>\n' +
      '  <dashboard name="floor" label="Floor" roles="supervisor"><widget kind="waiting" label="In line now"/><widget kind="alerts" label="Warnings"/></dashboard>',
  );
  if (!text.includes('kind="report"')) throw new Error('the fixture has no wallboard-main dashboard any more');
  const file = join(dir, 'crm-reports.app.xml');
  writeFileSync(file, text);
  return file;
}

describe('report widgets on a dashboard in a real Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'caruso-fo-reports-'));
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

  it('without a monitor the widget says why it shows no report, and the rest of the wallboard works', async () => {
    const asm = await startTestAssembly({
      db: `sqlite:${join(dir, 'no-monitor.db')}`,
      model: fixturePath('crm.model.xml'),
      application: applicationWithReports(dir),
      scripts: fixturePath('scripts'),
      users: [{ name: 'sam', role: 'supervisor', agentId: undefined, password: PW }],
    });
    // A caller waiting: the wallboard shows the longest wait as h:mm:ss.
    await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678' } });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await ctx.newPage();
      page.setDefaultTimeout(8000);
      await page.goto(`${asm.url}/login`);
      await page.getByLabel('User name').fill('sam');
      await page.getByLabel('Password').fill(PW);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL('**/wallboard');
      const alert = page.getByRole('region', { name: 'Inbound by queue', exact: true }).getByRole('alert');
      expect(await alert.textContent()).toBe('The report could not be shown: reports need the monitor service, and none is registered in this assembly');
      await page.locator('#wb-waiting-count').waitFor();
      const queues = page.locator('section[aria-labelledby="wb-queues"]');
      expect(await queues.locator('thead th').allTextContents()).toEqual(['Queue', 'Waiting contacts', 'Staffed', 'Available', 'Longest wait']);
      expect(await queues.locator('tbody tr td').allTextContents()).toEqual(['support', '1', '0', '0', expect.stringMatching(/^0:00:\d\d$/)]);
      // No live feed without the monitor: the figures are those of opening the page, and it says so.
      expect(await page.locator('#wb-not-live').textContent()).toContain('live figures need the monitor service');
    } finally {
      await ctx.close();
      await asm.stop();
    }
  }, 60_000);

  forEachDatabase((db) => {
    let asm: TestAssembly;
    // The hand-made log moved to today (UTC; the browser runs in UTC too), so "today" has its figures.
    const shift = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - DAY;
    const today: ContactEvent[] = HAND_MADE_LOG.map((e) => ({ ...e, at: e.at + shift }));

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: applicationWithReports(dir),
        scripts: fixturePath('scripts'),
        users: [{ name: 'sam', role: 'supervisor', agentId: undefined, password: PW }],
        monitor: { thresholdMs: 20_000 },
      });
      await insertContactEvents(asm.manager.get(StorageManager), today);
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    it('a supervisor sees the report\'s rows and its bar chart, refreshed a minute later, and the page passes the accessibility audit', async () => {
      const errors: string[] = [];
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, timezoneId: 'UTC' });
      await ctx.clock.install();
      const page = await ctx.newPage();
      page.setDefaultTimeout(8000);
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${asm.url}/login`);
      await page.getByLabel('User name').fill('sam');
      await page.getByLabel('Password').fill(PW);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL('**/wallboard');

      const widget = page.getByRole('region', { name: 'Inbound by queue', exact: true });
      const rows = widget.locator('table tbody tr');
      await rows.nth(1).waitFor();
      const cells = async (): Promise<string[][]> => rows.evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(0, 3).map((c) => c.textContent ?? '')));
      // queue (by its label: the page text of billing, the id of sales), offered, answered of the
      // hand-made log (docs/reports.md computes them by hand).
      expect(await cells()).toEqual([['Billing', '4', '2'], ['sales', '2', '1']]);
      expect(await widget.locator('thead th').first().textContent()).toBe('Queue');
      expect(await widget.getByRole('columnheader', { name: 'Service level', exact: true }).count()).toBe(1);
      // Durations as h:mm:ss (billing answered after 20 s on average; the CSV keeps the seconds).
      const headers = await widget.locator('thead th').allTextContents();
      expect(headers).toContain('ASA');
      const asa = await rows.first().locator('th, td').nth(headers.indexOf('ASA')).textContent();
      expect(asa).toBe('0:00:20');
      // The chart: one bar per row, named for screen readers (service level: billing 1 of 2 answered in time, sales 1 of 1).
      const chart = widget.getByRole('img');
      expect(await chart.getAttribute('data-column')).toBe('serviceLevel');
      expect(await chart.locator('title').textContent()).toBe('Service level by queue');
      expect(await chart.locator('desc').textContent()).toBe('Billing: 50 %; sales: 100 %');
      expect(await chart.locator('rect').count()).toBe(2);
      const widths = await chart.locator('rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
      expect(widths[1]).toBeCloseTo(2 * widths[0]!, 0);
      await page.screenshot({ path: join(SHOTS, `dashboard-report-${db.dialect}.png`), fullPage: true });

      // A new contact in sales shows at the next refresh (a minute later).
      const seq = HAND_MADE_LOG.length;
      const at = DAY + shift + 14 * 3_600_000;
      await insertContactEvents(asm.manager.get(StorageManager), [
        { seq: seq + 1, at, kind: 'queue-entered', contactId: 'c9', queueId: 'sales', channel: 'call', direction: 'inbound' },
        { seq: seq + 2, at: at + 3_000, kind: 'abandoned', contactId: 'c9', queueId: 'sales', channel: 'call', waitMs: 3_000 },
      ]);
      await ctx.clock.fastForward(61_000);
      // A function, not a string (the page's content security policy forbids evaluating strings); typed by hand (no DOM library in the tests).
      type Doc = { querySelector(selector: string): { textContent: string | null } | null };
      await page.waitForFunction(() => (globalThis as unknown as { document: Doc }).document.querySelector('#wb-reports tbody tr:nth-child(2) td')?.textContent === '3');
      expect(await cells()).toEqual([['Billing', '4', '2'], ['sales', '3', '1']]);

      // axe-core: nothing serious or critical on the dashboard with its report.
      await page.evaluate(AXE);
      const options = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] };
      const result = (await page.evaluate(`axe.run(document, ${JSON.stringify(options)})`)) as { violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }> };
      expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} at ${JSON.stringify(v.nodes.map((n) => n.target))}`)).toEqual([]);
      // The widget never runs out of its panel or the page at 1280 px.
      const overflow = await page.evaluate(`({ page: document.documentElement.scrollWidth - window.innerWidth, panels: [...document.querySelectorAll('#wb-reports .panel')].filter((p) => p.scrollWidth > p.clientWidth + 1).length })`);
      expect(overflow).toEqual({ page: 0, panels: 0 });

      // Another dashboard by its own address: its period is the last 7 days, one row per day.
      await page.goto(`${asm.url}/dashboards/week`);
      await page.getByRole('heading', { level: 1, name: 'This week' }).waitFor();
      const week = page.getByRole('region', { name: 'Inbound contacts by day', exact: true });
      await week.locator('table tbody tr').first().waitFor();
      expect(await week.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(0, 2).map((c) => c.textContent)))).toEqual([[new Date(DAY + shift).toISOString().slice(0, 10), '7']]);
      // A dashboard of reports only shows no live panels; one with live widgets shows just those, with their labels.
      expect(await page.locator('#wb-agents, #wb-waiting, #wb-queues, #wb-sl, #wb-camp, #wb-alerts').count()).toBe(0);
      await page.goto(`${asm.url}/dashboards/floor`);
      await page.getByRole('heading', { level: 1, name: 'Floor' }).waitFor();
      await page.locator('#wb-waiting-count').waitFor();
      await page.getByRole('heading', { level: 2, name: 'Warnings' }).waitFor();
      expect(await page.locator('#wallboard h2, #wb-monitor h2').allTextContents()).toEqual(['In line now', 'Warnings']);
      expect(errors).toEqual([]);
      await ctx.close();
    }, 60_000);
  });
});
