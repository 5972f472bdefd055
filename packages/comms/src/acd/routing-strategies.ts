// The routing strategies: which of the members that fit a contact gets the offer. Pure: the records
// hold what each strategy needs (idle since, last ended, contacts handled, position, weight).
import type { MemberRec, QueueRec } from './router-records.js';

/**
 * The member of `q` to offer a contact to, among `fits` (not empty), by the queue's strategy.
 * `ring-all` returns the first: the router rings every fitting member itself.
 */
export function chooseMember(q: QueueRec, fits: readonly MemberRec[], random: () => number): MemberRec {
  let best = fits[0]!;
  switch (q.strategy) {
    case 'longest-idle':
      for (const m of fits) if (m.agent.idleSince < best.agent.idleSince) best = m;
      return best;
    case 'least-recent':
      for (const m of fits) if (m.lastEndedAt < best.lastEndedAt || (m.lastEndedAt === best.lastEndedAt && m.index < best.index)) best = m;
      return best;
    case 'fewest-contacts':
      for (const m of fits) if (m.handled < best.handled || (m.handled === best.handled && m.index < best.index)) best = m;
      return best;
    case 'linear':
      for (const m of fits) if (m.index < best.index) best = m;
      return best;
    case 'round-robin': {
      const n = q.members.length;
      const dist = (m: MemberRec): number => (m.index - q.rrLast - 1 + 2 * n) % n;
      for (const m of fits) if (dist(m) < dist(best)) best = m;
      return best;
    }
    case 'random':
      return fits[Math.floor(random() * fits.length)] ?? best;
    case 'weighted-random': {
      let total = 0;
      for (const m of fits) total += m.weight;
      if (total <= 0) return fits[Math.floor(random() * fits.length)] ?? best;
      let r = random() * total;
      for (const m of fits) {
        r -= m.weight;
        if (r < 0) return m;
      }
      return fits[fits.length - 1]!;
    }
    case 'ring-all':
      return best;
  }
}
