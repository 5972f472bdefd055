// The agents' phones of the whole-system load: one small in-process SIP user agent per agent (the
// TestPhone of @caruso/comms/testing: real SIP and RTP over UDP on loopback), registered with
// Caruso's registrar with digest credentials, answering the calls Caruso rings them with and, when
// asked, talking back (a 20 ms G.711 stream) while a call is up.
import { createHash, randomBytes } from 'node:crypto';
import type { RemoteInfo, Socket } from 'node:dgram';
import { TestPhone } from '@caruso/comms/testing';

const LOOPBACK = '127.0.0.1';

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/** The `Authorization` value answering a digest challenge (RFC 2617, MD5, qop=auth when offered). */
export function digestAnswer(challenge: string, method: string, uri: string, user: string, password: string): string {
  const field = (name: string): string | undefined => new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge)?.[1];
  const realm = field('realm') ?? '';
  const nonce = field('nonce') ?? '';
  const qop = /qop="?[^"]*\bauth\b/i.test(challenge);
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5${qop ? `, qop=auth, nc=${nc}, cnonce="${cnonce}"` : ''}`;
}

/** An agent's phone: a TestPhone named after its SIP user, registered with Caruso. */
export class AgentPhone {
  private talking = false;
  /** RTP packets of audio the phone received so far (the received audio itself is dropped). */
  packetsReceived = 0;
  /** Calls the phone answered. */
  answered = 0;

  private constructor(readonly user: string, readonly phone: TestPhone, private readonly talkBack: boolean) {}

  /**
   * Opens the phone (its SIP and RTP sockets on loopback) and registers it as `user` with the
   * registrar at `registrarPort`. Rejects when the registrar refuses or does not answer in time.
   */
  static async open(user: string, password: string, registrarPort: number, options: { readonly answerAfterMs: number; readonly talkBack: boolean }): Promise<AgentPhone> {
    const phone = await TestPhone.open(user, { hz: options.talkBack ? 300 : 0 });
    phone.answerAfterMs = options.answerAfterMs;
    const p = new AgentPhone(user, phone, options.talkBack);
    try {
      await p.register(password, registrarPort);
    } catch (err) {
      await phone.close();
      throw err;
    }
    return p;
  }

  // Note: TestPhone keeps its SIP socket to itself and does not register; a REGISTER must come from
  // that socket (the registrar sends INVITEs where the REGISTER came from), so it is borrowed here.
  private get socket(): Socket {
    return (this.phone as unknown as { readonly sip: Socket }).sip;
  }

  private register(password: string, registrarPort: number, timeoutMs = 5000): Promise<void> {
    const callId = `reg-${randomBytes(6).toString('hex')}@${this.user}`;
    const tag = randomBytes(4).toString('hex');
    const uri = `sip:${LOOPBACK}:${registrarPort}`;
    const request = (cseq: number, authorization?: string): string =>
      `REGISTER ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP ${LOOPBACK}:${this.phone.sipPort};branch=z9hG4bK${randomBytes(6).toString('hex')};rport\r\n` +
      `From: <sip:${this.user}@${LOOPBACK}:${registrarPort}>;tag=${tag}\r\nTo: <sip:${this.user}@${LOOPBACK}:${registrarPort}>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\nContact: <${this.phone.uri}>\r\nExpires: 3600\r\nMax-Forwards: 70\r\n` +
      (authorization ? `Authorization: ${authorization}\r\n` : '') + 'Content-Length: 0\r\n\r\n';
    const socket = this.socket;
    return new Promise<void>((resolve, reject) => {
      let cseq = 1;
      const done = (err?: Error): void => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        if (err) reject(err);
        else resolve();
      };
      const onMessage = (buf: Buffer, _rinfo: RemoteInfo): void => {
        const text = buf.toString('latin1');
        if (!text.startsWith('SIP/2.0 ') || !text.includes(callId)) return;
        const status = Number(text.slice(8, 11));
        if (status < 200) return;
        if (status === 200) return done();
        const challenge = /\r\nWWW-Authenticate:\s*([^\r]*)/i.exec(text)?.[1];
        if (status === 401 && challenge && cseq === 1) {
          cseq++;
          socket.send(Buffer.from(request(cseq, digestAnswer(challenge, 'REGISTER', uri, this.user, password)), 'latin1'), registrarPort, LOOPBACK);
          return;
        }
        done(new Error(`the registrar answered ${status} to the REGISTER of ${this.user}`));
      };
      const timer = setTimeout(() => done(new Error(`the registrar did not answer the REGISTER of ${this.user} in ${timeoutMs} ms`)), timeoutMs);
      socket.on('message', onMessage);
      socket.send(Buffer.from(request(cseq), 'latin1'), registrarPort, LOOPBACK);
    });
  }

  /**
   * Follows the phone's calls (call it every few hundred ms): talks back while a call is up, counts
   * what it received and drops the received audio (a load run would otherwise keep it all).
   */
  tick(): void {
    const up = this.phone.connected;
    if (up && !this.talking) {
      this.talking = true;
      this.answered++;
      if (this.talkBack) this.phone.startMedia();
    } else if (!up && this.talking) {
      this.talking = false;
      this.phone.stopMedia();
    }
    this.packetsReceived += this.phone.audio.length;
    this.phone.audio.splice(0);
    this.phone.events.splice(0);
    if (this.phone.requests.length > 200) this.phone.requests.splice(0, this.phone.requests.length - 50);
  }

  /** Whether a call is up on this phone. */
  get connected(): boolean {
    return this.phone.connected;
  }

  close(): Promise<void> {
    return this.phone.close();
  }
}
