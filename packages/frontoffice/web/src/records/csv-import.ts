/**
 * CSV import and export of a list's object (supervisors and administrators with create rights):
 * a file is previewed first (each row's outcome, nothing written), then imported, all or nothing or
 * skipping bad rows, with a progress bar for a long import (202 and GET /api/imports/:jobId) and the
 * per-row report of errors and duplicates. Export downloads the rows the role may read as CSV.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtNumber } from '../shared/format.js';
import { LightElement } from '../shared/light-element.js';
import type { RoleObject } from '../shared/types.js';

interface ImportRow {
  readonly row: number;
  readonly status: 'created' | 'updated' | 'skipped' | 'error' | 'duplicate';
  readonly message: string;
  readonly key: unknown;
}
interface ImportResult {
  readonly rows: readonly ImportRow[];
  readonly created: number;
  readonly updated: number;
  readonly errors: number;
  readonly duplicates: number;
  readonly preview?: boolean;
}
interface ImportJob {
  readonly done: boolean;
  readonly total: number;
  readonly processed: number;
  readonly result?: ImportResult;
  readonly error?: { readonly code: string; readonly message: string };
}

export class CsvImport extends LightElement {
  static override properties = { result: { state: true }, progress: { state: true }, busy: { state: true } };
  declare private result: ImportResult | undefined;
  declare private progress: { done: number; total: number } | undefined;
  declare private busy: boolean;

  def!: RoleObject;
  /** Whether the user may import (supervisors and administrators whose role may create records). */
  mayImport = false;
  /** The list's filter as JSON (the export takes the rows the list shows). */
  filter = '';
  onImported: () => void = () => undefined;
  private text = '';

  constructor() {
    super();
    this.busy = false;
  }

  private get mode(): string {
    return (this.querySelector('#import-mode') as HTMLSelectElement | null)?.value ?? 'skip-bad-rows';
  }

  /** `skip` (a new row that looks like a record already there is left out and reported) or `ignore`. */
  private get duplicates(): string {
    return (this.querySelector('#import-duplicates') as HTMLSelectElement | null)?.value ?? 'skip';
  }

  private readonly pick = async (ev: Event): Promise<void> => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    this.result = undefined;
    this.progress = undefined;
    this.text = file ? await file.text() : '';
  };

  private async send(preview: boolean): Promise<void> {
    if (!this.text) {
      (this.querySelector('#import-file') as HTMLInputElement | null)?.focus();
      return;
    }
    this.busy = true;
    try {
      const q = new URLSearchParams({ mode: this.mode, duplicates: this.duplicates, ...(preview ? { preview: 'true' } : {}) });
      const r = await api<ImportResult | { jobId: string }>('POST', `/api/objects/${encodeURIComponent(this.def.name)}/import?${q.toString()}`, this.text, 'text/csv');
      const result = 'jobId' in r ? await this.follow(r.jobId) : r;
      this.result = result;
      if (result) announce(preview ? t('import.previewed', { n: result.rows.length }) : t('import.done', { created: result.created, updated: result.updated, errors: result.errors }));
      if (!preview) this.onImported();
    } catch (e) {
      fail(e);
    } finally {
      this.busy = false;
    }
  }

  /** Follows a long import until it is done, drawing its progress. */
  private async follow(jobId: string): Promise<ImportResult | undefined> {
    for (;;) {
      const job = await api<ImportJob>('GET', `/api/imports/${encodeURIComponent(jobId)}`);
      this.progress = { done: job.processed, total: job.total };
      if (job.done) {
        if (job.error) throw new Error(job.error.message);
        return job.result;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  protected override render(): TemplateResult {
    const exportHref = `/api/objects/${encodeURIComponent(this.def.name)}/export?${new URLSearchParams({ format: 'csv', ...(this.filter ? { filter: this.filter } : {}) }).toString()}`;
    const form = this.mayImport
      ? html`<details class="csv-import"><summary>${t('import.title')}</summary><div class="panel"><label for="import-file">${t('import.file')}</label><input id="import-file" type="file" accept=".csv,text/csv" @change=${(ev: Event) => contain(this.pick(ev))}><label for="import-mode">${t('import.mode')}</label><select id="import-mode"><option value="skip-bad-rows">${t('import.mode.skip')}</option><option value="all-or-nothing">${t('import.mode.all')}</option></select><label for="import-duplicates">${t('import.duplicates')}</label><select id="import-duplicates"><option value="skip">${t('import.duplicates.skip')}</option><option value="ignore">${t('import.duplicates.ignore')}</option></select><p><button type="button" class="secondary" id="btn-import-preview" ?disabled=${this.busy} @click=${() => contain(this.send(true))}>${t('import.preview')}</button> <button type="button" id="btn-import" ?disabled=${this.busy} @click=${() => contain(this.send(false))}>${t('import.run')}</button></p>${this.progress ? html`<label for="import-progress">${t('import.progress')}</label><progress id="import-progress" max=${this.progress.total} .value=${this.progress.done}>${fmtNumber(this.progress.done)} / ${fmtNumber(this.progress.total)}</progress>` : nothing}${this.report()}</div></details>`
      : nothing;
    return html`<div class="bar csv-bar"><a class="button secondary" id="btn-export" href=${exportHref} download=${`${this.def.name}.csv`}>${t('export.csv')}</a>${form}</div>`;
  }

  private report(): TemplateResult | typeof nothing {
    const r = this.result;
    if (!r) return nothing;
    const summary = t(r.preview ? 'import.previewSummary' : 'import.summary', { created: r.created, updated: r.updated, errors: r.errors, duplicates: r.duplicates });
    return html`<p id="import-summary" role="status">${summary}</p><table id="import-report"><caption class="visually-hidden">${t('import.report')}</caption><thead><tr><th scope="col">${t('import.row')}</th><th scope="col">${t('import.status')}</th><th scope="col">${t('import.message')}</th></tr></thead><tbody>${r.rows.map((x) => html`<tr class=${`import-${x.status}`}><td>${x.row}</td><td>${t(`import.status.${x.status}`)}</td><td>${x.message}</td></tr>`)}</tbody></table>`;
  }
}
customElements.define('caruso-csv-import', CsvImport);
