import { isCarusoError } from '@caruso/kernel';
import type { RoutingStrategy } from '@caruso/comms';
import { makeRouter } from './helpers.js';

const agents = (n: number, queueId = 'q', extra: object = {}) =>
  Array.from({ length: n }, (_, i) => ({ id: `a${i + 1}`, queues: [{ queueId }], ...extra }));

/** Connects and completes `contactId` on `agentId`'s pending offer. */
function serve(ctx: ReturnType<typeof makeRouter>, agentId: string, contactId: string, talkMs = 1000): void {
  const offer = ctx.router.pendingOffers(agentId).find((o) => o.contactId === contactId);
  expect(offer).toBeDefined();
  ctx.router.accept(offer!.offerId);
  ctx.clock.advance(talkMs);
  ctx.router.complete(contactId);
}

describe('QueueRouter (longest-idle)', () => {
  it('offers the contact to the agent idle the longest', () => {
    const ctx = makeRouter([{ id: 'q', strategy: 'longest-idle' }], agents(3));
    ctx.router.login('a2');
    ctx.clock.advance(1000);
    ctx.router.login('a1');
    ctx.clock.advance(1000);
    ctx.router.login('a3');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    expect(ctx.offers.map((o) => o.agentId)).toEqual(['a2']);
    serve(ctx, 'a2', 'c1');
    ctx.router.enqueue({ id: 'c2', channel: 'call', queueId: 'q' });
    expect(ctx.offers.at(-1)!.agentId).toBe('a1');
  });
});

describe('QueueRouter strategies', () => {
  function sequence(strategy: RoutingStrategy, n: number, members = 3, weights?: number[]): string[] {
    const ctx = makeRouter(
      [{ id: 'q', strategy }],
      Array.from({ length: members }, (_, i) => ({ id: `a${i + 1}`, queues: [{ queueId: 'q', weight: weights?.[i] ?? 1 }] })),
    );
    for (let i = 1; i <= members; i++) ctx.router.login(`a${i}`);
    const chosen: string[] = [];
    for (let i = 0; i < n; i++) {
      ctx.router.enqueue({ id: `c${i}`, channel: 'call', queueId: 'q' });
      const o = ctx.offers.at(-1)!;
      chosen.push(o.agentId);
      serve(ctx, o.agentId, `c${i}`);
      ctx.clock.advance(10);
    }
    return chosen;
  }

  it('linear always offers to the first member in order', () => {
    expect(sequence('linear', 4)).toEqual(['a1', 'a1', 'a1', 'a1']);
  });

  it('round-robin remembers the last agent and goes on to the next', () => {
    expect(sequence('round-robin', 5)).toEqual(['a1', 'a2', 'a3', 'a1', 'a2']);
  });

  it('least-recent offers to the agent whose last contact of this queue ended the longest ago', () => {
    expect(sequence('least-recent', 4)).toEqual(['a1', 'a2', 'a3', 'a1']);
  });

  it('fewest-contacts offers to the agent who handled the fewest', () => {
    expect(sequence('fewest-contacts', 6)).toEqual(['a1', 'a2', 'a3', 'a1', 'a2', 'a3']);
  });

  it('random spreads contacts over every member', () => {
    const counts = new Map<string, number>();
    for (const a of sequence('random', 300)) counts.set(a, (counts.get(a) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['a1', 'a2', 'a3']);
    for (const c of counts.values()) expect(c).toBeGreaterThan(60);
  });

  it('weighted-random offers in proportion to the weights', () => {
    const counts = new Map<string, number>();
    for (const a of sequence('weighted-random', 1000, 2, [1, 3])) counts.set(a, (counts.get(a) ?? 0) + 1);
    const share = (counts.get('a2') ?? 0) / 1000;
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.8);
  });

  it('ring-all offers to every available agent and the first to accept wins', () => {
    const ctx = makeRouter([{ id: 'q', strategy: 'ring-all' }], agents(3));
    const withdrawn: string[] = [];
    ctx.router.onDidWithdrawOffer((w) => withdrawn.push(`${w.offer.agentId}:${w.reason}`));
    for (const a of ['a1', 'a2', 'a3']) ctx.router.login(a);
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    expect(ctx.offers.map((o) => o.agentId).sort()).toEqual(['a1', 'a2', 'a3']);
    expect(ctx.router.agent('a1').state).toBe('reserved');
    ctx.router.accept(ctx.offers.find((o) => o.agentId === 'a2')!.offerId);
    expect(withdrawn.sort()).toEqual(['a1:answered-elsewhere', 'a3:answered-elsewhere']);
    expect(ctx.router.agent('a1').state).toBe('ready');
    expect(ctx.router.agent('a2').state).toBe('busy');
  });

  it('prefers the highest per-queue level before applying the strategy', () => {
    const ctx = makeRouter(
      [{ id: 'q', strategy: 'linear' }],
      [
        { id: 'junior', queues: [{ queueId: 'q', level: 1 }] },
        { id: 'senior', queues: [{ queueId: 'q', level: 5 }] },
      ],
    );
    ctx.router.login('junior');
    ctx.router.login('senior');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    ctx.router.enqueue({ id: 'c2', channel: 'call', queueId: 'q' });
    expect(ctx.offers.map((o) => o.agentId)).toEqual(['senior', 'junior']);
  });
});

