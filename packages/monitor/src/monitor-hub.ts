import type { WebSocket } from 'ws';
import { Disposable, isCarusoError, silentLogger, toDisposable, type IDisposable, type Logger } from '@caruso/kernel';
import { diffValues, type MonitorPrincipal, type ServerMessage } from './common/protocol.js';
import { MonitorErrors } from './errors.js';

/** Where the hub takes the values of topics from. */
export interface TopicSource {
  /** True when `topic` exists (it may be empty). */
  handles(topic: string): boolean;
  /** The current value of `topic`. */
  value(topic: string): unknown;
  /** Sequence number of the last contact event folded. */
  readonly seq: number;
  /** Time of the values (ms since the epoch). */
  readonly at: number;
}

/** Options of {@link MonitorHub}. */
export interface MonitorHubOptions {
  /** Changes are gathered for this long and sent as one patch per topic (default 50 ms; 0 = next turn of the event loop). */
  readonly batchMs?: number;
  /**
   * Bytes sent to one client and not yet taken by its connection. Beyond it the client is slow: it
   * gets no changes until its connection drained, then a `missed` message and a fresh snapshot per
   * topic (default 1 MiB).
   */
  readonly maxPendingBytes?: number;
  /** Topics one client may hold (default 64). */
  readonly maxTopicsPerClient?: number;
  /** Largest accepted client message in bytes (default 4 KiB). */
  readonly maxMessageBytes?: number;
  readonly logger?: Logger;
}

/** May `principal` see `topic`? Supervisors see everything, agents only `agent:<their id>`. */
export function mayView(principal: MonitorPrincipal, topic: string): boolean {
  if (principal.role === 'supervisor') return true;
  return principal.role === 'agent' && principal.agentId !== undefined && topic === `agent:${principal.agentId}`;
}

interface Client {
  readonly socket: WebSocket;
  readonly principal: MonitorPrincipal;
  readonly topics: Set<string>;
  pendingBytes: number;
  lagging: boolean;
  readonly missed: Set<string>;
  closed: boolean;
}

interface Published {
  value: unknown;
  seq: number;
  readonly clients: Set<Client>;
}

/**
 * Publishes live topics to WebSocket clients that are already authenticated: a client subscribes to
 * topics, receives a snapshot of each, then patches as the values change. Changes are batched
 * ({@link MonitorHubOptions.batchMs}) and serialized once per topic for all its subscribers. A slow
 * client never slows the others: what it cannot take is dropped, and it gets a fresh snapshot once
 * its connection drained.
 *
 * The front office mounts it on its own HTTP server (cookie sessions); {@link listenMonitor} is a
 * standalone listener that authenticates with kernel access tokens.
 */
export class MonitorHub extends Disposable {
  private readonly clients = new Set<Client>();
  private readonly published = new Map<string, Published>();
  /** Dirty topics → the first event sequence number that dirtied them. */
  private readonly dirty = new Map<string, number>();
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly batchMs: number;
  private readonly maxPendingBytes: number;
  private readonly maxTopics: number;
  private readonly maxMessageBytes: number;
  private readonly logger: Logger;
  private sentMessages = 0;
  private droppedChanges = 0;

  constructor(private readonly source: TopicSource, options: MonitorHubOptions = {}) {
    super();
    this.batchMs = options.batchMs ?? 50;
    this.maxPendingBytes = options.maxPendingBytes ?? 1 << 20;
    this.maxTopics = options.maxTopicsPerClient ?? 64;
    this.maxMessageBytes = options.maxMessageBytes ?? 4096;
    this.logger = options.logger ?? silentLogger();
    for (const [k, v] of Object.entries({ batchMs: this.batchMs, maxPendingBytes: this.maxPendingBytes, maxTopicsPerClient: this.maxTopics, maxMessageBytes: this.maxMessageBytes })) {
      if (!Number.isFinite(v) || v < 0) throw MonitorErrors.CARUSO_MONITOR_INVALID_OPTIONS({ reason: `${k} must be a number ≥ 0` });
    }
    this.register(toDisposable(() => this.cancelTimer()));
  }

