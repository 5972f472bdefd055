/**
 * Dates, times, numbers, money and durations in the application's language, with Intl. Moments are
 * milliseconds (or ISO strings) of the server's clock; days are the browser's calendar days.
 */
import { formatPhone } from '@caruso/objects/phone';
import { pageLang, t } from './i18n.js';

function toDate(at: number | string | Date): Date | undefined {
  const d = at instanceof Date ? at : new Date(at);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A date and time, e.g. "7 dec 2026, 09:14" in Dutch. */
export function fmtDateTime(at: number | string | Date, lang = pageLang()): string {
  const d = toDate(at);
  return d ? new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d) : '';
}

/** A date without the time. */
export function fmtDate(at: number | string | Date, lang = pageLang()): string {
  const d = toDate(at);
  return d ? new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(d) : '';
}

/** The time of day (hours and minutes). */
export function fmtTime(at: number | string | Date, lang = pageLang()): string {
  const d = toDate(at);
  return d ? new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(d) : '';
}

/** A number with the language's separators. */
export function fmtNumber(n: number, lang = pageLang(), digits?: number): string {
  return new Intl.NumberFormat(lang, digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

/** An amount of money (euros unless told). */
export function fmtMoney(n: number, currency = 'EUR', lang = pageLang()): string {
  return new Intl.NumberFormat(lang, { style: 'currency', currency }).format(n);
}

/** A duration as h:mm:ss (always with the hours, so columns line up). */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** The calendar day of a moment as a key (yyyy-mm-dd in the browser's time zone). */
export function dayKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A day's heading: "Today", "Yesterday", or the weekday and date in the app's language. */
export function dayLabel(at: number, now: number, lang = pageLang()): string {
  if (dayKey(at) === dayKey(now)) return t('day.today');
  if (dayKey(at) === dayKey(now - 86_400_000)) return t('day.yesterday');
  return new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(at));
}

/** A field's value as the page shows it: enum values by their labels, yes/no, dates and numbers in the app's language. */
export function fmtValue(value: unknown, field?: { readonly type: string; readonly options: readonly { readonly value: string; readonly label: string }[] }): string {
  if (value === null || value === undefined || value === '') return '';
  if (field?.type === 'enum') return field.options.find((o) => o.value === value)?.label ?? String(value);
  if (typeof value === 'boolean') return value ? t('yes') : t('no');
  if (field?.type === 'phone' && typeof value === 'string') return fmtPhone(value);
  if (field?.type === 'date' && typeof value === 'string') return fmtDate(value.length === 10 ? `${value}T12:00:00` : value);
  if (field?.type === 'datetime' || field?.type === 'timestamp') return fmtDateTime(value as string);
  if (typeof value === 'number') return field?.type === 'money' ? fmtMoney(value) : fmtNumber(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The country whose numbers are shown in national format: the model's (`data-phone-country` on the page, set from /api/app). */
export function phoneCountry(): string | undefined {
  return document.documentElement.dataset['phoneCountry'] || undefined;
}

/**
 * A stored phone number (E.164) as people read it: national format for a number of the company's
 * country (`020 555 1234`), international format for another (`+32 2 123 45 67`); anything that is not
 * a valid number (an extension, `anonymous`, an address) as it is. The objects' own formatPhone.
 */
export function fmtPhone(value: string, country = phoneCountry()): string {
  return formatPhone(value, country);
}

/** A contact's address as people read it: a phone number for a call or callback, else as it is. */
export function fmtAddress(channel: string, address: string): string {
  return channel === 'call' || channel === 'callback' ? fmtPhone(address) : address;
}

