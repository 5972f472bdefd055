/**
 * A script as a graph for review: Mermaid (renders in GitHub and most wikis) or Graphviz dot.
 * Transitions are solid edges labelled with their cond; `<goto>` jumps and `on-error` exits are dashed.
 */
import type { CompiledScript, Executable, ScriptNode } from './common/model.js';

/** Graph formats. */
export type GraphFormat = 'mermaid' | 'dot';

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly dashed: boolean;
}

function edges(n: ScriptNode): Edge[] {
  const out: Edge[] = [];
  const gotos = (list: readonly Executable[], label: string): void => {
    for (const e of list) {
      if (e.kind === 'goto') out.push({ from: n.id, to: e.target, label, dashed: true });
      if ((e.kind === 'fetch' || e.kind === 'action' || e.kind === 'object-fetch' || e.kind === 'object-action') && e.onError !== undefined) {
        const what = e.kind === 'fetch' ? e.source : e.kind === 'action' ? `${e.service}.${e.operation}` : e.kind === 'object-fetch' ? e.object : `${e.object}.${e.operation}`;
        out.push({ from: n.id, to: e.onError, label: `${label ? label + ' / ' : ''}${what} failed`, dashed: true });
      }
      if (e.kind === 'if') for (const b of e.branches) gotos(b.body, b.cond ? `${label ? label + ' / ' : ''}if ${b.cond.source}` : `${label ? label + ' / ' : ''}else`);
    }
  };
  if ('next' in n) {
    for (const t of n.next) {
      gotos(t.body, t.cond?.source ?? '');
      out.push({ from: n.id, to: t.target, label: t.cond?.source ?? '', dashed: false });
    }
  }
  if (n.kind === 'question') for (const h of n.handlers) gotos(h.body, `on ${h.event}${h.count > 1 ? ` ${h.count}` : ''}`);
  return out;
}

function caption(n: ScriptNode): string {
  switch (n.kind) {
    case 'question':
      return `${n.id}\n${n.type}${n.channels.length < 3 ? ` [${n.channels.join(' ')}]` : ''}`;
    case 'subscript':
      return `${n.id}\nsubscript ${n.src}`;
    case 'handoff':
      return `${n.id}\nhandoff ${n.queue}`;
    case 'end':
      return `${n.id}\nend ${n.outcome}`;
    default:
      return `${n.id}\n${n.kind}`;
  }
}

/** Renders `script` in `format`. */
export function scriptGraph(script: CompiledScript, format: GraphFormat): string {
  const nodes = script.order.map((id) => script.nodes.get(id) as ScriptNode);
  const all = nodes.flatMap(edges);
  if (format === 'dot') {
    const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
    const shape: Record<ScriptNode['kind'], string> = { question: 'box', info: 'note', decision: 'diamond', subscript: 'component', handoff: 'cds', end: 'doublecircle' };
    return [
      `digraph ${q(script.id)} {`,
      '  rankdir=TB;',
      `  __start [shape=point];`,
      `  __start -> ${q(script.start)};`,
      ...nodes.map((n) => `  ${q(n.id)} [shape=${shape[n.kind]}, label=${q(caption(n))}];`),
      ...all.map((e) => `  ${q(e.from)} -> ${q(e.to)}${e.label || e.dashed ? ` [${[e.label ? `label=${q(e.label)}` : '', e.dashed ? 'style=dashed' : ''].filter(Boolean).join(', ')}]` : ''};`),
      '}',
      '',
    ].join('\n');
  }
  const ids = new Map(nodes.map((n, i) => [n.id, `n${i}`] as const));
  const idOf = (id: string): string => ids.get(id) ?? `missing_${id.replace(/\W/g, '_')}`;
  const text = (s: string): string => s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>');
  const box = (n: ScriptNode): string => {
    const t = `"${text(caption(n))}"`;
    switch (n.kind) {
      case 'decision':
        return `{${t}}`;
      case 'info':
        return `>${t}]`;
      case 'subscript':
        return `[[${t}]]`;
      case 'handoff':
        return `[/${t}/]`;
      case 'end':
        return `((${t}))`;
      default:
        return `[${t}]`;
    }
  };
  return [
    'flowchart TD',
    `  start(( )) --> ${idOf(script.start)}`,
    ...nodes.map((n) => `  ${idOf(n.id)}${box(n)}`),
    ...all.map((e) => `  ${idOf(e.from)} ${e.dashed ? '-.->' : '-->'}${e.label ? `|"${text(e.label)}"|` : ''} ${idOf(e.to)}`),
    '',
  ].join('\n');
}
