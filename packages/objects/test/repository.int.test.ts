import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forEachDatabase } from '@caruso/storage/testing';
import { applyMigration, BusinessObjectsImpl, isCarusoError, loadModelFile, type BusinessObjects, type Repository } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const model = loadModelFile(join(here, 'fixtures', 'crm.model.xml'));
const NOW = new Date('2024-05-01T10:00:00.000Z');

async function caught(p: Promise<unknown>): Promise<{ code: string; details: unknown; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isCarusoError(err)) return { code: err.code, details: err.details, message: err.message };
    throw err;
  }
  throw new Error('expected a CarusoError');
}

const violations = (e: { details: unknown }): string[] =>
  ((e.details as { violations: { field: string; code: string }[] }).violations ?? []).map((v) => `${v.field}:${v.code}`);

describe('Repository (business objects on a real database)', () => {
  forEachDatabase((db) => {
    let objects: BusinessObjects;
    let customers: Repository;
    let contracts: Repository;
    let tags: Repository;

    beforeAll(async () => {
      await applyMigration(model, db.storage);
      objects = new BusinessObjectsImpl(model, db.storage, () => NOW);
      customers = objects.repository('Customer');
      contracts = objects.repository('Contract');
      tags = objects.repository('Tag');
    });

    it('creates a record with defaults, converted types, stored and read-time computed fields', async () => {
      const ada = await customers.create(
        { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', birthDate: '1815-12-10', creditLimit: '150.25 GBP', prefs: { channel: 'mail', tags: [1, 2] }, score: '42' },
        { actor: 'agent:1' },
      );
      expect(ada).toMatchObject({
        id: expect.any(Number),
        firstName: 'Ada',
        segment: 'residential',
        balance: { amount: 0, currency: 'EUR' },
        creditLimit: { amount: 15025, currency: 'GBP' },
        vip: false,
        score: 42,
        birthDate: '1815-12-10',
        prefs: { channel: 'mail', tags: [1, 2] },
        fullName: 'Ada Lovelace',
        sortName: 'LOVELACE, Ada',
        $version: 1,
        $deletedAt: null,
      });
      expect(await customers.get(ada['id'] as number)).toEqual(ada);
    });

    it('collects every violation with its field and writes nothing', async () => {
      const before = await customers.count();
      const e = await caught(
        customers.create({ firstName: '', lastName: 'x'.repeat(61), email: 'not-an-email', segment: 'vip', score: 101, birthDate: '2030-01-01', colour: 'red', fullName: 'x' }),
      );
      expect(e.code).toBe('CARUSO_OBJECTS_VALIDATION_FAILED');
      expect(violations(e).sort()).toEqual(['colour:unknown-field', 'email:type', 'firstName:required', 'fullName:read-only', 'lastName:length', 'score:max', 'segment:enum'].sort());
      expect(await customers.count()).toBe(before);
    });

    it('checks rules on the whole record (a business customer needs an e-mail, no birth date in the future)', async () => {
      const e = await caught(customers.create({ firstName: 'Bob', lastName: 'Biz', segment: 'business', birthDate: '2030-01-01' }));
      expect(violations(e).sort()).toEqual(['birthDate:rule:notInFuture', 'email:rule:businessNeedsEmail']);
      expect(e.message).toContain('a business customer needs an e-mail address');
    });

    it('refuses a duplicate of a unique field but treats empty values as no duplicates', async () => {
      await customers.create({ firstName: 'Carl', lastName: 'One', email: 'carl@example.org' });
      const e = await caught(customers.create({ firstName: 'Carl', lastName: 'Two', email: 'carl@example.org' }));
      expect(violations(e)).toEqual(['email:unique']);
      await customers.create({ firstName: 'No', lastName: 'Mail', email: '' });
      await customers.create({ firstName: 'No', lastName: 'Mail2' });
      expect(await customers.count({ email: null })).toBeGreaterThanOrEqual(2);
    });

    it('updates with optimistic locking: a stale version fails with the current record', async () => {
      const c = await customers.create({ firstName: 'Dora', lastName: 'Dee', email: 'dora@example.org' });
      const id = c['id'] as number;
      const v2 = await customers.update(id, { phone: '+31 20 123 4567', $version: 1 }, { actor: 'agent:2' });
      expect(v2).toMatchObject({ phone: '+31201234567', $version: 2 }); // stored in E.164
      const e = await caught(customers.update(id, { lastName: 'Stale' }, { expectedVersion: 1 }));
      expect(e.code).toBe('CARUSO_OBJECTS_CONFLICT');
      expect((e.details as { current: Record<string, unknown> }).current).toMatchObject({ lastName: 'Dee', $version: 2 });
      const v3 = await customers.update(id, { lastName: 'Doe' }, { expectedVersion: 2 });
      expect(v3).toMatchObject({ lastName: 'Doe', sortName: 'DOE, Dora', fullName: 'Dora Doe', $version: 3 });
      expect((await caught(customers.update(999_999, { lastName: 'X' }))).code).toBe('CARUSO_OBJECTS_NOT_FOUND');
      expect(violations(await caught(customers.update(id, { id: id + 1000 })))).toEqual(['id:read-only']);
    });

    it('records the audit history of audited fields (who, when, old → new)', async () => {
      const c = await customers.create({ firstName: 'Eve', lastName: 'Early', email: 'eve@example.org' }, { actor: 'agent:7' });
      const id = c['id'] as number;
      await customers.update(id, { lastName: 'Late', phone: '+31 20 555 1234' }, { actor: 'agent:8' });
      await customers.delete(id, { actor: 'agent:9' });
      const history = await customers.history(id);
      const lines = history.map((h) => `${h.actor} ${h.action} ${h.field ?? '-'} ${JSON.stringify(h.oldValue)}→${JSON.stringify(h.newValue)}`);
      expect(lines).toContain('agent:7 create lastName null→"Early"');
      expect(lines).toContain('agent:8 update lastName "Early"→"Late"');
      expect(lines).toContain('agent:8 update sortName "EARLY, Eve"→"LATE, Eve"');
      expect(lines.some((l) => l.includes(' phone '))).toBe(false); // phone is audited="false"
      expect(lines[lines.length - 1]).toBe('agent:9 delete - null→null');
      expect(history[0]!.at).toBe(NOW.toISOString());
    });

    it('soft-deletes: hidden from reads, visible withDeleted, restorable', async () => {
      const c = await customers.create({ firstName: 'Finn', lastName: 'Gone' });
      const id = c['id'] as number;
      await customers.delete(id);
      expect(await customers.get(id)).toBeUndefined();
      expect(await customers.get(id, { withDeleted: true })).toMatchObject({ $deletedAt: NOW.toISOString() });
      expect(await customers.query({ where: { lastName: 'Gone' } })).toEqual([]);
      expect((await caught(customers.delete(id))).code).toBe('CARUSO_OBJECTS_NOT_FOUND');
      expect(await customers.restore(id)).toMatchObject({ lastName: 'Gone', $deletedAt: null });
      await customers.delete(id, { hard: true });
      expect(await customers.get(id, { withDeleted: true })).toBeUndefined();
    });

    it('queries with filters of every kind, search, sorting and pages', async () => {
      await objects.transaction(async (tx) => {
        const r = tx.repository('Customer');
        for (let i = 0; i < 12; i++) {
          await r.create({ firstName: `Q${String(i).padStart(2, '0')}`, lastName: i % 2 ? 'Odd_Query' : 'Even%Query', score: i * 5, vip: i % 3 === 0, balance: i * 100, birthDate: `1990-01-${String(i + 1).padStart(2, '0')}` });
        }
      });
      const names = (rs: Record<string, unknown>[]): unknown[] => rs.map((r) => r['firstName']);
      expect(names(await customers.query({ where: { lastName: 'Odd_Query', score: { gte: 25, lt: 50 } }, orderBy: ['-score'] }))).toEqual(['Q09', 'Q07', 'Q05']);
      expect(names(await customers.query({ where: { lastName: { contains: '%QUE' } }, orderBy: ['firstName'], limit: 3, offset: 1 }))).toEqual(['Q02', 'Q04', 'Q06']);
      expect(names(await customers.query({ where: { or: [{ firstName: 'Q01' }, { firstName: { in: ['Q02', 'Q03'] } }], not: { firstName: 'Q03' } }, orderBy: ['firstName'] }))).toEqual(['Q01', 'Q02']);
      expect(names(await customers.query({ where: { firstName: { startsWith: 'q1' } }, orderBy: ['firstName'] }))).toEqual(['Q10', 'Q11']);
      expect(names(await customers.query({ where: { firstName: { startsWith: 'Q' }, vip: true }, orderBy: ['firstName'] }))).toEqual(['Q00', 'Q03', 'Q06', 'Q09']);
      expect(names(await customers.query({ where: { balance: { between: [300, 500] }, birthDate: { gt: '1990-01-04' } }, orderBy: ['firstName'] }))).toEqual(['Q04', 'Q05']);
      expect(names(await customers.query({ search: 'odd q0', orderBy: ['firstName'] }))).toEqual(['Q01', 'Q03', 'Q05', 'Q07', 'Q09']);
      expect(await customers.count({ lastName: { endsWith: '_query' } })).toBe(6);
    });

    it('refuses unknown fields, wrong operators and bad values in queries (no SQL from users)', async () => {
      const bad = async (q: Parameters<Repository['query']>[0]): Promise<string> => (await caught(customers.query(q))).message;
      expect(await bad({ where: { 'first_name; drop table customers': 'x' } })).toContain("unknown field 'first_name; drop table customers'");
      expect(await bad({ where: { vip: { contains: 'x' } } })).toContain("operator 'contains' does not apply to boolean fields");
      expect(await bad({ where: { score: 'many' } })).toContain('score must be a whole number');
      expect(await bad({ orderBy: ['id desc'] })).toContain("unknown field 'id desc'");
      expect(await bad({ where: { fullName: 'x' } })).toContain('computed on read');
      expect(await bad({ limit: 0 })).toContain('limit');
      expect((await caught(customers.query({ include: ['nope'] }))).code).toBe('CARUSO_OBJECTS_UNKNOWN_RELATION');
      expect(await customers.count()).toBeGreaterThan(0);
    });

    it('loads relations without N+1 and filters through relations', async () => {
      const c1 = await customers.create({ firstName: 'Rel', lastName: 'One', email: 'rel1@example.org' });
      const c2 = await customers.create({ firstName: 'Rel', lastName: 'Two', email: 'rel2@example.org' });
      await contracts.create({ number: 'C-1001', product: 'gas', startDate: '2024-01-01', customerId: c1['id'], monthlyFee: 12.5 });
      await contracts.create({ number: 'C-1002', product: 'power', startDate: '2024-02-01', customerId: c1['id'] });
      await contracts.create({ number: 'C-1003', product: 'power', startDate: '2024-03-01', customerId: c2['id'] });
      const gold = await tags.create({ name: 'gold' });
      const green = await tags.create({ name: 'green' });
      await customers.link(c1['id'] as number, 'tags', gold['id'] as number, { since: '2023-06-01', note: 'loyal' });
      await customers.link(c1['id'] as number, 'tags', green['id'] as number);
      await customers.link(c2['id'] as number, 'tags', green['id'] as number, { since: '2024-01-01' });
      await customers.link(c1['id'] as number, 'tags', green['id'] as number, { note: 'updated' });

      const queries: string[] = [];
      const onQuery = (q: { sql: string }): void => void queries.push(q.sql);
      db.storage.knex.on('query', onQuery);
      const rs = await customers.query({ where: { firstName: 'Rel' }, orderBy: ['lastName'], include: ['contracts.customer', 'tags'] });
      db.storage.knex.off('query', onQuery);
      expect(queries).toHaveLength(5); // customers, contracts, their customers, join rows, tags
      expect((rs[0]!['contracts'] as Record<string, unknown>[]).map((c) => c['number'])).toEqual(['C-1001', 'C-1002']);
      expect(((rs[0]!['contracts'] as Record<string, unknown>[])[0]!['customer'] as Record<string, unknown>)['lastName']).toBe('One');
      expect((rs[0]!['contracts'] as Record<string, unknown>[])[0]!['monthlyFee']).toBe(12.5);
      expect((rs[0]!['tags'] as Record<string, unknown>[]).map((t) => [t['name'], t['$link']])).toEqual([
        ['gold', { since: '2023-06-01', note: 'loyal' }],
        ['green', { since: null, note: 'updated' }],
      ]);
      expect((await contracts.get(rs[1]!['contracts'] ? ((rs[1]!['contracts'] as Record<string, unknown>[])[0]!['id'] as number) : 0, { include: ['customer'] }))!['customer']).toMatchObject({ lastName: 'Two' });
      const withGas = await customers.query({ where: { contracts: { product: 'gas' } } });
      expect(withGas.map((r) => r['lastName'])).toEqual(['One']);
      const greenTagged = await customers.query({ where: { tags: { name: 'green' } }, orderBy: ['lastName'] });
      expect(greenTagged.map((r) => r['lastName'])).toEqual(['One', 'Two']);
      expect((await contracts.query({ where: { customer: { lastName: 'Two' } } })).map((r) => r['number'])).toEqual(['C-1003']);
      expect((await customers.links(c2['id'] as number, 'tags')).map((l) => [l.target['name'], l.attributes['since']])).toEqual([['green', '2024-01-01']]);
      expect(await customers.unlink(c2['id'] as number, 'tags', green['id'] as number)).toBe(true);
      expect(await customers.unlink(c2['id'] as number, 'tags', green['id'] as number)).toBe(false);
      expect(violations(await caught(customers.link(c2['id'] as number, 'tags', gold['id'] as number, { since: 'soon' })))).toEqual(['since:type']);
      expect(violations(await caught(contracts.create({ number: 'X-1', product: 'gas', startDate: '2024-01-01', endDate: '2023-01-01', customerId: c1['id'] })))).toEqual(['number:pattern']);
      expect(violations(await caught(contracts.create({ number: 'C-2001', product: 'gas', startDate: '2024-01-01', endDate: '2023-01-01', customerId: c1['id'] })))).toEqual(['endDate:rule:endAfterStart']);
    });

    it('computes counts and group-by aggregates for reports', async () => {
      const rows = await customers.aggregate({ where: { lastName: { endsWith: 'query' } }, groupBy: ['vip'], measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'balance' }, top: { fn: 'max', field: 'score' } }, orderBy: ['vip'] });
      expect(rows).toEqual([
        { vip: false, n: 8, total: 100 + 200 + 400 + 500 + 700 + 800 + 1000 + 1100, top: 55 },
        { vip: true, n: 4, total: 0 + 300 + 600 + 900, top: 45 },
      ]);
      expect((await caught(customers.aggregate({ measures: { s: { fn: 'sum', field: 'firstName' } } }))).message).toContain('is not a number');
    });

    it('rolls back every write of a failed transaction', async () => {
      const before = await customers.count();
      await expect(
        objects.transaction(async (tx) => {
          await tx.repository('Customer').create({ firstName: 'Tx', lastName: 'One' });
          await tx.repository('Customer').create({ firstName: 'Tx' });
        }),
      ).rejects.toThrow(/lastName/);
      expect(await customers.count()).toBe(before);
    });
  });
});
