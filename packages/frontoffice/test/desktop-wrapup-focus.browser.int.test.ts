// The wrap-up takes the focus when the agent hangs up (F8), but not from an agent who already moved
// into it: on a slow line the wrap-up's state can reach the page after the agent began to type the
// callback's moment, and moving the focus then sent the rest of their keys to the wrap-up code (the
// callback was never scheduled; seen in the utility shift test under load). The page's refresh is held
// back here on purpose, so the late state arrives in the middle of the typing every time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { deskPage, launchChromium, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';
const CARLA = '+3212345678';
const pad = (n: number): string => String(n).padStart(2, '0');

describe('the wrap-up on the agent desktop (real Chromium)', () => {
  let dir: string;
  let asm: TestAssembly;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-wrapup-focus-'));
    asm = await startTestAssembly({
      db: `sqlite:${join(dir, 'crm.db')}`,
      model: fixturePath('crm.model.xml'),
      application: fixturePath('crm.app.xml'),
      scripts: fixturePath('scripts'),
      queues: [{ id: 'support', wrapUpMs: 600_000 }],
      agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
      users: [{ name: 'anna', role: 'agent', agentId: 'anna', password: PW }],
    });
    await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: 'Caller', phone: CARLA }, { actor: 'test' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await asm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const late of [false, true]) {
    it(`keeps the keys of an agent typing a callback when the wrap-up arrives ${late ? 'late' : 'at once'}`, async () => {
      const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW, { locale: 'en-US' });
      try {
        await page.keyboard.press('F2');
        await page.locator('#agent-state[data-state="ready"]').waitFor();
        const contact = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
        await page.locator('#btn-accept').waitFor();
        await page.keyboard.press('F4');
        await page.locator('#cb-at').waitFor();
        await page.waitForTimeout(300);

        // From now on the page's reads of its state are held back 1.5 s (when `late`).
        let held = 0;
        if (late) {
          await page.route('**/api/desktop', async (route) => {
            held++;
            await new Promise((r) => setTimeout(r, 1500));
            await route.continue().catch(() => undefined);
          });
        }
        await page.keyboard.press('F8');
        if (!late) await page.locator('#wrap-code:focus').waitFor();
        // The agent goes straight to the callback and types its moment, a key every 150 ms.
        await page.locator('#cb-at').focus();
        const at = new Date(Math.ceil((asm.comms.now() + 3_600_000) / 60_000) * 60_000);
        const keys = `${pad(at.getMonth() + 1)}${pad(at.getDate())}${at.getFullYear()}${pad(at.getHours() % 12 || 12)}${pad(at.getMinutes())}${at.getHours() < 12 ? 'a' : 'p'}`;
        await page.keyboard.type(keys, { delay: 150 });
        for (let i = 0; i < 60 && asm.comms.agentWork('anna').wrapUps.length === 0; i++) await page.waitForTimeout(50);
        expect(asm.comms.agentWork('anna').wrapUps.map((w) => w.contactId)).toEqual([contact.id]);
        // The held-back state has reached the page by now.
        if (late) await page.waitForTimeout(1800);
        expect(late ? held > 0 : held === 0).toBe(true);
        // Every key went to the callback's fields: the focus is still in them, the moment is whole.
        expect(await page.evaluate('document.activeElement?.closest("#cb-at-fields") !== null')).toBe(true);
        const scheduled = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/callback'), { timeout: 10_000 });
        await page.locator('#btn-callback').click();
        expect((await scheduled).status()).toBe(201);
        expect(asm.comms.scheduledCallbacks().map((c) => c.at)).toContain(at.getTime());
        for (const c of asm.comms.scheduledCallbacks()) await asm.comms.cancelScheduledCallback(c.id);
        await page.unrouteAll({ behavior: 'ignoreErrors' });
        await page.keyboard.press('F9');
        for (let i = 0; i < 100 && asm.comms.agentWork('anna').wrapUps.length > 0; i++) await page.waitForTimeout(50);
        expect(asm.comms.agentWork('anna').wrapUps).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await ctx.close();
      }
    }, 90_000);
  }
});
