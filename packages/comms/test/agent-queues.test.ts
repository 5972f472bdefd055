import { VirtualClock, type ContactExit, type Offer } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter } from '@caruso/comms/testing';

function setup() {
  const clock = new VirtualClock();
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
  const offers: Offer[] = [];
  router.onDidOffer((o) => offers.push(o));
  const exits: ContactExit[] = [];
  router.onDidExit((e) => exits.push(e));
  router.addQueue({ id: 'sales', strategy: 'linear' });
  router.addQueue({ id: 'billing', strategy: 'linear' });
  router.addQueue({ id: 'vip', strategy: 'linear', whenEmpty: { action: 'message', prompt: 'Closed' } });
  return { clock, log, router, offers, exits };
}

describe('QueueRouter.setAgentQueues (queue choice at login)', () => {
  it('routes from the chosen queues at once, and no longer from the queues left', async () => {
    const t = setup();
    t.router.addAgent({ id: 'anna', queues: [{ queueId: 'sales' }], capacity: { chat: 2 } });
    t.router.login('anna');
    t.router.setAgentQueues('anna', [{ queue: 'billing' }]);
    const sale = t.router.enqueue({ id: 's1', channel: 'chat', queueId: 'sales' });
    expect(t.router.contact(sale.id)?.state).toBe('queued');
    t.router.enqueue({ id: 'b1', channel: 'chat', queueId: 'billing' });
    expect(t.offers.map((o) => [o.contactId, o.agentId])).toEqual([['b1', 'anna']]);
    expect(t.router.agent('anna').queueIds).toEqual(['billing']);
    expect(t.router.queueStatus('sales')).toMatchObject({ staffed: 0, available: 0 });
    expect(t.router.queueStatus('billing')).toMatchObject({ staffed: 1 });
    // Back in sales: the waiting chat is offered as soon as the choice is made.
    t.router.accept(t.offers[0]!.offerId);
    t.router.setAgentQueues('anna', [{ queue: 'billing' }, { queue: 'sales' }]);
    expect(t.offers.map((o) => o.contactId)).toEqual(['b1', 's1']);
    const events = (await t.log.read()).filter((e) => e.kind === 'agent-queues-changed');
    expect(events.map((e) => e.data)).toEqual([
      { queues: [{ queueId: 'billing', level: 1 }] },
      { queues: [{ queueId: 'billing', level: 1 }, { queueId: 'sales', level: 1 }] },
    ]);
    expect(events.every((e) => e.agentId === 'anna')).toBe(true);
  });

  it('levels chosen rank the agents; a level left out takes the configured one', () => {
    const t = setup();
    t.router.addAgent({ id: 'a', queues: [{ queueId: 'sales', level: 5 }] });
    t.router.addAgent({ id: 'b', queues: [{ queueId: 'sales', level: 1 }] });
    t.router.login('a');
    t.router.login('b');
    t.router.setAgentQueues('b', [{ queue: 'sales', level: 9 }]);
    t.router.enqueue({ id: 'c1', channel: 'call', queueId: 'sales' });
    expect(t.offers.map((o) => o.agentId)).toEqual(['b']);
    t.router.setAgentQueues('a', [{ queue: 'sales' }, { queue: 'billing', level: 2 }]);
    expect(t.router.agentQueues('a')).toEqual({
      agentId: 'a',
      selected: [{ queue: 'sales', level: 5 }, { queue: 'billing', level: 2 }],
      configured: [{ queue: 'sales', level: 5 }],
      allowed: ['sales', 'billing', 'vip'],
    });
  });

  it('linear order and round-robin memory survive an agent leaving a queue', () => {
    const t = setup();
    t.router.addQueue({ id: 'rr', strategy: 'round-robin' });
    for (const id of ['a', 'b', 'c']) {
      t.router.addAgent({ id, queues: [{ queueId: 'rr' }] });
      t.router.login(id);
    }
    const take = (): string => {
      const before = t.offers.length;
      t.router.enqueue({ channel: 'call', queueId: 'rr' });
      const o = t.offers[before]!;
      t.router.accept(o.offerId);
      t.router.complete(o.contactId);
      return o.agentId;
    };
    expect(take()).toBe('a');
    expect(take()).toBe('b');
    t.router.setAgentQueues('a', []);
    expect(take()).toBe('c');
    expect(take()).toBe('b');
    t.router.setAgentQueues('a', [{ queue: 'rr' }]);
    expect([take(), take(), take()]).toEqual(['c', 'a', 'b']);
  });

  it('refuses an unknown queue, a queue not allowed and a malformed list, changing nothing', async () => {
    const t = setup();
    t.router.addAgent({ id: 'anna', queues: [{ queueId: 'sales' }], selectableQueues: ['billing'] });
    t.router.login('anna');
    const before = t.log.lastSeq;
    expect(() => t.router.setAgentQueues('anna', [{ queue: 'billing' }, { queue: 'nope' }])).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_QUEUE' }));
    expect(() => t.router.setAgentQueues('anna', [{ queue: 'vip' }])).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_QUEUE_NOT_ALLOWED', status: 403 }));
    expect(() => t.router.setAgentQueues('anna', [{ queue: 'sales' }, { queue: 'sales' }])).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_AGENT' }));
    expect(() => t.router.setAgentQueues('anna', [{ queue: 'sales', level: 'high' } as never])).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_AGENT' }));
    expect(() => t.router.setAgentQueues('anna', 'sales' as never)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_AGENT' }));
    expect(() => t.router.setAgentQueues('bob', [])).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_AGENT' }));
    expect(t.router.agent('anna').queueIds).toEqual(['sales']);
    expect(t.log.lastSeq).toBe(before);
    expect(t.router.agentQueues('anna').allowed).toEqual(['sales', 'billing']);
    t.router.setAgentQueues('anna', [{ queue: 'billing' }]);
    expect(t.router.agent('anna').queueIds).toEqual(['billing']);
  });

  it('the last agent leaving a queue with an empty action sends its waiting contacts there', () => {
    const t = setup();
    t.router.addAgent({ id: 'anna', queues: [{ queueId: 'vip' }] });
    t.router.login('anna');
    t.router.pause('anna', 'break');
    t.router.enqueue({ id: 'v1', channel: 'call', queueId: 'vip' });
    t.router.setAgentQueues('anna', [{ queue: 'sales' }]);
    expect(t.exits).toEqual([expect.objectContaining({ contactId: 'v1', reason: 'empty' })]);
  });

  it('a logged-out agent can choose queues; staffing counts follow the login', () => {
    const t = setup();
    t.router.addAgent({ id: 'anna', queues: [{ queueId: 'sales' }] });
    t.router.setAgentQueues('anna', [{ queue: 'billing' }]);
    expect(t.router.queueStatus('billing').staffed).toBe(0);
    t.router.login('anna');
    expect(t.router.queueStatus('billing').staffed).toBe(1);
    expect(t.router.queueStatus('sales').staffed).toBe(0);
    t.router.logout('anna');
    expect(t.router.queueStatus('billing').staffed).toBe(0);
  });
});
