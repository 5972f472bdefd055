/**
 * The front office's browser tests' one Chromium set-up: the browser launched headless from
 * /usr/bin/chromium, a context that records every page error and content-security-policy violation
 * (the strict CSP must hold on every page), the log-in form, and axe-core's serious findings. The
 * desktop tests and examples/utility's desktop shift test use it (from `@caruso/frontoffice/testing`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** axe-core's source, read when a page is first checked (not when the testing entry is imported). */
let axeSource: string | undefined;
const axe = (): string => (axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

/** Starts the headless Chromium of the tests. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 20_000,
  });
}

export interface WatchedPage {
  readonly ctx: BrowserContext;
  readonly page: Page;
  /** Page errors (uncaught exceptions) and content-security-policy violations, as they happen. */
  readonly problems: string[];
}

export interface WatchedPageOptions {
  /** The browser's own locale (`navigator.language`, Accept-Language): not the application's language. */
  readonly locale?: string;
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Each step's timeout in ms (8 s unless told). */
  readonly timeoutMs?: number;
}

/** A new context and page that record page errors and CSP violations in `problems`. */
export async function watchedPage(browser: Browser, opts: WatchedPageOptions = {}): Promise<WatchedPage> {
  const ctx = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, ...(opts.locale ? { locale: opts.locale } : {}) });
  const problems: string[] = [];
  await ctx.exposeFunction('reportViolation', (what: string) => problems.push(`csp: ${what}`));
  await ctx.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber))`);
  const page = await ctx.newPage();
  page.setDefaultTimeout(opts.timeoutMs ?? 8000);
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { ctx, page, problems };
}

/** Logs `user` in on the log-in page of `url` (English or Dutch labels) and waits for `landing` (a path glob). */
export async function logIn(page: Page, url: string, user: string, password: string, landing = '**/desktop'): Promise<void> {
  await page.goto(`${url}/login`);
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await page.locator('form[aria-labelledby="login-title"] button[type="submit"]').click();
  await page.waitForURL(landing);
}

/** A desktop page: `user` logged in, the desktop drawn with the agent's state. */
export async function deskPage(browser: Browser, url: string, user: string, password: string, opts: WatchedPageOptions = {}): Promise<WatchedPage> {
  const w = await watchedPage(browser, opts);
  await logIn(w.page, url, user, password);
  await w.page.locator('#agent-state', { hasText: /[a-z]/ }).waitFor();
  return w;
}

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: { readonly target: unknown[] }[];
}

/** The serious and critical findings of axe-core (WCAG 2.0–2.2 A/AA and best practices) on the page as it is now. */
export async function seriousFindings(page: Page): Promise<string[]> {
  await page.evaluate(axe());
  const options = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] };
  // Evaluated as text: the tests are compiled without the DOM library.
  const r = (await page.evaluate(`axe.run(document, ${JSON.stringify(options)})`)) as { violations: Violation[] };
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

/** Waits (at most 5 s) until the input at `selector` holds `value`; throws, naming both values, when it does not. */
export async function expectValue(page: Page, selector: string, value: string): Promise<void> {
  const until = Date.now() + 5000;
  while ((await page.locator(selector).inputValue()) !== value && Date.now() < until) await page.waitForTimeout(50);
  const actual = await page.locator(selector).inputValue();
  if (actual !== value) throw new Error(`${selector} holds ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`);
}
