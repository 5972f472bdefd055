/**
 * The wire protocol of the live monitor (JSON over WebSocket). This file has no Node imports so that
 * the front office's browser code can share it.
 *
 * Client → server: `{ type: 'subscribe', topic }`, `{ type: 'unsubscribe', topic }`.
 * Server → client: `snapshot` (the whole value of a topic), then `change`s (patches against the
 * value the client holds), `missed` (the client was too slow; a fresh snapshot follows), `error`,
 * and `alert` (an alert raised or cleared, on the `alerts` topic).
 */

/** Who is looking: supervisors see every topic, agents only their own `agent:<agentId>` topic. */
export interface MonitorPrincipal {
  /** A name for logs, e.g. the user name. Never a secret. */
  readonly name: string;
  readonly role: 'supervisor' | 'agent';
  /** The agent this principal is (required for the `agent` role). */
  readonly agentId?: string;
}

/** One change of a patch: the value at `path` is replaced (or removed when `value` is absent). */
export interface PatchOp {
  readonly path: readonly string[];
  readonly value?: unknown;
}

/** What a client may send. */
export type ClientMessage = { readonly type: 'subscribe'; readonly topic: string } | { readonly type: 'unsubscribe'; readonly topic: string };

/** What the server sends. */
export type ServerMessage =
  | { readonly type: 'hello'; readonly principal: MonitorPrincipal }
  | {
      readonly type: 'snapshot';
      readonly topic: string;
      /** Sequence number of the last contact event folded into the value. */
      readonly seq: number;
      /** Server time of the value (ms since the epoch): durations are `at − since`. */
      readonly at: number;
      readonly value: unknown;
    }
  | {
      readonly type: 'change';
      readonly topic: string;
      readonly seq: number;
      /** The first event of this batch of changes (for measuring delivery delay). */
      readonly fromSeq: number;
      readonly at: number;
      readonly ops: readonly PatchOp[];
    }
  | { readonly type: 'missed'; readonly topic: string }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly topic?: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => equal(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * The patch that turns `prev` into `next`, descending into plain objects up to `depth` levels
 * (arrays and deeper values are replaced whole).
 */
export function diffValues(prev: unknown, next: unknown, depth = 3, path: string[] = []): PatchOp[] {
  if (equal(prev, next)) return [];
  if (depth <= 0 || !isPlainObject(prev) || !isPlainObject(next)) return [{ path, value: next }];
  const ops: PatchOp[] = [];
  for (const k of Object.keys(prev)) if (!(k in next)) ops.push({ path: [...path, k] });
  for (const k of Object.keys(next)) {
    if (!(k in prev)) ops.push({ path: [...path, k], value: next[k] });
    else ops.push(...diffValues(prev[k], next[k], depth - 1, [...path, k]));
  }
  return ops;
}

/** Applies a patch to a value (returns a new value; the input is not modified). */
export function applyPatch(value: unknown, ops: readonly PatchOp[]): unknown {
  let root: unknown = structuredClone(value);
  for (const op of ops) {
    if (op.path.length === 0) {
      root = structuredClone(op.value);
      continue;
    }
    if (!isPlainObject(root)) root = {};
    let node = root as Record<string, unknown>;
    for (const key of op.path.slice(0, -1)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new TypeError(`bad path key ${key}`);
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    const last = op.path[op.path.length - 1]!;
    if (last === '__proto__' || last === 'constructor' || last === 'prototype') throw new TypeError(`bad path key ${last}`);
    if (!('value' in op)) delete node[last];
    else node[last] = structuredClone(op.value);
  }
  return root;
}
