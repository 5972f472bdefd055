/**
 * The self-service endpoints: a visitor's dialogue-script session on a public page, and the hand-off
 * to an agent (a real chat through the chat channel, or a queued contact).
 *
 * Privacy: a visitor is anonymous. What they are sent of a session is the step of the web channel,
 * whose values and hand-off variables are only the script's public ones (the dialogue engine
 * filters them); a page whose script reads or changes data (a `<fetch>` or `<action>` not marked
 * anonymous) first asks the visitor to identify themselves with the application's `<identify>`
 * declaration, and its dialogue session starts, with that identity, only once they have.
 */
import { randomUUID } from 'node:crypto';
import type { OutboundMail } from '@caruso/comms';
import type { FastifyInstance } from 'fastify';
import type { Application, Identify, SelfService } from './common/application.js';
import type { DesktopApiDeps } from './api-desktop.js';
import { autoLink } from './api-desktop-state.js';
import { FrontOfficeErrors } from './errors.js';
import { body, need, str } from './internal/http.js';
import { ownScriptSession, revisionOf, sessionView as view } from './internal/script-sessions.js';
import { ANY, bodyOf, closed, errors, INT, nullable, params, PHONE_NUMBER, routeSchema, SESSION_VIEW, text, type JsonSchema } from './internal/route-schemas.js';
import { identificationOf, identifyStep } from './internal/self-service-identity.js';
import type { Principal } from './internal/sessions.js';

const VISITOR = ['anonymous'] as const;
const VIEW = (description: string): JsonSchema => ({ description, ...SESSION_VIEW });
/**
 * Errors of a visitor's script session: not theirs, ended or changed meanwhile, not identified (a
 * script's fetch or action for someone else), too many identify attempts, a failing script or service.
 */
const VISITOR_SCRIPT_ERRORS = [
  [404, 'no such self-service session of this visitor'],
  [409, 'the session ended, or changed meanwhile (revision)'],
  [422, 'the script cannot go on (a failing expression, no transition)'],
  [429, 'too many failed attempts to identify (retry-after says when to try again)'],
  [502, 'a service of the script failed'],
  [503, 'the page needs the application\'s <identify>, or a service is not started'],
] as const;
const IDENTIFY_FIELDS: JsonSchema = { type: 'array', items: closed({ name: text(), label: text() }) };
const HANDOFF: JsonSchema = closed(
  { contactId: text(), channel: { type: 'string', enum: ['chat', 'callback'] }, queueId: text(), position: nullable('integer'), chat: closed({ token: text(), socket: text() }) },
  ['chat'],
);

/** What a visitor is told when the details do not match (the same whichever field was wrong, or when there is no such record). */
const NOT_MATCHED = 'These details do not match our records. Check them and try again, or ask for an agent.';
const CODE_WRONG = 'That code is not right. Check the e-mail we sent and try again.';
const CODE_EXPIRED = 'The code has expired. Give your details again for a new one.';
const CODE_USED_UP = 'The code was typed wrong too often. Give your details again for a new one.';
const NO_ADDRESS = 'We have no e-mail address for you to send a code to. Please ask for an agent.';

/**
 * The identification a page needs before its script may run: the application's `<identify>` when
 * the script fetches or changes data, none when it only uses anonymous operations. Throws
 * CARUSO_FRONTOFFICE_IDENTIFY_MISSING when the script needs one and the application declares none.
 */
function identificationFor(deps: Pick<DesktopApiDeps, 'app' | 'dialogue'>, page: SelfService): Identify | undefined {
  const info = deps.dialogue().scripts().find((x) => x.id === page.script);
  const access = info?.identifiedDataAccess ?? [];
  if (access.length === 0) return undefined;
  if (!deps.app.identify) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_IDENTIFY_MISSING({ page: page.name, script: page.script, access: access.slice(0, 3).join(', ') });
  return deps.app.identify;
}

/** The view of a session waiting for identification (same shape as a dialogue session's). */
function pendingView(sessionId: string, page: SelfService, identify: Identify, error?: string, stage: 'details' | 'code' = 'details'): Record<string, unknown> {
  return { sessionId, revision: 0, status: 'active', script: page.script, step: identifyStep(page, identify, error, stage) };
}

