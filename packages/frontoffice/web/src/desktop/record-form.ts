/**
 * A record of a business object as a form inside the desktop: its fields by type, saved with the
 * version read (a colleague's change meanwhile is shown, not overwritten), field errors under their
 * fields, and a call button beside every telephone number (click-to-dial).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api, ApiError } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import type { CarusoDateInput } from '../shared/date-input.js';
import '../shared/date-input.js';
import { t } from '../shared/i18n.js';
import type { ObjectRecord, RoleField } from '../shared/types.js';
import { DeskElement } from './desk-element.js';
import { formatDate, pageLang } from './format.js';
import { isPhoneNumber, keyOf, objectDef } from './records.js';

export class CarusoRecordForm extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    object: { attribute: false },
    record: { attribute: false },
    prefill: { attribute: false },
    fields: { attribute: false },
    errors: { state: true },
  };

  declare object: string;
  declare record: ObjectRecord | null;
  declare prefill: Readonly<Record<string, unknown>>;
  declare fields: readonly string[];
  declare errors: Readonly<Record<string, string>>;

  constructor() {
    super();
    this.record = null;
    this.prefill = {};
    this.fields = [];
    this.errors = {};
  }

  private defs(): RoleField[] {
    const def = objectDef(this.store.app, this.object);
    return this.fields.map((n) => def?.fields.find((f) => f.name === n)).filter((f): f is RoleField => f !== undefined && f.type !== 'id');
  }

  private fieldValue(f: RoleField): unknown {
    return this.record ? this.record[f.name] : this.prefill[f.name];
  }

  private input(f: RoleField): TemplateResult {
    const id = `f-${f.name}`;
    const v = this.fieldValue(f);
    const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    const ro = !f.writable;
    const invalid = this.errors[f.name] ? 'true' : 'false';
    if (f.type === 'enum') {
      return html`<select id=${id} name=${f.name} ?disabled=${ro} aria-describedby="${id}-error" aria-invalid=${invalid}>
        <option value=""></option>
        ${f.options.map((o) => html`<option value=${o.value} ?selected=${o.value === v}>${o.label}</option>`)}
      </select>`;
    }
    if (f.type === 'boolean') return html`<input id=${id} name=${f.name} type="checkbox" class="check" .checked=${v === true} ?disabled=${ro} aria-describedby="${id}-error">`;
    if (f.type === 'text') return html`<textarea id=${id} name=${f.name} rows="2" ?readonly=${ro} .value=${text} aria-describedby="${id}-error" aria-invalid=${invalid}></textarea>`;
    const type = f.type === 'integer' || f.type === 'decimal' ? 'number' : f.type === 'email' ? 'email' : f.type === 'phone' ? 'tel' : 'text';
    const field = html`<input id=${id} name=${f.name} type=${type} lang=${pageLang()} ?readonly=${ro} .value=${text} aria-describedby="${id}-error" aria-invalid=${invalid}>`;
    if (f.type !== 'phone' || !isPhoneNumber(v)) return field;
    // Click-to-dial: a call to this number, about this record.
    return html`<div class="with-action">${field}<button type="button" class="secondary dial" aria-label="${t('desktop.callNumber')} ${text}"
      @click=${() => this.dispatchEvent(new CustomEvent('dial', { bubbles: true, composed: true, detail: { number: text, object: this.object, recordId: this.record ? keyOf(this.store.app, this.object, this.record) : undefined } }))}>${t('desktop.call')}</button></div>`;
  }

  /** A date field in the application's language (its legend is the field's label). */
  private dateInput(f: RoleField): TemplateResult {
    const v = this.fieldValue(f);
    // Read-only: the date as text (the date input has no read-only state).
    if (!f.writable) return html`<label for="f-${f.name}">${f.label}</label><input id="f-${f.name}" readonly .value=${typeof v === 'string' ? formatDate(`${v.slice(0, 10)}T12:00:00`) : ''} aria-describedby="f-${f.name}-error">`;
    // Its own format errors are `f-<name>-error` (the date input's); the server's go beside it.
    return html`<caruso-date-input field-id="f-${f.name}" kind="date" label="${f.label}${f.required ? ' *' : ''}" ?required=${f.required} describedby="f-${f.name}-saved-error"
      .value=${typeof v === 'string' ? v.slice(0, 10) : ''}></caruso-date-input>`;
  }

  protected override render(): TemplateResult {
    const def = objectDef(this.store.app, this.object);
    const canWrite = def?.actions.includes(this.record ? 'update' : 'create') ?? false;
    return html`<form novalidate @submit=${(ev: Event) => contain(this.save(ev))}>
      ${this.defs().map((f) => html`${f.type === 'date' ? this.dateInput(f) : html`<label for="f-${f.name}">${f.label}${f.required ? ' *' : ''}</label>${this.input(f)}`}<div id="f-${f.name}${f.type === 'date' && f.writable ? '-saved' : ''}-error" class="field-error">${this.errors[f.name] ?? nothing}</div>`)}
      <p><button type="submit" ?disabled=${!canWrite}>${this.record ? t('record.save') : t('desktop.create')}</button></p>
    </form>`;
  }

  private dateOf(f: RoleField): CarusoDateInput | null {
    return this.querySelector<CarusoDateInput>(`caruso-date-input[field-id="${CSS.escape(`f-${f.name}`)}"]`);
  }

  private read(f: RoleField): unknown {
    const el = this.querySelector<HTMLInputElement>(`#f-${CSS.escape(f.name)}`);
    if (!el) return undefined;
    if (f.type === 'boolean') return el.checked;
    if (f.type === 'date') return this.dateOf(f)?.value || null;
    if (el.value === '') return null;
    if (f.type === 'integer' || f.type === 'decimal') return Number(el.value);
    return el.value;
  }

  private async save(ev: Event): Promise<void> {
    ev.preventDefault();
    const def = objectDef(this.store.app, this.object);
    if (!def) return;
    // A date typed incompletely is said here, not sent as an empty field.
    if (!this.defs().every((f) => f.type !== 'date' || !f.writable || this.dateOf(f)?.validate() !== false)) return;
    const body: Record<string, unknown> = {};
    for (const f of this.defs()) {
      if (!f.writable) continue;
      const v = this.read(f);
      if (!this.record || v !== (this.record[f.name] ?? null)) body[f.name] = v;
    }
    try {
      const r = this.record
        ? await api<{ data: ObjectRecord }>('PATCH', `/api/objects/${encodeURIComponent(this.object)}/${encodeURIComponent(keyOf(this.store.app, this.object, this.record))}`, { ...body, ...(def.versioned ? { $version: this.record['$version'] } : {}) })
        : await api<{ data: ObjectRecord }>('POST', `/api/objects/${encodeURIComponent(this.object)}`, body);
      this.errors = {};
      announce(t('record.saved'));
      this.dispatchEvent(new CustomEvent('record-saved', { bubbles: true, composed: true, detail: { object: this.object, record: r.data, created: !this.record } }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        const violations = (e.body?.details?.['violations'] ?? []) as { field: string; message: string }[];
        this.errors = Object.fromEntries(violations.map((v) => [v.field, v.message]));
        await this.updateComplete;
        const first = violations.map((v) => this.querySelector<HTMLElement>(`#f-${CSS.escape(v.field)}`)).find(Boolean);
        first?.focus();
        announce(e.message);
      } else if (e instanceof ApiError && e.status === 409) {
        const current = e.body?.details?.['current'] as ObjectRecord | undefined;
        if (current) this.dispatchEvent(new CustomEvent('record-saved', { bubbles: true, composed: true, detail: { object: this.object, record: current, created: false } }));
        fail(new Error(t('record.conflict')));
      } else fail(e);
    }
  }
}
customElements.define('desk-record-form', CarusoRecordForm);

declare global {
  interface HTMLElementTagNameMap {
    'desk-record-form': CarusoRecordForm;
  }
}
