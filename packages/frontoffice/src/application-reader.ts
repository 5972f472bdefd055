/**
 * Reads an application definition (dtd/application.dtd) and checks it against a business-object
 * model and, when given, the ids of the dialogue scripts: every problem is a diagnostic printed as
 * `file:line:col: error: message`.
 */
import { readFileSync } from 'node:fs';
import { attributePosition, childElements, compileExpression, DiagnosticSink, didYouMean, ExpressionError, parseXml, textContent, type XmlDiagnostic, type XmlElement } from '@caruso/kernel';
import { findField, findObject, findRelation, type FieldDef, type Model, type ObjectDef } from '@caruso/objects';
import {
  BUILTIN_VIEWS,
  FILTER_OPS,
  OBJECT_ACTIONS,
  ROLES,
  REPORT_PERIODS,
  WIDGET_KINDS,
  type Application,
  type Condition,
  type Dashboard,
  type ReportPeriod,
  type Desktop,
  type FilterOp,
  type Grant,
  type ListView,
  type Navigation,
  type ObjectAction,
  type RecordView,
  type RoleDef,
  type RoleName,
  type SavedFilter,
  type ScreenPop,
  type Identify,
  type IdentifyField,
  type SelfService,
  type Widget,
  type WidgetKind,
  type FollowUpRule,
} from './common/application.js';
import { isoDurationMs } from './follow-ups.js';
import { i18nLanguages } from './api-admin.js';
import { FrontOfficeErrors } from './errors.js';

/** What the definition is checked against. */
export interface ApplicationContext {
  readonly model: Model;
  /** The ids of the dialogue scripts that exist; unchecked when absent. */
  readonly scripts?: ReadonlySet<string>;
  /**
   * Per script id, the fetches and actions that need an identified visitor on the web (the dialogue
   * engine's `ScriptInfo.identifiedDataAccess`): a self-service page running such a script needs the
   * application's `<identify>`. Unchecked when absent (the page then refuses to start at run time).
   */
  readonly identifiedDataAccess?: ReadonlyMap<string, readonly string[]>;
  /**
   * The names of the monitor's reports; when absent a report widget's name is only checked for its
   * form, and an unknown one shows its error in the widget at run time.
   */
  readonly reports?: ReadonlySet<string>;
  /**
   * The queues of the communication server (the assembly's `<queue id>`): every queue the
   * definition names (a desktop script's, a self-service page's, a follow-up's) must be one of them.
   * Unchecked when absent.
   */
  readonly queues?: ReadonlySet<string>;
  /**
   * The variables the dialogue scripts declare or collect: a `<screenpop by="field" var>` naming
   * none of them gets a warning (with a suggestion). Unchecked when absent.
   */
  readonly variables?: ReadonlySet<string>;
  /** The languages the front office has texts for; default: the `assets/i18n/*.json` files of this package. */
  readonly languages?: ReadonlySet<string>;
}

export interface ApplicationReadResult {
  /** The definition, when there is no error. */
  readonly application: Application | undefined;
  readonly diagnostics: XmlDiagnostic[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** A dialogue script's variable name. */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SCREEN_POP_BY = ['phone', 'email', 'field'] as const;
const REPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A template's placeholder: `{{name}}` or `{{name.part}}`, spaces allowed inside the braces. */
export const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}/g;
const TEXT_TYPES = new Set(['string', 'text', 'enum', 'email', 'phone']);

/** Children each element may have (mirrors dtd/application.dtd). */
const CHILDREN: Readonly<Record<string, readonly string[]>> = {
  application: ['description', 'role', 'navigation', 'list', 'record', 'desktop', 'identify', 'selfservice', 'dashboard', 'followup'],
  followup: [],
  role: ['grant'],
  grant: [],
  navigation: ['item'],
  item: [],
  list: ['column', 'filter'],
  column: [],
  filter: ['condition'],
  condition: [],
  record: ['section', 'related', 'timeline'],
  section: ['field'],
  field: [],
  related: [],
  timeline: [],
  desktop: ['screenpop', 'script', 'wrapup', 'pause', 'reply', 'emailtemplate'],
  screenpop: [],
  script: ['write'],
  write: [],
  wrapup: [],
  pause: [],
  reply: [],
  emailtemplate: [],
  identify: [],
  selfservice: [],
  dashboard: ['widget'],
  widget: [],
  description: [],
};

/** Attributes each element accepts; the first list is required. */
const ATTRIBUTES: Readonly<Record<string, readonly [readonly string[], readonly string[]]>> = {
  application: [['name', 'model'], ['lang']],
  role: [['name'], []],
  grant: [['object'], ['actions', 'fields', 'readonly']],
  navigation: [['role'], []],
  item: [['view'], ['label']],
  list: [['name', 'object'], ['label', 'sort', 'pageSize', 'search', 'record']],
  column: [['field'], ['label']],
  filter: [['name'], ['label']],
  condition: [['field'], ['op', 'value']],
  record: [['name', 'object'], ['label']],
  section: [['label'], []],
  field: [['name'], []],
  related: [['relation'], ['columns', 'label']],
  timeline: [[], []],
  desktop: [[], []],
  screenpop: [['object', 'by', 'field'], ['record', 'var']],
  script: [['queue', 'script'], []],
  write: [['var', 'field'], []],
  wrapup: [['code'], ['label']],
  pause: [['code'], ['label']],
  reply: [['id'], ['label']],
  emailtemplate: [['id', 'subject'], ['label']],
  identify: [['object', 'by', 'verify'], ['code']],
  selfservice: [['name', 'script', 'queue'], ['label']],
  dashboard: [['name'], ['label', 'roles']],
  widget: [['kind'], ['label', 'report', 'period']],
  description: [[], []],
};

function list(text: string | undefined, sep: RegExp = /[\s,]+/): string[] {
  return (text ?? '').split(sep).map((s) => s.trim()).filter((s) => s !== '');
}

class ApplicationReader {
  private readonly sink: DiagnosticSink;
  private readonly unknownFields = new WeakMap<XmlElement, Set<string>>();

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly ctx: ApplicationContext,
  ) {
    this.sink = new DiagnosticSink(file);
  }

