/**
 * Reads one dialogue-script file into a {@link CompiledScript}: the structure that dtd/dialogue.dtd
 * describes (elements, their order, attributes and enumerations), then the meaning (ids, targets,
 * variables, expressions, prompts per channel, DTMF keys, reachability, dead ends). Every problem
 * is a diagnostic `file:line:col: error|warning: message`; errors block loading, warnings do not.
 */
import { childElements, DiagnosticSink, parseXml, type SourcePosition, type XmlElement, type XmlNode } from '@caruso/kernel';
import { ExpressionError, parseExpression, referencedVariables, compilePattern, type CompiledExpression, type Expr } from './common/expression.js';
import { publicVariableNames } from './common/public-variables.js';
import type { ScriptObjectDef, ScriptObjectModel } from './object-access.js';
import {
  CHANNELS,
  QUESTION_EVENTS,
  QUESTION_TYPES,
  VAR_TYPES,
  type Channel,
  type Choice,
  type CompiledScript,
  type EventHandler,
  type Executable,
  type ObjectComparison,
  type ObjectCondition,
  type ObjectWriteOperation,
  type Prompt,
  type PromptPart,
  type QuestionEvent,
  type QuestionType,
  type ScriptNode,
  type SourceRef,
  type Transition,
  type VarDecl,
  type VarType,
} from './common/model.js';

/** Names every expression may read without a declaration. */
export const BUILTIN_VARIABLES: readonly string[] = ['channel', 'lang', 'script', 'version', 'identity'];

/** Options of {@link parseScript}. */
export interface ParseOptions {
  /** The business-object model the scripts run against, when it is known. */
  readonly objects?: ScriptObjectModel;
}

/** The result of {@link parseScript}. */
export interface ParsedScript {
  /** The compiled script, when there is no error. */
  readonly script: CompiledScript | undefined;
  /** Every problem found, errors and warnings, in file order. */
  readonly diagnostics: DiagnosticSink['diagnostics'];
}

// ---------------------------------------------------------------------------------------------
// Structure (mirrors dtd/dialogue.dtd; a test keeps the two in step)

interface AttrSpec {
  readonly required?: boolean;
  readonly values?: readonly string[];
}
interface Group {
  readonly names: readonly string[];
  readonly min: number;
  readonly max: number;
}
interface ElementSpec {
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  /** Children as a sequence of groups; `undefined` for the special content of `<if>`. */
  readonly content: readonly Group[] | 'if';
  /** Whether text may appear between children (mixed content). */
  readonly text: boolean;
}

const EXEC = ['assign', 'fetch', 'action', 'log', 'if', 'goto'];
const NODES = ['question', 'info', 'decision', 'subscript', 'handoff', 'end'];
const many = (...names: string[]): Group => ({ names, min: 0, max: Infinity });
const some = (...names: string[]): Group => ({ names, min: 1, max: Infinity });
const opt = (...names: string[]): Group => ({ names, min: 0, max: 1 });
const CHANNEL_VALUES = ['agent', 'web', 'ivr'];

/** The element table. Exported for the test that compares it with the DTD. */
export const ELEMENTS: Readonly<Record<string, ElementSpec>> = {
  script: {
    attrs: { id: { required: true }, version: { required: true }, start: {}, 'xml:lang': {}, 'fallback-queue': {}, 'max-attempts': {} },
    content: [opt('meta'), many('var'), some(...NODES)],
    text: false,
  },
  meta: { attrs: {}, content: [opt('title'), opt('description'), many('author')], text: false },
  title: { attrs: {}, content: [], text: true },
  description: { attrs: {}, content: [], text: true },
  author: { attrs: {}, content: [], text: true },
  var: { attrs: { name: { required: true }, type: { values: VAR_TYPES }, expr: {}, public: { values: ['true', 'false'] } }, content: [], text: false },
  question: {
    attrs: {
      id: { required: true },
      var: {},
      type: { required: true, values: QUESTION_TYPES },
      required: { values: ['true', 'false'] },
      min: {},
      max: {},
      pattern: {},
      channels: {},
    },
    content: [some('prompt'), opt('help'), many('choice'), many('validate'), many('on'), many('next')],
    text: false,
  },
  info: { attrs: { id: { required: true }, channels: {} }, content: [some('prompt'), many('next')], text: false },
  decision: { attrs: { id: { required: true }, channels: {} }, content: [many('next')], text: false },
  subscript: { attrs: { id: { required: true }, src: { required: true }, channels: {} }, content: [many('next')], text: false },
  handoff: { attrs: { id: { required: true }, queue: { required: true }, skills: {}, priority: {}, channels: {} }, content: [many('prompt')], text: false },
  end: { attrs: { id: { required: true }, outcome: { required: true }, channels: {} }, content: [many('prompt')], text: false },
  prompt: { attrs: { channel: { values: CHANNEL_VALUES }, 'xml:lang': {} }, content: [many('value')], text: true },
  help: { attrs: { channel: { values: CHANNEL_VALUES }, 'xml:lang': {} }, content: [many('value')], text: true },
  value: { attrs: { expr: { required: true } }, content: [], text: false },
  choice: { attrs: { value: { required: true }, dtmf: {} }, content: [], text: true },
  validate: { attrs: { cond: { required: true }, message: { required: true } }, content: [], text: false },
  on: { attrs: { event: { required: true, values: QUESTION_EVENTS }, count: {} }, content: [many('prompt'), many(...EXEC)], text: false },
  next: { attrs: { cond: {}, target: { required: true } }, content: [many(...EXEC)], text: false },
  assign: { attrs: { var: { required: true }, expr: { required: true } }, content: [], text: false },
  fetch: {
    attrs: {
      source: {},
      object: {},
      key: {},
      where: {},
      list: { values: ['true', 'false'] },
      'order-by': {},
      limit: {},
      into: { required: true },
      operation: {},
      anonymous: { values: ['true', 'false'] },
      'on-error': {},
      'error-into': {},
    },
    content: [],
    text: false,
  },
  action: {
    attrs: {
      service: {},
      object: {},
      operation: { required: true },
      key: {},
      into: {},
      anonymous: { values: ['true', 'false'] },
      'on-invalid': { values: ['reask'] },
      'on-error': {},
      'error-into': {},
    },
    content: [many('param')],
    text: false,
  },
  param: { attrs: { name: { required: true }, expr: { required: true }, question: {} }, content: [], text: false },
  log: { attrs: { expr: { required: true } }, content: [], text: false },
  if: { attrs: { cond: { required: true } }, content: 'if', text: false },
  elseif: { attrs: { cond: { required: true } }, content: [], text: false },
  else: { attrs: {}, content: [], text: false },
  goto: { attrs: { target: { required: true } }, content: [], text: false },
};

