import { SimulatedTelephony, VirtualClock, foldContacts, parseContactEvent, type QueueConfig, type TelephonyEvent } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';

/** Call control of the agent desktop (issue 14): hold, mute, DTMF, attended transfer, manual dial, the contact's customer. */
function setup(queue: Partial<QueueConfig> = {}, agents = ['a1', 'a2']) {
  const clock = new VirtualClock();
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
  const telephony = new SimulatedTelephony(clock);
  const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'main' });
  const calls: TelephonyEvent[] = [];
  telephony.onDidEvent((e) => calls.push(e));
  router.addQueue({ id: 'main', strategy: 'linear', wrapUpMs: 30_000, ...queue });
  for (const a of agents) router.addAgent({ id: a, queues: [{ queueId: 'main' }], endpoint: `sip:${a}@10.0.0.1` });
  const kinds = async (contactId?: string) =>
    (await log.read()).filter((e) => e.contactId !== undefined && (contactId === undefined || e.contactId === contactId)).map((e) => `${e.kind}${e.agentId ? `@${e.agentId}` : ''}`);
  /** A call connected to a1. */
  const connected = (talkMs = 600_000): string => {
    router.login('a1');
    const id = telephony.placeInboundCall({ from: '+31201234567', talkMs });
    clock.advance(1);
    expect(router.contact(id)?.state).toBe('connected');
    return id;
  };
  return { clock, log, router, telephony, channel, calls, kinds, connected };
}

