/**
 * The page texts: read once before anything is drawn, in the application's language (`<html lang>`,
 * which pages.ts writes from the application definition). English is read first and the language's
 * texts over it, so a key missing in a translation falls back to English key by key; a key without
 * any text shows as itself (a missing text is visible, never an empty label).
 */
const texts = new Map<string, string>();

/** The page's language (the application's `lang`). */
export function pageLang(): string {
  return document.documentElement.lang || 'en';
}

async function table(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(url, { credentials: 'same-origin' });
    if (!res.ok) return undefined;
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The texts of `lang` (GET /api/i18n/:lang, else the asset file), over the English ones. */
async function textsOf(lang: string): Promise<Record<string, unknown> | undefined> {
  const l = encodeURIComponent(lang);
  return (await table(`/api/i18n/${l}`)) ?? (await table(`/assets/i18n/${l}.json`));
}

/** Reads the texts of `lang` (by default the page's language), English underneath. */
export async function loadTexts(lang = pageLang()): Promise<void> {
  const base = lang === 'en' ? undefined : await table('/assets/i18n/en.json');
  const own = await textsOf(lang);
  texts.clear();
  for (const src of [base, own]) for (const [k, v] of Object.entries(src ?? {})) if (typeof v === 'string') texts.set(k, v);
}

/** The text of `key`, or the key itself; `{name}` placeholders take the values of `vars`. */
export function t(key: string, vars?: Readonly<Record<string, string | number>>): string {
  const s = texts.get(key) ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, n: string) => (n in vars ? String(vars[n]) : m)) : s;
}

/** Whether `key` has a text of its own (report columns fall back to words made from their names). */
export function hasText(key: string): boolean {
  return texts.has(key);
}

/** The text of an error answer: its code's translation (`errors.<CODE>`, filled from `details`) when there is one, else its message. */
export function errorText(code: string | undefined, message: string, details?: Readonly<Record<string, unknown>>): string {
  if (!code || !texts.has(`errors.${code}`)) return message;
  const vars = Object.fromEntries(Object.entries(details ?? {}).filter((e): e is [string, string | number] => typeof e[1] === 'string' || typeof e[1] === 'number'));
  return t(`errors.${code}`, vars);
}

/**
 * A field's validation message in the page's language: `violation.<code>.<type>` or
 * `violation.<code>` with the field's label, else the server's sentence (an application's rule
 * speaks the application's language already).
 */
export function violationText(v: { readonly code?: string; readonly message: string }, field: { readonly label: string; readonly type: string } | undefined): string {
  if (!v.code || !field) return v.message;
  for (const key of [`violation.${v.code}.${field.type}`, `violation.${v.code}`]) if (texts.has(key)) return t(key, { field: field.label });
  return v.message;
}
