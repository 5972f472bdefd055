/**
 * The log-in page. After logging in the browser goes to `next` when it is a path of this site (an
 * expired session sent it here from there), else to the role's home page.
 */
import { html, type TemplateResult } from 'lit';
import { api, safeNext, setCsrf } from '../shared/api.js';
import { fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import type { SessionAnswer } from '../shared/types.js';

export class LoginPage extends LightElement {
  protected override render(): TemplateResult {
    return html`<div class="panel narrow"><form aria-labelledby="login-title" @submit=${this.submit}><h1 id="login-title">${t('login.title')}</h1><label for="username">${t('login.user')}</label><input id="username" name="username" autocomplete="username" required><label for="password">${t('login.password')}</label><input id="password" name="password" type="password" autocomplete="current-password" required><p><button type="submit">${t('login.submit')}</button></p></form></div>`;
  }

  protected override firstUpdated(): void {
    this.input('username').focus();
  }

  private input(id: string): HTMLInputElement {
    return this.querySelector(`#${id}`) as HTMLInputElement;
  }

  private readonly submit = async (ev: SubmitEvent): Promise<void> => {
    ev.preventDefault();
    try {
      const r = await api<SessionAnswer>('POST', '/api/session', { username: this.input('username').value, password: this.input('password').value });
      setCsrf(r.csrf);
      const home = r.user.role === 'agent' ? '/desktop' : r.user.role === 'supervisor' ? '/wallboard' : '/';
      location.assign(safeNext(new URLSearchParams(location.search).get('next')) ?? home);
    } catch (e) {
      fail(e);
    }
  };
}
customElements.define('caruso-login', LoginPage);
