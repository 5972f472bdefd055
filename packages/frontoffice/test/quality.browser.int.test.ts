// Quality management clicked in a real Chromium: the agent pauses and resumes a call's recording from
// the desktop (the recorder of the communication server, the log has recording-paused); a supervisor
// picks Listen on the wallboard's menu of busy agents (the simulated telephony cannot monitor: the
// page shows the server's coded 409); the supervisor watches a live chat and sends a private note
// that appears, marked private, in the agent's chat panel and never in the customer's window; after
// the call, the customer's history has the recording's player, served by the audited route.
import { forEachDatabase } from '@caruso/storage/testing';
import type { Browser, Page } from 'playwright-core';
import { deskPage, launchChromium, logIn, seriousFindings, watchedPage } from '@caruso/frontoffice/testing';
import { startQualityAssembly, type QualityAssembly } from './quality-assembly.js';
import { until } from './smtp-helpers.js';
import { mustOpen } from './ws-helpers.js';

const PW = 'correct horse battery';
const USERS = [
  { name: 'anna', role: 'agent' as const, agentId: 'anna', password: PW },
  { name: 'bob', role: 'agent' as const, agentId: 'bob', password: PW },
  { name: 'sam', role: 'supervisor' as const, agentId: undefined, password: PW },
];

describe('quality management in a real Chromium: pause recording on the desktop, Listen and chat watch on the wallboard', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
  });

  forEachDatabase((db) => {
    let asm: QualityAssembly;
    beforeAll(async () => {
      asm = await startQualityAssembly(await db.freshDatabase(), USERS, ['anna', 'bob']);
    }, 60_000);
    afterAll(async () => {
      await asm?.stop();
    });

    async function ready(page: Page, agent: string): Promise<void> {
      if (asm.comms.agent(agent).state !== 'ready') await page.keyboard.press('F2');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
    }

    it('the agent pauses recording; the supervisor picks Listen (coded 409 on simulated telephony) and notes a watched chat', async () => {
      const annaDesk = await deskPage(browser, asm.url, 'anna', PW);
      const bobDesk = await deskPage(browser, asm.url, 'bob', PW);
      let customer: Awaited<ReturnType<typeof mustOpen>> | undefined;
      try {
        // anna's recorded call, from a known customer (the call is linked to her record).
        const carla = await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: 'Caller', phone: '+3212340009' }, { actor: 'test' });
        const carlaId = String(carla['id']);
        await ready(annaDesk.page, 'anna');
        const callId = asm.telephony.placeInboundCall({ from: '+3212340009', to: 'main', talkMs: 600_000 });
        await until(() => asm.comms.contact(callId)?.state === 'connected', 'the call connected');
        await until(() => asm.telephony.tapped(callId), 'the call recorded');
        const toggle = annaDesk.page.locator('#btn-recording');
        await toggle.filter({ hasText: 'Pause recording' }).waitFor();
        await toggle.click();
        await annaDesk.page.locator('#call-recording[data-recording="paused"]').waitFor();
        expect(await toggle.getAttribute('aria-pressed')).toBe('true');
        expect((await asm.events.read({ contactId: callId })).find((e) => e.kind === 'recording-paused')).toMatchObject({ agentId: 'anna' });
        asm.telephony.speak(callId, 'caller', 1000, 200);
        await toggle.filter({ hasText: 'Resume recording' }).click();
        await annaDesk.page.locator('#call-recording[data-recording="on"]').waitFor();
        expect((await asm.events.read({ contactId: callId })).map((e) => e.kind)).toContain('recording-resumed');
        expect(await seriousFindings(annaDesk.page)).toEqual([]);

        // bob's chat.
        await ready(bobDesk.page, 'bob');
        const opened = await asm.chat!.openChat({ customerName: 'Carla' });
        // Opened now: the chat's socket must authenticate within 5 s.
        customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
        customer.send({ type: 'auth', token: opened.token });
        await customer.next((f) => f.type === 'welcome');
        customer.send({ type: 'message', text: 'My card ends in 4711' });
        await bobDesk.page.locator('#btn-accept').waitFor();
        await bobDesk.page.keyboard.press('F4');
        await bobDesk.page.locator('#chat-log li', { hasText: 'My card ends in 4711' }).waitFor();

        // The supervisor's wallboard: both busy agents with their menus.
        const board = await watchedPage(browser);
        await logIn(board.page, asm.url, 'sam', PW, '**/wallboard');
        const annaRow = board.page.locator('#quality-agents tr[data-agent="anna"]');
        await annaRow.waitFor();
        await annaRow.locator('.badge', { hasText: 'Recorded' }).waitFor();
        const listening = board.page.waitForResponse((r) => r.url().endsWith('/api/monitoring') && r.request().method() === 'POST');
        await annaRow.locator('button[data-mode="listen"]').click();
        const answer = await listening;
        expect(answer.status()).toBe(409);
        expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('CARUSO_COMMS_CONTACT_STATE');
        await board.page.locator('#error', { hasText: 'cannot monitor' }).waitFor();
        expect(await annaRow.locator('button[data-mode="listen"]').getAttribute('aria-pressed')).toBe('false');

        // Watch bob's chat: the transcript, live; a private note to bob.
        await board.page.locator(`#quality-agents tr[data-agent="bob"] button[data-watch="${opened.chatId}"]`).click();
        await board.page.locator('#watch-log li', { hasText: 'My card ends in 4711' }).waitFor();
        customer.send({ type: 'message', text: 'Are you there?' });
        await board.page.locator('#watch-log li.chat-customer', { hasText: 'Are you there?' }).waitFor();
        await board.page.locator('#watch-note').fill('Never ask for the full card number');
        await board.page.locator('#btn-watch-note').click();
        await board.page.locator('#watch-log li.chat-note', { hasText: 'Never ask for the full card number' }).waitFor();
        const note = bobDesk.page.locator('#private-notes li.chat-note', { hasText: 'Never ask for the full card number' });
        await note.waitFor();
        expect(await note.locator('.badge').textContent()).toBe('Private');
        expect(await seriousFindings(board.page)).toEqual([]);
        expect(await seriousFindings(bobDesk.page)).toEqual([]);
        // The customer's window: bob's next message arrives; the note never did.
        await bobDesk.page.locator('#chat-text:enabled').fill('One moment please');
        await bobDesk.page.keyboard.press('Enter');
        await customer.next((f) => f.type === 'message' && f['from'] === 'agent');
        expect(customer.seen.filter((f) => f.type === 'note' || JSON.stringify(f).includes('full card number'))).toEqual([]);

        expect(annaDesk.problems).toEqual([]);
        expect(bobDesk.problems).toEqual([]);
        expect(board.problems).toEqual([]);
        // After the call (wrapped up), the customer's history plays its recording through the audited route.
        asm.telephony.hangUp(callId);
        await annaDesk.page.locator('#agent-state[data-state="wrap-up"]').waitFor();
        await annaDesk.page.keyboard.press('F9');
        await annaDesk.page.locator('#agent-state[data-state="ready"]').waitFor();
        await until(() => !asm.telephony.tapped(callId), 'the recording stopped');
        for (const end = Date.now() + 5_000; (await asm.comms.history('Customer', carlaId, { limit: 10 })).length === 0 && Date.now() < end;) await board.page.waitForTimeout(50);
        await board.page.goto(`${asm.url}/records/customer/${carlaId}`);
        const player = board.page.locator('caruso-recordings audio[controls]');
        await player.waitFor({ state: 'attached' });
        expect(await player.getAttribute('src')).toMatch(/^\/api\/recordings\/[^/]+\/audio$/);
        expect(await board.page.evaluate(`fetch(document.querySelector('caruso-recordings audio').src).then((r) => [r.status, r.headers.get('content-type')])`)).toEqual([200, 'audio/wav']);
        expect(await seriousFindings(board.page)).toEqual([]);
        expect(board.problems).toEqual([]);
        await board.ctx.close();
      } finally {
        await customer?.close();
        await annaDesk.ctx.close();
        await bobDesk.ctx.close();
      }
    }, 150_000);
  });
});
