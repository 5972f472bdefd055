import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { containFault, Disposable, Emitter, silentLogger, type Logger } from '@caruso/kernel';
import { CommsErrors } from '../../errors.js';
import { SIP_FAULTS } from './sip-faults.js';
import { defaultSipTimers, realSipClock, type SipClock, type SipTimer, type SipTimerValues } from './sip-timers.js';
import {
  cseqOf, defaultSipLimits, header, paramOf, parseSipMessage, randomToken, serializeSipMessage, SipStreamFramer,
  type SipHeader, type SipMessage, type SipParseLimits, type SipRequest, type SipResponse,
} from './sip-message.js';

/** Where a message goes or came from. */
export interface SipAddress {
  readonly transport: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
}

/** Options of a {@link SipStack}. */
export interface SipStackOptions {
  /** Address to bind (tests and the demo: 127.0.0.1). */
  readonly host: string;
  /** Port for UDP and TCP (0: any free port, the same for both). */
  readonly port: number;
  /** Address written into Via and Contact (default `host`). */
  readonly advertisedHost?: string;
  readonly limits?: SipParseLimits;
  /** RFC 3261 T1 in ms (default 500): retransmissions start at T1 and every transaction times out after 64×T1. */
  readonly t1Ms?: number;
  /** RFC 3261 T2 in ms (default 4000): the longest retransmission interval of non-INVITE requests and of INVITE responses. */
  readonly t2Ms?: number;
  /** RFC 3261 T4 in ms (default 10×T1, 5000 with the default T1): Timers I and K on UDP. */
  readonly t4Ms?: number;
  /**
   * Timer D in ms (default 64×T1, 32,000 with the default T1; RFC 3261 asks at least 32 s): a client
   * INVITE transaction absorbs retransmitted non-2xx finals on UDP.
   */
  readonly timerDMs?: number;
  /** The clock the transaction timers run on (default the process's; tests pass one they move by hand). */
  readonly clock?: SipClock;
  /** Most simultaneous TCP connections (default 1024; more are closed at once). */
  readonly maxTcpConnections?: number;
  /**
   * Most TCP connections from one address (default 32; more are closed at once), so that one party
   * cannot take every connection.
   */
  readonly maxTcpConnectionsPerSource?: number;
  /**
   * Most server transactions kept at once (default 100,000, about 100 MB). Past it a flood is answered
   * without state: INVITEs get 503 with Retry-After, other requests are handled but not kept.
   */
  readonly maxServerTransactions?: number;
  readonly logger?: Logger;
}

/** A request that started a new server transaction (or an ACK for a 2xx, which has none). */
export interface IncomingRequest {
  readonly request: SipRequest;
  readonly source: SipAddress;
  /** Sends a response within the request's transaction (retransmitted as RFC 3261 §17.2 says). */
  respond(status: number, reason: string, extra?: { readonly headers?: readonly SipHeader[]; readonly body?: Buffer; readonly toTag?: string }): SipResponse;
}

/** Counters for tests, monitoring and the benchmark. */
export interface SipStackStats {
  received: number;
  malformed: number;
  answeredMalformed: number;
  retransmissions: number;
  /** Exceptions thrown while a packet was handled: caught, logged and counted here (each one is a bug). */
  packetErrors: number;
  /** Sends that failed (a bad destination, a closed socket); nothing is thrown to the caller. */
  sendErrors: number;
  /** 2xx responses to an INVITE never acknowledged within 64×T1 (RFC 3261 §13.3.1.4). */
  ackTimeouts: number;
  /** Non-2xx finals to an INVITE never acknowledged within 64×T1 (Timer H, RFC 3261 §17.2.1). */
  finalAckTimeouts: number;
  /** Client transactions ended with a synthetic 503 because their TCP connection failed (RFC 3261 §17.1.4). */
  transportErrors: number;
  /** TCP connections closed at once: too many in all, or from one address. */
  refusedConnections: number;
  /** Requests answered without keeping a transaction, because the table was full. */
  statelessAnswers: number;
}

