// Every `caruso …` command the guides show works as written. The commands are read from the guides
// themselves (fenced code blocks and inline code), so a command added to a guide is run here too.
// A command with arguments runs in the folder its guide writes it for; a bare mention of a verb
// (`caruso report`, `caruso app validate --scripts <folder>`, a synopsis with […] or …) must at least
// be a command whose help prints. The analyst's guide is followed as a reader would: its commands run
// in a folder holding the files it says to save, and no command is excused. `caruso start …` runs until Ctrl-C: it runs here with --check, which does every check of a
// start and starts nothing.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const GUIDES = [
  'integrator-guide', 'getting-started', 'application', 'comms', 'channels', 'script-analyst-guide', 'wrapper-developer-guide', 'dialogue-language', 'objects', 'reports', 'sip', 'storage', 'monitoring', 'operations',
  // The READMEs (the repository's and the examples'): files outside docs/, by their path.
  'README', 'examples/citizen-desk/README', 'examples/utility/README', 'examples/legacy-wrapper/README',
] as const;
type Guide = (typeof GUIDES)[number];

/** A guide's file: docs/<name>.md, or <path>.md for a README. */
const fileOf = (guide: Guide): string => (guide === 'README' || guide.startsWith('examples/') ? join(root, `${guide}.md`) : join(root, 'docs', `${guide}.md`));

interface GuideCommand {
  readonly guide: Guide;
  /** As the guide writes it, without `npx`, a trailing comment, a redirection or a pipe. */
  readonly command: string;
}

function commandsOf(guide: Guide): GuideCommand[] {
  // A line ending in a backslash goes on on the next one (a long command in a shell block).
  const text = readFileSync(fileOf(guide), 'utf8').replace(/\s*\\\n\s*/g, ' ');
  const found: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      const m = /^\s*(?:\$\s+)?(?:npx\s+)?(caruso\s.*)$/.exec(line);
      if (m) found.push(m[1] as string);
    } else {
      for (const span of line.matchAll(/`(?:npx\s+)?(caruso(?:\s[^`]*)?)`/g)) found.push(span[1] as string);
    }
  }
  const clean = (c: string): string =>
    c
      .replace(/\s+#.*$/, '')
      .replace(/\s*[|>].*$/, '')
      .trim();
  return [...new Set(found.map(clean))].map((command) => ({ guide, command }));
}

/** A bare mention of a verb or an option, not a command to run: no argument beyond words and flags, or a <placeholder>. */
function isMention(guide: Guide, command: string): boolean {
  const words = command.split(/\s+/).slice(1);
  // A synopsis: a <placeholder>, […] optional parts, a|b choices or … for what the text around says.
  if (words.some((w) => w.includes('<') || w.includes('[') || w.includes('|') || w.includes('…'))) return true;
  return words.every((w) => /^(--)?[a-z][a-z-]*$/.test(w)) && !RUN_BARE.has(`${guide}: ${command}`);
}

/** Bare commands that a guide means to be run as they are, in the guide's folder (an assembly's). */
const RUN_BARE = new Set(['integrator-guide: caruso model validate', 'integrator-guide: caruso model migrate --dry-run', 'integrator-guide: caruso app validate']);

/**
 * Commands that talk to a running service manager (`caruso start` in another terminal): their help
 * must print here; `caruso services` itself is run against a running manager in start.test.
 */
const NEEDS_A_RUNNING_MANAGER = /^caruso services\b/;

/** The area and verb a mention names, for its --help. */
function helpOf(command: string): string[] {
  const words = command.split(/\s+/).slice(1).filter((w) => /^[a-z][a-z-]*$/.test(w));
  return [...words.slice(0, 2), '--help'];
}

/** Splits a command line into arguments (no quoting is used in the guides' commands). */
function argv(command: string): string[] {
  return command.split(/\s+/).slice(1);
}

describe('the guides’ commands work as written', () => {
  const commands = GUIDES.flatMap(commandsOf);
  let appFolder: string;
  let analystFolder: string;
  beforeAll(() => {
    // The analyst's guide is a walk-through: its commands run in a folder holding what it says to
    // save (`Save this as \`scripts/greet.xml\`:` and the block after it), and nothing else.
    analystFolder = mkdtempSync(join(tmpdir(), 'caruso-analyst-'));
    const guide = readFileSync(join(root, 'docs/script-analyst-guide.md'), 'utf8');
    for (const m of guide.matchAll(/[Ss]ave\s+this\s+as\s+`([^`]+)`[^\n]*\n+```[^\n]*\n([\s\S]*?)\n```/g)) {
      const file = join(analystFolder, m[1] as string);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${m[2] as string}\n`);
    }
    // docs/application.md writes its commands for a project folder with model/, app/ and scripts/.
    appFolder = mkdtempSync(join(tmpdir(), 'caruso-guides-'));
    const fixtures = join(root, 'packages/frontoffice/test/fixtures');
    mkdirSync(join(appFolder, 'model'));
    mkdirSync(join(appFolder, 'app'));
    cpSync(join(fixtures, 'crm.model.xml'), join(appFolder, 'model/crm.model.xml'));
    cpSync(join(fixtures, 'scripts'), join(appFolder, 'scripts'), { recursive: true });
  });
  afterAll(() => {
    rmSync(appFolder, { recursive: true, force: true });
    rmSync(analystFolder, { recursive: true, force: true });
  });

  /** The folder a guide's commands are written for. */
  const folderOf = (guide: Guide): string =>
    guide === 'integrator-guide' || guide === 'sip' || guide === 'examples/utility/README'
      ? join(root, 'examples/utility')
      : guide === 'script-analyst-guide' || guide === 'dialogue-language'
        ? analystFolder
        : guide === 'application'
          ? appFolder
          : root;

  it('finds the commands of the guides and the files the analyst’s guide says to save', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(commands).toContainEqual({ guide: 'script-analyst-guide', command: 'caruso script lint scripts/greet.xml' });
    for (const f of ['scripts/greet.xml', 'scripts/balance.xml', 'scripts/balance.test.json', 'model/crm.model.xml', 'answers.json', 'data.json']) expect(existsSync(join(analystFolder, f))).toBe(true);
    expect(commands).toContainEqual({ guide: 'integrator-guide', command: 'caruso model migrate --dry-run' });
    expect(commands).toContainEqual({ guide: 'getting-started', command: 'caruso start examples/utility/assembly.xml --simulate --at office-hours' });
  });

  it('runs every command (and the help of every mention) with exit code 0', async () => {
    const failed: string[] = [];
    for (const { guide, command } of commands) {
      const mention = isMention(guide, command) || NEEDS_A_RUNNING_MANAGER.test(command);
      const args = mention ? helpOf(command) : argv(command);
      if (!mention && args[0] === 'start' && args.some((a) => a.endsWith('.xml'))) args.push('--check');
      const io = bufferIO({}, folderOf(guide));
      // What the reader types where a command asks (the greeting script's name), then the end of input.
      io.stdin.end('Ann\n');
      let code: number;
      try {
        code = await main(args, io);
      } catch (err) {
        code = -1;
        io.stderr.write(String(err));
      }
      if (code !== 0) failed.push(`${guide}: ${command} → exit ${code}: ${io.err().split('\n').slice(0, 3).join(' | ')}`);
    }
    expect(failed).toEqual([]);
  }, 300_000);
});
