import { pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';

/** The structured logger used everywhere (pino). */
export type Logger = PinoLogger;

/**
 * Fields that may reach a log line. Anything else given as a top-level log field is dropped by the
 * serializers, so customer data, passwords and bound SQL values never reach the log by accident.
 */
const REDACT = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'bindings',
  '*.bindings',
  'params',
  '*.params',
];

/**
 * Creates the root logger. The level comes from `CARUSO_LOG_LEVEL` (default `info`, `silent` in tests).
 * @param destination where lines go; default standard output.
 */
export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const level = process.env['CARUSO_LOG_LEVEL'] ?? (process.env['JEST_WORKER_ID'] ? 'silent' : 'info');
  const merged = { level, redact: { paths: REDACT, censor: '[redacted]' }, ...options };
  return destination === undefined ? pino(merged) : pino(merged, destination);
}

/** A logger that writes nothing (default for library objects created without one). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
