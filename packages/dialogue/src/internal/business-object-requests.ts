/**
 * `<fetch object>` and `<action object>` over the objects service: the repository calls, the access
 * policy, the web visitor's scope (only records linked to the identified visitor) and the
 * translation of the objects service's refusals into outcomes a script handles.
 * The objects service is reached by its token id through the service manager at the moment of the
 * call (dialogue does not depend on @caruso/objects; see ARCHITECTURE.md, rule 1), so this file
 * knows only the structural shape it uses.
 */
import { createToken, isCarusoError, type ServiceLookup } from '@caruso/kernel';
import type { ScriptValue } from '../common/expression.js';
import type { Variables } from '../common/model.js';
import {
  defaultObjectAccessPolicy,
  OBJECTS_TOKEN_ID,
  ObjectAccessPolicy,
  type ObjectCaller,
  type ObjectFailure,
  type ObjectFieldProblem,
  type ObjectFilter,
  type ObjectOutcome,
  type ObjectRequest,
  type ScriptObjectDef,
  type ScriptObjectModel,
} from '../object-access.js';

type ObjectRecord = Record<string, unknown>;
type RecordKey = string | number | Readonly<Record<string, string | number>>;

/** The part of a repository of @caruso/objects that scripts use. */
export interface ScriptRepository {
  create(data: Readonly<ObjectRecord>, options?: { readonly actor?: string }): Promise<ObjectRecord>;
  get(key: RecordKey): Promise<ObjectRecord | undefined>;
  update(key: RecordKey, changes: Readonly<ObjectRecord>, options?: { readonly actor?: string; readonly expectedVersion?: number }): Promise<ObjectRecord>;
  delete(key: RecordKey, options?: { readonly actor?: string; readonly expectedVersion?: number }): Promise<void>;
  query(query?: { readonly where?: unknown; readonly orderBy?: readonly string[]; readonly limit?: number }): Promise<ObjectRecord[]>;
}

/** The part of @caruso/objects' BusinessObjects that scripts use. */
export interface ScriptBusinessObjects {
  readonly model: ScriptObjectModel;
  repository(object: string): ScriptRepository;
}

const BusinessObjectsToken = createToken<ScriptBusinessObjects>(OBJECTS_TOKEN_ID);

/** Most records one list fetch returns when the script gives no limit. */
const DEFAULT_LIMIT = 100;

function failure(code: ObjectFailure['code'], message: string, fields: readonly ObjectFieldProblem[] = []): ObjectOutcome {
  return { ok: false, failure: { code, message, fields } };
}

/** How the visitor's records are found: a filter, and how a new record is linked to the visitor. */
interface VisitorScope {
  readonly filter: ObjectFilter;
  /** The fields a new or changed record must hold (the identity field, or a relation's key fields). */
  link(): Promise<Readonly<Record<string, ScriptValue>>>;
}

const NUMERIC = new Set(['integer', 'decimal', 'id']);

function typed(def: ScriptObjectDef, field: string, value: string): string | number {
  const f = def.fields.find((x) => x.name === field);
  return f && NUMERIC.has(f.type) && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a !== undefined && a !== null && b !== undefined && b !== null && String(a) === String(b);
}

/**
 * Runs the business-object requests of scripts against `objects()`, asking `policy()` first.
 * @param objects the objects service (looked up per call, so a replaced service is reached).
 * @param policy the access policy (per call; {@link defaultObjectAccessPolicy} when none is registered).
 */
