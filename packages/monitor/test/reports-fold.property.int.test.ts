import fc from 'fast-check';
import { CONTACT_EVENTS_TABLE, foldContacts, type ContactEvent, type ContactLife } from '@caruso/comms';
import { BUILTIN_REPORTS, ReportCatalogue, runReport, type ReportCell, type ReportDefinition } from '@caruso/monitor';
import { insertContactEvents } from '@caruso/monitor/testing';
import { forEachDatabase } from '@caruso/storage/testing';
import { contactLogs, type GeneratedLog } from './contact-lives.js';

// Reports stay SQL for speed (rule 9 of the architecture): on generated logs, every figure of every
// built-in report over the contact event log equals what the one contact fold (foldContacts) computes
// over the same log; figures about agents' time come from the agents' own events, computed here.
// A few figures count notes of a channel or of the dialer that a contact's life does not hold by
// design; those are computed from the events (or the generator's own account) and say so below.
// The dialogue-session reports (scripts, script-*) read the dialogue engine's sessions, not the
// contact event log: they have nothing to do with the fold (script-reports.int.test.ts checks them).

/** A fixed seed (fast-check prints it with a failure); another one: CARUSO_PROPERTY_SEED=<n>. */
const SEED = Number(process.env['CARUSO_PROPERTY_SEED'] ?? 20_250_106);
const THRESHOLD_MS = 20_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** The built-in reports over the contact event log, each checked below (the sessions ones are not about contacts). */
const CHECKED = [
  'inbound', 'inbound-by-hour', 'inbound-by-day', 'inbound-by-weekday', 'inbound-by-queue', 'agents', 'agents-by-hour', 'agents-by-day', 'pauses',
  'voicemail', 'callbacks', 'call-control', 'campaigns', 'campaign-results', 'campaign-dispositions', 'dispositions', 'recording', 'monitoring',
];
const SESSION_REPORTS = ['scripts', 'script-outcomes', 'script-abandons', 'script-handoffs'];
const catalogue = new ReportCatalogue([]);
/** Outcomes of a contact that an agent's completion ended (not a transfer, not lost on a restart): a callback not reached ends with its dial result. */
const HANDLED_OUTCOMES: ReadonlySet<string | undefined> = new Set(['completed', 'transferred-out', 'busy', 'no-answer', 'machine', 'failed']);

type Row = Record<string, ReportCell>;
interface Period {
  readonly from: number;
  readonly to: number;
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);
const seconds = (ms: number, n: number): number | null => (n > 0 ? ms / 1000 / n : null);
const sum = <T>(xs: readonly T[], f: (x: T) => number): number => xs.reduce((s, x) => s + f(x), 0);
const ended = (l: ContactLife): boolean => l.status === 'wrap-up' || l.status === 'ended';
const answered = (l: ContactLife): boolean => l.agentId !== undefined;
const handled = (l: ContactLife): boolean => ended(l) && answered(l) && HANDLED_OUTCOMES.has(l.outcome);
/** Left the queue unanswered for a reason other than abandoning (it has a wait at its end). */
const exited = (l: ContactLife): boolean => ended(l) && l.outcome !== 'abandoned' && l.waitAtEndMs !== undefined;
const inWindow = (t: number | undefined, p: Period): boolean => t !== undefined && t >= p.from && t < p.to;

/** Groups into rows keyed and ordered as the report's SQL orders them (numbers as numbers, names as text). */
function grouped<T>(xs: readonly T[], keys: ReadonlyArray<(x: T) => string | number>, dims: readonly string[], show: (k: readonly (string | number)[]) => Row, row: (g: readonly T[]) => Row | undefined): Row[] {
  const groups = new Map<string, { k: Array<string | number>; xs: T[] }>();
  for (const x of xs) {
    const k = keys.map((f) => f(x));
    const id = JSON.stringify(k);
    const g = groups.get(id) ?? { k, xs: [] };
    g.xs.push(x);
    groups.set(id, g);
  }
  const cmp = (a: readonly (string | number)[], b: readonly (string | number)[]): number => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return 0;
  };
  const out: Row[] = [];
  for (const g of [...groups.values()].sort((a, b) => cmp(a.k, b.k))) {
    const r = row(g.xs);
    if (r !== undefined) out.push({ ...pick(show(g.k), dims), ...r });
  }
  return out;
}

