import { createToken } from '@caruso/kernel';

/** A file attached to an outgoing e-mail. */
export interface MailAttachment {
  /** The file name the recipient sees, e.g. `voicemail-2024-05-01.wav`. No path separators. */
  readonly filename: string;
  /** The bytes (a Node `Buffer` is fine). */
  readonly content: Uint8Array;
  /** MIME type, e.g. `audio/wav`, `application/pdf`. */
  readonly contentType: string;
}

/** An e-mail to send. Addresses are plain (`anna@example.com`) or with a name (`Anna <anna@example.com>`). */
export interface OutgoingMail {
  /** One or more recipients. */
  readonly to: string | readonly string[];
  readonly cc?: string | readonly string[];
  /** The sender; default: the relay's configured `from`. */
  readonly from?: string;
  /** Where replies should go (e.g. the support mailbox that the inbound SMTP channel serves). */
  readonly replyTo?: string;
  /** One line; no line breaks. */
  readonly subject: string;
  /** The plain-text body (always sent). */
  readonly text: string;
  /** An HTML alternative of the body. */
  readonly html?: string;
  readonly attachments?: readonly MailAttachment[];
  /** The Message-ID this mail answers (with or without angle brackets); threads the reply. */
  readonly inReplyTo?: string;
  /** The Message-IDs of the thread, oldest first; the `inReplyTo` one last. */
  readonly references?: readonly string[];
}

/** What {@link OutboundMail.sendMail} returns once the relay accepted the message. */
export interface SentMail {
  /** The Message-ID given to the message, with angle brackets, e.g. `<5f2c…@example.com>`. */
  readonly messageId: string;
  /** Recipients the relay accepted. */
  readonly accepted: readonly string[];
  /** Recipients the relay refused (the message went to the others). */
  readonly rejected: readonly string[];
}

/**
 * Sending e-mail (voicemail notifications, agents' replies, dialogue-script actions). Registered
 * under the {@link OutboundMail} token; the SMTP relay implementation is `smtpRelayMail(options)`.
 */
export interface OutboundMail {
  /**
   * Sends one message and resolves once the relay has accepted it.
   * @param mail the message; validated first.
   * @returns the Message-ID the message was sent with (keep it to thread replies).
   * Rejects with CARUSO_COMMS_MAIL_INVALID_MESSAGE (bad address, a line break in the subject, a
   * malformed attachment; nothing is sent) or CARUSO_COMMS_MAIL_SEND_FAILED (the relay refused
   * every recipient or could not be reached).
   * Note: no retry queue: a caller that must not lose the message retries on SEND_FAILED.
   */
  sendMail(mail: OutgoingMail): Promise<SentMail>;
}

/** The token of the outbound mail service. */
export const OutboundMail = createToken<OutboundMail>('caruso.comms.OutboundMail');
