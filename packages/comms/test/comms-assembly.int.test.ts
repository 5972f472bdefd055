import { jest } from '@jest/globals';
import { AccessList, createServiceManager, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { DialogueEngine, dialogueEngineService } from '@caruso/dialogue';
import {
  ChatChannel,
  CommunicationServer,
  ContactEventLog,
  EmailChannel,
  SimulatedTelephony,
  TelephonyAdapter,
  VirtualClock,
  chatChannel,
  commsService,
  contactEventLogService,
  emailChannel,
  simulatedTelephonyService,
  type ContactEvent,
  type Offer,
} from '@caruso/comms';
import { connect, type ChatClient } from './chat-helpers.js';
import { sendTo } from './email-helpers.js';
import { IVR_FIXTURES } from './ivr-helpers.js';

jest.setTimeout(20_000);

const access = new AccessList([{ principal: 'fred', secret: 'fred-agent-token-0123456789' }]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the whole communication server assembled in a real service manager', () => {
  forEachDatabase((db) => {
    let services: ServiceManager | undefined;
    const clients: ChatClient[] = [];
    let telephony: SimulatedTelephony | undefined;
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await services?.stop();
      telephony?.dispose();
      services = undefined;
    });

    it('runs a call through IVR → queue → agent → wrap-up, then an e-mail and a chat in the same queue, all in the one shared event log', async () => {
      const clock = new VirtualClock();
      telephony = new SimulatedTelephony(clock);
      const m = createServiceManager();
      services = m;
      m.register(StorageManager, storageService(await db.freshDatabase()));
      // Registered before the log and the adapter on purpose: optional dependencies that are still starting are waited for.
      m.register(
        CommunicationServer,
        commsService({
          clock,
          queues: [{ id: 'general' }, { id: 'billing' }, { id: 'faults', wrapUpMs: 30_000 }, { id: 'voicemail' }],
          agents: [{ id: 'fred', skills: { power: 3 }, queues: [{ queueId: 'faults' }, { queueId: 'general' }], endpoint: 'sip:fred@pbx' }],
          telephony: { entryPoints: [{ number: '0800-utility', queueId: 'general', script: 'main-menu' }, { queueId: 'general' }] },
        }),
      );
      m.register(ContactEventLog, contactEventLogService());
      m.register(TelephonyAdapter, simulatedTelephonyService({ telephony }));
      m.register(DialogueEngine, dialogueEngineService({ folder: IVR_FIXTURES, watch: false }));
      m.register(EmailChannel, emailChannel({ queueId: 'faults', port: 0, clock }));
      m.register(ChatChannel, chatChannel({ queueId: 'faults', port: 0, clock, authenticateAgent: (t) => access.authenticate(t) }));
      await m.start();
      expect(m.list().filter((s) => s.state !== 'active').map((s) => `${s.tokenId} ${s.state}`)).toEqual([]);

      const comms = m.get(CommunicationServer);
      const log = m.get(ContactEventLog);
      // The monitor's way in: the log under its token sees what the server appends (one instance, not one table).
      const seen: ContactEvent[] = [];
      const sub = log.onDidAppend((e) => seen.push(e));
      const offers: Offer[] = [];
      const offerSub = comms.onDidOffer((o) => offers.push(o));
      await comms.login('fred');

      // A call: the IVR (keys 2 = faults, then the meter number) hands it to the faults queue; fred's phone answers.
      const callId = telephony.placeInboundCall({ from: '+3212345678', to: '0800-utility', talkMs: 600_000, keys: ['2', '123456#'] });
      for (let i = 0; i < 400 && comms.agent('fred').state !== 'busy'; i++) {
        clock.advance(250);
        await sleep(5);
      }
      expect(comms.agentWork('fred')).toMatchObject({ agent: { state: 'busy', contactIds: [callId] }, offers: [], wrapUps: [] });
      expect(comms.contact(callId)?.data).toMatchObject({ menu: 'fault', meter: '123456', caller: '+3212345678' });
      clock.advance(45_000);
      const hungUpAt = clock.now();
      await comms.hangUp(callId);
      expect(telephony.isActive(callId)).toBe(false);
      expect(comms.agentWork('fred')).toMatchObject({ agent: { state: 'wrap-up' }, contacts: [], wrapUps: [{ contactId: callId, queueId: 'faults', channel: 'call' }] });
      await comms.wrapUp('fred', callId, 'meter-reading-taken', { note: 'reading corrected' });
      expect(comms.agent('fred').state).toBe('ready');

      // An e-mail over real SMTP into the same queue.
      const emailPort = m.get(EmailChannel).address()!.port;
      await sendTo(emailPort, { from: 'ada@example.org', to: 'support@example.com', subject: 'Meter reading', text: 'My reading is 123456.' });
      for (let i = 0; i < 200 && !offers.some((o) => o.channel === 'email'); i++) await sleep(10);
      const mailOffer = offers.find((o) => o.channel === 'email')!;
      expect(mailOffer).toMatchObject({ agentId: 'fred', queueId: 'faults' });
      await comms.accept(mailOffer.offerId);
      clock.advance(120_000);
      await comms.hangUp(mailOffer.contactId);
      await comms.wrapUp('fred', mailOffer.contactId, 'answered');

      // A chat from a customer over a real WebSocket, into the same queue.
      const chat = m.get(ChatChannel);
      const opened = await chat.openChat({ customerName: 'Ada', subject: 'meter' });
      const customer = await connect(chat.address()!.port, '/chat/customer', opened.token);
      clients.push(customer);
      await customer.next((f) => f['type'] === 'welcome');
      for (let i = 0; i < 200 && !offers.some((o) => o.channel === 'chat'); i++) await sleep(10);
      const chatOffer = offers.find((o) => o.channel === 'chat')!;
      expect(chatOffer).toMatchObject({ agentId: 'fred', queueId: 'faults', contactId: opened.chatId });
      await comms.accept(chatOffer.offerId);
      await customer.next((f) => f['type'] === 'connected');
      clock.advance(90_000);
      await comms.complete(opened.chatId);
      await comms.wrapUp('fred', opened.chatId, 'solved');

      expect(comms.queues().map((q) => [q.queueId, q.waiting])).toEqual([['general', 0], ['billing', 0], ['faults', 0], ['voicemail', 0]]);
      expect(comms.agents()).toMatchObject([{ id: 'fred', state: 'ready' }]);
      sub.dispose();
      offerSub.dispose();

      const kinds = async (id: string) => (await log.read({ contactId: id })).map((e) => [e.kind, e.queueId ?? null, e.reason ?? null]);
      expect(await kinds(callId)).toEqual([
        ['queue-entered', 'faults', null],
        ['offered', 'faults', null],
        ['connected', 'faults', null],
        ['completed', 'faults', 'agent'],
        ['disposition', 'faults', 'meter-reading-taken'],
        ['wrap-up-ended', 'faults', null],
      ]);
      const callEvents = await log.read({ contactId: callId });
      const connectedAt = callEvents.find((e) => e.kind === 'connected')!.at;
      expect(callEvents.find((e) => e.kind === 'completed')).toMatchObject({ agentId: 'fred', talkMs: hungUpAt - connectedAt });
      expect(hungUpAt - connectedAt).toBeGreaterThanOrEqual(45_000);
      for (const [id, channel, disposition] of [[mailOffer.contactId, 'email', 'answered'], [opened.chatId, 'chat', 'solved']] as const) {
        const events = await log.read({ contactId: id });
        expect(events.map((e) => e.kind)).toEqual(['queue-entered', 'offered', 'connected', 'completed', 'disposition', 'wrap-up-ended']);
        expect(events.every((e) => e.channel === channel && e.queueId === 'faults')).toBe(true);
        expect(events.find((e) => e.kind === 'disposition')?.reason).toBe(disposition);
      }
      // Everything reached the log the monitor reads, through the one instance.
      expect(seen.some((e) => e.contactId === callId && e.kind === 'disposition')).toBe(true);
      expect(seen.some((e) => e.contactId === opened.chatId && e.kind === 'completed')).toBe(true);
      // And it is durable: the table holds what the log returned.
      const rows = await m.get(StorageManager).knex('caruso_contact_events').count({ n: '*' }).first();
      expect(Number((rows as { n: number | string }).n)).toBe(log.lastSeq);
    });

    it('keeps a voicemail left by a caller nobody answered, with its audio, for the customer history', async () => {
      const clock = new VirtualClock();
      telephony = new SimulatedTelephony(clock);
      const m = createServiceManager();
      services = m;
      m.register(StorageManager, storageService(await db.freshDatabase()));
      m.register(CommunicationServer, commsService({
        clock,
        queues: [{ id: 'general', overflow: [{ afterMs: 10_000, action: 'voicemail' }] }, { id: 'voicemail' }],
        agents: [{ id: 'fred', queues: [{ queueId: 'general' }] }],
        telephony: { entryPoints: [{ queueId: 'general' }] },
      }));
      m.register(TelephonyAdapter, simulatedTelephonyService({ telephony }));
      await m.start();
      const comms = m.get(CommunicationServer);
      expect(await comms.voicemails()).toEqual([]);
      const callId = telephony.placeInboundCall({ from: '+32470123456', to: 'main', talkMs: 20_000 });
      for (let i = 0; i < 200 && (await comms.voicemails()).length === 0; i++) {
        clock.advance(1_000);
        await new Promise((r) => setTimeout(r, 10));
      }
      const [listed] = await comms.voicemails();
      expect(listed).toMatchObject({ callId, from: '+32470123456', queueId: 'general' });
      expect(listed).not.toHaveProperty('audio');
      const message = await comms.voicemail(listed!.id);
      expect(message?.audio.length).toBeGreaterThan(44);
      expect(await comms.voicemail('no-such-message')).toBeUndefined();
    });
  });
});
