/** A horizontal bar chart of one column of a report (one bar per row), as SVG with its own title and description for screen readers. */
import { svg } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import type { AppResponse, ReportAnswer } from '../shared/types.js';
import { columnLabel, dimensionCell, reportCell } from './report-format.js';

const ROW_H = 22;
const LABEL_W = 140;
const BAR_W = 300;

export function reportChart(r: ReportAnswer & { readonly chart: string }, id: string, app?: AppResponse): SVGSVGElement {
  const labels = r.rows.map((row) => (r.dimensions.length ? r.dimensions.map((d) => dimensionCell(app, d, row[d])).join(' / ') : t('report.total')));
  const values = r.rows.map((row) => { const v = row[r.chart]; return typeof v === 'number' ? v : null; });
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  const title = `${columnLabel(r.chart)}${r.dimensions.length ? ` ${t('report.by')} ${r.dimensions.map(columnLabel).join(' / ').toLowerCase()}` : ''}`;
  const summary = labels.map((l, i) => `${l}: ${reportCell(r.chart, values[i])}`).join('; ');
  return svg('svg', { class: 'report-chart', viewBox: `0 0 ${LABEL_W + BAR_W + 60} ${labels.length * ROW_H + 4}`, role: 'img', 'aria-labelledby': `${id}-chart-title ${id}-chart-desc`, 'data-column': r.chart },
    svg('title', { id: `${id}-chart-title` }, title),
    svg('desc', { id: `${id}-chart-desc` }, summary),
    labels.map((label, i) => {
      const v = values[i] ?? null;
      const w = v === null || max <= 0 ? 0 : Math.max(1, (v / max) * BAR_W);
      const y = 2 + i * ROW_H;
      return svg('g', { class: 'report-bar' },
        svg('text', { x: LABEL_W - 6, y: y + 15, 'text-anchor': 'end' }, label.length > 16 ? `${label.slice(0, 15)}…` : label),
        svg('rect', { x: LABEL_W, y: y + 3, width: w.toFixed(1), height: ROW_H - 6 }),
        svg('text', { x: (LABEL_W + w + 4).toFixed(1), y: y + 15 }, reportCell(r.chart, v)));
    }));
}
