// REST reads and writes per second under 100 concurrent clients, against a bare fastify route that
// answers the same record from the same SQLite database through the same storage manager (knex).
// The ratio is the front office's overhead: sessions, CSRF, rights, projection, the repository.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { defineBenchmark, quantile, type BenchFigure } from '@caruso/kernel/testing';
import { singleRun } from '../../../benchmarks/support/rounds.js';
import { StorageManager } from '@caruso/storage';
import { ApiClient, startTestAssembly } from '@caruso/frontoffice/testing';

const FIXTURES = join(process.cwd(), 'packages/frontoffice/test/fixtures');
const CLIENTS = 100;
const DURATION_MS = 3000;
const PW = 'correct horse battery';

/** Runs `op` from CLIENTS concurrent loops for DURATION_MS; returns requests/s and latency quantiles. */
async function load(op: (i: number) => Promise<void>): Promise<{ rps: number; p50: number; p99: number }> {
  const lat: number[] = [];
  const end = performance.now() + DURATION_MS;
  let n = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await op(c * 1_000_000 + n++);
        lat.push(performance.now() - t0);
      }
    }),
  );
  return { rps: lat.length / (DURATION_MS / 1000), p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
}

export default defineBenchmark({
  id: 'frontoffice.rest',
  title: 'Front-office REST API vs a bare fastify route on the same SQLite database (100 concurrent clients)',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-fo-bench-'));
    const asm = await startTestAssembly({
      db: `sqlite:${join(dir, 'crm.db')}`,
      model: join(FIXTURES, 'crm.model.xml'),
      application: join(FIXTURES, 'crm.app.xml'),
      scripts: join(FIXTURES, 'scripts'),
      users: [{ name: 'admin', role: 'administrator', agentId: undefined, password: PW }],
    });
    const storage = asm.manager.get(StorageManager);
    const bare = Fastify({ logger: false });
    bare.get('/customers/:id', async (req) => ({ data: await storage.knex('customers').where({ id: Number((req.params as { id: string }).id) }).first() }));
    bare.post('/customers', async (req) => {
      const b = req.body as { firstName: string; lastName: string };
      const [id] = await storage.knex('customers').insert({ first_name: b.firstName, last_name: b.lastName, segment: 'residential', version: 1 });
      return { data: { id } };
    });
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;
    try {
      const api = new ApiClient(asm.url);
      await api.login('admin', PW);
      const rec = (await api.post('/api/objects/Customer', { firstName: 'Ada', lastName: 'Lovelace' })).body as { data: { id: number } };
      const id = rec.data.id;
      const headers = { cookie: api.cookieHeader(), 'x-csrf-token': api.csrf as string, 'content-type': 'application/json' };
      const read = await load(async () => {
        const r = await fetch(`${asm.url}/api/objects/Customer/${id}`, { headers: { cookie: headers.cookie } });
        await r.arrayBuffer();
      });
      const bareRead = await load(async () => {
        const r = await fetch(`${bareUrl}/customers/${id}`);
        await r.arrayBuffer();
      });
      const write = await load(async (i) => {
        const r = await fetch(`${asm.url}/api/objects/Customer`, { method: 'POST', headers, body: JSON.stringify({ firstName: `F${i}`, lastName: 'Bench' }) });
        await r.arrayBuffer();
      });
      const bareWrite = await load(async (i) => {
        const r = await fetch(`${bareUrl}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ firstName: `F${i}`, lastName: 'Bench' }) });
        await r.arrayBuffer();
      });
      const fig = (name: string, a: { rps: number; p50: number; p99: number }, b: { rps: number; p50: number; p99: number }): BenchFigure => ({
        name,
        value: Math.round(a.rps),
        unit: 'req/s',
        peer: { name: 'bare fastify + knex', value: Math.round(b.rps) },
        note: `p50 ${a.p50.toFixed(1)} ms / p99 ${a.p99.toFixed(1)} ms (bare: p50 ${b.p50.toFixed(1)} / p99 ${b.p99.toFixed(1)} ms); overhead ${(b.rps / a.rps).toFixed(2)}x`,
      });
      // One load run per side: labelled a single run.
      return [fig('GET /api/objects/Customer/:id', read, bareRead), fig('POST /api/objects/Customer (audited, versioned)', write, bareWrite)].map(singleRun);
    } finally {
      await bare.close();
      await asm.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
