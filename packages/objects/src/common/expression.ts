/**
 * The expression language of computed fields and validation rules: a small, side-effect-free
 * language parsed into a tree and evaluated by walking it (no eval, no Function, no vm). It runs in
 * the browser too, so this file imports nothing from Node.
 *
 * Syntax: literals (`12`, `3.5`, `'text'`, `"text"`, `true`, `false`, `null`), field references
 * (`amount`, `balance.amount`), lists (`['a', 'b']`), operators by precedence (lowest first)
 * `c ? a : b`, `or`/`||`, `and`/`&&`, `not`/`!`, `== != < <= > >= in`, `+ -`, `* / %`, unary `-`, and
 * calls of the functions in {@link FUNCTIONS}.
 */

/** A node of a parsed expression; `at` is the offset in the source text. */
export type Expr =
  | { readonly k: 'lit'; readonly value: unknown; readonly at: number }
  | { readonly k: 'ref'; readonly path: readonly string[]; readonly at: number }
  | { readonly k: 'list'; readonly items: readonly Expr[]; readonly at: number }
  | { readonly k: 'unary'; readonly op: '-' | 'not'; readonly arg: Expr; readonly at: number }
  | { readonly k: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly at: number }
  | { readonly k: 'cond'; readonly test: Expr; readonly then: Expr; readonly else: Expr; readonly at: number }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Expr[]; readonly at: number };

/** The binary operators. */
export type BinaryOp = 'or' | 'and' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '+' | '-' | '*' | '/' | '%';

/** A syntax error of an expression, with the offset where it was found. */
export class ExpressionSyntaxError extends Error {
  override readonly name = 'ExpressionSyntaxError';
  constructor(
    message: string,
    /** Offset in the expression text (0-based). */
    readonly at: number,
  ) {
    super(message);
  }
}

/** A parsed expression with its source and the field names it reads. */
export interface CompiledExpression {
  readonly source: string;
  readonly ast: Expr;
  /** The first segment of every field reference, sorted and unique. */
  readonly references: readonly string[];
}

type Tok =
  | { t: 'num'; v: number; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'id'; v: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'end'; at: number };

const MAX_SOURCE = 4000;
const MAX_DEPTH = 64;
const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '+', '-', '*', '/', '%', '!', '?', ':', '(', ')', '[', ']', ',', '.'];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ t: 'num', v: Number(m[0]), at: i });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1] as string;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new ExpressionSyntaxError('unterminated string', i);
      out.push({ t: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ t: 'id', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionSyntaxError(`unexpected character '${c}'`, i);
    out.push({ t: 'op', v: op, at: i });
    i += op.length;
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

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
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private isWord(v: string): boolean {
    const t = this.peek();
    return t.t === 'id' && t.v === v;
  }
  private expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new ExpressionSyntaxError(`expected '${v}' but found ${describe(t)}`, t.at);
  }

  parseAll(): Expr {
    const e = this.cond();
    const t = this.peek();
    if (t.t !== 'end') throw new ExpressionSyntaxError(`unexpected ${describe(t)}`, t.at);
    return e;
  }

  private nest<T>(fn: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ExpressionSyntaxError('expression is nested too deeply', this.peek().at);
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  private cond(): Expr {
    return this.nest(() => {
      const test = this.or();
      if (!this.isOp('?')) return test;
      const at = this.next().at;
      const then = this.cond();
      this.expectOp(':');
      const otherwise = this.cond();
      return { k: 'cond', test, then, else: otherwise, at };
    });
  }
  private or(): Expr {
    let left = this.and();
    while (this.isOp('||') || this.isWord('or')) {
      const at = this.next().at;
      left = { k: 'binary', op: 'or', left, right: this.and(), at };
    }
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.isOp('&&') || this.isWord('and')) {
      const at = this.next().at;
      left = { k: 'binary', op: 'and', left, right: this.not(), at };
    }
    return left;
  }
  private not(): Expr {
    if (this.isOp('!') || this.isWord('not')) {
      const at = this.next().at;
      return this.nest(() => ({ k: 'unary', op: 'not', arg: this.not(), at }));
    }
    return this.compare();
  }
  private compare(): Expr {
    const left = this.additive();
    const t = this.peek();
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.next();
      return { k: 'binary', op: t.v as BinaryOp, left, right: this.additive(), at: t.at };
    }
    if (t.t === 'id' && t.v === 'in') {
      this.next();
      return { k: 'binary', op: 'in', left, right: this.additive(), at: t.at };
    }
    if (t.t === 'id' && t.v === 'not' && this.toks[this.i + 1]?.t === 'id' && (this.toks[this.i + 1] as { v: string }).v === 'in') {
      this.next();
      this.next();
      return { k: 'unary', op: 'not', arg: { k: 'binary', op: 'in', left, right: this.additive(), at: t.at }, at: t.at };
    }
    return left;
  }
  private additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next() as { v: string; at: number };
      left = { k: 'binary', op: t.v as BinaryOp, left, right: this.multiplicative(), at: t.at };
    }
    return left;
  }
  private multiplicative(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const t = this.next() as { v: string; at: number };
      left = { k: 'binary', op: t.v as BinaryOp, left, right: this.unary(), at: t.at };
    }
    return left;
  }
  private unary(): Expr {
    if (this.isOp('-')) {
      const at = this.next().at;
      return this.nest(() => ({ k: 'unary', op: '-', arg: this.unary(), at }));
    }
    return this.primary();
  }
  private primary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'num':
        return { k: 'lit', value: t.v, at: t.at };
      case 'str':
        return { k: 'lit', value: t.v, at: t.at };
      case 'id': {
        if (t.v === 'true' || t.v === 'false') return { k: 'lit', value: t.v === 'true', at: t.at };
        if (t.v === 'null') return { k: 'lit', value: null, at: t.at };
        if (['and', 'or', 'not', 'in'].includes(t.v)) throw new ExpressionSyntaxError(`unexpected '${t.v}'`, t.at);
        if (this.isOp('(')) {
          this.next();
          const args: Expr[] = [];
          if (!this.isOp(')')) {
            do args.push(this.cond());
            while (this.isOp(',') && this.next());
          }
          this.expectOp(')');
          return { k: 'call', fn: t.v, args, at: t.at };
        }
        const path = [t.v];
        while (this.isOp('.')) {
          this.next();
          const p = this.next();
          if (p.t !== 'id') throw new ExpressionSyntaxError(`expected a name after '.' but found ${describe(p)}`, p.at);
          path.push(p.v);
        }
        return { k: 'ref', path, at: t.at };
      }
      case 'op':
        if (t.v === '(') {
          const e = this.cond();
          this.expectOp(')');
          return e;
        }
        if (t.v === '[') {
          const items: Expr[] = [];
          if (!this.isOp(']')) {
            do items.push(this.cond());
            while (this.isOp(',') && this.next());
          }
          this.expectOp(']');
          return { k: 'list', items, at: t.at };
        }
        throw new ExpressionSyntaxError(`unexpected '${t.v}'`, t.at);
      case 'end':
        throw new ExpressionSyntaxError('unexpected end of expression', t.at);
    }
  }
}