  run(): ApplicationReadResult {
    const parsed = parseXml(this.text, this.file, { maxLength: 4 * 1024 * 1024 });
    if (!parsed.root) return { application: undefined, diagnostics: parsed.diagnostics };
    const root = parsed.root;
    if (root.name !== 'application') {
      this.sink.error(root.position, `the root element must be <application>, not <${root.name}>`, 'bad-root');
      return { application: undefined, diagnostics: this.sink.sorted() };
    }
    this.structure(root);
    const app = this.application(root);
    return { application: this.sink.hasErrors ? undefined : app, diagnostics: this.sink.sorted() };
  }

  /** Elements and attributes the DTD allows; the content checks come after. */
  private structure(el: XmlElement): void {
    const allowed = CHILDREN[el.name];
    const attrs = ATTRIBUTES[el.name];
    if (attrs) {
      for (const a of attrs[0]) if (el.attributes[a] === undefined) this.sink.error(el.position, `<${el.name}> needs the attribute ${a}`, 'missing-attribute');
      for (const a of Object.keys(el.attributes)) {
        if (!attrs[0].includes(a) && !attrs[1].includes(a)) this.sink.error(attributePosition(el, a), `<${el.name}> has no attribute ${a}`, 'unknown-attribute');
      }
    }
    for (const c of childElements(el)) {
      if (!allowed?.includes(c.name)) {
        this.sink.error(c.position, `<${c.name}> is not allowed inside <${el.name}>`, 'unknown-element');
        continue;
      }
      this.structure(c);
    }
  }

  private object(el: XmlElement, attr = 'object'): ObjectDef | undefined {
    const name = el.attributes[attr];
    if (name === undefined) return undefined;
    const o = findObject(this.ctx.model, name);
    if (!o) {
      const near = didYouMean(name, this.ctx.model.objects.map((x) => x.name));
      this.sink.error(attributePosition(el, attr), near.startsWith('; did') ? `unknown object ${name}${near}` : `unknown object ${name}; the model ${this.ctx.model.name} has ${this.ctx.model.objects.map((x) => x.name).join(', ')}`, 'unknown-object');
    }
    return o;
  }

  private field(el: XmlElement, object: ObjectDef | undefined, name: string, attr: string): FieldDef | undefined {
    if (!object) return undefined;
    const f = findField(object, name);
    if (!f) {
      // A name an attribute repeats (a list of a million `a`) is said, and its suggestion looked for, once.
      const said = this.unknownFields.get(el) ?? new Set<string>();
      this.unknownFields.set(el, said);
      if (said.has(`${attr}\u0000${name}`)) return undefined;
      said.add(`${attr}\u0000${name}`);
      const near = didYouMean(name, object.fields.map((x) => x.name));
      this.sink.error(attributePosition(el, attr), `${object.name} has no field ${name}${near.startsWith('; did') ? near : ''}`, 'unknown-field');
    }
    return f;
  }

