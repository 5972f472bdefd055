import { containFault } from './faults.js';
import { type IDisposable, markAsDisposed, toDisposable, trackDisposable } from './lifecycle.js';

/** A typed event: call it with a listener to subscribe; dispose the result to unsubscribe. */
export type Event<T> = (listener: (e: T) => void) => IDisposable;

/** An event that never fires. */
export const NoneEvent: Event<never> = () => toDisposable(() => undefined);

/** Options of an {@link Emitter}. */
export interface EmitterOptions {
  /**
   * Who owns the emitter (`caruso.comms/router`): a listener's error is logged and counted under
   * this name (see {@link containFault}). Default `unowned`.
   */
  owner?: string;
  /**
   * Called when a listener throws; the other listeners still run. By default the error is contained:
   * logged with the owner and counted, never rethrown (rule 10 of the architecture).
   */
  onListenerError?: (err: unknown) => void;
}

/**
 * The source of an {@link Event}. Declare it private and expose `.event`:
 * `private readonly _onDidChange = this.register(new Emitter<X>()); readonly onDidChange = this._onDidChange.event;`
 */
export class Emitter<T> implements IDisposable {
  private listeners: Array<(e: T) => void> = [];
  /** Live subscriptions: disposing the emitter ends them all. */
  private readonly subscriptions = new Set<IDisposable>();
  private disposed = false;
  private readonly onListenerError: (err: unknown) => void;

  constructor(options: EmitterOptions = {}) {
    trackDisposable(this);
    const owner = options.owner ?? 'unowned';
    this.onListenerError = options.onListenerError ?? ((err) => containFault(owner, 'listener', err));
  }

  /** The event consumers subscribe to. */
  readonly event: Event<T> = (listener) => {
    if (this.disposed) return { dispose: () => undefined };
    this.listeners = [...this.listeners, listener];
    const subscription = toDisposable(() => {
      this.subscriptions.delete(subscription);
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
    this.subscriptions.add(subscription);
    return subscription;
  };

  /** Delivers `value` to every listener subscribed now; a listener that throws does not stop the others. */
  fire(value: T): void {
    // The array is replaced (never mutated) on subscribe/unsubscribe, so iterating it is safe.
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** True while at least one listener is subscribed. */
  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    markAsDisposed(this);
    for (const sub of [...this.subscriptions]) sub.dispose();
    this.listeners = [];
  }
}

/** Resolves with the next value of `event`. */
export function once<T>(event: Event<T>): Promise<T> {
  return new Promise((resolve) => {
    const sub = event((e) => {
      sub.dispose();
      resolve(e);
    });
  });
}
