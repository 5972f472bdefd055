import { randomUUID } from 'node:crypto';
import type { Migration, StorageManager, StorageSession } from '@caruso/storage';
import type { StoredAttachment, StoredAttachmentInfo, StoredEmail } from './email-channel.js';

/** Table names and the migration scope of the e-mail channel. */
export const EMAIL_TABLES = { messages: 'caruso_email_messages', attachments: 'caruso_email_attachments', scope: 'comms-email' } as const;

const M = EMAIL_TABLES.messages;
const A = EMAIL_TABLES.attachments;

const migrations: Migration[] = [
  {
    id: '0001-email-messages',
    up: async (trx) => {
      await trx.schema.createTable(M, (t) => {
        t.string('id', 64).primary();
        t.string('contact_id', 128).notNullable().index();
        t.string('direction', 10).notNullable();
        t.string('message_id', 512).notNullable().unique();
        t.string('in_reply_to', 512).nullable();
        t.text('references_json').notNullable();
        t.string('from_address', 320).notNullable();
        t.string('reply_to', 320).notNullable();
        t.text('to_json').notNullable();
        t.text('subject').notNullable();
        t.text('text_body').notNullable();
        t.text('html_body').nullable();
        t.bigInteger('at').notNullable();
        t.string('customer_key', 200).nullable();
        t.integer('size').notNullable();
        // Inbound only: whether the thread's contact was queued for this message (false between the
        // write and the queueing; such rows are queued again on start).
        t.boolean('routed').notNullable();
      });
      await trx.schema.createTable(A, (t) => {
        t.string('id', 64).primary();
        t.string('message_row', 64).notNullable().references('id').inTable(M).onDelete('CASCADE').index();
        t.integer('position').notNullable();
        t.string('filename', 255).notNullable();
        t.string('content_type', 255).notNullable();
        t.integer('size').notNullable();
        t.binary('content').notNullable();
      });
    },
    down: async (trx) => {
      await trx.schema.dropTable(A);
      await trx.schema.dropTable(M);
    },
  },
];

/** A message to write (the row id is generated). */
export type NewEmail = Omit<StoredEmail, 'id' | 'attachments'> & {
  readonly size: number;
  readonly routed: boolean;
  readonly attachments: readonly { readonly filename: string; readonly contentType: string; readonly content: Buffer }[];
};

interface MessageRow {
  id: string;
  contact_id: string;
  direction: string;
  message_id: string;
  in_reply_to: string | null;
  references_json: string;
  from_address: string;
  reply_to: string;
  to_json: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  at: number | string;
  customer_key: string | null;
  size: number;
  routed: boolean | number;
}

/** Durable storage of e-mail threads through the storage manager (SQLite or PostgreSQL). */
export class EmailStore {
  private constructor(private readonly storage: StorageManager) {}

  /** Applies the channel's migrations (scope `comms-email`) and returns the store. */
  static async open(storage: StorageManager): Promise<EmailStore> {
    await storage.migrate(migrations, { scope: EMAIL_TABLES.scope });
    return new EmailStore(storage);
  }

  /** Writes a message and its attachments in one transaction; returns its row id. */
  async insert(mail: NewEmail): Promise<string> {
    const id = randomUUID();
    await this.storage.transaction(async (trx) => {
      await trx.knex(M).insert({
        id,
        contact_id: mail.contactId,
        direction: mail.direction,
        message_id: mail.messageId,
        in_reply_to: mail.inReplyTo ?? null,
        references_json: JSON.stringify(mail.references),
        from_address: mail.from,
        reply_to: mail.replyTo,
        to_json: JSON.stringify(mail.to),
        subject: mail.subject,
        text_body: mail.text,
        html_body: mail.html ?? null,
        at: mail.at,
        customer_key: mail.customerKey ?? null,
        size: mail.size,
        routed: mail.routed,
      });
      for (const [position, a] of mail.attachments.entries()) {
        await trx.knex(A).insert({
          id: randomUUID(),
          message_row: id,
          position,
          filename: a.filename,
          content_type: a.contentType,
          size: a.content.length,
          content: a.content,
        });
      }
    });
    return id;
  }