function describe(t: Tok): string {
  if (t.t === 'end') return 'the end of the expression';
  if (t.t === 'str') return `string '${t.v}'`;
  return `'${String(t.v)}'`;
}

/** A function callable from expressions: arity bounds and the implementation. */
interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  readonly fn: (args: unknown[], env: EvalEnvironment) => unknown;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : String(v));
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isoDate = (d: Date): string => d.toISOString().slice(0, 10);
const parseDay = (v: unknown): number | null => {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return null;
  const t = Date.parse(v.slice(0, 10) + 'T00:00:00Z');
  return Number.isNaN(t) ? null : t;
};
const regexCache = new Map<string, RegExp>();

/** The functions of the language. Names are what an expression calls. */
export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  len: { min: 1, max: 1, fn: ([v]) => (Array.isArray(v) ? v.length : str(v)?.length ?? null) },
  lower: { min: 1, max: 1, fn: ([v]) => str(v)?.toLowerCase() ?? null },
  upper: { min: 1, max: 1, fn: ([v]) => str(v)?.toUpperCase() ?? null },
  trim: { min: 1, max: 1, fn: ([v]) => str(v)?.trim() ?? null },
  concat: { min: 1, max: 32, fn: (args) => args.map((a) => str(a) ?? '').join('') },
  substr: {
    min: 2,
    max: 3,
    fn: ([s, a, n]) => {
      const v = str(s);
      const start = num(a);
      if (v === null || start === null) return null;
      return n === undefined ? v.substr(start) : v.substr(start, num(n) ?? 0);
    },
  },
  contains: { min: 2, max: 2, fn: ([s, p]) => (str(s) === null || str(p) === null ? null : (str(s) as string).includes(str(p) as string)) },
  startsWith: { min: 2, max: 2, fn: ([s, p]) => (str(s) === null || str(p) === null ? null : (str(s) as string).startsWith(str(p) as string)) },
  endsWith: { min: 2, max: 2, fn: ([s, p]) => (str(s) === null || str(p) === null ? null : (str(s) as string).endsWith(str(p) as string)) },
  matches: {
    min: 2,
    max: 2,
    fn: ([s, p]) => {
      const v = str(s);
      const pattern = str(p);
      if (v === null || pattern === null) return null;
      let re = regexCache.get(pattern);
      if (!re) {
        re = new RegExp(`^(?:${pattern})$`, 'u');
        if (regexCache.size < 500) regexCache.set(pattern, re);
      }
      return re.test(v);
    },
  },
  isEmpty: { min: 1, max: 1, fn: ([v]) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0) },
  coalesce: { min: 1, max: 32, fn: (args) => args.find((a) => a !== null && a !== undefined && a !== '') ?? null },
  round: {
    min: 1,
    max: 2,
    fn: ([v, d]) => {
      const x = num(v);
      if (x === null) return null;
      const f = 10 ** (num(d) ?? 0);
      return Math.round(x * f) / f;
    },
  },
  floor: { min: 1, max: 1, fn: ([v]) => (num(v) === null ? null : Math.floor(num(v) as number)) },
  ceil: { min: 1, max: 1, fn: ([v]) => (num(v) === null ? null : Math.ceil(num(v) as number)) },
  abs: { min: 1, max: 1, fn: ([v]) => (num(v) === null ? null : Math.abs(num(v) as number)) },
  min: { min: 1, max: 32, fn: (args) => (args.every((a) => num(a) !== null) ? Math.min(...(args as number[])) : null) },
  max: { min: 1, max: 32, fn: (args) => (args.every((a) => num(a) !== null) ? Math.max(...(args as number[])) : null) },
  today: { min: 0, max: 0, fn: (_a, env) => isoDate(env.now()) },
  now: { min: 0, max: 0, fn: (_a, env) => env.now().toISOString() },
  year: { min: 1, max: 1, fn: ([v]) => (parseDay(v) === null ? null : new Date(parseDay(v) as number).getUTCFullYear()) },
  month: { min: 1, max: 1, fn: ([v]) => (parseDay(v) === null ? null : new Date(parseDay(v) as number).getUTCMonth() + 1) },
  day: { min: 1, max: 1, fn: ([v]) => (parseDay(v) === null ? null : new Date(parseDay(v) as number).getUTCDate()) },
  daysBetween: {
    min: 2,
    max: 2,
    fn: ([a, b]) => {
      const x = parseDay(a);
      const y = parseDay(b);
      return x === null || y === null ? null : Math.round((y - x) / 86_400_000);
    },
  },
  addDays: {
    min: 2,
    max: 2,
    fn: ([a, n]) => {
      const x = parseDay(a);
      const d = num(n);
      return x === null || d === null ? null : isoDate(new Date(x + Math.trunc(d) * 86_400_000));
    },
  },
};

