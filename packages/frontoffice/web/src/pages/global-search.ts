/**
 * The global search in the header: one box (Ctrl+K or "/" reaches it; on the agent desktop Ctrl+K
 * stays the desktop's customer search), ranked hits with their record type, a combobox the arrow
 * keys walk and Enter opens. It asks `GET /api/search`.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { contain } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import type { AppResponse, SearchAnswer, SearchHit } from '../shared/types.js';
import { openRecord } from '../records/related-records.js';

/** Whether a key press happened while typing into something. */
function typing(ev: KeyboardEvent): boolean {
  const el = ev.target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

export class GlobalSearch extends LightElement {
  static override properties = { hits: { state: true }, active: { state: true }, open: { state: true } };
  declare private hits: readonly SearchHit[];
  declare private active: number;
  declare private open: boolean;

  app!: AppResponse;
  private asked = 0;

  constructor() {
    super();
    this.hits = [];
    this.active = -1;
    this.open = false;
  }

  private readonly onKey = (ev: KeyboardEvent): void => {
    const ctrlK = (ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 'k' && document.body.dataset['page'] !== 'desktop';
    if (ctrlK || (ev.key === '/' && !typing(ev) && !ev.ctrlKey && !ev.altKey && !ev.metaKey)) {
      ev.preventDefault();
      this.box?.focus();
      this.box?.select();
    }
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    document.removeEventListener('keydown', this.onKey);
    super.disconnectedCallback();
  }

  private get box(): HTMLInputElement | null {
    return this.querySelector('#global-search');
  }

  /** Opens a hit: in the desktop's panel on the desktop, else on its record page. */
  private go(h: SearchHit): void {
    this.open = false;
    openRecord({ app: this.app }, h.object, String(h.key));
  }

  private async search(q: string): Promise<void> {
    const asked = ++this.asked;
    let hits: readonly SearchHit[] = [];
    if (q.trim().length >= 2) hits = (await api<SearchAnswer>('GET', `/api/search?${new URLSearchParams({ q, limit: '20' }).toString()}`)).hits;
    if (asked !== this.asked) return;
    this.hits = hits;
    this.active = hits.length ? 0 : -1;
    this.open = q.trim().length >= 2;
  }

  private readonly onInput = (ev: Event): void => {
    contain(this.search((ev.target as HTMLInputElement).value));
  };

  private readonly onBoxKey = (ev: KeyboardEvent): void => {
    const n = this.hits.length;
    if (ev.key === 'ArrowDown' && n) {
      ev.preventDefault();
      this.open = true;
      this.active = (this.active + 1) % n;
    } else if (ev.key === 'ArrowUp' && n) {
      ev.preventDefault();
      this.active = (this.active - 1 + n) % n;
    } else if (ev.key === 'Enter') {
      const hit = this.hits[this.active];
      if (hit) {
        ev.preventDefault();
        this.go(hit);
      }
    } else if (ev.key === 'Escape') {
      this.open = false;
    }
  };

  protected override render(): TemplateResult {
    const open = this.open;
    const list = open
      ? html`<ul id="search-hits" role="listbox" aria-label=${t('search.results')} class="search-hits">${this.hits.length ? this.hits.map((h, i) => html`<li role="option" id=${`hit-${i}`} aria-selected=${i === this.active ? 'true' : 'false'} class=${i === this.active ? 'active' : ''} @mousedown=${(ev: MouseEvent) => { ev.preventDefault(); this.go(h); }}><span class="badge">${h.objectLabel}</span> ${h.label}</li>`) : html`<li role="option" aria-selected="false" aria-disabled="true" class="muted">${t('search.none')}</li>`}</ul>`
      : nothing;
    return html`<div class="global-search" role="search"><label for="global-search" class="visually-hidden">${t('search.label')}</label><input id="global-search" type="search" autocomplete="off" placeholder=${t('search.placeholder')} role="combobox" aria-autocomplete="list" aria-expanded=${open ? 'true' : 'false'} aria-controls="search-hits" aria-activedescendant=${open && this.active >= 0 ? `hit-${this.active}` : nothing} @input=${this.onInput} @keydown=${this.onBoxKey} @blur=${() => setTimeout(() => (this.open = false), 200)}>${list}</div>`;
  }
}
customElements.define('caruso-global-search', GlobalSearch);
