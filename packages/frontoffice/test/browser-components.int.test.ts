import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';

// The pages' components (web/src, bundled into assets/js by web/build.mjs) under the strict content
// security policy: no violation on any page, the log-in page and back after a session expired, and
// the bundle with its source map served.
describe('the front office\'s browser components in a real Chromium', () => {
  let dir: string;
  let asm: TestAssembly;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-fo-components-'));
    asm = await startTestAssembly({
      db: `sqlite:${join(dir, 'crm.db')}`,
      model: fixturePath('crm.model.xml'),
      application: fixturePath('crm.app.xml'),
      scripts: fixturePath('scripts'),
      agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
      users: [
        { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
        { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
        { name: 'admin', role: 'administrator', agentId: undefined, password: PW },
      ],
      monitor: { thresholdMs: 20_000 },
    });
    await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: 'Caller', phone: '+3212345678' }, { actor: 'test' });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 20_000,
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await asm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A context that records every content-security-policy violation and page error. */
  async function watched(): Promise<{ ctx: BrowserContext; problems: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const problems: string[] = [];
    await ctx.exposeFunction('reportViolation', (what: string) => problems.push(`csp: ${what}`));
    await ctx.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber))`);
    ctx.on('page', (p) => {
      p.setDefaultTimeout(8000);
      p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      // An answer of 401 (no session yet) or 404 (the favicon) is logged by Chromium as a failed load; that is no fault of the page.
      p.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`); });
    });
    return { ctx, problems };
  }

  async function logIn(page: Page, user: string): Promise<void> {
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(PW);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  it('a page opened without a session goes to the log-in page and back to it afterwards', async () => {
    const { ctx, problems } = await watched();
    const page = await ctx.newPage();
    await page.goto(`${asm.url}/users?sort=name`);
    await page.waitForURL((u) => u.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/users?sort=name');
    await logIn(page, 'admin');
    await page.waitForURL((u) => u.pathname === '/users' && u.search === '?sort=name');
    await page.getByRole('cell', { name: 'anna', exact: true }).first().waitFor();
    expect(problems).toEqual([]);
    await ctx.close();
  }, 30_000);

  it('a session that expires while a page is open leads to the log-in page and back', async () => {
    const { ctx, problems } = await watched();
    const page = await ctx.newPage();
    await page.goto(`${asm.url}/login`);
    await logIn(page, 'sam');
    await page.waitForURL('**/wallboard');
    await page.goto(`${asm.url}/lists/customers`);
    await page.locator('table a', { hasText: 'Caller' }).waitFor();
    await ctx.clearCookies();
    await page.locator('#search').fill('Carla');
    await page.waitForURL((u) => u.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/lists/customers');
    await logIn(page, 'sam');
    await page.waitForURL('**/lists/customers');
    await page.locator('table a', { hasText: 'Caller' }).waitFor();
    expect(problems).toEqual([]);
    await ctx.close();
  }, 30_000);

  it('the log-in page ignores a next that leaves the site', async () => {
    const { ctx, problems } = await watched();
    for (const next of ['//evil.example/x', '/\\evil.example/x', 'https://evil.example/', 'javascript:alert(1)']) {
      const page = await ctx.newPage();
      await page.goto(`${asm.url}/login?next=${encodeURIComponent(next)}`);
      await logIn(page, 'sam');
      await page.waitForURL('**/wallboard');
      expect(new URL(page.url()).origin).toBe(new URL(asm.url).origin);
      await page.close();
      await ctx.clearCookies();
    }
    expect(problems).toEqual([]);
    await ctx.close();
  }, 40_000);

  it('no page breaks the content security policy', async () => {
    const { ctx, problems } = await watched();
    const page = await ctx.newPage();
    const res = await page.goto(`${asm.url}/login`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'; style-src 'self';");
    await logIn(page, 'admin');
    await page.waitForURL((u) => u.pathname.startsWith('/lists/'));
    await page.goto(`${asm.url}/wallboard`);
    await page.locator('[data-state="logged-out"] .count').waitFor();
    await page.goto(`${asm.url}/lists/customers`);
    await page.locator('table a', { hasText: 'Caller' }).click();
    await page.locator('#record-callback').waitFor();
    await page.goto(`${asm.url}/callbacks`);
    await page.locator('h1', { hasText: 'Scheduled callbacks' }).waitFor();
    await page.goto(`${asm.url}/users`);
    await page.locator('td', { hasText: /^sam$/ }).waitFor();
    // A visitor's page, without the staff session.
    // Off the staff page first: its next poll, answered 401 without the cookie, would send it to the
    // log-in page and abort the navigation below.
    await page.goto('about:blank');
    await ctx.clearCookies();
    await page.goto(`${asm.url}/self-service/meter`);
    await page.locator('#prompt').waitFor();
    expect(problems).toEqual([]);
    // The watch itself works: a style attribute is a violation it sees.
    await page.evaluate(`document.body.setAttribute('style', 'color: red')`);
    for (const until = Date.now() + 5000; problems.length === 0 && Date.now() < until;) await page.waitForTimeout(50);
    expect(problems.join('\n')).toMatch(/csp: style-src|Content Security Policy directive 'style-src/);
    await ctx.close();
  }, 40_000);

  it('serves the bundle and its source map', async () => {
    const js = await fetch(`${asm.url}/assets/js/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toMatch(/\/\/# sourceMappingURL=main\.js\.map\s*$/);
    const map = await fetch(`${asm.url}/assets/js/main.js.map`);
    expect(map.status).toBe(200);
    expect(map.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await map.json()) as { version: number }).toEqual(expect.objectContaining({ version: 3 }));
    expect((await fetch(`${asm.url}/assets/app.js`)).status).toBe(404);
  });
});
