/**
 * The agent desktop and wallboard endpoints: agent state and offers, contacts with their screen pop,
 * wrap-up, agents' dialogue-script sessions, and the live figures. Self-service is in
 * api-self-service.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AgentQueueChoice, ChatChannel, CommunicationServer, ContactSnapshot } from '@caruso/comms';
import type { DialogueEngine, SessionView, Variables } from '@caruso/dialogue';
import type { BusinessObjects, ObjectRecord } from '@caruso/objects';
import { isCarusoError, type Logger } from '@caruso/kernel';
import type { Application } from './common/application.js';
import type { WallboardFigures } from './common/api-types.js';
import { contactAddress } from './api-callbacks.js';
import { FrontOfficeErrors } from './errors.js';
import { body, need, str } from './internal/http.js';
import type { Principal } from './internal/sessions.js';
import type { Permissions } from './permissions.js';
import { agentActor, ownScriptSession, revisionOf, sessionView as view } from './internal/script-sessions.js';
import { cluesOf, screenPopOf } from './internal/screen-pop.js';
import type { FrontOfficeStore } from './user-store.js';
import { AGENT_QUEUES, AGENT_STATE, ANY, bodyOf, closed, errors, INT, NO_BODY, params, QUEUE_CHOICE, routeSchema, SESSION_VIEW, text, type JsonSchema } from './internal/route-schemas.js';

const AGENT = ['agent'] as const;
const STAFF = ['agent', 'supervisor', 'administrator'] as const;
const STATE = (description: string): JsonSchema => ({ description, ...AGENT_STATE });
const VIEW = (description: string): JsonSchema => ({ description, ...SESSION_VIEW });
/** Errors of a call into the communication server: unknown things, a state that does not allow it, not started. */
const COMMS_ERRORS = [404, 409, 503] as const;
/** Errors of the dialogue engine: unknown session, ended or changed meanwhile, a script that fails, an action's service failing. */
const SCRIPT_ERRORS = [[404, 'no such script session of this user'], [409, 'the session ended, or changed meanwhile (revision)'], [422, 'the script cannot go on (a failing expression, no transition)'], [502, 'an action\'s service failed'], 503] as const;

export interface DesktopApiDeps {
  readonly app: Application;
  readonly objects: BusinessObjects;
  readonly permissions: Permissions;
  readonly store: FrontOfficeStore;
  readonly comms: () => CommunicationServer;
  readonly dialogue: () => DialogueEngine;
  readonly agentIds: () => Promise<string[]>;
  readonly logger: Logger;
  /** Which contact channels the desktop can answer besides calls. */
  readonly channels?: () => { readonly chat: boolean; readonly email: boolean };
  /** The web-chat channel when one is registered: self-service visitors then hand off into a real chat. */
  readonly chat?: () => ChatChannel | undefined;
}

export type { WallboardFigures } from './common/api-types.js';

function agentOf(p: Principal): string {
  if (!p.agentId) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: 'use the agent desktop without an agent id' });
  return p.agentId;
}

/**
 * The contact's data as a script's initial variables: every text, number or true/false value the
 * channel or the IVR put on the contact (IVR answers arrive spread into the data), plus `caller`
 * (the calling number or address) and `dialled`, so an identify-caller script can skip its questions.
 * Note: nested values (self-service `answers`) are flattened one level, the IVR's own keys win.
 */
export function contactVariables(c: ContactSnapshot): Variables {
  const vars: Variables = {};
  const put = (k: string, v: unknown): void => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k)) return;
    if (typeof v === 'string' && v.length <= 4000) vars[k] = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') vars[k] = v;
  };
  const answers = c.data['answers'];
  if (answers && typeof answers === 'object' && !Array.isArray(answers)) for (const [k, v] of Object.entries(answers)) put(k, v);
  for (const [k, v] of Object.entries(c.data)) put(k, v);
  const address = contactAddress(c);
  if (address !== undefined && vars['caller'] === undefined) vars['caller'] = address;
  if (vars['dialled'] === undefined) vars['dialled'] = typeof c.data['dialled'] === 'string' ? c.data['dialled'] : '';
  vars['contactChannel'] = c.channel;
  vars['contactQueue'] = c.queueId;
  return vars;
}


