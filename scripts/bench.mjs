#!/usr/bin/env node
// npm run bench [filter…] [--no-write]
// Compiles every `benchmarks/*.bench.ts` of the packages, tools and examples, runs each suite whose
// id or path contains one of the filters in its own child process, prints the figures, and writes
// them into docs/benchmarks.md (one section per suite; sections of suites not run are kept).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('Usage: npm run bench [-- <filter>…] [--no-write] [--list]\n\nRuns the benchmarks whose id or file path contains a filter (all when none),\nprints the figures, and writes them to docs/benchmarks.md unless --no-write.');
  process.exit(0);
}

// A child process runs one suite and prints its figures as JSON on the last line.
if (args[0] === '--child') {
  const mod = await import(pathToFileURL(args[1]).href);
  const suite = mod.default;
  const figures = await suite.run();
  process.stdout.write('\n' + JSON.stringify({ id: suite.id, title: suite.title, figures }) + '\n');
  process.exit(0);
}

const write = !args.includes('--no-write');
const list = args.includes('--list');
const filters = args.filter((a) => !a.startsWith('--'));

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.bench.json')], { stdio: 'inherit', cwd: root });

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.bench.js')) out.push(p);
  }
  return out;
}
const files = walk(join(root, '.bench-dist')).sort();
const chosen = files.filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)));
if (list) {
  for (const f of chosen) console.log(relative(join(root, '.bench-dist'), f));
  process.exit(0);
}

const results = [];
let failed = 0;
chosen.forEach((file, i) => {
  const rel = relative(join(root, '.bench-dist'), file).replace(/\.js$/, '.ts');
  process.stderr.write(`[${i + 1}/${chosen.length}] ${rel} … `);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', file], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CARUSO_LOG_LEVEL: process.env.CARUSO_LOG_LEVEL ?? 'silent', NODE_ENV: 'production' },
  });
  const lines = (r.stdout ?? '').trim().split('\n');
  const last = lines[lines.length - 1];
  if (r.status !== 0 || !last?.startsWith('{')) {
    failed++;
    process.stderr.write(`failed (exit ${r.status})\n${r.stderr}\n`);
    return;
  }
  process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const res = JSON.parse(last);
  if (!filters.length || filters.some((x) => rel.includes(x) || res.id.includes(x))) results.push({ ...res, file: rel });
});

const fmt = (v) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString());
// A figure is the median of at least 3 interleaved rounds with its spread (lowest–highest round), or a
// single run, labelled so; a figure that reports neither says that too.
function rounds(f) {
  if (f.rounds >= 3 && f.spread) return `median of ${f.rounds}: ${fmt(f.spread.min)}–${fmt(f.spread.max)}`;
  if (f.rounds === 1) return 'single run';
  return 'rounds not reported';
}
function section(res) {
  const rows = res.figures.map((f) => {
    const peerSpread = f.peerSpread ? ` (${fmt(f.peerSpread.min)}–${fmt(f.peerSpread.max)})` : '';
    const peer = f.peer ? `${f.peer.name}: ${fmt(f.peer.value)}${peerSpread}` : '';
    const ratio = f.peer && f.peer.value ? `${(f.value / f.peer.value).toFixed(2)}×` : '';
    const goal = f.goal ? `${f.goal} ${f.met === undefined ? '' : f.met ? '✔' : '✘'}` : '';
    // One table row: a note quoting an error message must not break it with a newline or a bar.
    const cell = (text) => String(text).replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
    return `| ${cell(f.name)} | ${fmt(f.value)} ${f.unit} | ${rounds(f)} | ${cell(peer)} | ${ratio} | ${cell(goal.trim())} | ${cell(f.note ?? '')} |`;
  });
  return [
    `<!-- bench:${res.id} -->`,
    `### ${res.title}`,
    '',
    `\`${res.file}\`, run ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    '',
    '| figure | value | rounds (lowest–highest) | peer (same run) | ratio | goal | note |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    `<!-- /bench:${res.id} -->`,
  ].join('\n');
}

for (const res of results) {
  console.log(`\n${res.title}`);
  for (const f of res.figures) console.log(`  ${f.name}: ${fmt(f.value)} ${f.unit} [${rounds(f)}]${f.peer ? `  (${f.peer.name}: ${fmt(f.peer.value)})` : ''}${f.goal ? `  goal ${f.goal} ${f.met ? 'met' : 'NOT met'}` : ''}${f.note ? `  ${f.note}` : ''}`);
}

const HEADER = [
  'Written by `npm run bench`. A figure is either the median of at least 3 rounds, measured in turns with its',
  'peer in the same run (round 1 A then B, round 2 B then A, …), shown with its spread (lowest–highest round); or',
  'a single run, labelled so (long runs and capacity ramps). The machines are shared and noisy: compare each',
  'figure with its peer of the same run rather than absolute numbers across sections.',
].join('\n');

if (write && results.length) {
  const path = join(root, 'docs/benchmarks.md');
  let doc = existsSync(path)
    ? readFileSync(path, 'utf8')
    : `# Benchmarks\n\n${HEADER}\n`;
  // The header says how to read the figures; keep it current.
  doc = doc.replace(/^(# Benchmarks\n\n)[\s\S]*?(?=\n<!-- bench:|$)/, `$1${HEADER}\n`);
  for (const res of results) {
    const block = section(res);
    const re = new RegExp(`<!-- bench:${res.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} -->[\\s\\S]*?<!-- /bench:[^>]*-->`);
    doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(path, doc.endsWith('\n') ? doc : doc + '\n');
  console.log(`\nwrote ${results.length} section(s) to docs/benchmarks.md`);
}
process.exit(failed ? 1 : 0);
