/** The scheduled callbacks: agents see theirs, supervisors and administrators everyone's. */
import { html, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, fail, contain } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtDateTime } from '../shared/format.js';
import { queueLabel } from '../shared/labels.js';
import { LightElement } from '../shared/light-element.js';
import type { PageContext } from '../shared/context.js';
import type { ScheduledCallbackView } from '../shared/types.js';

const COLUMNS = ['when', 'number', 'queue', 'note', 'by', 'customer', 'action'] as const;

export class CallbacksPage extends LightElement {
  static override properties = { callbacks: { state: true } };
  declare private callbacks: readonly ScheduledCallbackView[] | undefined;

  ctx!: PageContext;

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.load());
  }

  private async load(): Promise<void> {
    try {
      this.callbacks = (await api<{ data: readonly ScheduledCallbackView[] }>('GET', '/api/callbacks')).data;
    } catch (e) {
      fail(e);
    }
  }

  private async cancel(cb: ScheduledCallbackView): Promise<void> {
    try {
      await api('DELETE', `/api/callbacks/${encodeURIComponent(cb.callbackId)}`);
      announce(t('callbacks.cancelled'));
      await this.load();
    } catch (e) {
      fail(e);
    }
  }

  protected override render(): TemplateResult {
    const list = this.callbacks;
    const body = list
      ? html`<caption class="visually-hidden">${t('callbacks.title')}</caption><thead><tr>${COLUMNS.map((k) => html`<th scope="col">${t(`callbacks.${k}`)}</th>`)}</tr></thead><tbody>${list.map((cb) => this.row(cb))}</tbody>${list.length === 0 ? html`<tbody><tr><td colspan="7">${t('callbacks.none')}</td></tr></tbody>` : ''}`
      : '';
    return html`<h1>${t('callbacks.title')}</h1><table>${body}</table>`;
  }

  private row(cb: ScheduledCallbackView): TemplateResult {
    const when = fmtDateTime(cb.at);
    const view = cb.object ? this.ctx.app.records.find((x) => x.object === cb.object) : undefined;
    const customer = view && cb.recordId ? html`<a href=${`/records/${encodeURIComponent(view.name)}/${encodeURIComponent(cb.recordId)}`}>${cb.object} ${cb.recordId}</a>` : '';
    return html`<tr data-callback=${cb.callbackId}><td>${when}</td><td>${cb.number}</td><td>${queueLabel(this.ctx.app, cb.queueId)}</td><td>${cb.note ?? ''}</td><td>${cb.scheduledBy ?? ''}</td><td>${customer}</td><td><button type="button" class="secondary" aria-label=${`${t('callbacks.cancel')}: ${cb.number}, ${when}`} @click=${() => this.cancel(cb)}>${t('callbacks.cancel')}</button></td></tr>`;
  }
}
customElements.define('caruso-callbacks-page', CallbacksPage);
