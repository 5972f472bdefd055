// The desktop's tools clicked in a real Chromium and checked where they act: a canned reply inserted
// into a chat reaches the chat customer; an e-mail template fills a reply that goes out over SMTP on
// loopback with the file attached in the browser; on a call, mute and unmute, the DTMF keypad and a
// conference with a colleague (three parties) reach the telephony and the communication server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimulatedTelephony, systemClock } from '@caruso/comms';
import { forEachDatabase } from '@caruso/storage/testing';
import type { Browser, Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath, fixtureText } from './fixture.js';
import { sendMail, startRelay, until, type TestRelay } from './smtp-helpers.js';
import { deskPage, launchChromium, seriousFindings } from '@caruso/frontoffice/testing';
import { mustOpen } from './ws-helpers.js';

const PW = 'correct horse battery';
const CARLA = '+3212345678';

/** The fixture application with a canned reply and an e-mail template on its desktop. */
function applicationFile(dir: string): string {
  const text = fixtureText('crm.app.xml')
    .replace('../../../../dtd/', fileURLToPath(new URL('../../../dtd/', import.meta.url)))
    .replace(
      '<pause code="training" label="Training"/>',
      `<pause code="training" label="Training"/>
    <reply id="greeting" label="Greeting">Hello {{firstName}} {{lastName}}, how can I help?</reply>
    <emailtemplate id="reading" label="Meter reading" subject="Your reading, {{ customer.lastName }}">Dear {{firstName}},
we received your reading.</emailtemplate>`,
    );
  writeFileSync(join(dir, 'desk.app.xml'), text);
  return join(dir, 'desk.app.xml');
}

