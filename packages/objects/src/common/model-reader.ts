/**
 * Reads a model file (XML, see dtd/model.dtd and docs/objects.md) into a validated {@link Model},
 * collecting every problem as a `file:line:col` diagnostic. Imports (`<import file>`) are read
 * through a loader, so this file needs no Node API.
 */
import {
  attributePosition,
  childElements,
  DiagnosticSink,
  parseXml,
  textContent,
  XmlDiagnostic,
  type SourcePosition,
  type XmlElement,
} from '@caruso/kernel';
import { checkExpression, ExpressionSyntaxError, parseExpression, type CompiledExpression } from './expression.js';
import {
  FIELD_TYPES,
  snakeCase,
  type EnumOption,
  type FieldDef,
  type FieldType,
  type Model,
  type ObjectDef,
  type RelationDef,
  type RelationKind,
  type RuleDef,
  type SourceRef,
} from './model.js';
import { isPhoneCountry } from './phone.js';
import { coerceText, defaultLength, isTextual } from './values.js';

/** Reads the files a model imports. */
export interface ModelLoader {
  /** The text of `path`, or undefined when it cannot be read. */
  read(path: string): string | undefined;
}

/** Options of {@link readModel}. */
export interface ReadModelOptions {
  /** Reads imported files; without it `<import>` is an error. */
  readonly loader?: ModelLoader;
}