function pick(r: Row, keys: readonly string[]): Row {
  return Object.fromEntries(keys.map((k) => [k, r[k] ?? null]));
}

const timeKey = (t: number, bucket: number): number => Math.floor(t / bucket);
/** A time's key in a time dimension, as the SQL groups and orders it: the hour of the day, the day, the weekday (Sunday 0). */
const dimKey = (d: string, t: number): number => (d === 'hour' ? timeKey(t, HOUR) % 24 : d === 'day' ? timeKey(t, DAY) : (timeKey(t, DAY) + 4) % 7);
const showTime = (d: string, k: number): ReportCell => (d === 'hour' ? k : d === 'day' ? new Date(k * DAY).toISOString().slice(0, 10) : WEEKDAYS[k]!);

// ---------------------------------------------------------------- contacts (from the fold)

/** Every column of the contacts source (docs/figures.md) over these contacts' folded lives. */
function contactFigures(lives: readonly ContactLife[]): Row {
  const a = lives.filter(answered);
  const h = lives.filter(handled);
  const b = lives.filter((l) => l.outcome === 'abandoned');
  const short = b.filter((l) => (l.waitAtEndMs ?? 0) <= THRESHOLD_MS).length;
  const x = lives.filter(exited).length;
  const within = a.filter((l) => (l.waitMs ?? 0) <= THRESHOLD_MS).length;
  const waited = lives.filter((l) => l.waitMs !== undefined);
  return {
    offered: lives.length,
    answered: a.length,
    handled: h.length,
    abandoned: b.length,
    shortAbandons: short,
    abandonedExcludingShort: b.length - short,
    transferred: lives.filter((l) => l.transfers > 0).length,
    timeouts: lives.filter((l) => l.outcome === 'timeout').length,
    exited: x,
    answeredWithinThreshold: within,
    serviceLevel: ratio(within, a.length),
    serviceLevelOfOffered: ratio(within, a.length + b.length + x),
    serviceLevelExcludingShortAbandons: ratio(within, a.length + b.length - short),
    asaSeconds: seconds(sum(a, (l) => l.waitMs!), a.length),
    avgWaitSeconds: seconds(sum(waited, (l) => l.waitMs!), waited.length),
    longestWaitSeconds: waited.length > 0 ? Math.max(...waited.map((l) => l.waitMs!)) / 1000 : null,
    avgTalkSeconds: seconds(sum(lives, (l) => l.talkMs), h.length),
    ahtSeconds: seconds(sum(lives, (l) => l.talkMs + l.holdMs + l.wrapMs), h.length),
    abandonRate: ratio(b.length, lives.length),
  };
}

interface Offered {
  readonly life: ContactLife;
  /** When it first entered a queue, its kept age included (the fold's entry into a queue, `enteredSeq`). */
  readonly firstAt: number;
}

/** The contacts offered in the period: those whose first entry into a queue (as the fold says) falls in it. */
function offered(log: GeneratedLog, lives: readonly ContactLife[], p: Period): Offered[] {
  const out: Offered[] = [];
  for (const life of lives) {
    if (life.enteredSeq === undefined) continue;
    const e = log.events[life.enteredSeq - 1]!;
    const firstAt = e.at - (e.kind === 'queue-entered' ? (e.waitMs ?? 0) : 0);
    if (inWindow(firstAt, p)) out.push({ life, firstAt });
  }
  return out;
}

function contactsReport(def: ReportDefinition, offeredLives: readonly Offered[]): Row[] {
  const dims = def.groupBy ?? [];
  if (dims.length === 0) return [contactFigures(offeredLives.map((o) => o.life))];
  const keys = dims.map((d) => (o: Offered): string | number => (d === 'queue' ? o.life.firstQueueId! : dimKey(d, o.firstAt)));
  return grouped(offeredLives, keys, dims, (k) => Object.fromEntries(dims.map((d, i) => [d, d === 'queue' ? k[i]! : showTime(d, k[i] as number)])), (g) => contactFigures(g.map((o) => o.life)));
}

// ---------------------------------------------------------------- agents (their own events, and the fold)

interface Stretch {
  readonly agent: string;
  readonly state: string;
  readonly reason: string | null;
  readonly from: number;
  readonly to: number;
}

