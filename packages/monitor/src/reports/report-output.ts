import type { ReportCell, ReportResult } from './report-engine.js';

/** The output formats of a report. */
export type ReportFormat = 'json' | 'csv' | 'html';

/** Every output format. */
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'html'];

function cellText(v: ReportCell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000);
  return v;
}

function csvCell(v: ReportCell): string {
  let s = cellText(v);
  // A text cell starting with a formula character is neutralised for spreadsheets.
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV (RFC 4180, header row first, CRLF line ends). */
export function reportToCsv(r: ReportResult): string {
  const lines = [r.columns.map((c) => csvCell(c)).join(',')];
  for (const row of r.rows) lines.push(r.columns.map((c) => csvCell(row[c] ?? null)).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** JSON (the whole result). */
export function reportToJson(r: ReportResult): string {
  return JSON.stringify(r, null, 2) + '\n';
}

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A horizontal bar chart as inline SVG (no script, no external asset). */
export function barChartSvg(labels: readonly string[], values: ReadonlyArray<number | null>, title: string): string {
  const rowH = 22;
  const labelW = 160;
  const barW = 420;
  const h = 30 + labels.length * rowH;
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  const bars = labels
    .map((label, i) => {
      const v = values[i] ?? null;
      const w = v === null || max <= 0 ? 0 : Math.max(0, (v / max) * barW);
      const y = 24 + i * rowH;
      return `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${escapeHtml(label)}</text><rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#3b6ea5"/><text x="${(labelW + w + 4).toFixed(1)}" y="${y + 14}">${escapeHtml(cellText(v))}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 80}" height="${h}" font-family="sans-serif" font-size="12" role="img" aria-label="${escapeHtml(title)}"><text x="0" y="14" font-weight="bold">${escapeHtml(title)}</text>${bars}</svg>`;
}

/** A self-contained HTML page: the table and a bar chart of the chart column (one bar per row). */
export function reportToHtml(r: ReportResult): string {
  const head = r.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = r.rows.map((row) => `<tr>${r.columns.map((c) => `<td>${escapeHtml(cellText(row[c] ?? null))}</td>`).join('')}</tr>`).join('\n');
  let chart = '';
  if (r.chart !== undefined && r.rows.length > 0) {
    const labels = r.rows.map((row) => (r.dimensions.length ? r.dimensions.map((d) => cellText(row[d] ?? null) || '(none)').join(' / ') : 'total'));
    const values = r.rows.map((row) => {
      const v = row[r.chart!];
      return typeof v === 'number' ? v : null;
    });
    chart = barChartSvg(labels, values, r.chart);
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}</style>
</head><body>
<h1>${escapeHtml(r.title)}</h1>
<p>${escapeHtml(r.from)} – ${escapeHtml(r.to)}</p>
${chart}
<table><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>
</body></html>
`;
}

/** The report in a format. */
export function formatReport(r: ReportResult, format: ReportFormat): string {
  return format === 'csv' ? reportToCsv(r) : format === 'html' ? reportToHtml(r) : reportToJson(r);
}
