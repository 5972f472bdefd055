// Recovery after a crash: how long the communication server takes from start to serving when the log
// holds 10,000 open contacts (5,000 calls whose lines died — each closed and turned into a callback —
// and 5,000 e-mails back in line), next to a start over a log with none, in the same run.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CommunicationServer, commsService, systemClock } from '@caruso/comms';
import { QueueRouter, StorageContactEventLog } from '@caruso/comms/testing';
import { createServiceManager } from '@caruso/kernel';
import { defineBenchmark } from '@caruso/kernel/testing';
import { StorageManager, createStorage, storageService } from '@caruso/storage';
import { interleavedRounds, roundsFigure, roundsOf } from '../../../benchmarks/support/rounds.js';

const OPEN = 10_000;
const QUEUE = { id: 'q', maxLength: 1_000_000, maxWaitMs: 24 * 3_600_000 };

/** A database whose log ends with `open` contacts waiting, as a kill -9 leaves it. */
async function crashedDatabase(file: string, open: number): Promise<void> {
  const storage = await createStorage(`sqlite:${file}`);
  const log = await StorageContactEventLog.open(storage);
  const router = new QueueRouter({ clock: systemClock, events: log, idPrefix: 'r' });
  router.addQueue(QUEUE);
  for (let i = 0; i < open; i++) {
    const call = i % 2 === 0;
    router.enqueue({ id: `r${i}`, channel: call ? 'call' : 'email', queueId: 'q', priority: i % 3, ...(call ? { data: { caller: `+3120${String(i).padStart(7, '0')}` } } : {}) });
    if (i % 500 === 499) await log.flush();
  }
  await log.flush();
  router.dispose();
  await log.close();
  await storage.close();
}

/** Milliseconds from start to serving (every service active), and the contacts waiting then. */
async function startOn(file: string): Promise<{ ms: number; waiting: number }> {
  const services = createServiceManager();
  services.register(StorageManager, storageService(`sqlite:${file}`));
  services.register(CommunicationServer, commsService({ queues: [QUEUE] }));
  const t0 = performance.now();
  await services.start();
  const ms = performance.now() - t0;
  const waiting = services.get(CommunicationServer).waiting('q').length;
  await services.stop();
  return { ms, waiting };
}

export default defineBenchmark({
  id: 'comms.recovery',
  title: 'Communication server: start to serving after a kill -9 with 10,000 open contacts',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'caruso-recovery-bench-'));
    try {
      const crashed = join(dir, 'crashed.db');
      const empty = join(dir, 'empty.db');
      await crashedDatabase(crashed, OPEN);
      await crashedDatabase(empty, 0);
      let waiting = 0;
      const waitingSeen: number[] = [];
      const again: number[] = [];
      // 3 interleaved rounds (recovered and empty in turns), each on a fresh copy of its database (the
      // same work every time); the second start runs right after the first, on the same copy.
      const r = await interleavedRounds(3, {
        recovered: async (round: number) => {
          const copy = join(dir, `round-${round}.db`);
          await copyFile(crashed, copy);
          const first = await startOn(copy);
          waitingSeen.push(first.waiting);
          waiting = first.waiting;
          again.push((await startOn(copy)).ms);
          return first.ms;
        },
        fresh: async (round: number) => {
          const e = join(dir, `empty-${round}.db`);
          await copyFile(empty, e);
          return (await startOn(e)).ms;
        },
      });
      const peer = { name: 'start to serving, empty log', rounds: r.fresh };
      return [
        roundsFigure({
          name: 'start to serving, 10,000 open contacts recovered',
          unit: 'ms',
          rounds: r.recovered,
          peer,
          goal: '< 2,000 ms',
          met: r.recovered.median < 2_000 && waitingSeen.every((w) => w === OPEN),
          note: `5,000 calls closed and turned into callbacks, 5,000 e-mails back in line (${waiting} waiting after the start)`,
        }),
        roundsFigure({ name: 'second start over the recovered log (nothing left to write)', unit: 'ms', rounds: roundsOf(again), peer }),
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
