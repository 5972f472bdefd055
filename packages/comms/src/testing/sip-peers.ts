// Real SIP peers for tests of the SIP adapter and of assemblies that use it (`@caruso/comms/testing`): SIPp runs (bounded in time, killed in afterAll),
// free loopback ports, audio generated with sox and measured with sox.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOOPBACK = '127.0.0.1';
export const scenarioDir = fileURLToPath(new URL('../../test/sip/scenarios/', import.meta.url));
export const promptDir = fileURLToPath(new URL('../../prompts/', import.meta.url));

export function has(command: string, args = ['-v']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch (err) {
    // sipp -v exits 1 but runs; only a missing binary counts as absent.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Whether `port` can be listened on over TCP on loopback now (checked, then released). */
function tcpFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, LOOPBACK, () => s.close(() => resolve(true)));
  });
}

/** A port free on loopback for both UDP and TCP (then released). */
export async function freePort(): Promise<number> {
  for (;;) {
    const udp = createSocket('udp4');
    const port = await new Promise<number>((resolve) => udp.bind(0, LOOPBACK, () => resolve(udp.address().port)));
    const free = await tcpFree(port);
    await new Promise<void>((r) => udp.close(() => r()));
    if (free) return port;
  }
}

/**
 * A port for a SIP user agent that listens on UDP and TCP at `p` and, like baresip built with TLS,
 * on TCP at `p + 1` for SIP over TLS: all three checked free, then released (another process may
 * still take one meanwhile, but a neighbour the check never looked at no longer fails the start).
 */
export async function freeSipPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port < 65535 && (await tcpFree(port + 1))) return port;
  }
  throw new Error('no two neighbouring free ports on loopback');
}

/**
 * A media port for SIPp (`-mp`): SIPp binds it for audio and the port two above for video, so both
 * must be free on UDP (checked, then released; another process may still take one meanwhile).
 */
export async function freeMediaPort(): Promise<number> {
  const bind = (port: number) => new Promise<ReturnType<typeof createSocket> | undefined>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind(port, LOOPBACK, () => resolve(s));
  });
  for (let attempt = 0; attempt < 50; attempt++) {
    const audio = await bind(0);
    if (!audio) continue;
    const port = audio.address().port;
    const video = port + 2 <= 65535 ? await bind(port + 2) : undefined;
    await new Promise<void>((r) => audio.close(() => r()));
    if (video) {
      await new Promise<void>((r) => video.close(() => r()));
      return port;
    }
  }
  throw new Error('no free pair of media ports on loopback');
}

/** A random even RTP range of `size` ports for one test file (files run in parallel). */
export function rtpRange(size = 400): { min: number; max: number } {
  const min = 30000 + 2 * Math.floor(Math.random() * 7000);
  return { min, max: min + size };
}

export interface SippRun {
  readonly child: ChildProcess;
  /** Exit code and output when SIPp ends (0: every call succeeded). */
  readonly done: Promise<{ code: number | null; output: string }>;
  /**
   * Resolves once SIPp listens on its SIP port (UDP or TCP), so the first request sent to it is not
   * lost to a process still starting; rejects when SIPp ends first or after 10 s. A test that times
   * what SIPp receives (retransmission timers) awaits it before the first request.
   */
  readonly listening: Promise<void>;
}

/** True when a socket on this machine is bound to `port` (Linux: /proc/net/{udp,tcp}{,6}). */
function portBound(port: number): boolean {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['udp', 'udp6', 'tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${table}`, 'latin1');
    } catch {
      continue;
    }
    // Column 2 is the local address (`0100007F:13C4`), column 4 the state: a TCP socket counts only
    // when it listens (0A), not a connection left in TIME_WAIT on that port.
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(suffix) && (table.startsWith('udp') || cols[3] === '0A')) return true;
    }
  }
  return false;
}

const running = new Set<ChildProcess>();

/**
 * Runs SIPp with a scenario from `scenarios/`, its `@NAME@` placeholders filled in, on loopback only.
 * SIPp is killed after `timeoutMs` (default 20 s) at the latest.
 */
