// Issue 13, the XML part of the fuzz suite (`npm run test:fuzz`): mutations of every XML file of
// examples/ and of the DTD-valid test fixtures (byte flips, truncation, elements and attributes
// duplicated, removed or renamed, entity and DOCTYPE injection, deep nesting, huge attribute values,
// invalid UTF-8, UTF-16 and UTF-32 byte-order marks) are written to a file and read by the four
// readers: the business-object model reader (objects), the dialogue script parser (dialogue), the
// application reader (frontoffice) and the assembly reader (this CLI). Each must succeed or return
// diagnostics as `file:line:col: error: message`; none may throw, take longer than PER_INPUT_MS on
// one input, or read a file the input points at (an external entity at a marker file never leaks
// the marker). Seeded (CARUSO_FUZZ_SEED), so a failure can be replayed; bounded in count and time.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { XmlDiagnostic } from '@caruso/kernel';
import { readModelFile, type Model } from '@caruso/objects';
import { parseScript } from '@caruso/dialogue';
import { readApplicationFile } from '@caruso/frontoffice';
import { readAssembly } from '../src/assembly/assembly-file.js';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const SEED = Number(process.env['CARUSO_FUZZ_SEED'] ?? 1013);
/** Mutated inputs per source kind; each input goes to all four readers. */
const RUNS = Number(process.env['CARUSO_FUZZ_XML_RUNS'] ?? 800);
/**
 * The most CPU time one reader may use on one input (a hang or a quadratic blow-up fails here). CPU
 * time, not wall-clock time: on a shared machine other processes must not make an input "slow".
 */
const PER_INPUT_MS = 3_000;
/** Wall-clock budget of one property; the inputs tried so far are counted and reported. */
const PROPERTY_MS = Number(process.env['CARUSO_FUZZ_XML_MS'] ?? 20_000);
/** Mutated files given to the caruso commands (script, model and app validate), and their time budget. */
const CLI_RUNS = Number(process.env['CARUSO_FUZZ_XML_CLI_RUNS'] ?? 300);
const CLI_MS = Number(process.env['CARUSO_FUZZ_XML_MS'] ?? 20_000) / 2;

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Folders whose XML files are the seeds of the mutations (copied to a sandbox with their neighbours). */
const ROOTS = ['examples/utility', 'examples/utility-water', 'packages/dialogue/test/fixtures', 'packages/objects/test/fixtures', 'packages/frontoffice/test/fixtures', 'tools/cli/test/fixtures/assembly'];
/** Fixtures that are broken on purpose (they are tests of diagnostics), not seeds. */
// The caller-rights pair is a second model and application in a subfolder of the front office's
// fixtures; the harness pairs one model per root, so it is left out of the seeds (the crm pair covers both readers).
const NOT_SEEDS = new Set([
  'packages/objects/test/fixtures/broken.model.xml',
  'tools/cli/test/fixtures/assembly/broken.assembly.xml',
  'packages/frontoffice/test/fixtures/caller-rights/app.xml',
  'packages/frontoffice/test/fixtures/caller-rights/model.xml',
]);
const SKIP_DIRS = new Set(['node_modules', 'dist', 'data', 'src', 'test', 'legacy-billing']);

type Kind = 'model' | 'script' | 'application' | 'assembly';
const KINDS: readonly Kind[] = ['model', 'script', 'application', 'assembly'];
const ROOT_OF: Readonly<Record<string, Kind>> = { model: 'model', script: 'script', application: 'application', assembly: 'assembly' };

interface Source {
  readonly kind: Kind;
  /** Path relative to the repository (and to the sandbox). */
  readonly rel: string;
  readonly text: string;
  readonly root: string;
}

interface ReadOutcome {
  readonly ok: boolean;
  readonly diagnostics: readonly XmlDiagnostic[];
  readonly value: unknown;
}

// ------------------------------------------------------------------------------------ the sandbox

let sandbox: string;
let marker: string;
let markerFile: string;
let markerDtd: string;
const sources: Source[] = [];
const models = new Map<string, Model>();
const scriptIds = new Map<string, Set<string>>();
const tried: Record<Kind, number> = { model: 0, script: 0, application: 0, assembly: 0 };
/** Inputs given to each caruso command. */
const commandRuns = new Map<string, number>();
const accepted: Record<Kind, number> = { model: 0, script: 0, application: 0, assembly: 0 };
/** Inputs that got past the guard and the XML parser to the reader's own checks. */
const checked: Record<Kind, number> = { model: 0, script: 0, application: 0, assembly: 0 };
/** Codes of the diagnostics given before a reader's own checks run (guard and parser). */
const XML_LEVEL = new Set(['not-well-formed', 'too-large', 'empty', 'encoding', 'doctype', 'doctype-entity', 'doctype-external', 'too-deep', 'no-root']);
let slowest = { ms: 0, what: '' };
/** Inputs on which a reader threw, took too long or broke the diagnostic form (each fails the test). */
let failures = 0;

function xmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...xmlFiles(p));
    } else if (name.endsWith('.xml')) out.push(p);
  }
  return out;
}

/** The root element's name of a well-formed file. */
function rootName(text: string): string | undefined {
  return /<([A-Za-z][\w.-]*)[\s>/]/.exec(text.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, ''))?.[1];
}

/** The application's model: the one the assembly of its folder names, or the model file beside it. */
function modelFor(root: string): string | undefined {
  const assembly = sources.find((s) => s.root === root && s.kind === 'assembly');
  const src = assembly && /<model\s[^>]*src="([^"]+)"/.exec(assembly.text)?.[1];
  if (src) return join(dirname(assembly.rel), src);
  // The model at the root's top, not one of a test's own subfolder (fixtures/caller-rights/model.xml).
  const depth = (rel: string): number => rel.split('/').length;
  return sources.filter((s) => s.root === root && s.kind === 'model').sort((a, b) => depth(a.rel) - depth(b.rel))[0]?.rel;
}

/** Every `*-env` name an assembly uses, with a value, so that the unmutated file reads cleanly. */
function assemblyEnv(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const m of text.matchAll(/\benv="([A-Z_][A-Z0-9_]*)"|-env="([A-Z_][A-Z0-9_]*)"/g)) {
    const name = (m[1] ?? m[2]) as string;
    if (name !== 'CARUSO_DB_URL') env[name] = 'fuzz secret 0123456789';
  }
  return env;
}

// ------------------------------------------------------------------------------------ the readers

function read(kind: Kind, file: string, source: Source): ReadOutcome {
  switch (kind) {
    case 'model': {
      const r = readModelFile(file);
      return { ok: r.model !== undefined, diagnostics: r.diagnostics, value: r.model };
    }
    case 'script': {
      const r = parseScript(readFileSync(file, 'utf8'), file);
      return { ok: r.script !== undefined, diagnostics: r.diagnostics, value: r.script };
    }
    case 'application': {
      const model = models.get(source.root) ?? models.values().next().value;
      if (!model) throw new Error('no model to read an application against');
      const scripts = scriptIds.get(source.root);
      const r = readApplicationFile(file, { model, ...(scripts ? { scripts } : {}) });
      return { ok: r.application !== undefined, diagnostics: r.diagnostics, value: r.application };
    }
    case 'assembly': {
      const r = readAssembly(file, assemblyEnv(source.text));
      return { ok: r.assembly !== undefined, diagnostics: r.diagnostics, value: r.assembly };
    }
  }
}

const DIAGNOSTIC = /^(.+):(\d+):(\d+): (error|warning): (\S[\s\S]*)$/;
/**
 * Diagnostics known to break the form, each to be fixed where it is made and then removed from here
 * (this list only shrinks). They are counted in the summary line, not failed; docs/fuzzing.md lists them.
 */
const KNOWN_MALFORMED: readonly { readonly where: string; readonly pattern: RegExp }[] = [];
const knownHits = new Map<string, number>();

/**
 * Whether the assembly at `file` names `path` itself, in an attribute (absolute, or relative to its
 * folder). An assembly is the integrator's configuration (it names the code modules it loads too):
 * reading the model or application it names, wherever it is, is its right, and that file's errors
 * name that file. A file reached any other way (an external entity) never is.
 */