const ID_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const VAR_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN_RE = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$/;
const DTMF_RE = /^[0-9*#]$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const WHERE_OPS: readonly ObjectComparison[] = ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'];
/** The text matches of a `where`, written as calls: `contains(field, text)`, `startsWith(field, text)`. */
const TEXT_MATCHES: readonly ObjectComparison[] = ['contains', 'startsWith'];
const RESERVED_VARS = new Set(['and', 'or', 'not', 'true', 'false', 'null']);

function describeGroups(groups: readonly Group[]): string {
  return groups
    .map((g) => {
      const n = g.names.length === 1 ? `<${g.names[0]}>` : `(${g.names.map((x) => `<${x}>`).join(' | ')})`;
      return g.min === 0 && g.max === 1 ? `${n}?` : g.min === 0 ? `${n}*` : g.max === Infinity ? `${n}+` : n;
    })
    .join(', ');
}

// ---------------------------------------------------------------------------------------------

class ScriptReader {
  private readonly lineStarts: number[];
  private readonly sink: DiagnosticSink;

  constructor(
    private readonly text: string,
    private readonly file: string,
    readonly options: ParseOptions = {},
  ) {
    this.sink = new DiagnosticSink(file);
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  get diagnostics(): DiagnosticSink {
    return this.sink;
  }

  private posAt(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (this.lineStarts[lo] as number) + 1, offset };
  }

  ref(p: SourcePosition): SourceRef {
    return { file: this.file, line: p.line, col: p.col };
  }

  /** Where character `index` of the (decoded) value of attribute `name` is in the file. */
  valuePosition(el: XmlElement, name: string, index: number): SourcePosition {
    const at = el.attributePositions[name];
    if (!at) return el.position;
    let j = at.offset + name.length;
    const t = this.text;
    while (j < t.length && t[j] !== '=') j++;
    j++;
    while (j < t.length && (t[j] === ' ' || t[j] === '\t' || t[j] === '\n' || t[j] === '\r')) j++;
    j++; // the quote
    for (let k = 0; k < index && j < t.length; k++) {
      if (t[j] === '&') {
        const semi = t.indexOf(';', j);
        j = semi < 0 ? j + 1 : semi + 1;
      } else j++;
    }
    return this.posAt(j);
  }

  // ---- structure ------------------------------------------------------------------------------

  checkStructure(el: XmlElement): void {
    const spec = ELEMENTS[el.name];
    if (!spec) return; // reported by the parent
    for (const [name, value] of Object.entries(el.attributes)) {
      const a = spec.attrs[name];
      if (!a) {
        if (el.name === 'script' && (name === 'xmlns' || name.startsWith('xmlns:'))) continue;
        const known = Object.keys(spec.attrs);
        this.sink.error(el.attributePositions[name], `<${el.name}> has no attribute '${name}'${known.length ? ` (allowed: ${known.join(', ')})` : ''}`, 'unknown-attribute');
        continue;
      }
      if (a.values && !a.values.includes(value)) {
        this.sink.error(this.valuePosition(el, name, 0), `${name}="${value}" is not allowed on <${el.name}>: use one of ${a.values.join(', ')}`, 'bad-attribute-value');
      }
    }
    for (const [name, a] of Object.entries(spec.attrs)) {
      if (a.required && !(name in el.attributes)) this.sink.error(el.position, `<${el.name}> needs the attribute '${name}'`, 'missing-attribute');
    }
    if (!spec.text) {
      for (const c of el.children) {
        if (c.kind === 'text' && c.text.trim() !== '') {
          this.sink.error(el.position, `text is not allowed directly inside <${el.name}>${el.name === 'question' || el.name === 'info' ? ': put it in a <prompt>' : ''}`, 'text-not-allowed');
          break;
        }
      }
    }
    const kids = childElements(el);
    if (spec.content === 'if') this.checkIfContent(el, kids);
    else this.checkSequence(el, kids, spec.content);
    for (const k of kids) this.checkStructure(k);
  }

  private checkSequence(el: XmlElement, kids: XmlElement[], groups: readonly Group[]): void {
    const allowed = new Set(groups.flatMap((g) => g.names));
    const stranger = kids.find((k) => !ELEMENTS[k.name]);
    if (stranger) {
      this.sink.error(stranger.position, `unknown element <${stranger.name}>${allowed.size ? ` inside <${el.name}> (content: ${describeGroups(groups)})` : ''}`, 'unknown-element');
      return;
    }
    let i = 0;
    for (const g of groups) {
      let n = 0;
      while (i < kids.length && n < g.max && g.names.includes((kids[i] as XmlElement).name)) {
        i++;
        n++;
      }
      if (n < g.min) {
        const where = kids[i]?.position ?? el.position;
        this.sink.error(where, `<${el.name}> needs ${g.names.length === 1 ? `a <${g.names[0]}>` : `one of ${g.names.map((x) => `<${x}>`).join(', ')}`}${kids[i] ? ` before <${kids[i]!.name}>` : ''} (content: ${describeGroups(groups)})`, 'missing-element');
        return;
      }
    }
    if (i < kids.length) {
      const k = kids[i] as XmlElement;
      if (!allowed.has(k.name)) {
        this.sink.error(
          k.position,
          ELEMENTS[k.name]
            ? `<${k.name}> is not allowed inside <${el.name}>${allowed.size ? ` (content: ${describeGroups(groups)})` : ' (it must be empty)'}`
            : `unknown element <${k.name}>${allowed.size ? ` inside <${el.name}> (content: ${describeGroups(groups)})` : ''}`,
          ELEMENTS[k.name] ? 'misplaced-element' : 'unknown-element',
        );
      } else {
        this.sink.error(k.position, `<${k.name}> is out of place inside <${el.name}>: the order is ${describeGroups(groups)}`, 'misplaced-element');
      }
    }
  }

  private checkIfContent(el: XmlElement, kids: XmlElement[]): void {
    let sawElse = false;
    for (const k of kids) {
      if (k.name === 'elseif' || k.name === 'else') {
        if (sawElse) {
          this.sink.error(k.position, `<${k.name}> after <else>: <else> comes last inside <if>`, 'misplaced-element');
          return;
        }
        if (k.name === 'else') sawElse = true;
      } else if (!EXEC.includes(k.name)) {
        this.sink.error(k.position, ELEMENTS[k.name] ? `<${k.name}> is not allowed inside <if>` : `unknown element <${k.name}> inside <if>`, ELEMENTS[k.name] ? 'misplaced-element' : 'unknown-element');
        return;
      }
    }
  }

  // ---- compile --------------------------------------------------------------------------------

  private readonly exprCache = new WeakMap<XmlElement, Map<string, CompiledExpression | null>>();

  /** The parsed expression of an attribute (parsed once; a syntax error is reported once). */
  expr(el: XmlElement, attr: string): CompiledExpression | undefined {
    const src = el.attributes[attr];
    if (src === undefined) return undefined;
    let perEl = this.exprCache.get(el);
    if (!perEl) {
      perEl = new Map();
      this.exprCache.set(el, perEl);
    }
    const hit = perEl.get(attr);
    if (hit !== undefined) return hit ?? undefined;
    try {
      const e = parseExpression(src);
      perEl.set(attr, e);
      return e;
    } catch (err) {
      if (err instanceof ExpressionError) {
        perEl.set(attr, null);
        this.sink.error(this.valuePosition(el, attr, err.offset), `in ${attr}="${src.length > 60 ? src.slice(0, 60) + '…' : src}": ${err.message}`, 'expression-syntax');
        return undefined;
      }
      throw err;
    }
  }

  prompts(parent: XmlElement, name: 'prompt' | 'help'): Prompt[] {
    return childElements(parent, name).map((p) => {
      const parts: PromptPart[] = [];
      for (const c of p.children as XmlNode[]) {
        if (c.kind === 'text') parts.push(c.text);
        else if (c.name === 'value') {
          const e = this.expr(c, 'expr');
          if (e) parts.push(e);
        }
      }
      // whitespace as an analyst would expect it: runs collapsed, ends trimmed
      const norm: PromptPart[] = [];
      for (const part of parts) {
        if (typeof part === 'string') {
          const s = part.replace(/\s+/g, ' ');
          if (typeof norm[norm.length - 1] === 'string') norm[norm.length - 1] = (norm[norm.length - 1] as string) + s;
          else norm.push(s);
        } else norm.push(part);
      }
      if (typeof norm[0] === 'string') norm[0] = norm[0].replace(/^ /, '');
      const last = norm.length - 1;
      if (typeof norm[last] === 'string') norm[last] = (norm[last] as string).replace(/ $/, '');
      const channel = p.attributes['channel'];
      const lang = p.attributes['xml:lang'];
      return {
        ...(channel && CHANNEL_VALUES.includes(channel) ? { channel: channel as Channel } : {}),
        ...(lang ? { lang } : {}),
        parts: norm.filter((x) => x !== ''),
      };
    });
  }

  channels(el: XmlElement): Channel[] {
    const raw = el.attributes['channels'];
    if (raw === undefined) return [...CHANNELS];
    const out: Channel[] = [];
    let index = 0;
    for (const word of raw.split(/(\s+)/)) {
      if (word.trim() !== '') {
        if (CHANNEL_VALUES.includes(word)) {
          if (!out.includes(word as Channel)) out.push(word as Channel);
        } else this.sink.error(this.valuePosition(el, 'channels', index), `unknown channel '${word}' in channels: use agent, web, ivr`, 'bad-attribute-value');
      }
      index += word.length;
    }
    if (out.length === 0 && raw.trim() === '') this.sink.error(el.attributePositions['channels'], 'channels is empty: name at least one of agent, web, ivr (or leave the attribute out)', 'bad-attribute-value');
    return out;
  }

  executables(parent: XmlElement): Executable[] {
    const out: Executable[] = [];
    for (const el of childElements(parent)) {
      const at = this.ref(el.position);
      switch (el.name) {
        case 'assign': {
          const expr = this.expr(el, 'expr');
          if (expr) out.push({ kind: 'assign', var: el.attributes['var'] ?? '', expr, at });
          break;
        }
        case 'fetch': {
          const failure = this.failureHandling(el);
          if (el.attributes['object'] !== undefined) {
            const key = this.expr(el, 'key');
            const whereSrc = this.expr(el, 'where');
            const condition = whereSrc ? this.condition(el, whereSrc.ast) : undefined;
            const limit = this.number(el, 'limit');
            const orderBy = (el.attributes['order-by'] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
            out.push({
              kind: 'object-fetch',
              object: el.attributes['object'],
              ...(whereSrc ? { where: { source: whereSrc, condition } } : {}),
              ...(key ? { key } : {}),
              list: el.attributes['list'] === 'true',
              orderBy,
              ...(limit !== undefined ? { limit } : {}),
              into: el.attributes['into'] ?? '',
              anonymous: el.attributes['anonymous'] === 'true',
              ...failure,
              at,
            });
            break;
          }
          const key = this.expr(el, 'key');
          if (key) out.push({ kind: 'fetch', source: el.attributes['source'] ?? '', operation: el.attributes['operation'] ?? 'fetch', key, into: el.attributes['into'] ?? '', anonymous: el.attributes['anonymous'] === 'true', ...failure, at });
          break;
        }
        case 'action': {
          const params: Array<{ name: string; expr: CompiledExpression; question?: string; at: SourceRef }> = [];
          for (const p of childElements(el, 'param')) {
            const e = this.expr(p, 'expr');
            const question = p.attributes['question'];
            if (e) params.push({ name: p.attributes['name'] ?? '', expr: e, ...(question !== undefined ? { question } : {}), at: this.ref(p.position) });
          }
          const into = el.attributes['into'];
          const failure = this.failureHandling(el);
          if (el.attributes['object'] !== undefined) {
            const key = this.expr(el, 'key');
            out.push({
              kind: 'object-action',
              object: el.attributes['object'],
              operation: (el.attributes['operation'] ?? '') as ObjectWriteOperation,
              ...(key ? { key } : {}),
              params,
              reask: el.attributes['on-invalid'] === 'reask',
              ...(into !== undefined ? { into } : {}),
              anonymous: el.attributes['anonymous'] === 'true',
              ...failure,
              at,
            });
            break;
          }
          out.push({ kind: 'action', service: el.attributes['service'] ?? '', operation: el.attributes['operation'] ?? '', params, ...(into !== undefined ? { into } : {}), anonymous: el.attributes['anonymous'] === 'true', ...failure, at });
          break;
        }
        case 'log': {
          const expr = this.expr(el, 'expr');
          if (expr) out.push({ kind: 'log', expr, at });
          break;
        }
        case 'goto':
          out.push({ kind: 'goto', target: el.attributes['target'] ?? '', at });
          break;
        case 'if': {
          const branches: Array<{ cond?: CompiledExpression; body: Executable[] }> = [];
          let current: { cond?: CompiledExpression; body: Executable[] } = { body: [] };
          const c0 = this.expr(el, 'cond');
          if (c0) current.cond = c0;
          const pending: XmlElement[] = [];
          const flush = (): void => {
            current.body = this.executables({ ...el, children: pending.splice(0) });
            branches.push(current);
          };
          for (const k of childElements(el)) {
            if (k.name === 'elseif' || k.name === 'else') {
              flush();
              current = { body: [] };
              if (k.name === 'elseif') {
                const c = this.expr(k, 'cond');
                current.cond = c ?? { source: 'false', ast: { type: 'literal', value: false, pos: 0 } };
              }
            } else pending.push(k);
          }
          flush();
          out.push({ kind: 'if', branches, at });
          break;
        }
        default:
          break;
      }
    }
    return out;
  }

  private failureHandling(el: XmlElement): { onError?: string; errorInto?: string } {
    const onError = el.attributes['on-error'];
    const errorInto = el.attributes['error-into'];
    return { ...(onError !== undefined ? { onError } : {}), ...(errorInto !== undefined ? { errorInto } : {}) };
  }

  /**
   * Turns the expression of a `where` into conditions on fields: comparisons whose left side is a
   * field (or `relation.field`), joined by and, or, not. Anything else is an error at its place.
   */
  condition(el: XmlElement, ast: Expr): ObjectCondition | undefined {
    const bad = (n: Expr, why: string): undefined => {
      this.sink.error(this.valuePosition(el, 'where', n.pos), `in where="${el.attributes['where'] ?? ''}": ${why}`, 'bad-where');
      return undefined;
    };
    const walk = (n: Expr): ObjectCondition | undefined => {
      if (n.type === 'binary' && (n.op === 'and' || n.op === 'or')) {
        const items: ObjectCondition[] = [];
        for (const side of [n.left, n.right]) {
          const c = walk(side);
          if (!c) return undefined;
          if (c.kind === n.op) items.push(...c.items);
          else items.push(c);
        }
        return { kind: n.op, items };
      }
      if (n.type === 'unary' && n.op === 'not') {
        const c = walk(n.arg);
        return c ? { kind: 'not', item: c } : undefined;
      }
      if (n.type === 'binary' && WHERE_OPS.includes(n.op as ObjectComparison)) {
        if (n.left.type !== 'path') return bad(n.left, `the left side of '${n.op}' must be a field of the object (or relation.field), e.g. customerNumber == number`);
        if (n.left.path.length > 2) return bad(n.left, `'${n.left.path.join('.')}' goes too deep: name a field, or a relation and one field of its target`);
        return { kind: 'field', path: n.left.path, op: n.op as ObjectComparison, value: n.right, pos: n.left.pos };
      }
      if (n.type === 'call' && TEXT_MATCHES.includes(n.name as ObjectComparison)) {
        // contains(field, text), startsWith(field, text): a text match the objects service runs
        // (the text is a bound value there, never SQL).
        const [field, value] = n.args;
        if (n.args.length !== 2 || !field || !value) return bad(n, `${n.name}(field, text) takes a field and a text`);
        if (field.type !== 'path') return bad(field, `the first argument of ${n.name} must be a field of the object (or relation.field), e.g. ${n.name}(name, text)`);
        if (field.path.length > 2) return bad(field, `'${field.path.join('.')}' goes too deep: name a field, or a relation and one field of its target`);
        return { kind: 'field', path: field.path, op: n.name as ObjectComparison, value, pos: field.pos };
      }
      return bad(n, 'write conditions on fields: field == value (also != < <= > >= in, not in), contains(field, text) or startsWith(field, text), joined with and, or, not');
    };
    return walk(ast);
  }

  transitions(el: XmlElement): Transition[] {
    return childElements(el, 'next').map((n) => {
      const cond = this.expr(n, 'cond');
      return { ...(cond ? { cond } : {}), target: n.attributes['target'] ?? '', body: this.executables(n), at: this.ref(n.position) };
    });
  }

  number(el: XmlElement, attr: string): number | undefined {
    const raw = el.attributes[attr];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) {
      this.sink.error(this.valuePosition(el, attr, 0), `${attr}="${raw}" is not a number`, 'bad-attribute-value');
      return undefined;
    }
    return n;
  }

  node(el: XmlElement): ScriptNode | undefined {
    const id = el.attributes['id'] ?? '';
    const at = this.ref(el.position);
    const channels = this.channels(el);
    switch (el.name) {
      case 'question': {
        const type = (el.attributes['type'] ?? 'text') as QuestionType;
        const varName = el.attributes['var'] ?? id;
        let min: number | string | undefined;
        let max: number | string | undefined;
        for (const attr of ['min', 'max'] as const) {
          const raw = el.attributes[attr];
          if (raw === undefined) continue;
          let v: number | string | undefined;
          if (type === 'date') {
            if (DATE_RE.test(raw)) v = raw;
            else this.sink.error(this.valuePosition(el, attr, 0), `${attr}="${raw}" must be a date YYYY-MM-DD for a date question`, 'bad-attribute-value');
          } else if (type === 'choice' || type === 'boolean') {
            this.sink.error(el.attributePositions[attr], `${attr} has no meaning on a ${type} question`, 'bad-attribute-value');
          } else v = this.number(el, attr);
          if (attr === 'min') min = v;
          else max = v;
        }
        const pattern = el.attributes['pattern'];
        if (pattern !== undefined) {
          if (type !== 'text' && type !== 'digits') this.sink.error(el.attributePositions['pattern'], `pattern applies to text and digits questions, not ${type}`, 'bad-attribute-value');
          try {
            compilePattern(pattern, 0);
          } catch (err) {
            this.sink.error(this.valuePosition(el, 'pattern', 0), `pattern="${pattern}": ${(err as Error).message}`, 'bad-pattern');
          }
        }
        const choices: Choice[] = childElements(el, 'choice').map((c) => {
          const dtmf = c.attributes['dtmf'];
          const label = c.children.filter((x) => x.kind === 'text').map((x) => (x as { text: string }).text).join('').replace(/\s+/g, ' ').trim();
          return { value: c.attributes['value'] ?? '', label: label || (c.attributes['value'] ?? ''), ...(dtmf !== undefined ? { dtmf } : {}) };
        });
        const validations = childElements(el, 'validate').flatMap((v) => {
          const cond = this.expr(v, 'cond');
          return cond ? [{ cond, message: v.attributes['message'] ?? '', at: this.ref(v.position) }] : [];
        });
        const handlers: EventHandler[] = childElements(el, 'on').map((h) => {
          const rawCount = h.attributes['count'];
          let count = 1;
          if (rawCount !== undefined) {
            const n = Number(rawCount);
            if (!Number.isInteger(n) || n < 1) this.sink.error(this.valuePosition(h, 'count', 0), `count="${rawCount}" must be a whole number of at least 1`, 'bad-attribute-value');
            else count = n;
          }
          return { event: (h.attributes['event'] ?? 'noinput') as QuestionEvent, count, prompts: this.prompts(h, 'prompt'), body: this.executables(h), at: this.ref(h.position) };
        });
        return {
          kind: 'question',
          id,
          channels,
          at,
          var: varName,
          type,
          required: el.attributes['required'] !== 'false',
          ...(min !== undefined ? { min } : {}),
          ...(max !== undefined ? { max } : {}),
          ...(pattern !== undefined ? { pattern } : {}),
          prompts: this.prompts(el, 'prompt'),
          help: this.prompts(el, 'help'),
          choices,
          validations,
          handlers,
          next: this.transitions(el),
        };
      }
      case 'info':
        return { kind: 'info', id, channels, at, prompts: this.prompts(el, 'prompt'), next: this.transitions(el) };
      case 'decision':
        return { kind: 'decision', id, channels, at, next: this.transitions(el) };
      case 'subscript':
        return { kind: 'subscript', id, channels, at, src: el.attributes['src'] ?? '', scriptId: '', next: this.transitions(el) };
      case 'handoff':
        return {
          kind: 'handoff',
          id,
          channels,
          at,
          queue: el.attributes['queue'] ?? '',
          skills: (el.attributes['skills'] ?? '').split(/[\s,]+/).filter(Boolean),
          ...(el.attributes['priority'] !== undefined && /^-?\d{1,6}$/.test(el.attributes['priority'].trim()) ? { priority: Number(el.attributes['priority'].trim()) } : {}),
          prompts: this.prompts(el, 'prompt'),
        };
      case 'end':
        return { kind: 'end', id, channels, at, outcome: el.attributes['outcome'] ?? '', prompts: this.prompts(el, 'prompt') };
      default:
        return undefined;
    }
  }

  compile(root: XmlElement): CompiledScript | undefined {
    if (root.name !== 'script') {
      this.sink.error(root.position, `the root element must be <script>, not <${root.name}>`, 'unknown-element');
      return undefined;
    }
    this.checkStructure(root);
    const meta = childElements(root, 'meta')[0];
    const text = (el: XmlElement | undefined): string | undefined => {
      if (!el) return undefined;
      return el.children.filter((c) => c.kind === 'text').map((c) => (c as { text: string }).text).join('').replace(/\s+/g, ' ').trim();
    };
    const vars: VarDecl[] = [];
    for (const v of childElements(root, 'var')) {
      const expr = this.expr(v, 'expr');
      vars.push({ name: v.attributes['name'] ?? '', type: (v.attributes['type'] ?? 'any') as VarType, public: v.attributes['public'] === 'true', ...(expr ? { expr } : {}), at: this.ref(v.position) });
    }
    const nodes = new Map<string, ScriptNode>();
    const order: string[] = [];
    const nodeEls = childElements(root).filter((c) => NODES.includes(c.name));
    for (const el of nodeEls) {
      const n = this.node(el);
      if (!n) continue;
      if (!ID_RE.test(n.id)) {
        if (n.id !== '') this.sink.error(this.valuePosition(el, 'id', 0), `id="${n.id}" is not a valid id: start with a letter or '_', then letters, digits, '_', '-', '.'`, 'bad-id');
        continue;
      }
      const prev = nodes.get(n.id);
      if (prev) {
        this.sink.error(this.valuePosition(el, 'id', 0), `duplicate id '${n.id}' (first used at line ${prev.at.line}, column ${prev.at.col})`, 'duplicate-id');
        continue;
      }
      nodes.set(n.id, n);
      order.push(n.id);
    }
    const id = root.attributes['id'] ?? '';
    if (id !== '' && !ID_RE.test(id)) this.sink.error(this.valuePosition(root, 'id', 0), `script id="${id}" is not a valid id: letters, digits, '_', '-', '.'`, 'bad-id');
    const version = root.attributes['version'] ?? '';
    if ('version' in root.attributes && version.trim() === '') this.sink.error(root.attributePositions['version'], 'version is empty: give the script a version such as 1 or 2.1', 'bad-attribute-value');
    const maxAttempts = this.number(root, 'max-attempts') ?? 3;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) this.sink.error(this.valuePosition(root, 'max-attempts', 0), 'max-attempts must be a whole number of at least 1', 'bad-attribute-value');
    const start = root.attributes['start'] ?? order[0] ?? '';
    const lang = root.attributes['xml:lang'];
    const title = text(meta ? childElements(meta, 'title')[0] : undefined);
    const description = text(meta ? childElements(meta, 'description')[0] : undefined);
    const script: CompiledScript = {
      id,
      version,
      file: this.file,
      start,
      ...(lang ? { lang } : {}),
      fallbackQueue: root.attributes['fallback-queue'] ?? 'default',
      maxAttempts,
      meta: {
        ...(title !== undefined ? { title } : {}),
        ...(description !== undefined ? { description } : {}),
        authors: meta ? childElements(meta, 'author').map((a) => text(a) ?? '') : [],
      },
      vars,
      nodes,
      order,
    };
    new ScriptChecker(this, script, root, nodeEls).check();
    return script;
  }

  run(): ParsedScript {
    const parsed = parseXml(this.text, this.file);
    for (const d of parsed.diagnostics) this.sink.diagnostics.push(d);
    if (!parsed.root) return { script: undefined, diagnostics: this.sink.sorted() };
    const script = this.compile(parsed.root);
    return { script: this.sink.hasErrors ? undefined : script, diagnostics: this.sink.sorted() };
  }
}

