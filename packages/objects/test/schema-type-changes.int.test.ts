import { forEachDatabase } from '@caruso/storage/testing';
import { applyMigration, BusinessObjectsImpl, isCarusoError, planMigration, planSql, readModel, type Model } from './helpers.js';

/** The model, with the declarations that change between versions filled in. */
function model(v: { name: string; score: string; amount: string; notes: string; born: string; legacy: string }): Model {
  const text = `<model name="retype">
  <object name="Customer" table="customers" version="true" softDelete="true" audited="true">
    <field name="id" type="id"/>
    <field name="code" type="string" length="20" required="true" unique="true"/>
    ${v.name}
    ${v.score}
    ${v.amount}
    ${v.notes}
    ${v.born}
    <relation name="orders" kind="one-to-many" target="Order" inverse="customer"/>
    <relation name="tags" kind="many-to-many" target="Tag" through="customer_tags"/>
    <unique fields="name,born"/>
  </object>
  <object name="Order" table="orders">
    <field name="id" type="id"/>
    <field name="ref" type="string" length="10" required="true"/>
    <relation name="customer" kind="many-to-one" target="Customer" required="true"/>
  </object>
  <object name="Tag" table="tags">
    <field name="id" type="id"/>
    <field name="label" type="string" length="20" required="true"/>
  </object>
  <object name="Ledger" table="LEGACY_LEDGER" managed="false">
    <key fields="id"/>
    <field name="id" type="integer" column="ID"/>
    ${v.legacy}
  </object>
</model>`;
  const r = readModel(text, 'retype.model.xml');
  if (!r.model) throw new Error(r.diagnostics.map(String).join('\n'));
  return r.model;
}

const V1 = {
  name: '<field name="name" type="string" length="40" required="true"/>',
  score: '<field name="score" type="integer"/>',
  amount: '<field name="amount" type="decimal" precision="10" scale="2"/>',
  notes: '<field name="notes" type="string" length="100"/>',
  born: '<field name="born" type="date"/>',
  legacy: '<field name="memo" type="string" column="MEMO" length="10"/>',
};
// Every change widens; the unmanaged table's field changes too, and must not be touched.
const V2 = {
  name: '<field name="name" type="string" length="80" required="true"/>',
  score: '<field name="score" type="decimal" precision="15" scale="2"/>',
  amount: '<field name="amount" type="decimal" precision="12" scale="3"/>',
  notes: '<field name="notes" type="text"/>',
  born: '<field name="born" type="datetime"/>',
  legacy: '<field name="memo" type="text" column="MEMO"/>',
};

