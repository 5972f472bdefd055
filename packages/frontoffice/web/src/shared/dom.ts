/**
 * The typed `h()` helper for code that builds DOM by hand (SVG charts, the legacy desktop), and the
 * page's shared landmarks. Every text reaches the page through textContent or attribute setters, never
 * innerHTML, so customer data is always shown escaped. Lit templates escape in the same way.
 */

/** An attribute value: `null`, `undefined` and `false` leave the attribute out, `true` sets it empty. */
export type AttrValue = string | number | boolean | null | undefined;
/** Attributes: `text` sets textContent, `style` sets CSS through the CSSOM (the CSP forbids style attributes), `on<event>` adds a listener. */
export type Attrs = { readonly [name: string]: AttrValue | ((ev: Event) => unknown) };
export type Child = Node | string | number | null | undefined | false | readonly Child[];

function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c as readonly Child[]);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function setAttrs(el: Element, attrs: Attrs, html: boolean): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'text') el.textContent = String(v);
    // CSSOM, not the style attribute: the content security policy forbids inline style attributes.
    else if (k === 'style' && html) (el as HTMLElement).style.cssText = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** An HTML element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs, true);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children (texts as text nodes). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
  setAttrs(el, attrs, false);
  append(el, children);
  return el;
}

/** An element of the page shell by id (pages.ts writes `#top`, `#main` and `#live`). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** Says `text` through the page's polite live region (`#live`). */
export function announce(text: string): void {
  const live = byId('live');
  if (live) live.textContent = text;
}

/**
 * Shows an error: said through the live region and written into `#error` (role alert) at the top of
 * `#main`. An answer that already sent the browser to the log-in page shows nothing.
 */
export function fail(e: unknown): void {
  if (typeof e === 'object' && e !== null && (e as { redirecting?: boolean }).redirecting === true) return;
  const message = e instanceof Error ? e.message : String(e);
  announce(message);
  const main = byId('main');
  if (!main) return;
  let box = byId('error');
  if (!box) {
    box = h('p', { id: 'error', role: 'alert', class: 'field-error' });
    main.insertBefore(box, main.firstChild);
  }
  box.textContent = message;
}

/** The WebSocket URL of `path` on this page's host. */
export function socketUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

/**
 * Runs a promise nobody awaits (a load started by an event or a timer): a rejection is shown with
 * fail(), never left unseen. The browser's counterpart of the server's containPromise().
 */
export function contain(p: Promise<unknown>): void {
  p.catch(fail);
}
