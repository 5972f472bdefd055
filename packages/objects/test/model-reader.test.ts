import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { findObject, readModel, readModelFile, loadModelFile, isCarusoError } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => join(here, 'fixtures', name);

describe('readModel (model language)', () => {
  it('reads the utility model with keys, money, enums, computed fields, relations and rules', () => {
    const { model, diagnostics } = readModelFile(fixture('crm.model.xml'));
    expect(diagnostics.map(String)).toEqual([]);
    const customer = findObject(model!, 'Customer')!;
    expect(customer.table).toBe('customers');
    expect(customer.key).toEqual(['id']);
    expect(customer.versionColumn).toBe('version');
    expect(customer.softDeleteColumn).toBe('deleted_at');
    expect(customer.businessKey).toEqual(['email']);
    const byName = Object.fromEntries(customer.fields.map((f) => [f.name, f]));
    expect(byName['firstName']).toMatchObject({ column: 'first_name', length: 60, required: true, searchable: true, audited: true });
    expect(byName['phone']!.audited).toBe(false);
    expect(byName['segment']!.options.map((o) => o.value)).toEqual(['residential', 'business']);
    expect(byName['segment']!.defaultValue).toBe('residential');
    expect(byName['balance']).toMatchObject({ currency: 'EUR', currencyColumn: undefined, defaultValue: { amount: 0, currency: 'EUR' } });
    expect(byName['creditLimit']).toMatchObject({ currency: undefined, currencyColumn: 'credit_limit_currency' });
    expect(byName['fullName']!.computed!.references).toEqual(['firstName', 'lastName']);
    expect(byName['sortName']!.stored).toBe(true);
    expect(byName['id']!.generated).toBe(true);
    const tags = customer.relations.find((r) => r.name === 'tags')!;
    expect(tags).toMatchObject({ kind: 'many-to-many', through: 'customer_tags', sourceColumns: ['customer_id'], targetColumns: ['tag_id'] });
    expect(tags.linkFields.map((f) => f.name)).toEqual(['since', 'note']);
    const contract = findObject(model!, 'Contract')!;
    // the many-to-one relation created its foreign-key field, typed like the target key
    expect(contract.fields.find((f) => f.name === 'customerId')).toMatchObject({ type: 'integer', column: 'customer_id', required: true });
    expect(contract.relations.find((r) => r.name === 'customer')!.fields).toEqual(['customerId']);
    expect(customer.rules.map((r) => r.name)).toEqual(['businessNeedsEmail', 'notInFuture']);
  });

  it('maps legacy tables with composite keys onto declared columns', () => {
    const model = loadModelFile(fixture('legacy.model.xml'));
    const account = findObject(model, 'Account')!;
    expect(account).toMatchObject({ managed: false, table: 'ACCT_MASTER', key: ['company', 'accountNo'] });
    expect(account.fields[0]!.column).toBe('CO_CODE');
    expect(findObject(model, 'Invoice')!.relations[0]!.fields).toEqual(['company', 'accountNo']);
  });

  it('lets a vertical model extend an imported object with fields, options and rules', () => {
    const model = loadModelFile(fixture('vertical.model.xml'));
    const ticket = findObject(model, 'Ticket')!;
    expect(ticket.fields.map((f) => f.name)).toEqual(['id', 'subject', 'status', 'meterNo']);
    expect(ticket.fields[2]!.options.map((o) => o.value)).toEqual(['open', 'closed', 'waiting-for-technician']);
    expect(ticket.rules[0]!.name).toBe('meterForOutage');
    expect(model.files.map((f) => f.split('/').pop())).toEqual(['vertical.model.xml', 'base.model.xml']);
  });

  it('reports every problem as file:line:col and returns no model', () => {
    const file = fixture('broken.model.xml');
    const { model, diagnostics } = readModelFile(file);
    expect(model).toBeUndefined();
    const lines = diagnostics.map((d) => d.toString().replace(file, 'broken.xml'));
    expect(lines).toEqual([
      "broken.xml:5:24: error: unknown type 'strin'; did you mean 'string'?; the types are id, string, text, integer, decimal, money, boolean, date, datetime, enum, email, phone, json",
      "broken.xml:7:38: error: unknown attribute 'colum' on <field>; did you mean 'column'?",
      "broken.xml:8:47: error: unknown relation target 'Agent'",
      'broken.xml:9:35: error: assert: unexpected end of expression (at character 7 of the expression)',
      "broken.xml:12:10: error: key of Contract: Contract has no field 'number'",
    ]);
  });

  it('rejects an unknown element, a bad boolean, a bad default and an unknown field in an expression', () => {
    const xml = `<model name="m">
  <object name="A">
    <field name="id" type="id"/>
    <field name="n" type="integer" required="yes" default="x"/>
    <field name="c" type="integer" computed="n + m"/>
    <colour/>
  </object>
</model>`;
    const { model, diagnostics } = readModel(xml, 'a.xml');
    expect(model).toBeUndefined();
    expect(diagnostics.map(String)).toEqual([
      "a.xml:4:36: error: required must be true or false, not 'yes'",
      "a.xml:4:51: error: default 'x' must be a whole number",
      "a.xml:5:5: error: computed field c: unknown field 'm'",
      'a.xml:6:5: error: <colour> is not allowed inside <object>',
    ]);
  });

  it('rejects an object without a key, an unknown extend target, and an import cycle', () => {
    const files: Record<string, string> = {
      'm/a.xml': '<model name="a"><import file="b.xml"/><object name="X"><field name="n" type="string"/></object><extend object="Y"/></model>',
      'm/b.xml': '<model name="b"><import file="a.xml"/></model>',
    };
    const { diagnostics } = readModel(files['m/a.xml']!, 'm/a.xml', { loader: { read: (p) => files[p] } });
    const messages = diagnostics.map((d) => `${d.file}:${d.message}`);
    expect(messages).toContain('m/a.xml:X has no key: add a field of type id or <key fields="…"/>');
    expect(messages).toContain("m/a.xml:cannot extend unknown object 'Y'");
    expect(messages).toContain('m/b.xml:import cycle: m/a.xml → m/b.xml → m/a.xml');
  });

  it('refuses a business key that is not unique and a one-to-many without a matching inverse', () => {
    const xml = `<model name="m">
  <object name="A" businessKey="code">
    <field name="id" type="id"/>
    <field name="code" type="string"/>
    <relation name="bs" kind="one-to-many" target="B" inverse="nope"/>
  </object>
  <object name="B"><field name="id" type="id"/></object>
</model>`;
    const { diagnostics } = readModel(xml, 'm.xml');
    expect(diagnostics.map((d) => d.code)).toEqual(['business-key-not-unique', 'bad-inverse']);
  });

  it('throws CARUSO_OBJECTS_INVALID_MODEL from loadModelFile for a broken file', () => {
    let err: unknown;
    try {
      loadModelFile(fixture('broken.model.xml'));
    } catch (e) {
      err = e;
    }
    expect(isCarusoError(err, 'CARUSO_OBJECTS_INVALID_MODEL')).toBe(true);
    expect(readFileSync(fixture('broken.model.xml'), 'utf8')).toContain('strin');
  });

  // Regression (found by the XML fuzz suite): the "did you mean" of an unknown type measured the edit
  // distance of the whole value against every type name; a 1 MiB value took 20 s.
  it('refuses a 1 MiB unknown type at once, without measuring it against every type name', () => {
    const huge = 'x'.repeat(1024 * 1024);
    const text = `<model name="m"><object name="A" table="a"><field name="id" type="id"/><field name="b" type="${huge}"/></object></model>`;
    const t0 = performance.now();
    const { model, diagnostics } = readModel(text, 'm.xml');
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(model).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['unknown-type']);
  });
});
