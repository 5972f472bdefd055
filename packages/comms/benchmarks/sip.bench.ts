// SIP adapter on loopback with SIPp as the load: (1) call set-up capacity, the menu answering (answer and
// play the welcome prompt), found by ramping SIPp's offered rate until calls fail, next to SIPp's own
// UAS ramped the same way with the same caller scenario; (2) concurrent calls
// relayed between a SIPp caller (G.711 stream) and a SIPp agent UAS (echo), with the packet loss
// measured on both legs, next to the same calls with the media ending in Caruso (no relay).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipTelephonyAdapter, type RtpStats } from '@caruso/comms';
import { defineBenchmark } from '@caruso/kernel/testing';
import { singleRun } from '../../../benchmarks/support/rounds.js';
import { HOST, freePort, prompts, scenario } from './sip-bench-support.js';


/** Runs SIPp to the end (or kills it after `limitMs`); returns its exit code and wall time. */
function runSipp(args: string[], limitMs: number): Promise<{ code: number | null; ms: number; output: string }> {
  const t0 = performance.now();
  const child = spawn('sipp', ['-nostdin', '-i', HOST, '-mi', HOST, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-8000); });
  child.stderr.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-8000); });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, ms: performance.now() - t0, output });
  }));
}

function successful(output: string): number {
  return Number(/Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(output)?.[1] ?? NaN);
}

/** Offered rates of the capacity ramp, calls per second; each step offers 2 s of calls. */
const RAMP = [100, 200, 400, 800, 1600, 3200, 6400, 12800];

interface RampStep {
  readonly rate: number;
  readonly offered: number;
  readonly failed: number;
  /** Successful calls per second of wall time. */
  readonly achieved: number;
}

/**
 * Ramps SIPp's caller (INVITE, 200, ACK, 200 ms, BYE) against `target` at each rate of RAMP until a
 * step has failed calls; returns the steps run.
 */
async function ramp(dir: string, target: string): Promise<RampStep[]> {
  const steps: RampStep[] = [];
  for (const rate of RAMP) {
    const offered = rate * 2;
    const file = scenario(dir, 'caller-setup.xml', { TALK_MS: '200' });
    const run = await runSipp(['-sf', file, '-p', String(await freePort()), '-m', String(offered), '-r', String(rate), '-rp', '1000', '-l', String(rate), target], 60_000);
    const ok = successful(run.output);
    const good = Number.isNaN(ok) ? 0 : ok;
    steps.push({ rate, offered, failed: offered - good, achieved: good / (run.ms / 1000) });
    if (good < offered) break;
  }
  return steps;
}

/** The highest step without failures, and the first with. */
function capacity(steps: readonly RampStep[]): { readonly clean: RampStep | undefined; readonly broke: RampStep | undefined } {
  return { clean: [...steps].reverse().find((s) => s.failed === 0), broke: steps.find((s) => s.failed > 0) };
}

/**
 * SIPp stands for a carrier's trunk or an SBC: every call comes from one address. A trunk's address is
 * exempt from the per-source limit of pending INVITEs (default 20, Kamailio pike's job), which exists
 * against floods from unknown addresses; the benchmark raises it instead of declaring a trunk, since a
 * trunk would also register and be pinged. With the default, a loaded machine whose answers or the
 * ACKs lag a few ms at 100 calls/s refuses calls with 503 by design (the failures of an earlier run).
 */
const CARRIER_PENDING = 100_000;