/** A 2xx to an INVITE that was retransmitted for 64×T1 without an ACK (RFC 3261 §13.3.1.4). */
export interface AckTimeout {
  readonly callId: string;
  readonly cseq: number;
  readonly source: SipAddress;
}

interface ServerTx {
  readonly key: string;
  readonly method: string;
  readonly source: SipAddress;
  last: Buffer | undefined;
  lastStatus: number;
  /** Timer G: retransmits a non-2xx final to an INVITE on UDP. */
  timer: SipTimer | undefined;
  /** When the transaction ends: Timer H (no ACK), I (ACK absorbed), J (non-INVITE), or the 2xx linger. */
  end: SipTimer | undefined;
  /** An ACK for our non-2xx final arrived (state Confirmed); later ACKs are retransmissions. */
  confirmed: boolean;
  /** False when the table was full: answered, but nothing is kept (no retransmission, no timers). */
  readonly stored: boolean;
}

interface ClientTx {
  readonly key: string;
  readonly request: SipRequest;
  readonly bytes: Buffer;
  readonly to: SipAddress;
  readonly onResponse: (res: SipResponse) => void;
  final: boolean;
  provisional: boolean;
  interval: number;
  /** Timer A (INVITE) or E (others): retransmits the request on UDP. */
  timer: SipTimer | undefined;
  /** Timer B (INVITE) or F (others): no final response in 64×T1 ends it with a synthetic 408. */
  timeout: SipTimer | undefined;
  /** Timer D (INVITE, non-2xx), M (INVITE, 2xx) or K (others): absorbs retransmitted finals. */
  linger: SipTimer | undefined;
}

const MAGIC = 'z9hG4bK';

/**
 * The transport and transaction layers of RFC 3261 (§17, §18): UDP and TCP on one port; the four
 * transaction machines with Timers A–K (on TCP nothing is retransmitted and D, I, J, K are 0), the
 * "Accepted" states of RFC 6026, 2xx retransmission for INVITE until the ACK arrives (with
 * {@link onDidAckTimeout} after 64×T1), a synthetic 408 on Timer B/F and 503 on a broken TCP
 * connection, and 400 for malformed requests that can still be answered.
 */
export class SipStack extends Disposable {
  // A listener that throws is a bug in the handling of one packet: it is contained and counted as such.
  private readonly _onDidRequest = this.register(new Emitter<IncomingRequest>({ onListenerError: (err) => this.packetFailed(err) }));
  /** Every new request (retransmissions are absorbed here) and every ACK to a 2xx. */
  readonly onDidRequest = this._onDidRequest.event;
  private readonly _onDidStrayResponse = this.register(new Emitter<SipResponse>({ onListenerError: (err) => this.packetFailed(err) }));
  /** Responses matching no client transaction (e.g. retransmitted 2xx after the transaction ended). */
  readonly onDidStrayResponse = this._onDidStrayResponse.event;
  private readonly _onDidAckTimeout = this.register(new Emitter<AckTimeout>({ owner: SIP_FAULTS }));
  /**
   * A 2xx we sent to an INVITE got no ACK within 64×T1: the dialog is confirmed but its session
   * should be ended with a BYE (RFC 3261 §13.3.1.4). Fires on every transport.
   */
  readonly onDidAckTimeout = this._onDidAckTimeout.event;
  readonly stats: SipStackStats = {
    received: 0, malformed: 0, answeredMalformed: 0, retransmissions: 0, packetErrors: 0, sendErrors: 0, ackTimeouts: 0, finalAckTimeouts: 0,
    transportErrors: 0, refusedConnections: 0, statelessAnswers: 0,
  };
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections = new Map<string, Socket>();
  /** Accepted TCP connections by remote address. */
  private readonly tcpPerSource = new Map<string, number>();
  private readonly serverTxs = new Map<string, ServerTx>();
  private readonly clientTxs = new Map<string, ClientTx>();
  private readonly pending2xx = new Map<string, { timer: SipTimer | undefined; timeout: SipTimer }>();
  private readonly limits: SipParseLimits;
  private readonly logger: Logger;
  private readonly clock: SipClock;
  private readonly timers: SipTimerValues;
  private boundPort = 0;
  private closed = false;

