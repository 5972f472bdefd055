/**
 * An e-mail contact: the thread with its attachments (downloads), and the reply with e-mail templates
 * and attachments of its own (at most 5 files, 5 MB together), sent as an answer in the thread.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { DeskElement } from './desk-element.js';
import type { ContactTemplates, EmailMessageView } from './desktop-types.js';
import { formatDateTime } from './format.js';
import './private-notes.js';

const MAX_FILES = 5;
const MAX_BYTES = 5 * 1024 * 1024;

function base64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export class CarusoEmailPanel extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    contactId: { attribute: false },
    messages: { state: true },
    templates: { state: true },
    sending: { state: true },
    fileError: { state: true },
  };

  declare contactId: string;
  declare messages: readonly EmailMessageView[];
  declare templates: ContactTemplates['emailTemplates'];
  declare sending: boolean;
  declare fileError: string;
  private readFor = '';
  private templatesFor = '';

  constructor() {
    super();
    this.messages = [];
    this.templates = [];
    this.sending = false;
    this.fileError = '';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('contactId') && this.readFor !== this.contactId) {
      this.readFor = this.contactId;
      this.messages = [];
      const id = this.contactId;
      api<{ messages: EmailMessageView[] }>('GET', `/api/contacts/${encodeURIComponent(id)}/email`).then((r) => {
        if (this.contactId === id) this.messages = r.messages;
      }, fail);
      this.readTemplates(id);
    } else if (this.customerKey() !== this.templatesFor) this.readTemplates(this.contactId);
  }

  /** The contact's customer: the templates are filled with it, and read again once another is linked. */
  private customerKey(): string {
    const c = this.store.state?.contacts.find((x) => x.id === this.contactId)?.customer;
    return c ? `${c.object}:${c.id}` : '';
  }

  private readTemplates(id: string): void {
    this.templatesFor = this.customerKey();
    api<ContactTemplates>('GET', `/api/contacts/${encodeURIComponent(id)}/templates`).then((r) => {
      if (this.contactId === id) this.templates = r.emailTemplates;
    }, () => undefined);
  }

  private useTemplate(id: string): void {
    const tpl = this.templates.find((x) => x.id === id);
    const text = this.querySelector<HTMLTextAreaElement>('#reply-text');
    if (!tpl || !text) return;
    text.value = text.value ? `${text.value}\n\n${tpl.body}` : tpl.body;
    this.store.ui(this.contactId).reply = text.value;
    text.focus();
  }

  private checkFiles(): File[] | null {
    const files = [...(this.querySelector<HTMLInputElement>('#reply-files')?.files ?? [])];
    const total = files.reduce((n, f) => n + f.size, 0);
    this.fileError = files.length > MAX_FILES ? t('email.tooManyFiles') : total > MAX_BYTES ? t('email.tooLarge') : '';
    return this.fileError ? null : files;
  }

  private async reply(ev: Event): Promise<void> {
    ev.preventDefault();
    const text = this.querySelector<HTMLTextAreaElement>('#reply-text');
    if (!text || !text.value.trim()) return text?.focus();
    const files = this.checkFiles();
    if (!files) return this.querySelector<HTMLInputElement>('#reply-files')?.focus();
    this.sending = true;
    try {
      const attachments = await Promise.all(files.map(async (f) => ({ filename: f.name, contentType: f.type || 'application/octet-stream', contentBase64: base64(await f.arrayBuffer()) })));
      const sent = await api<{ message: EmailMessageView }>('POST', `/api/contacts/${encodeURIComponent(this.contactId)}/email/reply`, { text: text.value, ...(attachments.length ? { attachments } : {}) });
      this.messages = [...this.messages, sent.message];
      text.value = '';
      this.store.ui(this.contactId).reply = '';
      const input = this.querySelector<HTMLInputElement>('#reply-files');
      if (input) input.value = '';
      announce(t('email.replySent'));
    } catch (e) {
      fail(e);
    } finally {
      this.sending = false;
    }
  }

  private message(m: EmailMessageView): TemplateResult {
    return html`<article class="mail ${m.direction}" aria-label="${m.direction === 'inbound' ? t('email.from') : t('email.sent')} ${m.from || m.to.join(', ')}">
      <p class="muted"><strong>${m.direction === 'inbound' ? m.from : `${t('email.to')} ${m.to.join(', ')}`}</strong> · ${formatDateTime(m.at)}</p>
      <div class="mail-body">${m.text}</div>
      ${m.attachments.length ? html`<ul class="attachments" aria-label=${t('email.attachments')}>${m.attachments.map((a) => html`<li><a href=${a.href} download=${a.filename}>${a.filename}</a> (${a.contentType}, ${Math.max(1, Math.round(a.size / 1024))} KB)</li>`)}</ul>` : nothing}
    </article>`;
  }

  protected override render(): TemplateResult {
    const first = this.messages[0];
    return html`<section id="conversation" class="panel" aria-labelledby="conv-title">
      <h2 id="conv-title">${t('email.title')} · ${first?.subject ?? ''}</h2>
      <div id="mail-thread">${this.messages.map((m) => this.message(m))}</div>
      <desk-private-notes .store=${this.store} .rev=${this.rev} .contactId=${this.contactId}></desk-private-notes>
      ${this.store.state?.contacts.some((c) => c.id === this.contactId) ? this.replyForm() : nothing}
    </section>`;
  }

  /** The reply, while the contact is connected (not in its wrap-up). */
  private replyForm(): TemplateResult {
    return html`<form id="reply-form" @submit=${(ev: Event) => contain(this.reply(ev))}>
        ${this.templates.length ? html`<label for="email-template">${t('email.template')}</label>
          <select id="email-template" @change=${(ev: Event) => { const s = ev.target as HTMLSelectElement; this.useTemplate(s.value); s.value = ''; }}>
            <option value="">${t('email.templatePick')}</option>${this.templates.map((x) => html`<option value=${x.id}>${x.label}</option>`)}</select>` : nothing}
        <label for="reply-text">${t('email.reply')}</label>
        <textarea id="reply-text" rows="6" maxlength="20000" required .value=${this.store.ui(this.contactId).reply}
          @input=${(ev: Event) => { this.store.ui(this.contactId).reply = (ev.target as HTMLTextAreaElement).value; }}></textarea>
        <label for="reply-files">${t('email.attach')}</label>
        <input id="reply-files" type="file" multiple aria-describedby="reply-files-error" @change=${() => this.checkFiles()}>
        <div id="reply-files-error" class="field-error">${this.fileError}</div>
        <p><button type="submit" id="btn-reply" ?disabled=${this.sending}>${t('email.send')}</button></p>
      </form>`;
  }
}
customElements.define('desk-email-panel', CarusoEmailPanel);

declare global {
  interface HTMLElementTagNameMap {
    'desk-email-panel': CarusoEmailPanel;
  }
}
