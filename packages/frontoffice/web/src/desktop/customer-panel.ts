/**
 * The customer of a contact, inside the desktop: the record linked to the contact (or the screen
 * pop's matches to choose from), a customer search, a new-customer form, any record opened from the
 * search, and the record's whole history (notes and tasks added here too). Choosing, changing or creating the customer links it to THIS
 * contact on the server (`PUT /api/contacts/:id/customer`), so its wrap-up is filed there. What the
 * panel shows is the contact's own (store.ui(contactId)); nothing here leaves the desktop.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import '../records/record-history.js';
import { api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtPhone } from '../shared/format.js';
import type { DuplicateHit, ObjectRecord, RecordPage } from '../shared/types.js';
import { DeskElement } from './desk-element.js';
import type { ContactAnswer, DeskCustomer, ScreenPop } from './desktop-types.js';
import { customerObject, displayName, keyOf, recordFields } from './records.js';
import './record-form.js';

/** The idle desktop's own panel state (no contact on screen). */
export const IDLE = '-idle-';

export class CarusoCustomerPanel extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    contactId: { attribute: false },
    record: { state: true },
    dupes: { state: true },
    results: { state: true },
    pop: { state: true },
  };

  /** The contact (connected, in wrap-up or ringing), or IDLE. */
  declare contactId: string;
  declare record: { object: string; data: ObjectRecord } | null;
  /** Records that look like the one shown (same phone, e-mail or name): the agent may mean one of them. */
  declare dupes: readonly DuplicateHit[];
  declare results: readonly ObjectRecord[] | null;
  declare pop: ContactAnswer | null;
  private loaded = '';
  private popFor = '';
  private searchTimer: number | undefined;

  constructor() {
    super();
    this.contactId = IDLE;
    this.record = null;
    this.dupes = [];
    this.results = null;
    this.pop = null;
  }

  private get isContact(): boolean {
    return this.contactId !== IDLE;
  }

  /** The customer the contact is linked to on the server. */
  private linked(): DeskCustomer | null {
    const s = this.store.state;
    if (!this.isContact) return this.store.lastCustomer;
    return s?.contacts.find((c) => c.id === this.contactId)?.customer ?? s?.wrapUps.find((w) => w.contactId === this.contactId)?.customer ?? s?.offers.find((o) => o.contactId === this.contactId)?.customer ?? null;
  }

  private address(): string {
    const s = this.store.state;
    return s?.contacts.find((c) => c.id === this.contactId)?.address ?? s?.wrapUps.find((w) => w.contactId === this.contactId)?.address ?? s?.offers.find((o) => o.contactId === this.contactId)?.address ?? this.pop?.contact.address ?? '';
  }

  private screenPop(): ScreenPop | null {
    return this.store.state?.contacts.find((c) => c.id === this.contactId)?.screenPop ?? this.pop?.screenPop ?? null;
  }

  /** The record to show: one opened from the search, else the linked customer, else a single match. */
  private target(): { object: string; id: string } | null {
    const ui = this.store.ui(this.contactId);
    if (ui.panel === 'record' && ui.shown) return ui.shown;
    const linked = this.linked();
    if (linked) return { object: linked.object, id: linked.id };
    const pop = this.screenPop();
    const only = pop && pop.matches.length === 1 ? pop.matches[0] : undefined;
    return pop && only ? { object: pop.object, id: keyOf(this.store.app, pop.object, only) } : null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('contactId')) {
      this.results = null;
      this.pop = null;
      this.popFor = '';
    }
    // A ringing contact (or a connected one without its screen pop in the desktop state): read it once.
    const s = this.store.state;
    const ringing = s?.offers.some((o) => o.contactId === this.contactId) ?? false;
    const bare = s?.contacts.some((c) => c.id === this.contactId && !c.screenPop) ?? false;
    if (this.isContact && (ringing || bare) && this.popFor !== this.contactId) {
      this.popFor = this.contactId;
      const id = this.contactId;
      api<ContactAnswer>('GET', `/api/contacts/${encodeURIComponent(id)}`).then((r) => {
        if (this.contactId === id) this.pop = r;
      }, () => undefined);
    }
    const target = this.target();
    const key = target ? `${this.contactId}|${target.object}|${target.id}|${this.store.ui(this.contactId).recordRev}` : '';
    if (key !== this.loaded) {
      this.loaded = key;
      if (!target) {
        this.record = null;
        this.dupes = [];
      } else contain(this.load(target.object, target.id, key));
    }
  }

  private async load(object: string, id: string, key: string): Promise<void> {
    try {
      const r = await api<{ data: ObjectRecord }>('GET', `/api/objects/${encodeURIComponent(object)}/${encodeURIComponent(id)}`);
      if (this.loaded !== key) return;
      this.record = { object, data: r.data };
      // Another record's duplicates are not this one's: none until this one's are read.
      this.dupes = [];
      const d = await api<{ duplicates: readonly DuplicateHit[] }>('GET', `/api/objects/${encodeURIComponent(object)}/${encodeURIComponent(id)}/duplicates`).catch(() => ({ duplicates: [] }));
      if (this.loaded === key) this.dupes = d.duplicates;
    } catch (e) {
      if (this.loaded === key) fail(e);
    }
  }

  /** Reads the record again (after a script wrote to it). */
  reload(): void {
    this.store.setUi(this.contactId, { recordRev: this.store.ui(this.contactId).recordRev + 1 });
  }

  /** Opens the customer search and puts the focus in it (Ctrl+K). */
  async openSearch(): Promise<void> {
    this.store.setUi(this.contactId, { panel: 'search' });
    // Drawn now (not when the desktop passes the change down), so the box is there to take the focus.
    this.requestUpdate();
    await this.updateComplete;
    const box = this.querySelector<HTMLInputElement>('#customer-search');
    box?.focus();
    box?.select();
  }

  private async link(object: string, recordId: string): Promise<void> {
    if (!this.isContact) return;
    const r = await this.store.act('PUT', `/api/contacts/${encodeURIComponent(this.contactId)}/customer`, { object, recordId });
    if (r === null) return;
    this.store.setUi(this.contactId, { panel: 'customer', shown: null });
    announce(t('desktop.customerLinked'));
  }

  private async unlink(): Promise<void> {
    const r = await this.store.act('DELETE', `/api/contacts/${encodeURIComponent(this.contactId)}/customer`);
    if (r !== null) announce(t('desktop.customerUnlinked'));
  }

  private search(q: string): void {
    this.store.ui(this.contactId).search = q;
    window.clearTimeout(this.searchTimer);
    const object = customerObject(this.store.app);
    if (!object) return;
    this.searchTimer = window.setTimeout(() => {
      if (q.trim() === '') {
        this.results = null;
        return;
      }
      const id = this.contactId;
      api<RecordPage>('GET', `/api/objects/${encodeURIComponent(object)}?${new URLSearchParams({ search: q.trim(), limit: '10' })}`).then((r) => {
        if (this.contactId !== id) return;
        this.results = r.data;
        announce(`${r.total} ${t('desktop.found')}`);
      }, fail);
    }, 200);
  }

  private onSaved(ev: CustomEvent<{ object: string; record: ObjectRecord; created: boolean }>): void {
    const { object, record, created } = ev.detail;
    if (created && this.isContact) contain(this.link(object, keyOf(this.store.app, object, record)));
    else if (created) this.store.setUi(this.contactId, { panel: 'record', shown: { object, id: keyOf(this.store.app, object, record) } });
    else if (this.record) this.record = { object, data: record };
  }

  private modeButtons(): TemplateResult {
    const ui = this.store.ui(this.contactId);
    const object = customerObject(this.store.app);
    const canCreate = object ? (this.store.app.objects.find((o) => o.name === object)?.actions.includes('create') ?? false) : false;
    const mode = (panel: 'customer' | 'search' | 'create', label: string, id: string): TemplateResult =>
      html`<button type="button" id=${id} class="secondary" aria-pressed=${ui.panel === panel || (panel === 'customer' && ui.panel === 'record') ? 'true' : 'false'}
        @click=${() => (panel === 'search' ? contain(this.openSearch()) : this.store.setUi(this.contactId, { panel, shown: null }))}>${label}</button>`;
    return html`<div class="bar panel-modes" role="group" aria-label=${t('desktop.customerPanel')}>
      ${mode('customer', t('desktop.customer'), 'btn-panel-customer')}
      ${mode('search', t('desktop.findCustomer'), 'btn-panel-search')}
      ${canCreate ? mode('create', t('desktop.newCustomer'), 'btn-panel-create') : nothing}
    </div>`;
  }

  private recordView(): TemplateResult {
    const rec = this.record;
    if (!rec) return html`<p class="muted">${t('desktop.loading')}</p>`;
    const app = this.store.app;
    const linked = this.linked();
    const key = keyOf(app, rec.object, rec.data);
    const isLinked = linked !== null && linked.object === rec.object && linked.id === key;
    return html`<div id="customer-name" class="figure customer-name">${displayName(app, rec.object, rec.data)}</div>
      ${this.isContact
        ? html`<p class="bar link-state">${isLinked
          ? html`<span id="customer-linked">${t('desktop.linkedCustomer')}</span><button type="button" class="secondary" id="btn-unlink-customer" @click=${() => contain(this.unlink())}>${t('desktop.unlinkCustomer')}</button>`
          : html`<button type="button" id="btn-link-customer" @click=${() => contain(this.link(rec.object, key))}>${t('desktop.linkCustomer')}</button>`}</p>`
        : nothing}
      ${this.duplicatesView(rec.object)}
      <desk-record-form .store=${this.store} .rev=${this.rev} .object=${rec.object} .record=${rec.data} .fields=${recordFields(app, rec.object)}
        @record-saved=${(ev: CustomEvent<{ object: string; record: ObjectRecord; created: boolean }>) => this.onSaved(ev)}></desk-record-form>
      ${this.history(rec.object, key)}`;
  }

  /**
   * The record's whole history (contacts of every channel, notes, tasks, changes; grouped by day), the
   * record page's own component: the agent adds a note or a task here without leaving the contact.
   * Made anew for another record or after a script or a wrap-up wrote to it.
   */
  private history(object: string, key: string): unknown {
    const app = this.store.app;
    const def = app.objects.find((o) => o.name === object);
    if (!def || app.records.find((x) => x.object === object)?.timeline === false) return nothing;
    const ctx = { me: this.store.me, app, clockOffset: this.store.clockOffset };
    // Made anew for another contact too: the contact just wrapped up is then in the history.
    return keyed(`${this.contactId}|${object}|${key}|${this.store.ui(this.contactId).recordRev}`, html`<caruso-record-history class="desk-history" .ctx=${ctx} .def=${def} .recordId=${key}></caruso-record-history>`);
  }

  /** The likely duplicates of the record shown, each to open here (and link, if it is the one). */
  private duplicatesView(object: string): TemplateResult | typeof nothing {
    if (this.dupes.length === 0) return nothing;
    return html`<section class="panel warning desk-duplicates" aria-labelledby="desk-dup-title"><h3 id="desk-dup-title">${t('dup.title')}</h3>
      <ul>${this.dupes.map((d) => html`<li class="bar"><span>${d.label} (${d.reasons.map((x) => t(`dup.reason.${x}`)).join(', ')})</span>
        <button type="button" class="secondary small" aria-label="${t('desktop.open')} ${d.label}" @click=${() => this.store.setUi(this.contactId, { panel: 'record', shown: { object, id: String(d.key) } })}>${t('desktop.open')}</button></li>`)}</ul></section>`;
  }

  private matchesView(pop: ScreenPop): TemplateResult {
    const app = this.store.app;
    return html`<p>${t('desktop.severalMatches')}</p>
      <ul class="matches">${pop.matches.map((m) => {
        const key = keyOf(app, pop.object, m);
        return html`<li class="bar"><span>${displayName(app, pop.object, m)}</span>
          <button type="button" class="secondary" @click=${() => this.store.setUi(this.contactId, { panel: 'record', shown: { object: pop.object, id: key } })}>${t('desktop.open')}</button>
          ${this.isContact ? html`<button type="button" @click=${() => contain(this.link(pop.object, key))}>${t('desktop.thisCustomer')}</button>` : nothing}</li>`;
      })}</ul>`;
  }

  private searchView(): TemplateResult {
    const app = this.store.app;
    const object = customerObject(app) ?? '';
    const ui = this.store.ui(this.contactId);
    return html`<form role="search" @submit=${(ev: Event) => { ev.preventDefault(); this.search(this.querySelector<HTMLInputElement>('#customer-search')?.value ?? ''); }}>
        <label for="customer-search">${t('desktop.searchLabel')}</label>
        <input id="customer-search" type="search" autocomplete="off" .value=${ui.search} @input=${(ev: Event) => this.search((ev.target as HTMLInputElement).value)}>
      </form>
      ${this.results === null ? nothing : this.results.length === 0 ? html`<p id="search-none">${t('desktop.noneFound')}</p>` : html`<ul id="search-results" class="matches" aria-label=${t('desktop.searchResults')}>
        ${this.results.map((r) => {
          const key = keyOf(app, object, r);
          const name = displayName(app, object, r);
          return html`<li class="bar"><span class="grow">${name}</span>
            <button type="button" class="secondary" aria-label="${t('desktop.open')} ${name}" @click=${() => this.store.setUi(this.contactId, { panel: 'record', shown: { object, id: key } })}>${t('desktop.open')}</button>
            ${this.isContact ? html`<button type="button" aria-label="${t('desktop.linkCustomer')}: ${name}" @click=${() => contain(this.link(object, key))}>${t('desktop.link')}</button>` : nothing}</li>`;
        })}</ul>`}`;
  }

  private createView(): TemplateResult {
    const pop = this.screenPop();
    const object = pop?.object ?? customerObject(this.store.app) ?? '';
    return html`<desk-record-form .store=${this.store} .rev=${this.rev} .object=${object} .record=${null} .prefill=${pop?.prefill ?? {}} .fields=${recordFields(this.store.app, object)}
      @record-saved=${(ev: CustomEvent<{ object: string; record: ObjectRecord; created: boolean }>) => this.onSaved(ev)}></desk-record-form>`;
  }

  protected override render(): TemplateResult {
    const ui = this.store.ui(this.contactId);
    const address = this.address();
    let body: TemplateResult;
    if (ui.panel === 'search') body = this.searchView();
    else if (ui.panel === 'create') body = this.createView();
    else if (this.target()) body = this.recordView();
    else {
      const pop = this.screenPop();
      if (pop && pop.matches.length > 1) body = this.matchesView(pop);
      else if (pop && this.isContact) body = html`<p id="no-match">${t('desktop.noMatch')}</p>${pop.canCreate ? this.createView() : nothing}`;
      else body = html`<p class="muted">${this.isContact ? t('desktop.noCustomer') : t('desktop.waiting')}</p>`;
    }
    return html`<section id="contact" class="panel" aria-labelledby="contact-title">
      <h2 id="contact-title">${t('desktop.customer')}${address ? ` · ${fmtPhone(address)}` : ''}</h2>
      ${this.modeButtons()}
      ${body}
    </section>`;
  }
}
customElements.define('desk-customer-panel', CarusoCustomerPanel);

declare global {
  interface HTMLElementTagNameMap {
    'desk-customer-panel': CarusoCustomerPanel;
  }
}
