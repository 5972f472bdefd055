import { defineErrors } from '@caruso/kernel';

/**
 * Errors of the utility example's services (the billing wrapper and the customer desk). Every code
 * is listed with its meaning and fix in this example's README (kept honest by a test).
 */
export const UtilityErrors = defineErrors({
  CARUSO_UTILITY_BAD_CONFIG: { message: 'the utility service configuration is invalid: {reason}' },
  CARUSO_UTILITY_BILLING_DATABASE_MISSING: { message: 'the legacy billing database {file} does not exist; check the <config name="database"> of the billing.Invoices service' },
  CARUSO_UTILITY_BILLING_UNKNOWN_ACCOUNT: { message: 'no billing account {account} in the legacy billing system', status: 404 },
  CARUSO_UTILITY_BILLING_ACCOUNT_BLOCKED: { message: 'billing account {account} is with the debt collector; a payment arrangement must be made there', status: 409 },
  CARUSO_UTILITY_BILLING_ARRANGEMENT_EXISTS: { message: 'billing account {account} already has a running payment arrangement ({id})', status: 409 },
  CARUSO_UTILITY_BILLING_NOTHING_DUE: { message: 'billing account {account} has no outstanding balance; no arrangement is needed', status: 409 },
  CARUSO_UTILITY_BILLING_BAD_REQUEST: { message: 'the billing request is invalid: {reason}', status: 400 },
  CARUSO_UTILITY_UNKNOWN_CUSTOMER: { message: 'no customer {customer}', status: 404 },
  CARUSO_UTILITY_BAD_REQUEST: { message: 'the request is invalid: {reason}', status: 400 },
});

/** The codes of {@link UtilityErrors}. */
export type UtilityErrorCode = keyof typeof UtilityErrors;
