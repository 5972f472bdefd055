/**
 * The wrap-up of one contact: the customer it is filed on (the contact's own linked customer, shown
 * here and changed in the customer panel), a code and notes kept as a draft on the server while they
 * are typed, Finish (F9), and a callback promised to the customer at a date and time entered in the
 * application's language (<caruso-date-input>; the browser's wall clock, sent as an ISO moment).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { api } from '../shared/api.js';
import type { CarusoDateInput } from '../shared/date-input.js';
import '../shared/date-input.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { DeskElement } from './desk-element.js';
import type { DeskCustomer } from './desktop-types.js';
import { formatDateTime } from './format.js';
import { isPhoneNumber } from './records.js';

export class CarusoWrapUpPanel extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    contactId: { attribute: false },
  };

  declare contactId: string;

  private info(): { customer: DeskCustomer | null; address: string | null; wrapping: boolean } {
    const s = this.store.state;
    const w = s?.wrapUps.find((x) => x.contactId === this.contactId);
    if (w) return { customer: w.customer, address: w.address, wrapping: true };
    const c = s?.contacts.find((x) => x.id === this.contactId);
    return { customer: c?.customer ?? null, address: c?.address ?? null, wrapping: false };
  }

  /** Files the wrap-up (F9). */
  async finish(): Promise<void> {
    this.store.ui(this.contactId).code = this.querySelector<HTMLSelectElement>('#wrap-code')?.value ?? this.store.ui(this.contactId).code;
    this.store.ui(this.contactId).notes = this.querySelector<HTMLTextAreaElement>('#wrap-notes')?.value ?? this.store.ui(this.contactId).notes;
    await this.store.finishWrapUp(this.contactId);
  }

  private async callback(ev: Event): Promise<void> {
    ev.preventDefault();
    const when = this.querySelector<CarusoDateInput>('caruso-date-input');
    const num = this.querySelector<HTMLInputElement>('#cb-number');
    if (!when?.validate()) return;
    const at = new Date(when.value);
    try {
      await api('POST', `/api/contacts/${encodeURIComponent(this.contactId)}/callback`, { at: at.toISOString(), ...(num?.value ? { number: num.value } : {}) });
      announce(`${t('desktop.callbackScheduled')} ${formatDateTime(at)}`);
    } catch (e) {
      fail(e);
    }
  }

  protected override render(): TemplateResult {
    const s = this.store.state;
    const ui = this.store.ui(this.contactId);
    const { customer, address } = this.info();
    const codes = s?.wrapUpCodes ?? [];
    const code = ui.code ?? codes[0]?.code ?? '';
    // At least a minute ahead by the server's clock, which fires the callback.
    const min = new Date(Date.now() + this.store.clockOffset + 60_000).toISOString();
    return html`<section id="wrapup" class="panel" aria-labelledby="wrap-title">
      <h2 id="wrap-title">${t('desktop.wrapUp')}</h2>
      <p id="wrap-customer">${t('desktop.filedOn')} <strong>${customer ? customer.label ?? `${customer.object} ${customer.id}` : t('desktop.noCustomerLinked')}</strong>
        <button type="button" class="secondary link-button" id="btn-wrap-change-customer" @click=${() => this.dispatchEvent(new CustomEvent('find-customer', { bubbles: true, composed: true }))}>${t('desktop.changeCustomer')}</button></p>
      <form id="wrap-form" @submit=${(ev: Event) => { ev.preventDefault(); contain(this.finish()); }}>
        <label for="wrap-code">${t('desktop.wrapUpCode')}</label>
        <select id="wrap-code" @change=${(ev: Event) => this.store.draft(this.contactId, { code: (ev.target as HTMLSelectElement).value })}>
          ${codes.map((c) => html`<option value=${c.code} ?selected=${c.code === code}>${c.label}</option>`)}</select>
        <label for="wrap-notes">${t('desktop.notes')}</label>
        <textarea id="wrap-notes" rows="3" maxlength="2000" .value=${ui.notes ?? ''} @input=${(ev: Event) => this.store.draft(this.contactId, { notes: (ev.target as HTMLTextAreaElement).value })}></textarea>
        <p><button type="submit" id="btn-wrapup" aria-keyshortcuts="F9">${t('desktop.finish')}</button></p>
      </form>
      <form id="callback-form" novalidate @submit=${(ev: Event) => contain(this.callback(ev))}>
        ${keyed(this.contactId, html`<caruso-date-input field-id="cb-at" kind="datetime" label=${t('desktop.callbackAt')} required min=${min}></caruso-date-input>`)}
        <label for="cb-number">${t('desktop.callbackNumber')}</label>
        <input id="cb-number" type="tel" maxlength="32" .value=${isPhoneNumber(address) ? address : ''}>
        <p><button type="submit" class="secondary" id="btn-callback">${t('desktop.scheduleCallback')}</button></p>
      </form>
      ${customer ? nothing : html`<p class="muted">${t('desktop.wrapWithoutCustomer')}</p>`}
    </section>`;
  }
}
customElements.define('desk-wrap-up-panel', CarusoWrapUpPanel);

declare global {
  interface HTMLElementTagNameMap {
    'desk-wrap-up-panel': CarusoWrapUpPanel;
  }
}
