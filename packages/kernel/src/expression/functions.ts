import type { ExpressionValue } from './ast.js';
import { ExpressionError } from './expression-error.js';
import { compileExpressionPattern, describeExpressionValue, epochDay, expressionEquals, formatExpressionValue, isoDay, toNumber } from './values.js';

/** What a function may read besides its arguments. */
export interface FunctionContext {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * The BCP 47 language tag the formatting functions use (`nl`, `nl-NL`, `en-GB`): the session's or
   * the application's language. Absent or not a valid tag: `en`.
   */
  locale?(): string | undefined;
  /** The IANA time zone times are shown in (`Europe/Amsterdam`). Absent: the process's own. */
  timeZone?(): string | undefined;
}

/**
 * The static types the checker knows: of a function's result and of its arguments. `any` accepts
 * everything; `money` is a number (in major units) or a `{ amount, currency }` object (amount in
 * minor units, as business objects hold money).
 */
export type ExpressionType = 'text' | 'number' | 'boolean' | 'date' | 'datetime' | 'money' | 'list' | 'any';

/** A built-in function: its arity, its implementation and one line of documentation. */
export interface ExpressionFunction {
  readonly min: number;
  readonly max: number;
  /** One line for the reference (docs/expressions.md). */
  readonly doc: string;
  /** The type of the result, when the function declares it (the checker uses it for nested calls). */
  readonly returns?: ExpressionType;
  /** The type each argument must have, in order (when declared). */
  readonly args?: readonly ExpressionType[];
  /** Literal texts a text argument must be one of, by argument index (e.g. the date style). */
  readonly choices?: Readonly<Record<number, readonly string[]>>;
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

// ---- formatting (Intl, in the session's or application's locale) ----------------------------------

const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

/** The locale of the context as a valid tag, else `en`. */
function localeOf(ctx: FunctionContext): string {
  const tag = ctx.locale?.();
  if (!tag) return 'en';
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

/** Intl puts no-break spaces between a currency and its amount; a prompt and a test file want plain ones. */
const plainSpaces = (s: string): string => s.replace(/[\u00a0\u202f]/g, ' ');

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(locale, options);
    if (formatters.size > 500) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    if (formatters.size > 500) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

const STYLES = ['short', 'medium', 'long', 'full'] as const;
type Style = (typeof STYLES)[number];

function styleOf(v: ExpressionValue | undefined, fallback: Style, pos: number): Style {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string' && (STYLES as readonly string[]).includes(v)) return v as Style;
  throw new ExpressionError('type', `the style must be 'short', 'medium', 'long' or 'full', got ${describeExpressionValue(v)}`, pos);
}

const CURRENCY_RE = /^[A-Z]{3}$/;

/** The amount in major units and the currency of a money argument. */
function moneyOf(v: ExpressionValue, currencyArg: ExpressionValue | undefined, pos: number): { amount: number; currency: string } {
  const given = currencyArg === undefined || currencyArg === null ? undefined : formatExpressionValue(currencyArg).toUpperCase();
  if (given !== undefined && !CURRENCY_RE.test(given)) throw new ExpressionError('type', `formatMoney() needs an ISO 4217 currency code such as 'EUR', got ${describeExpressionValue(currencyArg)}`, pos);
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Readonly<Record<string, ExpressionValue>>;
    const currency = given ?? (typeof o['currency'] === 'string' ? o['currency'].toUpperCase() : 'EUR');
    if (!CURRENCY_RE.test(currency)) throw new ExpressionError('type', `formatMoney() needs an ISO 4217 currency code, got ${describeExpressionValue(o['currency'])}`, pos);
    const minor = toNumber(o['amount'] ?? null, 'formatMoney() of a money value', pos);
    const digits = numberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    return { amount: minor / 10 ** digits, currency };
  }
  return { amount: toNumber(v, 'formatMoney()', pos), currency: given ?? 'EUR' };
}

const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A date-time argument as an instant: ISO 8601 text (a date alone is midnight UTC). */
function instantOf(v: ExpressionValue, what: string, pos: number): Date {
  const t = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v) : NaN;
  if (!Number.isFinite(t)) throw new ExpressionError('bad-date', `${what} needs a date and time written YYYY-MM-DDTHH:MM (ISO 8601), got ${describeExpressionValue(v)}`, pos);
  return new Date(t);
}

