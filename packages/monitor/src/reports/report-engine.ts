import { CONTACT_EVENTS_TABLE } from '@caruso/comms';
import { DIALOGUE_SESSIONS_TABLE } from '@caruso/dialogue';
import { isCarusoError } from '@caruso/kernel';
import type { StorageManager } from '@caruso/storage';
import { MonitorErrors } from '../errors.js';
import { reportDialect } from './dialects/index.js';
import type { EventField, EventMeasure, ReportDefinition, ReportDimension } from './report-definition.js';

/** The period and extra filters of one run of a report. */
export interface ReportRequest {
  /** Start of the period, inclusive (ms since the epoch). */
  readonly from: number;
  /** End of the period, exclusive. */
  readonly to: number;
  readonly queue?: readonly string[];
  readonly agent?: readonly string[];
  readonly channel?: readonly string[];
  readonly campaign?: readonly string[];
  /** Only sessions of these dialogue scripts (sessions source). */
  readonly script?: readonly string[];
  /**
   * Now (default: the system clock): the sessions source judges idleness at it (a session still
   * active and not moved for `abandonAfterSeconds` before it counts as abandoned, otherwise as in
   * progress), and the agents source counts a state still open up to it (never beyond the period).
   */
  readonly asOf?: number;
}

/** A cell: a number, a dimension's text, or null (no data, e.g. a ratio over zero). */
export type ReportCell = string | number | null;

/** What a report run returns. */
export interface ReportResult {
  readonly name: string;
  readonly title: string;
  readonly from: string;
  readonly to: string;
  /** Dimensions first, then the columns. */
  readonly columns: readonly string[];
  readonly dimensions: readonly string[];
  readonly rows: ReadonlyArray<Readonly<Record<string, ReportCell>>>;
  readonly chart: string | undefined;
}

/** What a report shows, from its definition alone: the title, dimensions, columns and chart a run of it has. */
export type ReportShape = Pick<ReportResult, 'name' | 'title' | 'dimensions' | 'columns' | 'chart'>;

/** The {@link ReportShape} of a definition (a run returns the same, with its period and rows). */
export function reportShape(def: ReportDefinition): ReportShape {
  const groupBy = def.groupBy ?? [];
  return { name: def.name, title: def.title ?? def.name, dimensions: groupBy, columns: [...groupBy, ...def.columns], chart: def.chart ?? def.columns[0] };
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const FIELD_COLUMN: Record<EventField, string> = { waitMs: 'wait_ms', ringMs: 'ring_ms', talkMs: 'talk_ms', holdMs: 'hold_ms', wrapMs: 'wrap_ms' };
/**
 * A `completed` that counts as handled (docs/figures.md): not a transfer to a queue or an agent (the
 * contact goes on elsewhere), and not a call whose line died with the process (`lost-on-restart`:
 * nobody completed it, and it has no talk figures).
 */
const HANDLED_REASON = "(reason IS NULL OR reason NOT IN ('transferred', 'lost-on-restart'))";
/** How far after the period a contact's entry into a queue is looked for (its kept age), and a margin of the agents' states before it. */
const MARGIN_MS = 86_400_000;

/** Bound values and an SQL builder that only ever inlines integers it validated. */
class Sql {
  readonly bindings: Array<string | number> = [];
  bind(v: string): string {
    this.bindings.push(v);
    return '?';
  }
  list(vs: readonly string[]): string {
    return `(${vs.map((v) => this.bind(v)).join(', ')})`;
  }
}

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`not an integer: ${n}`);
  return String(n);
}

function timeDims(column: string, offsetMs: number): Partial<Record<ReportDimension, string>> {
  const local = `(${column} + ${int(offsetMs)})`;
  return {
    hour: `((${local} / 3600000) % 24)`,
    day: `(${local} / 86400000)`,
    weekday: `(((${local} / 86400000) + 4) % 7)`,
  };
}

function dimValue(d: ReportDimension, v: unknown): ReportCell {
  if (v === null || v === undefined) return null;
  if (d === 'hour') return Number(v);
  if (d === 'day') return new Date(Number(v) * 86_400_000).toISOString().slice(0, 10);
  if (d === 'weekday') return WEEKDAYS[Number(v)] ?? null;
  return String(v);
}

