import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { guardXml, MAX_XML_DEPTH } from './xml-guard.js';

export { MAX_XML_DEPTH };

/**
 * A small XML reader that keeps the line and column of every element and attribute, so that every
 * XML format of Caruso (models, dialogue scripts, applications, assemblies) can report problems as
 * `file:line:col: error: message`. Built on fast-xml-parser (ordered mode with position metadata).
 */

/** A place in a file; line and column count from 1. */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
  readonly offset: number;
}

/** An element with its attributes and children in document order. */
export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** Where each attribute's name starts. */
  readonly attributePositions: Readonly<Record<string, SourcePosition>>;
  readonly children: readonly XmlNode[];
  /** Where the element's `<` is. */
  readonly position: SourcePosition;
}

/** Character data (text, CDATA) between elements, as written (not trimmed). */
export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
  readonly position: SourcePosition;
}

export type XmlNode = XmlElement | XmlText;

/** Severity of a diagnostic. */
export type DiagnosticSeverity = 'error' | 'warning';

/** One problem found in a file, printed as `file:line:col: severity: message`. */
export class XmlDiagnostic {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly severity: DiagnosticSeverity,
    readonly message: string,
    /** A stable machine-readable code, e.g. `unknown-target`. */
    readonly code?: string,
  ) {}

  toString(): string {
    return `${this.file}:${this.line}:${this.col}: ${this.severity}: ${this.message}`;
  }

  /** Orders diagnostics by file, line, column. */
  static compare(a: XmlDiagnostic, b: XmlDiagnostic): number {
    return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col;
  }
}

/** The most diagnostics one file reports; the rest are counted in a last line. */
export const MAX_DIAGNOSTICS = 200;

/**
 * Collects diagnostics for one file: the same message at the same place once, and at most `max`
 * (default {@link MAX_DIAGNOSTICS}); what is over is counted in one last diagnostic at the first
 * one left out ("… and N more problems"), so a file with a million bad tokens gives a readable list.
 */
export class DiagnosticSink {
  readonly diagnostics: XmlDiagnostic[] = [];
  private readonly seen = new Set<string>();
  private over = 0;
  private overErrors = 0;
  private overAt: { readonly line: number; readonly col: number } | undefined;

  constructor(readonly file: string, private readonly max = MAX_DIAGNOSTICS) {}

  error(at: SourcePosition | undefined, message: string, code?: string): void {
    this.add(at, 'error', message, code);
  }

  warning(at: SourcePosition | undefined, message: string, code?: string): void {
    this.add(at, 'warning', message, code);
  }

  private add(at: SourcePosition | undefined, severity: DiagnosticSeverity, message: string, code: string | undefined): void {
    const line = at?.line ?? 1;
    const col = at?.col ?? 1;
    const key = `${line}:${col}:${severity}:${message}`;
    if (this.seen.has(key)) return;
    if (this.diagnostics.length - (this.over > 0 ? 1 : 0) >= this.max) {
      // Over the limit: counted in the last diagnostic, which is replaced as the count grows.
      if (this.over > 0) this.diagnostics.pop();
      this.over++;
      if (severity === 'error') this.overErrors++;
      const first = (this.overAt ??= { line, col });
      const more = `… and ${this.over} more problem${this.over === 1 ? '' : 's'} (${this.overErrors} error${this.overErrors === 1 ? '' : 's'}) not listed; the first ${this.max} are above`;
      this.diagnostics.push(new XmlDiagnostic(this.file, first.line, first.col, this.overErrors > 0 ? 'error' : 'warning', more, 'too-many'));
      return;
    }
    this.seen.add(key);
    this.diagnostics.push(new XmlDiagnostic(this.file, line, col, severity, message, code));
  }

  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }

  sorted(): XmlDiagnostic[] {
    return [...this.diagnostics].sort(XmlDiagnostic.compare);
  }
}

/** Result of {@link parseXml}: the root element, or the well-formedness errors. */
export interface XmlParseResult {
  readonly root: XmlElement | undefined;
  readonly diagnostics: XmlDiagnostic[];
}

/** Limits that protect the parser from hostile files. */
export interface XmlParseOptions {
  /** Largest accepted file, in characters. Default 8 MiB. */
  readonly maxLength?: number;
}

const META = XMLParser.getMetaDataSymbol() as unknown as symbol;
const ATTRS = ':@';
const TEXT = '#text';

function lineIndex(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function positionAt(starts: number[], offset: number): SourcePosition {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - (starts[lo] as number) + 1, offset };
}

