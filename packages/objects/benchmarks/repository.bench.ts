// Repository operations against the same work done by raw knex and raw better-sqlite3, in one run
// on one SQLite file. Goal: at most 1.25x knex and 2x better-sqlite3.
//
// Like with like: the better-sqlite3 connection gets the storage manager's settings (WAL,
// synchronous=FULL, foreign keys), so every commit is as durable on each side. For the plain object
// (no version, no audit) each side runs one autocommitted statement per operation. For the versioned,
// audited object each side runs the same writes in one transaction: the insert with version 1 and
// one audit row per audited field; for an update, the read of the current row, the update that
// checks and bumps the version, and one audit row for the changed field.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { defineBenchmark } from '@caruso/kernel/testing';
import { roundsFigure, roundsOf, type Rounds, type RoundsFigure } from '../../../benchmarks/support/rounds.js';
import { applyMigration, BusinessObjectsImpl, readModel } from '@caruso/objects';
import { createStorage } from '@caruso/storage';

const MODEL = `<model name="bench">
  <object name="Item" table="items">
    <field name="id" type="id"/>
    <field name="name" type="string" length="80" required="true"/>
    <field name="qty" type="integer"/>
    <field name="status" type="enum" default="open"><option value="open"/><option value="closed"/></field>
  </object>
  <object name="Ticket" table="tickets" version="true" audited="true">
    <field name="id" type="id"/>
    <field name="subject" type="string" length="120" required="true"/>
    <field name="priority" type="integer"/>
  </object>
</model>`;

type Op = () => Promise<unknown>;

/** ns per call over interleaved rounds (A B C, then C B A, …) of `iterations` sequential awaits. */
async function compare(fns: Record<string, Op>, iterations: number, rounds: number): Promise<Record<string, Rounds>> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(fns)) samples[name] = [];
  for (const fn of Object.values(fns)) for (let i = 0; i < Math.min(200, iterations); i++) await fn();
  for (let r = 0; r < rounds; r++) {
    const order = Object.entries(fns);
    if (r % 2) order.reverse();
    for (const [name, fn] of order) {
      const t0 = performance.now();
      for (let i = 0; i < iterations; i++) await fn();
      samples[name]!.push(((performance.now() - t0) * 1e6) / iterations);
    }
  }
  const out: Record<string, Rounds> = {};
  for (const [n, s] of Object.entries(samples)) out[n] = roundsOf(s);
  return out;
}

