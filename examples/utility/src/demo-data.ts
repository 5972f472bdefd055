import { createHash } from 'node:crypto';
import { formatCsvRow, importCsv, type BusinessObjectsImpl } from '@caruso/objects';

/** Options of {@link generateDemoData}. */
export interface DemoDataOptions {
  /** The seed: the same seed gives the same data, byte for byte. Default 2024. */
  readonly seed?: number;
  /** Number of customers. Default 3000. */
  readonly customers?: number;
  /** The date the data is "now" (readings and invoices lie before it). Default 2025-01-15. */
  readonly today?: string;
}

/** A row of demo data: field names of the model, values written as in CSV. */
export type DemoRow = Record<string, string>;

/**
 * Deterministic demo data of the energy supplier. Rows of the managed model refer to each other by
 * business key (customerNumber, ean, tariff code), resolved to ids by {@link loadDemoData}; the
 * billing rows are for the legacy billing database (see seedLegacyBilling).
 */
export interface DemoData {
  readonly tariffs: DemoRow[];
  readonly customers: DemoRow[];
  /** With `customerNumber` instead of the customer's id. */
  readonly connections: DemoRow[];
  /** With `customerNumber`, `ean`, `tariffCode`. */
  readonly contracts: DemoRow[];
  /** With `ean`. */
  readonly readings: DemoRow[];
  /** With `customerNumber`. */
  readonly complaints: DemoRow[];
  readonly outages: DemoRow[];
  readonly billing: LegacyBillingData;
}

/** Rows for the legacy billing system, in the mapping model's field names. */
export interface LegacyBillingData {
  readonly accounts: DemoRow[];
  readonly invoices: DemoRow[];
}

