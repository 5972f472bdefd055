import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DisposableStore,
  Emitter,
  isCarusoError,
  containPromise,
  safeTimeout,
  silentLogger,
  toDisposable,
  type CarusoError,
  type IDisposable,
  type HealthStatus,
  type Logger,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceLifecycle,
} from '@caruso/kernel';
import { StorageManager } from '@caruso/storage';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { systemClock, type Clock } from '../contract/clock.js';
import { CommunicationServer } from '../contract/communication-server.js';
import { CommsErrors } from '../errors.js';
import type { Offer } from '../contract/model.js';
import type { ChatChannel, ChatEndReason, ChatInfo, ChatMessage, ChatNote, ChatPrincipal, ChatSender, ChatSocket, ChatWatchFrame, OpenChatRequest, OpenedChat } from './chat-channel.js';
import { ChatStore } from './chat-store.js';

/** The version of the WebSocket chat channel, as registered. */
export const CHAT_CHANNEL_VERSION = '0.1.0';

/** Options of {@link chatChannel}. */
export interface ChatChannelOptions {
  /** The queue chats go to unless the request names another. */
  readonly queueId: string;
  /**
   * Port of the standalone WebSocket listener (0: any free port, see `address()`); omit it when
   * the front office mounts the hub on its own HTTP server through `attach()`.
   * Paths: `/chat/customer` and `/chat/agent`; the first frame must be `{ "type": "auth", "token": … }`.
   */
  readonly port?: number;
  /** Interface of the standalone listener (default `127.0.0.1`). */
  readonly host?: string;
  /**
   * Turns an agent's token into the agent id (undefined: refused). Supplied by the front office;
   * with the kernel's access list: `(t) => accessList.authenticate(t)`.
   */
  readonly authenticateAgent?: (token: string) => string | undefined | Promise<string | undefined>;
  /** Longest message text (default 4,000 characters). */
  readonly maxMessageChars?: number;
  /** Largest frame the listener accepts (default 64 KiB). */
  readonly maxFrameBytes?: number;
  /** How long a customer whose socket dropped may come back before the chat ends (default 30 s). */
  readonly customerGraceMs?: number;
  /**
   * How long an agent whose last socket dropped (a reload, a lost network) may come back before their
   * chats go back in line (default 120 s): the chats stay theirs meanwhile, and the customer waits.
   */
  readonly agentGraceMs?: number;
  /** How long a socket of the standalone listener may stay without its `auth` frame (default 5 s). */
  readonly authTimeoutMs?: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
}

function invalid(field: string, reason: string): Error {
  return CommsErrors.CARUSO_COMMS_CHAT_INVALID_OPTIONS({ field, reason });
}

function validateOptions(o: ChatChannelOptions): void {
  if (!o || typeof o.queueId !== 'string' || o.queueId.length === 0) throw invalid('queueId', 'is required');
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65_535)) throw invalid('port', 'must be an integer from 0 to 65535');
  if (o.port !== undefined && typeof o.authenticateAgent !== 'function') throw invalid('authenticateAgent', 'is required with a standalone listener');
  for (const k of ['maxMessageChars', 'maxFrameBytes', 'authTimeoutMs'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw invalid(k, 'must be a positive integer');
  }
  if (o.customerGraceMs !== undefined && (!Number.isInteger(o.customerGraceMs) || o.customerGraceMs < 0)) throw invalid('customerGraceMs', 'must be an integer ≥ 0');
}

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

interface LiveChat {
  readonly id: string;
  readonly queueId: string;
  readonly tokenHash: string;
  nextSeq: number;
  agentId: string | undefined;
  readonly customers: Set<WebSocket>;
  grace: NodeJS.Timeout | undefined;
  /** Serializes the changes of one chat (message numbering, ending). */
  lock: Promise<unknown>;
  ended: boolean;
}

type Frame = Record<string, unknown> & { type: string };

