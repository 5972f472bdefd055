// CSV import of 100,000 rows (upsert by a business key, one transaction) on SQLite and PostgreSQL.
// Goal on SQLite: at least 50,000 rows/s. Peer: a raw knex batched insert of the same rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defineBenchmark, type BenchFigure } from '@caruso/kernel/testing';
import { applyMigration, BusinessObjectsImpl, importCsv, readModel } from '@caruso/objects';
import { createStorage, type StorageManager } from '@caruso/storage';
import { postgresAvailable, startPostgres } from '@caruso/storage/testing';

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

async function measure(storage: StorageManager, label: string, goal: boolean): Promise<BenchFigure> {
  const model = readModel(MODEL, 'bench.xml').model!;
  await applyMigration(model, storage);
  const objects = new BusinessObjectsImpl(model, storage);
  const text = csvText();
  const t0 = performance.now();
  const report = await importCsv(objects, 'Customer', text, { batchSize: 2000 });
  const secs = (performance.now() - t0) / 1000;
  if (report.created !== ROWS) throw new Error(`import created ${report.created} rows`);
  // Peer: the same rows inserted by raw knex in batches, into a fresh table, in one transaction.
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
    for (let i = 0; i < rows.length; i += 500) await trx.knex("peer_customers").insert(rows.slice(i, i + 500));
  });
  const peerSecs = (performance.now() - p0) / 1000;
  // A second import of the same file updates nothing: measures the key lookups.
  const u0 = performance.now();
  const again = await importCsv(objects, 'Customer', text, { batchSize: 2000 });
  const reSecs = (performance.now() - u0) / 1000;
  return {
    name: `CSV import of ${ROWS.toLocaleString('en')} rows, ${label}`,
    value: Math.round(ROWS / secs),
    unit: 'rows/s',
    peer: { name: 'raw knex batched insert', value: Math.round(ROWS / peerSecs) },
    ...(goal ? { goal: '≥ 50,000 rows/s', met: ROWS / secs >= 50_000 } : {}),
    note: `${secs.toFixed(2)} s; re-import of the same file (all unchanged: ${again.unchanged}) ${Math.round(ROWS / reSecs)} rows/s`,
  };
}

export default defineBenchmark({
  id: 'objects.csv-import',
  title: 'CSV import (atomic upsert by business key) on SQLite and PostgreSQL',
  async run() {
    const figures: BenchFigure[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'caruso-objects-csv-bench-'));
    try {
      const sqlite = await createStorage(`sqlite:${join(dir, 'bench.db')}`);
      try {
        figures.push(await measure(sqlite, 'SQLite', true));
      } finally {
        await sqlite.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (postgresAvailable()) {
      const server = await startPostgres();
      try {
        const url = await server.createDatabase('objects_bench');
        const pg = await createStorage(url);
        try {
          figures.push(await measure(pg, 'PostgreSQL', false));
        } finally {
          await pg.close();
        }
      } finally {
        await server.stop();
      }
    }
    return figures;
  },
});
