/**
 * Values of fields: converting input (API values, CSV text, model defaults) into a field's type and
 * checking a value against the field's constraints. Free of Node imports.
 */
import type { FieldDef, FieldType, Money } from './model.js';
import { normalizePhone } from './phone.js';

/** The result of a conversion: the value, or why it was refused. */
export type Coerced = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

const ok = (value: unknown): Coerced => ({ ok: true, value });
const bad = (message: string): Coerced => ({ ok: false, message });

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const EMAIL = /^[^\s@"<>(),;:]+@[^\s@"<>(),;:]+\.[^\s@"<>(),;:]+$/;
const PHONE = /^\+?[0-9][0-9 ()\-./]{1,30}$/;
const CURRENCY = /^[A-Z]{3}$/;

function isValidDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Default maximum length of string-like types. */
export function defaultLength(type: FieldType): number | undefined {
  switch (type) {
    case 'string':
      return 255;
    case 'email':
      return 254;
    case 'phone':
      return 32;
    case 'enum':
      return 64;
    default:
      return undefined;
  }
}

/** Whether values of the type are text (compared and searched as strings). */
export function isTextual(type: FieldType): boolean {
  return type === 'string' || type === 'text' || type === 'email' || type === 'phone' || type === 'enum';
}

/** Whether values of the type are ordered numbers. */
export function isNumeric(type: FieldType): boolean {
  return type === 'id' || type === 'integer' || type === 'decimal' || type === 'money';
}

function toInteger(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw === 'bigint') return raw <= BigInt(Number.MAX_SAFE_INTEGER) && raw >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(raw) : undefined;
  if (typeof raw === 'string' && /^[+-]?\d{1,16}$/.test(raw.trim())) {
    const n = Number(raw.trim());
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(raw.trim())) return Number(raw.trim());
  return undefined;
}

/** Parses a decimal amount text (`12.34`, `-0.5`) into minor units with `digits` decimals, exactly. */
function toMinorUnits(text: string, digits = 2): number | undefined {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const frac = m[3] ?? '';
  if (frac.length > digits && /[1-9]/.test(frac.slice(digits))) return undefined;
  const n = Number((m[2] as string) + frac.slice(0, digits).padEnd(digits, '0'));
  if (!Number.isSafeInteger(n)) return undefined;
  return m[1] === '-' ? -n : n;
}

