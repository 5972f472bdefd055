import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport, type SendMailOptions } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

/** A second, real SMTP server on loopback that plays the outbound relay and keeps what it received. */
export interface TestRelay {
  readonly port: number;
  readonly received: { raw: Buffer; parsed: ParsedMail; rcptTo: string[] }[];
  /** Waits until `n` messages arrived (bounded). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(options: { users?: Record<string, string> } = {}): Promise<TestRelay> {
  const received: TestRelay['received'] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: options.users ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    authOptional: !options.users,
    allowInsecureAuth: true,
    onAuth: (auth, _s, cb) => (options.users?.[auth.username ?? ''] === auth.password ? cb(null, { user: auth.username }) : cb(new Error('bad credentials'))),
    onData: (stream, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((parsed) => {
          received.push({ raw, parsed, rcptTo: session.envelope.rcptTo.map((r) => r.address) });
          cb();
        }, cb);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    async waitFor(n, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`relay received ${received.length} of ${n} messages`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Sends one message to an SMTP server on loopback like a customer's mail server would. */
export async function sendTo(port: number, mail: SendMailOptions, auth?: { user: string; pass: string }): Promise<{ messageId: string }> {
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...(auth ? { auth } : {}), connectionTimeout: 5_000, socketTimeout: 10_000 });
  try {
    const info = (await transport.sendMail(mail)) as { messageId: string };
    return { messageId: info.messageId };
  } finally {
    transport.close();
  }
}