export function sipp(options: {
  readonly scenario: string;
  readonly dir: string;
  readonly placeholders?: Readonly<Record<string, string>>;
  readonly port: number;
  readonly mediaPort: number;
  readonly remotePort?: number;
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
}): SippRun {
  let xml = readFileSync(join(scenarioDir, options.scenario), 'utf8');
  for (const [k, v] of Object.entries(options.placeholders ?? {})) xml = xml.split(`@${k}@`).join(v);
  const file = join(options.dir, `${options.port}-${options.scenario}`);
  writeFileSync(file, xml);
  const args = [
    '-sf', file, '-i', LOOPBACK, '-p', String(options.port), '-mi', LOOPBACK, '-mp', String(options.mediaPort),
    '-nostdin', '-trace_err', '-error_file', join(options.dir, `${options.port}-errors.log`),
    ...(options.args ?? []),
    ...(options.remotePort !== undefined ? [`${LOOPBACK}:${options.remotePort}`] : []),
  ];
  const child = spawn('sipp', args, { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  child.stderr?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      let errors = '';
      try {
        errors = readFileSync(join(options.dir, `${options.port}-errors.log`), 'utf8').slice(-4000);
      } catch {
        // no error file: no errors
      }
      resolve({ code, output: output + errors });
    });
  });
  const listening = (async () => {
    let ended = false;
    child.once('close', () => (ended = true));
    const started = Date.now();
    // Without /proc (not Linux) nothing can be seen: a short wait stands in.
    if (!existsSync('/proc/net/udp')) return void (await new Promise((r) => setTimeout(r, 300)));
    while (!portBound(options.port)) {
      if (ended) throw new Error(`SIPp ended before it listened on port ${options.port}: ${output.slice(-2000)}`);
      if (Date.now() - started > 10_000) throw new Error(`SIPp did not listen on port ${options.port} within 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  // A run nobody waits on for listening must not report an unhandled rejection.
  listening.catch(() => undefined as void);
  return { child, done, listening };
}

/** Kills every SIPp still running (afterAll). */
export async function killPeers(): Promise<void> {
  const waits = [...running].map((c) => new Promise<void>((r) => { c.once('close', () => r()); c.kill('SIGKILL'); }));
  await Promise.all(waits);
}

/** A µ-law WAV tone of `seconds` at `hz` (what SIPp streams as the caller's voice). */
export function makeTone(path: string, seconds: number, hz = 440): string {
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'u-law', path, 'synth', String(seconds), 'sine', String(hz), 'vol', '0.5']);
  return path;
}

/** Length and RMS amplitude of a WAV file, measured by sox. */
export function soxStat(path: string): { seconds: number; rms: number; maxAmplitude: number } {
  // sox prints the statistics on stderr.
  const text = spawnSync('sox', [path, '-n', 'stat'], { encoding: 'utf8' }).stderr;
  const num = (label: string) => Number(new RegExp(`${label}:\\s+(-?[\\d.]+)`).exec(text)?.[1] ?? NaN);
  return { seconds: num('Length \\(seconds\\)'), rms: num('RMS\\s+amplitude'), maxAmplitude: num('Maximum amplitude') };
}

/** Waits until `predicate` holds, polling every 20 ms, failing after `ms`. */
export async function until(predicate: () => boolean, ms: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until an asynchronous `check` (a read from a store, say) holds, polling every 50 ms, failing
 * after `ms`.
 */
export async function eventually(check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await check()) return;
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/**
 * Starts baresip as an agent's softphone: its own config folder under `dir`, no audio device (a
 * 440 Hz sine WAV as microphone, the aubridge player as speaker), auto-answer, digest credentials, and
 * the ctrl_tcp module so that the test can hang up. Killed in afterAll by {@link killPeers}.
 */
export function baresip(options: {
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  readonly registrarPort: number;
  readonly sipPort: number;
  readonly ctrlPort: number;
  readonly timeoutMs?: number;
}): { readonly child: ChildProcess; readonly output: () => string; command(name: string): Promise<void> } {
  const conf = join(options.dir, `baresip-${options.user}`);
  mkdirSync(conf, { recursive: true });
  // The microphone: 20 s of a 440 Hz sine at 8 kHz (aufile needs the codec's rate; ausine only does 48 kHz).
  const mic = join(conf, 'mic.wav');
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', mic, 'synth', '20', 'sine', '440', 'vol', '0.5']);
  writeFileSync(join(conf, 'config'), [
    `sip_listen ${LOOPBACK}:${options.sipPort}`,
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module aubridge.so',
    'module_app account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen ${LOOPBACK}:${options.ctrlPort}`,
    `audio_source aufile,${mic}`,
    'audio_player aubridge,caruso',
    'audio_alert aubridge,caruso',
    `rtp_ports 40000-40100`,
    'dns_server 127.0.0.1:53',
    '',
  ].join('\n'));
  writeFileSync(join(conf, 'accounts'),
    `<sip:${options.user}@${LOOPBACK}:${options.registrarPort};transport=udp>;auth_pass=${options.password};answermode=auto;regint=600;audio_codecs=PCMU\n`);
  const child = spawn('baresip', ['-f', conf], { cwd: conf, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('close', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  child.stderr?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 25_000);
  child.on('close', () => clearTimeout(timer));
  return {
    child,
    output: () => output,
    command: (name: string) => new Promise<void>((resolve, reject) => {
      const json = JSON.stringify({ command: name, token: 't1' });
      const socket = createConnection({ host: LOOPBACK, port: options.ctrlPort }, () => {
        socket.end(`${Buffer.byteLength(json)}:${json},`);
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
      setTimeout(() => socket.destroy(), 1000);
    }),
  };
}