describe('call control from the agent desktop', () => {
  it('hold and retrieve reach the line and the log, with the hold time', async () => {
    const t = setup();
    const id = t.connected();
    t.router.hold(id);
    expect(t.router.contact(id)).toMatchObject({ held: true });
    t.clock.advance(12_000);
    t.router.retrieve(id);
    expect(t.router.contact(id)).toMatchObject({ held: false });
    expect(t.calls.map((e) => e.type)).toEqual(expect.arrayContaining(['held', 'unheld']));
    const retrieved = (await t.log.read()).find((e) => e.kind === 'retrieved');
    expect(retrieved).toMatchObject({ holdMs: 12_000 });
    const life = foldContacts(await t.log.read()).get(id)!;
    expect(life).toMatchObject({ status: 'connected', holds: 1 });
  });

  it('mute reaches the line, is logged, and the same state again changes nothing', async () => {
    const t = setup();
    const id = t.connected();
    t.router.mute(id, true);
    t.router.mute(id, true);
    expect(t.telephony.isMuted(id)).toBe(true);
    expect(t.router.contact(id)).toMatchObject({ muted: true });
    t.router.mute(id, false);
    expect(t.telephony.isMuted(id)).toBe(false);
    expect((await t.kinds(id)).filter((k) => k.includes('muted'))).toEqual(['muted@a1', 'unmuted@a1']);
  });

  it('DTMF goes to the customer; the log keeps the count, never the digits', async () => {
    const t = setup();
    const id = t.connected();
    t.router.sendDtmf(id, '4711#');
    t.clock.advance(1_000);
    expect(t.telephony.dtmfSent(id)).toBe('4711#');
    expect(t.calls).toContainEqual({ type: 'dtmf-sent', callId: id, count: 5 });
    const sent = (await t.log.read()).filter((e) => e.kind === 'dtmf-sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.data).toEqual({ count: 5 });
    expect(JSON.stringify(await t.log.read())).not.toContain('4711');
    expect(() => t.router.sendDtmf(id, '12x')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
    expect(() => t.router.sendDtmf(id, '')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
  });

  it('attended transfer to an agent: the customer waits on hold, the second agent is reserved, then takes the call', async () => {
    const t = setup();
    const id = t.connected();
    t.router.login('a2');
    t.telephony.setEndpoint('sip:a2@10.0.0.1', { answerDelayMs: 4_000 });
    t.router.consult(id, { agentId: 'a2' });
    expect(t.router.contact(id)).toMatchObject({ held: true, consult: { party: { agentId: 'a2' }, answered: false } });
    expect(t.router.agent('a2').state).toBe('busy');
    // Not answered yet: the transfer cannot complete.
    expect(() => t.router.completeConsult(id, 'transfer')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_CONTACT_STATE' }));
    t.clock.advance(4_000);
    expect(t.router.contact(id)?.consult).toEqual({ party: { agentId: 'a2' }, answered: true });
    t.clock.advance(6_000);
    t.router.completeConsult(id, 'transfer');
    expect(t.router.contact(id)).toMatchObject({ agentIds: ['a2'], held: false, state: 'connected' });
    expect(t.router.agent('a1').state).toBe('wrap-up');
    expect(t.router.agent('a2').state).toBe('busy');
    expect(t.telephony.bridgedTo(id)).toBe('sip:a2@10.0.0.1');
    expect((await t.kinds(id)).slice(3)).toEqual(['held@a1', 'consult-started@a1', 'consult-ended@a1', 'retrieved@a1', 'completed@a1', 'transferred@a2', 'connected@a2']);
    const events = await t.log.read();
    expect(events.find((e) => e.kind === 'retrieved')).toMatchObject({ holdMs: 10_000 });
    for (const e of events) expect(parseContactEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
    const life = foldContacts(events).get(id)!;
    expect(life).toMatchObject({ status: 'connected', agentId: 'a2', consults: 1, holds: 1, holdMs: 10_000 });
    // The caller hangs up later: the call ends for a2.
    t.router.complete(id, 'caller');
    expect(foldContacts(await t.log.read()).get(id)).toMatchObject({ status: 'wrap-up', agentId: 'a2' });
  });

  it('attended transfer to a queue: its strategy picks a free agent now, who takes the call', async () => {
    const t = setup({}, ['a1']);
    t.router.addQueue({ id: 'billing', strategy: 'linear' });
    t.router.addAgent({ id: 'b1', queues: [{ queueId: 'billing' }], endpoint: 'sip:b1@10.0.0.1' });
    t.router.addAgent({ id: 'b2', queues: [{ queueId: 'billing' }], endpoint: 'sip:b2@10.0.0.1' });
    const id = t.connected();
    // Nobody of billing is free: refused, nothing changes.
    expect(() => t.router.consult(id, { queueId: 'billing' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_AGENT_STATE' }));
    expect(t.router.contact(id)).toMatchObject({ held: false });
    expect(() => t.router.consult(id, { queueId: 'nope' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_QUEUE' }));
    t.router.login('b2');
    t.router.consult(id, { queueId: 'billing' });
    expect(t.router.contact(id)).toMatchObject({ held: true, consult: { party: { agentId: 'b2' } } });
    expect(t.router.agent('b2').state).toBe('busy');
    t.clock.advance(1);
    t.router.completeConsult(id, 'transfer');
    expect(t.router.contact(id)).toMatchObject({ agentIds: ['b2'], state: 'connected' });
    const started = (await t.log.read()).find((e) => e.kind === 'consult-started');
    expect(started).toMatchObject({ reason: 'queue', data: { party: 'b2', queueId: 'billing' } });
    expect(parseContactEvent(JSON.parse(JSON.stringify(started)))).toEqual(started);
  });

  it('a consultation nobody answers ends by itself; the customer stays on hold with the first agent', async () => {
    const t = setup({ ringTimeoutMs: 8_000 });
    const id = t.connected();
    t.router.login('a2');
    t.telephony.setEndpoint('sip:a2@10.0.0.1', { answers: false });
    t.router.consult(id, { agentId: 'a2' });
    t.clock.advance(8_000);
    expect(t.router.contact(id)).toMatchObject({ held: true, agentIds: ['a1'] });
    expect(t.router.contact(id)?.consult).toBeUndefined();
    expect(t.router.agent('a2').state).toBe('ready');
    expect((await t.log.read()).find((e) => e.kind === 'consult-ended')).toMatchObject({ reason: 'no-answer' });
    t.router.retrieve(id);
    expect(t.router.contact(id)).toMatchObject({ held: false });
  });

  it('cancel gives the customer back to the first agent, off hold; conference joins all three', async () => {
    const t = setup();
    const id = t.connected();
    t.router.login('a2');
    t.router.consult(id, { agentId: 'a2' });
    t.clock.advance(1);
    t.router.cancelConsult(id);
    expect(t.router.contact(id)).toMatchObject({ held: false, agentIds: ['a1'] });
    expect(t.router.agent('a2').state).toBe('ready');
    t.router.consult(id, { agentId: 'a2' });
    t.clock.advance(1);
    t.router.completeConsult(id, 'conference');
    expect(t.router.contact(id)).toMatchObject({ held: false, agentIds: ['a1'], conferees: ['a2'] });
    expect(t.telephony.partiesOf(id)).toEqual(['sip:a2@10.0.0.1']);
    expect((await t.log.read()).filter((e) => e.kind === 'consult-ended').map((e) => e.reason)).toEqual(['cancelled', 'conferenced']);
    // The customer hangs up: both agents are free of it.
    t.router.complete(id, 'caller');
    expect(t.router.agent('a2').state).toBe('ready');
  });

  it('attended transfer to an outside number ends the contact for the center', async () => {
    const t = setup();
    const id = t.connected();
    t.telephony.setDestination('+31307654321', { resultAfterMs: 2_000 });
    t.router.consult(id, { number: '+31307654321' });
    t.clock.advance(2_000);
    t.router.completeConsult(id, 'transfer');
    expect(t.router.contact(id)).toBeUndefined();
    expect(t.router.agent('a1').state).toBe('wrap-up');
    const life = foldContacts(await t.log.read()).get(id)!;
    expect(life).toMatchObject({ outcome: 'transferred-out', transfers: 1 });
  });

  it('a customer who hangs up during a consultation frees the consulted agent', () => {
    const t = setup();
    const id = t.connected(5_000);
    t.router.login('a2');
    t.telephony.setEndpoint('sip:a2@10.0.0.1', { answerDelayMs: 60_000 });
    t.router.consult(id, { agentId: 'a2' });
    t.clock.advance(5_000);
    expect(t.router.contact(id)).toBeUndefined();
    expect(t.router.agent('a2').state).toBe('ready');
  });

  it('a blind transfer to a queue gives the transferring agent their wrap-up and disposition', async () => {
    const t = setup();
    t.router.addQueue({ id: 'billing' });
    const id = t.connected();
    t.router.transferToQueue(id, 'billing');
    expect(t.router.agent('a1').state).toBe('wrap-up');
    t.router.wrapUp('a1', id, 'transferred-to-billing');
    expect(t.router.agent('a1').state).toBe('ready');
    expect((await t.log.read()).find((e) => e.kind === 'disposition')).toMatchObject({ contactId: id, agentId: 'a1', reason: 'transferred-to-billing' });
  });

  it('refuses a consultation of an agent who cannot take it, and of a chat', () => {
    const t = setup();
    const id = t.connected();
    expect(() => t.router.consult(id, { agentId: 'a2' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_AGENT_STATE' }));
    expect(() => t.router.consult(id, { number: 'not a number!' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
    expect(t.router.contact(id)).toMatchObject({ held: false });
    t.router.login('a2');
    const chat = t.router.enqueue({ channel: 'chat', queueId: 'main' });
    const offer = t.router.pendingOffers('a2').find((o) => o.contactId === chat.id)!;
    t.router.accept(offer.offerId);
    expect(() => t.router.consult(chat.id, { agentId: 'a1' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_CONTACT_STATE' }));
    expect(() => t.router.mute(chat.id, true)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_CONTACT_STATE' }));
  });

  it('manual dial connects an outbound call to the agent at once, dials the customer and bridges the agent', async () => {
    const t = setup();
    t.router.login('a1');
    t.router.pause('a1', 'admin');
    t.telephony.setDestination('+31209876543', { resultAfterMs: 3_000, talkMs: 40_000 });
    const c = t.router.dial('a1', { number: '+31209876543', customer: { object: 'Customer', id: '7' } });
    expect(c).toMatchObject({ state: 'connected', direction: 'outbound', channel: 'call', agentIds: ['a1'], customer: { object: 'Customer', id: '7' } });
    expect(t.telephony.dialled).toContain('+31209876543');
    expect(t.router.pendingOffers('a2')).toEqual([]);
    t.clock.advance(3_000);
    expect(t.calls.filter((e) => e.type === 'bridged')).toHaveLength(1);
    t.clock.advance(40_000);
    expect(t.router.contact(c.id)).toBeUndefined();
    const events = await t.log.read();
    expect(events.filter((e) => e.contactId === c.id).map((e) => e.kind)).toEqual(['queue-entered', 'connected', 'dial-result', 'completed']);
    expect(events.some((e) => e.kind.startsWith('callback'))).toBe(false);
    expect(foldContacts(events).get(c.id)).toMatchObject({ direction: 'outbound', customer: { object: 'Customer', id: '7' }, outcome: 'completed' });
    // Refused while on a call, and for a bad number, changing nothing.
    const busy = t.router.dial('a1', { number: '+31209876543' });
    expect(() => t.router.dial('a1', { number: '+31209876543' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_AGENT_STATE' }));
    expect(() => t.router.dial('a2', { number: 'x y' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
    expect(t.router.contact(busy.id)?.state).toBe('connected');
  });

  it('a manual dial nobody answers ends without a callback retry', async () => {
    const t = setup();
    t.router.login('a1');
    t.telephony.setDestination('+31200000001', { result: 'busy', resultAfterMs: 2_000 });
    const c = t.router.dial('a1', { number: '+31200000001' });
    t.clock.advance(2_000);
    expect(t.router.contact(c.id)).toBeUndefined();
    expect(t.router.scheduledCallbacks()).toEqual([]);
    expect(foldContacts(await t.log.read()).get(c.id)).toMatchObject({ outcome: 'busy' });
  });
});

describe("the contact's customer", () => {
  it('is linked, changed and unlinked; the wrap-up goes to the linked customer, never another contact’s', async () => {
    const t = setup({}, ['a1']);
    t.router.addAgent({ id: 'a3', queues: [{ queueId: 'main' }], capacity: { voice: 1, chat: 2 } });
    t.router.login('a3');
    const chat1 = t.router.enqueue({ channel: 'chat', queueId: 'main', data: { customer: { object: 'Customer', id: '1' } } });
    expect(t.router.contact(chat1.id)?.customer).toEqual({ object: 'Customer', id: '1' });
    t.router.accept(t.router.pendingOffers('a3')[0]!.offerId);
    const chat2 = t.router.enqueue({ channel: 'chat', queueId: 'main' });
    t.router.accept(t.router.pendingOffers('a3')[0]!.offerId);
    t.router.setCustomer(chat2.id, { object: 'Customer', id: '2' });
    t.router.setCustomer(chat1.id, { object: 'Customer', id: '9' });
    t.router.setCustomer(chat1.id, { object: 'Customer', id: '3' });
    t.router.complete(chat1.id);
    t.router.complete(chat2.id);
    // During the wrap-up the agent may still change it; the second chat keeps its own.
    t.router.setCustomer(chat2.id, undefined);
    t.router.setCustomer(chat2.id, { object: 'Customer', id: '4' });
    expect(t.router.customerOf(chat1.id)).toEqual({ object: 'Customer', id: '3' });
    t.router.wrapUp('a3', chat2.id, 'solved');
    t.router.wrapUp('a3', chat1.id, 'solved');
    const events = await t.log.read();
    const dispositions = events.filter((e) => e.kind === 'disposition');
    expect(dispositions.map((e) => [e.contactId, e.data?.customer])).toEqual([
      [chat2.id, { object: 'Customer', id: '4' }],
      [chat1.id, { object: 'Customer', id: '3' }],
    ]);
    const lives = foldContacts(events);
    expect(lives.get(chat1.id)?.customer).toEqual({ object: 'Customer', id: '3' });
    expect(lives.get(chat2.id)?.customer).toEqual({ object: 'Customer', id: '4' });
    for (const e of events) expect(parseContactEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
    expect(() => t.router.setCustomer('nope', { object: 'Customer', id: '1' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_CONTACT' }));
    expect(() => t.router.setCustomer(chat1.id, { object: '', id: '1' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
  });
});

describe('after a restart', () => {
  it('a contact that goes back in line keeps the customer the agent linked', async () => {
    const { openContacts } = await import('@caruso/comms');
    const t = setup({}, ['a1']);
    t.router.login('a1');
    const chat = t.router.enqueue({ channel: 'chat', queueId: 'main', data: { from: 'dora@example.org' } });
    t.router.accept(t.router.pendingOffers('a1')[0]!.offerId);
    t.router.setCustomer(chat.id, { object: 'Customer', id: '42' });
    const { connected } = openContacts(await t.log.read());
    expect(connected).toEqual([expect.objectContaining({ connectedTo: 'a1', spec: expect.objectContaining({ id: chat.id, data: { from: 'dora@example.org', customer: { object: 'Customer', id: '42' } } }) })]);
    const again = new QueueRouter({ clock: t.clock, events: new InMemoryContactEventLog(), idPrefix: 'y' });
    again.addQueue({ id: 'main' });
    again.enqueue(connected[0]!.spec, { restore: true });
    expect(again.contact(chat.id)?.customer).toEqual({ object: 'Customer', id: '42' });
  });
});
