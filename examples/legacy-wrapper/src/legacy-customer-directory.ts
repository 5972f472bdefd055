import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { HealthStatus, ServiceContext, ServiceLifecycle } from '@caruso/kernel';
import type { Customer, CustomerDirectory } from './customer-directory.js';
import { LegacyErrors } from './errors.js';

interface KlantRow {
  KLNR: string;
  NAAM: string;
  TELNR: string | null;
  SALDO_CT: number;
}

/**
 * The wrapper: implements the contract over the legacy database's own tables. It translates the
 * legacy names into the contract's, validates input before anything is written, and does each
 * write in one transaction. It owns its connection: opened in start(), closed in stop().
 */
export class LegacyCustomerDirectory implements CustomerDirectory, ServiceLifecycle {
  private db: Database.Database | undefined;

  constructor(private readonly file: string) {}

  /** Opens the database. The context is optional so that the wrapper also runs as its own process. */
  start(ctx?: ServiceContext): void {
    if (!existsSync(this.file)) throw LegacyErrors.CARUSO_LEGACY_DATABASE_MISSING({ file: this.file });
    this.db = new Database(this.file, { fileMustExist: true });
    this.db.pragma('busy_timeout = 2000');
    ctx?.logger.info('legacy customer database opened');
  }

  stop(): void {
    this.db?.close();
    this.db = undefined;
  }

  health(): HealthStatus {
    try {
      this.open().prepare('SELECT 1').get();
      return { status: 'ok' };
    } catch (err) {
      return { status: 'down', detail: (err as Error).message };
    }
  }

  get(id: string): Customer | null {
    const row = this.open().prepare('SELECT KLNR, NAAM, TELNR, SALDO_CT FROM KLANTEN WHERE KLNR = ?').get(String(id)) as KlantRow | undefined;
    return row ? toCustomer(row) : null;
  }

  findByPhone(phone: string): Customer[] {
    const digits = String(phone).replace(/\D/g, '');
    if (digits.length < 6) return [];
    const tail = digits.slice(-9);
    const rows = this.open().prepare("SELECT KLNR, NAAM, TELNR, SALDO_CT FROM KLANTEN WHERE TELNR LIKE '%' || ? ORDER BY KLNR").all(tail) as KlantRow[];
    return rows.map(toCustomer);
  }

  recordPayment(id: string, cents: number): number {
    if (!Number.isInteger(cents) || cents <= 0) throw LegacyErrors.CARUSO_LEGACY_INVALID_AMOUNT({ cents });
    const db = this.open();
    const book = db.transaction((klnr: string, amount: number) => {
      const row = db.prepare('SELECT SALDO_CT FROM KLANTEN WHERE KLNR = ?').get(klnr) as { SALDO_CT: number } | undefined;
      if (!row) throw LegacyErrors.CARUSO_LEGACY_UNKNOWN_CUSTOMER({ id: klnr });
      db.prepare("INSERT INTO BETALINGEN (KLNR, BEDRAG_CT, GEBOEKT) VALUES (?, ?, datetime('now'))").run(klnr, amount);
      db.prepare('UPDATE KLANTEN SET SALDO_CT = SALDO_CT - ? WHERE KLNR = ?').run(amount, klnr);
      return row.SALDO_CT - amount;
    });
    return book(String(id), cents);
  }

  private open(): Database.Database {
    if (!this.db) throw new Error('the legacy customer directory is not started');
    return this.db;
  }
}

function toCustomer(row: KlantRow): Customer {
  return { id: row.KLNR, name: row.NAAM, phone: row.TELNR ?? '', balanceCents: row.SALDO_CT };
}
