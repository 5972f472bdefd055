import type { ExpressionNode, ExpressionValue } from './ast.js';
import { arityProblem } from './checker.js';
import { ExpressionError } from './expression-error.js';
import { expressionFunction } from './functions.js';
import { describeExpressionValue, expressionEquals, formatExpressionValue, isExpressionTruthy } from './values.js';

/** What an evaluation reads: the values of names and the clock. */
export interface ExpressionContext {
  /** The value of a root name; `undefined` (not set) reads as null. */
  lookup(name: string): ExpressionValue | undefined;
  /** Milliseconds since the epoch (injectable for tests). */
  now(): number;
  /** The language tag of the formatting functions (`nl-NL`); absent: `en`. */
  locale?(): string | undefined;
  /** The IANA time zone formatted times are shown in; absent: the process's. */
  timeZone?(): string | undefined;
}

/** Reads `path` through lists (by index) and objects (own keys only, so `constructor` is null). */
function readPath(path: readonly string[], ctx: ExpressionContext): ExpressionValue {
  let v: ExpressionValue | undefined = ctx.lookup(path[0] as string);
  for (let i = 1; i < path.length; i++) {
    if (v === null || v === undefined || typeof v !== 'object') return null;
    const key = path[i] as string;
    if (Array.isArray(v)) v = /^[0-9]+$/.test(key) ? (v as readonly ExpressionValue[])[Number(key)] : undefined;
    else v = Object.hasOwn(v, key) ? (v as Readonly<Record<string, ExpressionValue>>)[key] : undefined;
  }
  return v ?? null;
}

/** -1, 0, 1 for two numbers, two texts or two booleans; null when either is null; undefined for any other mix. */
function order(a: ExpressionValue, b: ExpressionValue): number | null | undefined {
  if (a === null || b === null) return null;
  if ((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string') || (typeof a === 'boolean' && typeof b === 'boolean')) {
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : undefined; // NaN is in no order
  }
  return undefined;
}

function contains(op: 'in' | 'not in', item: ExpressionValue, within: ExpressionValue, pos: number): ExpressionValue {
  let found: boolean | null;
  if (Array.isArray(within)) found = within.some((x: ExpressionValue) => expressionEquals(x, item));
  else if (within === null) found = null;
  else if (typeof within === 'string') {
    if (item === null) found = null;
    else if (typeof item === 'string') found = within.includes(item);
    else throw new ExpressionError('type', `'${op}' looks for a text in a text, got ${describeExpressionValue(item)}`, pos);
  } else throw new ExpressionError('type', `'${op}' needs a list or a text on its right, got ${describeExpressionValue(within)}`, pos);
  return found === null ? null : op === 'in' ? found : !found;
}

function arithmetic(op: '+' | '-' | '*' | '/' | '%', a: ExpressionValue, b: ExpressionValue, pos: number): ExpressionValue {
  if (op === '+') {
    if (typeof a === 'string' || typeof b === 'string') return formatExpressionValue(a) + formatExpressionValue(b);
    if (a === null || b === null) return null;
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    throw new ExpressionError('type', `'+' adds numbers or joins texts, got ${describeExpressionValue(a)} and ${describeExpressionValue(b)}`, pos);
  }
  if (a === null || b === null) return null;
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw new ExpressionError('type', `'${op}' needs two numbers, got ${describeExpressionValue(a)} and ${describeExpressionValue(b)}`, pos);
  }
  if ((op === '/' || op === '%') && b === 0) throw new ExpressionError('division-by-zero', 'division by zero', pos);
  return op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b;
}

/**
 * Evaluates a parsed expression (see docs/expressions.md for every rule). Unset names and missing
 * fields read as null; null propagates through arithmetic, ordering and the text, number and date
 * functions; `and`/`or` short-circuit.
 * @throws {@link ExpressionError} at the offending operator or call for a wrong type, a division by
 * zero, a bad date or (in an unchecked expression) an unknown function or a wrong number of arguments.
 */
export function evaluateExpression(e: ExpressionNode, ctx: ExpressionContext): ExpressionValue {
  switch (e.type) {
    case 'literal':
      return e.value;
    case 'path':
      return readPath(e.path, ctx);
    case 'list':
      return e.items.map((item) => evaluateExpression(item, ctx));
    case 'conditional':
      return isExpressionTruthy(evaluateExpression(e.test, ctx)) ? evaluateExpression(e.then, ctx) : evaluateExpression(e.otherwise, ctx);
    case 'unary': {
      const v = evaluateExpression(e.arg, ctx);
      if (e.op === 'not') return !isExpressionTruthy(v);
      if (v === null) return null;
      if (typeof v !== 'number') throw new ExpressionError('type', `'-' needs a number, got ${describeExpressionValue(v)}`, e.pos);
      return -v;
    }
    case 'call': {
      const spec = expressionFunction(e.name);
      if (!spec) throw new ExpressionError('unknown-function', `unknown function '${e.name}'`, e.pos, { name: e.name });
      const arity = arityProblem(e.name, spec.min, spec.max, e.args.length, e.pos);
      if (arity) throw arity;
      return spec.fn(
        e.args.map((a) => evaluateExpression(a, ctx)),
        ctx,
        e.pos,
      );
    }
    case 'binary': {
      // three-valued and/or: a known answer wins over null (`null and false` is false), else null
      if (e.op === 'and' || e.op === 'or') {
        const decisive = e.op === 'or';
        const l = evaluateExpression(e.left, ctx);
        if (l !== null && isExpressionTruthy(l) === decisive) return decisive;
        const r = evaluateExpression(e.right, ctx);
        if (r !== null && isExpressionTruthy(r) === decisive) return decisive;
        return l === null || r === null ? null : !decisive;
      }
      const a = evaluateExpression(e.left, ctx);
      const b = evaluateExpression(e.right, ctx);
      switch (e.op) {
        case '==':
          return expressionEquals(a, b);
        case '!=':
          return !expressionEquals(a, b);
        case 'in':
        case 'not in':
          return contains(e.op, a, b, e.pos);
        case '<':
        case '<=':
        case '>':
        case '>=': {
          const c = order(a, b);
          if (c === null) return null;
          if (c === undefined) return false;
          return e.op === '<' ? c < 0 : e.op === '<=' ? c <= 0 : e.op === '>' ? c > 0 : c >= 0;
        }
        default:
          return arithmetic(e.op, a, b, e.pos);
      }
    }
  }
}
