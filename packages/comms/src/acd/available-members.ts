// The members of a queue that can take a contact now: in the order they became available (the order
// the random strategies and ring-all see them in) and, for the ordered strategies, in the strategy's
// order, so that a routing decision reads the first fitting member instead of scanning them all.
//
// The ordered strategies (longest-idle, least-recent, fewest-contacts, linear, round-robin) pick the
// least member by a total order among the fitting members of the highest level. Kept sorted by
// (level descending, the strategy's key, its tie-break), the first member that fits IS that pick;
// round-robin takes the first fitting one after the last offered index at that level, else the first.
// Members lacking the queue's required skills are kept apart: only a contact whose skills were widened
// looks at them. A member's keys change only through `update()`, which takes it out and puts it back.
import type { RoutingStrategy } from '../contract/model.js';
import { OrderedList } from './ordered-list.js';
import type { MemberRec } from './router-records.js';

type Order = (a: MemberRec, b: MemberRec) => number;

/** The strategy's order (after level, descending); undefined for the strategies that need every fitting member. */
function orderOf(strategy: RoutingStrategy): Order | undefined {
  switch (strategy) {
    case 'longest-idle':
      // Equal idle times: the one available first (the scan's first among equals).
      return (a, b) => b.level - a.level || a.agent.idleSince - b.agent.idleSince || a.availableSeq - b.availableSeq;
    case 'least-recent':
      return (a, b) => b.level - a.level || a.lastEndedAt - b.lastEndedAt || a.index - b.index;
    case 'fewest-contacts':
      return (a, b) => b.level - a.level || a.handled - b.handled || a.index - b.index;
    case 'linear':
    case 'round-robin':
      return (a, b) => b.level - a.level || a.index - b.index;
    case 'random':
    case 'weighted-random':
    case 'ring-all':
      return undefined;
  }
}

/** A queue's available members. */
export class AvailableMembers implements Iterable<MemberRec> {
  /** In the order they became available (a Set keeps insertion order); each one's rank is its `availableSeq`. */
  private readonly members = new Set<MemberRec>();
  private seq = 0;
  private readonly order: Order | undefined;
  /** Sorted by `order`: members with the queue's required skills, and those without. */
  private readonly skilled: OrderedList<MemberRec> | undefined;
  private readonly unskilled: OrderedList<MemberRec> | undefined;

  /**
   * @param strategy the queue's routing strategy.
   * @param hasSkills whether a member has the queue's required skills (fixed for a membership).
   */
  constructor(
    private readonly strategy: RoutingStrategy,
    private readonly hasSkills: (m: MemberRec) => boolean,
  ) {
    this.order = orderOf(strategy);
    if (this.order) {
      this.skilled = new OrderedList(this.order);
      this.unskilled = new OrderedList(this.order);
    }
  }

  get size(): number {
    return this.members.size;
  }

  /** Whether the queue's strategy is served by the ordered index (`first()`), not by `fitting()`. */
  get ordered(): boolean {
    return this.order !== undefined;
  }

  has(m: MemberRec): boolean {
    return this.members.has(m);
  }

  /** The member became available (it goes last in the order of availability). */
  add(m: MemberRec): void {
    if (this.members.has(m)) return;
    m.availableSeq = ++this.seq;
    this.members.add(m);
    this.link(m);
  }

  /** The member is no longer available (or left the queue). Call before renumbering the queue's members. */
  delete(m: MemberRec): void {
    if (!this.members.has(m)) return;
    this.unlink(m);
    this.members.delete(m);
  }

  /**
   * Changes what orders a member (its level, idle time, last end, contacts handled) through `change`:
   * an available member is taken out of the order and put back, keeping its place in the order of
   * availability.
   */
  update(m: MemberRec, change: () => void): void {
    updateOrder([m], change);
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

  /**
   * The member an ordered strategy picks among those that fit: the same member as the strategy's
   * choice among `fitting()`, reading members in order until one fits.
   * @param widened the contact's skills were widened: members without the queue's skills count too.
   * @param rrLast round-robin: the index of the member offered last.
   * Note: only for an `ordered` index; `fits` must be false for a member without the queue's skills
   * unless `widened`.
   */
  first(fits: (m: MemberRec) => boolean, widened: boolean, rrLast: number): MemberRec | undefined {
    const order = this.order!;
    let best = this.skilled!.find(fits);
    if (widened) {
      const other = this.unskilled!.find(fits);
      if (other && (!best || order(other, best) < 0)) best = other;
    }
    if (!best || this.strategy !== 'round-robin' || rrLast < 0) return best;
    // Round-robin: the first fitting member of that level after the one offered last, else the first.
    const level = best.level;
    const before = (x: MemberRec): boolean => x.level > level || (x.level === level && x.index <= rrLast);
    const within = (x: MemberRec): boolean => x.level === level;
    let next = this.skilled!.findFrom(before, within, fits);
    if (widened) {
      const other = this.unskilled!.findFrom(before, within, fits);
      if (other && (!next || other.index < next.index)) next = other;
    }
    return next ?? best;
  }

  /** @internal Puts an available member into the order (see {@link updateOrder}). */
  link(m: MemberRec): void {
    if (!this.order || !this.members.has(m)) return;
    (this.hasSkills(m) ? this.skilled! : this.unskilled!).insert(m);
  }

  /** @internal Takes an available member out of the order (see {@link updateOrder}). */
  unlink(m: MemberRec): void {
    if (!this.order || !this.members.has(m)) return;
    // Found by its keys, which are those it was linked with (changes go through updateOrder()); a
    // member not found there is looked for everywhere rather than left behind.
    const list = this.hasSkills(m) ? this.skilled! : this.unskilled!;
    if (!list.remove(m)) list.removeAnywhere(m);
  }
}

/**
 * Changes what orders some members (an agent's idle time orders each of its memberships) through
 * `change`: the available ones are taken out of their queue's order first and put back after, so
 * that none is looked up by a key that has changed already.
 */
export function updateOrder(members: readonly MemberRec[], change: () => void): void {
  for (const m of members) m.queue.available.unlink(m);
  change();
  for (const m of members) m.queue.available.link(m);
}
