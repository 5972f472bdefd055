import { VirtualClock, type ContactEventInput } from '@caruso/comms';
import { InMemoryContactEventLog } from '@caruso/comms/testing';
import { MonitorRuntime, type AgentBoard, type CenterFigures, type QueueFigures } from '@caruso/monitor';

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const s = (n: number): number => T0 + n * 1000;

function setUp(): { log: InMemoryContactEventLog; clock: VirtualClock; monitor: MonitorRuntime; add: (e: ContactEventInput) => void } {
  const log = new InMemoryContactEventLog();
  const clock = new VirtualClock(T0);
  const monitor = new MonitorRuntime(log, undefined, { clock, thresholdMs: 20_000, batchMs: 0, agentGroups: { day: ['a1'] } });
  return { log, clock, monitor, add: (e) => log.append(e) };
}

const q = (m: MonitorRuntime, id: string): QueueFigures => m.topicValue(`queue:${id}`) as QueueFigures;
const center = (m: MonitorRuntime): CenterFigures => m.topicValue('center') as CenterFigures;

describe('LiveFigures (folded from the event log only)', () => {
  it("carries an agent's queue choice made while logged in, so staffed and available follow it", async () => {
    const { monitor, add } = setUp();
    await monitor.start();
    add({ kind: 'agent-state-changed', at: s(0), agentId: 'a1', state: 'ready', fromState: 'logged-out' });
    // Before any choice the agent serves the queues of its configuration: the board says nothing.
    expect((monitor.topicValue('agents') as AgentBoard).agents['a1']?.queues).toBeUndefined();
    add({ kind: 'agent-queues-changed', at: s(5), agentId: 'a1', data: { queues: [{ queueId: 'q1', level: 1 }, { queueId: 'q2', level: 2 }] } });
    expect((monitor.topicValue('agents') as AgentBoard).agents['a1']).toMatchObject({ state: 'ready', queues: ['q1', 'q2'] });
    add({ kind: 'agent-queues-changed', at: s(9), agentId: 'a1', data: { queues: [{ queueId: 'q2', level: 1 }] } });
    expect((monitor.topicValue('agents') as AgentBoard).agents['a1']?.queues).toEqual(['q2']);
    await monitor.stop();
  });

  it('follows each kind of event with the figures computed by hand', async () => {
    const { monitor, add } = setUp();
    await monitor.start();
    add({ kind: 'agent-state-changed', at: s(0), agentId: 'a1', state: 'ready', fromState: 'logged-out' });
    add({ kind: 'agent-state-changed', at: s(0), agentId: 'a2', state: 'ready', fromState: 'logged-out' });
    add({ kind: 'queue-entered', at: s(0), contactId: 'c1', queueId: 'q1', channel: 'call', direction: 'inbound' });
    add({ kind: 'queue-entered', at: s(1), contactId: 'c2', queueId: 'q1', channel: 'email', direction: 'inbound' });
    expect(q(monitor, 'q1').waiting).toEqual([
      { contactId: 'c1', channel: 'call', enteredAt: s(0), offered: false, deferred: false },
      { contactId: 'c2', channel: 'email', enteredAt: s(1), offered: false, deferred: true },
    ]);
    expect(q(monitor, 'q1').longestWaitSince).toBe(s(0));
    expect(q(monitor, 'q1').today.offered).toBe(2);

    add({ kind: 'offered', at: s(5), contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call' });
    add({ kind: 'agent-state-changed', at: s(5), agentId: 'a1', state: 'reserved', fromState: 'ready' });
    expect(q(monitor, 'q1').waiting[0]).toMatchObject({ contactId: 'c1', offered: true });
    expect((monitor.topicValue('agents') as AgentBoard).counts).toEqual({ loggedIn: 2, ready: 1, reserved: 1, busy: 0, wrapUp: 0, paused: 0 });

    add({ kind: 'connected', at: s(10), contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call', waitMs: 10_000, ringMs: 5_000 });
    add({ kind: 'agent-state-changed', at: s(10), agentId: 'a1', state: 'busy', fromState: 'reserved' });
    let t = q(monitor, 'q1');
    expect(t.waiting.map((w) => w.contactId)).toEqual(['c2']);
    expect(t.today).toMatchObject({ answered: 1, asaSeconds: 10, serviceLevel: { thresholdSeconds: 20, ofAnswered: 1, ofOffered: 1, excludingShortAbandons: 1 } });

    add({ kind: 'abandoned', at: s(31), contactId: 'c2', queueId: 'q1', channel: 'email', waitMs: 30_000 });
    t = q(monitor, 'q1');
    expect(t.waiting).toEqual([]);
    expect(t.longestWaitSince).toBeNull();
    expect(t.today).toMatchObject({ abandoned: 1, shortAbandons: 0, abandonRate: 0.5, serviceLevel: { ofAnswered: 1, ofOffered: 0.5, excludingShortAbandons: 0.5 } });

    add({ kind: 'queue-entered', at: s(40), contactId: 'c3', queueId: 'q1', channel: 'call' });
    add({ kind: 'abandoned', at: s(45), contactId: 'c3', queueId: 'q1', channel: 'call', waitMs: 5_000 });
    t = q(monitor, 'q1');
    // SL of offered = 1 / (A + B + X) = 1/3; excluding short abandons = 1 / (A + B − Bt) = 1/2.
    expect(t.today).toMatchObject({ offered: 3, abandoned: 2, shortAbandons: 1 });
    expect(t.today.serviceLevel.ofOffered).toBeCloseTo(1 / 3, 10);
    expect(t.today.serviceLevel.excludingShortAbandons).toBeCloseTo(0.5, 10);
    expect(t.today.abandonRate).toBeCloseTo(2 / 3, 10);

    add({ kind: 'completed', at: s(70), contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call', reason: 'agent', talkMs: 60_000, holdMs: 0 });
    add({ kind: 'agent-state-changed', at: s(70), agentId: 'a1', state: 'wrap-up', fromState: 'busy' });
    add({ kind: 'wrap-up-ended', at: s(80), contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call', wrapMs: 10_000 });
    add({ kind: 'agent-state-changed', at: s(80), agentId: 'a1', state: 'ready', fromState: 'wrap-up' });
    // AHT = (talk 60 + hold 0 + wrap 10) / 1 handled.
    expect(q(monitor, 'q1').today).toMatchObject({ handled: 1, ahtSeconds: 70 });
    expect(monitor.topicValue('agent:a1')).toEqual({ agentId: 'a1', state: 'ready', since: s(80), reason: null, handledToday: 1, ringNoAnswerToday: 0, ahtSecondsToday: 70 });

    add({ kind: 'agent-state-changed', at: s(100), agentId: 'a2', state: 'paused', fromState: 'ready', reason: 'break' });
    const board = monitor.topicValue('agents') as AgentBoard;
    expect(board.counts).toEqual({ loggedIn: 2, ready: 1, reserved: 0, busy: 0, wrapUp: 0, paused: 1 });
    expect(board.pausedByReason).toEqual({ break: 1 });
    expect(Object.keys((monitor.topicValue('agents:day') as AgentBoard).agents)).toEqual(['a1']);

    add({ kind: 'queue-entered', at: s(110), contactId: 'c4', queueId: 'q2', channel: 'chat' });
    add({ kind: 'exited', at: s(130), contactId: 'c4', queueId: 'q2', channel: 'chat', reason: 'timeout', waitMs: 20_000 });
    expect(q(monitor, 'q2').today).toMatchObject({ offered: 1, exited: 1, exitedByReason: { timeout: 1 } });

    add({ kind: 'voicemail-left', at: s(140), contactId: 'v1', queueId: 'q1' });
    add({ kind: 'callback-scheduled', at: s(141), contactId: 'cb1', queueId: 'q1' });
    expect(center(monitor)).toMatchObject({ voicemailsPending: 1, callbacksPending: 1 });
    add({ kind: 'callback-completed', at: s(142), contactId: 'cb1', queueId: 'q1' });
    expect(center(monitor)).toMatchObject({ voicemailsPending: 1, callbacksPending: 0 });

    add({ kind: 'campaign-started', at: s(150), data: { campaignId: 'spring', size: 10 } });
    for (let i = 0; i < 3; i++) add({ kind: 'dial-attempt', at: s(151), contactId: `o${i}`, data: { campaignId: 'spring' } });
    add({ kind: 'dial-result', at: s(152), contactId: 'o0', reason: 'answered', data: { campaignId: 'spring' } });
    add({ kind: 'dial-result', at: s(152), contactId: 'o1', reason: 'answered', data: { campaignId: 'spring' } });
    add({ kind: 'dial-result', at: s(152), contactId: 'o2', reason: 'busy', data: { campaignId: 'spring' } });
    add({ kind: 'dial-drop', at: s(160), contactId: 'o1', data: { campaignId: 'spring' } });
    expect(monitor.topicValue('campaigns')).toEqual({
      campaigns: { spring: { campaignId: 'spring', state: 'running', dialled: 3, answered: 2, dropped: 1, dropRate: 0.5, results: { answered: 2, busy: 1 }, remaining: 7 } },
    });

    const c = center(monitor);
    expect(c.day).toBe('2025-01-06');
    expect(c.today).toMatchObject({ offered: 4, answered: 1, handled: 1, abandoned: 2, exited: 1 });
    // a1: ready 5 + reserved 5 + busy 60 + wrap-up 10 + ready 80 = 160 staffed, 70 working;
    // a2: ready 100 staffed, then paused (not staffed). Occupancy = 70 / 260 up to the last event (160 s).
    expect(c.today.occupancy).toBeCloseTo(70 / 260, 10);
    expect(monitor.foldedSeq()).toBe(29);
    await monitor.dispose();
  });

  it('counts an e-mail or a callback waiting overnight as waiting, and the longest wait only over calls and chats', async () => {
    const { monitor, add } = setUp();
    await monitor.start();
    add({ kind: 'queue-entered', at: s(0) - 14 * 3_600_000, contactId: 'mail', queueId: 'q1', channel: 'email' });
    add({ kind: 'queue-entered', at: s(1), contactId: 'cb', queueId: 'q1', channel: 'callback', direction: 'outbound', waitMs: 13 * 3_600_000 });
    expect(q(monitor, 'q1')).toMatchObject({ waiting: [{ contactId: 'mail' }, { contactId: 'cb' }], longestWaitSince: null });
    expect(center(monitor)).toMatchObject({ waiting: 2, longestWaitSince: null });
    add({ kind: 'queue-entered', at: s(5), contactId: 'call', queueId: 'q1', channel: 'call' });
    add({ kind: 'queue-entered', at: s(6), contactId: 'chat', queueId: 'q1', channel: 'chat' });
    expect(q(monitor, 'q1').longestWaitSince).toBe(s(5));
    expect(center(monitor)).toMatchObject({ waiting: 4, longestWaitSince: s(5) });
    await monitor.stop();
  });

  it('credits a transferred contact to the queue it entered first and shows it waiting in the new one', async () => {
    const { monitor, add } = setUp();
    await monitor.start();
    add({ kind: 'queue-entered', at: s(0), contactId: 'c1', queueId: 'billing', channel: 'call' });
    add({ kind: 'transferred', at: s(30), contactId: 'c1', queueId: 'sales', channel: 'call', reason: 'overflow', data: { fromQueueId: 'billing' } });
    expect(q(monitor, 'billing').waiting).toEqual([]);
    expect(q(monitor, 'sales').waiting).toEqual([{ contactId: 'c1', channel: 'call', enteredAt: s(0), offered: false, deferred: false }]);
    add({ kind: 'connected', at: s(40), contactId: 'c1', queueId: 'sales', agentId: 'a1', channel: 'call', waitMs: 40_000 });
    expect(q(monitor, 'billing').today).toMatchObject({ offered: 1, answered: 1, serviceLevel: { ofAnswered: 0 } });
    expect(q(monitor, 'sales').today).toMatchObject({ offered: 0, answered: 0 });
    await monitor.dispose();
  });

  it('shows the same figures after a restart (today is folded again from the log)', async () => {
    const { log, clock, monitor, add } = setUp();
    add({ kind: 'agent-state-changed', at: s(-86_000), agentId: 'night', state: 'paused', fromState: 'ready', reason: 'lunch' });
    add({ kind: 'queue-entered', at: s(-3_600 * 9), contactId: 'old', queueId: 'q1', channel: 'call' });
    add({ kind: 'connected', at: s(-3_600 * 9 + 5), contactId: 'old', queueId: 'q1', agentId: 'x', channel: 'call', waitMs: 5_000 });
    await monitor.start();
    add({ kind: 'queue-entered', at: s(1), contactId: 'c1', queueId: 'q1', channel: 'call' });
    add({ kind: 'connected', at: s(4), contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call', waitMs: 3_000 });
    add({ kind: 'queue-entered', at: s(5), contactId: 'c2', queueId: 'q1', channel: 'call' });
    const before = ['center', 'queue:q1', 'agents'].map((t) => monitor.topicValue(t));
    // Yesterday's contact is not counted today; the agent paused yesterday is still paused.
    expect((before[1] as QueueFigures).today.offered).toBe(2);
    expect((before[2] as AgentBoard).pausedByReason).toEqual({ lunch: 1 });
    await monitor.dispose();
    const again = new MonitorRuntime(log, undefined, { clock, batchMs: 0 });
    await again.start();
    expect(['center', 'queue:q1', 'agents'].map((t) => again.topicValue(t))).toEqual(before);
    await again.dispose();
  });

  it('starts a new day at midnight: counters restart, waiting contacts stay', async () => {
    const { monitor, add, clock } = setUp();
    await monitor.start();
    add({ kind: 'queue-entered', at: s(0), contactId: 'c1', queueId: 'q1', channel: 'call' });
    add({ kind: 'queue-entered', at: Date.UTC(2025, 0, 6, 23, 59, 0), contactId: 'c2', queueId: 'q1', channel: 'call' });
    expect(q(monitor, 'q1').today.offered).toBe(2);
    clock.advance(Date.UTC(2025, 0, 7, 0, 0, 1) - clock.now());
    expect(center(monitor).day).toBe('2025-01-07');
    expect(q(monitor, 'q1').today.offered).toBe(0);
    expect(q(monitor, 'q1').waiting.map((w) => w.contactId)).toEqual(['c1', 'c2']);
    await monitor.dispose();
  });

  it('rejects bad options and unknown topics with coded errors', async () => {
    const { log, monitor } = setUp();
    expect(() => new MonitorRuntime(log, undefined, { thresholdMs: -1 })).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_INVALID_OPTIONS' }));
    expect(() => new MonitorRuntime(log, undefined, { agentGroups: { g: 'a1' as unknown as string[] } })).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_INVALID_OPTIONS' }));
    expect(() => monitor.attach(undefined as never, { name: 'x', role: 'supervisor' })).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_NOT_STARTED' }));
    await monitor.start();
    expect(() => monitor.topicValue('weather')).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_UNKNOWN_TOPIC' }));
    expect(() => monitor.topicValue('agents:nosuchgroup')).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_UNKNOWN_TOPIC' }));
    expect(() => monitor.topicValue('queue:q1', { name: 'anna', role: 'agent', agentId: 'anna' })).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_FORBIDDEN' }));
    expect(monitor.topicValue('agent:anna', { name: 'anna', role: 'agent', agentId: 'anna' })).toMatchObject({ agentId: 'anna', state: 'logged-out' });
    await monitor.dispose();
  });
});
