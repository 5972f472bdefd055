// Business objects in dialogue scripts (`<fetch object>`, `<action object>`) end to end: the dialogue
// engine and a real BusinessObjects, both registered with one service manager, on SQLite and on
// PostgreSQL. Lives with the CLI's tests because the CLI is what depends on both packages (dialogue
// reaches the objects service only through the service manager).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { DialogueEngine, dialogueEngineService, ObjectAccessPolicy, type ObjectAccessRequest } from '@caruso/dialogue';

const MODEL = `<?xml version="1.0" encoding="UTF-8"?>
<model name="service" version="1">
  <object name="Customer" table="customers">
    <field name="id" type="id"/>
    <field name="customerNumber" type="string" length="10" required="true" unique="true"/>
    <field name="name" type="string" length="60"/>
  </object>
  <object name="ServiceRequest" table="service_requests" version="true">
    <field name="id" type="id"/>
    <field name="subject" type="string" length="60" required="true"/>
    <field name="email" type="email"/>
    <relation name="customer" kind="many-to-one" target="Customer" required="true"/>
  </object>
  <object name="Debt" table="debts" version="true" audited="true">
    <field name="id" type="id"/>
    <field name="amount" type="money" currency="EUR"/>
    <field name="status" type="enum" default="open">
      <option value="open" label="Open"/>
      <option value="arranged" label="Arranged"/>
      <option value="paid" label="Paid"/>
    </field>
    <relation name="customer" kind="many-to-one" target="Customer" required="true"/>
  </object>
</model>
`;

// The integrator's case of issue #16: look a customer up by the number the caller gives, create a
// service request, and arrange the oldest open debt, without a line of JavaScript.
const SCRIPT = `<?xml version="1.0" encoding="UTF-8"?>
<script id="service-request" version="1">
  <var name="customer" type="object"/>
  <var name="debts" type="list"/>
  <var name="request" type="object"/>
  <var name="problem" type="object"/>
  <question id="askNumber" var="number" type="text">
    <prompt>Your customer number?</prompt>
    <next target="found">
      <fetch object="Customer" where="customerNumber == number" into="customer"/>
    </next>
  </question>
  <decision id="found">
    <next cond="customer == null" target="unknown"/>
    <next target="askSubject">
      <fetch object="Debt" where="customer.customerNumber == number and status != 'paid'" list="true" order-by="id" limit="5" into="debts"/>
    </next>
  </decision>
  <question id="askSubject" var="subject" type="text">
    <prompt>What is it about?</prompt>
    <next target="askEmail"/>
  </question>
  <question id="askEmail" var="email" type="text">
    <prompt>Your e-mail address?</prompt>
    <next target="arrange">
      <action object="ServiceRequest" operation="create" into="request" on-invalid="reask" on-error="failed" error-into="problem">
        <param name="customerId" expr="customer.id"/>
        <param name="subject" expr="subject"/>
        <param name="email" expr="email"/>
      </action>
    </next>
  </question>
  <decision id="arrange">
    <next cond="len(debts) &gt; 0" target="done">
      <action object="Debt" operation="update" key="debts.0" on-error="failed" error-into="problem">
        <param name="status" expr="'arranged'"/>
      </action>
    </next>
    <next target="done"/>
  </decision>
  <end id="done" outcome="request-created"/>
  <end id="unknown" outcome="unknown-customer"/>
  <end id="failed" outcome="not-saved"/>
</script>
`;

// A web visitor identified as a customer sees only their own requests and files new ones for themselves.
const SELF_SERVICE = `<?xml version="1.0" encoding="UTF-8"?>
<script id="my-requests" version="1">
  <var name="mine" type="list" public="true"/>
  <var name="other" type="object"/>
  <var name="created" type="object"/>
  <question id="askOther" var="otherId" type="number">
    <prompt>Another request number?</prompt>
    <next target="file">
      <fetch object="ServiceRequest" where="subject != ''" list="true" order-by="id" into="mine"/>
      <fetch object="ServiceRequest" key="otherId" into="other"/>
    </next>
  </question>
  <question id="file" var="subject" type="text">
    <prompt>What is your new request about?</prompt>
    <next target="done">
      <action object="ServiceRequest" operation="create" into="created">
        <param name="subject" expr="subject"/>
      </action>
    </next>
  </question>
  <end id="done" outcome="filed"/>
</script>
`;