  private uniqueName(el: XmlElement, seen: Set<string>, what: string): string {
    const name = el.attributes['name'] ?? '';
    if (name !== '' && !NAME.test(name)) this.sink.error(attributePosition(el, 'name'), `${what} name ${name} must start with a letter and hold letters, digits, _ and -`, 'bad-name');
    if (seen.has(name)) this.sink.error(attributePosition(el, 'name'), `a ${what} named ${name} is declared twice`, 'duplicate');
    seen.add(name);
    return name;
  }

  private role(el: XmlElement, attr: string, value: string): RoleName | undefined {
    if ((ROLES as readonly string[]).includes(value)) return value as RoleName;
    this.sink.error(attributePosition(el, attr), `unknown role ${value}; roles are ${ROLES.join(', ')}`, 'unknown-role');
    return undefined;
  }

  private script(el: XmlElement, attr: string): string {
    const id = el.attributes[attr] ?? '';
    if (this.ctx.scripts && !this.ctx.scripts.has(id)) {
      this.sink.error(attributePosition(el, attr), `unknown dialogue script ${id}${didYouMean(id, this.ctx.scripts) || '; known: none'}`, 'unknown-script');
    }
    return id;
  }

  /** A queue the definition names: one of the communication server's, when they are known. */
  private queue(el: XmlElement, attr: string): string {
    const id = el.attributes[attr] ?? '';
    if (this.ctx.queues && !this.ctx.queues.has(id)) {
      this.sink.error(attributePosition(el, attr), `unknown queue ${id}${didYouMean(id, this.ctx.queues) || '; the assembly declares no queue'}`, 'unknown-queue');
    }
    return id;
  }

  /** The language of the pages: one the front office has texts for. */
  private language(root: XmlElement): string {
    const lang = root.attributes['lang'] ?? 'en';
    const known = this.ctx.languages ?? new Set(i18nLanguages());
    if (!known.has(lang)) {
      this.sink.error(attributePosition(root, 'lang'), `the front office has no texts in ${lang} (no assets/i18n/${lang}.json)${didYouMean(lang, known)}`, 'unknown-language');
    }
    return lang;
  }

  private application(root: XmlElement): Application {
    const modelName = root.attributes['model'] ?? '';
    if (modelName !== '' && modelName !== this.ctx.model.name) {
      this.sink.error(attributePosition(root, 'model'), `the application is written for the model ${modelName}, but the model given is ${this.ctx.model.name}`, 'wrong-model');
    }
    const roles: RoleDef[] = [];
    const seenRoles = new Set<string>();
    for (const el of childElements(root, 'role')) {
      const name = this.role(el, 'name', el.attributes['name'] ?? '');
      if (!name) continue;
      if (seenRoles.has(name)) this.sink.error(attributePosition(el, 'name'), `the role ${name} is declared twice`, 'duplicate');
      seenRoles.add(name);
      roles.push({ name, grants: childElements(el, 'grant').map((g) => this.grant(g, name)) });
    }
    const lists: ListView[] = [];
    const listNames = new Set<string>();
    const records: RecordView[] = [];
    const recordNames = new Set<string>();
    for (const el of childElements(root, 'record')) records.push(this.record(el, recordNames));
    for (const el of childElements(root, 'list')) lists.push(this.list(el, listNames, records));
    const dashboards: Dashboard[] = [];
    const dashNames = new Set<string>();
    for (const el of childElements(root, 'dashboard')) dashboards.push(this.dashboard(el, dashNames));
    const navigation: Navigation[] = [];
    for (const el of childElements(root, 'navigation')) {
      const role = this.role(el, 'role', el.attributes['role'] ?? '');
      const items = childElements(el, 'item').map((it) => {
        const view = it.attributes['view'] ?? '';
        if (!listNames.has(view) && !dashNames.has(view) && !BUILTIN_VIEWS.includes(view)) {
          this.sink.error(attributePosition(it, 'view'), `unknown view ${JSON.stringify(view)}: name a list, a dashboard, or one of ${BUILTIN_VIEWS.join(', ')}`, 'unknown-view');
        }
        const label = it.attributes['label'] ?? lists.find((l) => l.name === view)?.label ?? dashboards.find((d) => d.name === view)?.label ?? view;
        return { view, label };
      });
      if (role) navigation.push({ role, items });
    }
    const desktops = childElements(root, 'desktop');
    for (const extra of desktops.slice(1)) this.sink.error(extra.position, 'only one <desktop> is allowed', 'duplicate');
    const desktop = desktops[0] ? this.desktop(desktops[0], records) : { screenPops: [], scripts: [], wrapUpCodes: [], pauseReasons: [], cannedReplies: [], emailTemplates: [] };
    const identifies = childElements(root, 'identify');
    for (const extra of identifies.slice(1)) this.sink.error(extra.position, 'only one <identify> is allowed', 'duplicate');
    const identify = identifies[0] ? this.identify(identifies[0]) : undefined;
    const selfService: SelfService[] = [];
    const ssNames = new Set<string>();
    for (const el of childElements(root, 'selfservice')) {
      const name = this.uniqueName(el, ssNames, 'self-service page');
      const script = this.script(el, 'script');
      const access = this.ctx.identifiedDataAccess?.get(script) ?? [];
      if (access.length > 0 && identifies.length === 0) {
        this.sink.error(attributePosition(el, 'script'), `self-service page ${name} runs ${script}, which reads or changes data on the web (${access.slice(0, 2).join(', ')}): declare <identify object by verify> so that visitors identify themselves first, or mark operations that concern no one's data anonymous="true" in the script`, 'identify-missing');
      }
      selfService.push({ name, script, queue: this.queue(el, 'queue'), label: el.attributes['label'] ?? name });
    }
    const followUps: FollowUpRule[] = [];
    const ruleNames = new Set<string>();
    for (const el of childElements(root, 'followup')) {
      const rule = this.followUp(el, ruleNames);
      if (rule) followUps.push(rule);
    }
    return {
      ...(followUps.length ? { followUps } : {}),
      name: root.attributes['name'] ?? '',
      model: modelName,
      lang: this.language(root),
      roles,
      navigation,
      lists,
      records,
      desktop,
      selfService,
      ...(identify ? { identify } : {}),
      dashboards,
    };
  }