// ---------------------------------------------------------------------------------------------
// Meaning

class ScriptChecker {
  private readonly sink: DiagnosticSink;
  private readonly els = new Map<string, XmlElement>();

  constructor(
    private readonly reader: ScriptReader,
    private readonly script: CompiledScript,
    private readonly root: XmlElement,
    nodeEls: XmlElement[],
  ) {
    this.sink = reader.diagnostics;
    for (const el of nodeEls) {
      const id = el.attributes['id'];
      if (id !== undefined && !this.els.has(id)) this.els.set(id, el);
    }
  }

  private at(r: SourceRef): SourcePosition {
    return { line: r.line, col: r.col, offset: 0 };
  }

  check(): void {
    const s = this.script;
    // the start node
    if (s.order.length > 0 && !s.nodes.has(s.start)) {
      this.sink.error(this.reader.valuePosition(this.root, 'start', 0), `start="${s.start}" names no node of this script`, 'unknown-target');
    }
    // declarations
    const declared = new Set<string>(BUILTIN_VARIABLES);
    const declaredAt = new Map<string, SourceRef>();
    for (const v of s.vars) {
      if (!VAR_RE.test(v.name) || RESERVED_VARS.has(v.name)) {
        this.sink.error(this.at(v.at), `'${v.name}' is not a valid variable name: letters, digits and '_', not starting with a digit, not a keyword`, 'bad-variable');
        continue;
      }
      const prev = declaredAt.get(v.name);
      if (prev) this.sink.error(this.at(v.at), `variable '${v.name}' is declared twice (first at line ${prev.line})`, 'duplicate-variable');
      declared.add(v.name);
      declaredAt.set(v.name, v.at);
    }
    const declare = (name: string, at: SourceRef, what: string): void => {
      if (!VAR_RE.test(name) || RESERVED_VARS.has(name)) {
        this.sink.error(this.at(at), `${what} '${name}' is not a valid variable name: letters, digits and '_', not starting with a digit`, 'bad-variable');
        return;
      }
      declared.add(name);
    };
    for (const n of s.nodes.values()) {
      if (n.kind === 'question') declare(n.var, n.at, 'the question stores its answer in');
      this.forEachExec(n, (e) => {
        if (e.kind === 'fetch' || e.kind === 'object-fetch') declare(e.into, e.at, '<fetch> into');
        if ((e.kind === 'action' || e.kind === 'object-action') && e.into !== undefined) declare(e.into, e.at, '<action> into');
        if ((e.kind === 'fetch' || e.kind === 'action' || e.kind === 'object-fetch' || e.kind === 'object-action') && e.errorInto !== undefined) declare(e.errorInto, e.at, `<${e.kind.replace('object-', '')}> error-into`);
      });
    }
    this.declaredNames = declared;
    // expressions only read declared variables; vars reference earlier declarations only
    const checkExpr = (el: XmlElement | undefined, attr: string, expr: CompiledExpression | undefined): void => {
      if (!expr) return;
      for (const ref of referencedVariables(expr.ast)) {
        if (!declared.has(ref.name)) {
          const where = el ? this.reader.valuePosition(el, attr, ref.pos) : undefined;
          this.sink.error(where, `variable '${ref.name}' is not declared: add <var name="${ref.name}"/> or store an answer in it`, 'undeclared-variable');
        }
      }
    };
    const varEls = childElements(this.root, 'var');
    s.vars.forEach((v, i) => checkExpr(varEls[i], 'expr', v.expr));
    // what a web visitor may see: the built-in names and the variables declared public
    const publicVars = publicVariableNames([s]);
    // every node
    for (const id of s.order) {
      const n = s.nodes.get(id) as ScriptNode;
      const el = this.els.get(id) as XmlElement;
      this.checkNode(n, el, declared, checkExpr);
      this.checkWebPrompts(n, el, declared, publicVars);
    }
    this.checkFlow();
  }

