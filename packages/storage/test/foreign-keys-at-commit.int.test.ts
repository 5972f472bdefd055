import { isCarusoError } from '@caruso/kernel';
import { forEachDatabase } from '@caruso/storage/testing';

describe('transaction({ foreignKeys: "atCommit" })', () => {
  forEachDatabase((db) => {
    beforeAll(async () => {
      await db.storage.knex.schema.createTable('parents', (t) => t.increments('id'));
      await db.storage.knex.schema.createTable('children', (t) => {
        t.increments('id');
        t.integer('parent_id').notNullable().references('id').inTable('parents').onDelete('CASCADE');
      });
    });

    it('rejects a transaction that leaves a dangling reference, and writes nothing of it', async () => {
      let err: unknown;
      await db.storage
        .transaction(
          async (trx) => {
            await trx.knex('parents').insert({ id: 1 });
            await trx.knex('children').insert({ parent_id: 42 });
          },
          { foreignKeys: 'atCommit' },
        )
        .catch((e: unknown) => (err = e));
      expect(isCarusoError(err, 'CARUSO_STORAGE_FOREIGN_KEY_VIOLATION')).toBe(true);
      expect(await db.storage.knex('parents').count({ n: '*' })).toEqual([{ n: 0 }]);
      // Enforcement is back on for the next statements.
      const later = await db.storage.knex('children').insert({ parent_id: 43 }).catch((e: unknown) => e);
      expect(isCarusoError(later, 'CARUSO_STORAGE_FOREIGN_KEY_VIOLATION')).toBe(true);
    });

    it('commits when every reference holds again at the end (a parent re-created)', async () => {
      await db.storage.knex('parents').insert({ id: 7 });
      await db.storage.knex('children').insert({ parent_id: 7 });
      if (db.dialect === 'sqlite') {
        await db.storage.transaction(
          async (trx) => {
            // Without enforcement the DROP fires no ON DELETE CASCADE on children.
            await trx.knex.raw('create table parents_new (id integer primary key autoincrement)');
            await trx.knex.raw('insert into parents_new (id) select id from parents');
            await trx.knex.raw('drop table parents');
            await trx.knex.raw('alter table parents_new rename to parents');
          },
          { foreignKeys: 'atCommit' },
        );
      } else {
        await db.storage.transaction((trx) => trx.knex('parents').insert({ id: 8 }), { foreignKeys: 'atCommit' });
      }
      expect(await db.storage.knex('children').where({ parent_id: 7 }).count({ n: '*' })).toEqual([{ n: 1 }]);
      const orphan = await db.storage.knex('children').insert({ parent_id: 99 }).catch((e: unknown) => e);
      expect(isCarusoError(orphan, 'CARUSO_STORAGE_FOREIGN_KEY_VIOLATION')).toBe(true);
    });

    it('is refused on a nested transaction and for an unknown value', async () => {
      const nested = await db.storage.transaction((trx) => trx.transaction(async () => undefined, { foreignKeys: 'atCommit' })).catch((e: unknown) => e);
      expect(isCarusoError(nested, 'CARUSO_STORAGE_BAD_OPTIONS')).toBe(true);
      const bad = await db.storage.transaction(async () => undefined, { foreignKeys: 'later' as 'atCommit' }).catch((e: unknown) => e);
      expect(isCarusoError(bad, 'CARUSO_STORAGE_BAD_OPTIONS')).toBe(true);
    });
  });
});
