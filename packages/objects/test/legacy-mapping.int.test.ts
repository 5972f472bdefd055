import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forEachDatabase } from '@caruso/storage/testing';
import { applyMigration, BusinessObjectsImpl, diffModels, formatChange, isCarusoError, loadModelFile, planMigration } from './helpers.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const legacy = loadModelFile(join(fixtures, 'legacy.model.xml'));

describe('legacy tables with composite keys (managed="false")', () => {
  forEachDatabase((db) => {
    beforeAll(async () => {
      await db.storage.knex.schema.createTable('ACCT_MASTER', (t) => {
        t.string('CO_CODE', 4);
        t.integer('ACCT_NO');
        t.string('HOLDER_NM', 80).notNullable();
        t.date('OPEN_DT');
        t.primary(['CO_CODE', 'ACCT_NO']);
      });
      await db.storage.knex.schema.createTable('INV', (t) => {
        t.increments('INV_ID');
        t.string('CO_CODE', 4).notNullable();
        t.integer('ACCT_NO').notNullable();
        t.bigInteger('AMT_CENTS');
      });
    });

    it('never plans a change to an unmanaged table', async () => {
      const plan = await planMigration(legacy, db.storage);
      expect(plan.steps.map((s) => s.summary)).toEqual([]);
      await applyMigration(legacy, db.storage);
      expect((await db.storage.columnInfo('ACCT_MASTER')).columns.map((c) => c.name)).toEqual(['CO_CODE', 'ACCT_NO', 'HOLDER_NM', 'OPEN_DT']);
    });

    it('reads and writes rows through the declared columns, by composite key, with relations', async () => {
      const objects = new BusinessObjectsImpl(legacy, db.storage);
      const accounts = objects.repository('Account');
      const invoices = objects.repository('Invoice');
      await accounts.create({ company: 'NL01', accountNo: 7, holder: 'Ada', openedOn: '2001-02-03' });
      await accounts.create({ company: 'BE02', accountNo: 7, holder: 'Bob' });
      await invoices.create({ company: 'NL01', accountNo: 7, amount: 1250 });
      await invoices.create({ company: 'NL01', accountNo: 7, amount: { amount: 99, currency: 'EUR' } });
      expect(await db.storage.knex('ACCT_MASTER').where({ CO_CODE: 'NL01' }).first()).toMatchObject({ HOLDER_NM: 'Ada' });
      const ada = await accounts.get({ company: 'NL01', accountNo: 7 }, { include: ['invoices'] });
      expect(ada).toMatchObject({ holder: 'Ada', openedOn: '2001-02-03' });
      expect((ada!['invoices'] as Record<string, unknown>[]).map((i) => i['amount'])).toEqual([
        { amount: 1250, currency: 'EUR' },
        { amount: 99, currency: 'EUR' },
      ]);
      expect(await accounts.get({ company: 'BE02', accountNo: 7 }, { include: ['invoices'] })).toMatchObject({ invoices: [] });
      const updated = await accounts.update({ company: 'BE02', accountNo: 7 }, { holder: 'Bea' });
      expect(updated['holder']).toBe('Bea');
      const inv = await invoices.query({ where: { account: { holder: 'Ada' } }, include: ['account'] });
      expect(inv.map((i) => (i['account'] as Record<string, unknown>)['holder'])).toEqual(['Ada', 'Ada']);
      let err: unknown;
      await accounts.get({ company: 'NL01' }).catch((e: unknown) => (err = e));
      expect(isCarusoError(err, 'CARUSO_OBJECTS_BAD_KEY')).toBe(true);
      await accounts.delete({ company: 'BE02', accountNo: 7 });
      expect(await accounts.count()).toBe(1);
    });
  });
});

describe('diffModels', () => {
  it('lists added, removed and changed members', () => {
    const a = loadModelFile(join(fixtures, 'base.model.xml'));
    const b = loadModelFile(join(fixtures, 'vertical.model.xml'));
    expect(diffModels(a, b).map(formatChange)).toEqual([
      '~ field Ticket.status changed (options: ["open","closed"] → ["open","closed","waiting-for-technician=Waiting for a technician"])',
      '+ field Ticket.meterNo',
      '+ rule Ticket.meterForOutage',
    ]);
    expect(diffModels(b, b)).toEqual([]);
  });
});