  /** `<followup object when after title kind queue|user>`: checked here, evaluated by follow-ups.ts. */
  private followUp(el: XmlElement, seen: Set<string>): FollowUpRule | undefined {
    const object = this.object(el);
    if (!object) {
      if (el.attributes['object'] === undefined) this.sink.error(el.position, 'a <followup> needs object="<object>"', 'missing-attribute');
      return undefined;
    }
    const name = el.attributes['name'] ?? `${object.name}:${el.position?.line ?? seen.size + 1}`;
    if (seen.has(name)) this.sink.error(attributePosition(el, 'name'), `a follow-up named ${name} is declared twice`, 'duplicate');
    seen.add(name);
    const source = el.attributes['when'] ?? '';
    let when: FollowUpRule['when'] | undefined;
    if (source.trim() === '') this.sink.error(el.position, 'a <followup> needs when="<condition>", e.g. when="status == \'closed\'"', 'missing-attribute');
    else {
      try {
        const parsed = compileExpression(source, {
          resolveName: (path) => (path.length === 1 && findField(object, path[0] as string) ? undefined : `${object.name} has no field ${path.join('.')}`),
        });
        when = { source, ast: parsed.ast };
      } catch (err) {
        const msg = err instanceof ExpressionError ? `${err.message} (at character ${err.offset + 1} of the condition)` : (err as Error).message;
        this.sink.error(attributePosition(el, 'when'), `when: ${msg}`, 'bad-expression');
      }
    }
    const after = el.attributes['after'] ?? '';
    const afterMs = isoDurationMs(after);
    if (afterMs === undefined) this.sink.error(attributePosition(el, 'after'), `after must be an ISO 8601 duration in weeks, days, hours, minutes or seconds (P7D, PT4H), not ${after.slice(0, 40) || 'nothing'}`, 'bad-value');
    const title = el.attributes['title'] ?? '';
    if (title.trim() === '') this.sink.error(el.position, 'a <followup> needs title="…" (with {{field}} from the record)', 'missing-attribute');
    for (const m of title.matchAll(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g)) this.field(el, object, m[1] as string, 'title');
    const kind = el.attributes['kind'] ?? 'todo';
    if (kind !== 'todo' && kind !== 'call') this.sink.error(attributePosition(el, 'kind'), `kind is todo or call, not ${kind}`, 'bad-value');
    const queue = el.attributes['queue'] === undefined ? undefined : this.queue(el, 'queue');
    const user = el.attributes['user'];
    if ((queue === undefined) === (user === undefined)) this.sink.error(el.position, 'a <followup> names either queue="…" or user="…" (who gets the task)', 'missing-attribute');
    const hasPhone = (o: ObjectDef | undefined): boolean => o?.fields.some((f) => f.type === 'phone') === true;
    if (kind === 'call' && !hasPhone(object) && !object.relations.some((r) => r.kind === 'many-to-one' && hasPhone(findObject(this.ctx.model, r.target)))) {
      this.sink.error(attributePosition(el, 'kind'), `${object.name} has no phone field to call, nor a many-to-one relation to an object with one`, 'bad-value');
    }
    if (!when || afterMs === undefined || title.trim() === '') return undefined;
    return { name, object: object.name, when, afterMs, title, kind: kind === 'call' ? 'call' : 'todo', ...(queue !== undefined ? { queue } : {}), ...(user !== undefined ? { user } : {}) };
  }

