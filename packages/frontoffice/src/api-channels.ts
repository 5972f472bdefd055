/**
 * E-mail and chat contacts answered in the agent desktop: the thread of an e-mail contact (with its
 * attachments) and the reply that goes out through the outbound mail relay, threaded; the
 * transcript of a chat (the conversation itself runs over the front office's `/ws/chat`, which
 * hands the socket to the chat channel's hub with the agent session as principal).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ChatChannel, CommunicationServer, EmailChannel, StoredEmail } from '@caruso/comms';
import { FrontOfficeErrors } from './errors.js';
import { body, need, str } from './internal/http.js';
import type { Principal } from './internal/sessions.js';
import { bodyOf, closed, DATE_TIME, EMAIL_MESSAGE, errors, INT, nullable, params, routeSchema, STRINGS, text } from './internal/route-schemas.js';

const STAFF = ['agent', 'supervisor', 'administrator'] as const;

export interface ChannelsApiDeps {
  readonly comms: () => CommunicationServer;
  /** The web-chat channel, when one is registered. */
  readonly chat: () => ChatChannel | undefined;
  /** The e-mail channel, when one is registered. */
  readonly email: () => EmailChannel | undefined;
}

/** Longest reply an agent may send (characters). */
export const MAX_REPLY_CHARS = 20_000;

function emailView(m: StoredEmail, contactId: string): Record<string, unknown> {
  return {
    id: m.id,
    direction: m.direction,
    messageId: m.messageId,
    inReplyTo: m.inReplyTo ?? null,
    references: m.references,
    from: m.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    at: new Date(m.at).toISOString(),
    attachments: m.attachments.map((a) => ({ id: a.id, filename: a.filename, contentType: a.contentType, size: a.size, href: `/api/contacts/${encodeURIComponent(contactId)}/email/attachments/${encodeURIComponent(a.id)}` })),
  };
}

