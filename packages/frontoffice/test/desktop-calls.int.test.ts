import { SimulatedTelephony, systemClock } from '@caruso/comms';
import { forEachDatabase } from '@caruso/storage/testing';
import { loggedInClient, startTestAssembly, type ApiClient, type TestAssembly } from '@caruso/frontoffice/testing';
import type { DeskContact, DeskContactAnswer, DesktopState, DeskTransferTargets } from '../src/common/desktop-types.js';
import { fixturePath } from './fixture.js';
import { restContract } from './rest-contract.js';
import { until } from './smtp-helpers.js';

const PW = 'correct horse battery';
const code = (r: { body: unknown }): string | undefined => (r.body as { error?: { code: string } }).error?.code;

describe('call control from the agent desktop drives the (simulated) telephony', () => {
  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: TestAssembly;
    let telephony: SimulatedTelephony;
    let erik: ApiClient;
    let fay: ApiClient;
    let admin: ApiClient;
    let gina: string;

    beforeAll(async () => {
      telephony = new SimulatedTelephony(systemClock);
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: fixturePath('crm.app.xml'),
        scripts: fixturePath('scripts'),
        queues: [{ id: 'support', wrapUpMs: 600_000 }, { id: 'sales', wrapUpMs: 600_000 }],
        agents: [{ id: 'erik', queues: [{ queueId: 'support' }] }, { id: 'fay', queues: [{ queueId: 'support' }, { queueId: 'sales' }] }],
        users: [
          { name: 'erik', role: 'agent', agentId: 'erik', password: PW },
          { name: 'fay', role: 'agent', agentId: 'fay', password: PW },
          { name: 'admin', role: 'administrator', agentId: undefined, password: PW },
        ],
        chat: { queueId: 'support', port: 0 },
        telephony,
      });
      erik = await loggedInClient(asm.url, 'erik', PW);
      fay = await loggedInClient(asm.url, 'fay', PW);
      admin = await loggedInClient(asm.url, 'admin', PW);
      gina = String(((await admin.post('/api/objects/Customer', { firstName: 'Gina', lastName: 'Phone', phone: '+3212345100' })).body as { data: { id: number } }).data.id);
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
      telephony?.dispose();
    });

    const desk = async (c: ApiClient): Promise<DesktopState> => (await c.get('/api/desktop')).body as DesktopState;
    const contactOf = async (c: ApiClient, id: string): Promise<DeskContact | undefined> => (await desk(c)).contacts.find((x) => x.id === id);
    /** A caller dials in; erik's phone answers at once (the simulated endpoint). */
    const inbound = async (from: string): Promise<string> => {
      const callId = telephony.placeInboundCall({ from, to: 'main', talkMs: 600_000 });
      await until(() => asm.comms.contact(callId)?.state === 'connected', `call ${callId} connected`);
      return callId;
    };

    it('holds, retrieves, mutes and sends DTMF on a connected call; the desk and the log show it', async () => {
      await erik.post('/api/agent/ready');
      const callId = await inbound('+3212345100');
      expect(asm.comms.contact(callId)?.agentIds).toEqual(['erik']);
      await until(() => asm.comms.customerOf(callId)?.id === gina, 'the call linked to Gina');

      const held = await erik.post(`/api/contacts/${callId}/hold`);
      expect(held.status).toBe(200);
      expect((held.body as DeskContactAnswer).contact).toMatchObject({ id: callId, held: true, customer: { id: gina, label: 'Gina Phone' } });
      expect((await contactOf(erik, callId))?.held).toBe(true);
      expect((await asm.events.read({ contactId: callId })).map((e) => e.kind)).toContain('held');
      expect(((await erik.post(`/api/contacts/${callId}/retrieve`)).body as DeskContactAnswer).contact?.held).toBe(false);

      expect(((await erik.post(`/api/contacts/${callId}/mute`, { muted: true })).body as DeskContactAnswer).contact?.muted).toBe(true);
      expect(telephony.isMuted(callId)).toBe(true);
      expect((await erik.post(`/api/contacts/${callId}/mute`, { muted: 'yes' })).status).toBe(400);
      expect(((await erik.post(`/api/contacts/${callId}/mute`, { muted: false })).body as DeskContactAnswer).contact?.muted).toBe(false);
      expect(telephony.isMuted(callId)).toBe(false);

      expect((await erik.post(`/api/contacts/${callId}/dtmf`, { digits: '12#' })).status).toBe(200);
      expect(telephony.dtmfSent(callId)).toBe('12#');
      expect((await erik.post(`/api/contacts/${callId}/dtmf`, { digits: '12x' })).status).toBe(400);
      expect((await erik.post(`/api/contacts/${callId}/dtmf`, { digits: '' })).status).toBe(400);
      expect(telephony.dtmfSent(callId)).toBe('12#');
      // Only the agent's own contacts.
      expect((await fay.post(`/api/contacts/${callId}/hold`)).status).toBe(404);
      expect((await erik.post('/api/contacts/no-such-call/hold')).status).toBe(404);
    }, 30_000);

    it('consults a queue (its free agent) and completes the transfer: the call moves to that agent', async () => {
      const callId = (await desk(erik)).contacts[0]!.id;
      // Nobody of sales is free: the consultation is refused and nothing changes.
      await fay.post('/api/agent/pause', { reason: 'break' });
      expect((await erik.post(`/api/contacts/${callId}/transfer`, { mode: 'consult', queueId: 'sales' })).status).toBe(409);
      expect(asm.comms.contact(callId)).toMatchObject({ held: false });
      await fay.post('/api/agent/ready');
      const targets = (await erik.get('/api/agent/transfer-targets')).body as DeskTransferTargets;
      expect(targets.agents[0]).toEqual({ id: 'fay', state: 'ready' });
      expect(targets.queues).toEqual(['support', 'sales']);

      // Bad requests change nothing.
      expect((await erik.post(`/api/contacts/${callId}/transfer`, { mode: 'consult', agentId: 'fay', queueId: 'sales' })).status).toBe(400);
      expect((await erik.post(`/api/contacts/${callId}/transfer`, { mode: 'consult', queueId: 'no-such-queue' })).status).toBe(400);
      expect((await erik.post(`/api/contacts/${callId}/transfer`, { mode: 'consult', agentId: 'erik' })).status).toBe(400);
      expect((await erik.post(`/api/contacts/${callId}/transfer`, { mode: 'consult', agentId: 'nobody' })).status).toBe(404);
      expect(asm.comms.contact(callId)?.consult).toBeUndefined();

      // The sales queue picks fay, its free agent.
      const consulting = await erik.post(`/api/contacts/${callId}/transfer`, { mode: 'consult', queueId: 'sales' });
      expect(consulting.status).toBe(200);
      expect((consulting.body as DeskContactAnswer).contact?.consult).toMatchObject({ party: { agentId: 'fay' } });
      await until(() => asm.comms.contact(callId)?.consult?.answered === true, 'fay answered the consultation');
      expect((await contactOf(erik, callId))?.consult).toEqual({ party: { agentId: 'fay' }, answered: true });

      const done = await erik.post(`/api/contacts/${callId}/consult/complete`, { outcome: 'transfer' });
      expect(done.status).toBe(200);
      expect(done.body).toEqual({ contact: null });
      expect(asm.comms.contact(callId)).toMatchObject({ state: 'connected', agentIds: ['fay'] });
      // The customer stays linked across the transfer; fay's desk has the call now, erik's its wrap-up.
      expect((await contactOf(fay, callId))?.customer?.id).toBe(gina);
      expect((await desk(erik)).wrapUps.map((w) => w.contactId)).toEqual([callId]);
      expect((await erik.post(`/api/contacts/${callId}/wrap-up`, { code: 'solved' })).status).toBe(200);
      expect((await fay.post(`/api/contacts/${callId}/hang-up`)).status).toBe(200);
      expect((await fay.post(`/api/contacts/${callId}/wrap-up`, { code: 'solved' })).status).toBe(200);
      expect((await asm.comms.history('Customer', gina)).map((r) => r.contactId)).toContain(callId);
    }, 30_000);

    it('cancels a consultation, and conferences another agent who then leaves', async () => {
      await erik.post('/api/agent/ready');
      await fay.post('/api/agent/ready');
      await until(() => asm.comms.agent('erik').state === 'ready' && asm.comms.agent('fay').state === 'ready', 'both ready');
      await fay.post('/api/agent/pause', { reason: 'break' });
      const callId = await inbound('+3212345100');
      expect(asm.comms.contact(callId)?.agentIds).toEqual(['erik']);
      await fay.post('/api/agent/ready');

      expect((await erik.post(`/api/contacts/${callId}/transfer`, { mode: 'consult', agentId: 'fay' })).status).toBe(200);
      await until(() => asm.comms.contact(callId)?.consult?.answered === true, 'fay answered the consultation');
      const cancelled = await erik.post(`/api/contacts/${callId}/consult/cancel`);
      expect(cancelled.status).toBe(200);
      expect((cancelled.body as DeskContactAnswer).contact).toMatchObject({ consult: null, held: false });
      await until(() => asm.comms.agent('fay').state === 'ready', 'fay free again');

      expect((await erik.post(`/api/contacts/${callId}/conference`, { agentId: 'fay', number: '+3212345999' })).status).toBe(400);
      expect((await erik.post(`/api/contacts/${callId}/conference`, { agentId: 'fay' })).status).toBe(200);
      await until(() => (asm.comms.contact(callId)?.conferees ?? []).includes('fay'), 'fay in the conference');
      expect((await contactOf(erik, callId))?.conferees).toEqual(['fay']);
      expect((await fay.post(`/api/contacts/${callId}/conference/leave`)).status).toBe(200);
      await until(() => !(asm.comms.contact(callId)?.conferees ?? []).includes('fay'), 'fay left the conference');
      expect(asm.comms.contact(callId)).toMatchObject({ state: 'connected', agentIds: ['erik'] });

      expect((await erik.post(`/api/contacts/${callId}/hang-up`)).status).toBe(200);
      expect((await erik.post(`/api/contacts/${callId}/wrap-up`, { code: 'solved' })).status).toBe(200);
      for (const w of asm.comms.agentWork('fay').wrapUps) await fay.post(`/api/contacts/${w.contactId}/wrap-up`, { code: 'solved' });
      await fay.post('/api/agent/logout');
    }, 30_000);

    it('refuses call control on a chat (409) and transfers a chat blind to a queue', async () => {
      await erik.post('/api/agent/ready');
      await fay.post('/api/agent/logout');
      const chat = await asm.chat!.openChat({ customerName: 'Hank' });
      let offerId: string | undefined;
      await until(() => (offerId = asm.comms.pendingOffers('erik').find((o) => o.contactId === chat.chatId)?.offerId) !== undefined, 'the chat offered to erik');
      await erik.post(`/api/agent/offers/${encodeURIComponent(offerId!)}/accept`);
      const hold = await erik.post(`/api/contacts/${chat.chatId}/hold`);
      expect(hold.status).toBe(409);
      expect(code(hold)).toBe('CARUSO_FRONTOFFICE_NOT_A_CALL');
      expect((await erik.post(`/api/contacts/${chat.chatId}/transfer`, { mode: 'consult', agentId: 'fay' })).status).toBe(409);
      expect((await erik.post(`/api/contacts/${chat.chatId}/transfer`, { mode: 'blind', number: '+3212345999' })).status).toBe(409);
      expect((await erik.post(`/api/contacts/${chat.chatId}/transfer`, { mode: 'blind', queueId: 'nowhere' })).status).toBe(400);
      const moved = await erik.post(`/api/contacts/${chat.chatId}/transfer`, { mode: 'blind', queueId: 'sales' });
      expect(moved.status).toBe(200);
      expect(moved.body).toEqual({ contact: null });
      expect(asm.comms.contact(chat.chatId)).toMatchObject({ queueId: 'sales' });
      await erik.post(`/api/contacts/${chat.chatId}/wrap-up`, { code: 'solved' }).catch(() => undefined);
      await asm.comms.abandon(chat.chatId).catch(() => undefined);
    }, 30_000);

    it('dials out for the agent: a connected outbound call with its customer', async () => {
      await until(() => asm.comms.agent('erik').state !== 'reserved', 'erik free');
      await erik.post('/api/agent/ready');
      telephony.setDestination('+3212345100', { result: 'answered', resultAfterMs: 50, talkMs: 600_000 });
      expect((await erik.post('/api/agent/dial', { number: 'call me' })).status).toBe(400);
      expect((await erik.post('/api/agent/dial', { number: '+3212345100', object: 'Customer' })).status).toBe(400);
      expect((await erik.post('/api/agent/dial', { number: '+3212345100', object: 'Customer', recordId: 999999 })).status).toBe(404);
      expect((await erik.post('/api/agent/dial', { number: '+3212345100', queueId: 'nowhere' })).status).toBe(400);
      const r = await erik.post('/api/agent/dial', { number: '+32 1234 5100', object: 'Customer', recordId: Number(gina) });
      expect(r.status).toBe(201);
      const c = (r.body as { contact: DeskContact }).contact;
      expect(c).toMatchObject({ channel: 'call', direction: 'outbound', customer: { object: 'Customer', id: gina, label: 'Gina Phone' } });
      await until(() => asm.comms.contact(c.id)?.state === 'connected' && asm.comms.contact(c.id)?.agentIds.includes('erik') === true, 'the dialled call connected to erik');
      expect(telephony.dialled).toContain('+3212345100');
      expect((await contactOf(erik, c.id))).toMatchObject({ direction: 'outbound', customer: { id: gina } });
      expect((await erik.post(`/api/contacts/${c.id}/hang-up`)).status).toBe(200);
      expect((await erik.post(`/api/contacts/${c.id}/wrap-up`, { code: 'follow-up' })).status).toBe(200);
      expect((await asm.comms.history('Customer', gina))[0]).toMatchObject({ contactId: c.id, disposition: 'follow-up' });
      await erik.post('/api/agent/logout');
    }, 30_000);

    it('answers only in the documented shapes', () => {
      expectAllDocumented(asm);
    });
  });
});
