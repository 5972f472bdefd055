import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { fileSourceReader, identifiedDataAccess, loadScriptBundle, type ScriptBundle } from '@caruso/dialogue';
import { didYouMean } from '@caruso/kernel';
import { findField, findObject, findRelation, readModelFile, type Model, type ObjectDef } from '@caruso/objects';

export { didYouMean };

/**
 * The cross-reference checks of an assembly: what it names in its model, its scripts and its
 * application must exist. Kept apart from the reader of the file itself (assembly-file.ts).
 */

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
