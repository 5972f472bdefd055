import { defineErrors } from '@caruso/kernel';

/** Every error the monitor raises. Each code is documented in docs/errors.md. */
export const MonitorErrors = defineErrors({
  CARUSO_MONITOR_INVALID_ALERT: { message: 'alert definition {alert}: {reason}' },
  CARUSO_MONITOR_INVALID_REPORT: { message: 'report definition {report}: {reason}' },
  CARUSO_MONITOR_UNKNOWN_REPORT: { message: 'no report {report}; known reports: {known}', status: 404 },
  CARUSO_MONITOR_INVALID_PERIOD: { message: 'invalid report period: {reason}' },
  CARUSO_MONITOR_INVALID_OPTIONS: { message: 'monitor options: {reason}' },
  CARUSO_MONITOR_INVALID_MESSAGE: { message: 'monitor message rejected: {reason}' },
  CARUSO_MONITOR_UNKNOWN_TOPIC: { message: 'no topic {topic}; topics look like center, queue:<id>, agents, agents:<group>, agent:<id>, campaigns, services, alerts', status: 404 },
  CARUSO_MONITOR_FORBIDDEN: { message: '{principal} ({role}) may not see topic {topic}', status: 403 },
  CARUSO_MONITOR_AUTH_FAILED: { message: 'monitor connection refused: {reason}', status: 401 },
  CARUSO_MONITOR_NOT_STARTED: { message: 'the monitor is not started', status: 503 },
  CARUSO_MONITOR_NO_STORAGE: { message: 'reports need the storage manager: register the storage service (token caruso.storage) or pass the storage option', status: 503 },
  CARUSO_MONITOR_REPORT_FAILED: { message: 'report {report} failed on {dialect}: {reason}', status: 500, kind: 'bug' },
});

/** The union of monitor error codes. */
export type MonitorErrorCode = (typeof MonitorErrors.codes)[number];
