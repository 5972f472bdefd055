import { childElements, DiagnosticSink, MAX_DIAGNOSTICS, parseXml, textContent, attributePosition } from '@caruso/kernel';

describe('parseXml', () => {
  const xml = `<?xml version="1.0"?>
<!DOCTYPE script SYSTEM "dialogue.dtd">
<script id="s1" version="1">
  <question id="q1"
            type="choice">
    <prompt>Hello <value expr="name"/>, welcome</prompt>
  </question>
</script>`;

  it('keeps the line and column of every element and attribute', () => {
    const { root, diagnostics } = parseXml(xml, 'a.xml');
    expect(diagnostics).toEqual([]);
    expect(root?.name).toBe('script');
    expect(root?.position).toMatchObject({ line: 3, col: 1 });
    const q = childElements(root!, 'question')[0]!;
    expect(q.position).toMatchObject({ line: 4, col: 3 });
    expect(attributePosition(q, 'type')).toMatchObject({ line: 5, col: 13 });
    expect(q.attributes).toEqual({ id: 'q1', type: 'choice' });
  });

  it('keeps mixed content in document order', () => {
    const { root } = parseXml(xml, 'a.xml');
    const prompt = childElements(childElements(root!, 'question')[0]!, 'prompt')[0]!;
    expect(prompt.children.map((c) => (c.kind === 'text' ? c.text : `<${c.name}>`))).toEqual(['Hello ', '<value>', ', welcome']);
    expect(textContent(prompt)).toBe('Hello , welcome');
  });

  it('reports a file that is not well-formed as file:line:col', () => {
    const { root, diagnostics } = parseXml('<a>\n  <b>\n</a>', 'bad.xml');
    expect(root).toBeUndefined();
    expect(String(diagnostics[0])).toMatch(/^bad\.xml:\d+:\d+: error: XML is not well-formed: /);
  });

  it('says where a file stops being readable when the parser, not the validator, refuses it, in an author’s words', () => {
    // The validator accepts a lone `<!` after the root; the parser throws "readTagExp returned undefined at position 9".
    const { root, diagnostics } = parseXml('<a>\n</a><!', 'tail.xml');
    expect(root).toBeUndefined();
    expect(diagnostics.map(String)).toEqual(['tail.xml:2:5: error: XML could not be read: a tag here cannot be read (an unclosed tag or quote, or a name with characters XML does not allow)']);
  });

  it('refuses a file over the size limit', () => {
    const { diagnostics } = parseXml('<a>' + 'x'.repeat(100) + '</a>', 'big.xml', { maxLength: 50 });
    expect(String(diagnostics[0])).toBe('big.xml:1:1: error: file is larger than 50 characters');
  });
});

describe('parseXml positions of text and tricky attributes', () => {
  it('places text nodes at their first character', () => {
    const { root } = parseXml('<a>\n  <b/>\n  tail text\n  <c>inner</c>\n</a>', 't.xml');
    const texts = root!.children.filter((c) => c.kind === 'text' && c.text.trim() !== '');
    expect(texts[0]!.position).toMatchObject({ line: 3, col: 3 });
    const c = childElements(root!, 'c')[0]!;
    expect(c.children[0]!.position).toMatchObject({ line: 4, col: 6 });
  });

  it('finds attributes whose values contain > or another attribute name', () => {
    const { root } = parseXml(`<a cond="x > 1 and y=2" target='t' y="3"/>`, 't.xml');
    expect(attributePosition(root!, 'cond').col).toBe(4);
    expect(attributePosition(root!, 'target').col).toBe(25);
    expect(attributePosition(root!, 'y').col).toBe(36);
  });
});

describe('DiagnosticSink', () => {
  it('says the same problem at the same place once', () => {
    const sink = new DiagnosticSink('app.xml');
    for (let i = 0; i < 3; i++) sink.error({ line: 4, col: 7, offset: 0 }, 'Customer has no field a');
    sink.error({ line: 5, col: 7, offset: 0 }, 'Customer has no field a');
    sink.warning({ line: 4, col: 7, offset: 0 }, 'Customer has no field a');
    expect(sink.diagnostics.map(String)).toEqual([
      'app.xml:4:7: error: Customer has no field a',
      'app.xml:5:7: error: Customer has no field a',
      'app.xml:4:7: warning: Customer has no field a',
    ]);
  });

  it('lists at most MAX_DIAGNOSTICS problems and counts the rest in one last line, at the first left out', () => {
    const sink = new DiagnosticSink('big.xml');
    for (let i = 1; i <= MAX_DIAGNOSTICS + 1_000; i++) sink.error({ line: i, col: 1, offset: 0 }, `problem ${i}`);
    sink.warning({ line: 9_999, col: 2, offset: 0 }, 'one more, a warning');
    expect(sink.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(String(sink.diagnostics[MAX_DIAGNOSTICS - 1])).toBe(`big.xml:${MAX_DIAGNOSTICS}:1: error: problem ${MAX_DIAGNOSTICS}`);
    expect(String(sink.diagnostics.at(-1))).toBe(`big.xml:${MAX_DIAGNOSTICS + 1}:1: error: … and 1001 more problems (1000 errors) not listed; the first ${MAX_DIAGNOSTICS} are above`);
    expect(sink.hasErrors).toBe(true);
    const few = new DiagnosticSink('w.xml', 1);
    few.warning({ line: 1, col: 1, offset: 0 }, 'first');
    few.warning({ line: 2, col: 1, offset: 0 }, 'second');
    expect(few.diagnostics.map(String)).toEqual(['w.xml:1:1: warning: first', 'w.xml:2:1: warning: … and 1 more problem (0 errors) not listed; the first 1 are above']);
    expect(few.hasErrors).toBe(false);
  });
});
