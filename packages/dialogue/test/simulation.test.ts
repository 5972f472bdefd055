import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScriptTestFile, scriptGraph, simulate } from '@caruso/dialogue';
import { fixture, loadFixture } from './helpers/load.js';

describe('simulate (caruso script run)', () => {
  it('records actions, takes fetch data from a map and consumes repeated answers in order', async () => {
    const report = await simulate(loadFixture('fault-report.xml'), {
      channel: 'web',
      vars: { caller: '+31' },
      identity: { field: 'customerNumber', key: 'C1' },
      data: { 'crm.Customers': { name: 'Dee' } },
      answers: { kind: ['x', 'power'], urgent: 'yes' },
    });
    expect(report).toMatchObject({ script: 'fault-report', version: '1', channel: 'web', outcome: 'handoff:emergencies' });
    expect(report.steps).toEqual([
      { node: 'welcome', kind: 'info', prompt: 'Welcome! Let us report your fault.' },
      { node: 'kind', kind: 'question', prompt: 'What kind of fault is it?', answer: 'x' },
      { node: 'kind', kind: 'question', prompt: 'What kind of fault is it?', answer: 'power', error: 'Please choose power or water.' },
      { node: 'urgent', kind: 'question', prompt: 'Is anyone in danger?', answer: 'yes' },
      { node: 'emergency', kind: 'handoff', prompt: 'Stay on the line: an engineer will talk to you.' },
    ]);
    expect(report.actions).toEqual([{ service: 'mail.Sender', operation: 'send', params: { to: 'emergency@example.com', subject: 'Danger reported by Dee' } }]);
    expect(report.stopped).toBeUndefined();
  });

  it('stops and says why when the answers run out', async () => {
    const report = await simulate(loadFixture('fault-report.xml'), { channel: 'agent', answers: { kind: 'water' } });
    expect(report.outcome).toBeNull();
    expect(report.stopped).toBe("no answer for question 'postcode' in the answers");
    expect(report.steps.at(-1)).toEqual({ node: 'postcode', kind: 'question', prompt: 'What is the postcode?' });
  });
});

describe("the analysts' test format", () => {
  it('passes the expected runs written next to the fixture script', async () => {
    const results = await runScriptTestFile(fixture('fault-report.test.json'));
    expect(results.map((r) => [r.name, r.failures])).toEqual([
      ['an agent logs a water fault', []],
      ['a caller in danger is handed to the emergency queue and an e-mail goes out', []],
      ['a caller who keeps pressing wrong keys reaches an agent', []],
    ]);
  });

  it('says what differs when a case fails, and rejects a malformed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-script-test-'));
    try {
      writeFileSync(
        join(dir, 'x.test.json'),
        JSON.stringify({ script: fixture('fault-report.xml'), cases: [{ name: 'wrong', channel: 'agent', answers: { kind: 'water', postcode: '1234 AB', meter: '1111' }, outcome: 'other', path: ['welcome'], expectVars: { meter: '2222' } }] }),
      );
      const [r] = await runScriptTestFile(join(dir, 'x.test.json'));
      expect(r?.passed).toBe(false);
      expect(r?.failures).toEqual([
        'outcome: expected other, got fault-logged',
        'path: expected welcome, got welcome → kind → postcode → meter → route → done',
        'variable meter: expected "2222", got "1111"',
      ]);
      writeFileSync(join(dir, 'bad.test.json'), JSON.stringify({ script: 'a.xml', cases: [{ name: 'n', channel: 'fax', answers: {} }] }));
      await expect(runScriptTestFile(join(dir, 'bad.test.json'))).rejects.toMatchObject({ code: 'CARUSO_DIALOGUE_INVALID_TEST', message: expect.stringMatching(/cases\[0\]\.channel must be agent, web or ivr/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the analysts' test format: data per object and operation, today per case", () => {
  const script = `<script id="due" version="1">
  <var name="customer" type="object"/>
  <var name="tariff" type="object"/>
  <question id="number" type="text">
    <prompt>Number?</prompt>
    <next target="check">
      <fetch object="Customer" where="customerNumber == number" into="customer"/>
      <fetch source="crm.Tariffs" key="number" into="tariff"/>
    </next>
  </question>
  <decision id="check">
    <next cond="daysBetween(customer.dueDate, today()) &gt; 0" target="late">
      <action object="Reminder" operation="create" into="reminder"><param name="customerId" expr="customer.id"/></action>
    </next>
    <next target="onTime"/>
  </decision>
  <end id="late" outcome="late"/>
  <end id="onTime" outcome="on-time"/>
</script>`;

  it('answers each object and operation from its own key, keeps the key by service, and sets today per case', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-script-test-'));
    try {
      writeFileSync(join(dir, 'due.xml'), script);
      const customer = { id: 4, customerNumber: 'K4', dueDate: '2024-03-10' };
      const base = { channel: 'agent', answers: { number: 'K4' }, data: { 'Customer.read': customer, 'Reminder.create': { id: 99 }, 'crm.Tariffs': { name: 'day' } } };
      writeFileSync(
        join(dir, 'due.test.json'),
        JSON.stringify({
          script: 'due.xml',
          today: '2024-03-15',
          cases: [
            { ...base, name: 'late by the file date', outcome: 'late', expectVars: { reminder: { id: 99 }, tariff: { name: 'day' } }, actions: [{ object: 'Reminder', operation: 'create', params: { customerId: 4 } }] },
            { ...base, name: 'on time on its own date', today: '2024-03-09', outcome: 'on-time', actions: [] },
          ],
        }),
      );
      const results = await runScriptTestFile(join(dir, 'due.test.json'));
      expect(results.map((r) => [r.name, r.failures])).toEqual([
        ['late by the file date', []],
        ['on time on its own date', []],
      ]);
      writeFileSync(join(dir, 'bad.test.json'), JSON.stringify({ script: 'due.xml', cases: [{ ...base, name: 'n', today: '15-03-2024', outcome: 'late' }] }));
      await expect(runScriptTestFile(join(dir, 'bad.test.json'))).rejects.toMatchObject({ message: expect.stringMatching(/cases\[0\]\.today must be a date YYYY-MM-DD/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scriptGraph', () => {
  it('draws nodes and edges in mermaid and dot', () => {
    const script = loadFixture('move-home.xml').main;
    const mermaid = scriptGraph(script, 'mermaid');
    expect(mermaid.split('\n')[0]).toBe('flowchart TD');
    expect(mermaid).toContain('n1[["address<br/>subscript parts/address.xml"]]');
    expect(mermaid).toContain(`n1 -->|"street == ''"| n0`);
    expect(mermaid).toContain(`n2 -.->|"confirm / else"| n3`);
    const dot = scriptGraph(script, 'dot');
    expect(dot).toContain('"confirm" -> "agent-check" [label="confirm / else", style=dashed];');
    expect(dot).toContain('"done" [shape=doublecircle, label="done\\nend moved"];');
  });
});
