import { createToken } from '@caruso/kernel';

/** A payment as the legacy system booked it. */
export interface BookedPayment {
  readonly amountCents: number;
  /** When it was booked, as the legacy system wrote it (`YYYY-MM-DD HH:MM:SS`, UTC). */
  readonly bookedAt: string;
}

/** A customer's account statement: the balance and the payments booked, newest first. */
export interface AccountStatement {
  readonly customerId: string;
  readonly name: string;
  readonly balanceCents: number;
  /** The balance as a customer reads it, e.g. `€ 125,50`. */
  readonly balance: string;
  readonly payments: readonly BookedPayment[];
}

/**
 * The contract of a second service of the legacy wrapper, built with inversify: it combines the
 * `CustomerDirectory` service (reached through the service manager) with the legacy payments table.
 */
export interface AccountStatements {
  /** The statement of the customer with this number, or null when there is no such customer. */
  statement(customerId: string): AccountStatement | null;
}

/** The token of the contract. */
export const AccountStatements = createToken<AccountStatements>('legacy.AccountStatements');
