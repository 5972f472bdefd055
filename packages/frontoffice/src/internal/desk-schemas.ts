/**
 * The JSON schemas of the agent desktop's answers (common/desktop-types.ts), for the routes of
 * api-desktop-state.ts and api-desktop-calls.ts: the OpenAPI document and the response-contract test
 * read them.
 */
import { AGENT_SNAPSHOT, BOOL, closed, INT, nullable, SESSION_VIEW, STRINGS, text, type JsonSchema } from './route-schemas.js';

const OBJ: JsonSchema = { type: 'object' };
const NUM: JsonSchema = { type: 'number' };

export const DESK_CUSTOMER: JsonSchema = closed({ object: text(), id: text(), label: nullable('string') });
const NULLABLE_CUSTOMER: JsonSchema = { anyOf: [DESK_CUSTOMER, { type: 'null' }] };
const CONSULT_PARTY: JsonSchema = { anyOf: [closed({ agentId: text() }), closed({ number: text() })] };
const CODES: JsonSchema = { type: 'array', items: closed({ code: text(), label: text() }) };
const IDS_LABELS: JsonSchema = { type: 'array', items: closed({ id: text(), label: text() }) };

export const DESK_SCREEN_POP: JsonSchema = closed({ object: text(), record: nullable('string'), matches: { type: 'array', items: OBJ }, prefill: OBJ, canCreate: BOOL });

export const DESK_CONTACT: JsonSchema = closed({
  id: text(),
  channel: { type: 'string', enum: ['call', 'email', 'chat', 'callback'] },
  direction: { type: 'string', enum: ['inbound', 'outbound'] },
  queueId: text(),
  state: text(),
  enteredAt: NUM,
  address: nullable('string'),
  data: OBJ,
  customer: NULLABLE_CUSTOMER,
  held: BOOL,
  muted: BOOL,
  conferees: STRINGS,
  consult: { anyOf: [closed({ party: CONSULT_PARTY, answered: BOOL }), { type: 'null' }] },
  script: { anyOf: [closed({ sessionId: text(), view: SESSION_VIEW }), { type: 'null' }] },
  screenPop: { anyOf: [DESK_SCREEN_POP, { type: 'null' }] },
  handoff: { anyOf: [closed({ selfService: text(), answers: OBJ }), { type: 'null' }] },
});

export const DESK_OFFER: JsonSchema = closed({ offerId: text(), contactId: text(), channel: text(), queueId: text(), ringTimeoutMs: INT, address: nullable('string'), customer: NULLABLE_CUSTOMER });

export const DESK_WRAP_UP: JsonSchema = closed({
  contactId: text(),
  channel: text(),
  queueId: text(),
  startedAt: NUM,
  address: nullable('string'),
  customer: NULLABLE_CUSTOMER,
  draft: { anyOf: [closed({ code: text(), notes: text() }, ['code', 'notes']), { type: 'null' }] },
});

export const DESKTOP_STATE: JsonSchema = closed({
  at: NUM,
  agent: AGENT_SNAPSHOT,
  offers: { type: 'array', items: DESK_OFFER },
  queues: closed({ selected: { type: 'array', items: closed({ queue: text(), level: INT }) }, allowed: STRINGS }),
  pauseReasons: CODES,
  wrapUpCodes: CODES,
  channels: closed({ chat: BOOL, email: BOOL }),
  contacts: { type: 'array', items: DESK_CONTACT },
  wrapUps: { type: 'array', items: DESK_WRAP_UP },
  templates: closed({ cannedReplies: IDS_LABELS, emailTemplates: IDS_LABELS }),
  presence: closed({ heartbeatMs: INT, disconnectGraceMs: INT }),
});

export const DESK_TEMPLATES: JsonSchema = closed({
  cannedReplies: { type: 'array', items: closed({ id: text(), label: text(), text: text() }) },
  emailTemplates: { type: 'array', items: closed({ id: text(), label: text(), subject: text(), body: text() }) },
});

/** The answer of a call-control route: the contact as it is now, or null once it left the agent. */
export const DESK_CONTACT_ANSWER: JsonSchema = closed({ contact: { anyOf: [DESK_CONTACT, { type: 'null' }] } });

export const TRANSFER_TARGETS: JsonSchema = closed({ agents: { type: 'array', items: closed({ id: text(), state: text() }) }, queues: STRINGS });
