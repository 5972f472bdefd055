import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigration, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import type { StorageManager } from '@caruso/storage';
import { readAssembly, type Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { loadDemoData, seedLegacyBilling, type DemoData } from '../src/index.js';

/** The legacy billing database's file name in the test's folder. */
export const LEGACY_BILLING_DB = 'legacy-billing.db';

/** The example's folder. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * examples/utility's own assembly file, read with `env`, made ready to start on a test database:
 * the demo data loaded into `storage` (the utility model's tables migrated first), the legacy
 * billing database seeded in `dir` ({@link LEGACY_BILLING_DB}), and the data folder and the demo outbox (`<dir>/outbox`) moved
 * into `dir`. Throws when the assembly file has errors.
 */
export async function utilityAssemblyOn(storage: StorageManager, dir: string, data: DemoData, env: Readonly<Record<string, string>>): Promise<Assembly> {
  const billingDb = join(dir, LEGACY_BILLING_DB);
  await seedLegacyBilling({ database: billingDb, schemaSql: readFileSync(join(root, 'legacy-billing/schema.sql'), 'utf8'), model: loadModelFile(join(root, 'model/legacy-billing.model.xml')), data: data.billing });
  const model = loadModelFile(join(root, 'model/utility.model.xml'));
  await applyMigration(model, storage);
  await loadDemoData(new BusinessObjectsImpl(model, storage), data);

  const read = readAssembly(join(root, 'assembly.xml'), env);
  const errors = read.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
  const a = read.assembly as Assembly;
  return {
    ...a,
    dataDir: dir,
    services: a.services.map((s) =>
      s.token === 'billing.Invoices'
        ? { ...s, config: { ...s.config, database: billingDb } }
        : s.token === 'caruso.comms.OutboundMail'
          ? { ...s, config: { ...s.config, folder: join(dir, 'outbox') } }
          : s,
    ),
  };
}
