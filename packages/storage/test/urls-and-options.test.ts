import { isCarusoError, type CarusoError } from '@caruso/kernel';
import { createStorage, maskUrl, resolveStorageOptions, storageService } from '@caruso/storage';

function thrown(fn: () => unknown): CarusoError {
  try {
    fn();
  } catch (err) {
    if (isCarusoError(err)) return err;
    throw err;
  }
  throw new Error('expected a throw');
}

async function rejected(p: Promise<unknown>): Promise<CarusoError> {
  try {
    await p;
  } catch (err) {
    if (isCarusoError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('connection URLs', () => {
  it('masks the password of a URL and leaves URLs without one alone', () => {
    expect(maskUrl('postgres://crm:s3cr%40t@db.local:5432/crm')).toBe('postgres://crm:***@db.local:5432/crm');
    expect(maskUrl('postgresql://crm@db/crm')).toBe('postgresql://crm@db/crm');
    expect(maskUrl('sqlite:./data/crm.db')).toBe('sqlite:./data/crm.db');
    expect(maskUrl('postgres://u:p@ss@h/db')).toBe('postgres://u:***@h/db');
  });

  it.each([
    ['mysql://root:pw@localhost/crm', 'CARUSO_STORAGE_UNKNOWN_DIALECT', /unknown database mysql .*known: sqlite, postgres, postgresql/],
    ['oracle:whatever', 'CARUSO_STORAGE_UNKNOWN_DIALECT', /oracle/],
    ['./data/crm.db', 'CARUSO_STORAGE_BAD_URL', /has no scheme/],
    ['', 'CARUSO_STORAGE_BAD_URL', /non-empty URL/],
    ['sqlite:', 'CARUSO_STORAGE_BAD_URL', /file path is missing/],
    ['sqlite:./crm.db?mode=ro', 'CARUSO_STORAGE_BAD_URL', /query parameters/],
    ['sqlite:./bad%zz.db', 'CARUSO_STORAGE_BAD_URL', /percent-escape/],
    ['postgres://u:pw@/crm', 'CARUSO_STORAGE_BAD_URL', /not a valid URL|host is missing/],
    ['postgres://u:pw@db:99999/crm', 'CARUSO_STORAGE_BAD_URL', /not a valid URL|port/],
    ['postgres://u:pw@db:5432/', 'CARUSO_STORAGE_BAD_URL', /database name is missing/],
    ['postgres://u:pw@db/crm/extra', 'CARUSO_STORAGE_BAD_URL', /just the database name/],
    ['postgres://u:pw@db/crm?sslmode=sometimes', 'CARUSO_STORAGE_BAD_URL', /sslmode must be/],
    ['postgres://u:pw@db/crm?pool=5', 'CARUSO_STORAGE_BAD_URL', /unknown parameter pool/],
  ])('rejects %j with %s', async (url, code, message) => {
    const err = await rejected(createStorage(url));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/\bpw\b/);
  });

  it('rejects a bad URL before anything connects, also for the service definition', () => {
    expect(thrown(() => storageService('mssql://sa:pw@db/crm')).code).toBe('CARUSO_STORAGE_UNKNOWN_DIALECT');
    expect(storageService({ url: 'sqlite::memory:', properties: { role: 'main' } }).properties).toEqual({ role: 'main', dialect: 'sqlite' });
    expect(storageService('postgresql://crm@db/crm').properties).toEqual({ dialect: 'postgres' });
  });
});

describe('storage options', () => {
  it('fills in defaults', () => {
    const o = resolveStorageOptions('sqlite::memory:');
    expect(o.pool).toEqual({ min: 0, max: 10, acquireTimeoutMs: 10_000, idleTimeoutMs: 30_000 });
    expect(o.sqlite.busyTimeoutMs).toBe(5_000);
    expect(o.journalTable).toBe('caruso_migrations');
  });

  it.each([
    [{ url: 'sqlite::memory:', pool: { max: 0 } }, 'pool.max'],
    [{ url: 'sqlite::memory:', pool: { min: 5, max: 2 } }, 'pool.min'],
    [{ url: 'sqlite::memory:', pool: { maxx: 2 } }, 'pool.maxx'],
    [{ url: 'sqlite::memory:', colour: 'blue' }, 'options.colour'],
    [{ url: 'sqlite::memory:', sqlite: { busyTimeoutMs: -1 } }, 'sqlite.busyTimeoutMs'],
    [{ url: 'sqlite::memory:', journalTable: 'drop table x' }, 'journalTable'],
    [{ url: 'sqlite::memory:', postgres: { searchPath: ['crm; drop'] } }, 'postgres.searchPath'],
    [{ url: 'sqlite::memory:', postgres: { applicationName: 'x'.repeat(80) } }, 'postgres.applicationName'],
    [42, 'options'],
  ])('rejects %j naming %s', (input, option) => {
    const err = thrown(() => resolveStorageOptions(input));
    expect(err.code).toBe('CARUSO_STORAGE_BAD_OPTIONS');
    expect(err.message).toContain(option);
  });
});
