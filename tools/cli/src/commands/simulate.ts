import { parseArgs } from 'node:util';
import { isCarusoError } from '@caruso/kernel';
import { ROUTING_STRATEGIES, runSimulation, type RoutingStrategy, type SimulationOptions } from '@caruso/comms';
import { ExitCode, UsageError, type CommandArea, type CommandIO } from '../command.js';

const HELP = `caruso simulate: run the real routing engine on a virtual clock and print contact-center figures.

Usage: caruso simulate --agents N --rate CALLS_PER_HOUR --aht SECONDS [options]

Options:
  --agents N          agents logged in to the one queue (required)
  --rate R            Poisson arrivals, calls per hour (required)
  --aht S             mean handle time in seconds, exponential (required)
  --patience S        mean patience in seconds, exponential (default: callers never hang up)
  --hours H           measured hours of traffic (default 8)
  --warmup H          hours simulated first and left out of the figures (default 10 % of --hours, at least 20 AHTs)
  --strategy S        routing strategy: ${ROUTING_STRATEGIES.join(', ')} (default longest-idle)
  --sl S              service-level threshold in seconds (default 20)
  --seed N            random seed, for reproducible runs (default 1)
  -h, --help          show this help

On a terminal, a progress bar on stderr shows how far the run got (simulated hours and calls).

Prints one JSON document: the parameters; the figures computed from the run's contact event log
(offered, answered, handled, abandoned, service level answered-within-threshold over answered, over
offered and excluding short abandons, probability of waiting, ASA, AHT, abandon rate, occupancy),
each with the half-width of its 95 % confidence interval (batch means over 20 batches); what
Erlang C (no patience) or Erlang A (exponential patience) predicts; and the run's speed.
See docs/figures.md for the definitions.`;

function number(name: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${value}'`);
  }
  return n;
}

async function run(args: string[], io: CommandIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      agents: { type: 'string' },
      rate: { type: 'string' },
      aht: { type: 'string' },
      patience: { type: 'string' },
      hours: { type: 'string' },
      warmup: { type: 'string' },
      strategy: { type: 'string' },
      sl: { type: 'string' },
      seed: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  for (const required of ['agents', 'rate', 'aht'] as const) {
    if (values[required] === undefined) throw new UsageError(`--${required} is required`);
  }
  if (values.strategy !== undefined && !ROUTING_STRATEGIES.includes(values.strategy as RoutingStrategy)) {
    throw new UsageError(`--strategy must be one of ${ROUTING_STRATEGIES.join(', ')}, got '${values.strategy}'`);
  }
  const patience = number('patience', values.patience);
  const hours = number('hours', values.hours);
  const warmup = number('warmup', values.warmup);
  const sl = number('sl', values.sl);
  const seed = number('seed', values.seed, true);
  const options: SimulationOptions = {
    agents: number('agents', values.agents, true)!,
    callsPerHour: number('rate', values.rate)!,
    ahtSeconds: number('aht', values.aht)!,
    ...(patience === undefined ? {} : { patienceSeconds: patience }),
    ...(hours === undefined ? {} : { hours }),
    ...(warmup === undefined ? {} : { warmupHours: warmup }),
    ...(values.strategy === undefined ? {} : { strategy: values.strategy as RoutingStrategy }),
    ...(sl === undefined ? {} : { slSeconds: sl }),
    ...(seed === undefined ? {} : { seed }),
  };
  const bar = io.stderr.isTTY ? progressBar(io.stderr) : undefined;
  try {
    const result = await runSimulation({ ...options, ...(bar ? { onProgress: bar.update } : {}) });
    bar?.end();
    io.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return ExitCode.Ok;
  } catch (err) {
    bar?.end();
    if (isCarusoError(err, 'CARUSO_COMMS_INVALID_SIMULATION')) throw new UsageError(`${err.message} [${err.code}]`);
    throw err;
  }
}

/** A one-line progress bar, redrawn at most every 200 ms and erased at the end. */
function progressBar(out: NodeJS.WritableStream): { update: NonNullable<SimulationOptions['onProgress']>; end(): void } {
  const started = Date.now();
  let drawn = 0;
  let shown = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - drawn < 200) return;
      drawn = now;
      shown = true;
      const share = p.totalMs > 0 ? Math.min(1, p.doneMs / p.totalMs) : 1;
      const width = 30;
      const full = Math.round(share * width);
      const hours = (p.doneMs / 3_600_000).toFixed(1);
      const eta = share > 0 ? Math.round(((now - started) / share - (now - started)) / 1000) : 0;
      out.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${Math.floor(share * 100)} %  ${hours} h simulated, ${p.calls.toLocaleString('en-US')} calls, about ${eta} s left \x1b[K`);
    },
    end() {
      if (shown) out.write('\r\x1b[K');
    },
  };
}

/** `caruso simulate`: the contact-center simulator. */
export const simulateArea: CommandArea = {
  name: 'simulate',
  summary: 'simulate a contact center on the real routing engine and compare with Erlang C / Erlang A',
  command: { summary: 'simulate a contact center', help: HELP, run },
};
