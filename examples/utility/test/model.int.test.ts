// The utility models on SQLite and a real PostgreSQL: the managed model migrates (and a second
// migration has nothing to do), the water company's extended model migrates on top of it, and the
// demo data imports through the objects CSV import and reads back with its relations.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigration, BusinessObjectsImpl, loadModelFile, planMigration } from '@caruso/objects';
import { forEachDatabase } from '@caruso/storage/testing';
import { generateDemoData, loadDemoData } from '../src/index.js';
import { jest } from '@jest/globals';

// Thousands of rows on PostgreSQL: seconds on a quiet machine, more when the machine is shared.
jest.setTimeout(60_000);

const root = fileURLToPath(new URL('../..', import.meta.url));
const utility = loadModelFile(join(root, 'utility/model/utility.model.xml'));
const water = loadModelFile(join(root, 'utility-water/model/water.model.xml'));

describe('the utility model', () => {
  forEachDatabase((db) => {
    it('migrates, and a second migration has nothing to do', async () => {
      const plan = await applyMigration(utility, db.storage);
      expect(plan.steps.length).toBeGreaterThanOrEqual(10);
      expect(plan.warnings).toEqual([]);
      expect((await planMigration(utility, db.storage)).steps).toEqual([]);
      for (const table of ['customers', 'connection_points', 'tariffs', 'supply_contracts', 'meter_readings', 'moves', 'outages', 'outage_connections', 'complaints']) {
        expect(await db.storage.hasTable(table)).toBe(true);
      }
    });

    it('imports the demo data, and a second load updates instead of duplicating', async () => {
      const objects = new BusinessObjectsImpl(utility, db.storage, () => new Date('2025-01-15T12:00:00Z'));
      const data = generateDemoData({ customers: 250, seed: 5 });
      const report = await loadDemoData(objects, data);
      expect(report).toEqual({
        tariffs: 5, customers: 250, connections: data.connections.length, contracts: data.contracts.length,
        readings: data.readings.length, complaints: data.complaints.length, outages: 3,
      });
      await loadDemoData(objects, data);
      expect(await objects.repository('Customer').count()).toBe(250);
      // The global search finds customers by their town, as an agent types it.
      const inZeist = (await objects.repository('Customer').query({ where: { city: 'Zeist' } })).length;
      expect(inZeist).toBeGreaterThan(0);
      const hits = await objects.search('Zeist', { objects: ['Customer'], limit: 200 });
      expect(hits.length).toBe(Math.min(inZeist, 200));
      expect(await objects.repository('MeterReading').count()).toBe(data.readings.length);
      const first = await objects.repository('Customer').query({ where: { customerNumber: 'K100001' }, include: ['connections', 'contracts', 'contracts.tariff'] });
      const c = first[0] as Record<string, unknown>;
      expect(c['fullName']).toBe(`${String(data.customers[0]?.['initials'])} ${String(data.customers[0]?.['lastName'])}`);
      expect((c['connections'] as unknown[]).length).toBe(data.connections.filter((x) => x['customerNumber'] === 'K100001').length);
      const contract = (c['contracts'] as Record<string, unknown>[])[0] as Record<string, unknown>;
      expect((contract['tariff'] as Record<string, unknown>)['code']).toBe(data.contracts[0]?.['tariffCode']);
      expect(contract['runningDays']).toBeGreaterThan(0);
    });

    it('refuses a reading in the future and a complaint escalated with normal priority, writing nothing', async () => {
      const objects = new BusinessObjectsImpl(utility, db.storage, () => new Date('2025-01-15T12:00:00Z'));
      const cp = (await objects.repository('ConnectionPoint').query({ limit: 1 }))[0] as Record<string, unknown>;
      await expect(objects.repository('MeterReading').create({ connectionId: cp['id'], readingDate: '2025-02-01', normal: 1 })).rejects.toMatchObject({ code: 'CARUSO_OBJECTS_VALIDATION_FAILED' });
      const customer = (await objects.repository('Customer').query({ limit: 1 }))[0] as Record<string, unknown>;
      const before = await objects.repository('Complaint').count();
      await expect(objects.repository('Complaint').create({ customerId: customer['id'], subject: 'service', description: 'Niemand belde terug na drie beloftes.', status: 'escalated', escalationLevel: 0, receivedOn: '2025-01-10' })).rejects.toMatchObject({ code: 'CARUSO_OBJECTS_VALIDATION_FAILED' });
      expect(await objects.repository('Complaint').count()).toBe(before);
      const ok = await objects.repository('Complaint').create({ customerId: customer['id'], subject: 'service', description: 'Niemand belde terug na drie beloftes.', priority: 'urgent', status: 'escalated', escalationLevel: 2, receivedOn: '2025-01-10' });
      expect(ok['answerBefore']).toBe('2025-01-13');
    });

    it('takes the water company’s extensions as a migration on top', async () => {
      const plan = await applyMigration(water, db.storage);
      expect(plan.steps.map((s) => s.summary)).toEqual([
        'alter table customers: add household_size',
        'alter table connection_points: add meter_diameter_mm, backflow_preventer',
        'alter table tariffs: add groundwater_tax',
        'alter table outages: add boil_water_advice',
      ]);
      expect((await planMigration(water, db.storage)).steps).toEqual([]);
    });
  });
});
