import type { ExpressionValue } from './ast.js';
import { compileExpressionPattern, epochDay, expressionEquals, formatExpressionValue, isoDay, toNumber } from './values.js';

/** What a function may read besides its arguments. */
export interface FunctionContext {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** A built-in function: its arity, its implementation and one line of documentation. */
export interface ExpressionFunction {
  readonly min: number;
  readonly max: number;
  /** One line for the reference (docs/expressions.md). */
  readonly doc: string;
  /**
   * Computes the result from evaluated arguments (`undefined` never appears; missing values are null).
   * Throws {@link ExpressionError} at `pos` for a wrong type or a bad date.
   */
  readonly fn: (args: readonly ExpressionValue[], ctx: FunctionContext, pos: number) => ExpressionValue;
}

type Args = readonly ExpressionValue[];
const hasNull = (args: Args): boolean => args.some((a) => a === null);
const text = formatExpressionValue;

/** A function of texts that gives null when any argument is null. */
function textFn(min: number, max: number, doc: string, f: (args: string[]) => ExpressionValue): ExpressionFunction {
  return { min, max, doc, fn: (args) => (hasNull(args) ? null : f(args.map(text))) };
}
/** A function of numbers that gives null when any argument is null. */
function numberFn(name: string, min: number, max: number, doc: string, f: (args: number[]) => ExpressionValue): ExpressionFunction {
  return { min, max, doc, fn: (args, _ctx, pos) => (hasNull(args) ? null : f(args.map((a) => toNumber(a, `${name}()`, pos)))) };
}
/** A function of one date that gives null for null. */
function dateFn(doc: string, f: (d: Date) => number): ExpressionFunction {
  return { min: 1, max: 1, doc, fn: ([v], _ctx, pos) => (v === null || v === undefined ? null : f(new Date(epochDay(v, pos) * 86_400_000))) };
}

function isEmpty(v: ExpressionValue | undefined): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

const empty: ExpressionFunction = {
  min: 1,
  max: 1,
  doc: 'empty(x): true for null, an empty or blank text, an empty list or object',
  fn: ([v]) => isEmpty(v),
};

/**
 * The fixed set of functions, by the name an expression calls. Null rules: text, number and date
 * functions give null when an argument is null; `len`, `empty`, `isEmpty`, `coalesce`, `concat`,
 * `string`, `number`, `today` and `now` never give null for a null argument (see docs/expressions.md).
 */
export const EXPRESSION_FUNCTIONS: Readonly<Record<string, ExpressionFunction>> = Object.freeze({
  // texts
  len: {
    min: 1,
    max: 1,
    doc: 'len(x): characters of a text, items of a list, keys of an object; 0 for null',
    fn: ([v]) => (v === null || v === undefined ? 0 : Array.isArray(v) ? v.length : typeof v === 'object' ? Object.keys(v).length : text(v).length),
  },
  lower: textFn(1, 1, 'lower(text): in lower case', ([s]) => (s as string).toLowerCase()),
  upper: textFn(1, 1, 'upper(text): in upper case', ([s]) => (s as string).toUpperCase()),
  trim: textFn(1, 1, 'trim(text): without leading and trailing spaces', ([s]) => (s as string).trim()),
  concat: { min: 1, max: 32, doc: 'concat(a, b, …): the arguments joined as text, null as empty', fn: (args) => args.map(text).join('') },
  substr: {
    min: 2,
    max: 3,
    doc: 'substr(text, start, length?): `length` characters (default: all) from `start` (0-based; negative counts from the end)',
    fn: (args, _ctx, pos) => {
      if (hasNull(args)) return null;
      const s = text(args[0] as ExpressionValue);
      let start = Math.trunc(toNumber(args[1], 'substr()', pos));
      if (start < 0) start = Math.max(0, s.length + start);
      const n = args[2] === undefined ? s.length : Math.trunc(toNumber(args[2], 'substr()', pos));
      return n <= 0 ? '' : s.slice(start, start + n);
    },
  },
  contains: {
    min: 2,
    max: 2,
    doc: 'contains(text or list, x): whether the text contains x, or the list has an item equal to x',
    fn: ([a, b]) => {
      if (Array.isArray(a)) return a.some((x: ExpressionValue) => expressionEquals(x, b));
      return a === null || b === null || a === undefined || b === undefined ? null : text(a).includes(text(b));
    },
  },
  startsWith: textFn(2, 2, 'startsWith(text, prefix)', ([s, p]) => (s as string).startsWith(p as string)),
  endsWith: textFn(2, 2, 'endsWith(text, suffix)', ([s, p]) => (s as string).endsWith(p as string)),
  matches: {
    min: 2,
    max: 2,
    doc: 'matches(text, pattern): whether the whole text matches the regular expression (at most 200 characters)',
    fn: (args, _ctx, pos) => (hasNull(args) ? null : compileExpressionPattern(text(args[1] as ExpressionValue), pos).test(text(args[0] as ExpressionValue))),
  },
  // values
  empty,
  isEmpty: { ...empty, doc: 'isEmpty(x): the same as empty(x)' },
  coalesce: {
    min: 1,
    max: 32,
    doc: "coalesce(a, b, …): the first argument that is neither null nor '', else the last one (the default: `coalesce(x, '')`)",
    fn: (args) => args.find((a) => a !== null && a !== '') ?? args[args.length - 1] ?? null,
  },
  number: {
    min: 1,
    max: 1,
    doc: 'number(x): x when it is a number, the number written in a text, else null',
    fn: ([v]) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null),
  },
  string: { min: 1, max: 1, doc: "string(x): x as text (null gives '', lists and objects JSON)", fn: ([v]) => text(v) },
  // numbers
  round: numberFn('round', 1, 2, 'round(x, digits?): rounded half away from zero to `digits` decimals (default 0; -10 to 10)', ([n, d]) => {
    const digits = Math.max(-10, Math.min(10, Math.trunc(d ?? 0)));
    const f = 10 ** digits;
    return (Math.sign(n as number) * Math.round(Math.abs(n as number) * f)) / f;
  }),
  floor: numberFn('floor', 1, 1, 'floor(x): the largest whole number not above x', ([n]) => Math.floor(n as number)),
  ceil: numberFn('ceil', 1, 1, 'ceil(x): the smallest whole number not below x', ([n]) => Math.ceil(n as number)),
  abs: numberFn('abs', 1, 1, 'abs(x): x without its sign', ([n]) => Math.abs(n as number)),
  min: numberFn('min', 1, 32, 'min(a, b, …): the smallest number', (ns) => Math.min(...ns)),
  max: numberFn('max', 1, 32, 'max(a, b, …): the largest number', (ns) => Math.max(...ns)),
  // dates
  today: { min: 0, max: 0, doc: "today(): today's date, YYYY-MM-DD (UTC)", fn: (_a, ctx) => isoDay(Math.floor(ctx.now() / 86_400_000)) },
  now: { min: 0, max: 0, doc: 'now(): the current date and time, ISO 8601 (UTC)', fn: (_a, ctx) => new Date(ctx.now()).toISOString() },
  year: dateFn('year(date): the year of a YYYY-MM-DD date', (d) => d.getUTCFullYear()),
  month: dateFn('month(date): the month (1 to 12) of a YYYY-MM-DD date', (d) => d.getUTCMonth() + 1),
  day: dateFn('day(date): the day of the month (1 to 31) of a YYYY-MM-DD date', (d) => d.getUTCDate()),
  daysBetween: {
    min: 2,
    max: 2,
    doc: 'daysBetween(from, to): whole days from one date to the other (negative when `to` is earlier)',
    fn: (args, _ctx, pos) => (hasNull(args) ? null : epochDay(args[1], pos) - epochDay(args[0], pos)),
  },
  addDays: {
    min: 2,
    max: 2,
    doc: 'addDays(date, n): the date n days later (earlier when n is negative), YYYY-MM-DD',
    fn: (args, _ctx, pos) => (hasNull(args) ? null : isoDay(epochDay(args[0], pos) + Math.trunc(toNumber(args[1], 'addDays()', pos)))),
  },
});

/** The function called `name`, or undefined (never an inherited property such as `toString`). */
export function expressionFunction(name: string): ExpressionFunction | undefined {
  return Object.hasOwn(EXPRESSION_FUNCTIONS, name) ? EXPRESSION_FUNCTIONS[name] : undefined;
}