export function queueIds(app: Application, extra: readonly string[] = []): string[] {
  return [...new Set([...app.desktop.scripts.map((s) => s.queue), ...app.selfService.map((s) => s.queue), ...extra])];
}

export async function wallboardFigures(deps: Pick<DesktopApiDeps, 'app' | 'comms' | 'agentIds'>, extraQueues: readonly string[]): Promise<WallboardFigures> {
  const comms = deps.comms();
  const agents: Record<string, number> = { ready: 0, reserved: 0, busy: 0, 'wrap-up': 0, paused: 0, 'logged-out': 0 };
  const agentList: { id: string; state: string; reason?: string }[] = [];
  const queues = new Set(extraQueues);
  for (const id of await deps.agentIds()) {
    try {
      const a = comms.agent(id);
      agents[a.state] = (agents[a.state] ?? 0) + 1;
      agentList.push({ id, state: a.state, ...(a.pauseReason ? { reason: a.pauseReason } : {}) });
      for (const q of a.queueIds) queues.add(q);
    } catch {
      // An agent user unknown to the communication server is not shown.
    }
  }
  const qs = [];
  for (const q of [...queueIds(deps.app), ...queues]) {
    try {
      const s = comms.queueStatus(q);
      qs.push({ queueId: s.queueId, waiting: s.waiting, staffed: s.staffed, available: s.available, longestWaitMs: s.longestWaitMs });
    } catch {
      // A queue named in the definition but not configured is left out.
    }
  }
  const unique = [...new Map(qs.map((q) => [q.queueId, q])).values()];
  const members: Record<string, readonly string[]> = {};
  for (const a of comms.agents()) members[a.id] = a.queueIds;
  // Stamped by the server's clock (one clock: a simulation may run it at another moment).
  return { at: new Date(comms.now()).toISOString(), agents, agentList, queues: unique, waiting: unique.reduce((n, q) => n + q.waiting, 0), members };
}

/** Runs `fn` after the previous call with the same key has settled (one at a time per key). */
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const settled = next.then(() => undefined, () => undefined);
  queues.set(key, settled);
  settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  }, () => undefined);
  return next;
}

