/**
 * The legacy-wrapper example: the pattern every service-wrapper developer copies.
 * See README.md for the walk-through.
 */
export * from './account-statements.js';
export * from './customer-directory.js';
export * from './errors.js';
export { LegacyCustomerDirectory } from './legacy-customer-directory.js';
export { CsvCustomerDirectory } from './csv-customer-directory.js';
export { createLegacyDatabase } from './legacy-database.js';
export * from './service.js';
export { statementsModule, createAccountStatements } from './statements/statements-module.js';
export { LegacyAccountStatements } from './statements/legacy-account-statements.js';
export { LegacyPaymentLedger, LegacyDatabaseFile } from './statements/legacy-payment-ledger.js';
export { AmountFormat } from './statements/amount-format.js';
