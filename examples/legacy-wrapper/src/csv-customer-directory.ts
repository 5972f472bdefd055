import { readFileSync } from 'node:fs';
import type { HealthStatus, ServiceLifecycle } from '@caruso/kernel';
import type { Customer, CustomerDirectory } from './customer-directory.js';
import { LegacyErrors } from './errors.js';

/**
 * A second wrapper of the same contract, over a nightly CSV export (`klnr;naam;telnr;saldo_ct`)
 * of a system that has no other interface. Read-only: payments cannot be booked in an export.
 * Registered with `{ source: 'csv' }` and a lower ranking, it serves lookups filtered on it, or
 * stands in while the database is down.
 */
export class CsvCustomerDirectory implements CustomerDirectory, ServiceLifecycle {
  private customers = new Map<string, Customer>();

  constructor(private readonly file: string) {}

  start(): void {
    const text = readFileSync(this.file, 'utf8');
    const next = new Map<string, Customer>();
    for (const [i, line] of text.split(/\r?\n/).entries()) {
      if (i === 0 || line.trim() === '') continue; // header
      const [id, name, phone, saldo] = line.split(';');
      if (!id || !name) continue;
      next.set(id, { id, name, phone: phone ?? '', balanceCents: Number(saldo ?? 0) });
    }
    this.customers = next;
  }

  health(): HealthStatus {
    return { status: this.customers.size ? 'ok' : 'degraded', detail: `${this.customers.size} customers in the export` };
  }

  get(id: string): Customer | null {
    return this.customers.get(String(id)) ?? null;
  }

  findByPhone(phone: string): Customer[] {
    const digits = String(phone).replace(/\D/g, '');
    if (digits.length < 6) return [];
    return [...this.customers.values()].filter((c) => c.phone.replace(/\D/g, '').endsWith(digits.slice(-9)));
  }

  recordPayment(id: string): number {
    throw LegacyErrors.CARUSO_LEGACY_UNKNOWN_CUSTOMER({ id: `${id} (the CSV export is read-only)` });
  }
}
