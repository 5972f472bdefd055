/** A report widget of a dashboard: the monitor's report for the widget's period, as a bar chart and a table, read again every minute. */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { contain } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtTime } from '../shared/format.js';
import { LightElement } from '../shared/light-element.js';
import { serverNow, type PageContext } from '../shared/context.js';
import type { ReportAnswer, Widget } from '../shared/types.js';
import { reportChart } from './report-chart.js';
import { columnLabel, dimensionCell, reportCell, reportPeriod } from './report-format.js';

const REPORT_REFRESH_MS = 60_000;

type Shown = { readonly report: ReportAnswer; readonly at: number } | { readonly error: string };

export class ReportWidget extends LightElement {
  static override properties = { shown: { state: true } };
  declare private shown: Shown | undefined;

  ctx!: PageContext;
  widget!: Widget;
  index = 0;
  private timer: number | undefined;
  private readonly stop = (): void => window.clearInterval(this.timer);

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.load());
    this.timer = window.setInterval(() => { if (!document.hidden) contain(this.load()); }, REPORT_REFRESH_MS);
    window.addEventListener('pagehide', this.stop, { once: true });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop();
  }

  private get period(): NonNullable<Widget['period']> {
    return this.widget.period ?? 'today';
  }

  private async load(): Promise<void> {
    const [from, to] = reportPeriod(this.period, new Date(serverNow(this.ctx)));
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    try {
      const { data } = await api<{ data: ReportAnswer }>('GET', `/api/reports/${encodeURIComponent(this.widget.report ?? '')}?${q.toString()}`);
      this.shown = { report: data, at: serverNow(this.ctx) };
    } catch (e) {
      this.shown = { error: `${t('report.failed')} ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  protected override render(): TemplateResult {
    const w = this.widget;
    const id = `rw-${this.index}`;
    const shown = this.shown;
    const title = w.label ?? (shown && 'report' in shown ? shown.report.title : w.report);
    return html`<section class="panel report-widget" id=${id} data-report=${w.report ?? ''} aria-labelledby=${`${id}-title`} aria-busy=${shown ? 'false' : 'true'}><h2 id=${`${id}-title`}>${title}</h2><p class="muted">${t(`report.period.${this.period}`)}</p><div class="report-body" aria-live="polite">${this.body(id)}</div></section>`;
  }

  private body(id: string): TemplateResult | typeof nothing {
    const shown = this.shown;
    if (!shown) return nothing;
    if ('error' in shown) return html`<p class="field-error" role="alert">${shown.error}</p>`;
    const r = shown.report;
    const name = this.widget.label ?? r.title;
    const period = t(`report.period.${this.period}`);
    const updated = html`<p class="muted report-updated">${t('report.updated')} ${fmtTime(shown.at)}</p>`;
    if (r.rows.length === 0) return html`<p>${t('report.empty')}</p>${updated}`;
    const chart = r.chart ? reportChart({ ...r, chart: r.chart }, id, this.ctx.app) : nothing;
    const cols = r.columns;
    const rows = r.rows.map((row) => html`<tr>${cols.map((c, j) => (j < r.dimensions.length ? html`<th scope="row">${dimensionCell(this.ctx.app, c, row[c])}</th>` : html`<td>${reportCell(c, row[c])}</td>`))}</tr>`);
    return html`${chart}<div class="report-scroll" tabindex="0" role="region" aria-label=${`${name}: ${t('report.table')}`}><table class="report-table"><caption class="visually-hidden">${name}, ${period}</caption><thead><tr>${cols.map((c) => html`<th scope="col">${columnLabel(c)}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>${updated}`;
  }
}
customElements.define('caruso-report-widget', ReportWidget);
