#!/usr/bin/env node
// Creates the legacy billing database of an example company:
//   utility-seed-billing <billing.db> [--schema legacy-billing/schema.sql] [--model model/legacy-billing.model.xml]
//                        [--customers 3000] [--seed 2024]
// The accounts and invoices are those of the demo data with the same --customers and --seed.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelFile } from '@caruso/objects';
import { generateDemoData } from '../demo-data.js';
import { readSchemaSql, seedLegacyBilling } from './seed.js';

const root = resolve(import.meta.dirname, '../..');
const { values, positionals } = parseArgs({
  options: { schema: { type: 'string' }, model: { type: 'string' }, customers: { type: 'string' }, seed: { type: 'string' } },
  allowPositionals: true,
});
const [database] = positionals;
if (!database) {
  process.stderr.write('usage: utility-seed-billing <billing.db> [--schema file.sql] [--model mapping.model.xml] [--customers N] [--seed S]\n');
  process.exit(2);
}
try {
  const data = generateDemoData({ customers: Number(values.customers ?? 3000), seed: Number(values.seed ?? 2024) });
  const report = await seedLegacyBilling({
    database: resolve(database),
    schemaSql: readSchemaSql(resolve(values.schema ?? `${root}/legacy-billing/schema.sql`)),
    model: loadModelFile(resolve(values.model ?? `${root}/model/legacy-billing.model.xml`)),
    data: data.billing,
  });
  process.stdout.write(`legacy billing database ${database}: ${report.accounts} accounts, ${report.invoices} invoices\n`);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}