async function setupCapacity(dir: string): Promise<{ caruso: RampStep[]; peer: RampStep[]; pendingLeft: number; refused: number; drainedMs: number }> {
  const sip = new SipTelephonyAdapter({ host: HOST, port: await freePort(), rtpPorts: { min: 42000, max: 47998 }, promptDir: prompts, users: [], maxCalls: 4000, maxPendingInvitesPerSource: CARRIER_PENDING });
  await sip.start();
  sip.onDidEvent((e) => {
    if (e.type !== 'call-offered') return;
    sip.answer(e.callId);
    sip.playPrompt(e.callId, { file: 'welcome.wav' });
  });
  const caruso = await ramp(dir, `${HOST}:${sip.port}`);
  // Calls that SIPp gave up in the failing step were answered and never ACKed: they end 64×T1 later
  // with a BYE. After that nothing may count as pending (a leak would refuse a source's calls for good).
  const drainStart = performance.now();
  while (sip.metrics().pendingInvites > 0 && performance.now() - drainStart < 64 * 500 + 8000) await new Promise((r) => setTimeout(r, 250));
  const left = sip.metrics();
  const drainedMs = performance.now() - drainStart;
  await sip.stop();
  const uasPort = await freePort();
  const uas = spawn('sipp', ['-nostdin', '-i', HOST, '-sn', 'uas', '-p', String(uasPort)], { stdio: 'ignore' });
  uas.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const peer = await ramp(dir, `${HOST}:${uasPort}`);
  uas.kill('SIGKILL');
  return { caruso, peer, pendingLeft: left.pendingInvites, refused: left.refusedPendingLimit, drainedMs };
}

/** Loss in % of what a leg should have received. */
const pct = (lost: number, received: number): number => (100 * lost) / Math.max(1, received + lost);

async function relayed(dir: string, calls: number, relay: boolean): Promise<{ lossPct: number; callerLossPct: number; agentLossPct: number; packets: number; peak: number; failed: number }> {
  const sip = new SipTelephonyAdapter({ host: HOST, port: await freePort(), rtpPorts: { min: 48000, max: 52998 }, promptDir: prompts, users: [], maxCalls: 2000, maxPendingInvitesPerSource: CARRIER_PENDING });
  await sip.start();
  const uasPort = await freePort();
  const snapshots = new Map<string, { caller?: RtpStats; agent?: RtpStats }>();
  // Call ids are globally unique (`s-<random>-<n>`), so they are taken from the offers, never guessed.
  const offered: string[] = [];
  let peak = 0;
  sip.onDidEvent((e) => {
    if (e.type !== 'call-offered') return;
    offered.push(e.callId);
    sip.answer(e.callId);
    if (relay) sip.bridge(e.callId, `sip:agent@${HOST}:${uasPort}`, { ringTimeoutMs: 5000 });
  });
  const poll = setInterval(() => {
    let bridged = 0;
    for (const id of offered) {
      const s = sip.mediaStats(id);
      if (s.caller) snapshots.set(id, { caller: { ...s.caller }, ...(s.agent ? { agent: { ...s.agent } } : {}) });
      if (s.agent) bridged++;
    }
    peak = Math.max(peak, relay ? bridged : sip.activeCalls);
  }, 250);
  const uas = relay
    ? spawn('sipp', ['-nostdin', '-i', HOST, '-mi', HOST, '-sf', scenario(dir, 'agent-uas.xml', { ANSWER_MS: '0' }), '-p', String(uasPort), '-mp', String(await freePort()), '-rtp_echo', '-l', '5000'], { stdio: 'ignore' })
    : undefined;
  await new Promise((r) => setTimeout(r, 300));
  const tone = join(dir, 'voice.wav');
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'u-law', tone, 'synth', '2', 'sine', '440', 'vol', '0.5']);
  const file = scenario(dir, 'caller-audio.xml', { AUDIO: tone, TALK_MS: '8000' });
  // caller-audio plays the tone once; loop it for the whole call.
  writeFileSync(file, readFileSync(file, 'utf8').replace(`${tone},1,0`, `${tone},-1,0`));
  const caller = await runSipp(['-sf', file, '-p', String(await freePort()), '-mp', String(await freePort()), '-m', String(calls), '-r', String(Math.max(20, calls / 2)), '-l', String(calls), `${HOST}:${sip.port}`], 60_000);
  clearInterval(poll);
  uas?.kill('SIGKILL');
  await sip.stop();
  // Each leg apart: the caller's stream as SIPp sent it to Caruso, and the agent's echo (one SIPp
  // process echoing every call on one media port) of what Caruso relayed to it.
  const legs = { caller: { received: 0, lost: 0 }, agent: { received: 0, lost: 0 } };
  for (const s of snapshots.values()) {
    for (const [name, leg] of [['caller', s.caller], ['agent', s.agent]] as const) {
      if (!leg) continue;
      legs[name].received += leg.packetsReceived;
      legs[name].lost += leg.packetsLost;
    }
  }
  const received = legs.caller.received + legs.agent.received;
  const lost = legs.caller.lost + legs.agent.lost;
  return {
    lossPct: pct(lost, received),
    callerLossPct: pct(legs.caller.lost, legs.caller.received),
    agentLossPct: pct(legs.agent.lost, legs.agent.received),
    packets: received,
    peak,
    failed: calls - (successful(caller.output) || 0),
  };
}

