// The members of a queue that can take a contact now, in the order they became available (the
// order the random strategies and ring-all see them in).
import type { MemberRec } from './router-records.js';

/** A queue's available members. */
export class AvailableMembers implements Iterable<MemberRec> {
  private readonly members = new Set<MemberRec>();

  get size(): number {
    return this.members.size;
  }

  has(m: MemberRec): boolean {
    return this.members.has(m);
  }

  /** The member became available (it goes last in the order). */
  add(m: MemberRec): void {
    this.members.add(m);
  }

  /** The member is no longer available (or left the queue). */
  delete(m: MemberRec): void {
    this.members.delete(m);
  }

  [Symbol.iterator](): Iterator<MemberRec> {
    return this.members.values();
  }

  /**
   * The members that fit, restricted to the highest level among them, in the order they became
   * available; written into `out` (cleared first), which is returned.
   */
  fitting(fits: (m: MemberRec) => boolean, out: MemberRec[]): MemberRec[] {
    out.length = 0;
    let level = -Infinity;
    for (const m of this.members) {
      if (m.level < level || !fits(m)) continue;
      if (m.level > level) {
        level = m.level;
        out.length = 0;
      }
      out.push(m);
    }
    return out;
  }
}
