// The whole system under load, CI-sized (60 s, 20 agents, SQLite): examples/utility's assembly with
// 20 agents, each a person at the desktop (REST, /ws/agent, /ws/chat) with a SIP phone registered on
// Caruso's registrar; SIPp callers through the telephone menu and the moves desk's direct line (SIP
// with RTP), e-mails over SMTP, chats over WebSocket, the wallboard socket and REST pollers — the load
// generator in a process of its own (examples/utility/src/system-load). A test of correctness under
// load, not of timing: every contact that came in ended and was wrapped up, none is stuck in a queue,
// ringing or connected, no agent is left with a contact, the event log has no gap, the log no error.
// Needs `npx tsc -b` first (dist/ is loaded) and SIPp with its DTMF captures.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import { createLogger } from '@caruso/kernel';
import { requireOrSkip } from '@caruso/kernel/testing';
import { CommunicationServer, ContactEventLog, foldContacts, type ContactEvent } from '@caruso/comms';
import { freePort, has } from '@caruso/comms/testing';
import { createStorage, type StorageManager } from '@caruso/storage';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { loadCustomers, systemAgents, systemAssembly } from '../benchmarks/system-assembly.js';
import type { SystemLoadOptions } from '../src/system-load/system-load.js';
import type { SystemLoadReport } from '../src/system-load/load-stats.js';
import { root } from './utility-assembly-setup.js';

// Start-up (20 users and log-ins hashed with scrypt) is slow on a busy machine: up to 4 minutes seen.
jest.setTimeout(480_000);

const AGENTS = 20;
const SECONDS = 60;
const PASSWORD = randomBytes(12).toString('base64url');
const TOKEN = randomBytes(24).toString('base64url');
const tools = has('sipp') && has('sox', ['--version']) && has('espeak-ng', ['--version']) && existsSync('/usr/share/sip-tester/dtmf_2833_0.pcap');

type LoadMessage = { type: 'ready' } | { type: 'report'; report: SystemLoadReport } | { type: 'failed'; message: string };

