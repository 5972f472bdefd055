import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { sendMail, startRelay, until, type TestRelay } from './smtp-helpers.js';
import { mustOpen } from './ws-helpers.js';

const PW = 'correct horse battery';
const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');

describe('front-office pages in a real Chromium', () => {
  let browser: Browser;
  let relay: TestRelay;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    relay = await startRelay();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      // Playwright gives every launch a fresh throw-away profile (--user-data-dir of its own).
      timeout: 20_000,
    });
  }, 40_000);

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
        queues: [{ id: 'support', wrapUpMs: 600_000 }, { id: 'billing' }],
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }], selectableQueues: ['billing'] }],
        users: [
          { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
          { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
        ],
        monitor: { thresholdMs: 20_000, alerts: [{ id: 'queue-building', metric: 'center.waiting', comparison: '>=', value: 1 }] },
        chat: { queueId: 'support', port: 0 },
        email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
        relay: { port: relay.port, from: 'Support <support@caruso.test>' },
      });
      await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: '<img src=x onerror=alert(1)>Caller', phone: '+3212345678' }, { actor: 'test' });
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
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
      await agent.locator('#agent-state[data-state="logged-out"]').waitFor();
      await agent.keyboard.press('F2');
      await agent.locator('#agent-state[data-state="ready"]').waitFor();
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
      await agent.locator('#agent-state[data-state="wrap-up"]').waitFor();
      const inTwoHours = new Date(Date.now() + 2 * 3_600_000);
      const pad = (n: number): string => String(n).padStart(2, '0');
      await agent.locator('#cb-at').fill(`${inTwoHours.getFullYear()}-${pad(inTwoHours.getMonth() + 1)}-${pad(inTwoHours.getDate())}T${pad(inTwoHours.getHours())}:${pad(inTwoHours.getMinutes())}`);
      await agent.locator('#btn-callback').click();
      await agent.locator('#live', { hasText: 'Callback scheduled for' }).waitFor({ state: 'attached' });
      expect(asm.comms.scheduledCallbacks()).toEqual([expect.objectContaining({ queueId: 'support', number: '+3212345678' })]);
      await agent.locator('#wrap-code').selectOption('solved');
      await agent.locator('#wrap-notes').fill('Power fault at 4321 XY');
      await agent.locator('#btn-wrapup').click();
      await agent.locator('#agent-state[data-state="ready"]').waitFor();
      // The customer's whole history in the desktop: the call with its wrap-up's label and note.
      await agent.locator('desk-customer-panel li.history-contact', { hasText: 'Solved' }).filter({ hasText: 'Power fault at 4321 XY' }).waitFor();
      await sup.locator('[data-state="ready"] .count', { hasText: '1' }).waitFor({ timeout: 5000 });
      await agent.screenshot({ path: join(SHOTS, 'desktop-wrapped-up.png') });
      expect(errors).toEqual([]);
      await ctxA.close();
      await ctxS.close();
    }, 45_000);

    it('when the agent’s phone answers by itself, the desktop goes from the offer to the connected call', async () => {
      const errors: string[] = [];
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const agent = await ctx.newPage();
      agent.setDefaultTimeout(8000);
      agent.on('pageerror', (e) => errors.push(e.message));
      await login(agent, 'anna');
      await agent.waitForURL('**/desktop');
      await agent.keyboard.press('F2');
      await agent.locator('#agent-state[data-state="ready"]').waitFor();
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678' } });
      await agent.locator('#btn-accept').waitFor();
      await agent.locator('#customer-name').waitFor();
      // The phone (a SIP phone on auto-answer) picks up: the telephony channel accepts the offer, not the desktop.
      const offer = asm.comms.pendingOffers('anna').find((o) => o.contactId === call.id);
      await asm.comms.accept(offer!.offerId);
      await agent.locator('#btn-hangup').waitFor();
      expect(await agent.locator('#btn-accept').count()).toBe(0);
      await agent.locator('#agent-state[data-state="busy"]').waitFor();
      await agent.locator('#prompt', { hasText: 'What kind of fault' }).waitFor();
      expect(await agent.locator('#btn-hangup').count()).toBe(1);
      await agent.locator('#btn-hangup').click();
      await agent.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await agent.locator('#wrap-code').selectOption('solved');
      await agent.locator('#btn-wrapup').click();
      await agent.locator('#agent-state[data-state="ready"]').waitFor();
      expect(errors).toEqual([]);
      await ctx.close();
    }, 30_000);

    it('an agent answers a chat and an e-mail from the desktop', async () => {
      const errors: string[] = [];
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const agent = await ctx.newPage();
      agent.setDefaultTimeout(8000);
      agent.on('pageerror', (e) => errors.push(e.message));
      await login(agent, 'anna');
      await agent.waitForURL('**/desktop');
      await agent.locator('#agent-state[data-state="logged-out"], #agent-state[data-state="ready"]').waitFor();
      await agent.keyboard.press('F2');
      await agent.locator('#agent-state[data-state="ready"]').waitFor();

      // A chat: the customer writes first; the agent accepts with F4 and sees what was written.
      const opened = await asm.chat!.openChat({ customerName: 'Dora <i>Doe</i>', subject: 'Meter reading' });
      const customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
      try {
        customer.send({ type: 'auth', token: opened.token });
        await customer.next((f) => f.type === 'welcome');
        customer.send({ type: 'message', text: 'Hello, my meter shows 4711' });
        await agent.locator('#btn-accept').waitFor();
        await agent.keyboard.press('F4');
        await agent.locator('#chat-log li', { hasText: 'Hello, my meter shows 4711' }).waitFor();
        // The title comes with the chat's transcript, which may arrive after the socket's first line.
        await agent.locator('#conv-title', { hasText: 'Chat · Dora <i>Doe</i> · Meter reading' }).waitFor();
        expect(await agent.locator('#conv-title').textContent()).toBe('Chat · Dora <i>Doe</i> · Meter reading');
        await agent.locator('#chat-text:enabled').fill('Thank you, Dora. Noted: 4711.');
        await agent.locator('#chat-text').press('Enter');
        expect(await customer.next((f) => f.type === 'message' && f['from'] === 'agent')).toMatchObject({ text: 'Thank you, Dora. Noted: 4711.' });
      await agent.locator('#chat-log li.chat-agent', { hasText: 'Thank you, Dora. Noted: 4711.' }).waitFor();
        customer.send({ type: 'message', text: 'Great, bye' });
        await agent.locator('#chat-log li', { hasText: 'Great, bye' }).waitFor();
        await agent.screenshot({ path: join(SHOTS, 'desktop-chat.png') });
        await agent.locator('#btn-hangup', { hasText: 'End chat' }).click();
        expect(await customer.next((f) => f.type === 'ended')).toMatchObject({ reason: 'agent-left' });
      } finally {
        await customer.close();
      }
      await agent.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await agent.locator('#wrap-code').selectOption('solved');
      await agent.locator('#btn-wrapup').click();
      await agent.locator('#agent-state[data-state="ready"]').waitFor();
      expect(await agent.locator('#conversation').isHidden()).toBe(true);

      // An e-mail with an attachment: the agent reads it and replies; the reply leaves through the relay, threaded.
      const sentBefore = relay.received.length;
      const messageId = await sendMail(asm.email!.address()!.port, {
        from: 'Ada Lovelace <ada@example.org>',
        to: 'support@caruso.test',
        subject: 'Invoice 2026-117 is wrong',
        text: 'Dear support,\nthe invoice counts 4711 kWh twice.',
        attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4 test'), contentType: 'application/pdf' }],
      });
      await agent.locator('#btn-accept').waitFor();
      await agent.keyboard.press('F4');
      await agent.locator('#conv-title', { hasText: 'Invoice 2026-117 is wrong' }).waitFor();
      await agent.locator('.mail-body', { hasText: 'the invoice counts 4711 kWh twice.' }).waitFor();
      expect(await agent.locator('.attachments a').textContent()).toBe('invoice.pdf');
      await agent.getByLabel('Your reply').fill('Dear Ada,\nwe corrected the invoice.');
      await agent.locator('#btn-reply').click();
      await agent.locator('#live', { hasText: 'Reply sent' }).waitFor({ state: 'attached' });
      await agent.locator('.mail.outbound').waitFor();
      await relay.waitFor(sentBefore + 1);
      expect(relay.received[sentBefore]!.parsed.inReplyTo).toBe(messageId);
      expect(relay.received[sentBefore]!.parsed.subject).toBe('Re: Invoice 2026-117 is wrong');
      await agent.screenshot({ path: join(SHOTS, 'desktop-email.png') });
      await agent.locator('#btn-hangup', { hasText: 'Done' }).click();
      await agent.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await agent.locator('#wrap-code').selectOption('solved');
      await agent.locator('#btn-wrapup').click();
      await agent.locator('#agent-state[data-state="ready"]').waitFor();
      await until(() => asm.comms.agent('anna').state === 'ready', 'anna ready');
      expect(errors).toEqual([]);
      await ctx.close();
    }, 45_000);

    it('a wrap-up on the desktop shows on the customer’s record history, read from the communication server’s interaction store', async () => {
      const errors: string[] = [];
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const agent = await ctx.newPage();
      agent.setDefaultTimeout(8000);
      agent.on('pageerror', (e) => errors.push(e.message));
      await login(agent, 'anna');
      await agent.waitForURL('**/desktop');
      await agent.locator('#agent-state[data-state="logged-out"], #agent-state[data-state="ready"]').waitFor();
      await agent.keyboard.press('F2');
      await agent.locator('#agent-state[data-state="ready"]').waitFor();
      const [carla] = await asm.objects.repository('Customer').query({ where: { phone: '+3212345678' }, limit: 1 });
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345678' } });
      await agent.locator('#btn-accept').waitFor();
      await agent.locator('#customer-name').waitFor();
      await agent.keyboard.press('F4');
      await agent.locator('#agent-state[data-state="busy"]').waitFor();
      await agent.locator('#btn-hangup').click();
      await agent.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await agent.locator('#wrap-code').selectOption('solved');
      await agent.locator('#wrap-notes').fill('Meter swapped, history test');
      await agent.locator('#btn-wrapup').click();
      await agent.locator('#agent-state[data-state="ready"]').waitFor();

      // The one customer history: the contact's interaction record, linked to the customer the desktop showed.
      const history = await asm.comms.history('Customer', String(carla!['id']));
      const record = history.find((r) => r.contactId === call.id);
      expect(record).toMatchObject({ channel: 'call', direction: 'inbound', agentId: 'anna', disposition: 'solved', note: 'Meter swapped, history test', outcome: 'completed' });
      expect(await asm.manager.get(StorageManager).hasTable('caruso_fo_interactions')).toBe(false);

      // The record page shows it, by the server's clock.
      await agent.goto(`${asm.url}/records/customer/${String(carla!['id'])}`);
      // The record's whole history (grouped by day): the call with its disposition's label, its time and agent.
      const entry = agent.locator('.history-contact', { hasText: 'Meter swapped, history test' });
      await entry.waitFor();
      expect(await entry.locator('strong').textContent()).toBe('Call');
      expect(await entry.locator('.badge').textContent()).toBe('Solved');
      expect(await entry.locator('time').getAttribute('datetime')).toBe(new Date(record!.endedAt).toISOString());
      expect(await entry.textContent()).toContain('anna');
      await agent.screenshot({ path: join(SHOTS, 'record-history.png') });
      expect(errors).toEqual([]);
      await ctx.close();
    }, 30_000);

    it('an agent schedules a callback from the customer page, finds it under Callbacks and cancels it', async () => {
      const errors: string[] = [];
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const agent = await ctx.newPage();
      agent.setDefaultTimeout(8000);
      agent.on('pageerror', (e) => errors.push(e.message));
      await login(agent, 'anna');
      await agent.waitForURL('**/desktop');
      const [carla] = await asm.objects.repository('Customer').query({ where: { phone: '+3212345678' }, limit: 1 });
      await agent.goto(`${asm.url}/records/customer/${String(carla!['id'])}`);
      await agent.locator('#record-callback').waitFor();
      expect(await agent.getByLabel('Number to call').inputValue()).toBe('+3212345678');
      const tomorrow = new Date(Date.now() + 24 * 3_600_000);
      const pad = (n: number): string => String(n).padStart(2, '0');
      await agent.locator('#rcb-at').fill(`${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}T09:30`);
      await agent.locator('#rcb-note').fill('Explain the new tariff');
      await agent.locator('#btn-record-callback').click();
      await agent.locator('#live', { hasText: 'Callback scheduled for' }).waitFor({ state: 'attached' });
      const scheduled = asm.comms.scheduledCallbacks().find((c) => c.data['note'] === 'Explain the new tariff');
      expect(scheduled).toMatchObject({ queueId: 'support', number: '+3212345678', data: { object: 'Customer', recordId: String(carla!['id']), scheduledBy: 'user:anna' } });
      await agent.getByRole('link', { name: 'Callbacks' }).click();
      await agent.waitForURL('**/callbacks');
      const row = agent.locator(`tr[data-callback="${scheduled!.id}"]`);
      await row.waitFor();
      expect(await row.locator('td').nth(3).textContent()).toBe('Explain the new tariff');
      await agent.screenshot({ path: join(SHOTS, 'callbacks.png') });
      await row.getByRole('button', { name: /^Cancel/ }).click();
      await row.waitFor({ state: 'detached' });
      expect(asm.comms.scheduledCallbacks().some((c) => c.id === scheduled!.id)).toBe(false);
      expect(errors).toEqual([]);
      await ctx.close();
    }, 30_000);

    it('an agent chooses the queues to serve on the desktop', async () => {
      const errors: string[] = [];
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const agent = await ctx.newPage();
      agent.setDefaultTimeout(8000);
      agent.on('pageerror', (e) => errors.push(e.message));
      await asm.comms.logout('anna');
      await login(agent, 'anna');
      await agent.waitForURL('**/desktop');
      await agent.locator('#agent-state[data-state="logged-out"]').waitFor();
      await agent.locator('#queues').waitFor();
      expect(await agent.getByRole('checkbox', { name: 'support' }).isChecked()).toBe(true);
      expect(await agent.getByRole('checkbox', { name: 'billing' }).isChecked()).toBe(false);
      await agent.getByRole('checkbox', { name: 'support' }).uncheck();
      await agent.getByRole('checkbox', { name: 'billing' }).check();
      // Ready (F2) logs in with the queues chosen.
      await agent.keyboard.press('F2');
      await agent.locator('#agent-state[data-state="ready"]').waitFor();
      expect(asm.comms.agentQueues('anna').selected.map((q) => q.queue)).toEqual(['billing']);
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'billing', data: { caller: '+3298765432' } });
      await agent.locator('#offer-title', { hasText: 'call · billing' }).waitFor();
      await agent.screenshot({ path: join(SHOTS, 'desktop-queues.png') });
      await asm.comms.abandon(call.id);
      await agent.getByRole('checkbox', { name: 'support' }).check();
      await agent.getByRole('checkbox', { name: 'billing' }).uncheck();
      await agent.getByRole('button', { name: 'Apply queues' }).click();
      await agent.locator('#live', { hasText: 'Now serving: support' }).waitFor({ state: 'attached' });
      expect(errors).toEqual([]);
      await ctx.close();
    }, 30_000);

    it('a customer on a phone completes a self-service script, goes back, and asks for an agent keeping the answers', async () => {
      const ctx = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true });
      const page = await ctx.newPage();
      page.setDefaultTimeout(8000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
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
      // A real chat: the customer writes while waiting; the agent sees what was entered in the script.
      await page.getByLabel('Message').fill('Hello, about my reading');
      await page.getByLabel('Message').press('Enter');
      await page.locator('#ss-chat-log li', { hasText: 'Hello, about my reading' }).waitFor();
      if (asm.comms.agent('anna').state === 'logged-out') await asm.comms.login('anna');
      const actx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const agent = await actx.newPage();
      agent.setDefaultTimeout(8000);
      await login(agent, 'anna');
      await agent.waitForURL('**/desktop');
      await agent.locator('#offer-title', { hasText: 'chat · support' }).waitFor();
      await agent.keyboard.press('F4');
      await agent.locator('#chat-log li', { hasText: 'Hello, about my reading' }).waitFor();
      await agent.locator('#chat-answers dd', { hasText: '654321' }).waitFor();
      expect(await agent.locator('#chat-answers dt').allTextContents()).toEqual(expect.arrayContaining(['meter', 'reading']));
      await agent.locator('#chat-text:enabled').fill('Thanks! I see meter 654321. What is the reading?');
      await agent.locator('#chat-text').press('Enter');
      await page.locator('#ss-queued', { hasText: 'An agent joined' }).waitFor();
      await page.locator('#ss-chat-log li', { hasText: 'What is the reading?' }).waitFor();
      await page.screenshot({ path: join(SHOTS, 'self-service-chat-phone.png') });
      await agent.screenshot({ path: join(SHOTS, 'desktop-self-service-chat.png') });
      await page.getByRole('button', { name: 'End chat' }).click();
      await page.locator('#ss-queued', { hasText: 'The chat has ended' }).waitFor();
      await agent.locator('#chat-log li', { hasText: 'The chat has ended' }).waitFor();
      await agent.locator('#agent-state[data-state="wrap-up"]').waitFor();
      expect(errors).toEqual([]);
      await actx.close();
      await ctx.close();
    }, 40_000);

    it('the wallboard follows the monitor’s topics (no socket of its own): agents, waiting, queues and the longest wait', async () => {
      const errors: string[] = [];
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const sup = await ctx.newPage();
      sup.setDefaultTimeout(8000);
      sup.on('pageerror', (e) => errors.push(e.message));
      const sockets: string[] = [];
      sup.on('websocket', (ws) => sockets.push(new URL(ws.url()).pathname));
      // Anna is at her desk (a ready agent without a desktop is paused by presence after a few seconds,
      // and an earlier test's closed desktop may still be counting down).
      const actx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const desk = await actx.newPage();
      desk.setDefaultTimeout(8000);
      await login(desk, 'anna');
      await desk.waitForURL('**/desktop');
      // Whatever the earlier tests left (a wrap-up, a pause), Ready makes her ready.
      await desk.locator('#agent-state').waitFor();
      await asm.comms.ready('anna');
      await desk.locator('#agent-state[data-state="ready"]').waitFor();
      await login(sup, 'sam');
      await sup.waitForURL('**/wallboard');
      await sup.locator('[data-state="ready"] .count', { hasText: '1' }).waitFor();
      // queue, waiting, staffed, available, longest wait (h:mm:ss)
      await expectRow(sup, 'support', (c) => c.join('|') === 'support|0|1|1|0:00:00');
      // A queue choice made while logged in reaches the wallboard through the event log.
      await asm.comms.setAgentQueues('anna', [{ queue: 'billing' }]);
      await expectRow(sup, 'support', (c) => c.join('|') === 'support|0|0|0|0:00:00');
      await asm.comms.setAgentQueues('anna', [{ queue: 'support' }]);
      await expectRow(sup, 'support', (c) => c.join('|') === 'support|0|1|1|0:00:00');
      await asm.comms.pause('anna', 'break');
      await sup.locator('[data-state="paused"] .count', { hasText: '1' }).waitFor();
      await expectRow(sup, 'support', (c) => c.join('|') === 'support|0|1|0|0:00:00');
      // An e-mail waiting since three hours counts as waiting, not for the longest wait (of a caller).
      const mail = await asm.comms.enqueue({ channel: 'email', queueId: 'support', enteredAt: Date.now() - 3 * 3_600_000, data: { subject: 'meter' } });
      await sup.locator('#wb-waiting-count', { hasText: /^1$/ }).waitFor();
      await expectRow(sup, 'support', (c) => c.join('|') === 'support|1|1|0|0:00:00');
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3299999999' } });
      await sup.locator('#wb-waiting-count', { hasText: /^2$/ }).waitFor();
      await expectRow(sup, 'support', (c) => c.slice(0, 4).join('|') === 'support|2|1|0');
      // The longest wait goes on growing by the server's clock while no event comes.
      const seconds = (cell: string): number => cell.split(':').reduce((sum, x) => sum * 60 + Number(x), 0);
      await expectRow(sup, 'support', (c) => seconds(c[4]!) >= 2 && seconds(c[4]!) < 60, 6000);
      await asm.comms.abandon(call.id);
      await asm.comms.exit(mail.id, 'key'); // out of line for the tests that follow
      await sup.locator('#wb-waiting-count', { hasText: /^0$/ }).waitFor();
      await asm.comms.logout('anna');
      await sup.locator('[data-state="logged-out"] .count', { hasText: '1' }).waitFor();
      await expectRow(sup, 'support', (c) => c.join('|') === 'support|0|0|0|0:00:00');
      expect(sockets).toContain('/ws/monitor');
      expect(sockets).not.toContain('/ws/wallboard');
      expect(errors).toEqual([]);
      await actx.close();
      await ctx.close();
    }, 40_000);
  });
});

/** Waits (bounded) until the wallboard's row of `queue` satisfies `ok`, then checks it once more. */
async function expectRow(page: Page, queue: string, ok: (cells: string[]) => boolean, timeoutMs = 5000): Promise<void> {
  const row = page.locator('#wallboard tbody tr', { has: page.locator('td:first-child', { hasText: new RegExp(`^${queue}$`) }) });
  const cells = async (): Promise<string[]> => ((await row.count()) === 1 ? row.locator('td').allTextContents() : []);
  const until = Date.now() + timeoutMs;
  while (!ok(await cells()) && Date.now() < until) await page.waitForTimeout(50);
  expect({ queue, cells: await cells(), ok: ok(await cells()) }).toEqual(expect.objectContaining({ ok: true }));
}

async function expectValue(page: Page, selector: string, value: string): Promise<void> {
  const until = Date.now() + 5000;
  while ((await page.locator(selector).inputValue()) !== value && Date.now() < until) await page.waitForTimeout(50);
  expect(await page.locator(selector).inputValue()).toBe(value);
}
