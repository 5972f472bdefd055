import type { ExpressionValue } from './ast.js';
import { ExpressionError } from './expression-error.js';

/** A value as text: null is empty, numbers and booleans plainly, lists and objects as JSON. */
export function formatExpressionValue(v: ExpressionValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A value in words, for error messages (texts cut at 20 characters). */
export function describeExpressionValue(v: ExpressionValue | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the text '${v.length > 20 ? v.slice(0, 20) + '…' : v}'`;
  return `${typeof v} ${String(v)}`;
}

/** Truthiness of conditions, `and`, `or`, `not` and `? :`: false, null, 0, '' and the empty list are false. */
export function isExpressionTruthy(v: ExpressionValue | undefined): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return !(typeof v === 'number' && Number.isNaN(v));
}

/** Deep equality: same type and value; lists item by item; objects key by key (in any order); undefined equals null. */
export function expressionEquals(a: ExpressionValue | undefined, b: ExpressionValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bl = b as readonly ExpressionValue[];
    return a.length === bl.length && a.every((x, i) => expressionEquals(x, bl[i]));
  }
  const ao = a as Readonly<Record<string, ExpressionValue>>;
  const bo = b as Readonly<Record<string, ExpressionValue>>;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => Object.hasOwn(bo, k) && expressionEquals(ao[k], bo[k]));
}

/** A number, or a text that spells one; anything else is a type error for `what`. Callers handle null first. */
export function toNumber(v: ExpressionValue | undefined, what: string, pos: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new ExpressionError('type', `${what} needs a number, got ${describeExpressionValue(v)}`, pos);
}

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})/;

/** Days since 1970-01-01 of a `YYYY-MM-DD` text (an ISO date-time counts by its date part). */
export function epochDay(v: ExpressionValue | undefined, pos: number): number {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  if (!m) throw new ExpressionError('bad-date', `a date must be written YYYY-MM-DD, got ${describeExpressionValue(v)}`, pos);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  // Date.UTC rolls 2024-02-31 over into March: refuse it instead
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new ExpressionError('bad-date', `${m[0]} is not a date`, pos);
  }
  return Math.round(t / DAY_MS);
}

/** The `YYYY-MM-DD` text of a day count since 1970-01-01. */
export function isoDay(epoch: number): string {
  return new Date(epoch * DAY_MS).toISOString().slice(0, 10);
}

/** Longest regular expression accepted by `matches()` (a guard against pathological patterns). */
export const MAX_PATTERN_LENGTH = 200;

const patternCache = new Map<string, RegExp>();

/**
 * Compiles a pattern of `matches()` (or of a field) anchored at both ends, with the `u` flag; cached.
 * @param pos the offset reported when the pattern is invalid or longer than {@link MAX_PATTERN_LENGTH}.
 * @throws {@link ExpressionError} of kind `invalid-pattern`.
 */
export function compileExpressionPattern(pattern: string, pos: number): RegExp {
  const hit = patternCache.get(pattern);
  if (hit) return hit;
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new ExpressionError('invalid-pattern', `invalid pattern: it is longer than ${MAX_PATTERN_LENGTH} characters`, pos, { limit: MAX_PATTERN_LENGTH });
  }
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`, 'u');
  } catch (err) {
    throw new ExpressionError('invalid-pattern', `invalid pattern: ${(err as Error).message}`, pos);
  }
  if (patternCache.size >= 1000) patternCache.clear();
  patternCache.set(pattern, re);
  return re;
}
