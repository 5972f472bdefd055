/** A callback for the customer of a record, without a current contact: the number prefilled from the record. */
import { html, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtDateTime } from '../shared/format.js';
import { LightElement } from '../shared/light-element.js';
import type { CarusoDateInput } from '../shared/date-input.js';
import '../shared/date-input.js';
import type { ObjectRecord, RoleObject } from '../shared/types.js';

export class RecordCallback extends LightElement {
  def!: RoleObject;
  record!: ObjectRecord;

  protected override render(): TemplateResult {
    const rec = this.record;
    const phone = this.def.fields.find((f) => f.type === 'phone' && typeof rec[f.name] === 'string' && rec[f.name]);
    const number = phone ? String(rec[phone.name]) : '';
    return html`<section class="panel" aria-labelledby="rcb-title"><h2 id="rcb-title">${t('callbacks.schedule')}</h2><form id="record-callback" novalidate @submit=${this.submit}><caruso-date-input field-id="rcb-at" kind="datetime" label=${t('desktop.callbackAt')} required></caruso-date-input><label for="rcb-number">${t('desktop.callbackNumber')}</label><input id="rcb-number" type="tel" maxlength="32" required value=${number}><label for="rcb-note">${t('callbacks.note')}</label><textarea id="rcb-note" rows="2" maxlength="2000"></textarea><p><button type="submit" id="btn-record-callback">${t('desktop.scheduleCallback')}</button></p></form></section>`;
  }

  private field<T extends HTMLElement>(id: string): T {
    return this.querySelector(`#${id}`) as T;
  }

  private readonly submit = async (ev: SubmitEvent): Promise<void> => {
    ev.preventDefault();
    // The moment in the application's language (the browser's wall clock, as the desktop's callback).
    const when = this.querySelector<CarusoDateInput>('caruso-date-input');
    const note = this.field<HTMLTextAreaElement>('rcb-note');
    if (!when?.validate()) return;
    const at = new Date(when.value);
    if (Number.isNaN(at.getTime())) return when.focus();
    try {
      await api('POST', '/api/callbacks', { at: at.toISOString(), number: this.field<HTMLInputElement>('rcb-number').value, ...(note.value ? { note: note.value } : {}), object: this.def.name, recordId: this.record[this.def.key[0] ?? ''] });
      announce(`${t('desktop.callbackScheduled')} ${fmtDateTime(at)}`);
      note.value = '';
    } catch (e) {
      fail(e);
    }
  };
}
customElements.define('caruso-record-callback', RecordCallback);

