/**
 * How scripts reach other components: `<fetch source>` and `<action service>` name a service by its
 * token id, looked up in the service manager at the moment of the call (so a replaced legacy
 * wrapper is reached without a restart). `caruso script run` records actions instead.
 */
import { createToken, type ServiceLookup } from '@caruso/kernel';
import type { ScriptValue } from './common/expression.js';
import type { Variables } from './common/model.js';
import type { ScriptServices } from './session-runtime.js';

type Callable = Record<string, unknown>;

function call(target: unknown, tokenId: string, operation: string, arg: unknown): Promise<unknown> {
  const fn = (target as Callable)[operation];
  if (typeof fn !== 'function') return Promise.reject(new Error(`${tokenId} has no operation '${operation}'`));
  return Promise.resolve((fn as (a: unknown) => unknown).call(target, arg));
}

/**
 * Script services over the service manager: `fetch` calls `services.get(token(source))[operation](key)`;
 * `action` calls `services.get(token(service))[operation](params)`.
 */
export function serviceLookupServices(services: ServiceLookup): ScriptServices {
  return {
    fetch: (source, operation, key) => call(services.get(createToken<unknown>(source)), source, operation, key),
    action: (service, operation, params) => call(services.get(createToken<unknown>(service)), service, operation, params),
  };
}

/** An action recorded instead of run. */
export interface RecordedAction {
  readonly service: string;
  readonly operation: string;
  readonly params: Variables;
}

/**
 * Script services for simulations: actions are recorded (and return null); a fetch returns
 * `data[source]` (or null). Used by `caruso script run` and `caruso script test`.
 */
export class RecordingServices implements ScriptServices {
  readonly actions: RecordedAction[] = [];
  constructor(private readonly data: Readonly<Record<string, unknown>> = {}) {}

  fetch(source: string, _operation: string, _key: ScriptValue): unknown {
    return Object.prototype.hasOwnProperty.call(this.data, source) ? this.data[source] : null;
  }

  action(service: string, operation: string, params: Variables): unknown {
    this.actions.push({ service, operation, params });
    return null;
  }
}
