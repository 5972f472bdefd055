import { existsSync, readFileSync } from 'node:fs';
import { BusinessObjectsImpl, checkMapping, formatCsvRow, importCsv, type Model } from '@caruso/objects';
import { createStorage } from '@caruso/storage';
import type { DemoRow, LegacyBillingData } from '../demo-data.js';

/** Options of {@link seedLegacyBilling}. */
export interface SeedLegacyBillingOptions {
  /** The SQLite file of the legacy billing system (created when missing). */
  readonly database: string;
  /** The legacy system's own DDL (its table and column names), e.g. legacy-billing/schema.sql. */
  readonly schemaSql: string;
  /** The managed="false" mapping of those tables (BillingAccount, BillingInvoice, …). */
  readonly model: Model;
  /** The rows to write, in the mapping's field names (fields the mapping lacks are left out). */
  readonly data: LegacyBillingData;
}

/** Splits a DDL script into statements (no semicolons inside literals in these files). */
function statements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Creates the legacy billing database of the example: runs the legacy system's own DDL, then writes
 * the rows through the mapping model (CSV import, one transaction per table). Because it writes
 * through the mapping, the same code seeds any company's billing tables (examples/utility-water).
 * Refuses to touch a database that already holds accounts.
 */
export async function seedLegacyBilling(options: SeedLegacyBillingOptions): Promise<{ accounts: number; invoices: number }> {
  const storage = await createStorage(`sqlite:${options.database}`);
  try {
    for (const statement of statements(options.schemaSql)) await storage.execute(statement);
    const { errors } = await checkMapping(options.model, storage);
    if (errors.length > 0) throw new Error(`the billing mapping does not match the legacy schema: ${errors.map((e) => e.message).join('; ')}`);
    const objects = new BusinessObjectsImpl(options.model, storage);
    if ((await objects.repository('BillingAccount').count()) > 0) throw new Error(`${options.database} already holds billing accounts; seed an empty database`);
    const write = async (object: string, rows: readonly DemoRow[]): Promise<number> => {
      const stored = new Set(objects.repository(object).object.fields.filter((f) => !f.computed && !f.generated).map((f) => f.name));
      const first = rows[0];
      if (!first) return 0;
      const status = objects.repository(object).object.fields.find((f) => f.name === 'status' && f.type === 'enum');
      // "blocked" is a column of its own in some systems, an account status in others: a mapping
      // without a stored blocked field gets it as its status enum (first option active, second blocked).
      const translate = !stored.has('blocked') && status !== undefined && status.options.length >= 2 && 'blocked' in first;
      const fields = Object.keys(first).filter((f) => stored.has(f));
      if (translate) fields.push('status');
      const value = (r: DemoRow, f: string): string =>
        translate && f === 'status' ? (status.options[r['blocked'] === 'true' ? 1 : 0]?.value ?? '') : (r[f] ?? '');
      const text = [formatCsvRow(fields), ...rows.map((r) => formatCsvRow(fields.map((f) => value(r, f))))].join('\n') + '\n';
      // Composite keys are looked up as an OR of ANDs per batch: smaller batches stay within SQLite's expression depth.
      const batchSize = objects.repository(object).object.key.length > 1 ? 250 : 1000;
      const report = await importCsv(objects, object, text, { file: `${object}.csv`, actor: 'seed', batchSize });
      return report.created;
    };
    const accounts = await write('BillingAccount', options.data.accounts);
    const invoices = await write('BillingInvoice', options.data.invoices);
    return { accounts, invoices };
  } finally {
    await storage.close();
  }
}

/** Reads a schema file, with a clear message when it is missing. */
export function readSchemaSql(file: string): string {
  if (!existsSync(file)) throw new Error(`the legacy schema ${file} does not exist`);
  return readFileSync(file, 'utf8');
}
