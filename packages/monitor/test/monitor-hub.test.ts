import { VirtualClock } from '@caruso/comms';
import { InMemoryContactEventLog } from '@caruso/comms/testing';
import { AccessList } from '@caruso/kernel';
import { MonitorRuntime, type MonitorListener, type QueueFigures, type ServerMessage } from '@caruso/monitor';
import { TestClient } from './helpers.js';

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const SUPERVISOR = 'supervisor-token-0123456789';
const ANNA = 'anna-agent-token-0123456789';
const OTHER = 'other-tool-token-0123456789';

const access = new AccessList([
  { principal: 'boss', secret: SUPERVISOR, lookup: ['caruso.monitor'], call: ['caruso.monitor'] },
  { principal: 'anna', secret: ANNA, lookup: ['caruso.monitor'] },
  { principal: 'tool', secret: OTHER, lookup: ['caruso.comms'] },
]);

describe('MonitorHub over WebSocket (loopback)', () => {
  let log: InMemoryContactEventLog;
  let monitor: MonitorRuntime;
  let listener: MonitorListener;
  const clients: TestClient[] = [];
  const connect = async (token: string): Promise<TestClient> => {
    const c = await TestClient.connect(listener.url, token);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    log = new InMemoryContactEventLog();
    monitor = new MonitorRuntime(log, undefined, { clock: new VirtualClock(T0), batchMs: 0 });
    await monitor.start();
    listener = await monitor.listen({ port: 0, accessList: access });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await monitor.dispose();
    log.dispose();
  });

  it('sends a snapshot, then patches that rebuild exactly the current value', async () => {
    const sup = await connect(SUPERVISOR);
    expect(sup.messages[0]).toEqual({ type: 'hello', principal: { name: 'boss', role: 'supervisor' } });
    sup.send({ type: 'subscribe', topic: 'queue:q1' });
    await sup.until((m) => m.some((x) => x.type === 'snapshot'));
    expect(sup.values.get('queue:q1')).toEqual(monitor.topicValue('queue:q1'));
    log.append({ kind: 'queue-entered', at: T0 + 1000, contactId: 'c1', queueId: 'q1', channel: 'call' });
    log.append({ kind: 'queue-entered', at: T0 + 2000, contactId: 'c2', queueId: 'q1', channel: 'chat' });
    await sup.until((m) => m.some((x) => x.type === 'change' && x.seq === 2));
    expect(sup.values.get('queue:q1')).toEqual(monitor.topicValue('queue:q1'));
    log.append({ kind: 'connected', at: T0 + 5000, contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call', waitMs: 4000 });
    await sup.until((m) => m.some((x) => x.type === 'change' && x.seq === 3));
    const v = sup.values.get('queue:q1') as QueueFigures;
    expect(v.waiting.map((w) => w.contactId)).toEqual(['c2']);
    expect(v).toEqual(monitor.topicValue('queue:q1'));
    // The patch of the last event touched only what changed.
    const last = sup.messages.at(-1) as Extract<ServerMessage, { type: 'change' }>;
    expect(last.ops.every((o) => o.path[0] === 'waiting' || o.path[0] === 'longestWaitSince' || o.path[0] === 'today')).toBe(true);
  });

  it('gives a subscriber who joins late the current snapshot, then the same changes as the others', async () => {
    const early = await connect(SUPERVISOR);
    early.send({ type: 'subscribe', topic: 'center' });
    await early.until((m) => m.some((x) => x.type === 'snapshot'));
    for (let i = 1; i <= 5; i++) log.append({ kind: 'queue-entered', at: T0 + i * 1000, contactId: `c${i}`, queueId: 'q1', channel: 'call' });
    await early.until((m) => m.some((x) => x.type === 'change' && x.seq === 5));
    const late = await connect(SUPERVISOR);
    late.send({ type: 'subscribe', topic: 'center' });
    await late.until((m) => m.some((x) => x.type === 'snapshot'));
    const snap = late.messages.find((x) => x.type === 'snapshot') as Extract<ServerMessage, { type: 'snapshot' }>;
    expect(snap.seq).toBe(5);
    expect(snap.value).toMatchObject({ waiting: 5, today: { offered: 5 } });
    log.append({ kind: 'abandoned', at: T0 + 9000, contactId: 'c1', queueId: 'q1', channel: 'call', waitMs: 8000 });
    await late.until((m) => m.some((x) => x.type === 'change'));
    await early.until((m) => m.some((x) => x.type === 'change' && x.seq === 6));
    expect(late.values.get('center')).toEqual(monitor.topicValue('center'));
    expect(early.values.get('center')).toEqual(late.values.get('center'));
  });

  it('lets an agent see only their own figures', async () => {
    const anna = await connect(ANNA);
    expect(anna.messages[0]).toEqual({ type: 'hello', principal: { name: 'anna', role: 'agent', agentId: 'anna' } });
    anna.send({ type: 'subscribe', topic: 'queue:q1' });
    anna.send({ type: 'subscribe', topic: 'agent:bob' });
    anna.send({ type: 'subscribe', topic: 'agent:anna' });
    await anna.until((m) => m.some((x) => x.type === 'snapshot'));
    const errors = anna.messages.filter((x) => x.type === 'error');
    expect(errors).toEqual([
      expect.objectContaining({ code: 'CARUSO_MONITOR_FORBIDDEN', topic: 'queue:q1' }),
      expect.objectContaining({ code: 'CARUSO_MONITOR_FORBIDDEN', topic: 'agent:bob' }),
    ]);
    log.append({ kind: 'agent-state-changed', at: T0 + 1000, agentId: 'bob', state: 'ready', fromState: 'logged-out' });
    log.append({ kind: 'agent-state-changed', at: T0 + 2000, agentId: 'anna', state: 'ready', fromState: 'logged-out' });
    await anna.until((m) => m.some((x) => x.type === 'change'));
    expect(anna.values.get('agent:anna')).toMatchObject({ state: 'ready', since: T0 + 2000 });
    expect([...anna.values.keys()]).toEqual(['agent:anna']);
  });

  it('refuses connections without a valid token (401) or without a monitor grant (403)', async () => {
    expect(await TestClient.refused(listener.url)).toEqual({ status: 401, body: expect.objectContaining({ code: 'CARUSO_MONITOR_AUTH_FAILED' }) });
    expect(await TestClient.refused(listener.url, 'wrong-token-0123456789')).toEqual({ status: 401, body: expect.objectContaining({ code: 'CARUSO_MONITOR_AUTH_FAILED' }) });
    expect(await TestClient.refused(listener.url, OTHER)).toEqual({ status: 403, body: expect.objectContaining({ code: 'CARUSO_MONITOR_FORBIDDEN' }) });
  });

  it('answers bad messages with a coded error and keeps the connection', async () => {
    const sup = await connect(SUPERVISOR);
    sup.ws.send('not json');
    sup.send({ type: 'subscribe' });
    sup.send({ type: 'dance', topic: 'center' });
    sup.send({ type: 'subscribe', topic: 'center', extra: 1 });
    sup.send({ type: 'subscribe', topic: 'weather' });
    sup.send({ type: 'subscribe', topic: 'center' });
    await sup.until((m) => m.some((x) => x.type === 'snapshot'));
    expect(sup.messages.filter((x) => x.type === 'error').map((x) => (x as { code: string }).code)).toEqual([
      'CARUSO_MONITOR_INVALID_MESSAGE',
      'CARUSO_MONITOR_INVALID_MESSAGE',
      'CARUSO_MONITOR_INVALID_MESSAGE',
      'CARUSO_MONITOR_INVALID_MESSAGE',
      'CARUSO_MONITOR_UNKNOWN_TOPIC',
    ]);
  });

  it('does not let a slow subscriber slow the others: it misses updates, then gets a fresh snapshot', async () => {
    await monitor.dispose();
    monitor = new MonitorRuntime(log, undefined, { clock: new VirtualClock(T0), batchMs: 0, maxPendingBytes: 64 * 1024 });
    await monitor.start();
    listener = await monitor.listen({ port: 0, accessList: access });
    const fast = await connect(SUPERVISOR);
    const slow = await connect(SUPERVISOR);
    for (const c of [fast, slow]) c.send({ type: 'subscribe', topic: 'queue:big' });
    await fast.until((m) => m.some((x) => x.type === 'snapshot'));
    await slow.until((m) => m.some((x) => x.type === 'snapshot'));
    // The slow client stops reading: its socket buffers fill up.
    const rawSocket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    rawSocket.pause();
    // Each event changes a waiting list of ~1,000 contacts: patches of ~80 kB.
    let seq = 0;
    let i = 0;
    const deadline = Date.now() + 10_000;
    while (monitor.publisher.stats.lagging === 0 && Date.now() < deadline && i < 5_000) {
      seq = log.append({ kind: 'queue-entered', at: T0 + i * 10, contactId: `c${i}`, queueId: 'big', channel: 'call' }).seq;
      i++;
      await new Promise((r) => setImmediate(r));
    }
    expect(monitor.publisher.stats.lagging).toBe(1);
    // A few more changes while it lags: the fast client gets every one of them at once.
    for (let k = 0; k < 5; k++, i++) seq = log.append({ kind: 'queue-entered', at: T0 + i * 10, contactId: `c${i}`, queueId: 'big', channel: 'call' }).seq;
    await fast.until((m) => m.some((x) => x.type === 'change' && x.seq === seq));
    expect(fast.values.get('queue:big')).toEqual(monitor.topicValue('queue:big'));
    expect(fast.messages.some((x) => x.type === 'missed')).toBe(false);
    expect(monitor.publisher.stats.dropped).toBeGreaterThan(0);
    rawSocket.resume();
    await slow.until((m) => m.some((x) => x.type === 'missed'), 10_000);
    await slow.until((m) => {
      const at = m.findIndex((x) => x.type === 'missed');
      return m.slice(at).some((x) => x.type === 'snapshot');
    });
    const missedAt = slow.messages.findIndex((x) => x.type === 'missed');
    expect(slow.messages[missedAt + 1]).toMatchObject({ type: 'snapshot', topic: 'queue:big', seq });
    expect(slow.values.get('queue:big')).toEqual(monitor.topicValue('queue:big'));
    expect(monitor.publisher.stats.lagging).toBe(0);
  }, 20_000);
});
