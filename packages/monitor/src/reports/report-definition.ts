import type { ContactEventKind } from '@caruso/comms';
import { CONTACT_EVENT_KINDS } from '@caruso/comms';
import { MonitorErrors } from '../errors.js';

/** What a report is computed from. */
export type ReportSource = 'contacts' | 'agents' | 'events' | 'sessions';

/**
 * How rows are grouped. Time dimensions use the contact's first entry (contacts), the event's time
 * (events), the time spent in the interval (agents: a state is split at hour or day boundaries) or the
 * session's start (sessions).
 */
export type ReportDimension =
  | 'hour' | 'day' | 'weekday' | 'queue' | 'agent' | 'channel' | 'reason' | 'kind' | 'campaign' | 'supervisor'
  | 'script' | 'version' | 'result' | 'outcome' | 'node';

/** The columns of the `contacts` source (definitions in docs/monitoring.md). */
export const CONTACT_COLUMNS = [
  'offered', 'answered', 'handled', 'abandoned', 'shortAbandons', 'abandonedExcludingShort', 'transferred', 'timeouts', 'exited',
  'answeredWithinThreshold', 'serviceLevel', 'serviceLevelOfOffered', 'serviceLevelExcludingShortAbandons', 'asaSeconds',
  'avgWaitSeconds', 'longestWaitSeconds', 'avgTalkSeconds', 'ahtSeconds', 'abandonRate',
] as const;

/** The columns of the `sessions` source (dialogue-script sessions; definitions in docs/reports.md). */
export const SESSION_COLUMNS = [
  'started', 'completed', 'handedOff', 'fallbacks', 'abandoned', 'inProgress', 'completionRate', 'handoffRate', 'abandonRate',
  'containmentRate', 'avgDurationSeconds',
] as const;

/** The results of a dialogue session, as the `result` dimension and the `status` filter name them. */
export const SESSION_RESULTS = ['completed', 'handed-off', 'abandoned', 'in-progress'] as const;

/** The columns of the `agents` source. */
export const AGENT_COLUMNS = [
  'loggedInSeconds', 'readySeconds', 'reservedSeconds', 'busySeconds', 'wrapUpSeconds', 'pausedSeconds', 'occupancy', 'utilization',
  'handled', 'ahtSeconds', 'ringNoAnswer',
] as const;

const DIMENSIONS: Record<ReportSource, readonly ReportDimension[]> = {
  contacts: ['hour', 'day', 'weekday', 'queue', 'agent', 'channel'],
  agents: ['agent', 'reason', 'hour', 'day', 'weekday'],
  events: ['hour', 'day', 'weekday', 'queue', 'agent', 'channel', 'reason', 'kind', 'campaign', 'supervisor'],
  sessions: ['hour', 'day', 'weekday', 'script', 'version', 'channel', 'result', 'outcome', 'node', 'queue'],
};

/** The fields of an event a custom measure can aggregate. */
export type EventField = 'waitMs' | 'ringMs' | 'talkMs' | 'holdMs' | 'wrapMs';
const FIELDS: readonly EventField[] = ['waitMs', 'ringMs', 'talkMs', 'holdMs', 'wrapMs'];

/** A measure of the `events` source: an aggregate over the events of some kinds (and reasons). */
export type EventMeasure =
  | {
      readonly name: string;
      /** `count` of the events, `contacts`: how many different contacts have such an event, or an aggregate of `field`. */
      readonly aggregate: 'count' | 'contacts' | 'sum' | 'avg' | 'max' | 'min';
      readonly kinds: readonly ContactEventKind[];
      /** Only events with one of these reasons. */
      readonly reasons?: readonly string[];
      /** The field summed, averaged … (required except for count); reported in seconds. */
      readonly field?: EventField;
      /** Only events of campaign calls: those that carry a campaign (`data.campaignId`). */
      readonly campaignsOnly?: boolean;
      /**
       * Only events of contacts whose own data has this key (as they entered a queue or were scheduled),
       * e.g. `voicemailId`: the callbacks of voice messages.
       */
      readonly contactData?: string;
    }
  | { readonly name: string; readonly ratio: readonly [string, string] };

