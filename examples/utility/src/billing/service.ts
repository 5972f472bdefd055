import { resolve } from 'node:path';
import type { ServiceDefinition } from '@caruso/kernel';
import { loadModelFile } from '@caruso/objects';
import { UtilityErrors } from '../errors.js';
import type { BillingInvoices } from './billing-invoices.js';
import { LegacyBillingInvoices } from './legacy-billing-invoices.js';

/**
 * The configuration of the billing wrapper, as an assembly's `<service>` passes it (every value a
 * string): `<config name="database" path="…"/>`, `<config name="model" path="…"/>`, and optionally
 * `maxInstallments`, `minInstallmentCents`, `version`.
 */
export interface BillingServiceConfig {
  /** Path of the legacy billing database. */
  readonly database: string;
  /** Path of the managed="false" mapping of its tables. */
  readonly model: string;
  readonly maxInstallments?: string | number;
  readonly minInstallmentCents?: string | number;
  /** Version to register (raise it to hot-replace a running wrapper). Default 1.0.0. */
  readonly version?: string;
  /** The clock (tests only; not settable from an assembly file). */
  readonly now?: () => Date;
}

const KNOWN = new Set(['database', 'model', 'maxInstallments', 'minInstallmentCents', 'version', 'now']);

function whole(name: string, value: string | number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `${name} must be a whole number from ${min} to ${max}` });
  return n;
}

/**
 * The factory an assembly loads: `<service token="billing.Invoices" module="@caruso/example-utility"
 * export="billingInvoicesService">`. Checks the configuration at once (a coded error names the
 * problem); the database is opened when the service starts.
 */
export function billingInvoicesService(config: BillingServiceConfig): ServiceDefinition<BillingInvoices> {
  if (typeof config !== 'object' || config === null) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: 'expected the configuration values database and model' });
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key)) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `unknown setting '${key}' (known: database, model, maxInstallments, minInstallmentCents, version)` });
  }
  for (const key of ['database', 'model'] as const) {
    if (typeof config[key] !== 'string' || config[key] === '') throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `${key} (a path) is required` });
  }
  const maxInstallments = whole('maxInstallments', config.maxInstallments, 2, 36) ?? 12;
  const minInstallmentCents = whole('minInstallmentCents', config.minInstallmentCents, 1, 1_000_000) ?? 2500;
  const model = loadModelFile(resolve(config.model));
  const database = resolve(config.database);
  return {
    version: config.version ?? '1.0.0',
    properties: { vendor: 'legacy', system: 'billing', model: model.name, writable: true },
    ranking: 10,
    create: () => new LegacyBillingInvoices({ database, model, maxInstallments, minInstallmentCents, ...(config.now ? { now: config.now } : {}) }),
  };
}