  constructor(private readonly options: SipStackOptions) {
    super();
    this.limits = options.limits ?? defaultSipLimits;
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? realSipClock;
    this.timers = {
      t1: positive('t1Ms', options.t1Ms, defaultSipTimers.t1),
      t2: positive('t2Ms', options.t2Ms, defaultSipTimers.t2),
      // T4 and Timer D follow a T1 that was changed (tests use 20 ms), so that every transaction still
      // ends within 64×T1; with the default T1 they are RFC 3261's 5 s and 32 s.
      t4: positive('t4Ms', options.t4Ms, (defaultSipTimers.t4 / defaultSipTimers.t1) * positive('t1Ms', options.t1Ms, defaultSipTimers.t1)),
      timerD: positive('timerDMs', options.timerDMs, 64 * positive('t1Ms', options.t1Ms, defaultSipTimers.t1)),
    };
  }

  private get t1(): number {
    return this.timers.t1;
  }

  private get t2(): number {
    return this.timers.t2;
  }

  /** RFC 3261 T1, ms: transactions end after 64×T1. */
  get timerT1(): number {
    return this.t1;
  }

  /** The timer values in use (T1, T2, T4, Timer D), ms. */
  get timerValues(): SipTimerValues {
    return this.timers;
  }

  /** Runs `fn` after `ms` on the stack's clock; a timer's error is contained like a packet's. */
  private after(ms: number, fn: () => void): SipTimer {
    return this.clock.schedule(() => {
      try {
        fn();
      } catch (err) {
        this.packetFailed(err);
      }
    }, ms);
  }

  /** The bound port (valid after {@link listen}). */
  get port(): number {
    return this.boundPort;
  }

  /** The host written into Via and Contact. */
  get advertisedHost(): string {
    return this.options.advertisedHost ?? this.options.host;
  }

