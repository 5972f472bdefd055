import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AccessList, containFault, createLogger, createServiceManager, RemoteEndpoint, setFaultLogger } from '@caruso/kernel';
import { ExitCode, InputError, UsageError, type CommandArea, type CommandIO } from '../command.js';
import { maskUrl } from '@caruso/storage';
import { isOpen, nextOpening, shiftedClock } from '@caruso/comms';
import { readAssembly, type Assembly } from '../assembly/assembly-file.js';
import { AssemblyStartError, startAssembly, toWeeklyHours } from '../assembly/assembly-runtime.js';

/** `2 d 13 h 5 min` */
function formatOffset(ms: number): string {
  const min = Math.round(ms / 60_000);
  const d = Math.floor(min / 1440);
  const h = Math.floor((min % 1440) / 60);
  return [d ? `${d} d` : '', h ? `${h} h` : '', `${min % 60} min`].filter(Boolean).join(' ');
}

const HELP = `caruso start: run a Caruso assembly.

Usage: caruso start [assembly.xml] [--check] [--simulate [--at TIME]] [--host HOST] [--port PORT]

With an assembly file (dtd/assembly.dtd): validates it (file:line:col errors, exit 1), starts every
service it declares through the service manager (storage, business objects with their tables
migrated, dialogue scripts, the communication server, the assembly's own services such as legacy
wrappers), prints the addresses and stops cleanly on Ctrl-C.

Without one: starts the service manager alone with its remote endpoint, so that other processes
(service wrappers, a front office) can register and look up services at its address.
Every service stops in reverse dependency order on Ctrl-C.

Options:
  --check       check the assembly and everything it names (model, scripts, application, queues,
                reports, the --at moment) without starting anything: file:line:col errors and exit
                1, or a one-line summary (ok: …) and exit 0
  --simulate    a demonstration or training run: also start the assembly's services marked
                run="simulate" (a load generator of simulated calls, e-mails and chats) and, with
                <sip>, run the simulated telephone network beside the SIP adapter (real phones
                still reach the IVR; numbers no trunk reaches are dialled on the simulated network)
  --at TIME     with --simulate: run the communication server and the monitor as if it were TIME
                (an ISO date-time such as 2026-11-30T10:00+01:00), or 'office-hours': now when every
                queue with opening hours is open for the next hour, else half an hour after they
                next all open, so a demonstration is busy at any hour; the clock then runs at
                normal speed
  --host HOST   interface of the remote endpoint (default: $CARUSO_MANAGER_HOST or 127.0.0.1)
  --port PORT   port of the remote endpoint (default: $CARUSO_MANAGER_PORT or 7070; 0 picks a free one)
  -h, --help    show this help

Access: remote clients authenticate with a token. Grants come from $CARUSO_ACCESS_LIST (JSON, see
docs/operations.md); otherwise an administrator token is taken from $CARUSO_ACCESS_TOKEN, or one is
generated for this run and printed.

Environment: CARUSO_DB_URL overrides the assembly's storage URL; PORT, SIP_PORT and
CARUSO_MANAGER_PORT override its ports; secrets (passwords, relay credentials) come only from
the variables the assembly names.`;

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`port must be a whole number from 0 to 65535, got '${text}'`);
  return n;
}

