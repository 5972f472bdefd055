import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, isCarusoError, type CarusoError } from '@caruso/kernel';
import { createStorage, StorageManager, storageService } from '@caruso/storage';

async function rejected(p: Promise<unknown>): Promise<CarusoError> {
  try {
    await p;
  } catch (err) {
    if (isCarusoError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('StorageManager on SQLite', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'caruso-storage-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the folder of the database file and opens it in WAL mode with foreign keys on', async () => {
    const storage = await createStorage({ url: 'sqlite:./nested/data/crm.db', baseDir: dir });
    try {
      expect(storage.dialect).toBe('sqlite');
      expect(await storage.knex.raw('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await storage.knex.raw('pragma foreign_keys')).toEqual([{ foreign_keys: 1 }]);
      expect(await storage.knex.raw('pragma busy_timeout')).toEqual([{ timeout: 5000 }]);
      expect(await storage.knex.raw('pragma synchronous')).toEqual([{ synchronous: 2 }]);
      const health = await storage.health();
      expect(health.status).toBe('ok');
      expect(health.detail).toContain('journalMode wal');
    } finally {
      await storage.close();
    }
  });

  it('accepts sqlite:///absolute/path and keeps data across managers', async () => {
    const url = `sqlite://${join(dir, 'abs.db')}`;
    const first = await createStorage(url);
    await first.schema.createTable('notes', (t) => t.string('text'));
    await first.knex('notes').insert({ text: 'kept' });
    await first.close();
    const second = await createStorage(url);
    expect(await second.knex('notes').pluck('text')).toEqual(['kept']);
    await second.close();
  });

  it('fails with CARUSO_STORAGE_CONNECTION_FAILED on a file that is not a database', async () => {
    const file = join(dir, 'not-a.db');
    await writeFile(file, 'this is not a database file, just some text that is long enough '.repeat(40));
    const err = await rejected(createStorage(`sqlite:${file}`));
    expect(err.code).toBe('CARUSO_STORAGE_CONNECTION_FAILED');
    expect(err.message).toContain(file);
  });

  it('reports a writer locked out past the busy timeout as CARUSO_STORAGE_BUSY', async () => {
    const url = `sqlite:${join(dir, 'busy.db')}`;
    const a = await createStorage({ url, sqlite: { busyTimeoutMs: 50 } });
    const b = await createStorage({ url, sqlite: { busyTimeoutMs: 50 } });
    try {
      await a.schema.createTable('counters', (t) => t.integer('n'));
      await a.transaction(async (trx) => {
        await trx.knex('counters').insert({ n: 1 });
        const err = await rejected(Promise.resolve(b.knex('counters').insert({ n: 2 })));
        expect(err).toMatchObject({ code: 'CARUSO_STORAGE_BUSY', details: { table: 'counters' } });
      });
      expect(await b.knex('counters').pluck('n')).toEqual([1]);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('reports a value of the wrong type in a STRICT table as CARUSO_STORAGE_INVALID_VALUE', async () => {
    const storage = await createStorage('sqlite::memory:');
    try {
      await storage.knex.raw('create table meters (id integer primary key, reading integer not null) strict');
      const err = await rejected(Promise.resolve(storage.knex('meters').insert({ id: 1, reading: 'customer-secret' })));
      expect(err.code).toBe('CARUSO_STORAGE_INVALID_VALUE');
      expect(err.details).toMatchObject({ table: 'meters', column: 'reading' });
      expect(err.message).not.toContain('customer-secret');
    } finally {
      await storage.close();
    }
  });

  it('names the statement table of a foreign-key violation that SQLite reports without one', async () => {
    const storage = await createStorage('sqlite::memory:');
    try {
      await storage.knex.raw('create table "parent" (id integer primary key)');
      await storage.knex.raw('create table "child" (id integer primary key, parent_id integer references parent(id))');
      const err = await rejected(Promise.resolve(storage.knex.raw('insert into "child" (id, parent_id) values (?, ?)', [1, 99])));
      expect(err).toMatchObject({ code: 'CARUSO_STORAGE_FOREIGN_KEY_VIOLATION', details: { table: 'child' } });
      const upd = await rejected(Promise.resolve(storage.knex.raw('insert into child (id) values (2)').then(() => storage.knex('child').where({ id: 2 }).update({ parent_id: 7 }))));
      expect(upd).toMatchObject({ code: 'CARUSO_STORAGE_FOREIGN_KEY_VIOLATION', details: { table: 'child' } });
    } finally {
      await storage.close();
    }
  });
});

describe('storageService with the service manager', () => {
  it('starts (opening the database), answers health, and closes on stop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caruso-storage-svc-'));
    const services = createServiceManager();
    try {
      const handle = services.register(StorageManager, storageService({ url: 'sqlite:./svc/crm.db', baseDir: dir }));
      await services.start();
      await handle.ready;
      const storage = services.get(StorageManager);
      expect(storage.dialect).toBe('sqlite');
      await storage.schema.createTable('contacts', (t) => t.increments('id'));
      await storage.transaction(async (trx) => {
        await trx.knex('contacts').insert({});
      });
      expect(await storage.knex('contacts').count({ n: '*' })).toEqual([{ n: 1 }]);
      const [info] = await services.checkHealth();
      expect(info?.health?.status).toBe('ok');
      expect(info?.properties).toEqual({ dialect: 'sqlite' });
      await services.stop();
      const instance = handle.instance as StorageManager;
      expect((await instance.health()).status).toBe('down');
    } finally {
      await services.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails the start with a coded error when the database cannot be opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caruso-storage-svc-'));
    const file = join(dir, 'garbage.db');
    await writeFile(file, 'not a database at all '.repeat(100));
    const services = createServiceManager();
    try {
      const handle = services.register(StorageManager, storageService(`sqlite:${file}`));
      await services.start();
      const err = await rejected(handle.ready);
      expect(err.message).toMatch(/CARUSO_STORAGE_CONNECTION_FAILED|cannot connect/);
    } finally {
      await services.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('StorageManager on SQLite, read-only (sqlite.readOnly)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'caruso-storage-ro-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates neither a missing file nor its folder', async () => {
    const { existsSync } = await import('node:fs');
    for (const file of [join(dir, 'missing.db'), join(dir, 'no-folder', 'missing.db')]) {
      const err = await rejected(createStorage({ url: `sqlite:${file}`, sqlite: { readOnly: true } }));
      expect(err.code).toBe('CARUSO_STORAGE_CONNECTION_FAILED');
      expect(err.details).toMatchObject({ dialect: 'sqlite', driverCode: 'SQLITE_CANTOPEN' });
      expect(existsSync(file)).toBe(false);
    }
    expect(existsSync(join(dir, 'no-folder'))).toBe(false);
  });

  it('reads an existing file and refuses to write to it', async () => {
    const url = `sqlite:${join(dir, 'crm.db')}`;
    const rw = await createStorage(url);
    await rw.schema.createTable('notes', (t) => t.string('text'));
    await rw.knex('notes').insert({ text: 'kept' });
    await rw.close();
    const ro = await createStorage({ url, sqlite: { readOnly: true } });
    try {
      expect(await ro.knex('notes').select('text')).toEqual([{ text: 'kept' }]);
      const err = await rejected(Promise.resolve(ro.knex('notes').insert({ text: 'new' })));
      expect(err.code).toBe('CARUSO_STORAGE_QUERY_FAILED');
      expect(await ro.knex('notes').count({ n: '*' })).toEqual([{ n: 1 }]);
    } finally {
      await ro.close();
    }
  });

  it('refuses a readOnly that is not true or false', async () => {
    const err = await rejected(createStorage({ url: 'sqlite::memory:', sqlite: { readOnly: 'yes' as unknown as boolean } }));
    expect(err.code).toBe('CARUSO_STORAGE_BAD_OPTIONS');
  });
});
