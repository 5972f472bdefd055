/**
 * A list of records (`/lists/<view>`): search, a saved filter, columns sorted by clicking their
 * header (aria-sort says how), New for a role that may create, and pages of `pageSize` rows. Values
 * show as the application labels them (an enum by its option's label, yes/no, dates in its language).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, fail, contain } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtValue } from '../shared/format.js';
import './csv-import.js';
import { LightElement } from '../shared/light-element.js';
import { objectDef, recordKey, type PageContext } from '../shared/context.js';
import type { ListView, RecordPage as RecordPageAnswer, RoleObject } from '../shared/types.js';

export class ListPage extends LightElement {
  static override properties = { page: { state: true }, sort: { state: true }, mine: { state: true } };
  /** The user's own saved filters of this list (GET /api/me/filters): a search, a filter and a sort. */
  declare private mine: readonly { readonly name: string; readonly query: string }[];
  declare private page: RecordPageAnswer | undefined;
  /** The sort keys in force (`-field` for descending): the view's until a header is clicked. */
  declare private sort: readonly string[];

  ctx!: PageContext;
  private view: ListView | undefined;
  private def: RoleObject | undefined;
  private offset = 0;
  private search = '';
  private filter = '';
  /** Only the answer to the latest request is drawn (typing sends one per key). */
  private asked = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    const name = decodeURIComponent(location.pathname.split('/')[2] ?? '');
    this.view = this.ctx.app.lists.find((l) => l.name === name);
    if (!this.view) return fail(new Error(`${name}?`));
    this.def = objectDef(this.ctx, this.view.object);
    this.sort = this.view.sort;
    this.mine = [];
    contain(this.load());
    contain(this.loadMine());
  }

  private async load(): Promise<void> {
    const view = this.view as ListView;
    const q = new URLSearchParams({ limit: String(view.pageSize), offset: String(this.offset) });
    if (this.sort.length) q.set('sort', this.sort.join(','));
    if (this.search) q.set('search', this.search);
    const filter = this.filterJson();
    if (filter) q.set('filter', filter);
    const asked = ++this.asked;
    try {
      const r = await api<RecordPageAnswer>('GET', `/api/objects/${view.object}?${q.toString()}`);
      if (asked === this.asked) this.page = r;
    } catch (e) {
      fail(e);
    }
  }

  private async loadMine(): Promise<void> {
    const list = (this.view as ListView).name;
    try {
      this.mine = (await api<{ filters: readonly { name: string; query: string }[] }>('GET', `/api/me/filters?${new URLSearchParams({ list }).toString()}`)).filters;
    } catch {
      this.mine = [];
    }
  }

  /** Saves the list as it is now (search, saved filter, sort) under a name of the user's. */
  private readonly saveMine = async (ev: SubmitEvent): Promise<void> => {
    ev.preventDefault();
    const input = this.querySelector('#my-filter-name') as HTMLInputElement;
    const name = input.value.trim();
    if (!name) return input.focus();
    const query = new URLSearchParams({ search: this.search, filter: this.filter, sort: this.sort.join(',') }).toString();
    try {
      await api('POST', `/api/me/filters?${new URLSearchParams({ list: (this.view as ListView).name }).toString()}`, { name, query });
      input.value = '';
      announce(t('list.filterSaved', { name }));
      await this.loadMine();
    } catch (e) {
      fail(e);
    }
  };

  private async deleteMine(name: string): Promise<void> {
    await api('DELETE', `/api/me/filters?${new URLSearchParams({ list: (this.view as ListView).name, name }).toString()}`);
    announce(t('list.filterDeleted', { name }));
    await this.loadMine();
  }

  private applyMine(name: string): void {
    const f = this.mine.find((x) => x.name === name);
    if (!f) return;
    const q = new URLSearchParams(f.query);
    this.search = q.get('search') ?? '';
    this.filter = q.get('filter') ?? '';
    const sort = q.get('sort');
    this.sort = sort ? sort.split(',').filter((x) => x !== '') : (this.view as ListView).sort;
    const box = this.querySelector('#search') as HTMLInputElement | null;
    if (box) box.value = this.search;
    const select = this.querySelector('#saved-filter') as HTMLSelectElement | null;
    if (select) select.value = this.filter;
    this.offset = 0;
    contain(this.load());
  }

  private mineBar(): TemplateResult {
    return html`<details class="my-filters"><summary>${t('list.myFilters')}${this.mine.length ? ` (${this.mine.length})` : ''}</summary><ul>${this.mine.map((f) => html`<li><button type="button" class="secondary small" data-my-filter=${f.name} @click=${() => this.applyMine(f.name)}>${f.name}</button> <button type="button" class="secondary small" aria-label=${`${t('list.deleteFilter')}: ${f.name}`} @click=${() => contain(this.deleteMine(f.name))}>×</button></li>`)}</ul><form id="my-filter-form" @submit=${this.saveMine}><label for="my-filter-name">${t('list.saveFilterAs')}</label><input id="my-filter-name" maxlength="100"><button type="submit" class="secondary">${t('list.saveFilter')}</button></form></details>`;
  }

  /** The saved filter chosen, as the API's JSON filter ('' for none). */
  private filterJson(): string {
    const sf = this.view?.filters.find((f) => f.name === this.filter);
    return sf ? JSON.stringify(Object.fromEntries(sf.conditions.map((c) => [c.field, c.op === 'eq' ? c.value : { [c.op]: c.op === 'isNull' ? c.value !== 'false' : c.value }]))) : '';
  }

  private readonly onSearch = (ev: Event): void => {
    this.search = (ev.target as HTMLInputElement).value;
    this.offset = 0;
    contain(this.load());
  };

  private readonly onFilter = (ev: Event): void => {
    this.filter = (ev.target as HTMLSelectElement).value;
    this.offset = 0;
    contain(this.load());
  };

  /** How the list is sorted by `field` now. */
  private direction(field: string): 'ascending' | 'descending' | 'none' {
    const first = this.sort[0];
    if (first === field) return 'ascending';
    if (first === `-${field}`) return 'descending';
    return 'none';
  }

  private sortBy(field: string): void {
    this.sort = [this.direction(field) === 'ascending' ? `-${field}` : field];
    this.offset = 0;
    contain(this.load());
  }

  private go(offset: number): void {
    this.offset = offset;
    contain(this.load());
  }

  protected override render(): TemplateResult | typeof nothing {
    const view = this.view;
    const def = this.def;
    if (!view || !def) return nothing;
    const cols = view.columns.filter((c) => def.fields.some((f) => f.name === c.field));
    const search = view.search ? html`<label for="search">${t('list.search')}</label><input id="search" type="search" @input=${this.onSearch}>` : nothing;
    const filter = view.filters.length ? html`<label for="saved-filter">${t('list.filter')}</label><select id="saved-filter" @change=${this.onFilter}><option value="">${t('list.all')}</option>${view.filters.map((f) => html`<option value=${f.name}>${f.label}</option>`)}</select>` : nothing;
    const add = def.actions.includes('create') && view.record ? html`<a class="button" id="btn-new" href=${`/records/${encodeURIComponent(view.record)}/new`}>${t('record.new')}</a>` : nothing;
    const manager = this.ctx.me.role === 'supervisor' || this.ctx.me.role === 'administrator';
    const csv = html`<caruso-csv-import .def=${def} .mayImport=${manager && def.actions.includes('create')} .filter=${this.filterJson()} .onImported=${() => contain(this.load())}></caruso-csv-import>`;
    return html`<h1>${view.label}</h1><div class="bar">${search}${filter}${add}</div>${this.mineBar()}${csv}${this.table(view, def, cols)}${this.pager(view)}`;
  }

  private table(view: ListView, def: RoleObject, cols: ListView['columns']): TemplateResult {
    const page = this.page;
    if (!page) return html`<table></table>`;
    const cell = (rec: Readonly<Record<string, unknown>>, field: string, first: boolean): TemplateResult => {
      const text = fmtValue(rec[field], def.fields.find((f) => f.name === field));
      return first && view.record
        ? html`<td><a href=${`/records/${encodeURIComponent(view.record)}/${encodeURIComponent(recordKey(def, rec))}`}>${text || recordKey(def, rec)}</a></td>`
        : html`<td>${text}</td>`;
    };
    const head = (c: ListView['columns'][number]): TemplateResult => {
      const label = c.label ?? def.fields.find((f) => f.name === c.field)?.label ?? c.field;
      const dir = this.direction(c.field);
      return html`<th scope="col" aria-sort=${dir}><button type="button" class="sort" data-sort=${c.field} @click=${() => this.sortBy(c.field)}>${label}<span class="sort-mark" aria-hidden="true">${dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''}</span></button></th>`;
    };
    return html`<table><caption class="visually-hidden">${view.label}</caption><thead><tr>${cols.map(head)}</tr></thead><tbody>${page.data.map((rec) => html`<tr>${cols.map((c, i) => cell(rec, c.field, i === 0))}</tr>`)}</tbody></table>`;
  }

  private pager(view: ListView): TemplateResult {
    const page = this.page;
    if (!page) return html`<p></p>`;
    return html`<p><button type="button" class="secondary" ?disabled=${this.offset === 0} @click=${() => this.go(Math.max(0, this.offset - view.pageSize))}>${t('list.previous')}</button> ${this.offset + 1}–${this.offset + page.data.length} ${t('list.of')} ${page.total} <button type="button" class="secondary" ?disabled=${page.nextCursor === null} @click=${() => this.go(this.offset + view.pageSize)}>${t('list.nextPage')}</button></p>`;
  }
}
customElements.define('caruso-list-page', ListPage);
