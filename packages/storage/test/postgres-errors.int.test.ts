import { isCarusoError, type CarusoError } from '@caruso/kernel';
import { createStorage, type StorageManager, type StorageTransaction } from '@caruso/storage';
import { forEachDatabase, postgresAvailable, startPostgres } from '@caruso/storage/testing';
import { requireOrSkip } from '@caruso/kernel/testing';

async function caught(p: Promise<unknown>): Promise<CarusoError> {
  try {
    await p;
  } catch (err) {
    if (isCarusoError(err)) return err;
    throw new Error(`expected a CarusoError, got ${String(err)}`);
  }
  throw new Error('expected a rejection');
}

/** Resolves once `n` parties have arrived (bounded: rejects after 5 s so a test cannot hang). */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return async () => {
    if (++arrived >= n) open();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([opened, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('barrier timed out')), 5000)))]);
    clearTimeout(timer);
  };
}

forEachDatabase(
  (db) => {
    let s: StorageManager;
    beforeAll(async () => {
      s = db.storage;
      await s.schema.createTable('accounts', (t) => {
        t.integer('id').primary();
        t.integer('kind').notNullable();
        t.integer('balance').notNullable();
        t.string('code', 5);
      });
    });
    beforeEach(async () => {
      await s.knex('accounts').delete();
      await s.knex('accounts').insert([
        { id: 1, kind: 1, balance: 10 },
        { id: 2, kind: 2, balance: 10 },
      ]);
    });

    // Two serializable transactions that each read what the other writes (write skew).
    const skew = (trx: StorageTransaction, readKind: number, writeKind: number, id: number, meet?: () => Promise<void>) =>
      (async () => {
        await trx.knex('accounts').where({ kind: readKind }).sum({ total: 'balance' });
        if (meet) await meet();
        await trx.knex('accounts').insert({ id, kind: writeKind, balance: 1 });
      })();

    it('translates a serialization failure (40001) into CARUSO_STORAGE_SERIALIZATION_FAILURE', async () => {
      const meet = barrier(2);
      const results = await Promise.allSettled([
        s.transaction((trx) => skew(trx, 1, 2, 10, meet), { isolation: 'serializable' }),
        s.transaction((trx) => skew(trx, 2, 1, 11, meet), { isolation: 'serializable' }),
      ]);
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failures).toHaveLength(1);
      expect(failures[0]?.reason).toMatchObject({ code: 'CARUSO_STORAGE_SERIALIZATION_FAILURE', status: 409 });
    });

    it('runs a transaction again on a serialization failure when retries are allowed', async () => {
      const meet = barrier(2);
      let attempts = 0;
      const results = await Promise.allSettled([
        s.transaction((trx) => skew(trx, 1, 2, 20, attempts++ === 0 ? meet : undefined), { isolation: 'serializable', retries: 3 }),
        s.transaction((trx) => skew(trx, 2, 1, 21, meet), { isolation: 'serializable', retries: 3 }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(await s.knex('accounts').whereIn('id', [20, 21]).pluck('id')).toHaveLength(2);
    });

    it('translates a deadlock (40P01) into CARUSO_STORAGE_DEADLOCK', async () => {
      const meet = barrier(2);
      const crosswise = (first: number, second: number) =>
        s.transaction(async (trx) => {
          await trx.knex.raw(`set local deadlock_timeout = '50ms'`);
          await trx.knex('accounts').where({ id: first }).increment('balance', 1);
          await meet();
          await trx.knex('accounts').where({ id: second }).increment('balance', 1);
        });
      const results = await Promise.allSettled([crosswise(1, 2), crosswise(2, 1)]);
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failures).toHaveLength(1);
      expect(failures[0]?.reason).toMatchObject({ code: 'CARUSO_STORAGE_DEADLOCK' });
    });

    it('translates a lock that is not available (55P03) into CARUSO_STORAGE_BUSY', async () => {
      await s.transaction(async (trx) => {
        await trx.knex('accounts').where({ id: 1 }).forUpdate();
        const err = await caught(Promise.resolve(s.knex('accounts').where({ id: 1 }).forUpdate().noWait()));
        expect(err).toMatchObject({ code: 'CARUSO_STORAGE_BUSY', details: { driverCode: '55P03' } });
      });
    });

    it('translates a cancelled statement (57014) into CARUSO_STORAGE_STATEMENT_TIMEOUT', async () => {
      const slow = await db.open({ postgres: { statementTimeoutMs: 50 } });
      const err = await caught(Promise.resolve(slow.knex.raw('select pg_sleep(2)')));
      expect(err.code).toBe('CARUSO_STORAGE_STATEMENT_TIMEOUT');
    });

    it('translates a value of the wrong type (class 22) into CARUSO_STORAGE_INVALID_VALUE without echoing it', async () => {
      const wrong = await caught(Promise.resolve(s.knex('accounts').insert({ id: 3, kind: 'customer-secret-42', balance: 0 })));
      expect(wrong.code).toBe('CARUSO_STORAGE_INVALID_VALUE');
      expect(wrong.message).not.toContain('customer-secret-42');
      const long = await caught(Promise.resolve(s.knex('accounts').insert({ id: 3, kind: 1, balance: 0, code: 'too long' })));
      expect(long.code).toBe('CARUSO_STORAGE_INVALID_VALUE');
      expect(long.message).toContain('accounts');
    });

    it('translates a connection killed under a transaction into CARUSO_STORAGE_CONNECTION_LOST', async () => {
      const victim = await db.open();
      const err = await caught(
        victim.transaction(async (trx) => {
          const r = (await trx.knex.raw('select pg_backend_pid() as pid')) as { rows: { pid: number }[] };
          await s.knex.raw('select pg_terminate_backend(?)', [r.rows[0]?.pid ?? 0]);
          await trx.knex('accounts').select('id');
        }),
      );
      expect(err.code).toBe('CARUSO_STORAGE_CONNECTION_LOST');
      expect(err.status).toBe(503);
      // The pool replaces the dead connection: the manager keeps working.
      expect(await victim.knex('accounts').count({ n: '*' })).toEqual([{ n: 2 }]);
    });
  },
  { dialects: ['postgres'] },
);

describe('StorageManager when the PostgreSQL server goes away', () => {
  const available = requireOrSkip('PostgreSQL (server binaries or CARUSO_TEST_PG_URL)', postgresAvailable() && !process.env['CARUSO_TEST_PG_URL']);
  if (!available) {
    it.todo('not run: needs PostgreSQL server binaries (an external CARUSO_TEST_PG_URL server cannot be stopped)');
    return;
  }
  it('reports down in health() and fails queries with a coded error, then closes cleanly', async () => {
    const server = await startPostgres();
    try {
      const storage = await createStorage({ url: server.url, pool: { acquireTimeoutMs: 2000 }, postgres: { connectTimeoutMs: 1000 } });
      expect((await storage.health()).status).toBe('ok');
      await server.stop();
      const health = await storage.health();
      expect(health.status).toBe('down');
      expect(health.detail).toMatch(/CARUSO_STORAGE_CONNECTION_(LOST|FAILED)/);
      const err = await caught(Promise.resolve(storage.knex.raw('select 1')));
      expect(['CARUSO_STORAGE_CONNECTION_LOST', 'CARUSO_STORAGE_CONNECTION_FAILED']).toContain(err.code);
      await storage.close();
    } finally {
      await server.stop();
    }
  }, 60_000);
});
