/**
 * The users page (administrators): each user's role, agent, whether active and the last log-in, with
 * the role and active changed in place, a password reset (the temporary password is shown once; the
 * user must change it at the next log-in), a form to add a user, and the audit list of
 * administrative actions.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtDateTime } from '../shared/format.js';
import { LightElement } from '../shared/light-element.js';
import type { PageContext } from '../shared/context.js';
import type { AdminAuditEntry, AdminUser, AuditPage, UserList } from '../shared/types.js';

const ROLES = ['agent', 'supervisor', 'administrator'] as const;

export class UsersPage extends LightElement {
  static override properties = { users: { state: true }, temporary: { state: true }, audit: { state: true } };
  declare private users: readonly AdminUser[] | undefined;
  declare private temporary: { readonly user: string; readonly password: string } | undefined;
  declare private audit: readonly AdminAuditEntry[] | undefined;

  ctx!: PageContext;

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.load());
  }

  private async load(): Promise<void> {
    this.users = (await api<UserList>('GET', '/api/users')).data;
    this.audit = (await api<AuditPage>('GET', '/api/audit?limit=50')).entries;
  }

  private async change(u: AdminUser, patch: Record<string, unknown>): Promise<void> {
    try {
      await api('PATCH', `/api/users/${encodeURIComponent(u.name)}`, patch);
      announce(t('users.changed', { name: u.name }));
      await this.load();
    } catch (e) {
      fail(e);
      await this.load();
    }
  }

  private async reset(u: AdminUser): Promise<void> {
    try {
      const r = await api<{ temporaryPassword: string }>('POST', `/api/users/${encodeURIComponent(u.name)}/reset-password`);
      this.temporary = { user: u.name, password: r.temporaryPassword };
      announce(t('users.resetDone', { name: u.name }));
    } catch (e) {
      fail(e);
    }
  }

  private readonly add = async (ev: SubmitEvent): Promise<void> => {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const val = (id: string): string => (form.querySelector(`#${id}`) as HTMLInputElement).value.trim();
    try {
      await api('POST', '/api/users', { name: val('new-user-name'), role: val('new-user-role'), password: val('new-user-password'), ...(val('new-user-agent') ? { agentId: val('new-user-agent') } : {}) });
      form.reset();
      announce(t('users.added'));
      await this.load();
    } catch (e) {
      fail(e);
    }
  };

  protected override render(): TemplateResult | string {
    const users = this.users;
    if (!users) return '';
    const cols = ['name', 'role', 'agent', 'active', 'lastLogin', 'actions'];
    const rows = users.map((u) => html`<tr data-user=${u.name}><td>${u.name}</td><td><label class="visually-hidden" for=${`role-${u.name}`}>${t('users.role')}: ${u.name}</label><select id=${`role-${u.name}`} @change=${(ev: Event) => contain(this.change(u, { role: (ev.target as HTMLSelectElement).value }))}>${ROLES.map((r) => html`<option value=${r} ?selected=${u.role === r}>${t(`role.${r}`)}</option>`)}</select></td><td>${u.agentId ?? ''}</td><td><input type="checkbox" aria-label=${`${t('users.active')}: ${u.name}`} .checked=${u.active} ?disabled=${u.name === this.ctx.me.name} @change=${(ev: Event) => contain(this.change(u, { active: (ev.target as HTMLInputElement).checked }))}></td><td>${u.lastLogin ? fmtDateTime(u.lastLogin) : ''}</td><td><button type="button" class="secondary small" data-reset=${u.name} aria-label=${`${t('users.reset')}: ${u.name}`} @click=${() => contain(this.reset(u))}>${t('users.reset')}</button></td></tr>`);
    const temp = this.temporary
      ? html`<p class="panel notice" role="status" id="temporary-password">${t('users.temporary', { name: this.temporary.user })} <code>${this.temporary.password}</code></p>`
      : nothing;
    const add = html`<section class="panel" aria-labelledby="add-user-title"><h2 id="add-user-title">${t('users.add')}</h2><form id="add-user" @submit=${this.add}><label for="new-user-name">${t('users.name')}</label><input id="new-user-name" required maxlength="64" autocomplete="off"><label for="new-user-role">${t('users.role')}</label><select id="new-user-role">${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}</select><label for="new-user-agent">${t('users.agent')}</label><input id="new-user-agent" maxlength="64" autocomplete="off"><label for="new-user-password">${t('users.password')}</label><input id="new-user-password" type="password" required autocomplete="new-password"><p><button type="submit">${t('users.addSubmit')}</button></p></form></section>`;
    const audit = this.audit
      ? html`<section class="panel" aria-labelledby="audit-title"><h2 id="audit-title">${t('audit.title')}</h2><table><caption class="visually-hidden">${t('audit.title')}</caption><thead><tr>${['when', 'who', 'what', 'whom'].map((k) => html`<th scope="col">${t(`audit.${k}`)}</th>`)}</tr></thead><tbody>${this.audit.map((a) => html`<tr><td>${fmtDateTime(a.at)}</td><td>${a.actor}</td><td>${a.action}</td><td>${a.target ?? ''}</td></tr>`)}</tbody></table></section>`
      : nothing;
    return html`<h1>${t('nav.users')}</h1>${temp}<table id="users"><caption class="visually-hidden">${t('nav.users')}</caption><thead><tr>${cols.map((c) => html`<th scope="col">${t(`users.${c}`)}</th>`)}</tr></thead><tbody>${rows}</tbody></table>${add}${audit}`;
  }
}
customElements.define('caruso-users-page', UsersPage);
