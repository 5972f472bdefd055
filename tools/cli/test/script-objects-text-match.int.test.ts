// `contains(field, text)` and `startsWith(field, text)` in a `<fetch object where>`, on SQLite and
// PostgreSQL: the dialogue engine and a real BusinessObjects under one service manager (as in
// script-objects.int.test.ts). The text is a value the objects service binds, never SQL: a quote,
// a percent sign or an underscore is looked for as written.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { DialogueEngine, dialogueEngineService } from '@caruso/dialogue';

const MODEL = `<?xml version="1.0" encoding="UTF-8"?>
<model name="search" version="1">
  <object name="Customer" table="customers">
    <field name="id" type="id"/>
    <field name="customerNumber" type="string" length="10" required="true" unique="true"/>
    <field name="name" type="string" length="60"/>
    <field name="street" type="string" length="60"/>
  </object>
  <object name="Contract" table="contracts">
    <field name="id" type="id"/>
    <field name="number" type="string" length="20" required="true"/>
    <relation name="customer" kind="many-to-one" target="Customer" required="true"/>
  </object>
</model>
`;

// The agent types part of a name and the start of a street, or the start of a customer number.
const SCRIPT = `<?xml version="1.0" encoding="UTF-8"?>
<script id="find-customer" version="1">
  <var name="found" type="list"/>
  <var name="contracts" type="list"/>
  <question id="askName" var="name" type="text">
    <prompt>Part of the name?</prompt>
    <next target="askStreet"/>
  </question>
  <question id="askStreet" var="street" type="text" required="false">
    <prompt>The street starts with?</prompt>
    <next target="askNumber">
      <fetch object="Customer" where="contains(name, name) and startsWith(street, street)" list="true" order-by="customerNumber" into="found"/>
    </next>
  </question>
  <question id="askNumber" var="number" type="text">
    <prompt>The customer number starts with?</prompt>
    <next target="done">
      <fetch object="Contract" where="startsWith(customer.customerNumber, number) or contains(number, 'X')" list="true" order-by="number" into="contracts"/>
    </next>
  </question>
  <end id="done" outcome="searched"/>
</script>
`;

describe('text matches in <fetch object where> through the objects service', () => {
  forEachDatabase((db) => {
    let dir: string;
    let manager: ServiceManager;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-script-text-match-'));
      const scripts = join(dir, 'scripts');
      writeFileSync(join(dir, 'search.model.xml'), MODEL);
      mkdirSync(scripts);
      writeFileSync(join(scripts, 'find-customer.xml'), SCRIPT);
      manager = createServiceManager();
      manager.register(StorageManager, storageService(await db.freshDatabase()));
      manager.register(BusinessObjects, businessObjectsService({ model: join(dir, 'search.model.xml'), schema: 'migrate' }));
      manager.register(DialogueEngine, dialogueEngineService({ folder: scripts, watch: false }));
      await manager.start();
      await manager.whenAvailable(DialogueEngine, { timeoutMs: 20_000 });
      const customers = manager.get(BusinessObjects).repository('Customer');
      const contracts = manager.get(BusinessObjects).repository('Contract');
      const rows = [
        ['K100', 'Éric Dupont', 'Hoofdstraat 1'],
        ['K101', 'Erica de Vries', 'Kerkstraat 2'],
        ['K200', 'Frederic Eriksen', 'Hoofdweg 3'],
        ['K300', "O'Brien 100%_sure", 'Hoofdstraat 9'],
      ] as const;
      for (const [customerNumber, name, street] of rows) {
        const c = await customers.create({ customerNumber, name, street });
        await contracts.create({ number: `C-${customerNumber}`, customerId: c['id'] });
      }
      const [eric] = await customers.query({ where: { customerNumber: 'K100' } });
      await contracts.create({ number: 'C-X9', customerId: eric?.['id'] });
    }, 60_000);

    afterAll(async () => {
      await manager?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const run = async (answers: string[]): Promise<Record<string, unknown>> => {
      const engine = manager.get(DialogueEngine);
      let v = await engine.startSession('find-customer', { channel: 'agent' });
      for (const a of answers) v = await engine.answer(v.sessionId, a);
      expect(v.step).toMatchObject({ kind: 'end', outcome: 'searched' });
      return (await engine.state(v.sessionId)).vars;
    };
    const numbers = (list: unknown, field: string): unknown[] => (list as Array<Record<string, unknown>>).map((r) => r[field]);

    it('finds records whose field contains the text and whose other field starts with a text, ignoring case and accents', async () => {
      const vars = await run(['eric', 'hoofd', 'K1']);
      // "eric" is in Éric, Erica and Frederic; only Éric and Frederic live on a street starting with "hoofd".
      expect(numbers(vars['found'], 'customerNumber')).toEqual(['K100', 'K200']);
      // Contracts of customers whose number starts with K1, or whose number contains an X.
      expect(numbers(vars['contracts'], 'number')).toEqual(['C-K100', 'C-K101', 'C-X9']);
    });

    it('looks for quotes, percent signs and underscores as written (a bound value, not a pattern or SQL)', async () => {
      expect(numbers((await run(["o'brien", 'Hoofd', 'K9']))['found'], 'customerNumber')).toEqual(['K300']);
      expect(numbers((await run(['100%_', 'h', 'K9']))['found'], 'customerNumber')).toEqual(['K300']);
      expect(numbers((await run(['%', 'h', 'K9']))['found'], 'customerNumber')).toEqual(['K300']);
      expect(numbers((await run(['_', 'h', 'K9']))['found'], 'customerNumber')).toEqual(['K300']);
      expect(numbers((await run(["' or 1=1 --", 'h', 'K9']))['found'], 'customerNumber')).toEqual([]);
      expect(await manager.get(BusinessObjects).repository('Customer').query({})).toHaveLength(4);
    });

    it('fails the step, changing nothing, when the text is missing', async () => {
      const engine = manager.get(DialogueEngine);
      let v = await engine.startSession('find-customer', { channel: 'agent' });
      v = await engine.answer(v.sessionId, 'eric');
      await expect(engine.answer(v.sessionId, '')).rejects.toMatchObject({ code: 'CARUSO_DIALOGUE_EXPRESSION_FAILED', message: expect.stringMatching(/startsWith\(street, …\) needs a text of 1 to 200 characters, not (an empty text|null)/) });
      expect((await engine.resume(v.sessionId)).step.node).toBe('askStreet');
    });
  });
});
