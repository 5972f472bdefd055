import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Emitter, type IDisposable, type Logger } from '@caruso/kernel';
import type { Clock } from '@caruso/comms';
import type { StorageManager } from '@caruso/storage';
import { MonitorErrors } from '../errors.js';
import type { ReportCatalogue } from './report-catalogue.js';
import { runReport } from './report-engine.js';
import { escapeHtml, formatReport, REPORT_FORMATS, type ReportFormat } from './report-output.js';

const DAY_MS = 86_400_000;

/** The reports written every day when no `names` are given. */
export const DEFAULT_DAILY_REPORTS: readonly string[] = ['inbound', 'inbound-by-hour', 'inbound-by-queue', 'agents', 'agents-by-hour', 'scripts', 'script-abandons'];

/**
 * Daily report files (`reports` option of the monitor service): every day at a local time, the
 * reports of the previous local day are written into `<folder>/<YYYY-MM-DD>/<name>.<format>`, with
 * an `index.html` linking them.
 */
export interface DailyReportsOptions {
  /** The folder the day folders are written into (created when missing); absolute, or relative to the process's working directory. */
  readonly folder: string;
  /** Local time of day (`HH:MM`, 24 h) at which the previous day's reports are written (default `00:05`). */
  readonly at?: string;
  /** The report names, built-in or the company's own (default {@link DEFAULT_DAILY_REPORTS}). */
  readonly names?: readonly string[];
  /** The formats of each report (default `['html', 'csv']`). */
  readonly formats?: readonly ReportFormat[];
}

/** What one writing of a day produced. */
export interface DailyReportsWritten {
  /** The local day (`YYYY-MM-DD`). */
  readonly day: string;
  /** The folder of that day. */
  readonly folder: string;
  /** File names written in it. */
  readonly files: readonly string[];
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Validates the options (CARUSO_MONITOR_INVALID_OPTIONS; an unknown report name: CARUSO_MONITOR_UNKNOWN_REPORT). */
export function checkDailyReportsOptions(o: DailyReportsOptions, catalogue: ReportCatalogue): void {
  const bad = (reason: string): never => {
    throw MonitorErrors.CARUSO_MONITOR_INVALID_OPTIONS({ reason: `reports: ${reason}` });
  };
  if (typeof o !== 'object' || o === null) bad('must be an object with a folder');
  if (typeof o.folder !== 'string' || o.folder.trim() === '') bad('folder must be a path');
  if (o.at !== undefined && (typeof o.at !== 'string' || !TIME.test(o.at))) bad(`at must be HH:MM (24 h), got ${JSON.stringify(o.at)}`);
  if (o.formats !== undefined && (!Array.isArray(o.formats) || o.formats.length === 0 || !o.formats.every((f) => REPORT_FORMATS.includes(f)))) {
    bad(`formats must list some of ${REPORT_FORMATS.join(', ')}`);
  }
  if (o.names !== undefined && (!Array.isArray(o.names) || o.names.length === 0)) bad('names must be a non-empty list');
  for (const n of o.names ?? []) catalogue.get(n);
}

/** Writes the daily report files on a clock. Dispose to stop the timer. */
export class DailyReportWriter implements IDisposable {
  private timer: IDisposable | undefined;
  private disposed = false;
  private running: Promise<unknown> = Promise.resolve();
  private readonly atMs: number;
  private readonly offsetMs: number;
  private readonly _onDidWrite = new Emitter<DailyReportsWritten>();
  /** Fires after a day's files are in place. */
  readonly onDidWrite = this._onDidWrite.event;
  private readonly _onDidFail = new Emitter<{ day: string; error: unknown }>();
  /** Fires when writing a day failed (it is logged too; the next day is tried as usual). */
  readonly onDidFail = this._onDidFail.event;

  constructor(
    private readonly options: DailyReportsOptions,
    private readonly catalogue: ReportCatalogue,
    private readonly storage: () => Promise<StorageManager>,
    private readonly clock: Clock,
    utcOffsetMinutes: number,
    private readonly logger?: Logger,
  ) {
    const m = TIME.exec(options.at ?? '00:05')!;
    this.atMs = (Number(m[1]) * 60 + Number(m[2])) * 60_000;
    this.offsetMs = utcOffsetMinutes * 60_000;
  }

  /** The local day (`YYYY-MM-DD`) of a time. */
  private dayOf(t: number): string {
    return new Date(this.startOfDay(t) + this.offsetMs).toISOString().slice(0, 10);
  }

