import { existsSync } from 'node:fs';
import type { HealthStatus, ServiceContext, ServiceLifecycle } from '@caruso/kernel';
import { BusinessObjectsImpl, checkMapping, type BusinessObjects, type Model, type ObjectRecord } from '@caruso/objects';
import { createStorage, type StorageManager } from '@caruso/storage';
import { UtilityErrors } from '../errors.js';
import type { Arrangement, ArrangementRequest, Balance, BillingInvoices, Invoice, MoveNotice } from './billing-invoices.js';

/** Options of {@link LegacyBillingInvoices}. */
export interface LegacyBillingOptions {
  /** The legacy billing database (a SQLite file the billing system owns). */
  readonly database: string;
  /** The managed="false" mapping of its tables onto BillingAccount, BillingInvoice, BillingArrangement, BillingMutation. */
  readonly model: Model;
  /** The largest number of installments (default 12). */
  readonly maxInstallments?: number;
  /** The smallest installment in cents (default 2500: € 25). */
  readonly minInstallmentCents?: number;
  /** The clock (tests). */
  readonly now?: () => Date;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isDate(text: unknown): text is string {
  if (typeof text !== 'string' || !DATE.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function cents(value: unknown): number {
  if (value && typeof value === 'object' && 'amount' in value) return Number((value as { amount: unknown }).amount);
  return Number(value ?? 0);
}

function accountOf(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: 'account must be a billing account number' });
  const text = String(value).trim();
  if (!/^[A-Za-z0-9-]{1,20}$/.test(text)) throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: 'account must be a billing account number' });
  return text;
}

/**
 * The billing wrapper: the contract over the legacy billing system's own tables, reached only
 * through the managed="false" mapping model (so a company with other table and column names uses
 * it unchanged with its own mapping). Input is checked before anything is written; every write is
 * one transaction. It owns its connection: opened in start(), closed in stop().
 */
export class LegacyBillingInvoices implements BillingInvoices, ServiceLifecycle {
  private storage: StorageManager | undefined;
  private objects: BusinessObjects | undefined;
  private readonly maxInstallments: number;
  private readonly minInstallmentCents: number;
  private readonly now: () => Date;

  constructor(private readonly options: LegacyBillingOptions) {
    this.maxInstallments = options.maxInstallments ?? 12;
    this.minInstallmentCents = options.minInstallmentCents ?? 2500;
    this.now = options.now ?? (() => new Date());
  }

