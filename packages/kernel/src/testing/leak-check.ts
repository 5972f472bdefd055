import { setDisposableTracker, type IDisposable } from '../lifecycle.js';

type Hook = (fn: () => void | Promise<void>) => void;

/**
 * Makes a suite fail when one of its tests leaves a disposable undisposed (an emitter, a store, a
 * subscription, a tracker made through @caruso/kernel). Call it at the top of a `describe`, passing
 * jest's hooks: `ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll })`.
 *
 * Every `afterEach` of the suite (e.g. one that stops a service manager) runs before the check:
 * the disposables a test created are checked when the next test starts, and after the last test.
 * The message lists where each leaked disposable was created.
 */
export function ensureNoDisposablesLeaked(hooks: { beforeEach: Hook; afterEach: Hook; afterAll: Hook }): void {
  let live = new Map<IDisposable, string>();
  let previous: Map<IDisposable, string> | undefined;
  const check = (): void => {
    const leaked = previous;
    previous = undefined;
    setDisposableTracker(undefined);
    if (leaked && leaked.size > 0) {
      const where = [...leaked.values()].slice(0, 5).join('\n---\n');
      throw new Error(`${leaked.size} disposable(s) leaked by the previous test; created at:\n${where}`);
    }
  };
  hooks.beforeEach(() => {
    check();
    live = new Map();
    const mine = live;
    setDisposableTracker({
      created: (d) => mine.set(d, new Error('created here').stack?.split('\n').slice(2, 7).join('\n') ?? ''),
      disposed: (d) => mine.delete(d),
    });
  });
  hooks.afterEach(() => {
    // Keep tracking disposals made by the suite's other afterEach hooks; check at the next start.
    previous = live;
  });
  hooks.afterAll(check);
}
