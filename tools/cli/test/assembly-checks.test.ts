import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAssembly } from '../src/assembly/assembly-file.js';
import { didYouMean } from '../src/assembly/assembly-checks.js';
import { toEntryPoints, toQueueConfigs } from '../src/assembly/assembly-runtime.js';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const fixtures = fileURLToPath(new URL('./fixtures/assembly/', import.meta.url));
const utility = fileURLToPath(new URL('../../../examples/utility/', import.meta.url));

/** A copy of the fixture assembly with `edit` applied to one of its files. */
function variant(edits: Record<string, (text: string) => string>): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'caruso-checks-'));
  cpSync(fixtures, dir, { recursive: true });
  for (const [name, edit] of Object.entries(edits)) writeFileSync(join(dir, name), edit(readFileSync(join(dir, name), 'utf8')));
  return { dir, file: join(dir, 'crm.assembly.xml') };
}

function errorsOf(file: string, dir: string): string[] {
  const { assembly, diagnostics } = readAssembly(file, { TEST_GREETING: 'x' });
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => String(d).replace(`${dir}/`, '').replace(dir, ''));
  if (errors.length) expect(assembly).toBeUndefined();
  return errors;
}

describe('did you mean', () => {
  it('names the one close candidate, else lists them', () => {
    expect(didYouMean('bilings', ['general', 'billing', 'moves'])).toBe("; did you mean 'billing'?");
    expect(didYouMean('sales', ['general', 'billing'])).toBe('; known: general, billing');
    expect(didYouMean('x', [])).toBe('');
  });
});

