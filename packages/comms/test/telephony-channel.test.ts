import { SimulatedTelephony, VirtualClock, type QueueConfig, type TelephonyEvent } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';

function setup(queue: Partial<QueueConfig> = {}, agents = ['a1', 'a2']) {
  const clock = new VirtualClock();
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
  const telephony = new SimulatedTelephony(clock);
  const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'main' });
  const calls: TelephonyEvent[] = [];
  telephony.onDidEvent((e) => calls.push(e));
  router.addQueue({ id: 'main', strategy: 'linear', ...queue });
  for (const a of agents) router.addAgent({ id: a, queues: [{ queueId: 'main' }], endpoint: `sip:${a}@10.0.0.1` });
  const kinds = async () => (await log.read()).filter((e) => e.contactId !== undefined).map((e) => `${e.kind}${e.agentId ? `@${e.agentId}` : ''}`);
  return { clock, log, router, telephony, channel, calls, kinds };
}

describe('TelephonyChannel with the simulated adapter', () => {
  it('queues an inbound call, rings the agent endpoint, connects on answer and completes on the caller hanging up', async () => {
    const t = setup();
    t.telephony.setEndpoint('sip:a1@10.0.0.1', { answerDelayMs: 3_000 });
    t.router.login('a1');
    const callId = t.telephony.placeInboundCall({ from: '+31201234567', talkMs: 120_000 });
    expect(t.router.contact(callId)?.state).toBe('offered');
    t.clock.advance(3_000);
    expect(t.router.agent('a1').state).toBe('busy');
    t.clock.advance(120_000);
    expect(t.router.agent('a1').state).toBe('ready');
    expect(await t.kinds()).toEqual(['queue-entered', 'offered@a1', 'connected@a1', 'completed@a1']);
    const completed = (await t.log.read()).find((e) => e.kind === 'completed');
    expect(completed).toMatchObject({ reason: 'caller', talkMs: 120_000 });
    expect(t.calls.map((e) => e.type)).toEqual(['call-offered', 'answered', 'bridge-ringing', 'bridged', 'hung-up']);
  });

  it('an impatient caller abandons and the wait is logged', async () => {
    const t = setup();
    const callId = t.telephony.placeInboundCall({ talkMs: 60_000, patienceMs: 45_000 });
    t.clock.advance(45_000);
    expect(t.router.contact(callId)).toBeUndefined();
    const abandoned = (await t.log.read()).find((e) => e.kind === 'abandoned');
    expect(abandoned).toMatchObject({ contactId: callId, waitMs: 45_000 });
    expect(t.telephony.activeCalls).toBe(0);
  });

  it('an agent who does not answer is passed over and paused after max-no-answer; the caller reaches the next agent', async () => {
    const t = setup({ ringTimeoutMs: 10_000, maxNoAnswer: 1 });
    t.telephony.setEndpoint('sip:a1@10.0.0.1', { answers: false });
    t.router.login('a1');
    t.router.login('a2');
    t.telephony.placeInboundCall({ talkMs: 30_000 });
    t.clock.advance(10_000);
    expect(t.router.agent('a1')).toMatchObject({ state: 'paused', pauseReason: 'no-answer' });
    expect(t.router.agent('a2').state).toBe('busy');
    expect(await t.kinds()).toEqual(['queue-entered', 'offered@a1', 'ring-no-answer@a1', 'offered@a2', 'connected@a2']);
  });

  it('a call that exits its queue at the maximum wait is hung up', () => {
    const t = setup({ maxWaitMs: 300_000 }, []);
    t.telephony.placeInboundCall({ talkMs: 1 });
    t.clock.advance(300_000);
    expect(t.telephony.activeCalls).toBe(0);
    expect(t.calls.at(-1)).toMatchObject({ type: 'hung-up', by: 'local', cause: 'timeout' });
  });

  it('ring-all rings every free endpoint and stops the others when one answers', () => {
    const t = setup({ strategy: 'ring-all' }, ['a1', 'a2', 'a3']);
    t.telephony.setEndpoint('sip:a1@10.0.0.1', { answerDelayMs: 5_000 });
    t.telephony.setEndpoint('sip:a2@10.0.0.1', { answerDelayMs: 2_000 });
    t.telephony.setEndpoint('sip:a3@10.0.0.1', { answerDelayMs: 4_000 });
    for (const a of ['a1', 'a2', 'a3']) t.router.login(a);
    t.telephony.placeInboundCall({ talkMs: 60_000 });
    expect(t.calls.filter((e) => e.type === 'bridge-ringing')).toHaveLength(3);
    t.clock.advance(10_000);
    expect(t.calls.filter((e) => e.type === 'bridged')).toEqual([expect.objectContaining({ endpoint: 'sip:a2@10.0.0.1' })]);
    expect(t.router.agent('a1').state).toBe('ready');
    expect(t.router.agent('a2').state).toBe('busy');
  });

  it('rejects commands on a call that is gone with a coded error', () => {
    const t = setup();
    expect(() => t.telephony.answer('k999')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_CALL' }));
    expect(() => t.telephony.hangUp('k999')).not.toThrow();
  });
});

describe('one accept path: the desktop\'s Accept and the agent\'s phone answering are the same accept', () => {
  it('Accept first, then the phone answers: connected once, no error, nothing contained as a fault', async () => {
    const { faultCount, resetFaultCounts } = await import('@caruso/kernel');
    resetFaultCounts();
    const t = setup();
    t.telephony.setEndpoint('sip:a1@10.0.0.1', { answerDelayMs: 3_000 });
    t.router.login('a1');
    const callId = t.telephony.placeInboundCall({ from: '+31201234567', talkMs: 60_000 });
    const offer = t.router.pendingOffers('a1')[0]!;
    t.router.accept(offer.offerId, { agentId: 'a1' });
    expect(t.router.contact(callId)?.state).toBe('connected');
    t.clock.advance(3_000); // the phone picks up: the telephony channel accepts the same offer again
    expect(faultCount()).toBe(0);
    expect(t.router.agent('a1').state).toBe('busy');
    expect(await t.kinds()).toEqual(['queue-entered', 'offered@a1', 'connected@a1']);
  });

  it('the phone answers first, then Accept: the second accept changes nothing', async () => {
    const t = setup();
    t.telephony.setEndpoint('sip:a1@10.0.0.1', { answerDelayMs: 1_000 });
    t.router.login('a1');
    const callId = t.telephony.placeInboundCall({ from: '+31201234567', talkMs: 60_000 });
    const offer = t.router.pendingOffers('a1')[0]!;
    t.clock.advance(1_000);
    expect(t.router.contact(callId)?.state).toBe('connected');
    expect(() => t.router.accept(offer.offerId, { agentId: 'a1' })).not.toThrow();
    expect(await t.kinds()).toEqual(['queue-entered', 'offered@a1', 'connected@a1']);
  });

  it("another agent cannot accept an agent's offer, pending or accepted", () => {
    const t = setup();
    t.telephony.setEndpoint('sip:a1@10.0.0.1', { answerDelayMs: 1_000 });
    t.router.login('a1');
    t.telephony.placeInboundCall({ from: '+31201234567', talkMs: 60_000 });
    const offer = t.router.pendingOffers('a1')[0]!;
    expect(() => t.router.accept(offer.offerId, { agentId: 'a2' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_OFFER' }));
    t.clock.advance(1_000);
    expect(() => t.router.accept(offer.offerId, { agentId: 'a2' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_OFFER' }));
  });

  it("Accept on the desktop, then the agent's phone never answers: the call goes back in line to the next agent, the first is free", async () => {
    const { faultCount, resetFaultCounts } = await import('@caruso/kernel');
    resetFaultCounts();
    const t = setup({ ringTimeoutMs: 10_000 });
    t.telephony.setEndpoint('sip:a1@10.0.0.1', { answers: false });
    t.telephony.setEndpoint('sip:a2@10.0.0.1', { answerDelayMs: 5_000 });
    t.router.login('a1');
    const callId = t.telephony.placeInboundCall({ from: '+31201234567', talkMs: 60_000 });
    const offer = t.router.pendingOffers('a1')[0]!;
    t.router.accept(offer.offerId, { agentId: 'a1' });
    t.router.login('a2');
    t.clock.advance(10_000); // the phone's ring time-out: the agent's leg failed
    expect(faultCount()).toBe(0);
    expect(t.router.agent('a1').state).toBe('ready');
    expect(t.router.contact(callId)?.state).toBe('offered');
    expect(t.router.pendingOffers('a2').map((o) => o.contactId)).toEqual([callId]);
    expect(await t.kinds()).toEqual(['queue-entered', 'offered@a1', 'connected@a1', 'transferred@a1', 'offered@a2']);
    t.clock.advance(5_000); // the next agent's phone answers
    expect(t.router.contact(callId)).toMatchObject({ state: 'connected', agentIds: ['a2'] });
  });
});