  private forEachExec(n: ScriptNode, f: (e: Executable) => void): void {
    const walk = (list: readonly Executable[]): void => {
      for (const e of list) {
        f(e);
        if (e.kind === 'if') for (const b of e.branches) walk(b.body);
      }
    };
    if ('next' in n) for (const t of n.next) walk(t.body);
    if (n.kind === 'question') for (const h of n.handlers) walk(h.body);
  }

  private checkNode(n: ScriptNode, el: XmlElement, declared: Set<string>, checkExpr: (el: XmlElement | undefined, attr: string, e: CompiledExpression | undefined) => void): void {
    const s = this.script;
    // prompts and their values
    const promptEls = [...childElements(el, 'prompt'), ...childElements(el, 'help')];
    for (const p of promptEls) for (const v of childElements(p, 'value')) checkExpr(v, 'expr', this.reparse(v));
    if (n.kind === 'question' || n.kind === 'info') {
      for (const ch of n.channels) {
        if (!n.prompts.some((p) => p.channel === undefined || p.channel === ch)) {
          this.sink.error(el.position, `<${n.kind} id="${n.id}"> runs on ${ch} but has no prompt for it: add <prompt channel="${ch}"> or a prompt without channel`, 'missing-prompt');
        }
      }
    }
    if (n.kind === 'question') {
      const choiceEls = childElements(el, 'choice');
      if (n.type === 'choice' && n.choices.length === 0) this.sink.error(el.position, `<question id="${n.id}"> has type choice but no <choice>`, 'missing-choices');
      if (n.type !== 'choice' && n.choices.length > 0) this.sink.error(choiceEls[0]?.position, `<choice> is only allowed on a question of type choice (this one is ${n.type})`, 'misplaced-element');
      const values = new Map<string, number>();
      const keys = new Map<string, number>();
      n.choices.forEach((c, i) => {
        const cel = choiceEls[i] as XmlElement;
        if (values.has(c.value)) this.sink.error(this.reader.valuePosition(cel, 'value', 0), `duplicate choice value '${c.value}' in question '${n.id}'`, 'duplicate-choice');
        values.set(c.value, i);
        if (c.dtmf !== undefined) {
          if (!DTMF_RE.test(c.dtmf)) this.sink.error(this.reader.valuePosition(cel, 'dtmf', 0), `dtmf="${c.dtmf}" must be one telephone key: 0-9, * or #`, 'bad-dtmf');
          else if (keys.has(c.dtmf)) {
            const first = choiceEls[keys.get(c.dtmf) as number] as XmlElement;
            this.sink.error(this.reader.valuePosition(cel, 'dtmf', 0), `DTMF key ${c.dtmf} is used twice in question '${n.id}' (first at line ${first.position.line})`, 'duplicate-dtmf');
          } else keys.set(c.dtmf, i);
        } else if (n.channels.includes('ivr')) {
          this.sink.error(cel.position, `choice '${c.value}' has no dtmf key but question '${n.id}' runs on ivr: add dtmf="…" or limit the question with channels="agent web"`, 'missing-dtmf');
        }
      });
      if (n.min !== undefined && n.max !== undefined && n.min > n.max) this.sink.error(el.attributePositions['min'], `min (${n.min}) is greater than max (${n.max})`, 'bad-attribute-value');
      for (const v of childElements(el, 'validate')) checkExpr(v, 'cond', this.reparse(v, 'cond'));
      if (!VAR_RE.test(n.var)) this.sink.error(this.reader.valuePosition(el, el.attributes['var'] !== undefined ? 'var' : 'id', 0), `'${n.var}' cannot be a variable name: give the question var="…" with letters, digits and '_'`, 'bad-variable');
      const handlerEls = childElements(el, 'on');
      n.handlers.forEach((h, i) => {
        const hel = handlerEls[i] as XmlElement;
        for (const p of childElements(hel, 'prompt')) for (const v of childElements(p, 'value')) checkExpr(v, 'expr', this.reparse(v));
        this.checkExecs(childElements(hel), h.body, declared, checkExpr);
        if (n.handlers.some((o, j) => j < i && o.event === h.event && o.count === h.count)) this.sink.warning(hel.position, `a second <on event="${h.event}" count="${h.count}"> is never used`, 'shadowed-handler');
      });
    }
    if (n.kind === 'subscript') {
      // resolved by the bundle loader; nothing to check in one file
    }
    if (n.kind === 'handoff' && 'queue' in el.attributes && n.queue.trim() === '') this.sink.error(el.attributePositions['queue'], 'queue is empty: name the agent queue to hand off to', 'bad-attribute-value');
    if (n.kind === 'handoff' && 'priority' in el.attributes && n.priority === undefined) {
      this.sink.error(el.attributePositions['priority'], `priority=${JSON.stringify(el.attributes['priority'])} is not a whole number (higher is served first, e.g. priority="5")`, 'bad-attribute-value');
    }
    if (n.kind === 'end' && 'outcome' in el.attributes && n.outcome.trim() === '') this.sink.error(el.attributePositions['outcome'], 'outcome is empty: name the outcome recorded for reporting', 'bad-attribute-value');
    if ('next' in n) {
      const nextEls = childElements(el, 'next');
      let unconditional: XmlElement | undefined;
      n.next.forEach((t, i) => {
        const nel = nextEls[i] as XmlElement;
        if (unconditional) this.sink.warning(nel.position, `this <next> is never taken: the <next> at line ${unconditional.position.line} has no cond and is always taken first`, 'unreachable-transition');
        if (!t.cond && !unconditional) unconditional = nel;
        checkExpr(nel, 'cond', t.cond);
        if (t.target !== '' && !s.nodes.has(t.target)) this.sink.error(this.reader.valuePosition(nel, 'target', 0), `target="${t.target}" names no node of this script${this.suggest(t.target)}`, 'unknown-target');
        this.checkExecs(childElements(nel), t.body, declared, checkExpr);
      });
    }
  }

