import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseScript } from '@caruso/dialogue';
import { requireOrSkip } from '@caruso/kernel/testing';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const dtd = fileURLToPath(new URL('../../../dtd/dialogue.dtd', import.meta.url));

/** `^` marks where the diagnostic must point; it is removed from the text. */
function check(marked: string, severity: 'error' | 'warning', message: RegExp): void {
  const at = marked.indexOf('^');
  expect(at).toBeGreaterThanOrEqual(0);
  const text = marked.slice(0, at) + marked.slice(at + 1);
  const before = text.slice(0, at).split('\n');
  const line = before.length;
  const col = (before[before.length - 1] as string).length + 1;
  const { diagnostics } = parseScript(text, 'case.xml');
  const hit = diagnostics.find((d) => d.severity === severity && message.test(d.message));
  if (!hit) throw new Error(`no ${severity} matching ${message}; got:\n${diagnostics.map(String).join('\n')}`);
  expect(`${hit.line}:${hit.col}`).toBe(`${line}:${col}`);
  expect(String(hit)).toBe(`case.xml:${line}:${col}: ${severity}: ${hit.message}`);
}

const expectError = (text: string, message: RegExp): void => check(text, 'error', message);
const expectWarning = (text: string, message: RegExp): void => check(text, 'warning', message);
const wrap = (body: string, attrs = ''): string => `<script id="s" version="1"${attrs}>\n${body}\n<end id="bye" outcome="done"/>\n</script>`;
const q = (inner: string, attrs = 'type="text"'): string => `<question id="q" ${attrs}><prompt>Q?</prompt>${inner}<next target="bye"/></question>`;

describe('script validation: structure (the DTD)', () => {
  it.each([
    ['an unknown element', wrap('^<questoin id="x" type="text"/>'), /unknown element <questoin>/],
    ['a misplaced element', wrap(`<question id="q" type="text"><prompt>Q</prompt><next target="bye"/>^<help>h</help></question>`), /<help> is out of place inside <question>/],
    ['a missing prompt element', wrap(`<question id="q" type="text">^<next target="bye"/></question>`), /<question> needs a <prompt> before <next>/],
    ['a missing attribute', wrap('^<question id="q"><prompt>Q</prompt><next target="bye"/></question>'), /<question> needs the attribute 'type'/],
    ['an unknown attribute', wrap(q('', 'type="text" ^colour="red"')), /<question> has no attribute 'colour'/],
    ['a bad enumeration', wrap(q('', 'type="^colour"')), /type="colour" is not allowed on <question>: use one of choice, boolean/],
    ['text outside a prompt', wrap('^<info id="i">Hello<prompt>x</prompt><next target="bye"/></info>'), /text is not allowed directly inside <info>: put it in a <prompt>/],
    ['a root that is not <script>', '^<dialog id="s"/>', /the root element must be <script>/],
    ['a script without nodes', '^<script id="s" version="1"><var name="x"/></script>', /<script> needs one of <question>/],
    ['an <else> before <elseif>', wrap(`<decision id="d"><next target="bye"><if cond="true"><else/>^<elseif cond="false"/></if></next></decision>`, ' start="d"'), /<elseif> after <else>/],
    ['XML that is not well-formed', '<script id="s" version="1">\n<end id="e" outcome="o">\n</script>', /XML is not well-formed/],
  ])('reports %s', (_what, text, message) => {
    const marked = text.includes('^') ? text : text.replace('</script>', '^</script>');
    expectError(marked, message);
  });
});