  /** Clients connected now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Messages sent and changes dropped for slow clients, since the hub was made. */
  get stats(): { readonly sent: number; readonly dropped: number; readonly lagging: number } {
    let lagging = 0;
    for (const c of this.clients) if (c.lagging) lagging++;
    return { sent: this.sentMessages, dropped: this.droppedChanges, lagging };
  }

  /**
   * Takes an authenticated socket. The hub says hello, then answers `subscribe`/`unsubscribe`
   * messages. Dispose the result (or close the socket) to detach.
   * Note: the principal must already be authenticated by the caller; the hub only authorizes topics.
   */
  attach(socket: WebSocket, principal: MonitorPrincipal): IDisposable {
    if (principal.role !== 'supervisor' && principal.role !== 'agent') {
      throw MonitorErrors.CARUSO_MONITOR_AUTH_FAILED({ reason: `unknown role ${JSON.stringify(principal.role)}` });
    }
    const client: Client = { socket, principal, topics: new Set(), pendingBytes: 0, lagging: false, missed: new Set(), closed: false };
    this.clients.add(client);
    const onMessage = (data: unknown, isBinary: boolean): void => this.onMessage(client, data, isBinary);
    const onClose = (): void => this.detach(client);
    // A client's bad frame (over the server's limit: ws closes with 1009; text that is not UTF-8:
    // 1007) ends that connection only; without a listener ws's 'error' event would end the process.
    // It stays after a detach: the socket may outlive the hub's interest in it.
    socket.on('error', (err: Error & { code?: string }) => {
      this.logger.warn({ principal: principal.name, code: err.code, err: err.message }, 'monitor connection closed after a bad frame');
    });
    socket.on('message', onMessage);
    socket.on('close', onClose);
    this.send(client, { type: 'hello', principal });
    return toDisposable(() => {
      socket.off('message', onMessage);
      socket.off('close', onClose);
      this.detach(client);
    });
  }

  /** Marks topics as changed by the event `seq`; subscribers get a patch with the next batch. */
  publish(topics: Iterable<string>, seq: number): void {
    let any = false;
    for (const t of topics) {
      if (!this.published.has(t)) continue;
      if (!this.dirty.has(t)) this.dirty.set(t, seq);
      any = true;
    }
    if (any) this.schedule();
  }

  /** Sends the pending patches now. */
  flush(): void {
    this.cancelTimer();
    for (const topic of [...this.dirty.keys()]) this.flushTopic(topic);
  }

  override dispose(): void {
    for (const c of [...this.clients]) this.detach(c);
    super.dispose();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.isDisposed) return;
    const run = (): void => {
      this.timer = undefined;
      this.flush();
    };
    this.timer = this.batchMs > 0 ? setTimeout(run, this.batchMs) : setImmediate(run);
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private flushTopic(topic: string): void {
    const fromSeq = this.dirty.get(topic);
    this.dirty.delete(topic);
    const p = this.published.get(topic);
    if (!p || fromSeq === undefined) return;
    let next: unknown;
    try {
      next = this.source.value(topic);
    } catch (err) {
      this.logger.error({ err, topic }, 'monitor topic value failed');
      return;
    }
    const ops = diffValues(p.value, next);
    p.value = next;
    p.seq = this.source.seq;
    if (ops.length === 0) return;
    const text = JSON.stringify({ type: 'change', topic, seq: p.seq, fromSeq, at: this.source.at, ops } satisfies ServerMessage);
    for (const c of p.clients) {
      if (c.lagging || c.pendingBytes > this.maxPendingBytes) {
        if (!c.lagging) this.logger.warn({ principal: c.principal.name, pendingBytes: c.pendingBytes }, 'monitor client too slow; changes dropped until it drains');
        c.lagging = true;
        c.missed.add(topic);
        this.droppedChanges++;
        continue;
      }
      this.sendText(c, text);
    }
  }

