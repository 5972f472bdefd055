// The dialogue-script reports over 200,000 persisted sessions on SQLite (bulk-inserted outside the
// timed part), next to a bare full scan of the same table (the peer: the floor any report pays).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DIALOGUE_MIGRATIONS, DIALOGUE_SESSIONS_TABLE } from '@caruso/dialogue';
import { defineBenchmark } from '@caruso/kernel/testing';
import { BUILTIN_REPORTS, runReport } from '@caruso/monitor';
import { createStorage } from '@caruso/storage';
import { interleavedRounds, roundsFigure, type Rounds } from '../../../benchmarks/support/rounds.js';

const SESSIONS = 200_000;
const DAY = Date.UTC(2025, 0, 6);
const NODES = ['ask-account', 'ask-meter', 'confirm', 'ask-amount', 'identify#ask-pin'];

function row(i: number): Record<string, unknown> {
  const start = DAY + Math.floor((i * 86_400_000) / SESSIONS);
  const channel = i % 5 === 0 ? 'agent' : i % 2 === 0 ? 'web' : 'ivr';
  const kind = i % 10;
  const status = kind < 6 ? 'ended' : kind < 8 ? 'handoff' : 'active';
  const node = NODES[i % NODES.length]!;
  const [sub, id] = node.includes('#') ? node.split('#') : [`script-${i % 8}`, node];
  const state = {
    id: `s${i}`,
    at: { script: sub, node: id },
    status,
    vars: { accountNumber: String(100_000 + i), meterReading: i % 9_999 },
    ...(status === 'ended' ? { outcome: ['meter-read', 'payment-plan', 'resolved'][i % 3] } : {}),
    ...(status === 'handoff' ? { handoff: { queue: `q${i % 4}`, skills: [], reason: i % 3 === 0 ? 'fallback' : 'handoff' } } : {}),
  };
  return {
    id: `s${i}`,
    script: `script-${i % 8}`,
    version: `1.${i % 2}`,
    channel,
    status,
    revision: 3,
    state: JSON.stringify(state),
    created_at: new Date(start).toISOString(),
    updated_at: new Date(start + 30_000 + (i % 300) * 1000).toISOString(),
  };
}

export default defineBenchmark({
  id: 'monitor.scripts-report',
  title: 'Monitor: dialogue-script reports over 200,000 sessions on SQLite',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'caruso-monitor-bench-'));
    try {
      const storage = await createStorage(`sqlite:${join(dir, 'crm.db')}`);
      await storage.migrate(DIALOGUE_MIGRATIONS, { scope: 'dialogue' });
      await storage.transaction(async (trx) => {
        const batch: Array<Record<string, unknown>> = [];
        for (let i = 0; i < SESSIONS; i++) {
          batch.push(row(i));
          // 9 columns × 100 rows keeps under every database's limit of bound parameters.
          if (batch.length === 100) await trx.knex(DIALOGUE_SESSIONS_TABLE).insert(batch.splice(0));
        }
        if (batch.length) await trx.knex(DIALOGUE_SESSIONS_TABLE).insert(batch);
      });
      const period = { from: DAY, to: DAY + 86_400_000, asOf: DAY + 2 * 86_400_000 };
      const scripts = BUILTIN_REPORTS.find((r) => r.name === 'scripts')!;
      const abandons = BUILTIN_REPORTS.find((r) => r.name === 'script-abandons')!;
      let started = 0;
      const timed = (f: () => Promise<unknown>) => async (): Promise<number> => {
        const t0 = performance.now();
        await f();
        return performance.now() - t0;
      };
      // 5 interleaved rounds (both reports and the bare scan in turns), each figure the median with its spread.
      const r = await interleavedRounds(5, {
        scripts: timed(async () => {
          const res = await runReport(storage, scripts, period);
          started = res.rows.reduce((n, x) => n + Number(x['started']), 0);
        }),
        abandons: timed(() => runReport(storage, abandons, period)),
        scan: timed(() => storage.knex.raw(`SELECT COUNT(*) AS n, MAX(updated_at) AS u FROM ${DIALOGUE_SESSIONS_TABLE}`)),
      });
      await storage.close();
      // Each report against the bare scan, with the same goal.
      const result = (name: string, rounds: Rounds, note?: string) =>
        roundsFigure({ name, unit: 'ms', rounds, peer: { name: 'bare full scan (COUNT, MAX)', rounds: r.scan }, goal: '< 2,000 ms', met: rounds.median < 2_000, ...(note ? { note } : {}) });
      return [
        result('scripts report, 200,000 sessions', r.scripts, `${started} sessions started in the period`),
        result('script-abandons report (reads each state JSON), 200,000 sessions', r.abandons),
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
