import { forEachDatabase } from '@caruso/storage/testing';
import type { ContactEventInput } from '@caruso/comms';
import { loggedInClient, startTestAssembly, type ApiClient, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';
type Body = Record<string, unknown>;
type Item = Body & { kind: string; at: number };
type NewEvent = ContactEventInput;

/** A small seeded generator (mulberry32): the same day every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = ['ivr-call', 'call', 'abandoned', 'voicemail', 'callback', 'campaign', 'email', 'chat', 'ivr-only'] as const;
type Kind = (typeof KINDS)[number];

/** The events of one contact of `kind` for `customer`, starting at `t`. */
function contactEvents(kind: Kind, id: string, customer: { object: string; id: string }, t: number, pick: () => number): NewEvent[] {
  const q = 'support';
  const agent = pick() < 0.5 ? 'anna' : 'bob';
  const talk = 30_000 + Math.floor(pick() * 300_000);
  const data = { data: { customer } };
  switch (kind) {
    case 'ivr-call':
      return [
        { kind: 'queue-entered', at: t, contactId: id, queueId: q, channel: 'call', direction: 'inbound', data: { data: { customer, ivrScript: 'main-menu' } } },
        { kind: 'connected', at: t + 4_000, contactId: id, queueId: q, agentId: agent, channel: 'call', waitMs: 4_000 },
        { kind: 'completed', at: t + 4_000 + talk, contactId: id, queueId: q, agentId: agent, channel: 'call', reason: 'agent', talkMs: talk },
      ] as NewEvent[];
    case 'call':
      return [
        { kind: 'queue-entered', at: t, contactId: id, queueId: q, channel: 'call', direction: 'inbound', data },
        { kind: 'connected', at: t + 9_000, contactId: id, queueId: q, agentId: agent, channel: 'call', waitMs: 9_000 },
        { kind: 'completed', at: t + 9_000 + talk, contactId: id, queueId: q, agentId: agent, channel: 'call', reason: 'agent', talkMs: talk },
      ] as NewEvent[];
    case 'abandoned':
      return [
        { kind: 'queue-entered', at: t, contactId: id, queueId: q, channel: 'call', direction: 'inbound', data },
        { kind: 'abandoned', at: t + 20_000, contactId: id, queueId: q, channel: 'call', waitMs: 20_000 },
      ] as NewEvent[];
    case 'voicemail':
      return [
        { kind: 'queue-entered', at: t, contactId: id, queueId: q, channel: 'call', direction: 'inbound', data },
        { kind: 'exited', at: t + 60_000, contactId: id, queueId: q, channel: 'call', reason: 'voicemail', waitMs: 60_000 },
      ] as NewEvent[];
    case 'callback':
      return [
        { kind: 'queue-entered', at: t, contactId: id, queueId: q, channel: 'callback', direction: 'outbound', data },
        { kind: 'callback-attempted', at: t + 5_000, contactId: id, queueId: q, channel: 'callback', data: { attempt: 1 } },
        { kind: 'connected', at: t + 10_000, contactId: id, queueId: q, agentId: agent, channel: 'callback', waitMs: 10_000 },
        { kind: 'completed', at: t + 10_000 + talk, contactId: id, queueId: q, agentId: agent, channel: 'callback', reason: 'agent', talkMs: talk },
      ] as NewEvent[];
    case 'campaign':
      return [
        { kind: 'queue-entered', at: t, contactId: id, queueId: q, channel: 'call', direction: 'outbound', data: { data: { customer, campaignId: 'winter-check' } } },
        { kind: 'connected', at: t + 2_000, contactId: id, queueId: q, agentId: agent, channel: 'call', waitMs: 2_000 },
        { kind: 'completed', at: t + 2_000 + talk, contactId: id, queueId: q, agentId: agent, channel: 'call', reason: 'agent', talkMs: talk },
      ] as NewEvent[];
    case 'email':
      return [
        { kind: 'queue-entered', at: t, contactId: id, queueId: q, channel: 'email', direction: 'inbound', data },
        { kind: 'connected', at: t + 600_000, contactId: id, queueId: q, agentId: agent, channel: 'email', waitMs: 600_000 },
        { kind: 'completed', at: t + 600_000 + talk, contactId: id, queueId: q, agentId: agent, channel: 'email', reason: 'agent', talkMs: talk },
      ] as NewEvent[];
    case 'chat':
      return [
        { kind: 'queue-entered', at: t, contactId: id, queueId: q, channel: 'chat', direction: 'inbound', data },
        { kind: 'connected', at: t + 15_000, contactId: id, queueId: q, agentId: agent, channel: 'chat', waitMs: 15_000 },
        { kind: 'completed', at: t + 15_000 + talk, contactId: id, queueId: q, agentId: agent, channel: 'chat', reason: 'agent', talkMs: talk },
      ] as NewEvent[];
    case 'ivr-only':
      return [
        { kind: 'disposition', at: t, contactId: id, channel: 'call', reason: 'ivr-end', data: { outcome: 'meter-reading-given', script: 'meter-ivr' } },
        { kind: 'customer-linked', at: t + 1, contactId: id, reason: 'linked', data: { customer } },
      ] as NewEvent[];
  }
}

describe('a customer\'s history after a generated day of mixed contacts', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly;
    let anna: ApiClient;
    let sam: ApiClient;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }, { id: 'bob', queues: [{ queueId: 'support' }] }],
        users: [
          { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
          { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
        ],
      });
      [anna, sam] = await Promise.all([loggedInClient(asm.url, 'anna', PW), loggedInClient(asm.url, 'sam', PW)]);
    }, 60_000);
    afterAll(async () => {
      await asm?.stop();
    });

    it('holds exactly the contacts, notes and tasks of each customer, none missing, none of another, newest first', async () => {
      const pick = seeded(20261207);
      const customers: string[] = [];
      for (let i = 0; i < 14; i++) {
        const r = await anna.post('/api/objects/Customer', { firstName: `Gen${i}`, lastName: `Customer${i}`, phone: `+3250${String(100000 + i)}` });
        expect(r.status).toBe(201);
        customers.push(String((r.body as { data: { id: number } }).data.id));
      }
      // A day: 150 contacts at distinct moments, each of a random kind for a random customer.
      const expected = new Map<string, { id: string; at: number }[]>(customers.map((c) => [c, []]));
      const dayStart = asm.comms.now() - 26 * 3_600_000;
      let t = dayStart;
      const events: NewEvent[] = [];
      for (let n = 0; n < 150; n++) {
        t += 60_000 + Math.floor(pick() * 400_000);
        const customer = customers[Math.floor(pick() * customers.length)]!;
        const kind = KINDS[Math.floor(pick() * KINDS.length)]!;
        const id = `day-${n}-${kind}`;
        const own = contactEvents(kind, id, { object: 'Customer', id: customer }, t, pick);
        events.push(...own);
        // A contact is in the history at the moment it ended (an IVR-only call: when the IVR ended it).
        expected.get(customer)!.push({ id, at: Math.max(...own.filter((e) => e.kind !== 'customer-linked').map((e) => e.at)) });
      }
      // The contacts overlap in time: the log gets their events in the order of their moments.
      events.sort((a, b) => a.at - b.at);
      for (const e of events) asm.events.append(e);
      await asm.events.flush();
      // Notes and tasks by people, on random customers.
      const notes = new Map<string, string[]>(customers.map((c) => [c, []]));
      const tasks = new Map<string, string[]>(customers.map((c) => [c, []]));
      const statuses: number[] = [];
      for (let n = 0; n < 20; n++) {
        const customer = customers[Math.floor(pick() * customers.length)]!;
        const isNote = pick() < 0.5;
        const r = isNote
          ? await anna.post(`/api/objects/Customer/${customer}/notes`, { text: `Note ${n}` })
          : await sam.post('/api/tasks', { object: 'Customer', recordId: customer, title: `Task ${n}`, due: asm.comms.now() + 3_600_000, assignee: { user: 'anna' }, kind: 'todo' });
        statuses.push(r.status);
        (isNote ? notes : tasks).get(customer)!.push((r.body as { id: string }).id);
      }
      expect(statuses).toEqual(Array.from({ length: 20 }, () => 201));
      // The interaction records are written from the log: wait (bounded) for all of them.
      const deadline = Date.now() + 30_000;
      for (const c of customers) {
        while ((await asm.comms.history('Customer', c, { limit: 1000 })).length < expected.get(c)!.length) {
          if (Date.now() > deadline) throw new Error(`the interaction records of Customer ${c} did not arrive`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }

      for (const c of customers) {
        const r = await anna.get(`/api/objects/Customer/${c}/history?limit=200`);
        expect(r.status).toBe(200);
        const body = r.body as { items: Item[]; next: string | null };
        expect(body.next).toBeNull();
        const contacts = body.items.filter((i) => i.kind === 'contact');
        const want = [...expected.get(c)!].sort((a, b) => b.at - a.at);
        // Exactly this customer's contacts, newest first, each at the moment it ended.
        expect({ customer: c, contacts: contacts.map((i) => i['contactId']) }).toEqual({ customer: c, contacts: want.map((w) => w.id) });
        expect(contacts.map((i) => i.at)).toEqual(want.map((w) => w.at));
        expect({ customer: c, notes: body.items.filter((i) => i.kind === 'note').map((i) => i['id']).sort() }).toEqual({ customer: c, notes: [...notes.get(c)!].sort() });
        expect({ customer: c, tasks: body.items.filter((i) => i.kind === 'task').map((i) => i['id']).sort() }).toEqual({ customer: c, tasks: [...tasks.get(c)!].sort() });
        expect(body.items.map((i) => i.at)).toEqual([...body.items.map((i) => i.at)].sort((a, b) => b - a));
      }
      // Every kind of contact of the day is somewhere in the histories.
      const kinds = new Set([...expected.values()].flat().map((w) => w.id.replace(/^day-\d+-/, '')));
      expect([...kinds].sort()).toEqual([...KINDS].sort());
    }, 120_000);
  });
});
