import { createToken, type Event, type IDisposable } from '@caruso/kernel';
import type { WebSocket } from 'ws';
import type { Alert, AlertChange } from './alerts.js';
import type { MonitorPrincipal } from './common/protocol.js';
import type { MonitorListener, MonitorListenerOptions } from './monitor-listener.js';
import type { DailyReportsWritten } from './reports/daily-reports.js';
import type { ReportDefinition } from './reports/report-definition.js';
import type { ReportRequest, ReportResult } from './reports/report-engine.js';

/**
 * The live status monitor, as other components reach it through the service manager (token
 * `caruso.monitor`). Its figures come only from the contact event log and from the service
 * manager's per-service health and metrics.
 *
 * Topics: `center`, `queue:<id>`, `agents`, `agents:<group>`, `agent:<id>`, `campaigns`,
 * `services`, `alerts`. Supervisors see every topic; agents only `agent:<their id>`.
 */
export interface Monitor {
  /**
   * The current value of a topic, as `principal` may see it (default: a supervisor).
   * Throws CARUSO_MONITOR_UNKNOWN_TOPIC or CARUSO_MONITOR_FORBIDDEN.
   */
  topicValue(topic: string, principal?: MonitorPrincipal): unknown;
  /** The topics that have a value now (queues, agents and groups seen or configured). */
  topics(): string[];
  /**
   * Hands an already-authenticated WebSocket to the monitor's hub (the front office does this on its
   * own HTTP server after checking the session cookie). Dispose to detach.
   * Note: the principal is trusted as given; authenticate before calling.
   */
  attach(socket: WebSocket, principal: MonitorPrincipal): IDisposable;
  /** Opens a standalone WebSocket listener that authenticates with kernel access tokens (closed when the monitor stops). */
  listen(options: MonitorListenerOptions): Promise<MonitorListener>;
  /** The alerts raised and not cleared, oldest first. */
  activeAlerts(): Alert[];
  /** Fires when an alert is raised or cleared (also written to the monitor's log). */
  readonly onDidChangeAlert: Event<AlertChange>;
  /** Sequence number of the last contact event folded into the figures. */
  foldedSeq(): number;
  /** The names of the reports it can run: the built-in ones and the company's own (`reportDefinitions`), sorted. */
  reportNames(): string[];
  /**
   * The definition of a report by name (title, grouping, columns, filters, chart): what a page needs
   * to describe a report without running it. Throws CARUSO_MONITOR_UNKNOWN_REPORT.
   */
  reportDefinition(name: string): ReportDefinition;
  /**
   * Runs a report by SQL over the contact event log (and the dialogue sessions) of the storage
   * manager. `asOf` defaults to the monitor's clock.
   * Throws CARUSO_MONITOR_UNKNOWN_REPORT, CARUSO_MONITOR_INVALID_PERIOD, CARUSO_MONITOR_NO_STORAGE or
   * CARUSO_MONITOR_REPORT_FAILED.
   */
  report(name: string, request: ReportRequest): Promise<ReportResult>;
  /**
   * Writes the daily report files of a local day (`YYYY-MM-DD`; default: yesterday) into the
   * `reports.folder` now, replacing that day's folder. Throws CARUSO_MONITOR_INVALID_OPTIONS when no
   * `reports` option was given, CARUSO_MONITOR_NOT_STARTED before start.
   */
  writeDailyReports(day?: string): Promise<DailyReportsWritten>;
  /** Fires when a day's report files were written (on schedule or by {@link writeDailyReports}). */
  readonly onDidWriteReports: Event<DailyReportsWritten>;
}

/** The monitor's token. */
export const Monitor = createToken<Monitor>('caruso.monitor');
