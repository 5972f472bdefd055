import { readApplication, requireApplication, scaffoldApplication } from '@caruso/frontoffice';
import { crmModel, fixtureText } from './fixture.js';

const model = crmModel();
const scripts = new Set(['fault-check', 'meter-reading']);

function errors(text: string): string[] {
  return readApplication(text, 'app.xml', { model, scripts }).diagnostics.filter((d) => d.severity === 'error').map(String);
}

describe('readApplication', () => {
  it('reads the fixture application with its roles, views, desktop and self-service pages', () => {
    const r = readApplication(fixtureText('crm.app.xml'), 'crm.app.xml', { model, scripts });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const app = r.application!;
    expect(app.name).toBe('crm-desk');
    expect(app.roles.find((x) => x.name === 'agent')?.grants[0]).toEqual({
      object: 'Customer',
      actions: ['read', 'create', 'update'],
      fields: ['id', 'firstName', 'lastName', 'phone', 'email', 'segment', 'postcode'],
      readonly: ['segment'],
    });
    expect(app.lists[0]).toMatchObject({ name: 'customers', sort: ['lastName', 'firstName'], pageSize: 25, record: 'customer' });
    expect(app.lists[0]?.filters[0]?.conditions).toEqual([{ field: 'segment', op: 'eq', value: 'business' }]);
    expect(app.records[0]?.related).toEqual([{ relation: 'contracts', columns: ['number', 'product'], label: undefined }]);
    expect(app.desktop.scripts).toEqual([{ queue: 'support', script: 'fault-check', writes: [{ variable: 'postcode', field: 'postcode' }] }]);
    expect(app.desktop.wrapUpCodes.map((c) => c.code)).toEqual(['solved', 'follow-up']);
    expect(app.selfService).toEqual([{ name: 'meter', script: 'meter-reading', queue: 'support', label: 'Give a meter reading' }]);
  });

  it('says an unknown field a list repeats once, however often it is repeated', () => {
    const many = Array.from({ length: 100_000 }, () => 'shoeSize').join(' ');
    const text = `<application name="a" model="crm">\n  <list name="l" object="Customer" sort="${many} -age lastName"><column field="lastName"/></list>\n</application>`;
    expect(errors(text)).toEqual([expect.stringMatching(/^app\.xml:2:\d+: error: Customer has no field shoeSize/), expect.stringMatching(/^app\.xml:2:\d+: error: Customer has no field age/)]);
  });

  it('reports unknown objects, fields, relations, scripts, roles and views with file:line:col', () => {
    const text = [
      '<application name="a" model="crm">',
      '  <role name="agent"><grant object="Invoice"/><grant object="Customer" fields="firstName,shoeSize"/></role>',
      '  <role name="janitor"/>',
      '  <list name="l" object="Customer" sort="-age"><column field="lastName"/></list>',
      '  <record name="r" object="Customer"><related relation="invoices"/></record>',
      '  <navigation role="agent"><item view="nowhere"/></navigation>',
      '  <desktop><script queue="q" script="missing-script"/></desktop>',
      '</application>',
    ].join('\n');
    expect(errors(text)).toEqual([
      expect.stringMatching(/^app\.xml:2:29: error: unknown object Invoice; the model crm has Customer, Contract$/),
      'app.xml:2:72: error: Customer has no field shoeSize',
      expect.stringMatching(/^app\.xml:3:9: error: unknown role janitor/),
      'app.xml:4:36: error: Customer has no field age',
      'app.xml:5:47: error: Customer has no relation invoices',
      expect.stringMatching(/^app\.xml:6:34: error: unknown view "nowhere"/),
      expect.stringMatching(/^app\.xml:7:30: error: unknown dialogue script missing-script; known: fault-check, meter-reading$/),
    ]);
  });

  it('reports unknown elements and attributes, bad operators and anonymous grants', () => {
    const text = [
      '<application name="a" model="crm" colour="red">',
      '  <role name="anonymous"><grant object="Customer"/></role>',
      '  <list name="l" object="Customer"><column field="lastName"/><filter name="f"><condition field="creditScore" op="contains" value="1"/></filter></list>',
      '  <widgetz/>',
      '</application>',
    ].join('\n');
    const e = errors(text);
    expect(e).toContain('app.xml:1:35: error: <application> has no attribute colour');
    expect(e.some((x) => x.startsWith('app.xml:2:26: error: anonymous self-service visitors'))).toBe(true);
    expect(e.some((x) => /app\.xml:3:\d+: error: contains applies to text fields; creditScore is integer/.test(x))).toBe(true);
    expect(e).toContain('app.xml:4:3: error: <widgetz> is not allowed inside <application>');
  });

  it('reads <identify>: a unique key and a second factor of other fields, with the model\'s labels', () => {
    const r = readApplication('<application name="a" model="crm"><identify object="Customer" by="email" verify="postcode lastName"/></application>', 'app.xml', { model, scripts });
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(String)).toEqual([]);
    expect(r.application?.identify).toEqual({ object: 'Customer', by: { name: 'email', label: 'E-mail' }, verify: [{ name: 'postcode', label: 'Postcode' }, { name: 'lastName', label: expect.any(String) }] });
  });

  it('reports an <identify> without a second factor, with a key that is not unique, or with unknown fields', () => {
    const at = (attrs: string): string[] => errors(`<application name="a" model="crm"><identify object="Customer" ${attrs}/></application>`);
    expect(at('by="email" verify=""')).toEqual([expect.stringMatching(/^app\.xml:1:\d+: error: verify needs at least one field besides the key/)]);
    expect(at('by="email" verify="email"')).toEqual([expect.stringMatching(/^app\.xml:1:\d+: error: email is the key itself/)]);
    expect(at('by="lastName" verify="postcode"')).toEqual([expect.stringMatching(/^app\.xml:1:\d+: error: lastName is not unique in Customer/)]);
    expect(at('by="email" verify="shoeSize"')).toEqual([expect.stringMatching(/^app\.xml:1:\d+: error: Customer has no field shoeSize/)]);
    expect(at('by="email" verify="lastName" code="postcode"')).toEqual([expect.stringMatching(/^app\.xml:1:\d+: error: postcode is a string field; the one-time code goes to an email field/)]);
    expect(readApplication('<application name="a" model="crm"><identify object="Customer" by="email" verify="postcode" code="email"/></application>', 'app.xml', { model, scripts }).application?.identify?.code).toEqual({ name: 'email', label: 'E-mail' });
    expect(errors('<application name="a" model="crm"><identify object="Customer" by="email" verify="postcode"/><identify object="Customer" by="email" verify="postcode"/></application>')).toEqual([
      expect.stringMatching(/^app\.xml:1:\d+: error: only one <identify> is allowed/),
    ]);
  });

  it('reports a self-service page whose script reads or changes data in an application without <identify>', () => {
    const identifiedDataAccess = new Map([['meter-reading', ['crm.Customers.get (meter-reading.xml:9:7)']]]);
    const page = '<selfservice name="meter" script="meter-reading" queue="support"/>';
    const read = (body: string): string[] =>
      readApplication(`<application name="a" model="crm">${body}</application>`, 'app.xml', { model, scripts, identifiedDataAccess }).diagnostics.filter((d) => d.severity === 'error').map(String);
    expect(read(page)).toEqual([expect.stringMatching(/^app\.xml:1:\d+: error: self-service page meter runs meter-reading, which reads or changes data on the web \(crm\.Customers\.get \(meter-reading\.xml:9:7\)\): declare <identify object by verify>/)]);
    expect(read(`<identify object="Customer" by="email" verify="postcode"/>${page}`)).toEqual([]);
  });

  it('reports a definition written for another model and malformed XML', () => {
    expect(errors('<application name="a" model="billing"/>')).toEqual([expect.stringMatching(/written for the model billing, but the model given is crm/)]);
    expect(errors('<application name="a" model="crm">')[0]).toMatch(/^app\.xml:1:\d+: error: /);
  });

  it('throws CARUSO_FRONTOFFICE_INVALID_APPLICATION listing the errors through requireApplication', () => {
    const r = readApplication('<application name="a" model="crm"><role name="x"/></application>', 'bad.xml', { model });
    expect(() => requireApplication(r, 'bad.xml')).toThrow(expect.objectContaining({ code: 'CARUSO_FRONTOFFICE_INVALID_APPLICATION' }));
  });
});