  /** `<identify object by verify>`: a key field and a second factor of at least one other field. */
  private identify(el: XmlElement): Identify | undefined {
    const object = this.object(el);
    const textField = (name: string, attr: string): IdentifyField | undefined => {
      const f = this.field(el, object, name, attr);
      if (!f) return undefined;
      if (!TEXT_TYPES.has(f.type) && f.type !== 'integer') {
        this.sink.error(attributePosition(el, attr), `${f.name} is a ${f.type} field; a visitor identifies with text or number fields`, 'bad-field');
        return undefined;
      }
      return { name: f.name, label: f.label };
    };
    const byName = el.attributes['by'] ?? '';
    const by = textField(byName, 'by');
    const byDef = object ? findField(object, byName) : undefined;
    if (byDef && !byDef.unique && !(object?.uniques ?? []).some((u) => u.length === 1 && u[0] === byName)) {
      this.sink.error(attributePosition(el, 'by'), `${byName} is not unique in ${object?.name ?? ''}: a visitor must be found by a field that names one record`, 'bad-field');
    }
    const names = list(el.attributes['verify']);
    if (names.length === 0) this.sink.error(attributePosition(el, 'verify'), 'verify needs at least one field besides the key (e.g. verify="postcode houseNumber"): the second factor', 'bad-value');
    const verify: IdentifyField[] = [];
    for (const n of names) {
      if (n === byName) {
        this.sink.error(attributePosition(el, 'verify'), `${n} is the key itself; verify needs other fields`, 'bad-value');
        continue;
      }
      const f = textField(n, 'verify');
      if (f && !verify.some((v) => v.name === f.name)) verify.push(f);
    }
    let code: IdentifyField | undefined;
    const codeName = el.attributes['code'];
    if (codeName !== undefined) {
      const f = this.field(el, object, codeName, 'code');
      if (f && f.type !== 'email') this.sink.error(attributePosition(el, 'code'), `${f.name} is a ${f.type} field; the one-time code goes to an email field`, 'bad-field');
      else if (f) code = { name: f.name, label: f.label };
    }
    if (!object || !by || verify.length === 0) return undefined;
    return { object: object.name, by, verify, ...(code ? { code } : {}) };
  }

  private grant(el: XmlElement, role: RoleName): Grant {
    const object = this.object(el);
    const actions: ObjectAction[] = [];
    for (const a of list(el.attributes['actions'] ?? 'read')) {
      if ((OBJECT_ACTIONS as readonly string[]).includes(a)) actions.push(a as ObjectAction);
      else this.sink.error(attributePosition(el, 'actions'), `unknown action ${a}; actions are ${OBJECT_ACTIONS.join(', ')}`, 'unknown-action');
    }
    if (role === 'anonymous' && actions.length > 0) {
      this.sink.error(el.position, 'anonymous self-service visitors reach only their own script session; they cannot be granted objects', 'anonymous-grant');
    }
    const fieldsText = el.attributes['fields'] ?? '*';
    const fields = fieldsText.trim() === '*' ? '*' : list(fieldsText);
    if (fields !== '*') for (const f of fields) this.field(el, object, f, 'fields');
    const readonly = list(el.attributes['readonly']);
    for (const f of readonly) this.field(el, object, f, 'readonly');
    return { object: el.attributes['object'] ?? '', actions, fields, readonly };
  }

