/**
 * Which variables an anonymous web visitor may see. Free of Node imports (the parser, the session
 * runtime and the browser share it).
 */
import type { CompiledScript, Executable } from './model.js';

/** Built-in names a visitor may always see (the session's own facts, not data). */
const PUBLIC_BUILTINS: readonly string[] = ['channel', 'lang', 'script', 'version', 'identity'];

/**
 * The public variables of a script or of every script of a bundle (they share one set of
 * variables): the built-in names, the variables declared `public="true"`, and the answers to
 * questions (what the visitor typed) unless a `<var>` declares that variable without
 * `public="true"` or an `<assign>`, `<fetch into>` or `<action into>` writes it.
 */
export function publicVariableNames(scripts: Iterable<CompiledScript>): Set<string> {
  const declaredPublic = new Set<string>();
  const declaredPrivate = new Set<string>();
  const answers = new Set<string>();
  const written = new Set<string>();
  const walk = (list: readonly Executable[]): void => {
    for (const e of list) {
      if (e.kind === 'assign') written.add(e.var);
      else if (e.kind === 'if') for (const b of e.branches) walk(b.body);
      else if (e.kind !== 'log' && e.kind !== 'goto') {
        if (e.into !== undefined) written.add(e.into);
        if (e.errorInto !== undefined) written.add(e.errorInto);
      }
    }
  };
  for (const s of scripts) {
    for (const v of s.vars) (v.public ? declaredPublic : declaredPrivate).add(v.name);
    for (const n of s.nodes.values()) {
      if (n.kind === 'question') {
        answers.add(n.var);
        for (const h of n.handlers) walk(h.body);
      }
      if ('next' in n) for (const t of n.next) walk(t.body);
    }
  }
  const out = new Set<string>([...PUBLIC_BUILTINS, ...declaredPublic]);
  for (const a of answers) if (!declaredPrivate.has(a) && !written.has(a)) out.add(a);
  return out;
}
