// Issue #16 on SQLite and PostgreSQL, over real HTTP and a real chat hub: a web visitor who typed
// their contract number in self-service and was handed to a chat shows up at the agent's desk with
// that customer (a screen pop by a collected field, and the chat linked to the record), and the
// agent's desktop script runs with the agent's role's rights: an update the role may not make is
// refused (handled by the script's on-error) and nothing is written.
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { ChatChannel, chatChannel, CommunicationServer, commsService, ContactEventLog, contactEventLogService, SimulatedTelephony, simulatedTelephonyService, systemClock, TelephonyAdapter } from '@caruso/comms';
import { DialogueEngine, dialogueEngineService, ObjectAccessPolicy } from '@caruso/dialogue';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { FrontOffice, frontOfficeService } from '@caruso/frontoffice';
import { ApiClient, loggedInClient } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';
const DIR = fixturePath('caller-rights');

interface DeskState {
  readonly contacts: ReadonlyArray<{
    readonly id: string;
    readonly customer: { readonly object: string; readonly id: string; readonly label: string | null } | null;
    readonly screenPop: { readonly object: string; readonly matches: ReadonlyArray<Record<string, unknown>>; readonly prefill: Record<string, unknown> } | null;
  }>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 250; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

forEachDatabase((db) => {
  let manager: ServiceManager;
  let url: string;
  let anna: ApiClient;
  const ids: Record<string, number> = {};
  const telephony = new SimulatedTelephony(systemClock);

  beforeAll(async () => {
    manager = createServiceManager();
    manager.register(StorageManager, storageService(await db.freshDatabase()));
    manager.register(BusinessObjects, businessObjectsService({ model: `${DIR}/model.xml`, schema: 'migrate' }));
    manager.register(DialogueEngine, dialogueEngineService({ folder: `${DIR}/scripts`, watch: false }));
    manager.register(ContactEventLog, contactEventLogService());
    manager.register(TelephonyAdapter, simulatedTelephonyService({ telephony }));
    manager.register(CommunicationServer, commsService({ queues: [{ id: 'support', wrapUpMs: 600_000 }], agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }] }));
    manager.register(ChatChannel, chatChannel({ queueId: 'support' }));
    const fo = manager.register(FrontOffice, frontOfficeService({ application: `${DIR}/app.xml`, port: 0, users: [{ name: 'anna', role: 'agent', agentId: 'anna', password: PW }], services: manager }));
    await manager.start();
    await fo.ready;
    url = manager.get(FrontOffice).url;
    const customers = manager.get(BusinessObjects).repository('Customer');
    for (const [n, name] of [['K1', 'Ada Lovelace'], ['K2', 'Bob Brown']] as const) ids[n] = (await customers.create({ customerNumber: n, name, phone: n === 'K1' ? '+31201111111' : null }))['id'] as number;
    anna = await loggedInClient(url, 'anna', PW);
  }, 90_000);
  afterAll(async () => {
    await manager?.stop();
    telephony.dispose();
  }, 30_000);

  it('registers the front office’s access policy with the service manager while it runs', () => {
    expect(manager.find(ObjectAccessPolicy.id).map((s) => [s.state, s.properties['owner']])).toEqual([['active', 'frontoffice']]);
  });

