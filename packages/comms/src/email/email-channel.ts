import { createToken, type Event } from '@caruso/kernel';
import type { MailAttachment, SentMail } from './outbound-mail.js';

/** An attachment of a stored e-mail, without its bytes (fetch them with {@link EmailChannel.attachment}). */
export interface StoredAttachmentInfo {
  readonly id: string;
  readonly filename: string;
  readonly contentType: string;
  /** Size in bytes. */
  readonly size: number;
}

/** An attachment with its bytes. */
export interface StoredAttachment extends StoredAttachmentInfo {
  readonly content: Buffer;
}

/** One e-mail of a thread, as stored (inbound from a customer, or an agent's reply). */
export interface StoredEmail {
  /** Row id. */
  readonly id: string;
  /** The contact (thread) it belongs to. */
  readonly contactId: string;
  readonly direction: 'inbound' | 'outbound';
  /** The Message-ID header, with angle brackets. */
  readonly messageId: string;
  readonly inReplyTo?: string;
  /** The References header, oldest first. */
  readonly references: readonly string[];
  /** The sender's bare address. */
  readonly from: string;
  /** Where replies go (Reply-To, else From). */
  readonly replyTo: string;
  /** Bare recipient addresses. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** When it was received or sent (ms since the epoch). */
  readonly at: number;
  /** The key of the customer the sender address identified, when one did. */
  readonly customerKey?: string;
  readonly attachments: readonly StoredAttachmentInfo[];
}

/** An agent's answer to an e-mail contact. */
export interface EmailReply {
  readonly text: string;
  readonly html?: string;
  readonly attachments?: readonly MailAttachment[];
}

/** What {@link EmailChannel.onDidReceive} reports. */
export interface ReceivedEmail {
  readonly contactId: string;
  /** Row id of the stored message. */
  readonly id: string;
  readonly messageId: string;
  /** True when it started a new thread, false when it joined the thread of an existing contact. */
  readonly newThread: boolean;
  /** True when the thread's contact was put (back) in the queue because of this message. */
  readonly queued: boolean;
}

/**
 * The e-mail channel: an SMTP server that receives customers' mail, stores it durably (bodies and
 * attachments), threads it into contacts by Message-ID / In-Reply-To / References, and puts new
 * threads into the unified queue (channel `email`); agents answer through {@link reply}, which
 * keeps the thread headers.
 */
export interface EmailChannel {
  /** Where the SMTP server listens (the real port when 0 was configured), or undefined when not listening. */
  address(): { readonly host: string; readonly port: number } | undefined;
  /**
   * The messages of a contact's thread, oldest first (empty for a contact that has none).
   */
  messages(contactId: string): Promise<StoredEmail[]>;
  /** An attachment with its bytes, or undefined. */
  attachment(attachmentId: string): Promise<StoredAttachment | undefined>;
  /**
   * Answers the last inbound message of the contact: to its Reply-To/From, subject `Re: …`,
   * In-Reply-To and References set so that the customer's mail program threads it; sent through
   * the {@link OutboundMail} service, then stored in the thread.
   * Rejects with CARUSO_COMMS_MAIL_UNKNOWN_THREAD, CARUSO_COMMS_MAIL_INVALID_MESSAGE or
   * CARUSO_COMMS_MAIL_SEND_FAILED (also when no OutboundMail service is registered).
   * Note: it does not complete the contact; the agent's desktop does that through the communication server.
   */
  reply(contactId: string, reply: EmailReply): Promise<StoredEmail & { readonly sent: SentMail }>;
  /** Fires after an inbound message was stored (and queued) and acknowledged to the sender. */
  readonly onDidReceive: Event<ReceivedEmail>;
}

/** The token of the e-mail channel. */
export const EmailChannel = createToken<EmailChannel>('caruso.comms.EmailChannel');