describe('schema migration of column types (managed tables)', () => {
  forEachDatabase((db) => {
    let before: Record<string, unknown>[];
    beforeAll(async () => {
      await db.storage.knex.schema.createTable('LEGACY_LEDGER', (t) => {
        t.integer('ID').primary();
        t.string('MEMO', 10);
      });
      await applyMigration(model(V1), db.storage);
      const objects = new BusinessObjectsImpl(model(V1), db.storage);
      const customers = objects.repository('Customer');
      const tags = objects.repository('Tag');
      const vip = await tags.create({ label: 'vip' });
      for (let i = 1; i <= 30; i++) {
        const c = await customers.create({ code: `C${i}`, name: `Customer ${i}`, score: i * 7, amount: i + 0.25, notes: `note ${i}`, born: `2000-01-${String((i % 28) + 1).padStart(2, '0')}` }, { actor: 'test' });
        await objects.repository('Order').create({ ref: `O${i}`, customerId: c['id'] });
        if (i % 3 === 0) await customers.link(c['id'] as number, 'tags', vip['id'] as number);
      }
      await customers.delete(30, { hard: false });
      before = await db.storage.knex('customers').orderBy('id');
    });

    it('plans the widening changes and prints their SQL for a dry run, touching nothing', async () => {
      const plan = await planMigration(model(V2), db.storage);
      expect(plan.refusals).toEqual([]);
      expect(plan.steps.map((s) => s.summary)).toEqual([
        `change column types of customers: name string(40) → string(80), score integer → decimal(15, 2), amount decimal(10, 2) → decimal(12, 3), notes string(100) → text, born date → datetime${db.dialect === 'sqlite' ? ' (rebuild of the table)' : ''}`,
      ]);
      const sql = planSql(plan, db.storage.knex).join('\n');
      const expected =
        db.dialect === 'postgres'
          ? ['alter table "customers" alter column "name" type varchar(80);', `alter column "born" type timestamptz using ("born"::timestamp at time zone 'UTC');`]
          : ['create table "customers__caruso_rebuild"', 'alter table "customers__caruso_rebuild" rename to "customers";', 'update sqlite_sequence set seq'];
      for (const part of expected) expect(sql).toContain(part);
      expect(sql).not.toContain('LEGACY_LEDGER');
      expect(await db.storage.knex('customers').orderBy('id')).toEqual(before);
    });

    it('applies them in one transaction, keeping rows, unique constraints, indexes and foreign keys', async () => {
      const plan = await applyMigration(model(V2), db.storage);
      expect(plan.steps).toHaveLength(1);
      const info = await db.storage.columnInfo('customers');
      const col = (n: string) => info.columns.find((c) => c.name === n)!;
      expect([col('name').maxLength, col('score').type === 'decimal' || col('score').type === 'float', col('notes').type, col('born').type]).toEqual([80, true, 'text', 'datetime']);
      expect(info.uniques.map((u) => [...u.columns].sort().join(','))).toEqual(expect.arrayContaining(['code', 'born,name']));
      expect((await db.storage.columnInfo('orders')).foreignKeys).toEqual([expect.objectContaining({ columns: ['customer_id'], referencedTable: 'customers', referencedColumns: ['id'] })]);
      expect((await db.storage.columnInfo('customer_tags')).foreignKeys).toHaveLength(2);
      // No ON DELETE CASCADE fired when the old table went: every link and order is still there.
      expect(await db.storage.knex('customer_tags').count({ n: '*' })).toEqual([{ n: 10 }]);
      expect(await db.storage.knex('orders').count({ n: '*' })).toEqual([{ n: 30 }]);

      const objects = new BusinessObjectsImpl(model(V2), db.storage);
      const customers = objects.repository('Customer');
      expect(await customers.get(7)).toMatchObject({ code: 'C7', name: 'Customer 7', score: 49, amount: 7.25, notes: 'note 7', born: '2000-01-08T00:00:00.000Z', $version: 1 });
      expect(await customers.get(30)).toBeUndefined();
      expect(await customers.get(30, { withDeleted: true })).toMatchObject({ code: 'C30' });
      expect((await customers.history(7)).length).toBeGreaterThan(0);
      // Wider values fit now.
      const wide = await customers.update(7, { name: 'N'.repeat(80), score: 12345.67, amount: 1.125, notes: 'x'.repeat(5000) });
      expect(wide).toMatchObject({ score: 12345.67, amount: 1.125, $version: 2 });
      // The constraints still hold.
      const dup = await customers.create({ code: 'C8', name: 'again' }).catch((e: unknown) => e);
      expect(isCarusoError(dup, 'CARUSO_OBJECTS_VALIDATION_FAILED') || isCarusoError(dup, 'CARUSO_STORAGE_UNIQUE_VIOLATION')).toBe(true);
      const orphan = await db.storage.knex('orders').insert({ ref: 'X', customer_id: 9999 }).catch((e: unknown) => e);
      expect(isCarusoError(orphan, 'CARUSO_STORAGE_FOREIGN_KEY_VIOLATION')).toBe(true);
      // A new customer gets a fresh id: the key sequence carried over.
      expect((await customers.create({ code: 'C31', name: 'New' }))['id']).toBe(31);
      // The explicit index of the rebuilt table (knex creates unique constraints as indexes on SQLite) survives.
      const indexSql =
        db.dialect === 'sqlite'
          ? `select name from sqlite_master where type = 'index' and tbl_name = 'customers' and sql is not null`
          : `select indexname as name from pg_indexes where tablename = 'customers' and indexname <> 'customers_pkey'`;
      const rows = (await db.storage.knex.raw(indexSql)) as { name: string }[] | { rows: { name: string }[] };
      expect((Array.isArray(rows) ? rows : rows.rows).length).toBe(2);
      // The unmanaged table was not altered.
      expect((await db.storage.columnInfo('LEGACY_LEDGER')).columns.find((c) => c.name === 'MEMO')).toMatchObject({ type: 'string', maxLength: 10 });
      expect((await planMigration(model(V2), db.storage)).steps).toEqual([]);
    });

    it('refuses lossy changes with their file:line:col and changes nothing', async () => {
      const lossy = model({ ...V2, name: '<field name="name" type="string" length="10" required="true"/>', score: '<field name="score" type="integer"/>', notes: '<field name="notes" type="string" length="200"/>', born: '<field name="born" type="date"/>' });
      const plan = await planMigration(lossy, db.storage);
      expect(plan.refusals.map((r) => `${r.origin.file}:${r.origin.line}:${r.origin.col} ${r.field}`)).toEqual([
        'retype.model.xml:5:5 name',
        'retype.model.xml:6:5 score',
        'retype.model.xml:8:5 notes',
        'retype.model.xml:9:5 born',
      ]);
      expect(plan.refusals[0]!.message).toContain('from string(80) to string(10) could lose data');
      const snapshot = await db.storage.knex('customers').orderBy('id');
      const state = await db.storage.knex('caruso_model_state').first();
      let err: unknown;
      await applyMigration(lossy, db.storage).catch((e: unknown) => (err = e));
      expect(isCarusoError(err, 'CARUSO_OBJECTS_LOSSY_SCHEMA_CHANGE')).toBe(true);
      expect((err as Error).message).toContain('retype.model.xml:5:5: Customer.name: changing column customers.name from string(80) to string(10)');
      expect((err as { details: { refusals: unknown[] } }).details.refusals).toHaveLength(4);
      expect(await db.storage.knex('customers').orderBy('id')).toEqual(snapshot);
      expect(await db.storage.knex('caruso_model_state').first()).toEqual(state);
      expect((await db.storage.columnInfo('customers')).columns.find((c) => c.name === 'name')?.maxLength).toBe(80);
    });

    it('refuses fewer decimal digits and decimal → integer', async () => {
      const plan = await planMigration(model({ ...V2, amount: '<field name="amount" type="decimal" precision="12" scale="1"/>', score: '<field name="score" type="integer"/>' }), db.storage);
      expect(plan.refusals.map((r) => r.field)).toEqual(['score', 'amount']);
      expect(plan.steps).toEqual([]);
    });
  });
});
