/**
 * The records related to a record by the model's relations (GET /api/app `objects[].relations`): a
 * one-to-many relation lists the target's records that point back (`filter` on the inverse
 * relation's key field), each linked to its record page; a many-to-one relation links the one record
 * it points to (a complaint's customer).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { ApiError, api } from '../shared/api.js';
import { contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtValue } from '../shared/format.js';
import { LightElement } from '../shared/light-element.js';
import { recordKey, type PageContext } from '../shared/context.js';
import type { ObjectRecord, RecordPage, RoleField, RoleObject, RoleRelation } from '../shared/types.js';

/** The record page (`/records/<view>/<key>`) of a record of `object`, when the application has one. */
export function recordHref(ctx: Pick<PageContext, 'app'>, object: string, key: string): string | undefined {
  const view = ctx.app.records.find((r) => r.object === object);
  return view ? `/records/${encodeURIComponent(view.name)}/${encodeURIComponent(key)}` : undefined;
}

/** The event a page sends before it leaves for a record: the agent desktop takes it and opens the record in its own panel. */
export const OPEN_RECORD = 'caruso-open-record';

/**
 * Opens a record: in the agent desktop's customer panel when the desktop is the page (so a contact is
 * never left for a record), else on its record page.
 */
export function openRecord(ctx: Pick<PageContext, 'app'>, object: string, key: string): void {
  const ev = new CustomEvent(OPEN_RECORD, { cancelable: true, detail: { object, key } });
  if (!window.dispatchEvent(ev)) return;
  const href = recordHref(ctx, object, key);
  if (href) location.assign(href);
}

/** A record's name by its name fields (the model's `nameFields` the role sees), or '' when it has none filled in. */
export function namedBy(def: RoleObject, rec: ObjectRecord): string {
  return def.nameFields
    .map((n) => def.fields.find((f) => f.name === n))
    .filter((f): f is RoleField => f !== undefined && rec[f.name] !== null && rec[f.name] !== undefined && rec[f.name] !== '')
    .map((f) => fmtValue(rec[f.name], f))
    .join(' ');
}

/** A short name of a record: its name fields, else its first text fields the role can see. */
export function recordName(def: RoleObject, rec: ObjectRecord): string {
  const named = namedBy(def, rec);
  if (named) return named;
  const names = def.fields.filter((f) => f.type !== 'id' && (f.type === 'string' || f.type === 'enum') && rec[f.name] !== null && rec[f.name] !== undefined && rec[f.name] !== '').slice(0, 2);
  return names.map((f) => fmtValue(rec[f.name], f)).join(' ') || recordKey(def, rec);
}

export class RelatedRecords extends LightElement {
  static override properties = { rows: { state: true } };
  declare private rows: readonly ObjectRecord[] | undefined;

  ctx!: PageContext;
  def!: RoleObject;
  record!: ObjectRecord;
  relation!: RoleRelation;
  /** The columns shown (field names of the target); the first ones the role sees when empty. */
  columns: readonly string[] = [];
  label: string | undefined;

  private get target(): RoleObject | undefined {
    return this.ctx.app.objects.find((o) => o.name === this.relation.target);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.load());
  }

  private async load(): Promise<void> {
    const target = this.target;
    if (!target) return;
    const rel = this.relation;
    try {
      if (rel.kind === 'many-to-one') {
        const key = rel.fields.map((f) => this.record[f]);
        if (key.some((k) => k === null || k === undefined)) return void (this.rows = []);
        const r = await api<{ data: ObjectRecord }>('GET', `/api/objects/${encodeURIComponent(target.name)}/${encodeURIComponent(key.map(String).join(','))}`);
        this.rows = [r.data];
        return;
      }
      const back = target.relations.find((x) => x.name === rel.inverse && x.kind === 'many-to-one');
      if (!back || back.fields.length === 0) return void (this.rows = []);
      const filter = Object.fromEntries(back.fields.map((f, i) => [f, this.record[this.def.key[i] ?? ''] ?? null]));
      const r = await api<RecordPage>('GET', `/api/objects/${encodeURIComponent(target.name)}?${new URLSearchParams({ filter: JSON.stringify(filter), limit: '50' }).toString()}`);
      this.rows = r.data;
    } catch (e) {
      // A role that may not read the key field pointing back (or the record pointed to) sees no list.
      if (!(e instanceof ApiError) || e.status < 400 || e.status >= 500 || e.status === 401) fail(e);
    }
  }

  protected override render(): TemplateResult | typeof nothing {
    const target = this.target;
    const rows = this.rows;
    if (!target || !rows) return nothing;
    const id = `related-${this.relation.name}`;
    // A relation without a label of its own is named by its target object.
    const label = this.label ?? (this.relation.label && this.relation.label !== this.relation.name ? this.relation.label : target.label);
    const cols = (this.columns.length ? this.columns : target.fields.filter((f) => f.type !== 'id').slice(0, 3).map((f) => f.name))
      .map((n) => target.fields.find((f) => f.name === n))
      .filter((f): f is NonNullable<typeof f> => f !== undefined);
    const link = (rec: ObjectRecord, text: string): TemplateResult => {
      const href = recordHref(this.ctx, target.name, recordKey(target, rec));
      return href ? html`<a href=${href}>${text || recordKey(target, rec)}</a>` : html`${text}`;
    };
    if (this.relation.kind === 'many-to-one') {
      const rec = rows[0];
      return html`<section class="panel related" aria-labelledby=${id}><h2 id=${id}>${label}</h2>${rec ? html`<p>${link(rec, recordName(target, rec))}</p>` : html`<p class="muted">${t('related.none')}</p>`}</section>`;
    }
    const newHref = target.actions.includes('create') ? recordHref(this.ctx, target.name, 'new') : undefined;
    const back = target.relations.find((x) => x.name === this.relation.inverse);
    const prefill = back?.fields[0] ? `?${new URLSearchParams({ [back.fields[0]]: recordKey(this.def, this.record) }).toString()}` : '';
    const table = rows.length
      ? html`<table><caption class="visually-hidden">${label}</caption><thead><tr>${cols.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead><tbody>${rows.map((rec) => html`<tr>${cols.map((c, i) => html`<td>${i === 0 ? link(rec, fmtValue(rec[c.name], c)) : fmtValue(rec[c.name], c)}</td>`)}</tr>`)}</tbody></table>`
      : html`<p class="muted">${t('related.none')}</p>`;
    return html`<section class="panel related" aria-labelledby=${id}><h2 id=${id}>${label} <span class="count">(${rows.length})</span></h2>${table}${newHref ? html`<p><a class="button secondary" href=${`${newHref}${prefill}`}>${t('related.new')}</a></p>` : nothing}</section>`;
  }
}
customElements.define('caruso-related-records', RelatedRecords);
