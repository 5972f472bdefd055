/**
 * The dialogue script of one contact: its session is persisted on the server with the contact, so a
 * reload comes back at the same step. Choices by button or the keys 1–9, typed answers with Enter,
 * dates in the application's language (<caruso-date-input>, sent as yyyy-mm-dd), Back.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { api } from '../shared/api.js';
import type { CarusoDateInput } from '../shared/date-input.js';
import '../shared/date-input.js';
import { contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { scriptLabel } from '../shared/labels.js';
import type { ScriptSession, ScriptStep } from '../shared/types.js';
import { DeskElement } from './desk-element.js';
import { pageLang } from './format.js';

export class CarusoScriptPanel extends DeskElement {
  static override properties = {
    ...DeskElement.properties,
    contactId: { attribute: false },
    local: { state: true },
  };

  declare contactId: string;
  /** The answer the page got back, until the desktop state has caught up with it. */
  declare local: ScriptSession | null;
  private focusedRev = -1;
  private busy = false;

  constructor() {
    super();
    this.local = null;
  }

  private session(): ScriptSession | null {
    const v = this.store.state?.contacts.find((c) => c.id === this.contactId)?.script?.view;
    // The server's view has no step once the script ended.
    const fromServer: ScriptSession | null = v ? { ...v, step: (v.step as ScriptStep | null) ?? { kind: 'end', prompt: '', canGoBack: false } } : null;
    if (this.local && (!fromServer || fromServer.sessionId !== this.local.sessionId || fromServer.revision < this.local.revision)) return this.local;
    return fromServer;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('contactId')) {
      this.local = null;
      this.focusedRev = -1;
    }
  }

  private async go(path: 'answer' | 'back', value?: unknown): Promise<void> {
    const s = this.session();
    if (!s || this.busy) return;
    this.busy = true;
    try {
      const next = await api<ScriptSession>('POST', `/api/scripts/sessions/${encodeURIComponent(s.sessionId)}/${path}`, path === 'answer' ? { value: value ?? null, revision: s.revision } : { revision: s.revision });
      this.local = next;
      this.focusedRev = -1;
      this.store.requestRefresh(0);
      // The script wrote its answers to the customer record when it ended: the panel reads it again.
      if (next.status === 'ended' || next.status === 'handoff') this.dispatchEvent(new CustomEvent('record-changed', { bubbles: true, composed: true }));
    } catch (e) {
      fail(e);
      this.store.requestRefresh(0);
    } finally {
      this.busy = false;
    }
  }

  /** Answers the choice shown with key `n` (1–9). */
  choose(n: string): void {
    this.querySelector<HTMLButtonElement>(`button.choice[data-key="${n}"]`)?.click();
  }

  /** A date question: the date in the application's language, checked here before it is sent. */
  private dateInput(revision: number, error: boolean): TemplateResult {
    return html`<form novalidate @submit=${(ev: Event) => {
      ev.preventDefault();
      const el = this.querySelector<CarusoDateInput>('caruso-date-input');
      if (el?.validate()) contain(this.go('answer', el.value));
    }}>${keyed(`${this.contactId}:${revision}`, html`<caruso-date-input field-id="answer" kind="date" labelledby="prompt" required describedby=${error ? 'step-error' : ''}></caruso-date-input>`)}
      <p><button type="submit">${t('desktop.next')}</button></p></form>`;
  }

  private input(type: string | undefined, error: boolean): TemplateResult {
    const inputType = type === 'number' ? 'number' : 'text';
    const mode = type === 'digits' || type === 'number' ? 'numeric' : 'text';
    return html`<form @submit=${(ev: Event) => {
      ev.preventDefault();
      const el = this.querySelector<HTMLInputElement>('#answer');
      if (!el) return;
      // An optional number left empty is no answer (null), not 0.
      contain(this.go('answer', type === 'number' ? (el.value.trim() === '' ? null : Number(el.value)) : el.value));
    }}><input id="answer" type=${inputType} lang=${pageLang()} inputmode=${mode} aria-labelledby="prompt" aria-invalid=${error ? 'true' : 'false'} aria-describedby=${error ? 'step-error' : nothing} autocomplete="off">
      <p><button type="submit">${t('desktop.next')}</button></p></form>`;
  }

  protected override render(): TemplateResult {
    const s = this.session();
    const heading = html`<h2 id="script-title">${t('desktop.script')}${s ? ` · ${scriptLabel(this.store.app, s.script)}` : ''}</h2>`;
    if (!s) return html`<aside id="script" class="panel" aria-labelledby="script-title">${heading}</aside>`;
    const step = s.step;
    let body: TemplateResult | typeof nothing = nothing;
    if (step.kind === 'question') {
      if (step.choices?.length) {
        body = html`<div class="choices" role="group" aria-labelledby="prompt">${step.choices.map((c, i) => html`<button type="button" class="secondary choice" data-key=${String(i + 1)} @click=${() => contain(this.go('answer', c.value))}>${i + 1}. ${c.label}</button>`)}</div>`;
      } else if (step.type === 'boolean') {
        body = html`<div class="choices" role="group" aria-labelledby="prompt">
          <button type="button" class="secondary choice" data-key="1" @click=${() => contain(this.go('answer', true))}>1. ${t('yes')}</button>
          <button type="button" class="secondary choice" data-key="2" @click=${() => contain(this.go('answer', false))}>2. ${t('no')}</button></div>`;
      } else if (step.type === 'date') body = this.dateInput(s.revision, Boolean(step.error));
      else body = this.input(step.type, Boolean(step.error));
    } else if (step.kind === 'info') body = html`<button type="button" id="btn-step-next" @click=${() => contain(this.go('answer', null))}>${t('desktop.next')}</button>`;
    else body = html`<p id="script-done">${t('desktop.scriptDone')}</p>`;
    return html`<aside id="script" class="panel" aria-labelledby="script-title">${heading}
      <div id="step" data-revision=${String(s.revision)}>
        <p id="prompt">${step.prompt}</p>
        ${step.help ? html`<p class="muted">${step.help}</p>` : nothing}
        ${step.error ? html`<p class="field-error" role="alert" id="step-error">${step.error}</p>` : nothing}
        ${body}
        ${step.canGoBack ? html`<button type="button" class="secondary" id="btn-back" @click=${() => contain(this.go('back'))}>${t('desktop.back')}</button>` : nothing}
      </div></aside>`;
  }

  protected override updated(): void {
    const s = this.session();
    if (!s || s.revision === this.focusedRev) return;
    this.focusedRev = s.revision;
    // A new question: its answer box takes the focus, unless the agent is typing somewhere else.
    const active = document.activeElement;
    const typing = active instanceof HTMLElement && active.closest('#wrapup, #conversation, #contact, dialog') !== null && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    if (typing) return;
    const date = this.querySelector<CarusoDateInput>('caruso-date-input');
    if (date) contain(date.updateComplete.then(() => date.focus()));
    else this.querySelector<HTMLInputElement>('#answer')?.focus();
  }
}
customElements.define('desk-script-panel', CarusoScriptPanel);

declare global {
  interface HTMLElementTagNameMap {
    'desk-script-panel': CarusoScriptPanel;
  }
}
