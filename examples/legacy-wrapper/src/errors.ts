import { defineErrors } from '@caruso/kernel';

/** Errors of the legacy customer wrapper (documented in docs/errors.md). */
export const LegacyErrors = defineErrors({
  CARUSO_LEGACY_UNKNOWN_CUSTOMER: { message: 'no customer with number {id} in the legacy database', status: 404 },
  CARUSO_LEGACY_INVALID_AMOUNT: { message: 'a payment must be a positive whole number of cents, got {cents}' },
  CARUSO_LEGACY_DATABASE_MISSING: { message: 'the legacy database {file} does not exist; check the wrapper configuration' },
});
