import fc from 'fast-check';
import { CONTACT_EVENTS_TABLE, foldContacts, type ContactLife } from '@caruso/comms';
import { ReportCatalogue, runReport, type ReportCell } from '@caruso/monitor';
import { insertContactEvents } from '@caruso/monitor/testing';
import { forEachDatabase } from '@caruso/storage/testing';
import { contactLogs, type GeneratedLog } from './contact-lives.js';

// Reports stay SQL for speed (rule 9 of the architecture): on generated logs, each figure checked
// here equals what the one contact fold computes over the same log.

const EXIT_REASONS: ReadonlySet<string | undefined> = new Set(['timeout', 'full', 'empty', 'key', 'callback-requested', 'voicemail', 'after-hours']);
/** The default service-level threshold and short-abandon limit of the built-in reports (20 s). */
const THRESHOLD_MS = 20_000;
const catalogue = new ReportCatalogue([]);

/** A figure as a matcher: a ratio over nothing is null in a report. */
function near(v: number | null): unknown {
  return v === null ? null : expect.closeTo(v, 9);
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);
const ended = (l: ContactLife): boolean => l.status === 'wrap-up' || l.status === 'ended';
/** Ended by an agent's completion (not abandoned, not an exit; a transfer to a queue goes on). */
const handledBy = (l: ContactLife): string | undefined => (ended(l) && l.agentId !== undefined && l.outcome !== 'abandoned' && !EXIT_REASONS.has(l.outcome) ? l.agentId : undefined);

/** Every column of the contacts source (docs/figures.md) for these contacts, from their folded lives. */
function inboundFigures(lives: readonly ContactLife[]): Record<string, number | null> {
  const answered = lives.filter((l) => l.agentId !== undefined);
  const handled = lives.filter((l) => handledBy(l) !== undefined);
  const abandoned = lives.filter((l) => l.outcome === 'abandoned');
  const short = abandoned.filter((l) => (l.waitAtEndMs ?? 0) <= THRESHOLD_MS).length;
  const exited = lives.filter((l) => ended(l) && EXIT_REASONS.has(l.outcome)).length;
  const within = answered.filter((l) => (l.waitMs ?? 0) <= THRESHOLD_MS).length;
  const waited = lives.filter((l) => l.waitMs !== undefined);
  const sum = (ls: readonly ContactLife[], f: (l: ContactLife) => number): number => ls.reduce((s, l) => s + f(l), 0);
  const seconds = (ms: number, n: number): number | null => (n > 0 ? ms / 1000 / n : null);
  return {
    offered: lives.length,
    answered: answered.length,
    handled: handled.length,
    abandoned: abandoned.length,
    shortAbandons: short,
    abandonedExcludingShort: abandoned.length - short,
    transferred: lives.filter((l) => l.transfers > 0).length,
    timeouts: lives.filter((l) => l.outcome === 'timeout').length,
    exited,
    answeredWithinThreshold: within,
    serviceLevel: ratio(within, answered.length),
    serviceLevelOfOffered: ratio(within, answered.length + abandoned.length + exited),
    serviceLevelExcludingShortAbandons: ratio(within, answered.length + abandoned.length - short),
    asaSeconds: seconds(sum(answered, (l) => l.waitMs!), answered.length),
    avgWaitSeconds: seconds(sum(waited, (l) => l.waitMs!), waited.length),
    longestWaitSeconds: waited.length > 0 ? Math.max(...waited.map((l) => l.waitMs!)) / 1000 : null,
    avgTalkSeconds: seconds(sum(lives, (l) => l.talkMs), handled.length),
    ahtSeconds: seconds(sum(lives, (l) => l.talkMs + l.holdMs + l.wrapMs), handled.length),
    abandonRate: ratio(abandoned.length, lives.length),
  };
}

/** What the fold says of a log: the inbound figures (all, and by the queue entered first), each agent's handled count, the campaign's figures. */
function foldFigures(log: GeneratedLog) {
  const all = [...foldContacts(log.events).values()];
  const entered = all.filter((l) => l.enteredSeq !== undefined);
  const queues = [...new Set(entered.map((l) => l.firstQueueId!))].sort();
  const perAgent: Record<string, number> = Object.fromEntries(log.agents.map((a) => [a, 0]));
  for (const l of entered) {
    const agent = handledBy(l);
    if (agent !== undefined) perAgent[agent] = (perAgent[agent] ?? 0) + 1;
  }
  const dialled = all.filter((l) => l.campaignId === 'spring');
  const made = dialled.filter((l) => l.dialResult === 'answered').length;
  return {
    inbound: inboundFigures(entered),
    byQueue: queues.map((q) => ({ queue: q, ...inboundFigures(entered.filter((l) => l.firstQueueId === q)) })),
    perAgent,
    campaigns: dialled.length === 0 ? [] : [{ campaign: 'spring', attempts: dialled.length, contactsMade: made, connected: dialled.filter((l) => l.agentId !== undefined).length, drops: 0, dropRate: made > 0 ? 0 : null, contactRate: made / dialled.length, dispositions: 0 }],
  };
}

const asMatchers = (row: Readonly<Record<string, string | number | null>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' || v === null ? near(v) : v]));

describe('reports equal the contact fold on generated logs', () => {
  forEachDatabase(
    (db) => {
      it('inbound (every column, in all and by queue), agents (contacts handled by each) and campaigns', async () => {
        await fc.assert(
          fc.asyncProperty(contactLogs(), async (log) => {
            await db.storage.knex(CONTACT_EVENTS_TABLE).del().catch(() => undefined);
            await insertContactEvents(db.storage, log.events);
            const period = { from: log.start - 3_600_000, to: log.end + 1 };
            const expected = foldFigures(log);
            const run = async (name: string): Promise<ReadonlyArray<Readonly<Record<string, ReportCell>>>> => (await runReport(db.storage, catalogue.get(name), period)).rows;
            expect(await run('inbound')).toEqual([asMatchers(expected.inbound)]);
            expect(await run('inbound-by-queue')).toEqual(expected.byQueue.map(asMatchers));
            const agents = await run('agents');
            expect(Object.fromEntries(agents.map((r) => [r['agent'], r['handled']]))).toEqual(expected.perAgent);
            expect(await run('campaigns')).toEqual(expected.campaigns.map(asMatchers));
          }),
          { numRuns: 60 },
        );
      }, 120_000);
    },
    { dialects: ['sqlite'] },
  );
});
