import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { sendMail } from './smtp-helpers.js';
import { mustOpen } from './ws-helpers.js';

const PW = 'correct horse battery';
const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: { readonly target: unknown[]; readonly failureSummary?: string }[];
}

/** Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules and best practices) on the page as it is now. */
async function audit(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE);
  // Evaluated in the page (expressions as text: the tests are compiled without the DOM library).
  const options = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] };
  const result = (await page.evaluate(`axe.run(document, ${JSON.stringify(options)})`)) as { violations: Violation[] };
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, ...(n.failureSummary ? { failureSummary: n.failureSummary } : {}) })) }));
}

const serious = (vs: readonly Violation[]): string[] =>
  vs.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);

describe('accessibility of the main pages (axe-core in a real Chromium)', () => {
  let dir: string;
  let asm: TestAssembly;
  let browser: Browser;
  let ctx: BrowserContext;
  const found = new Map<string, Violation[]>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-fo-a11y-'));
    mkdirSync(SHOTS, { recursive: true });
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
      monitor: { thresholdMs: 20_000, alerts: [{ id: 'queue-building', metric: 'center.waiting', comparison: '>=', value: 1 }] },
      chat: { queueId: 'support', port: 0 },
      email: { queueId: 'support', recipients: ['support@caruso.test'] },
    });
    await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: 'Caller', phone: '+3212345678', email: 'carla@example.org' }, { actor: 'test' });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 20_000,
    });
    ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    await browser?.close();
    await asm?.stop();
    rmSync(dir, { recursive: true, force: true });
    // The minor and moderate findings are reported, not failed on.
    const rest = [...found].flatMap(([page, vs]) => vs.filter((v) => v.impact !== 'serious' && v.impact !== 'critical').map((v) => `${page}: ${v.impact} ${v.id}`));
    if (rest.length) process.stdout.write(`accessibility findings below serious:\n${rest.join('\n')}\n`);
  });

  async function expectAccessible(page: Page, name: string): Promise<void> {
    const vs = await audit(page);
    found.set(name, vs);
    expect([name, serious(vs)]).toEqual([name, []]);
  }

  async function login(page: Page, user: string): Promise<void> {
    await page.goto(`${asm.url}/login`);
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(PW);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  it('finds a missing label and poor contrast (the audit itself works)', async () => {
    const page = await ctx.newPage();
    await page.goto(`${asm.url}/login`);
    await page.getByLabel('User name').waitFor();
    await page.evaluate(`(() => {
      const bad = document.createElement('div');
      bad.innerHTML = '<input id="unlabelled"><p id="faint">faint text</p>';
      document.getElementById('main').append(bad);
      document.getElementById('faint').style.color = '#d0d0d0';
    })()`);
    const ids = serious(await audit(page)).join('\n');
    expect(ids).toMatch(/critical label: .*unlabelled/);
    expect(ids).toMatch(/serious color-contrast: .*faint/);
    await page.close();
  });

  it('the log-in page, in a sensible keyboard order', async () => {
    const page = await ctx.newPage();
    await page.goto(`${asm.url}/login`);
    await page.getByLabel('User name').waitFor();
    await expectAccessible(page, 'login');
    // The user name has the focus; Tab goes to the password, then the button; the skip link comes first.
    expect(await page.evaluate('document.activeElement?.id')).toBe('username');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('password');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Log in');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    const box = await page.locator('.skip').boundingBox();
    expect(box && box.x >= 0 && box.y >= 0).toBe(true);
    await page.close();
  });

  it('the agent desktop, idle and with a call and its script', async () => {
    const page = await ctx.newPage();
    page.setDefaultTimeout(8000);
    await login(page, 'anna');
    await page.waitForURL('**/desktop');
    await page.locator('#agent-state[data-state="logged-out"]').waitFor();
    await expectAccessible(page, 'desktop');
    await page.keyboard.press('F2');
    await page.locator('#agent-state[data-state="ready"]').waitFor();
    await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678' } });
    await page.locator('#customer-name').waitFor();
    // The offer takes the focus: Enter or F4 accepts it.
    expect(await page.evaluate('document.activeElement?.id')).toBe('btn-accept');
    await expectAccessible(page, 'desktop with an offer');
    await page.keyboard.press('F4');
    await page.locator('#prompt', { hasText: 'What kind of fault' }).waitFor();
    await expectAccessible(page, 'desktop with a script');
    await page.locator('#btn-hangup').click();
    await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
    await expectAccessible(page, 'desktop in wrap-up');
    await page.locator('#btn-wrapup').click();
    await page.locator('#agent-state[data-state="ready"]').waitFor();

    await sendMail(asm.email!.address()!.port, { from: 'carla@example.org', to: 'support@caruso.test', subject: 'My invoice', text: 'Please check it.', attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' }] });
    await page.locator('#btn-accept').waitFor();
    await page.keyboard.press('F4');
    await page.locator('#reply-text').waitFor();
    await expectAccessible(page, 'desktop with an e-mail');
    await page.locator('#btn-hangup').click();
    await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
    await page.locator('#btn-wrapup').click();
    await page.locator('#agent-state[data-state="ready"]').waitFor();

    const opened = await asm.chat!.openChat({ customerName: 'Carla', subject: 'Meter' });
    const customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
    try {
      customer.send({ type: 'auth', token: opened.token });
      await customer.next((f) => f.type === 'welcome');
      customer.send({ type: 'message', text: 'Hello' });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('#chat-log li', { hasText: 'Hello' }).waitFor();
      await page.locator('#chat-text:enabled').waitFor();
      await expectAccessible(page, 'desktop with a chat');
      await page.locator('#btn-hangup').click();
      await customer.next((f) => f.type === 'ended');
    } finally {
      await customer.close();
    }
    await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
    await page.locator('#btn-wrapup').click();
    await page.locator('#agent-state[data-state="ready"]').waitFor();

    await page.goto(`${asm.url}/lists/customers`);
    await page.locator('table a', { hasText: 'Caller' }).waitFor();
    await expectAccessible(page, 'customer list');
    await page.locator('table a', { hasText: 'Caller' }).click();
    await page.locator('#record-callback').waitFor();
    await expectAccessible(page, 'customer page');
    await page.goto(`${asm.url}/callbacks`);
    await page.locator('h1', { hasText: 'Scheduled callbacks' }).waitFor();
    await expectAccessible(page, 'callbacks');
    await page.goto(`${asm.url}/api/session`);
    await page.close();
  }, 45_000);

  it('the supervisor wallboard with the monitor panels', async () => {
    const sctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await sctx.newPage();
    page.setDefaultTimeout(8000);
    await login(page, 'sam');
    await page.waitForURL('**/wallboard');
    await page.locator('#wb-waiting-count').waitFor();
    await page.locator('#wb-sl-value').waitFor();
    await expectAccessible(page, 'wallboard');
    // At 1280 × 720 every panel shows all of its table: nothing runs out of a panel or off the page.
    // (A string: the tests are type-checked without the DOM library.)
    const overflow = await page.evaluate(`({
      page: document.documentElement.scrollWidth - window.innerWidth,
      panels: [...document.querySelectorAll('#wallboard .panel, #wb-monitor .panel')].filter((p) => p.scrollWidth > p.clientWidth + 1).map((p) => p.querySelector('h2')?.textContent + ': ' + p.scrollWidth + ' > ' + p.clientWidth + ' px'),
    })`);
    expect(overflow).toEqual({ page: 0, panels: [] });
    await sctx.close();
  }, 30_000);

  it('the self-service page on a phone', async () => {
    const pctx = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true });
    const page = await pctx.newPage();
    await page.goto(`${asm.url}/self-service/meter`);
    await page.locator('#prompt').waitFor();
    await expectAccessible(page, 'self-service');
    await page.locator('#ss-agent').click();
    await page.locator('#ss-chat-text').waitFor();
    await expectAccessible(page, 'self-service chat');
    await pctx.close();
  }, 30_000);
});