/** What {@link readModel} returns: the model when there is no error, and every diagnostic. */
export interface ModelReadResult {
  readonly model: Model | undefined;
  readonly diagnostics: readonly XmlDiagnostic[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

const ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  model: ['name', 'version', 'xmlns', 'defaultCountry'],
  import: ['file'],
  object: ['name', 'id', 'label', 'table', 'managed', 'softDelete', 'softDeleteColumn', 'version', 'versionColumn', 'audited', 'businessKey', 'searchable', 'nameFields'],
  key: ['fields'],
  unique: ['fields'],
  field: [
    'name', 'id', 'type', 'column', 'label', 'required', 'unique', 'length', 'precision', 'scale', 'min', 'max', 'pattern', 'default',
    'searchable', 'audited', 'computed', 'store', 'currency', 'currencyColumn',
  ],
  option: ['value', 'label'],
  relation: ['name', 'id', 'kind', 'target', 'fields', 'required', 'inverse', 'through', 'sourceColumns', 'targetColumns', 'label', 'managed'],
  rule: ['name', 'when', 'assert', 'message', 'field'],
  extend: ['object'],
  options: ['field'],
  description: [],
};

const CHILDREN: Readonly<Record<string, readonly string[]>> = {
  model: ['import', 'object', 'extend', 'description'],
  import: [],
  object: ['description', 'key', 'unique', 'field', 'relation', 'rule'],
  key: [],
  unique: [],
  field: ['description', 'option'],
  option: [],
  relation: ['description', 'field'],
  rule: [],
  extend: ['unique', 'field', 'relation', 'rule', 'options'],
  options: ['option'],
  description: [],
};

const KINDS: readonly RelationKind[] = ['many-to-one', 'one-to-many', 'many-to-many'];

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const limit = Math.max(1, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  for (const c of candidates) {
    // The distance is at least the difference in length: a candidate that cannot be close enough is
    // not measured (a 1 MiB value against every type name took 20 s; the fuzz suite found it).
    if (Math.abs(word.length - c.length) > limit) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= limit && bestD < word.length ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

const hint = (word: string, candidates: readonly string[]): string => {
  const c = closest(word, candidates);
  return c ? `; did you mean '${c}'?` : '';
};

/** Joins a relative import path onto the importing file's folder (POSIX-style, no Node). */
export function resolveImport(from: string, rel: string): string {
  if (rel.startsWith('/')) return rel;
  const parts = from.split('/').slice(0, -1);
  for (const seg of rel.split('/')) {
    if (seg === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..' && parts[parts.length - 1] !== '') parts.pop();
      else parts.push('..');
    } else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

interface ObjectDraft extends Omit<Mutable<ObjectDef>, 'fields' | 'relations' | 'rules'> {
  fields: Mutable<FieldDef>[];
  relations: (Mutable<RelationDef> & { el: XmlElement; sink: DiagnosticSink; requiredAttr: boolean })[];
  rules: { el: XmlElement; sink: DiagnosticSink }[];
  keyEl: XmlElement | undefined;
  keyFieldsText: string | undefined;
  uniqueEls: { el: XmlElement; sink: DiagnosticSink }[];
  businessKeyText: string | undefined;
  searchable: boolean;
  nameFieldsText: string | undefined;
  nameFields: string[];
  el: XmlElement;
  sink: DiagnosticSink;
  rulesResolved: RuleDef[];
  auditedDefault: boolean;
}

class Reader {
  private readonly sinks: DiagnosticSink[] = [];
  private readonly files: string[] = [];
  private readonly drafts = new Map<string, ObjectDraft>();
  private readonly extendEls: { el: XmlElement; sink: DiagnosticSink }[] = [];
  private readonly extraDiagnostics: XmlDiagnostic[] = [];
  private modelName = 'model';
  private defaultCountry: string | undefined;

  constructor(private readonly options: ReadModelOptions) {}

  read(text: string, file: string): ModelReadResult {
    this.readFile(text, file, [], true);
    for (const x of this.extendEls) this.applyExtend(x.el, x.sink);
    for (const d of this.drafts.values()) this.resolveKey(d);
    for (const d of this.drafts.values()) this.resolveRelations(d);
    for (const d of this.drafts.values()) this.resolveRest(d);
    this.checkGlobal();
    const diagnostics = [...this.extraDiagnostics, ...this.sinks.flatMap((s) => s.diagnostics)].sort(XmlDiagnostic.compare);
    if (diagnostics.some((d) => d.severity === 'error')) return { model: undefined, diagnostics };
    const objects: ObjectDef[] = [...this.drafts.values()].map((d) => ({
      name: d.name,
      id: d.id,
      label: d.label,
      table: d.table,
      managed: d.managed,
      softDeleteColumn: d.softDeleteColumn,
      versionColumn: d.versionColumn,
      key: d.key,
      uniques: d.uniques,
      businessKey: d.businessKey,
      fields: d.fields,
      relations: d.relations.map(({ el: _el, sink: _s, requiredAttr: _r, ...r }) => r),
      rules: d.rulesResolved,
      ...(d.searchable ? { searchable: true } : {}),
      ...(d.nameFields.length ? { nameFields: d.nameFields } : {}),
      origin: d.origin,
    }));
    const model: Model = { name: this.modelName, objects, files: this.files, ...(this.defaultCountry !== undefined ? { defaultCountry: this.defaultCountry } : {}) };
    return { model, diagnostics };
  }

  private readFile(text: string, file: string, stack: string[], main: boolean): void {
    const sink = new DiagnosticSink(file);
    this.sinks.push(sink);
    this.files.push(file);
    const parsed = parseXml(text, file);
    if (!parsed.root) {
      sink.diagnostics.push(...parsed.diagnostics);
      return;
    }
    const root = parsed.root;
    if (root.name !== 'model') {
      sink.error(root.position, `the root element must be <model>, not <${root.name}>`, 'bad-root');
      return;
    }
    this.checkElement(root, sink);
    if (main) {
      this.modelName = root.attributes['name'] ?? 'model';
      const country = root.attributes['defaultCountry'];
      if (country !== undefined) {
        if (isPhoneCountry(country)) this.defaultCountry = country;
        else sink.error(attributePosition(root, 'defaultCountry'), `defaultCountry '${country}' is not a country code such as NL, BE or DE (ISO 3166-1 alpha-2, capitals)`, 'bad-country');
      }
    }
    for (const child of childElements(root)) {
      if (child.name === 'import') {
        const rel = child.attributes['file'];
        if (!rel) {
          sink.error(child.position, '<import> needs a file attribute', 'missing-attribute');
          continue;
        }
        const target = resolveImport(file, rel);
        if (stack.includes(target) || target === file) {
          sink.error(attributePosition(child, 'file'), `import cycle: ${[...stack, file, target].join(' → ')}`, 'import-cycle');
          continue;
        }
        if (this.files.includes(target)) continue;
        const imported = this.options.loader?.read(target);
        if (imported === undefined) {
          sink.error(attributePosition(child, 'file'), `cannot read imported model ${rel} (${target})`, 'import-unreadable');
          continue;
        }
        this.readFile(imported, target, [...stack, file], false);
      }
    }
    for (const child of childElements(root)) {
      if (child.name === 'object') this.readObject(child, sink);
      else if (child.name === 'extend') this.extendEls.push({ el: child, sink });
    }
  }

  /** Unknown attributes and children, with a suggestion. */
  private checkElement(el: XmlElement, sink: DiagnosticSink): void {
    const allowed = ATTRIBUTES[el.name];
    if (allowed) {
      for (const a of Object.keys(el.attributes)) {
        if (!allowed.includes(a) && !a.startsWith('xmlns')) {
          sink.error(attributePosition(el, a), `unknown attribute '${a}' on <${el.name}>${hint(a, allowed)}`, 'unknown-attribute');
        }
      }
    }
    const kids = CHILDREN[el.name] ?? [];
    for (const c of el.children) {
      if (c.kind === 'text') {
        if (el.name !== 'description' && c.text.trim() !== '') sink.error(c.position, `unexpected text inside <${el.name}>`, 'unexpected-text');
        continue;
      }
      if (!kids.includes(c.name)) {
        sink.error(c.position, `<${c.name}> is not allowed inside <${el.name}>${hint(c.name, kids)}`, 'unknown-element');
        continue;
      }
      this.checkElement(c, sink);
    }
  }

  private origin(sink: DiagnosticSink, at: SourcePosition): SourceRef {
    return { file: sink.file, line: at.line, col: at.col };
  }

  private bool(el: XmlElement, attr: string, sink: DiagnosticSink, dflt: boolean): boolean {
    const v = el.attributes[attr];
    if (v === undefined) return dflt;
    if (v === 'true') return true;
    if (v === 'false') return false;
    sink.error(attributePosition(el, attr), `${attr} must be true or false, not '${v}'`, 'bad-boolean');
    return dflt;
  }

  private sqlName(el: XmlElement, attr: string, sink: DiagnosticSink, dflt: string, re = SQL_NAME): string {
    const v = el.attributes[attr];
    if (v === undefined) return dflt;
    if (!re.test(v) || v.length > 63) {
      sink.error(attributePosition(el, attr), `${attr} '${v}' is not a valid SQL name (letters, digits, _ and $, at most 63 characters)`, 'bad-name');
      return dflt;
    }
    return v;
  }

  private name(el: XmlElement, sink: DiagnosticSink): string | undefined {
    const v = el.attributes['name'];
    if (v === undefined) {
      sink.error(el.position, `<${el.name}> needs a name attribute`, 'missing-attribute');
      return undefined;
    }
    if (!NAME.test(v) || v.length > 63) {
      sink.error(attributePosition(el, 'name'), `name '${v}' must start with a letter and hold only letters, digits and _`, 'bad-name');
      return undefined;
    }
    return v;
  }

  private stableId(el: XmlElement, sink: DiagnosticSink): string | undefined {
    const v = el.attributes['id'];
    if (v !== undefined && !ID.test(v)) {
      sink.error(attributePosition(el, 'id'), `id '${v}' may hold only letters, digits, _ . : and -`, 'bad-id');
      return undefined;
    }
    return v;
  }

  private list(text: string | undefined): string[] {
    return (text ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  private readObject(el: XmlElement, sink: DiagnosticSink): void {
    const name = this.name(el, sink);
    if (name === undefined) return;
    if (this.drafts.has(name)) {
      const prev = this.drafts.get(name) as ObjectDraft;
      sink.error(
        attributePosition(el, 'name'),
        `duplicate object '${name}' (first declared at ${prev.origin.file}:${prev.origin.line}:${prev.origin.col}); use <extend object="${name}"> to add to it`,
        'duplicate-object',
      );
      return;
    }
    const draft: ObjectDraft = {
      name,
      id: this.stableId(el, sink),
      label: el.attributes['label'] ?? name,
      table: this.sqlName(el, 'table', sink, snakeCase(name), TABLE_NAME),
      managed: this.bool(el, 'managed', sink, true),
      softDeleteColumn: undefined,
      versionColumn: undefined,
      key: [],
      uniques: [],
      businessKey: undefined,
      fields: [],
      relations: [],
      rules: [],
      keyEl: undefined,
      keyFieldsText: undefined,
      uniqueEls: [],
      businessKeyText: el.attributes['businessKey'],
      searchable: this.bool(el, 'searchable', sink, false),
      nameFieldsText: el.attributes['nameFields'],
      nameFields: [],
      origin: this.origin(sink, el.position),
      el,
      sink,
      rulesResolved: [],
      auditedDefault: false,
    };
    if (this.bool(el, 'softDelete', sink, false) || el.attributes['softDeleteColumn'] !== undefined) {
      draft.softDeleteColumn = this.sqlName(el, 'softDeleteColumn', sink, 'deleted_at');
    }
    if (this.bool(el, 'version', sink, false) || el.attributes['versionColumn'] !== undefined) {
      draft.versionColumn = this.sqlName(el, 'versionColumn', sink, 'version');
    }
    draft.auditedDefault = this.bool(el, 'audited', sink, false);
    this.drafts.set(name, draft);
    const keys = childElements(el, 'key');
    if (keys.length > 1) sink.error((keys[1] as XmlElement).position, `${name} has more than one <key>`, 'duplicate-key');
    if (keys[0]) {
      draft.keyEl = keys[0];
      draft.keyFieldsText = keys[0].attributes['fields'];
      if (draft.keyFieldsText === undefined) sink.error(keys[0].position, '<key> needs a fields attribute', 'missing-attribute');
    }
    for (const c of childElements(el)) this.readMember(draft, c, sink);
  }

  private readMember(draft: ObjectDraft, c: XmlElement, sink: DiagnosticSink): void {
    switch (c.name) {
      case 'field': {
        const f = this.readField(c, sink, draft.auditedDefault, false);
        if (!f) return;
        if (draft.fields.some((x) => x.name === f.name) || draft.relations.some((r) => r.name === f.name)) {
          sink.error(attributePosition(c, 'name'), `duplicate field '${f.name}' in ${draft.name}`, 'duplicate-field');
          return;
        }
        draft.fields.push(f);
        return;
      }
      case 'relation':
        this.readRelation(draft, c, sink);
        return;
      case 'rule':
        draft.rules.push({ el: c, sink });
        return;
      case 'unique':
        draft.uniqueEls.push({ el: c, sink });
        return;
      default:
        return;
    }
  }

  private readField(el: XmlElement, sink: DiagnosticSink, auditedDefault: boolean, link: boolean): Mutable<FieldDef> | undefined {
    const name = this.name(el, sink);
    const typeText = el.attributes['type'];
    if (typeText === undefined) sink.error(el.position, `field '${name ?? '?'}' needs a type attribute`, 'missing-attribute');
    else if (!FIELD_TYPES.includes(typeText as FieldType)) {
      sink.error(attributePosition(el, 'type'), `unknown type '${typeText}'${hint(typeText, FIELD_TYPES)}; the types are ${FIELD_TYPES.join(', ')}`, 'unknown-type');
    }
    if (name === undefined || typeText === undefined || !FIELD_TYPES.includes(typeText as FieldType)) return undefined;
    const type = typeText as FieldType;
    const at = (a: string): SourcePosition => attributePosition(el, a);
    if (link && (type === 'id' || el.attributes['computed'] !== undefined)) {
      sink.error(el.position, `a link field cannot be of type id or computed`, 'bad-link-field');
    }
    const intAttr = (a: string): number | undefined => {
      const v = el.attributes[a];
      if (v === undefined) return undefined;
      if (!/^\d{1,9}$/.test(v) || Number(v) === 0) {
        sink.error(at(a), `${a} must be a positive whole number, not '${v}'`, 'bad-number');
        return undefined;
      }
      return Number(v);
    };
    const onlyFor = (a: string, ok: boolean, what: string): void => {
      if (el.attributes[a] !== undefined && !ok) sink.error(at(a), `${a} applies only to ${what} fields, not to ${type}`, 'misplaced-attribute');
    };
    onlyFor('length', isTextual(type) && type !== 'text', 'string, email, phone and enum');
    onlyFor('precision', type === 'decimal', 'decimal');
    onlyFor('scale', type === 'decimal', 'decimal');
    onlyFor('pattern', isTextual(type), 'text');
    onlyFor('currency', type === 'money', 'money');
    onlyFor('currencyColumn', type === 'money', 'money');
    onlyFor('store', el.attributes['computed'] !== undefined, 'computed');
    const column = this.sqlName(el, 'column', sink, snakeCase(name));
    const f: Mutable<FieldDef> = {
      name,
      id: this.stableId(el, sink),
      type,
      column,
      label: el.attributes['label'] ?? name,
      required: this.bool(el, 'required', sink, false),
      unique: this.bool(el, 'unique', sink, false),
      length: intAttr('length') ?? defaultLength(type),
      precision: type === 'decimal' ? (intAttr('precision') ?? 15) : undefined,
      scale: type === 'decimal' ? (el.attributes['scale'] === '0' ? 0 : (intAttr('scale') ?? 2)) : undefined,
      min: undefined,
      max: undefined,
      pattern: undefined,
      defaultValue: undefined,
      searchable: this.bool(el, 'searchable', sink, false),
      audited: this.bool(el, 'audited', sink, auditedDefault),
      options: [],
      currency: undefined,
      currencyColumn: undefined,
      computed: undefined,
      stored: this.bool(el, 'store', sink, false),
      generated: false,
      origin: this.origin(sink, el.position),
    };
    if (f.precision !== undefined && f.scale !== undefined && f.scale > f.precision) {
      sink.error(at('scale'), `scale ${f.scale} is larger than precision ${f.precision}`, 'bad-number');
    }
    if (f.searchable && !isTextual(type)) sink.error(at('searchable'), `only text fields can be searchable, not ${type}`, 'misplaced-attribute');
    if (type === 'money') {
      const cur = el.attributes['currency'];
      if (cur !== undefined && !/^[A-Z]{3}$/.test(cur)) sink.error(at('currency'), `currency '${cur}' must be a 3-letter ISO 4217 code such as EUR`, 'bad-currency');
      f.currency = cur;
      if (cur === undefined) f.currencyColumn = this.sqlName(el, 'currencyColumn', sink, `${column}_currency`);
      else if (el.attributes['currencyColumn'] !== undefined) sink.error(at('currencyColumn'), 'a money field with a fixed currency has no currency column', 'misplaced-attribute');
    }
    for (const bound of ['min', 'max'] as const) {
      const v = el.attributes[bound];
      if (v === undefined) continue;
      if (type === 'date' || type === 'datetime') {
        if (!/^\d{4}-\d{2}-\d{2}/.test(v)) sink.error(at(bound), `${bound} of a ${type} field must be a date YYYY-MM-DD`, 'bad-bound');
        else f[bound] = v;
      } else if (isTextual(type) || type === 'integer' || type === 'decimal' || type === 'money' || type === 'id') {
        if (!/^[+-]?\d+(\.\d+)?$/.test(v)) sink.error(at(bound), `${bound} must be a number, not '${v}'`, 'bad-bound');
        else f[bound] = Number(v);
      } else sink.error(at(bound), `${bound} does not apply to ${type} fields`, 'misplaced-attribute');
    }
    if (f.min !== undefined && f.max !== undefined && f.min > f.max) sink.error(at('min'), `min ${String(f.min)} is larger than max ${String(f.max)}`, 'bad-bound');
    const pattern = el.attributes['pattern'];
    if (pattern !== undefined) {
      try {
        new RegExp(`^(?:${pattern})$`, 'u');
        f.pattern = pattern;
      } catch (err) {
        sink.error(at('pattern'), `pattern is not a valid regular expression: ${(err as Error).message}`, 'bad-pattern');
      }
    }
    for (const o of childElements(el, 'option')) this.addOption(f, o, sink);
    if (type === 'enum' && childElements(el, 'option').length === 0) {
      sink.error(el.position, `enum field '${name}' needs at least one <option>`, 'enum-without-options');
    }
    if (type !== 'enum' && childElements(el, 'option').length > 0) {
      sink.error((childElements(el, 'option')[0] as XmlElement).position, `<option> applies only to enum fields, not to ${type}`, 'misplaced-option');
    }
    const computed = el.attributes['computed'];
    if (computed !== undefined) {
      f.computed = this.expression(el, 'computed', sink);
      if (el.attributes['default'] !== undefined) sink.error(at('default'), 'a computed field has no default', 'misplaced-attribute');
      if (type === 'id') sink.error(at('computed'), 'a field of type id cannot be computed', 'misplaced-attribute');
    }
    const dflt = el.attributes['default'];
    if (dflt !== undefined && computed === undefined) {
      if (type === 'id') sink.error(at('default'), 'a field of type id is generated and has no default', 'misplaced-attribute');
      else {
        const c = coerceText(f, dflt);
        if (!c.ok) sink.error(at('default'), `default '${dflt}' ${c.message}`, 'bad-default');
        else if (type === 'enum' && !f.options.some((o) => o.value === c.value)) {
          sink.error(at('default'), `default '${dflt}' is not one of the options`, 'bad-default');
        } else f.defaultValue = c.value;
      }
    }
    return f;
  }

  private addOption(f: Mutable<FieldDef>, o: XmlElement, sink: DiagnosticSink): void {
    const value = o.attributes['value'];
    if (value === undefined || value === '') {
      sink.error(o.position, '<option> needs a non-empty value', 'missing-attribute');
      return;
    }
    if (f.options.some((x) => x.value === value)) {
      sink.error(attributePosition(o, 'value'), `duplicate option '${value}' in ${f.name}`, 'duplicate-option');
      return;
    }
    if (f.length !== undefined && value.length > f.length) sink.error(attributePosition(o, 'value'), `option '${value}' is longer than the field's length ${f.length}`, 'bad-option');
    (f.options as EnumOption[]).push({ value, label: o.attributes['label'] ?? value });
  }

  private expression(el: XmlElement, attr: string, sink: DiagnosticSink): CompiledExpression | undefined {
    const src = el.attributes[attr] as string;
    try {
      return parseExpression(src);
    } catch (err) {
      if (err instanceof ExpressionSyntaxError) {
        sink.error(this.exprPosition(el, attr, err.at), `${attr}: ${err.message} (at character ${err.at + 1} of the expression)`, 'bad-expression');
        return undefined;
      }
      throw err;
    }
  }

  private exprPosition(el: XmlElement, attr: string, at: number): SourcePosition {
    const p = attributePosition(el, attr);
    return { line: p.line, col: p.col + attr.length + 2 + at, offset: p.offset + attr.length + 2 + at };
  }

  private readRelation(draft: ObjectDraft, el: XmlElement, sink: DiagnosticSink): void {
    const name = this.name(el, sink);
    if (name === undefined) return;
    if (draft.fields.some((x) => x.name === name) || draft.relations.some((r) => r.name === name)) {
      sink.error(attributePosition(el, 'name'), `duplicate member '${name}' in ${draft.name}`, 'duplicate-field');
      return;
    }
    const kindText = el.attributes['kind'];
    if (kindText === undefined || !KINDS.includes(kindText as RelationKind)) {
      sink.error(
        kindText === undefined ? el.position : attributePosition(el, 'kind'),
        kindText === undefined ? `relation '${name}' needs a kind (${KINDS.join(', ')})` : `unknown relation kind '${kindText}'${hint(kindText, KINDS)}`,
        kindText === undefined ? 'missing-attribute' : 'unknown-kind',
      );
      return;
    }
    const target = el.attributes['target'];
    if (target === undefined) {
      sink.error(el.position, `relation '${name}' needs a target object`, 'missing-attribute');
      return;
    }
    const kind = kindText as RelationKind;
    const allowedAttrs: Record<RelationKind, string[]> = {
      'many-to-one': ['fields', 'required'],
      'one-to-many': ['inverse'],
      'many-to-many': ['through', 'sourceColumns', 'targetColumns', 'managed'],
    };
    for (const a of ['fields', 'required', 'inverse', 'through', 'sourceColumns', 'targetColumns', 'managed']) {
      if (el.attributes[a] !== undefined && !allowedAttrs[kind].includes(a)) {
        sink.error(attributePosition(el, a), `${a} does not apply to a ${kind} relation`, 'misplaced-attribute');
      }
    }
    const linkEls = childElements(el, 'field');
    if (kind !== 'many-to-many' && linkEls.length > 0) sink.error((linkEls[0] as XmlElement).position, 'only many-to-many relations carry fields', 'misplaced-attribute');
    const linkFields: FieldDef[] = [];
    for (const lf of linkEls) {
      const f = this.readField(lf, sink, false, true);
      if (!f) continue;
      if (linkFields.some((x) => x.name === f.name)) sink.error(attributePosition(lf, 'name'), `duplicate link field '${f.name}'`, 'duplicate-field');
      else linkFields.push(f);
    }
    draft.relations.push({
      name,
      id: this.stableId(el, sink),
      kind,
      target,
      label: el.attributes['label'] ?? name,
      fields: this.list(el.attributes['fields']),
      inverse: el.attributes['inverse'],
      through: el.attributes['through'],
      sourceColumns: this.list(el.attributes['sourceColumns']),
      targetColumns: this.list(el.attributes['targetColumns']),
      linkFields,
      managed: this.bool(el, 'managed', sink, draft.managed),
      origin: this.origin(sink, el.position),
      el,
      sink,
      requiredAttr: this.bool(el, 'required', sink, false),
    });
  }

  private applyExtend(el: XmlElement, sink: DiagnosticSink): void {
    const name = el.attributes['object'];
    if (name === undefined) {
      sink.error(el.position, '<extend> needs an object attribute', 'missing-attribute');
      return;
    }
    const draft = this.drafts.get(name);
    if (!draft) {
      sink.error(attributePosition(el, 'object'), `cannot extend unknown object '${name}'${hint(name, [...this.drafts.keys()])}`, 'unknown-object');
      return;
    }
    for (const c of childElements(el)) {
      if (c.name === 'options') {
        const fname = c.attributes['field'];
        const f = draft.fields.find((x) => x.name === fname);
        if (!f || f.type !== 'enum') {
          sink.error(attributePosition(c, 'field'), `${name} has no enum field '${fname ?? ''}' to add options to`, 'unknown-field');
          continue;
        }
        for (const o of childElements(c, 'option')) this.addOption(f, o, sink);
      } else this.readMember(draft, c, sink);
    }
  }

  private fieldList(d: ObjectDraft, text: string, el: XmlElement, attr: string, sink: DiagnosticSink, what: string): string[] | undefined {
    const names = this.list(text);
    if (names.length === 0) {
      sink.error(attributePosition(el, attr), `${what} lists no fields`, 'missing-attribute');
      return undefined;
    }
    let okAll = true;
    for (const n of names) {
      if (!d.fields.some((f) => f.name === n)) {
        sink.error(attributePosition(el, attr), `${what}: ${d.name} has no field '${n}'${hint(n, d.fields.map((f) => f.name))}`, 'unknown-field');
        okAll = false;
      }
    }
    if (new Set(names).size !== names.length) {
      sink.error(attributePosition(el, attr), `${what} lists a field twice`, 'duplicate-field');
      okAll = false;
    }
    return okAll ? names : undefined;
  }

  private resolveKey(d: ObjectDraft): void {
    const { sink } = d;
    if (d.keyEl && d.keyFieldsText !== undefined) {
      const names = this.fieldList(d, d.keyFieldsText, d.keyEl, 'fields', sink, `key of ${d.name}`);
      if (names) d.key = names;
    } else if (!d.keyEl) {
      const ids = d.fields.filter((f) => f.type === 'id');
      if (ids.length === 1) d.key = [(ids[0] as FieldDef).name];
      else if (ids.length === 0) {
        sink.error(d.el.position, `${d.name} has no key: add a field of type id or <key fields="…"/>`, 'missing-key');
      } else sink.error(d.el.position, `${d.name} has several id fields: declare which is the key with <key fields="…"/>`, 'missing-key');
    }
    for (const k of d.key) {
      const f = d.fields.find((x) => x.name === k) as Mutable<FieldDef>;
      if (f.computed || f.type === 'json' || f.type === 'money') {
        sink.error(d.keyEl?.position ?? d.el.position, `key field '${k}' cannot be ${f.computed ? 'computed' : f.type}`, 'bad-key');
      }
      f.required = true;
    }
    if (d.key.length === 1) {
      const f = d.fields.find((x) => x.name === d.key[0]) as Mutable<FieldDef>;
      if (f.type === 'id') f.generated = true;
    }
  }

  private resolveRelations(d: ObjectDraft): void {
    for (const r of d.relations) {
      const { el, sink } = r;
      const target = this.drafts.get(r.target);
      if (!target) {
        sink.error(attributePosition(el, 'target'), `unknown relation target '${r.target}'${hint(r.target, [...this.drafts.keys()])}`, 'unknown-target');
        continue;
      }
      if (target.key.length === 0) continue;
      const targetKey = target.key.map((k) => target.fields.find((f) => f.name === k) as FieldDef);
      if (r.kind === 'many-to-one') {
        if (r.fields.length === 0) {
          // Implicit foreign key: one field per target key field, typed like it.
          for (const tk of targetKey) {
            const fname = target.key.length === 1 ? `${r.name}Id` : `${r.name}${tk.name[0]?.toUpperCase() ?? ''}${tk.name.slice(1)}`;
            if (!d.fields.some((f) => f.name === fname)) {
              d.fields.push({
                ...tk,
                options: [...tk.options],
                name: fname,
                id: r.id === undefined ? undefined : `${r.id}.fk.${tk.name}`,
                type: tk.type === 'id' ? 'integer' : tk.type,
                column: snakeCase(fname),
                label: `${r.label} (${tk.label})`,
                required: r.requiredAttr,
                unique: false,
                searchable: false,
                audited: false,
                computed: undefined,
                stored: false,
                generated: false,
                defaultValue: undefined,
                origin: r.origin,
              });
            }
            r.fields.push(fname);
          }
        } else {
          if (r.fields.length !== targetKey.length) {
            sink.error(attributePosition(el, 'fields'), `${r.name} lists ${r.fields.length} field(s) but the key of ${target.name} has ${targetKey.length}`, 'key-mismatch');
            continue;
          }
          r.fields.forEach((fn, i) => {
            const f = d.fields.find((x) => x.name === fn);
            const tk = targetKey[i] as FieldDef;
            if (!f) sink.error(attributePosition(el, 'fields'), `${d.name} has no field '${fn}'${hint(fn, d.fields.map((x) => x.name))}`, 'unknown-field');
            else if (!compatible(f.type, tk.type)) {
              sink.error(attributePosition(el, 'fields'), `field '${fn}' (${f.type}) cannot hold the key '${tk.name}' (${tk.type}) of ${target.name}`, 'key-mismatch');
            } else if (r.requiredAttr) (f as Mutable<FieldDef>).required = true;
          });
        }
      } else if (r.kind === 'one-to-many') {
        if (r.inverse === undefined) {
          sink.error(el.position, `one-to-many relation '${r.name}' needs inverse: the many-to-one relation of ${target.name} that points back`, 'missing-attribute');
          continue;
        }
        const inv = target.relations.find((x) => x.name === r.inverse);
        if (!inv || inv.kind !== 'many-to-one' || inv.target !== d.name) {
          sink.error(attributePosition(el, 'inverse'), `${target.name} has no many-to-one relation '${r.inverse}' to ${d.name}`, 'bad-inverse');
        }
      } else {
        const ownKey = d.key.map((k) => d.fields.find((f) => f.name === k) as FieldDef);
        if (ownKey.length === 0) continue;
        r.through = r.through ?? `${snakeCase(d.name)}_${snakeCase(r.name)}`;
        if (!TABLE_NAME.test(r.through)) sink.error(attributePosition(el, 'through'), `through '${r.through}' is not a valid table name`, 'bad-name');
        const defaults = (obj: string, key: FieldDef[]): string[] => key.map((k) => (key.length === 1 ? `${snakeCase(obj)}_id` : `${snakeCase(obj)}_${k.column}`));
        if (r.sourceColumns.length === 0) r.sourceColumns = defaults(d.name, ownKey);
        if (r.targetColumns.length === 0) r.targetColumns = defaults(target.name === d.name ? `related_${target.name}` : target.name, targetKey);
        if (r.sourceColumns.length !== ownKey.length) sink.error(attributePosition(el, 'sourceColumns'), `sourceColumns must name ${ownKey.length} column(s), one per key field of ${d.name}`, 'key-mismatch');
        if (r.targetColumns.length !== targetKey.length) sink.error(attributePosition(el, 'targetColumns'), `targetColumns must name ${targetKey.length} column(s), one per key field of ${target.name}`, 'key-mismatch');
        const cols = [...r.sourceColumns, ...r.targetColumns, ...r.linkFields.map((f) => f.column)];
        for (const c of cols) if (!SQL_NAME.test(c)) sink.error(el.position, `'${c}' is not a valid column name`, 'bad-name');
        if (new Set(cols).size !== cols.length) sink.error(el.position, `the join table ${r.through} would have two columns of the same name; set sourceColumns and targetColumns`, 'duplicate-column');
      }
    }
  }

  private resolveRest(d: ObjectDraft): void {
    const { sink } = d;
    const names = new Set(d.fields.map((f) => f.name));
    // Columns must be distinct.
    const cols = new Map<string, string>();
    const claim = (col: string, who: string, at: SourceRef): void => {
      const prev = cols.get(col);
      if (prev !== undefined) this.extraDiagnostics.push(new XmlDiagnostic(at.file, at.line, at.col, 'error', `column '${col}' of ${d.table} is used by both ${prev} and ${who}`, 'duplicate-column'));
      else cols.set(col, who);
    };
    for (const f of d.fields) {
      if (f.computed && !f.stored) continue;
      claim(f.column, f.name, f.origin);
      if (f.currencyColumn) claim(f.currencyColumn, `${f.name} (currency)`, f.origin);
    }
    if (d.versionColumn) claim(d.versionColumn, 'the version', d.origin);
    if (d.softDeleteColumn) claim(d.softDeleteColumn, 'the soft-delete mark', d.origin);
    // Ids unique within the object.
    const ids = new Map<string, string>();
    for (const m of [...d.fields, ...d.relations]) {
      if (m.id === undefined) continue;
      if (ids.has(m.id)) this.extraDiagnostics.push(new XmlDiagnostic(m.origin.file, m.origin.line, m.origin.col, 'error', `id '${m.id}' is used by both ${ids.get(m.id) as string} and ${m.name}`, 'duplicate-id'));
      else ids.set(m.id, m.name);
    }
    for (const f of d.fields) {
      if (!f.computed) continue;
      for (const p of checkExpression(f.computed, names)) {
        this.extraDiagnostics.push(new XmlDiagnostic(f.origin.file, f.origin.line, f.origin.col, 'error', `computed field ${f.name}: ${p.message}`, 'bad-expression'));
      }
    }
    this.checkComputedCycles(d);
    for (const { el, sink: s } of d.uniqueEls) {
      const fl = el.attributes['fields'];
      if (fl === undefined) {
        s.error(el.position, '<unique> needs a fields attribute', 'missing-attribute');
        continue;
      }
      const list = this.fieldList(d, fl, el, 'fields', s, `unique of ${d.name}`);
      if (list) d.uniques.push(list);
    }
    if (d.businessKeyText !== undefined) {
      const list = this.fieldList(d, d.businessKeyText, d.el, 'businessKey', sink, `businessKey of ${d.name}`);
      if (list) {
        const isKey = sameSet(list, d.key);
        const isUnique = (list.length === 1 && d.fields.find((f) => f.name === list[0])?.unique) || d.uniques.some((u) => sameSet(u, list));
        if (!isKey && !isUnique) {
          sink.error(attributePosition(d.el, 'businessKey'), `businessKey ${list.join(',')} must be the key or declared unique (unique="true" or <unique fields="…"/>)`, 'business-key-not-unique');
        }
        d.businessKey = list;
      }
    }
    this.resolveSearch(d, names);
    const rules: RuleDef[] = [];
    const ruleNames = new Set<string>();
    for (const { el, sink: s } of d.rules) {
      const name = this.name(el, s);
      const assert = el.attributes['assert'];
      const message = el.attributes['message'];
      if (assert === undefined) s.error(el.position, `rule '${name ?? '?'}' needs an assert expression`, 'missing-attribute');
      if (message === undefined) s.error(el.position, `rule '${name ?? '?'}' needs a message`, 'missing-attribute');
      if (name === undefined || assert === undefined || message === undefined) continue;
      if (ruleNames.has(name)) s.error(attributePosition(el, 'name'), `duplicate rule '${name}' in ${d.name}`, 'duplicate-rule');
      ruleNames.add(name);
      const field = el.attributes['field'];
      if (field !== undefined && !names.has(field)) s.error(attributePosition(el, 'field'), `${d.name} has no field '${field}'${hint(field, [...names])}`, 'unknown-field');
      const a = this.expression(el, 'assert', s);
      const w = el.attributes['when'] === undefined ? undefined : this.expression(el, 'when', s);
      for (const [attr, e] of [['assert', a], ['when', w]] as const) {
        if (!e) continue;
        for (const p of checkExpression(e, names)) s.error(this.exprPosition(el, attr, p.at), `rule '${name}': ${attr}: ${p.message}`, 'bad-expression');
      }
      if (a) rules.push({ name, when: w, assert: a, message, field, origin: this.origin(s, el.position) });
    }
    d.rulesResolved = rules;
  }

  /** nameFields (explicit or by convention) and the searchable marker of an object. */
  private resolveSearch(d: ObjectDraft, names: ReadonlySet<string>): void {
    const textField = (n: string): boolean => {
      const f = d.fields.find((x) => x.name === n);
      return f !== undefined && (f.type === 'string' || f.type === 'text') && (!f.computed || f.stored);
    };
    if (d.nameFieldsText !== undefined) {
      const list = this.fieldList(d, d.nameFieldsText, d.el, 'nameFields', d.sink, `nameFields of ${d.name}`);
      if (list) {
        const bad = list.filter((n) => !textField(n));
        if (bad.length) d.sink.error(attributePosition(d.el, 'nameFields'), `nameFields: ${bad.join(', ')} must be stored string or text fields`, 'bad-name-fields');
        else d.nameFields = list;
      }
    } else if (names.has('name') && textField('name')) d.nameFields = ['name'];
    else if (textField('firstName') && textField('lastName')) d.nameFields = ['firstName', 'lastName'];
    if (d.searchable && !d.fields.some((f) => f.searchable && (!f.computed || f.stored))) {
      d.sink.error(attributePosition(d.el, 'searchable'), `${d.name} is searchable but has no searchable field: mark the fields to search with searchable="true"`, 'search-without-fields');
    }
  }

  private checkComputedCycles(d: ObjectDraft): void {
    const byName = new Map(d.fields.map((f) => [f.name, f]));
    const state = new Map<string, 1 | 2>();
    const visit = (f: Mutable<FieldDef>, path: string[]): void => {
      if (state.get(f.name) === 2 || !f.computed) return;
      if (state.get(f.name) === 1) {
        this.extraDiagnostics.push(new XmlDiagnostic(f.origin.file, f.origin.line, f.origin.col, 'error', `computed fields depend on each other in a circle: ${[...path, f.name].join(' → ')}`, 'computed-cycle'));
        return;
      }
      state.set(f.name, 1);
      for (const r of f.computed.references) {
        const g = byName.get(r);
        if (g) visit(g, [...path, f.name]);
      }
      state.set(f.name, 2);
    };
    for (const f of d.fields) visit(f, []);
  }

  private checkGlobal(): void {
    const tables = new Map<string, ObjectDraft>();
    const ids = new Map<string, string>();
    for (const d of this.drafts.values()) {
      const prev = tables.get(d.table.toLowerCase());
      if (prev) d.sink.error(attributePosition(d.el, 'table'), `${d.name} and ${prev.name} are both mapped onto table ${d.table}`, 'duplicate-table');
      else tables.set(d.table.toLowerCase(), d);
      if (d.id !== undefined) {
        if (ids.has(d.id)) d.sink.error(attributePosition(d.el, 'id'), `object id '${d.id}' is used by both ${ids.get(d.id) as string} and ${d.name}`, 'duplicate-id');
        else ids.set(d.id, d.name);
      }
    }
    for (const d of this.drafts.values()) {
      for (const r of d.relations) {
        if (r.kind !== 'many-to-many' || r.through === undefined) continue;
        const clash = tables.get(r.through.toLowerCase());
        if (clash) r.sink.error(r.el.position, `join table ${r.through} of ${d.name}.${r.name} is also the table of ${clash.name}`, 'duplicate-table');
      }
    }
  }
}

function compatible(a: FieldType, b: FieldType): boolean {
  const norm = (t: FieldType): string => (t === 'id' ? 'integer' : isTextual(t) ? 'string' : t);
  return norm(a) === norm(b);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Reads and validates a model. Returns the model when there is no error; warnings may come with it.
 * @param text the XML text.
 * @param file the name used in diagnostics and to resolve imports.
 * @param options a loader for `<import file>`.
 */
export function readModel(text: string, file: string, options: ReadModelOptions = {}): ModelReadResult {
  return new Reader(options).read(text, file);
}

/** The description text of an element (for tools that show it). */
export function descriptionOf(el: XmlElement): string | undefined {
  const d = childElements(el, 'description')[0];
  return d ? textContent(d) : undefined;
}
