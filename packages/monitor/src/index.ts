/**
 * @caruso/monitor: live figures of the contact center pushed over WebSocket, alerts, and historical
 * reports computed by SQL from the contact event log.
 */
export {
  parseAlertDefinitions,
  ALERT_METRICS,
  BUILT_IN_ALERTS,
  AlertBoard,
  type AlertMetric,
  type AlertComparison,
  type AlertDefinition,
  type Alert,
  type AlertChange,
  type AlertInputs,
} from './alerts.js';
export { MonitorErrors, type MonitorErrorCode } from './errors.js';
export {
  splitTopic,
  LiveFigures,
  type LiveFiguresOptions,
  type WaitingContact,
  type DayFigures,
  type QueueFigures,
  type AgentFigures,
  type AgentCounts,
  type AgentBoard,
  type CampaignFigures,
  type CenterFigures,
} from './live-figures.js';
export { mayView, MonitorHub, type TopicSource, type MonitorHubOptions } from './monitor-hub.js';
export {
  listenMonitor,
  MONITOR_TOKEN_ID,
  type MonitorListenerOptions,
  type MonitorListener,
} from './monitor-listener.js';
export {
  monitorService,
  MONITOR_SERVICE_VERSION,
  MonitorRuntime,
  type MonitorOptions,
} from './monitor-service.js';
export { Monitor } from './monitor.js';
export {
  diffValues,
  applyPatch,
  type MonitorPrincipal,
  type PatchOp,
  type ClientMessage,
  type ServerMessage,
} from './common/protocol.js';
export { BUILTIN_REPORTS } from './reports/builtin-reports.js';
export {
  checkDailyReportsOptions,
  DEFAULT_DAILY_REPORTS,
  DailyReportWriter,
  type DailyReportsOptions,
  type DailyReportsWritten,
} from './reports/daily-reports.js';
export { ReportCatalogue } from './reports/report-catalogue.js';
export {
  parseReportDefinitions,
  parseReportDefinition,
  CONTACT_COLUMNS,
  SESSION_COLUMNS,
  SESSION_RESULTS,
  AGENT_COLUMNS,
  type ReportSource,
  type ReportDimension,
  type EventField,
  type EventMeasure,
  type ReportDefinition,
} from './reports/report-definition.js';
export {
  reportShape,
  runReport,
  type ReportRequest,
  type ReportCell,
  type ReportResult,
  type ReportShape,
} from './reports/report-engine.js';
export { readReportFolder, type ReportFolder } from './reports/report-folder.js';
export {
  reportToCsv,
  reportToJson,
  escapeHtml,
  barChartSvg,
  reportToHtml,
  formatReport,
  REPORT_FORMATS,
  type ReportFormat,
} from './reports/report-output.js';