  private list(el: XmlElement, seen: Set<string>, records: readonly RecordView[]): ListView {
    const name = this.uniqueName(el, seen, 'list');
    const object = this.object(el);
    const columns = childElements(el, 'column').map((c) => {
      this.field(c, object, c.attributes['field'] ?? '', 'field');
      return { field: c.attributes['field'] ?? '', label: c.attributes['label'] };
    });
    if (columns.length === 0) this.sink.error(el.position, `the list ${name} needs at least one <column>`, 'no-columns');
    const sort = list(el.attributes['sort']);
    for (const s of sort) this.field(el, object, s.replace(/^-/, ''), 'sort');
    const pageSizeText = el.attributes['pageSize'] ?? '25';
    const pageSize = Number(pageSizeText);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
      this.sink.error(attributePosition(el, 'pageSize'), `pageSize must be a whole number from 1 to 500, not ${pageSizeText}`, 'bad-value');
    }
    const search = this.bool(el, 'search', true);
    if (search && object && !object.fields.some((f) => f.searchable)) {
      this.sink.warning(attributePosition(el, 'search'), `${object.name} has no searchable field: quick search finds nothing`, 'no-searchable');
    }
    const filterNames = new Set<string>();
    const filters: SavedFilter[] = childElements(el, 'filter').map((f) => ({
      name: this.uniqueName(f, filterNames, 'filter'),
      label: f.attributes['label'] ?? f.attributes['name'] ?? '',
      conditions: childElements(f, 'condition').map((c) => this.condition(c, object)),
    }));
    const record = el.attributes['record'] ?? records.find((r) => r.object === el.attributes['object'])?.name;
    if (el.attributes['record'] !== undefined && !records.some((r) => r.name === el.attributes['record'])) {
      this.sink.error(attributePosition(el, 'record'), `unknown record page ${el.attributes['record']}`, 'unknown-view');
    }
    return { name, object: el.attributes['object'] ?? '', label: el.attributes['label'] ?? object?.label ?? name, columns, sort, pageSize, search, filters, record };
  }

  private condition(el: XmlElement, object: ObjectDef | undefined): Condition {
    const field = el.attributes['field'] ?? '';
    const def = this.field(el, object, field, 'field');
    const op = (el.attributes['op'] ?? 'eq') as FilterOp;
    if (!FILTER_OPS.includes(op)) this.sink.error(attributePosition(el, 'op'), `unknown operator ${op}; operators are ${FILTER_OPS.join(', ')}`, 'unknown-operator');
    else if (def && ['contains', 'startsWith', 'endsWith'].includes(op) && !TEXT_TYPES.has(def.type)) {
      this.sink.error(attributePosition(el, 'op'), `${op} applies to text fields; ${field} is ${def.type}`, 'bad-operator');
    }
    if (def?.type === 'enum' && op === 'eq' && el.attributes['value'] !== undefined && !def.options.some((o) => o.value === el.attributes['value'])) {
      this.sink.error(attributePosition(el, 'value'), `${JSON.stringify(el.attributes['value'] ?? '')} is not an option of ${field} (${def.options.map((o) => o.value).join(', ')})`, 'bad-value');
    }
    return { field, op, value: el.attributes['value'] ?? '' };
  }

  private record(el: XmlElement, seen: Set<string>): RecordView {
    const name = this.uniqueName(el, seen, 'record page');
    const object = this.object(el);
    const sections = childElements(el, 'section').map((s) => ({
      label: s.attributes['label'] ?? '',
      fields: childElements(s, 'field').map((f) => {
        this.field(f, object, f.attributes['name'] ?? '', 'name');
        return f.attributes['name'] ?? '';
      }),
    }));
    const related = childElements(el, 'related').map((r) => {
      const relName = r.attributes['relation'] ?? '';
      const rel = object ? findRelation(object, relName) : undefined;
      if (object && !rel) this.sink.error(attributePosition(r, 'relation'), `${object.name} has no relation ${relName}`, 'unknown-relation');
      const target = rel ? findObject(this.ctx.model, rel.target) : undefined;
      const columns = list(r.attributes['columns']);
      for (const c of columns) this.field(r, target, c, 'columns');
      return { relation: relName, columns, label: r.attributes['label'] };
    });
    return { name, object: el.attributes['object'] ?? '', label: el.attributes['label'] ?? object?.label ?? name, sections, related, timeline: childElements(el, 'timeline').length > 0 };
  }

  private desktop(el: XmlElement, records: readonly RecordView[]): Desktop {
    const screenPops = childElements(el, 'screenpop').map((s): ScreenPop => {
      const object = this.object(s);
      const by = s.attributes['by'] ?? '';
      if (by !== 'phone' && by !== 'email' && by !== 'field') this.sink.error(attributePosition(s, 'by'), `by must be phone, email or field, not ${by}${didYouMean(by, SCREEN_POP_BY)}`, 'bad-value');
      const f = this.field(s, object, s.attributes['field'] ?? '', 'field');
      const variable = s.attributes['var'];
      if (by === 'field') {
        // By a value a script collected (an IVR's variable, a self-service visitor's answer).
        if (variable === undefined) this.sink.error(s.position, '<screenpop by="field"> needs the attribute var: the script variable whose value finds the record', 'missing-attribute');
        else if (!VARIABLE.test(variable)) this.sink.error(attributePosition(s, 'var'), `${JSON.stringify(variable)} is not a variable name (a letter or _, then letters, digits and _)`, 'bad-value');
        else if (this.ctx.variables && !this.ctx.variables.has(variable)) {
          this.sink.warning(attributePosition(s, 'var'), `no dialogue script declares or collects a variable ${variable}${didYouMean(variable, this.ctx.variables)}`, 'unknown-variable');
        }
        if (f?.computed || f?.type === 'json') this.sink.error(attributePosition(s, 'field'), `${f.name} is ${f.computed ? 'computed' : 'a json field'}; a screen pop compares a stored field with the value`, 'bad-field');
      } else if (by === 'phone' || by === 'email') {
        if (variable !== undefined) this.sink.error(attributePosition(s, 'var'), `var is for by="field"; a screen pop by ${by} uses the contact's ${by === 'phone' ? 'number' : 'address'}`, 'bad-value');
        if (f && f.type !== by && f.type !== 'string') this.sink.error(attributePosition(s, 'field'), `${f.name} is a ${f.type} field; a screen pop by ${by} needs a ${by} or string field`, 'bad-field');
      }
      const record = s.attributes['record'] ?? records.find((r) => r.object === s.attributes['object'])?.name;
      if (s.attributes['record'] !== undefined && !records.some((r) => r.name === s.attributes['record'])) {
        const name = s.attributes['record'];
        this.sink.error(attributePosition(s, 'record'), `unknown record page ${name}${didYouMean(name, records.map((r) => r.name))}`, 'unknown-view');
      }
      return { object: s.attributes['object'] ?? '', by: by as ScreenPop['by'], field: s.attributes['field'] ?? '', ...(by === 'field' && variable !== undefined ? { var: variable } : {}), record };
    });
    const popObject = screenPops[0] ? findObject(this.ctx.model, screenPops[0].object) : undefined;
    const queues = new Set<string>();
    const scripts = childElements(el, 'script').map((s) => {
      const queue = this.queue(s, 'queue');
      if (queues.has(queue)) this.sink.error(attributePosition(s, 'queue'), `the queue ${queue} has a script already`, 'duplicate');
      queues.add(queue);
      const writes = childElements(s, 'write').map((w) => {
        if (!popObject) this.sink.error(w.position, 'answers are written to the screen-pop object: declare a <screenpop> first', 'no-screenpop');
        const f = this.field(w, popObject, w.attributes['field'] ?? '', 'field');
        if (f && (f.computed || f.generated)) this.sink.error(attributePosition(w, 'field'), `${f.name} cannot be written (computed or generated)`, 'bad-field');
        return { variable: w.attributes['var'] ?? '', field: w.attributes['field'] ?? '' };
      });
      return { queue, script: this.script(s, 'script'), writes };
    });
    const codes = (tag: string): { code: string; label: string }[] => {
      const seen = new Set<string>();
      return childElements(el, tag).map((w) => {
        const code = w.attributes['code'] ?? '';
        if (seen.has(code)) this.sink.error(attributePosition(w, 'code'), `the ${tag} code ${code} is declared twice`, 'duplicate');
        seen.add(code);
        return { code, label: w.attributes['label'] ?? (textContent(w) || code) };
      });
    };
    const templateIds = new Set<string>();
    const templateId = (t: XmlElement): string => {
      const id = t.attributes['id'] ?? '';
      if (!NAME.test(id)) this.sink.error(attributePosition(t, 'id'), `${JSON.stringify(id)} is not a template id (a letter, then letters, digits, _ -)`, 'bad-value');
      else if (templateIds.has(id)) this.sink.error(attributePosition(t, 'id'), `the template id ${id} is declared twice`, 'duplicate');
      templateIds.add(id);
      return id;
    };
    const placeholders = (t: XmlElement, where: string, value: string): string => {
      // {{name}}: a record field or a contact variable. A brace pair that is no placeholder is a typo.
      const stripped = value.replace(PLACEHOLDER, '');
      if (stripped.includes('{{') || stripped.includes('}}')) this.sink.error(where === 'text' ? t.position : attributePosition(t, where), `a placeholder is {{name}} (letters, digits, _ and .); check the braces in ${where === 'text' ? 'the text' : where}`, 'bad-value');
      return value;
    };
    // A template's text keeps its lines (an e-mail's paragraphs); each line is trimmed of the XML's indentation.
    const lines = (t: XmlElement): string =>
      t.children
        .map((c) => (c.kind === 'text' ? c.text : ''))
        .join('')
        .split(/\r?\n/)
        .map((l) => l.replace(/[ \t]+/g, ' ').trim())
        .join('\n')
        .trim();
    const cannedReplies = childElements(el, 'reply').map((t) => {
      const id = templateId(t);
      const text = placeholders(t, 'text', lines(t));
      if (text === '') this.sink.error(t.position, `the reply ${id} has no text`, 'missing-text');
      return { id, label: t.attributes['label'] ?? id, text };
    });
    const emailTemplates = childElements(el, 'emailtemplate').map((t) => {
      const id = templateId(t);
      const subject = placeholders(t, 'subject', t.attributes['subject'] ?? '');
      if (/[\r\n]/.test(subject)) this.sink.error(attributePosition(t, 'subject'), 'a subject is one line', 'bad-value');
      return { id, label: t.attributes['label'] ?? id, subject, body: placeholders(t, 'text', lines(t)) };
    });
    return { screenPops, scripts, wrapUpCodes: codes('wrapup'), pauseReasons: codes('pause'), cannedReplies, emailTemplates };
  }

  private dashboard(el: XmlElement, seen: Set<string>): Dashboard {
    const name = this.uniqueName(el, seen, 'dashboard');
    const roles: RoleName[] = [];
    for (const r of list(el.attributes['roles'] ?? 'supervisor administrator')) {
      const role = this.role(el, 'roles', r);
      if (role) roles.push(role);
    }
    const widgets: Widget[] = childElements(el, 'widget').map((w) => {
      const kind = w.attributes['kind'] ?? '';
      if (!(WIDGET_KINDS as readonly string[]).includes(kind)) this.sink.error(attributePosition(w, 'kind'), `unknown widget ${kind}; widgets are ${WIDGET_KINDS.join(', ')}`, 'unknown-widget');
      if (kind === 'report') return this.reportWidget(w);
      for (const attr of ['report', 'period']) {
        if (w.attributes[attr] !== undefined) this.sink.error(attributePosition(w, attr), `only a widget of kind report takes ${attr}`, 'bad-attribute');
      }
      return { kind: kind as WidgetKind, label: w.attributes['label'] };
    });
    return { name, label: el.attributes['label'] ?? name, roles, widgets };
  }

  private reportWidget(w: XmlElement): Widget {
    const report = w.attributes['report'];
    if (report === undefined || report.trim() === '') {
      this.sink.error(w.position, 'a report widget needs report="<name>", e.g. report="inbound-by-queue"', 'missing-attribute');
    } else if (!REPORT_NAME.test(report)) {
      this.sink.error(attributePosition(w, 'report'), `${JSON.stringify(report)} is not a report name (letters, digits, . _ -)`, 'bad-value');
    } else if (this.ctx.reports && !this.ctx.reports.has(report)) {
      const near = didYouMean(report, this.ctx.reports);
      this.sink.error(attributePosition(w, 'report'), near.startsWith('; did') ? `unknown report ${report}${near}` : `unknown report ${report}; reports are ${[...this.ctx.reports].sort().join(', ')}`, 'unknown-report');
    }
    const period = w.attributes['period'] ?? 'today';
    if (!(REPORT_PERIODS as readonly string[]).includes(period)) this.sink.error(attributePosition(w, 'period'), `unknown period ${period}; periods are ${REPORT_PERIODS.join(', ')}`, 'bad-value');
    return { kind: 'report', label: w.attributes['label'], report: report ?? '', period: period as ReportPeriod };
  }

  private bool(el: XmlElement, attr: string, fallback: boolean): boolean {
    const v = el.attributes[attr];
    if (v === undefined) return fallback;
    if (v === 'true' || v === 'false') return v === 'true';
    this.sink.error(attributePosition(el, attr), `${attr} must be true or false, not ${v}`, 'bad-value');
    return fallback;
  }
}

