import { parseArgs } from 'node:util';
import { connectServiceManager, type ServiceInfo } from '@caruso/kernel';
import { ExitCode, InputError, UsageError, type CommandArea, type CommandIO } from '../command.js';

const HELP = `caruso services: list the services of a running service manager.

Usage: caruso services [--url ws://127.0.0.1:7070] [--token-env NAME] [--json]

Options:
  --url URL          the service manager's remote address (default: $CARUSO_MANAGER_URL or ws://127.0.0.1:7070)
  --token-env NAME   the environment variable holding the access token (default: CARUSO_ACCESS_TOKEN)
  --json             print the list as JSON instead of a table
  -h, --help         show this help

For each service: token, version, state, where it runs, health, calls, errors, calls in flight,
median latency and properties. Only the services the access token may look up are listed.`;

function medianLatency(s: ServiceInfo): string {
  const { counts, boundsMs, sampled } = s.metrics.latency;
  if (sampled === 0) return '-';
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen * 2 >= sampled) return i < boundsMs.length ? `≤${boundsMs[i]} ms` : `>${boundsMs[boundsMs.length - 1]} ms`;
  }
  return '-';
}

/** Renders rows as an aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function run(args: string[], io: CommandIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    options: { url: { type: 'string' }, 'token-env': { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const url = values.url ?? io.env['CARUSO_MANAGER_URL'] ?? 'ws://127.0.0.1:7070';
  if (!/^wss?:\/\//.test(url)) throw new UsageError(`--url must start with ws:// or wss://, got '${url}'`);
  const tokenEnv = values['token-env'] ?? 'CARUSO_ACCESS_TOKEN';
  const accessToken = io.env[tokenEnv];
  if (!accessToken) throw new InputError(`error: no access token: set ${tokenEnv} (caruso start prints one for development)`);
  let client;
  try {
    client = await connectServiceManager(url, { accessToken, name: 'caruso services', connectTimeoutMs: 5000 });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'CARUSO_KERNEL_RPC_CONNECTION_LOST') throw new InputError(`error: cannot reach a service manager at ${url}: is it running?`);
    throw err;
  }
  try {
    const services = await client.health();
    if (values.json) {
      io.stdout.write(JSON.stringify(services, null, 2) + '\n');
      return ExitCode.Ok;
    }
    const rows = services.map((s) => [
      s.tokenId,
      s.version,
      s.state,
      s.origin,
      s.health?.status ?? '-',
      String(s.metrics.calls),
      String(s.metrics.errors),
      String(s.metrics.inFlight),
      medianLatency(s),
      Object.entries(s.properties).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`).join(' '),
    ]);
    io.stdout.write(`${services.length} service(s) at ${url}\n\n`);
    io.stdout.write(table(['TOKEN', 'VERSION', 'STATE', 'ORIGIN', 'HEALTH', 'CALLS', 'ERRORS', 'IN-FLIGHT', 'P50', 'PROPERTIES'], rows) + '\n');
    return ExitCode.Ok;
  } finally {
    await client.close();
  }
}

export const servicesArea: CommandArea = {
  name: 'services',
  summary: 'list the services of a running service manager (state, version, health, metrics)',
  command: { summary: 'list services', help: HELP, run },
};
