// Caruso in a process of its own for the whole-system benchmark (forked by system.bench.ts with an IPC
// channel, so that its CPU time and memory are its own): `{type:'start', …}` → the demo data loaded,
// examples/utility's assembly with N agents started → `{type:'ready', …}`; `{type:'stop', from}` →
// the contact event log read and summed up, everything stopped → `{type:'stopped', summary}`, exit.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createLogger } from '@caruso/kernel';
import { ContactEventLog, foldContacts, type ContactEvent } from '@caruso/comms';
import { FrontOfficeStore } from '@caruso/frontoffice';
import { createStorage, StorageManager } from '@caruso/storage';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { loadCustomers, systemAssembly, type SystemAgent } from './system-assembly.js';

/** What the benchmark sends to start the server. */
export interface ServerStart {
  readonly type: 'start';
  readonly root: string;
  readonly dir: string;
  readonly dbUrl: string;
  readonly customers: number;
  readonly agents: readonly SystemAgent[];
  readonly env: Readonly<Record<string, string>>;
  readonly rtpPorts: { readonly min: number; readonly max: number };
}

/** What the server found in its contact event log at the end of a run. */
export interface ServerSummary {
  /** Events appended from `from` (ms) until the stop. */
  readonly rows: number;
  readonly lastSeq: number;
  /** Positions where seq does not follow its predecessor. */
  readonly seqGaps: number;
  /** Queue entry to first offer of each call, ms. */
  readonly callToOfferMs: number[];
  /** Every offer: contact, agent, server time. */
  readonly offered: Array<{ contactId: string; agentId: string; at: number }>;
  /** Contacts not ended (still queued, ringing, connected or in wrap-up) when the server stopped. */
  readonly open: number;
  readonly contacts: number;
  /** Log lines at error level or worse. */
  readonly errorLines: number;
  /** The first of them: service, message and error message or code (no other field). */
  readonly errorSamples: string[];
  /** The event loop's delay over the run (from the start to the stop), p99 and max, ms. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** The most requests that waited at once for a database connection (pool of the storage manager), seen once a second. */
  readonly poolWaitingMax: number;
}

type Message = ServerStart | { readonly type: 'stop'; readonly from: number };

let running: RunningAssembly | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let poolWaitingMax = 0;

/** The front office's user table (its migration 0001); the benchmark writes its agents' rows there. */
const USERS_TABLE = 'caruso_fo_users';

/**
 * The run's agents as front-office users, made before the start in one go: the first through the
 * front office itself (its scrypt hash, parameters unchanged), the others with that same hash (they
 * share the run's one password), written in batches. The start then finds them there and leaves
 * them as they are, instead of hashing one password per agent (≈ 1 s each on a busy machine: 446 s
 * at 360 agents). Only the benchmark's users: the product hashes every password it is given.
 */
async function createAgentUsers(storage: StorageManager, agents: readonly SystemAgent[]): Promise<void> {
  const [first, ...rest] = agents;
  if (!first) return;
  const store = new FrontOfficeStore(storage);
  await store.migrate();
  await store.addUser({ name: first.user, role: 'agent', agentId: first.agentId }, first.password);
  const row = (await storage.knex(USERS_TABLE).where({ name: first.user }).first('password_hash', 'created_at')) as { password_hash: string; created_at: string } | undefined;
  if (!row) throw new Error(`the user ${first.user} was not written`);
  for (const a of rest) if (a.password !== first.password) throw new Error('the benchmark\'s agents share one password');
  for (let i = 0; i < rest.length; i += 200) {
    await storage.knex(USERS_TABLE).insert(rest.slice(i, i + 200).map((a) => ({ name: a.user, role: 'agent', agent_id: a.agentId, password_hash: row.password_hash, created_at: row.created_at })));
  }
}
let logFile = '';

