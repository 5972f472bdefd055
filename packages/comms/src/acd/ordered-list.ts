// A list kept sorted by a total order, in chunks of at most CHUNK items: insertion and removal move at
// most one chunk's items (a plain sorted array moves up to all of them, which at thousands of agents
// costs more than the routing decision itself), and reading in order is a walk over the chunks.

const CHUNK = 128;

/** A sorted list of distinct items under a total order (`order(a, b) < 0`: a comes first). */
export class OrderedList<T> implements Iterable<T> {
  private readonly chunks: T[][] = [];
  private count = 0;

  /** @param chunk the largest chunk (default 128; small ones are for tests). */
  constructor(
    private readonly order: (a: T, b: T) => number,
    private readonly chunk = CHUNK,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Inserts `x` (not already in the list) at its place. */
  insert(x: T): void {
    const order = this.order;
    if (this.chunks.length === 0) {
      this.chunks.push([x]);
      this.count++;
      return;
    }
    // The first chunk whose last item is not before x; else the last chunk.
    const ci = Math.min(this.chunkOf((last) => order(last, x) < 0), this.chunks.length - 1);
    const chunk = this.chunks[ci]!;
    const at = lowerBound(chunk, (y) => order(y, x) < 0);
    chunk.splice(at, 0, x);
    this.count++;
    if (chunk.length > this.chunk) this.chunks.splice(ci + 1, 0, chunk.splice(chunk.length >> 1));
  }

  /** Removes `x`, found by its place in the order; returns whether it was there. */
  remove(x: T): boolean {
    const order = this.order;
    const ci = this.chunkOf((last) => order(last, x) < 0);
    const chunk = this.chunks[ci];
    if (!chunk) return false;
    const at = lowerBound(chunk, (y) => order(y, x) < 0);
    if (chunk[at] !== x) return false;
    chunk.splice(at, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /** Removes `x` wherever it is (a scan: for an item whose place is not known). */
  removeAnywhere(x: T): boolean {
    for (let ci = 0; ci < this.chunks.length; ci++) {
      const chunk = this.chunks[ci]!;
      const at = chunk.indexOf(x);
      if (at < 0) continue;
      chunk.splice(at, 1);
      this.count--;
      if (chunk.length === 0) this.chunks.splice(ci, 1);
      return true;
    }
    return false;
  }

  /** The first item, in order, for which `test` holds. */
  find(test: (x: T) => boolean): T | undefined {
    for (const chunk of this.chunks) for (const x of chunk) if (test(x)) return x;
    return undefined;
  }

  /**
   * Reads the items from the first one for which `before` is false (`before` holds for a prefix of
   * the order), while `within` holds; returns the first of them for which `test` holds.
   */
  findFrom(before: (x: T) => boolean, within: (x: T) => boolean, test: (x: T) => boolean): T | undefined {
    let ci = this.chunkOf(before);
    const first = this.chunks[ci];
    if (!first) return undefined;
    let at = lowerBound(first, before);
    for (; ci < this.chunks.length; ci++, at = 0) {
      const chunk = this.chunks[ci]!;
      for (let i = at; i < chunk.length; i++) {
        const x = chunk[i]!;
        if (!within(x)) return undefined;
        if (test(x)) return x;
      }
    }
    return undefined;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** The first chunk whose last item is not `before` (chunks.length when none). */
  private chunkOf(before: (x: T) => boolean): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid]!;
      if (before(chunk[chunk.length - 1]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The first position in `list` for which `before` is false. */
function lowerBound<T>(list: readonly T[], before: (x: T) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(list[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
