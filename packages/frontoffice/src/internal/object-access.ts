/**
 * Scripts run with the caller's rights: the access policy the front office registers under the
 * dialogue engine's `ObjectAccessPolicy` token. A desktop script's `<fetch object>` and
 * `<action object>` are checked against the agent's role (the application's `<grant>`s, through
 * {@link Permissions}); a self-service visitor's and an IVR caller's go by the default policy of
 * their channel (the engine keeps an identified visitor to their own records on top of it).
 */
import { defaultObjectAccessPolicy, type ObjectAccessDecision, type ObjectAccessPolicy, type ObjectAccessRequest } from '@caruso/dialogue';
import { ROLES, type ObjectAction, type RoleName } from '../common/application.js';
import type { ObjectRights, Permissions } from '../permissions.js';

function isRole(name: string): name is RoleName {
  return (ROLES as readonly string[]).includes(name);
}

/** Why one role may not do the request, or undefined when it may (and what it sees). */
function check(permissions: Permissions, rights: ObjectRights | undefined, r: ObjectAccessRequest, role: RoleName): string | undefined {
  const action: ObjectAction = r.operation;
  if (!rights) return `the role ${role} has no rights on ${r.object}`;
  if (!rights.actions.has(action)) return `the role ${role} may not ${action} ${r.object} records`;
  // A read may filter and sort only on fields the role sees (else it could probe hidden values);
  // a write may set only fields the role may write.
  const allowed = action === 'read' || action === 'delete' ? rights.visible : rights.writable;
  // A filter on a many-to-one relation names the relation: it is allowed when the role reads its target.
  const readsTarget = (name: string): boolean => {
    const rel = rights.object.relations.find((x) => x.name === name);
    return rel !== undefined && permissions.on(role, rel.target)?.actions.has('read') === true;
  };
  const refused = r.fields.filter((f) => !allowed.has(f) && !readsTarget(f));
  if (refused.length > 0) return `the role ${role} may not ${action === 'read' || action === 'delete' ? 'see' : 'write'} ${r.object}.${refused.slice(0, 5).join(`, ${r.object}.`)}`;
  return undefined;
}

/**
 * The front office's policy: agents by the roles the front office gave their session (any of them
 * may allow; the fields read are those the allowing roles see), everyone else by
 * {@link defaultObjectAccessPolicy}. An agent session without a role of the application is refused
 * (least privilege: the front office starts every desktop script with the agent's role).
 */
export function roleObjectAccessPolicy(permissions: Permissions): ObjectAccessPolicy {
  return {
    decide(r: ObjectAccessRequest): ObjectAccessDecision | Promise<ObjectAccessDecision> {
      if (r.actor.kind !== 'agent') return defaultObjectAccessPolicy.decide(r);
      const roles = (r.actor.roles ?? []).filter(isRole);
      if (roles.length === 0) return { allowed: false, reason: 'the session names no role of the application' };
      const reasons: string[] = [];
      const readable = new Set<string>();
      let allowed = false;
      for (const role of roles) {
        const rights = permissions.on(role, r.object);
        const refused = check(permissions, rights, r, role);
        if (refused !== undefined) {
          reasons.push(refused);
          continue;
        }
        allowed = true;
        for (const f of rights?.visible ?? []) readable.add(f);
      }
      if (!allowed) return { allowed: false, reason: reasons.join('; ') };
      return r.operation === 'read' ? { allowed: true, readable: [...readable] } : { allowed: true };
    },
  };
}
