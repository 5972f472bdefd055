import { CONTACT_EVENT_KINDS, CONTACT_EVENT_SCHEMA_VERSION, parseContactEvent, VirtualClock, type ContactEvent } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter } from '@caruso/comms/testing';
import { isCarusoError } from '@caruso/kernel';

/** The error a parse throws (fails the test when it does not throw). */
function parseError(raw: unknown, seq?: number): { code: string; message: string } {
  try {
    parseContactEvent(raw, seq);
  } catch (err) {
    if (isCarusoError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('parseContactEvent accepted a malformed event');
}

describe('parseContactEvent', () => {
  it('returns a valid event of each shape unchanged', () => {
    const events: ContactEvent[] = [
      { seq: 1, at: 10, kind: 'queue-entered', contactId: 'c1', queueId: 'q', channel: 'call', direction: 'inbound', priority: 2, waitMs: 5, data: { requiredSkills: [{ skill: 'nl', minLevel: 1 }], data: { caller: '+3210' } } },
      { seq: 2, at: 11, kind: 'connected', contactId: 'c1', queueId: 'q', agentId: 'ann', channel: 'call', waitMs: 1_000, ringMs: 300, data: { campaignId: 'spring', target: 't1' } },
      { seq: 3, at: 12, kind: 'completed', contactId: 'c1', queueId: 'q', agentId: 'ann', channel: 'call', reason: 'lost-on-restart' },
      { seq: 4, at: 13, kind: 'disposition', contactId: 'c1', queueId: 'q', agentId: 'ann', channel: 'call', reason: 'solved', data: { note: 'ok', customer: { object: 'Customer', id: '7' } } },
      { seq: 5, at: 14, kind: 'agent-queues-changed', agentId: 'ann', data: { queues: [{ queueId: 'q', level: 1 }] } },
      { seq: 6, at: 15, kind: 'agent-state-changed', agentId: 'ann', state: 'paused', fromState: 'ready', reason: 'lunch' },
      { seq: 7, at: 16, kind: 'campaign-started', queueId: 'out', reason: 'progressive', data: { campaignId: 'spring', size: 3, extra: 'kept' } },
    ];
    for (const e of events) expect(parseContactEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  it('takes the seq given for a raw row without one, and treats null columns as absent', () => {
    const raw = { at: 5, kind: 'abandoned', contactId: 'c', queueId: 'q', channel: 'chat', waitMs: 9, agentId: null, data: null };
    expect(parseContactEvent(raw, 42)).toEqual({ seq: 42, at: 5, kind: 'abandoned', contactId: 'c', queueId: 'q', channel: 'chat', waitMs: 9 });
  });

  it.each([
    ['an unknown kind', { at: 1, kind: 'teleported' }, 'unknown kind "teleported"'],
    ['a missing required field', { at: 1, kind: 'connected', contactId: 'c', queueId: 'q', channel: 'call', waitMs: 3 }, 'connected: agentId is missing'],
    ['a field of the wrong type', { at: 1, kind: 'abandoned', contactId: 'c', queueId: 'q', channel: 'call', waitMs: '3' }, 'abandoned: waitMs must be a finite number'],
    ['a channel not known', { at: 1, kind: 'offered', contactId: 'c', queueId: 'q', agentId: 'a', channel: 'fax' }, 'offered: channel must be a channel'],
    ['an agent state not known', { at: 1, kind: 'agent-state-changed', agentId: 'a', state: 'asleep' }, 'agent-state-changed: state must be an agent state'],
    ['a field another kind has', { at: 1, kind: 'agent-logged-in', agentId: 'a', waitMs: 3 }, 'agent-logged-in: has no field waitMs'],
    ['a field no kind has', { at: 1, kind: 'agent-logged-in', agentId: 'a', mood: 'happy' }, 'agent-logged-in: unknown field "mood"'],
    ['data on a kind without data', { at: 1, kind: 'offered', contactId: 'c', queueId: 'q', agentId: 'a', channel: 'call', data: {} }, 'offered: has no data'],
    ['required data missing', { at: 1, kind: 'agent-queues-changed', agentId: 'a' }, 'agent-queues-changed: data is missing'],
    ['a required data key missing', { at: 1, kind: 'dial-drop', contactId: 'c', data: { target: 't' } }, 'dial-drop: data.campaignId is missing'],
    ['a data key of the wrong type', { at: 1, kind: 'queue-entered', contactId: 'c', queueId: 'q', channel: 'call', data: { requiredSkills: ['nl'] } }, 'queue-entered: data.requiredSkills must be a list of { skill, minLevel }'],
    ['data that is not an object', { at: 1, kind: 'exited', contactId: 'c', queueId: 'q', channel: 'call', reason: 'timeout', waitMs: 1, data: [1] }, 'exited: data must be an object'],
    ['a time that is not a number', { at: '1', kind: 'agent-logged-in', agentId: 'a' }, 'agent-logged-in: at must be a time'],
  ])('rejects %s with CARUSO_COMMS_INVALID_EVENT naming the seq and the problem', (_what, raw, problem) => {
    const err = parseError(raw, 17);
    expect(err.code).toBe('CARUSO_COMMS_INVALID_EVENT');
    expect(err.message).toContain('event 17 ');
    expect(err.message).toContain(problem);
  });

  it('rejects a value that is not an object, or has no valid seq', () => {
    expect(parseError('queue-entered', 3).message).toContain('event 3 of the contact event log is malformed: it is not an object');
    expect(parseError({ at: 1, kind: 'agent-logged-in', agentId: 'a' }).message).toContain('its seq must be a whole number');
    expect(parseError({ seq: 0, at: 1, kind: 'agent-logged-in', agentId: 'a' }).message).toContain('event 0 ');
  });

  it('has a schema version and knows every kind', () => {
    expect(CONTACT_EVENT_SCHEMA_VERSION).toBe(1);
    expect(new Set(CONTACT_EVENT_KINDS).size).toBe(CONTACT_EVENT_KINDS.length);
  });

  it('accepts every event the router appends, after a trip through JSON', async () => {
    const clock = new VirtualClock();
    const log = new InMemoryContactEventLog();
    const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
    router.addQueue({ id: 'main', wrapUpMs: 5_000, ringTimeoutMs: 10_000 });
    router.addQueue({ id: 'other' });
    router.addAgent({ id: 'ann', queues: [{ queueId: 'main' }, { queueId: 'other' }], endpoint: 'sip:ann@pbx' });
    router.addAgent({ id: 'bob', queues: [{ queueId: 'main' }], endpoint: 'sip:bob@pbx' });
    router.setAgentQueues('ann', [{ queue: 'main' }, { queue: 'other' }]);
    router.login('ann');
    router.login('bob');
    router.pause('bob', 'break');
    const offerTo = (agentId: string): string => {
      const o = router.pendingOffers(agentId)[0];
      if (!o) throw new Error(`no offer rings at ${agentId}`);
      return o.offerId;
    };
    // c1: declined by ann, rings unanswered at bob, moves queue, is taken by ann, held and completed.
    router.enqueue({ id: 'c1', channel: 'chat', queueId: 'main', requiredSkills: [], data: { customerKey: 'k1' } });
    router.reject(offerTo('ann'), 'busy');
    router.resume('bob');
    offerTo('bob');
    clock.advance(10_001);
    router.transferToQueue('c1', 'other');
    router.accept(offerTo('ann'));
    router.hold('c1');
    router.retrieve('c1');
    router.complete('c1', 'caller');
    // c2: a call that waits and abandons; c3 exits; c4 asks for a callback that keeps its place.
    router.pause('ann', 'lunch');
    router.pause('bob', 'lunch');
    router.enqueue({ id: 'c2', channel: 'call', queueId: 'main' });
    router.abandon('c2');
    router.enqueue({ id: 'c3', channel: 'email', queueId: 'main' });
    router.exit('c3', 'timeout');
    router.enqueue({ id: 'c4', channel: 'call', queueId: 'main', priority: 1 });
    router.requestCallback('c4', '+3210001');
    router.scheduleCallback({ id: 'cb-1', number: '+3210002', queueId: 'main', at: clock.now() + 60_000 });
    router.cancelScheduledCallback('cb-1');
    for (const agentId of router.agentIds()) {
      router.finishWrapUp(agentId);
      const ended = (await log.read()).filter((e) => e.kind === 'completed' && e.agentId === agentId).pop();
      if (ended?.contactId) router.wrapUp(agentId, ended.contactId, 'solved', 'fine', { object: 'Customer', id: '9' });
    }
    router.logout('bob');
    const events = await log.read();
    expect([...new Set(events.map((e) => e.kind))]).toEqual(
      expect.arrayContaining([
        'agent-queues-changed', 'agent-logged-in', 'agent-state-changed', 'queue-entered', 'offered', 'rejected', 'connected', 'transferred',
        'ring-no-answer', 'held', 'retrieved', 'completed', 'abandoned', 'exited', 'callback-scheduled', 'callback-completed', 'disposition', 'agent-logged-out',
      ]),
    );
    for (const e of events) expect(parseContactEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });
});