export function businessObjectRequests(objects: () => ScriptBusinessObjects, policy: () => ObjectAccessPolicy): (request: ObjectRequest) => Promise<ObjectOutcome> {
  return async (req) => {
    const bo = objects();
    const def = bo.model.objects.find((o) => o.name === req.object);
    if (!def) throw new Error(`the model has no object ${req.object}`);
    const named = new Set<string>();
    collectFields(req.where, named);
    for (const f of req.orderBy ?? []) named.add(f.replace(/^-/, ''));
    for (const f of Object.keys(req.data ?? {})) named.add(f);
    const c = req.caller;
    const decision = await policy().decide({
      actor: c.actor,
      channel: c.channel,
      ...(c.identity ? { identity: c.identity } : {}),
      script: c.script,
      object: req.object,
      operation: req.operation,
      fields: [...named],
      anonymous: req.anonymous,
    });
    if (!decision.allowed) return failure('denied', `${req.operation} of ${req.object} is not allowed: ${decision.reason}`);
    let scope: VisitorScope | undefined;
    if (c.channel === 'web' && !req.anonymous) {
      if (!c.identity) return failure('denied', 'the visitor has not been identified');
      const s = visitorScope(bo, def, c);
      if (typeof s === 'string') return failure('denied', s);
      scope = s;
    }
    const readable = decision.readable ? new Set([...decision.readable, ...def.key, '$version']) : undefined;
    const project = (r: ObjectRecord | undefined | null): ObjectRecord | null => {
      if (!r) return null;
      if (!readable) return r;
      const out: ObjectRecord = {};
      for (const [k, v] of Object.entries(r)) if (readable.has(k)) out[k] = v;
      return out;
    };
    const repo = bo.repository(req.object);
    const actor = actorText(c);
    try {
      switch (req.operation) {
        case 'read': {
          if (req.key !== undefined) {
            const { key } = keyOf(def, req.key);
            if (key === undefined) return { ok: true, value: null };
            if (!scope) return { ok: true, value: project(await repo.get(key)) };
            const [hit] = await repo.query({ where: { and: [keyFilter(def, key), scope.filter] }, limit: 1 });
            return { ok: true, value: project(hit) };
          }
          const parts = [req.where, scope?.filter].filter((x): x is ObjectFilter => x !== undefined);
          const where = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { and: parts };
          const page = await repo.query({ ...(where ? { where } : {}), ...(req.orderBy ? { orderBy: req.orderBy } : {}), limit: req.list ? (req.limit ?? DEFAULT_LIMIT) : 1 });
          return { ok: true, value: req.list ? [...page].map((r) => project(r)) : project(page[0]) };
        }
        case 'create': {
          const data: Variables = { ...(req.data ?? {}) };
          if (scope) {
            const refused = linkTo(data, await scope.link(), def);
            if (refused) return failure('denied', refused);
          }
          return { ok: true, value: project(await repo.create(data, { actor })) };
        }
        case 'update':
        case 'delete': {
          const { key, version } = keyOf(def, req.key ?? null);
          if (key === undefined) return failure('not-found', `${req.object}: no record to ${req.operation} (the key is empty)`);
          if (scope) {
            const [mine] = await repo.query({ where: { and: [keyFilter(def, key), scope.filter] }, limit: 1 });
            if (!mine) return failure('not-found', `${req.object}: the record does not exist or is not the visitor's`);
          }
          const options = { actor, ...(version !== undefined ? { expectedVersion: version } : {}) };
          if (req.operation === 'delete') {
            await repo.delete(key, options);
            return { ok: true, value: null };
          }
          const data: Variables = { ...(req.data ?? {}) };
          if (scope) {
            const refused = linkTo(data, await scope.link(), def, true);
            if (refused) return failure('denied', refused);
          }
          return { ok: true, value: project(await repo.update(key, data, options)) };
        }
      }
    } catch (err) {
      const mapped = refusal(err);
      if (mapped) return mapped;
      throw err;
    }
  };
}

/** The refusals of the objects service a script may handle; anything else stays an error. */
function refusal(err: unknown): ObjectOutcome | undefined {
  if (!isCarusoError(err)) return undefined;
  switch (err.code) {
    case 'CARUSO_OBJECTS_VALIDATION_FAILED': {
      const raw = (err.details as { violations?: unknown } | undefined)?.violations;
      const fields: ObjectFieldProblem[] = Array.isArray(raw)
        ? raw.map((v: { field?: unknown; code?: unknown; message?: unknown }) => ({ field: String(v.field ?? '$record'), code: String(v.code ?? 'invalid'), message: String(v.message ?? 'not valid') }))
        : [];
      return failure('invalid', err.message, fields);
    }
    case 'CARUSO_OBJECTS_BAD_KEY':
      return failure('invalid', err.message);
    case 'CARUSO_OBJECTS_NOT_FOUND':
      return failure('not-found', err.message);
    case 'CARUSO_OBJECTS_CONFLICT':
      return failure('conflict', err.message);
    default:
      return undefined;
  }
}

/** The field names a filter reads (top-level names and relation names). */
function collectFields(f: ObjectFilter | undefined, out: Set<string>): void {
  if (!f) return;
  for (const [k, v] of Object.entries(f)) {
    if (k === 'and' || k === 'or') for (const x of v as readonly ObjectFilter[]) collectFields(x, out);
    else if (k === 'not') collectFields(v as ObjectFilter, out);
    else out.add(k);
  }
}