  /** Marks an inbound message as routed (its contact is in the queue or was already open). */
  async markRouted(id: string): Promise<void> {
    await this.storage.knex(M).where({ id }).update({ routed: true });
  }

  /** The message with this Message-ID, if stored. */
  async byMessageId(messageId: string): Promise<StoredEmail & { readonly routed: boolean } | undefined> {
    const row = (await this.storage.knex(M).where({ message_id: messageId }).first()) as MessageRow | undefined;
    if (!row) return undefined;
    return { ...(await this.withAttachments(this.storage, [row]))[0]!, routed: Boolean(row.routed) };
  }

  /** The contact of the newest stored message among these Message-IDs (the thread), if any. */
  async threadOf(messageIds: readonly string[]): Promise<string | undefined> {
    if (messageIds.length === 0) return undefined;
    const row = (await this.storage.knex(M).whereIn('message_id', messageIds.slice(-100)).orderBy('at', 'desc').first('contact_id')) as
      | { contact_id: string }
      | undefined;
    return row?.contact_id;
  }

  /** The messages of a contact, oldest first. */
  async thread(contactId: string): Promise<StoredEmail[]> {
    const rows = (await this.storage.knex(M).where({ contact_id: contactId }).orderBy([{ column: 'at' }, { column: 'id' }])) as MessageRow[];
    return this.withAttachments(this.storage, rows);
  }

  /** Inbound messages written but not routed (a crash between the write and the queueing). */
  async unrouted(): Promise<StoredEmail[]> {
    const rows = (await this.storage.knex(M).where({ direction: 'inbound', routed: false }).orderBy('at')) as MessageRow[];
    return this.withAttachments(this.storage, rows);
  }

  /** One attachment with its bytes. */
  async attachment(id: string): Promise<StoredAttachment | undefined> {
    const row = (await this.storage.knex(A).where({ id }).first()) as
      | { id: string; filename: string; content_type: string; size: number; content: Buffer | Uint8Array }
      | undefined;
    if (!row) return undefined;
    return { id: row.id, filename: row.filename, contentType: row.content_type, size: Number(row.size), content: Buffer.from(row.content) };
  }

  private async withAttachments(session: StorageSession, rows: MessageRow[]): Promise<StoredEmail[]> {
    if (rows.length === 0) return [];
    const atts = (await session.knex(A).whereIn('message_row', rows.map((r) => r.id)).orderBy([{ column: 'message_row' }, { column: 'position' }]).select('id', 'message_row', 'filename', 'content_type', 'size')) as Array<{
      id: string;
      message_row: string;
      filename: string;
      content_type: string;
      size: number;
    }>;
    const byRow = new Map<string, StoredAttachmentInfo[]>();
    for (const a of atts) {
      const list = byRow.get(a.message_row) ?? [];
      list.push({ id: a.id, filename: a.filename, contentType: a.content_type, size: Number(a.size) });
      byRow.set(a.message_row, list);
    }
    return rows.map((r) => ({
      id: r.id,
      contactId: r.contact_id,
      direction: r.direction === 'outbound' ? 'outbound' : 'inbound',
      messageId: r.message_id,
      ...(r.in_reply_to ? { inReplyTo: r.in_reply_to } : {}),
      references: JSON.parse(r.references_json) as string[],
      from: r.from_address,
      replyTo: r.reply_to,
      to: JSON.parse(r.to_json) as string[],
      subject: r.subject,
      text: r.text_body,
      ...(r.html_body === null ? {} : { html: r.html_body }),
      at: Number(r.at),
      ...(r.customer_key === null ? {} : { customerKey: r.customer_key }),
      attachments: byRow.get(r.id) ?? [],
    }));
  }
}