const STAFFED = new Set(['ready', 'reserved', 'busy', 'wrap-up', 'paused']);

/** Each agent's states as stretches of time, clipped to the period and cut at `bucket` boundaries. */
function stretches(events: readonly ContactEvent[], p: Period, bucket: number | undefined): Stretch[] {
  const marks = new Map<string, Array<{ at: number; state: string; reason: string | null }>>();
  for (const e of events) {
    if (e.kind !== 'agent-state-changed' && e.kind !== 'agent-logged-out') continue;
    const list = marks.get(e.agentId) ?? [];
    list.push({ at: e.at, state: e.kind === 'agent-logged-out' ? 'logged-out' : e.state, reason: e.kind === 'agent-state-changed' ? (e.reason ?? null) : null });
    marks.set(e.agentId, list);
  }
  const out: Stretch[] = [];
  for (const [agent, list] of marks) {
    list.forEach((m, i) => {
      let from = Math.max(m.at, p.from);
      const to = Math.min(list[i + 1]?.at ?? p.to, p.to);
      while (from < to) {
        const cut = bucket === undefined ? to : Math.min(to, (timeKey(from, bucket) + 1) * bucket);
        out.push({ agent, state: m.state, reason: m.reason, from, to: cut });
        from = cut;
      }
    });
  }
  return out.filter((s) => STAFFED.has(s.state));
}

/** The agent's contacts figures by (agent, time key): handled from the fold; handle time and ring-no-answers from the agent's events. */
function agentCounts(log: GeneratedLog, lives: readonly ContactLife[], p: Period, timed: string | undefined): Map<string, { handled: number; handleMs: number; rna: number }> {
  const counts = new Map<string, { handled: number; handleMs: number; rna: number }>();
  const at = (agent: string, t: number): { handled: number; handleMs: number; rna: number } => {
    const k = `${agent}|${timed === undefined ? '' : dimKey(timed, t)}`;
    const c = counts.get(k) ?? { handled: 0, handleMs: 0, rna: 0 };
    counts.set(k, c);
    return c;
  };
  for (const l of lives) if (handled(l) && inWindow(l.endedAt, p)) at(l.agentId!, l.endedAt!).handled++;
  // A contact's life holds its totals, not each agent's share (a transfer splits it): the agent's handle
  // time and ring-no-answers are the agent's own events.
  for (const e of log.events) {
    if (!inWindow(e.at, p)) continue;
    if (e.kind === 'completed') at(e.agentId, e.at).handleMs += (e.talkMs ?? 0) + (e.holdMs ?? 0);
    else if (e.kind === 'wrap-up-ended') at(e.agentId, e.at).handleMs += e.wrapMs;
    else if (e.kind === 'ring-no-answer') at(e.agentId, e.at).rna++;
  }
  return counts;
}

function agentsReport(def: ReportDefinition, log: GeneratedLog, lives: readonly ContactLife[], p: Period): Row[] {
  const dims = def.groupBy ?? [];
  const timed = dims.find((d) => d === 'hour' || d === 'day' || d === 'weekday');
  const bucket = timed === 'hour' ? HOUR : timed === undefined ? undefined : DAY;
  const states = def.filters?.state;
  const all = stretches(log.events, p, bucket).filter((s) => states === undefined || states.includes(s.state));
  const counts = dims.includes('reason') ? undefined : agentCounts(log, lives, p, timed);
  const keys = dims.map((d) => (s: Stretch): string | number => (d === 'agent' ? s.agent : d === 'reason' ? (s.reason ?? '') : dimKey(d, s.from)));
  return grouped(all, keys, dims, (k) => Object.fromEntries(dims.map((d, i) => [d, d === 'agent' ? k[i]! : d === 'reason' ? k[i]! : showTime(d, k[i] as number)])), (g) => {
    const ms = (st: string): number => sum(g.filter((s) => s.state === st), (s) => s.to - s.from);
    const loggedIn = sum(g, (s) => s.to - s.from);
    if (loggedIn <= 0) return undefined;
    const [ready, reserved, busy, wrap] = [ms('ready'), ms('reserved'), ms('busy'), ms('wrap-up')];
    const first = g[0]!;
    const c = counts?.get(`${first.agent}|${timed === undefined ? '' : dimKey(timed, first.from)}`) ?? { handled: 0, handleMs: 0, rna: 0 };
    const row: Row = {
      loggedInSeconds: loggedIn / 1000, readySeconds: ready / 1000, reservedSeconds: reserved / 1000, busySeconds: busy / 1000, wrapUpSeconds: wrap / 1000,
      pausedSeconds: ms('paused') / 1000, occupancy: ratio(busy + wrap, ready + reserved + busy + wrap), utilization: ratio(busy + wrap, loggedIn),
      handled: c.handled, ahtSeconds: seconds(c.handleMs, c.handled), ringNoAnswer: c.rna,
    };
    return pick(row, def.columns);
  });
}

