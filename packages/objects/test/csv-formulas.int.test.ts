import { applyMigration, BusinessObjectsImpl, exportCsv, importCsv, readModel } from '@caruso/objects';
import { forEachDatabase } from '@caruso/storage/testing';

const MODEL = `<model name="formulas">
  <object name="Note" table="notes" businessKey="code">
    <field name="id" type="id"/>
    <field name="code" type="string" length="20" required="true" unique="true"/>
    <field name="text" type="string" length="200"/>
    <field name="amount" type="integer"/>
  </object>
</model>`;

const VALUES = ['=HYPERLINK("http://evil.example","click")', '+1+2', '-3', '@SUM(A1)', 'plain', "'already quoted", "'=kept"];

async function exported(objects: BusinessObjectsImpl, safeFormulas: boolean | undefined): Promise<string[][]> {
  let text = '';
  await exportCsv(objects, 'Note', (chunk) => void (text += chunk), safeFormulas === undefined ? {} : { safeFormulas });
  // No cell of this data holds a comma or a quote outside the first column's formula: split plainly.
  return text
    .trim()
    .split(/\r?\n/)
    .map((line) => line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/));
}

describe('CSV export and import with safe formulas', () => {
  forEachDatabase((db) => {
    const model = readModel(MODEL, 'formulas.xml').model!;
    let objects: BusinessObjectsImpl;
    beforeAll(async () => {
      await applyMigration(model, db.storage);
      objects = new BusinessObjectsImpl(model, db.storage);
      const notes = objects.repository('Note');
      for (const [i, text] of VALUES.entries()) await notes.create({ code: `n${i}`, text, amount: i % 2 ? -i : i });
    });

    it('leaves cells as they are by default', async () => {
      const rows = await exported(objects, undefined);
      expect(rows[0]).toEqual(['id', 'code', 'text', 'amount']);
      expect(rows[2]?.[2]).toBe('+1+2');
      expect(rows[4]?.[2]).toBe('@SUM(A1)');
      expect(rows[2]?.[3]).toBe('-1');
    });

    it('puts an apostrophe in front of cells starting with =, +, - or @, and only those', async () => {
      const rows = await exported(objects, true);
      expect(rows[0]).toEqual(['id', 'code', 'text', 'amount']);
      expect(rows[1]?.[2]).toBe(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
      expect(rows.slice(2).map((r) => r[2])).toEqual(["'+1+2", "'-3", "'@SUM(A1)", 'plain', "'already quoted", "''=kept"]);
      expect(rows[2]?.[3]).toBe("'-1");
      expect(rows[3]?.[3]).toBe('2');
    });

    it('reads the protected file back into the original values when imported with safeFormulas', async () => {
      let text = '';
      await exportCsv(objects, 'Note', (chunk) => void (text += chunk), { safeFormulas: true, fields: ['code', 'text', 'amount'] });
      const notes = objects.repository('Note');
      await db.storage.knex('notes').update({ text: 'changed', amount: 99 });
      const report = await importCsv(objects, 'Note', text, { safeFormulas: true });
      expect(report.rejected).toEqual([]);
      const after = await notes.query({ orderBy: ['code'] });
      expect(after.map((r) => r['text'])).toEqual(VALUES);
      expect(after.map((r) => r['amount'])).toEqual(VALUES.map((_, i) => (i % 2 ? -i : i)));
    });

    it('keeps the apostrophe when the file is imported without safeFormulas', async () => {
      let text = '';
      await exportCsv(objects, 'Note', (chunk) => void (text += chunk), { safeFormulas: true, fields: ['code', 'text'] });
      await importCsv(objects, 'Note', text);
      expect((await objects.repository('Note').query({ where: { code: 'n1' } }))[0]?.['text']).toBe("'+1+2");
    });
  });
});
