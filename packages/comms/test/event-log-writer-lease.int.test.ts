import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forEachDatabase } from '@caruso/storage/testing';
import { type ContactEvent } from '@caruso/comms';
import { StorageContactEventLog } from '@caruso/comms/testing';
import type { StorageManager } from '@caruso/storage';

// The repository's root: a child's bare imports (@caruso/comms) resolve from its working directory,
// through the workspace links to the built packages.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const LEASE_TABLE = 'caruso_comms_writer_lease';

// A second process on the same database. `try`: open the log, write one event and close, printing
// what happened as JSON. `hold`: open the log, write three events, print `held <lastSeq>` and wait.
const CHILD = `
import { createStorage } from '@caruso/storage';
import { StorageContactEventLog } from '@caruso/comms/testing';
const storage = await createStorage(process.env.LEASE_URL);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
try {
  const log = await StorageContactEventLog.open(storage);
  if (process.env.LEASE_MODE === 'hold') {
    for (let i = 0; i < 3; i++) log.append({ kind: 'agent-logged-in', at: i, agentId: 'child' });
    await log.flush();
    say({ held: log.lastSeq, pid: process.pid });
    setInterval(() => undefined, 60_000);
  } else {
    const e = log.append({ kind: 'agent-logged-in', at: 1, agentId: 'child' });
    await log.flush();
    await log.close();
    await storage.close();
    say({ opened: true, seq: e.seq });
  }
} catch (err) {
  await storage.close();
  say({ code: err.code, message: err.message });
}
`;

interface ChildSaid {
  readonly opened?: boolean;
  readonly seq?: number;
  readonly held?: number;
  readonly pid?: number;
  readonly code?: string;
  readonly message?: string;
}

