// Every `caruso script …` command of the analysts' guide and the language reference works as
// written (issue #16: `script lint scripts/greet.xml` from the guide said "cannot read the file").
// The guide's files ("Save this as `scripts/greet.xml`:" and the block after it) are written to a
// fresh folder, then each command of a code block is run there, in order; a code block right after
// a single command is its expected output.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const docs = fileURLToPath(new URL('../../../docs/', import.meta.url));

interface Block {
  readonly text: string;
  /** The file the prose before the block says to save it as. */
  readonly saveAs?: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const re = /(?:Save\s+this\s+as\s+`([^`]+)`[^\n]*:\s*\n\s*\n)?```[a-z]*\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(re)) out.push({ text: m[2] as string, ...(m[1] ? { saveAs: m[1] } : {}) });
  return out;
}

const isCommand = (line: string): boolean => line.startsWith('caruso script ');

/** The arguments of a command line as a reader would type it (a comment, a pipe or a redirection ends it). */
function argv(line: string): string[] {
  const cut = line.replace(/\s+#.*$/, '').replace(/\s*[|>].*$/, '');
  return cut.split(/\s+/).slice(1);
}

// A model as a reader of the guide would have it (section 3 checks the script against it).
const MODEL = `<model name="crm" version="1">
  <object name="Customer" table="customers">
    <field name="id" type="id"/>
    <field name="customerNumber" type="string" length="10" required="true"/>
    <field name="name" type="string" length="60"/>
    <field name="email" type="email"/>
    <field name="balance" type="money" currency="EUR"/>
  </object>
</model>
`;

describe('the caruso script commands of docs/script-analyst-guide.md', () => {
  const doc = 'script-analyst-guide.md';
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-script-docs-'));
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', 'crm.model.xml'), MODEL);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('work as written, in order, on the files the document has the reader save', async () => {
    const list = blocks(readFileSync(join(docs, doc), 'utf8'));
    const ran: string[] = [];
    const shown: Array<{ line: string; out: string; expected: string }> = [];
    for (const [i, b] of list.entries()) {
      if (b.saveAs) {
        mkdirSync(dirname(join(dir, b.saveAs)), { recursive: true });
        writeFileSync(join(dir, b.saveAs), b.text);
        continue;
      }
      const lines = b.text.split('\n').filter((l) => l.trim() !== '');
      if (lines.length === 0 || !lines.every(isCommand)) continue;
      const next = list[i + 1];
      const expected = lines.length === 1 && next && !next.saveAs && !next.text.split('\n').some(isCommand) ? next.text : undefined;
      for (const line of lines) {
        const io = bufferIO({}, dir);
        (io.stdin as unknown as NodeJS.WritableStream).end();
        const code = await main(argv(line), io);
        ran.push(line);
        const errors = io.out().split('\n').filter((l) => l.includes(': error: '));
        expect({ line, code, err: io.err(), errors }).toEqual({ line, code: 0, err: '', errors: [] });
        if (expected !== undefined) shown.push({ line, out: io.out(), expected });
      }
    }
    expect(ran.map((l) => argv(l).slice(1, 3).join(' '))).toEqual(['validate scripts/', 'lint scripts/greet.xml', 'validate scripts/balance.xml', 'run scripts/greet.xml', 'run scripts/balance.xml', 'graph scripts/balance.xml', 'graph scripts/balance.xml', 'test scripts/']);
    // what the guide shows a command print is what it prints
    expect(shown.map((x) => x.line)).toEqual(['caruso script test scripts/']);
    for (const x of shown) expect(x.out).toBe(x.expected);
  });
});

describe('the Tools section of docs/dialogue-language.md', () => {
  it('names only verbs and options that caruso script has', async () => {
    const text = readFileSync(join(docs, 'dialogue-language.md'), 'utf8');
    const tools = text.slice(text.indexOf('## Tools'));
    const usages = [...tools.matchAll(/^- `caruso script (\w+)([^`]*)`/gm)].map((m) => ({ verb: m[1] as string, options: [...(m[2] as string).matchAll(/--[a-z]+/g)].map((o) => o[0]) }));
    expect(usages.map((u) => u.verb)).toEqual(['validate', 'lint', 'run', 'graph', 'test']);
    for (const u of usages) {
      const io = bufferIO();
      expect(await main(['script', u.verb, '--help'], io)).toBe(0);
      for (const o of u.options) expect({ verb: u.verb, option: o, documented: io.out().includes(o) }).toEqual({ verb: u.verb, option: o, documented: true });
    }
  });
});
