import { forEachDatabase } from '@caruso/storage/testing';
import { applyMigration, BusinessObjectsImpl, importCsv, readModel, type Model } from './helpers.js';

// Search, filters and duplicate checks ignore case and accents of every letter (not only ASCII),
// alike on SQLite and PostgreSQL; the characters of patterns (% _ * ? [ . ( \) are only text.
const MODEL = `<model name="names">
  <object name="Person" table="tm_people" searchable="true" businessKey="code">
    <field name="id" type="id"/>
    <field name="code" type="string" length="20" unique="true"/>
    <field name="firstName" type="string" length="60" searchable="true"/>
    <field name="lastName" type="string" length="60" required="true" searchable="true"/>
    <field name="city" type="string" length="60" searchable="true"/>
  </object>
</model>`;

function load(text: string): Model {
  const r = readModel(text, 'names.model.xml');
  if (!r.model) throw new Error(r.diagnostics.map(String).join('\n'));
  return r.model;
}

describe('matching text ignoring case and accents', () => {
  forEachDatabase((db) => {
    const model = load(MODEL);
    let objects: BusinessObjectsImpl;

    beforeAll(async () => {
      await applyMigration(model, db.storage);
      objects = new BusinessObjectsImpl(model, db.storage);
      const people = objects.repository('Person');
      await people.create({ code: 'P-1', firstName: 'Éric', lastName: 'Ölçer', city: 'Ĳsselmeer' });
      await people.create({ code: 'P-2', firstName: 'Zoë', lastName: 'Ångström', city: 'Śródmieście' });
      await people.create({ code: 'P-3', firstName: 'Anna', lastName: 'Plain', city: '50% [off] a_c (x.y)' });
      await people.create({ code: 'P-4', firstName: 'Ada', lastName: 'Abc', city: 'abc' });
    });
    afterAll(() => objects.dispose());

    const codes = async (p: Promise<Record<string, unknown>[]>): Promise<unknown[]> => (await p).map((r) => r['code']).sort();

    it('finds a record in the global search whatever the case and accents of either side', async () => {
      for (const q of ['eric', 'ÉRIC', 'éric', 'olcer', 'ÖLÇER', 'ölçer', 'ĳsselmeer', 'ĲSSELMEER', 'eric olcer']) {
        const hits = await objects.search(q);
        expect({ q, hits: hits.map((h) => h.label) }).toEqual({ q, hits: ['Éric Ölçer'] });
      }
      const [exact] = await objects.search('ÉRIC');
      expect(exact).toMatchObject({ field: 'firstName', score: 100 });
      const [prefix] = await objects.search('angstr');
      expect(prefix).toMatchObject({ label: 'Zoë Ångström', field: 'lastName', score: 50 });
      expect((await objects.search('SRODMIE')).map((h) => h.label)).toEqual(['Zoë Ångström']);
    });

    it('applies the same to contains, startsWith, endsWith and the search words of a query', async () => {
      const people = objects.repository('Person');
      expect(await codes(people.query({ where: { lastName: { contains: 'LCE' } } }))).toEqual(['P-1']);
      expect(await codes(people.query({ where: { firstName: { startsWith: 'ZOE' } } }))).toEqual(['P-2']);
      expect(await codes(people.query({ where: { city: { endsWith: 'MIESCIE' } } }))).toEqual(['P-2']);
      expect(await codes(people.query({ search: 'ĳSSELMEER ERIC' }))).toEqual(['P-1']);
      expect(await codes(people.query({ where: { firstName: { contains: 'é' } } }))).toEqual(['P-1', 'P-2']);
    });

    it('takes the characters of patterns as text', async () => {
      const people = objects.repository('Person');
      expect(await codes(people.query({ where: { city: { contains: 'a_c' } } }))).toEqual(['P-3']);
      expect(await codes(people.query({ where: { city: { contains: '50%' } } }))).toEqual(['P-3']);
      for (const text of ['%', '_', '[off]', '(x.y)', '.', 'x.y)', '[', ']']) {
        expect({ text, found: await codes(people.query({ where: { city: { contains: text } } })) }).toEqual({ text, found: ['P-3'] });
      }
      for (const text of ['a.c', '[abc]', 'a*c', 'a?c', '*', '?', '.*', '^abc', 'abc$', '\\\\', ')(']) {
        expect({ text, found: await codes(people.query({ where: { city: { contains: text } } })) }).toEqual({ text, found: [] });
      }
      expect((await objects.search('a_c')).map((h) => h.label)).toEqual(['Anna Plain']);
    });

    it('finds duplicates by a similar name in other case and accents', async () => {
      const found = await objects.duplicatesOf('Person', { firstName: 'ERIC', lastName: 'OLCER' });
      expect(found.map((d) => [d.record['code'], d.reasons])).toEqual([['P-1', ['name']]]);
      const zoe = await objects.duplicatesOf('Person', { firstName: 'zoe', lastName: 'angstrom' });
      expect(zoe.map((d) => d.record['code'])).toEqual(['P-2']);
    });

    it('reports rows of one import file similar to each other, and to stored records, in the preview', async () => {
      const csv = ['code,firstName,lastName', 'N-1,Jan,de Vries', 'N-2,Anneke,Jansen', 'N-3,JAN,DE VRIES', 'N-4,Éric,Olcer', 'N-5,Annéke,Janssen'].join('\n');
      const report = await importCsv(objects, 'Person', csv, { preview: true });
      expect(report.rows.map((r) => [r.row, r.status])).toEqual([[1, 'created'], [2, 'created'], [3, 'duplicate'], [4, 'duplicate'], [5, 'duplicate']]);
      expect(report.rows[2]?.message).toBe('a similar name as row 1');
      expect(report.rows[3]?.message).toMatch(/^duplicates Person \d+: a similar name$/);
      expect(report.rows[4]?.message).toBe('a similar name as row 2');
      // Both: like an earlier row and like a stored record.
      const both = await importCsv(objects, 'Person', ['code,firstName,lastName', 'N-6,Eric,Ölcer', 'N-7,Erik,Olçer'].join('\n'), { preview: true });
      expect(both.rows.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
      expect(both.rows[1]?.message).toMatch(/^a similar name as row 1; duplicates Person \d+: a similar name$/);
      expect(await objects.repository('Person').count()).toBe(4);
    });
  });
});
