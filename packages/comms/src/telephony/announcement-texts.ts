/**
 * The sentences the communication server speaks by itself, in the languages it has them: a queue's
 * announcement of the caller's position and expected wait, and the recording announcement. A company
 * that speaks another language gives its own text (the assembly reader says so where one is missing).
 */

/** The languages the built-in sentences exist in (`en`, `nl`); a regional tag (`nl-BE`) uses its language's. */
export const BUILT_IN_LANGUAGES: readonly string[] = ['en', 'nl'];

/** The queue announcement's sentences: `{position}` and `{minutes}` are filled in. */
const QUEUE: Readonly<Record<string, { readonly position: string; readonly oneMinute: string; readonly minutes: string }>> = {
  en: { position: 'You are number {position} in the queue.', oneMinute: 'Your expected waiting time is about one minute.', minutes: 'Your expected waiting time is about {minutes} minutes.' },
  nl: { position: 'U bent nummer {position} in de wachtrij.', oneMinute: 'Uw verwachte wachttijd is ongeveer één minuut.', minutes: 'Uw verwachte wachttijd is ongeveer {minutes} minuten.' },
};

/** The recording announcement (consent), per language. */
export const RECORDING_ANNOUNCEMENTS: Readonly<Record<string, string>> = {
  en: 'This call is recorded for quality and training purposes.',
  nl: 'Dit gesprek wordt opgenomen voor kwaliteits- en trainingsdoeleinden.',
};

/** The built-in language a tag speaks (`nl-BE` → `nl`), or undefined when there is none. */
export function builtInLanguage(tag: string | undefined): string | undefined {
  if (tag === undefined) return undefined;
  const t = tag.toLowerCase();
  if (BUILT_IN_LANGUAGES.includes(t)) return t;
  const base = t.split('-')[0] ?? '';
  return BUILT_IN_LANGUAGES.includes(base) ? base : undefined;
}

/** The default queue announcement in `language` (English when it has none): the position, the wait, or both. */
export function queueAnnouncementTemplate(language: string | undefined, parts: { readonly position: boolean; readonly expectedWait: boolean }, minutes: number): string {
  const s = QUEUE[builtInLanguage(language) ?? 'en']!;
  const out: string[] = [];
  if (parts.position) out.push(s.position);
  if (parts.expectedWait) out.push(minutes === 1 ? s.oneMinute : s.minutes);
  return out.join(' ');
}
