/**
 * Phone numbers: every `phone` field holds E.164 (`+31205551234`), read in the model's default
 * country when written without a country code; shown in the national format. Free of Node imports
 * (libphonenumber-js runs in browsers too).
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** What {@link normalizePhone} made of a text. */
export type NormalizedPhone =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: 'unparseable' | 'needs-country' };

/** Whether `code` is an ISO 3166-1 alpha-2 country libphonenumber-js knows (`NL`, `BE`, `US`). */
export function isPhoneCountry(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

/**
 * Reads a phone number in any usual format (`020-5551234`, `(020) 555 1234`, `0031 20 555 1234`,
 * `+31 20 555 1234`) into E.164. A number without a country code is read in `defaultCountry`.
 * Note: without a default country a national number cannot be read: the result is
 * `{ ok: false, reason: 'needs-country' }` and the caller decides (writes keep such a value as given).
 */
export function normalizePhone(text: string, defaultCountry: string | undefined): NormalizedPhone {
  const t = text.trim();
  if (t === '' || t.length > 64 || !/^[+0-9 ()\-./]+$/.test(t)) return { ok: false, reason: 'unparseable' };
  const international = /^(\+|00)/.test(t);
  if (!international && defaultCountry === undefined) return { ok: false, reason: 'needs-country' };
  const parsed = parsePhoneNumberFromString(t, international ? undefined : (defaultCountry as CountryCode));
  // `0031…` is read by libphonenumber-js as an international call prefix only with a country whose
  // exit code is 00; say it plainly.
  const again = !parsed && t.startsWith('00') ? parsePhoneNumberFromString(`+${t.slice(2)}`) : parsed;
  if (!again || !again.isValid()) return { ok: false, reason: 'unparseable' };
  return { ok: true, value: again.number };
}

/**
 * Formats a stored phone number for display: the national format in `country` (`020 555 1234` for
 * `+31205551234` in NL), the international format for a number of another country
 * (`+1 212 555 0100`). A value that is not a phone number comes back as it is.
 */
export function formatPhone(value: string, country?: string): string {
  const n = parsePhoneNumberFromString(value, country !== undefined && isPhoneCountry(country) ? (country as CountryCode) : undefined);
  if (!n || !n.isValid()) return value;
  return country !== undefined && n.country === country ? n.formatNational() : n.formatInternational();
}

/** The digits of a partial number, without leading zeros: what a stored E.164 value contains. */
export function phoneDigits(text: string): string {
  return text.replace(/\D/g, '').replace(/^0+/, '');
}
