// The kill -9 loop (issue: the contact core): examples/utility under load — the demo load's chats,
// e-mails and calls with simulated agents busy, and real SIP callers (SIPp) waiting in the moves
// queue — killed with SIGKILL at a random moment, ten times over. Each start must serve within 30 s,
// lose nothing acknowledged, duplicate no contact, turn every waiting SIP call into exactly one
// callback, and leave the database intact. Needs `npx tsc -b` first (the child loads dist/).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { requireOrSkip } from '@caruso/kernel/testing';
import { createStorage, type StorageManager } from '@caruso/storage';
import { freePort, has, killPeers, sipp } from '@caruso/comms/testing';
import { generateDemoData } from '../src/index.js';
import { root, utilityAssemblyOn } from './utility-assembly-setup.js';

jest.setTimeout(300_000);

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const ROUNDS = 10;
const CALLS_PER_ROUND = 3;
// Monday 10:00 in Amsterdam: every queue is open and the demo load brings contacts.
const AT = '2026-12-07T10:00:00+01:00';

interface Row {
  seq: number;
  kind: string;
  contact_id: string | null;
  queue_id: string | null;
  reason: string | null;
  channel: string | null;
  data: string | null;
}

const ended = (r: Row): boolean => (r.kind === 'completed' && r.reason !== 'transferred') || r.kind === 'abandoned' || r.kind === 'exited';

