/**
 * The utility example: a Dutch municipal energy supplier assembled from Caruso. The billing wrapper
 * (billing.Invoices over the legacy billing tables), the customer desk (utility.Customers, what the
 * dialogue scripts fetch and act on), the legacy billing seed and the demo data. See README.md.
 */
export * from './errors.js';
export * from './billing/billing-invoices.js';
export { LegacyBillingInvoices, type LegacyBillingOptions } from './billing/legacy-billing-invoices.js';
export { billingInvoicesService, type BillingServiceConfig } from './billing/service.js';
export { seedLegacyBilling, readSchemaSql, type SeedLegacyBillingOptions } from './legacy-billing/seed.js';
export * from './demo-data.js';
export * from './customers/utility-customers.js';
export { ObjectUtilityCustomers, nationalPhone, type ObjectUtilityCustomersOptions } from './customers/object-utility-customers.js';
export { utilityCustomersService, type CustomersServiceConfig } from './customers/service.js';
export { DemoLoad, demoLoadService, type DemoLoadConfig, type DemoLoadCounts } from './demo-load/demo-load.js';
export { sendDemoMail, type DemoMail } from './demo-load/demo-mail.js';
export { demoOutboxService, toEml, type DemoOutboxConfig } from './demo-outbox/demo-outbox.js';
