// Caruso in a process of its own for the whole-system benchmark (forked by system.bench.ts with an IPC
// channel, so that its CPU time and memory are its own): `{type:'start', …}` → the demo data loaded,
// examples/utility's assembly with N agents started → `{type:'ready', …}`; `{type:'stop', from}` →
// the contact event log read and summed up, everything stopped → `{type:'stopped', summary}`, exit.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@caruso/kernel';
import { ContactEventLog, foldContacts, type ContactEvent } from '@caruso/comms';
import { createStorage } from '@caruso/storage';
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
}

type Message = ServerStart | { readonly type: 'stop'; readonly from: number };

let running: RunningAssembly | undefined;
let logFile = '';

async function start(m: ServerStart): Promise<void> {
  const storage = await createStorage(m.dbUrl);
  try {
    const { assembly, data } = await systemAssembly({ root: m.root, dir: m.dir, storage, customers: m.customers, env: m.env, agents: m.agents, rtpPorts: m.rtpPorts });
    logFile = join(m.dir, 'server.log');
    writeFileSync(logFile, '');
    // Written synchronously: the summary counts the error lines right after the stop.
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => appendFileSync(logFile, line) });
    running = await startAssembly(assembly, { env: m.env, logger });
    process.send?.({ type: 'ready', frontOfficeUrl: running.frontOfficeUrl, managerUrl: running.managerUrl, customers: loadCustomers(data) });
  } finally {
    await storage.close();
  }
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
