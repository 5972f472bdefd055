/**
 * @caruso/monitor/testing: helpers for tests and benchmarks of reports.
 */
export { insertContactEvents } from './insert-events.js';
export { HAND_MADE_LOG, DAY, at } from './hand-made-log.js';
export { HAND_MADE_SESSIONS, HAND_MADE_SESSIONS_AS_OF, insertDialogueSessions } from './hand-made-sessions.js';
