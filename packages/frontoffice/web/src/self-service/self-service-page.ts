/**
 * A self-service page (`/self-service/<name>`): a visitor runs a web-channel dialogue script, step by
 * step, proves who they are where the application asks (`<identify>`), and may ask for an agent at
 * any step: then a chat with the agent opens on the same page. A script that reaches its own
 * `<handoff>` opens that chat by itself (the server has queued it already, with the answers).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { api, setCsrf } from '../shared/api.js';
import { fail, contain } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import type { ScriptSession, ScriptStep } from '../shared/types.js';
import { type VisitorChatTicket } from './visitor-chat.js';
import './visitor-chat.js';

interface Queued {
  readonly position: number | null;
  readonly chat?: VisitorChatTicket;
}

export class SelfServicePage extends LightElement {
  static override properties = { session: { state: true }, queued: { state: true }, status: { state: true } };
  declare private session: ScriptSession | undefined;
  declare private queued: Queued | undefined;
  /** The line above the chat: queued at position n, the agent joined, the chat ended. */
  declare private status: string;

  private readonly name = decodeURIComponent(location.pathname.split('/')[2] ?? '');
  /** What the visitor typed into the identify form, kept for the form drawn again after "do not match". */
  private readonly typed = new Map<string, string>();
  /** Each answer draws a new step: fresh inputs, never the last step's text. */
  private drawn = 0;

  constructor() {
    super();
    this.status = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void api<ScriptSession & { csrf: string }>('POST', `/api/self-service/${encodeURIComponent(this.name)}/sessions`, {}).then((r) => {
      setCsrf(r.csrf);
      this.show(r);
      if (r.status === 'handoff') contain(this.askAgent());
    }, fail);
  }

  private show(s: ScriptSession): void {
    this.drawn += 1;
    this.session = s;
  }

  private async answer(value: unknown): Promise<void> {
    const s = this.session as ScriptSession;
    let next: ScriptSession;
    try {
      next = await api<ScriptSession>('POST', `/api/self-service/sessions/${s.sessionId}/answer`, { value, revision: s.revision });
    } catch (e) {
      fail(e);
      return;
    }
    this.show(next);
    // The script handed the visitor to an agent: the chat is queued already; join it without a second press.
    if (next.status === 'handoff') await this.askAgent();
  }

  private async back(): Promise<void> {
    const s = this.session as ScriptSession;
    try {
      this.show(await api<ScriptSession>('POST', `/api/self-service/sessions/${s.sessionId}/back`, { revision: s.revision }));
    } catch (e) {
      fail(e);
    }
  }

  private async askAgent(): Promise<void> {
    const s = this.session as ScriptSession;
    if (this.queued) return;
    try {
      const r = await api<{ position?: number | null; chat?: VisitorChatTicket }>('POST', `/api/self-service/sessions/${s.sessionId}/agent`, { channel: 'chat' });
      this.status = `${t('ss.agentQueued')} ${r.position ?? '–'}`;
      this.queued = { position: r.position ?? null, ...(r.chat ? { chat: r.chat } : {}) };
    } catch (e) {
      fail(e);
    }
  }

  protected override render(): TemplateResult {
    return html`<h1 id="ss-title">${this.name}</h1><div class="panel" id="ss" aria-live="polite">${this.body()}</div>`;
  }

  private body(): unknown {
    if (this.queued) {
      const chat = this.queued.chat;
      return html`<p id="ss-queued">${this.status}</p>${chat ? html`<caruso-visitor-chat .ticket=${chat} .onStatus=${(text: string) => { this.status = text; }}></caruso-visitor-chat>` : nothing}`;
    }
    const s = this.session;
    if (!s) return nothing;
    return keyed(this.drawn, this.stepView(s));
  }

  private stepView(s: ScriptSession): TemplateResult {
    const step = s.step;
    const error = step.error ? html`<p class="field-error" role="alert">${step.error}</p>` : nothing;
    const back = step.canGoBack ? html`<button type="button" class="secondary" id="ss-back" @click=${() => this.back()}>${t('ss.back')}</button>` : nothing;
    const agent = s.status !== 'ended' ? html`<p><button type="button" class="secondary" id="ss-agent" @click=${() => this.askAgent()}>${t('ss.agent')}</button></p>` : nothing;
    if (step.kind === 'identify') {
      const code = step.stage === 'code';
      return html`<p id="prompt">${t(code ? 'ss.identifyCode' : 'ss.identify')}</p>${error}${this.identifyForm(step, code)}${back}${agent}`;
    }
    return html`<p id="prompt">${step.prompt}</p>${error}${this.stepInput(step)}${back}${agent}`;
  }

  /** The application's <identify>: the key and the second factor; at stage `code` the one-time code sent by e-mail. */
  private identifyForm(step: ScriptStep, code: boolean): TemplateResult {
    const fields = step.fields ?? [];
    const submit = (ev: SubmitEvent): void => {
      ev.preventDefault();
      const values: Record<string, string> = {};
      for (const f of fields) {
        const inp = this.querySelector(`#ss-id-${CSS.escape(f.name)}`) as HTMLInputElement;
        this.typed.set(f.name, inp.value);
        values[f.name] = inp.value;
      }
      contain(this.answer(values));
    };
    return html`<form id="ss-identify" @submit=${submit}>${fields.map((f) => html`<p><label for=${`ss-id-${f.name}`}>${f.label}</label><input id=${`ss-id-${f.name}`} name=${f.name} autocomplete=${code ? 'one-time-code' : 'off'} inputmode=${code ? 'numeric' : 'text'} required maxlength="100" value=${code ? '' : (this.typed.get(f.name) ?? '')}></p>`)}<p><button type="submit" id="ss-identify-submit">${t('ss.identifySubmit')}</button></p></form>`;
  }

  private stepInput(step: ScriptStep): TemplateResult | typeof nothing {
    if (step.kind === 'question') {
      if (step.type === 'boolean') return html`<div class="choices"><button type="button" @click=${() => this.answer(true)}>${t('yes')}</button><button type="button" class="secondary" @click=${() => this.answer(false)}>${t('no')}</button></div>`;
      if (step.choices?.length) return html`<div class="choices">${step.choices.map((c) => html`<button type="button" class="secondary" @click=${() => this.answer(c.value)}>${c.label}</button>`)}</div>`;
      const submit = (ev: SubmitEvent): void => {
        ev.preventDefault();
        const value = (this.querySelector('#answer') as HTMLInputElement).value;
        contain(this.answer(step.type === 'number' ? Number(value) : value));
      };
      return html`<form @submit=${submit}><input id="answer" aria-labelledby="prompt" inputmode=${step.type === 'digits' || step.type === 'number' ? 'numeric' : 'text'}><p><button type="submit" id="ss-next">${t('ss.next')}</button></p></form>`;
    }
    if (step.kind === 'info') return html`<button type="button" @click=${() => this.answer(null)}>${t('ss.next')}</button>`;
    return html`<p id="ss-done">${t('ss.done')}</p>`;
  }

  protected override updated(): void {
    // The step's first input takes the focus (a new step, or the identify form again).
    const first = this.querySelector<HTMLInputElement>('#ss-identify input, #answer');
    if (first && first.dataset['focused'] !== '1') {
      first.dataset['focused'] = '1';
      first.focus();
    }
  }
}
customElements.define('caruso-self-service-page', SelfServicePage);
