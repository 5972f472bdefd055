// Call recording under load: 100 concurrent G.711 calls relayed by the SIP adapter between a SIPp
// caller (a looping tone) and a SIPp agent (echo), recorded (each side's audio decoded, aligned,
// mixed and written as WAV while the calls run, catalogued in SQLite) next to the same 100 calls not
// recorded, in interleaved rounds. Measured over a steady window with every call up: the CPU time of
// the process (adapter + recorder; SIPp runs in its own processes) per second of wall time, and the
// bytes the recordings add to the disk per second.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager } from '@caruso/kernel';
import { defineBenchmark } from '@caruso/kernel/testing';
import { StorageManager, storageService } from '@caruso/storage';
import { CallRecorder, SipTelephonyAdapter, StorageRecordingStore } from '@caruso/comms';
import { interleavedRounds, roundsFigure } from '../../../benchmarks/support/rounds.js';
import { HOST, freePort, prompts, scenario } from './sip-bench-support.js';

const CALLS = 100;
const WINDOW_MS = 5000;
const ROUNDS = 5;

/** Bytes of every file below `dir`. */
function bytesIn(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true }).map(String)) {
    try {
      const s = statSync(join(dir, f));
      if (s.isFile()) n += s.size;
    } catch {
      // A file of a recording being created: counted in the next look.
    }
  }
  return n;
}

interface Round {
  /** CPU time of this process per wall second, % of one core. */
  readonly cpu: number;
  /** Bytes written to the recordings folder per second. */
  readonly disk: number;
  readonly bridged: number;
  readonly files: number;
  readonly failed: number;
}