  private onMessage(client: Client, data: unknown, isBinary: boolean): void {
    let msg: unknown;
    try {
      const text = isBinary ? undefined : Buffer.isBuffer(data) ? data.toString('utf8') : typeof data === 'string' ? data : undefined;
      if (text === undefined) throw MonitorErrors.CARUSO_MONITOR_INVALID_MESSAGE({ reason: 'messages are JSON text' });
      if (text.length > this.maxMessageBytes) throw MonitorErrors.CARUSO_MONITOR_INVALID_MESSAGE({ reason: `larger than ${this.maxMessageBytes} bytes` });
      try {
        msg = JSON.parse(text);
      } catch {
        throw MonitorErrors.CARUSO_MONITOR_INVALID_MESSAGE({ reason: 'not JSON' });
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw MonitorErrors.CARUSO_MONITOR_INVALID_MESSAGE({ reason: 'a message is an object with type and topic' });
      const { type, topic } = msg as Record<string, unknown>;
      const extra = Object.keys(msg).filter((k) => k !== 'type' && k !== 'topic');
      if (extra.length > 0) throw MonitorErrors.CARUSO_MONITOR_INVALID_MESSAGE({ reason: `unknown field ${extra[0]}` });
      if (typeof topic !== 'string' || topic.length === 0 || topic.length > 200) throw MonitorErrors.CARUSO_MONITOR_INVALID_MESSAGE({ reason: 'topic must be a string of 1 to 200 characters' });
      if (type === 'subscribe') this.subscribe(client, topic);
      else if (type === 'unsubscribe') this.unsubscribe(client, topic);
      else throw MonitorErrors.CARUSO_MONITOR_INVALID_MESSAGE({ reason: 'type must be subscribe or unsubscribe' });
    } catch (err) {
      if (!isCarusoError(err)) {
        this.logger.error({ err }, 'monitor message failed');
        return;
      }
      const topic = typeof msg === 'object' && msg !== null && typeof (msg as { topic?: unknown }).topic === 'string' ? (msg as { topic: string }).topic : undefined;
      this.send(client, { type: 'error', code: err.code, message: err.message, ...(topic === undefined ? {} : { topic }) });
    }
  }

  private subscribe(client: Client, topic: string): void {
    if (!mayView(client.principal, topic)) {
      throw MonitorErrors.CARUSO_MONITOR_FORBIDDEN({ principal: client.principal.name, role: client.principal.role, topic });
    }
    if (!this.source.handles(topic)) throw MonitorErrors.CARUSO_MONITOR_UNKNOWN_TOPIC({ topic });
    if (client.topics.has(topic)) return;
    if (client.topics.size >= this.maxTopics) throw MonitorErrors.CARUSO_MONITOR_INVALID_MESSAGE({ reason: `at most ${this.maxTopics} topics per connection` });
    let p = this.published.get(topic);
    if (p) {
      // Bring the other subscribers up to date first, so that every later patch applies to this snapshot.
      if (this.dirty.has(topic)) this.flushTopic(topic);
    } else {
      p = { value: this.source.value(topic), seq: this.source.seq, clients: new Set() };
      this.published.set(topic, p);
    }
    p.clients.add(client);
    client.topics.add(topic);
    if (!client.lagging) this.send(client, { type: 'snapshot', topic, seq: p.seq, at: this.source.at, value: p.value });
    else client.missed.add(topic);
  }

  private unsubscribe(client: Client, topic: string): void {
    client.topics.delete(topic);
    client.missed.delete(topic);
    const p = this.published.get(topic);
    if (!p) return;
    p.clients.delete(client);
    if (p.clients.size === 0) {
      this.published.delete(topic);
      this.dirty.delete(topic);
    }
  }

  private detach(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    for (const t of [...client.topics]) this.unsubscribe(client, t);
    this.clients.delete(client);
  }

  private recover(client: Client): void {
    client.lagging = false;
    const topics = [...client.missed];
    client.missed.clear();
    for (const topic of topics) {
      const p = this.published.get(topic);
      if (!p) continue;
      if (this.dirty.has(topic)) this.flushTopic(topic);
      this.send(client, { type: 'missed', topic });
      this.send(client, { type: 'snapshot', topic, seq: p.seq, at: this.source.at, value: p.value });
    }
  }

  private send(client: Client, msg: ServerMessage): void {
    this.sendText(client, JSON.stringify(msg));
  }

  private sendText(client: Client, text: string): void {
    if (client.closed || client.socket.readyState !== 1) return;
    const bytes = Buffer.byteLength(text);
    client.pendingBytes += bytes;
    this.sentMessages++;
    client.socket.send(text, (err) => {
      client.pendingBytes -= bytes;
      if (err) return;
      if (client.lagging && client.pendingBytes === 0 && !client.closed) this.recover(client);
    });
  }
}
