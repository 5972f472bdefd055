import { connect } from 'node:net';

/** A plain-text message from a demo customer. */
export interface DemoMail {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/**
 * Delivers one message to an SMTP listener (the e-mail channel's) the way a mail server would:
 * EHLO, MAIL FROM, RCPT TO, DATA, QUIT, without authentication or TLS. Rejects on a reply that is
 * not the expected one, on a socket error, or after `timeoutMs`.
 * Note: meant for the demo on loopback; lines are sent as given (no dot-stuffing beyond lines
 * starting with a dot).
 */
export function sendDemoMail(address: { readonly host: string; readonly port: number }, mail: DemoMail, timeoutMs = 10_000): Promise<void> {
  const body = [
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    `Subject: ${mail.subject}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    ...mail.text.split(/\r?\n/).map((l) => (l.startsWith('.') ? `.${l}` : l)),
  ].join('\r\n');
  // Each step: what to send (undefined: nothing, just read the greeting) and the reply code expected.
  const steps: Array<readonly [string | undefined, string]> = [
    [undefined, '220'],
    ['EHLO demo-load.localhost', '250'],
    [`MAIL FROM:<${mail.from}>`, '250'],
    [`RCPT TO:<${mail.to}>`, '250'],
    ['DATA', '354'],
    [`${body}\r\n.`, '250'],
    ['QUIT', '221'],
  ];
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    let buffered = '';
    let step = 0;
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => finish(new Error('the mail listener did not answer in time')));
    socket.on('error', (err) => finish(err));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      // A reply is complete at a line whose fourth character is a space (multi-line replies use '-').
      for (;;) {
        const lines = buffered.split('\r\n');
        const last = lines.findIndex((l) => /^\d{3} /.test(l) || /^\d{3}$/.test(l));
        if (last < 0) return;
        const reply = lines[last] as string;
        buffered = lines.slice(last + 1).join('\r\n');
        const [, expected] = steps[step] as readonly [string | undefined, string];
        if (!reply.startsWith(expected)) {
          finish(new Error(`the mail listener answered '${reply.slice(0, 80)}' where ${expected} was expected`));
          return;
        }
        step++;
        if (step === steps.length) {
          finish();
          return;
        }
        socket.write(`${(steps[step] as readonly [string, string])[0]}\r\n`);
      }
    });
  });
}