describe('readApplication (report widgets)', () => {
  const app = (widgets: string): string =>
    `<application name="a" model="crm">\n  <dashboard name="d">\n    ${widgets}\n  </dashboard>\n</application>`;
  const read = (text: string, reports?: ReadonlySet<string>) => readApplication(text, 'app.xml', { model, ...(reports ? { reports } : {}) });

  it('reads a report widget with its report, period (default today) and label', () => {
    const r = read(app('<widget kind="report" report="inbound-by-queue" label="Queues today"/><widget kind="report" report="agents" period="last-7-days"/>'));
    expect(r.diagnostics).toEqual([]);
    expect(r.application!.dashboards[0]!.widgets).toEqual([
      { kind: 'report', label: 'Queues today', report: 'inbound-by-queue', period: 'today' },
      { kind: 'report', label: undefined, report: 'agents', period: 'last-7-days' },
    ]);
  });

  it('reports a missing or empty report name, a bad period and report attributes on other widgets', () => {
    const e = read(app('<widget kind="report"/><widget kind="report" report=""/><widget kind="report" report="inbound" period="last-year"/><widget kind="waiting" report="inbound" period="today"/><widget kind="report" report="in bound"/>')).diagnostics.map(String);
    expect(e).toEqual([
      'app.xml:3:5: error: a report widget needs report="<name>", e.g. report="inbound-by-queue"',
      'app.xml:3:28: error: a report widget needs report="<name>", e.g. report="inbound-by-queue"',
      expect.stringMatching(/^app\.xml:3:\d+: error: unknown period last-year; periods are today, yesterday, last-7-days, this-month$/),
      expect.stringMatching(/^app\.xml:3:\d+: error: only a widget of kind report takes report$/),
      expect.stringMatching(/^app\.xml:3:\d+: error: only a widget of kind report takes period$/),
      expect.stringMatching(/^app\.xml:3:\d+: error: "in bound" is not a report name/),
    ]);
  });

  it('checks the report name against the monitor\'s reports when they are known', () => {
    const reports = new Set(['inbound', 'inbound-by-queue']);
    expect(read(app('<widget kind="report" report="inbound-by-queue"/>'), reports).diagnostics).toEqual([]);
    expect(read(app('<widget kind="report" report="inbound-by-qeueu"/>'), reports).diagnostics.map(String)).toEqual([
      "app.xml:3:27: error: unknown report inbound-by-qeueu; did you mean 'inbound-by-queue'?",
    ]);
  });
});

