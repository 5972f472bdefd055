/** The page header (`#top`): the product name, the role's navigation, who is signed in, log out. */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import type { AppResponse, NavItem, SessionUser } from '../shared/types.js';

/** Where a navigation item leads: a built-in page, a dashboard or a list. */
export function navHref(app: AppResponse, item: NavItem): string {
  if (item.view === 'desktop') return '/desktop';
  if (item.view === 'wallboard') return '/wallboard';
  if (app.dashboards.some((d) => d.name === item.view)) return `/dashboards/${encodeURIComponent(item.view)}`;
  if (item.view === 'users') return '/users';
  return `/lists/${encodeURIComponent(item.view)}`;
}

export class HeaderBar extends LightElement {
  /** Not signed in (log-in and self-service pages): the name only. */
  me: SessionUser | undefined;
  app: AppResponse | undefined;

  protected override render(): TemplateResult {
    const me = this.me;
    if (!me || me.role === 'anonymous') return html`<strong>Caruso</strong>`;
    const current = (href: string): string | typeof nothing => (location.pathname === href ? 'page' : nothing);
    const items = (this.app?.navigation ?? []).map((item) => {
      const href = navHref(this.app as AppResponse, item);
      return html`<a href=${href} aria-current=${current(href)}>${item.view === 'desktop' ? t('nav.desktop') : item.label}</a>`;
    });
    return html`<strong>Caruso</strong><nav aria-label="Main">${items}<a href="/callbacks" aria-current=${current('/callbacks')}>${t('nav.callbacks')}</a></nav><span>${me.name} (${me.role})</span><button class="secondary" type="button" @click=${this.logOut}>${t('nav.logout')}</button>`;
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
