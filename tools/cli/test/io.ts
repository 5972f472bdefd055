import { PassThrough } from 'node:stream';
import type { CommandIO } from '../src/command.js';

/** A CommandIO over buffers, for calling main() in tests. */
export function bufferIO(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): CommandIO & { readonly stdin: PassThrough; out(): string; err(): string; abort(): void } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const ac = new AbortController();
  return { stdout, stderr, stdin: new PassThrough(), env, cwd, signal: ac.signal, out: () => out, err: () => err, abort: () => ac.abort() };
}
