import { MonitorErrors } from '../../errors.js';

/** What differs between databases in the report SQL. One entry per dialect (knex's layout). */
export interface ReportDialect {
  /** SQL of the text value at the path `keys` (identifiers from the engine only) in the JSON text column `column` (NULL when absent). */
  jsonPath(column: string, keys: readonly string[]): string;
  /** SQL of the ms since the epoch (an integer) of a column holding an ISO-8601 UTC time text. */
  isoToMs(column: string): string;
  /** The column in a form the planner cannot use an index for (when a range covers most of a table); absent when the planner decides well itself. */
  bypassIndex?(column: string): string;
}

const DIALECTS: Readonly<Record<string, ReportDialect>> = {
  sqlite: {
    jsonPath: (column, keys) => `json_extract(${column}, '$.${keys.join('.')}')`,
    isoToMs: (column) => `CAST(ROUND((julianday(${column}) - 2440587.5) * 86400000.0) AS INTEGER)`,
    // SQLite's documented way to keep a term from using an index: a unary plus.
    bypassIndex: (column) => `+${column}`,
  },
  postgres: {
    jsonPath: (column, keys) => `(${column}::json #>> '{${keys.join(',')}}')`,
    isoToMs: (column) => `CAST(ROUND(EXTRACT(EPOCH FROM CAST(${column} AS timestamptz)) * 1000) AS BIGINT)`,
  },
};

/** The report dialect of a storage dialect. Throws CARUSO_MONITOR_REPORT_FAILED for an unknown one. */
export function reportDialect(name: string): ReportDialect {
  const d = Object.prototype.hasOwnProperty.call(DIALECTS, name) ? DIALECTS[name] : undefined;
  if (!d) throw MonitorErrors.CARUSO_MONITOR_REPORT_FAILED({ report: '*', dialect: name, reason: `no report dialect for ${name}; known: ${Object.keys(DIALECTS).join(', ')}` });
  return d;
}
