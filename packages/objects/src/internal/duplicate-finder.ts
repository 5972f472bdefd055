/**
 * Duplicate detection: records of an object that share a normalised phone number or an e-mail
 * address (ignoring case) with given values, or whose name is similar. A name is compared after
 * folding (lower case, accents removed, punctuation and repeated spaces dropped) by Levenshtein
 * distance: at most 1 for names shorter than 8 characters, at most 2 otherwise; word order does
 * not matter ("Lovelace Ada" is "Ada Lovelace"). Candidates come from SQL (equal phone or e-mail, or
 * a name field starting with the first two letters of one of the name's words); the distance is
 * measured on them only.
 */
import type { Knex, StorageSession } from '@caruso/storage';
import type { FieldDef } from '../common/model.js';
import { normalizePhone } from '../common/phone.js';
import type { DuplicateMatch, ObjectRecord } from '../business-objects.js';
import type { ObjectMapping } from './object-mapping.js';
import { textMatch } from './text-match.js';

const MAIN = 't0';
const CANDIDATES = 200;

/** Lower case, accents removed, punctuation dropped, single spaces. */
export function foldName(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The Levenshtein distance of two strings, giving up (returning max + 1) beyond `max`. */
export function levenshtein(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length] as number;
}

/** Whether two folded names are similar (see the file's comment). */
export function similarNames(a: string, b: string): boolean {
  if (a === '' || b === '') return false;
  const sorted = (s: string): string => s.split(' ').sort().join(' ');
  const max = Math.min(a.length, b.length) < 8 ? 1 : 2;
  if (Math.min(a.length, b.length) < 3) return a === b;
  return levenshtein(a, b, max) <= max || levenshtein(sorted(a), sorted(b), max) <= max;
}

/** The folded name of a record (its name fields joined), or '' when it has none. */
export function nameOf(om: ObjectMapping, rec: Readonly<ObjectRecord>): string {
  const parts = (om.object.nameFields ?? []).map((n) => rec[n]).filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  return foldName(parts.join(' '));
}

/** The values duplicate detection compares, from a record or input values. */
export interface DuplicateProbe {
  readonly phones: ReadonlySet<string>;
  readonly emails: ReadonlySet<string>;
  readonly name: string;
}

/** What a record or input values offer to compare: normalised phones, lower-case e-mails, folded name. */
export function probeOf(om: ObjectMapping, values: Readonly<ObjectRecord>, defaultCountry: string | undefined): DuplicateProbe {
  const phones = new Set<string>();
  const emails = new Set<string>();
  for (const f of om.object.fields) {
    const v = values[f.name];
    if (typeof v !== 'string' || v.trim() === '' || (f.computed && !f.stored)) continue;
    if (f.type === 'phone') {
      const n = normalizePhone(v, defaultCountry);
      phones.add(n.ok ? n.value : v.trim());
    } else if (f.type === 'email') emails.add(v.trim().toLowerCase());
  }
  return { phones, emails, name: nameOf(om, values) };
}

/** Why a record duplicates a probe (empty: it does not). */
export function duplicateReasons(om: ObjectMapping, probe: DuplicateProbe, rec: Readonly<ObjectRecord>, defaultCountry: string | undefined): DuplicateMatch['reasons'] {
  const other = probeOf(om, rec, defaultCountry);
  const reasons: ('phone' | 'email' | 'name')[] = [];
  if ([...other.phones].some((p) => probe.phones.has(p))) reasons.push('phone');
  if ([...other.emails].some((e) => probe.emails.has(e))) reasons.push('email');
  if (similarNames(probe.name, other.name)) reasons.push('name');
  return reasons;
}

/**
 * The stored records of the object that duplicate `values`, the strongest first (phone and e-mail
 * matches before name-only ones). `exclude` is the key of the record itself.
 */
export async function findDuplicates(
  session: StorageSession,
  om: ObjectMapping,
  values: Readonly<ObjectRecord>,
  defaultCountry: string | undefined,
  exclude: readonly unknown[] | undefined,
  limit: number,
  now: () => Date,
): Promise<DuplicateMatch[]> {
  const probe = probeOf(om, values, defaultCountry);
  const fields = om.object.fields.filter((f) => !f.computed || f.stored);
  const phoneCols = fields.filter((f) => f.type === 'phone').map((f) => `${MAIN}.${f.column}`);
  const emailCols = fields.filter((f) => f.type === 'email').map((f) => `${MAIN}.${f.column}`);
  const nameCols = (om.object.nameFields ?? []).map((n) => `${MAIN}.${(om.byName.get(n)?.field as FieldDef).column}`);
  // The first two letters of each word of the name; matched ignoring case and accents (text-match.ts).
  const prefixes = new Set<string>();
  for (const w of probe.name.split(' ')) if ([...w].length >= 2) prefixes.add([...w].slice(0, 2).join(''));
  const hasPhones = probe.phones.size > 0 && phoneCols.length > 0;
  const hasEmails = probe.emails.size > 0 && emailCols.length > 0;
  const hasName = probe.name !== '' && nameCols.length > 0 && prefixes.size > 0;
  if (!hasPhones && !hasEmails && !hasName) return [];
  const knex = session.knex;
  const qb = knex({ [MAIN]: om.object.table }).select(om.columns.map((c) => `${MAIN}.${c}`));
  if (om.object.softDeleteColumn) qb.whereNull(`${MAIN}.${om.object.softDeleteColumn}`);
  qb.where((b) => {
    if (hasPhones) for (const c of phoneCols) b.orWhereIn(c, [...probe.phones]);
    const emails = [...probe.emails];
    if (hasEmails) for (const c of emailCols) b.orWhereRaw(`lower(??) in (${emails.map(() => '?').join(', ')})`, [c, ...emails]);
    if (hasName) {
      for (const c of nameCols) {
        for (const p of prefixes) {
          for (const [sql, bindings] of [textMatch(session.dialect, c, p, 'prefix'), textMatch(session.dialect, c, ` ${p}`, 'contains')]) {
            b.orWhereRaw(sql, bindings as Knex.RawBinding[]);
          }
        }
      }
    }
  });
  if (exclude) {
    qb.whereNot((b) => {
      om.keyFields.forEach((f, i) => {
        b.where(`${MAIN}.${f.column}`, exclude[i] as Knex.Value);
      });
    });
  }
  for (const f of om.keyFields) qb.orderBy(`${MAIN}.${f.column}`);
  qb.limit(CANDIDATES);
  const rows = (await qb) as Record<string, unknown>[];
  const out: DuplicateMatch[] = [];
  for (const row of rows) {
    const rec = om.toRecord(row, now);
    const reasons = duplicateReasons(om, probe, rec, defaultCountry);
    if (reasons.length) out.push({ key: om.keyOf(rec), record: rec, reasons });
  }
  const strength = (m: DuplicateMatch): number => (m.reasons.includes('phone') || m.reasons.includes('email') ? 2 : 0) + m.reasons.length;
  return out.sort((a, b) => strength(b) - strength(a)).slice(0, limit);
}
