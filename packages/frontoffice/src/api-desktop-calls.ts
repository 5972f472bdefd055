/**
 * Call control from the agent desktop (docs/desktop-api.md): hold, retrieve, mute, DTMF, blind and
 * attended transfers, conference, and the agent's manual dial. Each route acts through the
 * communication server on a contact connected to the agent and answers the contact as it is now.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ContactSnapshot, DialSpec } from '@caruso/comms';
import type { DeskContactAnswer, DeskTransferTargets } from './common/desktop-types.js';
import { deskAgent, type DeskViews, type DesktopStateDeps } from './api-desktop-state.js';
import { FrontOfficeErrors } from './errors.js';
import { DESK_CONTACT, DESK_CONTACT_ANSWER, TRANSFER_TARGETS } from './internal/desk-schemas.js';
import { body, need, str } from './internal/http.js';
import { BOOL, bodyOf, closed, errors, NO_BODY, params, PHONE_NUMBER, routeSchema, text } from './internal/route-schemas.js';
import { readCustomer, recordKey } from './internal/screen-pop.js';
import type { Principal } from './internal/sessions.js';

const AGENT = ['agent'] as const;
const CALLS = new Set(['call', 'callback']);
const NUMBER = /^\+?[0-9][0-9 ()-]{4,30}[0-9]$/;
const DIGITS = /^[0-9*#A-D]{1,32}$/;
const ANSWER = (description: string) => ({ 200: { description, ...DESK_CONTACT_ANSWER } });
const CALL_ERRORS = errors([404, 'no such contact connected to this agent'], [409, 'not a call (CARUSO_FRONTOFFICE_NOT_A_CALL), or a state that does not allow it (CARUSO_COMMS_CONTACT_STATE, CARUSO_COMMS_AGENT_STATE)'], 503);

function phone(v: unknown, name: string): string {
  const raw = str(v, name, 32);
  if (!NUMBER.test(raw)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${name} must be a phone number: digits, spaces, ( ) - and a leading +, 6 to 32 characters` });
  return raw.replace(/[ ()-]/g, '');
}

export function registerDesktopCallsApi(fastify: FastifyInstance, deps: DesktopStateDeps, views: DeskViews): void {
  /** The contact of the route, connected to the agent (as its agent or a conferee). */
  const connected = (req: FastifyRequest): { p: Principal; agentId: string; contact: ContactSnapshot } => {
    const p = need(req, AGENT, 'control calls');
    const agentId = deskAgent(p);
    const id = str((req.params as { id: string }).id, 'contact', 128);
    const contact = deps.comms().contact(id);
    if (!contact || contact.state !== 'connected' || !(contact.agentIds.includes(agentId) || (contact.conferees ?? []).includes(agentId))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact' });
    return { p, agentId, contact };
  };
  const callOnly = (c: ContactSnapshot, action: string): void => {
    if (!CALLS.has(c.channel)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_A_CALL({ contact: c.id, channel: c.channel, action });
  };
  /** The contact as it is now; every desk that shows it (and `also`) is told it changed. */
  const answer = async (p: Principal, contactId: string, also: readonly string[] = []): Promise<DeskContactAnswer> => {
    deps.presence.desktopChanged(views.agentsOf(contactId, [deskAgent(p), ...also]));
    return { contact: await views.contactNow(contactId, p) };
  };
  const otherAgent = (agentId: string, v: unknown): string => {
    const target = str(v, 'agentId', 64);
    if (target === agentId) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'agentId must be another agent' });
    if (!deps.comms().agents().some((a) => a.id === target)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `agent ${target}` });
    return target;
  };
  const knownQueue = (v: unknown): string => {
    const q = str(v, 'queueId', 100);
    if (!deps.comms().queues().some((s) => s.queueId === q)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown queue ${q}` });
    return q;
  };
  /** Exactly one of the targets given (400 otherwise). */
  const oneTarget = (b: Record<string, unknown>, keys: readonly string[]): string => {
    const given = keys.filter((k) => b[k] !== undefined);
    if (given.length !== 1) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `give exactly one of ${keys.join(', ')}` });
    return given[0] as string;
  };
  const simple = (path: string, summary: string, action: string, run: (contact: ContactSnapshot) => Promise<void>): void => {
    fastify.post(`/api/contacts/:id/${path}`, {
      schema: routeSchema(summary, AGENT, { params: params(['id']), body: NO_BODY, response: { ...ANSWER('the contact now'), ...CALL_ERRORS } }),
    }, async (req) => {
      const { p, contact } = connected(req);
      body(req, []);
      callOnly(contact, action);
      await run(contact);
      return answer(p, contact.id);
    });
  };

  simple('hold', 'Put the customer of a connected call on hold (the line too)', 'hold', (c) => deps.comms().hold(c.id));
  simple('retrieve', 'Take the customer of a connected call off hold', 'retrieve', (c) => deps.comms().retrieve(c.id));
  simple('consult/cancel', 'End the consultation of an attended transfer: the party leaves, the customer is taken off hold', 'cancel a consultation', (c) => deps.comms().cancelConsult(c.id));

  fastify.post('/api/contacts/:id/mute', {
    schema: routeSchema('Mute or unmute the agent\'s side of a connected call', AGENT, { params: params(['id']), body: bodyOf({ muted: BOOL }, ['muted']), response: { ...ANSWER('the contact now'), ...CALL_ERRORS } }),
  }, async (req) => {
    const { p, contact } = connected(req);
    const b = body(req, ['muted']);
    if (typeof b['muted'] !== 'boolean') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'muted must be true or false' });
    callOnly(contact, 'mute');
    await deps.comms().mute(contact.id, b['muted']);
    return answer(p, contact.id);
  });

  fastify.post('/api/contacts/:id/dtmf', {
    schema: routeSchema('Send DTMF digits to the customer\'s side of a connected call (keying through an outside IVR)', AGENT, {
      params: params(['id']),
      body: bodyOf({ digits: { type: 'string', maxLength: 32, pattern: '^[0-9*#A-D]{1,32}$' } }, ['digits']),
      response: { ...ANSWER('the contact now'), ...CALL_ERRORS },
    }),
  }, async (req) => {
    const { p, contact } = connected(req);
    const b = body(req, ['digits']);
    const digits = str(b['digits'], 'digits', 32);
    if (!DIGITS.test(digits)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'digits are 1 to 32 of 0-9 * # A-D' });
    callOnly(contact, 'DTMF');
    await deps.comms().sendDtmf(contact.id, digits);
    return answer(p, contact.id);
  });

  fastify.post('/api/contacts/:id/transfer', {
    schema: routeSchema('Transfer a connected contact: blind (to an agent, a queue or, for a call, a number) or attended (consult an agent, a free agent of a queue, or a number first; then consult/complete or consult/cancel)', AGENT, {
      params: params(['id']),
      body: bodyOf({ mode: { type: 'string', enum: ['blind', 'consult'] }, agentId: text(64), queueId: text(100), number: PHONE_NUMBER }, ['mode']),
      response: { ...ANSWER('the contact now (null once it left the agent)'), ...errors([400, 'not exactly one target, or an unknown queue'], [404, 'no such contact connected to this agent, or no such agent'], [409, 'not a call (a chat or an e-mail goes blind to an agent or a queue), no free agent in the queue consulted, or a state that does not allow it'], 503) },
    }),
  }, async (req) => {
    const { p, agentId, contact } = connected(req);
    const b = body(req, ['mode', 'agentId', 'queueId', 'number']);
    const mode = b['mode'];
    if (mode !== 'blind' && mode !== 'consult') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'mode must be blind or consult' });
    const target = oneTarget(b, ['agentId', 'queueId', 'number']);
    const comms = deps.comms();
    const also: string[] = [];
    if (target === 'agentId') {
      const other = otherAgent(agentId, b['agentId']);
      also.push(other);
      if (mode === 'consult') {
        callOnly(contact, 'a consultation');
        await comms.consult(contact.id, { agentId: other });
      } else await comms.transferToAgent(contact.id, other);
    } else if (target === 'queueId') {
      const queueId = knownQueue(b['queueId']);
      if (mode === 'consult') {
        // The queue's strategy picks a free agent of it now; the agent talks to them first.
        callOnly(contact, 'a consultation');
        await comms.consult(contact.id, { queueId });
      } else await comms.transferToQueue(contact.id, queueId);
    } else {
      const number = phone(b['number'], 'number');
      callOnly(contact, 'a transfer to a number');
      if (mode === 'consult') await comms.consult(contact.id, { number });
      else await comms.transferToNumber(contact.id, number);
    }
    return answer(p, contact.id, also);
  });

  fastify.post('/api/contacts/:id/consult/complete', {
    schema: routeSchema('Complete an attended transfer: transfer the customer to the party consulted, or join all three in a conference', AGENT, {
      params: params(['id']),
      body: bodyOf({ outcome: { type: 'string', enum: ['transfer', 'conference'] } }, ['outcome']),
      response: { ...ANSWER('the contact now (null once it left the agent)'), ...CALL_ERRORS },
    }),
  }, async (req) => {
    const { p, contact } = connected(req);
    const b = body(req, ['outcome']);
    const outcome = b['outcome'];
    if (outcome !== 'transfer' && outcome !== 'conference') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'outcome must be transfer or conference' });
    callOnly(contact, 'a consultation');
    const party = contact.consult?.party;
    await deps.comms().completeConsult(contact.id, outcome);
    return answer(p, contact.id, party && 'agentId' in party ? [party.agentId] : []);
  });

  fastify.post('/api/contacts/:id/conference', {
    schema: routeSchema('Add a third party (another agent or an outside number) to a connected call', AGENT, {
      params: params(['id']),
      body: bodyOf({ agentId: text(64), number: PHONE_NUMBER }),
      response: { ...ANSWER('the contact now'), ...CALL_ERRORS },
    }),
  }, async (req) => {
    const { p, agentId, contact } = connected(req);
    const b = body(req, ['agentId', 'number']);
    const target = oneTarget(b, ['agentId', 'number']);
    callOnly(contact, 'a conference');
    if (target === 'agentId') {
      const other = otherAgent(agentId, b['agentId']);
      await deps.comms().conference(contact.id, { agentId: other });
      return answer(p, contact.id, [other]);
    }
    await deps.comms().conference(contact.id, { number: phone(b['number'], 'number') });
    return answer(p, contact.id);
  });

  fastify.post('/api/contacts/:id/conference/leave', {
    schema: routeSchema('The agent leaves a conference call (the others stay connected)', AGENT, { params: params(['id']), body: NO_BODY, response: { ...ANSWER('the contact now (null once it left the agent)'), ...CALL_ERRORS } }),
  }, async (req) => {
    const { p, agentId, contact } = connected(req);
    body(req, []);
    callOnly(contact, 'a conference');
    const others = views.agentsOf(contact.id);
    await deps.comms().leaveConference(contact.id, agentId);
    return answer(p, contact.id, [...others]);
  });

  fastify.get('/api/agent/transfer-targets', {
    schema: routeSchema('Whom the agent can transfer to: the other agents (ready first) and the queues', AGENT, { response: { 200: { description: 'agents and queues', ...TRANSFER_TARGETS }, ...errors(503) } }),
  }, async (req): Promise<DeskTransferTargets> => {
    const agentId = deskAgent(need(req, AGENT, 'transfer contacts'));
    const comms = deps.comms();
    const rank = (s: string): number => (s === 'ready' ? 0 : s === 'logged-out' ? 2 : 1);
    const agents = comms.agents().filter((a) => a.id !== agentId).map((a) => ({ id: a.id, state: a.state })).sort((a, b) => rank(a.state) - rank(b.state) || a.id.localeCompare(b.id));
    return { agents, queues: comms.queues().map((q) => q.queueId) };
  });

  fastify.post('/api/agent/dial', {
    schema: routeSchema('Manual dial (click-to-dial): an outbound call by the agent, connected to the agent at once, linked to the customer record when given', AGENT, {
      body: bodyOf({ number: PHONE_NUMBER, object: text(100), recordId: { type: ['string', 'number'], maxLength: 200 }, queueId: text(100) }, ['number']),
      response: {
        201: { description: 'the call, connected to the agent', ...closed({ contact: DESK_CONTACT }) },
        ...errors([400, 'a bad number, object without recordId (or the other way), or a queue the agent does not serve'], [404, 'no such object for this role or record'], [409, 'the agent is logged out or on a call already'], 503),
      },
    }),
  }, async (req, reply: FastifyReply) => {
    const p = need(req, AGENT, 'dial');
    const agentId = deskAgent(p);
    const b = body(req, ['number', 'object', 'recordId', 'queueId']);
    const number = phone(b['number'], 'number');
    if ((b['object'] === undefined) !== (b['recordId'] === undefined)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'give object and recordId together' });
    const comms = deps.comms();
    let customer: DialSpec['customer'];
    if (b['object'] !== undefined) {
      const object = str(b['object'], 'object', 100);
      if (typeof b['recordId'] !== 'string' && !(typeof b['recordId'] === 'number' && Number.isSafeInteger(b['recordId']))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'recordId must be text or a whole number' });
      const recordId = String(b['recordId']).slice(0, 200);
      const rights = deps.permissions.on(p.role, object);
      if (!rights?.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `object ${object}` });
      if (recordKey(rights, recordId) === undefined || !(await readCustomer(deps, p.role, { object, id: recordId }))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${object} ${recordId.slice(0, 100)}` });
      customer = { object, id: recordId };
    }
    let queueId: string | undefined;
    if (b['queueId'] !== undefined) {
      queueId = str(b['queueId'], 'queueId', 100);
      const q = comms.agentQueues(agentId);
      if (![...q.selected.map((s) => s.queue), ...q.allowed].includes(queueId)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `the agent does not serve queue ${queueId}` });
    }
    const c = await comms.dial(agentId, { number, ...(queueId !== undefined ? { queueId } : {}), ...(customer ? { customer } : {}), data: { dialledBy: `user:${p.name}` } });
    deps.presence.desktopChanged([agentId]);
    const now = comms.contact(c.id) ?? c;
    return reply.code(201).send({ contact: await views.contact(now, p) });
  });
}