/** A report, declared (JSON) rather than coded. A company adds its own next to the built-in ones. */
export interface ReportDefinition {
  /** Stable name, e.g. `inbound-by-hour` (what `caruso report <name>` takes). */
  readonly name: string;
  readonly title?: string;
  readonly source: ReportSource;
  /** Grouping, outermost first (default: one row for the whole period). */
  readonly groupBy?: readonly ReportDimension[];
  /** Column names: of the source's catalogue, or of `measures` (events). */
  readonly columns: readonly string[];
  /** Measures of the `events` source. */
  readonly measures?: readonly EventMeasure[];
  /** Fixed filters; each value list is OR-ed, fields are AND-ed. `state` filters the agents source (e.g. `paused`). */
  readonly filters?: Readonly<Partial<Record<'queue' | 'agent' | 'channel' | 'campaign' | 'direction' | 'state' | 'script' | 'status', readonly string[]>>>;
  readonly options?: {
    /** Service-level threshold T (default 20). */
    readonly thresholdSeconds?: number;
    /** Abandons within this wait are short (default: T). */
    readonly shortAbandonSeconds?: number;
    /** Local time of the hour/day/weekday grouping (default 0 = UTC). */
    readonly utcOffsetMinutes?: number;
    /** Sessions source: a session still active and idle this long is abandoned (default 1800). */
    readonly abandonAfterSeconds?: number;
  };
  /** The column drawn as a bar chart in the HTML output (default: the first column). */
  readonly chart?: string;
}

const NAME = /^[a-z][a-z0-9-]{0,63}$/;
const MEASURE = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const TOP = new Set(['name', 'title', 'source', 'groupBy', 'columns', 'measures', 'filters', 'options', 'chart']);
const FILTERS = new Set(['queue', 'agent', 'channel', 'campaign', 'direction', 'state', 'script', 'status']);

/**
 * Validates report definitions (parsed JSON): one object or a list. Throws
 * CARUSO_MONITOR_INVALID_REPORT naming the report and the field.
 */
export function parseReportDefinitions(input: unknown): ReportDefinition[] {
  const list = Array.isArray(input) ? input : [input];
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const d = parseReportDefinition(raw, `#${i + 1}`);
    if (seen.has(d.name)) throw MonitorErrors.CARUSO_MONITOR_INVALID_REPORT({ report: d.name, reason: 'the name is used twice' });
    seen.add(d.name);
    return d;
  });
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 128);
}

