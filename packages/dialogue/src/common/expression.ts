/**
 * The expression language of dialogue scripts (`cond` and `expr` attributes): a tokenizer, a
 * recursive-descent parser and a tree-walking evaluator. No eval, no `new Function`, no vm; and no
 * Node imports, because the browser front office evaluates the same expressions.
 *
 * Grammar (lowest precedence first):
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | compare
 *   compare := sum (('=='|'!='|'<'|'<='|'>'|'>=') sum)?
 *   sum     := product (('+'|'-') product)*
 *   product := unary (('*'|'/'|'%') unary)*
 *   unary   := '-' unary | primary
 *   primary := number | string | 'true' | 'false' | 'null' | '(' or ')' | call | path
 *   call    := name '(' (or (',' or)*)? ')'
 *   path    := name ('.' name)*
 */

/** A value an expression computes or a script variable holds. */
export type ScriptValue = string | number | boolean | null | readonly ScriptValue[] | { readonly [key: string]: ScriptValue };

/** A syntax or evaluation error; `offset` counts characters from the start of the expression. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    message: string,
    /** Where in the expression the problem is (0-based). */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A node of a parsed expression; `pos` is its offset inside the source text. */
export type Expr =
  | { readonly type: 'literal'; readonly value: ScriptValue; readonly pos: number }
  | { readonly type: 'path'; readonly path: readonly string[]; readonly pos: number }
  | { readonly type: 'unary'; readonly op: '-' | 'not'; readonly arg: Expr; readonly pos: number }
  | { readonly type: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly pos: number }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly pos: number };

/** The binary operators. */
export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%' | 'and' | 'or';

/** A parsed expression with its source text. */
export interface CompiledExpression {
  readonly source: string;
  readonly ast: Expr;
}

type TokenKind = 'num' | 'str' | 'name' | 'op' | 'eof';
interface Tok {
  readonly kind: TokenKind;
  readonly text: string;
  readonly value?: string | number;
  readonly pos: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null']);
const TWO_CHAR_OPS = new Set(['==', '!=', '<=', '>=']);
const ONE_CHAR_OPS = new Set(['<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.']);

/** Longest expression accepted, in characters (protects the parser from hostile input). */
export const MAX_EXPRESSION_LENGTH = 4096;
const MAX_DEPTH = 64;

function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isNamePart(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c)) {
      while (i < src.length && isDigit(src[i] as string)) i++;
      if (src[i] === '.' && isDigit(src[i + 1] ?? '')) {
        i++;
        while (i < src.length && isDigit(src[i] as string)) i++;
      }
      if (i < src.length && isNameStart(src[i] as string)) throw new ExpressionError(`unexpected '${src[i]}' after the number ${src.slice(start, i)}`, i);
      const text = src.slice(start, i);
      out.push({ kind: 'num', text, value: Number(text), pos: start });
      continue;
    }
    if (c === "'" || c === '"') {
      i++;
      let value = '';
      for (;;) {
        if (i >= src.length) throw new ExpressionError(`the text starting here is not closed: add a ${c}`, start);
        const d = src[i] as string;
        if (d === '\\') {
          const e = src[i + 1];
          if (e === undefined) throw new ExpressionError(`the text starting here is not closed: add a ${c}`, start);
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        if (d === c) {
          i++;
          break;
        }
        value += d;
        i++;
      }
      out.push({ kind: 'str', text: src.slice(start, i), value, pos: start });
      continue;
    }
    if (isNameStart(c)) {
      while (i < src.length && isNamePart(src[i] as string)) i++;
      out.push({ kind: 'name', text: src.slice(start, i), pos: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      out.push({ kind: 'op', text: two, pos: start });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      out.push({ kind: 'op', text: c, pos: start });
      i++;
      continue;
    }
    if (c === '=') throw new ExpressionError("'=' is not an operator: compare with '=='; assign with <assign var expr>", i);
    if (c === '&' || c === '|' || c === '!') {
      throw new ExpressionError(`'${c}' is not an operator: use 'and', 'or', 'not' (and '!=' for not equal)`, i);
    }
    throw new ExpressionError(`unexpected character '${c}'`, i);
  }
  out.push({ kind: 'eof', text: '', pos: src.length });
  return out;
}

/** Signature of a built-in function: its arity and its implementation. */
interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  readonly fn: (args: ScriptValue[], ctx: EvalContext, pos: number) => ScriptValue;
  /** One line for the documentation. */
  readonly doc: string;
}