/** Formats minor units as a decimal amount (`1234` → `12.34`). */
export function formatMinorUnits(amount: number, digits = 2): string {
  const neg = amount < 0;
  const s = String(Math.abs(amount)).padStart(digits + 1, '0');
  return `${neg ? '-' : ''}${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}

/**
 * Converts a value given through the API into the field's type. `null`, `undefined` and `''` become
 * null (so that empty values are never duplicates of each other). Strings holding numbers, booleans
 * and dates are accepted as well (forms send text).
 */
export function coerceValue(field: FieldDef, raw: unknown): Coerced {
  if (raw === null || raw === undefined || raw === '') return ok(null);
  switch (field.type) {
    case 'id':
    case 'integer': {
      const n = toInteger(raw);
      return n === undefined ? bad('must be a whole number') : ok(n);
    }
    case 'decimal': {
      const n = toNumber(raw);
      if (n === undefined) return bad('must be a number');
      const f = 10 ** (field.scale ?? 2);
      return ok(Math.round(n * f) / f);
    }
    case 'money': {
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
        const o = raw as Record<string, unknown>;
        const amount = toInteger(o['amount']);
        const currency = o['currency'] ?? field.currency;
        if (amount === undefined) return bad('amount must be a whole number of minor units (cents)');
        if (typeof currency !== 'string' || !CURRENCY.test(currency)) return bad('currency must be a 3-letter ISO code such as EUR');
        if (field.currency !== undefined && currency !== field.currency) return bad(`currency must be ${field.currency}`);
        return ok({ amount, currency } satisfies Money);
      }
      if (typeof raw === 'number' && field.currency !== undefined) {
        return Number.isSafeInteger(raw) ? ok({ amount: raw, currency: field.currency }) : bad('amount must be a whole number of minor units (cents)');
      }
      if (typeof raw === 'string') return coerceText(field, raw);
      return bad('must be { amount, currency } with the amount in minor units');
    }
    case 'boolean':
      if (typeof raw === 'boolean') return ok(raw);
      if (raw === 0 || raw === 1) return ok(raw === 1);
      if (typeof raw === 'string') return coerceText(field, raw);
      return bad('must be true or false');
    case 'date':
      if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? bad('must be a date YYYY-MM-DD') : ok(raw.toISOString().slice(0, 10));
      return typeof raw === 'string' && isValidDate(raw) ? ok(raw) : bad('must be a date YYYY-MM-DD');
    case 'datetime': {
      if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? bad('must be a date and time') : ok(raw.toISOString());
      if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)) {
        return bad('must be an ISO 8601 date and time, e.g. 2024-05-01T09:30:00Z');
      }
      const t = Date.parse(raw.includes('T') || raw.length === 10 ? raw : raw.replace(' ', 'T'));
      return Number.isNaN(t) ? bad('must be an ISO 8601 date and time') : ok(new Date(t).toISOString());
    }
    case 'json':
      try {
        const text = JSON.stringify(raw);
        return text === undefined ? bad('must be JSON data') : ok(JSON.parse(text));
      } catch {
        return bad('must be JSON data');
      }
    case 'enum':
    case 'string':
    case 'text':
    case 'email':
    case 'phone':
      if (typeof raw === 'string') return ok(field.type === 'email' ? raw.trim() : raw);
      if (typeof raw === 'number' || typeof raw === 'boolean') return ok(String(raw));
      return bad('must be text');
  }
}

/**
 * The stored form of a converted value: a phone number in E.164, read in `defaultCountry` when it has
 * no country code (see normalizePhone). Other types come back unchanged. Without a default
 * country a national number is kept as written.
 */
export function normalizeValue(field: FieldDef, value: unknown, defaultCountry: string | undefined): Coerced {
  if (field.type !== 'phone' || typeof value !== 'string') return ok(value);
  const n = normalizePhone(value, defaultCountry);
  if (n.ok) return ok(n.value);
  if (n.reason === 'needs-country') return ok(value);
  return bad('is not a phone number that can be read (write it as +31 20 555 1234 or in the national format)');
}

/** Converts text (a CSV cell, a model default) into the field's type. Empty text is null. */
export function coerceText(field: FieldDef, text: string): Coerced {
  if (text === '') return ok(null);
  switch (field.type) {
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['true', '1', 'yes', 'y'].includes(t)) return ok(true);
      if (['false', '0', 'no', 'n'].includes(t)) return ok(false);
      return bad('must be true or false');
    }
    case 'money': {
      const m = /^\s*(?:([A-Z]{3})\s+)?([+-]?\d+(?:\.\d+)?)(?:\s+([A-Z]{3}))?\s*$/.exec(text);
      if (!m) return bad('must be an amount such as 12.34 EUR');
      const currency = m[1] ?? m[3] ?? field.currency;
      if (currency === undefined) return bad('needs a currency, e.g. 12.34 EUR');
      if (field.currency !== undefined && currency !== field.currency) return bad(`currency must be ${field.currency}`);
      const amount = toMinorUnits(m[2] as string);
      return amount === undefined ? bad('has more than 2 decimals or is too large') : ok({ amount, currency });
    }
    case 'json':
      try {
        return ok(JSON.parse(text));
      } catch {
        return bad('must be JSON');
      }
    default:
      return coerceValue(field, text);
  }
}

/** Formats a value as text (CSV export). Null is empty text. */
export function formatText(field: FieldDef, value: unknown): string {
  if (value === null || value === undefined) return '';
  switch (field.type) {
    case 'money': {
      const m = value as Money;
      return `${formatMinorUnits(m.amount)} ${m.currency}`;
    }
    case 'json':
      return JSON.stringify(value);
    default:
      return String(value);
  }
}

/**
 * Checks a converted value against the field's constraints (not `required`: see the caller).
 * Returns the violation's code and message, or undefined.
 */
export function checkConstraints(field: FieldDef, value: unknown): { code: string; message: string } | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    const max = field.length;
    if (max !== undefined && value.length > max) return { code: 'length', message: `${field.label} is longer than ${max} characters` };
    if (typeof field.min === 'number' && isTextual(field.type) && value.length < field.min) {
      return { code: 'min', message: `${field.label} is shorter than ${field.min} characters` };
    }
    if (typeof field.max === 'number' && isTextual(field.type) && value.length > field.max) {
      return { code: 'max', message: `${field.label} is longer than ${field.max} characters` };
    }
    if (field.type === 'email' && !EMAIL.test(value)) return { code: 'type', message: `${field.label} is not an e-mail address` };
    if (field.type === 'phone' && !PHONE.test(value)) return { code: 'type', message: `${field.label} is not a phone number` };
    if (field.type === 'enum' && !field.options.some((o) => o.value === value)) {
      return { code: 'enum', message: `${field.label} must be one of ${field.options.map((o) => o.value).join(', ')}` };
    }
    if (field.pattern !== undefined && !new RegExp(`^(?:${field.pattern})$`, 'u').test(value)) {
      return { code: 'pattern', message: `${field.label} does not have the expected format` };
    }
    if ((field.type === 'date' || field.type === 'datetime') && typeof field.min === 'string' && value < field.min) {
      return { code: 'min', message: `${field.label} is before ${field.min}` };
    }
    if ((field.type === 'date' || field.type === 'datetime') && typeof field.max === 'string' && value > field.max) {
      return { code: 'max', message: `${field.label} is after ${field.max}` };
    }
    return undefined;
  }
  const n = typeof value === 'number' ? value : field.type === 'money' ? (value as Money).amount : undefined;
  if (n !== undefined) {
    if (typeof field.min === 'number' && n < field.min) return { code: 'min', message: `${field.label} is less than ${field.min}` };
    if (typeof field.max === 'number' && n > field.max) return { code: 'max', message: `${field.label} is more than ${field.max}` };
  }
  return undefined;
}