describe('script validation: meaning', () => {
  it.each([
    ['a duplicate id', wrap(`${q('')}\n<info id="^q"><prompt>x</prompt><next target="bye"/></info>`), /duplicate id 'q' \(first used at line 2, column 1\)/],
    ['an unknown target', wrap(`<question id="q" type="text"><prompt>Q</prompt><next target="^by"/></question>`), /target="by" names no node of this script \(did you mean 'bye'\?\)/],
    ['an unknown goto target', wrap(`<question id="q" type="text"><prompt>Q</prompt><next target="bye"><goto target="^nowhere"/></next></question>`), /<goto target="nowhere"> names no node/],
    ['an unknown start node', wrap(q(''), ' start="^missing"'), /start="missing" names no node/],
    ['an undeclared variable in a cond (column inside the expression)', wrap(`<question id="q" type="text"><prompt>Q</prompt><next cond="q == 'x' and ^ghost > 1" target="bye"/></question>`), /variable 'ghost' is not declared/],
    ['an undeclared variable in a prompt value', wrap(`<question id="q" type="text"><prompt>Hi <value expr="^who"/></prompt><next target="bye"/></question>`), /variable 'who' is not declared/],
    ['an assignment to an undeclared variable', wrap(`<question id="q" type="text"><prompt>Q</prompt><next target="bye"><assign var="^total" expr="1"/></next></question>`), /<assign> to undeclared variable 'total'/],
    ['an expression syntax error (column inside the expression)', wrap(`<question id="q" type="number"><prompt>Q</prompt><next cond="q &gt; 1 ^= 2" target="bye"/></question>`), /'=' is not an operator/],
    ['an unknown function', wrap(`<question id="q" type="text"><prompt>Q</prompt><validate cond="^size(q) > 1" message="m"/><next target="bye"/></question>`), /unknown function 'size'/],
    ['a choice without dtmf on an ivr question', wrap(`<question id="q" type="choice"><prompt>Q</prompt>^<choice value="a">A</choice><next target="bye"/></question>`), /choice 'a' has no dtmf key but question 'q' runs on ivr/],
    ['a duplicate dtmf key', wrap(`<question id="q" type="choice"><prompt>Q</prompt><choice value="a" dtmf="1">A</choice><choice value="b" dtmf="^1">B</choice><next target="bye"/></question>`), /DTMF key 1 is used twice in question 'q' \(first at line 2\)/],
    ['a dtmf that is not one key', wrap(`<question id="q" type="choice"><prompt>Q</prompt><choice value="a" dtmf="^12">A</choice><next target="bye"/></question>`), /must be one telephone key/],
    ['a duplicate choice value', wrap(`<question id="q" type="choice" channels="agent"><prompt>Q</prompt><choice value="a">A</choice><choice value="^a">B</choice><next target="bye"/></question>`), /duplicate choice value 'a'/],
    ['a choice question without choices', wrap(`^<question id="q" type="choice"><prompt>Q</prompt><next target="bye"/></question>`), /has type choice but no <choice>/],
    ['a missing prompt for an enabled channel', wrap(`^<question id="q" type="text" channels="agent ivr"><prompt channel="agent">Q</prompt><next target="bye"/></question>`), /runs on ivr but has no prompt for it/],
    ['an unknown channel', wrap(q('', 'type="text" channels="agent ^phone"')), /unknown channel 'phone'/],
    ['an invalid pattern', wrap(q('', 'type="text" pattern="^[a-"')), /pattern="\[a-": invalid pattern/],
    ['min greater than max', wrap(q('', 'type="number" ^min="5" max="1"')), /min \(5\) is greater than max \(1\)/],
    ['a date bound that is not a date', wrap(q('', 'type="date" min="^tomorrow"')), /must be a date YYYY-MM-DD/],
    ['a bad handler count', wrap(q('<on event="noinput" count="^0"><prompt>again</prompt></on>')), /count="0" must be a whole number/],
    ['an action service that is not a token id', wrap(`<question id="q" type="text"><prompt>Q</prompt><next target="bye"><action service="^mail sender" operation="send"/></next></question>`), /is not a service token id/],
    ['a duplicate action parameter', wrap(`<question id="q" type="text"><prompt>Q</prompt><next target="bye"><action service="mail.Sender" operation="send"><param name="to" expr="1"/>^<param name="to" expr="2"/></action></next></question>`), /parameter 'to' is given twice/],
    ['a variable declared twice', wrap(`<var name="a"/>\n^<var name="a"/>\n${q('')}`), /variable 'a' is declared twice/],
    ['a bad variable name', wrap(`^<var name="not"/>\n${q('')}`), /'not' is not a valid variable name/],
    ['an empty outcome', `<script id="s" version="1"><end id="e" ^outcome=""/></script>`, /outcome is empty/],
    ['an empty queue', `<script id="s" version="1"><handoff id="h" ^queue=" "/></script>`, /queue is empty/],
    ['a hand-off priority that is no whole number', `<script id="s" version="1"><handoff id="h" queue="q" ^priority="high"/></script>`, /priority="high" is not a whole number/],
    ['a hand-off priority with a fraction', `<script id="s" version="1"><handoff id="h" queue="q" ^priority="1.5"/></script>`, /priority="1.5" is not a whole number/],
    ['a bad node id', wrap(`<info id="^1st"><prompt>x</prompt><next target="bye"/></info>`), /id="1st" is not a valid id/],
    [
      'a web prompt that shows a variable that is not public',
      wrap(`<var name="customer" type="object"/>\n<question id="q" type="text"><prompt>Hello <value expr="^customer.name"/></prompt><next target="bye"/></question>`),
      /'customer' is not public but this <prompt> shows it to web visitors: declare <var name="customer" public="true"\/>/,
    ],
    [
      'web help that shows what a fetch wrote',
      wrap(`<question id="q" type="text"><prompt channel="agent">Q <value expr="found"/></prompt><prompt channel="web">Q</prompt><help>Last: <value expr="^found"/></help><next target="bye"><fetch source="crm.C" key="q" into="found"/></next></question>`),
      /'found' is not public but this <help> shows it/,
    ],
    [
      'a web handler prompt that shows a variable declared without public',
      wrap(`<var name="q" type="string"/>\n${q('<on event="invalid"><prompt>Not <value expr="^q"/></prompt></on>')}`),
      /'q' is not public but this <prompt> shows it/,
    ],
  ])('reports %s', (_what, text, message) => expectError(text, message));

  it('lets a web prompt show public variables, the visitor\'s own answers and built-in names; other channels show anything', () => {
    const text = wrap(
      `<var name="company" type="string" expr="'Acme'" public="true"/>\n<var name="customer" type="object"/>\n` +
        `<question id="q" type="text"><prompt>Q</prompt><next target="r"/></question>\n` +
        `<question id="r" type="text"><prompt channel="agent"><value expr="customer.name"/></prompt><prompt channel="web"><value expr="company"/> <value expr="q"/> <value expr="channel"/> <value expr="identity"/></prompt><prompt channel="ivr"><value expr="customer.name"/></prompt><next target="bye"/></question>`,
    );
    const r = parseScript(text, 'case.xml');
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(String)).toEqual([]);
  });

  it.each([
    ['an unreachable node', wrap(`${q('')}\n^<info id="lost"><prompt>x</prompt><next target="bye"/></info>`), /node 'lost' is unreachable/],
    ['a dead end without <next>', wrap(`^<info id="i"><prompt>x</prompt></info>`), /<info id="i"> is a dead end: it has no <next>/],
    ['a possible dead end (every <next> has a cond)', wrap(`^<question id="q" type="number"><prompt>Q</prompt><next cond="q > 1" target="bye"/></question>`), /may be a dead end: every <next> has a cond/],
    ['a transition after an unconditional one', wrap(`<question id="q" type="text"><prompt>Q</prompt><next target="bye"/>^<next cond="true" target="bye"/></question>`), /this <next> is never taken/],
    ['a shadowed handler', wrap(q('<on event="noinput"/>^<on event="noinput"/>')), /a second <on event="noinput" count="1"> is never used/],
  ])('warns about %s (without blocking the load)', (_what, text, message) => {
    expectWarning(text, message);
    expect(parseScript(text.replace('^', ''), 'case.xml').script).toBeDefined();
  });

  it('blocks loading on any error and lists problems in file order', () => {
    const r = parseScript(wrap(`<question id="q" type="text"><prompt>Q</prompt><next target="x"/><next target="y"/></question>`), 'case.xml');
    expect(r.script).toBeUndefined();
    const lines = r.diagnostics.map((d) => `${d.line}:${d.col}`);
    expect([...lines].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))).toEqual(lines);
  });

  it('maps positions inside expressions through entities such as &lt;', () => {
    expectError(wrap(`<question id="q" type="number"><prompt>Q</prompt><next cond="q &lt; 1 and ^nope" target="bye"/></question>`), /variable 'nope' is not declared/);
  });

  it('loads every fixture script without errors', () => {
    for (const name of readdirSync(fixtures).filter((n) => n.endsWith('.xml') && !n.startsWith('bad-'))) {
      const r = parseScript(readFileSync(fixtures + name, 'utf8'), name);
      expect(r.diagnostics.filter((d) => d.severity === 'error').map(String)).toEqual([]);
    }
  });
});

