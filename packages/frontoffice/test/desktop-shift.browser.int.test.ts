import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedTelephony, systemClock } from '@caruso/comms';
import { BUILTIN_REPORTS, runReport } from '@caruso/monitor';
import { StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import type { Browser, Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { sendMail, startRelay, until, type TestRelay } from './smtp-helpers.js';
import { deskPage, launchChromium, seriousFindings } from '@caruso/frontoffice/testing';
import { mustOpen } from './ws-helpers.js';

const PW = 'correct horse battery';
const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');
const CONTACTS = 40;
const CODES = ['solved', 'follow-up'] as const;

type Kind = 'call' | 'chat' | 'email' | 'callback';
interface Handled {
  readonly i: number;
  readonly kind: Kind;
  readonly contactId: string;
  readonly customerId: string;
  readonly code: string;
}

const pad = (i: number): string => String(i).padStart(2, '0');
const nameOf = (i: number): string => `Shift Customer${pad(i)}`;
const phoneOf = (i: number): string => `+32400000${pad(i)}`;

/**
 * One agent works a shift in Chromium: 40 mixed contacts (calls through the simulated telephony,
 * chats through the chat channel, e-mails through the SMTP channel, callbacks), with reloads,
 * in-desktop navigation and a lost socket in between. At the end every wrap-up is on its contact's
 * customer, every contact entered and ended once in the contact event log, and the agent's time in
 * each state adds up to the time logged in.
 */
describe('an agent’s shift on the desktop (40 mixed contacts in a real Chromium)', () => {
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
    let telephony: SimulatedTelephony;
    const customers: string[] = [];

    beforeAll(async () => {
      telephony = new SimulatedTelephony(systemClock);
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        queues: [{ id: 'support', wrapUpMs: 600_000 }, { id: 'sales', wrapUpMs: 600_000 }],
        // bert serves another queue and is logged out during the shift: a colleague to consult.
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }, { id: 'bert', queues: [{ queueId: 'sales' }] }],
        users: [{ name: 'anna', role: 'agent', agentId: 'anna', password: PW }],
        chat: { queueId: 'support', port: 0 },
        email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
        relay: { port: relay.port, from: 'Support <support@caruso.test>' },
        telephony,
      });
      const repo = asm.objects.repository('Customer');
      for (let i = 0; i < CONTACTS; i++) {
        customers.push(String((await repo.create({ firstName: 'Shift', lastName: `Customer${pad(i)}`, phone: phoneOf(i), email: `c${pad(i)}@example.org` }, { actor: 'test' }))['id']));
        // A callback's dialled leg answers quickly and stays on the line until the agent hangs up.
        telephony.setDestination(phoneOf(i), { result: 'answered', resultAfterMs: 100, talkMs: 600_000 });
      }
    }, 90_000);

    afterAll(async () => {
      await asm?.stop();
      telephony?.dispose();
    });

    it('every wrap-up lands on its contact’s customer, no contact is lost or doubled, and the agent’s time adds up', async () => {
      const { ctx, page, problems: errors } = await deskPage(browser, asm.url, 'anna', PW, { timeoutMs: 10_000 });
      await page.locator('#agent-state[data-state="logged-out"]').waitFor();
      const startedAt = asm.comms.now();
      await page.keyboard.press('F2');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      const desk = page.url();
      const handled: Handled[] = [];
      /** Where the page was after each in-desktop navigation: always the desktop. */
      const urls: string[] = [];
      /** The chats reloaded during: still connected to the agent right after the reload. */
      const reloadedChats: { id: string; state: string | undefined; agents: readonly string[] | undefined }[] = [];

      for (let i = 0; i < CONTACTS; i++) {
        const kind: Kind = (['call', 'chat', 'email', 'callback'] as const)[i % 4]!;
        const code = CODES[i % 2]!;
        const before = new Set(asm.comms.agent('anna').contactIds);
        let contactId: string;
        let customer: Awaited<ReturnType<typeof mustOpen>> | undefined;

        if (kind === 'call') {
          const callId = telephony.placeInboundCall({ from: phoneOf(i), to: 'main', talkMs: 600_000 });
          // The agent's phone answers by itself (the simulated endpoint): the desktop follows.
          await page.locator('[role="tab"][aria-selected="true"]', { hasText: `Customer${pad(i)}` }).waitFor();
          await page.locator('#prompt', { hasText: 'What kind of fault' }).waitFor();
          await page.keyboard.press('1');
          await page.locator('#prompt', { hasText: 'postcode' }).waitFor();
          if (i % 8 === 0) {
            await page.reload();
            await page.locator('#prompt', { hasText: 'postcode' }).waitFor();
          }
          if (i === 4 || i === 20) {
            // A lost socket: the desktop reconnects and shows the same call.
            await page.evaluate(`document.querySelector('caruso-desktop').dropSockets()`);
            await page.waitForTimeout(300);
            await page.locator('#link-state', { hasText: /^$/ }).waitFor({ state: 'attached' });
          }
          await page.locator('#answer').fill('4321 XY');
          await page.locator('#answer').press('Enter');
          await page.locator('#script-done').waitFor();
          contactId = callId;
        } else if (kind === 'chat') {
          const opened = await asm.chat!.openChat({ customerName: nameOf(i), subject: `Question ${i}` });
          customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
          customer.send({ type: 'auth', token: opened.token });
          await customer.next((f) => f.type === 'welcome');
          customer.send({ type: 'message', text: `Hello, this is customer ${i}` });
          await page.locator('#btn-accept').waitFor();
          await page.keyboard.press('F4');
          await page.locator('#chat-log li', { hasText: `Hello, this is customer ${i}` }).waitFor();
          await linkBySearch(page, i);
          if (i % 8 === 5) {
            // A reload during the chat: the chat stays with the agent (the chat channel's grace for a
            // desk that comes back), with its transcript and its customer; nothing goes back in line.
            await page.reload();
            await page.locator('#chat-log li', { hasText: `Hello, this is customer ${i}` }).waitFor();
            reloadedChats.push({ id: opened.chatId, state: asm.comms.contact(opened.chatId)?.state, agents: asm.comms.contact(opened.chatId)?.agentIds });
          }
          await page.locator('#chat-text:enabled').fill(`Thanks, customer ${i}`);
          await page.locator('#chat-text').press('Enter');
          await customer.next((f) => f.type === 'message' && f['from'] === 'agent');
          contactId = opened.chatId;
        } else if (kind === 'email') {
          await sendMail(asm.email!.address()!.port, { from: `${nameOf(i)} <c${pad(i)}@example.org>`, to: 'support@caruso.test', subject: `Invoice ${i}`, text: `Please check invoice ${i}.` });
          await page.locator('#btn-accept').waitFor();
          await page.keyboard.press('F4');
          await page.locator('.mail-body', { hasText: `Please check invoice ${i}.` }).waitFor();
          if (i % 10 === 2) {
            await page.reload();
            await page.locator('.mail-body', { hasText: `Please check invoice ${i}.` }).waitFor();
          }
          await linkBySearch(page, i);
          await page.locator('#reply-text').fill(`Dear customer ${i}, corrected.`);
          await page.locator('#btn-reply').click();
          await page.locator('.mail.outbound').waitFor();
          contactId = asm.comms.agent('anna').contactIds.find((x) => !before.has(x))!;
        } else {
          const cb = await asm.comms.scheduleCallback({ number: phoneOf(i), queueId: 'support', at: asm.comms.now() + 200, data: { object: 'Customer', recordId: customers[i]! } });
          // The callback rings for the agent when due; Accept (F4) takes it, the customer's number is dialled.
          await page.locator('#btn-accept').waitFor();
          await page.keyboard.press('F4');
          await page.locator('[role="tab"][aria-selected="true"]', { hasText: `Customer${pad(i)}` }).waitFor();
          contactId = cb.id;
        }
        expect(contactId).toBeTruthy();

        if (i % 7 === 3) {
          // In-desktop navigation: another customer opened from the search, then back; the contact stays.
          const other = (i + 1) % CONTACTS;
          await page.keyboard.press('Control+k');
          await page.keyboard.type(`Customer${pad(other)}`);
          await page.getByRole('button', { name: `Open ${nameOf(other)}` }).click();
          await page.locator('#customer-name', { hasText: nameOf(other) }).waitFor();
          await page.locator('#btn-panel-customer').click();
          await page.locator('#customer-name', { hasText: nameOf(i) }).waitFor();
          urls.push(page.url());
        }

        await page.locator('#wrap-customer', { hasText: nameOf(i) }).waitFor();
        await page.keyboard.press('F8');
        if (customer) {
          await customer.next((f) => f.type === 'ended');
          await customer.close();
        }
        await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
        await page.locator('#wrap-code').selectOption(code);
        await page.locator('#wrap-notes').fill(`contact ${i} (${kind})`);
        await page.keyboard.press('F9');
        await page.locator('#agent-state[data-state="ready"]').waitFor();
        await until(() => asm.comms.agent('anna').state === 'ready', `anna ready after contact ${i}`);
        handled.push({ i, kind, contactId, customerId: customers[i]!, code });
      }
      // Click-to-dial from the record the idle desktop keeps open (the last customer): an outbound call.
      const last = CONTACTS - 1;
      await page.locator('#customer-name', { hasText: nameOf(last) }).waitFor();
      await page.getByRole('button', { name: `Call ${phoneOf(last)}` }).click();
      await page.locator('[role="tab"][aria-selected="true"]', { hasText: nameOf(last) }).waitFor();
      await page.locator('#btn-hangup').waitFor();
      const dialled = asm.comms.agent('anna').contactIds[0]!;
      expect(asm.comms.contact(dialled)).toMatchObject({ channel: 'call', direction: 'outbound', customer: { object: 'Customer', id: customers[last] } });
      await page.keyboard.press('F8');
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await page.locator('#wrap-notes').fill('called back by click-to-dial');
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      await page.screenshot({ path: join(SHOTS, 'desktop-shift-end.png') });
      await asm.comms.logout('anna');
      const endedAt = asm.comms.now();
      expect(errors).toEqual([]);
      expect(urls.length).toBeGreaterThan(4);
      expect(reloadedChats.length).toBe(5);
      for (const c of reloadedChats) expect(c).toEqual({ id: c.id, state: 'connected', agents: ['anna'] });
      expect(new Set(urls)).toEqual(new Set([desk]));
      await ctx.close();

      // The right customer: each wrap-up is in its own customer's history, in no one else's.
      for (const h of handled) {
        const history = await asm.comms.history('Customer', h.customerId);
        expect([h.i, history.find((r) => r.contactId === h.contactId)]).toEqual([h.i, expect.objectContaining({ agentId: 'anna', disposition: h.code, note: `contact ${h.i} (${h.kind})` })]);
        const elsewhere = await asm.comms.history('Customer', customers[(h.i + 1) % CONTACTS]!);
        expect(elsewhere.some((r) => r.contactId === h.contactId)).toBe(false);
      }
      expect((await asm.comms.history('Customer', customers[last]!)).find((r) => r.contactId === dialled)).toMatchObject({ direction: 'outbound', note: 'called back by click-to-dial' });
      // Nothing lost or doubled: every contact entered a queue once, ended once, got one disposition.
      await asm.events.flush();
      const events = await asm.events.read({ limit: 100_000 });
      const count = (kind: string, id: string): number => events.filter((e) => e.kind === kind && 'contactId' in e && e.contactId === id).length;
      expect(handled.map((h) => [h.i, count('queue-entered', h.contactId), count('completed', h.contactId), count('disposition', h.contactId)]))
        .toEqual(handled.map((h) => [h.i, 1, 1, 1]));
      expect(new Set(handled.map((h) => h.contactId)).size).toBe(CONTACTS);

      // The agent's time: the states' seconds (monitor's agents report, from the log) add up to the time logged in.
      const agents = BUILTIN_REPORTS.find((r) => r.name === 'agents')!;
      const report = await runReport(asm.manager.get(StorageManager), agents, { from: startedAt - 60_000, to: endedAt + 60_000, agent: ['anna'] });
      const row = report.rows.find((r) => r['agent'] === 'anna')!;
      const n = (k: string): number => Number(row[k] ?? 0);
      const loggedIn = (endedAt - startedAt) / 1000;
      expect(Math.abs(n('loggedInSeconds') - loggedIn)).toBeLessThan(3);
      expect(Math.abs(n('readySeconds') + n('reservedSeconds') + n('busySeconds') + n('wrapUpSeconds') + n('pausedSeconds') - n('loggedInSeconds'))).toBeLessThan(2);
    }, 240_000);

    it('a consultative transfer from the dialog: the customer waits on hold, the colleague answers, the call is theirs (cancelled once with Alt+X, completed with Alt+T)', async () => {
      const { ctx, page, problems: errors } = await deskPage(browser, asm.url, 'anna', PW, { timeoutMs: 10_000 });
      if (asm.comms.agent('anna').state !== 'ready') await page.keyboard.press('F2');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      await asm.comms.login('bert');
      const callId = telephony.placeInboundCall({ from: phoneOf(1), to: 'main', talkMs: 600_000 });
      await page.locator('[role="tab"][aria-selected="true"]', { hasText: nameOf(1) }).waitFor();
      await page.keyboard.press('Alt+T');
      await page.locator('#transfer-dialog[open]').waitFor();
      await page.getByLabel('Agent', { exact: true }).selectOption('bert');
      await page.getByLabel('Talk to them first (consultative transfer)').check();
      await page.locator('#btn-transfer-go').click();
      await page.locator('#consult', { hasText: 'bert' }).waitFor();
      expect(asm.comms.contact(callId)?.held).toBe(true);
      await page.locator('#consult', { hasText: 'answered' }).waitFor();
      // The consultation's bar with its three ways out passes axe too.
      expect(await seriousFindings(page)).toEqual([]);
      await page.screenshot({ path: join(SHOTS, 'desktop-consult.png') });
      // Alt+X cancels the consultation: back to the customer, who is no longer on hold.
      await page.keyboard.press('Alt+X');
      await page.locator('#consult').waitFor({ state: 'detached' });
      await until(() => asm.comms.contact(callId)?.held === false, 'the customer back from hold');
      // Again, and this time Alt+T completes the transfer from the keyboard.
      await page.keyboard.press('Alt+T');
      await page.locator('#transfer-dialog[open]').waitFor();
      await page.getByLabel('Agent', { exact: true }).selectOption('bert');
      await page.getByLabel('Talk to them first (consultative transfer)').check();
      await page.locator('#btn-transfer-go').click();
      await page.locator('#consult', { hasText: 'answered' }).waitFor();
      await page.keyboard.press('Alt+T');
      await until(() => asm.comms.contact(callId)?.agentIds.includes('bert') === true && !asm.comms.contact(callId)!.agentIds.includes('anna'), 'the call is bert\'s');
      await page.locator('#agent-state[data-state="wrap-up"], #agent-state[data-state="ready"]').waitFor();
      if (asm.comms.agent('anna').state === 'wrap-up') {
        await page.keyboard.press('F9');
        await page.locator('#agent-state[data-state="ready"]').waitFor();
      }
      expect(errors).toEqual([]);
      await asm.comms.hangUp(callId);
      await ctx.close();
    }, 60_000);
  });
});

/** Finds the customer of contact `i` with the desktop's search (Ctrl+K) and links it to the contact. */
async function linkBySearch(page: Page, i: number): Promise<void> {
  await page.keyboard.press('Control+k');
  await page.keyboard.type(`Customer${pad(i)}`);
  await page.getByRole('button', { name: `Link to this contact: ${nameOf(i)}` }).click();
  await page.locator('#wrap-customer', { hasText: nameOf(i) }).waitFor();
}
