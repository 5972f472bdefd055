import { randomUUID } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import { CarusoError, isCarusoError } from '../error-catalogue.js';
import { KernelErrors } from '../errors.js';
import { Emitter } from '../event.js';
import { containPromise } from '../faults.js';
import type { Logger } from '../logger.js';

/** JSON-RPC 2.0 error codes used on the wire (`data.code` carries the Caruso code). */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ServerError: -32000,
} as const;

/** The error object of a JSON-RPC response. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: { code?: string; details?: unknown; status?: number };
}

/** Handles one incoming request; returns the result or throws (a CarusoError keeps its code). */
export type RpcHandler = (method: string, params: unknown, peer: RpcPeer) => unknown;

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout | undefined;
  method: string;
  token: string;
}

const WIRE_CODE: Record<string, number> = {
  CARUSO_KERNEL_RPC_PARSE_ERROR: RpcErrorCode.ParseError,
  CARUSO_KERNEL_RPC_INVALID_REQUEST: RpcErrorCode.InvalidRequest,
  CARUSO_KERNEL_RPC_METHOD_NOT_FOUND: RpcErrorCode.MethodNotFound,
  CARUSO_KERNEL_RPC_INVALID_PARAMS: RpcErrorCode.InvalidParams,
};

/** Turns any thrown value into a JSON-RPC error object (never leaking a stack). */
export function toRpcError(err: unknown): RpcErrorObject {
  if (isCarusoError(err)) {
    return { code: WIRE_CODE[err.code] ?? RpcErrorCode.ServerError, message: err.message, data: { code: err.code, details: err.details, status: err.status } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: RpcErrorCode.ServerError, message, data: { code: 'CARUSO_KERNEL_RPC_REMOTE_ERROR' } };
}

const CARUSO_CODE = /^CARUSO_[A-Z0-9]+_[A-Z0-9_]+$/;

/**
 * Rebuilds a CarusoError from a JSON-RPC error object received from the peer. The peer is not
 * trusted: whatever shape `e` has (null, a string, a non-string code …), this returns an error and
 * never throws.
 */
export function fromRpcError(e: unknown): CarusoError {
  const o = typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as Record<string, unknown>) : undefined;
  const message = typeof o?.['message'] === 'string' ? o['message'].slice(0, 4096) : 'the peer sent a malformed JSON-RPC error';
  const rawData = o?.['data'];
  const data = typeof rawData === 'object' && rawData !== null && !Array.isArray(rawData) ? (rawData as Record<string, unknown>) : undefined;
  const code = data?.['code'];
  if (typeof code === 'string' && code !== 'CARUSO_KERNEL_RPC_REMOTE_ERROR' && CARUSO_CODE.test(code)) {
    const status = data?.['status'];
    const validStatus = typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
    return new CarusoError(code, message, validStatus, 'user', data?.['details']);
  }
  const details = data?.['details'];
  const correlationId =
    typeof details === 'object' && details !== null && typeof (details as Record<string, unknown>)['correlationId'] === 'string'
      ? ((details as Record<string, unknown>)['correlationId'] as string).slice(0, 100)
      : undefined;
  return KernelErrors.CARUSO_KERNEL_RPC_REMOTE_ERROR(
    { reason: message },
    { details: correlationId === undefined ? { remoteMessage: message } : { remoteMessage: message, correlationId } },
  );
}

/** Options of {@link RpcPeer}. */
export interface RpcPeerOptions {
  /**
   * When true, the message of an exception that is not a CarusoError (an internal bug, a driver
   * error …) is not sent to the peer: it gets a generic message with a correlation id, and the real
   * one is logged under that id. The service manager's endpoint sets it; its clients are not trusted.
   */
  readonly hideInternalErrors?: boolean;
  /** Whether the peer may send batches now (the endpoint allows them only after auth). Default: always. */
  readonly batchesAllowed?: () => boolean;
  /** Largest batch accepted; a larger one gets one error and none of it runs. Default 100. */
  readonly maxBatch?: number;
  /**
   * Requests of the peer handled at the same time; further ones wait (and the socket stops being
   * read) until one is answered. Bounds the memory a client that sends faster than it reads can
   * take. Default 128.
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Once this many bytes wait in the socket's send buffer, no further request is started until
   * they have been written (backpressure for a slow reader). Default 1 MiB or the message limit.
   */
  readonly maxBufferedBytes?: number;
}

/**
 * The wire form of CARUSO_KERNEL_RPC_INVALID_REQUEST, built without an Error (no stack trace to
 * capture): it answers untrusted input, so it must cost next to nothing.
 */
function invalidRequest(reason: string): RpcErrorObject {
  return {
    code: RpcErrorCode.InvalidRequest,
    message: KernelErrors.specs.CARUSO_KERNEL_RPC_INVALID_REQUEST.message.replace('{reason}', reason),
    data: { code: 'CARUSO_KERNEL_RPC_INVALID_REQUEST', status: 400 },
  };
}

function isResponse(m: unknown): boolean {
  return typeof m === 'object' && m !== null && !Array.isArray(m) && !('method' in m) && ('result' in m || 'error' in m);
}

