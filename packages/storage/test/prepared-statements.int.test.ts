import { isCarusoError, type CarusoError } from '@caruso/kernel';
import type { StorageManager } from '@caruso/storage';
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

/** Everything of an error a logger could print: message, stack, fields, and the same of its causes. */
function printable(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const o = e as Record<string, unknown>;
    parts.push(String(o['message']), String(o['stack']), JSON.stringify(isCarusoError(e) ? e.toJSON() : { ...o }));
  }
  return parts.join('\n');
}

describeStorageContract('StorageManager.execute (prepared statements)', (db) => {
  let s: StorageManager;
  // Statement texts as knex compiles them for the dialect: identifiers quoted its way.
  let insertSql: string;
  let selectSql: string;
  let countSql: string;
  beforeAll(async () => {
    s = db.storage;
    await s.schema.createTable('accounts', (t) => {
      t.increments('id');
      t.string('email', 120).notNullable().unique();
      t.integer('credit').notNullable().defaultTo(0);
      t.boolean('vip').notNullable().defaultTo(false);
    });
    insertSql = s.knex('accounts').insert({ email: '?', credit: 0, vip: false }).returning(['id', 'email', 'credit', 'vip']).toSQL().sql;
    selectSql = s.knex('accounts').select(['id', 'email', 'credit', 'vip']).where('id', 0).limit(1, { skipBinding: true }).toSQL().sql;
    countSql = s.knex('accounts').count({ n: '*' }).toSQL().sql;
  });
  afterEach(async () => {
    await s.knex('accounts').delete();
  });
  const count = async (): Promise<number> => Number((await s.execute(countSql)).rows[0]?.['n']);

  it('runs a statement with bound values, again and again through its cached form', async () => {
    const a = await s.execute(insertSql, [5, 'ada@example.org', true]);
    expect(a.changes).toBe(1);
    expect(a.rows).toHaveLength(1);
    const id = a.rows[0]?.['id'] as number;
    for (let i = 0; i < 3; i++) {
      const r = await s.execute(selectSql, [id]);
      expect(r.changes).toBe(0);
      expect(r.rows[0]).toMatchObject({ id, email: 'ada@example.org', credit: 5 });
      expect([true, 1]).toContain(r.rows[0]?.['vip']);
    }
    expect((await s.execute(selectSql, [id + 1000])).rows).toEqual([]);
    const upd = s.knex('accounts').update({ credit: 0 }).where('credit', '>', 0).toSQL().sql;
    await s.execute(insertSql, [7, 'bob@example.org', false]);
    expect((await s.execute(upd, [0, 0])).changes).toBe(2);
    expect((await s.execute(upd, [0, 0])).changes).toBe(0);
  });

  it('runs inside a transaction on its connection: rollback undoes it, a rolled-back savepoint keeps the outer work', async () => {
    let seenInside = 0;
    await s.transaction(async (trx) => {
      await trx.execute(insertSql, [1, 'outer@example.org', false]);
      await trx
        .transaction(async (inner) => {
          await inner.execute(insertSql, [2, 'inner@example.org', false]);
          seenInside = Number((await inner.execute(countSql)).rows[0]?.['n']);
          throw new Error('roll the savepoint back');
        })
        .catch(() => undefined);
      expect(seenInside).toBe(2);
      expect(Number((await trx.execute(countSql)).rows[0]?.['n'])).toBe(1);
    });
    expect(await count()).toBe(1);
    await s
      .transaction(async (trx) => {
        await trx.execute(insertSql, [3, 'gone@example.org', false]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await count()).toBe(1);
  });

  it('never runs a statement of the manager inside somebody else\'s open transaction', async () => {
    let outside: Promise<number> | undefined;
    await s
      .transaction(async (trx) => {
        await trx.execute(insertSql, [1, 'uncommitted@example.org', false]);
        // SQLite: waits for the one connection; PostgreSQL: another connection, which cannot see the row.
        outside = count();
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await outside).toBe(0);
  });

  it('translates driver errors, and neither the SQL text nor the values reach the error or its cause', async () => {
    await s.execute(insertSql, [1, 'secret.customer@example.org', false]);
    const err = await caught(s.execute(insertSql, [2, 'secret.customer@example.org', false]));
    expect(err.code).toBe('CARUSO_STORAGE_UNIQUE_VIOLATION');
    expect(err.details).toMatchObject({ table: 'accounts', columns: ['email'] });
    const text = printable(err);
    expect(text).not.toContain('secret.customer');
    expect(text).not.toContain(insertSql);
    expect((err.cause as Error).message).toMatch(/^insert into accounts: /);
    expect(await count()).toBe(1);
  });

  it('refuses a finished transaction handle, a closed manager and malformed arguments', async () => {
    let kept: Parameters<Parameters<StorageManager['transaction']>[0]>[0] | undefined;
    await s.transaction(async (trx) => void (kept = trx));
    expect((await caught(kept!.execute(countSql))).code).toBe('CARUSO_STORAGE_TRANSACTION_MISUSE');
    expect((await caught(s.execute(''))).code).toBe('CARUSO_STORAGE_BAD_OPTIONS');
    expect((await caught(s.execute(countSql, 'x' as unknown as unknown[]))).code).toBe('CARUSO_STORAGE_BAD_OPTIONS');
    const other = await db.open();
    await other.close();
    expect((await caught(other.execute(countSql))).code).toBe('CARUSO_STORAGE_CLOSED');
  });

  it("emits knex's query event, as knex's own queries do", async () => {
    const seen: string[] = [];
    const listener = (q: { sql: string }): void => void seen.push(q.sql);
    s.knex.on('query', listener);
    try {
      await s.execute(countSql);
      await s.transaction((trx) => trx.execute(countSql));
    } finally {
      s.knex.off('query', listener);
    }
    expect(seen.filter((q) => q === countSql)).toHaveLength(2);
  });
});

describeStorageContract('driver errors without SQL text or values', (db) => {
  let s: StorageManager;
  beforeAll(async () => {
    s = db.storage;
    await s.schema.createTable('contacts', (t) => {
      t.increments('id');
      t.string('email', 120).notNullable().unique();
    });
  });

  it('keeps bound values and the statement out of a translated knex error, its cause and its stack', async () => {
    await s.knex('contacts').insert({ email: 'private.person@example.org' });
    const err = await caught(s.knex('contacts').insert({ email: 'private.person@example.org' }));
    expect(err.code).toBe('CARUSO_STORAGE_UNIQUE_VIOLATION');
    const text = printable(err);
    expect(text).not.toContain('private.person');
    expect(text).not.toMatch(/insert into ["`]contacts["`]/);
    expect((err.cause as Error).message).toMatch(/^insert into contacts: /);
  });

  it('keeps literal values of the SQL text out of a rejected statement', async () => {
    const err = await caught(s.knex.raw("select 'literal-secret' frm contacts"));
    expect(err.code).toBe('CARUSO_STORAGE_QUERY_FAILED');
    const text = printable(err);
    expect(text).not.toContain('literal-secret');
    expect(text).not.toContain('frm contacts');
  });
});