function namedByAssembly(file: string, path: string): boolean {
  const text = readFileSync(file, 'latin1');
  for (const m of text.matchAll(/=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const v = m[1] ?? m[2];
    if (v && (v === path || resolve(dirname(file), v) === path)) return true;
  }
  return false;
}

/** Everything a reader must hold to for one input; returns what was wrong, or undefined. */
function judge(kind: Kind, file: string, source: Source, describe: string): string | undefined {
  const cpu0 = process.cpuUsage();
  let outcome: ReadOutcome;
  try {
    outcome = read(kind, file, source);
  } catch (err) {
    return `the ${kind} reader threw ${(err as Error)?.stack ?? String(err)}`;
  }
  const used = process.cpuUsage(cpu0);
  const ms = (used.user + used.system) / 1000;
  if (ms > slowest.ms) slowest = { ms, what: `${kind} reader on ${describe}` };
  if (ms > PER_INPUT_MS) return `the ${kind} reader used ${Math.round(ms)} ms of CPU time (limit ${PER_INPUT_MS} ms)`;
  const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
  if (!outcome.ok && errors.length === 0) return `the ${kind} reader refused the input without an error diagnostic`;
  if (outcome.ok && errors.length > 0) return `the ${kind} reader returned a result and errors: ${errors.map(String).join(' | ')}`;
  for (const d of outcome.diagnostics) {
    const line = String(d);
    const known = KNOWN_MALFORMED.find((k) => k.pattern.test(line));
    if (known) knownHits.set(known.where, (knownHits.get(known.where) ?? 0) + 1);
    // A known message is held to everything but its blank start.
    const m = (known ? /^(.+):(\d+):(\d+): (error|warning): ([\s\S]+)$/ : DIAGNOSTIC).exec(line);
    if (!m) return `a diagnostic is not file:line:col: severity: message: ${JSON.stringify(line.slice(0, 300))}`;
    if (!Number.isInteger(d.line) || !Number.isInteger(d.col) || d.line < 1 || d.col < 1) return `a diagnostic has no position: ${line.slice(0, 300)}`;
    if (!(m[1] as string).startsWith(sandbox) && m[1] !== file && !(kind === 'assembly' && namedByAssembly(file, m[1] as string))) return `a diagnostic names a file outside the sandbox: ${line.slice(0, 300)}`;
    if (/\n\s+at .+:\d+:\d+\)?/.test(line)) return `a diagnostic carries a stack trace: ${line.slice(0, 500)}`;
    if (/\bundefined\b|\[object Object\]|\bNaN:/.test(line.replace(/'[^']*'|"[^"]*"/g, ''))) return `a diagnostic says undefined, NaN or [object Object]: ${line.slice(0, 300)}`;
    if (line.includes(marker)) return `a diagnostic leaks the content of the marker file: ${line.slice(0, 300)}`;
  }
  if (!outcome.diagnostics.every((d) => d.code !== undefined && XML_LEVEL.has(d.code))) checked[kind]++;
  if (outcome.ok) {
    accepted[kind]++;
    let json = '';
    try {
      json = JSON.stringify(outcome.value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    } catch {
      json = '';
    }
    if (json.includes(marker)) return `the ${kind} reader's result holds the content of the marker file`;
  }
  return undefined;
}

// ------------------------------------------------------------------------------------ mutations

interface Spans {
  /** [start, end) of every element, outermost first. */
  readonly elements: { readonly start: number; readonly end: number; readonly name: string; readonly contentStart: number; readonly contentEnd: number }[];
  /** [start, end) of every attribute (` name="value"`) and of its value. */
  readonly attributes: { readonly start: number; readonly end: number; readonly valueStart: number; readonly valueEnd: number }[];
  /** Offsets just after a start tag's `>` (places for text). */
  readonly textSpots: number[];
}

/**
 * A best-effort scan of the current text (it may already be broken by an earlier mutation). One pass
 * with indexOf and no backtracking regular expression: a mutated text must not make the harness slow.
 */
function scan(text: string): Spans {
  const elements: Spans['elements'][number][] = [];
  const attributes: Spans['attributes'][number][] = [];
  const textSpots: number[] = [];
  const open: { start: number; name: string; contentStart: number }[] = [];
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  const nameEnd = (from: number): number => {
    let k = from;
    while (k < text.length && !isSpace(text[k]) && !'=/>"\'<'.includes(text[k] as string)) k++;
    return k;
  };
  const skipTo = (from: number, marker: string): number => {
    const e = text.indexOf(marker, from);
    return e < 0 ? text.length : e + marker.length;
  };
  let i = text.indexOf('<');
  while (i >= 0 && i < text.length) {
    let next = i + 1;
    if (text.startsWith('<!--', i)) next = skipTo(i + 4, '-->');
    else if (text.startsWith('<![CDATA[', i)) next = skipTo(i + 9, ']]>');
    else if (text.startsWith('<?', i)) next = skipTo(i + 2, '?>');
    else if (text.startsWith('<!', i)) next = skipTo(i + 2, '>');
    else if (text[i + 1] === '/') {
      const end = nameEnd(i + 2);
      const name = text.slice(i + 2, end);
      next = skipTo(end, '>');
      let k = open.length - 1;
      while (k >= 0 && (open[k] as (typeof open)[number]).name !== name) k--;
      if (k >= 0) {
        const o = open[k] as (typeof open)[number];
        open.length = k;
        elements.push({ start: o.start, end: next, name, contentStart: o.contentStart, contentEnd: i });
      }
    } else if (/[A-Za-z_:]/.test(text[i + 1] ?? '')) {
      const end = nameEnd(i + 1);
      const name = text.slice(i + 1, end);
      const found: Spans['attributes'][number][] = [];
      let k = end;
      let closed: '>' | '/>' | undefined;
      for (;;) {
        const before = k;
        while (isSpace(text[k])) k++;
        if (text[k] === '>') closed = '>';
        else if (text.startsWith('/>', k)) closed = '/>';
        if (closed || k === before) break;
        const an = nameEnd(k);
        let v = an;
        while (isSpace(text[v])) v++;
        if (an === k || text[v] !== '=') break;
        v++;
        while (isSpace(text[v])) v++;
        const quote = text[v];
        if (quote !== '"' && quote !== "'") break;
        const close = text.indexOf(quote, v + 1);
        if (close < 0) break;
        found.push({ start: before, end: close + 1, valueStart: v + 1, valueEnd: close });
        k = close + 1;
      }
      if (closed) {
        const tagEnd = k + closed.length;
        attributes.push(...found);
        if (closed === '/>') elements.push({ start: i, end: tagEnd, name, contentStart: tagEnd, contentEnd: tagEnd });
        else {
          open.push({ start: i, name, contentStart: tagEnd });
          textSpots.push(tagEnd);
        }
        next = tagEnd;
      }
    }
    i = text.indexOf('<', next);
  }
  elements.sort((a, b) => a.start - b.start);
  return { elements, attributes, textSpots };
}

const pickOf = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);
const splice = (s: string, start: number, end: number, insert: string): string => s.slice(0, start) + insert + s.slice(end);

/** Values an attribute may be set to: extremes of numbers, names, expressions, paths and sizes. */
const VALUES = [
  '', ' ', '-1', '0', '1e999', 'NaN', 'Infinity', '9007199254740993', '0x10', '1.5', 'true', 'yes',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '${process.exit(1)}', '{{7*7}}', "a' or '1'='1", 'x)(', '((((((((((((((((((((a', 'a && || b', '$.a.b[0]', 'customer.', 'not not not',
  '../../../../../etc/passwd', '/etc/passwd', 'file:///etc/passwd', 'http://127.0.0.1:1/x', 'C:\\windows\\win.ini', '\\\\host\\share',
  'nl-NL-x-' + 'a'.repeat(60), '\u0000', '\u202e', '😀', '\uFFFF', '\uD800', 'Europe/Atlantis', '25:61', 'mon-xyz', 'sqlite:', 'postgres://u:p@127.0.0.1:1/x',
];
const NAMES_EXTRA = ['__proto__', 'constructor', 'xi:include', 'xmlns', 'xml:lang', 'a:b:c', 'x'.repeat(300)];
/** Sizes of huge attribute values and of deep nesting. */
const HUGE = [1_000, 65_536, 1_048_576];
const DEPTHS = [100, 255, 256, 257, 5_000, 200_000];
const INVALID_UTF8 = [[0xff], [0xfe], [0x80], [0xc0, 0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00], [0xef, 0xbb, 0xbf]];
const ENCODINGS = ['utf8-bom', 'utf16le-bom', 'utf16be-bom', 'utf16le', 'utf16be', 'utf32le-bom', 'bom-twice'] as const;

/** Hostile prologues: each would read the marker file, a URL or expand without bound if entities were processed. */
function doctypes(root: string): string[] {
  return [
    `<!DOCTYPE ${root} [\n  <!ENTITY xxe SYSTEM "file://${markerFile}">\n]>`,
    `<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "${markerFile}">]>`,
    `<!DOCTYPE ${root} [<!ENTITY % pe SYSTEM "file://${markerFile}"> %pe;]>`,
    `<!DOCTYPE ${root} [<!ENTITY xxe PUBLIC "-//x//EN" "file://${markerFile}">]>`,
    `<!DOCTYPE ${root} [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY xxe "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`,
    `<!DOCTYPE ${root} SYSTEM "${markerDtd}">`,
    `<!DOCTYPE ${root} SYSTEM "file://${markerDtd}">`,
    `<!DOCTYPE ${root} PUBLIC "-//x//EN" "${markerDtd}">`,
    `<!DOCTYPE ${root} SYSTEM "http://127.0.0.1:1/x.dtd">`,
    `<!DOCTYPE ${root} [<!ELEMENT ${root} ANY>]>`,
    `<!DOCTYPE ${root} [`,
    `<!DOCTYPE`,
    `<!ENTITY xxe SYSTEM "${markerFile}">`,
    `<?xml-stylesheet href="${markerFile}"?>`,
    `<?xml version="1.0" encoding="UTF-16"?>`,
    `<?xml version="1.1" encoding="ISO-8859-1" standalone="no"?>`,
  ];
}
/** Text put into content or attribute values. */
function payloads(): string[] {
  return [
    '&xxe;', '&xxe;&xxe;&xxe;', '&lt;&gt;&amp;&quot;&apos;', '&#0;', '&#x110000;', '&#xD800;', '&#99999999999;', '&unknown;', '&', '&#;',
    ']]>', '<![CDATA[', '<![CDATA[ x ]]>', '<!--', '-->', '<?pi x?>', '<', '>', '"', "'",
    `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="${markerFile}" parse="text"/>`,
    '\r\n\r', '\t\u000b\u000c', '\u0000', '\uFEFF', '\u2028',
  ];
}

type Structural =
  | { readonly op: 'dup-element' | 'remove-element' | 'dup-attribute' | 'remove-attribute'; readonly i: number }
  | { readonly op: 'rename-element'; readonly i: number; readonly name: number }
  | { readonly op: 'set-value'; readonly i: number; readonly value: number }
  | { readonly op: 'random-value'; readonly i: number; readonly value: string }
  | { readonly op: 'huge-value'; readonly i: number; readonly size: number; readonly char: number }
  | { readonly op: 'add-attribute'; readonly i: number; readonly name: number; readonly value: number }
  | { readonly op: 'doctype'; readonly which: number; readonly ref: number }
  | { readonly op: 'insert-text'; readonly at: number; readonly which: number }
  | { readonly op: 'deep'; readonly i: number; readonly depth: number; readonly same: boolean }
  | { readonly op: 'crossover'; readonly from: number; readonly i: number; readonly at: number }
  | { readonly op: 'delete-range'; readonly at: number; readonly length: number }
  | { readonly op: 'repeat-range'; readonly at: number; readonly length: number; readonly times: number };
type ByteOp =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set-byte'; readonly at: number; readonly value: number }
  | { readonly op: 'invalid-utf8'; readonly at: number; readonly which: number }
  | { readonly op: 'truncate'; readonly at: number };
interface Mutation {
  readonly source: number;
  readonly structural: readonly Structural[];
  readonly bytes: readonly ByteOp[];
  readonly encoding: (typeof ENCODINGS)[number] | undefined;
}

const n = fc.nat({ max: 1_000_000 });
const structuralArb: fc.Arbitrary<Structural> = fc.oneof(
  fc.record({ op: fc.constantFrom('dup-element' as const, 'remove-element' as const, 'dup-attribute' as const, 'remove-attribute' as const), i: n }),
  fc.record({ op: fc.constant('rename-element' as const), i: n, name: n }),
  fc.record({ op: fc.constant('set-value' as const), i: n, value: n }),
  fc.record({ op: fc.constant('random-value' as const), i: n, value: fc.string({ unit: 'binary', maxLength: 40 }) }),
  fc.record({ op: fc.constant('huge-value' as const), i: n, size: fc.nat({ max: HUGE.length - 1 }), char: fc.nat({ max: 3 }) }),
  fc.record({ op: fc.constant('add-attribute' as const), i: n, name: n, value: n }),
  fc.record({ op: fc.constant('doctype' as const), which: n, ref: n }),
  fc.record({ op: fc.constant('insert-text' as const), at: n, which: n }),
  fc.record({ op: fc.constant('deep' as const), i: n, depth: fc.nat({ max: DEPTHS.length - 1 }), same: fc.boolean() }),
  fc.record({ op: fc.constant('crossover' as const), from: n, i: n, at: n }),
  fc.record({ op: fc.constant('delete-range' as const), at: n, length: fc.nat({ max: 200 }) }),
  fc.record({ op: fc.constant('repeat-range' as const), at: n, length: fc.nat({ max: 80 }), times: fc.integer({ min: 2, max: 200 }) }),
);
const byteArb: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: n, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('set-byte' as const), at: n, value: fc.nat({ max: 255 }) }),
  fc.record({ op: fc.constant('invalid-utf8' as const), at: n, which: fc.nat({ max: INVALID_UTF8.length - 1 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: n }),
);
/** Mostly structural changes (they reach the readers' checks); byte damage and re-encoding less often. */
function mutationArb(sourceCount: number): fc.Arbitrary<Mutation> {
  return fc.record({
    source: fc.nat({ max: sourceCount - 1 }),
    structural: fc.array(structuralArb, { minLength: 0, maxLength: 3 }),
    bytes: fc.oneof({ weight: 3, arbitrary: fc.constant([] as ByteOp[]) }, { weight: 1, arbitrary: fc.array(byteArb, { minLength: 1, maxLength: 3 }) }),
    encoding: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...ENCODINGS) }),
  }).filter((m) => m.structural.length + m.bytes.length > 0 || m.encoding !== undefined);
}

