/**
 * The wrap-up of one contact: the customer it is filed on (the contact's own linked customer, shown
 * here and changed in the customer panel), a code and notes kept as a draft on the server while they
 * are typed, Finish (F9), and a callback promised to the customer at a local date and time.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { DeskElement } from './desk-element.js';
import type { DeskCustomer } from './desktop-types.js';
import { formatDateTime, pageLang, toLocalInput } from './format.js';
import { isPhoneNumber } from './records.js';

export class CarusoWrapUpPanel extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    contactId: { attribute: false },
    when: { state: true },
  };

  declare contactId: string;
  /** The callback's moment as the application's language writes it (the picker follows the browser's). */
  declare when: string;

  constructor() {
    super();
    this.when = '';
  }

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
    const when = this.querySelector<HTMLInputElement>('#cb-at');
    const num = this.querySelector<HTMLInputElement>('#cb-number');
    const at = new Date(when?.value ?? '');
    if (Number.isNaN(at.getTime())) return when?.focus();
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
    const min = toLocalInput(new Date(Date.now() + 60_000));
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
      <form id="callback-form" @submit=${(ev: Event) => contain(this.callback(ev))}>
        <label for="cb-at">${t('desktop.callbackAt')}</label>
        <input id="cb-at" type="datetime-local" lang=${pageLang()} min=${min} required aria-describedby="cb-at-text"
          @input=${(ev: Event) => { const v = (ev.target as HTMLInputElement).value; this.when = v ? formatDateTime(new Date(v)) : ''; }}>
        <p id="cb-at-text" class="muted cb-when">${this.when ? `${t('desktop.callbackWhen')} ${this.when}` : ''}</p>
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
