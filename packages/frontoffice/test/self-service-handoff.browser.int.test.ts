import { forEachDatabase } from '@caruso/storage/testing';
import { startRelay, type TestRelay } from './smtp-helpers.js';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import type { Browser } from 'playwright-core';
import { fixturePath } from './fixture.js';
import { launchChromium, watchedPage } from '@caruso/frontoffice/testing';

// A self-service script that reaches its own <handoff> puts the visitor in the agent's queue at once:
// the page joins that chat by itself, with no second "Talk to an agent" press, and one chat only.
describe('self-service hand-off in a real Chromium', () => {
  let browser: Browser;
  let relay: TestRelay;

  beforeAll(async () => {
    relay = await startRelay();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  forEachDatabase((db) => {
  let asm: TestAssembly;

  beforeAll(async () => {
    asm = await startTestAssembly({
      db: await db.freshDatabase(),
      model: fixturePath('crm.model.xml'),
      application: fixturePath('crm.app.xml'),
      scripts: fixturePath('scripts'),
      queues: [{ id: 'support' }],
      agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
      users: [{ name: 'anna', role: 'agent', agentId: 'anna', password: 'correct horse battery' }],
      chat: { queueId: 'support', port: 0 },
      email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
      relay: { port: relay.port, from: 'Support <support@caruso.test>' },
    });
  }, 60_000);

  afterAll(async () => {
    await asm?.stop();
  });

  it('joins the chat the script handed off to, without the visitor asking again', async () => {
    const { ctx, page, problems } = await watchedPage(browser, { viewport: { width: 390, height: 800 } });
    await page.goto(`${asm.url}/self-service/meter`);
    await page.getByLabel('Your meter number:').fill('123456');
    await page.locator('#ss-next').click();
    await page.locator('#answer').fill('4711');
    await page.locator('#ss-next').click();
    await page.locator('#prompt', { hasText: 'Send the reading now?' }).waitFor();
    // "No": the script's <handoff> to support.
    await page.getByRole('button', { name: 'No' }).click();
    await page.locator('#ss-queued').waitFor();
    await page.getByLabel('Message').waitFor();
    expect(await page.locator('#ss-agent').count()).toBe(0);
    // One chat waits (the answers reach the agent's script when the agent takes it: handoff-answers.int.test.ts).
    const waiting = asm.comms.waiting('support');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.channel).toBe('chat');
    await page.getByLabel('Message').fill('Hello, are you there?');
    await page.getByLabel('Message').press('Enter');
    await page.locator('#ss-chat-log li', { hasText: 'Hello, are you there?' }).waitFor();
    expect(asm.comms.waiting('support')).toHaveLength(1);
    expect(problems).toEqual([]);
    await ctx.close();
  }, 60_000);
  }, { dialects: ['sqlite'] });
});