  /**
   * A prompt, help or handler prompt shown on the web channel (to an anonymous visitor) may only
   * show public variables: the same choice the session makes at run time (the web prompts, or the
   * prompts without channel when there is none for the web).
   */
  private checkWebPrompts(n: ScriptNode, el: XmlElement, declared: ReadonlySet<string>, publicVars: ReadonlySet<string>): void {
    if (!n.channels.includes('web')) return;
    const webEls = (parent: XmlElement, name: string): XmlElement[] => {
      const all = childElements(parent, name);
      const own = all.filter((p) => p.attributes['channel'] === 'web');
      return own.length > 0 ? own : all.filter((p) => p.attributes['channel'] === undefined);
    };
    const shown = [...webEls(el, 'prompt'), ...webEls(el, 'help'), ...childElements(el, 'on').flatMap((h) => webEls(h, 'prompt'))];
    for (const p of shown) {
      for (const v of childElements(p, 'value')) {
        const e = this.reparse(v);
        if (!e) continue;
        for (const ref of referencedVariables(e.ast)) {
          if (publicVars.has(ref.name) || !declared.has(ref.name)) continue;
          this.sink.error(
            this.reader.valuePosition(v, 'expr', ref.pos),
            `'${ref.name}' is not public but this <${p.name}> shows it to web visitors: declare <var name="${ref.name}" public="true"/> if a visitor may see it, or give <${n.kind} id="${n.id}"> a <${p.name} channel="web"> without it`,
            'private-variable-on-web',
          );
        }
      }
    }
  }

