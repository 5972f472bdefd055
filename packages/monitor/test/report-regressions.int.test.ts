import { CONTACT_EVENTS_TABLE, foldContacts, type ContactEvent, type ContactEventInput } from '@caruso/comms';
import { ReportCatalogue, runReport, type ReportResult } from '@caruso/monitor';
import { insertContactEvents } from '@caruso/monitor/testing';
import { forEachDatabase } from '@caruso/storage/testing';

// Regressions found by the property tests of the reports against the contact fold
// (reports-fold.property.int.test.ts), each on the events comms really writes, computed by hand.

const T0 = Date.UTC(2025, 0, 6, 9);
const s = (n: number): number => T0 + n * 1000;
const catalogue = new ReportCatalogue([]);
const period = { from: T0 - 3_600_000, to: T0 + 3_600_000 };

function numbered(events: readonly ContactEventInput[]): ContactEvent[] {
  return events.map((e, i) => ({ ...e, seq: i + 1 }));
}

/** Agent a1 logs in, takes call c1 and is busy when the process dies (s 60); the recovery logs it out; it logs in again at s 600. */
const CRASH_WHILE_BUSY = numbered([
  { kind: 'agent-logged-in', at: s(0), agentId: 'a1' },
  { kind: 'agent-state-changed', at: s(0), agentId: 'a1', state: 'ready', fromState: 'logged-out' },
  { kind: 'queue-entered', at: s(10), contactId: 'c1', queueId: 'q1', channel: 'call', direction: 'inbound', priority: 0, data: { data: { caller: '+3201' } } },
  { kind: 'offered', at: s(10), contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call' },
  { kind: 'agent-state-changed', at: s(10), agentId: 'a1', state: 'reserved', fromState: 'ready' },
  { kind: 'connected', at: s(15), contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call', waitMs: 5_000, ringMs: 5_000 },
  { kind: 'agent-state-changed', at: s(15), agentId: 'a1', state: 'busy', fromState: 'reserved' },
  // The restart: the call's line died with the process; the agent's desk too.
  { kind: 'completed', at: s(60), contactId: 'c1', queueId: 'q1', agentId: 'a1', channel: 'call', reason: 'lost-on-restart' },
  { kind: 'agent-logged-out', at: s(60), agentId: 'a1' },
  { kind: 'agent-logged-in', at: s(600), agentId: 'a1' },
  { kind: 'agent-state-changed', at: s(600), agentId: 'a1', state: 'ready', fromState: 'logged-out' },
  // c2, answered by a1 after the restart, talk 100 s, completed by the agent.
  { kind: 'queue-entered', at: s(700), contactId: 'c2', queueId: 'q1', channel: 'call', direction: 'inbound', priority: 0 },
  { kind: 'offered', at: s(700), contactId: 'c2', queueId: 'q1', agentId: 'a1', channel: 'call' },
  { kind: 'agent-state-changed', at: s(700), agentId: 'a1', state: 'reserved', fromState: 'ready' },
  { kind: 'connected', at: s(710), contactId: 'c2', queueId: 'q1', agentId: 'a1', channel: 'call', waitMs: 10_000, ringMs: 10_000 },
  { kind: 'agent-state-changed', at: s(710), agentId: 'a1', state: 'busy', fromState: 'reserved' },
  { kind: 'completed', at: s(810), contactId: 'c2', queueId: 'q1', agentId: 'a1', channel: 'call', reason: 'agent', talkMs: 100_000, holdMs: 0 },
  { kind: 'agent-state-changed', at: s(810), agentId: 'a1', state: 'ready', fromState: 'busy' },
]);

/**
 * A voice message m1 left in q1; its callback (queue vm) reached the caller on the first attempt. A
 * scheduled callback k1 (queue q1) not reached: given up (one attempt allowed here). A campaign call.
 */
const CALLBACKS = numbered([
  { kind: 'agent-logged-in', at: s(0), agentId: 'a1' },
  { kind: 'agent-state-changed', at: s(0), agentId: 'a1', state: 'ready', fromState: 'logged-out' },
  { kind: 'queue-entered', at: s(10), contactId: 'c1', queueId: 'q1', channel: 'call', direction: 'inbound', priority: 0, data: { data: { caller: '+3201' } } },
  { kind: 'exited', at: s(40), contactId: 'c1', queueId: 'q1', channel: 'call', reason: 'voicemail', waitMs: 30_000 },
  { kind: 'voicemail-left', at: s(70), contactId: 'vm-c1', queueId: 'q1', channel: 'call', reason: 'voicemail', talkMs: 20_000, data: { callId: 'c1', durationMs: 20_000, bytes: 320 } },
  { kind: 'queue-entered', at: s(70), contactId: 'vm-c1', queueId: 'vm', channel: 'callback', direction: 'outbound', priority: 0, data: { data: { caller: '+3201', callbackNumber: '+3201', voicemailId: 'vm-c1', originalContactId: 'c1' } } },
  { kind: 'offered', at: s(100), contactId: 'vm-c1', queueId: 'vm', agentId: 'a1', channel: 'callback' },
  { kind: 'connected', at: s(130), contactId: 'vm-c1', queueId: 'vm', agentId: 'a1', channel: 'callback', waitMs: 60_000, ringMs: 30_000 },
  { kind: 'callback-attempted', at: s(130), contactId: 'vm-c1', queueId: 'vm', agentId: 'a1', channel: 'callback', data: { attempt: 1 } },
  { kind: 'dial-result', at: s(140), contactId: 'vm-c1', queueId: 'vm', agentId: 'a1', channel: 'callback', reason: 'answered' },
  { kind: 'callback-completed', at: s(145), contactId: 'vm-c1', queueId: 'vm', agentId: 'a1', channel: 'callback', reason: 'reached' },
  { kind: 'completed', at: s(200), contactId: 'vm-c1', queueId: 'vm', agentId: 'a1', channel: 'callback', reason: 'agent', talkMs: 70_000, holdMs: 0 },
  { kind: 'callback-scheduled', at: s(300), contactId: 'k1', queueId: 'q1', channel: 'callback', reason: 'scheduled', priority: 0, data: { scheduledAt: s(400), callbackNumber: '+3202', data: {} } },
  { kind: 'queue-entered', at: s(400), contactId: 'k1', queueId: 'q1', channel: 'callback', direction: 'outbound', priority: 0, data: { data: { callbackNumber: '+3202', scheduledAt: s(400) } } },
  { kind: 'offered', at: s(410), contactId: 'k1', queueId: 'q1', agentId: 'a1', channel: 'callback' },
  { kind: 'connected', at: s(420), contactId: 'k1', queueId: 'q1', agentId: 'a1', channel: 'callback', waitMs: 20_000, ringMs: 10_000 },
  { kind: 'callback-attempted', at: s(420), contactId: 'k1', queueId: 'q1', agentId: 'a1', channel: 'callback', data: { attempt: 1 } },
  { kind: 'dial-result', at: s(450), contactId: 'k1', queueId: 'q1', agentId: 'a1', channel: 'callback', reason: 'busy' },
  { kind: 'callback-completed', at: s(450), contactId: 'k1', queueId: 'q1', agentId: 'a1', channel: 'callback', reason: 'unreached', data: { attempts: 1, lastResult: 'busy' } },
  { kind: 'completed', at: s(450), contactId: 'k1', queueId: 'q1', agentId: 'a1', channel: 'callback', reason: 'agent', talkMs: 30_000, holdMs: 0 },
  { kind: 'dial-attempt', at: s(500), contactId: 'd1', queueId: 'q1', direction: 'outbound', data: { campaignId: 'spring', target: 't1', attempt: 1 } },
  { kind: 'dial-result', at: s(520), contactId: 'd1', queueId: 'q1', reason: 'no-answer', data: { campaignId: 'spring', target: 't1' } },
]);

/** An e-mail that came at 23:00 and was answered 26 hours later (then handled in 10 minutes). */
const LATE_EMAIL = numbered([
  { kind: 'queue-entered', at: T0 + 14 * 3_600_000, contactId: 'e1', queueId: 'mail', channel: 'email', direction: 'inbound', priority: 0 },
  { kind: 'connected', at: T0 + 40 * 3_600_000, contactId: 'e1', queueId: 'mail', agentId: 'a1', channel: 'email', waitMs: 26 * 3_600_000 },
  { kind: 'completed', at: T0 + 40 * 3_600_000 + 600_000, contactId: 'e1', queueId: 'mail', agentId: 'a1', channel: 'email', reason: 'agent', talkMs: 600_000, holdMs: 0 },
]);

describe('report regressions found against the contact fold', () => {
  forEachDatabase((db) => {
    const load = async (events: readonly ContactEvent[]): Promise<void> => {
      await db.storage.knex(CONTACT_EVENTS_TABLE).del().catch(() => undefined);
      await insertContactEvents(db.storage, events);
    };
    const run = async (name: string): Promise<ReportResult['rows']> => (await runReport(db.storage, catalogue.get(name), period)).rows;

    it('an agent logged out by the recovery after a crash is not credited with the state it was in until it logs in again', async () => {
      await load(CRASH_WHILE_BUSY);
      // Logged in 0–60 s (ready 10, reserved 5, busy 45) and from 600 s to the end of the period (3,600 s).
      const [a1] = await run('agents');
      expect(a1).toMatchObject({ agent: 'a1', busySeconds: 45 + 100, readySeconds: 10 + 2_890, reservedSeconds: 5 + 10, loggedInSeconds: 60 + 3_000 });
    });

    it('a call lost on restart is not handled: it counts neither in handled nor in the handle time of the contacts or its agent', async () => {
      await load(CRASH_WHILE_BUSY);
      expect((await run('inbound'))[0]).toMatchObject({ offered: 2, answered: 2, handled: 1, avgTalkSeconds: 100, ahtSeconds: 100 });
      expect((await run('agents'))[0]).toMatchObject({ handled: 1, ahtSeconds: 100 });
      const lost = foldContacts(CRASH_WHILE_BUSY).get('c1');
      expect({ outcome: lost?.outcome, endedBy: lost?.endedBy }).toEqual({ outcome: 'lost-on-restart', endedBy: undefined });
    });

    it("a callback leg's dial result is no campaign: the campaign reports do not show its queue as one", async () => {
      await load(CALLBACKS);
      expect(await run('campaigns')).toEqual([{ campaign: 'spring', attempts: 1, contactsMade: 0, connected: 0, drops: 0, dropRate: null, contactRate: 0, dispositions: 0 }]);
      expect(await run('campaign-results')).toEqual([{ campaign: 'spring', reason: 'no-answer', results: 1 }]);
    });

    it('an e-mail answered more than a day after it came counts as answered on the day it came (its whole life is read)', async () => {
      await load(LATE_EMAIL);
      const day = { from: Date.UTC(2025, 0, 6), to: Date.UTC(2025, 0, 7) };
      const [row] = (await runReport(db.storage, catalogue.get('inbound'), day)).rows;
      expect(row).toMatchObject({ offered: 1, answered: 1, handled: 1, asaSeconds: 26 * 3_600, avgTalkSeconds: 600 });
      expect(foldContacts(LATE_EMAIL).get('e1')).toMatchObject({ waitMs: 26 * 3_600_000, outcome: 'completed' });
    });

    it('voicemail: called back counts the callbacks of messages that reached the caller (the channel logs reached, never voicemail)', async () => {
      await load(CALLBACKS);
      expect(await run('voicemail')).toEqual([
        { queue: 'q1', messages: 1, avgDurationSeconds: 20, notified: 0, calledBack: 0, avgTimeToCallBackSeconds: null },
        { queue: 'vm', messages: 0, avgDurationSeconds: null, notified: 0, calledBack: 1, avgTimeToCallBackSeconds: 60 },
      ]);
    });

    it('callbacks: the time to call back is the wait until an agent took the callback (no callback-completed carries a wait)', async () => {
      await load(CALLBACKS);
      expect(await run('callbacks')).toEqual([
        { queue: 'q1', scheduled: 1, attempts: 1, completed: 1, completionRate: 1, avgTimeToCallBackSeconds: 20 },
        { queue: 'vm', scheduled: 0, attempts: 1, completed: 1, completionRate: null, avgTimeToCallBackSeconds: 60 },
      ]);
    });
  });

  it("the fold keeps a callback's attempts and the result the channel logged (reached, unreached)", () => {
    const lives = foldContacts(CALLBACKS);
    expect([lives.get('vm-c1'), lives.get('k1')].map((l) => ({ attempts: l?.callbackAttempts, result: l?.callbackResult, outcome: l?.outcome }))).toEqual([
      { attempts: 1, result: 'reached', outcome: 'completed' },
      { attempts: 1, result: 'unreached', outcome: 'busy' },
    ]);
  });
});

describe('the agents report of a period not over yet', () => {
  forEachDatabase((db) => {
    it('counts an open state up to now (asOf), never to the end of the period', async () => {
      await db.storage.knex(CONTACT_EVENTS_TABLE).del().catch(() => undefined);
      // Logged in at 09:00, ready since; the report of today asked at 09:07.
      await insertContactEvents(db.storage, numbered([
        { kind: 'agent-logged-in', at: T0, agentId: 'a1' },
        { kind: 'agent-state-changed', at: T0, agentId: 'a1', state: 'ready', fromState: 'logged-out' },
      ]));
      const today = { from: T0 - 9 * 3_600_000, to: T0 + 15 * 3_600_000 };
      const [a1] = (await runReport(db.storage, catalogue.get('agents'), { ...today, asOf: T0 + 7 * 60_000 })).rows;
      expect(a1).toMatchObject({ agent: 'a1', loggedInSeconds: 420, readySeconds: 420 });
      // By hour: the open state stops at now too.
      const byHour = (await runReport(db.storage, catalogue.get('agents-by-hour'), { ...today, asOf: T0 + 7 * 60_000 })).rows;
      expect(byHour.map((r) => r['loggedInSeconds'])).toEqual([420]);
      // A state that ended is counted whole, asOf or not; a period in the past is not cut by asOf.
      const [past] = (await runReport(db.storage, catalogue.get('agents'), { from: T0, to: T0 + 60_000, asOf: T0 + 7 * 60_000 })).rows;
      expect(past).toMatchObject({ loggedInSeconds: 60 });
    });
  });
});
