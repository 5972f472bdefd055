/**
 * Wildcard patterns where `*` matches any run of characters (property filters, access lists),
 * matched without regular expressions: a pattern with many `*` compiled to `^a.*a.*…$` backtracks
 * exponentially on a long value that almost matches (ReDoS). This matcher takes each literal part
 * at its leftmost position, which is correct for `*`-only patterns and runs in O(value × pattern).
 */
export interface Glob {
  /** Literal parts between the `*`s (the first and last anchor the start and the end). */
  readonly parts: readonly string[];
  readonly ignoreCase: boolean;
}

/** Builds a glob from its literal parts (`a*b` → `['a', 'b']`); repeated `*` collapse. */
export function globFromParts(parts: readonly string[], ignoreCase = false): Glob {
  const norm = ignoreCase ? parts.map((p) => p.toLowerCase()) : [...parts];
  // Empty parts in the middle come from repeated `*`: they match nothing more than one `*` does.
  const collapsed = norm.length <= 2 ? norm : [norm[0] as string, ...norm.slice(1, -1).filter((p) => p !== ''), norm[norm.length - 1] as string];
  return { parts: collapsed, ignoreCase };
}

/** Compiles a pattern in which every `*` is a wildcard (no escapes). */
export function compileGlob(pattern: string, ignoreCase = false): Glob {
  return globFromParts(pattern.split('*'), ignoreCase);
}

/** True when `value` matches `glob` as a whole. */
export function globMatch(glob: Glob, value: string): boolean {
  const parts = glob.parts;
  const text = glob.ignoreCase ? value.toLowerCase() : value;
  if (parts.length === 1) return text === parts[0];
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let pos = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const at = text.indexOf(part, pos);
    if (at < 0 || at + part.length > end) return false;
    pos = at + part.length;
  }
  return true;
}
