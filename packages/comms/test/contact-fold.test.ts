import { foldContact, foldContacts, openContacts, type ContactEvent, type ContactEventInput } from '@caruso/comms';

const s = (n: number): number => 1_000_000 + n * 1000;
const numbered = (events: ContactEventInput[]): ContactEvent[] => events.map((e, i) => ({ ...e, seq: i + 1 }));

describe('foldContact / foldContacts', () => {
  it('ends a call in the IVR with its IVR outcome, and a message left in the IVR as voicemail on the call', () => {
    const lives = foldContacts(
      numbered([
        { kind: 'disposition', at: s(1), contactId: 'ivr-1', channel: 'call', reason: 'ivr-end', data: { outcome: 'balance-told' } },
        { kind: 'voicemail-left', at: s(2), contactId: 'vm-1', queueId: 'q', channel: 'call', reason: 'key', data: { callId: 'call-2', durationMs: 4000 } },
      ]),
    );
    expect(lives.get('ivr-1')).toMatchObject({ status: 'ended', outcome: 'ivr-end', enteredAt: s(1), endedAt: s(1) });
    expect(lives.get('call-2')).toMatchObject({ status: 'ended', outcome: 'voicemail', queueId: 'q' });
    expect(lives.has('vm-1')).toBe(false);
  });

  it('keeps the age and place of a contact that enters again while open (a restart), and fills only the gaps', () => {
    const lives = foldContacts(
      numbered([
        { kind: 'queue-entered', at: s(0), contactId: 'c', queueId: 'q', channel: 'email', priority: 3, data: { data: { from: 'ann@example.org' } } },
        { kind: 'queue-entered', at: s(60), contactId: 'c', queueId: 'q', channel: 'email', priority: 0, waitMs: 60_000, data: { data: { from: 'other@example.org', customerKey: '7' } } },
      ]),
    );
    expect(lives.get('c')).toMatchObject({ status: 'queued', enteredAt: s(0), enteredSeq: 1, priority: 3, address: 'ann@example.org', customerKey: '7', seq: 2 });
  });

  it('ends a callback whose customer was not reached with that dial result, at the completion that follows', () => {
    const events = numbered([
      { kind: 'queue-entered', at: s(0), contactId: 'cb', queueId: 'q', channel: 'callback', direction: 'outbound', priority: 0, data: { data: { callbackNumber: '+3210' } } },
      { kind: 'offered', at: s(1), contactId: 'cb', queueId: 'q', agentId: 'ann', channel: 'callback' },
      { kind: 'connected', at: s(2), contactId: 'cb', queueId: 'q', agentId: 'ann', channel: 'callback', waitMs: 2000, ringMs: 1000 },
      { kind: 'dial-result', at: s(5), contactId: 'cb', queueId: 'q', agentId: 'ann', channel: 'callback', reason: 'busy' },
    ]);
    expect(openContacts(events).connected.map((c) => c.spec.id)).toEqual(['cb']);
    const done = foldContact(foldContacts(events).get('cb'), { seq: 5, kind: 'completed', at: s(5), contactId: 'cb', queueId: 'q', agentId: 'ann', channel: 'callback', reason: 'agent', talkMs: 3000, holdMs: 0 });
    expect(done).toMatchObject({ status: 'wrap-up', outcome: 'busy', endedBy: undefined, address: '+3210', talkMs: 3000 });
  });

  it('closes a contact lost with the process, and a scheduled callback cancelled before it was due', () => {
    const lives = foldContacts(
      numbered([
        { kind: 'queue-entered', at: s(0), contactId: 'c', queueId: 'q', channel: 'chat' },
        { kind: 'connected', at: s(1), contactId: 'c', queueId: 'q', agentId: 'ann', channel: 'chat', waitMs: 1000 },
        { kind: 'completed', at: s(9), contactId: 'c', queueId: 'q', agentId: 'ann', channel: 'chat', reason: 'lost-on-restart' },
        { kind: 'callback-scheduled', at: s(2), contactId: 'cb', queueId: 'q', channel: 'callback', reason: 'scheduled', data: { scheduledAt: s(100), callbackNumber: '+3211' } },
        { kind: 'callback-completed', at: s(3), contactId: 'cb', queueId: 'q', reason: 'cancelled' },
      ]),
    );
    expect(lives.get('c')).toMatchObject({ status: 'wrap-up', outcome: 'lost-on-restart', talkMs: 0, agentId: 'ann' });
    expect(lives.get('cb')).toMatchObject({ status: 'ended', outcome: 'cancelled', enteredAt: undefined, callbackNumber: '+3211' });
  });

  it('gives a callback that keeps a waiting call\'s place that call\'s place in line, in either order of its two events', () => {
    // Two contacts entered in the same millisecond; the call was then replaced by a keep-place callback,
    // once as a restart writes it (the call's exit first) and once as requestCallback does (callback first).
    for (const restartOrder of [true, false]) {
      const replaced: ContactEventInput[] = [
        { kind: 'exited', at: s(5), contactId: 'call', queueId: 'q', channel: 'call', reason: restartOrder ? 'lost-on-restart' : 'callback-requested', waitMs: 5000 },
        { kind: 'callback-scheduled', at: s(5), contactId: 'call-cb', queueId: 'q', channel: 'callback', reason: 'keep-place', data: { originalContactId: 'call' } },
      ];
      const events = numbered([
        { kind: 'queue-entered', at: s(0), contactId: 'call', queueId: 'q', channel: 'call', data: { data: { caller: '+3120' } } },
        { kind: 'queue-entered', at: s(0), contactId: 'mail', queueId: 'q', channel: 'email' },
        ...(restartOrder ? replaced : replaced.reverse()),
        { kind: 'queue-entered', at: s(5), contactId: 'call-cb', queueId: 'q', channel: 'callback', direction: 'outbound', waitMs: 5000 },
      ]);
      const { waiting } = openContacts(events);
      expect(waiting.map((c) => [c.id, c.enteredAt])).toEqual([
        ['call-cb', s(0)],
        ['mail', s(0)],
      ]);
    }
  });

  it('returns the same state for an event that changes nothing, and nothing for an event that opens no contact', () => {
    const [entered] = numbered([{ kind: 'queue-entered', at: s(0), contactId: 'c', queueId: 'q', channel: 'call' }]);
    const c = foldContact(undefined, entered!);
    expect(foldContact(c, { seq: 2, kind: 'retrieved', at: s(1), contactId: 'c', queueId: 'q', agentId: 'ann', channel: 'call', holdMs: 5 })).toBe(c);
    expect(foldContact(undefined, { seq: 3, kind: 'offered', at: s(1), contactId: 'x', queueId: 'q', agentId: 'ann', channel: 'call' })).toBeUndefined();
  });
});