describe('QueueRouter skills, priority and overflow', () => {
  it('offers only to agents with the required skills at the required level', () => {
    const ctx = makeRouter(
      [{ id: 'q', requiredSkills: [{ skill: 'dutch', minLevel: 3 }] }],
      [
        { id: 'a1', skills: { dutch: 2 }, queues: [{ queueId: 'q' }] },
        { id: 'a2', skills: { dutch: 4 }, queues: [{ queueId: 'q' }] },
      ],
    );
    ctx.router.login('a1');
    ctx.router.login('a2');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q', requiredSkills: [{ skill: 'billing', minLevel: 1 }] });
    expect(ctx.offers).toHaveLength(0);
    ctx.router.enqueue({ id: 'c2', channel: 'call', queueId: 'q' });
    expect(ctx.offers.map((o) => `${o.contactId}@${o.agentId}`)).toEqual(['c2@a2']);
  });

  it('widens the skills after the overflow delay', () => {
    const ctx = makeRouter(
      [{ id: 'q', requiredSkills: [{ skill: 'dutch', minLevel: 3 }], overflow: [{ afterMs: 30_000, action: 'widen-skills' }] }],
      [{ id: 'a1', queues: [{ queueId: 'q' }] }],
    );
    ctx.router.login('a1');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    ctx.clock.advance(29_999);
    expect(ctx.offers).toHaveLength(0);
    ctx.clock.advance(1);
    expect(ctx.offers.map((o) => o.agentId)).toEqual(['a1']);
  });

  it('moves a contact to the overflow queue keeping its age', () => {
    const ctx = makeRouter(
      [{ id: 'q', overflow: [{ afterMs: 10_000, action: 'move', queueId: 'backup' }] }, { id: 'backup' }],
      [{ id: 'b1', queues: [{ queueId: 'backup' }] }],
    );
    ctx.router.enqueue({ id: 'old', channel: 'call', queueId: 'q' });
    ctx.clock.advance(5_000);
    ctx.router.enqueue({ id: 'young', channel: 'call', queueId: 'backup' });
    ctx.clock.advance(5_000);
    expect(ctx.router.waiting('backup').map((c) => c.id)).toEqual(['old', 'young']);
    ctx.router.login('b1');
    expect(ctx.offers.map((o) => o.contactId)).toEqual(['old']);
    expect(ctx.log.lastSeq).toBeGreaterThan(0);
  });

  it('exits with the overflow action voicemail, and timeout at the maximum wait', () => {
    const ctx = makeRouter(
      [{ id: 'vm', overflow: [{ afterMs: 60_000, action: 'voicemail' }] }, { id: 'short', maxWaitMs: 5_000 }],
      [],
    );
    const exits: string[] = [];
    ctx.router.onDidExit((e) => exits.push(`${e.contactId}:${e.reason}`));
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'vm' });
    ctx.router.enqueue({ id: 'c2', channel: 'chat', queueId: 'short' });
    ctx.clock.advance(60_000);
    expect(exits).toEqual(['c2:timeout', 'c1:voicemail']);
    expect(ctx.router.contact('c1')).toBeUndefined();
  });

  it('serves higher priority first, and ageing lets an old contact overtake', () => {
    const ctx = makeRouter([{ id: 'q', ageingPerSecond: 0.1 }], agents(1));
    ctx.router.enqueue({ id: 'low', channel: 'call', queueId: 'q', priority: 0 });
    ctx.clock.advance(5_000);
    ctx.router.enqueue({ id: 'high', channel: 'call', queueId: 'q', priority: 1 });
    expect(ctx.router.waiting('q').map((c) => c.id)).toEqual(['high', 'low']);
    ctx.clock.advance(10_000); // low has aged 1.5 points, high 1.0 + 1 = 2 … order by key is fixed:
    // key(low) = 0 − 0.1·t0, key(high) = 1 − 0.1·(t0 + 5) = 0.5 − 0.1·t0 → high stays first.
    ctx.router.login('a1');
    expect(ctx.offers.map((o) => o.contactId)).toEqual(['high']);
    const ctx2 = makeRouter([{ id: 'q', ageingPerSecond: 0.5 }], agents(1));
    ctx2.router.enqueue({ id: 'low', channel: 'call', queueId: 'q', priority: 0 });
    ctx2.clock.advance(5_000);
    ctx2.router.enqueue({ id: 'high', channel: 'call', queueId: 'q', priority: 1 });
    ctx2.router.login('a1');
    expect(ctx2.offers.map((o) => o.contactId)).toEqual(['low']);
  });

  it('across queues, the agent gets the contact with the highest score', () => {
    const ctx = makeRouter([{ id: 'sales' }, { id: 'support' }], [{ id: 'a1', queues: [{ queueId: 'sales' }, { queueId: 'support' }] }]);
    ctx.router.enqueue({ id: 's1', channel: 'call', queueId: 'sales' });
    ctx.clock.advance(1000);
    ctx.router.enqueue({ id: 'u1', channel: 'call', queueId: 'support', priority: 2 });
    ctx.router.enqueue({ id: 'u2', channel: 'call', queueId: 'support' });
    ctx.router.login('a1');
    expect(ctx.offers.map((o) => o.contactId)).toEqual(['u1']);
    serve(ctx, 'a1', 'u1');
    expect(ctx.offers.map((o) => o.contactId)).toEqual(['u1', 's1']);
  });

  it('rejects a full queue with exit reason full', () => {
    const ctx = makeRouter([{ id: 'q', maxLength: 1 }], []);
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    expect(ctx.router.enqueue({ id: 'c2', channel: 'call', queueId: 'q' }).state).toBe('ended');
    expect(ctx.router.waiting('q').map((c) => c.id)).toEqual(['c1']);
  });

  it('announces the position and an expected wait', () => {
    const ctx = makeRouter([{ id: 'q' }], agents(2));
    for (let i = 1; i <= 3; i++) ctx.router.enqueue({ id: `c${i}`, channel: 'call', queueId: 'q' });
    expect(ctx.router.position('c3')?.position).toBe(3);
    expect(ctx.router.position('c3')?.expectedWaitMs).toBeGreaterThan(ctx.router.position('c1')!.expectedWaitMs);
  });
});