  /** The local day before the one the clock is in now (`YYYY-MM-DD`). */
  yesterday(): string {
    return this.dayOf(this.startOfDay(this.clock.now()) - 1);
  }

  private startOfDay(t: number): number {
    return Math.floor((t + this.offsetMs) / DAY_MS) * DAY_MS - this.offsetMs;
  }

  /**
   * Arms the timer. When today's time has passed and yesterday's folder is missing (the monitor
   * was down at that time), yesterday's reports are written now.
   */
  start(): void {
    const now = this.clock.now();
    const today = this.startOfDay(now);
    if (now >= today + this.atMs) {
      const yesterday = this.yesterday();
      this.running = this.running.then(async () => {
        if (!(await exists(join(this.folder, yesterday)))) await this.writeSafely(yesterday);
      });
    }
    this.arm();
  }

  /** Waits for writing in progress (for stop and tests). */
  async idle(): Promise<void> {
    await this.running.catch(() => undefined);
  }

  private get folder(): string {
    return resolve(this.options.folder);
  }

  private arm(): void {
    if (this.disposed) return;
    const now = this.clock.now();
    let due = this.startOfDay(now) + this.atMs;
    if (due <= now) due += DAY_MS;
    this.timer = this.clock.setTimer(due - now, () => {
      this.timer = undefined;
      if (this.disposed) return;
      // The day that just ended before this run's local day.
      const day = this.yesterday();
      this.running = this.running.then(() => this.writeSafely(day));
      this.arm();
    });
  }

  private async writeSafely(day: string): Promise<void> {
    try {
      await this.write(day);
    } catch (error) {
      this.logger?.error({ err: error, day }, 'daily reports failed');
      this._onDidFail.fire({ day, error });
    }
  }

  /** {@link write}, after any writing in progress (so that stopping waits for it too). */
  writeQueued(day: string): Promise<DailyReportsWritten> {
    const p = this.running.then(() => this.write(day));
    this.running = p.catch(() => undefined);
    return p;
  }

  /**
   * Writes the reports of a local day (`YYYY-MM-DD`) now, replacing that day's folder if it exists.
   * The files appear together: they are written into a temporary folder that is then renamed.
   */
  async write(day: string): Promise<DailyReportsWritten> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !Number.isFinite(Date.parse(`${day}T00:00:00Z`))) throw MonitorErrors.CARUSO_MONITOR_INVALID_PERIOD({ reason: `day must be YYYY-MM-DD, got ${day}` });
    const from = Date.parse(`${day}T00:00:00Z`) - this.offsetMs;
    const to = from + DAY_MS;
    const formats = this.options.formats ?? ['html', 'csv'];
    const names = this.options.names ?? DEFAULT_DAILY_REPORTS.filter((n) => this.catalogue.names().includes(n));
    const asOf = this.clock.now();
    const storage = await this.storage();
    const outputs: Array<{ file: string; text: string; title: string }> = [];
    for (const name of names) {
      const def = this.catalogue.get(name);
      // The hour and day groupings follow the contact center's local time unless the report sets its own.
      const local = { ...def, options: { utcOffsetMinutes: this.offsetMs / 60_000, ...def.options } };
      const result = await runReport(storage, local, { from, to, asOf });
      for (const f of formats) outputs.push({ file: `${name}.${f}`, text: formatReport(result, f), title: result.title });
    }
    const index = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Reports of ${day}</title></head><body>
<h1>Reports of ${day}</h1>
<ul>
${outputs.map((o) => `<li><a href="${encodeURIComponent(o.file)}">${escapeHtml(o.title)} (${escapeHtml(o.file.split('.').pop()!)})</a></li>`).join('\n')}
</ul>
</body></html>
`;
    outputs.push({ file: 'index.html', text: index, title: 'index' });
    await mkdir(this.folder, { recursive: true });
    const target = join(this.folder, day);
    const tmp = join(this.folder, `.${day}.${randomBytes(4).toString('hex')}.tmp`);
    await mkdir(tmp);
    try {
      for (const o of outputs) await writeFile(join(tmp, o.file), o.text, 'utf8');
      await rm(target, { recursive: true, force: true });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    const written: DailyReportsWritten = { day, folder: target, files: outputs.map((o) => o.file) };
    this.logger?.info({ day, files: written.files.length }, 'daily reports written');
    this._onDidWrite.fire(written);
    return written;
  }

  dispose(): void {
    this.disposed = true;
    this.timer?.dispose();
    this.timer = undefined;
    this._onDidWrite.dispose();
    this._onDidFail.dispose();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