let allNames: string[] = [];
let allAttributeNames: string[] = [];

function applyStructural(text: string, op: Structural, root: string): string {
  const spans = scan(text);
  switch (op.op) {
    case 'dup-element': {
      const e = pickOf(spans.elements.slice(1), op.i);
      return e ? splice(text, e.end, e.end, text.slice(e.start, e.end)) : text;
    }
    case 'remove-element': {
      const e = pickOf(spans.elements, op.i);
      return e ? splice(text, e.start, e.end, '') : text;
    }
    case 'rename-element': {
      const e = pickOf(spans.elements, op.i);
      const name = pickOf(allNames, op.name) as string;
      if (!e) return text;
      const closing = text.slice(e.contentEnd, e.end);
      const renamedEnd = closing.startsWith('</') ? `</${name}>` : '';
      const startTag = text.slice(e.start, e.contentStart).replace(/^<[^\s/>]+/, `<${name}`);
      return e.contentStart === e.end ? splice(text, e.start, e.end, startTag) : text.slice(0, e.start) + startTag + text.slice(e.contentStart, e.contentEnd) + renamedEnd + text.slice(e.end);
    }
    case 'dup-attribute': {
      const a = pickOf(spans.attributes, op.i);
      return a ? splice(text, a.end, a.end, text.slice(a.start, a.end)) : text;
    }
    case 'remove-attribute': {
      const a = pickOf(spans.attributes, op.i);
      return a ? splice(text, a.start, a.end, '') : text;
    }
    case 'set-value': {
      const a = pickOf(spans.attributes, op.i);
      return a ? splice(text, a.valueStart, a.valueEnd, escapeAttr(pickOf(VALUES, op.value) as string)) : text;
    }
    case 'random-value': {
      const a = pickOf(spans.attributes, op.i);
      return a ? splice(text, a.valueStart, a.valueEnd, escapeAttr(op.value)) : text;
    }
    case 'huge-value': {
      const a = pickOf(spans.attributes, op.i);
      const size = HUGE[op.size] as number;
      const value = ['x'.repeat(size), '9'.repeat(size), 'a '.repeat(size / 2), '&lt;'.repeat(size / 4)][op.char] as string;
      return a ? splice(text, a.valueStart, a.valueEnd, value) : text;
    }
    case 'add-attribute': {
      const e = pickOf(spans.elements, op.i);
      if (!e) return text;
      const at = text.slice(e.start, e.contentStart).search(/\/?>$/);
      const name = pickOf(allAttributeNames, op.name) as string;
      return at < 0 ? text : splice(text, e.start + at, e.start + at, ` ${name}="${escapeAttr(pickOf(VALUES, op.value) as string)}"`);
    }
    case 'doctype': {
      const hostile = pickOf(doctypes(root), op.which) as string;
      const existing = /<!DOCTYPE[^>]*>/.exec(text);
      let out = existing ? splice(text, existing.index, existing.index + existing[0].length, hostile) : text.replace(/^(\uFEFF?<\?xml[^>]*\?>)?/, (decl) => `${decl}\n${hostile}\n`);
      // The entity is referenced where the reader looks: in content and in an attribute value.
      const after = scan(out);
      const spot = pickOf(after.textSpots, op.ref);
      if (spot !== undefined) out = splice(out, spot, spot, '&xxe;');
      const a = pickOf(scan(out).attributes, op.ref);
      if (a) out = splice(out, a.valueStart, a.valueStart, '&xxe;');
      return out;
    }
    case 'insert-text': {
      const spot = pickOf(spans.textSpots, op.at) ?? op.at % (text.length + 1);
      return splice(text, spot, spot, pickOf(payloads(), op.which) as string);
    }
    case 'deep': {
      const e = pickOf(spans.elements, op.i);
      if (!e) return text;
      const depth = DEPTHS[op.depth] as number;
      const name = op.same ? e.name : (pickOf(allNames, op.i) as string);
      return text.slice(0, e.contentStart) + `<${name}>`.repeat(depth) + text.slice(e.contentStart, e.contentEnd) + `</${name}>`.repeat(depth) + text.slice(e.contentEnd);
    }
    case 'crossover': {
      const other = pickOf(sources, op.from) as Source;
      const e = pickOf(scan(other.text).elements.slice(1), op.i);
      const spot = pickOf(spans.textSpots, op.at);
      return e && spot !== undefined ? splice(text, spot, spot, other.text.slice(e.start, e.end)) : text;
    }
    case 'delete-range': {
      const at = op.at % (text.length + 1);
      return splice(text, at, at + op.length, '');
    }
    case 'repeat-range': {
      const at = op.at % (text.length + 1);
      return splice(text, at, at, text.slice(at, at + op.length).repeat(op.times));
    }
  }
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function applyBytes(buf: Buffer, op: ByteOp): Buffer {
  if (buf.length === 0) return buf;
  const at = op.at % buf.length;
  switch (op.op) {
    case 'flip': {
      const out = Buffer.from(buf);
      out[at] = (out[at] as number) ^ (1 << op.bit);
      return out;
    }
    case 'set-byte': {
      const out = Buffer.from(buf);
      out[at] = op.value;
      return out;
    }
    case 'invalid-utf8':
      return Buffer.concat([buf.subarray(0, at), Buffer.from(INVALID_UTF8[op.which] as number[]), buf.subarray(at)]);
    case 'truncate':
      return buf.subarray(0, at);
  }
}

function encode(text: string, encoding: Mutation['encoding']): Buffer {
  const utf16be = (s: string): Buffer => {
    const le = Buffer.from(s, 'utf16le');
    return le.swap16();
  };
  switch (encoding) {
    case undefined:
      return Buffer.from(text, 'utf8');
    case 'utf8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'bom-twice':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf16le-bom':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'utf16be-bom':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]);
    case 'utf16be':
      return utf16be(text);
    case 'utf32le-bom': {
      const out = Buffer.alloc(4 + text.length * 4);
      out.writeUInt32LE(0xfeff, 0);
      for (let i = 0; i < text.length; i++) out.writeUInt32LE(text.charCodeAt(i), 4 + i * 4);
      return out;
    }
  }
}

