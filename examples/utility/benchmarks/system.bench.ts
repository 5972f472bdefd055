// The whole system at the seeds' 180 agents, measured end to end: examples/utility's assembly with
// 180 agents in a process of its own (system-server.ts), the load generator in another
// (src/system-load): SIPp callers with RTP through the telephone menu and the moves desk's direct
// line, e-mails over SMTP, chats over WebSocket, 180 agents at the desktop (REST, /ws/agent, /ws/chat)
// with registered SIP phones, the wallboard socket and 12 REST pollers — on SQLite and, interleaved,
// on PostgreSQL. Then a ramp: more agents with the load per agent unchanged, until the call-to-offer
// p99 passes 200 ms. Knobs (environment): CARUSO_SYSTEM_BENCH_SECONDS (arrivals per run, default
// 180), CARUSO_SYSTEM_BENCH_ROUNDS (default 3), CARUSO_SYSTEM_BENCH_DBS (default `sqlite,postgres`),
// CARUSO_SYSTEM_BENCH_RAMP (agent counts, default `360,540,720,1000,1500,2000`; empty: no ramp),
// CARUSO_SYSTEM_BENCH_RAMP_SECONDS (default 60), CARUSO_SYSTEM_BENCH_RAMP_BUDGET (seconds, default 1500),
// CARUSO_SYSTEM_BENCH_KEEP=1 (keep each run's folder: server.log, SIPp logs and, on PostgreSQL,
// pg-activity.log, the server's sessions sampled every 2 s).
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineBenchmark, median, quantile, type BenchFigure } from '@caruso/kernel/testing';
import { singleRun, type RoundsFigure } from '../../../benchmarks/support/rounds.js';
import { freePort } from '@caruso/comms/testing';
import { createStorage } from '@caruso/storage';
import { postgresAvailable, startPostgres, type PostgresServer } from '@caruso/storage/testing';
import type { SystemLoadOptions } from '../src/system-load/system-load.js';
import type { SystemLoadReport } from '../src/system-load/load-stats.js';
import { systemAgents } from './system-assembly.js';
import type { ServerStart, ServerSummary } from './system-server.js';

const root = join(process.cwd(), 'examples/utility');
const serverEntry = fileURLToPath(new URL('./system-server.js', import.meta.url));
const loadEntry = join(root, 'dist/system-load/system-load-main.js');
const env = process.env;
const SECONDS = Number(env['CARUSO_SYSTEM_BENCH_SECONDS'] ?? 180);
const ROUNDS = Number(env['CARUSO_SYSTEM_BENCH_ROUNDS'] ?? 3);
const DBS = (env['CARUSO_SYSTEM_BENCH_DBS'] ?? 'sqlite,postgres').split(',').filter(Boolean) as Array<'sqlite' | 'postgres'>;
const RAMP = (env['CARUSO_SYSTEM_BENCH_RAMP'] ?? '360,540,720,1000,1500,2000').split(',').filter(Boolean).map(Number);
const RAMP_SECONDS = Number(env['CARUSO_SYSTEM_BENCH_RAMP_SECONDS'] ?? 60);
const RAMP_BUDGET_S = Number(env['CARUSO_SYSTEM_BENCH_RAMP_BUDGET'] ?? 1500);
const KEEP = env['CARUSO_SYSTEM_BENCH_KEEP'] === '1';
const TICK_HZ = 100;

/**
 * Samples the sessions of the run's PostgreSQL database every 2 s into `file`: how many are active,
 * idle in a transaction or waiting, and every statement running for more than a second. Stop it with
 * the returned function.
 */
