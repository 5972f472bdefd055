import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ServiceDefinition } from '@caruso/kernel';
import { validateOutgoingMail, type OutboundMail, type OutgoingMail, type SentMail } from '@caruso/comms';
import { UtilityErrors } from '../errors.js';

/**
 * The configuration as an assembly's `<service>` passes it: `folder` (where the messages are written,
 * absolute; `<config name="folder" path="data/outbox"/>`) and `from` (the sender when a message names
 * none).
 */
export interface DemoOutboxConfig {
  readonly folder?: string;
  readonly from?: string;
  readonly version?: string;
}

const KNOWN = new Set(['folder', 'from', 'version']);
const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);

/** RFC 2047 for a header with non-ASCII characters (a Dutch subject with é or ë). */
function header(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** Base64 in lines of 76 characters. */
function base64Lines(bytes: Uint8Array): string {
  return (Buffer.from(bytes).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** The message as an RFC 5322 file (.eml): any mail program opens it. */
export function toEml(mail: OutgoingMail, from: string, messageId: string, date: Date): string {
  const head = [
    `From: ${mail.from ?? from}`,
    `To: ${list(mail.to).join(', ')}`,
    ...(mail.cc === undefined ? [] : [`Cc: ${list(mail.cc).join(', ')}`]),
    ...(mail.replyTo === undefined ? [] : [`Reply-To: ${mail.replyTo}`]),
    `Subject: ${header(mail.subject)}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: ${messageId}`,
    ...(mail.inReplyTo === undefined ? [] : [`In-Reply-To: ${mail.inReplyTo.startsWith('<') ? mail.inReplyTo : `<${mail.inReplyTo}>`}`]),
    ...(mail.references?.length ? [`References: ${mail.references.map((r) => (r.startsWith('<') ? r : `<${r}>`)).join(' ')}`] : []),
    'MIME-Version: 1.0',
  ];
  const text = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', base64Lines(Buffer.from(mail.text, 'utf8'))];
  if (!mail.attachments?.length && mail.html === undefined) return [...head, ...text, ''].join('\r\n');
  const boundary = `demo-outbox-${randomUUID()}`;
  const parts = [text.join('\r\n')];
  if (mail.html !== undefined) parts.push(['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', '', base64Lines(Buffer.from(mail.html, 'utf8'))].join('\r\n'));
  for (const a of mail.attachments ?? []) {
    parts.push([`Content-Type: ${a.contentType}; name="${a.filename}"`, 'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="${a.filename}"`, '', base64Lines(a.content)].join('\r\n'));
  }
  return [...head, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', ...parts.map((p) => `--${boundary}\r\n${p}`), `--${boundary}--`, ''].join('\r\n');
}

/**
 * Outbound mail for the demo: instead of handing messages to an SMTP relay, writes each one as an
 * `.eml` file into a folder (the move-house confirmation, voicemail notifications, agents' replies to
 * e-mails). Registered under the `caruso.comms.OutboundMail` token in place of the relay, so that the
 * demo runs on a machine without a mail server.
 */
class FolderOutbox implements OutboundMail {
  constructor(private readonly folder: string, private readonly from: string) {}

  async sendMail(mail: OutgoingMail): Promise<SentMail> {
    validateOutgoingMail(mail);
    const date = new Date();
    const id = randomUUID();
    const messageId = `<${id}@${this.from.replace(/^.*@/, '').replace(/>$/, '') || 'demo.invalid'}>`;
    await mkdir(this.folder, { recursive: true });
    const file = join(this.folder, `${date.toISOString().replace(/[:.]/g, '-')}-${id.slice(0, 8)}.eml`);
    await writeFile(file, toEml(mail, this.from, messageId, date), { encoding: 'utf8', flag: 'wx' });
    return { messageId, accepted: [...list(mail.to), ...list(mail.cc)], rejected: [] };
  }
}

/**
 * The factory an assembly loads: `<service token="caruso.comms.OutboundMail" module="dist/index.js"
 * export="demoOutboxService">` with `<config name="folder" path="data/outbox"/>`. Throws
 * CARUSO_UTILITY_BAD_CONFIG for an unknown setting, a relative or missing folder or a bad sender.
 */
export function demoOutboxService(config: DemoOutboxConfig = {}): ServiceDefinition<OutboundMail> {
  if (typeof config !== 'object' || config === null) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: 'expected a configuration object' });
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key)) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `unknown setting '${key}' (known: ${[...KNOWN].join(', ')})` });
  }
  const folder = config.folder;
  if (!folder || !isAbsolute(folder)) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: "folder must be given with path=\"…\" (e.g. <config name=\"folder\" path=\"data/outbox\"/>)" });
  const from = config.from ?? 'klantenservice@stadsenergie.example';
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(from)) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `from must be an e-mail address, got '${from}'` });
  return {
    version: config.version ?? '1.0.0',
    properties: { outbox: 'folder' },
    create: () => new FolderOutbox(folder, from),
  };
}