async function run(args: string[], io: CommandIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { host: { type: 'string' }, port: { type: 'string' }, simulate: { type: 'boolean' }, at: { type: 'string' }, check: { type: 'boolean' } }, allowPositionals: true });
  if (values.at !== undefined && !values.simulate) throw new UsageError('--at is for demonstrations and training: it needs --simulate');
  if (positionals.length > 1) throw new UsageError(`one assembly file at most, got ${positionals.length}`);
  if (positionals.length === 1) return runAssembly(positionals[0] as string, values, io);
  if (values.simulate) throw new UsageError('--simulate needs an assembly file');
  if (values.check) throw new UsageError('--check needs an assembly file');
  const host = values.host ?? io.env['CARUSO_MANAGER_HOST'] ?? '127.0.0.1';
  const port = parsePort(values.port ?? io.env['CARUSO_MANAGER_PORT'], 7070);
  let accessList: AccessList;
  let generated: string | undefined;
  try {
    const fromEnv = AccessList.fromEnvironment(io.env);
    if (fromEnv) accessList = fromEnv;
    else {
      const secret = io.env['CARUSO_ACCESS_TOKEN'] ?? (generated = randomBytes(24).toString('base64url'));
      accessList = new AccessList([{ principal: 'admin', secret, lookup: ['*'], call: ['*'], register: ['*'] }]);
    }
  } catch (err) {
    throw new InputError(`error: access configuration: ${(err as Error).message}`);
  }

  const logger = createLogger({ level: io.env['CARUSO_LOG_LEVEL'] ?? 'warn' });
  const manager = createServiceManager({ logger });
  await manager.start();
  let endpoint: RemoteEndpoint;
  try {
    endpoint = await RemoteEndpoint.listen(manager, { host, port, accessList, logger });
  } catch (err) {
    await manager.stop();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new InputError(`error: port ${port} on ${host} is in use: is another Caruso running? Choose one with --port`);
    throw err;
  }
  io.stdout.write(
    [
      'Caruso service manager running (no assembly yet: built-in services only).',
      `  remote endpoint: ${endpoint.url}`,
      generated
        ? `  access token (generated for this run; set CARUSO_ACCESS_TOKEN to choose one): ${generated}`
        : '  access: from the environment',
      `  list services:   CARUSO_ACCESS_TOKEN=… npx caruso services --url ${endpoint.url}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stdout.write('stopping…\n');
  await endpoint.close();
  await manager.stop();
  io.stdout.write('stopped.\n');
  return ExitCode.Ok;
}

/**
 * The moment `--at` names: an ISO date-time, or `office-hours`: now when every queue with opening hours
 * is open and stays open for the next hour, else half an hour after the next moment they all are
 * (a demonstration then has every queue and a load generator in the same hours busy). Undefined: no
 * shift.
 */
export function simulationMoment(at: string | undefined, assembly: Assembly, now: number = Date.now()): number | undefined {
  if (at === undefined) return undefined;
  if (at === 'office-hours') {
    const all = assembly.queues.flatMap((q) => (q.hours && q.hours.open.length ? [toWeeklyHours(q.hours.timezone, q.hours.open)] : []));
    if (all.length === 0) return undefined;
    const open = (t: number): boolean => all.every((h) => isOpen(h, t));
    const HOUR = 3_600_000;
    if (open(now) && open(now + HOUR - 60_000)) return undefined;
    // The first quarter hour (within two weeks) from which all are open for an hour and a half: half an hour in.
    const QUARTER = 15 * 60_000;
    for (let t = Math.ceil((now + 1) / QUARTER) * QUARTER; t < now + 14 * 24 * HOUR; t += QUARTER) {
      if (open(t) && open(t + HOUR) && open(t + 1.5 * HOUR - 60_000)) return t + 30 * 60_000;
    }
    // Never all open at once: the first queue's hours.
    const first = all[0]!;
    const next = nextOpening(first, now);
    return next === undefined || next === now ? undefined : next + 30 * 60_000;
  }
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(at) ? Date.parse(at) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--at takes an ISO date-time (e.g. 2026-11-30T10:00+01:00) or office-hours, got '${at}'`);
  return ms;
}

