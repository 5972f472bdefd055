import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { AccessList, createServiceManager, isCarusoError, RemoteEndpoint, type ServiceManager } from '@caruso/kernel';
import {
  createLegacyDatabase,
  csvCustomerDirectoryService,
  CustomerDirectory,
  legacyCustomerDirectoryService,
  LegacyErrors,
} from '../src/index.js';
import { checkErrorCatalogue } from '@caruso/kernel/testing';

const csv = fileURLToPath(new URL('./fixtures/klanten-export.csv', import.meta.url));

describe('wrapping a legacy customer database as a service', () => {
  let dir: string;
  let file: string;
  let sm: ServiceManager;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-legacy-'));
    file = join(dir, 'legacy.db');
    createLegacyDatabase(file);
    sm = createServiceManager();
    sm.register(CustomerDirectory, legacyCustomerDirectoryService({ file }));
    sm.register(CustomerDirectory, csvCustomerDirectoryService(csv));
    await sm.start();
  });

  afterEach(async () => {
    await sm.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers through the contract in the contract’s names, whatever the legacy columns are called', () => {
    const customers = sm.get(CustomerDirectory);
    expect(customers.get('100042')).toEqual({ id: '100042', name: 'J. Jansen', phone: '0201234567', balanceCents: 12550 });
    expect(customers.findByPhone('+31 20 123 4567').map((c) => c.id)).toEqual(['100042']);
    expect(customers.get('999')).toBeNull();
  });

  it('writes into the legacy tables in one transaction, and refuses bad input without writing', () => {
    const customers = sm.get(CustomerDirectory, { filter: '(writable=true)' });
    expect(customers.recordPayment('100042', 2550)).toBe(10000);
    expect(() => customers.recordPayment('100042', -5)).toThrow(LegacyErrors.CARUSO_LEGACY_INVALID_AMOUNT({ cents: -5 }).message);
    let err: unknown;
    try {
      customers.recordPayment('nobody', 100);
    } catch (e) {
      err = e;
    }
    expect(isCarusoError(err, 'CARUSO_LEGACY_UNKNOWN_CUSTOMER')).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM BETALINGEN').get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT SALDO_CT FROM KLANTEN WHERE KLNR = '100042'").get()).toEqual({ SALDO_CT: 10000 });
    db.close();
  });

  it('lets consumers choose the CSV export by property, and ranks the database first', () => {
    expect(sm.get(CustomerDirectory, { filter: '(source=csv)' }).get('100042')?.name).toBe('J. Jansen (export)');
    expect(sm.getAll(CustomerDirectory).map((c) => c.get('200001')?.name ?? 'db')).toEqual(['db', 'K. Smit']);
  });

  it('fails to start with a clear error when the legacy database is missing, and changes nothing', async () => {
    const before = sm.list().map((s) => s.id);
    const h = sm.register(CustomerDirectory, legacyCustomerDirectoryService({ file: join(dir, 'missing.db'), version: '1.1.0' }));
    await expect(h.ready).rejects.toThrow(/the legacy database .*missing\.db does not exist/);
    expect(sm.list().map((s) => s.id)).toEqual(before);
    expect(sm.get(CustomerDirectory).get('100043')?.name).toBe('M. de Vries');
  });

  it('is replaced by a new version at run time without a failed call', async () => {
    const customers = sm.get(CustomerDirectory);
    let failures = 0;
    let calls = 0;
    let stop = false;
    const load = (async () => {
      while (!stop && calls < 20_000) {
        try {
          customers.get('100042');
        } catch {
          failures++;
        }
        calls++;
        if (calls % 100 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const v2 = sm.register(CustomerDirectory, legacyCustomerDirectoryService({ file, version: '1.1.0' }));
    await v2.ready;
    stop = true;
    await load;
    expect(failures).toBe(0);
    expect(calls).toBeGreaterThan(0);
    expect(sm.find(CustomerDirectory.id, { filter: '(source=database)' }).map((s) => s.version)).toEqual(['1.1.0']);
  });

  it('documents its error codes', () => {
    const docs = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
    expect(checkErrorCatalogue(LegacyErrors.codes, docs, 'CARUSO_LEGACY_')).toEqual([]);
  });
});

describe('the wrapper as its own process', () => {
  it('registers with a remote service manager and serves its calls', async () => {
    const built = fileURLToPath(new URL('../dist/remote-main.js', import.meta.url));
    expect(existsSync(built)).toBe(true); // npm test builds before jest runs
    const dir = mkdtempSync(join(tmpdir(), 'caruso-legacy-'));
    const file = join(dir, 'legacy.db');
    createLegacyDatabase(file);
    const token = 'wrapper-token-0123456789';
    const sm = createServiceManager();
    await sm.start();
    const endpoint = await RemoteEndpoint.listen(sm, { port: 0, accessList: new AccessList([{ principal: 'wrapper', secret: token, register: ['legacy.*'] }]) });
    const child = spawn(process.execPath, [built, endpoint.url, file], { env: { ...process.env, CARUSO_ACCESS_TOKEN: token, CARUSO_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const customers = await sm.whenAvailable(CustomerDirectory, { timeoutMs: 8_000 });
      expect(await customers.get('100044')).toMatchObject({ name: 'A. Bakker', balanceCents: 4200 });
      expect(await customers.recordPayment('100044', 200)).toBe(4000);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await endpoint.close();
      await sm.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 15_000);
});
