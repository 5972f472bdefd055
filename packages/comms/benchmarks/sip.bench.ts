// SIP adapter on loopback with SIPp as the load: (1) call set-up rate answered by the menu (answer and
// play the welcome prompt) next to SIPp against SIPp's own UAS in the same run; (2) concurrent calls
// relayed between a SIPp caller (G.711 stream) and a SIPp agent UAS (echo), with the packet loss
// measured on both legs, next to the same calls with the media ending in Caruso (no relay).
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipTelephonyAdapter, type RtpStats } from '@caruso/comms';
import { defineBenchmark } from '@caruso/kernel/testing';

const HOST = '127.0.0.1';
const root = process.cwd();
const scenarios = join(root, 'packages/comms/test/sip/scenarios');
const prompts = join(root, 'packages/comms/prompts');

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  const port = await new Promise<number>((r) => s.bind(0, HOST, () => r(s.address().port)));
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function scenario(dir: string, name: string, values: Record<string, string>): string {
  let xml = readFileSync(join(scenarios, name), 'utf8');
  for (const [k, v] of Object.entries(values)) xml = xml.split(`@${k}@`).join(v);
  const file = join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  writeFileSync(file, xml);
  return file;
}

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

async function setupRate(dir: string, calls: number, rate: number): Promise<{ caruso: number; peer: number; failed: number }> {
  const sip = new SipTelephonyAdapter({ host: HOST, port: await freePort(), rtpPorts: { min: 42000, max: 47998 }, promptDir: prompts, users: [], maxCalls: 2000 });
  await sip.start();
  sip.onDidEvent((e) => {
    if (e.type !== 'call-offered') return;
    sip.answer(e.callId);
    sip.playPrompt(e.callId, { file: 'welcome.wav' });
  });
  const file = scenario(dir, 'caller-setup.xml', { TALK_MS: '200' });
  const caruso = await runSipp(['-sf', file, '-p', String(await freePort()), '-m', String(calls), '-r', String(rate), '-l', '2000', `${HOST}:${sip.port}`], 60_000);
  await sip.stop();
  const uasPort = await freePort();
  const uas = spawn('sipp', ['-nostdin', '-i', HOST, '-sn', 'uas', '-p', String(uasPort)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const peer = await runSipp(['-sn', 'uac', '-p', String(uasPort + 1), '-m', String(calls), '-r', String(rate), '-l', '2000', `${HOST}:${uasPort}`], 60_000);
  uas.kill('SIGKILL');
  const okCaruso = successful(caruso.output);
  return {
    caruso: okCaruso / (caruso.ms / 1000),
    peer: successful(peer.output) / (peer.ms / 1000),
    failed: calls - (Number.isNaN(okCaruso) ? 0 : okCaruso),
  };
}

async function relayed(dir: string, calls: number, relay: boolean): Promise<{ lossPct: number; packets: number; peak: number; failed: number }> {
  const sip = new SipTelephonyAdapter({ host: HOST, port: await freePort(), rtpPorts: { min: 48000, max: 52998 }, promptDir: prompts, users: [], maxCalls: 2000 });
  await sip.start();
  const uasPort = await freePort();
  const snapshots = new Map<string, { caller?: RtpStats; agent?: RtpStats }>();
  let peak = 0;
  sip.onDidEvent((e) => {
    if (e.type !== 'call-offered') return;
    sip.answer(e.callId);
    if (relay) sip.bridge(e.callId, `sip:agent@${HOST}:${uasPort}`, { ringTimeoutMs: 5000 });
  });
  const poll = setInterval(() => {
    let bridged = 0;
    for (let i = 1; i <= calls * 2; i++) {
      const s = sip.mediaStats(`s${i}`);
      if (s.caller) snapshots.set(`s${i}`, { caller: { ...s.caller }, ...(s.agent ? { agent: { ...s.agent } } : {}) });
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
  let received = 0;
  let lost = 0;
  for (const s of snapshots.values()) {
    for (const leg of [s.caller, s.agent]) {
      if (!leg) continue;
      received += leg.packetsReceived;
      lost += leg.packetsLost;
    }
  }
  return { lossPct: (100 * lost) / Math.max(1, received + lost), packets: received, peak, failed: calls - (successful(caller.output) || 0) };
}

export default defineBenchmark({
  id: 'comms.sip',
  title: 'SIP adapter on loopback: call set-up rate (SIPp) and concurrent relayed G.711 calls',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-sip-bench-'));
    try {
      const setup = await setupRate(dir, 2000, 300);
      const CALLS = 200;
      const withRelay = await relayed(dir, CALLS, true);
      const withoutRelay = await relayed(dir, CALLS, false);
      return [
        {
          name: 'call set-up rate, answered by the menu (answer + welcome prompt), 2,000 calls offered at 300/s',
          value: Math.round(setup.caruso), unit: 'calls/s',
          peer: { name: 'SIPp UAC against SIPp\'s own UAS, same load', value: Math.round(setup.peer) },
          goal: '≥ 100 calls/s, no failed calls', met: setup.caruso >= 100 && setup.failed === 0,
          note: `${setup.failed} failed calls`,
        },
        {
          name: `${CALLS} concurrent relayed G.711 calls (caller stream → Caruso → agent echo → Caruso → caller), packet loss`,
          value: Number(withRelay.lossPct.toFixed(3)), unit: '%',
          peer: { name: `${CALLS} calls with the media ending in Caruso (no relay)`, value: Number(withoutRelay.lossPct.toFixed(3)) },
          goal: '< 1 % with ≥ 200 calls', met: withRelay.lossPct < 1 && withRelay.peak >= 200 && withRelay.failed === 0,
          note: `peak ${withRelay.peak} calls bridged at once, ${withRelay.packets} packets received on both legs, ${withRelay.failed} failed calls`,
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