/** The WebSocket implementation of {@link ChatChannel}: the hub, plus an optional standalone listener. */
export class WsChatChannel implements ChatChannel, ServiceLifecycle {
  private readonly _onDidEnd = new Emitter<{ readonly chatId: string; readonly reason: ChatEndReason }>();
  readonly onDidEnd = this._onDidEnd.event;
  private readonly subscriptions = new DisposableStore();
  private readonly chats = new Map<string, LiveChat>();
  private readonly byToken = new Map<string, string>();
  private readonly agents = new Map<string, Set<WebSocket>>();
  /** Agents whose last socket dropped: the timer that puts their chats back in line. */
  private readonly agentGrace = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly sockets = new Set<WebSocket>();
  /** Who watches which live chat (supervisors, read-only): see watch(). */
  private readonly watchers = new Map<string, Set<(frame: ChatWatchFrame) => void>>();
  /** Chats whose offer is being accepted through this channel (not to be linked twice). */
  private readonly accepting = new Set<string>();
  private store: ChatStore | undefined;
  private wss: WebSocketServer | undefined;
  private logger: Logger = silentLogger();
  /** Set by stop(): the sockets it closes start no grace timer. */
  private stopping = false;
  private readonly clock: Clock;
  private readonly maxChars: number;

  constructor(
    private readonly storage: StorageManager,
    private readonly comms: CommunicationServer,
    private readonly options: ChatChannelOptions,
  ) {
    validateOptions(options);
    this.clock = options.clock ?? systemClock;
    this.maxChars = options.maxMessageChars ?? 4_000;
  }

