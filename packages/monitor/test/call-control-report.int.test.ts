import { SimulatedTelephony, VirtualClock, CONTACT_EVENTS_TABLE } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';
import { ReportCatalogue, runReport } from '@caruso/monitor';
import { insertContactEvents } from '@caruso/monitor/testing';
import { forEachDatabase } from '@caruso/storage/testing';

/**
 * The call-control report (holds and their times, transfers, consultations, conferences, mutes,
 * manual dials by agent) over the events the router really writes for the desktop's call control.
 */
async function shift() {
  const clock = new VirtualClock(Date.UTC(2025, 0, 6, 9));
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
  const telephony = new SimulatedTelephony(clock);
  const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'main' });
  router.addQueue({ id: 'main', strategy: 'linear', wrapUpMs: 10_000 });
  for (const a of ['a1', 'a2']) router.addAgent({ id: a, queues: [{ queueId: 'main' }], endpoint: `sip:${a}@10.0.0.1` });
  router.login('a1');
  // Call 1: two holds (20 s and 40 s), a mute, then an attended transfer to a2.
  const c1 = telephony.placeInboundCall({ from: '+31201111111', talkMs: 3_600_000 });
  clock.advance(1_000);
  router.hold(c1);
  clock.advance(20_000);
  router.retrieve(c1);
  router.mute(c1, true);
  router.mute(c1, false);
  router.hold(c1);
  clock.advance(40_000);
  router.retrieve(c1);
  router.login('a2');
  router.consult(c1, { agentId: 'a2' });
  clock.advance(30_000);
  router.completeConsult(c1, 'transfer');
  clock.advance(60_000);
  router.complete(c1, 'agent');
  clock.advance(10_000);
  // a1 dials out by hand, consults a number, cancels, then a blind transfer out.
  telephony.setDestination('+31209999999', { resultAfterMs: 1_000, talkMs: 3_600_000 });
  const d = router.dial('a1', { number: '+31209999999' });
  clock.advance(5_000);
  router.consult(d.id, { number: '+31208888888' });
  clock.advance(10_000);
  router.cancelConsult(d.id);
  router.transferToNumber(d.id, '+31207777777');
  clock.advance(1_000);
  channel.dispose();
  return { events: await log.read(), from: Date.UTC(2025, 0, 6, 8), to: Date.UTC(2025, 0, 6, 11) };
}

describe('the call-control report', () => {
  forEachDatabase((db) => {
    it('counts holds with their times, transfers, consultations, mutes and manual dials by agent', async () => {
      const { events, from, to } = await shift();
      await db.storage.knex(CONTACT_EVENTS_TABLE).del().catch(() => undefined);
      await insertContactEvents(db.storage, events);
      const { rows } = await runReport(db.storage, new ReportCatalogue([]).get('call-control'), { from, to });
      const byAgent = Object.fromEntries(rows.map((r) => [r['agent'], r]));
      // a1: holds 20 s + 40 s + the consultation's 30 s on call 1 and 10 s on the dial.
      expect(byAgent['a1']).toMatchObject({
        holds: 4, holdSeconds: 100, avgHoldSeconds: 25, longestHoldSeconds: 40,
        transfersOut: 2, consultations: 2, consultTransfers: 1, consultsCancelled: 1, conferences: 0, mutes: 1, manualDials: 1,
      });
      // a2 took the transferred call and used no call control: no row of its own.
      expect(rows.map((r) => r['agent'])).toEqual(['a1']);
    });
  });
});
