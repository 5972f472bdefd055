/**
 * Business objects in scripts: what `<fetch object>` and `<action object>` ask of the objects
 * service, what comes back, and the access policy that decides what the person a session serves may
 * do. The dialogue package does not import @caruso/objects (it sits beside it, on the kernel): it
 * reaches the objects service at run time through the service manager by its token id
 * (`caruso.objects`) and sees only the structural shape below.
 */
import { createToken } from '@caruso/kernel';
import type { ScriptValue } from './common/expression.js';
import type { Channel, Variables } from './common/model.js';

/** The identified web visitor (the session's `identity`): a key field, its value, and the object it identifies. */
export interface VisitorIdentity {
  readonly field: string;
  readonly key: string;
  readonly object?: string;
}

/** The token id under which @caruso/objects registers its BusinessObjects. */
export const OBJECTS_TOKEN_ID = 'caruso.objects';

/**
 * Who a session serves: an agent of the front office (`agent`, with the application roles the
 * front office gave them), a self-service visitor on the web (`visitor`), or a caller in the IVR
 * (`caller`). Set by the host when it starts the session; without it the channel decides (agent →
 * agent, web → visitor, ivr → caller).
 */
export interface SessionActor {
  readonly kind: 'agent' | 'visitor' | 'caller';
  /** The user name of an agent (recorded as the actor of writes: `agent:<id>`), a caller's number. */
  readonly id?: string;
  /** The application roles of an agent (the front office's role names). */
  readonly roles?: readonly string[];
}

/** The operations of business objects in scripts. */
export type ObjectOperation = 'read' | 'create' | 'update' | 'delete';

/**
 * A filter in the objects service's form (field → value or `{ ne, lt, … }`, `and`, `or`, `not`,
 * a many-to-one relation's name → a filter on its target).
 */
export type ObjectFilter = { readonly [name: string]: ScriptValue | ObjectFilter | readonly ObjectFilter[] };

/** One request of a script for business objects. */
export interface ObjectRequest {
  readonly operation: ObjectOperation;
  readonly object: string;
  /** read: by key (one record); update, delete: the record to change (a key, or a record read earlier, whose `$version` is then checked). */
  readonly key?: ScriptValue;
  /** read: the filter (none: every record the caller may read). */
  readonly where?: ObjectFilter;
  /** read: a list (one page) instead of the first record. */
  readonly list?: boolean;
  readonly orderBy?: readonly string[];
  readonly limit?: number;
  /** create, update: the fields written. */
  readonly data?: Variables;
  /** Marked `anonymous="true"` in the script. */
  readonly anonymous: boolean;
  /** Who asks and where. */
  readonly caller: ObjectCaller;
}

/** The session a request comes from. */
export interface ObjectCaller {
  readonly actor: SessionActor;
  readonly channel: Channel;
  /** The identified web visitor, when the host identified them. */
  readonly identity?: VisitorIdentity;
  /** The main script of the session. */
  readonly script: string;
}

/** One violated field of a refused write. */
export interface ObjectFieldProblem {
  /** The field (`$record` for a rule of the whole record). */
  readonly field: string;
  readonly code: string;
  /** A sentence for the person (never contains the value). */
  readonly message: string;
}

/**
 * Why a request was refused, in a form a script can handle (`error-into`): `invalid` (validation,
 * with the fields), `not-found` (the record to change is gone), `conflict` (changed by someone else
 * since it was read), `denied` (the access policy or the visitor's identity refused it), `failed`
 * (a `<fetch source>` or `<action service>` that threw).
 */
export interface ObjectFailure {
  readonly code: 'invalid' | 'not-found' | 'conflict' | 'denied' | 'failed';
  readonly message: string;
  readonly fields: readonly ObjectFieldProblem[];
}

/** The outcome of an {@link ObjectRequest}. */
export type ObjectOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly failure: ObjectFailure };

/** What the access policy is asked. */
export interface ObjectAccessRequest {
  readonly actor: SessionActor;
  readonly channel: Channel;
  readonly identity?: VisitorIdentity;
  readonly script: string;
  readonly object: string;
  readonly operation: ObjectOperation;
  /** The fields the operation names: those a read filters and sorts on, those a write sets. */
  readonly fields: readonly string[];
  readonly anonymous: boolean;
}

/**
 * The policy's answer. `readable` (reads): the fields the actor may see; every other field is
 * removed from the records before the script gets them (the key fields and `$version` stay).
 */
export type ObjectAccessDecision = { readonly allowed: true; readonly readable?: readonly string[] } | { readonly allowed: false; readonly reason: string };

/**
 * Decides what the person a session serves may do with business objects. A script only ever asks
 * for the object operations it declares (its `<fetch object>` and `<action object>` elements); the
 * policy narrows those to what the person may do. The front office registers one under the
 * {@link ObjectAccessPolicy} token that applies the application's role grants to agents; without
 * one, {@link defaultObjectAccessPolicy} applies.
 * Note: on the web channel the engine also keeps every read and write of an identified visitor to
 * the records linked to them (whatever the policy says); see docs/dialogue-language.md.
 */
export interface ObjectAccessPolicy {
  decide(request: ObjectAccessRequest): ObjectAccessDecision | Promise<ObjectAccessDecision>;
}

/** The token of the access policy (optional in the service manager). */
export const ObjectAccessPolicy = createToken<ObjectAccessPolicy>('caruso.dialogue.ObjectAccessPolicy');

/**
 * The policy used when none is registered: agents and IVR callers may do what the script declares;
 * a web visitor who has not been identified may only read and create, and only where the script
 * says `anonymous="true"` (an identified visitor reaches only their own records, which the engine
 * enforces on top of any policy).
 */
export const defaultObjectAccessPolicy: ObjectAccessPolicy = {
  decide(r) {
    if (r.actor.kind !== 'visitor') return { allowed: true };
    if (r.identity) return { allowed: true };
    if (r.anonymous && (r.operation === 'read' || r.operation === 'create')) return { allowed: true };
    return { allowed: false, reason: r.anonymous ? `an anonymous visitor may not ${r.operation} ${r.object} records` : 'the visitor has not been identified' };
  },
};

/** The actor of a session when the host named none: by channel. */
export function actorOfChannel(channel: Channel): SessionActor {
  return { kind: channel === 'web' ? 'visitor' : channel === 'ivr' ? 'caller' : 'agent' };
}

/**
 * The business-object model as the script checker sees it (the objects package's `Model` fits):
 * object names, key fields, fields and many-to-one relations.
 */
export interface ScriptObjectModel {
  readonly objects: readonly ScriptObjectDef[];
}

/** One object of a {@link ScriptObjectModel}. */
export interface ScriptObjectDef {
  readonly name: string;
  readonly key: readonly string[];
  readonly versionColumn?: string | undefined;
  readonly fields: ReadonlyArray<{
    readonly name: string;
    readonly type: string;
    readonly required: boolean;
    readonly generated: boolean;
    readonly computed?: unknown;
    readonly defaultValue?: unknown;
  }>;
  readonly relations: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly target: string; readonly fields: readonly string[] }>;
}