  async start(ctx?: ServiceContext): Promise<void> {
    if (!existsSync(this.options.database)) throw UtilityErrors.CARUSO_UTILITY_BILLING_DATABASE_MISSING({ file: this.options.database });
    const storage = await createStorage(`sqlite:${this.options.database}`);
    try {
      const { errors } = await checkMapping(this.options.model, storage);
      if (errors.length > 0) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `the billing mapping does not match the database: ${errors.map((e) => e.message).join('; ')}` });
    } catch (err) {
      await storage.close();
      throw err;
    }
    this.storage = storage;
    this.objects = new BusinessObjectsImpl(this.options.model, storage, this.now);
    ctx?.logger.info('legacy billing database opened');
  }

  async stop(): Promise<void> {
    const storage = this.storage;
    this.storage = undefined;
    this.objects = undefined;
    await storage?.close();
  }

  async health(): Promise<HealthStatus> {
    if (!this.storage) return { status: 'down', detail: 'not started' };
    return this.storage.health();
  }

  async balance(account: string): Promise<Balance> {
    const objects = this.open();
    const no = accountOf(account);
    const row = await objects.repository('BillingAccount').get(no);
    if (!row) throw UtilityErrors.CARUSO_UTILITY_BILLING_UNKNOWN_ACCOUNT({ account: no });
    const invoices = await this.openInvoices(no);
    const arrangement = await this.runningArrangement(objects, no);
    return {
      account: no,
      holder: String(row['holder'] ?? ''),
      balanceCents: cents(row['balance']),
      overdueCents: invoices.filter((i) => i.overdue).reduce((sum, i) => sum + i.openCents, 0),
      openInvoices: invoices.length,
      blocked: row['blocked'] === true,
      arrangement,
    };
  }

  async openInvoices(account: string): Promise<Invoice[]> {
    const objects = this.open();
    const no = accountOf(account);
    const today = this.today();
    const rows = await objects.repository('BillingInvoice').query({ where: { accountNo: no, open: { gt: 0 } }, orderBy: ['dueDate'] });
    return rows.map((r) => {
      const dueDate = String(r['dueDate']);
      const openCents = cents(r['open']);
      return { number: String(r['number']), invoiceDate: String(r['invoiceDate']), dueDate, amountCents: cents(r['amount']), openCents, overdue: openCents > 0 && dueDate < today };
    });
  }

  async arrangePayment(request: ArrangementRequest): Promise<Arrangement> {
    const objects = this.open();
    if (typeof request !== 'object' || request === null) throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: 'expected { account, installments, firstDueDate }' });
    const no = accountOf(request.account);
    const installments = Number(request.installments);
    if (!Number.isInteger(installments) || installments < 2 || installments > this.maxInstallments) {
      throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: `installments must be a whole number from 2 to ${this.maxInstallments}` });
    }
    const today = this.today();
    if (!isDate(request.firstDueDate) || request.firstDueDate < today || request.firstDueDate > addDays(today, 30)) {
      throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: 'firstDueDate must be a date (YYYY-MM-DD) from today up to 30 days ahead' });
    }
    const firstDueDate = request.firstDueDate;
    return objects.transaction(async (tx) => {
      const row = await tx.repository('BillingAccount').get(no);
      if (!row) throw UtilityErrors.CARUSO_UTILITY_BILLING_UNKNOWN_ACCOUNT({ account: no });
      if (row['blocked'] === true) throw UtilityErrors.CARUSO_UTILITY_BILLING_ACCOUNT_BLOCKED({ account: no });
      const running = await this.runningArrangement(tx, no);
      if (running) throw UtilityErrors.CARUSO_UTILITY_BILLING_ARRANGEMENT_EXISTS({ account: no, id: running.id });
      const totalCents = cents(row['balance']);
      if (totalCents <= 0) throw UtilityErrors.CARUSO_UTILITY_BILLING_NOTHING_DUE({ account: no });
      const installmentCents = Math.ceil(totalCents / installments);
      if (installmentCents < this.minInstallmentCents) {
        throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: `an installment must be at least ${this.minInstallmentCents} cents; choose fewer installments` });
      }
      const created = await tx.repository('BillingArrangement').create({
        accountNo: no,
        total: totalCents,
        installments,
        installmentAmount: installmentCents,
        firstDueDate,
        createdAt: this.now().toISOString(),
      });
      return { id: Number(created['id']), account: no, totalCents, installments, installmentCents, firstDueDate };
    });
  }

  async registerMove(notice: MoveNotice): Promise<{ readonly id: number }> {
    const objects = this.open();
    if (typeof notice !== 'object' || notice === null) throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: 'expected { account, moveOutDate, newAddress }' });
    const no = accountOf(notice.account);
    if (!isDate(notice.moveOutDate)) throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: 'moveOutDate must be a date (YYYY-MM-DD)' });
    if (typeof notice.newAddress !== 'string' || notice.newAddress.trim() === '') throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: 'newAddress is required' });
    const data: ObjectRecord = { accountNo: no, effectiveDate: notice.moveOutDate, newAddress: notice.newAddress.trim().slice(0, 200), bookedAt: this.now().toISOString() };
    // A company whose meters have one register (water) maps no low-tariff column: write only what was read.
    for (const field of ['finalReadingNormal', 'finalReadingLow'] as const) {
      const value = notice[field];
      if (value === undefined || value === null) continue;
      if (!Number.isInteger(value) || value < 0) throw UtilityErrors.CARUSO_UTILITY_BILLING_BAD_REQUEST({ reason: `${field} must be a whole number of at least 0` });
      data[field] = value;
    }
    return objects.transaction(async (tx) => {
      if (!(await tx.repository('BillingAccount').get(no))) throw UtilityErrors.CARUSO_UTILITY_BILLING_UNKNOWN_ACCOUNT({ account: no });
      const created = await tx.repository('BillingMutation').create(data);
      return { id: Number(created['id']) };
    });
  }

  private async runningArrangement(objects: BusinessObjects, account: string): Promise<Arrangement | null> {
    const rows = await objects.repository('BillingArrangement').query({ where: { accountNo: account }, orderBy: [{ field: 'id', direction: 'desc' }] });
    const r = rows.find((a) => a['active'] === true);
    if (!r) return null;
    return {
      id: Number(r['id']),
      account,
      totalCents: cents(r['total']),
      installments: Number(r['installments']),
      installmentCents: cents(r['installmentAmount']),
      firstDueDate: String(r['firstDueDate']),
    };
  }

  private today(): string {
    return this.now().toISOString().slice(0, 10);
  }

  private open(): BusinessObjects {
    if (!this.objects) throw new Error('the billing wrapper is not started');
    return this.objects;
  }
}
