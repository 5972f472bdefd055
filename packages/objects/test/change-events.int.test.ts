import { forEachDatabase } from '@caruso/storage/testing';
import { applyMigration, BusinessObjectsImpl, importCsv, readModel, type Model, type ObjectChangeEvent } from './helpers.js';

// onDidChange: one event per committed write, whoever writes (repository, import, merge).
const MODEL = `<model name="events">
  <object name="Customer" table="ev_customers" softDelete="true" audited="true" version="true" businessKey="customerNo">
    <field name="id" type="id"/>
    <field name="customerNo" type="string" length="20" unique="true"/>
    <field name="firstName" type="string" length="60"/>
    <field name="lastName" type="string" length="60" required="true"/>
    <field name="city" type="string" length="60"/>
    <relation name="notes" kind="one-to-many" target="Memo" inverse="customer"/>
  </object>
  <object name="Memo" table="ev_memos">
    <field name="id" type="id"/>
    <field name="text" type="string" length="200" required="true"/>
    <relation name="customer" kind="many-to-one" target="Customer"/>
  </object>
</model>`;

function load(text: string): Model {
  const r = readModel(text, 'events.model.xml');
  if (!r.model) throw new Error(r.diagnostics.map(String).join('\n'));
  return r.model;
}

/** The events without the records' volatile parts, to compare in one expectation. */
const brief = (e: ObjectChangeEvent): unknown[] => [e.kind, e.object, e.id, e.actor, 'changed' in e ? e.changed : undefined, 'version' in e ? e.version : undefined];

describe('BusinessObjects.onDidChange', () => {
  forEachDatabase((db) => {
    const model = load(MODEL);
    let objects: BusinessObjectsImpl;
    const events: ObjectChangeEvent[] = [];

    beforeAll(async () => {
      await applyMigration(model, db.storage);
      objects = new BusinessObjectsImpl(model, db.storage);
      objects.onDidChange((e) => events.push(e));
    });
    beforeEach(() => {
      events.length = 0;
    });
    afterAll(() => objects.dispose());

    it('fires for create, update, soft delete, restore and hard delete with before, after, changed fields, version and actor', async () => {
      const customers = objects.repository('Customer');
      const ada = await customers.create({ customerNo: 'E-1', firstName: 'Ada', lastName: 'Lovelace' }, { actor: 'script:welcome' });
      const id = String(ada['id']);
      await customers.update(ada['id'] as number, { city: 'London', $version: 1 }, { actor: 'wrapper:billing' });
      await customers.delete(ada['id'] as number, { actor: 'user:anna' });
      await customers.restore(ada['id'] as number);
      await customers.delete(ada['id'] as number, { hard: true });
      expect(events.map(brief)).toEqual([
        ['created', 'Customer', id, 'script:welcome', undefined, 1],
        ['updated', 'Customer', id, 'wrapper:billing', ['city'], 2],
        ['deleted', 'Customer', id, 'user:anna', undefined, undefined],
        ['updated', 'Customer', id, null, ['$deletedAt'], 4],
        ['deleted', 'Customer', id, null, undefined, undefined],
      ]);
      const updated = events[1] as Extract<ObjectChangeEvent, { kind: 'updated' }>;
      expect(updated.before).toMatchObject({ city: null, $version: 1 });
      expect(updated.after).toMatchObject({ city: 'London', $version: 2 });
      expect(updated.key).toBe(ada['id']);
      expect(events[2]).toMatchObject({ soft: true });
      expect(events[4]).toMatchObject({ soft: false });
    });

    it('gives the record before the change also where the update needs no read of it (no audit, rules or versions)', async () => {
      const memos = objects.repository('Memo');
      const m = await memos.create({ text: 'first' });
      await memos.update(m['id'] as number, { text: 'second' });
      expect(events.map((e) => e.kind)).toEqual(['created', 'updated']);
      expect(events[1]).toMatchObject({ before: { text: 'first' }, after: { text: 'second' }, changed: ['text'], version: null });
    });

    it('waits for the commit of a transaction, and fires nothing when it rolls back', async () => {
      let seenInside = -1;
      await objects.transaction(async (tx) => {
        await tx.repository('Customer').create({ customerNo: 'E-2', lastName: 'Hopper' });
        await tx.transaction(async (inner) => inner.repository('Memo').create({ text: 'nested' }));
        seenInside = events.length;
      });
      expect(seenInside).toBe(0);
      expect(events.map((e) => [e.kind, e.object])).toEqual([['created', 'Customer'], ['created', 'Memo']]);
      events.length = 0;
      await expect(objects.transaction(async (tx) => {
        await tx.repository('Customer').create({ customerNo: 'E-3', lastName: 'Rolled' });
        throw new Error('undo');
      })).rejects.toThrow('undo');
      expect(events).toEqual([]);
    });

    it('fires one event per created or updated row of an import, none for a preview or a rejected import', async () => {
      const existing = await objects.repository('Customer').create({ customerNo: 'E-10', lastName: 'Before' });
      events.length = 0;
      const csv = 'customerNo,lastName,city\nE-10,Before,Delft\nE-11,Turing,Wilmslow\n';
      await importCsv(objects, 'Customer', csv, { preview: true });
      await expect(importCsv(objects, 'Customer', `${csv}E-12,,Nowhere\n`)).rejects.toMatchObject({ code: 'CARUSO_OBJECTS_IMPORT_REJECTED' });
      expect(events).toEqual([]);
      await importCsv(objects, 'Customer', csv, { actor: 'import:user:root' });
      expect(events.map((e) => [e.kind, e.actor, 'changed' in e ? e.changed : null, 'version' in e ? e.version : null])).toEqual([
        ['created', 'import:user:root', null, 1],
        ['updated', 'import:user:root', ['city'], 2],
      ]);
      expect(events[0]).toMatchObject({ after: { customerNo: 'E-11', lastName: 'Turing', city: 'Wilmslow' } });
      expect(events[1]).toMatchObject({ id: String(existing['id']), before: { city: null }, after: { city: 'Delft' } });
    });

    it('fires the delete and the fill of a merge, then the merge itself, after its commit', async () => {
      const customers = objects.repository('Customer');
      const keep = await customers.create({ customerNo: 'M-1', lastName: 'Keep' });
      const drop = await customers.create({ customerNo: 'M-2', lastName: 'Drop', city: 'Gouda' });
      events.length = 0;
      await objects.merge('Customer', keep['id'] as number, drop['id'] as number, { actor: 'user:sam' });
      expect(events.map((e) => [e.kind, e.id, e.actor])).toEqual([
        ['deleted', String(drop['id']), 'user:sam'],
        ['updated', String(keep['id']), 'user:sam'],
        ['merged', String(keep['id']), 'user:sam'],
      ]);
      expect(events[2]).toMatchObject({ dropKey: drop['id'], dropId: String(drop['id']), after: { city: 'Gouda' } });
    });

    it('contains a listener that throws: the write succeeds and the other listeners still hear of it', async () => {
      const heard: string[] = [];
      const bad = objects.onDidChange(() => {
        throw new Error('listener bug');
      });
      const good = objects.onDidChange((e) => heard.push(e.kind));
      try {
        const rec = await objects.repository('Memo').create({ text: 'still written' });
        expect(await objects.repository('Memo').get(rec['id'] as number)).toMatchObject({ text: 'still written' });
        expect(heard).toEqual(['created']);
      } finally {
        bad.dispose();
        good.dispose();
      }
    });
  });
});