// ---------------------------------------------------------------- events (from the fold, and what it does not hold)

function eventRows(log: GeneratedLog, lives: readonly ContactLife[], name: string): Row[] {
  const events = log.events;
  const count = (xs: readonly ContactEvent[], pred: (e: ContactEvent) => boolean): number => xs.filter(pred).length;
  const byKey = <T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> => {
    const m = new Map<string, T[]>();
    for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
    return m;
  };
  const sorted = (keys: Iterable<string>): string[] => [...new Set(keys)].sort();
  const campaignOf = (l: ContactLife): boolean => l.campaignId === 'spring';
  const dataKey = (l: ContactLife, key: string): boolean => l.data !== undefined && l.data[key] !== undefined;
  switch (name) {
    case 'voicemail': {
      // A voice message is no contact's life (the fold sees the call it was left on): its length and
      // notification come from the generator's account. Its callback is a contact: from the fold.
      const msgs = log.truth.messages;
      const callbacks = lives.filter((l) => dataKey(l, 'voicemailId'));
      return sorted([...msgs.map((m) => m.queueId), ...callbacks.map((l) => l.queueId!)]).flatMap((q) => {
        const ms = msgs.filter((m) => m.queueId === q);
        const cbs = callbacks.filter((l) => l.queueId === q);
        const reached = cbs.filter((l) => l.callbackResult === 'reached').length;
        const taken = cbs.filter(answered);
        const notified = sum(ms, (m) => m.notifiedAt.length);
        if (ms.length + notified + reached + taken.length === 0) return [];
        return [{ queue: q, messages: ms.length, avgDurationSeconds: seconds(sum(ms, (m) => m.durationMs), ms.length), notified, calledBack: reached, avgTimeToCallBackSeconds: seconds(sum(taken, (l) => l.waitMs!), taken.length) }];
      });
    }
    case 'call-control': {
      // The desktop's call control by the agent who used it: counted from the agents' own events (holds
      // and hold times of `retrieved`, transfers out of `completed`, consultations, conferences, mutes);
      // manual dials are contacts whose data says so (the fold's).
      const lifeOf = new Map(lives.map((l) => [l.id, l]));
      const by = byKey(events.filter((e) => e.agentId !== undefined), (e) => e.agentId!);
      const cancelled = new Set(['cancelled', 'no-answer', 'busy', 'failed', 'hung-up']);
      return sorted(by.keys()).flatMap((agent) => {
        const mine = by.get(agent)!;
        const holds = count(mine, (e) => e.kind === 'held');
        const retrieved = mine.filter((e) => e.kind === 'retrieved').map((e) => e.holdMs ?? 0);
        const row = {
          agent,
          holds,
          holdSeconds: sum(retrieved, (ms) => ms) / 1000,
          avgHoldSeconds: seconds(sum(retrieved, (ms) => ms), retrieved.length),
          longestHoldSeconds: retrieved.length ? Math.max(...retrieved) / 1000 : null,
          transfersOut: count(mine, (e) => e.kind === 'completed' && (e.reason === 'transferred' || e.reason === 'transferred-out')),
          consultations: count(mine, (e) => e.kind === 'consult-started'),
          consultTransfers: count(mine, (e) => e.kind === 'consult-ended' && e.reason === 'transferred'),
          consultsCancelled: count(mine, (e) => e.kind === 'consult-ended' && cancelled.has(e.reason)),
          conferences: count(mine, (e) => e.kind === 'conferenced' && e.reason === 'joined'),
          mutes: count(mine, (e) => e.kind === 'muted'),
          manualDials: count(mine, (e) => e.kind === 'connected' && dataKey(lifeOf.get(e.contactId)!, 'manualDial')),
        };
        const shown = row.holds + retrieved.length + row.transfersOut + row.consultations + row.consultTransfers + row.consultsCancelled + row.conferences + row.mutes + row.manualDials;
        return shown === 0 ? [] : [row];
      });
    }
    case 'recording': {
      // Quality notes a contact's life does not count: from the events of calls (and callbacks), by queue.
      const voice = log.events.filter((e) => (e.channel === 'call' || e.channel === 'callback') && e.queueId !== undefined);
      const by = byKey(voice.filter((e) => e.kind === 'connected' || e.kind === 'recording-started' || e.kind === 'recording-paused'), (e) => e.queueId!);
      return sorted(by.keys()).map((queue) => {
        const mine = by.get(queue)!;
        const contactsOf = (kind: string): number => new Set(mine.filter((e) => e.kind === kind).map((e) => e.contactId)).size;
        const answeredCalls = contactsOf('connected');
        const recorded = contactsOf('recording-started');
        return { queue, answered: answeredCalls, recorded, recordedShare: ratio(recorded, answeredCalls), pauses: count(mine, (e) => e.kind === 'recording-paused') };
      });
    }
    case 'monitoring': {
      const mon = log.events.filter((e) => e.kind === 'monitoring-started' || e.kind === 'monitoring-changed');
      const by = byKey(mon, (e) => `${(e.data as { supervisor: string }).supervisor}\u0000${e.agentId!}`);
      return sorted(by.keys()).map((k) => {
        const mine = by.get(k)!;
        const [supervisor, agent] = k.split('\u0000') as [string, string];
        const mode = (m: string): number => count(mine, (e) => e.reason === m);
        return { supervisor, agent, sessions: count(mine, (e) => e.kind === 'monitoring-started'), listen: mode('listen'), whisper: mode('whisper'), barge: mode('barge') };
      });
    }
    case 'callbacks': {
      // How a callback began (scheduled for a time, kept a place) is not kept in its life once it entered
      // its queue: `scheduled` counts the `callback-scheduled` events. The rest is the fold's.
      const cbs = lives.filter((l) => l.channel === 'callback');
      const scheduledBy = byKey(events.filter((e) => e.kind === 'callback-scheduled'), (e) => e.queueId!);
      return sorted([...cbs.map((l) => l.queueId!), ...scheduledBy.keys()]).flatMap((q) => {
        const mine = cbs.filter((l) => l.queueId === q);
        const scheduled = scheduledBy.get(q)?.length ?? 0;
        const attempts = sum(mine, (l) => l.callbackAttempts);
        const completed = mine.filter((l) => l.callbackResult !== undefined).length;
        const taken = mine.filter(answered);
        if (scheduled + attempts + completed + taken.length === 0) return [];
        return [{ queue: q, scheduled, attempts, completed, completionRate: ratio(completed, scheduled), avgTimeToCallBackSeconds: seconds(sum(taken, (l) => l.waitMs!), taken.length) }];
      });
    }
    case 'campaigns': {
      const dialled = lives.filter(campaignOf);
      if (dialled.length === 0 && count(events, (e) => e.data?.['campaignId'] === 'spring') === 0) return [];
      const made = dialled.filter((l) => l.dialResult === 'answered').length;
      // A drop leaves the call as the dialer's exit (`timeout`); its `dial-drop` is the dialer's note, and a
      // code a supervisor gives a target is about no contact: both counted from the events.
      const drops = count(events, (e) => e.kind === 'dial-drop');
      const codes = count(events, (e) => e.kind === 'disposition' && e.data?.campaignId === 'spring');
      const row = { campaign: 'spring', attempts: dialled.length, contactsMade: made, connected: dialled.filter(answered).length, drops, dropRate: ratio(drops, made), contactRate: ratio(made, dialled.length), dispositions: codes };
      return row.attempts + made + row.connected + drops + codes === 0 ? [] : [row];
    }
    case 'campaign-results': {
      // Each dialled call's result is its life's; a number on the do-not-call list is never dialled (no contact).
      const results = [...lives.filter((l) => campaignOf(l) && l.dialResult !== undefined).map((l) => l.dialResult!), ...events.filter((e) => e.kind === 'dial-result' && e.contactId === undefined).map((e) => e.reason!)];
      return sorted(results).map((r) => ({ campaign: 'spring', reason: r, results: results.filter((x) => x === r).length }));
    }
    case 'campaign-dispositions':
    case 'dispositions': {
      // A life keeps the last code its agents gave it (each agent who wrapped it up gives one) and the
      // IVR's own end; codes given to a campaign's target are about no contact. So the codes are
      // counted from the events, and the IVR's ends from the fold.
      const campaignOnly = name === 'campaign-dispositions';
      const codes = [
        ...events.filter((e) => e.kind === 'disposition' && e.agentId !== undefined && (!campaignOnly || e.data?.campaignId !== undefined)).map((e) => e.reason!),
        ...events.filter((e) => e.kind === 'disposition' && e.contactId === undefined).map((e) => e.reason!),
        ...(campaignOnly ? [] : lives.filter((l) => l.outcome === 'ivr-end' || l.outcome === 'ivr-hung-up').map((l) => l.outcome!)),
      ];
      return sorted(codes).map((r) => (campaignOnly ? { campaign: 'spring', reason: r, dispositions: codes.filter((x) => x === r).length } : { reason: r, contacts: codes.filter((x) => x === r).length }));
    }
    default:
      throw new Error(`no expectation for report ${name}`);
  }
}

