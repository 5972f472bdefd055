import { SimulatedTelephony, VirtualClock } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';

function setup() {
  const clock = new VirtualClock();
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
  const telephony = new SimulatedTelephony(clock);
  const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'main', callbackRetryMs: 600_000, callbackAttempts: 2 });
  router.addQueue({ id: 'main' });
  router.addAgent({ id: 'ann', queues: [{ queueId: 'main' }], endpoint: 'sip:ann@pbx' });
  const cb = async () => (await log.read()).filter((e) => e.channel === 'callback').map((e) => `${e.kind}${e.reason ? `:${e.reason}` : ''}`);
  return { clock, log, router, telephony, channel, cb };
}

describe('callbacks', () => {
  it('a scheduled callback enters the queue at its time; accepting it dials the customer and bridges the agent', async () => {
    const t = setup();
    t.router.login('ann');
    t.router.pause('ann', 'lunch');
    const at = t.clock.now() + 3_600_000;
    t.router.scheduleCallback({ id: 'cb-1', number: '+3210001', queueId: 'main', at, data: { note: 'invoice' } });
    expect(t.router.scheduledCallbacks()).toEqual([expect.objectContaining({ id: 'cb-1', at })]);
    t.clock.advance(3_599_000);
    expect(t.router.contact('cb-1')).toBeUndefined();
    t.router.resume('ann');
    t.clock.advance(1_000);
    const offer = t.router.pendingOffers('ann')[0]!;
    expect(offer).toMatchObject({ contactId: 'cb-1', channel: 'callback' });
    t.telephony.setDestination('+3210001', { resultAfterMs: 4_000, talkMs: 90_000 });
    t.router.accept(offer.offerId);
    expect(t.telephony.dialled).toEqual(['+3210001']);
    t.clock.advance(4_000);
    expect(t.router.agent('ann').state).toBe('busy');
    t.clock.advance(90_000);
    expect(t.router.agent('ann').state).toBe('ready');
    expect(await t.cb()).toEqual(['callback-scheduled:scheduled', 'queue-entered', 'offered', 'connected', 'callback-attempted', 'dial-result:answered', 'callback-completed:reached', 'completed:caller']);
    t.channel.dispose();
  });

  it('a busy customer is retried later, and given up after the last attempt', async () => {
    const t = setup();
    t.router.login('ann');
    t.router.onDidOffer((o) => queueMicrotask(() => t.router.accept(o.offerId)));
    t.telephony.setDestination('+3210002', { result: 'busy', resultAfterMs: 3_000 });
    t.router.scheduleCallback({ id: 'cb-2', number: '+3210002', queueId: 'main', at: t.clock.now() });
    // One-second steps so that the agent's accept (a microtask) happens while the offer rings.
    for (let i = 0; i < 1_500; i++) {
      t.clock.advance(1_000);
      await Promise.resolve();
    }
    expect(t.telephony.dialled).toEqual(['+3210002', '+3210002']);
    const kinds = await t.cb();
    expect(kinds.filter((k) => k.startsWith('dial-result'))).toEqual(['dial-result:busy', 'dial-result:busy']);
    expect(kinds.at(-2)).toBe('callback-completed:unreached');
    expect(t.router.scheduledCallbacks()).toEqual([]);
    expect(t.router.agent('ann').state).toBe('ready');
    t.channel.dispose();
  });

  it('bad callback input is refused with a coded error and changes nothing', async () => {
    const t = setup();
    expect(() => t.router.scheduleCallback({ number: 'not a number!', queueId: 'main', at: 0 })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
    expect(() => t.router.scheduleCallback({ number: '+321', queueId: 'nope', at: 0 })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_QUEUE' }));
    expect(t.router.scheduledCallbacks()).toEqual([]);
    expect(await t.log.read()).toEqual([]);
    t.channel.dispose();
  });
});