describe('QueueRouter agent states and time-outs', () => {
  it('withdraws an unanswered offer after the ring time-out and pauses after max-no-answer', async () => {
    const ctx = makeRouter([{ id: 'q', ringTimeoutMs: 15_000, maxNoAnswer: 2 }], agents(1));
    const withdrawn: string[] = [];
    ctx.router.onDidWithdrawOffer((w) => withdrawn.push(w.reason));
    ctx.router.login('a1');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    expect(ctx.router.agent('a1').state).toBe('reserved');
    ctx.clock.advance(15_000);
    expect(withdrawn).toEqual(['ring-no-answer']);
    // the contact is back in line and not offered again to the agent who did not answer
    expect(ctx.router.contact('c1')?.state).toBe('queued');
    ctx.router.enqueue({ id: 'c2', channel: 'call', queueId: 'q' });
    expect(ctx.offers.at(-1)!.contactId).toBe('c2');
    ctx.clock.advance(15_000);
    expect(ctx.router.agent('a1')).toMatchObject({ state: 'paused', pauseReason: 'no-answer', noAnswerCount: 2 });
    await expect(ctx.log.read()).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'agent-state-changed', state: 'paused', reason: 'no-answer' })]));
  });

  it('goes through ready, reserved, busy, wrap-up and back to ready on the wrap-up timer', async () => {
    const ctx = makeRouter([{ id: 'q', wrapUpMs: 30_000 }], agents(1));
    ctx.router.login('a1');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    serve(ctx, 'a1', 'c1', 60_000);
    expect(ctx.router.agent('a1').state).toBe('wrap-up');
    ctx.router.enqueue({ id: 'c2', channel: 'call', queueId: 'q' });
    expect(ctx.offers).toHaveLength(1);
    ctx.clock.advance(30_000);
    expect(ctx.offers.map((o) => o.contactId)).toEqual(['c1', 'c2']);
    const states = (await ctx.log.read()).filter((e) => e.kind === 'agent-state-changed').map((e) => e.state);
    expect(states).toEqual(['ready', 'reserved', 'busy', 'wrap-up', 'ready', 'reserved']);
  });

  it('the connection and the disposition of a campaign call carry its campaign and target; other contacts carry neither', async () => {
    const ctx = makeRouter([{ id: 'q', wrapUpMs: 30_000 }], agents(1));
    ctx.router.login('a1');
    ctx.router.enqueue({ id: 'd1', channel: 'call', queueId: 'q', direction: 'outbound', data: { campaignId: 'green', target: 'k7', number: '+3201' } });
    serve(ctx, 'a1', 'd1');
    const logged = ctx.router.wrapUp('a1', 'd1', 'sale');
    expect(logged).toMatchObject({ kind: 'disposition', contactId: 'd1', reason: 'sale', data: { campaignId: 'green', target: 'k7' } });
    ctx.router.enqueue({ id: 'c2', channel: 'call', queueId: 'q' });
    serve(ctx, 'a1', 'c2');
    expect(ctx.router.wrapUp('a1', 'c2', 'solved').data).toBeUndefined();
    const dispositions = (await ctx.log.read()).filter((e) => e.kind === 'disposition');
    expect(dispositions.map((e) => [e.contactId, e.reason, e.data?.['campaignId'] ?? null, e.data?.['target'] ?? null])).toEqual([
      ['d1', 'sale', 'green', 'k7'],
      ['c2', 'solved', null, null],
    ]);
    const connected = (await ctx.log.read()).filter((e) => e.kind === 'connected');
    expect(connected.map((e) => [e.contactId, e.data ?? null])).toEqual([
      ['d1', { campaignId: 'green', target: 'k7' }],
      ['c2', null],
    ]);
  });

  it('wrap-up blocks offers from every queue of the agent', () => {
    const ctx = makeRouter([{ id: 'q1', wrapUpMs: 10_000 }, { id: 'q2' }], [{ id: 'a1', queues: [{ queueId: 'q1' }, { queueId: 'q2' }] }]);
    ctx.router.login('a1');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q1' });
    serve(ctx, 'a1', 'c1');
    ctx.router.enqueue({ id: 'c2', channel: 'call', queueId: 'q2' });
    expect(ctx.offers).toHaveLength(1);
    ctx.router.finishWrapUp('a1');
    expect(ctx.offers.at(-1)!.contactId).toBe('c2');
  });

  it('honours the capacity per channel: three chats at once, but one call', () => {
    const ctx = makeRouter([{ id: 'q' }], [{ id: 'a1', queues: [{ queueId: 'q' }], capacity: { chat: 3, voice: 1 } }]);
    ctx.router.login('a1');
    for (let i = 1; i <= 4; i++) ctx.router.enqueue({ id: `t${i}`, channel: 'chat', queueId: 'q' });
    for (let i = 1; i <= 3; i++) ctx.router.accept(ctx.router.pendingOffers('a1')[0]!.offerId);
    expect(ctx.router.agent('a1').contactIds).toEqual(['t1', 't2', 't3']);
    expect(ctx.router.pendingOffers('a1')).toHaveLength(0);
    ctx.router.complete('t2');
    expect(ctx.router.pendingOffers('a1').map((o) => o.contactId)).toEqual(['t4']);
  });

  it('a forced log-out puts the agent’s contacts back in line; a normal one is refused while busy', () => {
    const ctx = makeRouter([{ id: 'q' }], agents(2));
    ctx.router.login('a1');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    ctx.router.accept(ctx.offers[0]!.offerId);
    expect(() => ctx.router.logout('a1')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_AGENT_STATE' }));
    ctx.router.logout('a1', { force: true });
    expect(ctx.router.agent('a1').state).toBe('logged-out');
    expect(ctx.router.contact('c1')?.state).toBe('queued');
    ctx.router.login('a2');
    expect(ctx.offers.at(-1)).toMatchObject({ contactId: 'c1', agentId: 'a2' });
  });

  it('abandon while ringing withdraws the offer and frees the agent', () => {
    const ctx = makeRouter([{ id: 'q' }], agents(1));
    ctx.router.login('a1');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    ctx.router.abandon('c1');
    expect(ctx.router.agent('a1').state).toBe('ready');
    expect(() => ctx.router.accept(ctx.offers[0]!.offerId)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_OFFER' }));
  });

  it('hold time is measured and excluded from talk time', async () => {
    const ctx = makeRouter([{ id: 'q' }], agents(1));
    ctx.router.login('a1');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    ctx.router.accept(ctx.offers[0]!.offerId);
    ctx.clock.advance(10_000);
    ctx.router.hold('c1');
    ctx.clock.advance(5_000);
    ctx.router.retrieve('c1');
    ctx.clock.advance(1_000);
    ctx.router.complete('c1', 'caller');
    const done = (await ctx.log.read()).find((e) => e.kind === 'completed');
    expect(done).toMatchObject({ talkMs: 11_000, holdMs: 5_000, reason: 'caller' });
  });

  it('transfers a connected contact to another queue; the first agent is freed', () => {
    const ctx = makeRouter([{ id: 'q' }, { id: 'experts' }], [{ id: 'a1', queues: [{ queueId: 'q' }] }, { id: 'e1', queues: [{ queueId: 'experts' }] }]);
    ctx.router.login('a1');
    ctx.router.login('e1');
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    ctx.router.accept(ctx.offers[0]!.offerId);
    ctx.router.transferToQueue('c1', 'experts');
    expect(ctx.router.agent('a1').state).toBe('ready');
    expect(ctx.offers.at(-1)).toMatchObject({ contactId: 'c1', agentId: 'e1' });
  });
});

