/**
 * Dates in the application's language (`<html lang>`, from the application definition): shown with
 * Intl, entered with <caruso-date-input> (shared/date-input.ts), which follows the application's
 * language too (the browser's own date inputs follow the browser's).
 */

/** The page's language (the application's `lang`). */
export function pageLang(): string {
  return document.documentElement.lang || 'en';
}

/** A date and time as the application's language writes it. */
export function formatDateTime(at: number | string | Date, lang = pageLang()): string {
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A date (no time) as the application's language writes it. */
export function formatDate(at: number | string | Date, lang = pageLang()): string {
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(d);
}

/** A duration in whole seconds as m:ss or h:mm:ss. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  return h > 0 ? `${h}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}
