// Issue 13: XXE, parameter entities or 200,000-deep nesting given to `caruso script|model|app
// validate` or `caruso start` printed fast-xml-parser's stack trace with no position; an empty file
// said file:1:undefined; a UTF-16 file an unreadable message. Every XML command now prints one
// `file:line:col: error:` line for them and exits 1.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const FO = fileURLToPath(new URL('../../../packages/frontoffice/test/fixtures/', import.meta.url));
const ASSEMBLY = fileURLToPath(new URL('./fixtures/assembly/', import.meta.url));

/** Hostile or broken content for a root element `root`, and the diagnostic each must give. */
function hostile(root: string): [string, string | Buffer, RegExp][] {
  return [
    ['xxe', `<?xml version="1.0"?>\n<!DOCTYPE ${root} [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n<${root}>&xxe;</${root}>\n`, /:3:3: error: external entity declarations/],
    ['parameter-entity', `<?xml version="1.0"?>\n<!DOCTYPE ${root} [\n  <!ENTITY % pe SYSTEM "http://127.0.0.1:1/x.dtd">\n  %pe;\n]>\n<${root}/>\n`, /:3:3: error: parameter entity declarations/],
    ['deep', `<${root}>${'<a>'.repeat(200_000)}${'</a>'.repeat(200_000)}</${root}>`, new RegExp(`:1:${root.length + 3 + 3 * 255}: error: elements are nested more than 256 levels deep`)],
    ['empty', '', /:1:1: error: the file is empty/],
    ['utf16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<?xml version="1.0"?>\n<${root}/>\n`, 'utf16le')]), /:1:1: error: the file is encoded in UTF-16 \(little-endian, with a byte-order mark\)/],
  ];
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; text: string }> {
  const io = bufferIO(env);
  const code = await main(argv, io);
  return { code, text: io.out() + io.err() };
}

function expectDiagnostic(r: { code: number; text: string }, file: string, diagnostic: RegExp): void {
  expect(r.code).toBe(1);
  const line = r.text.split('\n').find((l) => l.includes(`${file}:`));
  expect(line).toMatch(diagnostic);
  // A position, never a stack trace or an undefined column.
  expect(r.text).not.toMatch(/\n\s+at |undefined|fast-xml-parser/);
}

describe('caruso XML commands on hostile files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-hostile-xml-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(hostile('script'))('script validate: %s', async (name, content, diagnostic) => {
    const file = join(dir, `${name}.script.xml`);
    writeFileSync(file, content);
    expectDiagnostic(await run(['script', 'validate', file]), file, diagnostic);
  });

  it.each(hostile('model'))('model validate: %s', async (name, content, diagnostic) => {
    const file = join(dir, `${name}.model.xml`);
    writeFileSync(file, content);
    expectDiagnostic(await run(['model', 'validate', file]), file, diagnostic);
  });

  it.each(hostile('application'))('app validate: %s', async (name, content, diagnostic) => {
    const file = join(dir, `${name}.app.xml`);
    writeFileSync(file, content);
    expectDiagnostic(await run(['app', 'validate', file, '--model', join(FO, 'crm.model.xml')]), file, diagnostic);
  });

  it.each(hostile('assembly'))('start with the assembly file: %s', async (name, content, diagnostic) => {
    const file = join(dir, `${name}.assembly.xml`);
    writeFileSync(file, content);
    expectDiagnostic(await run(['start', file]), file, diagnostic);
  });

  it.each(hostile('model'))('start with a model file named by the assembly: %s', async (name, content, diagnostic) => {
    const copy = mkdtempSync(join(tmpdir(), 'caruso-hostile-start-'));
    try {
      cpSync(ASSEMBLY, copy, { recursive: true });
      const model = join(copy, 'model', 'crm.model.xml');
      writeFileSync(model, content);
      expectDiagnostic(await run(['start', join(copy, 'crm.assembly.xml')], { TEST_ADMIN_PASSWORD: 'admin password 1', TEST_GREETING: 'Hallo' }), model, diagnostic);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);

  it('still accepts the DOCTYPE of our formats (a SYSTEM path to a .dtd) and a UTF-8 byte-order mark', async () => {
    const file = join(dir, 'ok.model.xml');
    const model = readFileSync(join(FO, 'crm.model.xml'), 'utf8').replace(/^(<\?xml[^>]*>\s*)?(<!DOCTYPE[^>]*>\s*)?/, '');
    writeFileSync(file, `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE model SYSTEM "../../dtd/model.dtd">\n${model}`);
    const r = await run(['model', 'validate', file]);
    expect(r).toEqual({ code: 0, text: expect.stringMatching(/^ok: .*ok\.model\.xml: \d+ objects, \d+ fields, 0 warnings\n$/) as unknown as string });
  });
});
