import { VirtualClock, seededRandom, type Offer, type QueueConfig, type AgentConfig } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter } from '@caruso/comms/testing';

/** A router on a virtual clock with an in-memory log, recording offers. */
export function makeRouter(queues: QueueConfig[], agents: AgentConfig[], seed = 1) {
  const clock = new VirtualClock();
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, random: seededRandom(seed), idPrefix: 'c' });
  const offers: Offer[] = [];
  router.onDidOffer((o) => offers.push(o));
  for (const q of queues) router.addQueue(q);
  for (const a of agents) router.addAgent(a);
  return { clock, log, router, offers };
}