describe('scaffoldApplication', () => {
  it('writes a complete definition that validates against its model', () => {
    const text = scaffoldApplication(model);
    const r = readApplication(text, 'scaffold.xml', { model });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const app = r.application!;
    expect(app.lists.map((l) => l.object)).toEqual(['Customer', 'Contract']);
    expect(app.records.map((l) => l.object)).toEqual(['Customer', 'Contract']);
    expect(app.desktop.screenPops).toEqual([
      { object: 'Customer', by: 'phone', field: 'phone', record: 'customer-record' },
      { object: 'Customer', by: 'email', field: 'email', record: 'customer-record' },
    ]);
    expect(app.roles.find((x) => x.name === 'supervisor')?.grants.every((g) => g.actions.join() === 'read')).toBe(true);
    expect(app.navigation.map((n) => n.role).sort()).toEqual(['administrator', 'agent', 'supervisor']);
    expect(app.dashboards[0]!.widgets.find((w) => w.kind === 'report')).toEqual({ kind: 'report', label: 'Today by queue', report: 'inbound-by-queue', period: 'today' });
  });
});

describe('application reader messages', () => {
  it('quotes an enum value that is not an option, so an empty one reads as "" (found by the XML fuzz)', () => {
    const app = (value: string) =>
      `<application name="a" model="crm"><list name="l" object="Customer" label="L"><column field="lastName"/><filter name="f" label="F"><condition field="segment" op="eq" value="${value}"/></filter></list></application>`;
    const empty = errors(app(''));
    expect(empty.some((e) => / error: "" is not an option of segment \(/.test(e))).toBe(true);
    expect(errors(app('retail')).some((e) => / error: "retail" is not an option of segment/.test(e))).toBe(true);
  });
});