describe('QueueRouter bad input', () => {
  it('rejects bad configurations with a coded error and changes nothing', () => {
    const ctx = makeRouter([{ id: 'q' }], []);
    const bad: unknown[] = [
      { id: 'x', strategy: 'loudest' },
      { id: 'x', maxWaitMs: -1 },
      { id: 'x', overflow: [{ afterMs: 1, action: 'explode' }] },
      { id: 'x', colour: 'red' },
      { id: '' },
    ];
    for (const b of bad) {
      expect(() => ctx.router.addQueue(b as never)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_QUEUE' }));
    }
    expect(ctx.router.queueIds()).toEqual(['q']);
    expect(() => ctx.router.addAgent({ id: 'a', queues: [{ queueId: 'nope' }] })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_QUEUE' }));
    expect(() => ctx.router.addAgent({ id: 'a', queues: [], capacity: { chat: 1.5 } })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_AGENT' }));
    expect(ctx.router.agentIds()).toEqual([]);
    const seqBefore = ctx.log.lastSeq;
    expect(() => ctx.router.enqueue({ channel: 'fax', queueId: 'q' } as never)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
    expect(() => ctx.router.enqueue({ channel: 'call', queueId: 'nope' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_UNKNOWN_QUEUE' }));
    expect(ctx.log.lastSeq).toBe(seqBefore);
    let caught: unknown;
    try {
      ctx.router.complete('ghost');
    } catch (err) {
      caught = err;
    }
    expect(isCarusoError(caught, 'CARUSO_COMMS_UNKNOWN_CONTACT')).toBe(true);
  });
});

describe('QueueRouter callbacks', () => {
  it('a caller who asks for a callback keeps their place in line', async () => {
    const ctx = makeRouter([{ id: 'q' }], agents(1));
    for (const id of ['c1', 'c2', 'c3']) {
      ctx.router.enqueue({ id, channel: 'call', queueId: 'q', data: { caller: id } });
      ctx.clock.advance(10_000);
    }
    const exits: string[] = [];
    ctx.router.onDidExit((e) => exits.push(`${e.contactId}:${e.reason}`));
    const cb = ctx.router.requestCallback('c2', '+31201234567');
    expect(exits).toEqual(['c2:callback-requested']);
    expect(cb).toMatchObject({ id: 'c2-cb', channel: 'callback', direction: 'outbound', data: { caller: 'c2', callbackNumber: '+31201234567' } });
    expect(ctx.router.waiting('q').map((c) => c.id)).toEqual(['c1', 'c2-cb', 'c3']);
    ctx.router.login('a1');
    serve(ctx, 'a1', 'c1');
    expect(ctx.offers.at(-1)).toMatchObject({ contactId: 'c2-cb', channel: 'callback' });
    const kinds = (await ctx.log.read({ contactId: 'c2-cb' })).map((e) => e.kind);
    expect(kinds).toEqual(['callback-scheduled', 'queue-entered', 'offered']);
    expect(() => ctx.router.requestCallback('c3', 'not a number!')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_CONTACT' }));
    expect(ctx.router.contact('c3')?.state).toBe('queued');
  });

  it("a callback passes an id in use by; a call whose id leaves no room gets a fresh one, and nothing is written before it is checked", async () => {
    const ctx = makeRouter([{ id: 'q' }], agents(1));
    ctx.router.enqueue({ id: 'c1', channel: 'call', queueId: 'q' });
    // Another contact already carries c1-cb, and a timed callback is due as c1-cb2.
    ctx.router.enqueue({ id: 'c1-cb', channel: 'email', queueId: 'q' });
    ctx.router.scheduleCallback({ id: 'c1-cb2', queueId: 'q', number: '+31201111111', at: ctx.clock.now() + 3_600_000 });
    expect(ctx.router.requestCallback('c1', '+31201234567')).toMatchObject({ id: 'c1-cb3', data: { originalContactId: 'c1' } });
    expect((await ctx.log.read({ contactId: 'c1-cb3' })).map((e) => e.kind)).toEqual(['callback-scheduled', 'queue-entered']);

    const long = `x${'1'.repeat(126)}`;
    ctx.router.enqueue({ id: long, channel: 'call', queueId: 'q' });
    const cb = ctx.router.requestCallback(long, '+31202222222');
    expect(cb.id).toMatch(/^cb-[0-9a-f-]{36}$/);
    expect(cb.data).toMatchObject({ originalContactId: long, callbackNumber: '+31202222222' });
    const scheduled = (await ctx.log.read({ contactId: cb.id })).find((e) => e.kind === 'callback-scheduled');
    expect(scheduled?.data).toEqual({ originalContactId: long });
    expect((await ctx.log.read({ contactId: long })).map((e) => `${e.kind}:${e.reason ?? ''}`)).toEqual(['queue-entered:', 'exited:callback-requested']);
  });
});
