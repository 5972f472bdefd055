import { createStorage } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import {
  applyMigration,
  BusinessObjectsImpl,
  formatPhone,
  importCsv,
  isCarusoError,
  planMigration,
  readModel,
  type MergeEvent,
  type Model,
  type ObjectRecord,
} from './helpers.js';

// The data layer of "the CRM a small company expects": phone numbers in E.164, the global search,
// duplicates, merge and the CSV import with its per-row report, on SQLite and PostgreSQL.
const MODEL = `<model name="crm" defaultCountry="NL">
  <object name="Customer" table="customers" softDelete="true" audited="true" searchable="true" businessKey="customerNo">
    <field name="id" type="id"/>
    <field name="customerNo" type="string" length="20" unique="true" searchable="true"/>
    <field name="firstName" type="string" length="60" searchable="true"/>
    <field name="lastName" type="string" length="60" required="true" searchable="true"/>
    <field name="email" type="email" unique="true" searchable="true"/>
    <field name="phone" type="phone" searchable="true"/>
    <field name="mobile" type="phone"/>
    <field name="city" type="string" length="60"/>
    <relation name="tickets" kind="one-to-many" target="Ticket" inverse="customer"/>
    <relation name="tags" kind="many-to-many" target="Tag" through="customer_tags"/>
  </object>
  <object name="Ticket" table="tickets" searchable="true">
    <field name="id" type="id"/>
    <field name="subject" type="string" length="100" required="true" searchable="true"/>
    <relation name="customer" kind="many-to-one" target="Customer"/>
  </object>
  <object name="Tag" table="tags">
    <field name="id" type="id"/>
    <field name="name" type="string" length="40" required="true" unique="true"/>
  </object>
</model>`;

function load(text: string): Model {
  const r = readModel(text, 'crm.model.xml');
  if (!r.model) throw new Error(r.diagnostics.map(String).join('\n'));
  return r.model;
}

async function caught(p: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await p;
  } catch (err) {
    if (isCarusoError(err)) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error('expected a CarusoError');
}

const FORMATS = ['+31205551234', '020-5551234', '0031 20 555 1234', '(020) 555 1234'];

