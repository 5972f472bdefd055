import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode, InputError, UsageError, type CommandArea, type CommandIO, type Verb } from './command.js';
import { areas } from './commands/index.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string };
  return pkg.version;
}

function topHelp(): string {
  const width = Math.max(...areas.map((a) => a.name.length));
  return [
    'caruso: assemble and run a customer-care front office from pluggable services.',
    '',
    'Usage: caruso <area> [<verb>] [options]',
    '       caruso <area> --help',
    '',
    'Areas:',
    ...areas.map((a) => `  ${a.name.padEnd(width)}  ${a.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (at every level)',
    '  -v, --version  print the version',
    '',
    'Exit codes: 0 ok, 1 bad input (a message says what and where), 2 usage error.',
  ].join('\n');
}

function areaHelp(area: CommandArea): string {
  const verbs = Object.entries(area.verbs ?? {});
  const width = Math.max(...verbs.map(([n]) => n.length));
  return [
    `caruso ${area.name}: ${area.summary}`,
    '',
    `Usage: caruso ${area.name} <verb> [options]`,
    '',
    'Verbs:',
    ...verbs.map(([n, v]) => `  ${n.padEnd(width)}  ${v.summary}`),
    '',
    `Run 'caruso ${area.name} <verb> --help' for a verb's options.`,
  ].join('\n');
}

function defaultIO(): CommandIO {
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), signal: ac.signal };
}

async function runVerb(verb: Verb, args: string[], io: CommandIO, usagePrefix: string): Promise<ExitCode> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(verb.help.trimEnd() + '\n');
    return ExitCode.Ok;
  }
  try {
    return await verb.run(args, io);
  } catch (err) {
    // parseArgs errors carry an ERR_PARSE_ARGS_* code (checked by code: instanceof fails across realms).
    if (err instanceof UsageError || (err as { code?: unknown })?.code?.toString().startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`${usagePrefix}: ${(err as Error).message}\n\n${verb.help.trimEnd()}\n`);
      return ExitCode.Usage;
    }
    if (err instanceof InputError) {
      io.stderr.write(err.message.trimEnd() + '\n');
      return ExitCode.BadInput;
    }
    if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('CARUSO_')) {
      io.stderr.write(`error: ${err.message} [${err.code}]\n`);
      return ExitCode.BadInput;
    }
    throw err;
  }
}

/**
 * Runs the caruso command line. Returns the exit code.
 * @param argv the arguments after `caruso`.
 */
export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<ExitCode> {
  const [areaName, ...rest] = argv;
  if (areaName === undefined || areaName === '--help' || areaName === '-h' || areaName === 'help') {
    io.stdout.write(topHelp() + '\n');
    return areaName === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (areaName === '--version' || areaName === '-v') {
    io.stdout.write(version() + '\n');
    return ExitCode.Ok;
  }
  const area = areas.find((a) => a.name === areaName);
  if (!area) {
    io.stderr.write(`caruso: unknown area '${areaName}'\n\n${topHelp()}\n`);
    return ExitCode.Usage;
  }
  if (area.command) return runVerb(area.command, rest, io, `caruso ${area.name}`);
  const [verbName, ...args] = rest;
  if (verbName === undefined || verbName === '--help' || verbName === '-h') {
    io.stdout.write(areaHelp(area) + '\n');
    return verbName === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const verb = area.verbs?.[verbName];
  if (!verb) {
    io.stderr.write(`caruso ${area.name}: unknown verb '${verbName}'\n\n${areaHelp(area)}\n`);
    return ExitCode.Usage;
  }
  return runVerb(verb, args, io, `caruso ${area.name} ${verbName}`);
}

