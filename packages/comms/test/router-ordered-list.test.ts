import fc from 'fast-check';
import { OrderedList } from '../src/acd/ordered-list.js';

// The chunked sorted list that orders a queue's available agents, against a plain sorted array: after
// any sequence of insertions and removals it reads the same items in the same order and finds the
// same ones, across chunk splits and emptied chunks (chunks of 4 here, so that there are many).

type Op =
  | { readonly t: 'insert'; readonly x: number }
  | { readonly t: 'remove'; readonly x: number }
  | { readonly t: 'find'; readonly mod: number; readonly from: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('insert' as const), x: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('remove' as const), x: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('find' as const), mod: fc.integer({ min: 1, max: 7 }), from: fc.integer({ min: -1, max: 201 }) }) },
);

describe('OrderedList (router index)', () => {
  it('keeps the order and finds what a sorted array finds', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400, size: 'max' }), fc.integer({ min: 1, max: 6 }), (ops, chunk) => {
        // Items are objects: the list finds them by identity at their place in the order.
        const items = new Map<number, { readonly v: number }>();
        const item = (v: number): { readonly v: number } => items.get(v) ?? items.set(v, { v }).get(v)!;
        const list = new OrderedList<{ readonly v: number }>((a, b) => a.v - b.v, chunk);
        let ref: number[] = [];
        // What the list answered and what the sorted array answers, step by step.
        const got: unknown[] = [];
        const want: unknown[] = [];
        for (const o of ops) {
          if (o.t === 'insert') {
            if (ref.includes(o.x)) continue;
            list.insert(item(o.x));
            ref = [...ref, o.x].sort((a, b) => a - b);
          } else if (o.t === 'remove') {
            got.push(list.remove(item(o.x)));
            want.push(ref.includes(o.x));
            ref = ref.filter((v) => v !== o.x);
          } else {
            const test = (x: { readonly v: number }): boolean => x.v % o.mod === 0;
            got.push(list.find(test)?.v);
            want.push(ref.find((v) => v % o.mod === 0));
            // From the first item above `from`, while below from + 50.
            got.push(list.findFrom((x) => x.v <= o.from, (x) => x.v < o.from + 50, test)?.v);
            want.push(ref.filter((v) => v > o.from && v < o.from + 50).find((v) => v % o.mod === 0));
          }
          got.push([...list].map((x) => x.v), list.size);
          want.push(ref, ref.length);
        }
        expect(got).toEqual(want);
        for (const v of [...ref]) expect(list.removeAnywhere(item(v))).toBe(true);
        expect(list.size).toBe(0);
      }),
      { seed: 42, numRuns: 200, interruptAfterTimeLimit: 10_000 },
    );
  });
});
