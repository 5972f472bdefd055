/**
 * The monitor's live topics over /ws/monitor: a snapshot per topic, then patches (a path and a value,
 * or a path alone to delete). One MonitorFeed keeps the values of its topics and calls `onChange`
 * after each snapshot or patch; a `missed` frame (the server dropped patches) subscribes again.
 */
import { socketUrl } from './dom.js';

export interface PatchOp {
  readonly path: readonly string[];
  readonly value?: unknown;
}

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** `value` with `ops` applied (a copy; a key that could reach a prototype stops the patch there). */
export function patchValue(value: unknown, ops: readonly PatchOp[]): unknown {
  let root: unknown = structuredClone(value);
  for (const op of ops) {
    if (op.path.length === 0) {
      root = structuredClone(op.value);
      continue;
    }
    if (root === null || typeof root !== 'object') root = {};
    let node = root as Record<string, unknown>;
    for (const k of op.path.slice(0, -1)) {
      if (FORBIDDEN_KEYS.has(k)) return root;
      const next = node[k];
      if (next === null || typeof next !== 'object') node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    const last = op.path[op.path.length - 1] as string;
    if (FORBIDDEN_KEYS.has(last)) return root;
    if ('value' in op) node[last] = structuredClone(op.value);
    else delete node[last];
  }
  return root;
}

type MonitorFrame =
  | { readonly type: 'snapshot'; readonly topic: string; readonly value: unknown }
  | { readonly type: 'change'; readonly topic: string; readonly ops: readonly PatchOp[] }
  | { readonly type: 'missed'; readonly topic: string }
  | { readonly type: string; readonly topic?: string };

export class MonitorFeed {
  /** The topics' values as last folded (by topic name). */
  readonly values = new Map<string, unknown>();
  private readonly ws: WebSocket;
  private readonly subscribed = new Set<string>();

  /** `topics()` names the topics to follow; subscribe() again when the answer changes. */
  constructor(private readonly topics: () => readonly string[], private readonly onChange: (topic: string) => void) {
    this.ws = new WebSocket(socketUrl('/ws/monitor'));
    this.ws.addEventListener('open', () => this.subscribe());
    this.ws.addEventListener('message', (m: MessageEvent<string>) => this.receive(JSON.parse(m.data) as MonitorFrame));
  }

  /** Subscribes to the topics not subscribed yet (once the socket is open: it subscribes itself then). */
  subscribe(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    for (const topic of this.topics()) {
      if (this.subscribed.has(topic)) continue;
      this.subscribed.add(topic);
      this.ws.send(JSON.stringify({ type: 'subscribe', topic }));
    }
  }

  close(): void {
    this.ws.close();
  }

  private receive(msg: MonitorFrame): void {
    if (msg.topic === undefined) return;
    if (msg.type === 'snapshot' && 'value' in msg) this.values.set(msg.topic, msg.value);
    else if (msg.type === 'change' && 'ops' in msg) this.values.set(msg.topic, patchValue(this.values.get(msg.topic), msg.ops));
    else if (msg.type === 'missed') this.ws.send(JSON.stringify({ type: 'subscribe', topic: msg.topic }));
    else return;
    this.onChange(msg.topic);
  }
}
