// An agent's shift on examples/utility, started from its assembly file with its demo load (the mix
// `caruso start --simulate` produces: calls on the simulated telephone network through the telephone
// menu and the moves desk's direct line, e-mails over SMTP, chats), and callbacks the agent promises
// in the wrap-up (typed in the Dutch date and time fields). One real agent, bram, works a bounded
// number of contacts in Chromium: accepts each, works its script (the moves desk's script with its
// date question, legacy billing and confirmation e-mail; the meter reading), links the right customer,
// reloads the page mid-contact now and then, and wraps up. At the end every contact he took has
// exactly one wrap-up on its customer, none is stuck, and his state is the same everywhere.
// Needs `npx tsc -b` first (the assembly loads its services from dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatChannel, CommunicationServer, ContactEventLog, SimulatedTelephony } from '@caruso/comms';
import { ApiClient } from '@caruso/frontoffice/testing';
import { BusinessObjects, type Filter } from '@caruso/objects';
import { createStorage, type StorageManager } from '@caruso/storage';
import type { Browser, Page } from 'playwright-core';
import type { Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { deskPage, launchChromium, seriousFindings } from '@caruso/frontoffice/testing';
import { generateDemoData } from '../src/index.js';
import { officeHoursClock } from './office-hours-clock.js';
import { root, utilityAssemblyOn } from './utility-assembly-setup.js';

const PASSWORD = randomBytes(12).toString('base64url');
const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');
/** The contacts bram works in the shift. */
const CONTACTS = 30;
/** The shift stops here at the latest (then the test fails: fewer contacts than planned). */
const SHIFT_MS = 420_000;
const BRAM = 'agent-bram';

type Kind = 'call' | 'email' | 'chat' | 'callback';
interface Taken {
  readonly i: number;
  readonly contactId: string;
  readonly kind: Kind;
  readonly queueId: string;
  /** The customer's id (the record's key) and number. */
  readonly customerId: string;
  readonly customerNumber: string;
  readonly scriptSteps: number;
  readonly scriptEnded: boolean;
}

const pad = (n: number): string => String(n).padStart(2, '0');

describe('examples/utility: an agent’s shift at the desktop under the demo load (real Chromium, SQLite)', () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
  });

  // SQLite (the embedded default): a shift on PostgreSQL doubles the run; the desktop's and the log's
  // behaviour on both databases is covered by the front office's own shift test.
  {
    const db = { dialect: 'sqlite' };
    let dir: string;
    let storage: StorageManager | undefined;
    let running: RunningAssembly | undefined;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(clock);

    beforeAll(async () => {
      if (!existsSync(join(root, 'dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), 'caruso-utility-shift-'));
      const url = `sqlite:${join(dir, 'utility.db')}`;
      storage = await createStorage(url);
      const env = { CARUSO_DB_URL: url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: '0', CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0', UTILITY_AGENT_BRAM_PASSWORD: PASSWORD, UTILITY_SUPERVISOR_PASSWORD: PASSWORD };
      const a = await utilityAssemblyOn(storage, dir, generateDemoData({ customers: 120, seed: 7 }), env);
      const load = a.services.find((s) => s.token === 'utility.DemoLoad');
      if (!load) throw new Error('assembly.xml no longer declares the utility.DemoLoad service');
      // The assembly's mix (calls : e-mails : chats = 60 : 12 : 8) about six times as fast, around the
      // clock (the server's clock says office hours anyway), for one person: no simulated agents to
      // share the work with, no campaign. Callers stay on the line while bram works their script.
      const shift = {
        ...load.config,
        callsPerHour: '360',
        emailsPerHour: '72',
        chatsPerHour: '48',
        lines: '+31300000003*4 +31300000000',
        talkSeconds: '900',
        patienceSeconds: '0',
        agents: '0',
        campaigns: '',
        campaignAgents: '0',
        hours: 'always',
      };
      const assembly: Assembly = { ...a, services: a.services.map((s) => (s === load ? { ...s, config: shift } : s)) };
      running = await startAssembly(assembly, { env, clock, telephony, simulate: true });
    }, 90_000);

    afterAll(async () => {
      await running?.stop();
      telephony.dispose();
      await storage?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it(`bram takes ${CONTACTS} contacts of every channel: each wrapped up once on its customer, none stuck`, async () => {
      const r = running as RunningAssembly;
      const comms = r.manager.get(CommunicationServer);
      const customers = r.manager.get(BusinessObjects).repository('Customer');
      const chats = r.manager.get(ChatChannel);
      const url = r.frontOfficeUrl as string;

      /** The customer a contact is about, as the demo load made it (number, address, chat key), or a callback's record. */
      const customerOf = async (contactId: string): Promise<Record<string, unknown> | undefined> => {
        const c = comms.contact(contactId);
        if (!c) return undefined;
        const one = async (where: Filter): Promise<Record<string, unknown> | undefined> => {
          const found = await customers.query({ where, limit: 2 });
          return found.length === 1 ? found[0] : undefined;
        };
        if (c.channel === 'chat') {
          const key = (await chats.chat(contactId))?.customerKey;
          return key ? one({ customerNumber: key }) : undefined;
        }
        const recordId = c.data['recordId'];
        if (c.channel === 'callback' && (typeof recordId === 'string' || typeof recordId === 'number')) return one({ id: recordId });
        const address = ['caller', 'from', 'number', 'callbackNumber', 'email'].map((k) => c.data[k]).find((v): v is string => typeof v === 'string' && v !== '');
        if (!address) return undefined;
        if (address.includes('@')) return one({ email: address.replace(/^.*<([^>]+)>.*$/, '$1').toLowerCase() });
        return one({ phone: address.startsWith('0') ? `+31${address.slice(1)}` : address });
      };

      const { ctx, page, problems } = await deskPage(browser, url, 'bram', PASSWORD, { locale: 'en-US', timeoutMs: 15_000 });
      if (comms.agent(BRAM).state === 'logged-out' || comms.agent(BRAM).state === 'paused') await page.keyboard.press('F2');
      const started = Date.now();
      const taken: Taken[] = [];
      const callbacksPromised: { number: string; at: number; status: number }[] = [];
      /** axe's serious findings on the desktop during a script and in the wrap-up with the callback's fields. */
      const findings: string[] = [];
      let reloads = 0;

      for (let i = 0; i < CONTACTS; i++) {
        try {
          if (Date.now() - started > SHIFT_MS) break;
          // The next contact rings (the load keeps them coming); Accept (F4) takes it.
          const before = new Set(comms.agentWork(BRAM).contacts.map((c) => c.id));
          await page.locator('#btn-accept').waitFor({ timeout: 90_000 });
          await page.keyboard.press('F4');
          let contactId: string | undefined;
          const deadline = Date.now() + 15_000;
          while (!contactId && Date.now() < deadline) {
            contactId = comms.agentWork(BRAM).contacts.map((c) => c.id).find((id) => !before.has(id));
            if (!contactId) await page.waitForTimeout(50);
          }
          if (!contactId) throw new Error(`contact ${i}: accepted, but nothing new on bram's desk`);
          const contact = comms.contact(contactId)!;
          const kind = contact.channel as Kind;
          await page.locator(`[role="tab"][aria-selected="true"]`).waitFor();

          // The right customer: the one the contact came from. Linked by the screen pop, else bram finds
          // them by their customer number and links them.
          const customer = await customerOf(contactId);
          expect([i, kind, customer === undefined]).toEqual([i, kind, false]);
          const customerId = String(customer!['id']);
          const customerNumber = String(customer!['customerNumber']);
          await page.waitForTimeout(300);
          if (comms.customerOf(contactId)?.id !== customerId) {
            await page.keyboard.press('Control+k');
            await page.locator('#customer-search').fill(customerNumber);
            await page.locator('#search-results button[aria-label^="Aan dit contact koppelen"]').first().click();
            await until(() => comms.customerOf(contactId)?.id === customerId, `contact ${i} linked to ${customerNumber}`);
          }
          // The wrap-up says on whom it is filed (the desktop's label has the customer's last or company name).
          const label = String(customer!['lastName'] || customer!['companyName'] || customerNumber);
          await page.locator('#wrap-customer', { hasText: label }).waitFor();

          // The script of the contact's queue, step by step; a reload now and then in the middle of it.
          const reloadAt = i % 4 === 1 ? 1 : -1;
          const script = await workScript(page, customerNumber, reloadAt, async () => {
            await page.reload();
            reloads++;
            await page.locator(`[role="tab"][aria-selected="true"]`).waitFor();
            await page.locator('#wrap-customer', { hasText: label }).waitFor();
          });
          if (i === 3) findings.push(...(await seriousFindings(page)));

          await page.keyboard.press('F8');
          await page.locator('#wrap-code').waitFor();
          await page.locator('#wrap-code').selectOption(i % 3 === 0 ? 'terugbellen' : 'opgelost');
          await page.locator('#wrap-notes').fill(`dienst ${i} (${kind})`);
          if (i === 1 || i === 6) {
            // A callback promised in the wrap-up, typed in the Dutch fields (dd-mm-jjjj uu:mm), due in two to three minutes.
            const at = new Date(Math.ceil((clock.now() + 120_000) / 60_000) * 60_000);
            const phone = String(customer!['phone'] ?? '');
            telephony.setDestination(phone, { result: 'answered', resultAfterMs: 100, talkMs: 900_000 });
            await page.locator('#cb-at').focus();
            for (const part of [pad(at.getDate()), pad(at.getMonth() + 1), String(at.getFullYear()), pad(at.getHours()), pad(at.getMinutes())]) await page.keyboard.type(part);
            await page.locator('#cb-number').fill(phone);
            const scheduled = page.waitForResponse((x) => x.request().method() === 'POST' && x.url().endsWith('/callback'));
            await page.locator('#btn-callback').click();
            callbacksPromised.push({ number: phone, at: at.getTime(), status: (await scheduled).status() });
            if (i === 1) findings.push(...(await seriousFindings(page)));
          }
          await page.keyboard.press('F9');
          await until(() => !comms.agentWork(BRAM).wrapUps.some((w) => w.contactId === contactId) && !comms.agentWork(BRAM).contacts.some((c) => c.id === contactId), `contact ${i} wrapped up`, 15_000);
          taken.push({ i, contactId, kind, queueId: contact.queueId, customerId, customerNumber, scriptSteps: script.steps, scriptEnded: script.ended });
        } catch (e) {
          // Which contact of the shift failed, with the screen as it was.
          await page.screenshot({ path: join(SHOTS, `utility-shift-failed-${db.dialect}.png`) }).catch(() => undefined);
          throw new Error(`contact ${i} of the shift (${taken.length} done): ${(e as Error).message}`, { cause: e });
        }
      }

      // The end of the shift: a pause (no more offers); the desktop, the server and the API agree.
      // A contact ringing meanwhile is declined (it goes back in line for the next agent).
      await page.keyboard.press('F3');
      for (const end = Date.now() + 30_000; comms.agent(BRAM).state !== 'paused' && Date.now() < end; ) {
        if ((await page.locator('[data-offer]').count()) > 0) await page.locator('[data-offer] button.secondary').first().click().catch(() => undefined);
        await page.waitForTimeout(200);
      }
      expect(comms.agent(BRAM).state).toBe('paused');
      await page.locator('#agent-state[data-state="paused"]').waitFor();
      // In the application's language; the reason (its label is Pauze too) is not said twice.
      expect(await page.locator('#agent-state').textContent()).toBe('Pauze');
      await page.screenshot({ path: join(SHOTS, `utility-shift-end-${db.dialect}.png`) });
      const api = new ApiClient(url);
      expect((await api.login('bram', PASSWORD)).status).toBe(200);
      const desk = (await api.get('/api/desktop')).body as { agent: { state: string }; contacts: unknown[]; wrapUps: unknown[]; offers: unknown[] };
      expect(desk).toMatchObject({ agent: { state: 'paused' }, contacts: [], wrapUps: [] });
      expect(comms.agentWork(BRAM)).toMatchObject({ contacts: [], wrapUps: [] });
      expect(problems).toEqual([]);
      await ctx.close();

      expect(taken.length).toBe(CONTACTS);
      const kinds = new Set(taken.map((t) => t.kind));
      for (const k of ['call', 'email', 'chat', 'callback'] as const) expect([k, kinds.has(k)]).toEqual([k, true]);
      expect(reloads).toBeGreaterThan(3);
      // Scripts were worked (the moves desk's to its end: legacy billing and the confirmation).
      expect(taken.filter((t) => t.scriptSteps > 0).length).toBeGreaterThan(CONTACTS / 3);
      expect(taken.some((t) => t.scriptEnded)).toBe(true);
      expect(callbacksPromised.map((c) => c.status)).toEqual([201, 201]);
      expect(findings).toEqual([]);

      // Exactly one wrap-up per contact, bram's, on the right customer (and in their history); each
      // contact ended once; none stuck.
      const events = r.manager.get(ContactEventLog);
      await events.flush();
      for (const t of taken) {
        const log = await events.read({ contactId: t.contactId });
        const dispositions = log.filter((e) => e.kind === 'disposition');
        expect([t.i, dispositions.length, dispositions.every((e) => e.agentId === BRAM)]).toEqual([t.i, 1, true]);
        expect([t.i, log.filter((e) => e.kind === 'completed' || e.kind === 'abandoned').length]).toEqual([t.i, 1]);
        const history = await comms.history('Customer', t.customerId);
        expect([t.i, history.filter((h) => h.contactId === t.contactId).map((h) => [h.agentId, h.note])]).toEqual([t.i, [[BRAM, `dienst ${t.i} (${t.kind})`]]]);
        const live = comms.contact(t.contactId);
        expect([t.i, live === undefined || live.state === 'ended']).toEqual([t.i, true]);
      }
      expect(new Set(taken.map((t) => t.contactId)).size).toBe(taken.length);
    }, SHIFT_MS + 120_000);
  }
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The answer a caller gives to a typed question of the utility's scripts, by what it asks. */
function answerFor(prompt: string, customerNumber: string): string {
  if (/klantnummer/i.test(prompt)) return customerNumber;
  if (/postcode/i.test(prompt)) return '3511 AB';
  if (/huisnummer/i.test(prompt)) return '12';
  if (/straat/i.test(prompt)) return 'Nieuwegracht';
  if (/plaats/i.test(prompt)) return 'Utrecht';
  const previous = /vorige stand (\d+)/i.exec(prompt);
  if (previous) return String(Number(previous[1]) + 120);
  if (/stand/i.test(prompt)) return '';
  return 'Zie notitie';
}

/**
 * Works the script on screen for at most 14 steps: yes and the first choice, dates two weeks ahead
 * typed in the Dutch fields, typed answers by what is asked. Stops at the script's end, or where the
 * script does not take an answer (the agent goes on without it). Calls `reload` once, after step `reloadAt`.
 */
async function workScript(page: Page, customerNumber: string, reloadAt: number, reload: () => Promise<void>): Promise<{ steps: number; ended: boolean }> {
  let steps = 0;
  for (; steps < 14; steps++) {
    if (steps === reloadAt) await reload();
    const step = page.locator('#step');
    if ((await step.count()) === 0) return { steps, ended: false };
    if ((await page.locator('#script-done').count()) > 0) return { steps, ended: true };
    const revision = await step.getAttribute('data-revision');
    const prompt = (await page.locator('#prompt').textContent()) ?? '';
    if ((await page.locator('#step button.choice[data-key="1"]').count()) > 0) await page.locator('#step button.choice[data-key="1"]').click();
    else if ((await page.locator('#step caruso-date-input').count()) > 0) {
      const day = new Date(Date.now() + 14 * 86_400_000);
      await page.locator('#answer').focus();
      for (const part of [pad(day.getDate()), pad(day.getMonth() + 1), String(day.getFullYear())]) await page.keyboard.type(part);
      await page.keyboard.press('Enter');
    } else if ((await page.locator('#step #answer').count()) > 0) {
      await page.locator('#answer').fill(answerFor(prompt, customerNumber));
      await page.locator('#answer').press('Enter');
    } else if ((await page.locator('#btn-step-next').count()) > 0) await page.locator('#btn-step-next').click();
    else return { steps, ended: false };
    // The next step, or an error on this one (then the agent leaves the script as it is).
    // (Polled from here: a function evaluated in the page would be an eval the page's CSP forbids.)
    let moved = false;
    for (const until = Date.now() + 8000; !moved && Date.now() < until; ) {
      moved = (await step.count()) === 0 || (await step.getAttribute('data-revision').catch(() => null)) !== revision || (await page.locator('#step-error, #script-done').count()) > 0;
      if (!moved) await page.waitForTimeout(50);
    }
    if (!moved || (await page.locator('#step-error').count()) > 0) return { steps: steps + 1, ended: false };
  }
  return { steps, ended: (await page.locator('#script-done').count()) > 0 };
}
