/**
 * Phone numbers as the business objects store and show them (E.164 in, national or international
 * format out), without Node imports: the browser front office formats with the same code (import it
 * from `@caruso/objects/phone`).
 */
export { formatPhone, isPhoneCountry, normalizePhone, type NormalizedPhone } from '../common/phone.js';