  async start(ctx: ServiceContext): Promise<void> {
    this.logger = ctx.logger;
    this.stopping = false;
    this.store = await ChatStore.open(this.storage);
    // Chats still open when the process stopped: customers may reconnect with their token. Whether a
    // chat goes on is the communication server's to say (its recovery puts waiting chats, and those
    // whose agent was lost with the process, back in line): a chat whose contact ended — hung up,
    // wrapped up, abandoned — is closed here and never comes back.
    let closed = 0;
    for (const c of await this.store.openChats()) {
      const contact = this.comms.contact(c.chatId);
      if (contact === undefined) {
        await this.store.end(c.chatId, 'exited', this.clock.now());
        closed++;
        continue;
      }
      const live = this.track(c.chatId, c.queueId, c.tokenHash, c.lastSeq);
      live.agentId = contact.state === 'connected' ? contact.agentIds[0] : undefined;
      if (live.agentId === undefined) await this.store.setAgent(c.chatId, null);
    }
    this.subscriptions.add(this.comms.onDidOffer((o) => this.onOffer(o)));
    this.subscriptions.add(this.comms.onDidWithdrawOffer(({ offer, reason }) => {
      if (offer.channel === 'chat') this.toAgent(offer.agentId, { type: 'offer-withdrawn', offerId: offer.offerId, chatId: offer.contactId, reason });
    }));
    this.subscriptions.add(this.comms.onDidConnect((c) => {
      if (c.channel !== 'chat' || this.accepting.has(c.contactId)) return;
      void this.linkAccepted(c.contactId, c.agentId).catch((err: unknown) => this.logger.error({ err, chat: c.contactId }, 'a chat accepted on the desktop could not be linked to its agent'));
    }));
    this.subscriptions.add(this.comms.onDidExit((e) => {
      const chat = this.chats.get(e.contactId);
      if (chat && !chat.ended) void this.finish(chat, 'exited').catch(() => undefined);
    }));
    // Ended elsewhere (the desktop's Hang up or wrap-up): the customer is told and the chat closes.
    this.subscriptions.add(this.comms.onDidEnd((e) => {
      const chat = e.channel === 'chat' ? this.chats.get(e.contactId) : undefined;
      if (!chat || chat.ended) return;
      const reason: ChatEndReason = e.outcome === 'completed' ? (e.by === 'caller' ? 'customer-left' : 'agent-left') : e.outcome === 'abandoned' ? 'customer-left' : 'exited';
      void this.finish(chat, reason).catch((err: unknown) => this.logger.warn({ err: { code: (err as { code?: string }).code }, chat: chat.id }, 'an ended chat could not be closed'));
    }));
    if (this.options.port !== undefined) await this.listen(this.options.port, this.options.host ?? '127.0.0.1');
    this.logger.info({ open: this.chats.size, closed, address: this.address() }, 'chat channel started');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.subscriptions.dispose();
    for (const c of this.chats.values()) if (c.grace) clearTimeout(c.grace);
    for (const t of this.agentGrace.values()) clearTimeout(t);
    this.agentGrace.clear();
    for (const s of this.sockets) s.close(1001, 'server stopping');
    const wss = this.wss;
    this.wss = undefined;
    if (wss) {
      for (const s of wss.clients) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    await Promise.allSettled([...this.chats.values()].map((c) => c.lock));
    this.watchers.clear();
    this._onDidEnd.dispose();
  }

  health(): HealthStatus {
    return this.store ? { status: 'ok', detail: `${this.chats.size} open chats` } : { status: 'down', detail: 'not started' };
  }

  address(): { host: string; port: number } | undefined {
    const a = this.wss?.address() as AddressInfo | string | null | undefined;
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  private get s(): ChatStore {
    if (!this.store) throw CommsErrors.CARUSO_COMMS_CHAT_STORE_FAILED({ reason: 'the chat channel is not started' });
    return this.store;
  }

  private track(id: string, queueId: string, tokenHash: string, lastSeq: number): LiveChat {
    const live: LiveChat = { id, queueId, tokenHash, nextSeq: lastSeq, agentId: undefined, customers: new Set(), grace: undefined, lock: Promise.resolve(), ended: false };
    this.chats.set(id, live);
    this.byToken.set(tokenHash, id);
    return live;
  }

  async openChat(request: OpenChatRequest = {}): Promise<OpenedChat> {
    const bad = (reason: string) => CommsErrors.CARUSO_COMMS_CHAT_INVALID_FRAME({ reason });
    for (const k of ['customerName', 'customerKey', 'queueId', 'subject'] as const) {
      const v = request[k];
      if (v !== undefined && (typeof v !== 'string' || v.length > 200 || /[\r\n]/.test(v))) throw bad(`${k} must be one line of at most 200 characters`);
    }
    if (request.priority !== undefined && !Number.isInteger(request.priority)) throw bad('priority must be an integer');
    if (request.connectGraceMs !== undefined && (!Number.isInteger(request.connectGraceMs) || request.connectGraceMs < 1_000)) throw bad('connectGraceMs must be a whole number of ms, at least 1000');
    const queueId = request.queueId ?? this.options.queueId;
    this.comms.queueStatus(queueId); // CARUSO_COMMS_UNKNOWN_QUEUE before anything is written
    const chatId = `chat-${randomUUID()}`;
    const token = randomBytes(32).toString('base64url');
    const tokenHash = digest(token);
    const at = this.clock.now();
    try {
      await this.s.insertChat({
        id: chatId,
        queueId,
        tokenHash,
        priority: request.priority ?? 0,
        at,
        ...(request.customerName === undefined ? {} : { customerName: request.customerName }),
        ...(request.customerKey === undefined ? {} : { customerKey: request.customerKey }),
        ...(request.subject === undefined ? {} : { subject: request.subject }),
      });
    } catch (err) {
      throw CommsErrors.CARUSO_COMMS_CHAT_STORE_FAILED({ reason: 'the chat row could not be written' }, { cause: err });
    }
    const live = this.track(chatId, queueId, tokenHash, 0);
    try {
      await this.comms.enqueue({
        id: chatId,
        channel: 'chat',
        queueId,
        ...(request.priority === undefined ? {} : { priority: request.priority }),
        data: { chatId, ...(request.customerName ? { customerName: request.customerName } : {}), ...(request.customerKey ? { customerKey: request.customerKey } : {}), ...(request.subject ? { subject: request.subject } : {}) },
      });
    } catch (err) {
      // Nothing half-written: the chat row goes again when the contact could not be queued.
      this.chats.delete(chatId);
      this.byToken.delete(tokenHash);
      live.ended = true;
      await this.s.deleteChat(chatId).catch(() => undefined);
      throw err;
    }
    // Cleared when the customer's socket attaches (as after a reload).
    if (request.connectGraceMs !== undefined && !this.stopping) live.grace = setTimeout(() => void this.finish(live, 'customer-gone').catch(() => undefined), request.connectGraceMs);
    return { chatId, token };
  }

  authenticateCustomer(token: string): ChatPrincipal | undefined {
    if (typeof token !== 'string' || token.length === 0 || token.length > 200) return undefined;
    const chatId = this.byToken.get(digest(token));
    return chatId && !this.chats.get(chatId)?.ended ? { kind: 'customer', chatId } : undefined;
  }

  async transcript(chatId: string): Promise<ChatMessage[]> {
    return this.s.transcript(chatId);
  }

  async chat(chatId: string): Promise<ChatInfo | undefined> {
    const c = await this.s.chat(chatId);
    if (!c) return undefined;
    const { tokenHash: _t, priority: _p, lastSeq: _l, ...info } = c;
    return info;
  }

  watch(chatId: string, listener: (frame: ChatWatchFrame) => void): IDisposable {
    const chat = typeof chatId === 'string' ? this.chats.get(chatId) : undefined;
    if (!chat || chat.ended) throw CommsErrors.CARUSO_COMMS_CHAT_UNKNOWN_CHAT({ chat: String(chatId).slice(0, 100) });
    const set = this.watchers.get(chat.id) ?? new Set();
    set.add(listener);
    this.watchers.set(chat.id, set);
    return toDisposable(() => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(chat.id) === set) this.watchers.delete(chat.id);
    });
  }

