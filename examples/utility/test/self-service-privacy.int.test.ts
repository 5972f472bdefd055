// Self-service privacy on examples/utility started from its assembly file (SQLite and a real
// PostgreSQL): an anonymous visitor who types another customer's number learns nothing of that
// customer in any answer and cannot register a move for them; the customer, with the postcode and
// house number on file as the second factor, can; an agent who takes the visitor's chat sees what
// the script collected; the self-service page in a real Chromium asks for the second factor first.
// Needs `npx tsc -b` first (the assembly loads its services from dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, type ApiResponse } from '@caruso/frontoffice/testing';
import { forEachDatabase } from '@caruso/storage/testing';
import type { Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { generateDemoData } from '../src/index.js';
import { officeHoursClock } from './office-hours-clock.js';
import { root, utilityAssemblyOn } from './utility-assembly-setup.js';
import { SimulatedTelephony } from '@caruso/comms';
import { chromium, type Browser } from 'playwright-core';

const SHOTS = join(process.cwd(), '.artifacts', 'screenshots');

const PASSWORD = randomBytes(12).toString('base64url');

function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

type View = { sessionId: string; status: string; step: { kind: string; node: string; error?: string; fields?: { name: string; label: string }[]; vars?: Record<string, unknown> } };

/** A visitor whose every answer is kept, to be searched for data that must not be there. */
class Visitor {
  readonly client: ApiClient;
  readonly answers: ApiResponse[] = [];
  constructor(url: string) {
    this.client = new ApiClient(url);
  }
  async get(path: string): Promise<ApiResponse> {
    return this.keep(await this.client.get(path));
  }
  async post(path: string, body?: unknown): Promise<ApiResponse> {
    return this.keep(await this.client.post(path, body));
  }
  private keep(r: ApiResponse): ApiResponse {
    this.answers.push(r);
    return r;
  }
  /** Every answer as the visitor received it. */
  text(): string {
    return this.answers.map((r) => JSON.stringify(r.body)).join('\n');
  }
}

describe('examples/utility self-service: public variables and a second factor', () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 20_000,
    });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
  });

  forEachDatabase((db) => {
    let dir: string;
    let running: RunningAssembly | undefined;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(clock);
    const data = generateDemoData({ customers: 150, seed: 9 });
    const complete = data.customers.filter(
      (c) =>
        c['phone'] && c['email'] && c['street'] && c['postcode'] && c['houseNumber'] && c['billingAccount'] && data.connections.some((cp) => cp['customerNumber'] === c['customerNumber'] && cp['product'] === 'electricity'),
    ) as Array<Record<string, string>>;
    // The victim, whose number the visitor types; the customer who registers their own move.
    const victim = complete[0] as Record<string, string>;
    const customer = complete[1] as Record<string, string>;
    const secrets = (c: Record<string, string>): string[] =>
      ['fullName', 'lastName', 'phone', 'email', 'street', 'postcode', 'billingAccount'].map((f) => String(c[f] ?? '')).filter((v) => v.length >= 3);
    const url = (): string => (running as RunningAssembly).frontOfficeUrl as string;

    beforeAll(async () => {
      if (!existsSync(join(root, 'dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), `caruso-utility-privacy-${db.dialect}-`));
      const env = { CARUSO_DB_URL: db.url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: '0', CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0', UTILITY_AGENT_BRAM_PASSWORD: PASSWORD, UTILITY_SUPERVISOR_PASSWORD: PASSWORD };
      const a = await utilityAssemblyOn(db.storage, dir, data, env);
      const assembly: Assembly = { ...a, services: a.services.filter((s) => s.token !== 'utility.DemoLoad') };
      running = await startAssembly(assembly, { env, clock, telephony, simulate: true });
    }, 60_000);

    afterAll(async () => {
      await running?.stop();
      telephony.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('an anonymous visitor who types another customer\'s number gets none of their data and cannot register a move', async () => {
      expect(secrets(victim).length).toBeGreaterThanOrEqual(5);
      const visitor = new Visitor(url());
      const page = await visitor.get('/api/self-service/verhuizing');
      expect(page.body).toMatchObject({ name: 'verhuizing', identify: [{ name: 'customerNumber' }, { name: 'postcode' }, { name: 'houseNumber' }] });
      const started = await visitor.post('/api/self-service/verhuizing/sessions');
      expect(started.status).toBe(201);
      const s = started.body as View;
      // Nothing of the script runs before the visitor has identified: the page asks for the fields.
      expect(s.step).toMatchObject({ kind: 'identify', fields: [{ name: 'customerNumber', label: 'Klantnummer' }, { name: 'postcode', label: 'Postcode' }, { name: 'houseNumber', label: 'Huisnummer' }] });
      // The old way in: the number alone.
      expect((await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: victim['customerNumber'] })).status).toBe(400);
      // A guessed postcode and house number: refused as "do not match", five times; then locked.
      for (let i = 0; i < 5; i++) {
        const r = await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: { customerNumber: victim['customerNumber'], postcode: `${9000 + i} ZZ`, houseNumber: '1' } });
        expect(r.status).toBe(200);
        expect((r.body as View).step).toMatchObject({ kind: 'identify', error: expect.stringMatching(/do not match/) });
      }
      const locked = await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: { customerNumber: victim['customerNumber'], postcode: victim['postcode'], houseNumber: victim['houseNumber'] } });
      expect(locked.status).toBe(429);
      expect((locked.body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_IDENTIFY_LOCKED');
      // Another visitor (cookies dropped) with the right details for this number is locked out too,
      // for a while: the count is per customer number, not per visitor.
      const other = new Visitor(url());
      const o = (await other.post('/api/self-service/verhuizing/sessions')).body as View;
      expect((await other.post(`/api/self-service/sessions/${o.sessionId}/answer`, { value: { customerNumber: victim['customerNumber'], postcode: 'x', houseNumber: 'y' } })).status).toBe(429);
      expect((await visitor.get(`/api/self-service/sessions/${s.sessionId}`)).body).toMatchObject({ step: { kind: 'identify' } });
      // Without identifying the visitor can still ask for an agent; nothing was collected.
      const handoff = await visitor.post(`/api/self-service/sessions/${s.sessionId}/agent`, { channel: 'chat' });
      expect(handoff.status).toBe(201);

      // The other pages that read customer data ask the same; the outage page needs no one.
      for (const name of ['meterstand', 'betalingsregeling']) {
        const v = (await visitor.post(`/api/self-service/${name}/sessions`)).body as View;
        expect(v.step.kind).toBe('identify');
        const r = await visitor.post(`/api/self-service/sessions/${v.sessionId}/answer`, { value: { customerNumber: complete[2]?.['customerNumber'], postcode: '1234 AB', houseNumber: '99' } });
        expect((r.body as View).step).toMatchObject({ kind: 'identify', error: expect.any(String) });
      }
      expect(((await visitor.post('/api/self-service/storing/sessions')).body as View).step).toMatchObject({ kind: 'question', node: 'product' });

      const seen = `${visitor.text()}\n${other.text()}`;
      for (const secret of [...secrets(victim), ...secrets(complete[2] as Record<string, string>)]) expect(seen).not.toContain(secret);
      const r = running as RunningAssembly;
      const rows = await db.storage.knex('moves');
      expect(rows).toHaveLength(0);
      expect(existsSync(join(dir, 'outbox')) ? readdirSync(join(dir, 'outbox')) : []).toEqual([]);
      expect(r.frontOfficeUrl).toBeDefined();
    }, 60_000);

    it('the customer with their postcode and house number registers the move; only public values come back, the agent sees them all', async () => {
      const visitor = new Visitor(url());
      const s = (await visitor.post('/api/self-service/verhuizing/sessions')).body as View;
      const wrong = await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: { customerNumber: customer['customerNumber'], postcode: '1000 AA', houseNumber: customer['houseNumber'] } });
      expect((wrong.body as View).step.kind).toBe('identify');
      // Case, spaces and dashes do not count.
      const postcode = (customer['postcode'] as string).replace(/\s+/g, '').toLowerCase();
      let view = (await visitor.post(`/api/self-service/sessions/${s.sessionId}/answer`, { value: { customerNumber: customer['customerNumber'], postcode, houseNumber: ` ${customer['houseNumber']} ` } })).body as View;
      expect(view.step).toMatchObject({ kind: 'question', node: 'moveOutDate' });
      const moveOutDate = isoDay(12);
      const answers: Record<string, unknown> = { moveOutDate, newPostcode: '3511 AB', newHouseNumber: '12A', newStreet: 'Oudegracht', newCity: 'Utrecht', finalNormal: '', finalLow: '', confirm: true };
      for (let i = 0; i < 20 && view.status === 'active'; i++) {
        const node = view.step.node;
        expect(view.step.error).toBeUndefined();
        const r = await visitor.post(`/api/self-service/sessions/${view.sessionId}/answer`, { value: answers[node] ?? null });
        expect(r.status).toBe(200);
        view = r.body as View;
      }
      expect(view).toMatchObject({ status: 'ended', step: { kind: 'end', node: 'done' } });
      for (const secret of secrets(customer)) expect(visitor.text()).not.toContain(secret);
      const moves = (await db.storage.knex('moves')) as Array<Record<string, unknown>>;
      expect(moves).toHaveLength(1);
      expect(moves[0]).toMatchObject({ new_street: 'Oudegracht' });
      // The confirmation goes to the customer who identified.
      const outbox = readdirSync(join(dir, 'outbox'));
      expect(outbox).toHaveLength(1);

      // A second visit of the same customer asks for an agent half-way: the agent's desktop shows
      // everything the script holds (the customer record too); the visitor's hand-off step only the
      // public answers.
      const agent = new ApiClient(url());
      expect((await agent.login('bram', PASSWORD)).status).toBe(200);
      expect((await agent.post('/api/agent/ready')).status).toBe(200);
      const again = new Visitor(url());
      const a = (await again.post('/api/self-service/verhuizing/sessions')).body as View;
      await again.post(`/api/self-service/sessions/${a.sessionId}/answer`, { value: { customerNumber: customer['customerNumber'], postcode: customer['postcode'], houseNumber: customer['houseNumber'] } });
      await again.post(`/api/self-service/sessions/${a.sessionId}/answer`, { value: isoDay(20) });
      const h = await again.post(`/api/self-service/sessions/${a.sessionId}/agent`, { channel: 'chat' });
      expect(h.status).toBe(201);
      const contactId = (h.body as { contactId: string }).contactId;
      // bram takes the chats of the moves queue in order (the first test's visitor asked for one too; bram has room for two).
      let accepted = false;
      for (let i = 0; i < 250 && !accepted; i++) {
        const offers = ((await agent.get('/api/agent')).body as { offers: { offerId: string; contactId: string }[] }).offers;
        for (const o of offers) {
          expect((await agent.post(`/api/agent/offers/${encodeURIComponent(o.offerId)}/accept`)).status).toBe(200);
          accepted ||= o.contactId === contactId;
        }
        if (!accepted) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(accepted).toBe(true);
      const pop = (await agent.get(`/api/contacts/${contactId}`)).body as { handoff?: { selfService: string; answers: Record<string, unknown> } };
      expect(pop.handoff?.selfService).toBe('verhuizing');
      expect(pop.handoff?.answers).toMatchObject({ moveOutDate: isoDay(20), customer: { customerNumber: customer['customerNumber'], email: customer['email'] } });
      for (const secret of secrets(customer)) expect(again.text()).not.toContain(secret);
    }, 60_000);

    it('the self-service page in Chromium asks for customer number, postcode and house number before the script', async () => {
      const who = complete[3] as Record<string, string>;
      const ctx = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true });
      try {
        const page = await ctx.newPage();
        page.setDefaultTimeout(8000);
        const problems: string[] = [];
        page.on('pageerror', (e) => problems.push(e.message));
        const answers: string[] = [];
        page.on('response', (r) => {
          if (r.url().includes('/api/')) answers.push(r.url());
        });
        const bodies: string[] = [];
        page.on('response', async (r) => {
          if (r.url().includes('/api/self-service')) bodies.push(await r.text().catch(() => ''));
        });
        await page.goto(`${url()}/self-service/verhuizing`);
        await page.locator('#ss-identify').waitFor();
        await page.getByLabel('Klantnummer').fill(who['customerNumber'] as string);
        await page.getByLabel('Postcode').fill('1000 AA');
        await page.getByLabel('Huisnummer').fill(who['houseNumber'] as string);
        await page.locator('#ss-identify-submit').click();
        await page.locator('.field-error', { hasText: 'do not match' }).waitFor();
        await page.screenshot({ path: join(SHOTS, 'self-service-identify.png') });
        await page.getByLabel('Postcode').fill(who['postcode'] as string);
        await page.locator('#ss-identify-submit').click();
        await page.locator('#prompt', { hasText: 'Op welke datum verhuist u' }).waitFor();
        await page.locator('#answer').fill(isoDay(15));
        await page.locator('#ss-next').click();
        await page.locator('#prompt', { hasText: 'postcode van uw nieuwe adres' }).waitFor();
        expect(problems).toEqual([]);
        expect(answers.length).toBeGreaterThan(2);
        for (const secret of secrets(who)) expect(bodies.join('\n')).not.toContain(secret);
      } finally {
        await ctx.close();
      }
    }, 60_000);
  });
});
