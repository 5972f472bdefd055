// Contacts per second through queue → offer → connect → complete with the contact event log written
// durably on SQLite (every step acknowledged only after its flush; concurrent steps share a
// transaction), next to the same flow with an in-memory log.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { VirtualClock, type ContactEventLog, type Offer } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, StorageContactEventLog } from '@caruso/comms/testing';
import { defineBenchmark } from '@caruso/kernel/testing';
import { roundsFigure, roundsOf } from '../../../benchmarks/support/rounds.js';
import { createStorage } from '@caruso/storage';

const AGENTS = 200;
const CONTACTS = 6_000;

async function flow(log: ContactEventLog): Promise<number> {
  const clock = new VirtualClock();
  const router = new QueueRouter({ clock, events: log, idPrefix: 't' });
  router.addQueue({ id: 'q' });
  const offers = new Map<string, Offer>();
  router.onDidOffer((o) => offers.set(o.contactId, o));
  for (let i = 0; i < AGENTS; i++) {
    router.addAgent({ id: `a${i}`, queues: [{ queueId: 'q' }] });
    router.login(`a${i}`);
  }
  await log.flush();
  const ack = async <T>(fn: () => T): Promise<T> => {
    const r = fn();
    await log.flush();
    return r;
  };
  const one = async (i: number): Promise<void> => {
    const id = `c${i}`;
    await ack(() => router.enqueue({ id, channel: 'call', queueId: 'q' }));
    const offer = offers.get(id)!;
    offers.delete(id);
    await ack(() => router.accept(offer.offerId));
    await ack(() => router.complete(id));
  };
  const t0 = performance.now();
  // AGENTS contacts in flight at a time: each lane runs its contacts one after the other.
  await Promise.all(Array.from({ length: AGENTS }, async (_, lane) => {
    for (let i = lane; i < CONTACTS; i += AGENTS) await one(i);
  }));
  const seconds = (performance.now() - t0) / 1000;
  router.dispose();
  return CONTACTS / seconds;
}

export default defineBenchmark({
  id: 'comms.throughput',
  title: 'Communication server: contacts per second, queue → offer → connect → complete, durable event log on SQLite',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'caruso-comms-bench-'));
    try {
      const storage = await createStorage(`sqlite:${join(dir, 'comms.db')}`);
      const durable: number[] = [];
      const memory: number[] = [];
      const durableRound = async (): Promise<void> => {
        const log = await StorageContactEventLog.open(storage);
        durable.push(await flow(log));
        log.dispose();
      };
      const memoryRound = async (): Promise<void> => {
        memory.push(await flow(new InMemoryContactEventLog({ keep: false })));
      };
      // Interleaved, and each peer first in every other round: neither always runs on a warmer process.
      for (let round = 0; round < 3; round++) {
        if (round % 2 === 0) {
          await durableRound();
          await memoryRound();
        } else {
          await memoryRound();
          await durableRound();
        }
      }
      await storage.close();
      return [
        roundsFigure({
          name: 'contacts/s with the durable log (SQLite, WAL)',
          unit: 'contacts/s',
          rounds: roundsOf(durable),
          peer: { name: 'same flow, in-memory log', rounds: roundsOf(memory) },
          goal: '≥ 2,000 contacts/s',
          met: roundsOf(durable).median >= 2000,
          note: `${CONTACTS} contacts, ${AGENTS} in flight, 3 acknowledged steps each (≈ 9 events); 3 interleaved rounds, each peer first in turn`,
        }),
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
