import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport, parseReportDefinition, REPORT_FORMATS, ReportCatalogue, runReport, type ReportDefinition, type ReportDimension, type ReportFormat } from '@caruso/monitor';
import { createStorage } from '@caruso/storage';
import { ExitCode, InputError, UsageError, type CommandArea, type CommandIO } from '../command.js';

const HELP = `caruso report: compute a report from the contact event log (and the dialogue sessions).

Usage: caruso report <name> --from <date> --to <date> --db <url> [options]
       caruso report --list [--definitions <file.json>]

Options:
  --from D             start of the period, inclusive: YYYY-MM-DD (midnight UTC) or an ISO date-time
  --to D               end of the period, exclusive (same forms)
  --db URL             the database holding the event log (sqlite:./data/crm.db, postgres://…)
  --queue Q            only this queue (repeatable)
  --agent A            only this agent (repeatable)
  --channel C          only this channel (repeatable)
  --campaign K         only this campaign (repeatable; events reports)
  --script S           only sessions of this dialogue script (repeatable; scripts reports)
  --interval I         also split the rows by hour (of day), day or weekday
  --as-of D            scripts reports: judge idle sessions at this time (default now)
  --format F           json (default), csv or html (a page with a chart)
  --out FILE           write the report to FILE instead of standard output
  --definitions FILE   a JSON file with the company's own report definitions (see docs/reports.md)
  --list               list the report names
  -h, --help           show this help

Reports: inbound, inbound-by-hour, agents, agents-by-hour, scripts, script-abandons … (--list).
Definitions of every column: docs/monitoring.md and docs/reports.md.`;

const INTERVALS: readonly ReportDimension[] = ['hour', 'day', 'weekday'];

/** The definition with one more time dimension (validated again: not every source has every one). */
function withInterval(def: ReportDefinition, interval: string | undefined): ReportDefinition {
  if (interval === undefined) return def;
  if (!INTERVALS.includes(interval as ReportDimension)) throw new UsageError(`--interval must be one of ${INTERVALS.join(', ')}, got '${interval}'`);
  const groupBy = def.groupBy ?? [];
  if (groupBy.includes(interval as ReportDimension)) return def;
  return parseReportDefinition({ ...def, groupBy: [...groupBy, interval] });
}

function parseTime(name: string, v: string | undefined): number {
  if (v === undefined) throw new UsageError(`--${name} is required`);
  const text = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
  const t = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(t)) throw new UsageError(`--${name} must be YYYY-MM-DD or an ISO date-time, got '${v}'`);
  return t;
}

async function loadCatalogue(file: string | undefined, cwd: string): Promise<ReportCatalogue> {
  if (file === undefined) return new ReportCatalogue();
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read the report definitions (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not JSON (${(err as Error).message})`);
  }
  return new ReportCatalogue(json);
}

async function run(args: string[], io: CommandIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      db: { type: 'string' },
      queue: { type: 'string', multiple: true },
      agent: { type: 'string', multiple: true },
      channel: { type: 'string', multiple: true },
      campaign: { type: 'string', multiple: true },
      script: { type: 'string', multiple: true },
      interval: { type: 'string' },
      'as-of': { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      definitions: { type: 'string' },
      list: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const catalogue = await loadCatalogue(values.definitions, io.cwd);
  if (values.list) {
    for (const n of catalogue.names()) io.stdout.write(`${n}\t${catalogue.get(n).title ?? ''}\n`);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'the report name is required' : `unexpected argument '${positionals[1]}'`);
  const format = (values.format ?? 'json') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got '${values.format}'`);
  const from = parseTime('from', values.from);
  const to = parseTime('to', values.to);
  if (to <= from) throw new UsageError('--to must be after --from');
  if (!values.db) throw new UsageError('--db <url> is required (e.g. sqlite:./data/crm.db or postgres://…)');
  const definition = withInterval(catalogue.get(positionals[0]!), values.interval);
  const asOf = values['as-of'] === undefined ? undefined : parseTime('as-of', values['as-of']);
  const storage = await createStorage(values.db);
  try {
    const result = await runReport(storage, definition, {
      from,
      to,
      ...(values.queue ? { queue: values.queue } : {}),
      ...(values.agent ? { agent: values.agent } : {}),
      ...(values.channel ? { channel: values.channel } : {}),
      ...(values.campaign ? { campaign: values.campaign } : {}),
      ...(values.script ? { script: values.script } : {}),
      ...(asOf !== undefined ? { asOf } : {}),
    });
    const text = formatReport(result, format);
    if (values.out) await writeFile(resolve(io.cwd, values.out), text, 'utf8');
    else io.stdout.write(text);
    return ExitCode.Ok;
  } finally {
    await storage.close();
  }
}

/** `caruso report`: historical reports from the contact event log. */
export const reportArea: CommandArea = {
  name: 'report',
  summary: 'compute a report (inbound, agents, campaigns, dialogue scripts …) from the contact event log and the dialogue sessions as JSON, CSV or HTML',
  command: { summary: 'compute a report from the contact event log', help: HELP, run },
};
