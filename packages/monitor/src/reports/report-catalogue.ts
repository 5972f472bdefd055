import { MonitorErrors } from '../errors.js';
import { BUILTIN_REPORTS } from './builtin-reports.js';
import { parseReportDefinitions, type ReportDefinition } from './report-definition.js';

/** The reports one installation knows: the built-in ones, plus the company's own (which may replace a built-in one by name). */
export class ReportCatalogue {
  private readonly byName = new Map<string, ReportDefinition>();

  /** @param own the company's definitions (parsed JSON; validated here, CARUSO_MONITOR_INVALID_REPORT). */
  constructor(own: unknown = []) {
    for (const d of BUILTIN_REPORTS) this.byName.set(d.name, d);
    for (const d of parseReportDefinitions(own)) this.byName.set(d.name, d);
  }

  /** The names, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** A definition by name. Throws CARUSO_MONITOR_UNKNOWN_REPORT. */
  get(name: string): ReportDefinition {
    const d = this.byName.get(name);
    if (!d) throw MonitorErrors.CARUSO_MONITOR_UNKNOWN_REPORT({ report: name, known: this.names().join(', ') });
    return d;
  }
}
