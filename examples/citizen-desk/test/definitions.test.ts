// The definition files of examples/citizen-desk through the caruso command line: the models
// validate, the scripts lint clean and pass their own test cases (one test file per script), the
// application validates against the model, the scripts and the assembly's queues, and every XML
// file validates against the DTD it declares.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOrSkip } from '@caruso/kernel/testing';
import { main } from '../../../tools/cli/src/main.js';
import { bufferIO } from '../../../tools/cli/test/io.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const example = 'examples/citizen-desk';

function xmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'data') return [];
    if (statSync(path).isDirectory()) return xmlFiles(path);
    return name.endsWith('.xml') ? [path] : [];
  });
}

async function caruso(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO({}, repo);
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

function hasXmllint(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('examples/citizen-desk definitions', () => {
  it('has models that pass caruso model validate', async () => {
    for (const m of ['citizen.model.xml', 'legacy-tax.model.xml']) {
      expect(await caruso('model', 'validate', join(example, 'model', m))).toMatchObject({ code: 0, err: '' });
    }
  });

  it('has scripts that pass caruso script lint without errors or warnings, and validate against the model', async () => {
    const lint = await caruso('script', 'lint', join(example, 'scripts'));
    expect(lint.out + lint.err).toMatch(/0 warnings/);
    expect(lint.code).toBe(0);
    const checked = await caruso('script', 'validate', join(example, 'scripts'), '--model', join(example, 'model/citizen.model.xml'));
    expect(checked.out + checked.err).toMatch(/^ok: 6 scripts, 0 warnings/m);
    expect(checked.code).toBe(0);
  });

  it('has scripts whose every test case passes, and a test file for every script', async () => {
    const dir = join(repo, example, 'scripts');
    const scripts = readdirSync(dir).filter((n) => n.endsWith('.xml'));
    const tests = readdirSync(dir).filter((n) => n.endsWith('.test.json'));
    expect(tests.map((t) => t.replace('.test.json', '.xml')).sort()).toEqual(scripts.sort());
    const r = await caruso('script', 'test', join(example, 'scripts'));
    expect(r.out).toMatch(/ 0 failed/);
    expect(r.code).toBe(0);
  });

  it('has an application that validates against its model, scripts and queues', async () => {
    const r = await caruso(
      'app', 'validate', join(example, 'app/citizen.app.xml'),
      '--model', join(example, 'model/citizen.model.xml'),
      '--scripts', join(example, 'scripts'),
      '--assembly', join(example, 'assembly.xml'),
    );
    expect(r.out + r.err).toMatch(/^ok: .*0 warnings/m);
    expect(r.code).toBe(0);
  });

  it('has an assembly that caruso start --check accepts without starting anything', async () => {
    const r = await caruso('start', '--check', join(example, 'assembly.xml'));
    expect(r.out + r.err).toMatch(/^ok: .*5 queues, 3 agents.*0 warnings; nothing started/m);
    expect(r.code).toBe(0);
  });

  it('has XML files that validate against their DTDs (xmllint)', () => {
    if (!requireOrSkip('xmllint (libxml2-utils)', hasXmllint())) return;
    const files = xmlFiles(join(repo, example));
    expect(files.map((f) => relative(join(repo, example), f)).sort()).toEqual([
      'app/citizen.app.xml',
      'assembly.xml',
      'model/citizen.model.xml',
      'model/legacy-tax.model.xml',
      'scripts/appointment.xml',
      'scripts/desk-report.xml',
      'scripts/email-intake.xml',
      'scripts/ivr-main.xml',
      'scripts/report-public-space.xml',
      'scripts/tax-payment-arrangement.xml',
    ]);
    for (const file of files) expect(() => execFileSync('xmllint', ['--noout', '--valid', file], { stdio: 'pipe' })).not.toThrow();
  });
});