function samplePostgres(dbUrl: string, file: string): () => Promise<void> {
  let stopped = false;
  const storage = createStorage({ url: dbUrl, pool: { min: 0, max: 1 }, postgres: { applicationName: 'system-bench-sampler' } });
  const sql = `select pid, state, wait_event_type, wait_event, extract(epoch from now() - query_start) as secs,
    extract(epoch from now() - xact_start) as xact_secs, left(regexp_replace(query, '\\s+', ' ', 'g'), 200) as query
    from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  type Row = { pid: number; state: string | null; wait_event_type: string | null; wait_event: string | null; secs: number | null; xact_secs: number | null; query: string };
  const loop = (async () => {
    const s = await storage;
    while (!stopped) {
      const rows = ((await s.knex.raw(sql)) as { rows: Row[] }).rows;
      const count = (f: (r: Row) => boolean): number => rows.filter(f).length;
      const slow = rows.filter((r) => r.state !== 'idle' && (Number(r.secs) > 1 || Number(r.xact_secs) > 1));
      appendFileSync(file, `${new Date().toISOString()} sessions ${rows.length} active ${count((r) => r.state === 'active')} idle-in-tx ${count((r) => r.state === 'idle in transaction')} waiting ${count((r) => r.wait_event_type === 'Lock')}\n`);
      for (const r of slow) appendFileSync(file, `  pid ${r.pid} ${r.state} ${r.wait_event_type ?? ''}/${r.wait_event ?? ''} query ${Number(r.secs).toFixed(1)} s tx ${Number(r.xact_secs).toFixed(1)} s: ${r.query}\n`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  })().catch((err: unknown) => appendFileSync(file, `sampling stopped: ${(err as Error).message}\n`));
  return async () => {
    stopped = true;
    await loop;
    await (await storage.catch(() => undefined))?.close();
  };
}

/** The seeds' traffic at 180 agents (per hour). */
const SEEDS = { agents: 180, calls: 3486, emails: 600, chats: 600 };

interface RunResult {
  readonly db: string;
  readonly agents: number;
  readonly seconds: number;
  readonly cpuPct: number;
  readonly rssMB: number;
  readonly peakRssMB: number;
  readonly callToOfferP50: number;
  readonly callToOfferP99: number;
  readonly offerToDesktopP99: number;
  readonly restP99: number;
  readonly restRequests: number;
  readonly rowsPerS: number;
  readonly errors: number;
  readonly errorDetail: string;
  readonly open: number;
  readonly sent: SystemLoadReport['sent'];
  readonly offers: number;
  readonly loopP99: number;
  readonly loopMax: number;
  readonly poolWaitingMax: number;
  /** The machine's 1-minute load average at the end of the window (2 cores, shared). */
  readonly loadAvg: number;
}

function procCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function procRssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** The next IPC message of `child` (rejects when it exits first or after `ms`). */
function nextMessage<T extends { type: string }>(child: ChildProcess, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${what}: the process exited (${code})`));
    };
    child.once('exit', onExit);
    child.once('message', (m: T) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      if (m.type === 'failed') reject(new Error(`${what}: ${(m as unknown as { message: string }).message}`));
      else resolve(m);
    });
  });
}

/**
 * One run; started again (at most twice) when Caruso could not listen on a port found free a moment
 * before (another program on this shared machine took it meanwhile).
 */
async function runOnce(db: 'sqlite' | 'postgres', agentCount: number, seconds: number, pgServer: PostgresServer | undefined): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnceOnPorts(db, agentCount, seconds, pgServer);
    } catch (err) {
      const message = (err as Error).message;
      if (attempt >= 3 || !message.startsWith('Caruso start:') || !message.includes('EADDRINUSE')) throw err;
      log(`system.180: ${agentCount} agents on ${db}: a port was taken meanwhile, starting again (${message.slice(0, 160)})`);
    }
  }
}