  it('pops the customer whose number a self-service visitor typed, and links the chat to it', async () => {
    const visitor = new ApiClient(url);
    const ss = (await visitor.post('/api/self-service/contract/sessions')).body as { sessionId: string };
    const handed = await visitor.post(`/api/self-service/sessions/${ss.sessionId}/answer`, { value: ' K2 ' });
    expect(handed.body).toMatchObject({ status: 'handoff' });
    const comms = manager.get(CommunicationServer);
    const chat = comms.waiting('support').find((c) => c.channel === 'chat');
    expect(chat).toBeDefined();
    const chatId = chat!.id;
    // Linked while it waits: the wrap-up and the history go to Bob.
    expect(comms.customerOf(chatId)).toEqual({ object: 'Customer', id: String(ids['K2']) });

    await anna.post('/api/agent/ready');
    const offerId = await until('the offer', async () => ((await anna.get('/api/agent')).body as { offers: { offerId: string; contactId: string }[] }).offers.find((o) => o.contactId === chatId)?.offerId);
    expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offerId)}/accept`)).status).toBe(200);
    const desk = (await anna.get('/api/desktop')).body as DeskState;
    const contact = desk.contacts.find((c) => c.id === chatId);
    expect(contact?.customer).toEqual({ object: 'Customer', id: String(ids['K2']), label: 'Bob Brown K2' });
    expect(contact?.screenPop).toMatchObject({ object: 'Customer', prefill: { customerNumber: 'K2' } });
    expect(contact?.screenPop?.matches.map((m) => m['customerNumber'])).toEqual(['K2']);
    const one = (await anna.get(`/api/contacts/${chatId}`)).body as { screenPop: { matches: Array<Record<string, unknown>> } };
    expect(one.screenPop.matches.map((m) => m['name'])).toEqual(['Bob Brown']);

    // The desktop script runs with anna's role, which may only read customers.
    const started = await anna.post('/api/scripts/sessions', { contactId: chatId });
    expect(started.status).toBe(201);
    const sessionId = (started.body as { sessionId: string }).sessionId;
    const answered = await anna.post(`/api/scripts/sessions/${sessionId}/answer`, { value: 'wants a call back', revision: (started.body as { revision: number }).revision });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ step: { kind: 'info', node: 'notSaved', prompt: 'The note was not saved (denied).' } });
    const state = await manager.get(DialogueEngine).state(sessionId);
    expect(state.actor).toEqual({ kind: 'agent', id: 'anna', roles: ['agent'] });
    expect(state.vars['customer']).toMatchObject({ customerNumber: 'K2', name: 'Bob Brown' });
    expect(state.vars['problem']).toMatchObject({ code: 'denied', message: expect.stringContaining('the role agent may not update Customer records') });
    expect((await manager.get(BusinessObjects).repository('Customer').get(ids['K2'] as number))?.['note']).toBeNull();
    await anna.post(`/api/contacts/${chatId}/hang-up`);
    await until('the wrap-up', () => (comms.agent('anna').state === 'wrap-up' ? true : undefined));
    expect((await anna.post(`/api/contacts/${chatId}/wrap-up`, { code: 'solved', channel: 'chat' })).status).toBe(200);
  });

  it('pops by a number the IVR collected when the caller’s number finds nobody, and links the call', async () => {
    const comms = manager.get(CommunicationServer);
    // A callback carrying what an IVR collected (a date of birth that is no date, a contract
    // number), from a number nobody has.
    const c = await comms.enqueue({ channel: 'callback', queueId: 'support', data: { callbackNumber: '+31209999999', birthDate: '31-02-1980', contractNumber: 'K1' } });
    expect((await anna.post('/api/agent/ready')).status).toBe(200);
    const offerId = await until('the offer', async () => ((await anna.get('/api/agent')).body as { offers: { offerId: string; contactId: string }[] }).offers.find((o) => o.contactId === c.id)?.offerId);
    expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offerId)}/accept`)).status).toBe(200);
    const contact = await until('the screen pop', async () => ((await anna.get('/api/desktop')).body as DeskState).contacts.find((x) => x.id === c.id));
    // The phone pop finds nobody at +31209999999, the date pop nothing; the contract pop finds Ada by K1.
    expect(contact.screenPop?.matches.map((m) => m['name'])).toEqual(['Ada Lovelace']);
    expect(contact.screenPop?.prefill).toEqual({ customerNumber: 'K1' });
    await until('the link', () => (comms.customerOf(c.id)?.id === String(ids['K1']) ? true : undefined));
  });

  it('a desktop script session saved before sessions named their actor runs with the agent’s role from its next step', async () => {
    const comms = manager.get(CommunicationServer);
    const [callId] = comms.agent('anna').contactIds;
    expect(callId).toBeDefined();
    const started = await anna.post('/api/scripts/sessions', { contactId: callId });
    expect(started.status).toBe(201);
    const { sessionId, revision } = started.body as { sessionId: string; revision: number };
    // As an older release saved it: no actor in the stored state.
    const knex = manager.get(StorageManager).knex;
    const row = (await knex('dialogue_sessions').where({ id: sessionId }).first('state')) as { state: string };
    const { actor, ...older } = JSON.parse(row.state) as Record<string, unknown>;
    expect(actor).toEqual({ kind: 'agent', id: 'anna', roles: ['agent'] });
    await knex('dialogue_sessions').where({ id: sessionId }).update({ state: JSON.stringify(older) });
    expect((await manager.get(DialogueEngine).state(sessionId)).actor).toBeUndefined();

    // The fetch needs the role's read right and the update is refused for the role, not for a
    // session without one ("names no role"), which the script could not handle at its fetch.
    const answered = await anna.post(`/api/scripts/sessions/${sessionId}/answer`, { value: 'called about the K1 contract', revision });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ step: { kind: 'info', node: 'notSaved' } });
    const state = await manager.get(DialogueEngine).state(sessionId);
    expect(state.actor).toEqual({ kind: 'agent', id: 'anna', roles: ['agent'] });
    expect(state.vars['customer']).toMatchObject({ customerNumber: 'K1', name: 'Ada Lovelace' });
    expect(state.vars['problem']).toMatchObject({ code: 'denied', message: expect.stringContaining('the role agent may not update Customer records') });
  });
});
