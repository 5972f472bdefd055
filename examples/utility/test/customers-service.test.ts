import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { applyMigration, BusinessObjects, BusinessObjectsImpl, businessObjectsService, loadModelFile } from '@caruso/objects';
import { createStorage, StorageManager, storageService } from '@caruso/storage';
import { generateDemoData, loadDemoData, nationalPhone, UtilityCustomers, utilityCustomersService, type CustomerView } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MODEL = join(root, 'model/utility.model.xml');
const NOW = new Date('2025-01-15T10:00:00Z');

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('utility.Customers over the business objects (SQLite, real service manager)', () => {
  let dir: string;
  let sm: ServiceManager;
  let desk: UtilityCustomers;
  let objects: BusinessObjects;
  const data = generateDemoData({ customers: 80, seed: 5 });
  // A customer with an electricity connection whose meter is not smart, and an e-mail address.
  const withPower = data.customers.find((c) => c['email'] && data.connections.some((cp) => cp['customerNumber'] === c['customerNumber'] && cp['product'] === 'electricity' && cp['meterType'] !== 'smart')) as Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-utility-customers-'));
    const url = `sqlite:${join(dir, 'caruso.db')}`;
    const storage = await createStorage(url);
    const model = loadModelFile(MODEL);
    await applyMigration(model, storage);
    await loadDemoData(new BusinessObjectsImpl(model, storage), data);
    await storage.close();
    sm = createServiceManager();
    sm.register(StorageManager, storageService({ url }));
    sm.register(BusinessObjects, businessObjectsService({ model: MODEL, schema: 'migrate' }));
    sm.register(UtilityCustomers, utilityCustomersService({ now: () => NOW }));
    await sm.start();
    desk = sm.get(UtilityCustomers);
    objects = sm.get(BusinessObjects);
  });

  afterAll(async () => {
    await sm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers under the token the scripts name and is active', () => {
    expect(UtilityCustomers.id).toBe('utility.Customers');
    expect(sm.list().find((s) => s.tokenId === 'utility.Customers')?.state).toBe('active');
  });

  it('finds a customer by phone in national and international form, with a connection per product', async () => {
    const national = withPower['phone'] as string;
    const a = (await desk.findByPhone(national)) as CustomerView;
    const b = (await desk.findByPhone(`+31 ${national.slice(1)}`)) as CustomerView;
    expect(a.customerNumber).toBe(withPower['customerNumber']);
    expect(b.customerNumber).toBe(withPower['customerNumber']);
    const power = a['electricity'] as { ean: string; lastNormal: number; meterNumber: string };
    expect(power.ean).toMatch(/^871/);
    expect(power.lastNormal).toBeGreaterThan(0);
    expect(a).toHaveProperty('gas');
    expect(a.billingAccount).toBe(withPower['billingAccount']);
    expect(await desk.findByPhone('0999999999')).toBeNull();
    expect(await desk.findByPhone('')).toBeNull();
    expect(nationalPhone('0031-6-12345678')).toBe('0612345678');
  });

  it('gets a customer by number, and null for an unknown or malformed one', async () => {
    expect((await desk.get(withPower['customerNumber']))?.fullName).toBeTruthy();
    expect(await desk.get('K999999')).toBeNull();
    expect(await desk.get("K1' or 1=1")).toBeNull();
  });

  it('records a meter reading that becomes the last reading', async () => {
    const before = (await desk.get(withPower['customerNumber'])) as CustomerView;
    const power = before['electricity'] as { ean: string; lastNormal: number };
    const r = await desk.recordReading({ ean: power.ean, readingDate: '2025-01-14', normal: power.lastNormal + 321, channel: 'web' });
    expect(r.total).toBeGreaterThanOrEqual(power.lastNormal + 321);
    const after = (await desk.get(withPower['customerNumber'])) as CustomerView;
    expect(after['electricity']).toMatchObject({ lastNormal: power.lastNormal + 321, lastReadingDate: '2025-01-14' });
    const stored = await objects.repository('MeterReading').query({ where: { id: r.id } });
    expect(stored[0]).toMatchObject({ channel: 'web', source: 'customer' });
  });

  it('refuses a bad reading and writes nothing', async () => {
    const n = await objects.repository('MeterReading').count();
    expect(await codeOf(desk.recordReading({ ean: '871000000000000000', normal: 5 }))).toBe('CARUSO_UTILITY_BAD_REQUEST');
    expect(await codeOf(desk.recordReading({ ean: 'x', normal: -1 }))).toBe('CARUSO_UTILITY_BAD_REQUEST');
    expect(await objects.repository('MeterReading').count()).toBe(n);
  });

  it('records a move from the connection, and refuses an unknown customer or a bad date without writing', async () => {
    const c = (await desk.get(withPower['customerNumber'])) as CustomerView;
    const ean = (c['electricity'] as { ean: string }).ean;
    const req = { customerNumber: c.customerNumber, ean, moveOutDate: '2025-02-01', newStreet: 'Oudegracht', newHouseNumber: '12A', newPostcode: '3511 AB', newCity: 'Utrecht', finalReadingNormal: 12650, finalReadingLow: null };
    const m = await desk.recordMove(req);
    expect(m).toMatchObject({ status: 'registered', moveOutDate: '2025-02-01' });
    const [row] = await objects.repository('Move').query({ where: { id: m.id } });
    expect(row).toMatchObject({ customerId: c.id, newCity: 'Utrecht', finalReadingNormal: 12650 });
    expect(row?.['connectionId']).not.toBeNull();
    const n = await objects.repository('Move').count();
    expect(await codeOf(desk.recordMove({ ...req, customerNumber: 'K999999' }))).toBe('CARUSO_UTILITY_UNKNOWN_CUSTOMER');
    expect(await codeOf(desk.recordMove({ ...req, moveOutDate: '2025-02-30' }))).toBe('CARUSO_UTILITY_BAD_REQUEST');
    expect(await codeOf(desk.recordMove({ ...req, ean: '871999999999999999' }))).toBe('CARUSO_UTILITY_BAD_REQUEST');
    expect(await objects.repository('Move').count()).toBe(n);
  });

  it('opens an outage on the first report, joins it on the next, and finds it by product and area', async () => {
    const c = (await desk.get(withPower['customerNumber'])) as CustomerView;
    const power = c['electricity'] as { postcodeArea: string; ean: string };
    const area = power.postcodeArea;
    const open = await desk.outageAt(`electricity:${area}`);
    const first = await desk.reportOutage({ product: 'electricity', postcodeArea: area, neighbours: true, caller: c.phone, channel: 'ivr' });
    const second = await desk.reportOutage({ product: 'electricity', postcodeArea: area, neighbours: false, caller: null, channel: 'agent' });
    expect(first.created).toBe(open === null);
    expect(second.created).toBe(false);
    expect(second.reference).toBe(first.reference);
    expect(first.reference).toMatch(/^ST-[0-9]{6}$/);
    expect((await desk.outageAt(`electricity:${area}`))?.reference).toBe(first.reference);
    const [cp] = await objects.repository('ConnectionPoint').query({ where: { ean: power.ean } });
    const links = await objects.repository('ConnectionPoint').links(Number(cp?.['id']), 'outages');
    expect(links.length).toBeGreaterThanOrEqual(1);
    expect(await desk.outageAt('electricity:12')).toBeNull();
    expect(await desk.outageAt('steam:3511')).toBeNull();
    expect(await codeOf(desk.reportOutage({ product: 'electricity', postcodeArea: '0123' }))).toBe('CARUSO_UTILITY_BAD_REQUEST');
  });

  it('files a complaint; an escalation level makes it escalated and counts as open', async () => {
    const before = (await desk.get(withPower['customerNumber'])) as CustomerView;
    const f = await desk.fileComplaint({ customerNumber: before.customerNumber, subject: 'invoice', description: 'De jaarnota klopt niet met de meterstanden.', priority: 'urgent', escalationLevel: 2 });
    expect(f).toMatchObject({ status: 'escalated', answerBefore: '2025-01-18' });
    expect(((await desk.get(before.customerNumber)) as CustomerView).openComplaints).toBe(before.openComplaints + 1);
    // The model's rule (an escalated complaint is not of normal priority) holds: nothing is written.
    const n = await objects.repository('Complaint').count();
    expect(await codeOf(desk.fileComplaint({ customerNumber: before.customerNumber, subject: 'invoice', description: 'Nog een keer hetzelfde probleem.', priority: 'normal', escalationLevel: 1 }))).toBe('CARUSO_OBJECTS_VALIDATION_FAILED');
    expect(await objects.repository('Complaint').count()).toBe(n);
  });

  it('switches a grey contract to green: the old one ends the day before, a new one starts', async () => {
    const grey = data.contracts.find((k) => String(k['tariffCode']).startsWith('E-GRIJS')) as Record<string, string>;
    const s = await desk.switchTariff({ contractNumber: grey['contractNumber'] as string, tariffCode: 'E-GROEN-VAST', startDate: '2025-01-29' });
    const contracts = objects.repository('Contract');
    const [old] = await contracts.query({ where: { contractNumber: grey['contractNumber'] as string } });
    const [fresh] = await contracts.query({ where: { contractNumber: s.contractNumber } });
    expect(old).toMatchObject({ status: 'terminated', endDate: '2025-01-28' });
    expect(fresh).toMatchObject({ status: 'active', startDate: '2025-01-29', customerId: old?.['customerId'], connectionId: old?.['connectionId'] });
    expect(await codeOf(desk.switchTariff({ contractNumber: grey['contractNumber'] as string, tariffCode: 'E-GROEN-VAST', startDate: '2025-02-01' }))).toBe('CARUSO_UTILITY_BAD_REQUEST');
    expect(await codeOf(desk.switchTariff({ contractNumber: s.contractNumber, tariffCode: 'G-VAST', startDate: '2025-03-01' }))).toBe('CARUSO_UTILITY_BAD_REQUEST');
  });

  it('puts a customer on the do-not-call list', async () => {
    expect(await desk.doNotCall({ customerNumber: withPower['customerNumber'] as string })).toEqual({ customerNumber: withPower['customerNumber'], doNotCall: true });
    expect(((await desk.get(withPower['customerNumber'])) as CustomerView).doNotCall).toBe(true);
  });

  it('refuses an unknown setting or time zone with CARUSO_UTILITY_BAD_CONFIG', () => {
    expect(() => utilityCustomersService({ colour: 'red' } as never)).toThrow(expect.objectContaining({ code: 'CARUSO_UTILITY_BAD_CONFIG' }));
    expect(() => utilityCustomersService({ timeZone: 'Mars/Olympus' })).toThrow(expect.objectContaining({ code: 'CARUSO_UTILITY_BAD_CONFIG' }));
  });
});
