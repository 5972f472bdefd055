import { SimulatedTelephony, VirtualClock, isOpen, nextOpening, openContacts, type ContactExit } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';

function setup() {
  const clock = new VirtualClock(); // Monday 2025-01-06 08:00 UTC
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
  const telephony = new SimulatedTelephony(clock);
  const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'sales' });
  const exits: ContactExit[] = [];
  router.onDidExit((e) => exits.push(e));
  return { clock, log, router, telephony, channel, exits };
}

describe('QueueRouter: opening hours, empty exit, agent expressions', () => {
  it('opening hours follow the time zone, holidays included', () => {
    const hours = { timeZone: 'America/New_York', days: { mon: [['09:00', '17:00']] as [string, string][] }, closedDates: ['2025-01-13'] };
    const mon8utc = Date.UTC(2025, 0, 6, 8);
    expect(isOpen(hours, mon8utc)).toBe(false); // 03:00 in New York
    expect(nextOpening(hours, mon8utc)).toBe(Date.UTC(2025, 0, 6, 14)); // 09:00 EST
    expect(isOpen(hours, Date.UTC(2025, 0, 13, 15))).toBe(false); // a holiday
  });

  it('after hours a contact moves to the other queue of the after-hours action', () => {
    const t = setup();
    t.router.addQueue({ id: 'night' });
    t.router.addQueue({ id: 'sales', openingHours: { timeZone: 'UTC', days: { mon: [['09:00', '17:00']] } }, afterHours: { action: 'queue', queueId: 'night' } });
    const c = t.router.enqueue({ channel: 'chat', queueId: 'sales' });
    expect(t.router.contact(c.id)).toMatchObject({ queueId: 'night', state: 'queued' });
    t.clock.advance(3_600_000);
    const d = t.router.enqueue({ channel: 'chat', queueId: 'sales' });
    expect(t.router.contact(d.id)).toMatchObject({ queueId: 'sales' });
  });

  it('the empty exit: when the last agent logs out the waiting contacts exit with reason empty', () => {
    const t = setup();
    t.router.addQueue({ id: 'sales', whenEmpty: { action: 'message', prompt: 'Closed' } });
    t.router.addAgent({ id: 'a', queues: [{ queueId: 'sales' }], capacity: { chat: 1 } });
    t.router.login('a');
    t.router.pause('a', 'break');
    const c = t.router.enqueue({ channel: 'chat', queueId: 'sales' });
    expect(t.router.contact(c.id)?.state).toBe('queued');
    t.router.logout('a');
    expect(t.exits).toEqual([expect.objectContaining({ contactId: c.id, reason: 'empty', action: { action: 'message', prompt: 'Closed' } })]);
  });

  it('e-mails and callbacks wait for an agent: no after-hours or empty exit, no time-out, and they do not fill the line', () => {
    const t = setup(); // Monday 08:00 UTC, before the queue opens
    t.router.addQueue({
      id: 'sales',
      openingHours: { timeZone: 'UTC', days: { mon: [['09:00', '17:00']] } },
      afterHours: { action: 'message', prompt: 'Closed' },
      whenEmpty: { action: 'message', prompt: 'Nobody here' },
      maxWaitMs: 60_000,
      maxLength: 1,
    });
    // Closed, nobody logged in: a chat is turned away, an e-mail and a callback wait.
    const chat = t.router.enqueue({ id: 'chat', channel: 'chat', queueId: 'sales' });
    const mail = t.router.enqueue({ id: 'mail', channel: 'email', queueId: 'sales' });
    const cb = t.router.enqueue({ id: 'cb', channel: 'callback', direction: 'outbound', queueId: 'sales', data: { callbackNumber: '+31201234567' } });
    expect([chat.state, mail.state, cb.state]).toEqual(['ended', 'queued', 'queued']);
    expect(t.exits.map((e) => [e.contactId, e.reason])).toEqual([['chat', 'after-hours']]);
    // Open, an agent in: the e-mail and the callback do not count for maxLength, so a chat still enters;
    // the next chat finds the line full.
    t.clock.advance(3_600_000);
    t.router.addAgent({ id: 'a', queues: [{ queueId: 'sales' }], capacity: { voice: 0, chat: 0, email: 0 } });
    t.router.login('a');
    expect(t.router.enqueue({ id: 'chat-2', channel: 'chat', queueId: 'sales' }).state).toBe('queued');
    expect(t.router.enqueue({ id: 'chat-3', channel: 'chat', queueId: 'sales' }).state).toBe('ended');
    // After maxWait the chat times out; the e-mail and the callback, waiting for hours, stay.
    t.clock.advance(61_000);
    expect(t.exits.map((e) => [e.contactId, e.reason])).toEqual([
      ['chat', 'after-hours'],
      ['chat-3', 'full'],
      ['chat-2', 'timeout'],
    ]);
    // The last agent leaves: no empty exit for the e-mail and the callback either.
    t.router.logout('a');
    expect(t.router.waiting('sales').map((c) => c.id)).toEqual(['mail', 'cb']);
    expect(t.exits).toHaveLength(3);
    // They count as waiting, not for the longest wait (of a caller or a chat).
    expect(t.router.queueStatus('sales')).toMatchObject({ waiting: 2, longestWaitMs: 0 });
    t.router.enqueue({ id: 'chat-4', channel: 'chat', queueId: 'sales', enteredAt: t.clock.now() - 5_000 }, { restore: true });
    expect(t.router.queueStatus('sales')).toMatchObject({ waiting: 3, longestWaitMs: 5_000 });
  });

  it('overflow rules for callers (voicemail, callback) pass e-mails and callbacks by; move still applies', () => {
    const t = setup();
    t.router.addQueue({ id: 'other' });
    t.router.addQueue({ id: 'sales', overflow: [{ afterMs: 300_000, action: 'callback' }, { afterMs: 600_000, action: 'move', queueId: 'other' }] });
    t.router.enqueue({ id: 'mail', channel: 'email', queueId: 'sales' });
    t.router.enqueue({ id: 'cb', channel: 'callback', direction: 'outbound', queueId: 'sales', data: { callbackNumber: '+31201234567' } });
    t.router.enqueue({ id: 'chat', channel: 'chat', queueId: 'sales' });
    t.clock.advance(301_000);
    expect(t.exits.map((e) => [e.contactId, e.reason])).toEqual([['chat', 'callback-requested']]);
    expect(t.router.waiting('sales').map((c) => c.id)).toEqual(['mail', 'cb']);
    t.clock.advance(300_000);
    expect(t.router.waiting('other').map((c) => c.id)).toEqual(['mail', 'cb']);
  });

  it("a caller's position counts the calls and chats ahead, not e-mails waiting since the night", () => {
    const t = setup();
    t.router.addQueue({ id: 'sales' });
    for (const id of ['m1', 'm2', 'm3']) t.router.enqueue({ id, channel: 'email', queueId: 'sales', enteredAt: t.clock.now() - 6 * 3_600_000 });
    t.router.enqueue({ id: 'c1', channel: 'call', queueId: 'sales' });
    t.router.enqueue({ id: 'c2', channel: 'chat', queueId: 'sales' });
    expect(t.router.position('c1')?.position).toBe(1);
    expect(t.router.position('c2')?.position).toBe(2);
    expect(t.router.position('m3')?.position).toBe(3);
  });

  it('a callback a caller asks for keeps the call\'s place, also before a contact of the same millisecond (as a restart reads it)', async () => {
    const t = setup();
    t.router.addQueue({ id: 'sales' });
    t.router.enqueue({ id: 'x', channel: 'call', queueId: 'sales' });
    t.router.enqueue({ id: 'm', channel: 'chat', queueId: 'sales' });
    t.router.requestCallback('x', '+31201234567');
    expect(t.router.waiting('sales').map((c) => c.id)).toEqual(['x-cb', 'm']);
    expect(openContacts(await t.log.read()).waiting.map((c) => c.id)).toEqual(['x-cb', 'm']);
  });

  it('a contact put back after a restart keeps its place in a queue that is closed, empty or full now', () => {
    const t = setup(); // before opening, nobody logged in
    t.router.addQueue({ id: 'sales', openingHours: { timeZone: 'UTC', days: { mon: [['09:00', '17:00']] } }, whenEmpty: { action: 'message', prompt: 'Nobody here' }, maxLength: 1 });
    for (const id of ['chat-1', 'chat-2']) t.router.enqueue({ id, channel: 'chat', queueId: 'sales', enteredAt: t.clock.now() - 60_000 }, { restore: true });
    expect(t.router.waiting('sales').map((c) => c.id)).toEqual(['chat-1', 'chat-2']);
    expect(t.exits).toEqual([]);
    // A new chat still gets the queue's rules.
    expect(t.router.enqueue({ id: 'chat-3', channel: 'chat', queueId: 'sales' }).state).toBe('ended');
  });

  it('an agent expression over attributes picks the agents, also with the contact data', () => {
    const t = setup();
    t.router.addQueue({ id: 'sales', strategy: 'linear', agentExpression: "contains(languages, coalesce(contact.lang, 'en')) and seniority >= 2" });
    t.router.addAgent({ id: 'junior', queues: [{ queueId: 'sales' }], attributes: { languages: ['nl', 'en'], seniority: 1 } });
    t.router.addAgent({ id: 'fr', queues: [{ queueId: 'sales' }], attributes: { languages: ['fr'], seniority: 5 } });
    t.router.addAgent({ id: 'nl', queues: [{ queueId: 'sales' }], attributes: { languages: ['nl', 'en'], seniority: 3 } });
    for (const a of ['junior', 'fr', 'nl']) t.router.login(a);
    const fr = t.router.enqueue({ channel: 'chat', queueId: 'sales', data: { lang: 'fr' } });
    const en = t.router.enqueue({ channel: 'chat', queueId: 'sales' });
    expect(t.router.contact(fr.id)?.agentIds).toEqual(['fr']);
    expect(t.router.contact(en.id)?.agentIds).toEqual(['nl']);
  });

  it('bad queue options are refused with a coded error and add nothing', () => {
    const t = setup();
    expect(() => t.router.addQueue({ id: 'q', agentExpression: 'seniority >= ' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_QUEUE' }));
    expect(() => t.router.addQueue({ id: 'q', openingHours: { timeZone: 'Mars/Olympus', days: {} } })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_QUEUE' }));
    expect(() => t.router.addQueue({ id: 'q', whenEmpty: { action: 'queue', queueId: 'q' } })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_QUEUE' }));
    expect(t.router.queueIds()).toEqual([]);
  });
});

describe('transfers, conference and hold on the line', () => {
  function connected() {
    const t = setup();
    t.router.addQueue({ id: 'sales', wrapUpMs: 10_000 });
    for (const a of ['a', 'b', 'c']) t.router.addAgent({ id: a, queues: [{ queueId: 'sales' }], endpoint: `sip:${a}@pbx` });
    t.router.login('a');
    const callId = t.telephony.placeInboundCall({ from: '+3201', talkMs: 600_000 });
    t.clock.advance(1);
    t.router.login('b');
    t.router.login('c');
    expect(t.router.agent('a').state).toBe('busy');
    return { ...t, callId };
  }

  it('transfers to an agent: the first goes to wrap-up, the second is rung and connected', async () => {
    const t = connected();
    t.router.transferToAgent(t.callId, 'c');
    t.clock.advance(1);
    expect(t.router.agent('a').state).toBe('wrap-up');
    expect(t.router.agent('c').state).toBe('busy');
    expect(t.router.agent('b').state).toBe('ready');
    expect(() => t.router.transferToAgent(t.callId, 'a')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_AGENT_STATE' }));
    const kinds = (await t.log.read()).filter((e) => e.contactId === t.callId).map((e) => `${e.kind}@${e.agentId ?? ''}`);
    expect(kinds).toEqual(['queue-entered@', 'offered@a', 'connected@a', 'completed@a', 'transferred@c', 'offered@c', 'connected@c']);
  });

  it('transfers to an outside number on the line', async () => {
    const t = connected();
    const events: string[] = [];
    t.telephony.onDidEvent((e) => events.push(e.type === 'transferred' ? `transferred:${e.destination}` : e.type));
    t.router.transferToNumber(t.callId, '+3299887766');
    expect(events).toEqual(['transferred:+3299887766']);
    expect(t.router.contact(t.callId)).toBeUndefined();
    expect(t.router.agent('a').state).toBe('wrap-up');
    expect((await t.log.read()).at(-2)).toMatchObject({ kind: 'completed', reason: 'transferred-out' });
  });

  it('a conference of three holds both agents until the call ends; hold goes to the line and back', async () => {
    const t = connected();
    t.router.conference(t.callId, { agentId: 'b' });
    t.router.conference(t.callId, { number: '+3255' });
    expect(t.telephony.partiesOf(t.callId)).toEqual(['sip:b@pbx', '+3255']);
    expect(t.router.agent('b').state).toBe('busy');
    const held: string[] = [];
    t.telephony.onDidEvent((e) => held.push(e.type));
    t.router.hold(t.callId);
    t.clock.advance(30_000);
    t.router.retrieve(t.callId);
    expect(held).toEqual(['held', 'unheld']);
    t.clock.advance(575_000); // the caller hangs up at 600 s; a's wrap-up lasts 10 s
    expect(t.router.agent('a').state).toBe('wrap-up');
    expect(t.router.agent('b').state).toBe('ready');
    const completed = (await t.log.read()).find((e) => e.kind === 'completed');
    expect(completed).toMatchObject({ agentId: 'a', holdMs: 30_000 });
  });
});
