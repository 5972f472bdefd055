import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  Emitter,
  isCarusoError,
  silentLogger,
  type HealthStatus,
  type Logger,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceLifecycle,
  type ServiceLookup,
} from '@caruso/kernel';
import { BusinessObjects } from '@caruso/objects';
import { StorageManager } from '@caruso/storage';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { systemClock, type Clock } from '../contract/clock.js';
import { CommunicationServer } from '../contract/communication-server.js';
import { CommsErrors } from '../errors.js';
import type { EmailChannel, EmailReply, ReceivedEmail, StoredAttachment, StoredEmail } from './email-channel.js';
import { EmailStore } from './email-store.js';
import { bareAddress, messageIdsIn, normalizeMessageId } from './mail-address.js';
import { OutboundMail, type SentMail } from './outbound-mail.js';

/** The version of the SMTP e-mail channel, as registered. */
export const EMAIL_CHANNEL_VERSION = '0.1.0';

/** How the sender address is matched to a customer through the business objects (optional). */
export interface CustomerLookup {
  /** The business object, e.g. `Customer`. */
  readonly object: string;
  /** Its e-mail field, e.g. `email`. */
  readonly emailField: string;
}

/** Options of {@link emailChannel}. */
export interface EmailChannelOptions {
  /** The queue new e-mail contacts go to. */
  readonly queueId: string;
  /** Port of the SMTP server (0: any free port, see `address()`). Default 2525. */
  readonly port?: number;
  /** Interface to listen on. Default `127.0.0.1`; `0.0.0.0` to receive from other hosts. */
  readonly host?: string;
  /** Name announced in the SMTP greeting. Default the host name. */
  readonly serverName?: string;
  /** Larger messages are refused with 552 (default 25 MiB). */
  readonly maxMessageBytes?: number;
  /**
   * Accepted recipients: addresses (`support@example.com`) or whole domains (`@example.com`).
   * Default: any (put the server behind your MX, never open to relaying).
   */
  readonly recipients?: readonly string[];
  /**
   * SMTP AUTH (PLAIN/LOGIN): when given, senders must log in. Note: take the passwords from the
   * environment in an assembly; they are kept as SHA-256 digests and never logged.
   */
  readonly auth?: { readonly users: readonly { readonly user: string; readonly pass: string }[]; readonly allowInsecure?: boolean };
  /** TLS key and certificate (PEM) for STARTTLS; without them STARTTLS is not offered. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** The address agents' replies come from (default: the OutboundMail relay's sender). */
  readonly mailbox?: string;
  /** Link senders to customers through the `caruso.objects` service when it is registered. */
  readonly customer?: CustomerLookup;
  /** Contact priority of e-mails (default 0). */
  readonly priority?: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
}

function invalid(field: string, reason: string): Error {
  return CommsErrors.CARUSO_COMMS_MAIL_INVALID_OPTIONS({ field, reason });
}

function validateOptions(o: EmailChannelOptions): void {
  if (!o || typeof o.queueId !== 'string' || o.queueId.length === 0) throw invalid('queueId', 'is required');
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65_535)) throw invalid('port', 'must be an integer from 0 to 65535');
  if (o.maxMessageBytes !== undefined && (!Number.isInteger(o.maxMessageBytes) || o.maxMessageBytes <= 0)) throw invalid('maxMessageBytes', 'must be a positive integer');
  for (const r of o.recipients ?? []) if (typeof r !== 'string' || !(r.startsWith('@') ? /^@[A-Za-z0-9.-]+$/.test(r) : bareAddress(r))) throw invalid('recipients', `holds ${JSON.stringify(r)}, neither an address nor @domain`);
  if (o.auth && (!Array.isArray(o.auth.users) || o.auth.users.length === 0 || o.auth.users.some((u) => !u.user || !u.pass))) throw invalid('auth.users', 'needs at least one { user, pass }');
  if (o.mailbox !== undefined && !bareAddress(o.mailbox)) throw invalid('mailbox', 'is not an e-mail address');
  if (o.customer && (!o.customer.object || !o.customer.emailField)) throw invalid('customer', 'needs object and emailField');
}

/** An error carrying the SMTP reply code that smtp-server sends back. */
function smtpError(code: number, err: Error): Error {
  return Object.assign(new Error(err.message), { responseCode: code });
}

const sha = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const group of list) for (const a of group.value) {
    if (a.address) {
      const b = bareAddress(a.address);
      if (b) out.push(b);
    }
    for (const member of a.group ?? []) if (member.address) {
      const b = bareAddress(member.address);
      if (b) out.push(b);
    }
  }
  return out;
}

