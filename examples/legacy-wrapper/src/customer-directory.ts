import { createToken } from '@caruso/kernel';

/** A customer as the rest of Caruso sees it, whatever the legacy system calls its columns. */
export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly phone: string;
  /** Outstanding balance in euro cents. */
  readonly balanceCents: number;
}

/**
 * The contract: what the old customer database offers to the front office. Consumers import only
 * this file (the contract and its token), never an implementation.
 */
export interface CustomerDirectory {
  /** The customer with this number, or null. */
  get(id: string): Customer | null;
  /** Customers whose phone number ends with the given digits (caller-number lookup). */
  findByPhone(phone: string): Customer[];
  /** Books a payment; returns the new balance. Throws LEGACY_UNKNOWN_CUSTOMER for an unknown id. */
  recordPayment(id: string, cents: number): number;
}

/** The token of the contract. */
export const CustomerDirectory = createToken<CustomerDirectory>('legacy.CustomerDirectory');
