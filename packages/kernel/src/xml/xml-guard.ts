/**
 * The guard every XML file of Caruso passes before fast-xml-parser sees it (models, dialogue scripts,
 * applications, assemblies, and so `caruso start`). It refuses what only a hostile or broken file
 * holds, each with the place it starts:
 * - entity declarations (`<!ENTITY`), parameter entities and external entities in a DOCTYPE: Caruso's
 *   formats declare nothing in the document, and an entity is how XXE reads a file or a URL and how
 *   "billion laughs" eats the memory;
 * - a DOCTYPE whose external id is not a path to a `.dtd` file (a URL, a PUBLIC id): the DTD is never
 *   read, but a reference to a remote one is refused rather than carried along;
 * - elements nested deeper than {@link MAX_XML_DEPTH};
 * - an empty file, and a UTF-16 file that was read as UTF-8.
 * It is one linear scan of the text; it neither recurses nor allocates per element.
 */

/** Deepest nesting of elements accepted in an XML file (Caruso's formats need fewer than 20 levels). */
export const MAX_XML_DEPTH = 256;

/** What the guard refused: a message, a stable code and the offset it points at. */
export interface XmlGuardFinding {
  readonly offset: number;
  readonly message: string;
  readonly code: string;
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const SPACE = /\s/;
/** A system literal Caruso accepts: a relative or absolute file path to a `.dtd` file, no URL scheme. */
const DTD_PATH = /^(?![A-Za-z][A-Za-z0-9+.-]*:)[^\s"'<>%&]*\.dtd$/;

function skipSpace(text: string, i: number): number {
  while (i < text.length && SPACE.test(text[i] as string)) i++;
  return i;
}

/** Where the tag that starts at `i` (at `<`) ends: the offset after its `>`, quotes respected; -1 when it never ends. */
function tagEnd(text: string, i: number): number {
  let quote: string | undefined;
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j + 1;
    else if (c === '<') return -1;
  }
  return -1;
}

/** Says why the UTF-16 text `text` (read as UTF-8) cannot be read, or undefined when it is not UTF-16. */
function utf16(text: string): XmlGuardFinding | undefined {
  // A UTF-16 file read as UTF-8: its byte-order mark becomes two replacement characters, and every
  // ASCII character comes with a NUL beside it (after it in little-endian, before it in big-endian).
  const head = text.slice(0, 8);
  if (!head.includes('\u0000') && !head.startsWith('\uFFFE')) return undefined;
  const body = text.startsWith('\uFFFD\uFFFD') ? text.slice(2) : text;
  const order = body[0] === '\u0000' ? 'big-endian' : 'little-endian';
  const bom = text.startsWith('\uFFFD\uFFFD') || text.startsWith('\uFFFE') ? 'with a byte-order mark' : 'without a byte-order mark';
  return {
    offset: 0,
    code: 'encoding',
    message: `the file is encoded in UTF-16 (${order}, ${bom}); Caruso reads XML files as UTF-8: save it as UTF-8 (for example iconv -f UTF-16 -t UTF-8)`,
  };
}

/**
 * Checks the DOCTYPE that starts at `i` (at `<!DOCTYPE`). Returns a finding, or the offset after the
 * DOCTYPE when it is acceptable (a name and, optionally, `SYSTEM "path/to/file.dtd"`).
 */
function doctype(text: string, i: number): XmlGuardFinding | number {
  let j = skipSpace(text, i + '<!DOCTYPE'.length);
  while (j < text.length && !SPACE.test(text[j] as string) && text[j] !== '>' && text[j] !== '[') j++;
  j = skipSpace(text, j);
  if (text.startsWith('PUBLIC', j)) {
    return { offset: j, code: 'doctype-external', message: 'a DOCTYPE with a PUBLIC id is not accepted; write <!DOCTYPE name SYSTEM "path/to/format.dtd"> or no DOCTYPE at all' };
  }
  if (text.startsWith('SYSTEM', j)) {
    const q = skipSpace(text, j + 'SYSTEM'.length);
    const quote = text[q];
    const close = quote === '"' || quote === "'" ? text.indexOf(quote, q + 1) : -1;
    if (close < 0) return { offset: j, code: 'doctype-external', message: 'the DOCTYPE\'s SYSTEM id is not a quoted path' };
    const literal = text.slice(q + 1, close);
    if (!DTD_PATH.test(literal)) {
      return {
        offset: q,
        code: 'doctype-external',
        message: `the DOCTYPE points at ${JSON.stringify(literal.slice(0, 100))}; only a path to a .dtd file is accepted (it is never read; a URL or another file is refused)`,
      };
    }
    j = skipSpace(text, close + 1);
  }
  if (text[j] === '[') return internalSubset(text, j);
  if (text[j] === '>') return j + 1;
  return { offset: j, code: 'doctype', message: 'the DOCTYPE is malformed: expected a name, SYSTEM "file.dtd" and >' };
}

/** An internal subset (`[ … ]`) is never accepted; the finding names the worst thing in it. */
function internalSubset(text: string, open: number): XmlGuardFinding {
  const end = text.indexOf(']', open);
  const subset = text.slice(open, end < 0 ? text.length : end);
  const entity = subset.indexOf('<!ENTITY');
  if (entity >= 0) {
    const after = skipSpace(subset, entity + '<!ENTITY'.length);
    const offset = open + entity;
    if (subset[after] === '%') {
      return { offset, code: 'doctype-entity', message: 'parameter entity declarations (<!ENTITY % …>) are not accepted: Caruso\'s XML formats declare no entities' };
    }
    // The entity's name, then its definition: a SYSTEM or PUBLIC id makes it external.
    let k = after;
    while (k < subset.length && !SPACE.test(subset[k] as string) && subset[k] !== '>') k++;
    k = skipSpace(subset, k);
    if (subset.startsWith('SYSTEM', k) || subset.startsWith('PUBLIC', k)) {
      return { offset, code: 'doctype-entity', message: 'external entity declarations (<!ENTITY name SYSTEM …>) are not accepted: the file would read another file or a URL' };
    }
    return { offset, code: 'doctype-entity', message: 'entity declarations (<!ENTITY …>) are not accepted: Caruso\'s XML formats declare no entities; write the text itself' };
  }
  const reference = subset.search(/%[A-Za-z_:]/);
  if (reference >= 0) return { offset: open + reference, code: 'doctype-entity', message: 'parameter entity references (%name;) are not accepted' };
  return { offset: open, code: 'doctype', message: 'a DOCTYPE with an internal subset ([ … ]) is not accepted; write <!DOCTYPE name SYSTEM "path/to/format.dtd"> or no DOCTYPE at all' };
}

/**
 * Checks `text` before it is parsed. Returns the first problem, or undefined when the parser may
 * run. Note: `text` has no byte-order mark (the caller removed a UTF-8 one).
 */
export function guardXml(text: string): XmlGuardFinding | undefined {
  if (text.trim().length === 0) return { offset: 0, code: 'empty', message: 'the file is empty: an XML file needs a root element' };
  const encoding = utf16(text);
  if (encoding) return encoding;
  let depth = 0;
  let i = text.indexOf('<');
  while (i >= 0 && i < text.length) {
    let next: number;
    if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i + 4);
      next = e < 0 ? -1 : e + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const e = text.indexOf(']]>', i + 9);
      next = e < 0 ? -1 : e + 3;
    } else if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i + 2);
      next = e < 0 ? -1 : e + 2;
    } else if (text.startsWith('<!DOCTYPE', i)) {
      const d = doctype(text, i);
      if (typeof d !== 'number') return d;
      next = d;
    } else if (text.startsWith('<!ENTITY', i)) {
      return { offset: i, code: 'doctype-entity', message: 'entity declarations (<!ENTITY …>) are not accepted' };
    } else if (text[i + 1] === '/') {
      depth = Math.max(0, depth - 1);
      next = tagEnd(text, i);
    } else if (NAME_START.test(text[i + 1] ?? '')) {
      next = tagEnd(text, i);
      if (next > 0 && text[next - 2] !== '/') {
        depth++;
        if (depth > MAX_XML_DEPTH) {
          return { offset: i, code: 'too-deep', message: `elements are nested more than ${MAX_XML_DEPTH} levels deep here; Caruso's XML formats need far fewer` };
        }
      }
    } else {
      next = i + 1;
    }
    // Whatever does not end is left to the well-formedness check, which reports it with its place.
    if (next < 0) return undefined;
    i = text.indexOf('<', next);
  }
  return undefined;
}
