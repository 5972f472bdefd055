// `caruso script run --identity --today`: a self-service script run in the terminal as an
// identified visitor on a given day, as a case of `caruso script test` gives them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const SCRIPT = `<?xml version="1.0" encoding="UTF-8"?>
<script id="my-account" version="1" xml:lang="en">
  <var name="account" type="object" public="true"/>
  <var name="due" type="number" public="true"/>
  <info id="hello">
    <prompt>Hello <value expr="identity"/>, today is <value expr="today()"/>.</prompt>
    <next target="balance">
      <fetch source="crm.Customers" key="identity" into="account"/>
      <assign var="due" expr="daysBetween(today(), account.dueDate)"/>
    </next>
  </info>
  <info id="balance">
    <prompt>Your bill is due in <value expr="due"/> days.</prompt>
    <next target="done"/>
  </info>
  <end id="done" outcome="shown"/>
</script>
`;

describe('caruso script run --identity --today', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-cli-run-identity-'));
    writeFileSync(join(dir, 'my-account.xml'), SCRIPT);
    writeFileSync(join(dir, 'answers.json'), '{}');
    writeFileSync(join(dir, 'data.json'), JSON.stringify({ 'crm.Customers': { customerNumber: 'K100042', dueDate: '2026-04-14' } }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const runArgs = (...extra: string[]): string[] => ['script', 'run', 'my-account.xml', '--channel', 'web', '--answers', 'answers.json', '--data', 'data.json', ...extra];

  it('runs a web script as the identified visitor on the given day', async () => {
    const io = bufferIO({}, dir);
    expect(await main(runArgs('--identity', '{"customerNumber":"K100042"}', '--today', '2026-03-31'), io)).toBe(0);
    expect(io.err()).toBe('');
    const doc = JSON.parse(io.out()) as { outcome: string; steps: { prompt: string }[] };
    expect(doc.outcome).toBe('shown');
    expect(doc.steps.map((s) => s.prompt)).toEqual(['Hello K100042, today is 2026-03-31.', 'Your bill is due in 14 days.', '']);
  });

  it('reads the identity from a file too, with the object it names', async () => {
    writeFileSync(join(dir, 'visitor.json'), JSON.stringify({ customerNumber: 'K100042', $object: 'Customer' }));
    const io = bufferIO({}, dir);
    expect(await main(runArgs('--identity', 'visitor.json', '--today', '2026-04-13'), io)).toBe(0);
    expect((JSON.parse(io.out()) as { steps: { prompt: string }[] }).steps[1]?.prompt).toBe('Your bill is due in 1 days.');
  });

  it('refuses the visitor’s data without an identity (exit 1), and someone else’s record with one', async () => {
    const io = bufferIO({}, dir);
    expect(await main(runArgs('--today', '2026-03-31'), io)).toBe(1);
    expect(io.err()).toMatch(/the run stopped: .*refused: the visitor has not been identified/);
    const io2 = bufferIO({}, dir);
    expect(await main(runArgs('--identity', '{"customerNumber":"K7"}'), io2)).toBe(1);
    expect(io2.err()).toMatch(/the run stopped: .*returned a record whose customerNumber is not the identified one/);
  });

  it('rejects a day that is not a date (usage, exit 2) and an identity that is not one key and value (exit 1)', async () => {
    for (const bad of ['2026-02-30', '31-03-2026', 'today']) {
      const io = bufferIO({}, dir);
      expect(await main(runArgs('--today', bad), io)).toBe(2);
      expect(io.err()).toContain(`--today must be a date YYYY-MM-DD, not ${bad}`);
    }
    for (const bad of ['{"customerNumber":"K1","postcode":"1234"}', '{"customerNumber":42}', '{ nope', 'missing.json']) {
      const io = bufferIO({}, dir);
      expect(await main(runArgs('--identity', bad), io)).toBe(1);
      expect(io.err()).toMatch(/--identity|missing\.json: cannot read the identity file/);
    }
  });

  it('documents both options in --help', async () => {
    const io = bufferIO({}, dir);
    expect(await main(['script', 'run', '--help'], io)).toBe(0);
    expect(io.out()).toContain('--identity the identified self-service visitor');
    expect(io.out()).toContain('--today    the date today() returns');
  });
});
