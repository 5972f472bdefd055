#!/usr/bin/env node
// npm run screenshots [-- --out DIR] [--warmup SECONDS]
// Takes the screenshots of docs/agent-guide.md and docs/supervisor-guide.md: starts the utility
// example (examples/utility/assembly.xml) on a fresh SQLite database in a temporary folder, with its
// demo data and its demo load (sped up, at any hour: the communication server's clock says Monday
// morning), logs in as the agent bram and the supervisor sanne in Chromium, and saves PNGs of
// 1280×800 into docs/images/. Needs `npm run build` (the assembly loads examples/utility/dist) and a
// Chromium at /usr/bin/chromium (or CHROMIUM=…).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { SimulatedTelephony, CommunicationServer } from '@caruso/comms';
import { applyMigration, BusinessObjects, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import { formatReport, ReportCatalogue, runReport } from '@caruso/monitor';
import { createStorage } from '@caruso/storage';

const root = fileURLToPath(new URL('..', import.meta.url));
const utility = join(root, 'examples/utility');
const { values } = parseArgs({ options: { out: { type: 'string' }, warmup: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: npm run screenshots [-- --out DIR] [--warmup SECONDS]\n\nStarts examples/utility with demo data and load, drives the agent desktop and the wallboard in\nChromium, and writes the PNGs of the agent and supervisor guides (default docs/images).');
  process.exit(0);
}
const out = values.out ?? join(root, 'docs/images');
const warmupMs = Number(values.warmup ?? 20) * 1000;
const { readAssembly } = await import(pathToFileURL(join(root, 'tools/cli/dist/assembly/assembly-file.js')).href);
const { startAssembly } = await import(pathToFileURL(join(root, 'tools/cli/dist/assembly/assembly-runtime.js')).href);
const { generateDemoData, loadDemoData, seedLegacyBilling } = await import(pathToFileURL(join(utility, 'dist/index.js')).href);

/** The wall clock moved to next Monday 09:00 UTC (10:00 or 11:00 in Amsterdam): every queue is open. */
function officeHoursClock() {
  const now = new Date();
  const monday = new Date(now);
  monday.setUTCDate(now.getUTCDate() + ((8 - now.getUTCDay()) % 7 || 7));
  monday.setUTCHours(9, 0, 0, 0);
  const offset = monday.getTime() - now.getTime();
  return {
    offset,
    now: () => Date.now() + offset,
    setTimer(delayMs, fn) {
      const handle = setTimeout(fn, Math.max(0, delayMs));
      return { dispose: () => clearTimeout(handle) };
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'demo-screenshots-1';
const dir = mkdtempSync(join(tmpdir(), 'caruso-screenshots-'));
mkdirSync(out, { recursive: true });
const shots = [];
let running;
let browser;
const clock = officeHoursClock();
const telephony = new SimulatedTelephony(clock);
try {
  // ---- the example's data: legacy billing, demo customers ----------------------------------------
  const data = generateDemoData({ customers: 600, seed: 2024 });
  const billingDb = join(dir, 'legacy-billing.db');
  await seedLegacyBilling({ database: billingDb, schemaSql: readFileSync(join(utility, 'legacy-billing/schema.sql'), 'utf8'), model: loadModelFile(join(utility, 'model/legacy-billing.model.xml')), data: data.billing });
  const dbUrl = `sqlite:${join(dir, 'caruso.db')}`;
  const storage = await createStorage(dbUrl);
  try {
    const model = loadModelFile(join(utility, 'model/utility.model.xml'));
    await applyMigration(model, storage);
    await loadDemoData(new BusinessObjectsImpl(model, storage), data);
  } finally {
    await storage.close();
  }

  // ---- the assembly, as npm start runs it, with a livelier load -----------------------------------
  const env = {
    ...process.env,
    CARUSO_DB_URL: dbUrl,
    PORT: '0',
    CARUSO_MANAGER_PORT: '0',
    SIP_PORT: '0',
    CARUSO_SMTP_PORT: '0',
    CARUSO_CHAT_PORT: '0',
    CARUSO_LOG_LEVEL: 'error',
    UTILITY_ADMIN_PASSWORD: PASSWORD,
    UTILITY_SUPERVISOR_PASSWORD: PASSWORD,
    UTILITY_AGENT_ANNA_PASSWORD: PASSWORD,
    UTILITY_AGENT_BRAM_PASSWORD: PASSWORD,
    UTILITY_AGENT_CHANTAL_PASSWORD: PASSWORD,
  };
  const read = readAssembly(join(utility, 'assembly.xml'), env);
  const errors = read.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`assembly.xml has errors:\n${errors.join('\n')}`);
  const a = read.assembly;
  const assembly = {
    ...a,
    dataDir: dir,
    // bram serves only the moves desk here, so that the call placed for the screenshots is his.
    agents: a.agents.map((g) => (g.id === 'agent-bram' ? { ...g, queues: [{ queueId: 'moves', level: 2 }] } : g)),
    services: a.services.map((s) => {
      if (s.token === 'billing.Invoices') return { ...s, config: { ...s.config, database: billingDb } };
      if (s.token === 'utility.DemoLoad') {
        // The telephone menu only, no moves key: the moves desk stays bram's. Busier than the default.
        return { ...s, config: { ...s.config, callsPerHour: '900', emailsPerHour: '60', chatsPerHour: '40', lines: '+31300000000', keys: '0 0 0 3 3 1 2', agentQueues: 'general billing', talkSeconds: '45', patienceSeconds: '150', hours: 'always' } };
      }
      return s;
    }),
  };
  running = await startAssembly(assembly, { env, clock, telephony, simulate: true });
  const url = running.frontOfficeUrl;
  console.log(`front office at ${url}; letting the demo load run ${warmupMs / 1000} s …`);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 20_000,
  });
  const context = () => browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  const shot = async (page, name, what) => {
    const path = join(out, name);
    await page.screenshot({ path });
    shots.push({ name, what, bytes: statSync(path).size });
    console.log(`  ${name} (${Math.round(statSync(path).size / 1024)} KB): ${what}`);
  };
  const login = async (page, user) => {
    await page.goto(`${url}/login`);
    // The utility application speaks Dutch: the fields by their ids.
    await page.locator('#username').fill(user);
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#password').press('Enter');
  };

  // ---- login -------------------------------------------------------------------------------------
  const ctxS = await context();
  const sup = await ctxS.newPage();
  sup.setDefaultTimeout(15_000);
  await sup.goto(`${url}/login`);
  await sup.locator('#username').fill('sanne');
  await shot(sup, 'login.png', 'the login page');
  await sup.locator('#password').fill(PASSWORD);
  await sup.locator('#password').press('Enter');
  await sup.waitForURL('**/wallboard');

  await sleep(warmupMs);

  // ---- the agent desktop: a call with the screen pop, the script, wrap-up and callback ----------
  const comms = running.manager.get(CommunicationServer);
  const caller = data.customers.find(
    (c) => c.phone && c.billingAccount && data.connections.some((cp) => cp.customerNumber === c.customerNumber && cp.product === 'electricity'),
  );
  const ctxA = await context();
  const agent = await ctxA.newPage();
  agent.setDefaultTimeout(15_000);
  await login(agent, 'bram');
  await agent.waitForURL('**/desktop');
  await agent.locator('#agent-state[data-state="logged-out"]').waitFor();
  await agent.keyboard.press('F2');
  await agent.locator('#agent-state[data-state="ready"]').waitFor();
  // An earlier call of the same customer, so that the history has a contact in it.
  telephony.placeInboundCall({ from: caller.phone, to: '+31300000003', talkMs: 30 * 60_000 });
  await agent.locator('#btn-accept').waitFor();
  await agent.keyboard.press('F4');
  await agent.locator('#btn-hangup').click();
  await agent.locator('#wrap-code').selectOption('opgelost');
  await agent.locator('#wrap-notes').fill('Vraag over het nieuwe termijnbedrag beantwoord.');
  await agent.locator('#btn-wrapup').click();
  await agent.locator('#agent-state[data-state="ready"]').waitFor();
  await agent.locator('li.history-contact', { hasText: /opgelost/i }).waitFor();
  // The customer dials the moves desk's direct line; bram's phone rings and the desktop pops the customer.
  telephony.placeInboundCall({ from: caller.phone, to: '+31300000003', talkMs: 30 * 60_000 });
  await agent.locator('#btn-accept').waitFor();
  await agent.locator('#customer-name').waitFor();
  await agent.locator('li.history-contact', { hasText: /opgelost/i }).waitFor();
  await sleep(500);
  await shot(agent, 'agent-desktop-call.png', 'an incoming call with the customer popped up');

  await agent.keyboard.press('F4');
  await agent.locator('#prompt').waitFor();
  // Answers by the question's words (the script is Dutch): enough to reach the street question.
  const answers = [
    [/klantnummer/i, caller.customerNumber],
    [/datum/i, new Date(clock.now() + 14 * 86_400_000).toISOString().slice(0, 10)],
    [/postcode/i, '3511 AB'],
    [/huisnummer/i, '12A'],
  ];
  for (let i = 0; i < 8; i++) {
    const prompt = (await agent.locator('#prompt').textContent()) ?? '';
    if (/straatnaam/i.test(prompt)) break;
    if (await agent.locator('#answer').count()) {
      const value = answers.find(([re]) => re.test(prompt))?.[1];
      if (value === undefined) break;
      await agent.locator('#answer').fill(value);
      await agent.locator('#answer').press('Enter');
    } else if (await agent.locator('#script button.choice').count()) {
      await agent.locator('#script button.choice').first().click();
    } else break;
    await agent.locator('#prompt').filter({ hasNotText: prompt }).waitFor();
  }
  await agent.locator('#answer').fill('Oudegracht');
  await shot(agent, 'agent-script.png', 'the move-house script running next to the customer record');

  await agent.locator('#btn-hangup').click();
  await agent.locator('#agent-state[data-state="wrap-up"]').waitFor();
  const later = new Date(clock.now() + 26 * 3_600_000);
  const pad = (n) => String(n).padStart(2, '0');
  // The browser shows Amsterdam time; the callback is entered in it.
  const local = new Date(later.toLocaleString('en-US', { timeZone: 'Europe/Amsterdam' }));
  await agent.locator('#cb-at').fill(`${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())}T10:30`);
  await agent.locator('#wrap-code').selectOption('terugbellen');
  await agent.locator('#wrap-notes').fill('Klant twijfelt over de verhuisdatum; morgen om half elf terugbellen.');
  await shot(agent, 'agent-wrapup-callback.png', 'wrap-up with a code, notes and the callback form');
  await agent.locator('#btn-callback').click();
  await agent.locator('#live', { hasText: /./ }).waitFor({ state: 'attached' });
  await agent.locator('#btn-wrapup').click();
  await agent.locator('#agent-state:not([data-state="wrap-up"])').waitFor();
  if (!comms.scheduledCallbacks().some((c) => c.queueId === 'moves')) throw new Error('the callback was not scheduled');

  // ---- the customer page with its history ---------------------------------------------------------
  const customers = running.manager.get(BusinessObjects);
  const [record] = await customers.repository('Customer').query({ filter: { customerNumber: caller.customerNumber }, limit: 1 });
  await agent.goto(`${url}/records/klant/${record.id}`);
  await agent.locator('.history-day li').first().waitFor();
  await sleep(300);
  await shot(agent, 'customer-record.png', 'the customer page with its whole history of contacts, notes, tasks and changes');

  // ---- the supervisor: wallboard, a list, reports ---------------------------------------------------
  await sup.locator('#wb-sl-value').waitFor();
  // One simulated agent takes a break (as soon as one is free), and the board is shot once calls are
  // waiting (at most 60 s on).
  let onBreak = false;
  const waitingShown = async () => ((await sup.locator('#wb-waiting-count').textContent()) ?? '0') !== '0';
  for (let i = 0; i < 120 && (!onBreak || !(await waitingShown())); i++) {
    const free = onBreak ? undefined : comms.agents().find((g) => g.id.startsWith('demo-agent-') && g.state === 'ready');
    if (free) onBreak = await comms.pause(free.id, 'pauze').then(() => true, () => false);
    await sleep(500);
  }
  await shot(sup, 'wallboard.png', 'the wallboard with agents by state, queues, service level and alerts');
  await sup.goto(`${url}/lists/teamoverzicht`);
  await sup.locator('table tbody tr').first().waitFor();
  await shot(sup, 'supervisor-list.png', 'a supervisor list: complaints by answer date');
  // The report widgets take "today" from the browser: the browser's clock shows the assembly's (office-hours) day.
  await ctxS.clock.setFixedTime(new Date(clock.now()));
  await sup.goto(`${url}/dashboards/rapportage`);
  // eslint-disable-next-line no-undef -- runs in the page
  await sup.waitForFunction(() => document.querySelectorAll('.report-widget').length > 0 && document.querySelectorAll('.report-widget[aria-busy="true"]').length === 0);
  await shot(sup, 'dashboard-reports.png', 'a dashboard of reports: today per queue, agents, self-service abandons, campaign outcomes');

  const reportDb = await createStorage(dbUrl);
  try {
    const catalogue = new ReportCatalogue();
    const period = { from: clock.now() - 3_600_000, to: clock.now() + 60_000 };
    for (const [name, file] of [
      ['inbound-by-queue', 'report-inbound.png'],
      ['agents', 'report-agents.png'],
    ]) {
      const html = formatReport(await runReport(reportDb, catalogue.get(name), period), 'html');
      const page = join(dir, `${name}.html`);
      writeFileSync(page, html);
      const p = await ctxS.newPage();
      await p.goto(pathToFileURL(page).href);
      await shot(p, file, `the ${name} report (caruso report ${name} --format html)`);
      await p.close();
    }
  } finally {
    await reportDb.close();
  }
  await ctxA.close();
  await ctxS.close();
  console.log(`${shots.length} screenshots in ${out}`);
} finally {
  await browser?.close();
  await running?.stop();
  telephony.dispose();
  rmSync(dir, { recursive: true, force: true });
}
