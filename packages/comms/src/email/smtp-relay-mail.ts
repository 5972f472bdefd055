import { randomUUID } from 'node:crypto';
import { silentLogger, type HealthStatus, type Logger, type ServiceContext, type ServiceDefinition, type ServiceLifecycle } from '@caruso/kernel';
import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { CommsErrors } from '../errors.js';
import { bareAddress, domainOf, messageIdsIn, normalizeMessageId } from './mail-address.js';
import type { OutboundMail, OutgoingMail, SentMail } from './outbound-mail.js';

/** The version of the SMTP relay implementation, as registered. */
export const SMTP_RELAY_MAIL_VERSION = '0.1.0';

/** Options of {@link smtpRelayMail}: where the relay is and who sends. */
export interface SmtpRelayOptions {
  /** Relay host name or address. */
  readonly host: string;
  /** Default 587 (465 when `secure`). */
  readonly port?: number;
  /** TLS from the first byte (port 465). Default false: STARTTLS when the relay offers it. */
  readonly secure?: boolean;
  /** Refuse to send unless the relay upgrades with STARTTLS. Default false. */
  readonly requireTLS?: boolean;
  /** Accept a relay certificate that does not verify (test relays only). Default false. */
  readonly allowInvalidCertificate?: boolean;
  /**
   * Log-in at the relay. Note: take these from the environment in an assembly
   * ({@link smtpRelayOptionsFromEnv}); they are never logged.
   */
  readonly auth?: { readonly user: string; readonly pass: string };
  /** The default sender, e.g. `Support <support@example.com>`. */
  readonly from: string;
  /** The domain of generated Message-IDs (default: the domain of `from`). */
  readonly messageIdDomain?: string;
  /** Connection, greeting and socket time-outs (default 30 s). */
  readonly timeoutMs?: number;
  /** Name announced in EHLO (default: the host name). */
  readonly clientName?: string;
}

function invalidOption(field: string, reason: string): Error {
  return CommsErrors.CARUSO_COMMS_MAIL_INVALID_OPTIONS({ field, reason });
}

/**
 * Reads relay options from environment variables (`<prefix>HOST`, `PORT`, `SECURE`, `USER`, `PASS`,
 * `FROM`), so that credentials stay out of assembly files. Default prefix `CARUSO_SMTP_`.
 * Throws CARUSO_COMMS_MAIL_INVALID_OPTIONS when HOST or FROM is missing or PORT is not a number.
 */
export function smtpRelayOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, prefix = 'CARUSO_SMTP_'): SmtpRelayOptions {
  const host = env[`${prefix}HOST`];
  const from = env[`${prefix}FROM`];
  if (!host) throw invalidOption(`${prefix}HOST`, 'is not set');
  if (!from) throw invalidOption(`${prefix}FROM`, 'is not set');
  const portText = env[`${prefix}PORT`];
  const port = portText === undefined || portText === '' ? undefined : Number(portText);
  if (port !== undefined && !Number.isInteger(port)) throw invalidOption(`${prefix}PORT`, 'is not a number');
  const user = env[`${prefix}USER`];
  const pass = env[`${prefix}PASS`];
  if (Boolean(user) !== Boolean(pass)) throw invalidOption(`${prefix}USER/${prefix}PASS`, 'must be set together');
  return {
    host,
    from,
    ...(port === undefined ? {} : { port }),
    ...(env[`${prefix}SECURE`] === 'true' ? { secure: true } : {}),
    ...(user && pass ? { auth: { user, pass } } : {}),
  };
}

function validateOptions(o: SmtpRelayOptions): void {
  if (!o || typeof o.host !== 'string' || o.host.length === 0) throw invalidOption('host', 'is required');
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 1 || o.port > 65_535)) throw invalidOption('port', 'must be an integer from 1 to 65535');
  if (typeof o.from !== 'string' || !bareAddress(o.from)) throw invalidOption('from', 'is not an e-mail address');
  if (o.auth && (typeof o.auth.user !== 'string' || typeof o.auth.pass !== 'string')) throw invalidOption('auth', 'needs user and pass');
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0)) throw invalidOption('timeoutMs', 'must be positive');
  if (o.messageIdDomain !== undefined && !/^[A-Za-z0-9.-]+$/.test(o.messageIdDomain)) throw invalidOption('messageIdDomain', 'is not a domain name');
}

