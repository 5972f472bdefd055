import { MonitorErrors } from '../../errors.js';

/** What differs between databases in the report SQL. One entry per dialect (knex's layout). */
export interface ReportDialect {
  /** SQL of the text value of `key` in the JSON text column `column` (NULL when absent). */
  jsonText(column: string, key: string): string;
}

const DIALECTS: Readonly<Record<string, ReportDialect>> = {
  sqlite: { jsonText: (column, key) => `json_extract(${column}, '$.${key}')` },
  postgres: { jsonText: (column, key) => `(${column}::json ->> '${key}')` },
};

/** The report dialect of a storage dialect. Throws CARUSO_MONITOR_REPORT_FAILED for an unknown one. */
export function reportDialect(name: string): ReportDialect {
  const d = Object.prototype.hasOwnProperty.call(DIALECTS, name) ? DIALECTS[name] : undefined;
  if (!d) throw MonitorErrors.CARUSO_MONITOR_REPORT_FAILED({ report: '*', dialect: name, reason: `no report dialect for ${name}; known: ${Object.keys(DIALECTS).join(', ')}` });
  return d;
}
