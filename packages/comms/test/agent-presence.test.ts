import { VirtualClock } from '@caruso/comms';
import { QueueRouter, InMemoryContactEventLog } from '@caruso/comms/testing';

// The presence table, as an agent's desktop meets it: every command in every state the router can be in.
describe('agent presence (state × command)', () => {
  function router() {
    const clock = new VirtualClock();
    const r = new QueueRouter({ clock, events: new InMemoryContactEventLog(), idPrefix: 'p' });
    r.addQueue({ id: 'q', wrapUpMs: 10_000 });
    r.addAgent({ id: 'a', queues: [{ queueId: 'q' }] });
    return { r, clock };
  }
  const code = (fn: () => void): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      return (err as { code?: string }).code;
    }
  };
  /** Brings agent `a` into `state` the way agents get there. */
  function inState(state: string) {
    const t = router();
    if (state === 'logged-out') return t;
    t.r.login('a');
    if (state === 'paused') t.r.pause('a', 'break');
    if (state === 'reserved' || state === 'busy' || state === 'wrap-up') {
      t.r.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
      const offer = t.r.pendingOffers('a')[0]!;
      if (state !== 'reserved') t.r.accept(offer.offerId);
      if (state === 'wrap-up') t.r.complete('c1');
    }
    expect(t.r.agent('a').state).toBe(state);
    return t;
  }

  it('refuses to pause or resume a logged-out agent, and logging out twice or in twice is harmless', () => {
    const { r } = inState('logged-out');
    expect(code(() => r.pause('a', 'break'))).toBe('CARUSO_COMMS_AGENT_STATE');
    expect(code(() => r.resume('a'))).toBe('CARUSO_COMMS_AGENT_STATE');
    expect(code(() => r.logout('a'))).toBeUndefined();
    r.login('a');
    r.login('a');
    expect(r.agent('a').state).toBe('ready');
  });

  it('refuses a log-out while busy unless forced, and then puts the contact back in line', () => {
    const { r } = inState('busy');
    expect(code(() => r.logout('a'))).toBe('CARUSO_COMMS_AGENT_STATE');
    expect(r.agent('a').state).toBe('busy');
    r.logout('a', { force: true });
    expect(r.agent('a').state).toBe('logged-out');
    expect(r.waiting('q').map((c) => c.id)).toEqual(['c1']);
  });

  it.each(['ready', 'reserved', 'wrap-up', 'paused'])('lets an agent log out while %s', (state) => {
    const { r } = inState(state);
    r.logout('a');
    expect(r.agent('a').state).toBe('logged-out');
  });

  it.each(['ready', 'reserved', 'busy', 'wrap-up'])('a pause taken while %s holds once the work is done, and resume ends it', (state) => {
    const { r, clock } = inState(state);
    r.pause('a', 'break');
    if (state === 'busy') r.complete('c1');
    if (state === 'reserved') r.reject(r.pendingOffers('a')[0]!.offerId);
    clock.advance(10_000);
    expect(r.agent('a')).toMatchObject({ state: 'paused', pauseReason: 'break' });
    r.resume('a');
    expect(r.agent('a').state).toBe('ready');
  });
});
