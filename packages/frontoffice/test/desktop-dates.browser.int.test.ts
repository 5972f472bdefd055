// Dates on the agent desktop in the application's language, not the browser's: a Dutch application in
// an English (en-US) Chromium writes dd-mm-jjjj with Dutch names, an English application in a Dutch
// Chromium writes mm/dd/yyyy with a.m./p.m.; the script's date question and the callback picker are
// typed with the keyboard only, an impossible date is said and not sent, the server gets yyyy-mm-dd
// and the callback's moment, and axe finds nothing serious.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath, fixtureText } from './fixture.js';
import { deskPage, launchChromium, seriousFindings } from '@caruso/frontoffice/testing';

const PW = 'correct horse battery';
const CARLA = '+3212345678';

const VISIT_SCRIPT = `<?xml version="1.0" encoding="UTF-8"?>
<script id="visit-date" version="1" start="when" xml:lang="en">
  <meta><title>Engineer visit</title></meta>
  <question id="when" type="date" channels="agent">
    <prompt>On which day may the engineer come?</prompt>
    <next target="done"/>
  </question>
  <end id="done" outcome="planned"><prompt>The visit is planned.</prompt></end>
</script>
`;

interface Case {
  readonly app: 'nl' | 'en';
  readonly browser: string;
  /** The date fields' names in the application's order, and the format shown. */
  readonly dateParts: readonly string[];
  readonly pattern: string;
  readonly callbackParts: readonly string[];
  /** Typed into the parts in order, for a day and month. */
  readonly type: (d: string, m: string, y: string) => string[];
  readonly monthName: (m: number) => string;
}

const CASES: readonly Case[] = [
  {
    app: 'nl', browser: 'en-US', dateParts: ['dag', 'maand', 'jaar'], pattern: 'dd-mm-jjjj', callbackParts: ['dag', 'maand', 'jaar', 'uur', 'minuut'],
    type: (d, m, y) => [d, m, y], monthName: (m) => new Intl.DateTimeFormat('nl', { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2027, m - 1, 1))),
  },
  {
    app: 'en', browser: 'nl-NL', dateParts: ['month', 'day', 'year'], pattern: 'mm/dd/yyyy', callbackParts: ['month', 'day', 'year', 'hour', 'minute', 'AM/PM'],
    type: (d, m, y) => [m, d, y], monthName: (m) => new Intl.DateTimeFormat('en', { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2027, m - 1, 1))),
  },
];

const pad = (n: number): string => String(n).padStart(2, '0');

/** The accessible names of the fields of a date input, in the order they are on the page. */
/**
 * The names of a date input's fields, read in one step once they are drawn: the panel holding them
 * may be drawn again while the contact is accepted, so a fieldset seen a moment ago can be gone.
 */
async function partNames(page: Page, fieldset: string): Promise<string[]> {
  const parts = JSON.stringify(`${fieldset} .date-part`);
  const names = await page.waitForFunction(
    `(() => { const els = [...document.querySelectorAll(${parts})]; return els.length > 0 ? els.map((e) => e.getAttribute('aria-label') ?? '') : null; })()`,
    undefined,
    { timeout: 10_000 },
  );
  return ((await names.jsonValue()) as string[] | null) ?? [];
}

