/**
 * Callbacks promised to customers, through the communication server's scheduled callbacks: one
 * scheduled from a contact (during the contact or its wrap-up), one scheduled for a customer without
 * a current contact (from the customer's page), and the list of scheduled callbacks with their
 * cancellation. Agents see and cancel the callbacks they scheduled; supervisors and administrators
 * all of them.
 */
import type { FastifyInstance } from 'fastify';
import type { CommunicationServer, ContactSnapshot, ScheduledCallback } from '@caruso/comms';
import type { BusinessObjects } from '@caruso/objects';
import type { Application } from './common/application.js';
import { FrontOfficeErrors } from './errors.js';
import { parseKey } from './api-objects.js';
import { body, need, str } from './internal/http.js';
import type { Principal } from './internal/sessions.js';
import type { Permissions } from './permissions.js';
import { bodyOf, CALLBACK_AT, closed, errors, params, PHONE_NUMBER, routeSchema, SCHEDULED_CALLBACK, text } from './internal/route-schemas.js';

const STAFF = ['agent', 'supervisor', 'administrator'] as const;
const SCHEDULED = { description: 'scheduled durably by the communication server', ...SCHEDULED_CALLBACK };

export interface CallbacksApiDeps {
  readonly app: Application;
  readonly objects: BusinessObjects;
  readonly permissions: Permissions;
  readonly comms: () => CommunicationServer;
}

const MIN_LEAD_MS = 60_000;
const MAX_LEAD_MS = 30 * 24 * 3_600_000;
const NUMBER = /^\+?[0-9 ()-]{6,32}$/;

