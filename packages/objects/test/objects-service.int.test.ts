import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { BusinessObjects, businessObjectsService, isCarusoError } from './helpers.js';

const model = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crm.model.xml');

describe('businessObjectsService (registered with a real service manager)', () => {
  forEachDatabase((db) => {
    it('starts after the storage manager, migrates, and serves repositories through the token', async () => {
      const manager = createServiceManager();
      manager.register(StorageManager, storageService(db.url));
      const handle = manager.register(BusinessObjects, businessObjectsService({ model, schema: 'migrate' }));
      await manager.start();
      try {
        await handle.ready;
        const objects = manager.get(BusinessObjects);
        const customers = objects.repository('Customer');
        const ada = await customers.create({ firstName: 'Ada', lastName: 'Lovelace' });
        expect(await customers.get(ada['id'] as number)).toMatchObject({ fullName: 'Ada Lovelace' });
        expect((await objects.health()).status).toBe('ok');
        expect(manager.find('caruso.objects')[0]).toMatchObject({ state: 'active', properties: { model: 'utility' } });
      } finally {
        await manager.stop();
      }
    });

    it('reads phone numbers in the defaultCountry option (which overrides the model) and stores E.164', async () => {
      const manager = createServiceManager();
      manager.register(StorageManager, storageService(await db.freshDatabase()));
      const handle = manager.register(BusinessObjects, businessObjectsService({ model, schema: 'migrate', defaultCountry: 'BE' }));
      await manager.start();
      try {
        await handle.ready;
        const customers = manager.get(BusinessObjects).repository('Customer');
        const cas = await customers.create({ firstName: 'Cas', lastName: 'Caller', phone: '012 34 56 78' });
        expect(cas['phone']).toBe('+3212345678');
        expect((await customers.query({ where: { phone: '0032 12 34 56 78' } })).map((r) => r['id'])).toEqual([cas['id']]);
      } finally {
        await manager.stop();
      }
    });

    it('fails to start with schema "check" when a mapped table is missing', async () => {
      const manager = createServiceManager();
      manager.register(StorageManager, storageService(await db.freshDatabase()));
      const handle = manager.register(BusinessObjects, businessObjectsService({ model, schema: 'check' }));
      await manager.start();
      try {
        let err: unknown;
        await handle.ready.catch((e: unknown) => (err = e));
        expect(String((err as Error | undefined)?.message)).toContain('table customers of Customer does not exist');
      } finally {
        await manager.stop();
      }
    });
  });

  it('refuses invalid options with a coded error', () => {
    let err: unknown;
    try {
      businessObjectsService({ model, schema: 'sometimes' as 'check' });
    } catch (e) {
      err = e;
    }
    expect(isCarusoError(err, 'CARUSO_OBJECTS_BAD_OPTIONS')).toBe(true);
  });

  it('refuses a defaultCountry that is not a country code', () => {
    expect(() => businessObjectsService({ model, defaultCountry: 'Belgium' })).toThrow(/defaultCountry must be a country code/);
  });
});
