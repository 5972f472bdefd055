/**
 * The page texts: `assets/i18n/<lang>.json`, read once before anything is drawn. A key without a
 * text shows as itself (a missing translation is visible, never an empty label).
 */
const texts = new Map<string, string>();

/** Reads the texts of `lang` (English today: the one file there is). */
export async function loadTexts(lang = 'en'): Promise<void> {
  const res = await fetch(`/assets/i18n/${encodeURIComponent(lang)}.json`, { credentials: 'same-origin' });
  const table = (await res.json()) as Record<string, unknown>;
  texts.clear();
  for (const [k, v] of Object.entries(table)) if (typeof v === 'string') texts.set(k, v);
}

/** The text of `key`, or the key itself. */
export function t(key: string): string {
  return texts.get(key) ?? key;
}

/** Whether `key` has a text of its own (report columns fall back to words made from their names). */
export function hasText(key: string): boolean {
  return texts.has(key);
}
