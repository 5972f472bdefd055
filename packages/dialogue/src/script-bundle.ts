/**
 * Loads a script together with every script its `<subscript src>` elements name (recursively), so
 * that a session runs one fixed bundle: the version it started with.
 */
import { XmlDiagnostic } from '@caruso/kernel';
import type { CompiledScript, Executable, ScriptBundle, ScriptNode, SubscriptNode } from './common/model.js';
import { publicVariableNames } from './common/public-variables.js';
import { parseScript, type ParseOptions } from './script-parser.js';

/** How the loader reads files; the default reads the file system. */
export interface ScriptSourceReader {
  /** The path of `src` written in `from`. */
  resolve(from: string, src: string): string;
  /** The text of a file, or `undefined` when it does not exist. */
  read(path: string): string | undefined;
}

/** The result of {@link loadScriptBundle}. */
export interface LoadedBundle {
  /** The bundle, when no file of it has an error. */
  readonly bundle: ScriptBundle | undefined;
  /** Problems of every file of the bundle. */
  readonly diagnostics: XmlDiagnostic[];
}

/**
 * Parses `file` (whose text is `text`) and every subscript it uses.
 * @param reader resolves and reads subscript files.
 * @param options.objects the business-object model, to check `<fetch object>` and `<action object>`.
 */
export function loadScriptBundle(file: string, text: string, reader: ScriptSourceReader, options: ParseOptions = {}): LoadedBundle {
  const diagnostics: XmlDiagnostic[] = [];
  const scripts = new Map<string, CompiledScript>();
  const sources = new Map<string, { file: string; text: string }>();
  const byFile = new Map<string, CompiledScript | null>();
  let failed = false;

  const load = (path: string, content: string, chain: string[]): CompiledScript | undefined => {
    const cached = byFile.get(path);
    if (cached !== undefined) return cached ?? undefined;
    const parsed = parseScript(content, path, options);
    diagnostics.push(...parsed.diagnostics);
    const script = parsed.script;
    byFile.set(path, script ?? null);
    if (!script) {
      failed = true;
      return undefined;
    }
    const other = scripts.get(script.id);
    if (other && other.file !== path) {
      diagnostics.push(new XmlDiagnostic(path, 1, 1, 'error', `script id '${script.id}' is also used by ${other.file}: ids must be unique within a bundle`, 'duplicate-script'));
      failed = true;
      return undefined;
    }
    scripts.set(script.id, script);
    sources.set(script.id, { file: path, text: content });
    for (const id of script.order) {
      const n = script.nodes.get(id) as ScriptNode;
      if (n.kind !== 'subscript') continue;
      const target = reader.resolve(path, n.src);
      const err = (message: string, code: string): void => {
        diagnostics.push(new XmlDiagnostic(path, n.at.line, n.at.col, 'error', message, code));
        failed = true;
      };
      if (chain.includes(target) || target === path) {
        err(`subscript '${n.src}' includes itself (${[...chain, path, target].join(' → ')})`, 'subscript-cycle');
        continue;
      }
      const sub = reader.read(target);
      if (sub === undefined) {
        err(`subscript src="${n.src}": no such file (${target})`, 'subscript-not-found');
        continue;
      }
      const child = load(target, sub, [...chain, path]);
      if (!child) {
        if (!diagnostics.some((d) => d.file === target && d.severity === 'error')) err(`subscript '${n.src}' could not be loaded`, 'subscript-invalid');
        else err(`subscript '${n.src}' has errors (see ${target})`, 'subscript-invalid');
        continue;
      }
      (n as { scriptId: string } & SubscriptNode).scriptId = child.id;
    }
    return script;
  };

  const main = load(file, text, []);
  // A variable is shared by every script of the bundle: its scripts must agree whether it is public.
  const publicAt = new Map<string, { file: string; public: boolean }>();
  for (const s of scripts.values()) {
    for (const v of s.vars) {
      const first = publicAt.get(v.name);
      if (!first) publicAt.set(v.name, { file: s.file, public: v.public });
      else if (first.public !== v.public) {
        diagnostics.push(new XmlDiagnostic(s.file, v.at.line, v.at.col, 'error', `variable '${v.name}' is ${v.public ? 'public' : 'not public'} here but ${first.public ? 'public' : 'not public'} in ${first.file}: a variable is shared by the whole bundle, so declare it the same way in both`, 'public-conflict'));
        failed = true;
      }
    }
  }
  diagnostics.sort(XmlDiagnostic.compare);
  if (!main || failed) return { bundle: undefined, diagnostics };
  return { bundle: { main, scripts, sources }, diagnostics };
}

