/**
 * The OpenAPI 3.1 document of the REST API, generated from the model and the role's rights: a role
 * sees only the objects, fields and operations it is granted.
 */
import type { FieldDef } from '@caruso/objects';
import { REPORT_API_FORMATS, REPORT_FILTERS, REPORT_QUERY_SCHEMA } from './api-reports.js';
import type { Application, RoleName } from './common/application.js';
import type { Permissions } from './permissions.js';

function fieldSchema(f: FieldDef): Record<string, unknown> {
  const base: Record<string, unknown> = { title: f.label };
  switch (f.type) {
    case 'id':
    case 'integer':
      return { ...base, type: 'integer' };
    case 'decimal':
      return { ...base, type: 'number' };
    case 'money':
      return { ...base, type: 'object', properties: { amount: { type: 'integer' }, currency: { type: 'string' } } };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'date':
      return { ...base, type: 'string', format: 'date' };
    case 'datetime':
      return { ...base, type: 'string', format: 'date-time' };
    case 'enum':
      return { ...base, type: 'string', enum: f.options.map((o) => o.value) };
    case 'email':
      return { ...base, type: 'string', format: 'email' };
    case 'json':
      return base;
    default:
      return { ...base, type: 'string', ...(f.length ? { maxLength: f.length } : {}), ...(f.pattern ? { pattern: `^(?:${f.pattern})$` } : {}) };
  }
}

const ERROR = { $ref: '#/components/schemas/Error' };
const err = (description: string) => ({ description, content: { 'application/json': { schema: ERROR } } });