  /** Binds UDP and TCP on the same port. */
  async listen(): Promise<void> {
    // Port 0 picks a free UDP port; the TCP listener needs the same number, which another process may
    // hold: then both are given up and another free port is tried (a few times).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bind();
        return;
      } catch (err) {
        const retry = this.options.port === 0 && attempt < 5 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        this.closeListeners();
        if (!retry) throw err;
      }
    }
  }

  private async bind(): Promise<void> {
    // A large receive buffer absorbs bursts (a flood, a trunk's busy hour) instead of dropping them in the kernel.
    const udp = createSocket({ type: 'udp4', reuseAddr: false, recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 1024 * 1024 });
    udp.on('message', (buf, rinfo) => this.receive(buf, { transport: 'udp', host: rinfo.address, port: rinfo.port }, true));
    udp.on('error', (err) => this.logger.warn({ err }, 'SIP UDP socket error'));
    // From here on dispose() closes the socket, also when binding fails.
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.options.port, this.options.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    this.boundPort = udp.address().port;
    const tcp = createServer((socket) => this.accept(socket));
    // After listening, a server error (EMFILE on accept …) is logged; it must not end the process.
    tcp.on('error', (err) => this.logger.warn({ err }, 'SIP TCP server error'));
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.boundPort, this.options.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  }

  /** Closes the listeners of a failed bind (a retry binds new ones). */
  private closeListeners(): void {
    try {
      this.udp?.close();
    } catch {
      // not bound: nothing to close
    }
    if (this.tcp?.listening) this.tcp.close();
    this.udp = undefined;
    this.tcp = undefined;
    this.boundPort = 0;
  }

  private accept(socket: Socket): void {
    const addr: SipAddress = { transport: 'tcp', host: socket.remoteAddress?.replace(/^::ffff:/, '') ?? '', port: socket.remotePort ?? 0 };
    const fromSource = this.tcpPerSource.get(addr.host) ?? 0;
    if (this.connections.size >= (this.options.maxTcpConnections ?? 1024) || fromSource >= (this.options.maxTcpConnectionsPerSource ?? 32)) {
      this.stats.refusedConnections++;
      socket.destroy();
      return;
    }
    this.tcpPerSource.set(addr.host, fromSource + 1);
    socket.once('close', () => {
      const n = (this.tcpPerSource.get(addr.host) ?? 1) - 1;
      if (n > 0) this.tcpPerSource.set(addr.host, n);
      else this.tcpPerSource.delete(addr.host);
    });
    this.attach(socket, addr);
  }

  private attach(socket: Socket, addr: SipAddress): void {
    const key = addrKey(addr);
    this.connections.set(key, socket);
    const framer = new SipStreamFramer(this.limits);
    socket.setNoDelay(true);
    // A connection that says nothing for 5 minutes is closed (RFC 5626 keep-alives reset it).
    socket.setTimeout(300_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      try {
        const { messages, error } = framer.push(chunk);
        for (const m of messages) this.receive(m, addr, false);
        if (error) {
          this.stats.malformed++;
          this.logger.debug({ reason: error }, 'closing a SIP TCP connection with a bad stream');
          socket.destroy();
        }
      } catch (err) {
        this.packetFailed(err, addr);
        socket.destroy();
      }
    });
    socket.on('error', (err) => {
      this.logger.debug({ err }, 'SIP TCP connection error');
      // Refused, reset or unreachable: what was sent on it and not yet answered will get no response.
      this.transportFailed(addr);
    });
    socket.on('close', () => {
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
  }

  /** A new branch parameter. */
  newBranch(): string {
    return MAGIC + randomToken(8);
  }

  /** The Via value this stack writes for `transport` and `branch`. */
  via(transport: 'udp' | 'tcp', branch: string): string {
    return `SIP/2.0/${transport.toUpperCase()} ${this.advertisedHost}:${this.boundPort};branch=${branch};rport`;
  }

  /** Sends raw bytes (UDP datagram or on the TCP connection, opened when needed). */
  sendBytes(bytes: Buffer, to: SipAddress): void {
    if (this.closed) return;
    // Never throws: a destination out of range or a socket that fails is counted and logged, since
    // callers run in timers and packet handlers where a throw would end the process.
    if (!(Number.isInteger(to.port) && to.port >= 1 && to.port <= 65535) || !to.host) {
      this.stats.sendErrors++;
      this.logger.warn({ to: `${to.transport}:${to.host}:${to.port}` }, 'SIP message not sent: bad destination');
      return;
    }
    try {
      if (to.transport === 'udp') {
        this.udp?.send(bytes, to.port, to.host, (err) => {
          if (err) this.stats.sendErrors++;
        });
        return;
      }
      const key = addrKey(to);
      let socket = this.connections.get(key);
      // A connection the far end has closed is not written to: a new one is opened.
      if (!socket || socket.destroyed || !socket.writable) {
        socket = createConnection({ host: to.host, port: to.port });
        this.attach(socket, to);
      }
      socket.write(bytes);
    } catch (err) {
      this.stats.sendErrors++;
      this.logger.warn({ err, to: `${to.transport}:${to.host}:${to.port}` }, 'SIP message not sent');
    }
  }

  /** Sends a message outside any transaction (ACK to a 2xx, stateless replies). */
  send(msg: SipMessage, to: SipAddress): void {
    this.sendBytes(serializeSipMessage(msg), to);
  }

  private receive(buf: Buffer, source: SipAddress, datagram: boolean): void {
    try {
      this.handle(buf, source, datagram);
    } catch (err) {
      this.packetFailed(err, source);
    }
  }

  /** A packet's handling threw: the bug is contained, counted and logged with the count (never rethrown). */
  private packetFailed(err: unknown, source?: SipAddress): void {
    this.stats.packetErrors++;
    containFault(SIP_FAULTS, 'packet', err);
    this.logger.error({ err, transport: source?.transport, count: this.stats.packetErrors }, 'SIP packet handling failed');
  }

  private handle(buf: Buffer, source: SipAddress, datagram: boolean): void {
    if (this.closed) return;
    this.stats.received++;
    // Keep-alive CRLFs (RFC 5626 §3.5.1): answer a double CRLF ping with a pong.
    if (buf.length <= 4 && buf.toString('latin1').replace(/\r\n/g, '') === '') {
      if (buf.length === 4 && datagram === false) this.sendBytes(Buffer.from('\r\n'), source);
      return;
    }
    const parsed = parseSipMessage(buf, this.limits, datagram);
    if (!parsed.ok) {
      this.stats.malformed++;
      this.logger.debug({ reason: parsed.reason, transport: source.transport }, 'malformed SIP message');
      if (parsed.request) {
        this.stats.answeredMalformed++;
        this.send(responseTo(parsed.request, 400, `Bad Request (${parsed.reason.replace(/[\r\n]/g, ' ').slice(0, 80)})`, randomToken(4)), source);
      }
      return;
    }
    const msg = parsed.message;
    if (msg.kind === 'response') this.onResponse(msg);
    else this.onRequest(msg, source);
  }

  private onRequest(req: SipRequest, source: SipAddress): void {
    const via = header(req, 'via') ?? '';
    const branch = paramOf(via, 'branch') ?? '';
    const method = req.method === 'ACK' ? 'INVITE' : req.method;
    // A request matches a server transaction by its top Via's branch and sent-by and by its method, an
    // ACK matching its INVITE's (RFC 3261 §17.2.3).
    const key = `${branch}|${sentByOf(via)}|${method}`;
    const tx = this.serverTxs.get(key);
    if (tx && !(req.method === 'ACK' && tx.lastStatus >= 200 && tx.lastStatus < 300)) {
      if (req.method === 'ACK') {
        // The ACK of our non-2xx final; a second one is a retransmission that Timer I absorbs, and one
        // before any final response is meaningless.
        if (tx.lastStatus >= 300 && !tx.confirmed) this.confirm(tx);
        return;
      }
      // A retransmitted request: the last response again (none yet: absorbed), never a second transaction.
      this.stats.retransmissions++;
      if (tx.last) this.sendBytes(tx.last, tx.source);
      return;
    }
    if (req.method === 'ACK') {
      const k = `${header(req, 'call-id')}|${cseqOf(req).seq}`;
      const p = this.pending2xx.get(k);
      if (p) {
        p.timer?.cancel();
        p.timeout.cancel();
        this.pending2xx.delete(k);
      }
      this._onDidRequest.fire({ request: req, source, respond: () => { throw new Error('an ACK has no response'); } });
      return;
    }
    // Each transaction is kept (about 1 KB) for up to 64×T1 to absorb retransmissions. Past the cap a
    // flood is answered without keeping state: an INVITE gets 503 at once, other requests reach the
    // handler but their transactions are not kept.
    const stored = this.serverTxs.size < (this.options.maxServerTransactions ?? 100_000);
    if (!stored) {
      this.stats.statelessAnswers++;
      if (this.stats.statelessAnswers === 1 || this.stats.statelessAnswers % 1000 === 0) {
        this.logger.warn({ open: this.serverTxs.size, stateless: this.stats.statelessAnswers }, 'SIP transaction table full: answering without state');
      }
      if (req.method === 'INVITE') {
        this.send(responseTo(req, 503, 'Service Unavailable', randomToken(6), [{ name: 'retry-after', value: String(Math.max(1, Math.ceil((64 * this.t1) / 1000))) }]), source);
        return;
      }
    }
    const created: ServerTx = { key, method: req.method, source, last: undefined, lastStatus: 0, timer: undefined, end: undefined, confirmed: false, stored };
    if (stored) this.serverTxs.set(key, created);
    let toTag: string | undefined;
    this._onDidRequest.fire({
      request: req,
      source,
      respond: (status, reason, extra = {}) => {
        toTag ??= extra.toTag ?? paramOf(header(req, 'to') ?? '', 'tag') ?? randomToken(6);
        const res = responseTo(req, status, reason, status === 100 ? undefined : toTag, extra.headers, extra.body);
        this.sendResponse(created, req, res);
        return res;
      },
    });
  }

  /**
   * The ACK of a non-2xx final to an INVITE (state Confirmed, RFC 3261 §17.2.1): Timers G and H stop,
   * and Timer I (T4 on UDP, 0 on TCP) absorbs the ACK's retransmissions before the transaction ends.
   */
  private confirm(tx: ServerTx): void {
    tx.confirmed = true;
    tx.timer?.cancel();
    tx.timer = undefined;
    this.endServer(tx, tx.source.transport === 'udp' ? this.timers.t4 : 0);
  }

  /** Ends a server transaction after `ms` (at once for 0), replacing the end planned before; `expired` runs if it fires. */
  private endServer(tx: ServerTx, ms: number, expired?: () => void): void {
    tx.end?.cancel();
    tx.end = undefined;
    const end = () => {
      tx.timer?.cancel();
      tx.timer = undefined;
      tx.end = undefined;
      if (this.serverTxs.get(tx.key) === tx) this.serverTxs.delete(tx.key);
      expired?.();
    };
    if (ms <= 0) end();
    else tx.end = this.after(ms, end);
  }

  private sendResponse(tx: ServerTx, req: SipRequest, res: SipResponse): void {
    const bytes = serializeSipMessage(res);
    tx.last = bytes;
    tx.lastStatus = res.status;
    this.sendBytes(bytes, tx.source);
    if (res.status < 200 || !tx.stored) return;
    const udp = tx.source.transport === 'udp';
    if (tx.method !== 'INVITE') {
      // Timer J: retransmitted requests get this response again for 64×T1 on UDP.
      this.endServer(tx, udp ? 64 * this.t1 : 0);
      return;
    }
    if (res.status >= 300) {
      if (udp) this.retransmit(tx, bytes, this.t1); // Timer G
      this.endServer(tx, 64 * this.t1, () => { // Timer H: the ACK never came
        this.stats.finalAckTimeouts++;
        this.logger.debug({ status: res.status, transport: tx.source.transport }, 'no ACK for a final response within 64×T1 (Timer H)');
      });
      return;
    }
    // 2xx: the 2xx is retransmitted until the ACK (RFC 3261 §13.3.1.4); the transaction only lingers
    // to answer a retransmitted INVITE with the same 2xx (RFC 6026 "Accepted" state). Without an ACK
    // within 64×T1 the session is to be ended: onDidAckTimeout tells the dialog's owner (any transport).
    this.endServer(tx, udp ? 64 * this.t1 : 0);
    const callId = header(req, 'call-id') ?? '';
    const cseq = cseqOf(req).seq;
    const k = `${callId}|${cseq}`;
    const old = this.pending2xx.get(k);
    if (old) {
      old.timer?.cancel();
      old.timeout.cancel();
    }
    let interval = this.t1;
    const again = () => {
      this.sendBytes(bytes, tx.source);
      interval = Math.min(interval * 2, this.t2);
      p.timer = this.after(interval, again);
    };
    const p: { timer: SipTimer | undefined; timeout: SipTimer } = {
      timer: udp ? this.after(interval, again) : undefined,
      timeout: this.after(64 * this.t1, () => {
        p.timer?.cancel();
        this.pending2xx.delete(k);
        this.stats.ackTimeouts++;
        this._onDidAckTimeout.fire({ callId, cseq, source: tx.source });
      }),
    };
    this.pending2xx.set(k, p);
  }

  /** Timer G: the final again after `interval`, doubling up to T2. */
  private retransmit(tx: ServerTx, bytes: Buffer, interval: number): void {
    tx.timer = this.after(interval, () => {
      this.sendBytes(bytes, tx.source);
      this.retransmit(tx, bytes, Math.min(interval * 2, this.t2));
    });
  }

  /**
   * Sends a request in a new client transaction. A Via with a new branch is put on top. Responses
   * arrive at `onResponse`; a time-out (Timer B or F) arrives as a synthetic 408, a TCP connection that
   * fails before any response as a synthetic 503. For an INVITE the stack ACKs non-2xx finals itself;
   * 2xx responses (and their retransmissions) go to `onResponse` to be ACKed by the caller.
   * @returns the request as sent (with its Via) for CANCEL and ACK construction.
   */
  request(req: Omit<SipRequest, 'kind'>, to: SipAddress, onResponse: (res: SipResponse) => void, branch = this.newBranch()): SipRequest {
    const full: SipRequest = { kind: 'request', ...req, headers: [{ name: 'via', value: this.via(to.transport, branch) }, ...req.headers] };
    const bytes = serializeSipMessage(full);
    const key = `${branch}|${req.method}`;
    const invite = req.method === 'INVITE';
    const tx: ClientTx = {
      key, request: full, bytes, to, onResponse, final: false, provisional: false, interval: this.t1,
      timer: undefined, timeout: undefined, linger: undefined,
    };
    this.clientTxs.set(key, tx);
    this.sendBytes(bytes, to);
    if (to.transport === 'udp') {
      // Timer A doubles without bound and stops at a provisional; Timer E doubles up to T2, and goes on
      // every T2 after a provisional.
      const again = () => {
        if (tx.final) return;
        this.sendBytes(bytes, to);
        tx.interval = invite ? tx.interval * 2 : Math.min(tx.interval * 2, this.t2);
        tx.timer = this.after(tx.provisional && !invite ? this.t2 : tx.interval, again);
      };
      tx.timer = this.after(tx.interval, again);
    }
    // Timer B / F. An INVITE that had a provisional waits for its final (the TU cancels it when it gives up).
    tx.timeout = this.after(64 * this.t1, () => {
      if (tx.final || tx.provisional && invite) return;
      this.endClient(tx);
      onResponse(responseTo(full, 408, 'Request Timeout', undefined));
    });
    if (req.method === 'CANCEL') this.expireCancelled(branch);
    return full;
  }

  /**
   * An INVITE that was cancelled but gets no final response within 64×T1 is considered cancelled:
   * its client transaction ends with a synthetic 487 (RFC 3261 §9.1), so that a far end that never
   * answers cannot hold a call leg and its RTP port.
   */
  private expireCancelled(branch: string): void {
    const invite = this.clientTxs.get(`${branch}|INVITE`);
    if (!invite || invite.final) return;
    invite.timeout?.cancel();
    invite.timeout = this.after(64 * this.t1, () => {
      if (invite.final) return;
      this.endClient(invite);
      invite.onResponse(responseTo(invite.request, 487, 'Request Terminated', undefined));
    });
  }

  private onResponse(res: SipResponse): void {
    const branch = paramOf(header(res, 'via') ?? '', 'branch') ?? '';
    const tx = this.clientTxs.get(`${branch}|${cseqOf(res).method}`);
    if (!tx) {
      this._onDidStrayResponse.fire(res);
      return;
    }
    const invite = tx.request.method === 'INVITE';
    if (res.status < 200) {
      if (tx.final) return;
      tx.provisional = true;
      if (invite) {
        tx.timer?.cancel();
        tx.timer = undefined;
      }
      tx.onResponse(res);
      return;
    }
    const first = !tx.final;
    if (invite && res.status >= 300) {
      // Every non-2xx final, the first and its retransmissions, is ACKed here; the TU hears of the first.
      this.send(ackFor(tx.request, res), tx.to);
      if (first) tx.onResponse(res);
    } else if (first || (invite && res.status < 300)) tx.onResponse(res);
    if (!first) return;
    tx.final = true;
    tx.timer?.cancel();
    tx.timeout?.cancel();
    // Absorb retransmitted finals: Timer D after a non-2xx to an INVITE, Timer M after its 2xx (RFC 6026,
    // where the 2xx retransmissions still reach the TU to be ACKed), Timer K for other requests. On TCP
    // nothing is retransmitted and the transaction ends at once.
    const udp = tx.to.transport === 'udp';
    const linger = !udp ? 0 : !invite ? this.timers.t4 : res.status >= 300 ? this.timers.timerD : 64 * this.t1;
    if (linger === 0) this.forgetClient(tx);
    else tx.linger = this.after(linger, () => this.forgetClient(tx));
  }

  private forgetClient(tx: ClientTx): void {
    if (this.clientTxs.get(tx.key) === tx) this.clientTxs.delete(tx.key);
  }

  private endClient(tx: ClientTx): void {
    tx.final = true;
    tx.timer?.cancel();
    tx.timeout?.cancel();
    tx.linger?.cancel();
    this.forgetClient(tx);
  }

  /**
   * A TCP connection failed: the client transactions sent on it that have had no response yet end with
   * a synthetic 503 (RFC 3261 §8.1.3.1, §17.1.4), so that the TU can try the next trunk at once instead of
   * waiting for Timer B.
   */
  private transportFailed(to: SipAddress): void {
    const key = addrKey(to);
    for (const tx of [...this.clientTxs.values()]) {
      if (tx.final || tx.provisional || addrKey(tx.to) !== key) continue;
      this.stats.transportErrors++;
      this.endClient(tx);
      try {
        tx.onResponse(responseTo(tx.request, 503, 'Service Unavailable', undefined));
      } catch (err) {
        this.packetFailed(err, to);
      }
    }
  }

  /** Open TCP connections (accepted and our own). */
  get tcpConnections(): number {
    return this.connections.size;
  }

  /** Open transactions (for tests: everything ends in bounded time). */
  get openTransactions(): number {
    return this.serverTxs.size + this.clientTxs.size;
  }

  override dispose(): void {
    this.closed = true;
    for (const tx of this.serverTxs.values()) {
      tx.timer?.cancel();
      tx.end?.cancel();
    }
    for (const tx of [...this.clientTxs.values()]) this.endClient(tx);
    for (const p of this.pending2xx.values()) {
      p.timer?.cancel();
      p.timeout.cancel();
    }
    this.serverTxs.clear();
    this.pending2xx.clear();
    for (const s of this.connections.values()) s.destroy();
    this.connections.clear();
    try {
      this.udp?.close();
    } catch {
      // never bound, or already closed
    }
    if (this.tcp?.listening) this.tcp.close();
    super.dispose();
  }
}