async function start(m: ServerStart): Promise<void> {
  const storage = await createStorage(m.dbUrl);
  try {
    const { assembly, data } = await systemAssembly({ root: m.root, dir: m.dir, storage, customers: m.customers, env: m.env, agents: m.agents, rtpPorts: m.rtpPorts });
    await createAgentUsers(storage, m.agents);
    logFile = join(m.dir, 'server.log');
    writeFileSync(logFile, '');
    // Written synchronously: the summary counts the error lines right after the stop.
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => appendFileSync(logFile, line) });
    running = await startAssembly(assembly, { env: m.env, logger });
    sampleHealth(running, join(m.dir, 'server-samples.log'));
    loopDelay.enable();
    process.send?.({ type: 'ready', frontOfficeUrl: running.frontOfficeUrl, managerUrl: running.managerUrl, customers: loadCustomers(data) });
  } finally {
    await storage.close();
  }
}

/**
 * Writes, every second, the event loop's delay (p99 and max over the second) and the database pool's
 * connections in use, free and waited for, into `file` (the run's folder): what a slow REST answer
 * waited on.
 */
function sampleHealth(r: RunningAssembly, file: string): void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  type Pool = { numUsed(): number; numFree(): number; numPendingAcquires(): number; numPendingCreates(): number };
  const pool = (r.manager.get(StorageManager).knex.client as { pool?: Pool }).pool;
  const timer = setInterval(() => {
    poolWaitingMax = Math.max(poolWaitingMax, pool?.numPendingAcquires() ?? 0);
    const p = pool ? ` pool used ${pool.numUsed()} free ${pool.numFree()} waiting ${pool.numPendingAcquires()} creating ${pool.numPendingCreates()}` : '';
    appendFileSync(file, `${new Date().toISOString()} loop p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms max ${(delay.max / 1e6).toFixed(0)} ms${p}\n`);
    delay.reset();
  }, 1000);
  timer.unref();
}

async function stop(from: number): Promise<ServerSummary> {
  const r = running as RunningAssembly;
  const log = r.manager.get(ContactEventLog);
  await log.flush();
  const events: ContactEvent[] = [];
  for (;;) {
    const page = await log.read({ afterSeq: events.at(-1)?.seq ?? 0, limit: 10_000 });
    if (page.length === 0) break;
    events.push(...page);
  }
  await r.stop();
  let seqGaps = 0;
  events.forEach((e, i) => {
    if (i > 0 && e.seq !== (events[i - 1] as ContactEvent).seq + 1) seqGaps++;
  });
  const entered = new Map<string, number>();
  const callToOfferMs: number[] = [];
  const offered: ServerSummary['offered'] = [];
  for (const e of events) {
    if (e.at < from) continue;
    if (e.kind === 'queue-entered' && e.channel === 'call' && !entered.has(e.contactId)) entered.set(e.contactId, e.at);
    if (e.kind === 'offered') {
      offered.push({ contactId: e.contactId, agentId: e.agentId, at: e.at });
      const t = entered.get(e.contactId);
      if (t !== undefined) {
        callToOfferMs.push(e.at - t);
        entered.delete(e.contactId);
      }
    }
  }
  const lives = [...foldContacts(events).values()];
  type LogLine = { level: number; svc?: string; msg?: string; err?: { code?: string; message?: string } };
  const errors = readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine).filter((l) => l.level >= 50);
  const errorSamples = errors.slice(0, 5).map((l) => `${l.svc ?? ''}: ${l.msg ?? ''} ${l.err?.code ?? ''} ${(l.err?.message ?? '').slice(0, 160)}`.trim());
  return {
    rows: events.filter((e) => e.at >= from).length,
    lastSeq: events.at(-1)?.seq ?? 0,
    seqGaps,
    callToOfferMs,
    offered,
    open: lives.filter((c) => c.status !== 'ended').length,
    contacts: lives.length,
    errorLines: errors.length,
    errorSamples,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
    poolWaitingMax,
  };
}

process.on('message', (m: Message) => {
  const work = m.type === 'start' ? start(m) : stop(m.from).then((summary) => new Promise<void>((resolve) => process.send?.({ type: 'stopped', summary }, undefined, undefined, () => resolve())));
  work.then(
    () => {
      if (m.type === 'stop') process.exit(0);
    },
    (err: unknown) => {
      process.send?.({ type: 'failed', message: (err as Error).stack ?? String(err) }, undefined, undefined, () => process.exit(1));
    },
  );
});
process.on('disconnect', () => process.exit(3));
