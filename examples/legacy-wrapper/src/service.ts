import type { ServiceDefinition, ServiceLookup } from '@caruso/kernel';
import type { AccountStatements } from './account-statements.js';
import { CustomerDirectory } from './customer-directory.js';
import { createAccountStatements } from './statements/statements-module.js';
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

/** Options of the account-statements service. */
export interface AccountStatementsOptions {
  /** Path of the legacy SQLite database (its payments table). */
  readonly file: string;
  /** The service manager the statements service looks the customer directory up in. */
  readonly services: Pick<ServiceLookup, 'get'>;
  /** Version to register. Default 1.0.0. */
  readonly version?: string;
}

/**
 * The service definition of the account statements, a service written with inversify: `create`
 * builds it from a container (see `statements/statements-module.ts`). It declares the customer
 * directory as a dependency so that it starts after it; its class receives the directory as the
 * manager's live proxy.
 */
export function accountStatementsService(
  options: AccountStatementsOptions,
): ServiceDefinition<AccountStatements, { readonly customers: { readonly token: typeof CustomerDirectory } }> {
  return {
    version: options.version ?? '1.0.0',
    properties: { vendor: 'legacy', source: 'database' },
    dependencies: { customers: { token: CustomerDirectory } },
    create: () => createAccountStatements(options.services, options.file),
  };
}
