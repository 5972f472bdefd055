/**
 * The legacy-wrapper example: the pattern every service-wrapper developer copies.
 * See README.md for the walk-through.
 */
export * from './customer-directory.js';
export * from './errors.js';
export { LegacyCustomerDirectory } from './legacy-customer-directory.js';
export { CsvCustomerDirectory } from './csv-customer-directory.js';
export { createLegacyDatabase } from './legacy-database.js';
export * from './service.js';
