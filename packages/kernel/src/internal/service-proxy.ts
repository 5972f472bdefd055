import { KernelErrors } from '../errors.js';
import type { PropertyPredicate } from './property-filter.js';
import type { Registration } from './registration.js';

/**
 * Members a consumer cannot reach through a proxy: the lifecycle (only the manager drives it), and
 * disposal (`dispose`, and `register` of the Disposable base class): a consumer must not tear down a
 * service it looked up. The remote endpoint refuses the same names.
 */
const HIDDEN = new Set(['constructor', 'start', 'stop', 'exportState', 'importState', 'dispose', 'register']);

/**
 * What a proxy is bound to: a query (token, range, filter) whose best match the manager keeps in
 * `current`, or (when `fixed`) one registration for good.
 */
export class Binding {
  current: Registration | undefined;
  readonly proxy: Record<string, unknown>;
  private readonly known = new Set<string>();

  constructor(
    readonly tokenId: string,
    readonly range: string | undefined,
    readonly filterText: string,
    readonly predicate: PropertyPredicate,
    readonly fixed: boolean,
  ) {
    this.proxy = Object.create(null) as Record<string, unknown>;
  }

  /**
   * Gives the proxy a member of its own (a pin's `dispose`) before any implementation member is
   * adopted: the implementation's member of the same name is then not forwarded.
   */
  reserve(name: string, value: unknown): void {
    this.known.add(name);
    Object.defineProperty(this.proxy, name, { value, enumerable: false });
  }

  /** Points the binding at `reg` and makes sure the proxy has every member of its implementation. */
  point(reg: Registration | undefined): void {
    this.current = reg;
    if (reg?.instance) this.adopt(reg.instance);
  }

  /** Adds forwarding members for everything `instance` offers that the proxy does not have yet. */
  adopt(instance: object): void {
    for (let o: object | null = instance; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      let names: string[];
      try {
        names = Object.getOwnPropertyNames(o);
      } catch {
        // A foreign proxy object may refuse to list its members: it keeps the members known so far.
        return;
      }
      for (const name of names) {
        if (HIDDEN.has(name) || this.known.has(name)) continue;
        let desc: PropertyDescriptor | undefined;
        try {
          desc = Object.getOwnPropertyDescriptor(o, name);
        } catch {
          continue;
        }
        if (!desc) continue;
        this.known.add(name);
        if (typeof desc.value === 'function') {
          Object.defineProperty(this.proxy, name, { value: this.method(name), enumerable: true });
        } else {
          Object.defineProperty(this.proxy, name, { get: this.getter(name), enumerable: true });
        }
      }
    }
  }

  private method(name: string): (...args: unknown[]) => unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const binding = this;
    return function proxied(...args: unknown[]): unknown {
      const reg = binding.current;
      if (reg === undefined || reg.instance === undefined) throw binding.unavailable();
      return reg.invoke(name, args);
    };
  }

  private getter(name: string): () => unknown {
    return () => {
      const reg = this.current;
      if (reg === undefined || reg.instance === undefined) throw this.unavailable();
      return reg.instance[name];
    };
  }

  unavailable(): Error {
    return KernelErrors.CARUSO_KERNEL_SERVICE_UNAVAILABLE({
      token: this.tokenId,
      reason: this.fixed ? 'the version this proxy is pinned to has stopped' : 'no active match',
    });
  }
}
