#!/usr/bin/env node
// Prepares the utility demo on a fresh machine, once: creates the legacy billing database (the
// company's old system, which Caruso does not own) and loads the demo customers into the Caruso
// database. Runs before `caruso start examples/utility/assembly.xml` in `npm start`; does nothing
// when both exist already, or when CARUSO_DB_URL points at another database.
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyMigration, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import { createStorage } from '@caruso/storage';
import { generateDemoData, loadDemoData } from './demo-data.js';
import { readSchemaSql, seedLegacyBilling } from './legacy-billing/seed.js';

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(root, 'data');
const billing = resolve(dataDir, 'legacy-billing.db');
const crm = resolve(dataDir, 'caruso.db');
const customers = Number(process.env['UTILITY_DEMO_CUSTOMERS'] ?? 3000);
const seed = 2024;

mkdirSync(dataDir, { recursive: true });
const data = generateDemoData({ customers, seed });
if (!existsSync(billing)) {
  const report = await seedLegacyBilling({
    database: billing,
    schemaSql: readSchemaSql(resolve(root, 'legacy-billing/schema.sql')),
    model: loadModelFile(resolve(root, 'model/legacy-billing.model.xml')),
    data: data.billing,
  });
  process.stdout.write(`first start: legacy billing database created (${report.accounts} accounts, ${report.invoices} invoices)\n`);
}
if (!process.env['CARUSO_DB_URL'] && !existsSync(crm)) {
  const started = Date.now();
  const storage = await createStorage({ url: `sqlite:${crm}` });
  try {
    const model = loadModelFile(resolve(root, 'model/utility.model.xml'));
    await applyMigration(model, storage);
    const report = await loadDemoData(new BusinessObjectsImpl(model, storage), data);
    process.stdout.write(`first start: demo data loaded (${Object.entries(report).map(([k, n]) => `${n} ${k}`).join(', ')}) in ${Date.now() - started} ms\n`);
  } finally {
    await storage.close();
  }
}