/** Starts the child; resolves with the first JSON line it prints (at most 20 s). */
function child(url: string, mode: 'try' | 'hold'): { proc: ChildProcess; said: Promise<ChildSaid>; exited: Promise<void> } {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: root,
    env: { ...process.env, LEASE_URL: url, LEASE_MODE: mode, CARUSO_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.on('error', () => undefined);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const said = new Promise<ChildSaid>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the child said nothing in 20 s: ${stderr.slice(0, 800)}`));
    }, 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined || !out.includes('\n')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as ChildSaid);
    });
    proc.once('exit', () => {
      clearTimeout(timer);
      if (!out.includes('{')) reject(new Error(`the child exited without a word: ${stderr.slice(0, 800)}`));
    });
  });
  return { proc, said, exited };
}

async function readAll(storage: StorageManager): Promise<Array<{ seq: number; agent: string | null }>> {
  const rows = (await storage.knex('caruso_contact_events').select('seq', 'agent_id').orderBy('seq')) as Array<{ seq: number | string; agent_id: string | null }>;
  return rows.map((r) => ({ seq: Number(r.seq), agent: r.agent_id }));
}

/** Polls `pred` every 20 ms, at most `ms`. */
async function until(pred: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('StorageContactEventLog: one writer per database', () => {
  forEachDatabase((db) => {
    it('refuses a second process while the first writes, naming the host and pid of the holder; the first keeps writing', async () => {
      const storage = await db.open();
      const log = await StorageContactEventLog.open(storage);
      log.append({ kind: 'agent-logged-in', at: 1, agentId: 'first' });
      await log.flush();

      const second = child(db.url, 'try');
      const said = await second.said;
      await second.exited;
      expect(said.code).toBe('CARUSO_COMMS_DATABASE_IN_USE');
      expect(said.message).toContain(`host ${hostname()}, pid ${process.pid}`);

      // The first process goes on writing, numbered without a gap, and nothing of the second is stored.
      for (let i = 0; i < 5; i++) {
        log.append({ kind: 'agent-state-changed', at: 2 + i, agentId: 'first', state: 'ready', fromState: 'paused' });
        await log.flush();
      }
      expect(log.health()).toEqual({ status: 'ok' });
      const rows = await readAll(storage);
      expect(rows.map((r) => r.agent)).toEqual(Array(6).fill('first'));
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);

      // Closed, the lease is given back: another process may now write, after the last event.
      await log.close();
      expect(Number(((await storage.knex(LEASE_TABLE).count({ n: '*' }).first()) as { n: number | string }).n)).toBe(0);
      const third = child(db.url, 'try');
      expect(await third.said).toEqual({ opened: true, seq: 7 });
      await third.exited;
      await storage.knex('caruso_contact_events').delete();
    }, 60_000);

    it('takes the lease over at once from a process of this host that died (kill -9), and numbers after its events', async () => {
      const holder = child(db.url, 'hold');
      const said = await holder.said;
      expect(said.held).toBe(3);
      try {
        await expect(StorageContactEventLog.open(db.storage)).rejects.toMatchObject({
          code: 'CARUSO_COMMS_DATABASE_IN_USE',
          message: expect.stringContaining(`pid ${said.pid}`),
        });
      } finally {
        holder.proc.kill('SIGKILL');
        await holder.exited;
      }
      const log = await StorageContactEventLog.open(db.storage);
      expect(log.lastSeq).toBe(3);
      const e = log.append({ kind: 'agent-logged-in', at: 9, agentId: 'after' });
      await log.flush();
      expect(e.seq).toBe(4);
      expect((await readAll(db.storage)).map((r) => r.agent)).toEqual(['child', 'child', 'child', 'after']);
      await log.close();
      await db.storage.knex('caruso_contact_events').delete();
    }, 60_000);

    it('refuses while the lease of another host is fresh, and takes it over once its heartbeat is stale', async () => {
      const now = Date.now();
      await db.storage.knex(LEASE_TABLE).insert({ name: 'contact-events', lease_id: 'elsewhere', host: 'pbx-2.example', pid: 4242, started_at: now - 60_000, heartbeat_at: now });
      await expect(StorageContactEventLog.open(db.storage, { staleMs: 2_000 })).rejects.toMatchObject({
        code: 'CARUSO_COMMS_DATABASE_IN_USE',
        message: expect.stringMatching(/host pbx-2\.example, pid 4242, since .*, last heartbeat 0 s ago.* 2 s after it stopped/),
      });
      await db.storage.knex(LEASE_TABLE).update({ heartbeat_at: now - 5_000 });
      const log = await StorageContactEventLog.open(db.storage, { staleMs: 2_000 });
      expect(await db.storage.knex(LEASE_TABLE).first()).toMatchObject({ host: hostname(), pid: process.pid });
      await log.close();
    });

    it('a log that lost its lease writes nothing and reports down; once the lease is free it takes it again and writes its events renumbered, none lost', async () => {
      const log = await StorageContactEventLog.open(db.storage, { heartbeatMs: 30 });
      const start = log.lastSeq;
      log.append({ kind: 'agent-logged-in', at: 1, agentId: 'mine' });
      await log.flush();
      // Another host takes the lease over (as if this process had been paused past the stale time)
      // and writes the next numbers.
      await db.storage.knex(LEASE_TABLE).update({ lease_id: 'other', host: 'pbx-2.example', pid: 4242, heartbeat_at: Date.now() + 3_600_000 });
      await db.storage.knex('caruso_contact_events').insert([
        { seq: start + 2, at: 2, kind: 'agent-logged-in', agent_id: 'other' },
        { seq: start + 3, at: 3, kind: 'agent-logged-in', agent_id: 'other' },
      ]);
      await until(() => log.health().status === 'down');
      expect(log.health().detail).toContain('lost the writer lease to host pbx-2.example, pid 4242');
      const a = log.append({ kind: 'agent-logged-out', at: 4, agentId: 'mine' });
      const b = log.append({ kind: 'agent-logged-in', at: 5, agentId: 'mine' });
      expect([a.seq, b.seq]).toEqual([start + 2, start + 3]);
      await expect(log.flush()).rejects.toMatchObject({ code: 'CARUSO_COMMS_EVENT_LOG_FAILED', cause: { code: 'CARUSO_COMMS_DATABASE_IN_USE' } });
      expect(log.pending).toBe(2);
      expect((await readAll(db.storage)).map((r) => r.agent)).toEqual(['mine', 'other', 'other']);

      // The other process stops and gives the lease back: the heartbeat takes it again and writes.
      await db.storage.knex(LEASE_TABLE).delete();
      await until(() => log.pending === 0 && log.health().status === 'ok');
      expect([a.seq, b.seq]).toEqual([start + 4, start + 5]);
      expect(log.lastSeq).toBe(start + 5);
      expect(log.renumbered).toBe(2);
      const back = await log.read({ afterSeq: start });
      expect(back.map((e: ContactEvent) => `${e.seq}:${e.agentId}`)).toEqual([1, 2, 3, 4, 5].map((i, k) => `${start + i}:${k === 0 || k > 2 ? 'mine' : 'other'}`));
      expect(await db.storage.knex(LEASE_TABLE).first()).toMatchObject({ host: hostname(), pid: process.pid });
      await log.close();
      await db.storage.knex('caruso_contact_events').delete();
    });

    it('after taking its lease back with nothing buffered, the log numbers its next event after those the other process wrote', async () => {
      const log = await StorageContactEventLog.open(db.storage, { heartbeatMs: 30 });
      log.append({ kind: 'agent-logged-in', at: 1, agentId: 'mine' });
      await log.flush();
      const start = log.lastSeq;
      await db.storage.knex(LEASE_TABLE).update({ lease_id: 'other', host: 'pbx-2.example', pid: 4242, heartbeat_at: Date.now() + 3_600_000 });
      await until(() => log.health().status === 'down');
      await db.storage.knex('caruso_contact_events').insert([1, 2, 3].map((i) => ({ seq: start + i, at: i, kind: 'agent-logged-in', agent_id: 'other' })));
      await db.storage.knex(LEASE_TABLE).delete();
      await until(() => log.lastSeq === start + 3 && log.health().status === 'ok');
      const e = log.append({ kind: 'agent-logged-out', at: 9, agentId: 'mine' });
      await log.flush();
      expect(e.seq).toBe(start + 4);
      expect(log.renumbered).toBe(0);
      await log.close();
      await db.storage.knex('caruso_contact_events').delete();
    });

    it('two logs of one process on one database both keep writing: a taken number is renumbered, not an error on every append', async () => {
      // The regression: a log numbered from a max(seq) read once failed on every append after
      // another writer had appended to the same table.
      const first = await StorageContactEventLog.open(await db.open());
      const second = await StorageContactEventLog.open(await db.open());
      const mine = new Map<StorageContactEventLog, ContactEvent[]>([[first, []], [second, []]]);
      for (let round = 0; round < 20; round++) {
        for (const log of [second, first]) {
          for (let i = 0; i < 3; i++) mine.get(log)!.push(log.append({ kind: 'agent-logged-in', at: round, agentId: log === first ? 'first' : 'second' }));
          await log.flush();
        }
      }
      expect(first.health()).toEqual({ status: 'ok' });
      expect(second.health()).toEqual({ status: 'ok' });
      expect(first.renumbered + second.renumbered).toBeGreaterThan(0);
      const rows = await readAll(db.storage);
      expect(rows).toHaveLength(120);
      // Every event as returned by append (renumbered in place) is the stored one.
      const stored = new Map(rows.map((r) => [r.seq, r.agent]));
      for (const [log, events] of mine) for (const e of events) expect(stored.get(e.seq)).toBe(log === first ? 'first' : 'second');
      first.dispose();
      second.dispose();
      await db.storage.knex('caruso_contact_events').delete();
    });
  });
});
