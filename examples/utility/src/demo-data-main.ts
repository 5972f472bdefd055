#!/usr/bin/env node
// Fills a Caruso database with the utility demo data:
//   utility-demo-data --db sqlite:./data/caruso.db [--model model/utility.model.xml] [--customers 3000] [--seed 2024]
// Migrates the managed tables first. Loading twice updates instead of duplicating.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigration, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import { createStorage } from '@caruso/storage';
import { generateDemoData, loadDemoData } from './demo-data.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { db: { type: 'string' }, model: { type: 'string' }, customers: { type: 'string' }, seed: { type: 'string' } } });
const url = values.db ?? process.env['CARUSO_DB_URL'];
if (!url) {
  process.stderr.write('usage: utility-demo-data --db <url> [--model model.xml] [--customers N] [--seed S]\n');
  process.exit(2);
}
const storage = await createStorage(url);
try {
  const model = loadModelFile(resolve(values.model ?? `${root}/model/utility.model.xml`));
  await applyMigration(model, storage);
  const started = Date.now();
  const data = generateDemoData({ customers: Number(values.customers ?? 3000), seed: Number(values.seed ?? 2024) });
  const report = await loadDemoData(new BusinessObjectsImpl(model, storage), data);
  process.stdout.write(`${Object.entries(report).map(([k, n]) => `${n} ${k}`).join(', ')} in ${Date.now() - started} ms\n`);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await storage.close();
}
