import { createToken } from '@caruso/kernel';

/** An invoice as the front office sees it, whatever the billing system calls its columns. */
export interface Invoice {
  /** The invoice number as printed on the invoice. */
  readonly number: string;
  readonly invoiceDate: string;
  readonly dueDate: string;
  /** Invoiced amount in euro cents. */
  readonly amountCents: number;
  /** Still to be paid, in euro cents. */
  readonly openCents: number;
  /** True when open and past its due date. */
  readonly overdue: boolean;
}

/** What a customer owes, for a dialogue script to branch on. */
export interface Balance {
  readonly account: string;
  readonly holder: string;
  /** The account's balance in euro cents (positive: the customer owes). */
  readonly balanceCents: number;
  /** Sum of the open amounts of overdue invoices, in euro cents. */
  readonly overdueCents: number;
  readonly openInvoices: number;
  /** Blocked accounts are with the debt collector: no arrangement can be made by the front office. */
  readonly blocked: boolean;
  /** The running payment arrangement, if any. */
  readonly arrangement: Arrangement | null;
}

/** A payment arrangement: the balance paid in equal monthly installments. */
export interface Arrangement {
  readonly id: number;
  readonly account: string;
  readonly totalCents: number;
  readonly installments: number;
  readonly installmentCents: number;
  readonly firstDueDate: string;
}

/** Asks for a payment arrangement over the whole balance. */
export interface ArrangementRequest {
  readonly account: string;
  /** Number of monthly installments, 2 to the configured maximum (default 12). */
  readonly installments: number;
  /** Due date of the first installment (YYYY-MM-DD), from today up to 30 days ahead. */
  readonly firstDueDate: string;
}

/** A move reported to billing: the final invoice is made from the final reading. */
export interface MoveNotice {
  readonly account: string;
  /** The move-out date (YYYY-MM-DD). */
  readonly moveOutDate: string;
  readonly finalReadingNormal?: number | null;
  readonly finalReadingLow?: number | null;
  /** The new address, one line, for the final invoice. */
  readonly newAddress: string;
}

/**
 * The contract of the legacy billing system: invoices, balance, payment arrangements and moves.
 * Scripts reach it as `<fetch source="billing.Invoices" operation="balance" key="…">` and
 * `<action service="billing.Invoices" operation="arrangePayment">`. Consumers import only this file.
 */
export interface BillingInvoices {
  /** The balance of an account. Throws CARUSO_UTILITY_BILLING_UNKNOWN_ACCOUNT for an unknown account. */
  balance(account: string): Promise<Balance>;
  /** The invoices with an open amount, oldest first. */
  openInvoices(account: string): Promise<Invoice[]>;
  /**
   * Records a payment arrangement in the billing system (one transaction). Refuses, changing
   * nothing: an unknown or blocked account, a running arrangement, nothing due, bad installments
   * or date, installments below the configured minimum amount.
   */
  arrangePayment(request: ArrangementRequest): Promise<Arrangement>;
  /** Books a move (a mutation for the final invoice); returns the mutation's id. */
  registerMove(notice: MoveNotice): Promise<{ readonly id: number }>;
}

/** The token of the billing contract. */
export const BillingInvoices = createToken<BillingInvoices>('billing.Invoices');
