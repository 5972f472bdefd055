import { isCarusoError, type CarusoError } from '@caruso/kernel';
import { createStorage, type Migration, type StorageManager } from '@caruso/storage';
import { describeStorageContract } from '@caruso/storage/testing';

async function caught(p: Promise<unknown>): Promise<CarusoError> {
  try {
    await p;
  } catch (err) {
    if (isCarusoError(err)) return err;
    throw new Error(`expected a CarusoError, got ${String(err)}`);
  }
  throw new Error('expected a rejection');
}

describeStorageContract('StorageManager', (db) => {
  let s: StorageManager;
  beforeAll(async () => {
    s = db.storage;
    await s.schema.createTable('customers', (t) => {
      t.increments('id');
      t.string('email', 120).notNullable().unique();
      t.string('name', 80).notNullable();
      t.integer('credit').notNullable().defaultTo(0);
      t.check('?? >= 0', ['credit'], 'customers_credit_nonnegative');
    });
    await s.schema.createTable('orders', (t) => {
      t.increments('id');
      t.integer('customer_id').notNullable().references('id').inTable('customers').onDelete('RESTRICT');
      t.string('item', 80).notNullable();
    });
  });
  afterEach(async () => {
    await s.knex('orders').delete();
    await s.knex('customers').delete();
  });

  describe('queries through knex', () => {
    it('creates, reads, updates and deletes rows', async () => {
      await s.knex('customers').insert({ email: 'ada@example.org', name: 'Ada' });
      const row = await s.knex('customers').where({ email: 'ada@example.org' }).first();
      expect(row).toMatchObject({ email: 'ada@example.org', name: 'Ada', credit: 0 });
      await s.knex('customers').where({ id: row.id }).update({ name: 'Ada L.' });
      expect((await s.knex('customers').where({ id: row.id }).first()).name).toBe('Ada L.');
      expect(await s.knex('customers').where({ id: row.id }).delete()).toBe(1);
      expect(await s.knex('customers').count({ n: '*' })).toEqual([{ n: 0 }]);
    });

    it('returns counts as numbers on both databases', async () => {
      await s.knex('customers').insert([{ email: 'a@x', name: 'A' }, { email: 'b@x', name: 'B' }]);
      const [{ n }] = (await s.knex('customers').count({ n: '*' })) as [{ n: unknown }];
      expect(n).toBe(2);
    });
  });

  describe('transactions', () => {
    it('commits the work of a transaction that resolves', async () => {
      const result = await s.transaction(async (trx) => {
        expect(trx.depth).toBe(1);
        await trx.knex('customers').insert({ email: 'c@x', name: 'C' });
        return 'done';
      });
      expect(result).toBe('done');
      expect(await s.knex('customers').where({ email: 'c@x' })).toHaveLength(1);
    });

    it('rolls back everything when the callback rejects, and rethrows', async () => {
      const boom = new Error('boom');
      await expect(
        s.transaction(async (trx) => {
          await trx.knex('customers').insert({ email: 'd@x', name: 'D' });
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await s.knex('customers').where({ email: 'd@x' })).toHaveLength(0);
    });

    it('rolls back only the inner savepoint and keeps the outer work', async () => {
      await s.transaction(async (trx) => {
        await trx.knex('customers').insert({ email: 'outer@x', name: 'Outer' });
        await expect(
          trx.transaction(async (inner) => {
            expect(inner.depth).toBe(2);
            await inner.knex('customers').insert({ email: 'inner@x', name: 'Inner' });
            throw new Error('inner fails');
          }),
        ).rejects.toThrow('inner fails');
        await trx.transaction(async (inner) => {
          await inner.knex('customers').insert({ email: 'inner2@x', name: 'Inner 2' });
        });
      });
      const emails = (await s.knex('customers').orderBy('email').pluck('email')) as string[];
      expect(emails).toEqual(['inner2@x', 'outer@x']);
    });

    it('keeps a savepoint usable after a constraint violation inside it', async () => {
      await s.transaction(async (trx) => {
        await trx.knex('customers').insert({ email: 'dup@x', name: 'First' });
        const err = await caught(trx.transaction((inner) => inner.knex('customers').insert({ email: 'dup@x', name: 'Second' })));
        expect(err.code).toBe('CARUSO_STORAGE_UNIQUE_VIOLATION');
        await trx.knex('customers').insert({ email: 'after@x', name: 'After' });
      });
      expect(await s.knex('customers').count({ n: '*' })).toEqual([{ n: 2 }]);
    });

    it('runs afterCommit hooks after the outermost commit only, and never for rolled-back work', async () => {
      const calls: string[] = [];
      await s.transaction(async (trx) => {
        trx.afterCommit(() => void calls.push('outer'));
        await trx.transaction(async (inner) => inner.afterCommit(() => void calls.push('released savepoint')));
        await trx
          .transaction(async (inner) => {
            inner.afterCommit(() => void calls.push('rolled-back savepoint'));
            throw new Error('no');
          })
          .catch(() => undefined);
        expect(calls).toEqual([]);
      });
      expect(calls).toEqual(['outer', 'released savepoint']);
      await s.transaction(async (trx) => {
        trx.afterCommit(() => void calls.push('never'));
        throw new Error('rollback');
      }).catch(() => undefined);
      expect(calls).toEqual(['outer', 'released savepoint']);
    });

    it('refuses retries and isolation on a nested transaction', async () => {
      await s.transaction(async (trx) => {
        expect(() => trx.transaction(async () => undefined, { retries: 2 })).toThrow(expect.objectContaining({ code: 'CARUSO_STORAGE_TRANSACTION_MISUSE' }));
        expect(() => trx.transaction(async () => undefined, { isolation: 'serializable' })).toThrow(expect.objectContaining({ code: 'CARUSO_STORAGE_BAD_OPTIONS' }));
      });
    });

    it('translates a query on a finished transaction into CARUSO_STORAGE_TRANSACTION_MISUSE', async () => {
      let leaked: StorageManager['knex'] | undefined;
      await s.transaction(async (trx) => {
        leaked = trx.knex as unknown as StorageManager['knex'];
      });
      // knex raises this one before the statement reaches the translating client.
      const raw = await Promise.resolve(leaked!('customers').select('id')).then(() => undefined, (e: unknown) => e);
      expect(s.translateError(raw)).toMatchObject({ code: 'CARUSO_STORAGE_TRANSACTION_MISUSE' });
    });

    it('runs DDL inside a transaction and rolls it back with the transaction', async () => {
      let seenInside = false;
      const undo = new Error('undo');
      await expect(
        s.transaction(async (trx) => {
          await trx.schema.createTable('scratch', (t) => t.increments('id'));
          seenInside = await trx.hasTable('scratch');
          throw undo;
        }),
      ).rejects.toBe(undo);
      expect(seenInside).toBe(true);
      expect(await s.hasTable('scratch')).toBe(false);
    });
  });

  describe('translated errors', () => {
    it('names table and columns of a unique violation', async () => {
      await s.knex('customers').insert({ email: 'u@x', name: 'U' });
      const err = await caught(Promise.resolve(s.knex('customers').insert({ email: 'u@x', name: 'U2' })));
      expect(err.code).toBe('CARUSO_STORAGE_UNIQUE_VIOLATION');
      expect(err.status).toBe(409);
      expect(err.details).toMatchObject({ table: 'customers', columns: ['email'], dialect: db.dialect });
      expect(err.message).toContain('customers');
      expect(err.message).toContain('email');
      expect(err.message).not.toContain('u@x');
      // The driver's error may come from another realm (a native module loaded by an earlier test
      // file in the same jest worker), and better-sqlite3's SqliteError is not a native Error at all
      // (Object.prototype.toString gives [object Object]), so check its shape, not its prototype.
      const cause = err.cause as { message?: unknown; code?: unknown };
      expect(typeof cause.message).toBe('string');
      expect(typeof cause.code).toBe('string');
      expect(cause.message).not.toContain('u@x');
    });

    it('names the table of a foreign-key violation on insert and on delete', async () => {
      const err = await caught(Promise.resolve(s.knex('orders').insert({ customer_id: 4242, item: 'meter' })));
      expect(err.code).toBe('CARUSO_STORAGE_FOREIGN_KEY_VIOLATION');
      expect(err.details).toMatchObject({ table: 'orders' });
      expect(err.message).toContain('orders');
      expect(err.message).not.toContain('4242');
      const [c] = (await s.knex('customers').insert({ email: 'fk@x', name: 'F' }).returning('id')) as [{ id: number }];
      await s.knex('orders').insert({ customer_id: c.id, item: 'meter' });
      const del = await caught(Promise.resolve(s.knex('customers').where({ id: c.id }).delete()));
      expect(del.code).toBe('CARUSO_STORAGE_FOREIGN_KEY_VIOLATION');
      expect(del.details).toMatchObject({ table: 'customers' });
      // PostgreSQL also names the key and the referencing table; SQLite does not tell.
      expect(del.details).toMatchObject(
        db.dialect === 'postgres' ? { columns: ['id'], referencingTable: 'orders', constraint: 'orders_customer_id_foreign' } : { driverCode: 'SQLITE_CONSTRAINT_TRIGGER' },
      );
    });

    it('names table and column of a not-null violation', async () => {
      const err = await caught(Promise.resolve(s.knex('customers').insert({ email: 'nn@x', name: null })));
      expect(err.code).toBe('CARUSO_STORAGE_NOT_NULL_VIOLATION');
      expect(err.details).toMatchObject({ table: 'customers', column: 'name' });
      expect(err.message).toBe('customers.name may not be empty (NOT NULL)');
    });

    it('names table and constraint of a check violation', async () => {
      const err = await caught(Promise.resolve(s.knex('customers').insert({ email: 'ck@x', name: 'C', credit: -5 })));
      expect(err.code).toBe('CARUSO_STORAGE_CHECK_VIOLATION');
      expect(err.details).toMatchObject({ table: 'customers', constraint: 'customers_credit_nonnegative' });
    });

    it('reports an unknown table and an unknown column', async () => {
      const t = await caught(Promise.resolve(s.knex('no_such_table').select('*')));
      expect(t.code).toBe('CARUSO_STORAGE_UNDEFINED_TABLE');
      expect(t.details).toMatchObject({ table: 'no_such_table' });
      const c = await caught(Promise.resolve(s.knex('customers').insert({ email: 'x@x', name: 'X', nickname: 'x' })));
      expect(c.code).toBe('CARUSO_STORAGE_UNDEFINED_COLUMN');
      expect(c.details).toMatchObject({ table: 'customers', column: 'nickname' });
      const q = await caught(Promise.resolve(s.knex('customers').where({ shoe_size: 3 })));
      expect(q.code).toBe('CARUSO_STORAGE_UNDEFINED_COLUMN');
      expect(q.details).toMatchObject({ column: 'shoe_size' });
    });

    it('reports other rejected statements as CARUSO_STORAGE_QUERY_FAILED with the driver code', async () => {
      const err = await caught(Promise.resolve(s.knex.raw('selec 1')));
      expect(err.code).toBe('CARUSO_STORAGE_QUERY_FAILED');
      expect((err.details as { driverCode: string }).driverCode).toMatch(db.dialect === 'postgres' ? /^42601$/ : /^SQLITE_ERROR$/);
      expect(err.kind).toBe('bug');
    });

    it('translates errors that reached the caller another way through translateError()', () => {
      const raw = Object.assign(new Error('UNIQUE constraint failed: customers.email'), { code: db.dialect === 'sqlite' ? 'SQLITE_CONSTRAINT_UNIQUE' : '23505', table: 'customers', detail: 'Key (email)=(a@b) already exists.' });
      const e = s.translateError(raw);
      expect(isCarusoError(e, 'CARUSO_STORAGE_UNIQUE_VIOLATION')).toBe(true);
      const already = s.translateError(e);
      expect(already).toBe(e);
    });
  });

  describe('migrations', () => {
    const made: string[] = [];
    let prefix = 0;
    beforeEach(() => void prefix++);
    const migration = (id: string, name: string): Migration => ({
      id,
      up: async (trx) => {
        made.push(id);
        await trx.schema.createTable(`${name}_${prefix}`, (t) => t.increments('id'));
      },
      down: async (trx) => {
        await trx.schema.dropTable(`${name}_${prefix}`);
      },
    });
    const list = [migration('0001-a', 'mig_a'), migration('0002-b', 'mig_b'), migration('0003-c', 'mig_c')];

    it('applies pending migrations in order, journals them and is idempotent', async () => {
      made.length = 0;
      expect(await s.migrate(list.slice(0, 2), { scope: 'm1' })).toEqual({ applied: ['0001-a', '0002-b'], skipped: [] });
      expect(await s.migrate(list, { scope: 'm1' })).toEqual({ applied: ['0003-c'], skipped: ['0001-a', '0002-b'] });
      expect(await s.migrate(list, { scope: 'm1' })).toEqual({ applied: [], skipped: ['0001-a', '0002-b', '0003-c'] });
      expect(made).toEqual(['0001-a', '0002-b', '0003-c']);
      const journal = await s.appliedMigrations({ scope: 'm1' });
      expect(journal.map((j) => j.id)).toEqual(['0001-a', '0002-b', '0003-c']);
      expect(journal[0]?.appliedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(await s.hasTable(`mig_c_${prefix}`)).toBe(true);
      expect(await s.listTables()).not.toContain(s.journalTable);
    });

    it('keeps the histories of scopes apart', async () => {
      await s.migrate([migration('0001-a', 'other_a')], { scope: 'm2' });
      expect((await s.appliedMigrations({ scope: 'm2' })).map((j) => j.id)).toEqual(['0001-a']);
      expect(await s.hasTable(`other_a_${prefix}`)).toBe(true);
    });

    it('leaves nothing of a failing migration behind, and keeps the ones before it', async () => {
      const failing: Migration = {
        id: '0002-fails',
        up: async (trx) => {
          await trx.schema.createTable('half_done', (t) => t.increments('id'));
          await trx.knex('half_done').insert({});
          throw new Error('disk on fire');
        },
      };
      const err = await caught(s.migrate([migration('0001-ok', 'mig_ok'), failing, migration('0003-never', 'mig_never')], { scope: 'm3' }));
      expect(err.code).toBe('CARUSO_STORAGE_MIGRATION_FAILED');
      expect(err.message).toContain('0002-fails');
      expect(err.message).toContain('disk on fire');
      expect(await s.hasTable('half_done')).toBe(false);
      expect(await s.hasTable(`mig_never_${prefix}`)).toBe(false);
      expect(await s.hasTable(`mig_ok_${prefix}`)).toBe(true);
      expect((await s.appliedMigrations({ scope: 'm3' })).map((j) => j.id)).toEqual(['0001-ok']);
    });

    it('refuses a list that disagrees with the journal, changing nothing', async () => {
      await s.migrate([migration('0001-x', 'mm_x'), migration('0003-z', 'mm_z')], { scope: 'm4' });
      const gap = await caught(s.migrate([migration('0001-x', 'mm_x'), migration('0002-y', 'mm_y'), migration('0003-z', 'mm_z')], { scope: 'm4' }));
      expect(gap.code).toBe('CARUSO_STORAGE_MIGRATION_MISMATCH');
      expect(gap.message).toContain('0002-y');
      const gone = await caught(s.migrate([migration('0001-x', 'mm_x')], { scope: 'm4' }));
      expect(gone.code).toBe('CARUSO_STORAGE_MIGRATION_MISMATCH');
      expect(gone.message).toContain('0003-z');
      expect(await s.hasTable(`mm_y_${prefix}`)).toBe(false);
    });

    it('refuses an invalid list before running anything', async () => {
      const dup = await caught(s.migrate([migration('0001-d', 'dd'), migration('0001-d', 'dd2')], { scope: 'm5' }));
      expect(dup.code).toBe('CARUSO_STORAGE_BAD_MIGRATION');
      const badId = await caught(s.migrate([{ id: 'has space', up: async () => undefined }], { scope: 'm5' }));
      expect(badId.code).toBe('CARUSO_STORAGE_BAD_MIGRATION');
      const noUp = await caught(s.migrate([{ id: 'x' } as unknown as Migration], { scope: 'm5' }));
      expect(noUp.code).toBe('CARUSO_STORAGE_BAD_MIGRATION');
      const badScope = await caught(s.migrate([], { scope: 'no spaces please' }));
      expect(badScope.code).toBe('CARUSO_STORAGE_BAD_MIGRATION');
      expect(await s.hasTable(`dd_${prefix}`)).toBe(false);
    });

    it('rolls back the latest migrations with their down()', async () => {
      await s.migrate(list, { scope: 'm6' });
      expect(await s.rollbackMigrations(list, { scope: 'm6', steps: 2 })).toEqual(['0003-c', '0002-b']);
      expect((await s.appliedMigrations({ scope: 'm6' })).map((j) => j.id)).toEqual(['0001-a']);
      expect(await s.hasTable(`mig_b_${prefix}`)).toBe(false);
      expect(await s.hasTable(`mig_a_${prefix}`)).toBe(true);
      expect(await s.migrate(list, { scope: 'm6' })).toEqual({ applied: ['0002-b', '0003-c'], skipped: ['0001-a'] });
    });

    it('lets a second manager find the migrations applied, and on PostgreSQL run concurrently without applying anything twice', async () => {
      const other = await db.open();
      let runs = 0;
      const counted: Migration = {
        id: '0001-once',
        up: async (trx) => {
          runs++;
          await trx.schema.createTable('once_only', (t) => t.increments('id'));
        },
      };
      // better-sqlite3 waits for a lock synchronously, so two SQLite managers in ONE process must not
      // race (the waiting one would block the holder); across processes the journal lock serializes them.
      const results =
        db.dialect === 'postgres'
          ? await Promise.all([s.migrate([counted], { scope: 'm7' }), other.migrate([counted], { scope: 'm7' })])
          : [await s.migrate([counted], { scope: 'm7' }), await other.migrate([counted], { scope: 'm7' })];
      expect(runs).toBe(1);
      expect(results.flatMap((r) => r.applied)).toEqual(['0001-once']);
      expect(results.flatMap((r) => r.skipped)).toEqual(['0001-once']);
    });
  });

  describe('introspection', () => {
    beforeAll(async () => {
      // A legacy-style schema: composite primary key, composite foreign key, plain SQL.
      await s.knex.raw('create table legacy_meter (site_code varchar(12) not null, meter_no integer not null, kind varchar(20) default \'gas\', primary key (site_code, meter_no))');
      await s.knex.raw(
        'create table legacy_reading (id integer primary key, site_code varchar(12) not null, meter_no integer not null, taken_on date not null, value decimal(12,3), ' +
          'foreign key (site_code, meter_no) references legacy_meter (site_code, meter_no) on delete cascade, unique (site_code, meter_no, taken_on))',
      );
    });

    it('reads columns, a composite primary key, a composite foreign key and unique constraints', async () => {
      const meter = await s.columnInfo('legacy_meter');
      expect(meter.primaryKey).toEqual(['site_code', 'meter_no']);
      expect(meter.columns.map((c) => [c.name, c.type, c.nullable, c.maxLength])).toEqual([
        ['site_code', 'string', false, 12],
        ['meter_no', 'integer', false, null],
        ['kind', 'string', true, 20],
      ]);
      expect(meter.columns[2]?.defaultValue).toMatch(/gas/);
      const reading = await s.columnInfo('legacy_reading');
      expect(reading.primaryKey).toEqual(['id']);
      expect(reading.columns.find((c) => c.name === 'taken_on')?.type).toBe('date');
      expect(reading.columns.find((c) => c.name === 'value')?.type).toBe('decimal');
      expect(reading.foreignKeys).toEqual([
        expect.objectContaining({ columns: ['site_code', 'meter_no'], referencedTable: 'legacy_meter', referencedColumns: ['site_code', 'meter_no'], onDelete: 'CASCADE' }),
      ]);
      expect(reading.uniques.map((u) => u.columns)).toEqual([['site_code', 'meter_no', 'taken_on']]);
    });

    it('marks generated keys and lists tables', async () => {
      const customers = await s.columnInfo('customers');
      expect(customers.columns.find((c) => c.name === 'id')?.autoIncrement).toBe(true);
      expect(customers.columns.find((c) => c.name === 'email')?.autoIncrement).toBe(false);
      expect(await s.listTables()).toEqual(expect.arrayContaining(['customers', 'legacy_meter', 'legacy_reading', 'orders']));
    });

    it('throws CARUSO_STORAGE_UNDEFINED_TABLE for a missing table', async () => {
      const err = await caught(s.columnInfo('nowhere'));
      expect(err.code).toBe('CARUSO_STORAGE_UNDEFINED_TABLE');
      expect(await s.hasTable('nowhere')).toBe(false);
    });
  });

  describe('health and close', () => {
    it('reports ok with the round-trip time, and down once closed; later calls fail with CARUSO_STORAGE_CLOSED', async () => {
      const other = await db.open();
      const h = await other.health();
      expect(h.status).toBe('ok');
      expect(h.detail).toMatch(/answered in \d+(\.\d+)? ms/);
      await other.close();
      await other.close();
      expect((await other.health()).status).toBe('down');
      const err = await caught(Promise.resolve(other.knex('customers').select('id')));
      expect(err.code).toBe('CARUSO_STORAGE_CLOSED');
    });

    it('waits for a running transaction before closing', async () => {
      const other = await db.open();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = other.transaction(async (trx) => {
        await gate;
        await trx.knex('customers').insert({ email: 'late@x', name: 'Late' });
      });
      await new Promise((r) => setTimeout(r, 20));
      const closing = other.close();
      release();
      await tx;
      await closing;
      expect(await s.knex('customers').where({ email: 'late@x' })).toHaveLength(1);
    });

    it('reports a pool exhausted by a transaction as CARUSO_STORAGE_POOL_TIMEOUT', async () => {
      // Long enough for the first connection on a loaded machine (PostgreSQL took over 150 ms in a CI run).
      const other = await db.open({ pool: { max: 1, acquireTimeoutMs: 1_000 } });
      await other.transaction(async () => {
        const err = await caught(Promise.resolve(other.knex('customers').select('id')));
        expect(err.code).toBe('CARUSO_STORAGE_POOL_TIMEOUT');
      });
    });
  });
});

describe('createStorage (connection failures)', () => {
  it('fails with CARUSO_STORAGE_CONNECTION_FAILED and no password when PostgreSQL is unreachable', async () => {
    const err = await caught(createStorage({ url: 'postgres://crm:topsecret@127.0.0.1:1/crm', postgres: { connectTimeoutMs: 2000 } }));
    expect(err.code).toBe('CARUSO_STORAGE_CONNECTION_FAILED');
    expect(err.message).toContain('postgres://crm:***@127.0.0.1:1/crm');
    expect(err.message).not.toContain('topsecret');
    expect(JSON.stringify(err.toJSON())).not.toContain('topsecret');
  });
});
