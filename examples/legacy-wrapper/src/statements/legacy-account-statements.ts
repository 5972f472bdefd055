import { inject, injectable } from 'inversify';
import { serviceIdentifier, type HealthStatus, type ServiceLifecycle } from '@caruso/kernel';
import type { AccountStatement, AccountStatements } from '../account-statements.js';
import { CustomerDirectory } from '../customer-directory.js';
import { AmountFormat } from './amount-format.js';
import { LegacyPaymentLedger } from './legacy-payment-ledger.js';

/**
 * The statements service, written as an inversify-injectable class. Its constructor receives:
 * - `CustomerDirectory`, another service, as the service manager's live proxy (bound by
 *   `bindServices`): when the directory is hot-replaced, this object reaches the new version;
 * - its own parts, `LegacyPaymentLedger` and `AmountFormat`, built by the container.
 */
@injectable()
export class LegacyAccountStatements implements AccountStatements, ServiceLifecycle {
  constructor(
    @inject(serviceIdentifier(CustomerDirectory)) private readonly customers: CustomerDirectory,
    @inject(LegacyPaymentLedger) private readonly ledger: LegacyPaymentLedger,
    @inject(AmountFormat) private readonly amounts: AmountFormat,
  ) {}

  /** Fails the start with CARUSO_LEGACY_DATABASE_MISSING when the payments table cannot be read. */
  start(): void {
    this.ledger.check();
  }

  stop(): void {
    this.ledger.close();
  }

  health(): HealthStatus {
    try {
      this.ledger.check();
      return { status: 'ok' };
    } catch (err) {
      return { status: 'down', detail: (err as Error).message };
    }
  }

  statement(customerId: string): AccountStatement | null {
    const customer = this.customers.get(String(customerId));
    if (!customer) return null;
    return {
      customerId: customer.id,
      name: customer.name,
      balanceCents: customer.balanceCents,
      balance: this.amounts.format(customer.balanceCents),
      payments: this.ledger.paymentsOf(customer.id),
    };
  }
}