/** How long a chat opened at a script's hand-off waits for the visitor's page to connect. */
const HANDOFF_CONNECT_GRACE_MS = 5 * 60_000;
/** At most this many hand-off chats remembered for their visitors (the oldest are forgotten first). */
const MAX_OPEN_HANDOFFS = 10_000;

/** What the self-service routes need: the desktop's, and the outbound mail for `<identify code>`. */
export type SelfServiceApiDeps = DesktopApiDeps & { readonly mail?: () => OutboundMail | undefined };

export function registerSelfServiceApi(fastify: FastifyInstance, deps: SelfServiceApiDeps): void {
  const { app } = deps;
  const ownSession = (req: Parameters<typeof ownScriptSession>[1], p: Principal): Promise<string> => ownScriptSession(deps.store, req, p);
  const page = (name: string): Application['selfService'][number] => {
    const s = app.selfService.find((x) => x.name === name);
    if (!s) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `self-service page ${name.slice(0, 60)}` });
    return s;
  };
  const identification = identificationOf(app);
  // Chats opened when a visitor's script reached its hand-off, by script session: the visitor's page
  // fetches the chat's token with POST …/agent (the answer itself returns only the session view).
  const handoffChats = new Map<string, { readonly chatId: string; readonly token: string; readonly queueId: string }>();
  /** Opens the visitor's hand-off chat in `queueId`, with the script's `<handoff priority>` when it gives one. */
  const openHandoffChat = async (id: string, ss: SelfService, queueId: string, connectGraceMs?: number, priority?: number): Promise<{ chatId: string; token: string; queueId: string } | undefined> => {
    const hub = deps.chat?.();
    if (!hub) return undefined;
    const known = handoffChats.get(id);
    const state = known ? deps.comms().contact(known.chatId)?.state : undefined;
    if (known && state !== undefined && state !== 'ended') return known;
    const opened = await hub.openChat({ subject: ss.label.replace(/[\r\n]+/g, ' ').slice(0, 200), queueId, ...(connectGraceMs === undefined ? {} : { connectGraceMs }), ...(priority === undefined ? {} : { priority }) });
    await deps.store.addChatHandoff({ chatId: opened.chatId, scriptSession: id, selfService: ss.name });
    // The chat carries the visitor's answers: a screen pop by a collected field (a contract number)
    // that finds exactly one record links the chat to that customer while it waits (never rejects).
    await autoLink(deps, opened.chatId);
    const chat = { chatId: opened.chatId, token: opened.token, queueId };
    handoffChats.delete(id);
    handoffChats.set(id, chat);
    if (handoffChats.size > MAX_OPEN_HANDOFFS) handoffChats.delete(handoffChats.keys().next().value as string);
    return chat;
  };
  fastify.post('/api/self-service/sessions/:id/answer', {
    schema: routeSchema('Answer the current step of a self-service session: a question, or the identify step with the fields of the application\'s <identify>', VISITOR, {
      params: params(['id']),
      body: bodyOf({ value: { ...ANY, description: 'the answer; for the identify step an object of its fields, e.g. { customerNumber, postcode, houseNumber }' }, revision: INT }),
      response: { 200: VIEW('the session after the answer (the identify step again with error when the details do not match); web steps carry public variables only'), ...errors([403, 'the script tried to reach data of someone other than the identified visitor'], ...VISITOR_SCRIPT_ERRORS) },
    }),
  }, async (req) => {
    const p = need(req, ['anonymous'], 'answer self-service scripts');
    const id = await ownSession(req, p);
    const b = body(req, ['value', 'revision']);
    const pending = identification.get(id);
    if (pending) {
      // The answer to the identify step: the fields of the application's <identify>.
      const identify = identificationFor(deps, pending.page);
      if (!identify) {
        // The page's script no longer reads anyone's data (a new version): it starts without identity.
        identification.close(id);
        return view(await deps.dialogue().startSession(pending.page.script, { channel: 'web', sessionId: id }));
      }
      const value = b['value'];
      const codeStage = pending.code !== undefined && identify.code !== undefined;
      const expected = codeStage ? ['code'] : [identify.by, ...identify.verify].map((f) => f.name);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `value must be an object of ${expected.join(', ')}` });
      const given: Record<string, string> = {};
      for (const name of expected) given[name] = str((value as Record<string, unknown>)[name] ?? '', name, 100);
      let key: string;
      if (codeStage) {
        // The second stage: the one-time code sent to the address on file.
        const checked = identification.checkCode(id, given['code'] ?? '');
        if (!checked.ok) {
          return checked.reason === 'wrong' ? pendingView(id, pending.page, identify, CODE_WRONG, 'code') : pendingView(id, pending.page, identify, checked.reason === 'expired' ? CODE_EXPIRED : CODE_USED_UP);
        }
        key = checked.key;
      } else {
        const outcome = await identification.verify(id, identify, given, req.ip, (k) => deps.objects.repository(identify.object).query({ where: { [identify.by.name]: k }, limit: 2 }));
        if (!outcome.ok) return pendingView(id, pending.page, identify, NOT_MATCHED);
        if (identify.code) {
          const mail = deps.mail?.();
          if (!mail) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_CHANNEL_UNAVAILABLE({ channel: 'outbound mail' });
          const address = outcome.record[identify.code.name];
          if (typeof address !== 'string' || address.trim() === '') return pendingView(id, pending.page, identify, NO_ADDRESS);
          const code = identification.issueCode(id, outcome.key);
          await mail.sendMail({ to: address, subject: `${pending.page.label.replace(/[\r\n]+/g, ' ').slice(0, 150)}: your code`, text: `Your code is ${code}. It is valid for 10 minutes.\n\nYou (or someone who knows your details) asked for it on our self-service page. If that was not you, ignore this message.` });
          return pendingView(id, pending.page, identify, undefined, 'code');
        }
        key = outcome.key;
      }
      // Closed first, so that a second answer sent meanwhile does not start the session twice.
      identification.close(id);
      try {
        // The script runs with the visitor's rights: only the identified record and the records linked to it.
        return view(await deps.dialogue().startSession(pending.page.script, { channel: 'web', sessionId: id, identity: { field: identify.by.name, key, object: identify.object }, actor: { kind: 'visitor' } }));
      } catch (err) {
        identification.open(id, pending.page);
        throw err;
      }
    }
    const answered = await deps.dialogue().answer(id, b['value'] ?? null, revisionOf(b));
    if (answered.status === 'handoff') {
      // The script hands the visitor to an agent: the chat joins the queue now, so the visitor's place
      // in line counts from this moment; their page picks the chat up with POST …/agent.
      const state = await deps.dialogue().state(id);
      const ss = app.selfService.find((s) => s.script === state.script);
      if (ss) {
        await openHandoffChat(id, ss, state.handoff?.queue ?? ss.queue, HANDOFF_CONNECT_GRACE_MS, state.handoff?.priority).catch((err: unknown) => {
          deps.logger.warn({ err, page: ss.name }, 'the hand-off chat could not be opened at the hand-off; the visitor can still ask for an agent');
        });
      }
    }
    return view(answered);
  });
  fastify.post('/api/self-service/sessions/:id/back', {
    schema: routeSchema('Go back to the last answered question of a self-service session', VISITOR, {
      params: params(['id']),
      body: bodyOf({ revision: INT }),
      response: { 200: VIEW('the session at the previous question'), ...errors(...VISITOR_SCRIPT_ERRORS) },
    }),
  }, async (req) => {
    const p = need(req, ['anonymous'], 'answer self-service scripts');
    const id = await ownSession(req, p);
    const b = body(req, ['revision']);
    if (identification.get(id)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'nothing to go back to: identify first' });
    return view(await deps.dialogue().back(id, revisionOf(b)));
  });
  fastify.get('/api/self-service/sessions/:id', {
    schema: routeSchema('The current step of a self-service session (after a reload)', VISITOR, {
      params: params(['id']),
      response: { 200: VIEW('the session as it stands'), ...errors(...VISITOR_SCRIPT_ERRORS) },
    }),
  }, async (req) => {
    const p = need(req, ['anonymous'], 'answer self-service scripts');
    const id = await ownSession(req, p);
    const pending = identification.get(id);
    const identify = pending ? identificationFor(deps, pending.page) : undefined;
    if (pending && identify) return pendingView(id, pending.page, identify, undefined, pending.code && identify.code ? 'code' : 'details');
    return view(await deps.dialogue().resume(id));
  });
  fastify.post('/api/self-service/sessions/:id/agent', {
    schema: routeSchema('Ask for an agent: a chat (or a callback to a number) joins the page\'s queue; the agent sees every answer, the visitor none of the script\'s data', VISITOR, {
      params: params(['id']),
      body: bodyOf({ channel: { type: 'string', enum: ['chat', 'callback'], description: 'default chat' }, number: { ...PHONE_NUMBER, description: 'the number to call back; required for a callback' } }),
      response: { 201: { description: 'the contact, its place in line and, for a chat, how to join it', ...HANDOFF }, ...errors([404, 'no such self-service session of this visitor, or no page for its script'], 503) },
    }),
  }, async (req, reply) => {
    const p = need(req, ['anonymous'], 'ask for an agent');
    const id = await ownSession(req, p);
    const b = body(req, ['channel', 'number']);
    const channel = b['channel'] === undefined ? 'chat' : str(b['channel'], 'channel', 10);
    if (channel !== 'chat' && channel !== 'callback') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'channel must be chat or callback' });
    const number = b['number'] === undefined ? undefined : str(b['number'], 'number', 32);
    if (channel === 'callback' && (!number || !/^\+?[0-9 ()-]{6,32}$/.test(number))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a callback needs a phone number' });
    // A visitor who has not identified (or cannot) may still ask for an agent: nothing was collected.
    const pending = identification.get(id);
    const state = pending ? undefined : await deps.dialogue().state(id);
    const ss = pending?.page ?? app.selfService.find((s) => s.script === state?.script);
    if (!ss) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'self-service page' });
    const queueId = state?.handoff?.queue ?? ss.queue;
    // A real chat through the chat channel: the page connects /ws/chat/customer with the token; the
    // agent sees the answers through the hand-off row. The chat opened at the script's hand-off (still
    // waiting) is the one the visitor gets, not a second one.
    const opened = channel === 'chat' ? await openHandoffChat(id, ss, queueId, undefined, state?.handoff?.priority) : undefined;
    if (opened) {
      const pos = deps.comms().position(opened.chatId);
      return reply.code(201).send({ contactId: opened.chatId, channel, queueId: opened.queueId, position: pos?.position ?? null, chat: { token: opened.token, socket: '/ws/chat/customer' } });
    }
    const contact = await deps.comms().enqueue({
      channel,
      queueId,
      // callbackNumber: the number the telephony channel dials when an agent takes the callback.
      data: { selfService: ss.name, scriptSession: id, answers: state?.vars ?? {}, ...(channel === 'callback' && number ? { callbackNumber: number.replace(/[\s()-]/g, '') } : {}) },
    });
    const pos = deps.comms().position(contact.id);
    return reply.code(201).send({ contactId: contact.id, channel, queueId: contact.queueId, position: pos?.position ?? null });
  });
  fastify.get('/api/self-service/:name', {
    schema: routeSchema('A self-service page: its title, and the fields a visitor identifies with before its script starts (null when it needs none)', 'anyone', {
      params: params(['name'], 100),
      response: { 200: { description: 'the page', ...closed({ name: text(), label: text(), identify: { anyOf: [IDENTIFY_FIELDS, { type: 'null' }] } }) }, ...errors([404, 'no such self-service page'], 503) },
    }),
  }, async (req) => {
    const s = page((req.params as { name: string }).name);
    const identify = identificationFor(deps, s);
    return { name: s.name, label: s.label, identify: identify ? [identify.by, ...identify.verify].map((f) => ({ name: f.name, label: f.label })) : null };
  });
}

/** Starts a self-service session for a visitor (the server creates the visitor first). */
export async function startSelfService(
  deps: Pick<DesktopApiDeps, 'app' | 'dialogue'>,
  name: string,
  visitor: Principal,
  remember: (visitor: Principal, sessionId: string) => Promise<void>,
): Promise<Record<string, unknown>> {
  const s = deps.app.selfService.find((x) => x.name === name);
  if (!s) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `self-service page ${name.slice(0, 60)}` });
  if (visitor.scriptSessions.size >= 20) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_TOO_MANY_ATTEMPTS({ seconds: 60 });
  const identify = identificationFor(deps, s);
  if (identify) {
    // No dialogue session yet: the visitor identifies first (the answer to the identify step).
    const sessionId = randomUUID();
    identificationOf(deps.app).open(sessionId, s);
    await remember(visitor, sessionId);
    return pendingView(sessionId, s, identify);
  }
  const v = await deps.dialogue().startSession(s.script, { channel: 'web' });
  await remember(visitor, v.sessionId);
  return view(v);
}
