import type { HealthStatus, ServiceContext, ServiceLifecycle } from '@caruso/kernel';
import type { BusinessObjects, ObjectRecord } from '@caruso/objects';
import { UtilityErrors } from '../errors.js';
import type { ComplaintRequest, ConnectionView, CustomerView, MoveRequest, OutageReport, OutageView, ReadingRequest, TariffSwitch, UtilityCustomers } from './utility-customers.js';

/** Options of {@link ObjectUtilityCustomers}. */
export interface ObjectUtilityCustomersOptions {
  /** The time zone of "today" and of expected outage end times. Default Europe/Amsterdam. */
  readonly timeZone?: string;
  /** The clock (tests). */
  readonly now?: () => Date;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CUSTOMER_NUMBER = /^K[0-9]{6}$/;
const AREA = /^[1-9][0-9]{3}$/;

function bad(reason: string): Error {
  return UtilityErrors.CARUSO_UTILITY_BAD_REQUEST({ reason });
}

function text(value: unknown, name: string, max = 200): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw bad(`${name} is required`);
  const t = String(value).trim();
  if (t === '' || t.length > max) throw bad(`${name} must be 1 to ${max} characters`);
  return t;
}

function optionalWhole(value: unknown, name: string): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw bad(`${name} must be a whole number of at least 0`);
  return n;
}