describe('the desktop’s tools in a real Chromium: canned replies, templates, attachments, call controls', () => {
  let browser: Browser;
  let relay: TestRelay;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-desk-tools-'));
    relay = await startRelay();
    browser = await launchChromium();
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  forEachDatabase((db) => {
    let asm: TestAssembly;
    let telephony: SimulatedTelephony;

    beforeAll(async () => {
      telephony = new SimulatedTelephony(systemClock);
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: applicationFile(dir),
        scripts: fixturePath('scripts'),
        queues: [{ id: 'support', wrapUpMs: 600_000 }, { id: 'sales', wrapUpMs: 600_000 }],
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }, { id: 'bert', queues: [{ queueId: 'sales' }] }],
        users: [{ name: 'anna', role: 'agent', agentId: 'anna', password: PW }],
        chat: { queueId: 'support', port: 0 },
        email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
        relay: { port: relay.port, from: 'Support <support@caruso.test>' },
        telephony,
      });
      await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: 'Caller', phone: CARLA, email: 'carla@example.org' }, { actor: 'test' });
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
      telephony?.dispose();
    });

    async function ready(page: Page): Promise<void> {
      if (asm.comms.agent('anna').state !== 'ready') await page.keyboard.press('F2');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
    }

    /** Links Carla to the contact on screen; the desktop reads the contact's templates again, filled for her. */
    async function linkCarla(page: Page): Promise<void> {
      await page.keyboard.press('Control+k');
      await page.keyboard.type('Caller');
      const templates = page.waitForResponse((r) => r.url().endsWith('/templates') && r.status() === 200);
      await page.getByRole('button', { name: 'Link to this contact: Carla Caller' }).click();
      await page.locator('#wrap-customer', { hasText: 'Carla Caller' }).waitFor();
      await templates;
    }

    async function wrapUp(page: Page): Promise<void> {
      await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
    }

    it('a canned reply picked in a chat is inserted, filled with the customer’s name, and reaches the customer', async () => {
      const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW);
      await ready(page);
      const opened = await asm.chat!.openChat({ customerName: 'Carla', subject: 'Meter' });
      const customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
      try {
        customer.send({ type: 'auth', token: opened.token });
        await customer.next((f) => f.type === 'welcome');
        customer.send({ type: 'message', text: 'Hello, it is Carla' });
        await page.locator('#btn-accept').waitFor();
        await page.keyboard.press('F4');
        await page.locator('#chat-log li', { hasText: 'Hello, it is Carla' }).waitFor();
        await linkCarla(page);
        await page.locator('#chat-text:enabled').fill('Hi!');
        await page.locator('#canned').selectOption({ label: 'Greeting' });
        await page.locator('#chat-text').waitFor();
        expect(await page.locator('#chat-text').inputValue()).toBe('Hi! Hello Carla Caller, how can I help?');
        expect(await page.evaluate('document.activeElement?.id')).toBe('chat-text');
        expect(await page.locator('#canned').inputValue()).toBe('');
        expect(await seriousFindings(page)).toEqual([]);
        await page.keyboard.press('Enter');
        const said = await customer.next((f) => f.type === 'message' && f['from'] === 'agent');
        expect(said['text']).toBe('Hi! Hello Carla Caller, how can I help?');
        await page.locator('#chat-log li.chat-agent', { hasText: 'Hello Carla Caller, how can I help?' }).waitFor();
        await page.keyboard.press('F8');
        await customer.next((f) => f.type === 'ended');
      } finally {
        await customer.close();
      }
      await wrapUp(page);
      expect(problems).toEqual([]);
      await ctx.close();
    }, 45_000);

    it('an e-mail template fills the reply; a file attached in the browser arrives over SMTP with the reply', async () => {
      const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW);
      await ready(page);
      const before = relay.received.length;
      await sendMail(asm.email!.address()!.port, { from: 'Carla Caller <carla@example.org>', to: 'support@caruso.test', subject: 'My reading', text: 'The meter says 4711.' });
      await page.locator('#btn-accept').waitFor();
      await page.keyboard.press('F4');
      await page.locator('.mail-body', { hasText: 'The meter says 4711.' }).waitFor();
      await linkCarla(page);
      await page.locator('#email-template').selectOption({ label: 'Meter reading' });
      expect(await page.locator('#reply-text').inputValue()).toBe('Dear Carla,\nwe received your reading.');
      expect(await page.evaluate('document.activeElement?.id')).toBe('reply-text');
      await page.keyboard.press('End');
      await page.keyboard.type(' Kind regards, Anna');
      const pdf = Buffer.from('%PDF-1.4\n% a reading confirmation\n');
      await page.locator('#reply-files').setInputFiles({ name: 'confirmation.pdf', mimeType: 'application/pdf', buffer: pdf });
      expect(await seriousFindings(page)).toEqual([]);
      await page.locator('#btn-reply').click();
      await page.locator('.mail.outbound').waitFor();
      await page.locator('.mail.outbound .attachments a', { hasText: 'confirmation.pdf' }).waitFor();
      await relay.waitFor(before + 1, 10_000);
      const sent = relay.received[before]!;
      expect(sent.rcptTo).toEqual(['carla@example.org']);
      expect(sent.parsed.text?.trim()).toBe('Dear Carla,\nwe received your reading. Kind regards, Anna');
      expect(sent.parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString('latin1')])).toEqual([['confirmation.pdf', 'application/pdf', pdf.toString('latin1')]]);
      await page.keyboard.press('F9');
      await page.locator('#agent-state[data-state="ready"]').waitFor();
      expect(problems).toEqual([]);
      await ctx.close();
    }, 45_000);

    it('on a call: mute and unmute, the keypad’s digits and a conference with a colleague reach the telephony', async () => {
      const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW);
      await ready(page);
      await asm.comms.login('bert');
      await until(() => asm.comms.agent('bert').state === 'ready', 'bert ready');
      const callId = telephony.placeInboundCall({ from: CARLA, to: 'main', talkMs: 600_000 });
      await page.locator('[role="tab"][aria-selected="true"]', { hasText: 'Carla Caller' }).waitFor();
      await page.locator('#btn-mute').waitFor();

      await page.locator('#btn-mute').click();
      await page.locator('#call-muted').waitFor();
      expect(await page.locator('#btn-mute').getAttribute('aria-pressed')).toBe('true');
      expect(telephony.isMuted(callId)).toBe(true);
      expect(asm.comms.contact(callId)?.muted).toBe(true);
      await page.locator('#btn-mute').click();
      await page.locator('#call-muted').waitFor({ state: 'detached' });
      expect(telephony.isMuted(callId)).toBe(false);
      // Alt+M does the same from the keyboard.
      await page.keyboard.press('Alt+M');
      await page.locator('#call-muted').waitFor();
      expect(telephony.isMuted(callId)).toBe(true);
      await page.keyboard.press('Alt+M');
      await page.locator('#call-muted').waitFor({ state: 'detached' });
      expect(telephony.isMuted(callId)).toBe(false);

      await page.locator('#btn-keypad').click();
      await page.locator('#keypad').waitFor();
      expect(await page.evaluate('document.activeElement?.textContent')).toBe('1');
      expect(await seriousFindings(page)).toEqual([]);
      for (const key of ['1', '2', '#']) {
        await page.getByRole('button', { name: `Key ${key}`, exact: true }).click();
        await page.locator('#dtmf-sent', { hasText: new RegExp(`${key === '#' ? '#' : key}$`) }).waitFor();
      }
      expect(await page.locator('#dtmf-sent').textContent()).toBe('12#');
      expect(telephony.dtmfSent(callId)).toBe('12#');

      await page.locator('#btn-conference').click();
      await page.locator('#transfer-dialog[open]').waitFor();
      await page.getByLabel('Agent', { exact: true }).selectOption('bert');
      expect(await seriousFindings(page)).toEqual([]);
      await page.locator('#btn-transfer-go').click();
      await page.locator('#transfer-dialog[open]').waitFor({ state: 'detached' });
      await until(() => (asm.comms.contact(callId)?.conferees ?? []).includes('bert'), 'bert in the conference');
      await page.locator('#conferees', { hasText: 'bert' }).waitFor();
      // Three parties: the customer, anna who took the call, and bert.
      expect(asm.comms.contact(callId)).toMatchObject({ state: 'connected', agentIds: ['anna'], conferees: ['bert'] });
      expect(asm.comms.agent('bert').contactIds).toContain(callId);
      expect(problems).toEqual([]);

      // The simulated line holds bert's leg beside the caller's and anna's.
      expect(telephony.partiesOf(callId)).toHaveLength(1);
      // anna took the call: she hangs up (only a conferee leaves); her part is wrapped up.
      expect(await page.locator('#btn-leave-conference').count()).toBe(0);
      await page.keyboard.press('F8');
      await wrapUp(page);
      expect((await asm.events.read({ contactId: callId })).filter((e) => e.kind === 'disposition' && e.agentId === 'anna')).toHaveLength(1);
      expect(problems).toEqual([]);
      await asm.comms.hangUp(callId).catch(() => undefined);
      await ctx.close();
    }, 60_000);

    it('dials a number from the keyboard (Alt+D): the dialog passes axe, and the answered call is on the desk', async () => {
      const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW);
      await ready(page);
      telephony.setDestination('+3212345199', { result: 'answered', resultAfterMs: 50, talkMs: 600_000 });
      await page.keyboard.press('Alt+D');
      await page.locator('#dial-dialog[open]').waitFor();
      expect(await page.evaluate('document.activeElement?.id')).toBe('dial-number');
      expect(await seriousFindings(page)).toEqual([]);
      await page.keyboard.type('+32 1234 5199');
      await page.keyboard.press('Enter');
      await page.locator('#dial-dialog[open]').waitFor({ state: 'detached' });
      await page.locator('[role="tab"][aria-selected="true"]').waitFor();
      await until(() => telephony.dialled.includes('+3212345199'), 'the number dialled');
      await page.locator('#btn-hangup').waitFor();
      await page.keyboard.press('F8');
      await wrapUp(page);
      expect(problems).toEqual([]);
      await ctx.close();
    }, 30_000);
  });
});
