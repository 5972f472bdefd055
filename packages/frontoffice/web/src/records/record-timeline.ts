/** A record's timeline: its contacts with their wrap-ups and the changes of its fields, newest first. */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { fail, contain } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import type { TimelineEntry } from '../shared/types.js';

export class RecordTimeline extends LightElement {
  static override properties = { entries: { state: true } };
  declare private entries: readonly TimelineEntry[] | undefined;

  object = '';
  recordId = '';

  /** Reads the timeline again (after a wrap-up, a save). */
  async reload(): Promise<void> {
    try {
      const r = await api<{ entries: readonly TimelineEntry[] }>('GET', `/api/objects/${this.object}/${encodeURIComponent(this.recordId)}/timeline`);
      this.entries = r.entries;
    } catch (e) {
      fail(e);
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.reload());
  }

  protected override render(): TemplateResult | typeof nothing {
    if (!this.entries) return nothing;
    return html`<section class="panel" aria-labelledby="tl-title"><h2 id="tl-title">${t('desktop.timeline')}</h2><ol class="timeline" reversed>${this.entries.map((e) => entry(e))}</ol></section>`;
  }
}
customElements.define('caruso-record-timeline', RecordTimeline);

function entry(e: TimelineEntry): TemplateResult {
  const when = new Date(e.at).toLocaleString();
  if (e.kind === 'contact') return html`<li><strong>${e.channel} · ${e.code}</strong> ${when} · ${e.actor}${e.notes ? html`<div>${e.notes}</div>` : nothing}</li>`;
  return html`<li><strong>${e.field ?? e.action}</strong> ${when} · ${e.actor ?? ''}: <span>${JSON.stringify(e.oldValue) ?? '–'} → ${JSON.stringify(e.newValue) ?? '–'}</span></li>`;
}
