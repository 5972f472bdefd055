import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { CommunicationServer, ContactEventLog, INTERACTIONS_TABLE, commsService, contactEventLogService, foldContacts, type ContactEvent } from '@caruso/comms';

const here = dirname(fileURLToPath(import.meta.url));

describe('crash and restart (a real child process killed with SIGKILL mid-traffic)', () => {
  it('every acknowledged e-mail is back in its queue, every waiting call became one callback in its place, and a second start writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-crash-'));
    const url = `sqlite:${join(dir, 'crm.db')}`;
    try {
      const child = spawn(process.execPath, [join(here, 'fixtures', 'crash-child.mjs'), url], { stdio: ['ignore', 'pipe', 'pipe'] });
      const acked: string[] = [];
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const killed = new Promise<void>((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`child made no progress: ${stderr.slice(0, 500)}`));
        }, 15_000);
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) if (l.startsWith('ack ')) acked.push(l.slice(4));
          if (acked.length >= 300 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        child.on('exit', (_code, signal) => {
          clearTimeout(timer);
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(`child exited by itself: ${stderr.slice(0, 500)}`));
        });
      });
      await killed;
      expect(acked.length).toBeGreaterThanOrEqual(300);

      const restart = async (): Promise<{ waiting: string[]; events: ContactEvent[] }> => {
        const services = createServiceManager();
        services.register(StorageManager, storageService(url));
        services.register(CommunicationServer, commsService({ queues: [{ id: 'support' }] }));
        await services.start();
        try {
          const waiting = services.get(CommunicationServer).waiting('support').map((c) => c.id);
          const rows = (await services.get(StorageManager).knex('caruso_contact_events').select('*').orderBy('seq')) as Array<{ kind: string; contact_id: string | null; reason: string | null }>;
          return { waiting, events: rows.map((r) => ({ kind: r.kind, contactId: r.contact_id ?? undefined, reason: r.reason ?? undefined }) as unknown as ContactEvent) };
        } finally {
          await services.stop();
        }
      };
      const { waiting, events } = await restart();
      const isCall = (id: string): boolean => Number.parseInt(id.slice(5), 10) % 2 === 1;
      // Nothing acknowledged is lost: an e-mail is back as itself, a call as its callback (a contact
      // written but not yet acknowledged may be there too).
      expect(acked.filter((id) => !waiting.includes(isCall(id) ? `${id}-cb` : id))).toEqual([]);
      // No call waits on a line that died with the process.
      expect(waiting.filter((id) => !id.endsWith('-cb') && isCall(id))).toEqual([]);
      // Each waiting call was closed exactly once and has exactly one callback.
      const lost = events.filter((e) => e.kind === 'exited' && e.reason === 'lost-on-restart').map((e) => e.contactId!);
      expect(new Set(lost).size).toBe(lost.length);
      expect(lost.filter((id) => !isCall(id))).toEqual([]);
      const callbacks = events.filter((e) => e.kind === 'callback-scheduled').map((e) => e.contactId!);
      expect(callbacks.sort()).toEqual(lost.map((id) => `${id}-cb`).sort());
      // In their order: priority first, then the order they entered (a callback keeps its call's place).
      const rank = (id: string) => Number.parseInt(id.slice(5), 10);
      const expected = [...waiting].sort((a, b) => (rank(b) % 3) - (rank(a) % 3) || rank(a) - rank(b));
      expect(waiting).toEqual(expected);
      // A second start (and a third) finds nothing to change: the same line, no event written twice.
      const again = await restart();
      expect(again.waiting).toEqual(waiting);
      expect(again.events.length).toBe(events.length);
      const third = await restart();
      expect(third.events.length).toBe(events.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

describe('crash and restart under load from the simulated telephone network (LoadGenerator, child killed with SIGKILL)', () => {
  it('every call the load generator sent and the server acknowledged is ended in the log or closed as lost-on-restart, waiting callers with a number get a callback in their place; each ended one has its interaction record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-crash-load-'));
    const url = `sqlite:${join(dir, 'crm.db')}`;
    try {
      const child = spawn(process.execPath, [join(here, 'fixtures', 'crash-load-child.mjs'), url], { stdio: ['ignore', 'pipe', 'pipe'] });
      // Only whole rounds count: the lines up to the last `flushed` marker.
      const sent: string[] = [];
      const acked = new Set<string>();
      let rounds = 0;
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve, reject) => {
        let buf = '';
        let round: string[] = [];
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`child made no progress: ${stderr.slice(0, 500)}`));
        }, 20_000);
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) {
            if (l.startsWith('flushed ')) {
              rounds++;
              for (const r of round) {
                if (r.startsWith('sent ')) sent.push(r.slice(5));
                else if (r.startsWith('ack ')) acked.add(r.slice(4));
              }
              round = [];
            } else round.push(l);
          }
          // Mid-traffic: agents busy, a queue, callers giving up.
          if (acked.size >= 400 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        child.on('exit', (_code, signal) => {
          clearTimeout(timer);
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(`child exited by itself: ${stderr.slice(0, 500)}`));
        });
      });
      expect(acked.size).toBeGreaterThanOrEqual(400);
      // Hundreds of virtual seconds of traffic before the kill (one round is one second).
      expect(rounds).toBeGreaterThan(200);
      // The child acknowledges every call of a round once the round is flushed.
      expect(sent.filter((id) => !acked.has(id))).toEqual([]);

      const services = createServiceManager();
      services.register(StorageManager, storageService(url));
      services.register(ContactEventLog, contactEventLogService());
      const agents = Array.from({ length: 8 }, (_, i) => ({ id: `agent-${i + 1}`, queues: [{ queueId: 'support' }] }));
      services.register(CommunicationServer, commsService({ queues: [{ id: 'support', maxWaitMs: 24 * 3_600_000 }], agents }));
      await services.start();
      try {
        const comms = services.get(CommunicationServer);
        const log = services.get(ContactEventLog);
        const events: ContactEvent[] = [];
        for (let after = 0; ; ) {
          const page = await log.read({ afterSeq: after, limit: 5_000 });
          if (page.length === 0) break;
          events.push(...page);
          after = page[page.length - 1]!.seq;
        }
        const entered = new Set(events.filter((e) => e.kind === 'queue-entered' && e.channel === 'call').map((e) => e.contactId!));
        const ended = new Map<string, string>();
        for (const e of events) {
          if (e.contactId === undefined) continue;
          if ((e.kind === 'completed' && e.reason !== 'transferred') || e.kind === 'abandoned' || e.kind === 'exited') ended.set(e.contactId, e.kind === 'completed' ? `completed:${e.reason}` : e.kind);
        }
        const waiting = comms.waiting('support');
        const waitingIds = new Set(waiting.map((c) => c.id));
        // Nothing acknowledged is lost: each is in the log, and ended or waiting again.
        expect([...acked].filter((id) => !entered.has(id))).toEqual([]);
        expect([...acked].filter((id) => !ended.has(id) && !waitingIds.has(id))).toEqual([]);
        // Nothing appears that the load generator did not send (a call of the round cut by the kill at most).
        const extra = [...entered].filter((id) => !acked.has(id));
        expect(extra.length).toBeLessThanOrEqual(20);
        // Real traffic at the crash: calls handled, abandoned, still talking (closed by the restart) and waiting.
        const outcomes = [...ended.values()];
        expect(outcomes.filter((o) => o === 'completed:caller').length).toBeGreaterThan(20);
        expect(outcomes.filter((o) => o === 'abandoned').length).toBeGreaterThan(5);
        expect(outcomes.filter((o) => o === 'completed:lost-on-restart').length).toBeGreaterThan(0);
        // The calls waiting at the crash lost their lines: each closed once; a caller with a number
        // has exactly one callback in the call's place, an anonymous one none.
        const lost = events.filter((e) => e.kind === 'exited' && e.reason === 'lost-on-restart').map((e) => e.contactId!);
        expect(lost.length).toBeGreaterThan(5);
        expect(new Set(lost).size).toBe(lost.length);
        const callerOf = new Map(events.flatMap((e) => (e.kind === 'queue-entered' && e.contactId !== undefined ? [[e.contactId, JSON.stringify(e.data ?? {})] as const] : [])));
        const withNumber = lost.filter((id) => callerOf.get(id)?.includes('+3120'));
        expect(withNumber.length).toBeGreaterThan(0);
        expect(withNumber.length).toBeLessThan(lost.length);
        expect(waiting.map((c) => c.id).sort()).toEqual(withNumber.map((id) => `${id}-cb`).sort());
        expect(waiting.every((c) => c.channel === 'callback')).toBe(true);
        // Back in their order: the order they entered.
        expect(waiting.map((c) => c.enteredAt)).toEqual([...waiting.map((c) => c.enteredAt)].sort((a, b) => a - b));
        // Every ended call is in the customer history table, those closed by the restart included
        // (interactions() resolves once the rows of every contact ended so far are written).
        await comms.interactions({ limit: 1 });
        const rows = (await services.get(StorageManager).knex(INTERACTIONS_TABLE).select('contact_id', 'outcome')) as Array<{ contact_id: string; outcome: string }>;
        const recorded = new Set(rows.map((r) => r.contact_id));
        expect([...ended.keys()].filter((id) => entered.has(id) && !recorded.has(id))).toEqual([]);
        // Closed by the restart: those talking (completed) and those waiting (exited), each once.
        expect(rows.filter((r) => r.outcome === 'lost-on-restart').length).toBe(outcomes.filter((o) => o === 'completed:lost-on-restart').length + lost.length);
      } finally {
        await services.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('restart with an offer ringing', () => {
  it('ends the ringing offer in the log once, so the contact is waiting again in the fold, and a second start writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-crash-ringing-'));
    const url = `sqlite:${join(dir, 'crm.db')}`;
    const start = async () => {
      const services = createServiceManager();
      services.register(StorageManager, storageService(url));
      services.register(ContactEventLog, contactEventLogService());
      services.register(CommunicationServer, commsService({ queues: [{ id: 'support', ringTimeoutMs: 600_000 }], agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }] }));
      await services.start();
      return services;
    };
    const rows = async (services: Awaited<ReturnType<typeof start>>) =>
      (await services.get(StorageManager).knex('caruso_contact_events').where({ contact_id: 'm1' }).orderBy('seq')).map((r: { kind: string; reason: string | null }) => `${r.kind}:${r.reason ?? ''}`);
    try {
      const first = await start();
      await first.get(CommunicationServer).login('anna');
      await first.get(CommunicationServer).enqueue({ id: 'm1', channel: 'email', queueId: 'support' });
      expect(first.get(CommunicationServer).pendingOffers('anna').map((o) => o.contactId)).toEqual(['m1']);
      // A stop writes nothing for the offer: the log ends with it ringing, as after a kill.
      await first.stop();
      const second = await start();
      expect(await rows(second)).toEqual(['queue-entered:', 'offered:', 'rejected:lost-on-restart']);
      expect(foldContacts(await second.get(ContactEventLog).read({ contactId: 'm1' })).get('m1')?.status).toBe('queued');
      expect(second.get(CommunicationServer).waiting('support').map((c) => c.id)).toEqual(['m1']);
      await second.stop();
      const third = await start();
      expect(await rows(third)).toEqual(['queue-entered:', 'offered:', 'rejected:lost-on-restart']);
      await third.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