describe('the CRM data layer (phones, search, duplicates, merge, import)', () => {
  forEachDatabase((db) => {
    const model = load(MODEL);
    let objects: BusinessObjectsImpl;
    const merges: MergeEvent[] = [];

    beforeAll(async () => {
      await applyMigration(model, db.storage);
      objects = new BusinessObjectsImpl(model, db.storage);
      objects.onDidMerge((e) => merges.push(e));
    });
    afterAll(() => objects.dispose());

    describe('phone numbers', () => {
      it('stores every format as E.164 and finds the record by any format (the screen-pop lookup)', async () => {
        const customers = objects.repository('Customer');
        const ada = await customers.create({ customerNo: 'C-1', firstName: 'Ada', lastName: 'Lovelace', phone: '020-5551234' });
        expect(ada['phone']).toBe('+31205551234');
        for (const address of FORMATS) {
          // The front office's screen pop: repository(pop.object).query({ where: { [pop.field]: address } }).
          const found = await customers.query({ where: { phone: address }, limit: 5 });
          expect(found.map((r) => r['id'])).toEqual([ada['id']]);
          expect(await customers.count({ phone: { eq: address } })).toBe(1);
        }
        expect(await customers.query({ where: { phone: 'anonymous' } })).toEqual([]);
        const updated = await customers.update(ada['id'] as number, { mobile: '06 12345678' });
        expect(updated['mobile']).toBe('+31612345678');
      });

      it('rejects a number it cannot read with a validation error on the field, and writes nothing', async () => {
        const customers = objects.repository('Customer');
        const before = await customers.count();
        const e = await caught(customers.create({ customerNo: 'C-bad', lastName: 'Nobody', phone: '12' }));
        expect(e.code).toBe('CARUSO_OBJECTS_VALIDATION_FAILED');
        expect((e.details as { violations: { field: string; code: string }[] }).violations).toEqual([expect.objectContaining({ field: 'phone', code: 'type' })]);
        expect(await customers.count()).toBe(before);
      });

      it('formats a stored number for display in the national format', () => {
        expect(formatPhone('+31205551234', 'NL')).toBe('020 555 1234');
        expect(formatPhone('+12125550100', 'NL')).toBe('+1 212 555 0100');
        expect(formatPhone('not a number', 'NL')).toBe('not a number');
      });

      it('migrates stored numbers to E.164 and reports those it cannot read, keeping them', async () => {
        const storage = await createStorage({ url: await db.freshDatabase() });
        try {
        const before = load(MODEL.replace(' defaultCountry="NL"', ''));
        await applyMigration(before, storage);
        // Values written before normalisation existed (straight into the table).
        await storage.knex('customers').insert([
          { customer_no: 'A', last_name: 'A', phone: '020-5551234' },
          { customer_no: 'B', last_name: 'B', phone: '(010) 123 4567', mobile: '0031 6 12345678' },
          { customer_no: 'C', last_name: 'C', phone: 'call reception' },
        ]);
        const plan = await planMigration(model, storage);
        expect(plan.steps.map((s) => s.summary)).toEqual([
          'normalise 2 phone number(s) of customers.phone (Customer.phone) to E.164',
          'normalise 1 phone number(s) of customers.mobile (Customer.mobile) to E.164',
        ]);
        const applied = await applyMigration(model, storage);
        expect(applied.unreadablePhones).toEqual([{ object: 'Customer', field: 'phone', key: expect.any(String) }]);
        expect(applied.warnings.join('\n')).toContain('1 stored phone number(s) cannot be read');
        const rows = (await storage.knex('customers').select('customer_no', 'phone', 'mobile').orderBy('customer_no')) as Record<string, unknown>[];
        expect(rows).toEqual([
          { customer_no: 'A', phone: '+31205551234', mobile: null },
          { customer_no: 'B', phone: '+31101234567', mobile: '+31612345678' },
          { customer_no: 'C', phone: 'call reception', mobile: null },
        ]);
        expect((await planMigration(model, storage)).steps).toEqual([]);
        } finally {
          await storage.close();
        }
      });
    });

    describe('global search', () => {
      beforeAll(async () => {
        const customers = objects.repository('Customer');
        await customers.create({ customerNo: 'C-2', firstName: 'Grace', lastName: 'Hopper', email: 'grace@navy.example', phone: '+31 10 123 4567' });
        await customers.create({ customerNo: 'C-3', firstName: 'Hopper', lastName: 'Graceful', email: 'hg@example.org' });
        await customers.create({ customerNo: 'C-4', firstName: 'Alan', lastName: 'Turing', email: 'alan@bletchley.example' });
        const grace = (await customers.query({ where: { customerNo: 'C-2' } }))[0] as ObjectRecord;
        await objects.repository('Ticket').create({ subject: 'Grace period for the invoice', customerId: grace['id'] });
      });

      it('ranks an exact match first, then prefixes, then contains, with the record type', async () => {
        const hits = await objects.search('grace');
        expect(hits.map((h) => [h.object, h.label, h.field, h.score])).toEqual([
          ['Customer', 'Grace Hopper', 'firstName', 100],
          ['Customer', 'Hopper Graceful', 'lastName', 50],
          ['Ticket', 'Grace period for the invoice', 'subject', 50],
        ]);
      });

      it('finds e-mail addresses and customer numbers exactly, ignoring case', async () => {
        const [byMail] = await objects.search('GRACE@navy.example');
        expect(byMail).toMatchObject({ object: 'Customer', label: 'Grace Hopper', field: 'email', score: 100 });
        const [byNumber] = await objects.search('c-4');
        expect(byNumber).toMatchObject({ object: 'Customer', label: 'Alan Turing', field: 'customerNo', score: 100 });
      });

      it('finds a phone number typed in any format', async () => {
        for (const q of ['010-1234567', '0031101234567', '+31 10 123 4567', '(010) 123 4567']) {
          const hits = await objects.search(q);
          expect(hits[0]).toMatchObject({ object: 'Customer', label: 'Grace Hopper', field: 'phone', score: 100 });
        }
        const partial = await objects.search('1234567');
        expect(partial.map((h) => h.label)).toContain('Grace Hopper');
      });

      it('matches every word across fields, honours objects, limit and what the caller may read', async () => {
        const words = await objects.search('alan turing');
        expect(words[0]).toMatchObject({ label: 'Alan Turing', score: 10 });
        expect((await objects.search('grace', { objects: ['Ticket'] })).map((h) => h.object)).toEqual(['Ticket']);
        expect(await objects.search('grace', { limit: 1 })).toHaveLength(1);
        const noMail = await objects.search('grace@navy.example', { readable: (o) => (o === 'Customer' ? ['firstName', 'lastName'] : false) });
        expect(noMail).toEqual([]);
        const e = await caught(objects.search('x', { objects: ['Tag'] }));
        expect(e.code).toBe('CARUSO_OBJECTS_BAD_QUERY');
      });
    });

    describe('duplicates and merge', () => {
      let keep: ObjectRecord;
      let drop: ObjectRecord;
      beforeAll(async () => {
        const customers = objects.repository('Customer');
        keep = await customers.create({ customerNo: 'D-1', firstName: 'Jörg', lastName: 'Müller', phone: '030 1234567' });
        drop = await customers.create({ customerNo: 'D-2', firstName: 'Jorg', lastName: 'Muller', email: 'jorg@example.de', city: 'Utrecht' });
      });

      it('finds duplicates by normalised phone, e-mail ignoring case, and a similar name', async () => {
        const byPhone = await objects.duplicatesOf('Customer', { lastName: 'Someone', phone: '+31 30 123 4567' });
        expect(byPhone.map((d) => [d.record['customerNo'], d.reasons])).toEqual([['D-1', ['phone']]]);
        const byMail = await objects.duplicatesOf('Customer', { lastName: 'X', email: 'JORG@example.DE' });
        expect(byMail.map((d) => d.record['customerNo'])).toEqual(['D-2']);
        const byName = await objects.duplicatesOf('Customer', keep['id'] as number);
        expect(byName.map((d) => [d.record['customerNo'], d.reasons])).toEqual([['D-2', ['name']]]);
        expect(await objects.duplicatesOf('Customer', { firstName: 'Edsger', lastName: 'Dijkstra' })).toEqual([]);
      });

      it('merges: moves related records and links, fills empty fields, keeps both histories, fires onDidMerge', async () => {
        const tickets = objects.repository('Ticket');
        const customers = objects.repository('Customer');
        const t = await tickets.create({ subject: 'Meter broken', customerId: drop['id'] });
        const tag = await objects.repository('Tag').create({ name: 'vip' });
        const tag2 = await objects.repository('Tag').create({ name: 'late payer' });
        await customers.link(drop['id'] as number, 'tags', tag['id'] as number);
        await customers.link(drop['id'] as number, 'tags', tag2['id'] as number);
        await customers.link(keep['id'] as number, 'tags', tag2['id'] as number);
        const result = await objects.merge('Customer', keep['id'] as number, drop['id'] as number, { actor: 'agent:7' });
        expect([...result.filled].sort()).toEqual(['city', 'email']);
        expect(result.record).toMatchObject({ email: 'jorg@example.de', city: 'Utrecht', phone: '+31301234567' });
        expect(result.moved).toEqual(expect.arrayContaining([{ object: 'Ticket', relation: 'customer', count: 1 }]));
        expect((await tickets.get(t['id'] as number))?.['customerId']).toBe(keep['id']);
        expect((await customers.links(keep['id'] as number, 'tags')).map((l) => l.target['name']).sort()).toEqual(['late payer', 'vip']);
        expect(await customers.get(drop['id'] as number)).toBeUndefined();
        expect((await customers.get(drop['id'] as number, { withDeleted: true }))?.['$deletedAt']).not.toBeNull();
        const history = await customers.history(keep['id'] as number);
        expect(history.some((h) => h.action === 'merge' && (h.newValue as { from: string }).from === String(drop['id']))).toBe(true);
        expect(history.some((h) => h.mergedFrom === String(drop['id']) && h.action === 'create' && h.field === 'city')).toBe(true);
        expect(merges).toEqual([{ object: 'Customer', keepKey: keep['id'], dropKey: drop['id'] }]);
      });
    });

    describe('CSV import with a per-row report', () => {
      const csv = ['customerNo,firstName,lastName,phone,email', 'I-1,Edsger,Dijkstra,020 123 4567,e@example.nl', 'I-2,Bad,Phone,12,b@example.nl', 'I-3,,,,', 'I-4,Barbara,Liskov,,barbara@example.org'].join('\n');

      it('all-or-nothing writes nothing and reports every row', async () => {
        const customers = objects.repository('Customer');
        const before = await customers.count();
        const e = await caught(importCsv(objects, 'Customer', csv));
        expect(e.code).toBe('CARUSO_OBJECTS_IMPORT_REJECTED');
        const rows = (e.details as { rows: { row: number; status: string }[] }).rows;
        expect(rows.map((r) => [r.row, r.status])).toEqual([[1, 'skipped'], [2, 'error'], [3, 'error'], [4, 'skipped']]);
        expect(await customers.count()).toBe(before);
      });

      it('a preview validates and finds duplicates but writes nothing', async () => {
        const customers = objects.repository('Customer');
        const before = await customers.count();
        const dupCsv = `${csv}\nI-5,Alan,Turing,,ALAN@bletchley.example\nI-6,Other,Person,0201234567,`;
        const report = await importCsv(objects, 'Customer', dupCsv, { preview: true });
        expect(report.preview).toBe(true);
        expect(report.rows.map((r) => [r.row, r.status])).toEqual([[1, 'created'], [2, 'error'], [3, 'error'], [4, 'created'], [5, 'duplicate'], [6, 'duplicate']]);
        expect(report.rows[4]?.message).toContain('the same e-mail address');
        expect(report.rows[5]?.message).toBe('the same phone number as row 1');
        expect(report.rows[1]?.message).toContain('phone');
        expect(await customers.count()).toBe(before);
      });

      it('skip-bad-rows writes the good rows, reports the bad ones, and calls onProgress', async () => {
        const progress: [number, number | undefined][] = [];
        const report = await importCsv(objects, 'Customer', csv, { mode: 'skip-bad-rows', onProgress: (done, total) => progress.push([done, total]) });
        expect(report.rows.map((r) => [r.row, r.status])).toEqual([[1, 'created'], [2, 'error'], [3, 'error'], [4, 'created']]);
        expect(report.rows[0]?.key).toEqual(expect.any(Number));
        expect(report.rows[2]?.message).toContain('lastName');
        expect(progress.at(-1)).toEqual([4, 4]);
        const edsger = await objects.repository('Customer').query({ where: { customerNo: 'I-1' } });
        expect(edsger[0]?.['phone']).toBe('+31201234567');
        const again = await importCsv(objects, 'Customer', csv, { mode: 'skip-bad-rows' });
        expect(again.rows.map((r) => r.status)).toEqual(['skipped', 'error', 'error', 'skipped']);
      });
    });
  });
});

describe('the model markers of the CRM data layer', () => {
  it('checks defaultCountry, searchable objects and nameFields', () => {
    const bad = readModel(
      `<model name="m" defaultCountry="Netherlands">
  <object name="A" searchable="true" nameFields="n,x"><field name="id" type="id"/><field name="n" type="integer"/></object>
</model>`,
      'm.xml',
    );
    expect(bad.model).toBeUndefined();
    const codes = bad.diagnostics.map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['bad-country', 'search-without-fields', 'unknown-field']));
  });
});
