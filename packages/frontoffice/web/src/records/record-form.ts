/**
 * A form over some fields of a record (or of a new one): each field's label, input and error line,
 * the validation errors of the server (422) beside their fields, and a record changed meanwhile (409)
 * shown as it is now. `onSaved` gets the record after a create or update.
 */
import { html, type TemplateResult } from 'lit';
import type { CarusoDateInput } from '../shared/date-input.js';
import '../shared/date-input.js';
import { fmtDate } from '../shared/format.js';
import { ApiError, api } from '../shared/api.js';
import { announce, fail } from '../shared/dom.js';
import { t, violationText } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import { recordKey } from '../shared/context.js';
import type { ObjectRecord, RoleField, RoleObject } from '../shared/types.js';

const INPUT_TYPES: Readonly<Record<string, string>> = { integer: 'number', decimal: 'number', email: 'email', phone: 'tel' };

/** A value as an input shows it. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export class RecordForm extends LightElement {
  static override properties = { errors: { state: true } };
  declare private errors: ReadonlyMap<string, string>;

  def!: RoleObject;
  /** The fields shown, by name (those the role cannot see, and ids, are left out). */
  fieldNames: readonly string[] = [];
  /** Or the fields in labelled groups (a record page's sections): one form, one Save. */
  sections: readonly { readonly label: string; readonly fields: readonly string[] }[] = [];
  /** The record edited; none for a new one. */
  record: ObjectRecord | undefined;
  /** Values of a new record's inputs. */
  prefill: Readonly<Record<string, unknown>> = {};
  onSaved: (rec: ObjectRecord) => void = () => undefined;

  constructor() {
    super();
    this.errors = new Map();
  }

  private get fields(): RoleField[] {
    return this.known(this.sections.length ? this.sections.flatMap((s) => s.fields) : this.fieldNames);
  }

  private known(names: readonly string[]): RoleField[] {
    return names.map((n) => this.def.fields.find((f) => f.name === n)).filter((f): f is RoleField => f !== undefined && f.type !== 'id');
  }

  protected override render(): TemplateResult {
    const canWrite = this.def.actions.includes(this.record ? 'update' : 'create');
    const body = this.sections.length
      ? this.sections.map((s) => html`<fieldset class="record-section"><legend>${s.label}</legend>${this.known(s.fields).map((f) => this.field(f))}</fieldset>`)
      : this.fields.map((f) => this.field(f));
    return html`<form novalidate @submit=${this.submit}>${body}<p><button type="submit" id="btn-save" ?disabled=${!canWrite}>${this.record ? t('record.save') : t('record.create')}</button></p></form>`;
  }

  private field(f: RoleField): TemplateResult {
    const id = `f-${f.name}`;
    const value = this.record ? this.record[f.name] : this.prefill[f.name];
    if (f.type === 'date' && f.writable) {
      // In the application's language, not the browser's (its legend is the label; it says its own
      // format errors, the server's go beside it).
      return html`<caruso-date-input field-id=${id} kind="date" label="${f.label}${f.required ? ' *' : ''}" ?required=${f.required} describedby=${`${id}-saved-error`}
        .value=${typeof value === 'string' ? value.slice(0, 10) : ''}></caruso-date-input><div id=${`${id}-saved-error`} class="field-error">${this.errors.get(f.name) ?? ''}</div>`;
    }
    return html`<label for=${id}>${f.label}${f.required ? ' *' : ''}</label>${this.input(f, id, value)}<div id=${`${id}-error`} class="field-error">${this.errors.get(f.name) ?? ''}</div>`;
  }

  private input(f: RoleField, id: string, value: unknown): TemplateResult {
    const ro = !f.writable;
    const described = `${id}-error`;
    if (f.type === 'enum') {
      return html`<select id=${id} name=${f.name} ?readonly=${ro} ?disabled=${ro} aria-describedby=${described}><option value=""></option>${f.options.map((o) => html`<option value=${o.value} ?selected=${o.value === value}>${o.label}</option>`)}</select>`;
    }
    if (f.type === 'boolean') return html`<input id=${id} name=${f.name} type="checkbox" .checked=${value === true} ?readonly=${ro} aria-describedby=${described}>`;
    if (f.type === 'text') return html`<textarea id=${id} name=${f.name} .value=${shown(value)} ?readonly=${ro} aria-describedby=${described}></textarea>`;
    // A read-only date as the language writes it.
    if (f.type === 'date') return html`<input id=${id} name=${f.name} readonly .value=${typeof value === 'string' && value ? fmtDate(`${value.slice(0, 10)}T12:00:00`) : ''} aria-describedby=${described}>`;
    return html`<input id=${id} name=${f.name} type=${INPUT_TYPES[f.type] ?? 'text'} .value=${shown(value)} ?readonly=${ro} aria-describedby=${described}>`;
  }

  private element(f: RoleField): HTMLInputElement | undefined {
    return (this.querySelector(`#f-${CSS.escape(f.name)}`) as HTMLInputElement | null) ?? undefined;
  }

  private dateOf(f: RoleField): CarusoDateInput | null {
    return this.querySelector<CarusoDateInput>(`caruso-date-input[field-id="${CSS.escape(`f-${f.name}`)}"]`);
  }

  private read(f: RoleField): unknown {
    if (f.type === 'date') return this.dateOf(f)?.value || null;
    const el = this.element(f);
    if (!el) return null;
    if (f.type === 'boolean') return el.checked;
    if (el.value === '') return null;
    if (f.type === 'integer' || f.type === 'decimal') return Number(el.value);
    return el.value;
  }

  private readonly submit = async (ev: SubmitEvent): Promise<void> => {
    ev.preventDefault();
    this.errors = new Map();
    const fields = this.fields;
    // A date typed incompletely is said at its field, not sent as an empty one.
    if (!fields.every((f) => f.type !== 'date' || !f.writable || this.dateOf(f)?.validate() !== false)) return;
    const current = this.record;
    const body: Record<string, unknown> = {};
    for (const f of fields) {
      if (!f.writable) continue;
      const v = this.read(f);
      if (!current || v !== (current[f.name] ?? null)) body[f.name] = v;
    }
    try {
      const r = current
        ? await api<{ data: ObjectRecord }>('PATCH', `/api/objects/${this.def.name}/${encodeURIComponent(recordKey(this.def, current))}`, { ...body, ...(this.def.versioned ? { $version: current['$version'] } : {}) })
        : await api<{ data: ObjectRecord }>('POST', `/api/objects/${this.def.name}`, body);
      this.record = r.data;
      announce(t('record.saved'));
      this.onSaved(r.data);
    } catch (e) {
      if (!(e instanceof ApiError)) return fail(e);
      if (e.status === 422) {
        const violations = (e.body?.details?.['violations'] ?? []) as readonly { field: string; code?: string; message: string }[];
        this.errors = new Map(violations.map((v) => [v.field, violationText(v, this.def.fields.find((f) => f.name === v.field))]));
        await this.updateComplete;
        const first = violations.map((v) => fields.find((f) => f.name === v.field)).find((f) => f !== undefined);
        if (first) this.element(first)?.focus();
        announce(e.message);
      } else if (e.status === 409) {
        const now = e.body?.details?.['current'] as ObjectRecord;
        this.record = now;
        // Shown as it is now, also in inputs whose bound value did not change (the user typed over it).
        for (const f of fields) {
          const el = this.element(f);
          if (!el) continue;
          if (f.type === 'boolean') el.checked = now[f.name] === true;
          else if (f.type === 'date' && f.writable) {
            const d = this.dateOf(f);
            if (d) d.value = typeof now[f.name] === 'string' ? (now[f.name] as string).slice(0, 10) : '';
          } else el.value = shown(now[f.name] ?? '');
        }
        fail(new Error(t('record.conflict')));
      } else fail(e);
    }
  };
}
customElements.define('caruso-record-form', RecordForm);