function date(value: unknown, name: string): string {
  if (typeof value !== 'string' || !DATE.test(value) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) throw bad(`${name} must be a date (YYYY-MM-DD)`);
  return value;
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The only form of a Dutch number the demo data and the front office store: national (`0612345678`).
 * `+31 6 1234 5678`, `0031612345678` and `06-12345678` all become that.
 */
export function nationalPhone(value: string): string {
  const compact = value.replace(/[\s().-]/g, '');
  if (compact.startsWith('+31')) return `0${compact.slice(3)}`;
  if (compact.startsWith('0031')) return `0${compact.slice(4)}`;
  return compact;
}

/**
 * The customer desk over the business objects of the utility model (Customer, ConnectionPoint,
 * MeterReading, Move, Outage, Complaint, Contract, Tariff). It holds no resources of its own: the
 * objects service it is given owns the connection.
 */
export class ObjectUtilityCustomers implements UtilityCustomers, ServiceLifecycle {
  private readonly now: () => Date;
  private readonly day: Intl.DateTimeFormat;
  private readonly clockTime: Intl.DateTimeFormat;
  private readonly products: readonly string[];

  constructor(private readonly objects: BusinessObjects, options: ObjectUtilityCustomersOptions = {}) {
    this.now = options.now ?? (() => new Date());
    const timeZone = options.timeZone ?? 'Europe/Amsterdam';
    this.day = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    this.clockTime = new Intl.DateTimeFormat('nl-NL', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const product = objects.model.objects.find((o) => o.name === 'ConnectionPoint')?.fields.find((f) => f.name === 'product');
    this.products = product?.options?.map((o) => o.value) ?? ['electricity', 'gas'];
  }

  start(ctx?: ServiceContext): void {
    for (const name of ['Customer', 'ConnectionPoint', 'MeterReading', 'Move', 'Outage', 'Complaint', 'Contract', 'Tariff']) {
      if (!this.objects.model.objects.some((o) => o.name === name)) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `the model ${this.objects.model.name} has no object ${name}; utility.Customers needs the utility model or one that imports it` });
    }
    ctx?.logger.info({ products: this.products }, 'customer desk ready');
  }

  async health(): Promise<HealthStatus> {
    return this.objects.health();
  }

  private today(): string {
    return this.day.format(this.now());
  }

  // ---- reads ----------------------------------------------------------------------------------

  async findByPhone(phone: unknown): Promise<CustomerView | null> {
    if (typeof phone !== 'string' || phone.trim() === '') return null;
    const national = nationalPhone(phone);
    if (!/^0[0-9]{9}$/.test(national)) return null;
    const forms = [national, `+31${national.slice(1)}`];
    const [found] = await this.objects.repository('Customer').query({ where: { phone: { in: forms } }, orderBy: ['customerNumber'], limit: 1 });
    return found ? this.view(found) : null;
  }

  async get(customerNumber: unknown): Promise<CustomerView | null> {
    if (typeof customerNumber !== 'string' || !CUSTOMER_NUMBER.test(customerNumber.trim())) return null;
    const [found] = await this.objects.repository('Customer').query({ where: { customerNumber: customerNumber.trim() }, limit: 1 });
    return found ? this.view(found) : null;
  }

  private async customer(customerNumber: unknown): Promise<ObjectRecord> {
    const number = text(customerNumber, 'customerNumber', 8);
    if (!CUSTOMER_NUMBER.test(number)) throw bad('customerNumber must be a K followed by six digits');
    const [found] = await this.objects.repository('Customer').query({ where: { customerNumber: number }, limit: 1 });
    if (!found) throw UtilityErrors.CARUSO_UTILITY_UNKNOWN_CUSTOMER({ customer: number });
    return found;
  }

  private async view(c: ObjectRecord): Promise<CustomerView> {
    const id = Number(c['id']);
    const connections = await this.objects.repository('ConnectionPoint').query({ where: { customerId: id }, orderBy: ['ean'], limit: 50 });
    const views: ConnectionView[] = [];
    for (const cp of connections) {
      const [last] = await this.objects.repository('MeterReading').query({ where: { connectionId: Number(cp['id']) }, orderBy: ['-readingDate'], limit: 1 });
      const postcode = String(cp['postcode'] ?? '');
      views.push({
        ean: String(cp['ean']),
        product: String(cp['product']),
        meterNumber: String(cp['meterNumber'] ?? ''),
        meterType: String(cp['meterType'] ?? ''),
        postcode,
        postcodeArea: postcode.slice(0, 4),
        lastNormal: last ? Number(last['normal']) : null,
        lastLow: last && last['low'] !== null && last['low'] !== undefined ? Number(last['low']) : null,
        lastReadingDate: last ? String(last['readingDate']) : null,
      });
    }
    const openComplaints = await this.objects.repository('Complaint').count({ customerId: id, status: { ne: 'closed' } });
    const byProduct: Record<string, ConnectionView | null> = {};
    for (const p of this.products) byProduct[p] = views.find((v) => v.product === p) ?? null;
    const str = (k: string): string | null => (c[k] === null || c[k] === undefined || c[k] === '' ? null : String(c[k]));
    return {
      ...byProduct,
      id,
      customerNumber: String(c['customerNumber']),
      fullName: String(c['fullName'] ?? c['lastName']),
      email: str('email'),
      phone: str('phone'),
      billingAccount: str('billingAccount'),
      postcode: str('postcode'),
      segment: String(c['segment'] ?? 'residential'),
      language: String(c['language'] ?? 'nl'),
      doNotCall: c['doNotCall'] === true,
      openComplaints,
      connections: views,
    };
  }

  async outageAt(key: unknown): Promise<OutageView | null> {
    if (typeof key !== 'string') return null;
    const [product, area] = key.split(':');
    if (!product || !area || !this.products.includes(product) || !AREA.test(area)) return null;
    return this.openOutage(this.objects, product, area);
  }

  private async openOutage(objects: BusinessObjects, product: string, area: string): Promise<OutageView | null> {
    const [o] = await objects.repository('Outage').query({ where: { product, postcodeArea: area, status: { ne: 'resolved' } }, orderBy: ['-startedAt'], limit: 1 });
    return o ? this.outageView(o) : null;
  }

  private outageView(o: ObjectRecord, created?: boolean): OutageView {
    const end = o['expectedEnd'];
    return {
      reference: String(o['reference']),
      product: String(o['product']),
      postcodeArea: String(o['postcodeArea']),
      status: String(o['status']),
      expectedEndTime: end === null || end === undefined ? null : this.clockTime.format(new Date(String(end))),
      ...(created === undefined ? {} : { created }),
    };
  }

  // ---- writes ---------------------------------------------------------------------------------

  async recordReading(request: ReadingRequest): Promise<{ id: number; ean: string; readingDate: string; total: number }> {
    const r = (request ?? {}) as Partial<ReadingRequest>;
    const ean = text(r.ean, 'ean', 18);
    const normal = optionalWhole(r.normal, 'normal');
    if (normal === null) throw bad('normal is required');
    const low = optionalWhole(r.low, 'low');
    const readingDate = r.readingDate === undefined || r.readingDate === null ? this.today() : date(r.readingDate, 'readingDate');
    const channel = ['agent', 'web', 'ivr'].includes(String(r.channel)) ? String(r.channel) : 'agent';
    const [cp] = await this.objects.repository('ConnectionPoint').query({ where: { ean }, limit: 1 });
    if (!cp) throw bad(`no connection with EAN ${ean}`);
    const created = await this.objects.repository('MeterReading').create(
      { connectionId: Number(cp['id']), readingDate, normal, low, source: 'customer', channel },
      { actor: `script:${channel}` },
    );
    return { id: Number(created['id']), ean, readingDate, total: Number(created['total'] ?? normal + (low ?? 0)) };
  }

  async recordMove(request: MoveRequest): Promise<{ id: number; status: string; moveOutDate: string }> {
    const r = (request ?? {}) as Partial<MoveRequest>;
    const moveOutDate = date(r.moveOutDate, 'moveOutDate');
    const fields = {
      newStreet: text(r.newStreet, 'newStreet', 80),
      newHouseNumber: text(r.newHouseNumber, 'newHouseNumber', 10),
      newPostcode: text(r.newPostcode, 'newPostcode', 7),
      newCity: text(r.newCity, 'newCity', 60),
      finalReadingNormal: optionalWhole(r.finalReadingNormal, 'finalReadingNormal'),
      finalReadingLow: optionalWhole(r.finalReadingLow, 'finalReadingLow'),
    };
    const customer = await this.customer(r.customerNumber);
    return this.objects.transaction(async (tx) => {
      let connectionId: number | null = null;
      if (r.ean !== undefined && r.ean !== null && r.ean !== '') {
        const [cp] = await tx.repository('ConnectionPoint').query({ where: { ean: text(r.ean, 'ean', 18), customerId: Number(customer['id']) }, limit: 1 });
        if (!cp) throw bad(`the customer has no connection with EAN ${String(r.ean)}`);
        connectionId = Number(cp['id']);
      }
      const move = await tx.repository('Move').create({ ...fields, moveOutDate, status: 'registered', customerId: Number(customer['id']), connectionId }, { actor: 'script:move-house' });
      return { id: Number(move['id']), status: String(move['status']), moveOutDate };
    });
  }

  async reportOutage(request: OutageReport): Promise<OutageView> {
    const r = (request ?? {}) as Partial<OutageReport>;
    const product = text(r.product, 'product', 20);
    if (!this.products.includes(product)) throw bad(`product must be one of ${this.products.join(', ')}`);
    const area = text(r.postcodeArea, 'postcodeArea', 4);
    if (!AREA.test(area)) throw bad('postcodeArea must be four digits');
    const caller = typeof r.caller === 'string' && r.caller.trim() !== '' ? await this.findByPhone(r.caller) : null;
    return this.objects.transaction(async (tx) => {
      const outages = tx.repository('Outage');
      let outage: ObjectRecord | undefined = (await outages.query({ where: { product, postcodeArea: area, status: { ne: 'resolved' } }, orderBy: ['-startedAt'], limit: 1 }))[0];
      const created = outage === undefined;
      if (!outage) {
        const [last] = await outages.query({ orderBy: ['-reference'], limit: 1 });
        const next = last ? Number(String(last['reference']).slice(3)) + 1 : 1;
        const now = this.now();
        outage = await outages.create(
          {
            reference: `ST-${String(next).padStart(6, '0')}`,
            product,
            postcodeArea: area,
            startedAt: now.toISOString(),
            status: 'reported',
            description: `Gemeld via ${r.channel ?? 'onbekend kanaal'}${r.neighbours ? '; buren hebben ook last' : ''}`,
          },
          { actor: `script:${r.channel ?? 'agent'}` },
        );
      }
      if (caller) {
        for (const c of caller.connections.filter((v) => v.product === product && v.postcodeArea === area)) {
          const [cp] = await tx.repository('ConnectionPoint').query({ where: { ean: c.ean }, limit: 1 });
          if (cp) await tx.repository('ConnectionPoint').link(Number(cp['id']), 'outages', Number(outage['id']), { reportedAt: this.now().toISOString(), reportedByCustomer: true });
        }
      }
      return this.outageView(outage, created);
    });
  }

  async fileComplaint(request: ComplaintRequest): Promise<{ id: number; status: string; answerBefore: string }> {
    const r = (request ?? {}) as Partial<ComplaintRequest>;
    const level = optionalWhole(r.escalationLevel, 'escalationLevel') ?? 0;
    if (level > 2) throw bad('escalationLevel must be 0, 1 or 2');
    const priority = r.priority === undefined || r.priority === null ? (level > 0 ? 'high' : 'normal') : text(r.priority, 'priority', 20);
    const description = text(r.description, 'description', 4000);
    const subject = text(r.subject, 'subject', 40);
    const customer = await this.customer(r.customerNumber);
    const created = await this.objects.repository('Complaint').create(
      { customerId: Number(customer['id']), subject, description, priority, escalationLevel: level, status: level > 0 ? 'escalated' : 'open', receivedOn: this.today() },
      { actor: 'script:complaint' },
    );
    return { id: Number(created['id']), status: String(created['status']), answerBefore: String(created['answerBefore']) };
  }

  async switchTariff(request: TariffSwitch): Promise<{ contractNumber: string; tariffCode: string; startDate: string; previousContract: string }> {
    const r = (request ?? {}) as Partial<TariffSwitch>;
    const previousNumber = text(r.contractNumber, 'contractNumber', 12);
    const tariffCode = text(r.tariffCode, 'tariffCode', 16);
    const startDate = date(r.startDate, 'startDate');
    return this.objects.transaction(async (tx) => {
      const contracts = tx.repository('Contract');
      const [old] = await contracts.query({ where: { contractNumber: previousNumber }, limit: 1 });
      if (!old) throw bad(`no contract ${previousNumber}`);
      if (old['status'] !== 'active') throw bad(`contract ${previousNumber} is not active`);
      const [tariff] = await tx.repository('Tariff').query({ where: { code: tariffCode }, limit: 1 });
      if (!tariff) throw bad(`no tariff ${tariffCode}`);
      const [oldTariff] = await tx.repository('Tariff').query({ where: { id: Number(old['tariffId']) }, limit: 1 });
      if (oldTariff && oldTariff['product'] !== tariff['product']) throw bad(`tariff ${tariffCode} is for ${String(tariff['product'])}, the contract for ${String(oldTariff['product'])}`);
      if (startDate <= String(old['startDate'])) throw bad('startDate must be after the start of the current contract');
      await contracts.update(Number(old['id']), { status: 'terminated', endDate: addDays(startDate, -1) }, { actor: 'script:campaign' });
      const [last] = await contracts.query({ orderBy: ['-contractNumber'], limit: 1 });
      const contractNumber = `LC-${String(Number(String(last?.['contractNumber'] ?? 'LC-0').slice(3)) + 1).padStart(7, '0')}`;
      await contracts.create(
        { contractNumber, startDate, status: 'active', monthlyAdvance: old['monthlyAdvance'], customerId: old['customerId'], connectionId: old['connectionId'], tariffId: Number(tariff['id']) },
        { actor: 'script:campaign' },
      );
      return { contractNumber, tariffCode, startDate, previousContract: previousNumber };
    });
  }

  async doNotCall(request: { readonly customerNumber: string }): Promise<{ customerNumber: string; doNotCall: true }> {
    const customer = await this.customer((request ?? {}).customerNumber);
    if (customer['doNotCall'] !== true) await this.objects.repository('Customer').update(Number(customer['id']), { doNotCall: true }, { actor: 'script:campaign' });
    return { customerNumber: String(customer['customerNumber']), doNotCall: true };
  }
}
