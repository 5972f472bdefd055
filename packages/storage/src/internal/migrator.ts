import { isCarusoError } from '@caruso/kernel';
import type { Knex } from 'knex';
import { StorageErrors } from '../errors.js';
import { messageOf } from './error-shape.js';
import type { AppliedMigration, Migration, MigrationOptions, MigrationReport, StorageTransaction } from '../storage.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** What the migration runner needs from its storage manager. */
export interface MigrationHost {
  readonly knex: Knex;
  readonly journalTable: string;
  transaction<T>(fn: (trx: StorageTransaction) => Promise<T>): Promise<T>;
  hasTable(table: string): Promise<boolean>;
  lockMigrations(trx: Knex.Transaction, scope: string, journalTable: string): Promise<void>;
}

interface JournalRow {
  seq: number;
  scope: string;
  id: string;
  applied_at: string;
}


/**
 * The migration runner: a journal table (`scope`, `id`, `applied_at`, ordered by `seq`) records what
 * is applied; each migration runs in its own transaction together with its journal row.
 */
export class Migrator {
  private journalReady: Promise<void> | undefined;

  constructor(private readonly host: MigrationHost) {}

  private scopeOf(options: MigrationOptions | undefined): string {
    const scope = options?.scope ?? 'app';
    if (typeof scope !== 'string' || !NAME.test(scope) || scope.length > 100) {
      throw StorageErrors.CARUSO_STORAGE_BAD_MIGRATION({ scope: String(scope), reason: 'the scope must be letters, digits, ., _ and - (at most 100)' });
    }
    return scope;
  }

  private check(migrations: readonly Migration[], scope: string): void {
    if (!Array.isArray(migrations)) throw StorageErrors.CARUSO_STORAGE_BAD_MIGRATION({ scope, reason: 'migrations must be an array' });
    const seen = new Set<string>();
    migrations.forEach((m, i) => {
      const id: unknown = m?.id;
      if (typeof id !== 'string' || !NAME.test(id)) {
        throw StorageErrors.CARUSO_STORAGE_BAD_MIGRATION({ scope, reason: `migration #${i} has an invalid id ${JSON.stringify(id)} (letters, digits, ., _, -; at most 200)` });
      }
      if (seen.has(id)) throw StorageErrors.CARUSO_STORAGE_BAD_MIGRATION({ scope, reason: `the id ${id} appears twice` });
      seen.add(id);
      if (typeof m.up !== 'function') throw StorageErrors.CARUSO_STORAGE_BAD_MIGRATION({ scope, reason: `migration ${id} has no up() function` });
      if (m.down !== undefined && typeof m.down !== 'function') {
        throw StorageErrors.CARUSO_STORAGE_BAD_MIGRATION({ scope, reason: `migration ${id}: down must be a function` });
      }
    });
  }

  /** Creates the journal table once (tolerating a concurrent creator). */
  private ensureJournal(): Promise<void> {
    this.journalReady ??= (async () => {
      const table = this.host.journalTable;
      if (await this.host.hasTable(table)) return;
      try {
        await this.host.knex.schema.createTable(table, (t) => {
          t.increments('seq');
          t.string('scope', 100).notNullable();
          t.string('id', 200).notNullable();
          t.string('applied_at', 30).notNullable();
          t.unique(['scope', 'id'], { indexName: `${table}_scope_id_unique` });
        });
      } catch (err) {
        if (!(await this.host.hasTable(table))) throw err;
      }
    })().catch((err: unknown) => {
      this.journalReady = undefined;
      throw err;
    });
    return this.journalReady;
  }

  private async rows(db: Knex | Knex.Transaction, scope: string): Promise<JournalRow[]> {
    return db<JournalRow>(this.host.journalTable).where({ scope }).orderBy('seq', 'asc');
  }

  async applied(options?: MigrationOptions): Promise<AppliedMigration[]> {
    const scope = this.scopeOf(options);
    if (!(await this.host.hasTable(this.host.journalTable))) return [];
    return (await this.rows(this.host.knex, scope)).map((r) => ({ scope: r.scope, id: r.id, appliedAt: r.applied_at }));
  }

