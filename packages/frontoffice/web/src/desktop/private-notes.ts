/**
 * A supervisor's private notes to the agent on a chat or e-mail contact (`GET /api/contacts/:id/notes`),
 * marked as private: they are the agent's only and never reach the customer's window. Read when the
 * contact is shown and again whenever the desktop changes (a note logged tells the agent's desk).
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import type { QualityNote } from '../../../src/common/api-types.js';
import { DeskElement } from './desk-element.js';

export class CarusoPrivateNotes extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    contactId: { attribute: false },
    notes: { state: true },
  };

  declare contactId: string;
  declare notes: readonly QualityNote[];
  private readFor = '';
  private readRev = -1;
  /** Whether the notes of `readFor` were read once (later ones are announced). */
  private seen = false;

  constructor() {
    super();
    this.notes = [];
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('contactId') && this.readFor !== this.contactId) {
      this.notes = [];
      this.seen = false;
    }
    if (this.contactId && (this.readFor !== this.contactId || this.readRev !== this.rev)) this.read(this.contactId);
  }

  private read(id: string): void {
    this.readFor = id;
    this.readRev = this.rev;
    api<{ data: QualityNote[] }>('GET', `/api/contacts/${encodeURIComponent(id)}/notes`).then((r) => {
      if (this.contactId !== id) return;
      const known = new Set(this.notes.map((n) => n.id));
      const fresh = r.data.filter((n) => !known.has(n.id));
      this.notes = r.data;
      // A note that arrived while the contact is on screen is said, not only shown.
      if (this.seen) for (const n of fresh) announce(`${t('notes.privateFrom', { name: n.from })}: ${n.text}`);
      this.seen = true;
    }, () => undefined);
  }

  protected override render(): TemplateResult {
    if (this.notes.length === 0) return html``;
    return html`<section class="panel private-notes" aria-labelledby="private-notes-title">
      <h3 id="private-notes-title">${t('notes.private')}</h3>
      <p class="muted">${t('notes.privateHint')}</p>
      <ol id="private-notes">${this.notes.map((n) => html`<li class="chat-note" data-note-id=${n.id}><span class="badge">${t('notes.privateBadge')}</span> <strong>${t('notes.privateFrom', { name: n.from })}:</strong> <span class="note-text">${n.text}</span></li>`)}</ol>
    </section>${nothing}`;
  }
}
customElements.define('desk-private-notes', CarusoPrivateNotes);

declare global {
  interface HTMLElementTagNameMap {
    'desk-private-notes': CarusoPrivateNotes;
  }
}
