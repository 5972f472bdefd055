// A raw SIP peer for hostile-input tests: one real UDP socket on a loopback address that sends
// hand-written requests and records every response and request it gets back, by Call-ID.
import { createSocket, type Socket } from 'node:dgram';
import { until } from '@caruso/comms/testing';

/** A message the peer received. */
export interface RawMessage {
  readonly text: string;
  /** Status of a response, undefined for a request. */
  readonly status: number | undefined;
  /** Method of a request, undefined for a response. */
  readonly method: string | undefined;
  readonly at: number;
}

/** An SDP offer of one audio stream (µ-law and telephone-events) on `port`. */
export function offer(port: number, host = '127.0.0.1'): string {
  return `v=0\r\no=x 1 1 IN IP4 ${host}\r\ns=-\r\nc=IN IP4 ${host}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\n` +
    'a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n';
}

export class RawSipPeer {
  private readonly received = new Map<string, RawMessage[]>();
  private constructor(private readonly socket: Socket, readonly host: string, readonly port: number, private readonly target: number) {
    socket.on('message', (buf) => {
      const text = buf.toString('latin1');
      const callId = /\r\n(?:Call-ID|i): *([^\r]+)/i.exec(text)?.[1];
      if (!callId) return;
      const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
      const method = /^([A-Z]+) \S+ SIP\/2\.0/.exec(text)?.[1];
      const list = this.received.get(callId) ?? [];
      list.push({ text, status: status === undefined ? undefined : Number(status), method, at: Date.now() });
      this.received.set(callId, list);
      // Requests from the server in a dialog (BYE) are answered 200 like a phone would.
      if (method === 'BYE') this.respond(text, 200, 'OK');
    });
  }

  /** Binds a peer on `host` (any 127.x.y.z works on Linux loopback) that talks to `target`. */
  static async open(target: number, host = '127.0.0.1'): Promise<RawSipPeer> {
    const socket = createSocket('udp4');
    socket.on('error', () => undefined);
    const port = await new Promise<number>((resolve) => socket.bind(0, host, () => resolve(socket.address().port)));
    return new RawSipPeer(socket, host, port, target);
  }

  /** Sends a raw message to the server. */
  send(text: string | Buffer): void {
    this.socket.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, this.target, '127.0.0.1');
  }

  /** A request of this peer (INVITE with `body` as SDP when given); `extra` is added to the headers. */
  request(method: string, callId: string, options: { readonly body?: string; readonly extra?: string; readonly cseq?: number; readonly toTag?: string; readonly uri?: string } = {}): string {
    const body = options.body ?? '';
    return `${method} ${options.uri ?? 'sip:100@127.0.0.1'} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${this.host}:${this.port};branch=z9hG4bK${callId}-${method === 'CANCEL' ? 'INVITE' : method}-${options.cseq ?? 1};rport\r\n` +
      `From: <sip:peer@${this.host}>;tag=f${callId}\r\nTo: <sip:100@127.0.0.1>${options.toTag ? `;tag=${options.toTag}` : ''}\r\n` +
      `Call-ID: ${callId}\r\nCSeq: ${options.cseq ?? 1} ${method}\r\nMax-Forwards: 70\r\n` +
      `Contact: <sip:peer@${this.host}:${this.port}>\r\n` +
      (options.extra ?? '') +
      (body ? 'Content-Type: application/sdp\r\n' : '') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }

  /** Everything received for `callId`. */
  messages(callId: string): RawMessage[] {
    return this.received.get(callId) ?? [];
  }

  /** The statuses received for `callId`, in order (retransmissions included). */
  statuses(callId: string): number[] {
    return this.messages(callId).flatMap((m) => (m.status === undefined ? [] : [m.status]));
  }

  /** Waits for the first final response to `callId` and returns it. */
  async final(callId: string, ms = 2000): Promise<RawMessage> {
    const pick = () => this.messages(callId).find((m) => m.status !== undefined && m.status >= 200);
    await until(() => pick() !== undefined, ms, `a final response to ${callId}`);
    return pick()!;
  }

  /** Waits for a request `method` from the server in `callId`'s dialog. */
  async requestFrom(callId: string, method: string, ms: number): Promise<RawMessage> {
    const pick = () => this.messages(callId).find((m) => m.method === method);
    await until(() => pick() !== undefined, ms, `${method} for ${callId}`);
    return pick()!;
  }

  /** ACKs the 2xx to the INVITE of `callId` (the To tag of the response). */
  ack(callId: string): void {
    const ok = this.messages(callId).find((m) => m.status !== undefined && m.status >= 200 && m.status < 300);
    const toTag = ok && /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(ok.text)?.[1];
    if (!toTag) throw new Error(`no 2xx with a To tag for ${callId}`);
    this.send(this.request('ACK', callId, toTag ? { toTag } : {}));
  }

  /** Hangs up `callId` with BYE. */
  bye(callId: string): void {
    const ok = this.messages(callId).find((m) => m.status !== undefined && m.status >= 200 && m.status < 300);
    const toTag = ok && /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(ok.text)?.[1];
    if (!toTag) throw new Error(`no 2xx with a To tag for ${callId}`);
    this.send(this.request('BYE', callId, { toTag, cseq: 2 }));
  }

  /** Answers a request the server sent (`toTag` is added to To when given; `sdp` as the body). */
  respond(text: string, status: number, reason: string, toTag?: string, sdp?: string): void {
    const keep = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq|v|f|t|i):/i.test(l))
      .map((l) => (toTag && /^(To|t):/i.test(l) && !/;tag=/i.test(l) ? `${l};tag=${toTag}` : l));
    const body = sdp ?? '';
    const type = sdp === undefined ? '' : 'Content-Type: application/sdp\r\n';
    this.send(`SIP/2.0 ${status} ${reason}\r\n${keep.join('\r\n')}\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  /** Every request `method` the server sent, in any dialog. */
  requests(method: string): RawMessage[] {
    return [...this.received.values()].flat().filter((m) => m.method === method);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}