const BROKEN = `<script id="broken" version="1">
  <question id="q" type="text"><prompt>?</prompt>
    <next target="e"><fetch object="Custmer" where="customerNumber == q" into="c"/></next>
  </question>
  <end id="e" outcome="x"/>
</script>
`;

describe('<fetch object> and <action object> through the objects service', () => {
  forEachDatabase((db) => {
    let dir: string;
    let manager: ServiceManager;
    let refuseCreates = false;
    const asked: ObjectAccessRequest[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-script-objects-'));
      const scripts = join(dir, 'scripts');
      writeFileSync(join(dir, 'service.model.xml'), MODEL);
      mkdirSync(scripts);
      writeFileSync(join(scripts, 'service-request.xml'), SCRIPT);
      writeFileSync(join(scripts, 'my-requests.xml'), SELF_SERVICE);
      writeFileSync(join(scripts, 'broken.xml'), BROKEN);
      manager = createServiceManager();
      manager.register(StorageManager, storageService(await db.freshDatabase()));
      manager.register(BusinessObjects, businessObjectsService({ model: join(dir, 'service.model.xml'), schema: 'migrate' }));
      manager.register(DialogueEngine, dialogueEngineService({ folder: scripts, watch: false }));
      manager.register(ObjectAccessPolicy, {
        version: '1.0.0',
        create: () => ({
          decide(r: ObjectAccessRequest) {
            asked.push(r);
            if (refuseCreates && r.operation === 'create') return { allowed: false, reason: 'role clerk may not create ServiceRequest' };
            return { allowed: true };
          },
        }),
      });
      await manager.start();
      await manager.whenAvailable(DialogueEngine, { timeoutMs: 20_000 });
      const objects = manager.get(BusinessObjects);
      const ada = await objects.repository('Customer').create({ customerNumber: 'K1', name: 'Ada' });
      const bob = await objects.repository('Customer').create({ customerNumber: 'K2', name: 'Bob' });
      await objects.repository('Debt').create({ customerId: ada['id'], amount: { amount: 112220, currency: 'EUR' } });
      await objects.repository('Debt').create({ customerId: bob['id'], amount: { amount: 500, currency: 'EUR' } });
      await objects.repository('ServiceRequest').create({ customerId: bob['id'], subject: "Bob's meter" });
    }, 60_000);

    afterAll(async () => {
      await manager?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('checks the scripts against the model when they load: a script naming an unknown object is not served', () => {
      const ids = manager.get(DialogueEngine).scripts().map((s) => s.id).sort();
      expect(ids).toEqual(['my-requests', 'service-request']);
    });

    it('finds the customer, asks again for an e-mail the objects service refuses, creates the request and arranges the debt', async () => {
      const engine = manager.get(DialogueEngine);
      let v = await engine.startSession('service-request', { channel: 'agent', actor: { kind: 'agent', id: 'anna', roles: ['clerk'] } });
      v = await engine.answer(v.sessionId, 'K1');
      expect(v.step.node).toBe('askSubject');
      v = await engine.answer(v.sessionId, 'meter reading');
      v = await engine.answer(v.sessionId, 'not-an-address');
      expect(v.step).toMatchObject({ node: 'askEmail', kind: 'question' });
      expect(v.step.error).toMatch(/e-mail/i);
      v = await engine.answer(v.sessionId, 'ada@example.org');
      expect(v.step).toMatchObject({ kind: 'end', outcome: 'request-created' });
      const objects = manager.get(BusinessObjects);
      const [ada] = await objects.repository('Customer').query({ where: { customerNumber: 'K1' } });
      const requests = await objects.repository('ServiceRequest').query({ where: { customerId: ada?.['id'] as number } });
      expect(requests.map((r) => [r['subject'], r['email']])).toEqual([['meter reading', 'ada@example.org']]);
      const [debt] = await objects.repository('Debt').query({ where: { customerId: ada?.['id'] as number } });
      expect(debt).toMatchObject({ status: 'arranged', $version: 2 });
      const history = await objects.repository('Debt').history(debt?.['id'] as number);
      expect(history.at(-1)?.actor).toBe('agent:anna (script service-request)');
      expect(asked.some((r) => r.actor.kind === 'agent' && r.actor.id === 'anna' && r.object === 'Debt' && r.operation === 'update' && r.fields.includes('status'))).toBe(true);
    });

    it('takes the on-error exit when the debt changed since it was read (optimistic locking)', async () => {
      const engine = manager.get(DialogueEngine);
      const objects = manager.get(BusinessObjects);
      const [bob] = await objects.repository('Customer').query({ where: { customerNumber: 'K2' } });
      let v = await engine.startSession('service-request', { channel: 'agent' });
      v = await engine.answer(v.sessionId, 'K2');
      // someone changes Bob's debt between the read and the update
      const [debt] = await objects.repository('Debt').query({ where: { customerId: bob?.['id'] as number } });
      await objects.repository('Debt').update(debt?.['id'] as number, { status: 'paid' });
      v = await engine.answer(v.sessionId, 'billing');
      v = await engine.answer(v.sessionId, 'bob@example.org');
      expect(v.step).toMatchObject({ kind: 'end', outcome: 'not-saved' });
      const state = await engine.state(v.sessionId);
      expect(state.vars['problem']).toMatchObject({ code: 'conflict', fields: [] });
      expect((await objects.repository('Debt').get(debt?.['id'] as number))?.['status']).toBe('paid');
    });

    it('takes the on-error exit with code denied when the access policy refuses the write', async () => {
      const engine = manager.get(DialogueEngine);
      refuseCreates = true;
      try {
        let v = await engine.startSession('service-request', { channel: 'agent' });
        v = await engine.answer(v.sessionId, 'K1');
        v = await engine.answer(v.sessionId, 'x');
        v = await engine.answer(v.sessionId, 'ada@example.org');
        expect(v.step).toMatchObject({ kind: 'end', outcome: 'not-saved' });
        expect((await engine.state(v.sessionId)).vars['problem']).toMatchObject({ code: 'denied', message: expect.stringContaining('role clerk may not create ServiceRequest') });
      } finally {
        refuseCreates = false;
      }
    });

    it("keeps an identified web visitor to their own records and links what they create to them", async () => {
      const engine = manager.get(DialogueEngine);
      const objects = manager.get(BusinessObjects);
      const [bobsRequest] = await objects.repository('ServiceRequest').query({ where: { subject: "Bob's meter" } });
      let v = await engine.startSession('my-requests', { channel: 'web', identity: { field: 'customerNumber', key: 'K1', object: 'Customer' } });
      v = await engine.answer(v.sessionId, String(bobsRequest?.['id']));
      const state = await engine.state(v.sessionId);
      expect((state.vars['mine'] as Array<{ subject: string }>).map((r) => r.subject)).toEqual(['meter reading']);
      expect(state.vars['other']).toBeNull(); // Bob's request, asked for by its key, is not Ada's
      v = await engine.answer(v.sessionId, 'new meter');
      expect(v.step).toMatchObject({ kind: 'end', outcome: 'filed' });
      const [ada] = await objects.repository('Customer').query({ where: { customerNumber: 'K1' } });
      const [created] = await objects.repository('ServiceRequest').query({ where: { subject: 'new meter' } });
      expect(created?.['customerId']).toBe(ada?.['id']);
    });

    it('refuses object data to a visitor who has not been identified, and changes nothing', async () => {
      const engine = manager.get(DialogueEngine);
      const v = await engine.startSession('my-requests', { channel: 'web' });
      await expect(engine.answer(v.sessionId, '1')).rejects.toMatchObject({ code: 'CARUSO_DIALOGUE_NOT_IDENTIFIED' });
      expect((await engine.state(v.sessionId)).at.node).toBe('askOther');
    });
  });
});
