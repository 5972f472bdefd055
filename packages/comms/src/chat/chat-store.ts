import type { Migration, StorageManager } from '@caruso/storage';
import type { ChatEndReason, ChatInfo, ChatMessage, ChatSender } from './chat-channel.js';

/** Table names and the migration scope of the chat channel. */
export const CHAT_TABLES = { chats: 'caruso_chats', messages: 'caruso_chat_messages', scope: 'comms-chat' } as const;

const C = CHAT_TABLES.chats;
const M = CHAT_TABLES.messages;

const migrations: Migration[] = [
  {
    id: '0001-chats',
    up: async (trx) => {
      await trx.schema.createTable(C, (t) => {
        t.string('id', 128).primary();
        t.string('queue_id', 128).notNullable();
        t.string('token_hash', 64).notNullable().unique();
        t.string('state', 10).notNullable().index();
        t.string('customer_name', 200).nullable();
        t.string('customer_key', 200).nullable();
        t.string('subject', 500).nullable();
        t.integer('priority').notNullable();
        t.string('agent_id', 128).nullable();
        t.bigInteger('opened_at').notNullable();
        t.bigInteger('ended_at').nullable();
        t.string('end_reason', 20).nullable();
        t.integer('customer_read_seq').notNullable();
        t.integer('agent_read_seq').notNullable();
      });
      await trx.schema.createTable(M, (t) => {
        t.string('chat_id', 128).notNullable().references('id').inTable(C).onDelete('CASCADE');
        t.integer('seq').notNullable();
        t.string('sender', 10).notNullable();
        t.string('agent_id', 128).nullable();
        t.text('text').notNullable();
        t.bigInteger('at').notNullable();
        t.bigInteger('delivered_at').nullable();
        t.primary(['chat_id', 'seq']);
      });
    },
    down: async (trx) => {
      await trx.schema.dropTable(M);
      await trx.schema.dropTable(C);
    },
  },
];

interface ChatRow {
  id: string;
  queue_id: string;
  token_hash: string;
  state: string;
  customer_name: string | null;
  customer_key: string | null;
  subject: string | null;
  priority: number;
  agent_id: string | null;
  opened_at: number | string;
  ended_at: number | string | null;
  end_reason: string | null;
  customer_read_seq: number;
  agent_read_seq: number;
}

/** A stored chat with what the hub needs to resume it. */
export interface StoredChat extends ChatInfo {
  readonly tokenHash: string;
  readonly priority: number;
  /** The highest message seq. */
  readonly lastSeq: number;
}

function toInfo(r: ChatRow, lastSeq: number): StoredChat {
  return {
    chatId: r.id,
    queueId: r.queue_id,
    state: r.state === 'ended' ? 'ended' : 'open',
    ...(r.customer_name === null ? {} : { customerName: r.customer_name }),
    ...(r.customer_key === null ? {} : { customerKey: r.customer_key }),
    ...(r.subject === null ? {} : { subject: r.subject }),
    ...(r.agent_id === null ? {} : { agentId: r.agent_id }),
    openedAt: Number(r.opened_at),
    ...(r.ended_at === null ? {} : { endedAt: Number(r.ended_at) }),
    ...(r.end_reason === null ? {} : { endReason: r.end_reason as ChatEndReason }),
    customerReadSeq: Number(r.customer_read_seq),
    agentReadSeq: Number(r.agent_read_seq),
    tokenHash: r.token_hash,
    priority: Number(r.priority),
    lastSeq,
  };
}

/** Durable chats and transcripts through the storage manager (SQLite or PostgreSQL). */
export class ChatStore {
  private constructor(private readonly storage: StorageManager) {}

  /** Applies the channel's migrations (scope `comms-chat`). */
  static async open(storage: StorageManager): Promise<ChatStore> {
    await storage.migrate(migrations, { scope: CHAT_TABLES.scope });
    return new ChatStore(storage);
  }

  async insertChat(c: { id: string; queueId: string; tokenHash: string; customerName?: string; customerKey?: string; subject?: string; priority: number; at: number }): Promise<void> {
    await this.storage.knex(C).insert({
      id: c.id,
      queue_id: c.queueId,
      token_hash: c.tokenHash,
      state: 'open',
      customer_name: c.customerName ?? null,
      customer_key: c.customerKey ?? null,
      subject: c.subject ?? null,
      priority: c.priority,
      agent_id: null,
      opened_at: c.at,
      ended_at: null,
      end_reason: null,
      customer_read_seq: 0,
      agent_read_seq: 0,
    });
  }

  async deleteChat(id: string): Promise<void> {
    await this.storage.knex(C).where({ id }).delete();
  }

  async setAgent(id: string, agentId: string | null): Promise<void> {
    await this.storage.knex(C).where({ id }).update({ agent_id: agentId });
  }

  async end(id: string, reason: ChatEndReason, at: number): Promise<void> {
    await this.storage.knex(C).where({ id, state: 'open' }).update({ state: 'ended', ended_at: at, end_reason: reason });
  }

  async markRead(id: string, by: ChatSender, upTo: number): Promise<void> {
    const col = by === 'customer' ? 'customer_read_seq' : 'agent_read_seq';
    await this.storage.knex(C).where({ id }).andWhere(col, '<', upTo).update({ [col]: upTo });
  }

  async insertMessage(m: Omit<ChatMessage, 'deliveredAt'>): Promise<void> {
    await this.storage.knex(M).insert({ chat_id: m.chatId, seq: m.seq, sender: m.from, agent_id: m.agentId ?? null, text: m.text, at: m.at, delivered_at: null });
  }

  async markDelivered(chatId: string, seqs: readonly number[], at: number): Promise<void> {
    if (seqs.length === 0) return;
    await this.storage.knex(M).where({ chat_id: chatId }).whereIn('seq', [...seqs]).whereNull('delivered_at').update({ delivered_at: at });
  }

  async chat(id: string): Promise<StoredChat | undefined> {
    const row = (await this.storage.knex(C).where({ id }).first()) as ChatRow | undefined;
    if (!row) return undefined;
    return toInfo(row, await this.lastSeq(id));
  }

  async openChats(): Promise<StoredChat[]> {
    const rows = (await this.storage.knex(C).where({ state: 'open' }).orderBy('opened_at')) as ChatRow[];
    const out: StoredChat[] = [];
    for (const r of rows) out.push(toInfo(r, await this.lastSeq(r.id)));
    return out;
  }

  async transcript(chatId: string): Promise<ChatMessage[]> {
    const rows = (await this.storage.knex(M).where({ chat_id: chatId }).orderBy('seq')) as Array<{
      chat_id: string;
      seq: number;
      sender: string;
      agent_id: string | null;
      text: string;
      at: number | string;
      delivered_at: number | string | null;
    }>;
    return rows.map((r) => ({
      chatId: r.chat_id,
      seq: Number(r.seq),
      from: r.sender === 'agent' ? 'agent' : 'customer',
      ...(r.agent_id === null ? {} : { agentId: r.agent_id }),
      text: r.text,
      at: Number(r.at),
      ...(r.delivered_at === null ? {} : { deliveredAt: Number(r.delivered_at) }),
    }));
  }

  private async lastSeq(chatId: string): Promise<number> {
    const r = (await this.storage.knex(M).where({ chat_id: chatId }).max({ s: 'seq' }).first()) as { s: number | string | null } | undefined;
    return Number(r?.s ?? 0);
  }
}