describe('dtd/dialogue.dtd', () => {
  const text = readFileSync(dtd, 'utf8');

  it('declares exactly the elements and attributes the engine reads', async () => {
    const { ELEMENTS } = await import('../src/script-parser.js');
    const declared = [...text.matchAll(/<!ELEMENT\s+([\w-]+)/g)].map((m) => m[1]).sort();
    expect(declared).toEqual(Object.keys(ELEMENTS).sort());
    for (const [name, spec] of Object.entries(ELEMENTS)) {
      const m = new RegExp(`<!ATTLIST\\s+${name}\\s+([^>]*)>`).exec(text);
      const attrs = m ? [...(m[1] as string).matchAll(/^\s*([\w:-]+)\s+/gm)].map((x) => x[1]) : [];
      const expected = Object.keys(spec.attrs).concat(name === 'script' ? ['xmlns'] : []).sort();
      expect({ name, attrs: attrs.sort() }).toEqual({ name, attrs: expected });
      for (const [attr, a] of Object.entries(spec.attrs)) {
        const line = new RegExp(`(?:^|\\s)${attr}\\s+[^\\n]*#(REQUIRED|IMPLIED)`).exec((m?.[1] as string) ?? '');
        expect({ name, attr, required: line?.[1] === 'REQUIRED' }).toEqual({ name, attr, required: Boolean(a.required) });
      }
    }
  });

  const hasXmllint = (() => {
    try {
      execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (requireOrSkip('xmllint (libxml2-utils)', hasXmllint)) {
    it('validates every fixture script with xmllint', () => {
      const files = readdirSync(fixtures).filter((n) => n.endsWith('.xml') && !n.startsWith('bad-')).map((n) => fixtures + n);
      expect(files.length).toBeGreaterThan(0);
      execFileSync('xmllint', ['--noout', '--dtdvalid', dtd, ...files], { stdio: 'pipe' });
    });
  } else {
    it('cannot validate fixtures with xmllint: it is not installed (skip reason)', () => {
      expect(hasXmllint).toBe(false);
    });
  }
});
