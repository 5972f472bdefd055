import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOrSkip } from '@caruso/kernel/testing';
import { createStorage } from '../create-storage.js';
import type { StorageOptions } from '../options.js';
import type { Dialect, StorageManager } from '../storage.js';
import { postgresAvailable, startPostgres, type PostgresServer } from './postgres-server.js';

/** What a suite of {@link forEachDatabase} / {@link describeStorageContract} receives. */
export interface TestDatabase {
  /** The dialect under test. */
  readonly dialect: Dialect;
  /** URL of this suite's own fresh database. Valid from `beforeAll` on. */
  readonly url: string;
  /** The suite's storage manager on {@link url}: opened before the suite's tests, closed after. */
  readonly storage: StorageManager;
  /** Opens another storage manager on the same database (closed after the suite). */
  open(options?: Omit<StorageOptions, 'url'>): Promise<StorageManager>;
  /** Makes another fresh, empty database of the same dialect and returns its URL (removed after the suite). */
  freshDatabase(): Promise<string>;
}

/** Options of {@link forEachDatabase}. */
export interface ForEachDatabaseOptions {
  /** Which dialects to run on. Default: both. */
  readonly dialects?: readonly Dialect[];
  /** Options for the suite's storage manager (besides the URL). */
  readonly storage?: Omit<StorageOptions, 'url'>;
  /** Time allowed to start the database and open the manager. Default 60 s. */
  readonly setupTimeoutMs?: number;
}

type Hook = () => Promise<void> | void;
interface TestGlobals {
  describe(name: string, fn: () => void): void;
  beforeAll(fn: Hook, timeout?: number): void;
  afterAll(fn: Hook, timeout?: number): void;
  it: { todo(name: string): void };
}

function testGlobals(): TestGlobals {
  const g = globalThis as unknown as Partial<TestGlobals>;
  if (typeof g.describe !== 'function' || typeof g.beforeAll !== 'function' || typeof g.afterAll !== 'function' || typeof g.it !== 'function') {
    throw new Error('forEachDatabase/describeStorageContract must be called while jest collects a test file');
  }
  return g as TestGlobals;
}

// One throw-away server per test file (jest gives each file its own module registry), started by
// the first suite that needs it and stopped by a file-level afterAll registered when this module is
// loaded by the test file.
let server: Promise<PostgresServer> | undefined;

function sharedServer(): Promise<PostgresServer> {
  server ??= startPostgres().catch((err: unknown) => {
    server = undefined;
    throw err;
  });
  return server;
}

/** Stops the file's shared PostgreSQL server, if one was started (registered as a file-level afterAll). */
export async function stopSharedPostgres(): Promise<void> {
  const s = server;
  server = undefined;
  if (s) await (await s).stop();
}

{
  const g = globalThis as unknown as Partial<TestGlobals>;
  if (typeof g.afterAll === 'function') g.afterAll(stopSharedPostgres, 30_000);
}

class Suite implements TestDatabase {
  private storageValue: StorageManager | undefined;
  private urlValue: string | undefined;
  private readonly managers: StorageManager[] = [];
  private readonly databases: string[] = [];
  private readonly folders: string[] = [];

  constructor(
    readonly dialect: Dialect,
    private readonly title: string,
    private readonly options: ForEachDatabaseOptions,
  ) {}

  get url(): string {
    if (this.urlValue === undefined) throw new Error('the test database is not ready yet: use it in beforeAll/it, not while collecting');
    return this.urlValue;
  }

  get storage(): StorageManager {
    if (!this.storageValue) throw new Error('the test storage manager is not ready yet: use it in beforeAll/it, not while collecting');
    return this.storageValue;
  }

  async freshDatabase(): Promise<string> {
    if (this.dialect === 'sqlite') {
      const dir = await mkdtemp(join(tmpdir(), 'caruso-sqlite-'));
      this.folders.push(dir);
      return `sqlite:${join(dir, 'crm.db')}`;
    }
    const url = await (await sharedServer()).createDatabase(this.title);
    this.databases.push(url);
    return url;
  }

  async open(options: Omit<StorageOptions, 'url'> = {}): Promise<StorageManager> {
    const manager = await createStorage({ ...options, url: this.url });
    this.managers.push(manager);
    return manager;
  }

  async setUp(): Promise<void> {
    this.urlValue = await this.freshDatabase();
    this.storageValue = await this.open(this.options.storage);
  }

  async tearDown(): Promise<void> {
    const errors: unknown[] = [];
    for (const m of this.managers.splice(0)) await m.close().catch((e: unknown) => errors.push(e));
    if (this.databases.length > 0) {
      const s = await sharedServer();
      for (const db of this.databases.splice(0)) await s.dropDatabase(db).catch((e: unknown) => errors.push(e));
    }
    for (const dir of this.folders.splice(0)) await rm(dir, { recursive: true, force: true });
    if (errors.length > 0) throw errors[0];
  }
}

/**
 * Runs the same suite on SQLite (a fresh file in a temporary folder, WAL mode) and on PostgreSQL (a
 * fresh database on the file's throw-away server, see startPostgres), each in a `describe` named
 * after the dialect. The suite receives a {@link TestDatabase} whose `storage` is ready in
 * `beforeAll` and `it`. Without PostgreSQL binaries the PostgreSQL half becomes a `todo` that says
 * why (under CARUSO_REQUIRE_ALL=1 it fails instead).
 * @example
 * forEachDatabase((db) => {
 *   it('stores a customer', async () => { await db.storage.knex('customers').insert({ name: 'Ada' }); });
 * });
 */
export function forEachDatabase(suite: (db: TestDatabase) => void, options: ForEachDatabaseOptions = {}): void {
  const g = testGlobals();
  for (const dialect of options.dialects ?? (['sqlite', 'postgres'] as const)) {
    if (dialect === 'postgres' && !requireOrSkip('PostgreSQL (server binaries or CARUSO_TEST_PG_URL)', postgresAvailable())) {
      g.describe(dialect, () => {
        g.it.todo('not run: PostgreSQL server binaries not found (install postgresql, or set CARUSO_PG_BIN or CARUSO_TEST_PG_URL)');
      });
      continue;
    }
    g.describe(dialect, () => {
      const db = new Suite(dialect, suiteTitle(), options);
      g.beforeAll(() => db.setUp(), options.setupTimeoutMs ?? 60_000);
      g.afterAll(() => db.tearDown(), 30_000);
      suite(db);
    });
  }
}

let suiteCounter = 0;
function suiteTitle(): string {
  return `s${++suiteCounter}`;
}

/**
 * A contract suite run against every database: `describe(title)` holding one `describe` per dialect
 * (see {@link forEachDatabase}).
 */
export function describeStorageContract(title: string, suite: (db: TestDatabase) => void, options: ForEachDatabaseOptions = {}): void {
  testGlobals().describe(title, () => forEachDatabase(suite, options));
}