async function runAssembly(file: string, values: { host?: string; port?: string; simulate?: boolean; at?: string; check?: boolean }, io: CommandIO): Promise<ExitCode> {
  const env = { ...io.env };
  if (values.host !== undefined) env['CARUSO_MANAGER_HOST'] = values.host;
  if (values.port !== undefined) env['CARUSO_MANAGER_PORT'] = String(parsePort(values.port, 7070));
  // Relative to the command's working folder; the messages name the file as it was given when that is the process's.
  const { assembly, diagnostics } = readAssembly(resolve(io.cwd) === process.cwd() ? file : resolve(io.cwd, file), env);
  for (const d of diagnostics) io.stderr.write(`${String(d)}\n`);
  if (!assembly) return ExitCode.BadInput;
  if (values.check) {
    simulationMoment(values.at, assembly);
    const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
    const parts = [
      `${assembly.queues.length} queues`,
      `${assembly.agents.length} agents`,
      ...(assembly.model ? ['model'] : []),
      ...(assembly.scripts ? ['scripts'] : []),
      ...(assembly.application ? ['application'] : []),
      `${assembly.services.length} services`,
    ];
    io.stdout.write(`ok: ${file}: ${parts.join(', ')} checked, ${warnings} warning${warnings === 1 ? '' : 's'}; nothing started\n`);
    return ExitCode.Ok;
  }
  const logger = createLogger({ level: io.env['CARUSO_LOG_LEVEL'] ?? 'warn' });
  setFaultLogger(logger);
  const moment = simulationMoment(values.at, assembly);
  const clock = moment === undefined ? undefined : shiftedClock(moment);
  io.stdout.write(`Starting ${assembly.name}${assembly.version ? ` ${assembly.version}` : ''} from ${file}${values.simulate ? ' (simulation: load generators and the simulated telephone network run too)' : ''} …\n`);
  let running;
  try {
    running = await startAssembly(assembly, { env, logger, ...(values.simulate ? { simulate: true } : {}), ...(clock ? { clock } : {}) });
  } catch (err) {
    if (err instanceof AssemblyStartError) throw new InputError(`error: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new InputError(`error: port ${assembly.manager.port} on ${assembly.manager.host} is in use: is another Caruso running? Choose one with --port`);
    throw err;
  }
  const lines = [
    `Caruso assembly '${assembly.name}' running.`,
    `  database:        ${maskUrl(assembly.storageUrl)}`,
    `  services:        ${running.services().map((s) => `${s.tokenId}@${s.version}`).join(', ')}`,
    `  remote endpoint: ${running.managerUrl}`,
    running.generatedAccessToken
      ? `  access token (generated for this run; set CARUSO_ACCESS_TOKEN to choose one): ${running.generatedAccessToken}`
      : '  access: from the environment',
  ];
  if (running.frontOfficeUrl) lines.splice(2, 0, `  front office:    ${running.frontOfficeUrl}`);
  if (running.sipAddress) lines.splice(2, 0, `  SIP (UDP, TCP):  ${running.sipAddress}${values.simulate ? ' (with the simulated telephone network beside it)' : ''}`);
  if (running.createdUsers.length) lines.push(`  users created:   ${running.createdUsers.join(', ')}`);
  for (const u of running.generatedPasswords) {
    lines.push(`  first-start password of ${u.name} (${u.role}): ${u.password}   (shown once; change it after logging in)`);
  }
  if (running.notStarted.length) lines.push(`  declared but not started by this version: ${running.notStarted.join('; ')}`);
  if (running.simulationOnly.length) lines.push(`  not started without --simulate: ${running.simulationOnly.join(', ')}`);
  if (clock) lines.push(`  simulation clock: ${new Date(clock.now()).toISOString()} (the wall clock ${clock.offsetMs >= 0 ? '+' : '-'} ${formatOffset(Math.abs(clock.offsetMs))}); contacts and reports carry this time`);
  lines.push('Press Ctrl-C to stop.', '');
  io.stdout.write(lines.join('\n'));
  // The last line of defence of rule 10: every listener, timer and socket of the services contains its
  // own errors; one that still escapes is logged and counted under `process` (a bug to fix), and the
  // contact center keeps serving instead of dropping every call.
  const lastResort = (err: unknown): void => containFault('process', 'uncaught', err);
  process.on('uncaughtException', lastResort);
  process.on('unhandledRejection', lastResort);
  try {
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    process.off('uncaughtException', lastResort);
    process.off('unhandledRejection', lastResort);
  }
  io.stdout.write('stopping…\n');
  await running.stop();
  io.stdout.write('stopped.\n');
  return ExitCode.Ok;
}

export const startArea: CommandArea = {
  name: 'start',
  summary: 'run an assembly: the service manager and its services',
  command: { summary: 'run an assembly', help: HELP, run },
};