/**
 * One end of a JSON-RPC 2.0 conversation over a WebSocket: both sides send requests (the manager
 * calls services that a remote process registered), with deadlines, a size limit, and a clear
 * error for every pending call when the connection drops.
 */
export class RpcPeer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private readonly _onDidClose = new Emitter<void>();
  readonly onDidClose = this._onDidClose.event;
  private readonly _onDidNotify = new Emitter<{ method: string; params: unknown }>();
  readonly onDidNotify = this._onDidNotify.event;
  /** Requests of the peer being handled (a batch counts its items). */
  private inFlight = 0;
  /** True while the send buffer is above the high-water mark. */
  private congested = false;
  /** True while the socket is not being read (work is waiting in the inbox). */
  private readPaused = false;
  /** Parsed requests (or batches) waiting for capacity. */
  private readonly inbox: unknown[] = [];
  private readonly maxConcurrent: number;
  private readonly maxBuffered: number;
  private readonly maxBatch: number;
  private readonly onFlushed = (): void => {
    this.congested = false;
    this.pump();
  };

  constructor(
    readonly socket: WebSocket,
    /** A name for messages and logs (the other side's address or principal). */
    public name: string,
    private readonly handler: RpcHandler,
    private readonly logger: Logger,
    private readonly maxMessageBytes: number,
    private readonly options: RpcPeerOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrentRequests ?? 128;
    this.maxBuffered = options.maxBufferedBytes ?? Math.max(1024 * 1024, maxMessageBytes);
    this.maxBatch = options.maxBatch ?? 100;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      // Whatever receive() throws is logged here: a malformed message can never become an
      // unhandled rejection that ends the process.
      this.receive(data, isBinary).catch((err: unknown) => this.logReceiveFailure(err));
    });
    socket.on('close', () => this.shutdown());
    socket.on('error', (err) => {
      this.logger.warn({ peer: this.name, err: err.message }, 'websocket error');
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends a request and waits for the answer, up to `deadlineMs`. */
  request(method: string, params: unknown, deadlineMs: number, token = ''): Promise<unknown> {
    if (this.closed) return Promise.reject(KernelErrors.CARUSO_KERNEL_RPC_CONNECTION_LOST({ peer: this.name, method }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        deadlineMs > 0 && Number.isFinite(deadlineMs)
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(KernelErrors.CARUSO_KERNEL_RPC_DEADLINE_EXCEEDED({ method, token, deadlineMs }));
            }, deadlineMs)
          : undefined;
      this.pending.set(id, { resolve, reject, timer, method, token });
      try {
        this.send({ jsonrpc: '2.0', id, method, params });
      } catch (err) {
        // Arguments that cannot be sent as JSON: nothing stays pending.
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  /** Sends a notification (no answer). */
  notify(method: string, params: unknown): void {
    if (!this.closed) this.send({ jsonrpc: '2.0', method, params });
  }

  close(code = 1000, reason = ''): void {
    this.socket.close(code, reason);
    this.shutdown();
  }

  private send(message: unknown): void {
    if (this.closed) return;
    const text = JSON.stringify(message);
    if (!this.congested && this.socket.bufferedAmount + text.length > this.maxBuffered) {
      // Past the high-water mark: start nothing new until this message has been written out.
      this.congested = true;
      this.socket.send(text, this.onFlushed);
    } else {
      this.socket.send(text);
    }
  }

  /** Starts waiting requests while there is capacity; reads the socket only when nothing waits. */
  private pump(): void {
    while (!this.closed && !this.congested && this.inFlight < this.maxConcurrent && this.inbox.length > 0) {
      containPromise('caruso.kernel/remote', this.dispatch(this.inbox.shift()));
    }
    if (this.closed) return;
    if (this.inbox.length > 0) {
      if (!this.readPaused) {
        this.readPaused = true;
        this.socket.pause();
      }
    } else if (this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  private enqueue(m: unknown): void {
    if (this.inbox.length === 0 && !this.congested && this.inFlight < this.maxConcurrent) {
      containPromise('caruso.kernel/remote', this.dispatch(m));
      return;
    }
    this.inbox.push(m);
    this.pump();
  }

  /** Handles one request or batch and sends its answer. Never rejects. */
  private async dispatch(m: unknown): Promise<void> {
    const weight = Array.isArray(m) ? m.length : 1;
    this.inFlight += weight;
    try {
      // A batch is answered by a list (without the notifications' undefined), one request by one answer.
      const answer = Array.isArray(m) ? (await Promise.all(m.map((x) => this.handleOne(x)))).filter((a) => a !== undefined) : await this.handleOne(m);
      if (answer === undefined || (Array.isArray(answer) && answer.length === 0)) return;
      try {
        this.send(answer);
      } catch (err) {
        // The result cannot be sent as JSON (a BigInt, a cycle): the caller still gets an answer.
        const error = this.wireError(err, 'answer');
        const failed = (a: unknown): unknown => ({ jsonrpc: '2.0', id: (a as { id: unknown }).id, error });
        this.send(Array.isArray(answer) ? answer.map(failed) : failed(answer));
      }
    } catch (err) {
      this.logReceiveFailure(err);
    } finally {
      this.inFlight -= weight;
      if (this.inbox.length > 0 || this.readPaused) this.pump();
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(KernelErrors.CARUSO_KERNEL_RPC_CONNECTION_LOST({ peer: this.name, method: p.method }));
      this.pending.delete(id);
    }
    this._onDidClose.fire();
    this._onDidClose.dispose();
    this._onDidNotify.dispose();
  }

  private logReceiveFailure(err: unknown): void {
    this.logger.error({ peer: this.name, err: err instanceof Error ? err.message : String(err) }, 'failed to handle a message');
  }

  /** The error object sent for `err`; internal exceptions are hidden when the options say so. */
  private wireError(err: unknown, method: string): RpcErrorObject {
    if (!this.options.hideInternalErrors || isCarusoError(err)) return toRpcError(err);
    const correlationId = randomUUID();
    this.logger.error(
      { peer: this.name, method, correlationId, err: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined },
      'internal error answering a remote request',
    );
    return toRpcError(
      KernelErrors.CARUSO_KERNEL_RPC_REMOTE_ERROR(
        { reason: `internal error (correlation id ${correlationId}); the service manager's log has the details` },
        { details: { correlationId } },
      ),
    );
  }

  private async receive(data: RawData, isBinary: boolean): Promise<void> {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
    if (size > this.maxMessageBytes) {
      this.logger.warn({ peer: this.name, size }, 'message too large');
      this.send({ jsonrpc: '2.0', id: null, error: toRpcError(KernelErrors.CARUSO_KERNEL_RPC_MESSAGE_TOO_LARGE({ size, limit: this.maxMessageBytes })) });
      return;
    }
    let message: unknown;
    try {
      if (isBinary) throw new Error('binary frames are not accepted; send text');
      message = JSON.parse(data.toString());
    } catch (err) {
      this.send({ jsonrpc: '2.0', id: null, error: toRpcError(KernelErrors.CARUSO_KERNEL_RPC_PARSE_ERROR({ reason: (err as Error).message })) });
      return;
    }
    if (Array.isArray(message)) {
      // Checked before anything runs: an untrusted peer must not get one answer per item for free.
      const refusal =
        message.length === 0
          ? 'empty batch'
          : !(this.options.batchesAllowed?.() ?? true)
            ? 'batches are accepted only after auth; send auth on its own first'
            : message.length > this.maxBatch
              ? `a batch holds at most ${this.maxBatch} requests; this one has ${message.length}`
              : undefined;
      if (refusal !== undefined) {
        this.send({ jsonrpc: '2.0', id: null, error: invalidRequest(refusal) });
        return;
      }
      this.enqueue(message);
      return;
    }
    // Answers to our own requests are never held back: a request of the peer may be waiting for one.
    if (isResponse(message)) {
      await this.handleOne(message);
      return;
    }
    this.enqueue(message);
  }

  /** Handles one request, response or notification; returns the response to send, if any. */
  private async handleOne(m: unknown): Promise<unknown> {
    const invalid = (reason: string, id: unknown = null): unknown => ({
      jsonrpc: '2.0',
      id: typeof id === 'string' || typeof id === 'number' ? id : null,
      error: invalidRequest(reason),
    });
    if (typeof m !== 'object' || m === null) return invalid('a message must be a JSON object');
    const msg = m as Record<string, unknown>;
    if (msg['jsonrpc'] !== '2.0') return invalid('jsonrpc must be "2.0"', msg['id']);
    const id = msg['id'];
    if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') return invalid('id must be a string, a number or null');
    // A response to one of our requests.
    if (!('method' in msg) && ('result' in msg || 'error' in msg)) {
      const p = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (!p) return undefined; // late answer after a deadline: dropped
      this.pending.delete(id as number);
      clearTimeout(p.timer);
      if ('error' in msg && 'result' in msg) {
        p.reject(KernelErrors.CARUSO_KERNEL_RPC_REMOTE_ERROR({ reason: 'the peer answered with both a result and an error' }));
        return undefined;
      }
      if ('error' in msg) p.reject(fromRpcError(msg['error']));
      else p.resolve(msg['result']);
      return undefined;
    }
    const method = msg['method'];
    if (typeof method !== 'string' || method.length === 0 || method.length > 200) return invalid('method must be a non-empty string', id);
    const params = msg['params'];
    if (params !== undefined && (typeof params !== 'object' || params === null)) return invalid('params must be an object or an array', id);
    if (id === undefined) {
      // A notification: no answer, whatever happens.
      try {
        this._onDidNotify.fire({ method, params });
        await this.handler(method, params, this);
      } catch {
        /* notifications get no answer */
      }
      return undefined;
    }
    try {
      const result = await this.handler(method, params, this);
      return { jsonrpc: '2.0', id, result: result === undefined ? null : result };
    } catch (err) {
      return { jsonrpc: '2.0', id, error: this.wireError(err, method) };
    }
  }
}
