/**
 * Per-role rights on objects and fields, from the application definition. Least privilege: a role
 * reaches only the objects it is granted and sees only the granted fields; the administrator
 * reaches everything; anonymous visitors reach no object.
 */
import type { FieldDef, Model, ObjectDef, ObjectRecord } from '@caruso/objects';
import type { Application, ObjectAction, RoleName } from './common/application.js';

/** What one role may do with one object. */
export interface ObjectRights {
  readonly object: ObjectDef;
  readonly actions: ReadonlySet<ObjectAction>;
  /** Fields the role sees (the key fields always). */
  readonly visible: ReadonlySet<string>;
  /** Fields the role may write (visible, not read-only, not computed or generated). */
  readonly writable: ReadonlySet<string>;
}

/**
 * The roles that supervise the contact center: they watch live chats and write private notes to the
 * agent, monitor calls (listen, whisper, barge) and hear any call recording (docs/frontoffice-quality.md).
 * An agent hears only the recordings of contacts they handled; a self-service visitor none.
 */
export const SUPERVISING: readonly RoleName[] = ['supervisor', 'administrator'];

function writableField(f: FieldDef): boolean {
  return !f.computed && !f.generated;
}

export class Permissions {
  private readonly rights = new Map<string, ObjectRights>();

  constructor(readonly model: Model, app: Application) {
    for (const o of model.objects) {
      const all = new Set(o.fields.map((f) => f.name));
      this.rights.set(`administrator:${o.name}`, {
        object: o,
        actions: new Set<ObjectAction>(['read', 'create', 'update', 'delete']),
        visible: all,
        writable: new Set(o.fields.filter(writableField).map((f) => f.name)),
      });
    }
    for (const role of app.roles) {
      if (role.name === 'administrator' || role.name === 'anonymous') continue;
      for (const g of role.grants) {
        const o = model.objects.find((x) => x.name === g.object);
        if (!o) continue;
        const visible = new Set(g.fields === '*' ? o.fields.map((f) => f.name) : g.fields);
        for (const k of o.key) visible.add(k);
        const readonly = new Set(g.readonly);
        const writable = new Set(o.fields.filter((f) => visible.has(f.name) && !readonly.has(f.name) && writableField(f)).map((f) => f.name));
        this.rights.set(`${role.name}:${o.name}`, { object: o, actions: new Set(g.actions), visible, writable });
      }
    }
  }

  /** The role's rights on the object, or undefined when it has none (the object does not exist for it). */
  on(role: RoleName, object: string): ObjectRights | undefined {
    return this.rights.get(`${role}:${object}`);
  }

  /** The objects a role may read. */
  readable(role: RoleName): ObjectRights[] {
    return this.model.objects.map((o) => this.on(role, o.name)).filter((r): r is ObjectRights => r !== undefined && r.actions.has('read'));
  }

  /** A record cut down to the visible fields (plus `$version`). */
  static project(rights: ObjectRights, record: ObjectRecord): ObjectRecord {
    const out: ObjectRecord = {};
    for (const [k, v] of Object.entries(record)) if (rights.visible.has(k) || k === '$version') out[k] = v;
    return out;
  }
}
