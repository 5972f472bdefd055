import { createToken, type Event, type IDisposable } from '@caruso/kernel';
import type { WebSocket } from 'ws';

/** Who is on the other end of a chat socket, once authenticated. */
export type ChatPrincipal =
  | { readonly kind: 'customer'; readonly chatId: string }
  | { readonly kind: 'agent'; readonly agentId: string };

/** What a customer gives when opening a chat (from the web page or the self-service login). */
export interface OpenChatRequest {
  /** The name the customer typed, shown to the agent. */
  readonly customerName?: string;
  /** The customer's business-object key, when the customer is logged in to self-service. */
  readonly customerKey?: string;
  /** The queue (default: the channel's queue). */
  readonly queueId?: string;
  /** What it is about (a topic chosen on the page). */
  readonly subject?: string;
  /** Contact priority (default 0). */
  readonly priority?: number;
  /**
   * When the chat is opened before the customer's page connects (a self-service hand-off joins the
   * queue at once): the chat ends as `customer-gone` unless the customer connects within this time.
   * Default: it waits for them (the page connects right after opening).
   */
  readonly connectGraceMs?: number;
}

/** What {@link ChatChannel.openChat} returns. */
export interface OpenedChat {
  /** The chat's id, which is also its contact id in the communication server. */
  readonly chatId: string;
  /**
   * The chat-session token the customer's page authenticates its socket with.
   * Note: a secret: hand it to that browser only; it is stored as a digest and never logged.
   */
  readonly token: string;
}

/** Who wrote a chat message. */
export type ChatSender = 'customer' | 'agent';

/** One message of a transcript. */
export interface ChatMessage {
  readonly chatId: string;
  /** Position in the chat, from 1. */
  readonly seq: number;
  readonly from: ChatSender;
  /** The agent who wrote it (agent messages). */
  readonly agentId?: string;
  readonly text: string;
  /** When it was stored (ms since the epoch). */
  readonly at: number;
  /** When it reached the other side's socket, if it did. */
  readonly deliveredAt?: number;
}

/** Why a chat ended, as reported by {@link ChatChannel.onDidEnd}. */
export type ChatEndReason = 'customer-left' | 'customer-gone' | 'agent-left' | 'exited';

/**
 * A supervisor's private note to the agent of a contact: shown in the agent's chat panel marked as
 * private, never sent to the customer's window. Its id is the seq of its `note-added` event.
 */
export interface ChatNote {
  readonly chatId: string;
  readonly id: string;
  /** The supervisor's user name. */
  readonly from: string;
  readonly text: string;
  /** When it was logged (ms since the epoch). */
  readonly at: number;
}

/**
 * What a watcher of a live chat receives ({@link ChatChannel.watch}): every message once stored
 * (both sides), the agent joining, private notes, and the end. Read-only: a watcher writes nothing
 * into the chat.
 */
export type ChatWatchFrame =
  | { readonly type: 'message'; readonly chatId: string; readonly seq: number; readonly from: ChatSender; readonly agentId: string | null; readonly text: string; readonly at: number }
  | { readonly type: 'connected'; readonly chatId: string; readonly agentId: string }
  | ({ readonly type: 'note'; readonly private: true } & ChatNote)
  | { readonly type: 'ended'; readonly chatId: string; readonly reason: ChatEndReason };

/** A chat and its state. */
export interface ChatInfo {
  readonly chatId: string;
  readonly queueId: string;
  readonly state: 'open' | 'ended';
  readonly customerName?: string;
  readonly customerKey?: string;
  readonly subject?: string;
  /** The agent it is connected to. */
  readonly agentId?: string;
  readonly openedAt: number;
  readonly endedAt?: number;
  readonly endReason?: ChatEndReason;
  /** The last message each side has read (0: none). */
  readonly customerReadSeq: number;
  readonly agentReadSeq: number;
}

/**
 * A socket the hub can drive: what `ws` gives, also a socket that the front office's own HTTP
 * server upgraded.
 */
export type ChatSocket = WebSocket;

/**
 * The web-chat channel. A customer opens a chat (a contact of channel `chat` in the unified queue)
 * and connects a WebSocket with the chat-session token; agents connect theirs with the token
 * the front office's authenticator accepts; the agent accepting the offer links the two. Every
 * message is stored before it is acknowledged (`sent`), then delivered and read states follow.
 *
 * The wire protocol (JSON frames) is documented in docs/channels.md.
 */
export interface ChatChannel {
  /**
   * Opens a chat: stores it, issues the customer's chat-session token and queues the contact.
   * Resolves once both are durable. Rejects with CARUSO_COMMS_CHAT_INVALID_FRAME for bad input,
   * CARUSO_COMMS_UNKNOWN_QUEUE, or CARUSO_COMMS_CHAT_STORE_FAILED.
   */
  openChat(request?: OpenChatRequest): Promise<OpenedChat>;
  /** The customer principal a chat-session token stands for (undefined: unknown token or ended chat). */
  authenticateCustomer(token: string): ChatPrincipal | undefined;
  /**
   * Hands an already upgraded and authenticated socket to the hub (for a front office that serves
   * WebSockets on its own HTTP server). The hub owns the socket from then on and closes it when the
   * chat ends or the channel stops.
   */
  attach(socket: ChatSocket, principal: ChatPrincipal): void;
  /** The transcript of a chat, oldest first. */
  transcript(chatId: string): Promise<ChatMessage[]>;
  /** A chat and its state, or undefined. */
  chat(chatId: string): Promise<ChatInfo | undefined>;
  /**
   * Follows a live chat read-only (a supervisor watching): `listener` gets each frame of
   * {@link ChatWatchFrame} from now on, until the returned disposable is disposed or the chat ends
   * (after its `ended` frame). Read the transcript after subscribing and drop seqs already seen.
   * A listener's error is contained (logged). CARUSO_COMMS_CHAT_UNKNOWN_CHAT for a chat that is not
   * open.
   */
  watch(chatId: string, listener: (frame: ChatWatchFrame) => void): IDisposable;
  /**
   * Delivers a private note, already logged by the caller (`note-added`), to the sockets of the
   * chat's agent and to its watchers, as a `note` frame with `private: true`. Never to the customer.
   * Returns how many agent sockets it reached (0: the agent reads it on the next load).
   * CARUSO_COMMS_CHAT_UNKNOWN_CHAT for a chat that is not open.
   */
  deliverNote(note: ChatNote): number;
  /** Where the standalone listener is (undefined when the channel has none). */
  address(): { readonly host: string; readonly port: number } | undefined;
  /** Fires when a chat ended (after the event log and the chat row were written). */
  readonly onDidEnd: Event<{ readonly chatId: string; readonly reason: ChatEndReason }>;
}

/** The token of the web-chat channel. */
export const ChatChannel = createToken<ChatChannel>('caruso.comms.ChatChannel');