function ratio(n: number, d: number): number | null {
  return d > 0 ? n / d : null;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/**
 * Runs a declared report by SQL over the contact event log, on SQLite or PostgreSQL. Identifiers
 * come only from this file and the definition's validated names; every filter value is bound.
 * Throws CARUSO_MONITOR_INVALID_PERIOD or CARUSO_MONITOR_REPORT_FAILED.
 */
export async function runReport(storage: StorageManager, def: ReportDefinition, req: ReportRequest): Promise<ReportResult> {
  if (!Number.isSafeInteger(req.from) || !Number.isSafeInteger(req.to)) throw MonitorErrors.CARUSO_MONITOR_INVALID_PERIOD({ reason: 'from and to must be times' });
  if (req.to <= req.from) throw MonitorErrors.CARUSO_MONITOR_INVALID_PERIOD({ reason: 'to must be after from' });
  const filters = { ...(def.filters ?? {}) } as Record<string, readonly string[]>;
  for (const k of ['queue', 'agent', 'channel', 'campaign', 'script'] as const) {
    const v = req[k];
    if (v && v.length > 0) filters[k] = v;
  }
  if (filters['campaign'] && def.source !== 'events') throw MonitorErrors.CARUSO_MONITOR_INVALID_PERIOD({ reason: `report ${def.name} cannot be filtered by campaign` });
  if (filters['script'] && def.source !== 'sessions') throw MonitorErrors.CARUSO_MONITOR_INVALID_PERIOD({ reason: `report ${def.name} cannot be filtered by script` });
  if (def.source === 'sessions' && req.agent && req.agent.length > 0) throw MonitorErrors.CARUSO_MONITOR_INVALID_PERIOD({ reason: `report ${def.name} cannot be filtered by agent` });
  let rows: Array<Record<string, ReportCell>>;
  try {
    if (def.source === 'sessions') rows = (await storage.hasTable(DIALOGUE_SESSIONS_TABLE)) ? await sessionsReport(storage, def, req, filters) : [];
    else if (!(await storage.hasTable(CONTACT_EVENTS_TABLE))) rows = [];
    else if (def.source === 'contacts') rows = await contactsReport(storage, def, req, filters);
    else if (def.source === 'agents') rows = await agentsReport(storage, def, req, filters);
    else rows = await eventsReport(storage, def, req, filters);
  } catch (cause) {
    if (isCarusoError(cause) && cause.code.startsWith('CARUSO_MONITOR_')) throw cause;
    const reason = cause instanceof Error ? cause.message.split('\n')[0]!.slice(0, 200) : 'database error';
    throw MonitorErrors.CARUSO_MONITOR_REPORT_FAILED({ report: def.name, dialect: storage.dialect, reason }, { cause });
  }
  return { ...reportShape(def), from: new Date(req.from).toISOString(), to: new Date(req.to).toISOString(), rows };
}

async function query(storage: StorageManager, sql: Sql, text: string): Promise<Array<Record<string, unknown>>> {
  const r = (await storage.knex.raw(text, sql.bindings)) as unknown;
  // better-sqlite3 returns the rows; pg returns { rows }.
  return (Array.isArray(r) ? r : (r as { rows: Array<Record<string, unknown>> }).rows) as Array<Record<string, unknown>>;
}

/**
 * How the log's `at` column is named in a range condition. SQLite has no statistics, so it walks the
 * index on `at` even when the range covers most of the log, which is far slower than reading the
 * table through; when the range covers more than a quarter of the log's time span (two index probes
 * tell), the dialect's index bypass is used. PostgreSQL's planner decides from its statistics.
 */
async function timeColumn(storage: StorageManager, lo: number, hi: number): Promise<string> {
  const dialect = reportDialect(storage.dialect);
  if (!dialect.bypassIndex) return 'at';
  const [r] = await query(storage, new Sql(), `SELECT MIN(at) AS lo, MAX(at) AS hi FROM ${CONTACT_EVENTS_TABLE}`);
  const min = num(r?.['lo']);
  const max = num(r?.['hi']);
  if (max <= min) return 'at';
  const covered = Math.min(hi, max) - Math.max(lo, min);
  return covered > 0.25 * (max - min) ? dialect.bypassIndex('at') : 'at';
}

function orderAndShape(groupBy: readonly ReportDimension[], raw: Array<Record<string, unknown>>, build: (r: Record<string, unknown>) => Record<string, ReportCell>): Array<Record<string, ReportCell>> {
  return raw.map((r) => {
    const row: Record<string, ReportCell> = {};
    groupBy.forEach((d, i) => (row[d] = dimValue(d, r[`d${i}`])));
    return Object.assign(row, build(r));
  });
}

async function contactsReport(storage: StorageManager, def: ReportDefinition, req: ReportRequest, filters: Record<string, readonly string[]>): Promise<Array<Record<string, ReportCell>>> {
  const T = (def.options?.thresholdSeconds ?? 20) * 1000;
  const S = (def.options?.shortAbandonSeconds ?? def.options?.thresholdSeconds ?? 20) * 1000;
  const offset = (def.options?.utcOffsetMinutes ?? 0) * 60_000;
  const sql = new Sql();
  const t = CONTACT_EVENTS_TABLE;
  const dims: Record<string, string> = { ...timeDims('k.first_at', offset), queue: 'k.queue_id', agent: 'k.agent_id', channel: 'k.channel' };
  const groupBy = def.groupBy ?? [];
  const where: string[] = [`k.first_at >= ${int(req.from)}`, `k.first_at < ${int(req.to)}`];
  const fcol: Record<string, string> = { queue: 'k.queue_id', agent: 'k.agent_id', channel: 'k.channel', direction: 'k.direction' };
  for (const [k, v] of Object.entries(filters)) if (fcol[k]) where.push(`${fcol[k]} IN ${sql.list(v)}`);
  const wait = 'COALESCE(k.answer_wait, k.abandon_wait, k.exit_wait)';
  const atCol = await timeColumn(storage, req.from, req.to + MARGIN_MS);
  // The contacts that entered a queue in the period (or up to a kept age after it), then ALL their
  // events, however long after: an e-mail answered two days after it came is answered.
  const text = `
WITH f AS (
  SELECT DISTINCT contact_id AS id FROM ${t}
  WHERE kind = 'queue-entered' AND contact_id IS NOT NULL AND ${atCol} >= ${int(req.from)} AND ${atCol} < ${int(req.to + MARGIN_MS)}
), c AS (
  SELECT contact_id,
    MIN(CASE WHEN kind = 'queue-entered' THEN seq END) AS e_seq,
    MIN(CASE WHEN kind = 'connected' THEN seq END) AS a_seq,
    MIN(CASE WHEN kind = 'abandoned' THEN seq END) AS b_seq,
    MIN(CASE WHEN kind = 'exited' THEN seq END) AS x_seq,
    MAX(CASE WHEN kind = 'exited' AND reason = 'timeout' THEN 1 ELSE 0 END) AS timeout,
    MAX(CASE WHEN kind = 'transferred' THEN 1 ELSE 0 END) AS transferred,
    MAX(CASE WHEN kind = 'completed' AND ${HANDLED_REASON} THEN 1 ELSE 0 END) AS handled,
    SUM(CASE WHEN kind = 'completed' THEN COALESCE(talk_ms, 0) ELSE 0 END) AS talk_ms,
    SUM(CASE WHEN kind = 'completed' THEN COALESCE(hold_ms, 0) ELSE 0 END) AS hold_ms,
    SUM(CASE WHEN kind = 'wrap-up-ended' THEN COALESCE(wrap_ms, 0) ELSE 0 END) AS wrap_ms
  FROM ${t}
  WHERE contact_id IN (SELECT id FROM f)
    AND kind IN ('queue-entered', 'connected', 'abandoned', 'exited', 'transferred', 'completed', 'wrap-up-ended')
  GROUP BY contact_id
), k AS (
  SELECT c.*, e.at - COALESCE(e.wait_ms, 0) AS first_at, e.queue_id, e.channel, e.direction,
    a.agent_id, a.wait_ms AS answer_wait, b.wait_ms AS abandon_wait, x.wait_ms AS exit_wait
  FROM c JOIN ${t} e ON e.seq = c.e_seq
  LEFT JOIN ${t} a ON a.seq = c.a_seq
  LEFT JOIN ${t} b ON b.seq = c.b_seq
  LEFT JOIN ${t} x ON x.seq = c.x_seq
)
SELECT ${groupBy.map((d, i) => `${dims[d]} AS d${i}, `).join('')}
  COUNT(*) AS offered,
  SUM(CASE WHEN k.a_seq IS NOT NULL THEN 1 ELSE 0 END) AS answered,
  SUM(k.handled) AS handled,
  SUM(CASE WHEN k.b_seq IS NOT NULL THEN 1 ELSE 0 END) AS abandoned,
  SUM(CASE WHEN k.b_seq IS NOT NULL AND COALESCE(k.abandon_wait, 0) <= ${int(S)} THEN 1 ELSE 0 END) AS short_abandons,
  SUM(k.transferred) AS transferred,
  SUM(k.timeout) AS timeouts,
  SUM(CASE WHEN k.x_seq IS NOT NULL THEN 1 ELSE 0 END) AS exited,
  SUM(CASE WHEN k.a_seq IS NOT NULL AND COALESCE(k.answer_wait, 0) <= ${int(T)} THEN 1 ELSE 0 END) AS within,
  SUM(CASE WHEN k.a_seq IS NOT NULL THEN COALESCE(k.answer_wait, 0) ELSE 0 END) AS answer_wait_ms,
  SUM(CASE WHEN ${wait} IS NOT NULL THEN 1 ELSE 0 END) AS waited,
  SUM(COALESCE(${wait}, 0)) AS wait_ms,
  MAX(${wait}) AS longest_wait_ms,
  SUM(k.talk_ms) AS talk_ms,
  SUM(k.talk_ms + k.hold_ms + k.wrap_ms) AS handle_ms
FROM k
WHERE ${where.join(' AND ')}
${groupBy.length ? `GROUP BY ${groupBy.map((d) => dims[d]).join(', ')} ORDER BY ${groupBy.map((d) => dims[d]).join(', ')}` : ''}`;
  const raw = await query(storage, sql, text);
  const cols = def.columns;
  const shaped = orderAndShape(groupBy, raw, (r) => {
    const O = num(r['offered']);
    const A = num(r['answered']);
    const H = num(r['handled']);
    const B = num(r['abandoned']);
    const Bt = num(r['short_abandons']);
    const X = num(r['exited']);
    const within = num(r['within']);
    const all: Record<string, ReportCell> = {
      offered: O,
      answered: A,
      handled: H,
      abandoned: B,
      shortAbandons: Bt,
      abandonedExcludingShort: B - Bt,
      transferred: num(r['transferred']),
      timeouts: num(r['timeouts']),
      exited: X,
      answeredWithinThreshold: within,
      serviceLevel: ratio(within, A),
      serviceLevelOfOffered: ratio(within, A + B + X),
      serviceLevelExcludingShortAbandons: ratio(within, A + B - Bt),
      asaSeconds: A > 0 ? num(r['answer_wait_ms']) / 1000 / A : null,
      avgWaitSeconds: num(r['waited']) > 0 ? num(r['wait_ms']) / 1000 / num(r['waited']) : null,
      longestWaitSeconds: r['longest_wait_ms'] === null || r['longest_wait_ms'] === undefined ? null : num(r['longest_wait_ms']) / 1000,
      avgTalkSeconds: H > 0 ? num(r['talk_ms']) / 1000 / H : null,
      ahtSeconds: H > 0 ? num(r['handle_ms']) / 1000 / H : null,
      abandonRate: ratio(B, O),
    };
    return Object.fromEntries(cols.map((c) => [c, all[c] ?? null]));
  });
  // A period without contacts still has its one total row.
  if (groupBy.length === 0 && shaped.length === 1 && num(raw[0]?.['offered']) === 0) {
    return [Object.fromEntries(cols.map((c) => [c, ['serviceLevel', 'serviceLevelOfOffered', 'serviceLevelExcludingShortAbandons', 'asaSeconds', 'avgWaitSeconds', 'longestWaitSeconds', 'avgTalkSeconds', 'ahtSeconds', 'abandonRate'].includes(c) ? null : 0]))];
  }
  return shaped;
}

async function agentsReport(storage: StorageManager, def: ReportDefinition, req: ReportRequest, filters: Record<string, readonly string[]>): Promise<Array<Record<string, ReportCell>>> {
  const sql = new Sql();
  const t = CONTACT_EVENTS_TABLE;
  const groupBy = def.groupBy ?? [];
  const offset = (def.options?.utcOffsetMinutes ?? 0) * 60_000;
  const timed = groupBy.some((d) => d === 'hour' || d === 'day' || d === 'weekday');
  const dims: Record<string, string> = { ...timeDims('p.ps', offset), agent: 'p.agent_id', reason: 'p.reason' };
  const where: string[] = [];
  if (filters['agent']) where.push(`s.agent_id IN ${sql.list(filters['agent'])}`);
  if (filters['state']) where.push(`s.state IN ${sql.list(filters['state'])}`);
  const from = int(req.from);
  const to = int(req.to);
  const atCol = await timeColumn(storage, req.from - 7 * MARGIN_MS, req.to);
  // A state still open (no next state yet) runs up to now, never beyond: a report of today asked at
  // 09:07 counts 7 minutes of the agent who logged in at 09:00, not the rest of the day.
  const asOf = req.asOf ?? Date.now();
  if (!Number.isSafeInteger(asOf)) throw MonitorErrors.CARUSO_MONITOR_INVALID_PERIOD({ reason: 'asOf must be a time' });
  const openEnd = int(Math.max(req.from, Math.min(req.to, asOf)));
  const end = `(CASE WHEN s.next_at IS NULL THEN ${openEnd} WHEN s.next_at > ${to} THEN ${to} ELSE s.next_at END)`;
  const start = `(CASE WHEN s.at < ${from} THEN ${from} ELSE s.at END)`;
  // With a time dimension, each stretch of a state is cut at the interval boundaries (local hours,
  // or local days) by a recursive query, so that its time is credited to every interval it spans.
  const bucket = groupBy.includes('hour') ? 3_600_000 : 86_400_000;
  const next = `(((p.ps + ${int(offset)}) / ${bucket} + 1) * ${bucket} - ${int(offset)})`;
  const pieces = timed
    ? `, p(agent_id, state, reason, ps, pe) AS (
  SELECT agent_id, state, reason, s0, e0 FROM c
  UNION ALL
  SELECT p.agent_id, p.state, p.reason, ${next}, p.pe FROM p WHERE ${next} < p.pe
)`
    : ', p AS (SELECT agent_id, state, reason, s0 AS ps, e0 AS pe FROM c)';
  const ms = timed ? `(CASE WHEN ${next} < p.pe THEN ${next} - p.ps ELSE p.pe - p.ps END)` : '(p.pe - p.ps)';
  const sum = (states: string): string => `SUM(CASE WHEN p.state IN (${states}) THEN ${ms} ELSE 0 END)`;
  // A state lasts until the agent's next state or log-out. The recovery after a crash logs agents
  // out with `agent-logged-out` alone (their desks died with the process, no state change is logged):
  // without it, the state they were in at the crash would run on until they log in again.
  const text = `
WITH${timed ? ' RECURSIVE' : ''} s AS (
  SELECT agent_id, CASE WHEN kind = 'agent-logged-out' THEN 'logged-out' ELSE state END AS state, reason, at,
    LEAD(at) OVER (PARTITION BY agent_id ORDER BY seq) AS next_at
  FROM ${t}
  WHERE kind IN ('agent-state-changed', 'agent-logged-out') AND agent_id IS NOT NULL AND ${atCol} < ${to} AND ${atCol} >= ${int(req.from - 7 * MARGIN_MS)}
), c AS (
  SELECT s.agent_id, s.state, s.reason, ${start} AS s0, ${end} AS e0
  FROM s
  WHERE s.state IN ('ready', 'reserved', 'busy', 'wrap-up', 'paused') AND ${end} > ${start}${where.length ? ` AND ${where.join(' AND ')}` : ''}
)${pieces}
SELECT ${groupBy.map((d, i) => `${dims[d]} AS d${i}, `).join('')}
  ${sum("'ready', 'reserved', 'busy', 'wrap-up', 'paused'")} AS logged_in,
  ${sum("'ready'")} AS ready, ${sum("'reserved'")} AS reserved, ${sum("'busy'")} AS busy,
  ${sum("'wrap-up'")} AS wrap_up, ${sum("'paused'")} AS paused
FROM p
GROUP BY ${groupBy.length ? groupBy.map((d) => dims[d]).join(', ') : "'all'"}
HAVING ${sum("'ready', 'reserved', 'busy', 'wrap-up', 'paused'")} > 0
${groupBy.length ? `ORDER BY ${groupBy.map((d) => dims[d]).join(', ')}` : ''}`;
  const raw = await query(storage, sql, text);
  // Contacts handled, their handle time and ring-no-answers, by agent (and interval) from the contact
  // events; an event counts in the interval of its time.
  const keyOf = (r: Record<string, unknown>, prefix: string): string =>
    groupBy.map((d, i) => (d === 'agent' ? String(r[`${prefix}${i}`]) : String(num(r[`${prefix}${i}`])))).join('\u0000');
  const counts = new Map<string, { handled: number; handleMs: number; rna: number }>();
  if (!groupBy.includes('reason')) {
    const sql2 = new Sql();
    const edims: Record<string, string> = { ...timeDims('at', offset), agent: 'agent_id' };
    const at2 = await timeColumn(storage, req.from, req.to);
    const w2 = [`agent_id IS NOT NULL`, `${at2} >= ${from}`, `${at2} < ${to}`, `kind IN ('completed', 'wrap-up-ended', 'ring-no-answer')`];
    if (filters['agent']) w2.push(`agent_id IN ${sql2.list(filters['agent'])}`);
    const rows2 = await query(
      storage,
      sql2,
      `SELECT ${groupBy.map((d, i) => `${edims[d]} AS k${i}, `).join('')}
        SUM(CASE WHEN kind = 'completed' AND ${HANDLED_REASON} THEN 1 ELSE 0 END) AS handled,
        SUM(CASE WHEN kind = 'completed' THEN COALESCE(talk_ms, 0) + COALESCE(hold_ms, 0) WHEN kind = 'wrap-up-ended' THEN COALESCE(wrap_ms, 0) ELSE 0 END) AS handle_ms,
        SUM(CASE WHEN kind = 'ring-no-answer' THEN 1 ELSE 0 END) AS rna
      FROM ${t} WHERE ${w2.join(' AND ')}${groupBy.length ? ` GROUP BY ${groupBy.map((d) => edims[d]).join(', ')}` : ''}`,
    );
    for (const r of rows2) counts.set(keyOf(r, 'k'), { handled: num(r['handled']), handleMs: num(r['handle_ms']), rna: num(r['rna']) });
  }
  return orderAndShape(groupBy, raw, (r) => {
    const c = counts.get(keyOf(r, 'd')) ?? { handled: 0, handleMs: 0, rna: 0 };
    const ready = num(r['ready']);
    const reserved = num(r['reserved']);
    const busy = num(r['busy']);
    const wrap = num(r['wrap_up']);
    const all: Record<string, ReportCell> = {
      loggedInSeconds: num(r['logged_in']) / 1000,
      readySeconds: ready / 1000,
      reservedSeconds: reserved / 1000,
      busySeconds: busy / 1000,
      wrapUpSeconds: wrap / 1000,
      pausedSeconds: num(r['paused']) / 1000,
      occupancy: ratio(busy + wrap, ready + reserved + busy + wrap),
      utilization: ratio(busy + wrap, num(r['logged_in'])),
      handled: c.handled,
      ahtSeconds: c.handled > 0 ? c.handleMs / 1000 / c.handled : null,
      ringNoAnswer: c.rna,
    };
    return Object.fromEntries(def.columns.map((col) => [col, all[col] ?? null]));
  });
}

async function eventsReport(storage: StorageManager, def: ReportDefinition, req: ReportRequest, filters: Record<string, readonly string[]>): Promise<Array<Record<string, ReportCell>>> {
  const sql = new Sql();
  const dialect = reportDialect(storage.dialect);
  const offset = (def.options?.utcOffsetMinutes ?? 0) * 60_000;
  const campaignId = dialect.jsonPath('data', ['campaignId']);
  const campaign = `COALESCE(${campaignId}, queue_id)`;
  // The contacts whose own data (as they entered a queue or were scheduled) has a key, e.g. the
  // callbacks of voice messages (`voicemailId`). Keys are validated names (report-definition.ts).
  const withData = (key: string): string =>
    `contact_id IN (SELECT contact_id FROM ${CONTACT_EVENTS_TABLE} WHERE kind IN ('queue-entered', 'callback-scheduled') AND ${dialect.jsonPath('data', ['data', key])} IS NOT NULL)`;
  // The supervisor of a monitoring event (its `data.supervisor`).
  const supervisor = dialect.jsonPath('data', ['supervisor']);
  const dims: Record<string, string> = { ...timeDims('at', offset), queue: 'queue_id', agent: 'agent_id', channel: 'channel', reason: 'reason', kind: 'kind', campaign, supervisor };
  const groupBy = def.groupBy ?? [];
  const measures = def.measures ?? [];
  const selects: string[] = [];
  const kinds = new Set<string>();
  measures.forEach((m, i) => {
    if ('ratio' in m) return;
    for (const k of m.kinds) kinds.add(k);
    // Each use of the condition in the text binds its values again (bindings are positional).
    const cond = (): string =>
      `kind IN ${sql.list(m.kinds)}${m.reasons ? ` AND reason IN ${sql.list(m.reasons)}` : ''}${m.campaignsOnly ? ` AND ${campaignId} IS NOT NULL` : ''}${m.contactData ? ` AND ${withData(m.contactData)}` : ''}`;
    const field = m.field ? FIELD_COLUMN[m.field] : undefined;
    if (m.aggregate === 'count') selects.push(`SUM(CASE WHEN ${cond()} THEN 1 ELSE 0 END) AS m${i}`);
    else if (m.aggregate === 'contacts') selects.push(`COUNT(DISTINCT CASE WHEN ${cond()} THEN contact_id END) AS m${i}`);
    else if (m.aggregate === 'sum') selects.push(`SUM(CASE WHEN ${cond()} THEN COALESCE(${field}, 0) ELSE 0 END) AS m${i}`);
    else if (m.aggregate === 'avg') selects.push(`SUM(CASE WHEN ${cond()} AND ${field} IS NOT NULL THEN ${field} ELSE 0 END) AS m${i}, SUM(CASE WHEN ${cond()} AND ${field} IS NOT NULL THEN 1 ELSE 0 END) AS n${i}`);
    else selects.push(`${m.aggregate === 'max' ? 'MAX' : 'MIN'}(CASE WHEN ${cond()} THEN ${field} END) AS m${i}`);
  });
  const atCol = await timeColumn(storage, req.from, req.to);
  const where = [`${atCol} >= ${int(req.from)}`, `${atCol} < ${int(req.to)}`, `kind IN ${sql.list([...kinds])}`];
  const fcol: Record<string, string> = { queue: 'queue_id', agent: 'agent_id', channel: 'channel', direction: 'direction', campaign };
  for (const [k, v] of Object.entries(filters)) if (fcol[k]) where.push(`${fcol[k]} IN ${sql.list(v)}`);
  // A callback's leg to the customer logs its `dial-result` too (channel `callback`, no campaign): it is
  // no campaign's, so a report by campaign leaves it out rather than credit it to the queue as a campaign.
  if (groupBy.includes('campaign') || filters['campaign']) where.push(`(${campaignId} IS NOT NULL OR channel IS NULL OR channel <> 'callback')`);
  // The bindings of the SELECT come first in the text, so build the WHERE bindings after them.
  const text = `SELECT ${groupBy.map((d, i) => `${dims[d]} AS d${i}, `).join('')}${selects.join(', ')}
FROM ${CONTACT_EVENTS_TABLE} WHERE ${where.join(' AND ')}
${groupBy.length ? `GROUP BY ${groupBy.map((d) => dims[d]).join(', ')} ORDER BY ${groupBy.map((d) => dims[d]).join(', ')}` : ''}`;
  // A group whose events matched the kinds of one measure but the reasons of none has nothing to show.
  // (An average over events whose values sum to 0 still has events: its count says so.)
  const raw = (await query(storage, sql, text)).filter((r) => measures.some((m, i) => !('ratio' in m) && (num(r[`m${i}`]) !== 0 || num(r[`n${i}`]) !== 0)));
  return orderAndShape(groupBy, raw, (r) => {
    const values = new Map<string, number | null>();
    measures.forEach((m: EventMeasure, i) => {
      if ('ratio' in m) {
        const a = values.get(m.ratio[0]) ?? null;
        const b = values.get(m.ratio[1]) ?? null;
        values.set(m.name, a === null || b === null ? null : ratio(a, b));
      } else if (m.aggregate === 'count' || m.aggregate === 'contacts') values.set(m.name, num(r[`m${i}`]));
      else if (m.aggregate === 'sum') values.set(m.name, num(r[`m${i}`]) / 1000);
      else if (m.aggregate === 'avg') values.set(m.name, num(r[`n${i}`]) > 0 ? num(r[`m${i}`]) / 1000 / num(r[`n${i}`]) : null);
      else values.set(m.name, r[`m${i}`] === null || r[`m${i}`] === undefined ? null : num(r[`m${i}`]) / 1000);
    });
    return Object.fromEntries(def.columns.map((c) => [c, values.get(c) ?? null]));
  });
}

async function sessionsReport(storage: StorageManager, def: ReportDefinition, req: ReportRequest, filters: Record<string, readonly string[]>): Promise<Array<Record<string, ReportCell>>> {
  const sql = new Sql();
  const dialect = reportDialect(storage.dialect);
  const offset = (def.options?.utcOffsetMinutes ?? 0) * 60_000;
  const idleMs = (def.options?.abandonAfterSeconds ?? 1_800) * 1000;
  const asOf = req.asOf ?? Date.now();
  if (!Number.isSafeInteger(asOf)) throw MonitorErrors.CARUSO_MONITOR_INVALID_PERIOD({ reason: 'asOf must be a time' });
  const groupBy = def.groupBy ?? [];
  const cols = new Set<string>(def.columns);
  const timed = groupBy.some((d) => d === 'hour' || d === 'day' || d === 'weekday');
  const iso = (ms: number): string => new Date(ms).toISOString();
  // created_at / updated_at are ISO-8601 UTC texts of one fixed width, so text comparison is time order.
  const idleBefore = sql.bind(iso(asOf - idleMs));
  const json = (...keys: string[]): string => dialect.jsonPath('state', keys);
  // The state JSON is only parsed for what the report shows.
  const extra: string[] = [];
  if (groupBy.includes('outcome')) extra.push(`CASE WHEN status = 'ended' THEN ${json('outcome')} END AS outcome`);
  if (groupBy.includes('queue') || filters['queue']) extra.push(`CASE WHEN status = 'handoff' THEN ${json('handoff', 'queue')} END AS queue`);
  if (cols.has('fallbacks')) extra.push(`CASE WHEN status = 'handoff' THEN ${json('handoff', 'reason')} END AS handoff_reason`);
  if (groupBy.includes('node')) {
    extra.push(`${json('at', 'script')} AS at_script`, `${json('at', 'node')} AS at_node`);
  }
  const inner: string[] = [`created_at >= ${sql.bind(iso(req.from))}`, `created_at < ${sql.bind(iso(req.to))}`];
  if (filters['script']) inner.push(`script IN ${sql.list(filters['script'])}`);
  if (filters['channel']) inner.push(`channel IN ${sql.list(filters['channel'])}`);
  const outer: string[] = [];
  if (filters['status']) outer.push(`x.result IN ${sql.list(filters['status'])}`);
  if (filters['queue']) outer.push(`x.queue IN ${sql.list(filters['queue'])}`);
  const dims: Record<string, string> = {
    ...timeDims('x.start_ms', offset),
    script: 'x.script',
    version: 'x.version',
    channel: 'x.channel',
    result: 'x.result',
    outcome: 'x.outcome',
    queue: 'x.queue',
    // A node of a subscript is named <subscript>#<node>.
    node: `CASE WHEN x.at_script IS NULL OR x.at_script = x.script THEN x.at_node ELSE x.at_script || '#' || x.at_node END`,
  };
  const selfService = `x.channel IN ('ivr', 'web')`;
  const text = `
WITH x AS (
  SELECT script, version, channel,
    ${timed ? dialect.isoToMs('created_at') : '0'} AS start_ms,
    ${cols.has('avgDurationSeconds') ? `${dialect.isoToMs('updated_at')} - ${dialect.isoToMs('created_at')}` : '0'} AS duration_ms,
    CASE WHEN status = 'ended' THEN 'completed' WHEN status = 'handoff' THEN 'handed-off' WHEN status = 'abandoned' OR updated_at < ${idleBefore} THEN 'abandoned' ELSE 'in-progress' END AS result
    ${extra.map((e) => `, ${e}`).join('')}
  FROM ${DIALOGUE_SESSIONS_TABLE}
  WHERE ${inner.join(' AND ')}
)
SELECT ${groupBy.map((d, i) => `${dims[d]} AS d${i}, `).join('')}
  COUNT(*) AS started,
  SUM(CASE WHEN x.result = 'completed' THEN 1 ELSE 0 END) AS completed,
  SUM(CASE WHEN x.result = 'handed-off' THEN 1 ELSE 0 END) AS handed_off,
  ${cols.has('fallbacks') ? "SUM(CASE WHEN x.result = 'handed-off' AND x.handoff_reason = 'fallback' THEN 1 ELSE 0 END)" : '0'} AS fallbacks,
  SUM(CASE WHEN x.result = 'abandoned' THEN 1 ELSE 0 END) AS abandoned,
  SUM(CASE WHEN x.result <> 'in-progress' THEN x.duration_ms ELSE 0 END) AS duration_ms,
  SUM(CASE WHEN ${selfService} AND x.result = 'completed' THEN 1 ELSE 0 END) AS ss_completed,
  SUM(CASE WHEN ${selfService} AND x.result IN ('completed', 'handed-off', 'abandoned') THEN 1 ELSE 0 END) AS ss_finished
FROM x
${outer.length ? `WHERE ${outer.join(' AND ')}` : ''}
${groupBy.length ? `GROUP BY ${groupBy.map((d) => dims[d]).join(', ')} ORDER BY ${groupBy.map((d) => dims[d]).join(', ')}` : ''}`;
  const raw = await query(storage, sql, text);
  return orderAndShape(groupBy, raw, (r) => {
    const started = num(r['started']);
    const completed = num(r['completed']);
    const handedOff = num(r['handed_off']);
    const abandoned = num(r['abandoned']);
    const finished = completed + handedOff + abandoned;
    const all: Record<string, ReportCell> = {
      started,
      completed,
      handedOff,
      fallbacks: num(r['fallbacks']),
      abandoned,
      inProgress: started - finished,
      completionRate: ratio(completed, started),
      handoffRate: ratio(handedOff, started),
      abandonRate: ratio(abandoned, started),
      containmentRate: ratio(num(r['ss_completed']), num(r['ss_finished'])),
      avgDurationSeconds: finished > 0 ? num(r['duration_ms']) / 1000 / finished : null,
    };
    return Object.fromEntries(def.columns.map((c) => [c, all[c] ?? null]));
  });
}
