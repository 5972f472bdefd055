/**
 * The global search over the objects marked searchable: one SQL query per object that ranks its
 * records by how well a searchable field matches (exact, then prefix, then contains, then every
 * word somewhere), ignoring case and accents (text-match.ts, alike on SQLite and PostgreSQL); phone
 * fields match a number typed in any format. Identifiers come from the model; the text is always a binding.
 */
import type { Dialect, Knex, StorageSession } from '@caruso/storage';
import type { FieldDef } from '../common/model.js';
import { normalizePhone, phoneDigits } from '../common/phone.js';
import { coerceValue } from '../common/values.js';
import type { SearchHit, SearchOptions } from '../business-objects.js';
import { ObjectsErrors } from '../errors.js';
import type { ModelMapping, ObjectMapping } from './object-mapping.js';
import { foldText, textMatch } from './text-match.js';

const MAIN = 't0';
/** Scores of the tiers of a match. */
export const SEARCH_SCORES = { exact: 100, prefix: 50, contains: 20, words: 10 } as const;
const DEFAULT_LIMIT = 20;

type Tier = keyof typeof SEARCH_SCORES;

const escLike = (s: string): string => s.replace(/[!%_]/g, '!$&');

interface FieldPlan {
  readonly field: FieldDef;
  readonly col: string;
  /** Conditions per tier as raw SQL with bindings. */
  readonly tiers: Partial<Record<Tier, [string, unknown[]]>>;
}

function planField(dialect: Dialect, f: FieldDef, col: string, text: string, country: string | undefined): FieldPlan {
  const tiers: FieldPlan['tiers'] = {};
  if (f.type === 'phone') {
    const n = normalizePhone(text, country);
    const digits = phoneDigits(text);
    if (n.ok) tiers.exact = ['?? = ?', [col, n.value]];
    if (/^[+0-9 ()\-./]+$/.test(text) && digits.length >= 4) {
      // A partial number: its digits (without the trunk 0) inside the stored E.164 value.
      tiers.contains = ["?? like ? escape '!'", [col, `%${escLike(digits)}%`]];
    }
    return { field: f, col, tiers };
  }
  if (f.type === 'id' || f.type === 'integer') {
    const c = coerceValue(f, text);
    // Only a number the column can hold (PostgreSQL refuses a larger one instead of finding nothing).
    if (c.ok && typeof c.value === 'number' && Math.abs(c.value) <= 2_147_483_647) tiers.exact = ['?? = ?', [col, c.value]];
    return { field: f, col, tiers };
  }
  tiers.exact = textMatch(dialect, col, text, 'exact');
  tiers.prefix = textMatch(dialect, col, text, 'prefix');
  tiers.contains = textMatch(dialect, col, text, 'contains');
  return { field: f, col, tiers };
}

function tierOf(f: FieldDef, value: unknown, text: string, country: string | undefined): Tier | undefined {
  if (value === null || value === undefined) return undefined;
  const v = foldText(String(value));
  const t = foldText(text);
  if (f.type === 'phone') {
    const n = normalizePhone(text, country);
    if (n.ok && String(value) === n.value) return 'exact';
    const digits = phoneDigits(text);
    return digits.length >= 4 && v.includes(digits) ? 'contains' : undefined;
  }
  if (v === t) return 'exact';
  if (v.startsWith(t)) return 'prefix';
  if (v.includes(t)) return 'contains';
  return undefined;
}

