// CSV import of 100,000 rows (upsert by a business key, one transaction) on SQLite and PostgreSQL.
// Goal on SQLite: at least 50,000 rows/s. Peer: a raw knex batched insert of the same rows. Each
// figure the median of 3 interleaved rounds (import and peer in turns, each on a fresh database).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defineBenchmark } from '@caruso/kernel/testing';
import { applyMigration, BusinessObjectsImpl, importCsv, readModel } from '@caruso/objects';
import { createStorage, type StorageManager } from '@caruso/storage';
import { postgresAvailable, startPostgres } from '@caruso/storage/testing';
import { interleavedRounds, roundsFigure, roundsOf, type RoundsFigure } from '../../../benchmarks/support/rounds.js';

const ROWS = 100_000;
const MODEL = `<model name="bench">
  <object name="Customer" table="customers" businessKey="email">
    <field name="id" type="id"/>
    <field name="email" type="email" unique="true" required="true"/>
    <field name="name" type="string" length="80" required="true"/>
    <field name="segment" type="enum" default="residential"><option value="residential"/><option value="business"/></field>
    <field name="balance" type="money" currency="EUR"/>
    <field name="since" type="date"/>
  </object>
</model>`;

function csvText(): string {
  const lines = ['email,name,segment,balance,since'];
  for (let i = 0; i < ROWS; i++) lines.push(`c${i}@example.org,Customer ${i},${i % 3 ? 'residential' : 'business'},${(i % 1000) + 0.5},2020-01-${String((i % 28) + 1).padStart(2, '0')}`);
  return lines.join('\n') + '\n';
}

/** The import of the file into a fresh database: seconds, and seconds of a second import of the same file. */
async function importOnce(storage: StorageManager, text: string): Promise<{ secs: number; reSecs: number; unchanged: number }> {
  const model = readModel(MODEL, 'bench.xml').model!;
  await applyMigration(model, storage);
  const objects = new BusinessObjectsImpl(model, storage);
  const t0 = performance.now();
  const report = await importCsv(objects, 'Customer', text, { batchSize: 2000 });
  const secs = (performance.now() - t0) / 1000;
  if (report.created !== ROWS) throw new Error(`import created ${report.created} rows`);
  // A second import of the same file updates nothing: measures the key lookups.
  const u0 = performance.now();
  const again = await importCsv(objects, 'Customer', text, { batchSize: 2000 });
  return { secs, reSecs: (performance.now() - u0) / 1000, unchanged: again.unchanged };
}

/** Peer: the same rows inserted by raw knex in batches, into a fresh table, in one transaction; seconds. */
async function peerOnce(storage: StorageManager): Promise<number> {
  await storage.knex.schema.createTable('peer_customers', (t) => {
    t.increments('id');
    t.string('email', 254).notNullable().unique();
    t.string('name', 80).notNullable();
    t.string('segment', 64);
    t.bigInteger('balance');
    t.date('since');
  });
  const rows = Array.from({ length: ROWS }, (_, i) => ({ email: `c${i}@example.org`, name: `Customer ${i}`, segment: i % 3 ? 'residential' : 'business', balance: (i % 1000) * 100 + 50, since: `2020-01-${String((i % 28) + 1).padStart(2, '0')}` }));
  const p0 = performance.now();
  await storage.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += 500) await trx.knex('peer_customers').insert(rows.slice(i, i + 500));
  });
  return (performance.now() - p0) / 1000;
}

/** 3 interleaved rounds of the import and its peer, each on a database of its own (`fresh()`). */
async function measure(fresh: () => Promise<{ storage: StorageManager; done: () => Promise<void> }>, label: string, goal: boolean): Promise<RoundsFigure> {
  const text = csvText();
  const on = async <T>(f: (s: StorageManager) => Promise<T>): Promise<T> => {
    const { storage, done } = await fresh();
    try {
      return await f(storage);
    } finally {
      await done();
    }
  };
  const reRates: number[] = [];
  let unchanged = 0;
  const r = await interleavedRounds(3, {
    import: () =>
      on(async (s) => {
        const m = await importOnce(s, text);
        reRates.push(ROWS / m.reSecs);
        unchanged = m.unchanged;
        return ROWS / m.secs;
      }),
    peer: () => on(async (s) => ROWS / (await peerOnce(s))),
  });
  const re = roundsOf(reRates);
  return roundsFigure({
    name: `CSV import of ${ROWS.toLocaleString('en')} rows, ${label}`,
    unit: 'rows/s',
    rounds: r.import,
    peer: { name: 'raw knex batched insert', rounds: r.peer },
    ...(goal ? { goal: '≥ 50,000 rows/s', met: r.import.median >= 50_000 } : {}),
    note: `${(ROWS / r.import.median).toFixed(2)} s (median); re-import of the same file (all unchanged: ${unchanged}) ${Math.round(re.median)} rows/s (${Math.round(re.min)}–${Math.round(re.max)})`,
  });
}

export default defineBenchmark({
  id: 'objects.csv-import',
  title: 'CSV import (atomic upsert by business key) on SQLite and PostgreSQL',
  async run() {
    const figures: RoundsFigure[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'caruso-objects-csv-bench-'));
    let n = 0;
    try {
      figures.push(
        await measure(async () => {
          const storage = await createStorage(`sqlite:${join(dir, `bench-${++n}.db`)}`);
          return { storage, done: () => storage.close() };
        }, 'SQLite', true),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (postgresAvailable()) {
      const server = await startPostgres();
      try {
        figures.push(
          await measure(async () => {
            const url = await server.createDatabase('objects_bench');
            const storage = await createStorage(url);
            return {
              storage,
              done: async () => {
                await storage.close();
                await server.dropDatabase(url);
              },
            };
          }, 'PostgreSQL', false),
        );
      } finally {
        await server.stop();
      }
    }
    return figures;
  },
});
