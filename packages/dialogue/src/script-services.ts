/**
 * How scripts reach other components: `<fetch source>` and `<action service>` name a service by its
 * token id, looked up in the service manager at the moment of the call (so a replaced legacy
 * wrapper is reached without a restart). `caruso script run` records actions instead.
 */
import { createToken, type ServiceLookup } from '@caruso/kernel';
import type { ScriptValue } from './common/expression.js';
import type { ObjectWriteOperation, Variables } from './common/model.js';
import type { ObjectFailure, ObjectOutcome, ObjectRequest } from './object-access.js';
import { businessObjectRequestsOf } from './internal/business-object-requests.js';
import type { ScriptServices } from './session-runtime.js';

type Callable = Record<string, unknown>;

function call(target: unknown, tokenId: string, operation: string, arg: unknown): Promise<unknown> {
  const fn = (target as Callable)[operation];
  if (typeof fn !== 'function') return Promise.reject(new Error(`${tokenId} has no operation '${operation}'`));
  return Promise.resolve((fn as (a: unknown) => unknown).call(target, arg));
}

/**
 * Script services over the service manager: `fetch` calls `services.get(token(source))[operation](key)`;
 * `action` calls `services.get(token(service))[operation](params)`; `<fetch object>` and `<action
 * object>` go to the objects service (`caruso.objects`) after the access policy registered under
 * `caruso.dialogue.ObjectAccessPolicy` (or the default one) allowed them.
 */
export function serviceLookupServices(services: ServiceLookup): ScriptServices {
  return {
    fetch: (source, operation, key) => call(services.get(createToken<unknown>(source)), source, operation, key),
    action: (service, operation, params) => call(services.get(createToken<unknown>(service)), service, operation, params),
    objects: businessObjectRequestsOf(services),
  };
}

/**
 * An action recorded instead of run: an `<action service>` (`service`, `operation`, `params`) or a
 * write of an `<action object>` (`object`, `operation` create|update|delete, `key` of an update or
 * delete, `params` the fields written).
 */
export type RecordedAction =
  | { readonly service: string; readonly operation: string; readonly params: Variables }
  | { readonly object: string; readonly operation: ObjectWriteOperation; readonly key?: ScriptValue; readonly params: Variables };

const FAILURE_CODES: ReadonlyArray<ObjectFailure['code']> = ['invalid', 'not-found', 'conflict', 'denied', 'failed'];

/**
 * Script services for simulations (`caruso script run` and `caruso script test`). Data is keyed by
 * service or object and operation: `"crm.Customers.get"`, `"Customer.read"`,
 * `"ServiceRequest.create"`; the older key by service alone (`"crm.Customers"`) still answers every
 * operation of that service. A value `{ "$error": { "code": "invalid", "fields": [{ "field",
 * "message" }] } }` makes the call fail (a thrown error for a service); `{ "$responses": [a, b] }`
 * answers a, then b, then b again. Without data: a fetch gives null, a list read [], an action
 * null, a create or update the fields written. Writes are recorded, never run.
 */
export class RecordingServices implements ScriptServices {
  readonly actions: RecordedAction[] = [];
  private readonly used = new Map<string, number>();
  constructor(private readonly data: Readonly<Record<string, unknown>> = {}) {}

  /** The data for `name.operation`, else (services only) for `name`. */
  private answer(name: string, operation: string, byName: boolean): { found: boolean; value: unknown } {
    const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(this.data, k);
    const key = has(`${name}.${operation}`) ? `${name}.${operation}` : byName && has(name) ? name : undefined;
    if (key === undefined) return { found: false, value: undefined };
    let value = this.data[key];
    if (isObject(value) && Array.isArray(value['$responses'])) {
      const list = value['$responses'] as unknown[];
      const n = this.used.get(key) ?? 0;
      this.used.set(key, n + 1);
      value = list.length === 0 ? null : list[Math.min(n, list.length - 1)];
    }
    return { found: true, value };
  }

  fetch(source: string, operation: string, _key: ScriptValue): unknown {
    const a = this.answer(source, operation, true);
    const failure = failureOf(a.value);
    if (failure) throw new Error(failure.message);
    return a.found ? a.value : null;
  }

  action(service: string, operation: string, params: Variables): unknown {
    this.actions.push({ service, operation, params });
    const a = this.answer(service, operation, false);
    const failure = failureOf(a.value);
    if (failure) throw new Error(failure.message);
    return a.found ? a.value : null;
  }

  objects(req: ObjectRequest): ObjectOutcome {
    if (req.caller.channel === 'web' && !req.anonymous && !req.caller.identity) return { ok: false, failure: { code: 'denied', message: 'the visitor has not been identified', fields: [] } };
    if (req.operation !== 'read') this.actions.push({ object: req.object, operation: req.operation, ...(req.key !== undefined ? { key: req.key } : {}), params: req.data ?? {} });
    const a = this.answer(req.object, req.operation, false);
    const failure = failureOf(a.value);
    if (failure) return { ok: false, failure };
    const value = a.found ? a.value : req.operation === 'read' ? (req.list ? [] : null) : req.operation === 'delete' ? null : { ...(req.data ?? {}) };
    // as the engine does for a visitor: no record that names someone else by the identity's field
    const id = req.caller.channel === 'web' && !req.anonymous ? req.caller.identity : undefined;
    if (id) {
      const other = (r: unknown): boolean => isObject(r) && r[id.field] !== undefined && r[id.field] !== null && String(r[id.field]) !== id.key;
      if (other(value) || (Array.isArray(value) && value.some(other))) return { ok: false, failure: { code: 'denied', message: `a ${req.object} record whose ${id.field} is not the identified visitor's`, fields: [] } };
    }
    return { ok: true, value };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A simulated failure: `{ "$error": { code?, message?, fields? } }`. */
function failureOf(v: unknown): ObjectFailure | undefined {
  if (!isObject(v) || !isObject(v['$error'])) return undefined;
  const e = v['$error'];
  const code = FAILURE_CODES.includes(e['code'] as ObjectFailure['code']) ? (e['code'] as ObjectFailure['code']) : 'failed';
  const fields = Array.isArray(e['fields'])
    ? e['fields'].filter(isObject).map((f) => ({ field: String(f['field'] ?? '$record'), code: String(f['code'] ?? code), message: String(f['message'] ?? 'not valid') }))
    : [];
  const message = typeof e['message'] === 'string' ? e['message'] : fields.length ? fields.map((f) => `${f.field}: ${f.message}`).join('; ') : `simulated ${code} failure`;
  return { code, message, fields };
}
