/**
 * The report endpoints: the monitor's historical reports (computed by SQL from the contact event
 * log) for supervisors and administrators, as JSON or CSV. The dashboards' report widgets read them.
 */
import type { FastifyInstance } from 'fastify';
import { isCarusoError } from '@caruso/kernel';
import { reportShape, reportToCsv, type Monitor, type ReportDefinition, type ReportRequest, type ReportResult } from '@caruso/monitor';
import { FrontOfficeErrors } from './errors.js';
import { need } from './internal/http.js';
import { closed, errors, routeSchema, text } from './internal/route-schemas.js';

export interface ReportsApiDeps {
  /** The monitor when one is registered; the endpoints answer 503 otherwise. */
  readonly monitor: () => Monitor | undefined;
}

/** What `GET /api/reports` says of one report. */
export interface ReportSummary {
  readonly name: string;
  readonly title: string;
  /** The grouping columns, then the figures. */
  readonly columns: readonly string[];
  readonly dimensions: readonly string[];
  /** The column a chart shows (one bar per row). */
  readonly chart: string | null;
}

/** The filters a report run takes (each repeatable: `queue=a&queue=b`). */
export const REPORT_FILTERS = ['queue', 'agent', 'channel', 'campaign', 'script'] as const;
/** The output formats of `GET /api/reports/:name`. */
export const REPORT_API_FORMATS = ['json', 'csv'] as const;
/** The longest period one request may cover. */
export const MAX_REPORT_DAYS = 366;

/** An ISO 8601 date (midnight UTC) or a date-time with a zone (`Z` or `±hh:mm`). */
export const REPORT_TIME_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$';

const filterSchema = { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } } as const;
const timeSchema = { type: 'string', maxLength: 40, pattern: REPORT_TIME_PATTERN } as const;

/** The JSON schema of the query of `GET /api/reports/:name` (the OpenAPI document is generated from it). */
export const REPORT_QUERY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: { ...timeSchema, description: 'start of the period, inclusive: YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time with a zone' },
    to: { ...timeSchema, description: 'end of the period, exclusive (same forms); at most 366 days after from' },
    ...Object.fromEntries(REPORT_FILTERS.map((f) => [f, { ...filterSchema, description: `only these ${f === 'script' ? 'dialogue scripts' : `${f}s`} (repeat the parameter for more than one)` }])),
    format: { type: 'string', enum: [...REPORT_API_FORMATS], description: `${REPORT_API_FORMATS.join(' or ')} (default json); csv is sent as a download` },
  },
} as const;

const REPORT_SUMMARY = closed({ name: text(), title: text(), columns: { type: 'array', items: text() }, dimensions: { type: 'array', items: text() }, chart: { type: ['string', 'null'] } });
const REPORT_RESULT = closed(
  {
    name: text(),
    title: text(),
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    columns: { type: 'array', items: text(), description: 'the dimensions first, then the figures' },
    dimensions: { type: 'array', items: text() },
    rows: { type: 'array', items: { type: 'object', additionalProperties: { type: ['string', 'number', 'null'] } } },
    chart: { type: 'string', description: 'the column a chart shows' },
  },
  ['chart'],
);

const NAME_SCHEMA = { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } } } as const;

/** Milliseconds since the epoch of a time matching REPORT_TIME_PATTERN, or a 422 when the date does not exist. */
function parseTime(name: string, report: string, text: string): number {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const midnight = Date.UTC(y, m - 1, d);
  const back = new Date(midnight);
  const hh = text.length > 10 ? Number(text.slice(11, 13)) : 0;
  const mm = text.length > 10 ? Number(text.slice(14, 16)) : 0;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d || hh > 23 || mm > 59 || !Number.isFinite(ms)) {
    throw FrontOfficeErrors.CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST({ report, reason: `${name} ${text} is not a real date or time` }, { details: { field: name } });
  }
  return ms;
}

/** What a page shows of a report before running it: the monitor's shape of its definition. */
function describeReport(def: ReportDefinition): ReportSummary {
  const shape = reportShape(def);
  return { ...shape, chart: shape.chart ?? null };
}

