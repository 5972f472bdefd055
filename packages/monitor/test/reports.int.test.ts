import { forEachDatabase } from '@caruso/storage/testing';
import { insertContactEvents, DAY, HAND_MADE_LOG, at } from '@caruso/monitor/testing';
import { ReportCatalogue, runReport, type ReportResult } from '@caruso/monitor';

const catalogue = new ReportCatalogue([
  {
    name: 'monday-sl',
    source: 'contacts',
    groupBy: ['weekday'],
    columns: ['offered', 'serviceLevel', 'shortAbandons'],
    options: { thresholdSeconds: 30, shortAbandonSeconds: 5 },
  },
]);
const period = { from: DAY, to: DAY + 86_400_000 };

describe('reports over the contact event log (hand-computed values)', () => {
  forEachDatabase((db) => {
    const run = (name: string, extra: Partial<Parameters<typeof runReport>[2]> = {}): Promise<ReportResult> => runReport(db.storage, catalogue.get(name), { ...period, ...extra });

    beforeAll(async () => {
      await insertContactEvents(db.storage, HAND_MADE_LOG);
    });

    it('inbound: every figure of the period', async () => {
      const r = await run('inbound');
      expect(r.rows).toHaveLength(1);
      const row = r.rows[0]!;
      expect(row).toMatchObject({
        offered: 6, answered: 3, handled: 3, abandoned: 2, shortAbandons: 1, abandonedExcludingShort: 1, transferred: 1, timeouts: 1, exited: 1,
        answeredWithinThreshold: 2, longestWaitSeconds: 60,
      });
      expect(row['serviceLevel']).toBeCloseTo(2 / 3, 10);
      expect(row['serviceLevelOfOffered']).toBeCloseTo(2 / 6, 10);
      expect(row['serviceLevelExcludingShortAbandons']).toBeCloseTo(2 / 4, 10);
      expect(row['asaSeconds']).toBeCloseTo(55 / 3, 10);
      expect(row['avgWaitSeconds']).toBeCloseTo(160 / 6, 10);
      expect(row['avgTalkSeconds']).toBeCloseTo(650 / 3, 10);
      expect(row['ahtSeconds']).toBeCloseTo(725 / 3, 10);
      expect(row['abandonRate']).toBeCloseTo(2 / 6, 10);
    });

    it('inbound by queue (credited to the queue entered first), by hour, and filtered by queue', async () => {
      const byQueue = await run('inbound-by-queue');
      expect(byQueue.rows.map((r) => [r['queue'], r['offered'], r['answered'], r['abandoned'], r['exited'], r['transferred']])).toEqual([
        ['billing', 4, 2, 2, 0, 0],
        ['sales', 2, 1, 0, 1, 1],
      ]);
      expect(byQueue.rows[0]!['serviceLevelOfOffered']).toBeCloseTo(1 / 4, 10);
      expect(byQueue.rows[0]!['serviceLevelExcludingShortAbandons']).toBeCloseTo(1 / 3, 10);
      expect(byQueue.rows[1]!['ahtSeconds']).toBeCloseTo(265, 10);
      const byHour = await run('inbound-by-hour');
      expect(byHour.rows.map((r) => [r['hour'], r['offered'], r['answered']])).toEqual([[9, 3, 2], [10, 3, 1]]);
      const billing = await run('inbound', { queue: ['billing'] });
      expect(billing.rows[0]).toMatchObject({ offered: 4, answered: 2, asaSeconds: 20 });
      const byDay = await run('inbound-by-day', { to: DAY + 2 * 86_400_000 });
      expect(byDay.rows.map((r) => [r['day'], r['offered']])).toEqual([['2025-01-06', 6], ['2025-01-07', 1]]);
    });

    it('a company report with its own threshold and grouping', async () => {
      const r = await run('monday-sl');
      // T = 30 s: c1 (10 s), c2 (30 s) and c6 (15 s) are within; short abandons ≤ 5 s: c3.
      expect(r.rows).toEqual([{ weekday: 'Monday', offered: 6, serviceLevel: 1, shortAbandons: 1 }]);
    });

    it('agents: time in each state clipped to the period, occupancy, utilization, handled, AHT, ring-no-answer', async () => {
      const r = await run('agents');
      expect(r.rows).toEqual([
        {
          agent: 'a1', loggedInSeconds: 32_400, readySeconds: 28_470, reservedSeconds: 0, busySeconds: 300, wrapUpSeconds: 30, pausedSeconds: 3_600,
          occupancy: 330 / 28_800, utilization: 330 / 32_400, handled: 1, ahtSeconds: 460, ringNoAnswer: 1,
        },
        {
          agent: 'a2', loggedInSeconds: 12_600, readySeconds: 11_570, reservedSeconds: 0, busySeconds: 120, wrapUpSeconds: 10, pausedSeconds: 900,
          occupancy: 130 / 11_700, utilization: 130 / 12_600, handled: 2, ahtSeconds: 132.5, ringNoAnswer: 0,
        },
      ]);
      const hour = await run('agents', { from: at(9), to: at(10), agent: ['a1'] });
      expect(hour.rows).toEqual([expect.objectContaining({ agent: 'a1', loggedInSeconds: 3_600, readySeconds: 3_270, busySeconds: 300, wrapUpSeconds: 30 })]);
      const pauses = await run('pauses');
      expect(pauses.rows).toEqual([
        { agent: 'a1', reason: 'lunch', pausedSeconds: 3_600 },
        { agent: 'a2', reason: 'break', pausedSeconds: 900 },
      ]);
    });

    it('agents by hour: each state split at the hour boundaries, contacts counted in the hour they ended', async () => {
      const r = await run('agents-by-hour');
      expect(r.rows.map((x) => [x['agent'], x['hour'], x['loggedInSeconds']])).toEqual([
        ['a1', 8, 3_600], ['a1', 9, 3_600], ['a1', 10, 3_600], ['a1', 11, 3_600], ['a1', 12, 3_600], ['a1', 13, 3_600], ['a1', 14, 3_600], ['a1', 15, 3_600], ['a1', 16, 3_600],
        ['a2', 8, 1_800], ['a2', 9, 3_600], ['a2', 10, 3_600], ['a2', 11, 3_600],
      ]);
      const cell = (agent: string, hour: number): Record<string, unknown> => r.rows.find((x) => x['agent'] === agent && x['hour'] === hour)!;
      // a1 09:00–10:00: ready 09:00:00–09:00:10 and 09:05:40–10:00, busy 300 s, wrap-up 30 s; c1 handled (290 + 10 + 30 s); c3 rang unanswered.
      expect(cell('a1', 9)).toEqual({
        agent: 'a1', hour: 9, loggedInSeconds: 3_600, readySeconds: 3_270, reservedSeconds: 0, busySeconds: 300, wrapUpSeconds: 30, pausedSeconds: 0,
        occupancy: 330 / 3_600, utilization: 330 / 3_600, handled: 1, ahtSeconds: 330, ringNoAnswer: 1,
      });
      // a1 10:00–11:00: c6 was transferred away, so nothing handled (no AHT).
      expect(cell('a1', 10)).toMatchObject({ readySeconds: 3_600, handled: 0, ahtSeconds: null, ringNoAnswer: 0 });
      expect(cell('a1', 12)).toMatchObject({ readySeconds: 0, pausedSeconds: 3_600, occupancy: null, utilization: 0 });
      // a2 09:00–10:00: ready 630 + 2,840 s, busy 120 s, wrap-up 10 s; 10:00–11:00: paused 900 s, c6 handled (120 + 15 s).
      expect(cell('a2', 9)).toMatchObject({ readySeconds: 3_470, busySeconds: 120, wrapUpSeconds: 10, handled: 1, ahtSeconds: 130 });
      expect(cell('a2', 10)).toMatchObject({ readySeconds: 2_700, pausedSeconds: 900, handled: 1, ahtSeconds: 135, occupancy: 0, utilization: 0 });
      // The hours add up to the day.
      const a1 = r.rows.filter((x) => x['agent'] === 'a1');
      expect(a1.reduce((n, x) => n + Number(x['readySeconds']), 0)).toBe(28_470);
      // Local days at UTC+10 end at 14:00 UTC: a1's day is split, a2's is not.
      const local = await runReport(db.storage, { name: 'agents-local-day', source: 'agents', groupBy: ['day', 'agent'], columns: ['loggedInSeconds', 'pausedSeconds', 'handled'], options: { utcOffsetMinutes: 600 } }, period);
      expect(local.rows).toEqual([
        { day: '2025-01-06', agent: 'a1', loggedInSeconds: 21_600, pausedSeconds: 3_600, handled: 1 },
        { day: '2025-01-06', agent: 'a2', loggedInSeconds: 12_600, pausedSeconds: 900, handled: 2 },
        { day: '2025-01-07', agent: 'a1', loggedInSeconds: 10_800, pausedSeconds: 0, handled: 0 },
      ]);
      const pausesByHour = await runReport(db.storage, { name: 'p', source: 'agents', groupBy: ['hour', 'reason'], columns: ['pausedSeconds'], filters: { state: ['paused'] } }, period);
      expect(pausesByHour.rows).toEqual([{ hour: 10, reason: 'break', pausedSeconds: 900 }, { hour: 12, reason: 'lunch', pausedSeconds: 3_600 }]);
    });

    it('voicemail, callbacks, campaigns, dial results and dispositions', async () => {
      // The hand-made log's callbacks are no contacts that entered a queue (no callbackNumber, no
      // voicemailId), so no call-back figures here: report-regressions.int.test.ts checks those on the
      // events the telephony channel really writes.
      expect((await run('voicemail')).rows).toEqual([{ queue: 'billing', messages: 2, avgDurationSeconds: 40, notified: 1, calledBack: 0, avgTimeToCallBackSeconds: null }]);
      expect((await run('callbacks')).rows).toEqual([
        { queue: 'billing', scheduled: 0, attempts: 0, completed: 1, completionRate: null, avgTimeToCallBackSeconds: null },
        { queue: 'sales', scheduled: 2, attempts: 1, completed: 1, completionRate: 0.5, avgTimeToCallBackSeconds: null },
      ]);
      expect((await run('campaigns')).rows).toEqual([
        { campaign: 'spring', attempts: 4, contactsMade: 2, connected: 1, drops: 1, dropRate: 0.5, contactRate: 0.5, dispositions: 2 },
        { campaign: 'summer', attempts: 2, contactsMade: 1, connected: 1, drops: 0, dropRate: 0, contactRate: 0.5, dispositions: 1 },
      ]);
      expect((await run('campaigns', { campaign: ['summer'] })).rows).toEqual([{ campaign: 'summer', attempts: 2, contactsMade: 1, connected: 1, drops: 0, dropRate: 0, contactRate: 0.5, dispositions: 1 }]);
      expect((await run('campaigns', { campaign: ['autumn'] })).rows).toEqual([]);
      expect((await run('campaign-results')).rows).toEqual([
        { campaign: 'spring', reason: 'answered', results: 2 },
        { campaign: 'spring', reason: 'busy', results: 1 },
        { campaign: 'spring', reason: 'no-answer', results: 1 },
        { campaign: 'summer', reason: 'answered', results: 1 },
        { campaign: 'summer', reason: 'no-answer', results: 1 },
      ]);
      // Every disposition by code; those of campaign calls (data.campaignId) also by campaign.
      expect((await run('dispositions')).rows).toEqual([{ reason: 'no-interest', contacts: 2 }, { reason: 'sale', contacts: 3 }, { reason: 'wrong-number', contacts: 1 }]);
      expect((await run('campaign-dispositions')).rows).toEqual([
        { campaign: 'spring', reason: 'sale', dispositions: 1 },
        { campaign: 'spring', reason: 'wrong-number', dispositions: 1 },
        { campaign: 'summer', reason: 'no-interest', dispositions: 1 },
      ]);
      expect((await run('campaign-dispositions', { campaign: ['summer'] })).rows).toEqual([{ campaign: 'summer', reason: 'no-interest', dispositions: 1 }]);
      // Dispositions of inbound contacts (no campaign) are not campaign dispositions, even for a company report without a campaign grouping.
      const counted = await runReport(db.storage, { name: 'x', source: 'events', measures: [{ name: 'all', aggregate: 'count', kinds: ['disposition'] }, { name: 'campaign', aggregate: 'count', kinds: ['disposition'], campaignsOnly: true }], columns: ['all', 'campaign'] }, period);
      expect(counted.rows).toEqual([{ all: 6, campaign: 3 }]);
      // contacts: different contacts with such an event (c6 was connected twice: in sales, then in billing).
      const connections = await runReport(db.storage, { name: 'x', source: 'events', measures: [{ name: 'events', aggregate: 'count', kinds: ['connected'] }, { name: 'contacts', aggregate: 'contacts', kinds: ['connected'] }], columns: ['events', 'contacts'] }, period);
      expect(connections.rows).toEqual([{ events: 6, contacts: 5 }]);
    });

    it('an empty period has one total row without ratios', async () => {
      const r = await run('inbound', { from: DAY - 86_400_000 * 10, to: DAY - 86_400_000 * 9 });
      expect(r.rows).toEqual([expect.objectContaining({ offered: 0, answered: 0, serviceLevel: null, asaSeconds: null })]);
    });

    it('rejects a bad period with a coded error', async () => {
      await expect(run('inbound', { from: DAY, to: DAY })).rejects.toMatchObject({ code: 'CARUSO_MONITOR_INVALID_PERIOD' });
      await expect(run('agents', { campaign: ['x'] })).rejects.toMatchObject({ code: 'CARUSO_MONITOR_INVALID_PERIOD' });
    });
  });
});
