import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../../../packages/frontoffice/test/fixtures');

describe('caruso app', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-app-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('validate exits 0 and prints nothing for a clean definition with its scripts', async () => {
    const io = bufferIO({}, FIX);
    const code = await main(['app', 'validate', 'crm.app.xml', '--model', 'crm.model.xml', '--scripts', 'scripts'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
  });

  it('validate prints file:line:col errors and exits 1', async () => {
    const file = join(dir, 'bad.app.xml');
    writeFileSync(file, '<application name="a" model="crm">\n  <list name="l" object="Customr"><column field="x"/></list>\n  <desktop><script queue="q" script="nope"/></desktop>\n</application>\n');
    const io = bufferIO({}, FIX);
    expect(await main(['app', 'validate', file, '--model', 'crm.model.xml', '--scripts', 'scripts'], io)).toBe(1);
    expect(io.err()).toContain(`${file}:2:18: error: unknown object Customr`);
    expect(io.err()).toContain(`${file}:3:30: error: unknown dialogue script nope`);
  });

  it('validate checks a screen pop by a collected field against the variables the scripts collect', async () => {
    const app = readFileSync(join(FIX, 'crm.app.xml'), 'utf8').replace('../../../../dtd/', join(FIX, '../../../../dtd/'));
    const pop = (v: string): string => app.replace('<screenpop object="Customer" by="phone"', `<screenpop object="Customer" by="field" var="${v}" field="postcode" record="customer"/>\n    <screenpop object="Customer" by="phone"`);
    const typo = join(dir, 'pop-typo.app.xml');
    writeFileSync(typo, pop('postcod'));
    const io = bufferIO({}, FIX);
    expect(await main(['app', 'validate', typo, '--model', 'crm.model.xml', '--scripts', 'scripts'], io)).toBe(0);
    expect(io.err()).toMatch(new RegExp(`${typo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: warning: no dialogue script declares or collects a variable postcod.*postcode`));
    expect(io.out()).toContain('1 warning');
    const right = join(dir, 'pop-right.app.xml');
    writeFileSync(right, pop('postcode'));
    const ok = bufferIO({}, FIX);
    expect(await main(['app', 'validate', right, '--model', 'crm.model.xml', '--scripts', 'scripts'], ok)).toBe(0);
    expect(ok.err()).toBe('');
  });

  it('validate refuses a self-service page whose script reads customer data when the application declares no <identify>', async () => {
    const scripts = join(dir, 'identify-scripts');
    mkdirSync(scripts, { recursive: true });
    writeFileSync(
      join(scripts, 'meter-reading.xml'),
      '<script id="meter-reading" version="1">\n<question id="n" type="text"><prompt>Number?</prompt><next target="bye">\n  <fetch source="crm.Customers" operation="get" key="n" into="c"/></next></question>\n<end id="bye" outcome="done"/>\n</script>\n',
    );
    const file = join(dir, 'ss.app.xml');
    writeFileSync(file, '<application name="a" model="crm">\n  <selfservice name="meter" script="meter-reading" queue="support"/>\n</application>\n');
    const io = bufferIO({}, FIX);
    expect(await main(['app', 'validate', file, '--model', 'crm.model.xml', '--scripts', scripts], io)).toBe(1);
    expect(io.err()).toContain(`${file}:2:29: error: self-service page meter runs meter-reading, which reads or changes data on the web (crm.Customers.get (meter-reading.xml:3:3))`);
    writeFileSync(file, '<application name="a" model="crm">\n  <identify object="Customer" by="email" verify="postcode"/>\n  <selfservice name="meter" script="meter-reading" queue="support"/>\n</application>\n');
    const ok = bufferIO({}, FIX);
    expect(await main(['app', 'validate', file, '--model', 'crm.model.xml', '--scripts', scripts], ok)).toBe(0);
    expect(ok.err()).toBe('');
  });

  it('validate checks a dashboard report widget against the built-in reports and those of --reports', async () => {
    const file = join(dir, 'reports.app.xml');
    writeFileSync(file, '<application name="a" model="crm">\n  <dashboard name="d">\n    <widget kind="report" report="inbound-by-queue"/>\n    <widget kind="report" report="by-region"/>\n  </dashboard>\n</application>\n');
    const io = bufferIO({}, FIX);
    expect(await main(['app', 'validate', file, '--model', 'crm.model.xml'], io)).toBe(1);
    expect(io.err()).toContain(`${file}:4:27: error: unknown report by-region; reports are `);
    expect(io.err()).not.toContain('inbound-by-queue;');
    const reports = join(dir, 'reports');
    mkdirSync(reports);
    writeFileSync(join(reports, 'regions.json'), JSON.stringify({ name: 'by-region', source: 'contacts', groupBy: ['queue'], columns: ['offered'] }));
    const ok = bufferIO({}, FIX);
    expect(await main(['app', 'validate', file, '--model', 'crm.model.xml', '--reports', reports], ok)).toBe(0);
    expect(ok.err()).toBe('');
  });

  it('validate without --model is a usage error (exit 2)', async () => {
    const io = bufferIO({}, FIX);
    expect(await main(['app', 'validate', 'crm.app.xml'], io)).toBe(2);
    expect(io.err()).toMatch(/--model <model.xml> is required/);
  });

  it('scaffold writes a definition that validate accepts, and refuses to overwrite it', async () => {
    const out = join(dir, 'scaffold.app.xml');
    const io = bufferIO({}, FIX);
    expect(await main(['app', 'scaffold', '--model', 'crm.model.xml', '--out', out], io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<list name="customer-list" object="Customer"');
    const check = bufferIO({}, FIX);
    expect(await main(['app', 'validate', out, '--model', 'crm.model.xml'], check)).toBe(0);
    expect(check.err()).toBe('');
    const again = bufferIO({}, FIX);
    expect(await main(['app', 'scaffold', '--model', 'crm.model.xml', '--out', out], again)).toBe(1);
    expect(again.err()).toMatch(/exists; pass --force/);
  });
});