/**
 * Parses an expression. Throws {@link ExpressionSyntaxError} (with the offset) for bad syntax.
 * @param source the expression text, at most 4000 characters.
 */
export function parseExpression(source: string): CompiledExpression {
  if (source.length > MAX_SOURCE) throw new ExpressionSyntaxError(`expression is longer than ${MAX_SOURCE} characters`, 0);
  const ast = new Parser(tokenize(source)).parseAll();
  const refs = new Set<string>();
  const walk = (e: Expr): void => {
    switch (e.k) {
      case 'ref':
        refs.add(e.path[0] as string);
        break;
      case 'list':
        e.items.forEach(walk);
        break;
      case 'unary':
        walk(e.arg);
        break;
      case 'binary':
        walk(e.left);
        walk(e.right);
        break;
      case 'cond':
        walk(e.test);
        walk(e.then);
        walk(e.else);
        break;
      case 'call':
        e.args.forEach(walk);
        break;
      case 'lit':
        break;
    }
  };
  walk(ast);
  return { source, ast, references: [...refs].sort() };
}

/** A problem found by {@link checkExpression}. */
export interface ExpressionProblem {
  readonly message: string;
  readonly at: number;
}

/**
 * Checks that every reference is one of `names` and every call names a known function with a valid
 * number of arguments. Returns the problems (empty when fine).
 */
export function checkExpression(expr: CompiledExpression, names: ReadonlySet<string>): ExpressionProblem[] {
  const problems: ExpressionProblem[] = [];
  const walk = (e: Expr): void => {
    switch (e.k) {
      case 'ref':
        if (!names.has(e.path[0] as string)) problems.push({ message: `unknown field '${e.path[0] as string}'`, at: e.at });
        break;
      case 'call': {
        const spec = FUNCTIONS[e.fn];
        if (!spec || !Object.hasOwn(FUNCTIONS, e.fn)) problems.push({ message: `unknown function '${e.fn}'`, at: e.at });
        else if (e.args.length < spec.min || e.args.length > spec.max) {
          problems.push({
            message: `${e.fn}() takes ${spec.min === spec.max ? spec.min : `${spec.min} to ${spec.max}`} argument(s), got ${e.args.length}`,
            at: e.at,
          });
        }
        if (e.fn === 'matches' && e.args[1]?.k === 'lit' && typeof e.args[1].value === 'string') {
          try {
            new RegExp(e.args[1].value, 'u');
          } catch (err) {
            problems.push({ message: `invalid pattern: ${(err as Error).message}`, at: e.args[1].at });
          }
        }
        e.args.forEach(walk);
        break;
      }
      case 'list':
        e.items.forEach(walk);
        break;
      case 'unary':
        walk(e.arg);
        break;
      case 'binary':
        walk(e.left);
        walk(e.right);
        break;
      case 'cond':
        walk(e.test);
        walk(e.then);
        walk(e.else);
        break;
      case 'lit':
        break;
    }
  };
  walk(expr.ast);
  return problems;
}

