/**
 * Every error of the front office (`CARUSO_FRONTOFFICE_*`), with its HTTP status. Each code is
 * explained in docs/errors.md (section Front office); a test keeps both in step.
 */
import { defineErrors } from '@caruso/kernel';

export const FrontOfficeErrors = defineErrors({
  CARUSO_FRONTOFFICE_INVALID_APPLICATION: { message: 'the application definition {file} has {count} error(s): {first}' },
  CARUSO_FRONTOFFICE_BAD_OPTIONS: { message: 'front-office options: {reason}' },
  CARUSO_FRONTOFFICE_AUTH_REQUIRED: { message: 'log in first (no valid session)', status: 401 },
  CARUSO_FRONTOFFICE_LOGIN_FAILED: { message: 'unknown user name or wrong password', status: 401 },
  CARUSO_FRONTOFFICE_TOO_MANY_ATTEMPTS: { message: 'too many failed log-ins; try again in {seconds} s', status: 429 },
  CARUSO_FRONTOFFICE_CSRF: { message: 'missing or wrong x-csrf-token header; reload the page', status: 403 },
  CARUSO_FRONTOFFICE_FORBIDDEN: { message: 'the role {role} may not {action}', status: 403 },
  CARUSO_FRONTOFFICE_NOT_FOUND: { message: '{what} not found', status: 404 },
  CARUSO_FRONTOFFICE_BAD_REQUEST: { message: 'bad request: {reason}', status: 400 },
  CARUSO_FRONTOFFICE_UNKNOWN_FIELD: { message: '{object} has no writable field(s) {fields}', status: 400 },
  CARUSO_FRONTOFFICE_VERSION_REQUIRED: { message: 'a change of {object} must carry the $version you read', status: 428 },
  CARUSO_FRONTOFFICE_BODY_TOO_LARGE: { message: 'the request body is larger than {limit} bytes', status: 413 },
  CARUSO_FRONTOFFICE_UNSUPPORTED_MEDIA: { message: 'send the body as application/json', status: 415 },
  CARUSO_FRONTOFFICE_DUPLICATE_USER: { message: 'a user named {name} exists already', status: 409 },
  CARUSO_FRONTOFFICE_WEAK_PASSWORD: { message: 'a password needs at least {min} characters', status: 422 },
  CARUSO_FRONTOFFICE_CHANNEL_UNAVAILABLE: { message: 'the {channel} channel is not part of this assembly', status: 503 },
  CARUSO_FRONTOFFICE_MONITOR_UNAVAILABLE: { message: 'reports need the monitor service, and {reason}', status: 503 },
  CARUSO_FRONTOFFICE_INVALID_REPORT_REQUEST: { message: 'report {report}: {reason}', status: 422 },
  CARUSO_FRONTOFFICE_HISTORY_NOT_MOVED: { message: 'the front office has {rows} wrap-up(s) in caruso_fo_interactions to move into the communication server\'s interaction store, and this database has none: turn interaction records on and start again' },
  CARUSO_FRONTOFFICE_IDENTIFY_LOCKED: { message: 'too many failed attempts to identify; try again in {seconds} s, or ask for an agent', status: 429 },
  CARUSO_FRONTOFFICE_IDENTIFY_MISSING: { message: 'self-service page {page} runs script {script}, which reads or changes data ({access}), but the application declares no <identify>: add one so that visitors identify themselves first', status: 503 },
  CARUSO_FRONTOFFICE_URI_TOO_LONG: { message: 'a path parameter is longer than {max} characters', status: 414 },
  CARUSO_FRONTOFFICE_HEADERS_TOO_LARGE: { message: 'the request line and headers are larger than {limit} bytes', status: 431 },
  CARUSO_FRONTOFFICE_REQUEST_TIMEOUT: { message: 'the request did not arrive in time', status: 408 },
  CARUSO_FRONTOFFICE_CLOSING: { message: 'the front office is shutting down; send the request again in a moment', status: 503 },
  CARUSO_FRONTOFFICE_NOTE_CHANNEL: { message: 'contact {contact} is a {channel}: private notes go to chat and e-mail contacts (coach a call by whisper)', status: 409 },
  CARUSO_FRONTOFFICE_QUALITY_UNAVAILABLE: { message: 'recording and monitoring need {what}, which this assembly does not have', status: 503 },
  CARUSO_FRONTOFFICE_NOT_A_CALL: { message: 'contact {contact} is a {channel}: {action} works on calls only', status: 409 },
  CARUSO_FRONTOFFICE_ATTACHMENTS_TOO_LARGE: { message: 'the attachments are {size} bytes in {count} file(s); at most {maxFiles} files and {maxBytes} bytes in total', status: 413 },
  CARUSO_FRONTOFFICE_NOTE_LOCKED: { message: 'a note can be changed or deleted only by its author within {minutes} minutes of writing it', status: 403 },
  CARUSO_FRONTOFFICE_PASSWORD_CHANGE_REQUIRED: { message: 'change your password first (POST /api/me/password): it was reset by an administrator', status: 403 },
  CARUSO_FRONTOFFICE_WRONG_PASSWORD: { message: 'the current password is not right', status: 403 },
  CARUSO_FRONTOFFICE_RANGE_NOT_SATISFIABLE: { message: 'the range {range} lies outside the {size} bytes of the {what}', status: 416 },
  CARUSO_FRONTOFFICE_UNKNOWN_LANGUAGE: { message: 'no texts for the language {lang}; languages are {languages}', status: 404 },
  CARUSO_FRONTOFFICE_INTERNAL: { message: 'internal error {id}; the log has the details', status: 500, kind: 'bug' },
});

/** The codes of the front office. */
export type FrontOfficeErrorCode = (typeof FrontOfficeErrors.codes)[number];
