import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileSourceReader, loadScriptBundle, type ScriptBundle } from '@caruso/dialogue';

/** Absolute path of a fixture. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Loads a fixture bundle; fails the test on any error. */
export function loadFixture(name: string): ScriptBundle {
  const file = fixture(name);
  const r = loadScriptBundle(file, readFileSync(file, 'utf8'), fileSourceReader);
  if (!r.bundle) throw new Error(r.diagnostics.map(String).join('\n'));
  return r.bundle;
}
