// The four transaction machines of RFC 3261 §17 in SipStack, timer by timer, on a clock the test moves
// by hand: the far end is a real UDP socket or TCP connection on loopback, the timers are not waited for.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { parseSipMessage, SipStreamFramer, defaultSipLimits, type SipMessage, type SipRequest, type SipResponse } from '@caruso/comms/testing';
import { SipStack, type IncomingRequest, type SipAddress } from '../../src/telephony/sip/sip-stack.js';
import type { SipClock, SipTimer } from '../../src/telephony/sip/sip-timers.js';

const LOOPBACK = '127.0.0.1';

/** A clock that only moves when told: every due timer runs, in order, at its own time. */
class ManualClock implements SipClock {
  now = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];

  schedule(fn: () => void, ms: number): SipTimer {
    const t = { at: this.now + ms, seq: this.seq++, fn, live: true };
    this.timers.push(t);
    return { cancel: () => { t.live = false; } };
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.now = due.at;
      due.fn();
    }
    this.now = end;
    this.timers = this.timers.filter((t) => t.live);
  }

  /** Moves to the absolute time `at` (ms since the start). */
  to(at: number): void {
    if (at < this.now) throw new Error(`the clock is at ${this.now}, past ${at}`);
    this.advance(at - this.now);
  }
}

/** Lets the datagrams or segments already sent arrive: a real timer, then a poll phase of the event loop. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setImmediate(r));
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 3000;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The far end on UDP: every message it gets, with the manual clock's time of arrival. */
class UdpPeer {
  readonly got: { at: number; msg: SipMessage }[] = [];
  private constructor(private readonly socket: UdpSocket, readonly port: number) {}

  static async open(clock: ManualClock): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    socket.on('error', () => undefined);
    const port = await new Promise<number>((r) => socket.bind(0, LOOPBACK, () => r(socket.address().port)));
    const peer = new UdpPeer(socket, port);
    socket.on('message', (buf) => {
      const parsed = parseSipMessage(buf, defaultSipLimits, true);
      if (parsed.ok) peer.got.push({ at: clock.now, msg: parsed.message });
    });
    return peer;
  }

  get address(): SipAddress {
    return { transport: 'udp', host: LOOPBACK, port: this.port };
  }

  send(text: string, port: number): void {
    this.socket.send(Buffer.from(text), port, LOOPBACK);
  }

  requests(method: string): SipRequest[] {
    return this.got.map((g) => g.msg).filter((m): m is SipRequest => m.kind === 'request' && m.method === method);
  }

  responses(status: number): SipResponse[] {
    return this.got.map((g) => g.msg).filter((m): m is SipResponse => m.kind === 'response' && m.status === status);
  }

  close(): void {
    this.socket.close();
  }
}

/** The far end on TCP: a listener; what arrives on any accepted connection is framed into messages. */
class TcpPeer {
  private constructor(private readonly server: Server, readonly port: number, readonly got: SipMessage[], readonly sockets: Socket[]) {}