/** mulberry32: a small, fast, seeded generator (never Math.random, so the data is reproducible). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LAST_NAMES = ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'de Groot', 'Bos', 'Vos', 'Peters', 'Hendriks', 'van Leeuwen', 'Dekker', 'Brouwer', 'de Wit', 'Dijkstra', 'Smits', 'de Graaf', 'van der Meer', 'van der Linden', 'Kok', 'Jacobs', 'de Haan', 'Vermeulen', 'van den Heuvel', 'van der Veen', 'van den Broek', 'de Bruijn', 'de Bruin', 'van der Heijden', 'Schouten', 'van Beek', 'Willems', 'van Vliet', 'Hoekstra', 'Maas', 'Verhoeven', 'Koster', 'van Dam', 'Prins', 'Blom', 'Huisman', 'Peeters', 'de Jonge', 'Kuipers', 'van Wijk', 'Postma', 'Kuiper', 'Veenstra', 'Kramer', 'Yilmaz', 'El Amrani', 'Nguyen', 'Baldewsingh'];
const STREETS = ['Kerkstraat', 'Dorpsstraat', 'Molenweg', 'Schoolstraat', 'Stationsweg', 'Julianastraat', 'Beatrixlaan', 'Wilhelminastraat', 'Lindelaan', 'Eikenlaan', 'Nieuwstraat', 'Marktplein', 'Havenkade', 'Sluisweg', 'Zuiderpark', 'Vondellaan', 'Rembrandtstraat', 'Parallelweg', 'Spoorlaan', 'Burgemeester de Withstraat'];
const CITIES: readonly (readonly [string, number])[] = [['Utrecht', 35], ['Amersfoort', 38], ['Zeist', 37], ['Nieuwegein', 34], ['Houten', 39], ['Veenendaal', 39], ['Woerden', 34], ['Maarssen', 36]];
const COMPANY_KINDS = ['Bakkerij', 'Garage', 'Kapsalon', 'Installatiebedrijf', 'Café', 'Tandartspraktijk', 'Bloemenhandel', 'Administratiekantoor'];
const LETTERS = [...'ABCDEFGHJKLMNPRSTVWXZ'];

/** The GS1 check digit of the first 17 digits of an EAN-18 code. */
export function eanCheckDigit(digits17: string): string {
  let sum = 0;
  for (let i = 0; i < digits17.length; i++) sum += Number(digits17[digits17.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

function euro(cents: number): string {
  return `${(cents / 100).toFixed(2)} EUR`;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const TARIFFS: readonly DemoRow[] = [
  { code: 'E-GRIJS-VAST', name: 'Stroom vast 1 jaar', product: 'electricity', green: 'false', unitPrice: '0.29850', standingCharge: '6.25 EUR', validFrom: '2024-01-01' },
  { code: 'E-GRIJS-VAR', name: 'Stroom variabel', product: 'electricity', green: 'false', unitPrice: '0.31200', standingCharge: '6.25 EUR', validFrom: '2024-01-01' },
  { code: 'E-GROEN-VAST', name: 'Groene stroom vast 1 jaar (Nederlandse wind)', product: 'electricity', green: 'true', unitPrice: '0.30400', standingCharge: '6.25 EUR', validFrom: '2024-01-01' },
  { code: 'G-VAST', name: 'Gas vast 1 jaar', product: 'gas', green: 'false', unitPrice: '1.28900', standingCharge: '6.25 EUR', validFrom: '2024-01-01' },
  { code: 'G-GROEN', name: 'Groen gas (CO2-gecompenseerd)', product: 'gas', green: 'true', unitPrice: '1.34100', standingCharge: '6.25 EUR', validFrom: '2024-01-01' },
];

/** Generates the demo data. Pure: no clock, no Math.random; the same options give the same data. */
export function generateDemoData(options: DemoDataOptions = {}): DemoData {
  const rnd = prng(options.seed ?? 2024);
  const count = options.customers ?? 3000;
  if (!Number.isInteger(count) || count < 1 || count > 999_999) throw new RangeError('customers must be a whole number from 1 to 999999');
  const today = options.today ?? '2025-01-15';
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const int = (min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
  const digits = (n: number): string => Array.from({ length: n }, () => String(int(0, 9))).join('');

  const customers: DemoRow[] = [];
  const connections: DemoRow[] = [];
  const contracts: DemoRow[] = [];
  const readings: DemoRow[] = [];
  const complaints: DemoRow[] = [];
  const accounts: DemoRow[] = [];
  const invoices: DemoRow[] = [];
  const eans = new Set<string>();
  let contractNo = 1_000_000;
  const invoiceSeq = new Map<number, number>();

  for (let i = 1; i <= count; i++) {
    const customerNumber = `K${String(100_000 + i).padStart(6, '0')}`;
    const account = `D${String(2_000_000 + i).padStart(7, '0')}`;
    const business = rnd() < 0.08;
    const lastName = pick(LAST_NAMES);
    const [city, area] = pick(CITIES);
    const postcode = `${area}${int(10, 99)} ${pick(LETTERS)}${pick(LETTERS)}`;
    const street = pick(STREETS);
    const houseNumber = String(int(1, 180)) + (rnd() < 0.1 ? pick(['A', 'B', 'bis']) : '');
    const initials = `${pick(LETTERS)}.${rnd() < 0.4 ? `${pick(LETTERS)}.` : ''}`;
    const phone = rnd() < 0.5 ? `06${digits(8)}` : `0${area}${digits(7)}`;
    const hasEmail = rnd() < 0.85;
    const mailName = lastName.toLowerCase().replace(/[^a-z]/g, '');
    customers.push({
      customerNumber,
      salutation: business ? 'unknown' : pick(['mr', 'mrs']),
      initials,
      lastName,
      companyName: business ? `${pick(COMPANY_KINDS)} ${lastName}` : '',
      segment: business ? 'business' : 'residential',
      email: hasEmail ? `${mailName}.${i}@voorbeeld.nl` : '',
      phone,
      street,
      houseNumber,
      postcode,
      city,
      iban: `NL${int(10, 99)}${pick(['ABNA', 'INGB', 'RABO', 'SNSB', 'TRIO', 'ASNB'])}${digits(10)}`,
      billingAccount: account,
      language: rnd() < 0.04 ? 'en' : 'nl',
    });

    const products = rnd() < 0.82 ? ['electricity', 'gas'] : ['electricity'];
    let monthly = 0;
    for (const product of products) {
      let ean: string;
      do {
        const body = `871${product === 'gas' ? '6' : '5'}${digits(13)}`;
        ean = body + eanCheckDigit(body);
      } while (eans.has(ean));
      eans.add(ean);
      const meterType = rnd() < 0.6 ? 'smart' : product === 'gas' ? 'single' : pick(['single', 'dual']);
      connections.push({ ean, product, meterNumber: `${product === 'gas' ? 'G' : 'E'}${digits(9)}`, meterType, street, houseNumber, postcode, city, customerNumber });
      const green = rnd() < 0.35;
      const tariffCode = product === 'gas' ? (green ? 'G-GROEN' : 'G-VAST') : green ? 'E-GROEN-VAST' : pick(['E-GRIJS-VAST', 'E-GRIJS-VAR']);
      const start = addDays('2019-01-01', int(0, 1800));
      const advance = product === 'gas' ? int(40, 160) * 100 : int(35, 140) * 100;
      monthly += advance;
      contracts.push({ contractNumber: `LC-${++contractNo}`, startDate: start, endDate: '', status: 'active', monthlyAdvance: euro(advance), customerNumber, ean, tariffCode });
      // Yearly readings, the last one shortly before "today".
      let normal = int(1000, 40_000);
      let low = meterType === 'dual' || meterType === 'smart' ? int(1000, 30_000) : -1;
      for (let y = 3; y >= 1; y--) {
        normal += product === 'gas' ? int(600, 1800) : int(900, 2600);
        if (low >= 0) low += int(600, 1800);
        readings.push({ ean, readingDate: addDays(today, -365 * y + int(0, 20)), normal: String(normal), low: low >= 0 ? String(low) : '', source: meterType === 'smart' ? 'smart-meter' : pick(['customer', 'customer', 'technician', 'estimate']), channel: meterType === 'smart' ? 'import' : pick(['agent', 'web', 'ivr', 'import']) });
      }
    }

    // Billing: monthly advance invoices for the last six months; some customers are behind.
    const behind = rnd() < 0.12 ? int(1, 4) : rnd() < 0.1 ? 1 : 0;
    const blocked = behind >= 4 && rnd() < 0.5;
    let balance = 0;
    for (let m = 6; m >= 1; m--) {
      const invoiceDate = addDays(today, -30 * m);
      const year = Number(invoiceDate.slice(0, 4));
      const seq = (invoiceSeq.get(year) ?? 0) + 1;
      invoiceSeq.set(year, seq);
      const open = m <= behind ? monthly : 0;
      balance += open;
      invoices.push({ accountNo: account, year: String(year), sequence: String(seq), number: `${year}-${seq}`, kind: 'VS', invoiceDate, dueDate: addDays(invoiceDate, 14), amount: euro(monthly), open: euro(open) });
    }
    accounts.push({ accountNo: account, holder: business ? `${pick(COMPANY_KINDS)} ${lastName}` : `${initials} ${lastName}`, iban: '', balance: euro(balance), blocked: blocked ? 'true' : 'false' });

    if (rnd() < 0.03) {
      const subject = pick(['invoice', 'meter-reading', 'outage', 'service', 'other']);
      const escalated = rnd() < 0.25;
      complaints.push({
        customerNumber,
        subject,
        description: pick(['De voorschotnota is veel te hoog vergeleken met vorig jaar.', 'Mijn meterstand is verkeerd overgenomen.', 'Ik ben drie keer doorverbonden en niemand kon mij helpen.', 'De storing duurde langer dan beloofd en niemand belde terug.', 'Ik heb geen bevestiging van mijn verhuizing ontvangen.']),
        priority: escalated ? pick(['high', 'urgent']) : 'normal',
        status: escalated ? 'escalated' : pick(['open', 'in-progress', 'closed']),
        escalationLevel: escalated ? String(int(1, 2)) : '0',
        receivedOn: addDays(today, -int(0, 60)),
      });
    }
  }

  const outages: DemoRow[] = CITIES.slice(0, 3).map(([city, area], n) => ({
    reference: `ST-${String(240_001 + n).padStart(6, '0')}`,
    product: n === 1 ? 'gas' : 'electricity',
    postcodeArea: `${area}${10 + n * 7}`,
    startedAt: `${addDays(today, -n)}T0${6 + n}:15:00.000Z`,
    expectedEnd: `${addDays(today, -n)}T1${4 + n}:00:00.000Z`,
    status: n === 0 ? 'in-progress' : 'resolved',
    description: `Storing ${n === 1 ? 'gaslevering' : 'stroomlevering'} in ${city}`,
  }));

  return { tariffs: TARIFFS.map((t) => ({ ...t })), customers, connections, contracts, readings, complaints, outages, billing: { accounts, invoices } };
}

/** A SHA-256 over all rows, in order: equal fingerprints mean equal data. */
export function demoDataFingerprint(data: DemoData): string {
  return createHash('sha256').update(JSON.stringify(data)).digest('hex');
}

function csv(rows: readonly DemoRow[], fields: readonly string[]): string {
  return [formatCsvRow(fields), ...rows.map((r) => formatCsvRow(fields.map((f) => r[f] ?? '')))].join('\n') + '\n';
}

async function idsBy(objects: BusinessObjectsImpl, object: string, field: string): Promise<Map<string, string>> {
  const repo = objects.repository(object);
  const ids = new Map<string, string>();
  // Pages of the largest size a query allows, in key order.
  for (let offset = 0; ; offset += 10_000) {
    const rows = await repo.query({ orderBy: ['id'], limit: 10_000, offset });
    for (const r of rows) ids.set(String(r[field]), String(r['id']));
    if (rows.length < 10_000) return ids;
  }
}

/** What {@link loadDemoData} wrote, per object. */
export type DemoLoadReport = Record<'tariffs' | 'customers' | 'connections' | 'contracts' | 'readings' | 'complaints' | 'outages', number>;

/**
 * Writes the managed part of the demo data through the objects CSV import (batched multi-row
 * inserts, one transaction per object; rows whose business key exists are updated, so loading
 * twice does not duplicate). References by business key are resolved to ids between the objects.
 */
export async function loadDemoData(objects: BusinessObjectsImpl, data: DemoData, options: { readonly actor?: string } = {}): Promise<DemoLoadReport> {
  const actor = options.actor ?? 'demo-data';
  const load = async (object: string, rows: readonly DemoRow[], key?: string[]): Promise<number> => {
    if (rows.length === 0) return 0;
    const first = rows[0] as DemoRow;
    // A composite import key is looked up as an OR of ANDs per batch; SQLite refuses an expression
    // tree deeper than 1000, so those imports use smaller batches (reported to objects).
    const batchSize = key && key.length > 1 ? 250 : 1000;
    const report = await importCsv(objects, object, csv(rows, Object.keys(first)), { actor, batchSize, file: `${object}.csv`, ...(key ? { key } : {}) });
    return report.created + report.updated + report.unchanged;
  };
  const tariffs = await load('Tariff', data.tariffs);
  const customers = await load('Customer', data.customers);
  const customerIds = await idsBy(objects, 'Customer', 'customerNumber');
  const ref = (rows: readonly DemoRow[], from: string, to: string, ids: Map<string, string>): DemoRow[] =>
    rows.map((r) => {
      const { [from]: value, ...rest } = r;
      const id = ids.get(value ?? '');
      if (id === undefined) throw new Error(`demo data refers to an unknown ${from} ${String(value)}`);
      return { ...rest, [to]: id };
    });
  const connections = await load('ConnectionPoint', ref(data.connections, 'customerNumber', 'customerId', customerIds));
  const connectionIds = await idsBy(objects, 'ConnectionPoint', 'ean');
  const tariffIds = await idsBy(objects, 'Tariff', 'code');
  const contractRows = ref(ref(ref(data.contracts, 'customerNumber', 'customerId', customerIds), 'ean', 'connectionId', connectionIds), 'tariffCode', 'tariffId', tariffIds);
  const contracts = await load('Contract', contractRows);
  const readings = await load('MeterReading', ref(data.readings, 'ean', 'connectionId', connectionIds), ['connectionId', 'readingDate']);
  // Complaints have no business key: load them once (a second load would add them again).
  const complaints = (await objects.repository('Complaint').count()) === 0 ? await load('Complaint', ref(data.complaints, 'customerNumber', 'customerId', customerIds)) : 0;
  const outages = await load('Outage', data.outages);
  return { tariffs, customers, connections, contracts, readings, complaints, outages };
}
