// Hostile and broken XML is refused before fast-xml-parser runs, with file:line:col (issue 13: XXE,
// parameter entities and 200,000-deep nesting printed the parser's stack trace; an empty file said
// file:1:undefined; a UTF-16 file an unreadable message).
import { MAX_XML_DEPTH, parseXml } from '@caruso/kernel';

function only(text: string, file = 'f.xml'): string {
  const { root, diagnostics } = parseXml(text, file);
  expect(root).toBeUndefined();
  expect(diagnostics).toHaveLength(1);
  return String(diagnostics[0]);
}

describe('parseXml refuses hostile files before parsing', () => {
  it('refuses an external entity (XXE) at its declaration, and reads nothing', () => {
    const xxe = '<?xml version="1.0"?>\n<!DOCTYPE script [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n<script id="x">&xxe;</script>\n';
    expect(only(xxe)).toBe('f.xml:3:3: error: external entity declarations (<!ENTITY name SYSTEM …>) are not accepted: the file would read another file or a URL');
    const pub = '<!DOCTYPE a [<!ENTITY x PUBLIC "-//x//EN" "http://127.0.0.1:1/x">]>\n<a>&x;</a>';
    expect(only(pub)).toMatch(/^f\.xml:1:14: error: external entity declarations/);
  });

  it('refuses an internal entity (billion laughs) at its declaration', () => {
    const lol = '<?xml version="1.0"?>\n<!DOCTYPE a [\n <!ENTITY lol "lol">\n <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n<a>&lol2;</a>';
    expect(only(lol)).toMatch(/^f\.xml:3:2: error: entity declarations \(<!ENTITY …>\) are not accepted/);
  });

  it('refuses parameter entities, declared or only referenced', () => {
    const pe = '<?xml version="1.0"?>\n<!DOCTYPE script [\n  <!ENTITY % pe SYSTEM "http://127.0.0.1:1/x.dtd">\n  %pe;\n]>\n<script id="x"/>\n';
    expect(only(pe)).toMatch(/^f\.xml:3:3: error: parameter entity declarations \(<!ENTITY % …>\) are not accepted/);
    expect(only('<!DOCTYPE a [\n   %pe;\n]>\n<a/>')).toBe('f.xml:2:4: error: parameter entity references (%name;) are not accepted');
  });

  it('refuses any other internal subset, a PUBLIC id and a DTD that is not a file path', () => {
    expect(only('<!DOCTYPE a [<!ELEMENT a EMPTY>]>\n<a/>')).toMatch(/^f\.xml:1:13: error: a DOCTYPE with an internal subset/);
    expect(only('<!DOCTYPE a PUBLIC "-//W3C//DTD x//EN" "a.dtd">\n<a/>')).toMatch(/^f\.xml:1:13: error: a DOCTYPE with a PUBLIC id is not accepted/);
    expect(only('<!DOCTYPE a SYSTEM "http://127.0.0.1:1/a.dtd">\n<a/>')).toMatch(/^f\.xml:1:20: error: the DOCTYPE points at "http:\/\/127\.0\.0\.1:1\/a\.dtd"/);
    expect(only('<!DOCTYPE a SYSTEM "/etc/passwd">\n<a/>')).toMatch(/^f\.xml:1:20: error: the DOCTYPE points at "\/etc\/passwd"/);
  });

  it('accepts the DOCTYPE the examples use: a name and a path to one of our DTDs', () => {
    for (const dtd of ['../../../dtd/dialogue.dtd', 'model.dtd', '/opt/caruso/dtd/assembly.dtd']) {
      const { root, diagnostics } = parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script SYSTEM "${dtd}">\n<!-- a comment with <!ENTITY in it -->\n<script id="s"><![CDATA[ <!ENTITY x "y"> ]]></script>`, 'ok.xml');
      expect(diagnostics).toEqual([]);
      expect(root?.name).toBe('script');
    }
    expect(parseXml('<!DOCTYPE a>\n<a/>', 'ok.xml').diagnostics).toEqual([]);
  });

  it(`refuses nesting deeper than ${MAX_XML_DEPTH} at the first element too deep, in linear time`, () => {
    const deep = '<a>' + '<b x="1>2">'.repeat(200_000) + '</b>'.repeat(200_000) + '</a>';
    const t0 = Date.now();
    expect(only(deep)).toBe(`f.xml:1:${4 + 11 * (MAX_XML_DEPTH - 1)}: error: elements are nested more than ${MAX_XML_DEPTH} levels deep here; Caruso's XML formats need far fewer`);
    expect(Date.now() - t0).toBeLessThan(2_000);
    // At the limit (self-closing elements do not nest) the file is read.
    const edge = '<b>'.repeat(MAX_XML_DEPTH - 1) + '<c/><c/>' + '</b>'.repeat(MAX_XML_DEPTH - 1);
    expect(parseXml(edge, 'ok.xml').diagnostics).toEqual([]);
    expect(only('<b>'.repeat(MAX_XML_DEPTH + 1) + '</b>'.repeat(MAX_XML_DEPTH + 1))).toMatch(/^f\.xml:1:769: error: elements are nested more than/);
  });

  it('says an empty file is empty, at line 1 col 1', () => {
    expect(only('', 'empty.xml')).toBe('empty.xml:1:1: error: the file is empty: an XML file needs a root element');
    expect(only(' \n\t\n', 'blank.xml')).toBe('blank.xml:1:1: error: the file is empty: an XML file needs a root element');
  });

  it('names UTF-16 (little- and big-endian, with or without a byte-order mark) read as UTF-8', () => {
    const doc = '<?xml version="1.0"?>\n<a/>\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc, 'utf16le')]).toString('utf8');
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(doc, 'utf16le').swap16()]).toString('utf8');
    expect(only(le, 'le.xml')).toBe('le.xml:1:1: error: the file is encoded in UTF-16 (little-endian, with a byte-order mark); Caruso reads XML files as UTF-8: save it as UTF-8 (for example iconv -f UTF-16 -t UTF-8)');
    expect(only(be, 'be.xml')).toMatch(/^be\.xml:1:1: error: the file is encoded in UTF-16 \(big-endian, with a byte-order mark\)/);
    expect(only(Buffer.from(doc, 'utf16le').toString('utf8'), 'x.xml')).toMatch(/^x\.xml:1:1: error: the file is encoded in UTF-16 \(little-endian, without a byte-order mark\)/);
  });

  it('accepts a UTF-8 byte-order mark and counts columns without it', () => {
    const { root, diagnostics } = parseXml('\uFEFF<a>\n  <b x="1"/></a>', 'bom.xml');
    expect(diagnostics).toEqual([]);
    expect(root?.position).toMatchObject({ line: 1, col: 1 });
    expect(String(parseXml('\uFEFF<a><b></a>', 'bom.xml').diagnostics[0])).toMatch(/^bom\.xml:1:\d+: error: XML is not well-formed/);
  });

  it('never throws: every malformed prefix of a document gets a positioned diagnostic', () => {
    const doc = '<?xml version="1.0"?>\n<!DOCTYPE s SYSTEM "dialogue.dtd">\n<s a="1 > 2"><!-- c --><![CDATA[x]]><t/>&amp;</s>';
    const unplaced: string[] = [];
    for (let n = 0; n < doc.length; n++) {
      const { root, diagnostics } = parseXml(doc.slice(0, n), 'p.xml');
      const first = String(diagnostics[0]);
      if (root === undefined && !/^p\.xml:[1-9]\d*:[1-9]\d*: error: /.test(first)) unplaced.push(`${n}: ${first}`);
    }
    expect(unplaced).toEqual([]);
    expect(parseXml(doc, 'p.xml').root?.name).toBe('s');
  });
});