/** Who writes, for the audit history: never a secret, never a caller's number. */
function actorText(c: ObjectCaller): string {
  const base = c.actor.kind === 'agent' ? `agent${c.actor.id ? ':' + c.actor.id : ''}` : c.actor.kind === 'visitor' ? `visitor${c.identity ? ':' + c.identity.key : ''}` : 'ivr';
  return `${base} (script ${c.script})`;
}

/** The key of a record (and its `$version`) from a key value or a record read earlier. */
function keyOf(def: ScriptObjectDef, v: ScriptValue): { key: RecordKey | undefined; version: number | undefined } {
  if (v === null || v === undefined || Array.isArray(v)) return { key: undefined, version: undefined };
  if (typeof v === 'object') {
    const rec = v as Readonly<Record<string, ScriptValue>>;
    const version = typeof rec['$version'] === 'number' ? rec['$version'] : undefined;
    const parts: Record<string, string | number> = {};
    for (const k of def.key) {
      const x = rec[k];
      if (typeof x !== 'string' && typeof x !== 'number') return { key: undefined, version };
      parts[k] = x;
    }
    return { key: def.key.length === 1 ? (parts[def.key[0] as string] as string | number) : parts, version };
  }
  if (typeof v === 'boolean') return { key: undefined, version: undefined };
  return { key: v, version: undefined };
}

function keyFilter(def: ScriptObjectDef, key: RecordKey): ObjectFilter {
  if (typeof key !== 'object') return { [def.key[0] as string]: key };
  const out: Record<string, ScriptValue> = {};
  for (const k of def.key) out[k] = (key as Record<string, string | number>)[k] ?? null;
  return out;
}

/**
 * The records of `def` an identified visitor may reach: those with the identity's field (when the
 * object has it), or those whose many-to-one relation points at the visitor's record. A message
 * when the object has no link to the visitor.
 */
function visitorScope(bo: ScriptBusinessObjects, def: ScriptObjectDef, c: ObjectCaller): VisitorScope | string {
  const id = c.identity;
  if (!id) return 'the visitor has not been identified';
  const wanted = id.object;
  const hasField = def.fields.some((f) => f.name === id.field);
  if (hasField && (wanted === undefined || wanted === def.name)) {
    const value = typed(def, id.field, id.key);
    return { filter: { [id.field]: value }, link: () => Promise.resolve({ [id.field]: value }) };
  }
  for (const rel of def.relations) {
    if (rel.kind !== 'many-to-one') continue;
    const target = bo.model.objects.find((o) => o.name === rel.target);
    if (!target || !target.fields.some((f) => f.name === id.field) || (wanted !== undefined && target.name !== wanted)) continue;
    const value = typed(target, id.field, id.key);
    return {
      filter: { [rel.name]: { [id.field]: value } },
      link: async () => {
        const [visitor] = await bo.repository(target.name).query({ where: { [id.field]: value }, limit: 1 });
        if (!visitor) throw new Error(`the identified ${target.name} record no longer exists`);
        const out: Record<string, ScriptValue> = {};
        rel.fields.forEach((f, i) => {
          out[f] = (visitor[target.key[i] as string] as ScriptValue) ?? null;
        });
        return out;
      },
    };
  }
  if (hasField) {
    // a copy of the visitor's key on a record of another object (e.g. an invoice's customerNumber)
    const value = typed(def, id.field, id.key);
    return { filter: { [id.field]: value }, link: () => Promise.resolve({ [id.field]: value }) };
  }
  return `${def.name} records cannot be tied to the identified visitor: it has no field ${id.field} and no many-to-one relation to ${wanted ?? 'an object with it'}`;
}

/** Puts the visitor's link into `data` (or refuses data that names someone else). */
function linkTo(data: Variables, link: Readonly<Record<string, ScriptValue>>, def: ScriptObjectDef, onlyCheck = false): string | undefined {
  for (const [f, v] of Object.entries(link)) {
    const given = data[f];
    if (given === undefined || given === null) {
      if (!onlyCheck) data[f] = v;
      continue;
    }
    if (!sameValue(given, v)) return `${def.name}.${f} names another record than the identified visitor's`;
  }
  return undefined;
}

/**
 * The business-object requests of scripts through a service manager: the objects service under
 * `caruso.objects`, the access policy under {@link ObjectAccessPolicy} (or the default).
 */
export function businessObjectRequestsOf(services: ServiceLookup): (request: ObjectRequest) => Promise<ObjectOutcome> {
  return businessObjectRequests(
    () => services.get(BusinessObjectsToken),
    () => services.tryGet(ObjectAccessPolicy) ?? defaultObjectAccessPolicy,
  );
}