/** What an evaluation reads: the record's values and the clock. */
export interface EvalEnvironment {
  /** The value of a top-level name (a field of the record); undefined reads as null. */
  lookup(name: string): unknown;
  /** The current time (injectable for tests). */
  now(): Date;
}

/** Creates an environment over a plain record. */
export function recordEnvironment(record: Readonly<Record<string, unknown>>, now: () => Date = () => new Date()): EvalEnvironment {
  return { lookup: (name) => (Object.hasOwn(record, name) ? record[name] : null), now };
}

function truthy(v: unknown): boolean {
  return v !== null && v !== undefined && v !== false && v !== 0 && v !== '';
}

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function compare(a: unknown, b: unknown): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return null;
}

/**
 * Evaluates a parsed expression. Null propagates through arithmetic and ordering comparisons
 * (`null + 1` is null, `null < 3` is null); `==` and `!=` compare with null normally. Division by
 * zero gives null. Never throws for any input values.
 */
export function evaluate(expr: CompiledExpression | Expr, env: EvalEnvironment): unknown {
  const ast = 'ast' in expr ? expr.ast : expr;
  return ev(ast, env);
}

function ev(e: Expr, env: EvalEnvironment): unknown {
  switch (e.k) {
    case 'lit':
      return e.value;
    case 'ref': {
      let v: unknown = env.lookup(e.path[0] as string);
      for (let i = 1; i < e.path.length; i++) {
        if (v === null || v === undefined || typeof v !== 'object') return null;
        const key = e.path[i] as string;
        v = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : null;
      }
      return v === undefined ? null : v;
    }
    case 'list':
      return e.items.map((i) => ev(i, env));
    case 'unary': {
      const v = ev(e.arg, env);
      if (e.op === 'not') return v === null ? null : !truthy(v);
      return typeof v === 'number' ? -v : null;
    }
    case 'cond':
      return truthy(ev(e.test, env)) ? ev(e.then, env) : ev(e.else, env);
    case 'call': {
      const spec = Object.hasOwn(FUNCTIONS, e.fn) ? FUNCTIONS[e.fn] : undefined;
      if (!spec) return null;
      try {
        return spec.fn(
          e.args.map((a) => ev(a, env)),
          env,
        );
      } catch {
        return null;
      }
    }
    case 'binary': {
      if (e.op === 'and') {
        const l = ev(e.left, env);
        if (l !== null && !truthy(l)) return false;
        const r = ev(e.right, env);
        if (r !== null && !truthy(r)) return false;
        return l === null || r === null ? null : true;
      }
      if (e.op === 'or') {
        const l = ev(e.left, env);
        if (truthy(l)) return true;
        const r = ev(e.right, env);
        if (truthy(r)) return true;
        return l === null || r === null ? null : false;
      }
      const l = ev(e.left, env);
      const r = ev(e.right, env);
      switch (e.op) {
        case '==':
          return equal(l, r);
        case '!=':
          return !equal(l, r);
        case 'in':
          return Array.isArray(r) ? r.some((x) => equal(x, l)) : typeof r === 'string' && typeof l === 'string' ? r.includes(l) : null;
        case '<':
        case '<=':
        case '>':
        case '>=': {
          const c = compare(l, r);
          if (c === null) return null;
          return e.op === '<' ? c < 0 : e.op === '<=' ? c <= 0 : e.op === '>' ? c > 0 : c >= 0;
        }
        case '+':
          if (l === null || l === undefined || r === null || r === undefined) return null;
          if (typeof l === 'string' || typeof r === 'string') return String(l) + String(r);
          return typeof l === 'number' && typeof r === 'number' ? l + r : null;
        default: {
          if (typeof l !== 'number' || typeof r !== 'number') return null;
          if (e.op === '-') return l - r;
          if (e.op === '*') return l * r;
          if (r === 0) return null;
          return e.op === '/' ? l / r : l % r;
        }
      }
    }
  }
}
