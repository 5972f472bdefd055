import type { ServiceDefinition } from '@caruso/kernel';
import type { CustomerDirectory } from './customer-directory.js';
import { CsvCustomerDirectory } from './csv-customer-directory.js';
import { LegacyCustomerDirectory } from './legacy-customer-directory.js';

/** Options of the legacy database wrapper. */
export interface LegacyDirectoryOptions {
  /** Path of the legacy SQLite database. */
  readonly file: string;
  /** Version to register (bump it to hot-replace a running wrapper). Default 1.0.0. */
  readonly version?: string;
}

/** The service definition to register: the wrapper over the legacy database. */
export function legacyCustomerDirectoryService(options: LegacyDirectoryOptions): ServiceDefinition<CustomerDirectory> {
  return {
    version: options.version ?? '1.0.0',
    properties: { vendor: 'legacy', source: 'database', writable: true },
    ranking: 10,
    create: () => new LegacyCustomerDirectory(options.file),
  };
}

/** The service definition of the read-only CSV export wrapper. */
export function csvCustomerDirectoryService(file: string, version = '1.0.0'): ServiceDefinition<CustomerDirectory> {
  return {
    version,
    properties: { vendor: 'legacy', source: 'csv', writable: false },
    ranking: 0,
    create: () => new CsvCustomerDirectory(file),
  };
}