if (requireOrSkip('SIPp', has('sipp'))) {
  describe('examples/utility killed with SIGKILL under load, ten times (SQLite)', () => {
    let dir: string;
    let url: string;
    const children = new Set<ChildProcess>();

    beforeAll(async () => {
      if (!existsSync(join(root, 'dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), 'caruso-crash-loop-'));
      url = `sqlite:${join(dir, 'caruso.db')}`;
      const storage = await createStorage(url);
      try {
        await utilityAssemblyOn(storage, dir, generateDemoData({ customers: 40, seed: 5 }), { CARUSO_DB_URL: url });
      } finally {
        await storage.close();
      }
    }, 60_000);

    afterAll(async () => {
      for (const c of children) c.kill('SIGKILL');
      await killPeers();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Starts the assembly in a child process; resolves with the child and how long it took to serve. */
    async function startChild(sipPort: number): Promise<{ child: ChildProcess; ms: number; exit: Promise<NodeJS.Signals | null> }> {
      const env = {
        ...process.env,
        CARUSO_DB_URL: url,
        PORT: '0',
        CARUSO_MANAGER_PORT: '0',
        SIP_PORT: String(sipPort),
        CARUSO_SMTP_PORT: '0',
        CARUSO_CHAT_PORT: '0',
        CARUSO_LOG_LEVEL: 'error',
        UTILITY_SUPERVISOR_PASSWORD: 'crash-loop-supervisor-0123',
      };
      const t0 = Date.now();
      const child = spawn(process.execPath, [join(fixtures, 'crash-loop-child.mjs'), dir, AT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      const exit = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => {
        children.delete(child);
        resolve(signal);
      }));
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`not serving after 30 s: ${stderr}`)), 30_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('serving ')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exit.then((signal) => {
          clearTimeout(timer);
          reject(new Error(`the child ended (${String(signal)}) before serving: ${stderr}`));
        });
      });
      return { child, ms: Date.now() - t0, exit };
    }

    async function events(): Promise<Row[]> {
      const storage: StorageManager = await createStorage(url);
      try {
        return (await storage.knex('caruso_contact_events').select('seq', 'kind', 'contact_id', 'queue_id', 'reason', 'channel', 'data').orderBy('seq')) as Row[];
      } finally {
        await storage.close();
      }
    }

    it('serves again within 30 s after every kill; nothing acknowledged lost, no contact twice, every waiting SIP call one callback', async () => {
      const serveMs: number[] = [];
      // The SIP calls that were durable (acknowledged) in the queue when their process was killed.
      const waitingAtKill = new Set<string>();
      for (let round = 1; round <= ROUNDS; round++) {
        const sipPort = await freePort();
        const { child, ms, exit } = await startChild(sipPort);
        serveMs.push(ms);
        const before = new Set((await events()).filter((r) => r.kind === 'queue-entered').map((r) => r.contact_id));
        const caller = sipp({
          scenario: 'caller-waits.xml',
          dir,
          placeholders: { WAIT_MS: '60000' },
          port: await freePort(),
          mediaPort: await freePort(),
          remotePort: sipPort,
          args: ['-m', String(CALLS_PER_ROUND), '-l', String(CALLS_PER_ROUND), '-r', '10', '-s', '+31300000003'],
          timeoutMs: 30_000,
        });
        // Until the calls wait in the moves queue, durably (the log is the acknowledgement).
        let sipWaiting: string[] = [];
        for (let i = 0; i < 200 && sipWaiting.length < CALLS_PER_ROUND; i++) {
          await new Promise((r) => setTimeout(r, 100));
          sipWaiting = (await events()).filter((r) => r.kind === 'queue-entered' && r.queue_id === 'moves' && !before.has(r.contact_id) && (r.data ?? '').includes('+31205550')).map((r) => r.contact_id!);
        }
        if (sipWaiting.length < CALLS_PER_ROUND) {
          caller.child.kill('SIGKILL');
          throw new Error(`round ${round}: ${sipWaiting.length} of ${CALLS_PER_ROUND} SIP calls waiting; SIPp: ${(await caller.done).output.slice(-1500)}`);
        }
        for (const id of sipWaiting) waitingAtKill.add(id);
        // Every other round, not before an agent holds a contact of this start (a simulated agent
        // accepts an e-mail or chat 1.5 to 3.5 s after its offer), so that kills also find contacts
        // connected, and not only waiting.
        if (round % 2 === 0) {
          const seen = new Set((await events()).filter((r) => r.kind === 'connected').map((r) => Number(r.seq)));
          let connected = 0;
          for (let i = 0; i < 150 && connected === 0; i++) {
            await new Promise((r) => setTimeout(r, 100));
            connected = (await events()).filter((r) => r.kind === 'connected' && !seen.has(Number(r.seq))).length;
          }
          if (connected === 0) throw new Error(`round ${round}: no agent connected to a contact within 15 s`);
        }
        // A random moment while the demo load runs.
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 2_000)));
        child.kill('SIGKILL');
        expect(await exit).toBe('SIGKILL');
        caller.child.kill('SIGKILL');
        await caller.done;
      }
      // The last start: it serves, then stops by kill as well, and the log is read as it is.
      const last = await startChild(await freePort());
      serveMs.push(last.ms);
      last.child.kill('SIGKILL');
      await last.exit;

      expect(serveMs.every((ms) => ms < 30_000)).toBe(true);
      const rows = await events();
      // Real load at the kills: the demo load's calls, chats and e-mails, agents taking them.
      const channels = new Set(rows.filter((r) => r.kind === 'queue-entered').map((r) => r.channel));
      expect([...channels].sort()).toEqual(expect.arrayContaining(['call', 'callback', 'chat', 'email']));
      expect(rows.filter((r) => r.kind === 'connected').length).toBeGreaterThan(0);
      const byContact = new Map<string, Row[]>();
      for (const r of rows) if (r.contact_id) byContact.set(r.contact_id, [...(byContact.get(r.contact_id) ?? []), r]);
      // No contact twice: one queue-entered and at most one end each.
      expect([...byContact].filter(([, rs]) => rs.filter((r) => r.kind === 'queue-entered').length > 1).map(([id]) => id)).toEqual([]);
      expect([...byContact].filter(([, rs]) => rs.filter(ended).length > 1).map(([id]) => id)).toEqual([]);
      // Every SIP call that waited at a kill: closed once as lost-on-restart, and exactly one callback
      // to the caller's number took its place.
      for (const id of waitingAtKill) {
        const rs = byContact.get(id) ?? [];
        expect({ id, ends: rs.filter(ended).map((r) => `${r.kind}:${r.reason ?? ''}`) }).toEqual({ id, ends: ['exited:lost-on-restart'] });
        const cb = byContact.get(`${id}-cb`) ?? [];
        expect({ id, scheduled: cb.filter((r) => r.kind === 'callback-scheduled').length, entered: cb.filter((r) => r.kind === 'queue-entered').length }).toEqual({ id, scheduled: 1, entered: 1 });
        expect(JSON.parse(cb.find((r) => r.kind === 'queue-entered')!.data ?? '{}')).toMatchObject({ data: { callbackNumber: expect.stringMatching(/^\+31205550\d+$/) } });
      }
      expect(waitingAtKill.size).toBe(ROUNDS * CALLS_PER_ROUND);
      // Sequence numbers without gaps or repeats, and the database intact.
      expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
      const storage = await createStorage(url);
      try {
        const check = (await storage.knex.raw('PRAGMA integrity_check')) as Array<{ integrity_check: string }>;
        expect(check.map((c) => c.integrity_check)).toEqual(['ok']);
      } finally {
        await storage.close();
      }
    });
  });
}
