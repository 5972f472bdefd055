import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { forEachDatabase } from '@caruso/storage/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { sendMail, startRelay, until, type TestRelay } from './smtp-helpers.js';
import { deskPage, expectValue, launchChromium, seriousFindings } from '@caruso/frontoffice/testing';
import { mustOpen } from './ws-helpers.js';

const PW = 'correct horse battery';
const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');
/** `CARUSO_DOCS_SCREENSHOTS=1`: the views are also written into docs/images for docs/agent-guide.md (from the SQLite run). */
const DOCS = process.env['CARUSO_DOCS_SCREENSHOTS'] ? join(process.cwd(), 'docs', 'images') : undefined;
const CARLA = '+3212345678';

describe('the agent desktop in a real Chromium: every view accessible, its state from the server', () => {
  let browser: Browser;
  let relay: TestRelay;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    relay = await startRelay();
    browser = await launchChromium();
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  forEachDatabase((db) => {
    let asm: TestAssembly;
    let carla: string;
    let dirk: string;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        queues: [{ id: 'support', wrapUpMs: 600_000 }, { id: 'billing' }],
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }], selectableQueues: ['billing'] }, { id: 'bert', queues: [{ queueId: 'billing' }] }],
        users: [
          { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
          { name: 'bert', role: 'agent', agentId: 'bert', password: PW },
        ],
        chat: { queueId: 'support', port: 0 },
        email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
        relay: { port: relay.port, from: 'Support <support@caruso.test>' },
      });
      const customers = asm.objects.repository('Customer');
      carla = String((await customers.create({ firstName: 'Carla', lastName: 'Caller', phone: CARLA, email: 'carla@example.org' }, { actor: 'test' }))['id']);
      dirk = String((await customers.create({ firstName: 'Dirk', lastName: 'Dialler', phone: '+3211111111' }, { actor: 'test' }))['id']);
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    /** anna's desktop; `errors` has the page's errors and content-security-policy violations. */
    async function agentPage(): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
      const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW);
      return { ctx, page, errors: problems };
    }

    async function ready(page: Page): Promise<void> {
      if (asm.comms.agent('anna').state !== 'ready') await page.keyboard.press('F2');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
    }

    async function expectAccessible(page: Page, view: string, shot?: string): Promise<void> {
      expect([view, await seriousFindings(page)]).toEqual([view, []]);
      if (!shot) return;
      await page.screenshot({ path: join(SHOTS, shot) });
      if (DOCS && db.dialect === 'sqlite') await page.screenshot({ path: join(DOCS, shot) });
    }

    it('every view passes axe: idle, offer, call with its script, customer search, transfer, chat, e-mail reply, wrap-up', async () => {
      const { ctx, page, errors } = await agentPage();
      await page.locator('#desk-help summary').click();
      await expectAccessible(page, 'idle with the keys', 'desktop-keys.png');
      await page.locator('#desk-help summary').click();
      await ready(page);
      await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
      await page.locator('#btn-accept').waitFor();
      await page.locator('#customer-name', { hasText: 'Carla Caller' }).waitFor();
      expect(await page.evaluate('document.activeElement?.id')).toBe('btn-accept');
      await expectAccessible(page, 'offer ringing', 'desktop-offer.png');
      await page.keyboard.press('F4');
      await page.locator('#prompt', { hasText: 'What kind of fault' }).waitFor();
      await page.locator('#btn-hold').waitFor();
      await expectAccessible(page, 'call connected with its script', 'desktop-call-controls.png');
      await page.keyboard.press('Control+k');
      await page.locator('#customer-search').waitFor();
      expect(await page.evaluate('document.activeElement?.id')).toBe('customer-search');
      await page.keyboard.type('Dirk');
      await page.locator('#search-results li', { hasText: 'Dirk Dialler' }).waitFor();
      await expectAccessible(page, 'customer panel with search', 'desktop-customer-search.png');
      await page.keyboard.press('Alt+T');
      await page.locator('#transfer-dialog[open]').waitFor();
      await expectAccessible(page, 'transfer dialog', 'desktop-transfer.png');
      await page.keyboard.press('Escape');
      await page.locator('#transfer-dialog[open]').waitFor({ state: 'detached' });
      await page.keyboard.press('F8');
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      expect(await page.evaluate('document.activeElement?.id')).toBe('wrap-code');
      await expectAccessible(page, 'wrap-up', 'desktop-wrap-up.png');
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();

      const opened = await asm.chat!.openChat({ customerName: 'Carla', subject: 'Meter' });
      const customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
      try {
        customer.send({ type: 'auth', token: opened.token });
        await customer.next((f) => f.type === 'welcome');
        customer.send({ type: 'message', text: 'Hello, it is Carla' });
        await page.locator('#btn-accept').waitFor();
        await page.keyboard.press('F4');
        await page.locator('#chat-log li', { hasText: 'Hello, it is Carla' }).waitFor();
        await page.locator('#chat-text:enabled').waitFor();
        customer.send({ type: 'message', text: 'Are you there?' });
        await page.locator('#chat-log li', { hasText: 'Are you there?' }).waitFor();
        await expectAccessible(page, 'chat', 'desktop-chat.png');
        await page.keyboard.press('F8');
        await customer.next((f) => f.type === 'ended');
      } finally {
        await customer.close();
      }
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();

      await sendMail(asm.email!.address()!.port, { from: 'carla@example.org', to: 'support@caruso.test', subject: 'My invoice', text: 'Please check it.', attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' }] });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('#reply-text').waitFor();
      await page.locator('.mail-body', { hasText: 'Please check it.' }).waitFor();
      await page.locator('#reply-text').fill('Dear Carla, we checked it.');
      await expectAccessible(page, 'e-mail reply', 'desktop-email-reply.png');
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      expect(errors).toEqual([]);
      await ctx.close();
    }, 60_000);

    it('a reload during a call shows the same call, script step, customer and hold; then the wrap-up with its draft', async () => {
      const { ctx, page, errors } = await agentPage();
      await ready(page);
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('#prompt', { hasText: 'What kind of fault' }).waitFor();
      await page.keyboard.press('1');
      await page.locator('#prompt', { hasText: 'postcode' }).waitFor();
      await page.keyboard.press('Alt+H');
      await page.locator('#call-held').waitFor();
      expect(asm.comms.contact(call.id)?.held).toBe(true);

      await page.reload();
      await page.locator('#prompt', { hasText: 'postcode' }).waitFor();
      await page.locator('#customer-name', { hasText: 'Carla Caller' }).waitFor();
      await page.locator('#call-held').waitFor();
      expect(await page.locator('[role="tab"]').allTextContents()).toEqual([expect.stringContaining('Carla Caller')]);
      await page.keyboard.press('Alt+H');
      await page.locator('#call-held').waitFor({ state: 'detached' });
      await page.locator('#answer').fill('4321 XY');
      await page.locator('#answer').press('Enter');
      await page.locator('#script-done').waitFor();
      await page.keyboard.press('F8');
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await page.locator('#wrap-code').selectOption('follow-up');
      await page.locator('#wrap-notes').fill('Call back about the meter');
      await page.waitForTimeout(700);

      await page.reload();
      await page.locator('#wrap-notes').waitFor();
      await expectValue(page, '#wrap-notes', 'Call back about the meter');
      await expectValue(page, '#wrap-code', 'follow-up');
      await page.locator('#wrap-customer', { hasText: 'Carla Caller' }).waitFor();
      await page.screenshot({ path: join(SHOTS, 'desktop-wrap-up-after-reload.png') });
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      const history = await asm.comms.history('Customer', carla);
      expect(history.find((r) => r.contactId === call.id)).toMatchObject({ disposition: 'follow-up', note: 'Call back about the meter' });
      expect(errors).toEqual([]);
      await ctx.close();
    }, 45_000);

    it('a call is transferred blind to a queue from the transfer dialog (Alt+T); it leaves the desk (a first one rejected with Alt+R)', async () => {
      const { ctx, page, errors } = await agentPage();
      await ready(page);
      // Alt+R rejects the ringing offer: it leaves the screen, and the log says anna declined it.
      const declined = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('Alt+R');
      await page.locator('#btn-accept').waitFor({ state: 'detached' });
      const deadline = Date.now() + 5_000;
      while (!(await asm.events.read({ contactId: declined.id })).some((e) => e.kind === 'rejected' && e.agentId === 'anna')) {
        if (Date.now() > deadline) throw new Error('timed out waiting for the offer rejected in the log');
        await new Promise((r) => setTimeout(r, 20));
      }
      await asm.comms.abandon(declined.id);
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      await asm.comms.login('bert');
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('#btn-hangup').waitFor();
      await page.keyboard.press('Alt+T');
      await page.locator('#transfer-dialog[open]').waitFor();
      await page.getByRole('radio', { name: 'A queue' }).check();
      await page.getByLabel('Queue', { exact: true }).selectOption('billing');
      await page.locator('#btn-transfer-go').click();
      // A blind transfer hands the call over: it rings for bert in billing, and anna wraps up her part
      // (F9 files it) and is free.
      await until(() => asm.comms.contact(call.id)?.queueId === 'billing' && asm.comms.contact(call.id)?.agentIds.includes('bert') === true, 'the call ringing for bert in billing');
      await page.locator('#live', { hasText: 'Transferred' }).waitFor({ state: 'attached' });
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await page.locator('#wrap-code').selectOption('follow-up');
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      expect(await page.locator('[role="tab"]').count()).toBe(0);
      expect((await asm.events.read({ contactId: call.id })).some((e) => e.kind === 'disposition' && e.agentId === 'anna')).toBe(true);
      expect(errors).toEqual([]);
      await asm.comms.abandon(call.id).catch(() => undefined);
      await ctx.close();
    }, 30_000);

    it('a call offered during a chat gets its own tab; each wrap-up goes to its own contact’s customer', async () => {
      const { ctx, page, errors } = await agentPage();
      await ready(page);
      const opened = await asm.chat!.openChat({ customerName: 'Carla', subject: 'Two at once' });
      const customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
      try {
        customer.send({ type: 'auth', token: opened.token });
        await customer.next((f) => f.type === 'welcome');
        customer.send({ type: 'message', text: 'Carla here, about my meter' });
        await page.locator('#btn-accept').waitFor();
        await page.keyboard.press('F4');
        await page.locator('#chat-log li', { hasText: 'Carla here' }).waitFor();
        await page.keyboard.press('Control+k');
        await page.keyboard.type('Caller');
        await page.getByRole('button', { name: 'Link to this contact: Carla Caller' }).click();
        await page.locator('#wrap-customer', { hasText: 'Carla Caller' }).waitFor();
        await page.locator('#chat-text:enabled').click();
        await page.keyboard.type('One moment');

        // Dirk calls while anna types in the chat: the offer is announced, the focus stays in the chat.
        const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3211111111' } });
        await page.locator('#btn-accept').waitFor();
        expect(await page.evaluate('document.activeElement?.id')).toBe('chat-text');
        await page.keyboard.press('F4');
        await page.locator('[role="tab"][aria-selected="true"]', { hasText: 'call · Dirk Dialler' }).waitFor();
        await page.locator('#wrap-customer', { hasText: 'Dirk Dialler' }).waitFor();
        await page.keyboard.press('F8');
        await page.locator('[role="tab"][aria-selected="true"]', { hasText: 'Wrap-up' }).waitFor();
        await page.locator('#wrap-notes').fill('Dirk: meter swapped');
        await page.keyboard.press('F9');
        await page.locator('[role="tab"]', { hasText: 'call · Dirk Dialler' }).waitFor({ state: 'detached' });

        // Back on the chat: its text is still there, and it is Carla's.
        await page.locator('[role="tab"][aria-selected="true"]', { hasText: 'chat · Carla Caller' }).waitFor();
        await expectValue(page, '#chat-text', 'One moment');
        await page.locator('#chat-text').press('Enter');
        await customer.next((f) => f.type === 'message' && f['text'] === 'One moment');
        await page.keyboard.press('F8');
        await customer.next((f) => f.type === 'ended');
        await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
        await page.locator('#wrap-customer', { hasText: 'Carla Caller' }).waitFor();
        await page.locator('#wrap-notes').fill('Carla: meter reading noted');
        await page.keyboard.press('F9');
        await page.locator('#agent-state[data-state="ready"]').waitFor();
        expect((await asm.comms.history('Customer', dirk)).find((r) => r.contactId === call.id)).toMatchObject({ note: 'Dirk: meter swapped' });
        expect((await asm.comms.history('Customer', carla)).find((r) => r.contactId === opened.chatId)).toMatchObject({ note: 'Carla: meter reading noted' });
        expect((await asm.comms.history('Customer', carla)).some((r) => r.contactId === call.id)).toBe(false);
      } finally {
        await customer.close();
      }
      expect(errors).toEqual([]);
      await ctx.close();
    }, 45_000);

    it('a caller nobody knows: the agent creates the customer in the desktop and the wrap-up goes there', async () => {
      const { ctx, page, errors } = await agentPage();
      await ready(page);
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3299887766' } });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('#no-match').waitFor();
      expect(await page.locator('#f-phone').inputValue()).toBe('+3299887766');
      await page.locator('#f-firstName').fill('Nina');
      await page.locator('#f-lastName').fill('New');
      await page.getByRole('button', { name: 'Create customer' }).click();
      await page.locator('#customer-name', { hasText: 'Nina New' }).waitFor();
      await page.locator('#wrap-customer', { hasText: 'Nina New' }).waitFor();
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      const [nina] = await asm.objects.repository('Customer').query({ where: { phone: '+3299887766' }, limit: 1 });
      expect((await asm.comms.history('Customer', String(nina!['id']))).find((r) => r.contactId === call.id)).toMatchObject({ agentId: 'anna' });
      expect(errors).toEqual([]);
      await ctx.close();
    }, 30_000);

    it('a customer created on a call who looks like one already known is shown with that one, to open and link instead', async () => {
      const { ctx, page, errors } = await agentPage();
      await ready(page);
      // Carla calls from another number: the agent, not finding her, starts a new customer with her name.
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3299000111' } });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('#no-match').waitFor();
      await page.locator('#f-firstName').fill('Carla');
      await page.locator('#f-lastName').fill('Caller');
      await page.getByRole('button', { name: 'Create customer' }).click();
      const dupes = page.locator('.desk-duplicates');
      await dupes.locator('li', { hasText: 'Carla Caller' }).waitFor();
      expect(await dupes.textContent()).toMatch(/same name/i);
      expect(await seriousFindings(page)).toEqual([]);
      // The known one: opened in the panel and linked to this call; the wrap-up goes there.
      await dupes.getByRole('button', { name: /^Open Carla Caller/ }).click();
      await page.waitForFunction(`document.querySelector('#f-phone')?.value === ${JSON.stringify(CARLA)}`);
      await page.getByRole('button', { name: 'Link to this contact' }).click();
      await until(() => asm.comms.customerOf(call.id)?.id === carla, 'the call linked to the known Carla');
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      expect((await asm.comms.history('Customer', carla)).some((r) => r.contactId === call.id)).toBe(true);
      expect(errors).toEqual([]);
      await ctx.close();
    }, 30_000);

    it('closing the browser while ready pauses the agent (disconnected); opening the desktop again makes them ready', async () => {
      const first = await agentPage();
      await ready(first.page);
      await first.ctx.close();
      await until(() => asm.comms.agent('anna').state === 'paused' && asm.comms.agent('anna').pauseReason === 'disconnected', 'anna paused: disconnected', 15_000);
      const again = await agentPage();
      await again.page.locator('#agent-state[data-state="ready"]').waitFor();
      expect(first.errors).toEqual([]);
      expect(again.errors).toEqual([]);
      await again.ctx.close();
    }, 40_000);

    it('says the agent’s state in words, with the pause reason’s label', async () => {
      const { ctx, page, errors } = await agentPage();
      await ready(page);
      expect(await page.locator('#agent-state').textContent()).toBe('Ready');
      await page.locator('#pause-reason').selectOption('training');
      await page.keyboard.press('F3');
      await page.locator('#agent-state[data-state="paused"]').waitFor();
      expect(await page.locator('#agent-state').textContent()).toBe('Paused (Training)');
      await page.keyboard.press('F2');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      expect(errors).toEqual([]);
      await ctx.close();
    }, 30_000);

    it('an expired session takes the desktop to the log-in page and, after logging in, back to the desktop', async () => {
      const { ctx, page, errors } = await agentPage();
      await ctx.clearCookies();
      await page.keyboard.press('F3');
      await page.waitForURL(/\/login\?next=%2Fdesktop$/);
      await page.getByLabel('User name').fill('anna');
      await page.getByLabel('Password').fill(PW);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL('**/desktop');
      await page.locator('#agent-state', { hasText: /[a-z]/ }).waitFor();
      expect(errors).toEqual([]);
      await ctx.close();
    }, 30_000);

    it('the record panel searches, opens and links another customer inside the desktop; the contact stays and its wrap-up goes there', async () => {
      const { ctx, page, errors } = await agentPage();
      await ready(page);
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('#btn-hangup').waitFor();
      const at = page.url();
      await page.keyboard.press('Control+k');
      await page.keyboard.type('Dialler');
      await page.getByRole('button', { name: 'Open Dirk Dialler' }).click();
      await page.locator('#customer-name', { hasText: 'Dirk Dialler' }).waitFor();
      expect(page.url()).toBe(at);
      expect(await page.locator('#btn-hangup').count()).toBe(1);
      await page.locator('#btn-link-customer').click();
      await page.locator('#wrap-customer', { hasText: 'Dirk Dialler' }).waitFor();
      await page.screenshot({ path: join(SHOTS, 'desktop-customer-linked.png') });
      await page.keyboard.press('F8');
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await page.locator('#wrap-notes').fill('Dirk called from Carla’s phone');
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      expect((await asm.comms.history('Customer', dirk)).find((r) => r.contactId === call.id)).toMatchObject({ note: 'Dirk called from Carla’s phone' });
      expect((await asm.comms.history('Customer', carla)).some((r) => r.contactId === call.id)).toBe(false);
      expect(errors).toEqual([]);
      await ctx.close();
    }, 45_000);

    it('accepting an offer keeps the customer’s record as it was while it rang: the same form, what was typed, no second read', async () => {
      const { ctx, page, errors } = await agentPage();
      await ready(page);
      await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
      await page.locator('#btn-accept').waitFor();
      await page.locator('#customer-name', { hasText: 'Carla Caller' }).waitFor();
      await page.evaluate("document.querySelector('#contact-view desk-record-form').dataset.seen = 'ringing'");
      await page.locator('#f-postcode').fill('3701 AB');
      const reads: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'GET' && r.url().includes(`/api/objects/Customer/${carla}`)) reads.push(r.url());
      });
      await page.keyboard.press('F4');
      await page.locator('#btn-hangup').waitFor();
      await page.locator('#btn-hold').waitFor();
      expect(await page.evaluate("document.querySelector('#contact-view desk-record-form')?.dataset.seen")).toBe('ringing');
      expect(await page.locator('#f-postcode').inputValue()).toBe('3701 AB');
      expect(reads).toEqual([]);
      await page.keyboard.press('F8');
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      expect(errors).toEqual([]);
      await ctx.close();
    }, 45_000);
  });
});