function addressList(field: string, value: string | readonly string[] | undefined, required: boolean): string[] {
  const list = value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
  if (required && list.length === 0) throw CommsErrors.CARUSO_COMMS_MAIL_INVALID_MESSAGE({ field, reason: 'needs at least one address' });
  for (const a of list) {
    if (typeof a !== 'string' || !bareAddress(a)) throw CommsErrors.CARUSO_COMMS_MAIL_INVALID_MESSAGE({ field, reason: 'holds something that is not an e-mail address' });
  }
  return list;
}

/** Validates an outgoing mail; throws CARUSO_COMMS_MAIL_INVALID_MESSAGE naming the field. */
export function validateOutgoingMail(mail: OutgoingMail): void {
  const bad = (field: string, reason: string) => CommsErrors.CARUSO_COMMS_MAIL_INVALID_MESSAGE({ field, reason });
  if (typeof mail !== 'object' || mail === null) throw bad('message', 'is not an object');
  addressList('to', mail.to, true);
  addressList('cc', mail.cc, false);
  if (mail.from !== undefined) addressList('from', mail.from, true);
  if (mail.replyTo !== undefined) addressList('replyTo', mail.replyTo, true);
  if (typeof mail.subject !== 'string') throw bad('subject', 'must be a string');
  if (/[\r\n]/.test(mail.subject)) throw bad('subject', 'must not contain a line break');
  if (typeof mail.text !== 'string') throw bad('text', 'must be a string');
  if (mail.html !== undefined && typeof mail.html !== 'string') throw bad('html', 'must be a string');
  if (mail.inReplyTo !== undefined && (typeof mail.inReplyTo !== 'string' || !normalizeMessageId(mail.inReplyTo))) throw bad('inReplyTo', 'is not a Message-ID');
  if (mail.references !== undefined) {
    if (!Array.isArray(mail.references)) throw bad('references', 'must be a list of Message-IDs');
    for (const r of mail.references) if (typeof r !== 'string' || !normalizeMessageId(r)) throw bad('references', 'holds something that is not a Message-ID');
  }
  for (const [i, a] of (mail.attachments ?? []).entries()) {
    const field = `attachments[${i}]`;
    if (typeof a?.filename !== 'string' || a.filename.length === 0 || /[\r\n/\\]/.test(a.filename)) throw bad(`${field}.filename`, 'must be a file name without path or line breaks');
    if (!(a.content instanceof Uint8Array)) throw bad(`${field}.content`, 'must be bytes (a Buffer)');
    if (typeof a.contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(a.contentType)) throw bad(`${field}.contentType`, 'is not a MIME type');
  }
}

/**
 * The SMTP relay implementation of {@link OutboundMail} (nodemailer, one pooled transport).
 * Note: the relay's password is held only inside the transport and never logged.
 */
export class SmtpRelayMail implements OutboundMail, ServiceLifecycle {
  private transport: Transporter<SMTPTransport.SentMessageInfo> | undefined;
  private logger: Logger;
  private readonly idDomain: string;

  constructor(private readonly options: SmtpRelayOptions, logger?: Logger) {
    validateOptions(options);
    this.logger = logger ?? silentLogger();
    this.idDomain = options.messageIdDomain ?? domainOf(options.from) ?? 'localhost';
  }

  /** The relay as shown in messages and logs (host and port, never the credentials). */
  get relay(): string {
    return `${this.options.host}:${this.port}`;
  }

  private get port(): number {
    return this.options.port ?? (this.options.secure ? 465 : 587);
  }

