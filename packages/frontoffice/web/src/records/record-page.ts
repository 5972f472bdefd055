/**
 * A record page (`/records/<view>/<key>`, `/records/<view>/new` for a new one): the record's sections
 * as ONE form with one Save, New and Delete as the role may, its duplicates (merge for supervisors),
 * the records related by the model's relations, a callback, and its whole history.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { ApiError, api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import { objectDef, recordKey, type PageContext } from '../shared/context.js';
import type { DuplicateHit, ObjectRecord, RecordView, RoleObject, RoleRelation } from '../shared/types.js';
import { recordHref, recordName } from './related-records.js';
import './record-callback.js';
import './record-form.js';
import './record-history.js';
import './related-records.js';

type Duplicate = DuplicateHit;

export class RecordPage extends LightElement {
  static override properties = { record: { state: true }, confirming: { state: true }, duplicates: { state: true } };
  declare private record: ObjectRecord | undefined;
  declare private confirming: boolean;
  declare private duplicates: readonly Duplicate[];

  ctx!: PageContext;
  private view: RecordView | undefined;
  private def: RoleObject | undefined;
  private recordId = '';

  constructor() {
    super();
    this.confirming = false;
    this.duplicates = [];
  }

  private get isNew(): boolean {
    return this.recordId === 'new';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const [, , name, id] = location.pathname.split('/').map(decodeURIComponent);
    this.view = this.ctx.app.records.find((r) => r.name === name);
    this.recordId = id ?? '';
    if (!this.view) return fail(new Error(`${name ?? ''}?`));
    this.def = objectDef(this.ctx, this.view.object);
    if (!this.isNew) contain(this.load());
  }

  private async load(): Promise<void> {
    const def = this.def as RoleObject;
    const r = await api<{ data: ObjectRecord }>('GET', `/api/objects/${encodeURIComponent(def.name)}/${encodeURIComponent(this.recordId)}`);
    this.record = r.data;
    document.title = `${recordName(def, r.data)} · ${this.view?.label ?? ''}`;
    try {
      this.duplicates = (await api<{ duplicates: readonly Duplicate[] }>('GET', `/api/objects/${encodeURIComponent(def.name)}/${encodeURIComponent(this.recordId)}/duplicates`)).duplicates;
    } catch (e) {
      // No duplicate check on this server (404) or for this role (403): nothing to show.
      if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 403)) fail(e);
    }
  }

  /** The query's values of a new record's fields (a related list's New sets the parent). */
  private prefill(def: RoleObject): Record<string, unknown> {
    const q = new URLSearchParams(location.search);
    const out: Record<string, unknown> = {};
    for (const f of def.fields) {
      const v = q.get(f.name);
      if (v !== null) out[f.name] = f.type === 'integer' || f.type === 'id' ? Number(v) : v;
    }
    return out;
  }

  private readonly saved = (rec: ObjectRecord): void => {
    const def = this.def as RoleObject;
    if (this.isNew) {
      location.assign(recordHref(this.ctx, def.name, recordKey(def, rec)) ?? location.pathname);
      return;
    }
    this.record = rec;
    contain((this.querySelector('caruso-record-history') as (HTMLElement & { reload(): Promise<void> }) | null)?.reload() ?? Promise.resolve());
  };

  private async deleteRecord(): Promise<void> {
    const def = this.def as RoleObject;
    const rec = this.record as ObjectRecord;
    const version = def.versioned && typeof rec['$version'] === 'number' ? `?version=${String(rec['$version'])}` : '';
    try {
      await api('DELETE', `/api/objects/${encodeURIComponent(def.name)}/${encodeURIComponent(this.recordId)}${version}`);
      announce(t('record.deleted'));
      const list = this.ctx.app.lists.find((l) => l.object === def.name);
      location.assign(list ? `/lists/${encodeURIComponent(list.name)}` : '/');
    } catch (e) {
      this.confirming = false;
      fail(e);
    }
  }

  private async merge(d: Duplicate): Promise<void> {
    const def = this.def as RoleObject;
    try {
      await api('POST', `/api/objects/${encodeURIComponent(def.name)}/${encodeURIComponent(this.recordId)}/merge`, { dropKey: d.key });
      announce(t('dup.merged'));
      await this.load();
      this.saved(this.record as ObjectRecord);
    } catch (e) {
      fail(e);
    }
  }

  protected override render(): TemplateResult | typeof nothing {
    const view = this.view;
    const def = this.def;
    const rec = this.record;
    if (!view || !def || (!rec && !this.isNew)) return nothing;
    const sections = view.sections.map((s) => ({ label: s.label, fields: s.fields.filter((n) => def.fields.some((f) => f.name === n)) }));
    if (this.isNew) {
      return html`<h1>${t('record.newTitle', { what: def.label })}</h1><section class="panel"><caruso-record-form .def=${def} .sections=${sections} .prefill=${this.prefill(def)} .onSaved=${this.saved}></caruso-record-form></section>`;
    }
    const r = rec as ObjectRecord;
    const canDelete = def.actions.includes('delete');
    const canCreate = def.actions.includes('create');
    const actions = html`<div class="bar record-actions">${canCreate ? html`<a class="button secondary" id="btn-new" href=${`/records/${encodeURIComponent(view.name)}/new`}>${t('record.new')}</a>` : nothing}${canDelete && !this.confirming ? html`<button type="button" class="danger" id="btn-delete" @click=${() => (this.confirming = true)}>${t('record.delete')}</button>` : nothing}${this.confirming ? html`<span role="group" aria-label=${t('record.delete')}>${t('record.deleteConfirm')} <button type="button" class="danger" id="btn-delete-confirm" @click=${() => contain(this.deleteRecord())}>${t('record.delete')}</button> <button type="button" class="secondary" @click=${() => (this.confirming = false)}>${t('call.cancel')}</button></span>` : nothing}</div>`;
    const related = this.relatedViews(view, def).map((x) => html`<caruso-related-records .ctx=${this.ctx} .def=${def} .record=${r} .relation=${x.relation} .columns=${x.columns} .label=${x.label}></caruso-related-records>`);
    const history = view.timeline ? html`<caruso-record-history .ctx=${this.ctx} .def=${def} .recordId=${this.recordId}></caruso-record-history>` : nothing;
    return html`<h1>${recordName(def, r)} <span class="muted">· ${view.label}</span></h1>${actions}${this.dupes()}<div class="grid"><div><section class="panel"><caruso-record-form .def=${def} .sections=${sections} .record=${r} .onSaved=${this.saved}></caruso-record-form></section>${related}<caruso-record-callback .def=${def} .record=${r}></caruso-record-callback></div>${history}</div>`;
  }

  /** The related lists of the view, else every relation to an object the role can read. */
  private relatedViews(view: RecordView, def: RoleObject): { relation: RoleRelation; columns: readonly string[]; label: string | undefined }[] {
    const rels = def.relations.filter((x) => x.kind !== 'many-to-many' && this.ctx.app.objects.some((o) => o.name === x.target));
    const listed = view.related.map((r) => ({ relation: rels.find((x) => x.name === r.relation), columns: r.columns, label: r.label }));
    const out = listed.filter((x): x is { relation: RoleRelation; columns: readonly string[]; label: string | undefined } => x.relation !== undefined);
    for (const x of rels) if (!out.some((o) => o.relation.name === x.name)) out.push({ relation: x, columns: [], label: undefined });
    return out;
  }

  private dupes(): TemplateResult | typeof nothing {
    if (!this.duplicates.length) return nothing;
    const def = this.def as RoleObject;
    const mayMerge = this.ctx.me.role === 'supervisor' || this.ctx.me.role === 'administrator';
    return html`<section class="panel warning" aria-labelledby="dup-title"><h2 id="dup-title">${t('dup.title')}</h2><ul>${this.duplicates.map((d) => { const href = recordHref(this.ctx, def.name, String(d.key)); return html`<li>${href ? html`<a href=${href}>${d.label}</a>` : d.label} (${d.reasons.map((x) => t(`dup.reason.${x}`)).join(', ')})${mayMerge ? html` <button type="button" class="secondary small" @click=${() => contain(this.merge(d))}>${t('dup.merge')}</button>` : nothing}</li>`; })}</ul></section>`;
  }
}
customElements.define('caruso-record-page', RecordPage);