  deliverNote(note: ChatNote): number {
    const chat = typeof note?.chatId === 'string' ? this.chats.get(note.chatId) : undefined;
    if (!chat || chat.ended) throw CommsErrors.CARUSO_COMMS_CHAT_UNKNOWN_CHAT({ chat: String(note?.chatId).slice(0, 100) });
    const frame: ChatWatchFrame = { type: 'note', private: true, chatId: chat.id, id: note.id, from: note.from, text: note.text, at: note.at };
    // The agent's sockets and the watchers only: a note is never in the customer's window.
    const reached = chat.agentId ? this.toAgent(chat.agentId, frame) : 0;
    this.toWatchers(chat.id, frame);
    return reached;
  }

  /** Hands a frame to the watchers of a chat; one failing listener does not stop the others. */
  private toWatchers(chatId: string, frame: ChatWatchFrame): void {
    for (const l of [...(this.watchers.get(chatId) ?? [])]) {
      try {
        l(frame);
      } catch (err) {
        this.logger.warn({ err: { message: (err as Error).message }, chat: chatId }, 'a chat watcher failed');
      }
    }
  }

  // ---------------------------------------------------------------- the standalone listener

  private async listen(port: number, host: string): Promise<void> {
    const wss = new WebSocketServer({ port, host, maxPayload: this.options.maxFrameBytes ?? 64 * 1024 });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', (err) => reject(invalid('port', `cannot listen (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
    });
    wss.on('error', (err) => this.logger.warn({ err: { code: (err as NodeJS.ErrnoException).code } }, 'chat listener error'));
    wss.on('connection', (socket, req) => this.handshake(socket, req));
    this.wss = wss;
  }

  /** A socket of the standalone listener: its first frame must authenticate it. */
  private handshake(socket: WebSocket, req: IncomingMessage): void {
    // First of all, before a refusal: a bad frame (over the limit, not UTF-8, no frame at all) that
    // arrives while the socket closes ends this socket only, never the process.
    socket.on('error', (err: Error & { code?: string }) => this.logger.warn({ err: { code: err.code } }, 'chat connection closed after a bad frame'));
    const path = (req.url ?? '').split('?')[0];
    const role = path === '/chat/customer' ? 'customer' : path === '/chat/agent' ? 'agent' : undefined;
    const refuse = (reason: string) => {
      this.sendError(socket, CommsErrors.CARUSO_COMMS_CHAT_AUTH_FAILED({ reason }));
      socket.close(4401, 'unauthenticated');
    };
    if (!role) return refuse('unknown path; use /chat/customer or /chat/agent');
    const timer = setTimeout(() => refuse('no auth frame in time'), this.options.authTimeoutMs ?? 5_000);
    socket.on('close', () => clearTimeout(timer));
    socket.once('message', (data: RawData) => {
      clearTimeout(timer);
      containPromise('caruso.comms/chat', (async () => {
        const frame = this.parse(data);
        if (!frame || frame.type !== 'auth' || typeof frame['token'] !== 'string') return refuse('the first frame must be {"type":"auth","token":…}');
        let principal: ChatPrincipal | undefined;
        if (role === 'customer') principal = this.authenticateCustomer(frame['token']);
        else {
          const agentId = await Promise.resolve(this.options.authenticateAgent?.(frame['token'])).catch(() => undefined);
          if (agentId) principal = { kind: 'agent', agentId };
        }
        if (!principal) return refuse(role === 'customer' ? 'unknown or ended chat-session token' : 'the agent token was not accepted');
        this.attach(socket, principal);
      })());
    });
  }

  // ---------------------------------------------------------------- the hub

  attach(socket: ChatSocket, principal: ChatPrincipal): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.detach(socket, principal);
    });
    socket.on('message', (data: RawData) => {
      const frame = this.parse(data);
      if (!frame) return this.sendError(socket, CommsErrors.CARUSO_COMMS_CHAT_INVALID_FRAME({ reason: 'not a JSON object with a string "type"' }));
      this.handle(socket, principal, frame).catch((err: unknown) => this.sendError(socket, err, frame['clientId']));
    });
    void this.welcome(socket, principal).catch((err: unknown) => this.sendError(socket, err));
  }

  private async welcome(socket: WebSocket, p: ChatPrincipal): Promise<void> {
    if (p.kind === 'customer') {
      const chat = this.chats.get(p.chatId);
      if (!chat || chat.ended) {
        this.sendError(socket, CommsErrors.CARUSO_COMMS_CHAT_AUTH_FAILED({ reason: 'the chat has ended' }));
        socket.close(4401, 'unauthenticated');
        return;
      }
      chat.customers.add(socket);
      if (chat.grace) clearTimeout(chat.grace);
      chat.grace = undefined;
      this.send(socket, { type: 'welcome', role: 'customer', chatId: chat.id, agentId: chat.agentId ?? null, transcript: await this.s.transcript(chat.id) });
    } else {
      const set = this.agents.get(p.agentId) ?? new Set();
      set.add(socket);
      // Back within the grace period: the chats stay with the agent.
      clearTimeout(this.agentGrace.get(p.agentId));
      this.agentGrace.delete(p.agentId);
      this.agents.set(p.agentId, set);
      const chats = [...this.chats.values()].filter((c) => c.agentId === p.agentId && !c.ended).map((c) => c.id);
      const offers = this.comms.pendingOffers(p.agentId).filter((o) => o.channel === 'chat').map((o) => this.offerFrame(o));
      this.send(socket, { type: 'welcome', role: 'agent', agentId: p.agentId, chats, offers });
    }
  }

  private detach(socket: WebSocket, p: ChatPrincipal): void {
    if (p.kind === 'customer') {
      const chat = this.chats.get(p.chatId);
      if (!chat || chat.ended || !chat.customers.delete(socket) || chat.customers.size > 0 || !this.store) return;
      // A socket closed by stop() is no customer leaving: a timer set now would outlive the channel.
      if (this.stopping) return;
      // The page may come back (a reload, a train tunnel); after the grace period the chat ends.
      chat.grace = setTimeout(() => void this.finish(chat, 'customer-gone').catch(() => undefined), this.options.customerGraceMs ?? 30_000);
      return;
    }
    const set = this.agents.get(p.agentId);
    set?.delete(socket);
    if (set && set.size > 0) return;
    this.agents.delete(p.agentId);
    if (!this.store || this.stopping) return;
    // The agent's desk is gone: after the grace period (a reload comes back in time) their chats go
    // back in line rather than leaving customers alone.
    const agentId = p.agentId;
    clearTimeout(this.agentGrace.get(agentId));
    const grace = this.options.agentGraceMs ?? 120_000;
    if (grace > 0) {
      this.agentGrace.set(agentId, safeTimeout('caruso.comms/chat', () => {
        this.agentGrace.delete(agentId);
        if (!this.agents.has(agentId)) this.requeueChatsOf(agentId);
      }, grace));
      return;
    }
    this.requeueChatsOf(agentId);
  }

  /** Puts the chats of an agent whose desk is gone back in line. */
  private requeueChatsOf(agentId: string): void {
    const p = { agentId };
    for (const chat of this.chats.values()) {
      if (chat.agentId !== p.agentId || chat.ended) continue;
      void this.serialized(chat, async () => {
        if (chat.ended || chat.agentId !== p.agentId) return;
        await this.comms.transferToQueue(chat.id, chat.queueId);
        chat.agentId = undefined;
        await this.s.setAgent(chat.id, null);
        this.toCustomers(chat, { type: 'requeued', chatId: chat.id });
      }).catch((err: unknown) => this.logger.warn({ err: { code: (err as { code?: string }).code } }, 'chat could not be put back in line'));
    }
  }

  private onOffer(o: Offer): void {
    if (o.channel !== 'chat' || !this.chats.has(o.contactId)) return;
    this.toAgent(o.agentId, this.offerFrame(o));
  }

  private offerFrame(o: Offer): Frame {
    const data = this.comms.contact(o.contactId)?.data ?? {};
    return { type: 'offer', offerId: o.offerId, chatId: o.contactId, queueId: o.queueId, ringTimeoutMs: o.ringTimeoutMs, customerName: data['customerName'] ?? null, subject: data['subject'] ?? null };
  }

  private async handle(socket: WebSocket, p: ChatPrincipal, f: Frame): Promise<void> {
    const bad = (reason: string) => CommsErrors.CARUSO_COMMS_CHAT_INVALID_FRAME({ reason });
    if (f.type === 'accept') {
      if (p.kind !== 'agent') throw CommsErrors.CARUSO_COMMS_CHAT_FORBIDDEN({ who: 'a customer', action: 'accept offers', chat: '-' });
      if (typeof f['offerId'] !== 'string') throw bad('accept needs offerId');
      return this.accept(p.agentId, f['offerId']);
    }
    const chat = this.chatOf(p, f);
    const side: ChatSender = p.kind;
    switch (f.type) {
      case 'message': {
        const text = f['text'];
        if (typeof text !== 'string' || text.trim().length === 0) throw bad('message needs a non-empty text');
        if (text.length > this.maxChars) throw bad(`message text is longer than ${this.maxChars} characters`);
        const clientId = typeof f['clientId'] === 'string' ? f['clientId'].slice(0, 100) : undefined;
        return this.post(chat, side, p.kind === 'agent' ? p.agentId : undefined, text, socket, clientId);
      }
      case 'typing':
        if (typeof f['typing'] !== 'boolean') throw bad('typing needs typing: true|false');
        this.toOther(chat, side, { type: 'typing', chatId: chat.id, from: side, typing: f['typing'] });
        return;
      case 'read': {
        const upTo = f['upTo'];
        if (!Number.isInteger(upTo) || (upTo as number) < 1 || (upTo as number) > chat.nextSeq) throw bad(`read needs upTo between 1 and ${chat.nextSeq}`);
        await this.s.markRead(chat.id, side, upTo as number);
        this.toOther(chat, side, { type: 'read', chatId: chat.id, by: side, upTo });
        return;
      }
      case 'leave':
        return this.finish(chat, side === 'customer' ? 'customer-left' : 'agent-left');
      default:
        throw bad(`unknown frame type ${JSON.stringify(f.type).slice(0, 40)}`);
    }
  }

  private chatOf(p: ChatPrincipal, f: Frame): LiveChat {
    const chatId = p.kind === 'customer' ? p.chatId : f['chatId'];
    if (typeof chatId !== 'string') throw CommsErrors.CARUSO_COMMS_CHAT_INVALID_FRAME({ reason: `${f.type} needs chatId` });
    const chat = this.chats.get(chatId);
    if (!chat || chat.ended) throw CommsErrors.CARUSO_COMMS_CHAT_UNKNOWN_CHAT({ chat: chatId });
    if (p.kind === 'agent' && chat.agentId !== p.agentId) throw CommsErrors.CARUSO_COMMS_CHAT_FORBIDDEN({ who: `agent ${p.agentId}`, action: f.type, chat: chatId });
    return chat;
  }

  private async accept(agentId: string, offerId: string): Promise<void> {
    const offer = this.comms.pendingOffers(agentId).find((o) => o.offerId === offerId);
    if (!offer) throw CommsErrors.CARUSO_COMMS_UNKNOWN_OFFER({ offer: offerId });
    const chat = this.chats.get(offer.contactId);
    if (!chat || chat.ended) throw CommsErrors.CARUSO_COMMS_CHAT_UNKNOWN_CHAT({ chat: offer.contactId });
    this.accepting.add(chat.id);
    try {
      await this.serialized(chat, async () => {
        await this.comms.accept(offerId);
        await this.s.setAgent(chat.id, agentId);
        chat.agentId = agentId;
      });
    } finally {
      this.accepting.delete(chat.id);
    }
    await this.announce(chat, agentId);
  }

  /**
   * An offer accepted elsewhere (the agent desktop calling the communication server): the chat is
   * linked to the agent as if they had accepted it here.
   */
  private async linkAccepted(chatId: string, agentId: string): Promise<void> {
    const chat = this.chats.get(chatId);
    if (!chat || chat.ended || chat.agentId === agentId) return;
    await this.serialized(chat, async () => {
      await this.s.setAgent(chat.id, agentId);
      chat.agentId = agentId;
    });
    await this.announce(chat, agentId);
  }

  /** Tells both sides the agent joined and delivers what the customer wrote while waiting. */
  private async announce(chat: LiveChat, agentId: string): Promise<void> {
    const transcript = await this.s.transcript(chat.id);
    const info = await this.chat(chat.id);
    this.toAgent(agentId, { type: 'joined', chatId: chat.id, chat: info ?? null, transcript });
    this.toCustomers(chat, { type: 'connected', chatId: chat.id, agentId });
    this.toWatchers(chat.id, { type: 'connected', chatId: chat.id, agentId });
    // What the customer wrote while waiting has now reached the agent.
    const pending = transcript.filter((m) => m.from === 'customer' && m.deliveredAt === undefined).map((m) => m.seq);
    if (pending.length > 0 && (this.agents.get(agentId)?.size ?? 0) > 0) {
      await this.s.markDelivered(chat.id, pending, this.clock.now());
      this.toCustomers(chat, { type: 'delivered', chatId: chat.id, upTo: Math.max(...pending) });
    }
  }

  private async post(chat: LiveChat, from: ChatSender, agentId: string | undefined, text: string, socket: WebSocket, clientId: string | undefined): Promise<void> {
    const msg = await this.serialized(chat, async () => {
      if (chat.ended) throw CommsErrors.CARUSO_COMMS_CHAT_UNKNOWN_CHAT({ chat: chat.id });
      const m: ChatMessage = { chatId: chat.id, seq: chat.nextSeq + 1, from, ...(agentId ? { agentId } : {}), text, at: this.clock.now() };
      try {
        await this.s.insertMessage(m);
      } catch (err) {
        throw CommsErrors.CARUSO_COMMS_CHAT_STORE_FAILED({ reason: 'the message could not be written' }, { cause: err });
      }
      chat.nextSeq = m.seq;
      return m;
    });
    // Durable: acknowledge to the writer, then deliver to the other side.
    this.send(socket, { type: 'sent', chatId: chat.id, seq: msg.seq, clientId: clientId ?? null, at: msg.at });
    const frame = { type: 'message', chatId: chat.id, seq: msg.seq, from, agentId: agentId ?? null, text, at: msg.at };
    const delivered = this.toOther(chat, from, frame);
    this.toWatchers(chat.id, { type: 'message', chatId: chat.id, seq: msg.seq, from, agentId: agentId ?? null, text, at: msg.at });
    for (const s of from === 'customer' ? chat.customers : (this.agents.get(agentId!) ?? [])) if (s !== socket) this.send(s, frame);
    if (delivered > 0) {
      await this.s.markDelivered(chat.id, [msg.seq], this.clock.now());
      const ack = { type: 'delivered', chatId: chat.id, upTo: msg.seq };
      if (from === 'customer') this.toCustomers(chat, ack);
      else this.toAgent(agentId!, ack);
    }
  }

  /** Ends a chat: the contact is completed (connected) or abandoned (waiting), then the row. */
  private finish(chat: LiveChat, reason: ChatEndReason): Promise<void> {
    return this.serialized(chat, async () => {
      if (chat.ended) return;
      if (chat.grace) clearTimeout(chat.grace);
      const contact = this.comms.contact(chat.id);
      if (contact && reason !== 'exited') {
        if (contact.state === 'connected') await this.comms.complete(chat.id, reason === 'agent-left' ? 'agent' : 'caller');
        else if (reason === 'agent-left') throw CommsErrors.CARUSO_COMMS_CHAT_FORBIDDEN({ who: 'an agent', action: 'leave before accepting', chat: chat.id });
        else await this.comms.abandon(chat.id);
      }
      await this.s.end(chat.id, reason, this.clock.now());
      chat.ended = true;
      const frame = { type: 'ended', chatId: chat.id, reason };
      if (chat.agentId) this.toAgent(chat.agentId, frame);
      this.toCustomers(chat, frame);
      for (const s of chat.customers) s.close(1000, 'chat ended');
      this.chats.delete(chat.id);
      this.byToken.delete(chat.tokenHash);
      this.toWatchers(chat.id, { type: 'ended', chatId: chat.id, reason });
      this.watchers.delete(chat.id);
      this._onDidEnd.fire({ chatId: chat.id, reason });
    });
  }

  private serialized<T>(chat: LiveChat, fn: () => Promise<T>): Promise<T> {
    const run = chat.lock.catch(() => undefined).then(fn);
    chat.lock = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- frames

  private parse(data: RawData): Frame | undefined {
    try {
      const v = JSON.parse(String(data)) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Frame).type === 'string' ? (v as Frame) : undefined;
    } catch {
      return undefined;
    }
  }

  private send(socket: WebSocket, frame: object): boolean {
    if (socket.readyState !== socket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  private sendError(socket: WebSocket, err: unknown, ref?: unknown): void {
    const e: CarusoError | undefined = isCarusoError(err) ? err : undefined;
    if (!e) this.logger.error({ err: { code: (err as { code?: string }).code } }, 'chat frame failed');
    this.send(socket, { type: 'error', code: e?.code ?? 'CARUSO_COMMS_CHAT_STORE_FAILED', message: e?.message ?? 'internal error', ref: typeof ref === 'string' ? ref : null });
  }

  private toAgent(agentId: string, frame: object): number {
    let n = 0;
    for (const s of this.agents.get(agentId) ?? []) if (this.send(s, frame)) n++;
    return n;
  }

  private toCustomers(chat: LiveChat, frame: object): number {
    let n = 0;
    for (const s of chat.customers) if (this.send(s, frame)) n++;
    return n;
  }

  private toOther(chat: LiveChat, from: ChatSender, frame: object): number {
    return from === 'customer' ? (chat.agentId ? this.toAgent(chat.agentId, frame) : 0) : this.toCustomers(chat, frame);
  }
}

/**
 * The web-chat channel as a service: register it under the {@link ChatChannel} token. It depends
 * on the storage manager (chats and transcripts) and the communication server (the unified queue).
 * @example
 * const access = AccessList.fromEnvironment(process.env)!;
 * services.register(ChatChannel, chatChannel({ queueId: 'chat', port: 8081, authenticateAgent: (t) => access.authenticate(t) }));
 * @throws CARUSO_COMMS_CHAT_INVALID_OPTIONS at once for invalid options.
 */
export function chatChannel(
  options: ChatChannelOptions,
): ServiceDefinition<ChatChannel, { storage: { token: typeof StorageManager }; comms: { token: typeof CommunicationServer } }> {
  validateOptions(options);
  return {
    version: CHAT_CHANNEL_VERSION,
    dependencies: { storage: { token: StorageManager }, comms: { token: CommunicationServer } },
    create: ({ storage, comms }) => new WsChatChannel(storage, comms, options),
  };
}
