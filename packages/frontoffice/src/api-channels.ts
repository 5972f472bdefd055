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
/** Most files an agent's reply may carry, and their largest size in total (bytes, decoded). */
export const MAX_REPLY_ATTACHMENTS = 5;
export const MAX_REPLY_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/** The reply route's body limit: the attachments in base64 (4/3 of their bytes) and the text. */
const REPLY_BODY_LIMIT = Math.ceil((MAX_REPLY_ATTACHMENT_BYTES * 4) / 3) + 256 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface ReplyAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** The attachments of a reply, checked: names without paths, a MIME type, base64 bytes; 5 files and 5 MB at most (413). */
function replyAttachments(v: unknown): ReplyAttachment[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'attachments must be a list of {filename, contentType, contentBase64}' });
  const out: ReplyAttachment[] = [];
  let size = 0;
  for (const [i, a] of v.entries()) {
    const at = `attachments[${i}]`;
    if (!a || typeof a !== 'object' || Array.isArray(a)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${at} must be {filename, contentType, contentBase64}` });
    const o = a as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !['filename', 'contentType', 'contentBase64'].includes(k));
    if (extra.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${at}: unknown properties ${extra.join(', ').slice(0, 100)}` });
    const filename = str(o['filename'], `${at}.filename`, 200);
    // eslint-disable-next-line no-control-regex
    if (filename.trim() === '' || /[/\\\x00-\x1f\x7f]/.test(filename)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${at}.filename must be a file name without a path or control characters` });
    const contentType = str(o['contentType'], `${at}.contentType`, 100);
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(contentType)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${at}.contentType must be a MIME type such as application/pdf` });
    const b64 = o['contentBase64'];
    if (typeof b64 !== 'string' || b64.length % 4 !== 0 || !BASE64.test(b64)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${at}.contentBase64 must be base64 text` });
    const content = Buffer.from(b64, 'base64');
    size += content.length;
    out.push({ filename, contentType, content });
  }
  if (out.length > MAX_REPLY_ATTACHMENTS || size > MAX_REPLY_ATTACHMENT_BYTES) {
    throw FrontOfficeErrors.CARUSO_FRONTOFFICE_ATTACHMENTS_TOO_LARGE({ size, count: out.length, maxFiles: MAX_REPLY_ATTACHMENTS, maxBytes: MAX_REPLY_ATTACHMENT_BYTES }, { details: { size, count: out.length, maxFiles: MAX_REPLY_ATTACHMENTS, maxBytes: MAX_REPLY_ATTACHMENT_BYTES } });
  }
  return out;
}

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
    bodyLimit: REPLY_BODY_LIMIT,
    schema: routeSchema('Answer an e-mail contact connected to the agent: sent through the outbound mail relay to the Reply-To/From of the last inbound message, subject Re:, In-Reply-To and References set; with up to 5 attachments (5 MB in total)', ['agent'], {
      params: params(['id']),
      body: bodyOf({
        text: text(20_000),
        attachments: { type: 'array', description: 'files sent with the reply: at most 5, 5 MB in total (decoded)', items: bodyOf({ filename: text(200), contentType: text(100), contentBase64: { type: 'string' } }, ['filename', 'contentType', 'contentBase64']) },
      }, ['text']),
      response: {
        201: { description: 'sent and stored in the thread', ...closed({ message: EMAIL_MESSAGE, accepted: STRINGS, rejected: STRINGS }) },
        ...errors([400, 'a bad attachment (a name with a path, no MIME type, bytes that are not base64)'], [404, 'not a contact connected to this agent'], [413, 'the body is over the limit, more than 5 attachments or 5 MB in total, or the message over the relay\'s'], [502, 'the relay did not take the message'], [503, 'no e-mail channel in the assembly']),
      },
    }),
  }, async (req, reply) => {
    const { id, live } = reachable(req, ['agent'], 'answer e-mail contacts');
    if (!live) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact (accept the offer first)' });
    const b = body(req, ['text', 'attachments']);
    const text = str(b['text'], 'text', MAX_REPLY_CHARS);
    if (text.trim() === '') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the reply needs a text' });
    const attachments = replyAttachments(b['attachments']);
    const sent = await emailChannel().reply(id, { text, ...(attachments.length ? { attachments } : {}) });
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
