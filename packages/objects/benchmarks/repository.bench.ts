// Repository operations against the same work done by raw knex and raw better-sqlite3, in one run
// on one SQLite file. Goal: at most 1.25x knex and 2x better-sqlite3.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { defineBenchmark, median, type BenchFigure } from '@caruso/kernel/testing';
import { applyMigration, BusinessObjectsImpl, readModel } from '@caruso/objects';
import { createStorage } from '@caruso/storage';

const MODEL = `<model name="bench">
  <object name="Item" table="items">
    <field name="id" type="id"/>
    <field name="name" type="string" length="80" required="true"/>
    <field name="qty" type="integer"/>
    <field name="status" type="enum" default="open"><option value="open"/><option value="closed"/></field>
  </object>
</model>`;

type Op = () => Promise<unknown>;

/** Median ns per call over interleaved rounds of `iterations` sequential awaits. */
async function compare(fns: Record<string, Op>, iterations: number, rounds: number): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(fns)) samples[name] = [];
  for (const fn of Object.values(fns)) for (let i = 0; i < Math.min(200, iterations); i++) await fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      const t0 = performance.now();
      for (let i = 0; i < iterations; i++) await fn();
      samples[name]!.push(((performance.now() - t0) * 1e6) / iterations);
    }
  }
  const out: Record<string, number> = {};
  for (const [n, s] of Object.entries(samples)) out[n] = median(s);
  return out;
}

export default defineBenchmark({
  id: 'objects.repository',
  title: 'Business-object repository vs raw knex and raw better-sqlite3 (SQLite file, WAL)',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-objects-bench-'));
    const storage = await createStorage(`sqlite:${join(dir, 'bench.db')}`);
    const raw = new Database(join(dir, 'bench.db'));
    try {
      const model = readModel(MODEL, 'bench.xml').model!;
      await applyMigration(model, storage);
      const items = new BusinessObjectsImpl(model, storage).repository('Item');
      const knex = storage.knex;
      const rowsIn = Array.from({ length: 1000 }, (_, i) => ({ name: `item ${i}`, qty: i, status: i % 2 ? 'open' : 'closed' }));
      for (let i = 0; i < rowsIn.length; i += 200) await knex('items').insert(rowsIn.slice(i, i + 200));
      let k = 0;
      const nextId = (): number => (k++ % 1000) + 1;
      const getStmt = raw.prepare('select id, name, qty, status from items where id = ? limit 1');
      const queryStmt = raw.prepare("select id, name, qty, status from items where status = 'open' order by id asc limit 100");
      const insertStmt = raw.prepare('insert into items (name, qty, status) values (?, ?, ?) returning id, name, qty, status');
      const updateStmt = raw.prepare('update items set qty = ? where id = ? returning id, name, qty, status');
      const figures: BenchFigure[] = [];
      const add = (name: string, r: Record<string, number>): void => {
        const repo = r['repository'] as number;
        const kx = r['knex'] as number;
        const bs = r['better-sqlite3'] as number;
        const met = repo <= kx * 1.25 && repo <= bs * 2;
        figures.push({
          name,
          value: Math.round(repo),
          unit: 'ns/op',
          peer: { name: 'knex', value: Math.round(kx) },
          goal: '≤ 1.25× knex and ≤ 2× better-sqlite3',
          met,
          note: `${(repo / kx).toFixed(2)}× knex; better-sqlite3 ${Math.round(bs)} ns/op (${(repo / bs).toFixed(2)}×)`,
        });
      };
      add(
        'get by key',
        await compare(
          {
            repository: () => items.get(nextId()),
            knex: () => knex('items').select(['id', 'name', 'qty', 'status']).where('id', nextId()).first(),
            'better-sqlite3': async () => getStmt.get(nextId()),
          },
          2000,
          5,
        ),
      );
      add(
        'query of 100 rows',
        await compare(
          {
            repository: () => items.query({ where: { status: 'open' }, orderBy: ['id'], limit: 100 }),
            knex: () => knex('items').select(['id', 'name', 'qty', 'status']).where('status', 'open').orderBy('id').limit(100),
            'better-sqlite3': async () => queryStmt.all(),
          },
          300,
          5,
        ),
      );
      add(
        'single insert',
        await compare(
          {
            repository: () => items.create({ name: 'new item', qty: 1 }),
            knex: () => knex('items').insert({ name: 'new item', qty: 1, status: 'open' }).returning(['id', 'name', 'qty', 'status']),
            'better-sqlite3': async () => insertStmt.get('new item', 1, 'open'),
          },
          1000,
          5,
        ),
      );
      add(
        'single update',
        await compare(
          {
            repository: () => items.update(nextId(), { qty: 7 }),
            knex: () => knex('items').update({ qty: 7 }).where('id', nextId()).returning(['id', 'name', 'qty', 'status']),
            'better-sqlite3': async () => updateStmt.get(7, nextId()),
          },
          1000,
          5,
        ),
      );
      return figures;
    } finally {
      raw.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