export default defineBenchmark({
  id: 'comms.sip',
  title: 'SIP adapter on loopback: call set-up capacity (SIPp ramp) and concurrent relayed G.711 calls',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-sip-bench-'));
    try {
      const setup = await setupCapacity(dir);
      const CALLS = 200;
      const withRelay = await relayed(dir, CALLS, true);
      const withoutRelay = await relayed(dir, CALLS, false);
      const ours = capacity(setup.caruso);
      const theirs = capacity(setup.peer);
      const describe = (c: ReturnType<typeof capacity>): string =>
        `${c.clean ? `0 failures up to ${c.clean.rate}/s offered (${Math.round(c.clean.achieved)} calls/s done)` : 'failures from the first step'}; ${c.broke ? `breaks at ${c.broke.rate}/s offered (${c.broke.failed} of ${c.broke.offered} failed)` : `no failure up to ${RAMP[RAMP.length - 1]}/s (the ramp's end)`}`;
      return [
        singleRun({
          name: 'call set-up capacity: highest offered rate with 0 failed calls, answered by the menu (answer + welcome prompt)',
          value: ours.clean?.rate ?? 0,
          unit: 'calls/s offered',
          peer: { name: "SIPp's own UAS, same caller scenario and ramp", value: theirs.clean?.rate ?? 0 },
          goal: '≥ 100 calls/s with 0 failures',
          met: (ours.clean?.rate ?? 0) >= 100,
          note: `SIPp ramp ${RAMP.join(', ')}/s (-rp 1000, 2 s of calls a step, INVITE/200/ACK/200 ms/BYE) until a step fails. Caruso: ${describe(ours)}. SIPp UAS: ${describe(theirs)}. SIPp stands for a carrier trunk, so the per-source pending-INVITE limit is lifted (${setup.refused} refused by it); INVITEs still pending ${(setup.drainedMs / 1000).toFixed(1)} s after the ramp: ${setup.pendingLeft}`,
        }),
        singleRun({
          name: `${CALLS} concurrent relayed G.711 calls (caller stream → Caruso → agent echo → Caruso → caller), packet loss`,
          value: Number(withRelay.lossPct.toFixed(3)), unit: '%',
          peer: { name: `${CALLS} calls with the media ending in Caruso (no relay)`, value: Number(withoutRelay.lossPct.toFixed(3)) },
          goal: '< 1 % with ≥ 200 calls', met: withRelay.lossPct < 1 && withRelay.peak >= 200 && withRelay.failed === 0,
          note: `peak ${withRelay.peak} calls bridged at once, ${withRelay.packets} packets received on both legs, ${withRelay.failed} failed calls; loss on the caller's leg (SIPp's stream into Caruso) ${withRelay.callerLossPct.toFixed(2)} %, on the agent's leg (SIPp's echo of what Caruso relayed) ${withRelay.agentLossPct.toFixed(2)} %`,
        }),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