const formatting: Readonly<Record<string, ExpressionFunction>> = {
  formatNumber: {
    min: 1,
    max: 2,
    returns: 'text',
    args: ['number', 'number'],
    doc: 'formatNumber(x, decimals?): x with the grouping and decimal signs of the locale (`1.234,5` in nl); exactly `decimals` decimals when given (0 to 10), else up to 3',
    fn: (args, ctx, pos) => {
      if (args[0] === null || args[0] === undefined) return null;
      const x = toNumber(args[0], 'formatNumber()', pos);
      const d = args[1] === undefined || args[1] === null ? undefined : Math.max(0, Math.min(10, Math.trunc(toNumber(args[1], 'formatNumber()', pos))));
      return plainSpaces(numberFormat(localeOf(ctx), d === undefined ? {} : { minimumFractionDigits: d, maximumFractionDigits: d }).format(x));
    },
  },
  formatMoney: {
    min: 1,
    max: 2,
    returns: 'text',
    args: ['money', 'text'],
    doc: "formatMoney(x, currency?): an amount of money in the locale (`€ 1.122,20` in nl, `€1,122.20` in en): x is a number in major units or a money field `{ amount, currency }` (amount in cents); currency an ISO code (default: the field's, else EUR)",
    fn: (args, ctx, pos) => {
      if (args[0] === null || args[0] === undefined) return null;
      const m = moneyOf(args[0], args[1], pos);
      return plainSpaces(numberFormat(localeOf(ctx), { style: 'currency', currency: m.currency }).format(m.amount));
    },
  },
  formatDate: {
    min: 1,
    max: 2,
    returns: 'text',
    args: ['date', 'text'],
    choices: { 1: STYLES },
    doc: "formatDate(date, style?): a YYYY-MM-DD date in the locale; style 'short' (15-03-2024 in nl), 'medium' (default: 15 mrt 2024), 'long' (15 maart 2024) or 'full' (with the weekday)",
    fn: (args, ctx, pos) => {
      if (args[0] === null || args[0] === undefined) return null;
      const day = epochDay(args[0], pos);
      const style = styleOf(args[1], 'medium', pos);
      return plainSpaces(dateFormat(localeOf(ctx), { dateStyle: style, timeZone: 'UTC' }).format(new Date(day * 86_400_000)));
    },
  },
  formatTime: {
    min: 1,
    max: 2,
    returns: 'text',
    args: ['datetime', 'text'],
    choices: { 1: STYLES },
    doc: "formatTime(t, style?): the time of day in the locale: t is a time HH:MM[:SS] (shown as written) or an ISO date-time (shown in the application's time zone); style 'short' (default: 14:30) to 'full'",
    fn: (args, ctx, pos) => {
      const v = args[0];
      if (v === null || v === undefined) return null;
      const style = styleOf(args[1], 'short', pos);
      const m = typeof v === 'string' ? TIME_RE.exec(v) : null;
      if (m) {
        const [h, mi, se] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
        if (h > 23 || mi > 59 || se > 59) throw new ExpressionError('bad-date', `${v} is not a time of day`, pos);
        return plainSpaces(dateFormat(localeOf(ctx), { timeStyle: style === 'full' || style === 'long' ? 'medium' : style, timeZone: 'UTC' }).format(new Date(Date.UTC(1970, 0, 1, h, mi, se))));
      }
      const zone = ctx.timeZone?.();
      return plainSpaces(dateFormat(localeOf(ctx), { timeStyle: style, ...(zone ? { timeZone: zone } : {}) }).format(instantOf(v, 'formatTime()', pos)));
    },
  },
  formatDateTime: {
    min: 1,
    max: 2,
    returns: 'text',
    args: ['datetime', 'text'],
    choices: { 1: STYLES },
    doc: "formatDateTime(t, style?): an ISO date-time in the locale and the application's time zone; style 'short' (15-03-2024 14:30 in nl), 'medium' (default), 'long' or 'full'",
    fn: (args, ctx, pos) => {
      if (args[0] === null || args[0] === undefined) return null;
      const style = styleOf(args[1], 'medium', pos);
      const zone = ctx.timeZone?.();
      return plainSpaces(dateFormat(localeOf(ctx), { dateStyle: style, timeStyle: style === 'full' ? 'long' : style, ...(zone ? { timeZone: zone } : {}) }).format(instantOf(args[0], 'formatDateTime()', pos)));
    },
  },
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
  // formatting
  ...formatting,
});

/** The result types of the functions that do not declare theirs inline (for the checker). */
const RESULT_TYPES: Readonly<Record<string, ExpressionType>> = {
  len: 'number',
  lower: 'text',
  upper: 'text',
  trim: 'text',
  concat: 'text',
  substr: 'text',
  startsWith: 'boolean',
  endsWith: 'boolean',
  matches: 'boolean',
  empty: 'boolean',
  isEmpty: 'boolean',
  number: 'number',
  string: 'text',
  round: 'number',
  floor: 'number',
  ceil: 'number',
  abs: 'number',
  min: 'number',
  max: 'number',
  today: 'date',
  now: 'datetime',
  year: 'number',
  month: 'number',
  day: 'number',
  daysBetween: 'number',
  addDays: 'date',
};

/** The static result type of a call of `name`: declared, or `any`. */
export function expressionResultType(name: string): ExpressionType {
  const spec = expressionFunction(name);
  return spec?.returns ?? (Object.hasOwn(RESULT_TYPES, name) ? (RESULT_TYPES[name] as ExpressionType) : 'any');
}

/** The function called `name`, or undefined (never an inherited property such as `toString`). */
export function expressionFunction(name: string): ExpressionFunction | undefined {
  return Object.hasOwn(EXPRESSION_FUNCTIONS, name) ? EXPRESSION_FUNCTIONS[name] : undefined;
}