describe('the assembly checks what it names in its scripts, model and application', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const make = (edits: Record<string, (text: string) => string>): { dir: string; file: string } => {
    const v = variant(edits);
    dirs.push(v.dir);
    return v;
  };

  it('reports an IVR or campaign script that is not in the scripts folder, with a suggestion', () => {
    const { dir, file } = make({
      'crm.assembly.xml': (t) =>
        t.replace('<agent id="anna"', '<agent id="anna"').replace(
          '    <agent id="bram" queues="general"/>',
          '    <agent id="bram" queues="general"/>\n    <ivr number="100" script="greeet" queue="general"/>\n    <campaign id="c" object="Custmer" phone-field="phone" script="greet" queue="general"/>',
        ),
    });
    const errors = errorsOf(file, dir);
    expect(errors).toEqual([
      expect.stringMatching(/^crm\.assembly\.xml:21:23: error: unknown dialogue script 'greeet' in scripts; did you mean 'greet'\?$/),
      expect.stringMatching(/^crm\.assembly\.xml:22:22: error: unknown object 'Custmer' in the model crm; did you mean 'Customer'\?$/),
    ]);
  });

  it('reports a campaign phone field and an identify field the model lacks', () => {
    const { dir, file } = make({
      'crm.assembly.xml': (t) =>
        t.replace(
          '    <agent id="bram" queues="general"/>',
          '    <agent id="bram" queues="general"/>\n    <campaign id="c" object="Customer" phone-field="phnoe" script="greet" queue="general"/>\n    <interactions identify="Customer" phone-field="phone" email-field="mail"/>',
        ),
    });
    const errors = errorsOf(file, dir);
    expect(errors).toEqual([
      expect.stringContaining("crm.assembly.xml:21:40: error: phone-field: Customer has no field 'phnoe'; did you mean 'phone'?"),
      expect.stringContaining("crm.assembly.xml:22:59: error: email-field: Customer has no field 'mail'"),
    ]);
  });

  it('reports a hand-off of a script to a queue the assembly lacks, at the script’s line', () => {
    const { dir, file } = make({
      'scripts/greet.xml': (t) => t.replace('<end id="unhappy" outcome="not-satisfied"/>', '<handoff id="unhappy" queue="bilings"/>'),
    });
    expect(errorsOf(file, dir)).toEqual([expect.stringMatching(/^scripts\/greet\.xml:10:3: error: the hand-off unhappy names unknown queue 'bilings'; did you mean 'billing'\? \(queues of .*crm\.assembly\.xml\)$/)]);
  });

  it('reports a desktop script queue of the application the assembly lacks, and an unknown alert queue', () => {
    const { dir, file } = make({
      'app/crm.app.xml': (t) => t.replace(/<!-- <script queue="support".*?-->/, '<script queue="bilings" script="greet"/>'),
      'crm.assembly.xml': (t) => t.replace('  <service token', '  <monitor><alert id="a" metric="queue.waiting" queue="generl" op="gt" value="3"/></monitor>\n  <service token'),
    });
    const errors = errorsOf(file, dir);
    expect(errors).toContainEqual(expect.stringContaining("crm.assembly.xml:22:49: error: unknown queue 'generl'; did you mean 'general'?"));
    // The application's error is reported only once the assembly itself is clean.
    const fixed = make({ 'app/crm.app.xml': (t) => t.replace(/<!-- <script queue="support".*?-->/, '<script queue="bilings" script="greet"/>') });
    expect(errorsOf(fixed.file, fixed.dir)).toEqual([expect.stringMatching(/^app\/crm\.app\.xml:41:13: error: unknown queue bilings; did you mean 'billing'\?$/)]);
  });

  it('reports an application language the front office has no texts for', () => {
    const { dir, file } = make({ 'app/crm.app.xml': (t) => t.replace('lang="en"', 'lang="fr"') });
    expect(errorsOf(file, dir)).toEqual([expect.stringMatching(/^app\/crm\.app\.xml:3:37: error: the front office has no texts in fr \(no assets\/i18n\/fr\.json\)/)]);
    const nl = make({ 'app/crm.app.xml': (t) => t.replace('lang="en"', 'lang="nl"') });
    expect(errorsOf(nl.file, nl.dir)).toEqual([]);
  });

  it('reads a chat’s or e-mail’s customer as the object callers are identified as; warns when the model has no Customer and says none', () => {
    const citizen = readAssembly(join(utility, '../citizen-desk/assembly.xml'), {});
    expect(citizen.assembly?.interactions?.customerObject).toBe('Resident');
    const { dir, file } = make({
      'crm.assembly.xml': (t) => t.replace('    <agent id="bram" queues="general"/>', '    <agent id="bram" queues="general"/>\n    <chat queue="general"/>'),
      'model/crm.model.xml': (t) => t.replace(/"Customer"/g, '"Person"'),
    });
    const { diagnostics } = readAssembly(file, { TEST_GREETING: 'x' });
    expect(diagnostics.filter((d) => d.severity === 'warning').map((d) => String(d).replace(`${dir}/`, ''))).toContainEqual(
      expect.stringMatching(/^crm\.assembly\.xml:\d+:\d+: warning: e-mails and chats name their customer as a Customer record, and the model has no object Customer/),
    );
  });

  it('reports a scripts folder without scripts', () => {
    const { dir, file } = make({});
    rmSync(join(dir, 'scripts/greet.xml'));
    expect(errorsOf(file, dir)).toContainEqual(expect.stringContaining('crm.assembly.xml:7:12: error: no dialogue scripts (*.xml) found in scripts'));
  });

  it('reads label, priority, voicemail-queue, voicemail-notify, an entry point’s priority and default-country', () => {
    const { dir, file } = make({
      'crm.assembly.xml': (t) =>
        t
          .replace('<model src="model/crm.model.xml"/>', '<model src="model/crm.model.xml" default-country="BE"/>')
          .replace('<queue id="billing" strategy="round-robin">', '<queue id="billing" strategy="round-robin" label="Facturatie" priority="5" voicemail="true" voicemail-queue="general" voicemail-notify="billing@example.com, boss@example.com">')
          .replace('    <agent id="bram" queues="general"/>', '    <agent id="bram" queues="general"/>\n    <ivr number="112" queue="billing" priority="9"/>\n    <email queue="general" priority="-1"/>'),
    });
    const { assembly, diagnostics } = readAssembly(file, { TEST_GREETING: 'x' });
    expect(diagnostics.map(String)).toEqual([]);
    expect(assembly!.model).toMatchObject({ defaultCountry: 'BE' });
    expect(toQueueConfigs(assembly!)[1]).toMatchObject({ id: 'billing', label: 'Facturatie', voicemailQueueId: 'general' });
    expect(toEntryPoints(assembly!)).toEqual([{ number: '112', queueId: 'billing', priority: 9 }]);
    expect(assembly!.queues[1]).toMatchObject({ priority: 5, voicemailNotify: ['billing@example.com', 'boss@example.com'] });
    expect(assembly!.email).toMatchObject({ queue: 'general', priority: '-1' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad default-country, priority and notification address', () => {
    const { dir, file } = make({
      'crm.assembly.xml': (t) =>
        t
          .replace('<model src="model/crm.model.xml"/>', '<model src="model/crm.model.xml" default-country="nl"/>')
          .replace('<queue id="billing" strategy="round-robin">', '<queue id="billing" strategy="round-robin" priority="high" voicemail="true" voicemail-notify="nobody" voicemail-queue="generall">')
          .replace('  </comms>', '    <email queue="general" priority="0.5"/>\n  </comms>'),
    });
    expect(errorsOf(file, dir)).toEqual([
      "crm.assembly.xml:6:36: error: default-country must be a country code such as NL, BE or DE (ISO 3166-1 alpha-2, capitals), got 'nl'",
      "crm.assembly.xml:15:48: error: priority must be a whole number, got 'high'",
      "crm.assembly.xml:15:81: error: voicemail-notify holds e-mail addresses separated by spaces, got 'nobody'",
      "crm.assembly.xml:15:107: error: unknown queue 'generall'; did you mean 'general'?",
      "crm.assembly.xml:21:28: error: priority must be a whole number, got '0.5'",
    ]);
  });
});

describe('the validators say what they checked', () => {
  it('app validate prints a one-line summary, and with --assembly checks the queues', async () => {
    const io = bufferIO({}, fixtures);
    expect(await main(['app', 'validate', 'app/crm.app.xml', '--model', 'model/crm.model.xml', '--scripts', 'scripts', '--assembly', 'crm.assembly.xml'], io)).toBe(0);
    expect(io.out()).toBe('ok: app/crm.app.xml: 1 lists, 1 record pages, 0 desktop scripts, 0 self-service pages, 1 dashboards, checked against 1 scripts and 2 queues, 0 warnings\n');
    const dir = mkdtempSync(join(tmpdir(), 'caruso-checks-'));
    try {
      writeFileSync(join(dir, 'bad.app.xml'), readFileSync(join(fixtures, 'app/crm.app.xml'), 'utf8').replace(/<!-- <script queue="support".*?-->/, '<script queue="bilings" script="greet"/>'));
      const bad = bufferIO({}, fixtures);
      expect(await main(['app', 'validate', join(dir, 'bad.app.xml'), '--model', 'model/crm.model.xml', '--scripts', 'scripts', '--assembly', 'crm.assembly.xml'], bad)).toBe(1);
      expect(bad.err()).toBe(`${join(dir, 'bad.app.xml')}:41:13: error: unknown queue bilings; did you mean 'billing'?\n`);
      expect(bad.out()).toBe('');
      mkdirSync(join(dir, 'empty'));
      const empty = bufferIO({}, fixtures);
      expect(await main(['app', 'validate', 'app/crm.app.xml', '--model', 'model/crm.model.xml', '--scripts', join(dir, 'empty')], empty)).toBe(1);
      expect(empty.err()).toContain('no dialogue scripts (*.xml) found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('start --check checks everything and starts nothing: a summary, or the errors and exit 1', async () => {
    const ok = bufferIO({ TEST_GREETING: 'x' }, fixtures);
    expect(await main(['start', 'crm.assembly.xml', '--check'], ok)).toBe(0);
    expect(ok.out()).toMatch(/^ok: crm\.assembly\.xml: 2 queues, 2 agents, model, scripts, application, 1 services checked, 0 warnings; nothing started\n$/);
    const dir = mkdtempSync(join(tmpdir(), 'caruso-checks-'));
    try {
      cpSync(fixtures, dir, { recursive: true });
      writeFileSync(join(dir, 'app/crm.app.xml'), readFileSync(join(dir, 'app/crm.app.xml'), 'utf8').replace('lang="en"', 'lang="de"'));
      const bad = bufferIO({ TEST_GREETING: 'x' }, dir);
      expect(await main(['start', 'crm.assembly.xml', '--check'], bad)).toBe(1);
      expect(bad.err()).toMatch(/app\/crm\.app\.xml:3:37: error: the front office has no texts in de/);
      expect(bad.out()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('model validate and model migrate --dry-run without a model file use the assembly of the working folder', async () => {
    const v = bufferIO({}, utility);
    expect(await main(['model', 'validate'], v)).toBe(0);
    expect(v.out()).toMatch(/^ok: model\/utility\.model\.xml: \d+ objects, \d+ fields, 0 warnings\n$/);
    const dir = mkdtempSync(join(tmpdir(), 'caruso-checks-'));
    try {
      // The example's database need not exist: the dry run plans for an empty one and creates nothing.
      const m = bufferIO({ CARUSO_DB_URL: `sqlite:${join(dir, 'none.db')}` }, utility);
      expect(await main(['model', 'migrate', '--dry-run'], m)).toBe(0);
      expect(m.out()).toMatch(/create table/i);
      expect(m.err()).toContain('does not exist yet');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const none = bufferIO({}, tmpdir());
    expect(await main(['model', 'migrate', '--dry-run'], none)).toBe(2);
    expect(none.err()).toMatch(/expected <model.xml>, or run it in a folder with an assembly.xml/);
  }, 60_000);
});
