import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { fileSourceReader, identifiedDataAccess, loadScriptBundle, type ScriptBundle } from '@caruso/dialogue';
import { findField, findObject, findRelation, readModelFile, type Model, type ObjectDef } from '@caruso/objects';

/**
 * The cross-reference checks of an assembly: what it names in its model, its scripts and its
 * application must exist. Kept apart from the reader of the file itself (assembly-file.ts).
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

/** The scripts of a folder, as the dialogue engine loads them (files that do not load are left out). */
export interface ScriptFolder {
  /** Script ids → their bundle. */
  readonly bundles: ReadonlyMap<string, ScriptBundle>;
  /** The number of `*.xml` files in the folder. */
  readonly files: number;
  /** Per script id, what it reads or changes on the web that needs an identified visitor. */
  readonly identifiedDataAccess: ReadonlyMap<string, readonly string[]>;
}

/** Loads every `*.xml` of a folder as a script bundle; undefined when the folder cannot be read. */
export function loadScriptFolder(dir: string): ScriptFolder | undefined {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.xml')).sort();
  } catch {
    return undefined;
  }
  const bundles = new Map<string, ScriptBundle>();
  const access = new Map<string, readonly string[]>();
  for (const n of names) {
    let text: string;
    try {
      text = readFileSync(join(dir, n), 'utf8');
    } catch {
      continue;
    }
    const loaded = loadScriptBundle(join(dir, n), text, fileSourceReader);
    if (!loaded.bundle) continue;
    bundles.set(loaded.bundle.main.id, loaded.bundle);
    access.set(loaded.bundle.main.id, identifiedDataAccess(loaded.bundle).map((a) => a.replace(`${dir}/`, '')));
  }
  return { bundles, files: names.length, identifiedDataAccess: access };
}

/** Reads a model file for the checks; undefined when it has errors (start reports them). */
export function loadModelQuietly(file: string): Model | undefined {
  try {
    return readModelFile(file).model;
  } catch {
    return undefined;
  }
}

/**
 * Checks a field path of an object (`phone`, or `customer.phone` through a relation). Returns the
 * problem, or undefined when the path exists.
 */
export function fieldPathProblem(model: Model, object: ObjectDef, path: string): string | undefined {
  const parts = path.split('.');
  let o: ObjectDef = object;
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1) {
      if (findField(o, part)) return undefined;
      return `${o.name} has no field '${part}'${didYouMean(part, o.fields.map((f) => f.name))}`;
    }
    const rel = findRelation(o, part);
    const target = rel ? findObject(model, rel.target) : undefined;
    if (!target) return `${o.name} has no relation '${part}'${didYouMean(part, o.relations.map((r) => r.name))}`;
    o = target;
  }
  return undefined;
}

/** The message for an unknown object of the model. */
export function unknownObject(model: Model, name: string): string {
  return `unknown object '${name}' in the model ${model.name}${didYouMean(name, model.objects.map((o) => o.name))}`;
}

/** A path as the user reads it: relative to the working folder when inside it. */
export function shownPath(path: string, cwd: string = process.cwd()): string {
  const r = relative(cwd, path);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r : path;
}
