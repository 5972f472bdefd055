import { applyMigration, BusinessObjectsImpl, importCsv, readModel } from '@caruso/objects';
import { forEachDatabase } from '@caruso/storage/testing';
import { jest } from '@jest/globals';

// Thousands of rows on PostgreSQL: seconds on a quiet machine, more when the machine is shared.
jest.setTimeout(60_000);

const MODEL = `<model name="readings">
  <object name="Reading" table="readings" businessKey="region,meterNo,period">
    <field name="id" type="id"/>
    <field name="region" type="string" length="4" required="true"/>
    <field name="meterNo" type="integer" required="true"/>
    <field name="period" type="string" length="7" required="true"/>
    <field name="value" type="integer"/>
    <unique fields="region,meterNo,period"/>
  </object>
</model>`;

const ROWS = 5000;
const csv = (value: (i: number) => number): string =>
  ['region,meterNo,period,value', ...Array.from({ length: ROWS }, (_, i) => `R${i % 7},${i},2024-${String((i % 12) + 1).padStart(2, '0')},${value(i)}`)].join('\n');

// Regression: the lookup of existing rows was one OR of ANDs per batch, and SQLite refused it at the
// default batch size ("Expression tree is too large (maximum depth 1000)").
describe('CSV import by a composite business key at the default batch size', () => {
  forEachDatabase((db) => {
    const model = readModel(MODEL, 'readings.xml').model!;
    let objects: BusinessObjectsImpl;
    beforeAll(async () => {
      await applyMigration(model, db.storage);
      objects = new BusinessObjectsImpl(model, db.storage);
    });

    it('creates 5,000 rows keyed by three fields, then updates them instead of duplicating', async () => {
      const first = await importCsv(objects, 'Reading', csv((i) => i));
      expect(first).toMatchObject({ total: ROWS, created: ROWS, updated: 0, rejected: [] });
      const second = await importCsv(objects, 'Reading', csv((i) => (i % 2 ? i + 1 : i)));
      expect(second).toMatchObject({ total: ROWS, created: 0, updated: ROWS / 2, unchanged: ROWS / 2, rejected: [] });
      expect(await objects.repository('Reading').count()).toBe(ROWS);
      expect(await db.storage.knex('readings').where({ region: 'R1', meter_no: 1, period: '2024-02' }).first()).toMatchObject({ value: 2 });
      expect(await db.storage.knex('readings').where({ region: 'R2', meter_no: 2, period: '2024-03' }).first()).toMatchObject({ value: 2 });
    });
  });
});