  start(ctx: ServiceContext): void {
    this.logger = ctx.logger;
    this.open();
    this.logger.info({ relay: this.relay, auth: Boolean(this.options.auth) }, 'outbound mail relay configured');
  }

  private open(): Transporter<SMTPTransport.SentMessageInfo> {
    if (this.transport) return this.transport;
    const timeout = this.options.timeoutMs ?? 30_000;
    const o = this.options;
    const transportOptions: SMTPTransport.Options = {
      host: o.host,
      port: this.port,
      secure: o.secure ?? false,
      requireTLS: o.requireTLS ?? false,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(o.clientName ? { name: o.clientName } : {}),
      ...(o.auth ? { auth: { user: o.auth.user, pass: o.auth.pass } } : {}),
      tls: { rejectUnauthorized: !(o.allowInvalidCertificate ?? false) },
      logger: false,
      debug: false,
    };
    this.transport = createTransport(transportOptions);
    return this.transport;
  }

  /** A new Message-ID of this sender's domain. */
  newMessageId(): string {
    return `<${randomUUID()}@${this.idDomain}>`;
  }

  async sendMail(mail: OutgoingMail): Promise<SentMail> {
    validateOutgoingMail(mail);
    const messageId = this.newMessageId();
    const inReplyTo = mail.inReplyTo === undefined ? undefined : normalizeMessageId(mail.inReplyTo);
    const references = messageIdsIn(mail.references ?? []);
    if (inReplyTo && !references.includes(inReplyTo)) references.push(inReplyTo);
    const message: SendMailOptions = {
      from: mail.from ?? this.options.from,
      to: typeof mail.to === 'string' ? mail.to : [...mail.to],
      ...(mail.cc === undefined ? {} : { cc: typeof mail.cc === 'string' ? mail.cc : [...mail.cc] }),
      ...(mail.replyTo === undefined ? {} : { replyTo: mail.replyTo }),
      subject: mail.subject,
      text: mail.text,
      ...(mail.html === undefined ? {} : { html: mail.html }),
      messageId,
      ...(inReplyTo ? { inReplyTo } : {}),
      ...(references.length > 0 ? { references } : {}),
      attachments: (mail.attachments ?? []).map((a) => ({ filename: a.filename, content: Buffer.from(a.content), contentType: a.contentType })),
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    let info: SMTPTransport.SentMessageInfo;
    try {
      info = await this.open().sendMail(message);
    } catch (err) {
      const reason = (err as { code?: string; responseCode?: number }).responseCode
        ? `SMTP ${(err as { responseCode?: number }).responseCode}`
        : ((err as { code?: string }).code ?? 'connection failed');
      this.logger.warn({ relay: this.relay, reason }, 'outbound mail not sent');
      throw CommsErrors.CARUSO_COMMS_MAIL_SEND_FAILED({ relay: this.relay, reason }, { cause: err });
    }
    const accepted = (info.accepted ?? []).map(String);
    const rejected = (info.rejected ?? []).map(String);
    this.logger.debug({ relay: this.relay, accepted: accepted.length, rejected: rejected.length }, 'outbound mail sent');
    return { messageId, accepted, rejected };
  }

  stop(): void {
    this.transport?.close();
    this.transport = undefined;
  }

  health(): HealthStatus {
    return { status: 'ok', detail: `relay ${this.relay}` };
  }
}

/**
 * The SMTP relay as a service: register it under the {@link OutboundMail} token.
 * @example
 * services.register(OutboundMail, smtpRelayMail(smtpRelayOptionsFromEnv(process.env)));
 * await services.get(OutboundMail).sendMail({ to: 'ada@example.org', subject: 'Your invoice', text: '…' });
 * @throws CARUSO_COMMS_MAIL_INVALID_OPTIONS at once for invalid options.
 */
export function smtpRelayMail(options: SmtpRelayOptions): ServiceDefinition<OutboundMail> {
  validateOptions(options);
  return {
    version: SMTP_RELAY_MAIL_VERSION,
    create: () => new SmtpRelayMail(options),
  };
}
