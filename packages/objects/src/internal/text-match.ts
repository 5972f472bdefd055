/**
 * Text matching that ignores case and accents alike on SQLite and PostgreSQL: "eric" finds "Éric",
 * "ölçer" finds "Ölçer", "ĳsselmeer" finds "Ĳsselmeer". SQLite's `lower()` and `like` fold ASCII
 * only, and PostgreSQL's fold case by the database's locale and never accents, so neither is used:
 * the text is turned into a pattern in which every letter is the class of its variants (`e` →
 * `[eEéÉèÈ…]`), run by SQLite's case-sensitive `glob` and PostgreSQL's case-sensitive `~`. The
 * pattern is always a binding and the column an identifier from the model: no SQL is built from input.
 *
 * Note: letters are compared one by one: a ligature (`Ĳ`, `æ`, `ß`) matches its own case variants,
 * not the two letters it stands for.
 */
import type { Dialect } from '@caruso/storage';

/** Where the text must occur in the value. */
export type MatchMode = 'exact' | 'prefix' | 'suffix' | 'contains';

/** The ranges of letters folded: Latin (with its accented letters and ligatures), Greek, Cyrillic. */
const RANGES: readonly [number, number][] = [
  [0x41, 0x5a],
  [0x61, 0x7a],
  [0xc0, 0x24f],
  [0x370, 0x3ff],
  [0x400, 0x4ff],
  [0x1e00, 0x1eff],
];

/** A letter's base: lower case, accents removed (`É` → `e`, `Ĳ` → `ĳ`). */
function baseOf(c: string): string {
  const stripped = c.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
  // A letter that decomposes into more than one base letter keeps its own lower case.
  return [...stripped].length === 1 ? stripped : c.toLowerCase();
}

/** The base of each letter, and the variants (all case and accent forms) of each base. */
const { BASE, VARIANTS } = (() => {
  const base = new Map<string, string>();
  const variants = new Map<string, string[]>();
  for (const [from, to] of RANGES) {
    for (let cp = from; cp <= to; cp++) {
      const c = String.fromCodePoint(cp);
      if (!/\p{L}/u.test(c)) continue;
      const b = baseOf(c);
      base.set(c, b);
      const list = variants.get(b) ?? [];
      list.push(c);
      variants.set(b, list);
    }
  }
  // A base letter is one of its own variants (`ĳ` of `Ĳ`), also when outside the ranges.
  for (const [b, list] of variants) if (!list.includes(b)) list.push(b);
  return { BASE: base, VARIANTS: variants };
})();

/** The text folded as the matching sees it: each letter its base (`Éric Ölçer` → `eric olcer`); other characters lower case. */
export function foldText(text: string): string {
  let out = '';
  for (const c of text) out += BASE.get(c) ?? c.toLowerCase();
  return out;
}

const variantsOf = (c: string): readonly string[] | undefined => {
  const b = BASE.get(c);
  return b === undefined ? undefined : VARIANTS.get(b);
};

/** SQLite `glob`: a letter as the class of its variants; `*`, `?` and `[` as one-character classes. */
function globOf(text: string): string {
  let out = '';
  for (const c of text) {
    const v = variantsOf(c);
    if (v && v.length > 1) out += `[${v.join('')}]`;
    else if (c === '*' || c === '?' || c === '[') out += `[${c}]`;
    else out += c;
  }
  return out;
}

/** PostgreSQL's regular expressions (ARE): a letter as the class of its variants, the others escaped. */
function regexOf(text: string): string {
  let out = '';
  for (const c of text) {
    const v = variantsOf(c);
    if (v && v.length > 1) out += `[${v.join('')}]`;
    else if (/[\\^$.|?*+()[\]{}]/.test(c)) out += `\\${c}`;
    else out += c;
  }
  return out;
}

/**
 * The condition that the column `col` holds `text` (ignoring case and accents), where `mode` says:
 * raw SQL with `??` for the column and `?` for the pattern, and its bindings.
 * @param col the column (an identifier from the model, possibly `alias.column`).
 */
export function textMatch(dialect: Dialect, col: string, text: string, mode: MatchMode): [string, unknown[]] {
  if (dialect === 'sqlite') {
    const g = globOf(text);
    const pattern = mode === 'exact' ? g : mode === 'prefix' ? `${g}*` : mode === 'suffix' ? `*${g}` : `*${g}*`;
    return ['?? glob ?', [col, pattern]];
  }
  const r = regexOf(text);
  const pattern = mode === 'exact' ? `^${r}$` : mode === 'prefix' ? `^${r}` : mode === 'suffix' ? `${r}$` : r;
  return ['?? ~ ?', [col, pattern]];
}
