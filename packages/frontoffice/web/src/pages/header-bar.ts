/**
 * The page header (`#top`): the product name, the role's navigation, the global search, the user's
 * task reminders, who is signed in (with a password change), log out.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { byId, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import type { AppResponse, NavItem, SessionUser } from '../shared/types.js';
import { PasswordForm } from './password-form.js';
import './global-search.js';
import './task-reminders.js';

/** Where a navigation item leads: a built-in page, a dashboard or a list. */
export function navHref(app: AppResponse, item: NavItem): string {
  if (item.view === 'desktop') return '/desktop';
  if (item.view === 'wallboard') return '/wallboard';
  if (app.dashboards.some((d) => d.name === item.view)) return `/dashboards/${encodeURIComponent(item.view)}`;
  if (item.view === 'users') return '/users';
  return `/lists/${encodeURIComponent(item.view)}`;
}

/** Shows the password form in place of the page (`#main`); back to the page when done. */
export function showPasswordForm(forced: boolean): void {
  const form = new PasswordForm();
  form.forced = forced;
  form.onDone = () => location.reload();
  byId('main')?.replaceChildren(form);
  contain(form.updateComplete.then(() => (form.querySelector('#pw-current') as HTMLInputElement | null)?.focus()));
}

export class HeaderBar extends LightElement {
  /** Not signed in (log-in and self-service pages): the name only. */
  me: SessionUser | undefined;
  app: AppResponse | undefined;

  protected override render(): TemplateResult {
    const me = this.me;
    const app = this.app;
    if (!me || me.role === 'anonymous' || !app) return html`<strong>Caruso</strong>`;
    const current = (href: string): string | typeof nothing => (location.pathname === href ? 'page' : nothing);
    const items = app.navigation.map((item) => {
      const href = navHref(app, item);
      const label = item.view === 'desktop' ? t('nav.desktop') : item.view === 'wallboard' ? t('nav.wallboard') : item.view === 'users' ? t('nav.users') : item.label;
      return html`<a href=${href} aria-current=${current(href)}>${label}</a>`;
    });
    const users = me.role === 'administrator' && !app.navigation.some((i) => i.view === 'users') ? html`<a href="/users" aria-current=${current('/users')}>${t('nav.users')}</a>` : nothing;
    return html`<strong>Caruso</strong><nav aria-label=${t('nav.main')}>${items}<a href="/callbacks" aria-current=${current('/callbacks')}>${t('nav.callbacks')}</a>${users}</nav><caruso-global-search .app=${app}></caruso-global-search><caruso-task-reminders .app=${app}></caruso-task-reminders><span>${me.name} (${t(`role.${me.role}`)})</span><button class="secondary" type="button" id="btn-change-password" @click=${() => showPasswordForm(false)}>${t('password.change')}</button><button class="secondary" type="button" @click=${this.logOut}>${t('nav.logout')}</button>`;
  }

  private readonly logOut = async (): Promise<void> => {
    try {
      await api('DELETE', '/api/session');
      location.assign('/login');
    } catch (e) {
      fail(e);
    }
  };
}
customElements.define('caruso-header', HeaderBar);