  private reparse(el: XmlElement, attr = 'expr'): CompiledExpression | undefined {
    return this.reader.expr(el, attr);
  }

  private checkExecs(els: XmlElement[], list: readonly Executable[], declared: Set<string>, checkExpr: (el: XmlElement | undefined, attr: string, e: CompiledExpression | undefined) => void): void {
    // `els` are the XML children in the same order as the compiled list, apart from prompts,
    // elseif/else separators and elements that failed to compile (looked up by position instead)
    const execEls = els.filter((e) => EXEC.includes(e.name));
    for (const e of list) {
      const el = execEls.find((x) => x.position.line === e.at.line && x.position.col === e.at.col);
      switch (e.kind) {
        case 'assign':
          if (!declared.has(e.var) || BUILTIN_VARIABLES.includes(e.var)) this.sink.error(el ? this.reader.valuePosition(el, 'var', 0) : undefined, BUILTIN_VARIABLES.includes(e.var) ? `'${e.var}' is built in and cannot be assigned` : `<assign> to undeclared variable '${e.var}': add <var name="${e.var}"/>`, 'undeclared-variable');
          checkExpr(el, 'expr', e.expr);
          break;
        case 'fetch':
          if (el && el.attributes['source'] === undefined) {
            this.sink.error(el.position, '<fetch> needs source="…" (a service) or object="…" (a business object)', 'missing-attribute');
            break;
          }
          if (!TOKEN_RE.test(e.source)) this.sink.error(el ? this.reader.valuePosition(el, 'source', 0) : undefined, `source="${e.source}" is not a service token id (dotted names such as crm.Customers)`, 'bad-service');
          if (el) this.onlyFor(el, ['where', 'list', 'order-by', 'limit'], '<fetch object>');
          checkExpr(el, 'key', e.key);
          this.checkFailure(el, e);
          break;
        case 'object-fetch':
          if (el) this.checkObjectFetch(el, e, checkExpr);
          break;
        case 'object-action':
          if (el) this.checkObjectAction(el, e, checkExpr);
          break;
        case 'action': {
          if (el && el.attributes['service'] === undefined) {
            this.sink.error(el.position, '<action> needs service="…" (a service) or object="…" (a business object)', 'missing-attribute');
            break;
          }
          if (el) {
            this.onlyFor(el, ['key', 'on-invalid'], '<action object>');
            for (const p of childElements(el, 'param')) this.onlyFor(p, ['question'], 'the <param> of an <action object>');
          }
          this.checkFailure(el, e);
          if (!TOKEN_RE.test(e.service)) this.sink.error(el ? this.reader.valuePosition(el, 'service', 0) : undefined, `service="${e.service}" is not a service token id (dotted names such as mail.Sender)`, 'bad-service');
          if (!VAR_RE.test(e.operation)) this.sink.error(el ? this.reader.valuePosition(el, 'operation', 0) : undefined, `operation="${e.operation}" is not a method name`, 'bad-service');
          const paramEls = el ? childElements(el, 'param') : [];
          const names = new Set<string>();
          e.params.forEach((p, i) => {
            if (names.has(p.name)) this.sink.error(paramEls[i]?.position, `parameter '${p.name}' is given twice`, 'duplicate-param');
            names.add(p.name);
            checkExpr(paramEls[i], 'expr', p.expr);
          });
          break;
        }
        case 'log':
          checkExpr(el, 'expr', e.expr);
          break;
        case 'goto':
          if (!this.script.nodes.has(e.target)) this.sink.error(el ? this.reader.valuePosition(el, 'target', 0) : undefined, `<goto target="${e.target}"> names no node of this script${this.suggest(e.target)}`, 'unknown-target');
          break;
        case 'if': {
          const kids = el ? childElements(el) : [];
          const condEls = [el, ...kids.filter((k) => k.name === 'elseif')];
          let ci = 0;
          for (const b of e.branches) {
            if (b.cond) {
              checkExpr(condEls[ci], 'cond', b.cond);
              ci++;
            }
            this.checkExecs(kids, b.body, declared, checkExpr);
          }
          break;
        }
      }
    }
  }

