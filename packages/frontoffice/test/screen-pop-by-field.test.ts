// The application reader's checks of `<screenpop by="field">`, and the role-based access policy the
// front office registers for business objects in scripts (fast unit tests; caller-rights.int.test.ts
// runs both end to end on SQLite and PostgreSQL).
import { readApplication, Permissions } from '@caruso/frontoffice';
import type { ObjectAccessRequest } from '@caruso/dialogue';
import { roleObjectAccessPolicy } from '../src/internal/object-access.js';
import { crmModel } from './fixture.js';

const model = crmModel();
const scripts = new Set(['fault-check', 'meter-reading']);
const variables = new Set(['meter', 'reading', 'contractNumber']);

function read(desktop: string, roles = '<role name="agent"><grant object="Customer" actions="read"/></role>'): ReturnType<typeof readApplication> {
  const text = ['<application name="a" model="crm">', `  ${roles}`, '  <record name="customer" object="Customer"><section label="P"><field name="lastName"/></section></record>', `  <desktop>${desktop}</desktop>`, '</application>'].join('\n');
  return readApplication(text, 'app.xml', { model, scripts, variables });
}
const errors = (desktop: string): string[] => read(desktop).diagnostics.filter((d) => d.severity === 'error').map(String);

describe('readApplication: <screenpop by="field">', () => {
  it('reads a screen pop by a collected variable beside one by phone, in the order written', () => {
    const r = read('<screenpop object="Customer" by="phone" field="phone"/><screenpop object="Customer" by="field" var="contractNumber" field="postcode" record="customer"/>');
    expect(r.diagnostics).toEqual([]);
    expect(r.application?.desktop.screenPops).toEqual([
      { object: 'Customer', by: 'phone', field: 'phone', record: 'customer' },
      { object: 'Customer', by: 'field', var: 'contractNumber', field: 'postcode', record: 'customer' },
    ]);
  });

  it('reports an unknown object or field at its place, with a suggestion', () => {
    expect(errors('<screenpop object="Custmer" by="field" var="contractNumber" field="postcode"/>')).toEqual(["app.xml:4:23: error: unknown object Custmer; did you mean 'Customer'?"]);
    expect(errors('<screenpop object="Customer" by="field" var="contractNumber" field="postcod"/>')).toEqual(["app.xml:4:73: error: Customer has no field postcod; did you mean 'postcode'?"]);
  });

  it('needs var with by="field", refuses it with phone and email, and checks the name and the by', () => {
    expect(errors('<screenpop object="Customer" by="field" field="postcode"/>')).toEqual([expect.stringMatching(/^app\.xml:4:12: error: <screenpop by="field"> needs the attribute var/)]);
    expect(errors('<screenpop object="Customer" by="phone" var="contractNumber" field="phone"/>')).toEqual([expect.stringMatching(/^app\.xml:4:52: error: var is for by="field"/)]);
    expect(errors('<screenpop object="Customer" by="field" var="contract-number" field="postcode"/>')).toEqual([expect.stringMatching(/^app\.xml:4:52: error: "contract-number" is not a variable name/)]);
    expect(errors('<screenpop object="Customer" by="feild" var="contractNumber" field="postcode"/>')).toEqual([
      expect.stringMatching(/^app\.xml:4:41: error: by must be phone, email or field, not feild; did you mean 'field'\?$/),
    ]);
  });

  it('warns about a variable no script declares or collects, with a suggestion', () => {
    const r = read('<screenpop object="Customer" by="field" var="contractNumbr" field="postcode"/>');
    expect(r.application).toBeDefined();
    expect(r.diagnostics.map(String)).toEqual(["app.xml:4:52: warning: no dialogue script declares or collects a variable contractNumbr; did you mean 'contractNumber'?"]);
  });
});

describe('the front office’s access policy for business objects in scripts', () => {
  const app = read(
    '',
    '<role name="agent"><grant object="Customer" actions="read update" fields="id,firstName,lastName,phone,segment" readonly="segment"/></role><role name="supervisor"><grant object="Customer" actions="read"/><grant object="Contract" actions="read"/></role>',
  ).application!;
  const policy = roleObjectAccessPolicy(new Permissions(model, app));
  const ask = (r: Partial<ObjectAccessRequest>): ReturnType<typeof policy.decide> =>
    policy.decide({ actor: { kind: 'agent', id: 'anna', roles: ['agent'] }, channel: 'agent', script: 's', object: 'Customer', operation: 'read', fields: [], anonymous: false, ...r });

  it('lets a role read what it is granted, and only the fields it sees', () => {
    expect(ask({ fields: ['lastName'] })).toEqual({ allowed: true, readable: expect.arrayContaining(['id', 'lastName', 'segment']) });
    expect((ask({}) as unknown as { readable: string[] }).readable).not.toContain('creditScore');
    expect(ask({ fields: ['creditScore'] })).toEqual({ allowed: false, reason: 'the role agent may not see Customer.creditScore' });
  });

  it('refuses an action the role lacks, a field it may not write, and an object it has no grant on', () => {
    expect(ask({ operation: 'update', fields: ['phone'] })).toEqual({ allowed: true });
    expect(ask({ operation: 'update', fields: ['segment'] })).toEqual({ allowed: false, reason: 'the role agent may not write Customer.segment' });
    expect(ask({ operation: 'create', fields: ['lastName'] })).toEqual({ allowed: false, reason: 'the role agent may not create Customer records' });
    expect(ask({ actor: { kind: 'agent', roles: ['supervisor'] }, operation: 'update', fields: ['phone'] })).toEqual({ allowed: false, reason: 'the role supervisor may not update Customer records' });
    expect(ask({ object: 'Contract' })).toEqual({ allowed: false, reason: 'the role agent has no rights on Contract' });
    // A filter through a many-to-one relation needs the right to read its target.
    expect(ask({ actor: { kind: 'agent', roles: ['supervisor'] }, object: 'Contract', fields: ['customer', 'number'] })).toEqual({ allowed: true, readable: expect.arrayContaining(['number']) });
    expect(ask({ actor: { kind: 'agent', roles: ['supervisor'] }, object: 'Contract', fields: ['custom'] })).toEqual({ allowed: false, reason: 'the role supervisor may not see Contract.custom' });
  });

  it('refuses an agent session that names no role, and leaves visitors and callers to the default policy', () => {
    expect(ask({ actor: { kind: 'agent' } })).toEqual({ allowed: false, reason: 'the session names no role of the application' });
    expect(ask({ actor: { kind: 'visitor' }, channel: 'web' })).toEqual({ allowed: false, reason: 'the visitor has not been identified' });
    expect(ask({ actor: { kind: 'visitor' }, channel: 'web', identity: { field: 'id', key: '1' }, operation: 'update' })).toEqual({ allowed: true });
    expect(ask({ actor: { kind: 'caller' }, channel: 'ivr', operation: 'delete' })).toEqual({ allowed: true });
  });
});
