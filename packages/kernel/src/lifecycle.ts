/**
 * Disposables: every long-lived object that holds a resource (a socket, a timer, a pool, a
 * subscription) hands back something to dispose. Modelled on VS Code's `base/common/lifecycle.ts`.
 */

/** Something that holds a resource and frees it on `dispose()`. Disposing twice is harmless. */
export interface IDisposable {
  dispose(): void;
}

/** Watches disposables being created and disposed (tests use it to find leaks). */
export interface DisposableTracker {
  created(d: IDisposable): void;
  disposed(d: IDisposable): void;
}

let tracker: DisposableTracker | undefined;

/**
 * Installs (or, with undefined, removes) the tracker that is told about every disposable made by
 * this module: stores, `Disposable` subclasses, emitters and `toDisposable()` results.
 * Note: for tests; see `ensureNoDisposablesLeaked` in @caruso/kernel/testing.
 */
export function setDisposableTracker(t: DisposableTracker | undefined): void {
  tracker = t;
}

/** Reports a new disposable to the tracker, if any (for classes outside this module). */
export function trackDisposable(d: IDisposable): void {
  tracker?.created(d);
}

/** Reports a disposed disposable to the tracker, if any. */
export function markAsDisposed(d: IDisposable): void {
  tracker?.disposed(d);
}

/** True when `value` has a `dispose()` method. */
export function isDisposable(value: unknown): value is IDisposable {
  return typeof value === 'object' && value !== null && typeof (value as { dispose?: unknown }).dispose === 'function';
}

/** Wraps a function as a disposable that runs it once. */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  const d: IDisposable = {
    dispose() {
      if (done) return;
      done = true;
      tracker?.disposed(d);
      fn();
    },
  };
  tracker?.created(d);
  return d;
}

/**
 * A set of disposables freed together. Adding to a store that is already disposed frees the new
 * item at once (and is reported through `onLeak`, since it is almost always a bug).
 */
export class DisposableStore implements IDisposable {
  private readonly items = new Set<IDisposable>();
  private disposed = false;

  constructor() {
    tracker?.created(this);
  }

  /** Adds `item` and returns it, so that `const x = store.add(new X())` reads naturally. */
  add<T extends IDisposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
      return item;
    }
    this.items.add(item);
    return item;
  }

  /** Removes `item` from the store without disposing it. */
  delete(item: IDisposable): void {
    this.items.delete(item);
  }

  /** Frees every item, in reverse order of addition; errors are collected and rethrown together. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tracker?.disposed(this);
    const errors: unknown[] = [];
    for (const item of [...this.items].reverse()) {
      try {
        item.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    this.items.clear();
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }

  /** True once `dispose()` ran. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Number of items still held (for leak checks in tests). */
  get size(): number {
    return this.items.size;
  }
}

/**
 * Base class of disposable objects. Subclasses `register()` what they create; an override of
 * `dispose()` must call `super.dispose()`.
 */
export abstract class Disposable implements IDisposable {
  private readonly store = new DisposableStore();

  protected register<T extends IDisposable>(item: T): T {
    return this.store.add(item);
  }

  dispose(): void {
    this.store.dispose();
  }

  protected get isDisposed(): boolean {
    return this.store.isDisposed;
  }
}
