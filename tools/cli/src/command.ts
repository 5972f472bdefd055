/**
 * How a command area (`caruso <area> <verb>`) is declared. Each area lives in `src/commands/<area>.ts`.
 */

/** Exit codes of every caruso command. */
export const ExitCode = {
  /** All went well. */
  Ok: 0,
  /** The input was bad (a file, a model, a script); a message says what and where. */
  BadInput: 1,
  /** The command line itself was wrong. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where a command writes. Tests pass buffers; the real CLI passes process streams. */
export interface CommandIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Aborted on Ctrl-C; long-running commands stop cleanly. */
  readonly signal: AbortSignal;
}

/** One verb of an area (or an area without verbs, like `start`). */
export interface Verb {
  /** One line, shown in the area's help. */
  readonly summary: string;
  /** The usage line(s) and option list, shown by `--help`. */
  readonly help: string;
  /** Runs the verb with the arguments after it. Returns the exit code. */
  run(args: string[], io: CommandIO): Promise<ExitCode>;
}

/** A command area: `caruso <name> <verb> …`, or a single command when `verbs` is absent. */
export interface CommandArea {
  readonly name: string;
  readonly summary: string;
  /** The verbs of the area. */
  readonly verbs?: Readonly<Record<string, Verb>>;
  /** For an area that is a command by itself (`caruso start`). */
  readonly command?: Verb;
}

/** Thrown for a wrong command line; the CLI prints the message and the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Thrown for bad input; the CLI prints the message, exit 1. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
