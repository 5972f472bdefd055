import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createServiceManager, isCarusoError, type ServiceManager } from '@caruso/kernel';
import {
  AccountStatements,
  accountStatementsService,
  createLegacyDatabase,
  CustomerDirectory,
  legacyCustomerDirectoryService,
} from '../src/index.js';

describe('a wrapper service written with inversify (account statements)', () => {
  let dir: string;
  let file: string;
  let sm: ServiceManager;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-statements-'));
    file = join(dir, 'legacy.db');
    createLegacyDatabase(file);
    sm = createServiceManager();
    sm.register(CustomerDirectory, legacyCustomerDirectoryService({ file }));
    sm.register(AccountStatements, accountStatementsService({ file, services: sm }));
    await sm.start();
  });

  afterEach(async () => {
    await sm.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('combines the directory service with the legacy payments its container wires in', () => {
    sm.get(CustomerDirectory).recordPayment('100042', 2550);
    const statement = sm.get(AccountStatements).statement('100042');
    expect(statement).toMatchObject({ customerId: '100042', name: 'J. Jansen', balanceCents: 10000 });
    expect(statement?.balance.replace(/\s/g, ' ')).toBe('€ 100,00');
    expect(statement?.payments.map((p) => p.amountCents)).toEqual([2550]);
    expect(sm.get(AccountStatements).statement('nobody')).toBeNull();
  });

  it('follows a hot replacement of the directory it received in its constructor', async () => {
    const statements = sm.get(AccountStatements);
    expect(statements.statement('100043')?.name).toBe('M. de Vries');
    // Version 1.1.0 of the directory reads a copy of the legacy database where the customer moved on.
    const copy = join(dir, 'legacy-2.db');
    createLegacyDatabase(copy);
    const db = new Database(copy);
    db.prepare("UPDATE KLANTEN SET NAAM = 'M. de Vries-Smit' WHERE KLNR = '100043'").run();
    db.close();
    await sm.register(CustomerDirectory, legacyCustomerDirectoryService({ file: copy, version: '1.1.0' })).ready;
    expect(statements.statement('100043')?.name).toBe('M. de Vries-Smit');
    // The statements service itself was neither rebuilt nor stopped.
    expect(sm.find(AccountStatements.id).map((s) => `${s.version}:${s.state}`)).toEqual(['1.0.0:active']);
  });

  it('fails to start with the wrapper’s own error when its database is missing', async () => {
    const h = sm.register(AccountStatements, accountStatementsService({ file: join(dir, 'missing.db'), services: sm, version: '1.1.0' }));
    let err: unknown;
    await h.ready.catch((e: unknown) => {
      err = e;
    });
    expect(isCarusoError(err, 'CARUSO_KERNEL_START_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/AccountStatements@1\.1\.0 failed to start: the legacy database .*missing\.db does not exist/);
    expect(sm.get(AccountStatements).statement('100044')?.name).toBe('A. Bakker');
  });
});