function addrKey(a: SipAddress): string {
  return `${a.transport}:${a.host}:${a.port}`;
}

/** The sent-by (host and port) of a Via value, lower-cased; '' when it cannot be read. */
function sentByOf(via: string): string {
  return /^\s*SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+([^;,\s]+)/i.exec(via)?.[1]?.toLowerCase() ?? '';
}

/** A timer option: a positive number of ms, or the default. */
function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `${name} ${String(value)} is not a positive number of milliseconds` });
  }
  return value;
}

/** A response to `req` (RFC 3261 §8.2.6): Via, From, Call-ID and CSeq copied, To tagged. */
export function responseTo(
  req: SipRequest, status: number, reason: string, toTag: string | undefined,
  extra: readonly SipHeader[] = [], body: Buffer = Buffer.alloc(0),
): SipResponse {
  const headers: SipHeader[] = [];
  // Record-Route is copied into the provisional (101-199) and 2xx responses of a request, so that
  // the proxies that asked to stay in the dialog learn it on both sides (RFC 3261 §12.1.1).
  const recordRoute = status > 100 && status < 300;
  for (const h of req.headers) {
    if (h.name === 'via' || h.name === 'from' || h.name === 'call-id' || h.name === 'cseq' || (recordRoute && h.name === 'record-route')) headers.push(h);
    else if (h.name === 'to') headers.push({ name: 'to', value: toTag && !paramOf(h.value, 'tag') ? `${h.value};tag=${toTag}` : h.value });
  }
  headers.push(...extra);
  return { kind: 'response', status, reason, headers, body };
}

/** The ACK of a non-2xx final response: same branch and Request-URI, the response's To (§17.1.1.3). */
function ackFor(req: SipRequest, res: SipResponse): SipRequest {
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    if (h.name === 'via') {
      if (!headers.some((x) => x.name === 'via')) headers.push(h);
    } else if (h.name === 'from' || h.name === 'call-id' || h.name === 'route' || h.name === 'max-forwards') headers.push(h);
  }
  headers.push({ name: 'to', value: header(res, 'to') ?? '' }, { name: 'cseq', value: `${cseqOf(req).seq} ACK` });
  return { kind: 'request', method: 'ACK', uri: req.uri, headers, body: Buffer.alloc(0) };
}