describe.each(CASES)('dates on the desktop: application in $app, browser in $browser', (c) => {
  let dir: string;
  let asm: TestAssembly;
  let browser: Browser;
  let carla: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `caruso-desk-dates-${c.app}-`));
    const scripts = join(dir, 'scripts');
    mkdirSync(scripts);
    for (const f of ['fault-check.xml', 'meter-reading.xml']) copyFileSync(fixturePath(`scripts/${f}`), join(scripts, f));
    writeFileSync(join(scripts, 'visit-date.xml'), VISIT_SCRIPT);
    // The customer has a date of birth, on the agent's record form.
    writeFileSync(join(dir, 'crm.model.xml'), fixtureText('crm.model.xml').replace('<field name="creditScore"', '<field name="birthDate" type="date" label="Date of birth"/>\n    <field name="creditScore"'));
    writeFileSync(join(dir, 'crm.app.xml'), fixtureText('crm.app.xml')
      .replace('lang="en"', `lang="${c.app}"`)
      .replace('fields="id,firstName,lastName,phone,email,segment,postcode"', 'fields="id,firstName,lastName,phone,email,segment,postcode,birthDate"')
      .replace('<field name="postcode"/>', '<field name="postcode"/><field name="birthDate"/>')
      .replace('script="fault-check"><write var="postcode" field="postcode"/></script>', 'script="visit-date"/>')
      .replace('../../../../dtd/', fileURLToPath(new URL('../../../dtd/', import.meta.url))));
    asm = await startTestAssembly({
      db: `sqlite:${join(dir, 'crm.db')}`,
      model: join(dir, 'crm.model.xml'),
      application: join(dir, 'crm.app.xml'),
      scripts,
      queues: [{ id: 'support', wrapUpMs: 600_000 }],
      agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
      users: [{ name: 'anna', role: 'agent', agentId: 'anna', password: PW }],
    });
    carla = String((await asm.objects.repository('Customer').create({ firstName: 'Carla', lastName: 'Caller', phone: CARLA }, { actor: 'test' }))['id']);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await asm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the script’s date and the callback are typed in the application’s format with the keyboard; the server gets ISO', async () => {
    const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW, { locale: c.browser });
    expect(await page.evaluate('navigator.language')).toBe(c.browser);
    expect(await page.evaluate('document.documentElement.lang')).toBe(c.app);
    await page.keyboard.press('F2');
    await page.locator('#agent-state[data-state="ready"]').waitFor();
    await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
    await page.locator('#btn-accept').waitFor();
    await page.keyboard.press('F4');
    await page.locator('#prompt', { hasText: 'engineer' }).waitFor();

    // The fields in the application's order and names, the format beside them, the focus in the first.
    await page.locator('#answer-fields').waitFor();
    expect(await partNames(page, '#answer-fields')).toEqual(c.dateParts);
    expect(await page.locator('#answer-format').textContent()).toBe(c.pattern);
    expect(await page.evaluate('document.activeElement?.id')).toBe('answer');
    expect(await seriousFindings(page)).toEqual([]);

    const answers: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && /\/api\/scripts\/sessions\/[^/]+\/answer$/.test(r.url())) answers.push(r.url() + ' ' + (r.postData() ?? ''));
    });

    // An impossible date (31 February), typed field by field: said when submitted, nothing sent.
    for (const part of c.type('31', '02', '2027')) await page.keyboard.type(part);
    await page.keyboard.press('Enter');
    await page.locator('#answer-error', { hasText: /\S/ }).waitFor();
    expect(await page.locator('#answer').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement?.id')).toBe('answer');
    expect(await seriousFindings(page)).toEqual([]);
    expect(answers).toEqual([]);

    // The right date: the focus moves on by itself, the date is shown in words with its month's name.
    for (const part of c.type('24', '12', '2027')) await page.keyboard.type(part);
    await page.locator('#answer-words', { hasText: c.monthName(12) }).waitFor();
    await page.locator('#answer-error', { hasText: /^$/ }).waitFor({ state: 'attached' });
    await page.keyboard.press('Enter');
    await page.locator('#script-done').waitFor();
    expect(answers.length).toBe(1);
    const [url, body] = answers[0]!.split(' ');
    expect(JSON.parse(body!)).toMatchObject({ value: '2027-12-24' });
    const sessionId = decodeURIComponent(/sessions\/([^/]+)\/answer$/.exec(url!)![1]!);
    expect((await asm.dialogue.state(sessionId)).vars['when']).toBe('2027-12-24');

    // The callback picker in the wrap-up: date and time, the 24- or 12-hour clock of the application.
    await page.keyboard.press('F8');
    await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
    await page.locator('#cb-at-fields').waitFor();
    expect(await partNames(page, '#cb-at-fields')).toEqual(c.callbackParts);
    expect(await seriousFindings(page)).toEqual([]);
    await page.locator('#wrap-notes').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('cb-at');
    const day = new Date(Date.now() + 2 * 86_400_000);
    const [d, m, y] = [pad(day.getDate()), pad(day.getMonth() + 1), String(day.getFullYear())];
    for (const part of c.type(d, m, y)) await page.keyboard.type(part);
    if (c.app === 'en') {
      // 4:30 p.m. on the 12-hour clock: hour, minute, then P picks p.m.
      await page.keyboard.type('0430');
      await page.keyboard.press('p');
    } else await page.keyboard.type('1630');
    await page.locator('#cb-at-words', { hasText: c.monthName(day.getMonth() + 1) }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('cb-number');
    await page.keyboard.press('Enter');
    await page.locator('#live', { hasText: /\d/ }).waitFor({ state: 'attached' });
    const expected = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 16, 30).getTime();
    expect(asm.comms.scheduledCallbacks()).toEqual([expect.objectContaining({ number: CARLA, at: expected })]);

    await page.keyboard.press('F9');
    await page.locator('#agent-state[data-state="ready"]').waitFor();
    expect(problems).toEqual([]);
    await ctx.close();
  }, 60_000);

  it('a date pasted or filled whole, in the application’s order or as yyyy-mm-dd, fills every field', async () => {
    const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW, { locale: c.browser });
    if (asm.comms.agent('anna').state !== 'ready') await page.keyboard.press('F2');
    await page.locator('#agent-state[data-state="ready"]').waitFor();
    await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
    await page.locator('#btn-accept').waitFor();
    await page.keyboard.press('F4');
    await page.locator('#answer-fields').waitFor();
    const written = c.app === 'nl' ? '05-03-2028' : '03/05/2028';
    await page.locator('#answer').fill(written);
    await page.locator('#answer-words', { hasText: c.monthName(3) }).waitFor();
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/answer'));
    await page.keyboard.press('Enter');
    expect(JSON.parse((await sent).postData() ?? '{}')).toMatchObject({ value: '2028-03-05' });
    await page.locator('#script-done').waitFor();
    await page.keyboard.press('F8');
    await page.locator('#cb-at-fields').waitFor();
    // A callback (at most 30 days ahead) filled as the native datetime-local input took it.
    const day = new Date(Date.now() + 3 * 86_400_000);
    await page.locator('#cb-at').fill(`${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}T09:15`);
    await page.locator('#cb-at-words', { hasText: c.monthName(day.getMonth() + 1) }).waitFor();
    const scheduled = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/callback'));
    await page.locator('#btn-callback').click();
    expect((await scheduled).status()).toBeLessThan(300);
    expect(asm.comms.scheduledCallbacks().map((x) => x.at)).toContain(new Date(day.getFullYear(), day.getMonth(), day.getDate(), 9, 15).getTime());
    await page.keyboard.press('F9');
    await page.locator('#agent-state[data-state="ready"]').waitFor();
    expect(problems).toEqual([]);
    await ctx.close();
  }, 45_000);

  it('the record page takes its date field, a callback and a task’s due moment in the application’s format too', async () => {
    const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW, { locale: c.browser });
    await page.goto(`${asm.url}/records/customer/${carla}`);
    await page.locator('#f-birthDate-fields').waitFor();
    expect(await partNames(page, '#f-birthDate-fields')).toEqual(c.dateParts);
    expect(await page.locator('#f-birthDate-fields legend').textContent()).toBe('Date of birth');
    expect(await partNames(page, '#rcb-at-fields')).toEqual(c.callbackParts);
    await page.locator('details.history-add', { has: page.locator('#task-form') }).locator('summary').click();
    expect(await partNames(page, '#task-due-fields')).toEqual(c.callbackParts);
    // The due moment offered is tomorrow, written out in words in the application's language.
    const tomorrow = new Date(Date.now() + 86_400_000);
    await page.locator('#task-due-words', { hasText: c.monthName(tomorrow.getMonth() + 1) }).waitFor();
    await page.locator('#f-birthDate').focus();
    for (const part of c.type('24', '12', '1979')) await page.keyboard.type(part);
    await page.locator('#f-birthDate-words', { hasText: c.monthName(12) }).waitFor();
    expect(await seriousFindings(page)).toEqual([]);
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().includes('/api/objects/Customer/'));
    await page.locator('caruso-record-form #btn-save').click();
    expect((await saved).status()).toBe(200);
    expect(String((await asm.objects.repository('Customer').get(carla))?.['birthDate']).slice(0, 10)).toBe('1979-12-24');
    expect(problems).toEqual([]);
    await ctx.close();
  }, 45_000);

  it('a date field of the customer’s record is typed in the application’s format and saved as yyyy-mm-dd', async () => {
    const { ctx, page, problems } = await deskPage(browser, asm.url, 'anna', PW, { locale: c.browser });
    if (asm.comms.agent('anna').state !== 'ready') await page.keyboard.press('F2');
    await page.locator('#agent-state[data-state="ready"]').waitFor();
    // The agent's state and the contact's channel in the application's language.
    expect(await page.locator('#agent-state').textContent()).toBe(c.app === 'nl' ? 'Beschikbaar' : 'Ready');
    await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: CARLA } });
    await page.locator('#btn-accept').waitFor();
    expect(await page.locator('[id^="offer-title"]').first().textContent()).toMatch(c.app === 'nl' ? /: Gesprek · / : /: Call · /);
    await page.keyboard.press('F4');
    await page.locator('[role="tab"][aria-selected="true"]', { hasText: c.app === 'nl' ? 'Gesprek · ' : 'Call · ' }).waitFor();
    await page.locator('#agent-state', { hasText: c.app === 'nl' ? 'In gesprek' : 'Busy' }).waitFor();
    await page.locator('#f-birthDate-fields').waitFor();
    expect(await partNames(page, '#f-birthDate-fields')).toEqual(c.dateParts);
    expect(await page.locator('#f-birthDate-fields legend').textContent()).toBe('Date of birth');
    await page.locator('#f-birthDate').focus();
    for (const part of c.type('17', '05', '1980')) await page.keyboard.type(part);
    await page.locator('#f-birthDate-words', { hasText: c.monthName(5) }).waitFor();
    expect(await seriousFindings(page)).toEqual([]);
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().includes('/api/objects/Customer/'));
    await page.locator('#contact desk-record-form button[type="submit"]').click();
    expect((await saved).status()).toBe(200);
    expect(String((await asm.objects.repository('Customer').get(carla))?.['birthDate']).slice(0, 10)).toBe('1980-05-17');
    await page.keyboard.press('F8');
    await page.locator('#agent-state[data-state="wrap-up"]').waitFor();
    await page.keyboard.press('F9');
    await page.locator('#agent-state[data-state="ready"]').waitFor();
    expect(problems).toEqual([]);
    await ctx.close();
  }, 45_000);
});