/** Translates the monitor's errors into the front office's (its messages stay). */
function translate(err: unknown, report: string): unknown {
  if (!isCarusoError(err)) return err;
  switch (err.code) {
    case 'CARUSO_MONITOR_UNKNOWN_REPORT':
      return FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `report ${report}` }, { cause: err, details: { report } });
    case 'CARUSO_MONITOR_INVALID_PERIOD':
      return FrontOfficeErrors.CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST({ report, reason: err.message.replace(/^invalid report period: /, '') }, { cause: err });
    case 'CARUSO_MONITOR_NOT_STARTED':
    case 'CARUSO_MONITOR_NO_STORAGE':
      return FrontOfficeErrors.CARUSO_FRONTOFFICE_MONITOR_UNAVAILABLE({ reason: err.code === 'CARUSO_MONITOR_NOT_STARTED' ? 'it is not started' : 'it has no storage manager' }, { cause: err });
    default:
      return err;
  }
}

/** A file name for the download: the report's name and its period, nothing from outside [A-Za-z0-9._-]. */
function downloadName(r: ReportResult, from: string, to: string): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${safe(r.name)}_${safe(from.replace(/:/g, ''))}_${safe(to.replace(/:/g, ''))}.csv`;
}

export function registerReportsApi(fastify: FastifyInstance, deps: ReportsApiDeps): void {
  const monitor = (): Monitor => {
    const m = deps.monitor();
    if (!m) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_MONITOR_UNAVAILABLE({ reason: 'none is registered in this assembly' });
    return m;
  };

  fastify.get('/api/reports', {
    schema: routeSchema('The reports the monitor can run (built-in and the company\'s own), with their columns', ['supervisor', 'administrator'], {
      response: { 200: { description: 'the reports, by name', ...closed({ data: { type: 'array', items: REPORT_SUMMARY } }) }, ...errors([503, 'no monitor in the assembly, or it is not started']) },
    }),
  }, async (req) => {
    need(req, ['supervisor', 'administrator'], 'read reports');
    const m = monitor();
    try {
      return { data: m.reportNames().map((n) => describeReport(m.reportDefinition(n))) };
    } catch (err) {
      throw translate(err, '*');
    }
  });

  fastify.get('/api/reports/:name', {
    schema: routeSchema('Run a report over a period, computed from the contact event log', ['supervisor', 'administrator'], {
      params: NAME_SCHEMA,
      querystring: REPORT_QUERY_SCHEMA,
      response: {
        200: { description: 'the report', content: { 'application/json': { schema: closed({ data: REPORT_RESULT }) }, 'text/csv': { schema: { type: 'string' } } } },
        ...errors([404, 'no such report'], [422, 'to not after from, a period over 366 days, a date that does not exist, or a filter the report does not take'], [503, 'no monitor in the assembly, or it is not started']),
      },
    }),
  }, async (req, reply) => {
    need(req, ['supervisor', 'administrator'], 'read reports');
    const { name } = req.params as { name: string };
    const q = req.query as Record<string, unknown>;
    const allowed = ['from', 'to', 'format', ...REPORT_FILTERS];
    const extra = Object.keys(q).filter((k) => !allowed.includes(k));
    if (extra.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown query parameters ${extra.join(', ')}; allowed: ${allowed.join(', ')}` }, { details: { unknown: extra } });
    const fromText = q['from'] as string;
    const toText = q['to'] as string;
    const from = parseTime('from', name, fromText);
    const to = parseTime('to', name, toText);
    if (to <= from) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST({ report: name, reason: 'to must be after from' }, { details: { from: fromText, to: toText } });
    if (to - from > MAX_REPORT_DAYS * 86_400_000) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST({ report: name, reason: `the period is longer than ${MAX_REPORT_DAYS} days` }, { details: { from: fromText, to: toText } });
    const request: { -readonly [K in keyof ReportRequest]: ReportRequest[K] } = { from, to };
    for (const f of REPORT_FILTERS) {
      const v = q[f] as string[] | undefined;
      if (v && v.length > 0) request[f] = v;
    }
    const m = monitor();
    let result: ReportResult;
    try {
      result = await m.report(name, request);
    } catch (err) {
      throw translate(err, name);
    }
    if (q['format'] === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${downloadName(result, fromText, toText)}"`)
        .send(reportToCsv(result));
    }
    return { data: result };
  });
}
