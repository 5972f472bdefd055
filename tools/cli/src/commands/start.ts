import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { AccessList, createLogger, createServiceManager, RemoteEndpoint } from '@caruso/kernel';
import { ExitCode, InputError, UsageError, type CommandArea, type CommandIO } from '../command.js';

const HELP = `caruso start: run a Caruso assembly.

Usage: caruso start [--host HOST] [--port PORT]

Starts the service manager with its built-in services and its remote endpoint, so that other
processes (service wrappers, a front office) can register and look up services at its address.
Stop it with Ctrl-C: every service stops in reverse dependency order.

Options:
  --host HOST   interface of the remote endpoint (default: $CARUSO_MANAGER_HOST or 127.0.0.1)
  --port PORT   port of the remote endpoint (default: $CARUSO_MANAGER_PORT or 7070; 0 picks a free one)
  -h, --help    show this help

Access: remote clients authenticate with a token. Grants come from $CARUSO_ACCESS_LIST (JSON, see
docs/operations.md); otherwise an administrator token is taken from $CARUSO_ACCESS_TOKEN, or one is
generated for this run and printed.

Assembly files (examples/utility) are not read yet: until they exist, 'caruso start' runs the
service manager alone and says so.`;

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`port must be a whole number from 0 to 65535, got '${text}'`);
  return n;
}

async function run(args: string[], io: CommandIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { host: { type: 'string' }, port: { type: 'string' } }, allowPositionals: true });
  if (positionals.length > 0) {
    throw new InputError(`error: ${positionals[0]}: assembly files are not supported yet; run 'caruso start' without one to start the service manager alone`);
  }
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

export const startArea: CommandArea = {
  name: 'start',
  summary: 'run an assembly: the service manager and its services',
  command: { summary: 'run an assembly', help: HELP, run },
};