export function openApiDocument(app: Application, permissions: Permissions, role: RoleName): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      required: ['error'],
      properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
    },
  };
  const paths: Record<string, unknown> = {};
  for (const r of permissions.readable(role)) {
    const o = r.object;
    const props: Record<string, unknown> = {};
    for (const f of o.fields) if (r.visible.has(f.name)) props[f.name] = fieldSchema(f);
    if (o.versionColumn) props['$version'] = { type: 'integer', readOnly: true };
    schemas[o.name] = { type: 'object', properties: props };
    const input: Record<string, unknown> = {};
    for (const f of o.fields) if (r.writable.has(f.name)) input[f.name] = fieldSchema(f);
    schemas[`${o.name}Input`] = { type: 'object', additionalProperties: false, properties: input, required: o.fields.filter((f) => f.required && r.writable.has(f.name)).map((f) => f.name) };
    schemas[`${o.name}Patch`] = { type: 'object', additionalProperties: false, properties: { ...input, ...(o.versionColumn ? { $version: { type: 'integer' } } : {}) }, ...(o.versionColumn ? { required: ['$version'] } : {}) };
    const ref = { $ref: `#/components/schemas/${o.name}` };
    const one = { content: { 'application/json': { schema: { type: 'object', properties: { data: ref } } } } };
    const coll: Record<string, unknown> = {
      get: {
        summary: `List ${o.label} records`,
        parameters: [
          { name: 'filter', in: 'query', schema: { type: 'string' }, description: 'JSON filter: field names to conditions (eq ne lt lte gt gte in nin between contains startsWith endsWith isNull), and/or/not' },
          { name: 'sort', in: 'query', schema: { type: 'string' }, description: 'comma-separated fields, -field for descending' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 25 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
          { name: 'search', in: 'query', schema: { type: 'string', maxLength: 200 } },
        ],
        responses: {
          200: { description: 'a page', content: { 'application/json': { schema: { type: 'object', properties: { data: { type: 'array', items: ref }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' }, nextCursor: { type: ['string', 'null'] } } } } } },
          400: err('bad filter, sort or page'),
          401: err('not logged in'),
        },
      },
    };
    if (r.actions.has('create')) {
      coll['post'] = {
        summary: `Create a ${o.label} record`,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${o.name}Input` } } } },
        responses: { 201: { description: 'created', ...one }, 400: err('unknown or read-only fields'), 403: err('role may not create'), 413: err('body too large'), 422: err('validation failed: details.violations lists every field error') },
      };
    }
    paths[`/api/objects/${o.name}`] = coll;
    const item: Record<string, unknown> = {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { summary: `Read a ${o.label} record`, responses: { 200: { description: 'the record', ...one }, 404: err('no such record') } },
    };
    if (r.actions.has('update')) {
      item['patch'] = {
        summary: `Change a ${o.label} record`,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${o.name}Patch` } } } },
        responses: { 200: { description: 'changed', ...one }, 400: err('unknown or read-only fields'), 404: err('no such record'), 409: err('conflict: details.current is the current record'), 422: err('validation failed'), 428: err('$version missing') },
      };
    }
    if (r.actions.has('delete')) {
      item['delete'] = { summary: `Delete a ${o.label} record`, parameters: [{ name: 'version', in: 'query', schema: { type: 'integer' } }], responses: { 204: { description: 'deleted' }, 404: err('no such record'), 409: err('conflict') } };
    }
    paths[`/api/objects/${o.name}/{id}`] = item;
    paths[`/api/objects/${o.name}/{id}/timeline`] = { get: { summary: `The activity timeline of a ${o.label} record`, responses: { 200: { description: 'field changes and the contacts of the communication server\'s interaction history, newest first' } } } };
  }
  paths['/api/session'] = { post: { summary: 'Log in (sets an HttpOnly session cookie; returns the CSRF token to send as x-csrf-token)', responses: { 200: { description: 'logged in' }, 401: err('wrong user or password'), 429: err('too many failed log-ins') } }, get: { summary: 'The current user' }, delete: { summary: 'Log out' } };
  if (role === 'agent') {
    paths['/api/agent'] = { get: { summary: 'Agent state and pending offers' } };
    paths['/api/agent/ready'] = {
      post: {
        summary: 'Log in (with the queues chosen, optional) or end a pause or a wrap-up',
        requestBody: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { queues: { type: 'array', minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string' } } } } } } },
        responses: { 200: { description: 'the agent state' }, 400: err('queues not allowed') },
      },
    };
    paths['/api/agent/pause'] = { post: { summary: 'Pause with a reason' } };
    paths['/api/agent/queues'] = {
      get: { summary: 'The queues the agent serves now (selected, with levels), those of its configuration, and those it may choose (allowed)' },
      post: {
        summary: 'Choose the queues to serve (among allowed; levels stay those of the configuration); effective for the next routing decision and kept across a restart',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['queues'], properties: { queues: { type: 'array', minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string' } } } } } } },
        responses: { 200: { description: 'the agent state with its queues' }, 400: err('empty, repeated or not allowed queues') },
      },
    };
    paths['/api/agent/offers/{offerId}/{decision}'] = { post: { summary: 'accept or reject an offer' } };
    paths['/api/contacts/{id}'] = { get: { summary: 'A contact with its screen pop' } };
    paths['/api/contacts/{id}/hang-up'] = { post: { summary: 'End the contact' } };
    paths['/api/contacts/{id}/wrap-up'] = { post: { summary: 'Wrap up with a code and notes, linking the contact to the record chosen (object, recordId) in the communication server\'s interaction history' } };
    paths['/api/scripts/sessions'] = { post: { summary: 'Start the dialogue script of a contact' } };
    paths['/api/scripts/sessions/{id}/answer'] = { post: { summary: 'Answer the current question' } };
    paths['/api/scripts/sessions/{id}/back'] = { post: { summary: 'Go back one question' } };
    paths['/api/contacts/{id}/email/reply'] = {
      post: {
        summary: 'Answer an e-mail contact connected to the agent: sent through the outbound mail relay to the Reply-To/From of the last inbound message, subject Re:, In-Reply-To and References set',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', maxLength: 20000 } } } } } },
        responses: { 201: { description: 'sent and stored in the thread' }, 400: err('empty or too long text, unknown fields'), 404: err('not a contact connected to this agent'), 502: err('the relay did not take the message'), 503: err('no e-mail channel in the assembly') },
      },
    };
  }
  if (role !== 'anonymous') {
    paths['/api/contacts/{id}/email'] = { get: { summary: 'The e-mail thread of a contact (agents: their own contacts), with the attachments of each message', responses: { 200: { description: 'messages, oldest first' }, 404: err('no such contact or thread'), 503: err('no e-mail channel in the assembly') } } };
    paths['/api/contacts/{id}/email/attachments/{attachmentId}'] = { get: { summary: 'An attachment of the thread, always as a download (application/octet-stream)', responses: { 200: { description: 'the bytes' }, 404: err('not an attachment of this thread') } } };
    paths['/api/contacts/{id}/chat'] = { get: { summary: 'A chat contact and its transcript; the conversation itself runs over the WebSocket /ws/chat (agents)', responses: { 200: { description: 'the chat and its messages' }, 404: err('no such contact or chat'), 503: err('no chat channel in the assembly') } } };
  }
  if (role === 'supervisor' || role === 'administrator') {
    paths['/api/wallboard'] = { get: { summary: 'The wallboard\'s figures now and who serves which queue; the live figures are the monitor\'s topics over /ws/monitor' } };
    paths['/api/campaigns'] = { get: { summary: 'The outbound campaigns with their progress (status, targets, dials, answered, dropped, drop rate)', responses: { 200: { description: 'the campaigns' } } } };
    paths['/api/campaigns/{id}/{action}'] = {
      post: {
        summary: 'Start, pause or stop a campaign (action: start, pause or stop); the change is durable before the answer',
        responses: { 200: { description: 'the campaign with its progress' }, 400: err('an action other than start, pause or stop'), 404: err('no such campaign'), 409: err('the campaign cannot do that in its state (e.g. start a finished one)') },
      },
    };
    schemas['ReportSummary'] = {
      type: 'object',
      required: ['name', 'title', 'columns', 'dimensions', 'chart'],
      properties: { name: { type: 'string' }, title: { type: 'string' }, columns: { type: 'array', items: { type: 'string' } }, dimensions: { type: 'array', items: { type: 'string' } }, chart: { type: ['string', 'null'] } },
    };
    schemas['ReportResult'] = {
      type: 'object',
      required: ['name', 'title', 'from', 'to', 'columns', 'dimensions', 'rows'],
      properties: {
        name: { type: 'string' }, title: { type: 'string' }, from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' },
        columns: { type: 'array', items: { type: 'string' }, description: 'the dimensions first, then the figures' }, dimensions: { type: 'array', items: { type: 'string' } },
        rows: { type: 'array', items: { type: 'object', additionalProperties: { type: ['string', 'number', 'null'] } } }, chart: { type: 'string', description: 'the column a chart shows' },
      },
    };
    const q = REPORT_QUERY_SCHEMA.properties;
    const described: Record<string, string> = {
      from: 'start of the period, inclusive: YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time with a zone',
      to: 'end of the period, exclusive (same forms); at most 366 days after from',
      format: `${REPORT_API_FORMATS.join(' or ')} (default json); csv is sent as a download`,
    };
    for (const f of REPORT_FILTERS) described[f] = `only these ${f === 'script' ? 'dialogue scripts' : `${f}s`} (repeat the parameter for more than one)`;
    paths['/api/reports'] = {
      get: {
        summary: 'The reports the monitor can run (built-in and the company\'s own), with their columns',
        responses: { 200: { description: 'the reports, by name', content: { 'application/json': { schema: { type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/ReportSummary' } } } } } } }, 401: err('not logged in'), 403: err('agents may not read reports'), 503: err('no monitor in the assembly') },
      },
    };
    paths['/api/reports/{name}'] = {
      get: {
        summary: 'Run a report over a period, computed from the contact event log',
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          ...Object.entries(q).map(([name, schema]) => ({ name, in: 'query', required: name === 'from' || name === 'to', schema, description: described[name], ...((schema as { type: string }).type === 'array' ? { style: 'form', explode: true } : {}) })),
        ],
        responses: {
          200: { description: 'the report', content: { 'application/json': { schema: { type: 'object', properties: { data: { $ref: '#/components/schemas/ReportResult' } } } }, 'text/csv': { schema: { type: 'string' } } } },
          400: err('a missing or malformed time, an unknown parameter'),
          401: err('not logged in'),
          403: err('agents may not read reports'),
          404: err('no such report'),
          422: err('to not after from, a period over 366 days, a date that does not exist, or a filter the report does not take'),
          503: err('no monitor in the assembly'),
        },
      },
    };
  }
  if (role !== 'anonymous') {
    const at = { type: 'string', format: 'date-time', description: 'ISO 8601 instant with a time zone, 1 minute to 30 days ahead' };
    const number = { type: 'string', pattern: '^\\+?[0-9 ()-]{6,32}$' };
    const note = { type: 'string', maxLength: 2000 };
    schemas['ScheduledCallback'] = {
      type: 'object',
      properties: {
        callbackId: { type: 'string' }, queueId: { type: 'string' }, at: { type: 'string', format: 'date-time' }, number: { type: 'string' }, note: { type: ['string', 'null'] },
        scheduledBy: { type: ['string', 'null'] }, originalContactId: { type: ['string', 'null'] }, object: { type: ['string', 'null'] }, recordId: { type: ['string', 'null'] },
      },
    };
    const scheduled = { description: 'scheduled durably by the communication server', content: { 'application/json': { schema: { $ref: '#/components/schemas/ScheduledCallback' } } } };
    paths['/api/contacts/{id}/callback'] = {
      post: {
        summary: 'Schedule a callback promised during a contact or its wrap-up (agents: their own contacts); it enters the contact\'s queue when due',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['at'], properties: { at, number: { ...number, description: 'default: the caller\'s number while the contact is live; required in wrap-up' }, note } } } } },
        responses: { 201: scheduled, 400: err('bad time, number, note or unknown fields'), 403: err('role may not schedule callbacks'), 404: err('no such contact of this user') },
      },
    };
    paths['/api/callbacks'] = {
      get: {
        summary: 'Scheduled callbacks not yet due, soonest first: agents see those they scheduled; supervisors and administrators all (mine=true: their own)',
        parameters: [{ name: 'mine', in: 'query', schema: { type: 'boolean' } }],
        responses: { 200: { description: 'the callbacks', content: { 'application/json': { schema: { type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/ScheduledCallback' } } } } } } }, 400: err('unknown query parameter') },
      },
      post: {
        summary: 'Schedule a callback for a customer without a current contact (from the customer page); agents only in one of their queues',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['at', 'number'], properties: { at, number, note, queueId: { type: 'string', description: 'default: the first desktop queue the user may use' }, object: { type: 'string' }, recordId: { type: ['string', 'integer'] } } } } } },
        responses: { 201: scheduled, 400: err('bad time, number, note, queue or unknown fields'), 404: err('no such object or record for this role') },
      },
    };
    paths['/api/callbacks/{id}'] = {
      delete: {
        summary: 'Cancel a scheduled callback (agents: only those they scheduled)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 204: { description: 'cancelled' }, 404: err('no such scheduled callback for this user') },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: `${app.name} front office`, version: '1.0.0', description: `Generated from the application definition ${app.name} over the model ${app.model}, for the role ${role}.` },
    components: { schemas, securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'caruso_session' } } },
    security: [{ session: [] }],
    paths,
  };
}
