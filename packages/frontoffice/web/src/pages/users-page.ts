/** The users page (administrators): name, role and agent of each user. */
import { html, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import type { PageContext } from '../shared/context.js';
import type { SessionUser } from '../shared/types.js';

export class UsersPage extends LightElement {
  static override properties = { users: { state: true } };
  declare private users: readonly SessionUser[] | undefined;

  ctx!: PageContext;

  override connectedCallback(): void {
    super.connectedCallback();
    void api<{ data: readonly SessionUser[] }>('GET', '/api/users').then((r) => {
      this.users = r.data;
    }, fail);
  }

  protected override render(): TemplateResult | string {
    if (!this.users) return '';
    return html`<h1>${t('nav.users')}</h1><table><tbody>${this.users.map((u) => html`<tr><td>${u.name}</td><td>${u.role}</td><td>${u.agentId ?? ''}</td></tr>`)}</tbody></table>`;
  }
}
customElements.define('caruso-users-page', UsersPage);