/** The SMTP implementation of {@link EmailChannel}. */
export class SmtpEmailChannel implements EmailChannel, ServiceLifecycle {
  private readonly _onDidReceive = new Emitter<ReceivedEmail>();
  readonly onDidReceive = this._onDidReceive.event;
  private smtp: SMTPServer | undefined;
  private store: EmailStore | undefined;
  private logger: Logger = silentLogger();
  private services: ServiceLookup | undefined;
  private readonly users: { user: string; hash: Buffer }[];
  private readonly clock: Clock;
  /** Serializes the routing of one thread, so two messages of a thread never both open its contact. */
  private readonly threadLocks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly storage: StorageManager,
    private readonly comms: CommunicationServer,
    private readonly options: EmailChannelOptions,
  ) {
    validateOptions(options);
    this.users = (options.auth?.users ?? []).map((u) => ({ user: u.user, hash: sha(`${u.user}\u0000${u.pass}`) }));
    this.clock = options.clock ?? systemClock;
  }

  async start(ctx: ServiceContext): Promise<void> {
    this.logger = ctx.logger;
    this.services = ctx.services;
    this.store = await EmailStore.open(this.storage);
    // A crash between storing a message and queueing its contact: queue it now.
    for (const m of await this.store.unrouted()) await this.route(m.id, m.contactId, m, false);
    const o = this.options;
    const max = o.maxMessageBytes ?? 25 * 1024 * 1024;
    const smtp = new SMTPServer({
      name: o.serverName,
      banner: 'Caruso e-mail channel',
      size: max,
      logger: false,
      authOptional: !o.auth,
      ...(o.auth ? { authMethods: ['PLAIN', 'LOGIN'], allowInsecureAuth: o.auth.allowInsecure ?? false } : { disabledCommands: ['AUTH'] }),
      ...(o.tls ? { key: o.tls.key, cert: o.tls.cert } : { hideSTARTTLS: true, disabledCommands: o.auth ? ['STARTTLS'] : ['AUTH', 'STARTTLS'] }),
      onAuth: (auth, _session, cb) => {
        const given = sha(`${auth.username ?? ''}\u0000${auth.password ?? ''}`);
        let ok: string | undefined;
        for (const u of this.users) if (timingSafeEqual(u.hash, given)) ok ??= u.user;
        if (ok) cb(null, { user: ok });
        else cb(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, cb) => {
        const allowed = o.recipients;
        const addr = bareAddress(address.address)?.toLowerCase();
        if (!allowed || (addr && allowed.some((r) => (r.startsWith('@') ? addr.endsWith(r.toLowerCase()) : bareAddress(r)?.toLowerCase() === addr)))) cb();
        else cb(Object.assign(new Error('No such mailbox here'), { responseCode: 550 }));
      },
      onData: (stream, session, cb) => {
        this.receive(stream, session, max).then(
          () => cb(),
          (err: unknown) => cb(err as Error),
        );
      },
    });
    smtp.on('error', (err) => this.logger.warn({ err: { code: (err as NodeJS.ErrnoException).code } }, 'SMTP server error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(CommsErrors.CARUSO_COMMS_MAIL_INVALID_OPTIONS({ field: 'port', reason: `cannot listen (${(err as NodeJS.ErrnoException).code ?? err.message})` }, { cause: err }));
      smtp.server.once('error', onError);
      smtp.listen(o.port ?? 2525, o.host ?? '127.0.0.1', () => {
        smtp.server.off('error', onError);
        resolve();
      });
    });
    this.smtp = smtp;
    this.logger.info({ address: this.address(), auth: Boolean(o.auth), tls: Boolean(o.tls) }, 'e-mail channel listening');
  }

  async stop(): Promise<void> {
    const smtp = this.smtp;
    this.smtp = undefined;
    if (smtp) await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await Promise.allSettled([...this.threadLocks.values()]);
    this._onDidReceive.dispose();
  }

  health(): HealthStatus {
    return this.smtp ? { status: 'ok', detail: `SMTP on port ${this.address()?.port}` } : { status: 'down', detail: 'not listening' };
  }

  address(): { host: string; port: number } | undefined {
    const a = this.smtp?.server.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : undefined;
  }

  private get s(): EmailStore {
    if (!this.store) throw CommsErrors.CARUSO_COMMS_MAIL_STORE_FAILED({ reason: 'the e-mail channel is not started' });
    return this.store;
  }

  /** One SMTP DATA: read (bounded), parse, store, route; resolve only when durable (then 250 is sent). */
  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession, max: number): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    }
    if (stream.sizeExceeded || size > max) throw smtpError(552, CommsErrors.CARUSO_COMMS_MAIL_TOO_LARGE({ limit: max }));
    const raw = Buffer.concat(chunks);
    let parsed: ParsedMail;
    try {
      parsed = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true, keepCidLinks: true });
    } catch (err) {
      throw smtpError(550, CommsErrors.CARUSO_COMMS_MAIL_MALFORMED({ reason: 'the MIME structure is broken' }, { cause: err }));
    }
    const from = addresses(parsed.from)[0];
    if (!from) throw smtpError(550, CommsErrors.CARUSO_COMMS_MAIL_MALFORMED({ reason: 'no From address in the header' }));
    if (parsed.headers.size === 0) throw smtpError(550, CommsErrors.CARUSO_COMMS_MAIL_MALFORMED({ reason: 'no header' }));
    const messageId = (parsed.messageId && normalizeMessageId(parsed.messageId)) || `<${randomUUID()}@caruso.invalid>`;
    const inReplyTo = parsed.inReplyTo ? messageIdsIn(parsed.inReplyTo)[0] : undefined;
    const references = messageIdsIn(parsed.references);
    const to = addresses(parsed.to);
    if (to.length === 0) for (const r of session.envelope.rcptTo) { const b = bareAddress(r.address); if (b) to.push(b); }
    try {
      const existing = await this.s.byMessageId(messageId);
      if (existing) {
        // The same message again (the sender retried after a 451, or it was sent to two of our mailboxes).
        if (!existing.routed) await this.route(existing.id, existing.contactId, existing, false);
        return;
      }
      const threadIds = [...references, ...(inReplyTo && !references.includes(inReplyTo) ? [inReplyTo] : [])];
      const threadContact = await this.s.threadOf(threadIds);
      const contactId = threadContact ?? `email-${randomUUID()}`;
      const customerKey = await this.identify(from);
      const mail = {
        contactId,
        direction: 'inbound' as const,
        messageId,
        ...(inReplyTo ? { inReplyTo } : {}),
        references,
        from,
        replyTo: addresses(parsed.replyTo)[0] ?? from,
        to,
        subject: (parsed.subject ?? '').slice(0, 2_000),
        text: (parsed.text ?? '').replace(/\s+$/, ''),
        ...(typeof parsed.html === 'string' ? { html: parsed.html } : {}),
        at: this.clock.now(),
        ...(customerKey === undefined ? {} : { customerKey }),
        size: raw.length,
        routed: false,
        attachments: parsed.attachments.map((a, i) => ({
          filename: (a.filename ?? `attachment-${i + 1}`).replace(/[\r\n/\\]/g, '_').slice(0, 255),
          contentType: (a.contentType || 'application/octet-stream').slice(0, 255),
          content: a.content,
        })),
      };
      const id = await this.s.insert(mail);
      await this.route(id, contactId, mail, threadContact === undefined);
    } catch (err) {
      if (isCarusoError(err) && err.code === 'CARUSO_COMMS_MAIL_STORE_FAILED') throw smtpError(451, err);
      this.logger.error({ err: { code: (err as { code?: string }).code } }, 'inbound e-mail not stored or not queued; the sender was told to retry');
      throw smtpError(451, CommsErrors.CARUSO_COMMS_MAIL_STORE_FAILED({ reason: (err as { code?: string }).code ?? 'write failed' }, { cause: err }));
    }
  }

  /** Puts the thread's contact in the queue unless it is open already, then marks the row routed. */
  private async route(
    rowId: string,
    contactId: string,
    mail: Pick<StoredEmail, 'messageId' | 'subject' | 'from' | 'customerKey'>,
    newThread: boolean,
  ): Promise<void> {
    const previous = this.threadLocks.get(contactId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      let queued = false;
      if (this.comms.contact(contactId) === undefined) {
        try {
          await this.comms.enqueue({
            id: contactId,
            channel: 'email',
            queueId: this.options.queueId,
            ...(this.options.priority === undefined ? {} : { priority: this.options.priority }),
            data: { subject: mail.subject, from: mail.from, messageId: mail.messageId, ...(mail.customerKey === undefined ? {} : { customerKey: mail.customerKey }) },
          });
          queued = true;
        } catch (err) {
          if (!isCarusoError(err, 'CARUSO_COMMS_DUPLICATE')) throw err;
        }
      }
      await this.s.markRouted(rowId);
      this._onDidReceive.fire({ contactId, id: rowId, messageId: mail.messageId, newThread, queued });
    });
    this.threadLocks.set(contactId, run);
    try {
      await run;
    } finally {
      if (this.threadLocks.get(contactId) === run) this.threadLocks.delete(contactId);
    }
  }

  /** The customer the address identifies, through the business objects when they are registered. */
  private async identify(address: string): Promise<string | undefined> {
    const lookup = this.options.customer;
    if (!lookup || !this.services) return undefined;
    const objects = this.services.tryGet(BusinessObjects);
    if (!objects) return undefined;
    try {
      const repo = objects.repository(lookup.object);
      const found = await repo.query({ where: { [lookup.emailField]: address }, limit: 2 });
      if (found.length !== 1) return undefined;
      const key = repo.object.key.map((k) => String(found[0]![k]));
      return key.join('/');
    } catch (err) {
      // Linking is a convenience: the e-mail is still taken when the lookup fails.
      this.logger.warn({ err: { code: (err as { code?: string }).code } }, 'customer lookup by e-mail address failed');
      return undefined;
    }
  }

  messages(contactId: string): Promise<StoredEmail[]> {
    return this.s.thread(contactId);
  }

  attachment(attachmentId: string): Promise<StoredAttachment | undefined> {
    return this.s.attachment(attachmentId);
  }

  async reply(contactId: string, reply: EmailReply): Promise<StoredEmail & { readonly sent: SentMail }> {
    const thread = await this.s.thread(contactId);
    const last = [...thread].reverse().find((m) => m.direction === 'inbound');
    if (!last) throw CommsErrors.CARUSO_COMMS_MAIL_UNKNOWN_THREAD({ contact: contactId });
    const outbound = this.services?.tryGet(OutboundMail);
    if (!outbound) throw CommsErrors.CARUSO_COMMS_MAIL_SEND_FAILED({ relay: '(none)', reason: 'no caruso.comms.OutboundMail service is registered' });
    if (typeof reply?.text !== 'string') throw CommsErrors.CARUSO_COMMS_MAIL_INVALID_MESSAGE({ field: 'text', reason: 'must be a string' });
    const subject = /^re:/i.test(last.subject) ? last.subject : `Re: ${last.subject}`;
    const references = [...last.references.filter((r) => r !== last.messageId), last.messageId].slice(-30);
    const sent = await outbound.sendMail({
      to: last.replyTo,
      ...(this.options.mailbox ? { from: this.options.mailbox } : {}),
      subject: subject.replace(/[\r\n]+/g, ' '),
      text: reply.text,
      ...(reply.html === undefined ? {} : { html: reply.html }),
      ...(reply.attachments === undefined ? {} : { attachments: reply.attachments }),
      inReplyTo: last.messageId,
      references,
    });
    const mail = {
      contactId,
      direction: 'outbound' as const,
      messageId: sent.messageId,
      inReplyTo: last.messageId,
      references,
      from: this.options.mailbox ? bareAddress(this.options.mailbox)! : '',
      replyTo: this.options.mailbox ? bareAddress(this.options.mailbox)! : '',
      to: [last.replyTo],
      subject,
      text: reply.text,
      ...(reply.html === undefined ? {} : { html: reply.html }),
      at: this.clock.now(),
      ...(last.customerKey === undefined ? {} : { customerKey: last.customerKey }),
      size: 0,
      routed: true,
      attachments: (reply.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content) })),
    };
    let id: string;
    try {
      id = await this.s.insert(mail);
    } catch (err) {
      throw CommsErrors.CARUSO_COMMS_MAIL_STORE_FAILED({ reason: 'the reply was sent but not stored in the thread' }, { cause: err });
    }
    const stored = (await this.s.thread(contactId)).find((m) => m.id === id)!;
    return { ...stored, sent };
  }
}

/**
 * The e-mail channel as a service: register it under the {@link EmailChannel} token. It depends on
 * the storage manager and the communication server; it uses the `caruso.comms.OutboundMail` service
 * for replies and the `caruso.objects` service to identify customers, when they are registered.
 * @example
 * services.register(EmailChannel, emailChannel({ queueId: 'email', port: 2525, recipients: ['@support.example.com'] }));
 * @throws CARUSO_COMMS_MAIL_INVALID_OPTIONS at once for invalid options.
 */
export function emailChannel(
  options: EmailChannelOptions,
): ServiceDefinition<EmailChannel, { storage: { token: typeof StorageManager }; comms: { token: typeof CommunicationServer } }> {
  validateOptions(options);
  return {
    version: EMAIL_CHANNEL_VERSION,
    dependencies: { storage: { token: StorageManager }, comms: { token: CommunicationServer } },
    create: ({ storage, comms }) => new SmtpEmailChannel(storage, comms, options),
  };
}
