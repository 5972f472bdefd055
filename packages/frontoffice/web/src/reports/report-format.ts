/** How report widgets show figures: periods in the viewer's local time, ratios as percentages, column labels. */
import { fmtDuration } from '../shared/format.js';
import { hasText, pageLang, t } from '../shared/i18n.js';
import { queueLabel, scriptLabel } from '../shared/labels.js';
import type { AppResponse, ReportPeriod } from '../shared/types.js';

/** The [from, to) of a widget's period in the viewer's local time. */
export function reportPeriod(period: ReportPeriod, now: Date): [Date, Date] {
  const day = (offset: number): Date => new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset);
  if (period === 'yesterday') return [day(-1), day(0)];
  if (period === 'last-7-days') return [day(-6), day(1)];
  if (period === 'this-month') return [new Date(now.getFullYear(), now.getMonth(), 1), new Date(now.getFullYear(), now.getMonth() + 1, 1)];
  return [day(0), day(1)];
}

/** Ratios (0..1) are shown as percentages. */
export const isRatio = (column: string): boolean => /Rate$|^serviceLevel|^occupancy$|^utilization$/.test(column);

/** Durations in seconds (`asaSeconds`, `wrapUpSeconds`): shown as h:mm:ss (the CSV keeps the seconds). */
export const isDuration = (column: string): boolean => /Seconds$/.test(column);

/** A cell: durations as h:mm:ss, ratios as percentages, other figures with at most one decimal, no value as a dash. */
export function reportCell(column: string, v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  if (isDuration(column)) return fmtDuration(v * 1000);
  // In the application's language (a decimal comma in Dutch), without grouping: figures line up.
  const n = (x: number): string => new Intl.NumberFormat(pageLang(), { maximumFractionDigits: 1, useGrouping: false }).format(x);
  if (isRatio(column)) return `${n(Math.round(v * 1000) / 10)} %`;
  return n(Math.round(v * 10) / 10);
}

/** A column's label: its translation when there is one, else its name in words (`avgWaitSeconds`: Avg wait, shown as h:mm:ss). */
export function columnLabel(c: string): string {
  if (hasText(`report.column.${c}`)) return t(`report.column.${c}`);
  const words = c.replace(/Seconds$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().replace(/\b(asa|aht)\b/g, (x) => x.toUpperCase());
  return words.replace(/^./, (x) => x.toUpperCase());
}

/** A dimension's value (a row's heading): queues and scripts by their labels, no value as "(none)". */
export function dimensionCell(app: AppResponse | undefined, column: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return t('report.none');
  if (column === 'queue') return queueLabel(app, String(v));
  if (column === 'script') return scriptLabel(app, String(v));
  return reportCell(column, v);
}
