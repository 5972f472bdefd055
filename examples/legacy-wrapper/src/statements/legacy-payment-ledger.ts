import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { inject, injectable } from 'inversify';
import type { BookedPayment } from '../account-statements.js';
import { LegacyErrors } from '../errors.js';

/** The inversify identifier of the legacy database's path, bound as a constant by the module. */
export const LegacyDatabaseFile = Symbol('legacy.databaseFile');

/**
 * Reads the legacy payments table (`BETALINGEN`). A part of the statements service, not a service of
 * its own: the container builds it and hands it to the service's class. Read-only; it opens its own
 * connection on first use and closes it in `close()`.
 */
@injectable()
export class LegacyPaymentLedger {
  private db: Database.Database | undefined;

  constructor(@inject(LegacyDatabaseFile) private readonly file: string) {}

  /** Payments booked for a customer number, newest first (at most `limit`). */
  paymentsOf(customerId: string, limit = 20): BookedPayment[] {
    const rows = this.open()
      .prepare('SELECT BEDRAG_CT, GEBOEKT FROM BETALINGEN WHERE KLNR = ? ORDER BY ID DESC LIMIT ?')
      .all(String(customerId), limit) as { BEDRAG_CT: number; GEBOEKT: string }[];
    return rows.map((r) => ({ amountCents: r.BEDRAG_CT, bookedAt: r.GEBOEKT }));
  }

  /** Checks that the table can be read. */
  check(): void {
    this.open().prepare('SELECT COUNT(*) FROM BETALINGEN').get();
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private open(): Database.Database {
    if (!this.db) {
      if (!existsSync(this.file)) throw LegacyErrors.CARUSO_LEGACY_DATABASE_MISSING({ file: this.file });
      this.db = new Database(this.file, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 2000');
    }
    return this.db;
  }
}