/** The caller's number or address, as the channel put it in the contact's data. */
export function contactAddress(c: ContactSnapshot): string | undefined {
  for (const k of ['caller', 'from', 'number', 'callbackNumber', 'email']) {
    const v = c.data[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/**
 * When the callback is due: an ISO 8601 instant from one minute to 30 days ahead of `now`, the
 * communication server's clock that will fire it (400 otherwise).
 */
function dueAt(v: unknown, now: number): number {
  const text = str(v, 'at', 40);
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || !Number.isFinite(at)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'at must be an ISO 8601 date and time with a time zone, e.g. 2026-05-04T09:30:00Z' });
  if (at < now + MIN_LEAD_MS) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a callback must be at least one minute in the future' });
  if (at > now + MAX_LEAD_MS) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a callback can be at most 30 days ahead' });
  return at;
}

function phoneNumber(raw: string | undefined): string {
  if (raw === undefined || !NUMBER.test(raw)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a callback needs a phone number (digits, spaces, ( ) - and a leading +)' });
  return raw.replace(/[ ()-]/g, '');
}

function view(cb: ScheduledCallback): Record<string, unknown> {
  const d = cb.data;
  const text = (k: string): string | null => (typeof d[k] === 'string' ? (d[k] as string) : null);
  return {
    callbackId: cb.id,
    queueId: cb.queueId,
    at: new Date(cb.at).toISOString(),
    number: cb.number,
    note: text('note'),
    scheduledBy: text('scheduledBy')?.replace(/^user:/, '') ?? null,
    originalContactId: text('originalContactId'),
    object: text('object'),
    recordId: text('recordId'),
  };
}

const mine = (p: Principal, cb: ScheduledCallback): boolean => cb.data['scheduledBy'] === `user:${p.name}`;

export function registerCallbacksApi(fastify: FastifyInstance, deps: CallbacksApiDeps): void {
  // A callback promised during a contact or its wrap-up: it goes to the contact's queue.
  fastify.post('/api/contacts/:id/callback', {
    schema: routeSchema('Schedule a callback promised during a contact or its wrap-up (agents: their own contacts); it enters the contact\'s queue when due', STAFF, {
      params: params(['id']),
      body: bodyOf({ at: CALLBACK_AT, number: { ...PHONE_NUMBER, description: 'default: the caller\'s number while the contact is live; required in wrap-up' }, note: text(2000) }, ['at']),
      response: { 201: SCHEDULED, ...errors([404, 'no such contact of this user'], 503) },
    }),
  }, async (req, reply) => {
    const p = need(req, ['agent', 'supervisor', 'administrator'], 'schedule callbacks');
    const id = str((req.params as { id: string }).id, 'contact', 100);
    const b = body(req, ['at', 'number', 'note']);
    const comms = deps.comms();
    const live = comms.contact(id);
    const wrap = p.agentId !== undefined ? comms.agentWork(p.agentId).wrapUps.find((w) => w.contactId === id) : undefined;
    const own = p.agentId !== undefined && (live?.agentIds.includes(p.agentId) || wrap !== undefined);
    if ((!live && !wrap) || (p.role === 'agent' && !own)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact' });
    const at = dueAt(b['at'], comms.now());
    const given = b['number'] === undefined ? undefined : str(b['number'], 'number', 32);
    const number = phoneNumber(given ?? (live ? contactAddress(live) : undefined));
    const note = str(b['note'], 'note', 2000, true);
    const queueId = live?.queueId ?? wrap!.queueId;
    const cb = await comms.scheduleCallback({ number, queueId, at, data: { originalContactId: id, scheduledBy: `user:${p.name}`, ...(note ? { note } : {}) } });
    return reply.code(201).send(view(cb));
  });

  // A callback for a customer without a current contact (the customer's page).
  fastify.post('/api/callbacks', {
    schema: routeSchema('Schedule a callback for a customer without a current contact (from the customer page); agents only in one of their queues', STAFF, {
      body: bodyOf({ at: CALLBACK_AT, number: PHONE_NUMBER, note: text(2000), queueId: { ...text(100), description: 'default: the first desktop queue the user may use' }, object: text(100), recordId: { type: ['string', 'number'] } }, ['at', 'number']),
      response: { 201: SCHEDULED, ...errors([404, 'no such object or record for this role'], 503) },
    }),
  }, async (req, reply) => {
    const p = need(req, ['agent', 'supervisor', 'administrator'], 'schedule callbacks');
    const b = body(req, ['at', 'number', 'note', 'queueId', 'object', 'recordId']);
    const comms = deps.comms();
    const at = dueAt(b['at'], comms.now());
    const number = phoneNumber(str(b['number'], 'number', 32));
    const note = str(b['note'], 'note', 2000, true);
    // Agents call back in one of their own queues; supervisors in any queue the server knows.
    let allowed: string[];
    if (p.role === 'agent') {
      if (!p.agentId) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: 'schedule callbacks without an agent id' });
      allowed = [...comms.agent(p.agentId).queueIds];
    } else allowed = comms.queues().map((q) => q.queueId);
    const fallback = deps.app.desktop.scripts.map((s) => s.queue).find((q) => allowed.includes(q)) ?? allowed[0];
    const queueId = b['queueId'] === undefined ? fallback : str(b['queueId'], 'queueId', 100);
    if (queueId === undefined || !allowed.includes(queueId)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `queueId must be one of ${allowed.join(', ') || '(none: this user has no queue)'}` });
    let record: { object: string; recordId: string } | undefined;
    if (b['object'] !== undefined || b['recordId'] !== undefined) {
      const object = str(b['object'], 'object', 100);
      const rights = deps.permissions.on(p.role, object);
      if (!rights?.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `object ${object}` });
      const recordId = typeof b['recordId'] === 'number' ? String(b['recordId']) : str(b['recordId'], 'recordId', 200);
      if (!(await deps.objects.repository(object).get(parseKey(rights, recordId)))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${object} ${recordId}` });
      record = { object, recordId };
    }
    const cb = await comms.scheduleCallback({ number, queueId, at, data: { scheduledBy: `user:${p.name}`, ...(record ?? {}), ...(note ? { note } : {}) } });
    return reply.code(201).send(view(cb));
  });

  fastify.get('/api/callbacks', {
    schema: routeSchema('Scheduled callbacks not yet due, soonest first: agents see those they scheduled; supervisors and administrators all (mine=true: their own)', STAFF, {
      querystring: { type: 'object', additionalProperties: false, properties: { mine: { type: 'string', enum: ['true', 'false'] } } },
      response: { 200: { description: 'the callbacks', ...closed({ data: { type: 'array', items: SCHEDULED_CALLBACK } }) }, ...errors(503) },
    }),
  }, async (req) => {
    const p = need(req, ['agent', 'supervisor', 'administrator'], 'see scheduled callbacks');
    const q = req.query as Record<string, unknown>;
    const extra = Object.keys(q).filter((k) => k !== 'mine');
    if (extra.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown query parameters ${extra.join(', ')}; allowed: mine` });
    if (q['mine'] !== undefined && q['mine'] !== 'true' && q['mine'] !== 'false') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'mine must be true or false' });
    const onlyMine = p.role === 'agent' || q['mine'] === 'true';
    return { data: deps.comms().scheduledCallbacks().filter((cb) => !onlyMine || mine(p, cb)).map(view) };
  });

  fastify.delete('/api/callbacks/:id', {
    schema: routeSchema('Cancel a scheduled callback (agents: only those they scheduled)', STAFF, { params: params(['id']), response: { 204: { description: 'cancelled', type: 'null' }, ...errors([404, 'no such scheduled callback for this user'], 503) } }),
  }, async (req, reply) => {
    const p = need(req, ['agent', 'supervisor', 'administrator'], 'cancel scheduled callbacks');
    const id = str((req.params as { id: string }).id, 'callback', 100);
    const comms = deps.comms();
    const cb = comms.scheduledCallbacks().find((c) => c.id === id);
    // Another agent's callback does not exist for an agent.
    if (!cb || (p.role === 'agent' && !mine(p, cb))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'scheduled callback' });
    await comms.cancelScheduledCallback(id);
    return reply.code(204).send();
  });
}