function str(v: ScriptValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function num(v: ScriptValue, what: string, pos: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new ExpressionError(`${what} needs a number, got ${describe(v)}`, pos);
}

function describe(v: ScriptValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the text '${v.length > 20 ? v.slice(0, 20) + '…' : v}'`;
  return `${typeof v} ${String(v)}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})/;

/** Days since 1970-01-01 of a `YYYY-MM-DD` (or ISO date-time) text. */
function epochDay(v: ScriptValue, pos: number): number {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  if (!m) throw new ExpressionError(`a date must be written YYYY-MM-DD, got ${describe(v)}`, pos);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(t)) throw new ExpressionError(`${String(v)} is not a date`, pos);
  return Math.round(t / 86_400_000);
}

function isoDay(epoch: number): string {
  return new Date(epoch * 86_400_000).toISOString().slice(0, 10);
}

/** Longest regular expression accepted by `matches` and `pattern` (a guard against pathological patterns). */
export const MAX_PATTERN_LENGTH = 200;

const regexCache = new Map<string, RegExp>();
/** Compiles a user pattern (anchored, cached); throws ExpressionError when it is invalid or too long. */
export function compilePattern(pattern: string, pos: number): RegExp {
  const hit = regexCache.get(pattern);
  if (hit) return hit;
  if (pattern.length > MAX_PATTERN_LENGTH) throw new ExpressionError(`the pattern is longer than ${MAX_PATTERN_LENGTH} characters`, pos);
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`, 'u');
  } catch (err) {
    throw new ExpressionError(`invalid pattern: ${(err as Error).message}`, pos);
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(pattern, re);
  return re;
}

/** The fixed set of functions. */
export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  len: { min: 1, max: 1, doc: 'len(x): characters of a text, items of a list, 0 for null', fn: ([v]) => (v === null || v === undefined ? 0 : Array.isArray(v) ? v.length : typeof v === 'object' ? Object.keys(v).length : str(v).length) },
  lower: { min: 1, max: 1, doc: 'lower(text): in lower case', fn: ([v]) => str(v as ScriptValue).toLowerCase() },
  upper: { min: 1, max: 1, doc: 'upper(text): in upper case', fn: ([v]) => str(v as ScriptValue).toUpperCase() },
  trim: { min: 1, max: 1, doc: 'trim(text): without leading and trailing spaces', fn: ([v]) => str(v as ScriptValue).trim() },
  contains: {
    min: 2,
    max: 2,
    doc: 'contains(text or list, x): whether the text contains x, or the list has an item equal to x',
    fn: ([a, b]) => (Array.isArray(a) ? a.some((x) => equals(x, b as ScriptValue)) : str(a as ScriptValue).includes(str(b as ScriptValue))),
  },
  startsWith: { min: 2, max: 2, doc: 'startsWith(text, prefix)', fn: ([a, b]) => str(a as ScriptValue).startsWith(str(b as ScriptValue)) },
  endsWith: { min: 2, max: 2, doc: 'endsWith(text, suffix)', fn: ([a, b]) => str(a as ScriptValue).endsWith(str(b as ScriptValue)) },
  matches: {
    min: 2,
    max: 2,
    doc: 'matches(text, pattern): whether the whole text matches the regular expression',
    fn: ([a, b], _ctx, pos) => compilePattern(str(b as ScriptValue), pos).test(str(a as ScriptValue)),
  },
  empty: {
    min: 1,
    max: 1,
    doc: 'empty(x): true for null, an empty or blank text, an empty list or object',
    fn: ([v]) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && v !== null && Object.keys(v).length === 0),
  },
  round: {
    min: 1,
    max: 2,
    doc: 'round(x, digits?): rounded half away from zero to `digits` decimals (default 0)',
    fn: ([v, d], _ctx, pos) => {
      const n = num(v as ScriptValue, 'round', pos);
      const digits = d === undefined ? 0 : Math.trunc(num(d, 'round', pos));
      const f = 10 ** Math.max(0, Math.min(10, digits));
      return (Math.sign(n) * Math.round(Math.abs(n) * f)) / f;
    },
  },
  floor: { min: 1, max: 1, doc: 'floor(x)', fn: ([v], _c, pos) => Math.floor(num(v as ScriptValue, 'floor', pos)) },
  ceil: { min: 1, max: 1, doc: 'ceil(x)', fn: ([v], _c, pos) => Math.ceil(num(v as ScriptValue, 'ceil', pos)) },
  abs: { min: 1, max: 1, doc: 'abs(x)', fn: ([v], _c, pos) => Math.abs(num(v as ScriptValue, 'abs', pos)) },
  min: { min: 1, max: 16, doc: 'min(a, b, …): the smallest number', fn: (args, _c, pos) => Math.min(...args.map((a) => num(a, 'min', pos))) },
  max: { min: 1, max: 16, doc: 'max(a, b, …): the largest number', fn: (args, _c, pos) => Math.max(...args.map((a) => num(a, 'max', pos))) },
  number: {
    min: 1,
    max: 1,
    doc: 'number(x): the number written in a text, or null when it is not one',
    fn: ([v]) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null),
  },
  string: { min: 1, max: 1, doc: 'string(x): x as text (null gives an empty text)', fn: ([v]) => str(v as ScriptValue) },
  coalesce: { min: 1, max: 16, doc: 'coalesce(a, b, …): the first argument that is not null', fn: (args) => args.find((a) => a !== null && a !== undefined) ?? null },
  today: { min: 0, max: 0, doc: "today(): today's date, YYYY-MM-DD (UTC)", fn: (_a, ctx) => isoDay(Math.floor(ctx.now() / 86_400_000)) },
  now: { min: 0, max: 0, doc: 'now(): the current date and time, ISO 8601 (UTC)', fn: (_a, ctx) => new Date(ctx.now()).toISOString() },
  daysBetween: {
    min: 2,
    max: 2,
    doc: 'daysBetween(from, to): whole days from one date to the other (negative when `to` is earlier)',
    fn: ([a, b], _c, pos) => epochDay(b as ScriptValue, pos) - epochDay(a as ScriptValue, pos),
  },
  addDays: {
    min: 2,
    max: 2,
    doc: 'addDays(date, n): the date n days later (YYYY-MM-DD)',
    fn: ([a, b], _c, pos) => isoDay(epochDay(a as ScriptValue, pos) + Math.trunc(num(b as ScriptValue, 'addDays', pos))),
  },
};

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.i] as Tok;
  }
  private next(): Tok {
    return this.toks[this.i++] as Tok;
  }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }
  private isKeyword(text: string): boolean {
    const t = this.peek();
    return t.kind === 'name' && t.text === text;
  }

  parseAll(): Expr {
    const t = this.peek();
    if (t.kind === 'eof') throw new ExpressionError('the expression is empty', 0);
    const e = this.or();
    const rest = this.peek();
    if (rest.kind !== 'eof') throw new ExpressionError(`unexpected '${rest.text}' after a complete expression (missing 'and'/'or' or an operator?)`, rest.pos);
    return e;
  }

  private nest<T>(pos: number, f: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ExpressionError(`the expression is nested more than ${MAX_DEPTH} levels deep`, pos);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private or(): Expr {
    let left = this.and();
    while (this.isKeyword('or')) {
      const pos = this.next().pos;
      left = { type: 'binary', op: 'or', left, right: this.and(), pos };
    }
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.isKeyword('and')) {
      const pos = this.next().pos;
      left = { type: 'binary', op: 'and', left, right: this.not(), pos };
    }
    return left;
  }
  private not(): Expr {
    if (this.isKeyword('not')) {
      const pos = this.next().pos;
      return this.nest(pos, () => ({ type: 'unary', op: 'not', arg: this.not(), pos }) as Expr);
    }
    return this.compare();
  }
  private compare(): Expr {
    const left = this.sum();
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '==' || t.text === '!=' || t.text === '<' || t.text === '<=' || t.text === '>' || t.text === '>=')) {
      this.next();
      const right = this.sum();
      const after = this.peek();
      if (after.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(after.text)) {
        throw new ExpressionError(`comparisons cannot be chained: combine them with 'and'`, after.pos);
      }
      return { type: 'binary', op: t.text as BinaryOp, left, right, pos: t.pos };
    }
    return left;
  }
  private sum(): Expr {
    let left = this.product();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      left = { type: 'binary', op: t.text as BinaryOp, left, right: this.product(), pos: t.pos };
    }
    return left;
  }
  private product(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const t = this.next();
      left = { type: 'binary', op: t.text as BinaryOp, left, right: this.unary(), pos: t.pos };
    }
    return left;
  }
  private unary(): Expr {
    if (this.isOp('-')) {
      const pos = this.next().pos;
      return this.nest(pos, () => ({ type: 'unary', op: '-', arg: this.unary(), pos }) as Expr);
    }
    return this.primary();
  }
  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'num':
        return { type: 'literal', value: t.value as number, pos: t.pos };
      case 'str':
        return { type: 'literal', value: t.value as string, pos: t.pos };
      case 'eof':
        throw new ExpressionError('the expression ends too early: a value is missing', t.pos);
      case 'op':
        if (t.text === '(') {
          const inner = this.nest(t.pos, () => this.or());
          if (!this.isOp(')')) throw new ExpressionError(`missing ')' for the '(' at column ${t.pos + 1} of the expression`, this.peek().pos);
          this.next();
          return inner;
        }
        throw new ExpressionError(`unexpected '${t.text}': a value is expected here`, t.pos);
      case 'name': {
        if (t.text === 'true' || t.text === 'false') return { type: 'literal', value: t.text === 'true', pos: t.pos };
        if (t.text === 'null') return { type: 'literal', value: null, pos: t.pos };
        if (KEYWORDS.has(t.text)) throw new ExpressionError(`unexpected '${t.text}': a value is expected here`, t.pos);
        if (this.isOp('(')) return this.call(t);
        const path = [t.text];
        while (this.isOp('.')) {
          this.next();
          const p = this.next();
          if (p.kind !== 'name' && p.kind !== 'num') throw new ExpressionError(`a field name is expected after '.'`, p.pos);
          path.push(p.text);
        }
        return { type: 'path', path, pos: t.pos };
      }
    }
  }
  private call(name: Tok): Expr {
    const spec = FUNCTIONS[name.text];
    if (!spec || !Object.prototype.hasOwnProperty.call(FUNCTIONS, name.text)) {
      throw new ExpressionError(`unknown function '${name.text}' (known: ${Object.keys(FUNCTIONS).join(', ')})`, name.pos);
    }
    this.next(); // (
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        args.push(this.nest(name.pos, () => this.or()));
        if (this.isOp(',')) {
          this.next();
          continue;
        }
        break;
      }
    }
    if (!this.isOp(')')) throw new ExpressionError(`missing ')' to close the call of ${name.text}`, this.peek().pos);
    this.next();
    if (args.length < spec.min || args.length > spec.max) {
      const want = spec.min === spec.max ? `${spec.min}` : `${spec.min} to ${spec.max}`;
      throw new ExpressionError(`${name.text}() takes ${want} argument${spec.max === 1 ? '' : 's'}, got ${args.length}`, name.pos);
    }
    return { type: 'call', name: name.text, args, pos: name.pos };
  }
}

/**
 * Parses an expression. Throws {@link ExpressionError} with the offset of the problem.
 * @param source the text of a `cond` or `expr` attribute (entities already decoded).
 */
export function parseExpression(source: string): CompiledExpression {
  if (source.length > MAX_EXPRESSION_LENGTH) throw new ExpressionError(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, 0);
  const ast = new Parser(tokenize(source)).parseAll();
  checkStaticPatterns(ast);
  return { source, ast };
}

/** A `matches()` call with a literal pattern is checked at load time. */
function checkStaticPatterns(e: Expr): void {
  switch (e.type) {
    case 'call':
      if (e.name === 'matches') {
        const p = e.args[1];
        if (p?.type === 'literal' && typeof p.value === 'string') compilePattern(p.value, p.pos);
      }
      e.args.forEach(checkStaticPatterns);
      return;
    case 'binary':
      checkStaticPatterns(e.left);
      checkStaticPatterns(e.right);
      return;
    case 'unary':
      checkStaticPatterns(e.arg);
      return;
    default:
      return;
  }
}

/** The root names (first path segment) an expression reads, with their offsets. */
export function referencedVariables(e: Expr, out: Array<{ name: string; pos: number }> = []): Array<{ name: string; pos: number }> {
  switch (e.type) {
    case 'path':
      out.push({ name: e.path[0] as string, pos: e.pos });
      break;
    case 'unary':
      referencedVariables(e.arg, out);
      break;
    case 'binary':
      referencedVariables(e.left, out);
      referencedVariables(e.right, out);
      break;
    case 'call':
      for (const a of e.args) referencedVariables(a, out);
      break;
    default:
      break;
  }
  return out;
}

/** What the evaluator reads: the variables and the clock. */
export interface EvalContext {
  /** The value of a root variable, `undefined` when it is not set. */
  lookup(name: string): ScriptValue | undefined;
  /** Milliseconds since the epoch (injectable for tests). */
  now(): number;
}

/** Deep equality of two values (numbers, texts, booleans, null, lists, objects). */
export function equals(a: ScriptValue | undefined, b: ScriptValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bl = b as readonly ScriptValue[];
    return a.length === bl.length && a.every((x, i) => equals(x, bl[i]));
  }
  const ao = a as Record<string, ScriptValue>;
  const bo = b as Record<string, ScriptValue>;
  const ak = Object.keys(ao);
  return ak.length === Object.keys(bo).length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && equals(ao[k], bo[k]));
}

/** Truthiness used by `cond`, `and`, `or`, `not`: false, null, 0, '' and empty lists are false. */
export function truthy(v: ScriptValue | undefined): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function compare(op: '<' | '<=' | '>' | '>=', a: ScriptValue, b: ScriptValue): boolean {
  let c: number;
  if (typeof a === 'number' && typeof b === 'number') c = a - b;
  else if (typeof a === 'string' && typeof b === 'string') c = a < b ? -1 : a > b ? 1 : 0;
  else return false;
  if (Number.isNaN(c)) return false;
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

function readPath(path: readonly string[], ctx: EvalContext): ScriptValue {
  let v: ScriptValue | undefined = ctx.lookup(path[0] as string);
  for (let i = 1; i < path.length && v !== undefined && v !== null; i++) {
    const key = path[i] as string;
    if (typeof v !== 'object') return null;
    v = Array.isArray(v) ? (v as ScriptValue[])[Number(key)] : Object.prototype.hasOwnProperty.call(v, key) ? (v as Record<string, ScriptValue>)[key] : undefined;
  }
  return v ?? null;
}

/**
 * Evaluates a parsed expression. Unset variables and missing fields read as `null`. Throws
 * {@link ExpressionError} for a type error (e.g. `'a' * 2`), with the offset of the operator.
 */
export function evaluate(e: Expr, ctx: EvalContext): ScriptValue {
  switch (e.type) {
    case 'literal':
      return e.value;
    case 'path':
      return readPath(e.path, ctx);
    case 'unary':
      if (e.op === 'not') return !truthy(evaluate(e.arg, ctx));
      return -num(evaluate(e.arg, ctx), "'-'", e.pos);
    case 'call': {
      const spec = FUNCTIONS[e.name] as FunctionSpec;
      return spec.fn(
        e.args.map((a) => evaluate(a, ctx)),
        ctx,
        e.pos,
      );
    }
    case 'binary': {
      if (e.op === 'and') return truthy(evaluate(e.left, ctx)) ? truthy(evaluate(e.right, ctx)) : false;
      if (e.op === 'or') return truthy(evaluate(e.left, ctx)) ? true : truthy(evaluate(e.right, ctx));
      const a = evaluate(e.left, ctx);
      const b = evaluate(e.right, ctx);
      switch (e.op) {
        case '==':
          return equals(a, b);
        case '!=':
          return !equals(a, b);
        case '<':
        case '<=':
        case '>':
        case '>=':
          return compare(e.op, a, b);
        case '+':
          if (typeof a === 'number' && typeof b === 'number') return a + b;
          if (typeof a === 'string' || typeof b === 'string') return str(a) + str(b);
          throw new ExpressionError(`'+' adds numbers or joins texts, got ${describe(a)} and ${describe(b)}`, e.pos);
        case '-':
        case '*':
        case '/':
        case '%': {
          if (typeof a !== 'number' || typeof b !== 'number') {
            throw new ExpressionError(`'${e.op}' needs two numbers, got ${describe(a)} and ${describe(b)}`, e.pos);
          }
          if ((e.op === '/' || e.op === '%') && b === 0) throw new ExpressionError('division by zero', e.pos);
          return e.op === '-' ? a - b : e.op === '*' ? a * b : e.op === '/' ? a / b : a % b;
        }
      }
    }
  }
}

/** Formats a value for a prompt (`<value expr>`): null as empty, numbers plainly, objects as JSON. */
export function formatValue(v: ScriptValue): string {
  return str(v);
}
