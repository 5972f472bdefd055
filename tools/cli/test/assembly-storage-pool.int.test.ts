// `<storage pool-max>`: read, checked (file:line:col) and given to the storage manager. It used to be
// accepted and then ignored: every assembly ran on PostgreSQL with the default pool of 10 (seen in the
// system benchmark, where requests queued for a connection under load).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { readAssembly } from '../src/assembly/assembly-file.js';
import { startAssembly } from '../src/assembly/assembly-runtime.js';

function assemblyWith(dir: string, storage: string): string {
  const file = join(dir, 'pool.assembly.xml');
  writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n<assembly name="pool">\n  ${storage}\n  <manager port="0"/>\n</assembly>\n`);
  return file;
}

describe('<storage pool-max>', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-pool-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is read as a whole number from 1 to 1000, else a file:line:col error', () => {
    const { assembly, diagnostics } = readAssembly(assemblyWith(dir, '<storage url="postgres://crm@127.0.0.1/crm" pool-max="25"/>'), {});
    expect(diagnostics.map(String)).toEqual([]);
    expect(assembly!.storagePoolMax).toBe(25);
    expect(readAssembly(assemblyWith(dir, '<storage url="sqlite:x.db"/>'), {}).assembly!.storagePoolMax).toBeUndefined();
    for (const [v, message] of [['0', 'pool-max must be a whole number of at least 1'], ['2.5', 'pool-max must be a whole number'], ['many', 'pool-max must be a whole number'], ['5000', 'pool-max must be at most 1000']] as const) {
      const file = assemblyWith(dir, `<storage url="sqlite:x.db" pool-max="${v}"/>`);
      const r = readAssembly(file, {});
      expect(r.assembly).toBeUndefined();
      expect(r.diagnostics.map(String)).toEqual([expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: error: ${message}`))]);
    }
  });

  forEachDatabase((db) => {
    it('is the pool the running storage manager uses', async () => {
      const r = readAssembly(assemblyWith(dir, `<storage url-env="POOL_DB_URL" pool-max="3"/>`), { POOL_DB_URL: db.url });
      expect(r.diagnostics.map(String)).toEqual([]);
      const running = await startAssembly(r.assembly!, { env: { POOL_DB_URL: db.url } });
      try {
        const storage = running.manager.get(StorageManager);
        const pool = (storage.knex.client as { pool?: { max: number } }).pool;
        // SQLite runs on one connection whatever the assembly says; PostgreSQL on the pool it asks for.
        expect(pool?.max).toBe(db.dialect === 'postgres' ? 3 : 1);
        // Four statements at once on three connections: all answered.
        const answers = await Promise.all([1, 2, 3, 4].map((n) => storage.knex.raw(`select ${n} as n`)));
        expect(answers).toHaveLength(4);
      } finally {
        await running.stop();
      }
    }, 60_000);
  });
});