export function registerChannelsApi(fastify: FastifyInstance, deps: ChannelsApiDeps): void {
  /**
   * The contact an agent may work on: offered to them, connected to them, or in their wrap-up.
   * Supervisors and administrators read any contact's thread.
   */
  const reachable = (req: FastifyRequest, roles: readonly ('agent' | 'supervisor' | 'administrator')[], action: string): { id: string; principal: Principal; live: boolean } => {
    const p = need(req, roles, action);
    const id = str((req.params as { id: string }).id, 'contact', 128);
    if (p.role !== 'agent') return { id, principal: p, live: false };
    const agentId = p.agentId;
    if (!agentId) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: `${action} without an agent id` });
    const comms = deps.comms();
    const contact = comms.contact(id);
    // Offered contacts carry the reserved agent too: live means connected to this agent.
    const live = contact?.state === 'connected' && contact.agentIds.includes(agentId);
    const offered = comms.pendingOffers(agentId).some((o) => o.contactId === id);
    const wrapping = comms.agentWork(agentId).wrapUps.some((w) => w.contactId === id);
    if (!live && !offered && !wrapping) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact' });
    return { id, principal: p, live: live || wrapping };
  };
  const emailChannel = (): EmailChannel => {
    const e = deps.email();
    if (!e) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_CHANNEL_UNAVAILABLE({ channel: 'e-mail' });
    return e;
  };
  const chatChannel = (): ChatChannel => {
    const c = deps.chat();
    if (!c) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_CHANNEL_UNAVAILABLE({ channel: 'chat' });
    return c;
  };

  fastify.get('/api/contacts/:id/email', {
    schema: routeSchema('The e-mail thread of a contact (agents: their own contacts), with the attachments of each message', STAFF, {
      params: params(['id']),
      response: { 200: { description: 'messages, oldest first', ...closed({ contactId: text(), messages: { type: 'array', items: EMAIL_MESSAGE } }) }, ...errors([404, 'no such contact or thread'], [503, 'no e-mail channel in the assembly']) },
    }),
  }, async (req) => {
    const { id } = reachable(req, ['agent', 'supervisor', 'administrator'], 'read e-mail contacts');
    const messages = await emailChannel().messages(id);
    if (messages.length === 0) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'e-mail thread' });
    return { contactId: id, messages: messages.map((m) => emailView(m, id)) };
  });

  fastify.get('/api/contacts/:id/email/attachments/:attachmentId', {
    schema: routeSchema('An attachment of the thread, always as a download (application/octet-stream; x-original-content-type has its type)', STAFF, {
      params: params(['id', 'attachmentId']),
      response: { 200: { description: 'the bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, ...errors([404, 'not an attachment of this thread'], [503, 'no e-mail channel in the assembly']) },
    }),
  }, async (req, reply) => {
    const { id } = reachable(req, ['agent', 'supervisor', 'administrator'], 'read e-mail contacts');
    const attachmentId = str((req.params as { attachmentId: string }).attachmentId, 'attachment', 64);
    const channel = emailChannel();
    // Only an attachment of this contact's thread: ids of other threads are not reachable from here.
    const inThread = (await channel.messages(id)).some((m) => m.attachments.some((a) => a.id === attachmentId));
    const a = inThread ? await channel.attachment(attachmentId) : undefined;
    if (!a) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'attachment' });
    // Always a download, never rendered on this origin (an HTML attachment must not run here).
    const name = encodeURIComponent(a.filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return reply
      .type('application/octet-stream')
      .header('content-disposition', `attachment; filename="download"; filename*=UTF-8''${name}`)
      .header('x-original-content-type', /^[\w.+-]+\/[\w.+-]+$/.test(a.contentType) ? a.contentType : 'application/octet-stream')
      .send(a.content);
  });

  fastify.post('/api/contacts/:id/email/reply', {
    schema: routeSchema('Answer an e-mail contact connected to the agent: sent through the outbound mail relay to the Reply-To/From of the last inbound message, subject Re:, In-Reply-To and References set', ['agent'], {
      params: params(['id']),
      body: bodyOf({ text: text(20_000) }, ['text']),
      response: {
        201: { description: 'sent and stored in the thread', ...closed({ message: EMAIL_MESSAGE, accepted: STRINGS, rejected: STRINGS }) },
        ...errors([404, 'not a contact connected to this agent'], [413, 'the body is over the limit, or the message over the relay\'s'], [502, 'the relay did not take the message'], [503, 'no e-mail channel in the assembly']),
      },
    }),
  }, async (req, reply) => {
    const { id, live } = reachable(req, ['agent'], 'answer e-mail contacts');
    if (!live) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact (accept the offer first)' });
    const b = body(req, ['text']);
    const text = str(b['text'], 'text', MAX_REPLY_CHARS);
    if (text.trim() === '') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the reply needs a text' });
    const sent = await emailChannel().reply(id, { text });
    return reply.code(201).send({ message: emailView(sent, id), accepted: sent.sent.accepted, rejected: sent.sent.rejected });
  });

  fastify.get('/api/contacts/:id/chat', {
    schema: routeSchema('A chat contact and its transcript; the conversation itself runs over the WebSocket /ws/chat (agents)', STAFF, {
      params: params(['id']),
      response: {
        200: {
          description: 'the chat and its messages',
          ...closed({
            chat: closed({ chatId: text(), queueId: text(), state: text(), customerName: nullable('string'), subject: nullable('string'), agentId: nullable('string'), openedAt: DATE_TIME }),
            transcript: { type: 'array', items: closed({ seq: INT, from: text(), agentId: nullable('string'), text: text(), at: DATE_TIME }) },
          }),
        },
        ...errors([404, 'no such contact or chat'], [503, 'no chat channel in the assembly']),
      },
    }),
  }, async (req) => {
    const { id } = reachable(req, ['agent', 'supervisor', 'administrator'], 'read chat contacts');
    const channel = chatChannel();
    const info = await channel.chat(id);
    if (!info) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'chat' });
    const transcript = await channel.transcript(id);
    return {
      chat: { chatId: info.chatId, queueId: info.queueId, state: info.state, customerName: info.customerName ?? null, subject: info.subject ?? null, agentId: info.agentId ?? null, openedAt: new Date(info.openedAt).toISOString() },
      transcript: transcript.map((m) => ({ seq: m.seq, from: m.from, agentId: m.agentId ?? null, text: m.text, at: new Date(m.at).toISOString() })),
    };
  });
}
