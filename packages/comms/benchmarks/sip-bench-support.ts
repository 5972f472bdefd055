// What the SIP benchmarks share: the loopback host, the folders they read, a free UDP port and a
// SIPp scenario with its placeholders filled. Not a benchmark itself (no `.bench` in the name).
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HOST = '127.0.0.1';
const root = process.cwd();
export const scenarios = join(root, 'packages/comms/test/sip/scenarios');
export const prompts = join(root, 'packages/comms/prompts');

export async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  const port = await new Promise<number>((r) => s.bind(0, HOST, () => r(s.address().port)));
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A copy of a SIPp scenario in `dir` with `@NAME@` placeholders replaced by `values`. */
export function scenario(dir: string, name: string, values: Record<string, string>): string {
  let xml = readFileSync(join(scenarios, name), 'utf8');
  for (const [k, v] of Object.entries(values)) xml = xml.split(`@${k}@`).join(v);
  const file = join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  writeFileSync(file, xml);
  return file;
}
