/**
 * @caruso/monitor: live figures of the contact center pushed over WebSocket, alerts, and historical
 * reports computed by SQL from the contact event log.
 */
export * from './errors.js';
export * from './common/protocol.js';
export * from './live-figures.js';
export * from './alerts.js';
export * from './monitor.js';
export * from './monitor-hub.js';
export * from './monitor-listener.js';
export * from './monitor-service.js';
export * from './reports/report-definition.js';
export * from './reports/builtin-reports.js';
export * from './reports/report-catalogue.js';
export * from './reports/report-folder.js';
export * from './reports/report-engine.js';
export * from './reports/report-output.js';
export * from './reports/daily-reports.js';
