// The session store's save() on SQLite and PostgreSQL: a session created and then updated 4 times
// (as a dialogue does: one save per step), one save at a time, against the save it replaced (BEGIN,
// a select, the insert or update, COMMIT), kept here as the peer. Each figure is the median of 5
// interleaved rounds, each round on its own session ids in the same database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StorageSessionStore, type SessionState } from '@caruso/dialogue';
import { defineBenchmark } from '@caruso/kernel/testing';
import { createStorage, type StorageManager } from '@caruso/storage';
import { postgresAvailable, startPostgres } from '@caruso/storage/testing';
import { interleavedRounds, quantileOf, roundsFigure, type RoundsFigure } from '../../../benchmarks/support/rounds.js';

const SESSIONS = 300;
const UPDATES = 4;
const ROUNDS = 5;

/** The save of StorageSessionStore before it was made one statement (its code, without the error wrapping). */
async function saveBefore(storage: StorageManager, state: SessionState, expectedRevision: number | undefined): Promise<void> {
  await storage.transaction(async (trx) => {
    const row = { script: state.script, version: state.version, channel: state.channel, status: state.status, revision: state.revision, state: JSON.stringify(state), updated_at: state.updatedAt };
    if (expectedRevision === undefined) {
      const exists = await trx.knex('dialogue_sessions').where({ id: state.id }).first('revision');
      if (exists) throw new Error(`conflict on ${state.id}`);
      await trx.knex('dialogue_sessions').insert({ id: state.id, ...row, created_at: state.createdAt });
      return;
    }
    const n = await trx.knex('dialogue_sessions').where({ id: state.id, revision: expectedRevision }).update(row);
    if (n === 0) {
      await trx.knex('dialogue_sessions').where({ id: state.id }).first('revision');
      throw new Error(`conflict on ${state.id}`);
    }
  });
}

function session(id: string, revision: number): SessionState {
  return {
    id, script: 'greet', version: '1', hash: '0123456789abcdef', channel: 'web', status: 'active',
    vars: { name: 'Ann', answers: Array.from({ length: revision }, (_, i) => `answer ${i}`) }, at: { script: 'greet', node: `q${revision}` },
    stack: [], counters: {}, history: [], revision, createdAt: '2026-12-07T09:00:00.000Z', updatedAt: new Date().toISOString(),
  } as unknown as SessionState;
}

/** Saves/s of one round and the p50/p99 of one save (ms), on ids of its own. */
async function round(save: (s: SessionState, expected: number | undefined) => Promise<void>, prefix: string): Promise<{ perSecond: number; p50: number; p99: number }> {
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < SESSIONS; i++) {
    const id = `${prefix}-${i}`;
    for (let rev = 1; rev <= UPDATES + 1; rev++) {
      const s0 = performance.now();
      await save(session(id, rev), rev === 1 ? undefined : rev - 1);
      times.push(performance.now() - s0);
    }
  }
  return { perSecond: times.length / ((performance.now() - t0) / 1000), p50: quantileOf(times, 0.5), p99: quantileOf(times, 0.99) };
}

async function measure(storage: StorageManager, label: string): Promise<RoundsFigure[]> {
  const store = new StorageSessionStore(storage);
  await store.migrate();
  // warm-up of both
  await round((s, e) => store.save(s, e), 'warm-one');
  await round((s, e) => saveBefore(storage, s, e), 'warm-before');
  const r = await interleavedRounds(ROUNDS, {
    one: (n) => round((s, e) => store.save(s, e), `one-${n}`),
    before: (n) => round((s, e) => saveBefore(storage, s, e), `before-${n}`),
  });
  const note = `${SESSIONS} sessions a round, each created and updated ${UPDATES} times, one save at a time`;
  const peer = 'the save before (BEGIN, select, insert/update, COMMIT)';
  return [
    roundsFigure({ name: `${label}: session saves per second`, unit: 'saves/s', rounds: r.one.perSecond, peer: { name: peer, rounds: r.before.perSecond }, note }),
    roundsFigure({ name: `${label}: one save p50`, unit: 'ms', rounds: r.one.p50, peer: { name: peer, rounds: r.before.p50 } }),
    roundsFigure({ name: `${label}: one save p99`, unit: 'ms', rounds: r.one.p99, peer: { name: peer, rounds: r.before.p99 } }),
  ];
}

export default defineBenchmark({
  id: 'dialogue.session-store',
  title: 'Dialogue session store: save() in one statement vs the transaction it replaced, SQLite and PostgreSQL',
  async run() {
    const figures: RoundsFigure[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'caruso-session-store-bench-'));
    try {
      const storage = await createStorage(`sqlite:${join(dir, 'sessions.db')}`);
      try {
        figures.push(...(await measure(storage, 'SQLite')));
      } finally {
        await storage.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (postgresAvailable()) {
      const server = await startPostgres();
      try {
        const url = await server.createDatabase('dialogue_bench');
        const storage = await createStorage(url);
        try {
          figures.push(...(await measure(storage, 'PostgreSQL')));
        } finally {
          await storage.close();
          await server.dropDatabase(url);
        }
      } finally {
        await server.stop();
      }
    }
    return figures;
  },
});
