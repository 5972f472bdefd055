import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceManager, isCarusoError, type ServiceManager } from '@caruso/kernel';
import { checkErrorCatalogue } from '@caruso/kernel/testing';
import { loadModelFile } from '@caruso/objects';
import { createStorage, type StorageManager } from '@caruso/storage';
import { BillingInvoices, billingInvoicesService, generateDemoData, seedLegacyBilling, UtilityErrors } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const NOW = new Date('2025-01-15T10:00:00Z');

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('billing.Invoices over the legacy billing tables', () => {
  let dir: string;
  let database: string;
  let sm: ServiceManager;
  let legacy: StorageManager;
  let seeded: { accounts: number; invoices: number } | undefined;
  const data = generateDemoData({ customers: 300, seed: 7 });
  const behind = data.billing.accounts.find((a) => a['blocked'] === 'false' && a['balance'] !== '0.00 EUR') as Record<string, string>;
  const blocked = data.billing.accounts.find((a) => a['blocked'] === 'true') as Record<string, string>;
  const settled = data.billing.accounts.find((a) => a['balance'] === '0.00 EUR') as Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-utility-billing-'));
    database = join(dir, 'legacy-billing.db');
    seeded = await seedLegacyBilling({
      database,
      schemaSql: readFileSync(join(root, 'legacy-billing/schema.sql'), 'utf8'),
      model: loadModelFile(join(root, 'model/legacy-billing.model.xml')),
      data: data.billing,
    });
    sm = createServiceManager();
    sm.register(BillingInvoices, billingInvoicesService({ database, model: join(root, 'model/legacy-billing.model.xml'), maxInstallments: '12', now: () => NOW }));
    await sm.start();
    legacy = await createStorage(`sqlite:${database}`);
  });

  afterAll(async () => {
    await legacy?.close();
    await sm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeds the legacy tables through the mapping', async () => {
    expect(seeded).toEqual({ accounts: 300, invoices: 1800 });
    expect(await legacy.knex('FACT_FACTUUR').count({ n: '*' })).toEqual([{ n: 1800 }]);
  });

  it('has demo accounts that are behind, blocked and settled', () => {
    expect([behind, blocked, settled].every(Boolean)).toBe(true);
  });

  it('answers the balance in the contract’s names, computed from the legacy columns', async () => {
    const billing = sm.get(BillingInvoices);
    const balance = await billing.balance(behind['accountNo'] as string);
    const row = (await legacy.knex('FACT_DEBITEUR').where({ DEB_NR: behind['accountNo'] }).first()) as { DEB_SALDO_CT: number };
    expect(balance).toMatchObject({ account: behind['accountNo'], balanceCents: row.DEB_SALDO_CT, blocked: false, arrangement: null });
    expect(balance.balanceCents).toBeGreaterThan(0);
    const open = await billing.openInvoices(behind['accountNo'] as string);
    expect(open.reduce((s, i) => s + i.openCents, 0)).toBe(balance.balanceCents);
    expect(open[0]?.number).toMatch(/^\d{4}-\d+$/);
    expect((await billing.balance(blocked['accountNo'] as string)).blocked).toBe(true);
  });

  it('writes a payment arrangement into FACT_BETREGELING, and refuses a second one', async () => {
    const billing = sm.get(BillingInvoices);
    const account = behind['accountNo'] as string;
    const { balanceCents } = await billing.balance(account);
    const installments = Math.max(2, Math.min(12, Math.floor(balanceCents / 2500)));
    const arrangement = await billing.arrangePayment({ account, installments, firstDueDate: '2025-02-01' });
    expect(arrangement).toMatchObject({ account, totalCents: balanceCents, installments, installmentCents: Math.ceil(balanceCents / installments), firstDueDate: '2025-02-01' });
    const rows = await legacy.knex('FACT_BETREGELING').where({ DEB_NR: account });
    expect(rows).toEqual([
      { REG_ID: arrangement.id, DEB_NR: account, TOTAAL_CT: balanceCents, TERMIJNEN: installments, TERMIJN_CT: arrangement.installmentCents, EERSTE_VERVAL: '2025-02-01', REG_STATUS: 'L', AANGEMAAKT: NOW.toISOString() },
    ]);
    expect((await billing.balance(account)).arrangement).toEqual(arrangement);
    expect(await codeOf(billing.arrangePayment({ account, installments: 2, firstDueDate: '2025-02-01' }))).toBe('CARUSO_UTILITY_BILLING_ARRANGEMENT_EXISTS');
  });

  it('refuses bad requests with a coded error and writes nothing', async () => {
    const billing = sm.get(BillingInvoices);
    const before = await legacy.knex('FACT_BETREGELING').count({ n: '*' });
    expect(await codeOf(billing.arrangePayment({ account: blocked['accountNo'] as string, installments: 3, firstDueDate: '2025-02-01' }))).toBe('CARUSO_UTILITY_BILLING_ACCOUNT_BLOCKED');
    expect(await codeOf(billing.arrangePayment({ account: settled['accountNo'] as string, installments: 3, firstDueDate: '2025-02-01' }))).toBe('CARUSO_UTILITY_BILLING_NOTHING_DUE');
    expect(await codeOf(billing.arrangePayment({ account: 'D9999999', installments: 3, firstDueDate: '2025-02-01' }))).toBe('CARUSO_UTILITY_BILLING_UNKNOWN_ACCOUNT');
    expect(await codeOf(billing.arrangePayment({ account: settled['accountNo'] as string, installments: 13, firstDueDate: '2025-02-01' }))).toBe('CARUSO_UTILITY_BILLING_BAD_REQUEST');
    expect(await codeOf(billing.arrangePayment({ account: settled['accountNo'] as string, installments: 3, firstDueDate: '2025-03-01' }))).toBe('CARUSO_UTILITY_BILLING_BAD_REQUEST');
    expect(await codeOf(billing.arrangePayment({ account: "x' OR 1=1 --", installments: 3, firstDueDate: '2025-02-01' }))).toBe('CARUSO_UTILITY_BILLING_BAD_REQUEST');
    expect(await legacy.knex('FACT_BETREGELING').count({ n: '*' })).toEqual(before);
  });

  it('books a move as a mutation for the final invoice', async () => {
    const billing = sm.get(BillingInvoices);
    const account = settled['accountNo'] as string;
    const { id } = await billing.registerMove({ account, moveOutDate: '2025-02-01', finalReadingNormal: 12650, finalReadingLow: null, newAddress: 'Oudegracht 12A, 3511 AB Utrecht' });
    expect(await legacy.knex('FACT_MUTATIE').where({ MUT_ID: id }).first()).toEqual({
      MUT_ID: id, DEB_NR: account, MUT_SOORT: 'VERHUIS', MUT_DATUM: '2025-02-01', STAND_NORMAAL: 12650, STAND_DAL: null, NIEUW_ADRES: 'Oudegracht 12A, 3511 AB Utrecht', GEBOEKT: NOW.toISOString(),
    });
    expect(await codeOf(billing.registerMove({ account, moveOutDate: '1-2-2025', newAddress: 'x' }))).toBe('CARUSO_UTILITY_BILLING_BAD_REQUEST');
  });

  it('rejects a bad configuration at once, and fails to start on a missing database', async () => {
    expect(() => billingInvoicesService({ database: database, model: join(root, 'model/legacy-billing.model.xml'), colour: 'red' } as never)).toThrow(/unknown setting 'colour'/);
    expect(() => billingInvoicesService({ database: '', model: 'x' })).toThrow(/database \(a path\) is required/);
    expect(() => billingInvoicesService({ database, model: join(root, 'model/legacy-billing.model.xml'), maxInstallments: '40' })).toThrow(/maxInstallments must be a whole number from 2 to 36/);
    const h = sm.register(BillingInvoices, billingInvoicesService({ database: join(dir, 'missing.db'), model: join(root, 'model/legacy-billing.model.xml'), version: '1.1.0' }));
    let err: unknown;
    await h.ready.catch((e: unknown) => (err = e));
    expect(isCarusoError(err, 'CARUSO_UTILITY_BILLING_DATABASE_MISSING') || /missing\.db does not exist/.test(String(err))).toBe(true);
    expect((await sm.get(BillingInvoices).balance(settled['accountNo'] as string)).balanceCents).toBe(0);
  });

  it('documents every error code in the README', () => {
    expect(checkErrorCatalogue(UtilityErrors.codes, join(root, 'README.md'), 'CARUSO_UTILITY_')).toEqual([]);
  });
});
