/**
 * Compares two models. Objects, fields and relations are matched by their stable `id` when both
 * sides have one (so a rename is reported as a rename), otherwise by name.
 */
import type { FieldDef, Model, ObjectDef, RelationDef } from './model.js';

/** What changed. */
export type ModelChangeKind =
  | 'add-object'
  | 'remove-object'
  | 'rename-object'
  | 'change-object'
  | 'add-field'
  | 'remove-field'
  | 'rename-field'
  | 'change-field'
  | 'add-relation'
  | 'remove-relation'
  | 'rename-relation'
  | 'change-relation'
  | 'add-rule'
  | 'remove-rule'
  | 'change-rule';

/** One difference between two models. */
export interface ModelChange {
  readonly kind: ModelChangeKind;
  /** The object's name in the newer model (the older one for a removal). */
  readonly object: string;
  /** The field, relation or rule (newer name), when the change is about one. */
  readonly member?: string;
  /** For renames: the old name. */
  readonly from?: string;
  /** For `change-*`: the properties that differ, as `property: old → new`. */
  readonly details?: readonly string[];
}

type Named = { readonly name: string; readonly id?: string | undefined };

function match<T extends Named>(a: readonly T[], b: readonly T[]): { pairs: [T, T][]; added: T[]; removed: T[] } {
  const used = new Set<T>();
  const pairs: [T, T][] = [];
  const added: T[] = [];
  for (const y of b) {
    let x = y.id !== undefined ? a.find((c) => c.id === y.id && !used.has(c)) : undefined;
    x ??= a.find((c) => c.name === y.name && !used.has(c) && (c.id === undefined || y.id === undefined || c.id === y.id));
    if (x) {
      used.add(x);
      pairs.push([x, y]);
    } else added.push(y);
  }
  return { pairs, added, removed: a.filter((x) => !used.has(x)) };
}

const show = (v: unknown): string => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

function compareProps(pairs: [string, unknown, unknown][]): string[] {
  const out: string[] = [];
  for (const [name, x, y] of pairs) if (show(x) !== show(y)) out.push(`${name}: ${show(x)} → ${show(y)}`);
  return out;
}

/** The properties of a field that a diff compares. */
export function fieldProperties(f: FieldDef): [string, unknown][] {
  return [
    ['type', f.type],
    ['column', f.column],
    ['required', f.required],
    ['unique', f.unique],
    ['length', f.length],
    ['precision', f.precision],
    ['scale', f.scale],
    ['min', f.min],
    ['max', f.max],
    ['pattern', f.pattern],
    ['default', f.defaultValue],
    ['searchable', f.searchable],
    ['audited', f.audited],
    ['options', f.options.map((o) => (o.label === o.value ? o.value : `${o.value}=${o.label}`))],
    ['currency', f.currency],
    ['currencyColumn', f.currencyColumn],
    ['computed', f.computed?.source],
    ['store', f.stored],
  ];
}

function diffFields(a: FieldDef, b: FieldDef): string[] {
  const pa = fieldProperties(a);
  const pb = fieldProperties(b);
  return compareProps(pa.map(([n, v], i) => [n, v, (pb[i] as [string, unknown])[1]]));
}

function relationProps(r: RelationDef): [string, unknown][] {
  return [
    ['kind', r.kind],
    ['target', r.target],
    ['fields', r.fields],
    ['inverse', r.inverse],
    ['through', r.through],
    ['sourceColumns', r.sourceColumns],
    ['targetColumns', r.targetColumns],
    ['linkFields', r.linkFields.map((f) => `${f.name}:${f.type}:${f.column}`)],
    ['managed', r.managed],
  ];
}

function objectProps(o: ObjectDef): [string, unknown][] {
  return [
    ['table', o.table],
    ['managed', o.managed],
    ['softDeleteColumn', o.softDeleteColumn],
    ['versionColumn', o.versionColumn],
    ['key', o.key],
    ['uniques', o.uniques],
    ['businessKey', o.businessKey],
    ['searchable', o.searchable ?? false],
    ['nameFields', o.nameFields],
  ];
}

/**
 * Lists the differences from `before` to `after`, object by object in the order of `after`
 * (removed objects last).
 */
export function diffModels(before: Model, after: Model): ModelChange[] {
  const out: ModelChange[] = [];
  const objs = match(before.objects, after.objects);
  for (const [a, b] of objs.pairs) {
    if (a.name !== b.name) out.push({ kind: 'rename-object', object: b.name, from: a.name });
    const pa = objectProps(a);
    const details = compareProps(objectProps(b).map(([n, v], i) => [n, (pa[i] as [string, unknown])[1], v]));
    if (details.length) out.push({ kind: 'change-object', object: b.name, details });
    const fields = match(a.fields, b.fields);
    for (const [x, y] of fields.pairs) {
      if (x.name !== y.name) out.push({ kind: 'rename-field', object: b.name, member: y.name, from: x.name });
      const d = diffFields(x, y);
      if (d.length) out.push({ kind: 'change-field', object: b.name, member: y.name, details: d });
    }
    for (const y of fields.added) out.push({ kind: 'add-field', object: b.name, member: y.name });
    for (const x of fields.removed) out.push({ kind: 'remove-field', object: b.name, member: x.name });
    const rels = match(a.relations, b.relations);
    for (const [x, y] of rels.pairs) {
      if (x.name !== y.name) out.push({ kind: 'rename-relation', object: b.name, member: y.name, from: x.name });
      const px = relationProps(x);
      const d = compareProps(relationProps(y).map(([n, v], i) => [n, (px[i] as [string, unknown])[1], v]));
      if (d.length) out.push({ kind: 'change-relation', object: b.name, member: y.name, details: d });
    }
    for (const y of rels.added) out.push({ kind: 'add-relation', object: b.name, member: y.name });
    for (const x of rels.removed) out.push({ kind: 'remove-relation', object: b.name, member: x.name });
    const rules = match(a.rules, b.rules);
    for (const [x, y] of rules.pairs) {
      const d = compareProps([
        ['when', x.when?.source, y.when?.source],
        ['assert', x.assert.source, y.assert.source],
        ['message', x.message, y.message],
        ['field', x.field, y.field],
      ]);
      if (d.length) out.push({ kind: 'change-rule', object: b.name, member: y.name, details: d });
    }
    for (const y of rules.added) out.push({ kind: 'add-rule', object: b.name, member: y.name });
    for (const x of rules.removed) out.push({ kind: 'remove-rule', object: b.name, member: x.name });
  }
  for (const b of objs.added) out.push({ kind: 'add-object', object: b.name });
  for (const a of objs.removed) out.push({ kind: 'remove-object', object: a.name });
  return out;
}

/** One line per change, as `caruso model diff` prints it. */
export function formatChange(c: ModelChange): string {
  const what = c.member === undefined ? c.object : `${c.object}.${c.member}`;
  switch (c.kind) {
    case 'rename-object':
      return `~ object ${c.from ?? '?'} renamed to ${c.object}`;
    case 'rename-field':
    case 'rename-relation':
      return `~ ${c.kind.slice(7)} ${c.object}.${c.from ?? '?'} renamed to ${c.member ?? '?'}`;
    default: {
      const [verb, noun] = c.kind.split('-') as [string, string];
      const sign = verb === 'add' ? '+' : verb === 'remove' ? '-' : '~';
      const tail = c.details?.length ? ` (${c.details.join('; ')})` : '';
      return `${sign} ${noun} ${what}${verb === 'change' ? ' changed' : ''}${tail}`;
    }
  }
}
