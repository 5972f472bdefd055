// The bridge between the two kinds of wiring (architecture rule 3): inversify wires the classes
// inside a component, the service manager wires components to each other. It only names
// inversify's types: the kernel does not load inversify at run time (that costs every process that
// imports the kernel about 150 ms), only the component that uses a container does.
import type { Bind, ServiceIdentifier } from 'inversify';
import type { LookupOptions, ServiceLookup } from './service-manager.js';
import type { Token } from './token.js';

/**
 * The inversify service identifier of a service-manager token: a registered symbol named after the
 * token's id, so two tokens with the same id (two copies of a contract's package) give the same one.
 * Use it in a constructor: `@inject(serviceIdentifier(CustomerDirectory)) directory: CustomerDirectory`.
 * @param token the contract's token.
 */
export function serviceIdentifier<T>(token: Token<T>): ServiceIdentifier<T> {
  return Symbol.for(`caruso.token:${token.id}`);
}

/** One service-manager lookup to offer to a container. */
export interface ServiceBinding<T = unknown> {
  /** The contract's token. */
  readonly token: Token<T>;
  /** A version range and property filter for the lookup. Default: the best match of any version. */
  readonly options?: LookupOptions;
  /**
   * The identifier to bind it under. Default: {@link serviceIdentifier}(token).
   * Note: give your own identifier to each filtered lookup of a token that is bound more than once.
   */
  readonly id?: ServiceIdentifier<T>;
}

/** What can receive bindings: an inversify `Container`, or the options a `ContainerModule` is loaded with. */
export interface ServiceBindingTarget {
  readonly bind: Bind;
}

/**
 * Binds service-manager lookups in an inversify container, so that an injectable class's
 * constructor receives a service of another component as the manager's stable proxy: the proxy
 * follows hot replacement, so the object built once keeps reaching the current version.
 *
 * ```ts
 * const container = new Container();
 * container.load(new ContainerModule((options) => bindServices(options, manager, [CustomerDirectory])));
 * container.bind(AccountStatementsImpl).toSelf();
 * const statements = container.get(AccountStatementsImpl);
 * ```
 * @param target a `Container`, or a `ContainerModule`'s load options.
 * @param services the service manager, or a service's `ctx.services`.
 * @param bindings tokens (bound under {@link serviceIdentifier}), or {@link ServiceBinding}s.
 * Note: each resolution asks the manager (transient scope); a token with no active match makes
 * `container.get` throw CARUSO_KERNEL_SERVICE_NOT_FOUND. Declare the tokens as the service's
 * `dependencies` too, so that it starts after them. Binds nothing when an identifier repeats.
 */
export function bindServices(
  target: ServiceBindingTarget,
  services: Pick<ServiceLookup, 'get'>,
  bindings: ReadonlyArray<Token<unknown> | ServiceBinding>,
): void {
  const entries = bindings.map((b): ServiceBinding => ('token' in b ? b : { token: b }));
  const seen = new Set<ServiceIdentifier>();
  for (const entry of entries) {
    const id = entry.id ?? serviceIdentifier(entry.token);
    if (seen.has(id)) {
      throw new TypeError(
        `bindServices: '${String(id)}' is bound twice (token '${entry.token.id}'); give each filtered lookup of a token its own id`,
      );
    }
    seen.add(id);
  }
  for (const entry of entries) {
    const { token, options } = entry;
    target
      .bind(entry.id ?? serviceIdentifier(token))
      .toDynamicValue(() => services.get(token, options))
      .inTransientScope();
  }
}
