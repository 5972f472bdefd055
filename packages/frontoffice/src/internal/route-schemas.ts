/**
 * The pieces of the routes' schemas: the house error body, the error statuses every route of a kind
 * can give, and the shapes shared by several routes. Each route declares its own schema where it is
 * registered (params, query, body, responses); the OpenAPI document is generated from them.
 *
 * Response schemas are documentation and the contract the tests hold the answers to: they are not
 * used to serialise (the server sends what the handler returns, so a field missing from a schema
 * shows up as a contract violation instead of being dropped silently).
 */
import type { RoleName } from '../common/application.js';

/** A JSON schema (the subset the routes use; fastify and @fastify/swagger read it as it is). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** The roles that may call a route, recorded in its schema as `x-roles` (the document is cut to the role). */
export const ROLES_KEY = 'x-roles';

/** Every error answer: `{ error: { code, message, details? } }`. */
export const HOUSE_ERROR: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^CARUSO_[A-Z0-9_]+$' },
        message: { type: 'string' },
        details: { description: 'machine-readable facts of the error (fields, limits, the current record of a conflict)' },
      },
    },
  },
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'bad request: a parameter, the query or the body broke the schema or a rule of the route',
  401: 'not logged in (no valid session) or wrong user name or password',
  403: 'the role may not do this, or the x-csrf-token header is missing or wrong',
  404: 'no such thing for this user',
  409: 'conflict with the current state',
  413: 'the request body is over the limit',
  414: 'a path parameter is too long',
  415: 'the body is not application/json',
  422: 'the request is well formed but cannot be done',
  428: 'the $version read must be sent',
  429: 'too many failed log-ins (retry-after says when to try again)',
  500: 'internal error: the log has the details under the id in the message',
  502: 'a system behind the front office refused',
  503: 'a service the route needs is not part of the assembly or not started, or the server is closing',
};

/** House error responses for these statuses (each with its usual meaning, or the one given). */
export function errors(...statuses: readonly (number | readonly [number, string])[]): Record<number, JsonSchema> {
  const out: Record<number, JsonSchema> = {};
  for (const s of statuses) {
    const [status, description] = typeof s === 'number' ? [s, STATUS_TEXT[s] ?? 'error'] : s;
    out[status] = { description, ...HOUSE_ERROR };
  }
  return out;
}

/**
 * The error statuses any route of this kind can give besides its own: 500 and 503 (shutting down)
 * always; 401/403 when it needs a role; 400 and 414 with path parameters; 400 with a query; 400
 * (malformed JSON, schema), 403 (CSRF), 413 and 415 for methods that take a body.
 */
export function commonErrorStatuses(method: string, hasParams: boolean, hasQuery: boolean, guarded: boolean): number[] {
  const s = new Set<number>([500, 503]);
  if (guarded) {
    s.add(401);
    s.add(403);
  }
  if (hasParams) {
    s.add(400);
    s.add(414);
  }
  if (hasQuery) s.add(400);
  if (method !== 'GET' && method !== 'HEAD') for (const x of [400, 403, 413, 415]) s.add(x);
  return [...s];
}

/** A route's schema: summary, the roles that may call it, and the parts given. */
export function routeSchema(summary: string, roles: readonly RoleName[] | 'anyone', parts: JsonSchema): JsonSchema {
  return { summary, [ROLES_KEY]: roles === 'anyone' ? ['anyone'] : [...roles], ...parts };
}

/** An object schema of these properties, all required unless listed in `optional`, and nothing else. */
export function closed(properties: Record<string, JsonSchema>, optional: readonly string[] = []): JsonSchema {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties).filter((k) => !optional.includes(k)), properties };
}

/** A body schema: a JSON object of these properties and no others (`required` lists those it needs). */
export function bodyOf(properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  return { type: 'object', additionalProperties: false, required: [...required], properties };
}

/** The empty body of an action without input (a request may also send none). */
export const NO_BODY: JsonSchema = { type: 'object', additionalProperties: false, properties: {}, description: 'no input: send {} or no body' };

/** Path parameters, all strings of at most `max` characters. */
export function params(names: readonly string[], max = 200): JsonSchema {
  return { type: 'object', additionalProperties: false, required: [...names], properties: Object.fromEntries(names.map((n) => [n, { type: 'string', maxLength: max }])) };
}

export const text = (maxLength?: number): JsonSchema => (maxLength === undefined ? { type: 'string' } : { type: 'string', maxLength });
export const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });
export const DATE_TIME: JsonSchema = { type: 'string', format: 'date-time' };
export const INT: JsonSchema = { type: 'integer' };
export const BOOL: JsonSchema = { type: 'boolean' };
export const STRINGS: JsonSchema = { type: 'array', items: { type: 'string' } };
/** Any JSON value. */
export const ANY: JsonSchema = {};

/** A 204 answer: no body. */
export const NO_CONTENT: JsonSchema = { description: 'done; no body', type: 'null' };

/** The user of a session as the session routes show it. */
export const SESSION_USER: JsonSchema = closed({ name: text(), role: { type: 'string', enum: ['administrator', 'supervisor', 'agent', 'anonymous'] }, agentId: nullable('string') });

/** What the pages get of a dialogue session (the step is the dialogue engine's view of the current step). */
export const SESSION_VIEW: JsonSchema = closed({
  sessionId: text(),
  revision: INT,
  status: { type: 'string' },
  script: text(),
  step: { description: 'the current question or information, or null when the script has ended' },
});

