/** What every signed-in page knows once the shell has booted (main.ts): who, what, and the server's clock. */
import type { AppResponse, RoleObject, SessionUser } from './types.js';

export interface PageContext {
  readonly me: SessionUser;
  readonly app: AppResponse;
  /** How far the server's clock is from this browser's, in ms (a demonstration may run at another moment). */
  readonly clockOffset: number;
}

/** Now by the server's clock. */
export function serverNow(ctx: Pick<PageContext, 'clockOffset'>): number {
  return Date.now() + ctx.clockOffset;
}

/** The role's view of an object (its visible fields and rights); throws when the role cannot see it. */
export function objectDef(ctx: Pick<PageContext, 'app'>, name: string): RoleObject {
  const def = ctx.app.objects.find((o) => o.name === name);
  if (!def) throw new Error(`${name}?`);
  return def;
}

/** The record's key value (first key field) as a path segment. */
export function recordKey(def: RoleObject, rec: Readonly<Record<string, unknown>>): string {
  return String(rec[def.key[0] ?? ''] ?? '');
}
