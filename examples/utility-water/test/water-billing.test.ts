// The water company reuses the utility's billing wrapper unchanged: only its own mapping model and
// its own legacy database (other tables and columns) differ.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { loadModelFile } from '@caruso/objects';
import { createStorage, type StorageManager } from '@caruso/storage';
import { BillingInvoices, billingInvoicesService, generateDemoData, seedLegacyBilling, type DemoRow } from '../../utility/src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const mapping = join(root, 'model/legacy-billing.model.xml');
const NOW = new Date('2025-01-15T10:00:00Z');
const water = (account: string | undefined): string => `W-0${String(account).slice(2)}`;

describe('the water company’s billing through the utility’s wrapper', () => {
  let dir: string;
  let database: string;
  let sm: ServiceManager;
  let legacy: StorageManager;
  const demo = generateDemoData({ customers: 120, seed: 21 });
  // The water company numbers its accounts W-0……… and its invoices by year and sequence.
  const accounts: DemoRow[] = demo.billing.accounts.map((a) => ({ ...a, accountNo: water(a['accountNo']) }));
  const invoices: DemoRow[] = demo.billing.invoices.map((i) => ({ ...i, accountNo: water(i['accountNo']), number: `N${i['year']}/${String(i['sequence']).padStart(5, '0')}` }));
  const behind = accounts.find((a) => a['blocked'] === 'false' && a['balance'] !== '0.00 EUR') as DemoRow;
  const blocked = accounts.find((a) => a['blocked'] === 'true') as DemoRow;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-water-billing-'));
    database = join(dir, 'aquanota.db');
    await seedLegacyBilling({ database, schemaSql: readFileSync(join(root, 'legacy-billing/schema.sql'), 'utf8'), model: loadModelFile(mapping), data: { accounts, invoices } });
    sm = createServiceManager();
    sm.register(BillingInvoices, billingInvoicesService({ database, model: mapping, maxInstallments: '6', minInstallmentCents: '1500', now: () => NOW }));
    await sm.start();
    legacy = await createStorage(`sqlite:${database}`);
  });

  afterAll(async () => {
    await legacy?.close();
    await sm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads balances and invoices from the water company’s own tables', async () => {
    const billing = sm.get(BillingInvoices);
    const balance = await billing.balance(behind['accountNo'] as string);
    const row = (await legacy.knex('klantrekening').where({ reknr: behind['accountNo'] }).first()) as { saldo_centen: number };
    expect(balance.balanceCents).toBe(row.saldo_centen);
    expect(balance.blocked).toBe(false);
    expect((await billing.openInvoices(behind['accountNo'] as string))[0]?.number).toMatch(/^N\d{4}\/\d{5}$/);
    expect((await billing.balance(blocked['accountNo'] as string)).blocked).toBe(true);
  });

  it('writes a payment arrangement into betaalafspraak, within the water company’s limits', async () => {
    const billing = sm.get(BillingInvoices);
    const account = behind['accountNo'] as string;
    await expect(billing.arrangePayment({ account, installments: 12, firstDueDate: '2025-01-31' })).rejects.toMatchObject({ code: 'CARUSO_UTILITY_BILLING_BAD_REQUEST' });
    const { balanceCents } = await billing.balance(account);
    const installments = Math.max(2, Math.min(6, Math.floor(balanceCents / 1500)));
    const made = await billing.arrangePayment({ account, installments, firstDueDate: '2025-01-31' });
    expect(await legacy.knex('betaalafspraak').where({ reknr: account })).toEqual([
      { afspraaknr: made.id, reknr: account, bedrag_totaal: balanceCents, aantal_termijnen: installments, bedrag_termijn: Math.ceil(balanceCents / installments), startdatum: '2025-01-31', status: 'actief', vastgelegd: NOW.toISOString() },
    ]);
    await expect(billing.arrangePayment({ account, installments: 2, firstDueDate: '2025-01-31' })).rejects.toMatchObject({ code: 'CARUSO_UTILITY_BILLING_ARRANGEMENT_EXISTS' });
  });

  it('books a move with the final reading in m³ in mutatie_log', async () => {
    const billing = sm.get(BillingInvoices);
    const account = behind['accountNo'] as string;
    const { id } = await billing.registerMove({ account, moveOutDate: '2025-02-01', finalReadingNormal: 512, finalReadingLow: null, newAddress: 'Hoofdstraat 3, 3941 AB Doorn' });
    expect(await legacy.knex('mutatie_log').where({ id }).first()).toEqual({ id, reknr: account, soort: 'verhuizing', ingangsdatum: '2025-02-01', eindstand_m3: 512, nieuw_adres: 'Hoofdstraat 3, 3941 AB Doorn', vastgelegd: NOW.toISOString() });
  });
});
