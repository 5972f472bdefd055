import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOrSkip } from '@caruso/kernel/testing';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Every XML file of the repository that declares a DOCTYPE with a SYSTEM identifier. */
function xmlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) xmlFiles(p, out);
    else if (name.endsWith('.xml')) out.push(p);
  }
  return out;
}

describe('every XML file of the repository', () => {
  it('validates against the DTD it declares (xmllint)', () => {
    if (!requireOrSkip('xmllint', spawnSync('xmllint', ['--version']).status === 0)) return;
    const files = xmlFiles(root)
      .map((file) => ({ file, system: /<!DOCTYPE\s+\w+\s+SYSTEM\s+"([^"]+)"/.exec(readFileSync(file, 'utf8'))?.[1] }))
      .filter((f): f is { file: string; system: string } => f.system !== undefined);
    expect(files.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const { file, system } of files) {
      const dtd = resolve(dirname(file), system);
      const r = spawnSync('xmllint', ['--noout', '--nonet', '--dtdvalid', dtd, file], { encoding: 'utf8' });
      if (r.status !== 0) failures.push(`${relative(root, file)}:\n${r.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
  });

  it('declares every public DTD without errors', () => {
    if (!requireOrSkip('xmllint', spawnSync('xmllint', ['--version']).status === 0)) return;
    for (const dtd of readdirSync(join(root, 'dtd')).filter((n) => n.endsWith('.dtd'))) {
      const doc = `<?xml version="1.0"?><!DOCTYPE x SYSTEM "${join(root, 'dtd', dtd)}"><x/>`;
      const r = spawnSync('xmllint', ['--noout', '--nonet', '--loaddtd', '-'], { input: doc, encoding: 'utf8' });
      expect({ dtd, stderr: r.stderr.trim() }).toEqual({ dtd, stderr: '' });
    }
  });
});
