import { injectable } from 'inversify';

/** Writes amounts the way the company's letters do (`€ 1.234,50`). Stateless; one per container. */
@injectable()
export class AmountFormat {
  private readonly euros = new Intl.NumberFormat('nl-NL', { style: 'currency', currency: 'EUR' });

  /** @param cents a whole number of euro cents. */
  format(cents: number): string {
    return this.euros.format(cents / 100);
  }
}