async function runOnceOnPorts(db: 'sqlite' | 'postgres', agentCount: number, seconds: number, pgServer: PostgresServer | undefined): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), `caruso-system-${db}-`));
  const dbUrl = db === 'sqlite' ? `sqlite:${join(dir, 'utility.db')}` : await (pgServer as PostgresServer).createDatabase('system');
  const password = randomBytes(12).toString('base64url');
  const token = randomBytes(24).toString('base64url');
  const [sipPort, smtpPort, chatPort] = [await freePort(), await freePort(), await freePort()];
  const runEnv = {
    CARUSO_DB_URL: dbUrl, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: String(sipPort), CARUSO_SMTP_PORT: String(smtpPort), CARUSO_CHAT_PORT: String(chatPort),
    UTILITY_SUPERVISOR_PASSWORD: password, CARUSO_ACCESS_TOKEN: token,
  };
  const agents = systemAgents(agentCount, password);
  const scale = agentCount / SEEDS.agents;
  // Caruso's RTP ports, SIPp's and the phones' (ephemeral, from 32768) kept apart.
  const concurrent = Math.ceil(SEEDS.calls * scale * 1.5 / 60) + 200;
  const start: ServerStart = { type: 'start', root, dir, dbUrl, customers: 500, agents, env: runEnv, rtpPorts: { min: 16000, max: 16000 + 2 * Math.min(8000, concurrent * 2) } };
  const server = fork(serverEntry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...runEnv } });
  server.on('error', () => undefined);
  let load: ChildProcess | undefined;
  let stopSampling: (() => Promise<void>) | undefined;
  try {
    server.send(start);
    const startedAt = Date.now();
    const ready = await nextMessage<{ type: 'ready'; frontOfficeUrl: string; managerUrl: string; customers: SystemLoadOptions['customers'] }>(server, 600_000, 'Caruso start');
    log(`system.180: Caruso (${db}, ${agentCount} agents) started in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
    const talkSeconds = 60;
    const options: SystemLoadOptions = {
      frontOfficeUrl: ready.frontOfficeUrl, managerUrl: ready.managerUrl, accessToken: token, sipPort, smtpPort, chatPort,
      agents, supervisor: { user: 'sanne', password },
      callsPerHour: SEEDS.calls * scale, emailsPerHour: SEEDS.emails * scale, chatsPerHour: SEEDS.chats * scale,
      lines: [{ number: '+31300000000', dtmf: '0', share: 0.4 }, { number: '+31300000000', dtmf: '3', share: 0.2 }, { number: '+31300000003', share: 0.4 }],
      durationSeconds: seconds, drainSeconds: talkSeconds * 1.5 + 60,
      behaviour: { talkSeconds, handleSeconds: 45, wrapUpSeconds: 5, scriptSteps: 3 },
      agentMedia: true, pollers: 12, customers: ready.customers, workDir: dir, sippRtpBase: 4000,
    };
    load = fork(loadEntry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    load.on('error', () => undefined);
    load.send({ type: 'start', options });
    await nextMessage(load, 120_000 + agentCount * 2000, 'load preparation');
    log(`system.180: ${agentCount} agents ready on ${db}`);
    const pid = server.pid as number;
    if (db === 'postgres') stopSampling = samplePostgres(dbUrl, join(dir, 'pg-activity.log'));
    const t0 = Date.now();
    const cpu0 = procCpuTicks(pid);
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(procRssMB(pid)), 1000);
    const reportP = nextMessage<{ type: 'report'; report: SystemLoadReport }>(load, (seconds + options.drainSeconds + 180) * 1000, 'load run');
    load.send({ type: 'go' });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu1 = procCpuTicks(pid);
    const loadAvg = loadavg()[0] ?? NaN;
    const window = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    const rssEnd = procRssMB(pid);
    const { report } = await reportP;
    if (KEEP) writeFileSync(join(dir, 'load-errors.log'), `${JSON.stringify(report.errors)}\n${report.errorSamples.join('\n')}\n`);
    server.send({ type: 'stop', from: t0 });
    const { summary } = await nextMessage<{ type: 'stopped'; summary: ServerSummary }>(server, 120_000, 'Caruso stop');
    // Offer to desktop: the server's offered event to the /ws/agent frame (one clock: the same machine).
    const offeredAt = new Map<string, number>();
    for (const o of summary.offered) offeredAt.set(`${o.contactId}\u0000${o.agentId}`, o.at);
    const toDesktop = report.offers.filter((o) => o.at >= t0).map((o) => o.at - (offeredAt.get(`${o.contactId}\u0000${o.agentId}`) ?? NaN)).filter((x) => Number.isFinite(x));
    const loadErrors = Object.values(report.errors).reduce((a, b) => a + b, 0);
    const errors = loadErrors + report.sipp.failed + summary.errorLines + summary.seqGaps;
    return {
      db, agents: agentCount, seconds: window,
      cpuPct: (100 * (cpu1 - cpu0)) / TICK_HZ / window,
      rssMB: rssEnd, peakRssMB: Math.max(...rss, rssEnd),
      callToOfferP50: quantile(summary.callToOfferMs, 0.5), callToOfferP99: quantile(summary.callToOfferMs, 0.99),
      offerToDesktopP99: quantile(toDesktop, 0.99),
      restP99: quantile(report.restMs, 0.99), restRequests: report.restMs.length,
      rowsPerS: summary.rows / window,
      errors,
      errorDetail: `load ${JSON.stringify(report.errors)}${report.errorSamples.length ? ` e.g. ${firstOfEachKind(report.errorSamples).join('; ')}` : ''}, SIPp failed ${report.sipp.failed}, log errors ${summary.errorLines}${summary.errorSamples.length ? ` e.g. ${summary.errorSamples[0]}` : ''}, seq gaps ${summary.seqGaps}`,
      open: summary.open, sent: report.sent, offers: summary.offered.length, loadAvg,
      loopP99: summary.loopDelayP99Ms, loopMax: summary.loopDelayMaxMs, poolWaitingMax: summary.poolWaitingMax,
    };
  } finally {
    await stopSampling?.();
    for (const c of [load, server]) if (c && c.exitCode === null) c.kill('SIGKILL');
    if (db === 'postgres') await pgServer?.dropDatabase(dbUrl).catch(() => undefined);
    if (KEEP) log(`system.180: the run's folder is kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The first sample of each kind of error (`kind: detail`), shortened. */
function firstOfEachKind(samples: readonly string[]): string[] {
  const seen = new Set<string>();
  return samples.filter((x) => {
    const kind = x.slice(0, x.indexOf(':'));
    if (seen.has(kind)) return false;
    seen.add(kind);
    return true;
  }).map((x) => x.slice(0, 160));
}

const spread = (xs: readonly number[], digits = 1): string => (xs.length > 1 ? `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}` : 'single run');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export default defineBenchmark({
  id: 'system.180',
  title: 'The whole system at 180 agents (examples/utility: SIP calls with RTP, e-mail, chat, desktops, wallboard) and a ramp',
  async run() {
    if (!existsSync(loadEntry)) throw new Error('examples/utility/dist is missing: run `npm run build` first');
    const pg = DBS.includes('postgres') && postgresAvailable() ? await startPostgres() : undefined;
    const dbs = DBS.filter((d) => d === 'sqlite' || pg);
    const results: RunResult[] = [];
    try {
      // Interleaved rounds: SQLite, PostgreSQL, SQLite, …
      for (let r = 0; r < ROUNDS; r++) {
        for (const db of dbs) {
          const res = await runOnce(db, SEEDS.agents, SECONDS, pg);
          log(`system.180 round ${r + 1} ${db}: ${JSON.stringify(res)}`);
          results.push(res);
        }
      }
      const figures: RoundsFigure[] = [];
      for (const db of dbs) {
        const rs = results.filter((x) => x.db === db);
        // A single run is labelled so; rounds report their number and the spread of the figure's own value.
        const push = (f: BenchFigure, values: readonly number[]): void => {
          figures.push(values.length === 1 ? singleRun(f) : { ...f, rounds: values.length, spread: { min: Math.min(...values), max: Math.max(...values) } });
        };
        const m = (f: (x: RunResult) => number): number => median(rs.map(f));
        const label = `${db === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, 180 agents, ${SECONDS} s at the seeds' pace (${rs.length === 1 ? 'single run' : `median of ${rs.length} interleaved rounds`})`;
        const contacts = rs.map((x) => `${x.sent.call}/${x.sent.email}/${x.sent.chat}`).join(', ');
        push({ name: `${label}: CPU of the Caruso process`, value: Number(m((x) => x.cpuPct).toFixed(1)), unit: '% of one core', goal: '≤ 25 %', met: m((x) => x.cpuPct) <= 25, note: `spread ${spread(rs.map((x) => x.cpuPct))}; calls/e-mails/chats per run ${contacts}; shared 2-core machine with SIPp, the load generator and other engineers' test runs beside it (load average ${rs.map((x) => x.loadAvg.toFixed(0)).join(', ')})` }, rs.map((x) => x.cpuPct));
        push({ name: `${label}: RSS of the Caruso process at the end`, value: Math.round(m((x) => x.rssMB)), unit: 'MB', goal: '≤ 400 MB', met: m((x) => x.peakRssMB) <= 400, note: `peak ${Math.round(m((x) => x.peakRssMB))} MB (spread ${spread(rs.map((x) => x.peakRssMB), 0)})` }, rs.map((x) => x.rssMB));
        push({ name: `${label}: call-to-offer p99 (queue entry → offered, event log)`, value: Number(m((x) => x.callToOfferP99).toFixed(1)), unit: 'ms', goal: '≤ 50 ms', met: m((x) => x.callToOfferP99) <= 50, note: `p50 ${m((x) => x.callToOfferP50).toFixed(1)} ms; spread of p99 ${spread(rs.map((x) => x.callToOfferP99))}` }, rs.map((x) => x.callToOfferP99));
        push({ name: `${label}: offer-to-desktop p99 (offered event → /ws/agent frame)`, value: Number(m((x) => x.offerToDesktopP99).toFixed(1)), unit: 'ms', note: `spread ${spread(rs.map((x) => x.offerToDesktopP99))}; ${rs.map((x) => x.offers).join(', ')} offers` }, rs.map((x) => x.offerToDesktopP99));
        push({ name: `${label}: REST p99 (desktops and wallboard pollers)`, value: Number(m((x) => x.restP99).toFixed(1)), unit: 'ms', note: `spread ${spread(rs.map((x) => x.restP99))}; ${rs.map((x) => x.restRequests).join(', ')} requests; Caruso's event-loop delay p99 ${rs.map((x) => x.loopP99.toFixed(0)).join(', ')} ms, max ${rs.map((x) => x.loopMax.toFixed(0)).join(', ')} ms; most requests waiting for a database connection at once ${rs.map((x) => x.poolWaitingMax).join(', ')}` }, rs.map((x) => x.restP99));
        push({ name: `${label}: contact event log rows written`, value: Number(m((x) => x.rowsPerS).toFixed(1)), unit: 'rows/s', note: `spread ${spread(rs.map((x) => x.rowsPerS))}` }, rs.map((x) => x.rowsPerS));
        push({ name: `${label}: errors (load generator, failed SIPp calls, error log lines, seq gaps)`, value: m((x) => x.errors), unit: '', goal: '0', met: rs.every((x) => x.errors === 0), note: `${rs.map((x) => x.errorDetail).join(' | ').slice(0, 600)}; contacts still open at the stop: ${rs.map((x) => x.open).join(', ')}` }, rs.map((x) => x.errors));
      }
      // The ramp: the seeds' load per agent, more agents, SQLite, until call-to-offer p99 passes 200 ms.
      if (RAMP.length) {
        const t0 = Date.now();
        const steps: RunResult[] = [];
        let served = 0;
        let stopReason = 'every step passed';
        for (const n of RAMP) {
          if ((Date.now() - t0) / 1000 > RAMP_BUDGET_S) {
            stopReason = `time budget of ${RAMP_BUDGET_S} s spent before ${n} agents`;
            break;
          }
          let res: RunResult;
          try {
            res = await runOnce('sqlite', n, RAMP_SECONDS, undefined);
          } catch (err) {
            stopReason = `${n} agents: the run failed (${(err as Error).message.slice(0, 200)})`;
            break;
          }
          log(`system.180 ramp ${n}: ${JSON.stringify(res)}`);
          steps.push(res);
          if (!(res.callToOfferP99 <= 200)) {
            stopReason = `${n} agents: call-to-offer p99 ${res.callToOfferP99.toFixed(0)} ms`;
            break;
          }
          served = n;
        }
        figures.push(singleRun({
          name: `ramp (SQLite, the seeds' load per agent, ${RAMP_SECONDS} s per step, single run per step): most agents with call-to-offer p99 ≤ 200 ms`,
          value: served, unit: 'agents', goal: 'report it; aim for 2,000', met: served >= 2000,
          note: `${steps.map((s) => `${s.agents}: p99 ${s.callToOfferP99.toFixed(0)} ms, CPU ${s.cpuPct.toFixed(0)} %, RSS ${Math.round(s.rssMB)} MB, errors ${s.errors}`).join('; ')}; stopped: ${stopReason}`,
        }));
      }
      return figures;
    } finally {
      await pg?.stop();
    }
  },
});