  static async open(): Promise<TcpPeer> {
    const got: SipMessage[] = [];
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      const framer = new SipStreamFramer(defaultSipLimits);
      socket.on('data', (chunk: Buffer) => {
        for (const m of framer.push(chunk).messages) {
          const parsed = parseSipMessage(m, defaultSipLimits, false);
          if (parsed.ok) got.push(parsed.message);
        }
      });
    });
    server.on('error', () => undefined);
    const port = await new Promise<number>((r) => server.listen(0, LOOPBACK, () => r((server.address() as { port: number }).port)));
    return new TcpPeer(server, port, got, sockets);
  }

  get address(): SipAddress {
    return { transport: 'tcp', host: LOOPBACK, port: this.port };
  }

  send(text: string): void {
    this.sockets[0]!.write(text);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function hdr(m: SipMessage, name: string): string {
  return m.headers.find((h) => h.name === name)?.value ?? '';
}

/** A response to a request the stack sent, as the far end writes it (its Via copied). */
function answer(req: SipRequest, status: number, reason: string, toTag = 'far1'): string {
  return `SIP/2.0 ${status} ${reason}\r\nVia: ${hdr(req, 'via')}\r\nFrom: ${hdr(req, 'from')}\r\nTo: ${hdr(req, 'to')};tag=${toTag}\r\n` +
    `Call-ID: ${hdr(req, 'call-id')}\r\nCSeq: ${hdr(req, 'cseq')}\r\nContent-Length: 0\r\n\r\n`;
}

/** A request as the far end sends it to the stack. */
function request(method: string, opts: { branch: string; port: number; transport?: 'UDP' | 'TCP'; cseq?: number; toTag?: string; callId?: string }): string {
  const cseqMethod = method === 'ACK' ? 'INVITE' : method;
  return `${method} sip:service@${LOOPBACK} SIP/2.0\r\nVia: SIP/2.0/${opts.transport ?? 'UDP'} ${LOOPBACK}:${opts.port};branch=${opts.branch}\r\n` +
    `From: <sip:customer@${LOOPBACK}>;tag=c1\r\nTo: <sip:service@${LOOPBACK}>${opts.toTag ? `;tag=${opts.toTag}` : ''}\r\n` +
    `Call-ID: ${opts.callId ?? 'tx-test'}@${LOOPBACK}\r\nCSeq: ${opts.cseq ?? 1} ${method === 'ACK' ? 'ACK' : cseqMethod}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
}

function outgoing(method: string, cseq = 1): Omit<SipRequest, 'kind'> {
  return {
    method, uri: `sip:callee@${LOOPBACK}`, body: Buffer.alloc(0),
    headers: [
      { name: 'from', value: `<sip:caruso@${LOOPBACK}>;tag=us1` }, { name: 'to', value: `<sip:callee@${LOOPBACK}>` },
      { name: 'call-id', value: `out-${method}-${cseq}@${LOOPBACK}` }, { name: 'cseq', value: `${cseq} ${method}` }, { name: 'max-forwards', value: '70' },
    ],
  };
}

describe('SipStack transactions (RFC 3261 §17) on a manual clock', () => {
  let clock: ManualClock;
  let stack: SipStack;
  let peer: UdpPeer;
  const incoming: IncomingRequest[] = [];
  const stray: SipResponse[] = [];

  beforeEach(async () => {
    clock = new ManualClock();
    stack = new SipStack({ host: LOOPBACK, port: 0, clock });
    await stack.listen();
    stack.onDidRequest((r) => incoming.push(r));
    stack.onDidStrayResponse((r) => stray.push(r));
    peer = await UdpPeer.open(clock);
  });

  afterEach(() => {
    stack.dispose();
    peer.close();
    incoming.length = 0;
    stray.length = 0;
  });

  describe('INVITE client transaction', () => {
    it('retransmits over UDP at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s (Timer A) and gives the TU a 408 at 32 s (Timer B)', async () => {
      const got: SipResponse[] = [];
      stack.request(outgoing('INVITE'), peer.address, (r) => got.push(r));
      const expected = [0, 500, 1500, 3500, 7500, 15_500, 31_500];
      for (const [i, at] of expected.entries()) {
        clock.to(Math.max(0, at - 1));
        await settle();
        expect(peer.requests('INVITE')).toHaveLength(at > 0 ? i : 1);
        clock.to(at);
        await until(() => peer.requests('INVITE').length === i + 1, `send ${i + 1} at ${at} ms`);
      }
      clock.to(31_999);
      expect(got).toEqual([]);
      clock.to(32_000);
      expect(got.map((r) => r.status)).toEqual([408]);
      clock.advance(60_000);
      await settle();
      expect(peer.requests('INVITE')).toHaveLength(7);
      expect(stack.openTransactions).toBe(0);
    });

    it('stops retransmitting at a provisional and then waits for the final past Timer B', async () => {
      const got: number[] = [];
      stack.request(outgoing('INVITE'), peer.address, (r) => got.push(r.status));
      await until(() => peer.requests('INVITE').length === 1, 'the INVITE');
      clock.to(500);
      await until(() => peer.requests('INVITE').length === 2, 'the first retransmission');
      peer.send(answer(peer.requests('INVITE')[0]!, 180, 'Ringing'), stack.port);
      await until(() => got.length === 1, 'the 180 at the TU');
      clock.to(40_000);
      await settle();
      expect(peer.requests('INVITE')).toHaveLength(2);
      expect(got).toEqual([180]);
      expect(stack.openTransactions).toBe(1);
    });

    it('ACKs a non-2xx final and each retransmission of it, tells the TU once, and absorbs them until Timer D (32 s)', async () => {
      const got: number[] = [];
      const sent = stack.request(outgoing('INVITE'), peer.address, (r) => got.push(r.status));
      await until(() => peer.requests('INVITE').length === 1, 'the INVITE');
      const busy = answer(peer.requests('INVITE')[0]!, 486, 'Busy Here');
      peer.send(busy, stack.port);
      await until(() => peer.requests('ACK').length === 1, 'the ACK');
      const ack = peer.requests('ACK')[0]!;
      // The ACK of a non-2xx is in the INVITE's transaction: same branch, the response's To (RFC 3261 §17.1.1.3).
      expect(hdr(ack, 'via')).toBe(hdr(sent, 'via'));
      expect(hdr(ack, 'to')).toMatch(/tag=far1/);
      expect(hdr(ack, 'cseq')).toBe('1 ACK');
      clock.to(10_000);
      peer.send(busy, stack.port);
      await until(() => peer.requests('ACK').length === 2, 'the ACK of the retransmitted 486');
      clock.to(31_999);
      peer.send(busy, stack.port);
      await until(() => peer.requests('ACK').length === 3, 'the ACK before Timer D');
      expect(got).toEqual([486]);
      expect(stray).toHaveLength(0);
      clock.to(32_000);
      expect(stack.openTransactions).toBe(0);
      peer.send(busy, stack.port);
      await until(() => stray.length === 1, 'a 486 after Timer D to be stray');
      expect(peer.requests('INVITE')).toHaveLength(1);
    });

    it('after a 2xx passes its retransmissions to the TU for 64×T1 (RFC 6026 Timer M), then they are stray', async () => {
      const got: number[] = [];
      stack.request(outgoing('INVITE'), peer.address, (r) => got.push(r.status));
      await until(() => peer.requests('INVITE').length === 1, 'the INVITE');
      const ok = answer(peer.requests('INVITE')[0]!, 200, 'OK');
      peer.send(ok, stack.port);
      await until(() => got.length === 1, 'the 200');
      clock.to(4000);
      peer.send(ok, stack.port);
      await until(() => got.length === 2, 'the retransmitted 200 at the TU');
      expect(peer.requests('ACK')).toHaveLength(0); // a 2xx is ACKed by the TU, not the transaction
      clock.to(32_000);
      peer.send(ok, stack.port);
      await until(() => stray.length === 1, 'the 200 after Timer M to be stray');
      expect(got).toEqual([200, 200]);
    });
  });

  describe('INVITE server transaction', () => {
    it('retransmits a non-2xx final over UDP at T1 doubling up to T2 (Timer G) and gives up at 64×T1 (Timer H)', async () => {
      peer.send(request('INVITE', { branch: 'z9hG4bK-g1', port: peer.port }), stack.port);
      await until(() => incoming.length === 1, 'the INVITE at the TU');
      incoming[0]!.respond(486, 'Busy Here');
      // Sends at 0, then 0.5, 1.5, 3.5, 7.5 and every 4 s (T2): 11.5 … 31.5.
      const expected = [0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500];
      for (const [i, at] of expected.entries()) {
        clock.to(Math.max(0, at - 1));
        await settle();
        expect(peer.responses(486)).toHaveLength(at > 0 ? i : 1);
        clock.to(at);
        await until(() => peer.responses(486).length === i + 1, `486 number ${i + 1} at ${at} ms`);
      }
      expect(stack.stats.finalAckTimeouts).toBe(0);
      clock.to(32_000);
      expect(stack.stats.finalAckTimeouts).toBe(1);
      expect(stack.openTransactions).toBe(0);
      clock.advance(60_000);
      await settle();
      expect(peer.responses(486)).toHaveLength(expected.length);
    });

    it('answers a retransmitted INVITE with the last provisional, not a second call; after the ACK absorbs ACKs for T4 (Timer I)', async () => {
      const invite = request('INVITE', { branch: 'z9hG4bK-i1', port: peer.port });
      peer.send(invite, stack.port);
      await until(() => incoming.length === 1, 'the INVITE at the TU');
      incoming[0]!.respond(180, 'Ringing', { toTag: 'us9' });
      await until(() => peer.responses(180).length === 1, 'the 180');
      peer.send(invite, stack.port);
      await until(() => peer.responses(180).length === 2, 'the 180 again');
      expect(incoming).toHaveLength(1);
      expect(stack.stats.retransmissions).toBe(1);
      incoming[0]!.respond(486, 'Busy Here');
      await until(() => peer.responses(486).length === 1, 'the 486');
      clock.to(500);
      await until(() => peer.responses(486).length === 2, 'the 486 by Timer G');
      const ack = request('ACK', { branch: 'z9hG4bK-i1', port: peer.port, toTag: 'us9' });
      peer.send(ack, stack.port);
      await settle();
      clock.to(1500);
      await settle();
      expect(peer.responses(486)).toHaveLength(2); // Timer G stopped
      peer.send(ack, stack.port);
      await settle();
      expect(incoming).toHaveLength(1); // the ACKs never reach the TU
      expect(stack.openTransactions).toBe(1);
      clock.to(500 + 5000 - 1);
      expect(stack.openTransactions).toBe(1);
      clock.to(500 + 5000 + 1);
      expect(stack.openTransactions).toBe(0);
      expect(stack.stats.finalAckTimeouts).toBe(0);
    });

    it('keeps a retransmitted INVITE and its ACK apart from another client using the same branch (sent-by)', async () => {
      const other = await UdpPeer.open(clock);
      try {
        peer.send(request('INVITE', { branch: 'z9hG4bK-same', port: peer.port }), stack.port);
        await until(() => incoming.length === 1, 'the first INVITE');
        other.send(request('INVITE', { branch: 'z9hG4bK-same', port: other.port, callId: 'other' }), stack.port);
        await until(() => incoming.length === 2, 'the second INVITE, a transaction of its own');
        expect(incoming.map((r) => r.source.port)).toEqual([peer.port, other.port]);
      } finally {
        other.close();
      }
    });
  });

  describe('non-INVITE client transaction', () => {
    it('retransmits at 0.5, 1.5, 3.5, 7.5 s then every T2 (Timer E), every T2 after a provisional, and gives a 408 at 32 s (Timer F)', async () => {
      const got: number[] = [];
      stack.request(outgoing('BYE'), peer.address, (r) => got.push(r.status));
      for (const [i, at] of [0, 500, 1500, 3500, 7500, 11_500].entries()) {
        clock.to(Math.max(0, at - 1));
        await settle();
        expect(peer.requests('BYE')).toHaveLength(at > 0 ? i : 1);
        clock.to(at);
        await until(() => peer.requests('BYE').length === i + 1, `BYE ${i + 1} at ${at} ms`);
      }
      peer.send(answer(peer.requests('BYE')[0]!, 100, 'Trying'), stack.port);
      await until(() => got.length === 1, 'the 100 at the TU');
      clock.to(15_500);
      await until(() => peer.requests('BYE').length === 7, 'the next one T2 later');
      clock.to(31_999);
      await settle();
      expect(peer.requests('BYE')).toHaveLength(11); // 19.5, 23.5, 27.5, 31.5
      clock.to(32_000);
      expect(got).toEqual([100, 408]);
      expect(stack.openTransactions).toBe(0);
    });

    it('absorbs a retransmitted final for T4 (Timer K), then it is stray', async () => {
      const got: number[] = [];
      stack.request(outgoing('OPTIONS'), peer.address, (r) => got.push(r.status));
      await until(() => peer.requests('OPTIONS').length === 1, 'the OPTIONS');
      const ok = answer(peer.requests('OPTIONS')[0]!, 200, 'OK');
      peer.send(ok, stack.port);
      await until(() => got.length === 1, 'the 200');
      clock.to(4999);
      peer.send(ok, stack.port);
      await settle();
      expect(got).toEqual([200]);
      expect(stray).toHaveLength(0);
      clock.to(5000);
      expect(stack.openTransactions).toBe(0);
      peer.send(ok, stack.port);
      await until(() => stray.length === 1, 'a 200 after Timer K to be stray');
      clock.advance(60_000);
      await settle();
      expect(peer.requests('OPTIONS')).toHaveLength(1);
    });
  });

  describe('non-INVITE server transaction', () => {
    it('replays the last response to a retransmitted request for 64×T1 (Timer J), and the TU sees it once', async () => {
      const bye = request('BYE', { branch: 'z9hG4bK-j1', port: peer.port, toTag: 'us1', cseq: 2 });
      peer.send(bye, stack.port);
      await until(() => incoming.length === 1, 'the BYE at the TU');
      peer.send(bye, stack.port); // before any response: absorbed
      await settle();
      expect(peer.got).toHaveLength(0);
      incoming[0]!.respond(200, 'OK');
      await until(() => peer.responses(200).length === 1, 'the 200');
      clock.to(31_999);
      peer.send(bye, stack.port);
      await until(() => peer.responses(200).length === 2, 'the same 200 again');
      const [first, again] = peer.responses(200);
      expect(again).toEqual(first);
      expect(incoming).toHaveLength(1);
      clock.to(32_000);
      expect(stack.openTransactions).toBe(0);
      peer.send(bye, stack.port);
      await until(() => incoming.length === 2, 'a BYE after Timer J to be new');
    });
  });

  it('takes T1, T2, T4 and Timer D from its options (T4 and D follow T1) and refuses a value that is not a positive number of ms', async () => {
    const fast = new SipStack({ host: LOOPBACK, port: 0, clock, t1Ms: 100, t2Ms: 300, t4Ms: 700, timerDMs: 900 });
    await fast.listen();
    try {
      expect(fast.timerValues).toEqual({ t1: 100, t2: 300, t4: 700, timerD: 900 });
      // RFC 3261's values by default; T4 and Timer D follow a changed T1 (every transaction ends within 64×T1).
      expect(stack.timerValues).toEqual({ t1: 500, t2: 4000, t4: 5000, timerD: 32_000 });
      const scaled = new SipStack({ host: LOOPBACK, port: 0, t1Ms: 20 });
      expect(scaled.timerValues).toEqual({ t1: 20, t2: 4000, t4: 200, timerD: 1280 });
      scaled.dispose();
      const start = clock.now;
      const got: number[] = [];
      fast.request(outgoing('OPTIONS'), peer.address, (r) => got.push(r.status));
      for (const [i, at] of [0, 100, 300, 600, 900, 1200].entries()) {
        clock.to(start + at);
        await until(() => peer.requests('OPTIONS').length === i + 1, `OPTIONS ${i + 1} at ${at} ms`);
      }
      clock.to(start + 6400);
      expect(got).toEqual([408]);
    } finally {
      fast.dispose();
    }
    let refused: unknown;
    try {
      new SipStack({ host: LOOPBACK, port: 0, t2Ms: 0 }).dispose();
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: 'CARUSO_COMMS_SIP_INVALID_OPTIONS' });
    expect(() => new SipStack({ host: LOOPBACK, port: 0, t4Ms: Number.NaN })).toThrow(/t4Ms NaN/);
  });
});

describe('SipStack transactions over TCP (no retransmissions; Timers D, I, J, K are 0)', () => {
  let clock: ManualClock;
  let stack: SipStack;
  let peer: TcpPeer;
  const incoming: IncomingRequest[] = [];

  beforeEach(async () => {
    clock = new ManualClock();
    stack = new SipStack({ host: LOOPBACK, port: 0, clock });
    await stack.listen();
    stack.onDidRequest((r) => incoming.push(r));
    peer = await TcpPeer.open();
  });

  afterEach(async () => {
    stack.dispose();
    await peer.close();
    incoming.length = 0;
  });

  it('sends an INVITE once, gives a 408 at 64×T1 (Timer B), and a refused connection a 503 at once', async () => {
    const got: number[] = [];
    stack.request(outgoing('INVITE'), peer.address, (r) => got.push(r.status));
    await until(() => peer.got.length === 1, 'the INVITE');
    clock.to(31_999);
    await settle();
    expect(peer.got).toHaveLength(1);
    clock.to(32_000);
    expect(got).toEqual([408]);
    // Nothing listens on the port any more: the TU hears at once, not after Timer B.
    const closed = peer.port;
    await peer.close();
    await until(() => stack.tcpConnections === 0, 'our connection to the closed peer to end');
    peer = await TcpPeer.open();
    const refused: number[] = [];
    stack.request(outgoing('INVITE', 2), { transport: 'tcp', host: LOOPBACK, port: closed }, (r) => refused.push(r.status));
    await until(() => refused.length === 1, 'the 503');
    expect(refused).toEqual([503]);
    expect(stack.stats.transportErrors).toBe(1);
    expect(stack.openTransactions).toBe(0);
  });

  it('ends a client transaction at its final at once: a 486 is ACKed and the transaction is gone (Timer D = 0)', async () => {
    const got: number[] = [];
    stack.request(outgoing('INVITE'), peer.address, (r) => got.push(r.status));
    await until(() => peer.got.length === 1, 'the INVITE');
    peer.send(answer(peer.got[0] as SipRequest, 486, 'Busy Here'));
    await until(() => peer.got.length === 2, 'the ACK');
    expect(peer.got[1]).toMatchObject({ kind: 'request', method: 'ACK' });
    expect(got).toEqual([486]);
    expect(stack.openTransactions).toBe(0);
  });

  it('does not retransmit a non-2xx final (no Timer G), keeps it until the ACK or Timer H, and ends at the ACK (Timer I = 0)', async () => {
    const first = createConnection({ host: LOOPBACK, port: stack.port });
    first.on('error', () => undefined);
    const got: SipMessage[] = [];
    const framer = new SipStreamFramer(defaultSipLimits);
    first.on('data', (c: Buffer) => {
      for (const m of framer.push(c).messages) {
        const p = parseSipMessage(m, defaultSipLimits, false);
        if (p.ok) got.push(p.message);
      }
    });
    try {
      const port = await new Promise<number>((r) => first.once('connect', () => r(first.localPort!)));
      first.write(request('INVITE', { branch: 'z9hG4bK-t1', port, transport: 'TCP' }));
      first.write(request('INVITE', { branch: 'z9hG4bK-t2', port, transport: 'TCP', callId: 'second' }));
      await until(() => incoming.length === 2, 'both INVITEs');
      incoming[0]!.respond(486, 'Busy Here');
      incoming[1]!.respond(486, 'Busy Here');
      await until(() => got.length === 2, 'the 486s');
      clock.to(31_999);
      await settle();
      expect(got).toHaveLength(2);
      first.write(request('ACK', { branch: 'z9hG4bK-t1', port, transport: 'TCP', toTag: 'x' }));
      await until(() => stack.openTransactions === 1, 'the ACKed transaction to end at once');
      clock.to(32_000); // Timer H for the other one
      expect(stack.openTransactions).toBe(0);
      expect(stack.stats.finalAckTimeouts).toBe(1);
      expect(incoming).toHaveLength(2);
    } finally {
      first.destroy();
    }
  });

  it('ends a non-INVITE server transaction with its final (Timer J = 0)', async () => {
    const c = createConnection({ host: LOOPBACK, port: stack.port });
    c.on('error', () => undefined);
    try {
      const port = await new Promise<number>((r) => c.once('connect', () => r(c.localPort!)));
      c.write(request('OPTIONS', { branch: 'z9hG4bK-o1', port, transport: 'TCP' }));
      await until(() => incoming.length === 1, 'the OPTIONS');
      expect(stack.openTransactions).toBe(1);
      incoming[0]!.respond(200, 'OK');
      expect(stack.openTransactions).toBe(0);
    } finally {
      c.destroy();
    }
  });
});
