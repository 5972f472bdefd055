import { Disposable, DisposableStore, Emitter, once, setDisposableTracker, toDisposable, type IDisposable } from '@caruso/kernel';

describe('disposables', () => {
  it('disposes a store in reverse order, once, and disposes late additions at once', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => log.push('a')));
    store.add(toDisposable(() => log.push('b')));
    store.dispose();
    store.dispose();
    expect(log).toEqual(['b', 'a']);
    store.add(toDisposable(() => log.push('late')));
    expect(log).toEqual(['b', 'a', 'late']);
  });

  it('collects errors of several disposables and still disposes the rest', () => {
    const store = new DisposableStore();
    let ran = false;
    store.add(toDisposable(() => (ran = true)));
    store.add(toDisposable(() => {
      throw new Error('one');
    }));
    store.add(toDisposable(() => {
      throw new Error('two');
    }));
    expect(() => store.dispose()).toThrow(AggregateError);
    expect(ran).toBe(true);
  });

  it('lets a Disposable subclass register what it creates', () => {
    let freed = 0;
    class Holder extends Disposable {
      constructor() {
        super();
        this.register(toDisposable(() => freed++));
      }
    }
    new Holder().dispose();
    expect(freed).toBe(1);
  });

  it('tells a tracker about disposables that were never disposed', () => {
    const live = new Set<IDisposable>();
    setDisposableTracker({ created: (d) => live.add(d), disposed: (d) => live.delete(d) });
    try {
      const kept = new Emitter<number>();
      const sub = kept.event(() => undefined);
      const freed = new Emitter<number>();
      freed.event(() => undefined);
      freed.dispose(); // ends its subscription too
      expect(live.has(kept)).toBe(true);
      expect(live.has(sub)).toBe(true);
      expect(live.has(freed)).toBe(false);
      expect(live.size).toBe(2);
      kept.dispose();
      expect(live.size).toBe(0);
    } finally {
      setDisposableTracker(undefined);
    }
  });
});

describe('Emitter', () => {
  it('delivers to every listener even when one throws, and stops after unsubscribe', async () => {
    const errors: unknown[] = [];
    const e = new Emitter<number>({ onListenerError: (err) => errors.push(err) });
    const got: number[] = [];
    e.event(() => {
      throw new Error('bad listener');
    });
    const sub = e.event((n) => got.push(n));
    const next = once(e.event);
    e.fire(1);
    expect(await next).toBe(1);
    sub.dispose();
    e.fire(2);
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(2);
    e.dispose();
    expect(e.hasListeners).toBe(false);
  });
});
