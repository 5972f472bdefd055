/**
 * The front office in the browser: one entry for every page. pages.ts writes the page's name into
 * `<body data-page>`; this module reads the texts and the session, and draws that page's component
 * into `#main` and the header into `#top`. The agent desktop loads as its own chunk.
 */
import { ApiError, api, onPasswordChangeRequired, setCsrf, toLogin } from './shared/api.js';
import { byId, fail } from './shared/dom.js';
import { hasText, loadTexts, t } from './shared/i18n.js';
import type { PageContext } from './shared/context.js';
import type { AppResponse, SessionAnswer } from './shared/types.js';
import { HeaderBar, showPasswordForm } from './pages/header-bar.js';
import { LoginPage } from './pages/login-page.js';
import { UsersPage } from './pages/users-page.js';
import { CallbacksPage } from './pages/callbacks-page.js';
import { ListPage } from './records/list-page.js';
import { RecordPage } from './records/record-page.js';
import { SelfServicePage } from './self-service/self-service-page.js';
import { WallboardPage } from './wallboard/wallboard-page.js';

/** A page component that needs the signed-in context. */
type ContextPage = HTMLElement & { ctx: PageContext };

const PAGES: Readonly<Record<string, () => ContextPage>> = {
  wallboard: () => new WallboardPage(),
  list: () => new ListPage(),
  record: () => new RecordPage(),
  users: () => new UsersPage(),
  callbacks: () => new CallbacksPage(),
};

function header(ctx?: PageContext): void {
  const bar = new HeaderBar();
  bar.me = ctx?.me;
  bar.app = ctx?.app;
  byId('top')?.replaceChildren(bar);
}

function mount(el: HTMLElement): void {
  if (askedForPassword) return;
  byId('main')?.replaceChildren(el);
}

/** The session and the role's application; a visitor or an expired session goes to the log-in page. */
async function signedIn(): Promise<PageContext | undefined> {
  try {
    const s = await api<SessionAnswer>('GET', '/api/session');
    setCsrf(s.csrf);
    if (s.user.role === 'anonymous') {
      toLogin();
      return undefined;
    }
    const app = await api<AppResponse>('GET', '/api/app');
    // How far the server's clock is from this browser's (a demonstration may run at another moment).
    const clockOffset = typeof app.serverTime === 'number' ? app.serverTime - Date.now() : 0;
    return { me: s.user, app, clockOffset };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      if (!e.redirecting) toLogin();
      return undefined;
    }
    throw e;
  }
}

/**
 * After an administrator's reset the new password comes first: any call answered 403 shows the form,
 * unless it is shown already; a page drawn after it does not replace it.
 */
let askedForPassword = false;
onPasswordChangeRequired(() => {
  askedForPassword = true;
  if (!document.getElementById('password-form')) showPasswordForm(true);
});

/** The page shell's own words (written by the server in English) in the application's language. */
function translateShell(page: string): void {
  const skip = document.querySelector('a.skip');
  if (skip) skip.textContent = t('page.skip');
  if (hasText(`page.title.${page}`)) document.title = `${t(`page.title.${page}`)} · Caruso`;
  const loading = byId('main')?.querySelector('p.muted');
  if (loading) loading.textContent = t('desktop.loading');
}

async function boot(): Promise<void> {
  await loadTexts();
  const page = document.body.dataset['page'] ?? '';
  translateShell(page);
  if (page === 'self-service' || page === 'login') {
    header();
    mount(page === 'login' ? new LoginPage() : new SelfServicePage());
    return;
  }
  const ctx = await signedIn();
  if (!ctx) return;
  // Phone numbers are shown in the company's country's format (shared/format.ts fmtPhone).
  if (ctx.app.phoneCountry) document.documentElement.dataset['phoneCountry'] = ctx.app.phoneCountry;
  header(ctx);
  if (page === 'desktop') {
    const { desktopPage } = await import('./desktop/index.js');
    if (!askedForPassword) desktopPage(ctx);
    return;
  }
  const make = PAGES[page];
  if (!make) return;
  const el = make();
  el.ctx = ctx;
  mount(el);
}

boot().catch(fail);
