/**
 * The suggestion XML readers add to an unknown name (`unknown queue 'bilings'; did you mean
 * 'billing'?`), shared by the assembly, application and other readers.
 */

/** The edit distance of two short names (case-insensitive), for "did you mean". */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  let before = prev;
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
      // Two letters swapped count as one typo.
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) row[j] = Math.min(row[j] as number, (before[j - 2] as number) + 1);
    }
    before = prev;
    prev = row;
  }
  return prev[y.length] as number;
}

/**
 * `; did you mean 'billing'?` when one of the candidates is close to the name (at most a third of
 * its letters differ), else the list of candidates (`; known: a, b`), else nothing.
 */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const all = [...new Set(candidates)];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of all) {
    // The distance is at least the difference in length: a candidate that cannot be close is not
    // measured, and a huge name (a mutated or hostile file) costs no quadratic time.
    if (name.length > 200 || Math.abs(name.length - c.length) > Math.max(1, Math.floor(Math.max(name.length, c.length) / 3))) continue;
    const d = distance(name, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  if (best !== undefined && bestD > 0 && bestD <= Math.max(1, Math.floor(Math.max(name.length, best.length) / 3))) return `; did you mean '${best}'?`;
  if (all.length === 0) return '';
  return `; known: ${all.slice(0, 12).join(', ')}${all.length > 12 ? ', …' : ''}`;
}