export default defineBenchmark({
  id: 'objects.repository',
  title: 'Business-object repository vs raw knex and raw better-sqlite3 (SQLite file, WAL)',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-objects-bench-'));
    const storage = await createStorage(`sqlite:${join(dir, 'bench.db')}`);
    const raw = new Database(join(dir, 'bench.db'));
    // The storage manager's connection settings (sqlite/index.ts): the same durability on both sides.
    raw.pragma('busy_timeout = 5000');
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    try {
      const model = readModel(MODEL, 'bench.xml').model!;
      await applyMigration(model, storage);
      const objects = new BusinessObjectsImpl(model, storage);
      const items = objects.repository('Item');
      const tickets = objects.repository('Ticket');
      const knex = storage.knex;
      const rowsIn = Array.from({ length: 1000 }, (_, i) => ({ name: `item ${i}`, qty: i, status: i % 2 ? 'open' : 'closed' }));
      for (let i = 0; i < rowsIn.length; i += 200) await knex('items').insert(rowsIn.slice(i, i + 200));
      let k = 0;
      const nextId = (): number => (k++ % 1000) + 1;
      const getStmt = raw.prepare('select id, name, qty, status from items where id = ? limit 1');
      const queryStmt = raw.prepare("select id, name, qty, status from items where status = 'open' order by id asc limit 100");
      const insertStmt = raw.prepare('insert into items (name, qty, status) values (?, ?, ?) returning id, name, qty, status');
      const updateStmt = raw.prepare('update items set qty = ? where id = ? returning id, name, qty, status');
      // The versioned, audited object: the same writes on every side (see the head of this file).
      const ticket = model.objects.find((o) => o.name === 'Ticket')!;
      const vc = ticket.versionColumn!;
      const audited = ticket.fields.filter((f) => f.audited).map((f) => f.name);
      const auditRow = (key: number, action: string, field: string, oldValue: unknown, newValue: unknown) => ({
        object: 'Ticket',
        record_key: String(key),
        action,
        field,
        old_value: oldValue === null ? null : JSON.stringify(oldValue),
        new_value: newValue === null ? null : JSON.stringify(newValue),
        actor: null,
        at: new Date().toISOString(),
      });
      const auditColumns = ['object', 'record_key', 'action', 'field', 'old_value', 'new_value', 'actor', 'at'];
      const rawAuditInsert = raw.prepare(`insert into caruso_audit (${auditColumns.join(', ')}) values (${auditColumns.map(() => '?').join(', ')})`);
      const rawTicketInsert = raw.prepare(`insert into tickets (subject, priority, ${vc}) values (?, ?, 1) returning id, subject, priority, ${vc}`);
      const rawTicketCurrent = raw.prepare(`select id, subject, priority, ${vc} from tickets where id = ? limit 1`);
      const rawTicketUpdate = raw.prepare(`update tickets set priority = ?, ${vc} = ${vc} + 1 where id = ? and ${vc} = ? returning id, subject, priority, ${vc}`);
      const rawAudit = (row: Record<string, unknown>): void => void rawAuditInsert.run(Object.values(row));
      const rawTicketCreate = raw.transaction((subject: string, priority: number) => {
        const row = rawTicketInsert.get(subject, priority) as Record<string, unknown>;
        for (const f of audited) if (row[f] !== null) rawAudit(auditRow(row['id'] as number, 'create', f, null, row[f]));
        return row;
      });
      const rawTicketChange = raw.transaction((id: number, priority: number) => {
        const before = rawTicketCurrent.get(id) as Record<string, unknown>;
        const after = rawTicketUpdate.get(priority, id, before[vc]) as Record<string, unknown>;
        if (before['priority'] !== after['priority']) rawAudit(auditRow(id, 'update', 'priority', before['priority'], after['priority']));
        return after;
      });
      const knexTicketCreate = (subject: string, priority: number) =>
        knex.transaction(async (trx) => {
          const [row] = (await trx('tickets').insert({ subject, priority, [vc]: 1 }).returning(['id', 'subject', 'priority', vc])) as Record<string, unknown>[];
          const rows = audited.filter((f) => row![f] !== null).map((f) => auditRow(row!['id'] as number, 'create', f, null, row![f]));
          await trx('caruso_audit').insert(rows);
          return row;
        });
      const knexTicketChange = (id: number, priority: number) =>
        knex.transaction(async (trx) => {
          const before = (await trx('tickets').select(['id', 'subject', 'priority', vc]).where('id', id).first()) as Record<string, unknown>;
          const [after] = (await trx('tickets')
            .update({ priority, [vc]: trx.raw('?? + 1', [vc]) })
            .where('id', id)
            .where(vc, before[vc] as number)
            .returning(['id', 'subject', 'priority', vc])) as Record<string, unknown>[];
          if (before['priority'] !== after!['priority']) await trx('caruso_audit').insert(auditRow(id, 'update', 'priority', before['priority'], after!['priority']));
          return after;
        });
      for (let i = 0; i < 1000; i++) rawTicketCreate(`ticket ${i}`, i % 5);
      let p = 0;
      const nextPriority = (): number => ++p;

      const figures: RoundsFigure[] = [];
      const add = (name: string, r: Record<string, Rounds>, sides: string): void => {
        const repo = r['repository']!.median;
        const kx = r['knex']!.median;
        const b = r['better-sqlite3']!;
        const bs = b.median;
        const met = repo <= kx * 1.25 && repo <= bs * 2;
        figures.push(
          roundsFigure({
            name,
            unit: 'ns/op',
            rounds: r['repository']!,
            peer: { name: 'knex', rounds: r['knex']! },
            goal: '≤ 1.25× knex and ≤ 2× better-sqlite3',
            met,
            note: `${(repo / kx).toFixed(2)}× knex; better-sqlite3 ${Math.round(bs)} ns/op (${Math.round(b.min)}–${Math.round(b.max)}; ${(repo / bs).toFixed(2)}×); ${sides}`,
          }),
        );
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
        'each side: one select by primary key, limit 1',
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
        'each side: one select with an equality filter, order by id, limit 100',
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
        'each side: one autocommitted insert … returning (no version, no audit), synchronous=FULL on both connections',
      );
      // Every update writes a new value: an update to the same value dirties no page, so SQLite
      // would commit without a sync and the figure would say nothing about a durable write.
      let q = 1_000;
      const nextQty = (): number => ++q;
      add(
        'single update (a changed value)',
        await compare(
          {
            repository: () => items.update(nextId(), { qty: nextQty() }),
            knex: () => knex('items').update({ qty: nextQty() }).where('id', nextId()).returning(['id', 'name', 'qty', 'status']),
            'better-sqlite3': async () => updateStmt.get(nextQty(), nextId()),
          },
          1000,
          5,
        ),
        'each side: one autocommitted update … returning by primary key, each to a new value, synchronous=FULL',
      );
      add(
        `insert, versioned and audited (1 transaction: row + ${audited.length} audit rows)`,
        await compare(
          {
            repository: () => tickets.create({ subject: 'new ticket', priority: 2 }),
            knex: () => knexTicketCreate('new ticket', 2),
            'better-sqlite3': async () => rawTicketCreate('new ticket', 2),
          },
          500,
          5,
        ),
        'each side: begin, insert with version 1 … returning, one audit row per audited field, commit',
      );
      add(
        'update, versioned and audited (1 transaction: read, checked update, 1 audit row)',
        await compare(
          {
            repository: () => tickets.update(nextId(), { priority: nextPriority() }),
            knex: () => knexTicketChange(nextId(), nextPriority()),
            'better-sqlite3': async () => rawTicketChange(nextId(), nextPriority()),
          },
          500,
          5,
        ),
        'each side: begin, read the row, update … set version = version + 1 where id and version … returning, one audit row, commit',
      );
      return figures;
    } finally {
      raw.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
