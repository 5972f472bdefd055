/**
 * The recordings of a contact (`GET /api/contacts/:id/recordings`) with a player each. The audio is
 * served by the audited route (every playback is written to the audit); a role that may not hear
 * them (an agent and another agent's contact) sees nothing. No player loads audio before it is played.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { QualityRecording } from '../../../src/common/api-types.js';
import { api } from './api.js';
import { fmtDuration } from './format.js';
import { t } from './i18n.js';
import { LightElement } from './light-element.js';

export class RecordingsList extends LightElement {
  static override properties = { contactId: { attribute: false }, recordings: { state: true } };
  declare contactId: string;
  declare recordings: readonly QualityRecording[];
  private readFor = '';

  constructor() {
    super();
    this.contactId = '';
    this.recordings = [];
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('contactId') || !this.contactId || this.readFor === this.contactId) return;
    const id = this.contactId;
    this.readFor = id;
    this.recordings = [];
    api<{ data: QualityRecording[] }>('GET', `/api/contacts/${encodeURIComponent(id)}/recordings`).then((r) => {
      if (this.contactId === id) this.recordings = r.data;
    }, () => undefined);
  }

  protected override render(): TemplateResult {
    if (this.recordings.length === 0) return html`${nothing}`;
    return html`<ul class="recordings">${this.recordings.map((r, i) => {
      const label = `${t('recording.title')} ${this.recordings.length > 1 ? i + 1 : ''} (${fmtDuration(r.durationMs)}${r.pausedMs > 0 ? ` · ${t('recording.paused', { duration: fmtDuration(r.pausedMs) })}` : ''})`.replace(/ {2}/g, ' ');
      return html`<li data-recording=${r.id}><span>${label}</span> <audio controls preload="none" src=${r.url} aria-label=${label}></audio></li>`;
    })}</ul>`;
  }
}
customElements.define('caruso-recordings', RecordingsList);

declare global {
  interface HTMLElementTagNameMap {
    'caruso-recordings': RecordingsList;
  }
}