/** What every checked report should show over a period, from the fold (and the agents' own events). */
function expected(log: GeneratedLog, name: string, p: Period, lives: readonly ContactLife[]): Row[] {
  const def = catalogue.get(name);
  if (def.source === 'contacts') return contactsReport(def, offered(log, lives, p));
  if (def.source === 'agents') return agentsReport(def, log, lives, p);
  return eventRows(log, lives, name);
}

function near(v: ReportCell): unknown {
  return typeof v === 'number' ? expect.closeTo(v, 9) : v;
}
const asMatchers = (rows: readonly Row[]): unknown[] => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, near(v)])));

describe('reports equal the contact fold on generated logs', () => {
  it('checks every built-in report over the contact event log (and names those that are not about contacts)', () => {
    const names = BUILTIN_REPORTS.map((d) => d.name);
    expect(new Set(names)).toEqual(new Set([...CHECKED, ...SESSION_REPORTS]));
    for (const n of SESSION_REPORTS) expect(catalogue.get(n).source).toBe('sessions');
  });

  forEachDatabase((db) => {
    it('every figure of every report, over the whole log and over a window inside it', async () => {
      await fc.assert(
        fc.asyncProperty(contactLogs(), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), async (log, u, v) => {
          await db.storage.knex(CONTACT_EVENTS_TABLE).del().catch(() => undefined);
          await insertContactEvents(db.storage, log.events);
          const lives = [...foldContacts(log.events).values()];
          const whole = { from: log.start - HOUR, to: log.end + 1 };
          // A window from one event's time to another's (times, not events, would mostly fall into the long pauses).
          const timeAt = (x: number): number => log.events[Math.min(log.events.length - 1, Math.floor(x * log.events.length))]!.at;
          const a = timeAt(Math.min(u, v));
          const window = { from: a, to: Math.max(a + 1, timeAt(Math.max(u, v))) };
          for (const name of CHECKED) {
            const rows = (await runReport(db.storage, catalogue.get(name), whole)).rows;
            expect({ name, rows }).toEqual({ name, rows: asMatchers(expected(log, name, whole, lives)) });
          }
          // Windows matter where a figure is credited to a time: a contact to its first entry (its whole
          // life followed), an agent's time clipped. The log's first day is what a daily report shows.
          const firstDay = { from: timeKey(log.start, DAY) * DAY, to: (timeKey(log.start, DAY) + 1) * DAY };
          for (const p of [window, firstDay]) {
            for (const name of ['inbound', 'inbound-by-queue', 'agents', 'agents-by-hour', 'pauses']) {
              const rows = (await runReport(db.storage, catalogue.get(name), p)).rows;
              expect({ name, p, rows }).toEqual({ name, p, rows: asMatchers(expected(log, name, p, lives)) });
            }
          }
        }),
        // Bounded in count, and in time on a slow machine (the runs done by then are checked).
        { seed: SEED, numRuns: db.dialect === 'sqlite' ? 80 : 40, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: false },
      );
    }, 120_000);
  });
});
