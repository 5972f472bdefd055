import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport, type SendMailOptions } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback playing the outbound relay; it keeps what it received. */
export interface TestRelay {
  readonly port: number;
  readonly received: { readonly parsed: ParsedMail; readonly rcptTo: string[] }[];
  /** Waits (bounded) until `n` messages arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(): Promise<TestRelay> {
  const received: { parsed: ParsedMail; rcptTo: string[] }[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    authOptional: true,
    onData: (stream, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        simpleParser(Buffer.concat(chunks)).then((parsed) => {
          received.push({ parsed, rcptTo: session.envelope.rcptTo.map((r) => r.address) });
          cb();
        }, cb);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    async waitFor(n, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`the relay received ${received.length} of ${n} messages`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Sends one message to an SMTP server on loopback, as a customer's mail server would. */
export async function sendMail(port: number, mail: SendMailOptions): Promise<string> {
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5_000, socketTimeout: 10_000 });
  try {
    return ((await transport.sendMail(mail)) as { messageId: string }).messageId;
  } finally {
    transport.close();
  }
}

/** Waits (bounded) until `check` holds. */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