/** A reader over an in-memory map of files (for tests, the browser, and versions kept in storage). */
export function mapSourceReader(files: ReadonlyMap<string, string> | Readonly<Record<string, string>>): ScriptSourceReader {
  const get = (p: string): string | undefined => (files instanceof Map ? files.get(p) : (files as Record<string, string>)[p]);
  return {
    resolve(from, src) {
      if (src.startsWith('/')) return src;
      const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '';
      const parts: string[] = [];
      for (const seg of (dir + src).split('/')) {
        if (seg === '..') parts.pop();
        else if (seg !== '.' && seg !== '') parts.push(seg);
      }
      return (from.startsWith('/') ? '/' : '') + parts.join('/');
    },
    read: (p) => get(p),
  };
}

const publicCache = new WeakMap<ScriptBundle, ReadonlySet<string>>();

/**
 * The variables an anonymous web visitor may see in a session of `bundle` (see
 * {@link publicVariableNames}): what a web hand-off step carries.
 */
export function publicVariables(bundle: ScriptBundle): ReadonlySet<string> {
  let names = publicCache.get(bundle);
  if (!names) {
    names = publicVariableNames(bundle.scripts.values());
    publicCache.set(bundle, names);
  }
  return names;
}

/**
 * The variables the scripts of a bundle declare (`<var>`) or fill (a question's `var`, a fetch's or
 * action's `into`), sorted: what a host may name as a collected variable (a screen pop by field).
 */
export function scriptVariables(bundle: ScriptBundle): string[] {
  const out = new Set<string>();
  const walk = (list: readonly Executable[]): void => {
    for (const e of list) {
      if ((e.kind === 'fetch' || e.kind === 'object-fetch' || e.kind === 'action' || e.kind === 'object-action') && e.into !== undefined) out.add(e.into);
      if (e.kind === 'assign') out.add(e.var);
      if (e.kind === 'if') for (const b of e.branches) walk(b.body);
    }
  };
  for (const s of bundle.scripts.values()) {
    for (const v of s.vars) out.add(v.name);
    for (const id of s.order) {
      const n = s.nodes.get(id) as ScriptNode;
      if (n.kind === 'question') {
        out.add(n.var);
        for (const h of n.handlers) walk(h.body);
      }
      if ('next' in n) for (const t of n.next) walk(t.body);
    }
  }
  return [...out].sort();
}

/**
 * Every `<fetch>` and `<action>` of the bundle that needs an identified visitor on the web channel
 * (all but those marked `anonymous="true"`), as `service.operation (file:line:col)`, in file order.
 * A self-service page whose script has one asks the visitor to identify first.
 */
export function identifiedDataAccess(bundle: ScriptBundle): string[] {
  const out: string[] = [];
  const walk = (list: readonly Executable[]): void => {
    for (const e of list) {
      if ((e.kind === 'fetch' || e.kind === 'action') && !e.anonymous) out.push(`${e.kind === 'fetch' ? e.source : e.service}.${e.operation} (${e.at.file}:${e.at.line}:${e.at.col})`);
      if ((e.kind === 'object-fetch' || e.kind === 'object-action') && !e.anonymous) out.push(`${e.object}.${e.kind === 'object-fetch' ? 'read' : e.operation} (${e.at.file}:${e.at.line}:${e.at.col})`);
      if (e.kind === 'if') for (const b of e.branches) walk(b.body);
    }
  };
  for (const s of bundle.scripts.values()) {
    for (const id of s.order) {
      const n = s.nodes.get(id) as ScriptNode;
      if ('next' in n) for (const t of n.next) walk(t.body);
      if (n.kind === 'question') for (const h of n.handlers) walk(h.body);
    }
  }
  return out;
}