  /** Attributes that only mean something on another form of the element. */
  private onlyFor(el: XmlElement, attrs: readonly string[], form: string): void {
    for (const a of attrs) {
      if (el.attributes[a] !== undefined) this.sink.error(el.attributePositions[a], `${a}="…" belongs to ${form}, not to <${el.name}${el.name === 'fetch' ? ' source' : el.name === 'action' ? ' service' : ''}>`, 'unknown-attribute');
    }
  }

  private checkFailure(el: XmlElement | undefined, e: { readonly onError?: string }): void {
    if (e.onError !== undefined && !this.script.nodes.has(e.onError)) {
      this.sink.error(el ? this.reader.valuePosition(el, 'on-error', 0) : undefined, `on-error="${e.onError}" names no node of this script${this.suggest(e.onError)}`, 'unknown-target');
    }
  }

  /** The object `name` of the model (an error with a suggestion when it has none); undefined without a model. */
  private objectOf(el: XmlElement, name: string): ScriptObjectDef | undefined | null {
    const model = this.reader.options.objects;
    if (!model) return undefined;
    const o = model.objects.find((x) => x.name === name);
    if (!o) {
      this.sink.error(this.reader.valuePosition(el, 'object', 0), `object="${name}": the model has no such object${closest(name, model.objects.map((x) => x.name))}`, 'unknown-object');
      return null;
    }
    return o;
  }

  private fieldProblem(o: ScriptObjectDef, name: string): string | undefined {
    if (o.fields.some((f) => f.name === name)) return undefined;
    return `${o.name} has no field '${name}'${closest(name, o.fields.map((f) => f.name))}`;
  }

  /** Checks the value side of a `where` (declared variables) and, with a model, its fields. */
  private checkCondition(el: XmlElement, c: ObjectCondition, o: ScriptObjectDef | undefined, declared: ReadonlySet<string>): void {
    if (c.kind === 'not') {
      this.checkCondition(el, c.item, o, declared);
      return;
    }
    if (c.kind !== 'field') {
      for (const x of c.items) this.checkCondition(el, x, o, declared);
      return;
    }
    for (const ref of referencedVariables(c.value)) {
      const field = c.op === 'contains' || c.op === 'startsWith' ? `the first argument of ${c.op}` : `the left side of '${c.op}'`;
      if (!declared.has(ref.name)) this.sink.error(this.reader.valuePosition(el, 'where', ref.pos), `variable '${ref.name}' is not declared: add <var name="${ref.name}"/> or store an answer in it (${field} is the field)`, 'undeclared-variable');
    }
    if (!o) return;
    const [first, second] = c.path as [string, string | undefined];
    if (second === undefined) {
      const why = this.fieldProblem(o, first);
      if (why) this.sink.error(this.reader.valuePosition(el, 'where', c.pos), `in where: ${why}`, 'unknown-field');
      return;
    }
    const rel = o.relations.find((r) => r.name === first);
    if (!rel || rel.kind !== 'many-to-one') {
      const names = o.relations.filter((r) => r.kind === 'many-to-one').map((r) => r.name);
      this.sink.error(this.reader.valuePosition(el, 'where', c.pos), `in where: ${o.name} has no many-to-one relation '${first}'${closest(first, names) || (names.length ? ` (relations: ${names.join(', ')})` : '')}`, 'unknown-field');
      return;
    }
    const target = this.reader.options.objects?.objects.find((x) => x.name === rel.target);
    const why = target && this.fieldProblem(target, second);
    if (why) this.sink.error(this.reader.valuePosition(el, 'where', c.pos + first.length + 1), `in where: ${why}`, 'unknown-field');
  }

  private declaredNames: ReadonlySet<string> = new Set();

  private checkObjectFetch(el: XmlElement, e: Extract<Executable, { kind: 'object-fetch' }>, checkExpr: (el: XmlElement | undefined, attr: string, e: CompiledExpression | undefined) => void): void {
    this.onlyFor(el, ['source', 'operation'], '<fetch source>');
    if (el.attributes['where'] !== undefined && el.attributes['key'] !== undefined) this.sink.error(el.attributePositions['key'], '<fetch object> takes where="…" or key="…", not both', 'bad-attribute-value');
    if (!e.list && el.attributes['where'] === undefined && el.attributes['key'] === undefined) {
      this.sink.error(el.position, `<fetch object="${e.object}"> needs where="…" or key="…" to find one record (or list="true" for a list)`, 'missing-attribute');
    }
    if (e.list && el.attributes['key'] !== undefined) this.sink.error(el.attributePositions['list'], 'list="true" reads several records: use where="…", not key="…"', 'bad-attribute-value');
    if (!e.list && el.attributes['limit'] !== undefined) this.sink.error(el.attributePositions['limit'], 'limit applies to list="true"', 'bad-attribute-value');
    if (e.limit !== undefined && (!Number.isInteger(e.limit) || e.limit < 1 || e.limit > 1000)) this.sink.error(this.reader.valuePosition(el, 'limit', 0), `limit="${e.limit}" must be a whole number from 1 to 1000`, 'bad-attribute-value');
    checkExpr(el, 'key', e.key);
    const o = this.objectOf(el, e.object) ?? undefined;
    if (e.where?.condition) this.checkCondition(el, e.where.condition, o, this.declaredNames);
    if (o) {
      for (const f of e.orderBy) {
        const why = this.fieldProblem(o, f.replace(/^-/, ''));
        if (why) this.sink.error(this.reader.valuePosition(el, 'order-by', Math.max(0, (el.attributes['order-by'] ?? '').indexOf(f) + (f.startsWith('-') ? 1 : 0))), `in order-by: ${why}`, 'unknown-field');
      }
    }
    this.checkFailure(el, e);
    this.checkAnonymous(el, e.anonymous, 'read');
  }