export function registerDesktopApi(fastify: FastifyInstance, deps: DesktopApiDeps): void {
  const { app } = deps;

  // ---- agent state --------------------------------------------------------------------------
  const agentState = (agentId: string): Record<string, unknown> => {
    const comms = deps.comms();
    const q = comms.agentQueues(agentId);
    return {
      agent: comms.agent(agentId),
      offers: comms.pendingOffers(agentId),
      pauseReasons: app.desktop.pauseReasons,
      wrapUpCodes: app.desktop.wrapUpCodes,
      channels: deps.channels?.() ?? { chat: false, email: false },
      queues: { selected: q.selected, allowed: q.allowed },
    };
  };
  /** The queues an agent chose: 1 to 50 different queue ids among those the agent may serve (400 otherwise). */
  const chosenQueues = (agentId: string, v: unknown): AgentQueueChoice[] => {
    const allowed = deps.comms().agentQueues(agentId).allowed;
    if (!Array.isArray(v) || v.length === 0 || v.length > 50 || v.some((x) => typeof x !== 'string') || new Set(v).size !== v.length) {
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'queues must be a list of 1 to 50 different queue ids' });
    }
    const refused = (v as string[]).filter((x) => !allowed.includes(x));
    if (refused.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `queue(s) ${refused.map((x) => x.slice(0, 100)).join(', ')} not allowed; choose among ${allowed.join(', ')}` }, { details: { allowed } });
    // The agent picks the queues; the levels stay those of the agent's configuration.
    return (v as string[]).map((queue) => ({ queue }));
  };
  fastify.get('/api/agent/queues', {
    schema: routeSchema('The queues the agent serves now (selected, with levels), those of its configuration, and those it may choose (allowed)', AGENT, { response: { 200: { description: 'the queues', ...AGENT_QUEUES }, ...errors(...COMMS_ERRORS) } }),
  }, async (req) => {
    const id = agentOf(need(req, ['agent'], 'use the agent desktop'));
    const q = deps.comms().agentQueues(id);
    return { selected: q.selected, configured: q.configured, allowed: q.allowed };
  });
  fastify.post('/api/agent/queues', {
    schema: routeSchema('Choose the queues to serve (among allowed; levels stay those of the configuration); effective for the next routing decision and kept across a restart', AGENT, {
      body: bodyOf({ queues: QUEUE_CHOICE }, ['queues']),
      response: { 200: STATE('the agent state with its queues'), ...errors(...COMMS_ERRORS) },
    }),
  }, async (req) => {
    const id = agentOf(need(req, ['agent'], 'use the agent desktop'));
    const b = body(req, ['queues']);
    await deps.comms().setAgentQueues(id, chosenQueues(id, b['queues']));
    return agentState(id);
  });
  fastify.get('/api/agent', { schema: routeSchema('Agent state and pending offers', AGENT, { response: { 200: STATE('the agent state'), ...errors(...COMMS_ERRORS) } }) }, async (req) => agentState(agentOf(need(req, ['agent'], 'use the agent desktop'))));
  fastify.post('/api/agent/ready', {
    schema: routeSchema('Log in (with the queues chosen, optional) or end a pause or a wrap-up', AGENT, {
      body: bodyOf({ queues: QUEUE_CHOICE }),
      response: { 200: STATE('the agent state'), ...errors(...COMMS_ERRORS) },
    }),
  }, async (req) => {
    const id = agentOf(need(req, ['agent'], 'use the agent desktop'));
    const b = body(req, ['queues']);
    const queues = b['queues'] === undefined ? undefined : chosenQueues(id, b['queues']);
    const comms = deps.comms();
    const state = comms.agent(id).state;
    // Queues chosen with Ready: at log-in they come with it, later they change the agent's queues.
    if (state === 'logged-out') await comms.login(id, queues ? { queues } : {});
    else {
      if (queues) await comms.setAgentQueues(id, queues);
      if (state === 'paused') await comms.resume(id);
      else if (state === 'wrap-up') await comms.finishWrapUp(id);
    }
    return agentState(id);
  });
  fastify.post('/api/agent/pause', {
    schema: routeSchema('Pause with a reason of the application', AGENT, { body: bodyOf({ reason: text(64) }, ['reason']), response: { 200: STATE('the agent state'), ...errors(...COMMS_ERRORS) } }),
  }, async (req) => {
    const id = agentOf(need(req, ['agent'], 'use the agent desktop'));
    const b = body(req, ['reason']);
    const reason = str(b['reason'], 'reason', 64);
    if (app.desktop.pauseReasons.length && !app.desktop.pauseReasons.some((r) => r.code === reason)) {
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown pause reason ${reason}; reasons: ${app.desktop.pauseReasons.map((r) => r.code).join(', ')}` });
    }
    const comms = deps.comms();
    if (comms.agent(id).state === 'logged-out') await comms.login(id);
    await comms.pause(id, reason);
    return agentState(id);
  });
  fastify.post('/api/agent/logout', {
    schema: routeSchema('Log the agent out of its queues', AGENT, { body: NO_BODY, response: { 200: STATE('the agent state'), ...errors(...COMMS_ERRORS) } }),
  }, async (req) => {
    const id = agentOf(need(req, ['agent'], 'use the agent desktop'));
    body(req, []);
    await deps.comms().logout(id);
    return agentState(id);
  });
  fastify.post('/api/agent/offers/:offerId/:decision', {
    schema: routeSchema('Accept or reject an offer (decision: accept or reject)', AGENT, {
      params: params(['offerId', 'decision']),
      body: NO_BODY,
      response: { 200: STATE('the agent state'), ...errors([404, 'no such pending offer of this agent, or a decision other than accept or reject'], 409, 503) },
    }),
  }, async (req) => {
    const id = agentOf(need(req, ['agent'], 'answer offers'));
    body(req, []);
    const { offerId, decision } = req.params as { offerId: string; decision: string };
    const comms = deps.comms();
    if (decision === 'accept') {
      // One accept path: when the agent's phone already answered this offer, Accept is the same accept
      // (the communication server checks that the offer is this agent's and changes nothing).
      try {
        await comms.accept(offerId, { agentId: id });
      } catch (err) {
        if (isCarusoError(err) && err.code === 'CARUSO_COMMS_UNKNOWN_OFFER') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'offer' });
        throw err;
      }
    } else if (decision === 'reject') {
      if (!comms.pendingOffers(id).some((o) => o.offerId === offerId)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'offer' });
      await comms.reject(offerId, 'agent');
    } else throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `action ${decision.slice(0, 30)}` });
    return agentState(id);
  });

  // ---- contacts -----------------------------------------------------------------------------
  const contactFor = (req: FastifyRequest): { contact: ContactSnapshot; principal: Principal } => {
    const p = need(req, ['agent', 'supervisor', 'administrator'], 'see contacts');
    const id = (req.params as { id: string }).id;
    const contact = deps.comms().contact(id);
    const mine = p.agentId !== undefined && (contact?.agentIds.includes(p.agentId) || deps.comms().pendingOffers(p.agentId).some((o) => o.contactId === id));
    if (!contact || (p.role === 'agent' && !mine)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact' });
    return { contact, principal: p };
  };
  fastify.get('/api/contacts/:id', {
    schema: routeSchema('A contact with its screen pop (agents: their own contacts and offers)', STAFF, {
      params: params(['id']),
      response: {
        200: {
          description: 'the contact, the records matching its address, the script of its queue and, for a self-service chat, what the visitor entered',
          ...closed({
            contact: closed({ id: text(), channel: text(), queueId: text(), state: text(), enteredAt: { type: 'number' }, address: text(), data: { type: 'object' } }, ['address']),
            screenPop: closed({ object: text(), record: { type: ['string', 'null'] }, matches: { type: 'array', items: { type: 'object' } }, prefill: { type: 'object' }, canCreate: { type: 'boolean' } }, ['record']),
            script: text(),
            handoff: closed({ selfService: text(), answers: { type: 'object' } }),
          }, ['screenPop', 'script', 'handoff']),
        },
        ...errors([404, 'no such contact for this user'], 503),
      },
    }),
  }, async (req) => {
    const { contact, principal } = contactFor(req);
    const address = contactAddress(contact);
    const script = app.desktop.scripts.find((s) => s.queue === contact.queueId)?.script;
    // A self-service visitor who asked for a chat: what they entered in the script.
    let handoff: { selfService: string; answers: Variables } | undefined;
    const h = contact.channel === 'chat' ? await deps.store.chatHandoff(contact.id) : undefined;
    if (h) {
      const vars = await deps.dialogue().state(h.scriptSession).then((st) => st.vars, () => ({}));
      handoff = { selfService: h.selfService, answers: vars };
    }
    // By the address, or by what a script collected (the IVR's variables, the visitor's answers).
    const clues = cluesOf(contact, contactVariables(handoff ? { ...contact, data: { ...contact.data, answers: handoff.answers } } : contact));
    const pop = await screenPopOf(deps, principal.role, contact, clues);
    const screenPop = pop ? { ...pop, record: pop.record ?? undefined } : undefined;
    return { contact: { id: contact.id, channel: contact.channel, queueId: contact.queueId, state: contact.state, enteredAt: contact.enteredAt, address, data: contact.data }, screenPop, script, ...(handoff ? { handoff } : {}) };
  });
  fastify.post('/api/contacts/:id/hang-up', {
    schema: routeSchema('End the contact (a call: the line too)', STAFF, { params: params(['id']), body: NO_BODY, response: { 200: { description: 'ended', ...closed({ ok: { const: true } }) }, ...errors([404, 'no such contact for this user'], 409, 503) } }),
  }, async (req) => {
    const { contact } = contactFor(req);
    body(req, []);
    // Ends the contact and, for a call, the line: the customer's phone hears the hang-up.
    await deps.comms().hangUp(contact.id);
    return { ok: true };
  });
  fastify.post('/api/contacts/:id/wrap-up', {
    schema: routeSchema('Wrap up with a code and notes, linking the contact to the record chosen (object, recordId) in the communication server\'s interaction history', AGENT, {
      params: params(['id']),
      body: bodyOf({ code: text(64), notes: text(2000), object: text(100), recordId: { type: ['string', 'number'] }, channel: { ...text(20), description: 'ignored (older pages sent it): the contact\'s own channel is recorded' } }, ['code']),
      response: { 200: STATE('the agent state'), ...errors([404, 'no such object for this role, or no such contact of this agent'], [409, 'the contact is not one this agent ended'], 503) },
    }),
  }, async (req) => {
    const p = need(req, ['agent'], 'wrap up contacts');
    const agentId = agentOf(p);
    const id = str((req.params as { id: string }).id, 'contact', 100);
    const b = body(req, ['code', 'notes', 'object', 'recordId', 'channel']);
    const code = str(b['code'], 'code', 64);
    if (!app.desktop.wrapUpCodes.some((c) => c.code === code)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown wrap-up code ${code.slice(0, 64)}` });
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(code)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a wrap-up code is letters, digits and . _ : - (at most 64)' });
    const notes = str(b['notes'], 'notes', 2000, true);
    const object = b['object'] === undefined ? undefined : str(b['object'], 'object', 100);
    const recordId = b['recordId'] === undefined ? undefined : String(b['recordId']).slice(0, 200);
    if (object !== undefined && !deps.permissions.on(p.role, object)?.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `object ${object}` });
    // `channel` is still accepted from older pages and ignored: the contact's own channel is recorded.
    if (b['channel'] !== undefined) str(b['channel'], 'channel', 20);
    const comms = deps.comms();
    const live = comms.contact(id);
    const mine = (live !== undefined && live.agentIds.includes(agentId)) || comms.agentWork(agentId).wrapUps.some((w) => w.contactId === id);
    // An older page names the customer in the body: it is linked first (the page's choice wins). The
    // wrap-up itself never reads a customer from the page: it goes to the contact's linked one.
    const chosen = object !== undefined && recordId !== undefined && recordId !== '' ? { object, id: recordId } : undefined;
    if (mine && chosen) await comms.setCustomer(id, chosen);
    if (live && live.agentIds.includes(agentId)) await comms.complete(id, 'agent');
    // One customer history: the disposition goes into the contact event log (reports and the monitor
    // read it there) and, with the contact's linked customer, into its interaction record (the record
    // page's history). The communication server refuses (409) a contact this agent did not end, and
    // nothing is recorded.
    // (One of the agent's earlier contacts, past its wrap-up: the communication server checks it is theirs.)
    await comms.wrapUp(agentId, id, code, { ...(notes ? { note: notes } : {}), ...(!mine && chosen ? { customer: chosen } : {}) });
    await deps.store.deleteWrapUpDraft(id, agentId);
    return agentState(agentId);
  });

  // ---- dialogue scripts for agents ----------------------------------------------------------
  const writeAnswers = async (p: Principal, sessionId: string, v: SessionView): Promise<void> => {
    if (v.status !== 'ended' && v.status !== 'handoff') return;
    const owner = await deps.store.scriptSession(sessionId);
    if (!owner || owner.written) return;
    // The answers go to the customer the contact is linked to when the script ends (the agent may have
    // chosen or changed it meanwhile), else to the record the script was started with.
    const linked = owner.contactId === undefined ? undefined : deps.comms().customerOf(owner.contactId);
    const target = linked ? { object: linked.object, recordKey: linked.id } : owner.object && owner.recordKey ? { object: owner.object, recordKey: owner.recordKey } : undefined;
    if (!target) return;
    const mapping = app.desktop.scripts.find((s) => s.script === v.script && (owner.queue === undefined || s.queue === owner.queue));
    const rights = deps.permissions.on(p.role, target.object);
    if (!mapping || !rights?.actions.has('update')) return;
    const state = await deps.dialogue().state(sessionId);
    const changes: ObjectRecord = {};
    for (const w of mapping.writes) if (rights.writable.has(w.field) && state.vars[w.variable] !== undefined) changes[w.field] = state.vars[w.variable];
    if (Object.keys(changes).length) {
      const keyField = rights.object.fields.find((f) => f.name === rights.object.key[0]);
      const key = keyField && (keyField.type === 'id' || keyField.type === 'integer') ? Number(target.recordKey) : target.recordKey;
      await deps.objects.repository(target.object).update(key, changes, { actor: `user:${p.name}` });
    }
    await deps.store.markWritten(sessionId);
  };
  const ownSession = (req: FastifyRequest, p: Principal): Promise<string> => ownScriptSession(deps.store, req, p);

  fastify.post('/api/scripts/sessions', {
    schema: routeSchema('Start a dialogue script: the one of a contact\'s queue, or one named; with the record it writes to', AGENT, {
      body: bodyOf({ script: text(100), contactId: text(100), object: text(100), recordId: { type: ['string', 'number'] } }),
      response: { 201: VIEW('the session at its first step'), 200: VIEW('the session already started for this contact by this agent, where it stands'), ...errors([404, 'no such contact of this agent, desktop script or object'], 409, 422, 502, 503) },
    }),
  }, async (req, reply) => {
    const p = need(req, ['agent'], 'run scripts');
    const b = body(req, ['script', 'contactId', 'object', 'recordId']);
    const contactId = b['contactId'] === undefined ? undefined : str(b['contactId'], 'contactId', 100);
    const contact = contactId ? deps.comms().contact(contactId) : undefined;
    if (contactId && (!contact || !contact.agentIds.includes(agentOf(p)))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact' });
    const script = b['script'] === undefined ? app.desktop.scripts.find((s) => s.queue === contact?.queueId)?.script : str(b['script'], 'script', 100);
    if (!script || !app.desktop.scripts.some((s) => s.script === script)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `desktop script ${script ?? '(none for this queue)'}` });
    const object = b['object'] === undefined ? undefined : str(b['object'], 'object', 100);
    if (object !== undefined && !deps.permissions.on(p.role, object)?.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `object ${object}` });
    const recordId = b['recordId'] === undefined ? undefined : String(b['recordId']).slice(0, 200);
    const owner = `user:${p.name}`;
    const start = async (): Promise<{ created: boolean; v: SessionView }> => {
      // One script session per contact and agent: a reload (or a second tab) gets the running one back.
      const existing = contactId ? await deps.store.contactScriptSession(contactId, owner) : undefined;
      if (existing) return { created: false, v: await deps.dialogue().resume(existing.sessionId) };
      // A chat handed off from self-service carries the visitor's answers (kept with its script
      // session, not on the chat contact): the agent's script starts with them instead of re-asking.
      const handoff = contact?.channel === 'chat' ? await deps.store.chatHandoff(contact.id) : undefined;
      const answers = handoff ? await deps.dialogue().state(handoff.scriptSession).then((st) => st.vars, () => undefined) : undefined;
      const vars: Variables = contact ? contactVariables(answers ? { ...contact, data: { ...contact.data, answers } } : contact) : {};
      const address = contact ? contactAddress(contact) : undefined;
      // The script runs with the agent's rights: its business-object elements are checked against the role.
      const v = await deps.dialogue().startSession(script, { channel: 'agent', vars, actor: agentActor(p) });
      await deps.store.addScriptSession({ sessionId: v.sessionId, owner, queue: contact?.queueId, object, recordKey: recordId, written: false, contactId });
      deps.logger.debug({ script, hasAddress: address !== undefined }, 'agent script started');
      return { created: true, v };
    };
    const { created, v } = contactId ? await serialized(`${contactId}\u0000${owner}`, start) : await start();
    return reply.code(created ? 201 : 200).send(view(v));
  });
  fastify.get('/api/scripts/sessions/:id', {
    schema: routeSchema('A script session where it stands', AGENT, { params: params(['id']), response: { 200: VIEW('the session'), ...errors(...SCRIPT_ERRORS) } }),
  }, async (req) => {
    const p = need(req, ['agent'], 'run scripts');
    return view(await deps.dialogue().resume(await ownSession(req, p)));
  });
  fastify.post('/api/scripts/sessions/:id/answer', {
    schema: routeSchema('Answer the current question (with the revision read, to refuse a stale answer)', AGENT, {
      params: params(['id']),
      body: bodyOf({ value: ANY, revision: INT }),
      response: { 200: VIEW('the session after the answer'), ...errors(...SCRIPT_ERRORS) },
    }),
  }, async (req) => {
    const p = need(req, ['agent'], 'run scripts');
    const id = await ownSession(req, p);
    const b = body(req, ['value', 'revision']);
    const v = await deps.dialogue().answer(id, b['value'] ?? null, { ...revisionOf(b), actor: agentActor(p) });
    await writeAnswers(p, id, v);
    return view(v);
  });
  fastify.post('/api/scripts/sessions/:id/back', {
    schema: routeSchema('Go back one question', AGENT, { params: params(['id']), body: bodyOf({ revision: INT }), response: { 200: VIEW('the session one question back'), ...errors(...SCRIPT_ERRORS) } }),
  }, async (req) => {
    const p = need(req, ['agent'], 'run scripts');
    const id = await ownSession(req, p);
    return view(await deps.dialogue().back(id, { ...revisionOf(body(req, ['revision'])), actor: agentActor(p) }));
  });

}
