/**
 * @caruso/monitor/testing: helpers for tests and benchmarks of reports.
 */
export { insertContactEvents } from './insert-events.js';
