import type { FastifyRequest } from 'fastify';
import type { SessionActor, SessionView } from '@caruso/dialogue';
import { FrontOfficeErrors } from '../errors.js';
import type { Principal } from './sessions.js';
import type { FrontOfficeStore } from '../user-store.js';

/** What the pages get of a dialogue session. */
export function sessionView(v: SessionView): Record<string, unknown> {
  return { sessionId: v.sessionId, revision: v.revision, status: v.status, script: v.script, step: v.step };
}

/**
 * The script session of the request's `:id`, when it is the caller's own (a visitor's from their
 * page, a user's from the store); 404 otherwise, so another's session is not even confirmed to exist.
 */
export async function ownScriptSession(store: FrontOfficeStore, req: FastifyRequest, p: Principal): Promise<string> {
  const id = (req.params as { id: string }).id;
  if (p.kind === 'visitor') {
    if (!p.scriptSessions.has(id)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'script session' });
    return id;
  }
  const owner = await store.scriptSession(id);
  if (!owner || owner.owner !== `user:${p.name}`) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'script session' });
  return id;
}

/**
 * The agent a desktop script session serves: their user name and role. Given when the session
 * starts, and on every step, so that a session saved before sessions named their actor adopts it.
 */
export function agentActor(p: Principal): SessionActor {
  return { kind: 'agent', id: p.name, roles: [p.role] };
}

/** The optional `revision` of a request body (a whole number; 400 otherwise). */
export function revisionOf(b: Record<string, unknown>): { revision?: number } {
  if (b['revision'] === undefined) return {};
  if (!Number.isInteger(b['revision'])) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'revision must be a whole number' });
  return { revision: b['revision'] as number };
}
