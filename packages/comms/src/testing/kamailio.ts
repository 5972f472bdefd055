// A throw-away Kamailio (Debian's package) for interop tests: the company's proxy and registrar on
// loopback, with digest authentication, Record-Route and loose routing. The configuration is
// test/kamailio/kamailio.cfg with its @NAME@ placeholders filled in; see the comments there.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSocket } from 'node:dgram';
import { LOOPBACK } from './sip-peers.js';

export const kamailioConfig = fileURLToPath(new URL('../../test/kamailio/kamailio.cfg', import.meta.url));

/** An account of the proxy: `username` authenticates; `identities` are the From/To users it may use (default: itself). */
export interface KamailioAccount {
  readonly username: string;
  readonly password: string;
  readonly identities?: readonly string[];
}

/** A running Kamailio. */
export interface KamailioProxy {
  readonly port: number;
  readonly realm: string;
  /** What Kamailio logged so far (stderr, the last 200 KB). */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL after 2 s); resolves when it has ended. */
  stop(): Promise<void>;
}

/** Where Debian puts the kamailio binary (it is under sbin, which a user's PATH may lack). */
export function kamailioBinary(): string | undefined {
  for (const p of ['/usr/sbin/kamailio', '/usr/local/sbin/kamailio']) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v kamailio'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function modulesDir(): string {
  for (const p of ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/aarch64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules', '/usr/local/lib64/kamailio/modules']) {
    if (existsSync(join(p, 'tm.so'))) return p;
  }
  return '/usr/lib/x86_64-linux-gnu/kamailio/modules';
}

function quote(value: string): string {
  if (!/^[A-Za-z0-9+._-]+$/.test(value)) throw new Error(`kamailio test account values are plain tokens, not ${JSON.stringify(value)}`);
  return `"${value}"`;
}

/**
 * Starts Kamailio on `port` of 127.0.0.1 (UDP and TCP) with the test configuration, and waits until it
 * answers OPTIONS. Killed after `timeoutMs` (default 120 s) at the latest.
 */
export async function startKamailio(options: {
  readonly dir: string;
  readonly port: number;
  readonly accounts: readonly KamailioAccount[];
  readonly realm?: string;
  /** Kamailio's debug level (default 2: warnings and our xlog lines). */
  readonly debug?: number;
  readonly timeoutMs?: number;
}): Promise<KamailioProxy> {
  const binary = kamailioBinary();
  if (!binary) throw new Error('kamailio is not installed');
  const realm = options.realm ?? 'caruso.test';
  const accounts = options.accounts.flatMap((a) => [
    `\t$sht(users=>${a.username}) = ${quote(a.password)};`,
    ...(a.identities ?? [a.username]).map((id) => `\t$sht(ids=>${id}) = ${quote(a.username)};`),
  ]);
  for (const a of options.accounts) quote(a.username);
  const run = join(options.dir, `kamailio-${options.port}`);
  mkdirSync(run, { recursive: true });
  const fill: Record<string, string> = {
    PORT: String(options.port), MODULES: modulesDir(), REALM: realm, DEBUG: String(options.debug ?? 2), ACCOUNTS: accounts.join('\n'),
  };
  let cfg = readFileSync(kamailioConfig, 'utf8');
  for (const [k, v] of Object.entries(fill)) cfg = cfg.split(`@${k}@`).join(v);
  const file = join(run, 'kamailio.cfg');
  writeFileSync(file, cfg);
  const child: ChildProcess = spawn(binary, ['-f', file, '-DD', '-E', '-m', '32', '-M', '4', '-Y', run, '-P', join(run, 'kamailio.pid'), '-w', run], {
    cwd: run, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => { output = (output + d.toString()).slice(-200_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => { output += `\n[spawn error] ${err.message}`; });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const ended = new Promise<void>((resolve) => child.once('close', () => {
    clearTimeout(killer);
    resolve();
  }));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 2000);
      await ended;
      clearTimeout(hard);
    }
  };
  try {
    await answersOptions(options.port, 8000, () => child.exitCode !== null);
  } catch (err) {
    await stop();
    throw new Error(`kamailio did not start on ${LOOPBACK}:${options.port}: ${(err as Error).message}\n${output.slice(-4000)}`);
  }
  return { port: options.port, realm, output: () => output, stop };
}

/** Sends OPTIONS to the proxy every 100 ms until a response comes (bounded by `ms`). */
async function answersOptions(port: number, ms: number, dead: () => boolean): Promise<void> {
  const socket = createSocket('udp4');
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.bind(0, LOOPBACK, () => r()));
  const local = socket.address().port;
  try {
    const answered = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    const end = Date.now() + ms;
    for (let i = 0; ; i++) {
      if (dead()) throw new Error('the process ended');
      if (Date.now() > end) throw new Error(`no answer to OPTIONS within ${ms} ms`);
      const msg = `OPTIONS sip:${LOOPBACK}:${port} SIP/2.0\r\nVia: SIP/2.0/UDP ${LOOPBACK}:${local};branch=z9hG4bKping${i}\r\n` +
        `From: <sip:ping@${LOOPBACK}>;tag=p\r\nTo: <sip:${LOOPBACK}:${port}>\r\nCall-ID: ping-${local}\r\nCSeq: ${i + 1} OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n`;
      socket.send(msg, port, LOOPBACK);
      const got = await Promise.race([answered.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
      if (got) return;
    }
  } finally {
    socket.close();
  }
}