/** Searches every searchable object (or those named) for `text`; the best hits first. */
export async function searchObjects(session: StorageSession, mapping: ModelMapping, text: string, options: SearchOptions = {}): Promise<SearchHit[]> {
  const fail = (path: string, reason: string): never => {
    throw ObjectsErrors.CARUSO_OBJECTS_BAD_QUERY({ object: '(search)', path, reason });
  };
  if (typeof text !== 'string') fail('text', 'search takes text');
  const q = text.trim().replace(/\s+/g, ' ');
  if (q.length > 100) fail('text', 'search text is at most 100 characters');
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) fail('limit', 'limit is a whole number from 1 to 200');
  if (q === '') return [];
  const country = mapping.model.defaultCountry;
  const all = mapping.model.objects.filter((o) => o.searchable);
  let targets = all;
  if (options.objects !== undefined) {
    if (!Array.isArray(options.objects)) fail('objects', 'objects is a list of object names');
    targets = options.objects.map((n, i) => {
      const o = all.find((x) => x.name === n);
      if (!o) fail(`objects[${i}]`, `'${String(n)}' is not a searchable object; searchable objects: ${all.map((x) => x.name).join(', ') || '(none)'}`);
      return o as (typeof all)[number];
    });
  }
  const words = q.split(' ');
  const hits: SearchHit[] = [];
  for (const o of targets) {
    const visible = options.readable ? options.readable(o.name) : true;
    if (visible === false || (Array.isArray(visible) && visible.length === 0)) continue;
    const om = mapping.object(o.name);
    const canSee = (name: string): boolean => visible === true || (visible as readonly string[]).includes(name);
    const fields = o.fields.filter((f) => f.searchable && (!f.computed || f.stored) && canSee(f.name));
    const dialect = session.dialect;
    const plans = fields.map((f) => planField(dialect, f, `${MAIN}.${f.column}`, q, country));
    if (om.keyFields.length === 1) {
      const k = om.keyFields[0] as FieldDef;
      if (!fields.includes(k)) plans.push(planField(dialect, k, `${MAIN}.${k.column}`, q, country));
    }
    const textPlans = plans.filter((p) => p.field.type !== 'phone' && p.field.type !== 'id' && p.field.type !== 'integer');
    const cases: string[] = [];
    const bindings: unknown[] = [];
    for (const tier of ['exact', 'prefix', 'contains'] as const) {
      const conds = plans.map((p) => p.tiers[tier]).filter((c): c is [string, unknown[]] => c !== undefined);
      if (!conds.length) continue;
      cases.push(`when ${conds.map(([sql]) => `(${sql})`).join(' or ')} then ${SEARCH_SCORES[tier]}`);
      for (const [, b] of conds) bindings.push(...b);
    }
    if (words.length > 1 && textPlans.length) {
      // Every word in some field: "ada lovelace" finds firstName Ada, lastName Lovelace.
      const perWord = words.map((w) => textPlans.map((p) => textMatch(dialect, p.col, w, 'contains')));
      cases.push(`when ${perWord.map((conds) => `(${conds.map(([sql]) => sql).join(' or ')})`).join(' and ')} then ${SEARCH_SCORES.words}`);
      for (const conds of perWord) for (const [, b] of conds) bindings.push(...b);
    }
    if (!cases.length) continue;
    const knex = session.knex;
    const score = knex.raw(`case ${cases.join(' ')} else 0 end`, bindings as Knex.RawBinding[]);
    const inner = knex({ [MAIN]: o.table }).select(om.columns.map((c) => `${MAIN}.${c}`)).select(knex.raw('? as ??', [score, 'caruso_score']));
    if (o.softDeleteColumn) inner.whereNull(`${MAIN}.${o.softDeleteColumn}`);
    const qb = knex.select('*').from(inner.as('s')).where('caruso_score', '>', 0).orderBy('caruso_score', 'desc');
    for (const f of om.keyFields) qb.orderBy(`s.${f.column}`);
    qb.limit(limit);
    const rows = (await qb) as Record<string, unknown>[];
    for (const row of rows) hits.push(toHit(om, row, fields, q, words, country, canSee));
  }
  const order = new Map(mapping.model.objects.map((o, i) => [o.name, i]));
  hits.sort((a, b) => b.score - a.score || (order.get(a.object) as number) - (order.get(b.object) as number) || a.label.localeCompare(b.label));
  return hits.slice(0, limit);
}

function toHit(om: ObjectMapping, row: Record<string, unknown>, fields: readonly FieldDef[], q: string, words: readonly string[], country: string | undefined, canSee: (n: string) => boolean): SearchHit {
  const rec = om.toRecord(row, () => new Date());
  const score = Number(row['caruso_score']);
  let field: string | null = null;
  const candidates = om.keyFields.length === 1 && !fields.includes(om.keyFields[0] as FieldDef) ? [...fields, om.keyFields[0] as FieldDef] : fields;
  for (const tier of ['exact', 'prefix', 'contains'] as const) {
    const f = candidates.find((x) => tierOf(x, rec[x.name], q, country) === tier);
    if (f) {
      field = f.name;
      break;
    }
  }
  if (field === null) field = fields.find((f) => words.some((w) => foldText(String(rec[f.name] ?? '')).includes(foldText(w))))?.name ?? null;
  const names = (om.object.nameFields ?? []).filter(canSee).map((n) => rec[n]).filter((v) => typeof v === 'string' && v !== '');
  const firstText = fields.find((f) => (f.type === 'string' || f.type === 'text') && typeof rec[f.name] === 'string' && rec[f.name] !== '');
  const label = names.length ? names.join(' ') : firstText ? String(rec[firstText.name]) : om.keyText(om.keyValues(om.keyOf(rec)));
  return { object: om.object.name, key: om.keyOf(rec), label, field, score };
}