async function run(dir: string, round: number, record: boolean, recorder: CallRecorder, folder: string): Promise<Round> {
  const sip = new SipTelephonyAdapter({ host: HOST, port: await freePort(), rtpPorts: { min: 40000 + (round % 2) * 2000, max: 41998 + (round % 2) * 2000 }, promptDir: prompts, users: [], maxCalls: 1000, maxPendingInvitesPerSource: 10_000 });
  await sip.start();
  const uasPort = await freePort();
  let bridged = 0;
  let recorded = 0;
  const pending: Promise<unknown>[] = [];
  sip.onDidEvent((e) => {
    if (e.type === 'call-offered') {
      sip.answer(e.callId);
      sip.bridge(e.callId, `sip:agent@${HOST}:${uasPort}`, { ringTimeoutMs: 5000 });
    } else if (e.type === 'bridged') {
      bridged++;
      if (!record) return;
      pending.push(recorder.start({ contactId: e.callId, queueId: 'bench' }).then(() => {
        recorded++;
        if (sip.isActive(e.callId)) sip.tapAudio(e.callId, (side, samples) => recorder.push(e.callId, side, samples));
      }));
    } else if (e.type === 'hung-up') {
      bridged--;
      if (record) pending.push(recorder.stop(e.callId));
    }
  });
  const uas = spawn('sipp', ['-nostdin', '-i', HOST, '-mi', HOST, '-sf', scenario(dir, 'agent-uas.xml', { ANSWER_MS: '0' }), '-p', String(uasPort), '-mp', String(await freePort()), '-rtp_echo', '-l', '5000'], { stdio: 'ignore' });
  uas.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const tone = join(dir, 'voice.wav');
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'u-law', tone, 'synth', '2', 'sine', '440', 'vol', '0.5']);
  const file = scenario(dir, 'caller-audio.xml', { AUDIO: tone, TALK_MS: String(WINDOW_MS + 6000) });
  writeFileSync(file, readFileSync(file, 'utf8').replace(`${tone},1,0`, `${tone},-1,0`));
  const caller = spawn('sipp', ['-nostdin', '-i', HOST, '-mi', HOST, '-sf', file, '-p', String(await freePort()), '-mp', String(await freePort()), '-m', String(CALLS), '-r', '50', '-l', String(CALLS), `${HOST}:${sip.port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  caller.stdout.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-8000); });
  caller.on('error', () => undefined);
  const done = new Promise<void>((r) => caller.on('close', () => r()));
  // Every call up (or 5 s at most), then a short settling time, then the window.
  for (const end = Date.now() + 5000; bridged < CALLS && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  const peak = bridged;
  const bytes0 = bytesIn(folder);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const bytes1 = bytesIn(folder);
  const killer = setTimeout(() => caller.kill('SIGKILL'), 30_000);
  await done;
  clearTimeout(killer);
  uas.kill('SIGKILL');
  await Promise.allSettled(pending);
  await sip.stop();
  const ok = Number(/Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(output)?.[1] ?? 0);
  return { cpu: ((cpu.user + cpu.system) / 1000 / wall) * 100, disk: ((bytes1 - bytes0) * 1000) / wall, bridged: peak, files: recorded, failed: CALLS - ok };
}

export default defineBenchmark({
  id: 'comms.recording',
  title: 'Recording: 100 concurrent SIP calls recorded (WAV, mixed) beside the same calls not recorded',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-rec-bench-'));
    const m = createServiceManager();
    m.register(StorageManager, storageService(`sqlite:${join(dir, 'catalogue.db')}`));
    await m.start();
    try {
      const folder = join(dir, 'recordings');
      const recorder = new CallRecorder({ folder, store: await StorageRecordingStore.open(m.get(StorageManager)), now: Date.now });
      execFileSync('mkdir', ['-p', folder]);
      const rounds: Record<'recorded' | 'plain', Round[]> = { recorded: [], plain: [] };
      let round = 0;
      let retries = 0;
      /** A round whose calls did not all come up (a port of the shared machine taken) is run again, at most twice. */
      const measure = async (record: boolean): Promise<Round> => {
        for (let attempt = 0; ; attempt++) {
          const x = await run(dir, round++, record, recorder, folder);
          if (x.bridged >= CALLS || attempt === 2) return x;
          retries++;
        }
      };
      const r = await interleavedRounds(ROUNDS, {
        recorded: async () => {
          const x = await measure(true);
          rounds.recorded.push(x);
          return { cpu: x.cpu, disk: x.disk };
        },
        plain: async () => {
          const x = await measure(false);
          rounds.plain.push(x);
          return { cpu: x.cpu, disk: x.disk };
        },
      });
      recorder.dispose();
      const ratio = r.recorded.cpu.median / r.plain.cpu.median;
      const peaks = (xs: Round[]) => xs.map((x) => x.bridged).join('/');
      const failed = [...rounds.recorded, ...rounds.plain].reduce((n, x) => n + x.failed, 0);
      // G.711 A-law: one byte a sample, 8,000 a second a call.
      const expected = CALLS * 8000;
      return [
        roundsFigure({
          name: `CPU of the process with ${CALLS} calls up, recorded`,
          unit: '% of a core',
          rounds: r.recorded.cpu,
          peer: { name: `the same ${CALLS} calls not recorded`, rounds: r.plain.cpu },
          goal: '< 1.3× the calls without recording',
          met: ratio < 1.3 && failed === 0,
          note: `${WINDOW_MS / 1000} s window with every call up; calls up per round: recorded ${peaks(rounds.recorded)}, plain ${peaks(rounds.plain)}; recordings started per round ${rounds.recorded.map((x) => x.files).join('/')}; failed calls ${failed}; rounds run again because not every call came up: ${retries}`,
        }),
        roundsFigure({
          name: `disk write rate of ${CALLS} recordings (8 kHz G.711 A-law mono WAV)`,
          unit: 'bytes/s',
          rounds: r.recorded.disk,
          peer: { name: 'without recording', rounds: r.plain.disk },
          note: `expected ${expected.toLocaleString('en-US')} bytes/s (${CALLS} × 8,000); the recorder writes each file once a second`,
        }),
      ];
    } finally {
      await m.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