/** Validates one report definition. */
export function parseReportDefinition(raw: unknown, fallbackName = '(unnamed)'): ReportDefinition {
  const name = typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : fallbackName;
  const bad = (reason: string): never => {
    throw MonitorErrors.CARUSO_MONITOR_INVALID_REPORT({ report: name, reason });
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('a report definition is an object');
  const d = raw as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!TOP.has(k)) bad(`unknown field ${k}`);
  if (typeof d['name'] !== 'string' || !NAME.test(d['name'])) bad('name must be lower-case letters, digits and -, starting with a letter');
  if (d['title'] !== undefined && typeof d['title'] !== 'string') bad('title must be a string');
  const source = d['source'] as ReportSource;
  if (!['contacts', 'agents', 'events', 'sessions'].includes(source)) bad('source must be contacts, agents, events or sessions');
  const groupBy = (d['groupBy'] ?? []) as ReportDimension[];
  if (!strings(groupBy)) bad('groupBy must be a list of dimensions');
  for (const g of groupBy) if (!DIMENSIONS[source].includes(g)) bad(`groupBy ${g} is not a dimension of ${source}; use ${DIMENSIONS[source].join(', ')}`);
  if (new Set(groupBy).size !== groupBy.length) bad('groupBy names a dimension twice');
  const measures = (d['measures'] ?? []) as EventMeasure[];
  if (!Array.isArray(measures)) bad('measures must be a list');
  if (measures.length > 0 && source !== 'events') bad('measures are for the events source');
  const measureNames = new Set<string>();
  for (const m of measures) {
    if (typeof m !== 'object' || m === null) bad('a measure is an object');
    const mm = m as unknown as Record<string, unknown>;
    if (typeof mm['name'] !== 'string' || !MEASURE.test(mm['name'])) bad('a measure name is letters and digits');
    const mname = mm['name'] as string;
    if (measureNames.has(mname)) bad(`measure ${mname} is declared twice`);
    if ('ratio' in mm) {
      const r = mm['ratio'];
      for (const k of Object.keys(mm)) if (k !== 'name' && k !== 'ratio') bad(`measure ${mname}: unknown field ${k}`);
      if (!strings(r) || r.length !== 2 || !r.every((x) => measureNames.has(x))) bad(`measure ${mname}: ratio names two measures declared before it`);
    } else {
      for (const k of Object.keys(mm)) if (!['name', 'aggregate', 'kinds', 'reasons', 'field', 'campaignsOnly', 'contactData'].includes(k)) bad(`measure ${mname}: unknown field ${k}`);
      if (mm['campaignsOnly'] !== undefined && typeof mm['campaignsOnly'] !== 'boolean') bad(`measure ${mname}: campaignsOnly must be true or false`);
      // The key is written into the SQL as a JSON path: letters and digits only.
      if (mm['contactData'] !== undefined && (typeof mm['contactData'] !== 'string' || !MEASURE.test(mm['contactData']))) bad(`measure ${mname}: contactData must be a key of letters and digits`);
      if (!['count', 'contacts', 'sum', 'avg', 'max', 'min'].includes(mm['aggregate'] as string)) bad(`measure ${mname}: aggregate must be count, contacts, sum, avg, max or min`);
      if (!strings(mm['kinds']) || mm['kinds'].length === 0 || !mm['kinds'].every((k) => CONTACT_EVENT_KINDS.includes(k as ContactEventKind))) bad(`measure ${mname}: kinds must list event kinds`);
      if (mm['reasons'] !== undefined && !strings(mm['reasons'])) bad(`measure ${mname}: reasons must be a list of strings`);
      const counts = mm['aggregate'] === 'count' || mm['aggregate'] === 'contacts';
      if (!counts && !FIELDS.includes(mm['field'] as EventField)) bad(`measure ${mname}: field must be one of ${FIELDS.join(', ')}`);
      if (counts && mm['field'] !== undefined) bad(`measure ${mname}: ${mm['aggregate'] as string} takes no field`);
    }
    measureNames.add(mname);
  }
  const columns = d['columns'];
  if (!strings(columns) || columns.length === 0) bad('columns must be a non-empty list of names');
  const catalogue: readonly string[] = source === 'contacts' ? CONTACT_COLUMNS : source === 'agents' ? AGENT_COLUMNS : source === 'sessions' ? SESSION_COLUMNS : [...measureNames];
  for (const c of columns as string[]) if (!catalogue.includes(c)) bad(`column ${c} is not one of ${catalogue.join(', ')}`);
  if (source === 'agents' && groupBy.includes('reason')) {
    for (const c of columns as string[]) if (!c.endsWith('Seconds') || c === 'ahtSeconds') bad(`column ${c} cannot be grouped by reason (only state times can)`);
  }
  const filters = (d['filters'] ?? {}) as Record<string, unknown>;
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) bad('filters must be an object');
  for (const [k, v] of Object.entries(filters)) {
    if (!FILTERS.has(k)) bad(`unknown filter ${k}`);
    if (!strings(v) || v.length === 0) bad(`filter ${k} must be a non-empty list of strings`);
    if (k === 'state' && source !== 'agents') bad('the state filter is for the agents source');
    if (k === 'campaign' && source !== 'events') bad('the campaign filter is for the events source');
    if ((k === 'script' || k === 'status') && source !== 'sessions') bad(`the ${k} filter is for the sessions source`);
    if (source === 'sessions' && !['channel', 'script', 'status', 'queue'].includes(k)) bad(`the sessions source is filtered by channel, script, status or queue, not ${k}`);
    if (k === 'status') for (const x of v as string[]) if (!(SESSION_RESULTS as readonly string[]).includes(x)) bad(`status ${x} is not one of ${SESSION_RESULTS.join(', ')}`);
  }
  const options = (d['options'] ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || options === null) bad('options must be an object');
  for (const [k, v] of Object.entries(options)) {
    if (!['thresholdSeconds', 'shortAbandonSeconds', 'utcOffsetMinutes', 'abandonAfterSeconds'].includes(k)) bad(`unknown option ${k}`);
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(`option ${k} must be a number`);
    if (k === 'utcOffsetMinutes' ? !Number.isInteger(v) || Math.abs(v as number) > 1440 : (v as number) < 0) bad(`option ${k} is out of range`);
  }
  if (d['chart'] !== undefined && !(columns as string[]).includes(d['chart'] as string)) bad('chart must name one of the columns');
  return d as unknown as ReportDefinition;
}
