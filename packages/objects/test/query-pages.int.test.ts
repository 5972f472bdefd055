import { applyMigration, BusinessObjectsImpl, DEFAULT_QUERY_LIMIT, isCarusoError, readModel, type Repository } from './helpers.js';
import { forEachDatabase } from '@caruso/storage/testing';

const MODEL = `<model name="pages">
  <object name="Item" table="items" softDelete="true">
    <field name="id" type="id"/>
    <field name="code" type="string" length="10" required="true" searchable="true"/>
    <field name="group" type="integer"/>
  </object>
</model>`;

describe('Repository.query pages (the default limit is visible in the result)', () => {
  forEachDatabase((db) => {
    const model = readModel(MODEL, 'pages.xml').model!;
    let items: Repository;
    beforeAll(async () => {
      await applyMigration(model, db.storage);
      const objects = new BusinessObjectsImpl(model, db.storage);
      await objects.transaction(async (tx) => {
        for (let i = 0; i < 150; i++) await tx.repository('Item').create({ code: `i${String(i).padStart(3, '0')}`, group: i % 2 });
      });
      items = objects.repository('Item');
      await items.delete(1);
    });

    it('returns the default page of 100 and says that records were left out', async () => {
      const page = await items.query({ orderBy: ['code'] });
      expect(DEFAULT_QUERY_LIMIT).toBe(100);
      expect(page).toHaveLength(100);
      expect(page).toMatchObject({ hasMore: true, limit: 100, offset: 0, nextOffset: 100, total: undefined });
      const rest = await items.query({ orderBy: ['code'], offset: page.nextOffset! });
      expect(rest).toHaveLength(49);
      expect(rest).toMatchObject({ hasMore: false, nextOffset: null, offset: 100 });
      expect(new Set([...page, ...rest].map((r) => r['code'])).size).toBe(149);
    });

    it('says hasMore false when the page holds exactly every match (simple and general queries)', async () => {
      // An equality filter runs through the compiled statement; `gte` through the general compiler.
      const simple = await items.query({ where: { group: 1 }, limit: 75 });
      expect(simple).toHaveLength(75);
      expect(simple.hasMore).toBe(false);
      const general = await items.query({ where: { group: { gte: 1 } }, limit: 74 });
      expect(general).toHaveLength(74);
      expect(general).toMatchObject({ hasMore: true, nextOffset: 74 });
    });

    it('counts every match into total when asked (search and soft delete respected)', async () => {
      expect(await items.query({ where: { group: 0 }, limit: 5, withTotal: true })).toMatchObject({ total: 74, hasMore: true });
      expect(await items.query({ where: { group: 0 }, limit: 5, withTotal: true, withDeleted: true })).toMatchObject({ total: 75 });
      expect(await items.query({ search: 'i14', withTotal: true })).toMatchObject({ total: 10, hasMore: false });
    });

    it('keeps the result an ordinary array of records for existing callers and JSON', async () => {
      const page = await items.query({ orderBy: ['code'], limit: 2 });
      const [first] = page;
      expect(first).toMatchObject({ code: 'i001' });
      expect(Array.isArray(page)).toBe(true);
      expect(page).toEqual([expect.objectContaining({ code: 'i001' }), expect.objectContaining({ code: 'i002' })]);
      expect(JSON.parse(JSON.stringify(page))).toHaveLength(2);
      expect(Object.keys(page)).toEqual(['0', '1']);
    });

    it('refuses a withTotal that is not a boolean', async () => {
      let err: unknown;
      await items.query({ withTotal: 'yes' as unknown as boolean }).catch((e: unknown) => (err = e));
      expect(isCarusoError(err, 'CARUSO_OBJECTS_BAD_QUERY')).toBe(true);
    });
  });
});