  private checkObjectAction(el: XmlElement, e: Extract<Executable, { kind: 'object-action' }>, checkExpr: (el: XmlElement | undefined, attr: string, e: CompiledExpression | undefined) => void): void {
    this.onlyFor(el, ['service'], '<action service>');
    const ops = ['create', 'update', 'delete'];
    if (!ops.includes(e.operation)) {
      this.sink.error(this.reader.valuePosition(el, 'operation', 0), `operation="${e.operation}" is not an operation on a business object: use create, update or delete${closest(e.operation, ops)}`, 'bad-attribute-value');
      return;
    }
    if (e.operation === 'create' && el.attributes['key'] !== undefined) this.sink.error(el.attributePositions['key'], 'create makes a new record: it takes no key (give the fields as <param>s)', 'bad-attribute-value');
    if (e.operation !== 'create' && el.attributes['key'] === undefined) this.sink.error(el.position, `<action object="${e.object}" operation="${e.operation}"> needs key="…": the record's key, or the record read earlier (its $version is then checked)`, 'missing-attribute');
    if (e.operation === 'delete' && e.params.length > 0) this.sink.error(childElements(el, 'param')[0]?.position, 'delete takes no <param>', 'misplaced-element');
    if (e.operation === 'delete' && e.reask) this.sink.error(el.attributePositions['on-invalid'], 'on-invalid="reask" applies to create and update', 'bad-attribute-value');
    checkExpr(el, 'key', e.key);
    const paramEls = childElements(el, 'param');
    const names = new Set<string>();
    const o = this.objectOf(el, e.object) ?? undefined;
    e.params.forEach((p, i) => {
      const pel = paramEls.find((x) => x.position.line === p.at.line && x.position.col === p.at.col) ?? paramEls[i];
      if (names.has(p.name)) this.sink.error(pel?.position, `parameter '${p.name}' is given twice`, 'duplicate-param');
      names.add(p.name);
      checkExpr(pel, 'expr', p.expr);
      if (o && pel) {
        const why = this.fieldProblem(o, p.name);
        const f = o.fields.find((x) => x.name === p.name);
        if (why) this.sink.error(this.reader.valuePosition(pel, 'name', 0), why, 'unknown-field');
        else if (f && (f.generated || f.computed)) this.sink.error(this.reader.valuePosition(pel, 'name', 0), `${o.name}.${p.name} is ${f.generated ? 'generated by the database' : 'computed'}: it cannot be written`, 'read-only-field');
      }
      if (p.question !== undefined && pel) {
        const q = this.script.nodes.get(p.question);
        if (!q || q.kind !== 'question') this.sink.error(this.reader.valuePosition(pel, 'question', 0), `question="${p.question}" names no question of this script${this.suggest(p.question)}`, 'unknown-target');
      }
    });
    if (o && e.operation === 'create') {
      const missing = o.fields.filter((f) => f.required && !f.generated && !f.computed && (f.defaultValue === undefined || f.defaultValue === null) && !names.has(f.name)).map((f) => f.name);
      if (missing.length) this.sink.warning(el.position, `${o.name} needs ${missing.join(', ')}: the create will be refused without ${missing.length === 1 ? 'it' : 'them'} (add a <param>)`, 'missing-field');
    }
    if (e.reask && !e.params.some((p) => this.questionOf(p) !== undefined) && e.onError === undefined) {
      this.sink.warning(el.attributePositions['on-invalid'], 'on-invalid="reask" finds no question that collected a field (a <param> whose expr is the variable of a question, or question="…"), and there is no on-error: a validation error fails the step', 'reask-without-question');
    }
    this.checkFailure(el, e);
    this.checkAnonymous(el, e.anonymous, e.operation);
  }

  /** The question of this script that collected a param's value: named, or the question storing the variable `expr` is. */
  private questionOf(p: { readonly expr: CompiledExpression; readonly question?: string }): string | undefined {
    if (p.question !== undefined) return p.question;
    return questionCollecting(this.script, p.expr);
  }

  private checkAnonymous(el: XmlElement, anonymous: boolean, operation: string): void {
    if (anonymous && (operation === 'update' || operation === 'delete')) {
      this.sink.error(el.attributePositions['anonymous'], `anonymous="true" is refused on ${operation}: an anonymous web visitor may not change or remove records (identify them first)`, 'bad-attribute-value');
    }
  }

  private suggest(target: string): string {
    const t = target.toLowerCase();
    const close = this.script.order
      .map((id) => ({ id, d: distance(id.toLowerCase(), t) }))
      .filter((x) => x.d <= Math.max(1, Math.min(2, t.length - 1)))
      .sort((a, b) => a.d - b.d)[0]?.id;
    return close ? ` (did you mean '${close}'?)` : '';
  }

  private checkFlow(): void {
    const s = this.script;
    if (!s.nodes.has(s.start)) return;
    const seen = new Set<string>([s.start]);
    const queue = [s.start];
    while (queue.length) {
      const n = s.nodes.get(queue.shift() as string);
      if (!n) continue;
      for (const t of successors(n)) {
        if (s.nodes.has(t) && !seen.has(t)) {
          seen.add(t);
          queue.push(t);
        }
      }
    }
    for (const id of s.order) {
      const n = s.nodes.get(id) as ScriptNode;
      if (!seen.has(id)) this.sink.warning(this.at(n.at), `node '${id}' is unreachable: no <next> or <goto> leads to it from the start node '${s.start}'`, 'unreachable');
      if (n.kind !== 'end' && n.kind !== 'handoff' && !n.next.some((t) => !t.cond)) {
        this.sink.warning(
          this.at(n.at),
          n.next.length === 0
            ? `<${n.kind} id="${id}"> is a dead end: it has no <next>; add one or use <end>`
            : `<${n.kind} id="${id}"> may be a dead end: every <next> has a cond; add a last <next> without cond`,
          'dead-end',
        );
      }
    }
  }
}

/** A suggestion ` (did you mean 'x'?)` among `names`, or ''. */
function closest(name: string, names: readonly string[]): string {
  const t = name.toLowerCase();
  const best = names
    .map((id) => ({ id, d: distance(id.toLowerCase(), t) }))
    .filter((x) => x.d <= Math.max(1, Math.min(2, t.length - 1)))
    .sort((a, b) => a.d - b.d)[0]?.id;
  return best ? ` (did you mean '${best}'?)` : '';
}

/**
 * The question of `script` whose answer an expression is, when the expression is just that
 * variable (`<param name="email" expr="email"/>` after `<question id="askEmail" var="email">`).
 */
export function questionCollecting(script: CompiledScript, expr: CompiledExpression): string | undefined {
  if (expr.ast.type !== 'path' || expr.ast.path.length !== 1) return undefined;
  const v = expr.ast.path[0];
  for (const id of script.order) {
    const n = script.nodes.get(id);
    if (n?.kind === 'question' && n.var === v) return n.id;
  }
  return undefined;
}

/** Targets a node can go to (transitions, gotos, on-error exits and questions asked again). */
export function successors(n: ScriptNode): string[] {
  const out: string[] = [];
  const walk = (list: readonly Executable[]): void => {
    for (const e of list) {
      if (e.kind === 'goto') out.push(e.target);
      if ((e.kind === 'fetch' || e.kind === 'action' || e.kind === 'object-fetch' || e.kind === 'object-action') && e.onError !== undefined) out.push(e.onError);
      if (e.kind === 'if') for (const b of e.branches) walk(b.body);
    }
  };
  if ('next' in n) {
    for (const t of n.next) {
      walk(t.body);
      out.push(t.target);
    }
  }
  if (n.kind === 'question') for (const h of n.handlers) walk(h.body);
  return out;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}

/**
 * Parses and validates one script file.
 * @param text the file's content.
 * @param file the name used in diagnostics.
 * @param options.objects the business-object model: with it, `<fetch object>` and `<action object>`
 *   are checked against its objects and fields (an unknown name is an error with a suggestion).
 * Note: subscripts are not resolved here; {@link loadScriptBundle} does that.
 */
export function parseScript(text: string, file: string, options: ParseOptions = {}): ParsedScript {
  return new ScriptReader(text, file, options).run();
}
