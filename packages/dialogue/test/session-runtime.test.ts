import { isCarusoError } from '@caruso/kernel';
import { loadScriptBundle, mapSourceReader, SessionRuntime, type ScriptBundle, type ScriptServices, type SessionIdentity, type SessionState, type StepResult, type Variables } from '@caruso/dialogue';
import { loadFixture } from './helpers/load.js';

const NOW = Date.UTC(2024, 2, 15, 9, 0, 0);

class Services implements ScriptServices {
  readonly calls: Array<{ kind: string; target: string; operation: string; arg: unknown }> = [];
  constructor(
    private readonly data: Record<string, unknown> = {},
    private readonly results: Record<string, unknown> = {},
  ) {}
  fetch(source: string, operation: string, key: unknown): unknown {
    this.calls.push({ kind: 'fetch', target: source, operation, arg: key });
    return this.data[source] ?? null;
  }
  action(service: string, operation: string, params: Variables): unknown {
    this.calls.push({ kind: 'action', target: service, operation, arg: params });
    const r = this.results[`${service}.${operation}`];
    if (r instanceof Error) throw r;
    return r ?? null;
  }
}

function driver(bundle: ScriptBundle, services: ScriptServices = new Services()) {
  const rt = new SessionRuntime({ services, now: () => NOW });
  let res: StepResult;
  return {
    rt,
    async start(channel: 'agent' | 'web' | 'ivr', vars: Variables = {}, lang?: string, identity?: SessionIdentity) {
      res = await rt.start(bundle, { id: 's1', hash: 'h', channel, vars, ...(lang ? { lang } : {}), ...(identity ? { identity } : {}) });
      return res;
    },
    async answer(v: unknown) {
      res = await rt.answer(bundle, res.state, v);
      return res;
    },
    back() {
      res = rt.back(bundle, res.state);
      return res;
    },
    get state(): SessionState {
      return res.state;
    },
  };
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (err) {
    if (isCarusoError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('SessionRuntime (agent channel)', () => {
  const bundle = loadFixture('fault-report.xml');

  it('runs info, question, fetch, handlers, validation, decision, log and end', async () => {
    const services = new Services({ 'crm.Customers': { name: 'Ann', ignored: () => 1 } });
    const d = driver(bundle, services);
    let r = await d.start('agent', { caller: '+3212345' });
    expect(r.step).toMatchObject({ kind: 'info', node: 'welcome', prompt: 'Greet the customer and confirm their name.', canGoBack: false });
    r = await d.answer(undefined);
    expect(services.calls[0]).toEqual({ kind: 'fetch', target: 'crm.Customers', operation: 'fetch', arg: '+3212345' });
    expect(r.step).toMatchObject({ kind: 'question', node: 'kind', prompt: 'Hello Ann, what kind of fault is it?', help: 'Ask whether the whole street is affected.', type: 'choice' });
    expect(r.step.choices).toEqual([
      { value: 'power', label: 'Power', dtmf: '1' },
      { value: 'water', label: 'Water', dtmf: '2' },
    ]);
    // nomatch: VoiceXML counting picks the handler with the highest count not above the counter
    expect((await d.answer('gas')).step.error).toBe('Please choose power or water.');
    expect((await d.answer('gas')).step.error).toBe('Press 1 for power, 2 for water.');
    expect((await d.answer('gas')).step.error).toBe('Press 1 for power, 2 for water.');
    expect(d.state.counters).toEqual({ nomatch: 3 });
    // the label is accepted too, case-insensitively
    r = await d.answer('WATER');
    expect(r.step).toMatchObject({ node: 'postcode', canGoBack: true });
    expect(r.step.error).toBeUndefined();
    expect(d.state.vars['kind']).toBe('water');
    expect((await d.answer('1234ab')).step.error).toBe('The answer does not have the expected form.');
    expect((await d.answer('0123 AB')).step.error).toBe('Postcodes do not start with 0.');
    expect((await d.answer('1234 AB')).step).toMatchObject({ node: 'meter', prompt: 'Ask for the meter number.', type: 'digits' });
    expect((await d.answer('12')).step.error).toBe('The answer needs at least 4 characters.');
    expect((await d.answer('123456789')).step.error).toBe('The answer may have at most 8 characters.');
    expect((await d.answer('12a4')).step.error).toBe('Answer with digits only.');
    expect((await d.answer('')).step.error).toBe('An answer is needed.');
    r = await d.answer(12345);
    expect(r.step).toEqual({ kind: 'end', script: 'fault-report', node: 'done', prompt: 'Thank you, the fault is logged.', outcome: 'fault-logged', canGoBack: true });
    expect(r.trace).toContainEqual({ type: 'log', message: 'fault logged for 12345', at: expect.objectContaining({ line: expect.any(Number) }) });
    expect(d.state).toMatchObject({ status: 'ended', outcome: 'fault-logged' });
    expect(d.state.vars).toMatchObject({ attempts: 1, meter: '12345', postcode: '1234 AB', customer: { name: 'Ann' } });
    expect(await code(d.answer('x'))).toMatch(/^CARUSO_DIALOGUE_SESSION_ENDED/);
  });

  it('goes back one question and undoes the answers after it', async () => {
    const d = driver(bundle);
    await d.start('agent', { caller: 'x' });
    await d.answer(undefined);
    await d.answer('power');
    await d.answer(false);
    await d.answer('1234 AB');
    expect(d.state.at.node).toBe('meter');
    let r = d.back();
    expect(r.step).toMatchObject({ node: 'postcode', canGoBack: true });
    expect('postcode' in d.state.vars).toBe(false);
    expect(d.state.vars['urgent']).toBe(false);
    r = d.back();
    expect(r.step.node).toBe('urgent');
    expect('urgent' in d.state.vars).toBe(false);
    r = d.back();
    expect(r.step).toMatchObject({ node: 'kind', canGoBack: false });
    expect(await code(() => d.back())).toBe('CARUSO_DIALOGUE_CANNOT_GO_BACK: session s1 cannot go back: no question has been answered yet');
    r = await d.answer('water');
    expect(r.step.node).toBe('postcode');
  });

  it('reopens an ended session with back', async () => {
    const d = driver(bundle);
    await d.start('agent');
    await d.answer(null);
    await d.answer('water');
    await d.answer('1234 AB');
    await d.answer('9999');
    expect(d.state.status).toBe('ended');
    const r = d.back();
    expect(r.step.node).toBe('meter');
    expect(d.state.status).toBe('active');
    expect(d.state.outcome).toBeUndefined();
  });
});

describe('SessionRuntime (web channel)', () => {
  it('hands off to an agent queue carrying only the public variables to the visitor; the state keeps them all', async () => {
    const d = driver(loadFixture('fault-report.xml'), new Services({ 'crm.Customers': { name: 'Bo' } }));
    expect((await d.start('web', { caller: '+32' }, undefined, { field: 'customerNumber', key: 'C1' })).step.prompt).toBe('Welcome! Let us report your fault.');
    await d.answer(undefined);
    expect((await d.answer('power')).step.node).toBe('urgent');
    expect((await d.answer('maybe')).step.error).toBe('Answer yes or no.');
    await d.answer('no');
    await d.answer('1000 AA');
    const r = await d.answer('4444');
    expect(r.step).toMatchObject({ kind: 'handoff', node: 'to-agent', queue: 'faults', skills: ['power', 'water'] });
    // No priority="…": the contact keeps the priority of how it came in.
    expect(r.step.priority).toBeUndefined();
    // The answers the visitor typed are public; the caller's number and the fetched customer are not.
    expect(r.step.vars).toEqual({ kind: 'power', urgent: false, postcode: '1000 AA', meter: '4444' });
    expect(d.state.vars).toMatchObject({ caller: '+32', kind: 'power', customer: { name: 'Bo' } });
    expect(d.state.status).toBe('handoff');
    expect(await code(() => d.back())).toMatch(/the session was handed off/);
  });
});

describe('SessionRuntime (web channel: an identified visitor only)', () => {
  const bundle = (body: string): ScriptBundle => {
    const text = `<script id="w" version="1"><var name="customer" type="object"/><var name="who" type="string" public="true"/><var name="done" type="object"/>${body}<end id="bye" outcome="done"/></script>`;
    const r = loadScriptBundle('w.xml', text, mapSourceReader({}));
    if (!r.bundle) throw new Error(r.diagnostics.map(String).join('\n'));
    return r.bundle;
  };
  const lookup = bundle(`<question id="number" type="text"><prompt>Number?</prompt><next target="bye"><fetch source="crm.Customers" operation="get" key="number" into="customer"/></next></question>`);
  const me: SessionIdentity = { field: 'customerNumber', key: 'K100001' };

  it('refuses a fetch before the visitor is identified, and changes nothing', async () => {
    const services = new Services({ 'crm.Customers': { customerNumber: 'K100002', name: 'Someone Else' } });
    const d = driver(lookup, services);
    await d.start('web');
    const before = d.state;
    expect(await code(d.answer('K100002'))).toMatch(/^CARUSO_DIALOGUE_NOT_IDENTIFIED: w\.xml:1:\d+: crm\.Customers\.get on the web channel is refused: the visitor has not been identified/);
    expect(services.calls).toEqual([]);
    expect(d.state).toBe(before);
  });

  it('refuses a record of another customer than the identified one, and an action that names another', async () => {
    const d = driver(lookup, new Services({ 'crm.Customers': { customerNumber: 'K100002', name: 'Someone Else' } }));
    await d.start('web', {}, undefined, me);
    expect(await code(d.answer('K100002'))).toMatch(/^CARUSO_DIALOGUE_NOT_IDENTIFIED: .*returned a record whose customerNumber is not the identified one/);
    const act = bundle(`<question id="number" type="text"><prompt>Number?</prompt><next target="bye"><action service="crm.Moves" operation="register" into="done"><param name="customerNumber" expr="number"/></action></next></question>`);
    const services = new Services();
    const a = driver(act, services);
    await a.start('web', {}, undefined, me);
    expect(await code(a.answer('K100002'))).toMatch(/^CARUSO_DIALOGUE_NOT_IDENTIFIED: .*its parameter customerNumber names another record/);
    expect(services.calls).toEqual([]);
    expect((await a.answer('K100001')).state.status).toBe('ended');
  });

  it('runs for the identified visitor, whose key scripts read as the built-in identity (no variable can pose as it)', async () => {
    const mine = bundle(`<decision id="who"><next target="bye"><assign var="who" expr="identity"/><fetch source="crm.Customers" operation="get" key="identity" into="customer"/></next></decision>`);
    const services = new Services({ 'crm.Customers': { customerNumber: 'K100001', name: 'Me' } });
    const r = await driver(mine, services).start('web', { identity: 'K100002' }, undefined, me);
    expect(r.state.vars).toMatchObject({ who: 'K100001', customer: { name: 'Me' } });
    expect(services.calls).toEqual([{ kind: 'fetch', target: 'crm.Customers', operation: 'get', arg: 'K100001' }]);
  });

  it('runs a fetch or an action marked anonymous for anyone; other channels are not limited', async () => {
    const open = bundle(`<decision id="look"><next target="bye"><fetch source="geo.Outages" operation="at" key="'3511'" into="done" anonymous="true"/></next></decision>`);
    expect((await driver(open, new Services({ 'geo.Outages': { ref: 'S1' } })).start('web')).state.vars['done']).toEqual({ ref: 'S1' });
    const agent = driver(lookup, new Services({ 'crm.Customers': { customerNumber: 'K100002' } }));
    await agent.start('agent');
    expect((await agent.answer('K100002')).state.vars['customer']).toEqual({ customerNumber: 'K100002' });
  });
});

describe('SessionRuntime (ivr channel)', () => {
  const bundle = loadFixture('fault-report.xml');

  it('selects choices by DTMF key, skips nodes not enabled on ivr and runs actions', async () => {
    const services = new Services({}, { 'mail.Sender.send': { queued: true } });
    const d = driver(bundle, services);
    expect((await d.start('ivr', { caller: '+31' })).step.prompt).toBe('Welcome to the fault line.');
    expect((await d.answer(undefined)).step.prompt).toBe('For power press 1, for water press 2.');
    expect((await d.answer('power')).step.error).toBe('Please choose power or water.');
    const r1 = await d.answer('1#');
    expect(r1.step).toMatchObject({ node: 'urgent', prompt: 'If anyone is in danger press 1, otherwise press 2.', canGoBack: false });
    const r = await d.answer('1');
    expect(services.calls.filter((c) => c.kind === 'action')).toEqual([
      { kind: 'action', target: 'mail.Sender', operation: 'send', arg: { to: 'emergency@example.com', subject: 'Danger reported by +31' } },
    ]);
    // The danger branch jumps the line: its hand-off says the contact's priority.
    expect(r.step).toMatchObject({ kind: 'handoff', queue: 'emergencies', skills: ['safety'], priority: 9, prompt: 'Stay on the line: an engineer will talk to you.' });
  });

  it('skips a question not enabled on ivr as if unanswered and collects digits up to #', async () => {
    const d = driver(bundle);
    await d.start('ivr');
    await d.answer(null);
    const r = await d.answer('2');
    expect(r.trace).toContainEqual({ type: 'enter', script: 'fault-report', node: 'postcode', kind: 'question', skipped: true });
    expect(r.step).toMatchObject({ node: 'meter', prompt: 'Key in your meter number, then press hash.' });
    expect('postcode' in d.state.vars).toBe(false);
    const end = await d.answer('98765#');
    expect(d.state.vars['meter']).toBe('98765');
    expect(end.step).toMatchObject({ kind: 'handoff', queue: 'faults' });
    expect(await code(() => d.back())).toMatch(/not ivr/);
  });

  it('hands off to the fallback queue after the last nomatch handler', async () => {
    const d = driver(bundle);
    await d.start('ivr');
    await d.answer(null);
    expect((await d.answer('7')).step.error).toBe('Please choose power or water.');
    expect((await d.answer('8')).step.error).toBe('Press 1 for power, 2 for water.');
    const r = await d.answer('9');
    expect(r.step).toMatchObject({ kind: 'handoff', queue: 'faults', skills: [] });
    expect(d.state.handoff).toEqual({ queue: 'faults', skills: [], reason: 'fallback' });
  });

  it('hands off after max-attempts noinputs when the question has no handler', async () => {
    const d = driver(bundle);
    await d.start('ivr');
    await d.answer(null);
    for (let i = 1; i <= 3; i++) {
      const r = await d.answer('');
      expect(r.step).toMatchObject({ kind: 'question', error: 'An answer is needed.' });
      expect(d.state.counters.noinput).toBe(i);
    }
    expect((await d.answer('')).step).toMatchObject({ kind: 'handoff', queue: 'faults' });
  });
});

describe('SessionRuntime (subscripts, dates, if/elseif/else, goto, languages)', () => {
  const bundle = loadFixture('move-home.xml');
  const geo = { 'geo.Addresses': { street: 'Main St 1' } };

  it('runs a subscript with shared variables and continues with its own <next>', async () => {
    const services = new Services(geo, { 'crm.Moves.register': { id: 'T-1' } });
    const d = driver(bundle, services);
    let r = await d.start('web', {}, undefined, { field: 'customerNumber', key: 'K1' });
    expect(r.step).toMatchObject({ node: 'date', type: 'date' });
    expect((await d.answer('2023-12-31')).step.error).toBe('The answer must be at least 2024-01-01.');
    expect((await d.answer('2024-02-30')).step.error).toBe('Answer with a date, YYYY-MM-DD.');
    expect((await d.answer('2025-06-01')).step.error).toBe('We can only register moves within a year.');
    r = await d.answer('2024-04-01');
    expect(r.step).toMatchObject({ script: 'address', node: 'postcode' });
    expect(d.state.stack).toEqual([{ script: 'move-home', node: 'address' }]);
    r = await d.answer('1234AB');
    expect(services.calls).toContainEqual({ kind: 'fetch', target: 'geo.Addresses', operation: 'byPostcode', arg: '1234AB' });
    expect(r.step).toMatchObject({ script: 'move-home', node: 'confirm', prompt: 'Move to Main St 1 on 2024-04-01?' });
    expect(d.state.vars).toMatchObject({ moves: 1, street: 'Main St 1' });
    // back from the parent into the subscript
    r = d.back();
    expect(r.step).toMatchObject({ script: 'address', node: 'postcode' });
    r = await d.answer('1234AB');
    r = await d.answer('yes');
    expect(services.calls.filter((c) => c.kind === 'action')).toHaveLength(1);
    expect(r.step).toMatchObject({ kind: 'end', outcome: 'moved', prompt: 'Your move is registered (reference T-1).' });
    expect(d.state.vars['ticket']).toEqual({ id: 'T-1' });
  });

  it('takes the <else> branch and its <goto> for an agent', async () => {
    const d = driver(bundle, new Services(geo));
    await d.start('agent');
    await d.answer('2024-04-01');
    await d.answer('1234AB');
    const r = await d.answer(true);
    expect(r.step).toMatchObject({ kind: 'info', node: 'agent-check' });
    expect((await d.answer(undefined)).step).toMatchObject({ kind: 'end', outcome: 'moved', prompt: 'Your move is registered (reference pending).' });
  });

  it('takes the <elseif> branch on ivr (keyed date, a log, the subscript question skipped)', async () => {
    const d = driver(bundle, new Services(geo));
    await d.start('ivr');
    let r = await d.answer('20240401#');
    expect(d.state.vars['date']).toBe('2024-04-01');
    expect(r.step.node).toBe('confirm');
    r = await d.answer('1');
    expect(r.trace).toContainEqual(expect.objectContaining({ type: 'log', message: 'ivr move 2024-04-01' }));
    expect(r.step.kind).toBe('end');
  });

  it('loops back when the subscript found no street', async () => {
    const d = driver(bundle, new Services({}));
    await d.start('web');
    await d.answer('2024-04-01');
    const r = await d.answer('1234AB');
    expect(r.step.node).toBe('date');
  });

  it('picks the prompt of the session language', async () => {
    const d = driver(bundle, new Services(geo));
    await d.start('agent', {}, 'nl-BE');
    await d.answer('2024-04-01');
    expect((await d.answer('1234AB')).step.prompt).toBe('Verhuizen naar Main St 1 op 2024-04-01?');
  });
});

describe('SessionRuntime (failures change nothing)', () => {
  const inline = (body: string, vars = ''): ScriptBundle => {
    const text = `<script id="t" version="1">${vars}${body}<end id="bye" outcome="done"/></script>`;
    const r = loadScriptBundle('t.xml', text, mapSourceReader({}));
    if (!r.bundle) throw new Error(r.diagnostics.map(String).join('\n'));
    return r.bundle;
  };

  it('reports a failing action with its place in the file and keeps the state', async () => {
    const bundle = inline(`<question id="q" type="text"><prompt>Q</prompt><next target="bye"><action service="erp.Orders" operation="cancel"><param name="id" expr="q"/></action></next></question>`);
    const d = driver(bundle, new Services({}, { 'erp.Orders.cancel': new Error('ERP is down') }));
    await d.start('agent');
    const before = JSON.stringify(d.state);
    expect(await code(d.answer('42'))).toBe('CARUSO_DIALOGUE_SERVICE_FAILED: t.xml:1:94: action erp.Orders.cancel failed: ERP is down');
    expect(JSON.stringify(d.state)).toBe(before);
  });

  it('reports an expression that fails at run time with its place', async () => {
    const bundle = inline(`<question id="q" type="text"><prompt>Q</prompt><next cond="q * 2 > 1" target="bye"/></question>`);
    const d = driver(bundle);
    await d.start('agent');
    expect(await code(d.answer('abc'))).toMatch(/^CARUSO_DIALOGUE_EXPRESSION_FAILED: t\.xml:1:75: '\*' needs two numbers, got the text 'abc' and number 2 in 'q \* 2 > 1' \(column 3\)/);
    expect(d.state.at.node).toBe('q');
  });

  it('stops a loop of decisions', async () => {
    const bundle = inline(`<decision id="a"><next target="b"/></decision><decision id="b"><next target="a"/></decision>`);
    expect(await code(new SessionRuntime({ services: new Services(), maxNodesPerStep: 50 }).start(bundle, { id: 'x', hash: 'h', channel: 'web' }))).toMatch(/^CARUSO_DIALOGUE_LOOP: t\.xml:1:\d+: the script ran 50 nodes/);
  });

  it('reports a decision where no <next> holds', async () => {
    const bundle = inline(`<decision id="d"><next cond="x == 2" target="bye"/></decision>`, `<var name="x" expr="1"/>`);
    expect(await code(driver(bundle).start('web'))).toMatch(/^CARUSO_DIALOGUE_NO_TRANSITION: t\.xml:1:\d+: no <next> of <decision id="d"> holds/);
  });

  it('validates initial variables against their declared types', async () => {
    const bundle = inline(`<question id="q" type="text"><prompt>Q <value expr="n + 1"/></prompt><next target="bye"/></question>`, `<var name="n" type="number" public="true"/>`);
    expect(await code(driver(bundle).start('web', { n: 'abc' }))).toBe('CARUSO_DIALOGUE_INVALID_VARIABLE: initial variable n: declared number but got string');
    expect((await driver(bundle).start('web', { n: '41' })).step.prompt).toBe('Q 42');
    expect(await code(driver(bundle).start('fax' as 'web'))).toMatch(/^CARUSO_DIALOGUE_INVALID_CHANNEL/);
    expect(await code(driver(bundle).start('web', { 'bad name': 1 }))).toMatch(/^CARUSO_DIALOGUE_INVALID_VARIABLE/);
  });

  it('accepts an empty answer to an optional question and numbers with a star as decimal point on ivr', async () => {
    const bundle = inline(`<question id="q" type="number" required="false"><prompt>Q</prompt><next target="r"/></question><question id="r" type="number" min="1"><prompt>R</prompt><next target="bye"/></question>`);
    const d = driver(bundle);
    await d.start('ivr');
    expect((await d.answer('')).step.node).toBe('r');
    expect(d.state.vars['q']).toBeNull();
    expect((await d.answer('0*5')).step.error).toBe('The answer must be at least 1.');
    expect((await d.answer('2*5#')).step.kind).toBe('end');
    expect(d.state.vars['r']).toBe(2.5);
  });

  it('runs an <on> handler with a goto', async () => {
    const bundle = inline(
      `<question id="q" type="number"><prompt>Q</prompt><validate cond="q > 10" message="Too small."/><on event="invalid"><assign var="tries" expr="tries + 1"/><if cond="tries >= 2"><goto target="help_desk"/></if></on><next target="bye"/></question><handoff id="help_desk" queue="helpdesk"/>`,
      `<var name="tries" expr="0"/>`,
    );
    const d = driver(bundle);
    await d.start('agent');
    expect((await d.answer(5)).step.error).toBe('Too small.');
    expect((await d.answer(6)).step).toMatchObject({ kind: 'handoff', queue: 'helpdesk' });
  });
});