if (requireOrSkip('SIPp (with its DTMF captures), sox and espeak-ng', tools)) {
  describe('examples/utility under a whole-system load (20 agents, 60 s, SQLite)', () => {
    let dir: string;
    let storage: StorageManager;
    let running: RunningAssembly | undefined;
    let report: SystemLoadReport;
    const logLines: string[] = [];
    const agents = systemAgents(AGENTS, PASSWORD);

    beforeAll(async () => {
      if (!existsSync(join(root, 'dist/system-load/system-load-main.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), 'caruso-system-smoke-'));
      const url = `sqlite:${join(dir, 'utility.db')}`;
      storage = await createStorage(url);
      const [sipPort, smtpPort, chatPort] = [await freePort(), await freePort(), await freePort()];
      const env = {
        CARUSO_DB_URL: url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: String(sipPort), CARUSO_SMTP_PORT: String(smtpPort), CARUSO_CHAT_PORT: String(chatPort),
        UTILITY_SUPERVISOR_PASSWORD: PASSWORD, CARUSO_ACCESS_TOKEN: TOKEN,
      };
      // Port ranges apart from each other and below the ephemeral ports the agents' phones get.
      const rtpBase = 20000 + 2 * Math.floor(Math.random() * 2500);
      const carusoRtp = { min: rtpBase, max: rtpBase + 998 };
      const { assembly, data } = await systemAssembly({ root, dir, storage, customers: 150, env, agents, rtpPorts: carusoRtp });
      // Warnings and errors of every service, kept for the last check.
      const sink = new Writable({ write(chunk: Buffer, _enc, done) { logLines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
      const logger = createLogger({ level: 'warn' }, sink);
      running = await startAssembly(assembly, { env, logger });

      const options: SystemLoadOptions = {
        frontOfficeUrl: running.frontOfficeUrl as string, managerUrl: running.managerUrl, accessToken: TOKEN, sipPort, smtpPort, chatPort,
        agents, supervisor: { user: 'sanne', password: PASSWORD },
        // Faster than the seeds' pace for 20 agents, so that a minute holds a few dozen contacts.
        callsPerHour: 1800, emailsPerHour: 600, chatsPerHour: 600,
        lines: [{ number: '+31300000000', dtmf: '0', share: 0.4 }, { number: '+31300000000', dtmf: '3', share: 0.2 }, { number: '+31300000003', share: 0.4 }],
        durationSeconds: SECONDS, drainSeconds: 60,
        behaviour: { talkSeconds: 4, handleSeconds: 2, wrapUpSeconds: 0.5, scriptSteps: 3, ...(process.env['CARUSO_SMOKE_DROP_WRAP_UP'] ? { dropWrapUpEvery: Number(process.env['CARUSO_SMOKE_DROP_WRAP_UP']) } : {}) },
        agentMedia: true, pollers: 2, customers: loadCustomers(data), workDir: dir, sippRtpBase: 10000 + 2 * Math.floor(Math.random() * 1500),
      };
      const child = fork(join(root, 'dist/system-load/system-load-main.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('error', () => undefined);
      const next = (): Promise<LoadMessage> => new Promise((resolve, reject) => {
        const onExit = (code: number | null): void => reject(new Error(`the load process exited (${code}) without a report`));
        child.once('exit', onExit);
        child.once('message', (m: LoadMessage) => {
          child.off('exit', onExit);
          resolve(m);
        });
      });
      try {
        child.send({ type: 'start', options });
        const ready = await next();
        if (ready.type !== 'ready') throw new Error(`the load did not start: ${ready.type === 'failed' ? ready.message : ready.type}`);
        child.send({ type: 'go' });
        const done = await next();
        if (done.type !== 'report') throw new Error(`the load failed: ${done.type === 'failed' ? done.message : done.type}`);
        report = done.report;
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });

    afterAll(async () => {
      await running?.stop();
      await storage?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('lost nothing and left nothing stuck', async () => {
      const r = running as RunningAssembly;
      // The load generator met nothing unexpected (REST 5xx, refused wrap-ups, closed sockets, failed SIPp calls).
      expect({ errors: report.errors, samples: report.errorSamples }).toEqual({ errors: {}, samples: [] });
      expect(report.sent.call).toBeGreaterThan(10);
      expect(report.sent.email).toBeGreaterThan(0);
      expect(report.sent.chat).toBeGreaterThan(0);
      expect(report.sipp).toEqual({ successful: report.sent.call, failed: 0 });

      const log = r.manager.get(ContactEventLog);
      await log.flush();
      const events: ContactEvent[] = [];
      for (;;) {
        const page = await log.read({ afterSeq: events.at(-1)?.seq ?? 0, limit: 5000 });
        if (page.length === 0) break;
        events.push(...page);
      }
      // The log has no gap: seq 1, 2, 3 … up to the last.
      expect(events.length).toBeGreaterThan(0);
      const gaps = events.filter((e, i) => e.seq !== i + 1).slice(0, 3).map((e) => e.seq);
      expect({ gaps, last: events.at(-1)?.seq }).toEqual({ gaps: [], last: events.length });

      // Every contact that entered is in the log, once per thing the load sent, and ended (a contact
      // still queued, ringing, connected or waiting for its wrap-up is stuck).
      const lives = [...foldContacts(events).values()];
      const byChannel = (channel: string): number => lives.filter((c) => c.channel === channel).length;
      expect({ call: byChannel('call'), email: byChannel('email'), chat: byChannel('chat') }).toEqual(report.sent);
      const notEnded = lives.filter((c) => c.status !== 'ended').map((c) => `${c.channel} ${c.id}: ${c.status}`);
      expect(notEnded).toEqual([]);
      const dispositions = new Set(events.filter((e) => e.kind === 'disposition').map((e) => e.contactId));
      expect(lives.filter((c) => !dispositions.has(c.id)).map((c) => `${c.channel} ${c.id}`)).toEqual([]);

      // Every offer the log records reached a desktop.
      const offered = new Set(events.filter((e) => e.kind === 'offered').map((e) => e.contactId));
      expect([...offered].filter((id) => !report.offers.some((o) => o.contactId === id))).toEqual([]);

      // No agent is left with a contact, ringing or in a wrap-up (ready, or paused because the load's
      // desktops have closed by now).
      const comms = r.manager.get(CommunicationServer);
      const idle = (a: { state: string; pauseReason?: string }): boolean => a.state === 'ready' || (a.state === 'paused' && a.pauseReason === 'disconnected');
      const busy = agents.map((a) => comms.agent(a.agentId)).filter((a) => !idle(a) || a.contactIds.length > 0).map((a) => `${a.id}: ${a.state} ${a.contactIds.join(',')}`);
      expect(busy).toEqual([]);

      // The desktops saw it the same way: every contact handled and wrapped up; agents ran scripts,
      // phones got media, the wallboard socket got live figures.
      expect(report.handled).toEqual(report.sent);
      expect(report.scriptSteps).toBeGreaterThan(0);
      expect(report.agentRtpPackets).toBeGreaterThan(0);
      expect(report.monitorFrames).toBeGreaterThan(0);

      // No service logged an error (warnings may be expected: a caller's RTP after the hang-up …).
      const errors = logLines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
      expect(errors).toEqual([]);
    });
  });
}
