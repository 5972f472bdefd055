/**
 * Changing one's own password (`POST /api/me/password {current, next}`): from the header for
 * everyone, and in place of the page when the server requires a change (after an administrator's
 * reset: 403 CARUSO_FRONTOFFICE_PASSWORD_CHANGE_REQUIRED on every other route).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';

export class PasswordForm extends LightElement {
  static override properties = { error: { state: true } };
  declare private error: string;

  /** The change is required before anything else (the first log-in after a reset). */
  forced = false;
  onDone: () => void = () => undefined;

  constructor() {
    super();
    this.error = '';
  }

  protected override render(): TemplateResult {
    return html`<div class="panel narrow"><form id="password-form" aria-labelledby="pw-title" @submit=${this.submit}><h1 id="pw-title">${t('password.title')}</h1>${this.forced ? html`<p>${t('password.forced')}</p>` : nothing}<label for="pw-current">${t('password.current')}</label><input id="pw-current" type="password" autocomplete="current-password" required><label for="pw-next">${t('password.next')}</label><input id="pw-next" type="password" autocomplete="new-password" required aria-describedby="pw-error"><label for="pw-again">${t('password.again')}</label><input id="pw-again" type="password" autocomplete="new-password" required aria-describedby="pw-error"><div id="pw-error" class="field-error">${this.error}</div><p><button type="submit" id="btn-password">${t('password.submit')}</button></p></form></div>`;
  }

  private value(id: string): string {
    return (this.querySelector(`#${id}`) as HTMLInputElement).value;
  }

  private readonly submit = async (ev: SubmitEvent): Promise<void> => {
    ev.preventDefault();
    if (this.value('pw-next') !== this.value('pw-again')) {
      this.error = t('password.mismatch');
      return;
    }
    this.error = '';
    try {
      await api('POST', '/api/me/password', { current: this.value('pw-current'), next: this.value('pw-next') });
      announce(t('password.changed'));
      this.onDone();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      fail(e);
    }
  };
}
customElements.define('caruso-password-form', PasswordForm);