const ATTRIBUTE = /([^\s=<>/"']+)\s*=\s*(?:"[^"]*"|'[^']*')/y;
const TAG_NAME = /<[^\s/>]+/y;

/**
 * Finds where each attribute name starts inside the start tag at `tagStart`, in one linear scan of
 * that tag (values may contain `>`), and where the tag ends.
 */
function attributeOffsets(text: string, tagStart: number): { offsets: Record<string, number>; tagEnd: number } {
  const offsets: Record<string, number> = {};
  TAG_NAME.lastIndex = tagStart;
  let pos = TAG_NAME.test(text) ? TAG_NAME.lastIndex : tagStart + 1;
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
    const c = text[pos];
    if (c === undefined || c === '>' || c === '/') break;
    ATTRIBUTE.lastIndex = pos;
    const m = ATTRIBUTE.exec(text);
    if (!m) break;
    offsets[m[1] as string] = pos;
    pos = ATTRIBUTE.lastIndex;
  }
  const gt = text.indexOf('>', pos);
  return { offsets, tagEnd: gt < 0 ? text.length : gt + 1 };
}

type Ordered = Record<string, unknown>;

/**
 * Parses `text` (the content of `file`). Well-formedness errors come back as diagnostics with their
 * line and column; nothing is thrown for bad input. Before the parser runs, a guard refuses entity
 * declarations, parameter and external entities, a DOCTYPE that is not `SYSTEM "….dtd"`, nesting
 * deeper than {@link MAX_XML_DEPTH}, an empty file and a UTF-16 file read as UTF-8; a UTF-8
 * byte-order mark is dropped.
 */
export function parseXml(input: string, file: string, options: XmlParseOptions = {}): XmlParseResult {
  const maxLength = options.maxLength ?? 8 * 1024 * 1024;
  if (input.length > maxLength) {
    return { root: undefined, diagnostics: [new XmlDiagnostic(file, 1, 1, 'error', `file is larger than ${maxLength} characters`, 'too-large')] };
  }
  // An editor's byte-order mark is not part of the document (nor of its first line's columns).
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const starts = lineIndex(text);
  const refused = guardXml(text);
  if (refused) {
    const at = positionAt(starts, refused.offset);
    return { root: undefined, diagnostics: [new XmlDiagnostic(file, at.line, at.col, 'error', refused.message, refused.code)] };
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    return { root: undefined, diagnostics: [new XmlDiagnostic(file, line || 1, col || 1, 'error', `XML is not well-formed: ${msg}`, 'not-well-formed')] };
  }
  try {
    return build(text, file, starts);
  } catch (err) {
    // The guard and the validator let nothing through that the parser should refuse; if it does,
    // the file still gets a diagnostic, never a stack trace.
    const msg = err instanceof Error ? err.message : String(err);
    return { root: undefined, diagnostics: [parserFailure(msg, file, starts)] };
  }
}

/**
 * A diagnostic for an error the parser threw: at the position or line it names, in words an author
 * can act on (the parser's own wording names its internals, e.g. "readTagExp returned undefined").
 */
function parserFailure(msg: string, file: string, starts: number[]): XmlDiagnostic {
  const offset = /position (\d+)/i.exec(msg);
  const line = /line:?\s*(\d+)/i.exec(msg);
  const at = offset ? positionAt(starts, Number(offset[1])) : { line: line ? Number(line[1]) : 1, col: 1 };
  const said = msg.replace(/\s*Context:[\s\S]*$/, '').slice(0, 200);
  const detail = /readTagExp|undefined|\bnull\b|NaN|\[object /.test(said) ? 'a tag here cannot be read (an unclosed tag or quote, or a name with characters XML does not allow)' : said;
  return new XmlDiagnostic(file, at.line, at.col, 'error', `XML could not be read: ${detail}`, 'not-well-formed');
}

function build(text: string, file: string, starts: number[]): XmlParseResult {
  const parser = new XMLParser({
    preserveOrder: true,
    captureMetaData: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    commentPropName: false,
    // The guard has already refused deeper files; the parser's own limit (100 by default) must not be lower.
    maxNestedTags: MAX_XML_DEPTH + 1,
  });
  const ordered = parser.parse(text) as Ordered[];

  /** Where the first non-blank character at or after `from` is (text positions point at the text, not the blanks). */
  const textStart = (from: number): number => {
    let i = from;
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    return i < text.length ? i : from;
  };

  // `after`: the offset where this node can start at the earliest (end of the previous sibling or
  // of the parent's start tag), used to place text nodes, which carry no position of their own.
  const convert = (node: Ordered, after: number): { node: XmlNode | undefined; end: number } => {
    const meta = (node as Record<symbol, { startIndex?: number; endIndex?: number } | undefined>)[META];
    if (TEXT in node) {
      return { node: { kind: 'text', text: String(node[TEXT]), position: positionAt(starts, textStart(after)) }, end: after };
    }
    const offset = meta?.startIndex ?? after;
    const name = Object.keys(node).find((k) => k !== ATTRS);
    if (name === undefined) return { node: undefined, end: after };
    const rawAttrs = (node[ATTRS] ?? {}) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawAttrs)) attributes[k] = String(v);
    const { offsets, tagEnd } = attributeOffsets(text, offset);
    const attributePositions: Record<string, SourcePosition> = {};
    for (const k of Object.keys(attributes)) attributePositions[k] = positionAt(starts, offsets[k] ?? offset);
    const kids = (node[name] ?? []) as Ordered[];
    const children: XmlNode[] = [];
    let cursor = tagEnd;
    for (const kid of kids) {
      const c = convert(kid, cursor);
      if (c.node) children.push(c.node);
      cursor = c.end;
    }
    const end = meta?.endIndex !== undefined ? meta.endIndex + 1 : cursor;
    return { node: { kind: 'element', name, attributes, attributePositions, children, position: positionAt(starts, offset) }, end };
  };

  const top: XmlElement[] = [];
  let cursor = 0;
  for (const n of ordered) {
    const c = convert(n, cursor);
    if (c.node?.kind === 'element') top.push(c.node);
    cursor = c.end;
  }
  const root = top[0];
  if (!root) return { root: undefined, diagnostics: [new XmlDiagnostic(file, 1, 1, 'error', 'the file has no root element', 'no-root')] };
  return { root, diagnostics: [] };
}

/** The child elements of `el`, optionally only those named `name`. */
export function childElements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element' && (name === undefined || c.name === name));
}

/** The text inside `el` (text children only, whitespace collapsed and trimmed). */
export function textContent(el: XmlElement): string {
  return el.children
    .filter((c): c is XmlText => c.kind === 'text')
    .map((c) => c.text)
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Where attribute `name` of `el` is (or the element's own position when it is absent). */
export function attributePosition(el: XmlElement, name: string): SourcePosition {
  return el.attributePositions[name] ?? el.position;
}
