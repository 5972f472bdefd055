import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const fixtures = fileURLToPath(new URL('../../../packages/dialogue/test/fixtures/', import.meta.url));

describe('caruso script', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-cli-script-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const broken = `<script id="b" version="1">
  <question id="q" type="choice">
    <prompt>Pick</prompt>
    <choice value="a">A</choice>
    <next cond="q == 'a' and missing" target="nowhere"/>
  </question>
  <info id="lost"><prompt>never shown</prompt></info>
  <end id="e" outcome="o"/>
</script>
`;

  it('validate prints each error as file:line:col and exits 1', async () => {
    writeFileSync(join(dir, 'broken.xml'), broken);
    const io = bufferIO({}, dir);
    expect(await main(['script', 'validate', 'broken.xml'], io)).toBe(1);
    expect(io.out().trimEnd().split('\n')).toEqual([
      "broken.xml:4:5: error: choice 'a' has no dtmf key but question 'q' runs on ivr: add dtmf=\"…\" or limit the question with channels=\"agent web\"",
      "broken.xml:5:30: error: variable 'missing' is not declared: add <var name=\"missing\"/> or store an answer in it",
      'broken.xml:5:47: error: target="nowhere" names no node of this script',
    ]);
    expect(io.err()).toBe('failed: 1 script, 3 errors, 4 warnings\n');
  });

  it('lint prints the warnings too', async () => {
    writeFileSync(join(dir, 'broken.xml'), broken);
    const io = bufferIO({}, dir);
    expect(await main(['script', 'lint', 'broken.xml'], io)).toBe(1);
    expect(io.out()).toContain("broken.xml:7:3: warning: node 'lost' is unreachable");
    expect(io.out()).toContain('broken.xml:7:3: warning: <info id="lost"> is a dead end');
    expect(io.err()).toBe('failed: 1 script, 3 errors, 4 warnings\n');
  });

  it('validate exits 0 for a folder of good scripts, following subscripts', async () => {
    const io = bufferIO({}, fixtures);
    expect(await main(['script', 'validate', '.', 'parts'], io)).toBe(0);
    expect(io.out()).toBe('ok: 3 scripts, 0 warnings\n');
    expect(io.err()).toBe('');
    const quiet = bufferIO({}, fixtures);
    expect(await main(['script', 'lint', '--quiet', 'parts'], quiet)).toBe(0);
    expect(quiet.out() + quiet.err()).toBe('');
  });

  it('validate and lint fail on a folder without scripts (regression: "0 file(s): 0 error(s)", exit 0)', async () => {
    for (const verb of ['validate', 'lint']) {
      const io = bufferIO({}, dir);
      expect(await main(['script', verb, '.'], io)).toBe(1);
      expect(io.out()).toBe('');
      expect(io.err()).toMatch(/^\.: no script files found \(no \*\.xml in the folder .*\)\n$/);
    }
  });

  it('validate --model checks business objects against the model', async () => {
    writeFileSync(join(dir, 'm.model.xml'), `<model name="m" version="1"><object name="Customer" table="customers"><field name="id" type="id"/><field name="customerNumber" type="string" length="10"/></object></model>`);
    writeFileSync(join(dir, 'find.xml'), `<script id="find" version="1">
  <question id="number" type="text" channels="agent"><prompt>Number?</prompt>
    <next target="done"><fetch object="Customer" where="customerNumbr == number" into="customer"/></next>
  </question>
  <end id="done" outcome="found"/>
</script>
`);
    const without = bufferIO({}, dir);
    expect(await main(['script', 'validate', 'find.xml'], without)).toBe(0);
    const io = bufferIO({}, dir);
    expect(await main(['script', 'validate', '--model', 'm.model.xml', 'find.xml'], io)).toBe(1);
    expect(io.out()).toBe("find.xml:3:57: error: in where: Customer has no field 'customerNumbr' (did you mean 'customerNumber'?)\n");
    const bad = bufferIO({}, dir);
    expect(await main(['script', 'validate', '--model', 'nope.model.xml', 'find.xml'], bad)).toBe(1);
    expect(bad.err()).toMatch(/--model nope.model.xml: cannot read the model file/);
  });

  it('validate reports a file that cannot be read, and a usage error without files', async () => {
    const io = bufferIO({}, dir);
    expect(await main(['script', 'validate', 'nope.xml'], io)).toBe(1);
    expect(io.out()).toBe(`nope.xml:1:1: error: cannot read the file: no such file (looked for ${join(dir, 'nope.xml')})\n`);
    const io2 = bufferIO({}, dir);
    expect(await main(['script', 'validate'], io2)).toBe(2);
    expect(io2.err()).toMatch(/name at least one script file/);
  });

  it('run --answers prints one JSON document with steps, vars and recorded actions', async () => {
    writeFileSync(join(dir, 'answers.json'), JSON.stringify({ kind: '1', urgent: ['3', '1'] }));
    writeFileSync(join(dir, 'data.json'), JSON.stringify({ 'crm.Customers': { name: 'Eva' } }));
    const io = bufferIO({}, dir);
    const code = await main(['script', 'run', join(fixtures, 'fault-report.xml'), '--channel', 'ivr', '--answers', 'answers.json', '--data', 'data.json', '--var', 'caller=+3212'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(io.out()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      script: 'fault-report',
      version: '1',
      channel: 'ivr',
      outcome: 'handoff:emergencies',
      vars: { caller: '+3212', customer: { name: 'Eva' }, kind: 'power', urgent: true },
      actions: [{ service: 'mail.Sender', operation: 'send', params: { to: 'emergency@example.com', subject: 'Danger reported by Eva' } }],
    });
    expect(doc['steps']).toEqual([
      { node: 'welcome', kind: 'info', prompt: 'Welcome to the fault line.' },
      { node: 'kind', kind: 'question', prompt: 'For power press 1, for water press 2.', answer: '1' },
      { node: 'urgent', kind: 'question', prompt: 'If anyone is in danger press 1, otherwise press 2.', answer: '3' },
      { node: 'urgent', kind: 'question', prompt: 'If anyone is in danger press 1, otherwise press 2.', answer: '1', error: 'That answer was not understood.' },
      { node: 'emergency', kind: 'handoff', prompt: 'Stay on the line: an engineer will talk to you.' },
    ]);
  });

  it('run rejects a bad channel (usage) and bad JSON (input)', async () => {
    const io = bufferIO({}, dir);
    expect(await main(['script', 'run', join(fixtures, 'fault-report.xml'), '--channel', 'fax'], io)).toBe(2);
    writeFileSync(join(dir, 'answers.json'), '{ nope');
    const io2 = bufferIO({}, dir);
    expect(await main(['script', 'run', join(fixtures, 'fault-report.xml'), '--channel', 'web', '--answers', 'answers.json'], io2)).toBe(1);
    expect(io2.err()).toMatch(/answers.json: the answers file is not valid JSON/);
  });

  it('run without --answers asks in the terminal, with :back', async () => {
    const io = bufferIO({}, dir);
    const stdin = io.stdin as unknown as NodeJS.WritableStream;
    stdin.write(['', 'water', '1234 AB', ':back', '5555 ZZ', '777777', ''].join('\n') + '\n');
    stdin.end();
    const code = await main(['script', 'run', join(fixtures, 'fault-report.xml'), '--channel', 'agent'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    expect(io.out()).toContain('[kind] Hello there, what kind of fault is it?');
    expect(io.out()).toContain('  - power [1]: Power');
    expect(io.out()).toContain('outcome: fault-logged');
    expect(io.out().match(/\[postcode\] What is the postcode\?/g)).toHaveLength(2);
  });

  it('graph prints mermaid or dot', async () => {
    const io = bufferIO({}, dir);
    expect(await main(['script', 'graph', join(fixtures, 'fault-report.xml'), '--format', 'dot'], io)).toBe(0);
    expect(io.out()).toMatch(/^digraph "fault-report" \{/);
    expect(io.out()).toContain('"kind" -> "postcode" [label="kind == \'water\'"];');
    const io2 = bufferIO({}, dir);
    expect(await main(['script', 'graph', join(fixtures, 'fault-report.xml')], io2)).toBe(0);
    expect(io2.out()).toMatch(/^flowchart TD/);
    const io3 = bufferIO({}, dir);
    expect(await main(['script', 'graph', join(fixtures, 'fault-report.xml'), '--format', 'png'], io3)).toBe(2);
  });

  it('test runs the expected runs of a folder and fails when one differs', async () => {
    const io = bufferIO({}, fixtures);
    expect(await main(['script', 'test', '.'], io)).toBe(0);
    expect(io.out()).toContain('ok   fault-report.test.json › an agent logs a water fault');
    expect(io.out()).toContain('3 case(s): 3 passed, 0 failed');
    writeFileSync(join(dir, 'f.test.json'), JSON.stringify({ script: join(fixtures, 'fault-report.xml'), cases: [{ name: 'wrong outcome', channel: 'web', identity: { customerNumber: 'C1' }, answers: { kind: 'power', urgent: 'no', postcode: '1234 AB', meter: '1234' }, outcome: 'fault-logged' }] }));
    const io2 = bufferIO({}, dir);
    expect(await main(['script', 'test', dir], io2)).toBe(1);
    expect(io2.out()).toContain('FAIL f.test.json › wrong outcome\n       outcome: expected fault-logged, got handoff:faults');
  });
});