function mutate(m: Mutation, pool: readonly Source[]): { source: Source; bytes: Buffer } {
  const source = pool[m.source % pool.length] as Source;
  const root = rootName(source.text) ?? source.kind;
  let text = source.text;
  for (const op of m.structural) text = applyStructural(text, op, root);
  let bytes = encode(text, m.encoding);
  for (const op of m.bytes) bytes = applyBytes(bytes, op);
  return { source, bytes };
}

/** Writes the input beside its source (relative paths such as imports and <model src> still resolve). */
function place(source: Source, bytes: Buffer): string {
  const file = join(sandbox, dirname(source.rel), `fuzz-input.${basename(source.rel)}`);
  writeFileSync(file, bytes);
  return file;
}

// ------------------------------------------------------------------------------------ the suite

describe('the four XML readers under mutated files (fuzz)', () => {
  let atimeWorks = false;

  beforeAll(() => {
    sandbox = mkdtempSync(join(tmpdir(), 'caruso-xml-fuzz-'));
    for (const root of ROOTS) {
      cpSync(join(REPO, root), join(sandbox, root), {
        recursive: true,
        filter: (src) => {
          const name = basename(src);
          if (statSync(src).isDirectory()) return !SKIP_DIRS.has(name) || src === join(REPO, root);
          // The files the XML names must exist too (an assembly's hold music, say).
          return name.endsWith('.xml') || name.endsWith('.json') || name.endsWith('.dtd') || name.endsWith('.wav');
        },
      });
      for (const file of xmlFiles(join(REPO, root))) {
        const rel = relative(REPO, file);
        if (NOT_SEEDS.has(rel)) continue;
        const text = readFileSync(file, 'utf8');
        const kind = ROOT_OF[rootName(text) ?? ''];
        if (kind) sources.push({ kind, rel, text, root });
      }
    }
    for (const root of ROOTS) {
      const model = modelFor(root);
      if (model) {
        const r = readModelFile(join(sandbox, model));
        if (r.model) models.set(root, r.model);
      }
      const ids = new Set<string>();
      for (const s of sources) if (s.root === root && s.kind === 'script') {
        const id = /<script\s[^>]*\bid="([^"]+)"/.exec(s.text)?.[1];
        if (id) ids.add(id);
      }
      if (ids.size > 0) scriptIds.set(root, ids);
    }
    const names = new Set<string>(NAMES_EXTRA);
    const attributeNames = new Set<string>(NAMES_EXTRA);
    for (const s of sources) {
      const spans = scan(s.text);
      for (const e of spans.elements) names.add(e.name);
      for (const a of spans.attributes) attributeNames.add(/^\s*([^\s=]+)/.exec(s.text.slice(a.start, a.end))?.[1] as string);
    }
    allNames = [...names].sort();
    // The modules an assembly's services name must exist (the reader checks); their content is not read.
    for (const s of sources) if (s.kind === 'assembly') {
      for (const m of s.text.matchAll(/\bmodule="([^"]+)"/g)) {
        const file = join(sandbox, dirname(s.rel), m[1] as string);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, '');
      }
    }
    allAttributeNames = [...attributeNames].sort();

    // The marker: a file no reader may open. Its access time is set before its modification time, so
    // that (on a file system that records access times) a single read of it would show.
    marker = `CARUSO-FUZZ-MARKER-${process.pid}-${Date.now()}`;
    markerFile = join(sandbox, 'secret.txt');
    markerDtd = join(sandbox, 'secret.dtd');
    writeFileSync(markerFile, `${marker}\n`);
    writeFileSync(markerDtd, `<!ENTITY xxe "${marker}">\n`);
    const probe = join(sandbox, 'atime-probe.txt');
    writeFileSync(probe, 'probe');
    for (const f of [markerFile, markerDtd, probe]) utimesSync(f, new Date(Date.now() - 86_400_000), new Date());
    readFileSync(probe);
    atimeWorks = statSync(probe).atimeMs > Date.now() - 3_600_000;
  });

  afterAll(() => {
    rmSync(sandbox, { recursive: true, force: true });
    const total = KINDS.reduce((sum, k) => sum + tried[k], 0);
    process.stderr.write(
      `fuzz summary (XML, seed ${SEED}): ${KINDS.map((k) => `${k} reader ${tried[k]} inputs (${checked[k]} past the parser, ${accepted[k]} accepted)`).join(', ')}; ${total} in all; ` +
        `slowest ${Math.round(slowest.ms)} ms of CPU time (${slowest.what.slice(0, 200)}); ${[...commandRuns].map(([c, k]) => `${c} ${k} inputs`).join(', ')}; failures (a throw, a hang, a malformed diagnostic, a leak) ${failures}; known malformed diagnostics ${[...knownHits].map(([w, k]) => `${k} from ${w}`).join(', ') || '0'}\n`,
    );
  });

  it('reads every unmutated seed file without an error (the harness reaches the readers)', () => {
    expect(sources.filter((s) => s.rel.startsWith('examples/')).length).toBeGreaterThanOrEqual(20);
    for (const kind of KINDS) expect(sources.some((s) => s.kind === kind)).toBe(true);
    const problems: string[] = [];
    for (const s of sources) {
      const file = place(s, Buffer.from(s.text, 'utf8'));
      const r = read(s.kind, file, s);
      // An unmutated file that its reader refused would make every mutation of it a refusal.
      if (!r.ok) problems.push(`${s.rel}: ${r.diagnostics.map(String).join(' | ').slice(0, 500)}`);
      const problem = judge(s.kind, file, s, s.rel);
      if (problem) problems.push(`${s.rel}: ${problem}`);
    }
    expect(problems).toEqual([]);
    for (const k of KINDS) accepted[k] = checked[k] = 0;
  });

  it.each(KINDS)('mutated %s files: every reader returns a result or file:line:col diagnostics, in time, reading no other file', (kind) => {
    const pool = sources.filter((s) => s.kind === kind);
    const t0 = Date.now();
    let runs = 0;
    fc.assert(
      fc.property(mutationArb(pool.length), (m) => {
        runs++;
        const { source, bytes } = mutate(m, pool);
        const file = place(source, bytes);
        // Every reader gets the input (a model given to the script parser too): most refuse it at the
        // root element, after the guard and the parser have seen all of it.
        for (const reader of KINDS) {
          tried[reader]++;
          const problem = judge(reader, file, source, `${source.rel} mutated by ${JSON.stringify(m).slice(0, 300)}`);
          if (problem) failures++;
          if (problem) throw new Error(`${problem}\n  input: ${source.rel} mutated by ${JSON.stringify(m)}\n  replay: CARUSO_FUZZ_SEED=${SEED}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: PROPERTY_MS, markInterruptAsFailure: false },
    );
    // Interrupted by the time budget only after a fair share of the inputs.
    expect(runs).toBeGreaterThanOrEqual(Math.min(RUNS, 100));
    expect(Date.now() - t0).toBeLessThan(PROPERTY_MS + 20_000);
  }, PROPERTY_MS + 30_000);

  it('the caruso commands (script, model and app validate) exit 0 or 1 on mutated files, with file:line:col errors and no stack trace', async () => {
    const pool = sources.filter((s) => s.kind !== 'assembly');
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(mutationArb(pool.length), async (m) => {
        runs++;
        const { source, bytes } = mutate(m, pool);
        const file = place(source, bytes);
        const model = modelFor(source.root);
        const argv =
          source.kind === 'model' ? ['model', 'validate', file] : source.kind === 'script' ? ['script', 'validate', file] : ['app', 'validate', file, '--model', join(sandbox, model ?? '')];
        const name = `caruso ${argv.slice(0, 2).join(' ')}`;
        commandRuns.set(name, (commandRuns.get(name) ?? 0) + 1);
        const io = bufferIO({}, sandbox);
        let code: number;
        try {
          code = await main(argv, io);
        } catch (err) {
          failures++;
          throw new Error(`${name} threw ${(err as Error)?.stack ?? String(err)}\n  input: ${source.rel} mutated by ${JSON.stringify(m)}\n  replay: CARUSO_FUZZ_SEED=${SEED}`);
        }
        const out = io.out() + io.err();
        const problem =
          code !== 0 && code !== 1
            ? `exit code ${code}`
            : code === 1 && !out.split('\n').some((l) => /^.+:\d+:\d+: error: \S/.test(l))
              ? 'exit code 1 without a file:line:col: error: line'
              : /\n\s+at .+:\d+:\d+\)?\n/.test(out)
                ? 'a stack trace in the output'
                : out.includes(marker)
                  ? 'the marker file\'s content in the output'
                  : undefined;
        if (problem) {
          failures++;
          throw new Error(`${name}: ${problem}: ${out.slice(0, 1000)}\n  input: ${source.rel} mutated by ${JSON.stringify(m)}\n  replay: CARUSO_FUZZ_SEED=${SEED}`);
        }
      }),
      { seed: SEED, numRuns: CLI_RUNS, interruptAfterTimeLimit: CLI_MS, markInterruptAsFailure: false },
    );
    expect(runs).toBeGreaterThanOrEqual(Math.min(CLI_RUNS, 50));
  }, CLI_MS + 30_000);

  it('never opened the marker files that the entity and DOCTYPE mutations point at', () => {
    expect(tried.model + tried.script + tried.application + tried.assembly).toBeGreaterThan(0);
    // Reading a file sets its access time (relatime: it is older than the modification time). On a
    // file system that records no access times, the check of every diagnostic and result remains.
    const opened = atimeWorks ? [markerFile, markerDtd].filter((f) => statSync(f).atimeMs >= statSync(f).mtimeMs) : [];
    expect(opened).toEqual([]);
  });
});