  async migrate(migrations: readonly Migration[], options?: MigrationOptions): Promise<MigrationReport> {
    const scope = this.scopeOf(options);
    this.check(migrations, scope);
    await this.ensureJournal();
    const done = new Set((await this.rows(this.host.knex, scope)).map((r) => r.id));
    const known = new Set(migrations.map((m) => m.id));
    const strangers = [...done].filter((id) => !known.has(id));
    if (strangers.length > 0) {
      throw StorageErrors.CARUSO_STORAGE_MIGRATION_MISMATCH({
        scope,
        reason: `the journal lists ${strangers.join(', ')}, which the list does not contain; never remove or rename an applied migration`,
      });
    }
    const lastApplied = migrations.reduce((last, m, i) => (done.has(m.id) ? i : last), -1);
    const gap = migrations.findIndex((m, i) => i < lastApplied && !done.has(m.id));
    if (gap >= 0) {
      throw StorageErrors.CARUSO_STORAGE_MIGRATION_MISMATCH({
        scope,
        reason: `${migrations[gap]?.id} is not applied but the later ${migrations[lastApplied]?.id} is; add new migrations at the end of the list`,
      });
    }
    const applied: string[] = [];
    const skipped: string[] = [...done].filter((id) => known.has(id));
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await this.host.transaction(async (trx) => {
        await this.host.lockMigrations(trx.knex, scope, this.host.journalTable);
        // Another process may have applied it while we waited for the lock.
        if (await trx.knex(this.host.journalTable).where({ scope, id: m.id }).first()) {
          skipped.push(m.id);
          return;
        }
        try {
          await m.up(trx);
        } catch (err) {
          throw StorageErrors.CARUSO_STORAGE_MIGRATION_FAILED(
            { id: m.id, scope, reason: messageOf(err) },
            { cause: err, details: isCarusoError(err) ? { code: err.code } : undefined },
          );
        }
        await trx.knex(this.host.journalTable).insert({ scope, id: m.id, applied_at: new Date().toISOString() });
        applied.push(m.id);
      });
    }
    return { applied, skipped };
  }

  async rollback(migrations: readonly Migration[], options?: MigrationOptions & { readonly steps?: number }): Promise<string[]> {
    const scope = this.scopeOf(options);
    this.check(migrations, scope);
    const steps = options?.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) throw StorageErrors.CARUSO_STORAGE_BAD_MIGRATION({ scope, reason: 'steps must be a positive integer' });
    if (!(await this.host.hasTable(this.host.journalTable))) return [];
    const byId = new Map(migrations.map((m) => [m.id, m]));
    const last = (await this.rows(this.host.knex, scope)).reverse().slice(0, steps);
    for (const row of last) {
      const m = byId.get(row.id);
      if (!m) throw StorageErrors.CARUSO_STORAGE_MIGRATION_MISMATCH({ scope, reason: `the applied migration ${row.id} is not in the list` });
      if (!m.down) throw StorageErrors.CARUSO_STORAGE_BAD_MIGRATION({ scope, reason: `migration ${row.id} has no down(); nothing was reverted` });
    }
    const reverted: string[] = [];
    for (const row of last) {
      const m = byId.get(row.id) as Migration & { down: NonNullable<Migration['down']> };
      await this.host.transaction(async (trx) => {
        await this.host.lockMigrations(trx.knex, scope, this.host.journalTable);
        const deleted = await trx.knex(this.host.journalTable).where({ scope, id: m.id }).delete();
        if (deleted === 0) return; // reverted meanwhile by another process
        try {
          await m.down(trx);
        } catch (err) {
          throw StorageErrors.CARUSO_STORAGE_MIGRATION_FAILED({ id: m.id, scope, reason: `down(): ${messageOf(err)}` }, { cause: err });
        }
        reverted.push(m.id);
      });
    }
    return reverted;
  }
}