/** A contact offered to an agent (the communication server's offer). */
export const OFFER: JsonSchema = {
  type: 'object',
  required: ['offerId', 'contactId', 'agentId', 'queueId', 'channel', 'ringTimeoutMs'],
  properties: { offerId: text(), contactId: text(), agentId: text(), queueId: text(), channel: text(), endpoint: text(), ringTimeoutMs: INT },
};

/** An agent as the communication server shows it. */
export const AGENT_SNAPSHOT: JsonSchema = {
  type: 'object',
  required: ['id', 'state', 'contactIds', 'queueIds', 'noAnswerCount'],
  properties: { id: text(), state: { type: 'string', enum: ['logged-out', 'ready', 'reserved', 'busy', 'wrap-up', 'paused'] }, pauseReason: text(), contactIds: STRINGS, queueIds: STRINGS, noAnswerCount: INT },
};

const QUEUE_LEVELS: JsonSchema = { type: 'array', items: closed({ queue: text(), level: INT }) };
const CODES: JsonSchema = { type: 'array', items: { type: 'object', required: ['code'], properties: { code: text(), label: text() } } };

/** The agent desktop's state: the agent, its offers, the reasons and codes to choose from, its queues. */
export const AGENT_STATE: JsonSchema = closed({
  agent: AGENT_SNAPSHOT,
  offers: { type: 'array', items: OFFER },
  pauseReasons: CODES,
  wrapUpCodes: CODES,
  channels: closed({ chat: BOOL, email: BOOL }),
  queues: closed({ selected: QUEUE_LEVELS, allowed: STRINGS }),
});

/** The queues of an agent: chosen now, configured, and those it may choose. */
export const AGENT_QUEUES: JsonSchema = closed({ selected: QUEUE_LEVELS, configured: QUEUE_LEVELS, allowed: STRINGS });

/** A list of 1 to 50 different queue ids. */
export const QUEUE_CHOICE: JsonSchema = { type: 'array', minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string' } };

/** A scheduled callback as the callback routes show it. */
export const SCHEDULED_CALLBACK: JsonSchema = closed({
  callbackId: text(),
  queueId: text(),
  at: DATE_TIME,
  number: text(),
  note: nullable('string'),
  scheduledBy: nullable('string'),
  originalContactId: nullable('string'),
  object: nullable('string'),
  recordId: nullable('string'),
});

/** An ISO 8601 instant with a time zone, from one minute to 30 days ahead (the route checks the range). */
export const CALLBACK_AT: JsonSchema = { type: 'string', maxLength: 40, description: 'ISO 8601 instant with a time zone, 1 minute to 30 days ahead' };
/** A phone number: digits, spaces, ( ) - and a leading +. */
export const PHONE_NUMBER: JsonSchema = { type: 'string', maxLength: 32, description: 'digits, spaces, ( ) - and a leading +, 6 to 32 characters' };

/** A message of an e-mail thread. */
export const EMAIL_MESSAGE: JsonSchema = closed({
  id: text(),
  direction: { type: 'string', enum: ['inbound', 'outbound'] },
  messageId: text(),
  inReplyTo: nullable('string'),
  references: STRINGS,
  from: text(),
  to: { description: 'the recipients' },
  subject: text(),
  text: text(),
  at: DATE_TIME,
  attachments: { type: 'array', items: closed({ id: text(), filename: text(), contentType: text(), size: INT, href: text() }) },
});

/** A campaign's progress (the communication server's dialer). */
export const CAMPAIGN_PROGRESS: JsonSchema = {
  type: 'object',
  required: ['id', 'status', 'targets', 'pending', 'done', 'doNotCall', 'failed', 'dials', 'answered', 'dropped', 'dropRate', 'ratio'],
  properties: {
    id: text(),
    status: { type: 'string', enum: ['created', 'running', 'paused', 'stopped', 'finished'] },
    targets: INT, pending: INT, done: INT, doNotCall: INT, failed: INT, dials: INT, answered: INT, dropped: INT,
    dropRate: { type: 'number' },
    ratio: { type: 'number' },
  },
};

/** The monitor modes a supervisor may choose (api-quality.ts). */
export const MONITOR_MODE_NAMES = ['listen', 'whisper', 'barge'] as const;
export const MONITOR_MODE: JsonSchema = { type: 'string', enum: [...MONITOR_MODE_NAMES] };
/** A supervisor's private note to the agent of a contact (common/api-types.ts QualityNote). */
export const QUALITY_NOTE: JsonSchema = closed({ id: text(), contactId: text(), from: text(), text: text(), at: INT, private: { const: true } });
/** A recording's catalogue entry as the front office shows it (QualityRecording): never its file path. */
export const QUALITY_RECORDING: JsonSchema = closed({
  id: text(), contactId: text(), queueId: nullable('string'), agentId: nullable('string'), channels: { enum: [1, 2] },
  startedAt: INT, endedAt: nullable('integer'), durationMs: INT, pausedMs: INT, url: text(),
});
/** Whether a contact is recorded now (QualityRecordingState). */
export const QUALITY_RECORDING_STATE: JsonSchema = closed({ state: { enum: ['off', 'on', 'paused'] }, recordingId: nullable('string') });
/** A supervisor monitoring an agent's call (QualitySession). */
export const MONITORING_SESSION: JsonSchema = closed({ supervisor: text(), agentId: text(), contactId: text(), mode: { enum: [...MONITOR_MODE_NAMES] }, since: INT });
/** An agent with contacts now, for the wallboard's quality menu (QualityAgent). */
export const QUALITY_AGENT: JsonSchema = closed({
  agentId: text(), state: text(),
  contacts: { type: 'array', items: closed({ contactId: text(), channel: text(), recording: { enum: ['off', 'on', 'paused'] } }) },
  monitoring: { type: 'array', items: MONITORING_SESSION },
});