/** Reads and checks an application definition. Nothing is thrown for bad input. */
export function readApplication(text: string, file: string, ctx: ApplicationContext): ApplicationReadResult {
  return new ApplicationReader(text, file, ctx).run();
}

/** Reads and checks an application file; an unreadable file is a diagnostic too. */
export function readApplicationFile(file: string, ctx: ApplicationContext): ApplicationReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const sink = new DiagnosticSink(file);
    sink.error(undefined, `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'unreadable');
    return { application: undefined, diagnostics: sink.diagnostics };
  }
  return readApplication(text, file, ctx);
}

/** Like {@link readApplicationFile} but throws CARUSO_FRONTOFFICE_INVALID_APPLICATION on errors. */
export function loadApplicationFile(file: string, ctx: ApplicationContext): Application {
  const r = readApplicationFile(file, ctx);
  return requireApplication(r, file);
}

/** The application of a read result, or CARUSO_FRONTOFFICE_INVALID_APPLICATION listing the errors. */
export function requireApplication(r: ApplicationReadResult, file: string): Application {
  if (r.application) return r.application;
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  throw FrontOfficeErrors.CARUSO_FRONTOFFICE_INVALID_APPLICATION({ file, count: errors.length, first: String(errors[0] ?? '') }, { details: { diagnostics: errors.map(String) } });
}
