import fc from 'fast-check';
import { CONTACT_EVENTS_TABLE, foldContacts, type ContactLife } from '@caruso/comms';
import { ReportCatalogue, runReport } from '@caruso/monitor';
import { insertContactEvents } from '@caruso/monitor/testing';
import { forEachDatabase } from '@caruso/storage/testing';
import { contactLogs, type GeneratedLog } from './contact-lives.js';

// Reports stay SQL for speed (rule 9 of the architecture): on generated logs, each figure checked
// here equals what the one contact fold computes over the same log.

const EXIT_REASONS: ReadonlySet<string | undefined> = new Set(['timeout', 'full', 'empty', 'key', 'callback-requested', 'voicemail', 'after-hours']);
const catalogue = new ReportCatalogue([]);

/** A figure as a matcher: a ratio over nothing is null in a report. */
function near(v: number | null): unknown {
  return v === null ? null : expect.closeTo(v, 9);
}

/** The inbound figures and each agent's handled count, from the fold. */
function foldFigures(log: GeneratedLog) {
  const lives: ContactLife[] = [...foldContacts(log.events).values()].filter((l) => l.enteredSeq !== undefined);
  const answered = lives.filter((l) => l.agentId !== undefined);
  const ended = (l: ContactLife): boolean => l.status === 'wrap-up' || l.status === 'ended';
  const handled = lives.filter((l) => ended(l) && l.agentId !== undefined && l.outcome !== 'abandoned' && !EXIT_REASONS.has(l.outcome));
  const waited = lives.filter((l) => l.waitMs !== undefined);
  const seconds = (ms: number, n: number): number | null => (n > 0 ? ms / 1000 / n : null);
  const perAgent: Record<string, number> = Object.fromEntries(log.agents.map((a) => [a, 0]));
  for (const l of handled) perAgent[l.agentId!] = (perAgent[l.agentId!] ?? 0) + 1;
  return {
    inbound: {
      offered: lives.length,
      answered: answered.length,
      handled: handled.length,
      abandoned: lives.filter((l) => l.outcome === 'abandoned').length,
      exited: lives.filter((l) => ended(l) && EXIT_REASONS.has(l.outcome)).length,
      avgWaitSeconds: seconds(waited.reduce((s, l) => s + l.waitMs!, 0), waited.length),
      asaSeconds: seconds(answered.reduce((s, l) => s + l.waitMs!, 0), answered.length),
      ahtSeconds: seconds(lives.reduce((s, l) => s + l.talkMs + l.holdMs + l.wrapMs, 0), handled.length),
    },
    perAgent,
  };
}

describe('reports equal the contact fold on generated logs', () => {
  forEachDatabase(
    (db) => {
      it('inbound: offered, answered, handled, abandoned, exited, average wait, ASA and AHT; agents: contacts handled by each agent', async () => {
        await fc.assert(
          fc.asyncProperty(contactLogs(), async (log) => {
            await db.storage.knex(CONTACT_EVENTS_TABLE).del().catch(() => undefined);
            await insertContactEvents(db.storage, log.events);
            const period = { from: log.start - 3_600_000, to: log.end + 1 };
            const expected = foldFigures(log);
            const inbound = await runReport(db.storage, catalogue.get('inbound'), period);
            const row = inbound.rows[0]!;
            const keys = Object.keys(expected.inbound);
            expect(Object.fromEntries(keys.map((k) => [k, row[k]]))).toEqual(Object.fromEntries(Object.entries(expected.inbound).map(([k, v]) => [k, near(v)])));
            const agents = await runReport(db.storage, catalogue.get('agents'), period);
            expect(Object.fromEntries(agents.rows.map((r) => [r['agent'], r['handled']]))).toEqual(expected.perAgent);
          }),
          { numRuns: 60 },
        );
      }, 120_000);
    },
    { dialects: ['sqlite'] },
  );
});
