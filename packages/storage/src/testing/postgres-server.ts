import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A running throw-away PostgreSQL server (or an external one given by CARUSO_TEST_PG_URL). */
export interface PostgresServer {
  /** URL of the server's `postgres` database, as the superuser `postgres` (no password, loopback only). */
  readonly url: string;
  /** True when the server was started here (false for CARUSO_TEST_PG_URL). */
  readonly owned: boolean;
  /**
   * Creates a fresh, empty database and returns its URL (isolation between test suites).
   * @param prefix a readable part of the name, e.g. the suite's title.
   */
  createDatabase(prefix?: string): Promise<string>;
  /** Drops a database made by {@link createDatabase} (disconnecting its sessions). */
  dropDatabase(url: string): Promise<void>;
  /** Stops the server and deletes its files (for an external server: drops the databases made here). Idempotent. */
  stop(): Promise<void>;
}

/** Where the PostgreSQL server binaries are: CARUSO_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function findPostgresBin(): string | undefined {
  const given = process.env['CARUSO_PG_BIN'];
  if (given) return existsSync(join(given, 'initdb')) ? given : undefined;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

/** Whether a PostgreSQL server can be had for tests: CARUSO_TEST_PG_URL, or binaries to start one. */
export function postgresAvailable(): boolean {
  return Boolean(process.env['CARUSO_TEST_PG_URL']) || findPostgresBin() !== undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** initdb and postgres refuse to run as root: run them as the `postgres` system user then. */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function exec(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  const [file, argv] = asServerUser(cmd, args);
  try {
    await run(file, argv, { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args[0] ?? ''} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

let counter = 0;

function databaseUrl(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  return client
    .connect()
    .then(() => client.query(sql))
    .then(
      () => client.end(),
      async (err: unknown) => {
        await client.end().catch(() => undefined);
        throw err;
      },
    );
}

function makeServer(url: string, owned: boolean, shutdown: () => Promise<void>): PostgresServer {
  const created = new Set<string>();
  let stopped: Promise<void> | undefined;
  const server: PostgresServer = {
    url,
    owned,
    async createDatabase(prefix = 'test') {
      const slug = prefix.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 30) || 'test';
      const name = `caruso_${slug}_${process.pid}_${++counter}`;
      await adminQuery(url, `create database "${name}"`);
      const dbUrl = databaseUrl(url, name);
      created.add(dbUrl);
      return dbUrl;
    },
    async dropDatabase(dbUrl: string) {
      if (!created.delete(dbUrl)) return;
      const name = new URL(dbUrl).pathname.slice(1);
      await adminQuery(url, `drop database if exists "${name}" with (force)`);
    },
    stop() {
      stopped ??= (async () => {
        if (!owned) {
          for (const db of [...created]) await server.dropDatabase(db).catch(() => undefined);
        }
        await shutdown();
      })();
      return stopped;
    },
  };
  return server;
}

/**
 * Starts a throw-away PostgreSQL server for tests: `initdb` into a temporary folder (no fsync), a free
 * port on 127.0.0.1, `pg_ctl start`; returns its URL and `stop()`. When CARUSO_TEST_PG_URL is set,
 * that server is used instead and nothing is started. Throws when no server binaries are found
 * (see {@link postgresAvailable}). Always `stop()` it (in `afterAll`): a process-exit hook stops a
 * forgotten server as a last resort.
 */
export async function startPostgres(options: { readonly timeoutMs?: number } = {}): Promise<PostgresServer> {
  const external = process.env['CARUSO_TEST_PG_URL'];
  if (external) return makeServer(external, false, async () => undefined);
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found: install postgresql, or set CARUSO_PG_BIN or CARUSO_TEST_PG_URL');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'caruso-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (isRoot()) await chown(dir, ...postgresIds());
  const pgCtl = join(bin, 'pg_ctl');
  let started = false;
  const stopSync = (): void => {
    if (!started) return;
    started = false;
    try {
      const [file, argv] = asServerUser(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '10']);
      execFileSync(file, argv, { stdio: 'ignore', timeout: 15_000 });
    } catch {
      // best effort: the process is exiting
    }
  };
  process.once('exit', stopSync);
  try {
    await exec(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--no-locale', '--no-instructions'], timeoutMs);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const serverOptions = [
        `-p ${port}`,
        `-c listen_addresses=127.0.0.1`,
        `-c unix_socket_directories=${dir}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=50',
        '-c shared_buffers=16MB',
      ].join(' ');
      try {
        await exec(pgCtl, ['start', '-D', data, '-l', log, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), '-o', serverOptions], timeoutMs + 5_000);
        started = true;
        const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
        return makeServer(url, true, async () => {
          process.removeListener('exit', stopSync);
          if (started) {
            started = false;
            await exec(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '10'], 15_000).catch(() => undefined);
          }
          await rm(dir, { recursive: true, force: true });
        });
      } catch (err) {
        // Most likely the port was taken between probing and binding: try another one.
        lastError = err;
      }
    }
    const tail = await readFile(log, 'utf8').catch(() => '');
    throw new Error(`PostgreSQL did not start: ${(lastError as Error)?.message}\n${tail.split('\n').slice(-10).join('\n')}`);
  } catch (err) {
    stopSync();
    process.removeListener('exit', stopSync);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function postgresIds(): [number, number] {
  const out = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
  return [Number(out), Number(gid)];
}
