/**
 * The self-service endpoints: a visitor's dialogue-script session on a public page, and the hand-off
 * to an agent (a real chat through the chat channel, or a queued contact).
 */
import type { FastifyInstance } from 'fastify';
import type { Application } from './common/application.js';
import type { DesktopApiDeps } from './api-desktop.js';
import { FrontOfficeErrors } from './errors.js';
import { body, need, str } from './internal/http.js';
import { ownScriptSession, revisionOf, sessionView as view } from './internal/script-sessions.js';
import type { Principal } from './internal/sessions.js';

export function registerSelfServiceApi(fastify: FastifyInstance, deps: DesktopApiDeps): void {
  const { app } = deps;
  const ownSession = (req: Parameters<typeof ownScriptSession>[1], p: Principal): Promise<string> => ownScriptSession(deps.store, req, p);
  const page = (name: string): Application['selfService'][number] => {
    const s = app.selfService.find((x) => x.name === name);
    if (!s) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `self-service page ${name.slice(0, 60)}` });
    return s;
  };
  fastify.post('/api/self-service/sessions/:id/answer', async (req) => {
    const p = need(req, ['anonymous'], 'answer self-service scripts');
    const id = await ownSession(req, p);
    const b = body(req, ['value', 'revision']);
    return view(await deps.dialogue().answer(id, b['value'] ?? null, revisionOf(b)));
  });
  fastify.post('/api/self-service/sessions/:id/back', async (req) => {
    const p = need(req, ['anonymous'], 'answer self-service scripts');
    const id = await ownSession(req, p);
    return view(await deps.dialogue().back(id, revisionOf(body(req, ['revision']))));
  });
  fastify.get('/api/self-service/sessions/:id', async (req) => {
    const p = need(req, ['anonymous'], 'answer self-service scripts');
    return view(await deps.dialogue().resume(await ownSession(req, p)));
  });
  fastify.post('/api/self-service/sessions/:id/agent', async (req, reply) => {
    const p = need(req, ['anonymous'], 'ask for an agent');
    const id = await ownSession(req, p);
    const b = body(req, ['channel', 'number']);
    const channel = b['channel'] === undefined ? 'chat' : str(b['channel'], 'channel', 10);
    if (channel !== 'chat' && channel !== 'callback') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'channel must be chat or callback' });
    const number = b['number'] === undefined ? undefined : str(b['number'], 'number', 32);
    if (channel === 'callback' && (!number || !/^\+?[0-9 ()-]{6,32}$/.test(number))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a callback needs a phone number' });
    const state = await deps.dialogue().state(id);
    const ss = app.selfService.find((s) => s.script === state.script);
    if (!ss) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'self-service page' });
    const queueId = state.handoff?.queue ?? ss.queue;
    const hub = channel === 'chat' ? deps.chat?.() : undefined;
    if (hub) {
      // A real chat through the chat channel: the page connects /ws/chat/customer with the token;
      // the agent sees the answers through the hand-off row.
      const opened = await hub.openChat({ subject: ss.label.replace(/[\r\n]+/g, ' ').slice(0, 200), queueId });
      await deps.store.addChatHandoff({ chatId: opened.chatId, scriptSession: id, selfService: ss.name });
      const pos = deps.comms().position(opened.chatId);
      return reply.code(201).send({ contactId: opened.chatId, channel, queueId, position: pos?.position ?? null, chat: { token: opened.token, socket: '/ws/chat/customer' } });
    }
    const contact = await deps.comms().enqueue({
      channel,
      queueId,
      data: { selfService: ss.name, scriptSession: id, answers: state.vars, ...(number ? { number } : {}) },
    });
    const pos = deps.comms().position(contact.id);
    return reply.code(201).send({ contactId: contact.id, channel, queueId: contact.queueId, position: pos?.position ?? null });
  });
  fastify.get('/api/self-service/:name', async (req) => {
    const s = page((req.params as { name: string }).name);
    return { name: s.name, label: s.label };
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
  const v = await deps.dialogue().startSession(s.script, { channel: 'web' });
  await remember(visitor, v.sessionId);
  return view(v);
}
