import type { ServiceDefinition } from '@caruso/kernel';
import { BusinessObjects } from '@caruso/objects';
import { UtilityErrors } from '../errors.js';
import { ObjectUtilityCustomers } from './object-utility-customers.js';
import type { UtilityCustomers } from './utility-customers.js';

/**
 * The configuration of the customer desk as an assembly's `<service>` passes it (every value a
 * string): optionally `timeZone` (default Europe/Amsterdam) and `version`.
 */
export interface CustomersServiceConfig {
  readonly timeZone?: string;
  /** Version to register (raise it to hot-replace a running desk). Default 1.0.0. */
  readonly version?: string;
  /** The clock (tests only; not settable from an assembly file). */
  readonly now?: () => Date;
}

const KNOWN = new Set(['timeZone', 'version', 'now']);

/**
 * The factory an assembly loads: `<service token="utility.Customers" module="dist/index.js"
 * export="utilityCustomersService"/>`. It depends on the business objects (caruso.objects) of a model
 * that is, or imports, the utility model.
 */
export function utilityCustomersService(config: CustomersServiceConfig = {}): ServiceDefinition<UtilityCustomers, { objects: { token: typeof BusinessObjects } }> {
  if (typeof config !== 'object' || config === null) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: 'expected a configuration object' });
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key)) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `unknown setting '${key}' (known: timeZone, version)` });
  }
  if (config.timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: config.timeZone });
    } catch {
      throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `timeZone '${String(config.timeZone).slice(0, 60)}' is not a known time zone` });
    }
  }
  return {
    version: config.version ?? '1.0.0',
    properties: { vendor: 'caruso-example', desk: 'customers' },
    dependencies: { objects: { token: BusinessObjects } },
    create: ({ objects }) => new ObjectUtilityCustomers(objects, { ...(config.timeZone ? { timeZone: config.timeZone } : {}), ...(config.now ? { now: config.now } : {}) }),
  };
}
