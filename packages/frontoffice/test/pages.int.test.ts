import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';
const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');

describe('front-office pages in a real Chromium', () => {
  let dir: string;
  let asm: TestAssembly;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-fo-pages-'));
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
      ],
      monitor: { thresholdMs: 20_000, alerts: [{ id: 'queue-building', metric: 'center.waiting', comparison: '>=', value: 1 }] },
    });
    await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: '<img src=x onerror=alert(1)>Caller', phone: '+3212345678' }, { actor: 'test' });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      // Playwright gives every launch a fresh throw-away profile (--user-data-dir of its own).
      timeout: 20_000,
    });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await asm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function login(page: Page, user: string): Promise<void> {
    await page.goto(`${asm.url}/login`);
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(PW);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  it('an agent goes ready, takes a simulated call with the customer popped up, runs the script, wraps up; the wallboard follows', async () => {
    const errors: string[] = [];
    const ctxA = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const ctxS = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const agent = await ctxA.newPage();
    const sup = await ctxS.newPage();
    for (const p of [agent, sup]) {
      p.setDefaultTimeout(8000);
      p.on('pageerror', (e) => errors.push(e.message));
    }
    agent.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await login(sup, 'sam');
    await sup.waitForURL('**/wallboard');
    await sup.locator('#wb-waiting-count').waitFor();
    await sup.locator('#wb-sl-value').waitFor();
    await login(agent, 'anna');
    await agent.waitForURL('**/desktop');
    await agent.locator('#agent-state', { hasText: 'logged-out' }).waitFor();
    await agent.keyboard.press('F2');
    await agent.locator('#agent-state', { hasText: 'ready' }).waitFor();
    await sup.locator('[data-state="ready"] .count', { hasText: '1' }).waitFor({ timeout: 5000 });
    await sup.screenshot({ path: join(SHOTS, 'wallboard.png') });

    // The call arrives as the telephony channel queues it: a call contact with the caller's number.
    await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678' } });
    await agent.locator('#btn-accept').waitFor();
    await sup.locator('#wb-alert-list li', { hasText: 'queue-building' }).waitFor({ timeout: 5000 });
    await agent.locator('#customer-name').waitFor();
    expect(await agent.locator('#customer-name').textContent()).toBe('Carla <img src=x onerror=alert(1)>Caller');
    expect(await agent.locator('#contact img').count()).toBe(0);
    await agent.screenshot({ path: join(SHOTS, 'desktop-offer.png') });
    await agent.keyboard.press('F4');
    await agent.locator('#prompt', { hasText: 'What kind of fault' }).waitFor();
    await sup.locator('[data-state="busy"] .count', { hasText: '1' }).waitFor({ timeout: 5000 });
    await agent.locator('#script button.choice[data-key="2"]').focus();
    await agent.keyboard.press('2');
    await agent.locator('#prompt', { hasText: 'postcode' }).waitFor();
    await agent.locator('#answer').fill('0123 AB');
    await agent.locator('#answer').press('Enter');
    await agent.locator('#step-error', { hasText: 'Postcodes do not start with 0.' }).waitFor();
    await agent.locator('#btn-back').click();
    await agent.locator('#prompt', { hasText: 'What kind of fault' }).waitFor();
    await agent.locator('#script button.choice[data-key="1"]').click();
    await agent.locator('#answer').fill('4321 XY');
    await agent.locator('#answer').press('Enter');
    await agent.locator('#script-done').waitFor();
    await expectValue(agent, '#f-postcode', '4321 XY');
    await agent.screenshot({ path: join(SHOTS, 'desktop-script.png') });
    await agent.locator('#btn-hangup').click();
    await agent.locator('#agent-state', { hasText: 'wrap-up' }).waitFor();
    const inTwoHours = new Date(Date.now() + 2 * 3_600_000);
    const pad = (n: number): string => String(n).padStart(2, '0');
    await agent.locator('#cb-at').fill(`${inTwoHours.getFullYear()}-${pad(inTwoHours.getMonth() + 1)}-${pad(inTwoHours.getDate())}T${pad(inTwoHours.getHours())}:${pad(inTwoHours.getMinutes())}`);
    await agent.locator('#btn-callback').click();
    await agent.locator('#live', { hasText: 'Callback scheduled for' }).waitFor({ state: 'attached' });
    expect(asm.comms.scheduledCallbacks()).toEqual([expect.objectContaining({ queueId: 'support', number: '+3212345678' })]);
    await agent.locator('#wrap-code').selectOption('solved');
    await agent.locator('#wrap-notes').fill('Power fault at 4321 XY');
    await agent.locator('#btn-wrapup').click();
    await agent.locator('#agent-state', { hasText: 'ready' }).waitFor();
    await agent.locator('.timeline li', { hasText: 'call · solved' }).waitFor();
    await sup.locator('[data-state="ready"] .count', { hasText: '1' }).waitFor({ timeout: 5000 });
    await agent.screenshot({ path: join(SHOTS, 'desktop-wrapped-up.png') });
    expect(errors).toEqual([]);
    await ctxA.close();
    await ctxS.close();
  }, 45_000);

  it('a customer on a phone completes a self-service script, goes back, and asks for an agent keeping the answers', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true });
    const page = await ctx.newPage();
    await page.goto(`${asm.url}/self-service/meter`);
    await page.getByLabel('Your meter number:').fill('123456');
    await page.locator('#ss-next').click();
    await page.locator('#prompt', { hasText: 'reading' }).waitFor();
    await page.locator('#ss-back').click();
    await page.locator('#prompt', { hasText: 'meter number' }).waitFor();
    await page.locator('#answer').fill('654321');
    await page.locator('#ss-next').click();
    await page.locator('#answer').fill('4711');
    await page.locator('#ss-next').click();
    await page.locator('#prompt', { hasText: 'Send the reading now?' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'self-service-phone.png') });
    await page.locator('#ss-agent').click();
    await page.locator('#ss-queued').waitFor();
    const waiting = asm.comms.waiting('support').concat(asm.comms.pendingOffers().map((o) => asm.comms.contact(o.contactId)!));
    expect(waiting.some((c) => (c.data['answers'] as Record<string, unknown> | undefined)?.['meter'] === '654321')).toBe(true);
    await ctx.close();
  }, 30_000);
});

async function expectValue(page: Page, selector: string, value: string): Promise<void> {
  const until = Date.now() + 5000;
  while ((await page.locator(selector).inputValue()) !== value && Date.now() < until) await page.waitForTimeout(50);
  expect(await page.locator(selector).inputValue()).toBe(value);
}
