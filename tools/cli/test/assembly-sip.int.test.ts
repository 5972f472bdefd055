// The SIP adapter started by the assembly runtime from an assembly file's <sip> element: a caller
// (SIPp) dials the main number, the assembly's IVR entry point (a dialogue script) asks for a key,
// the key (RFC 4733 from SIPp) hands the call to a queue, and the call rings the agent's phone
// (baresip, registered with the phone account whose password comes from the environment).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { CommunicationServer, ContactEventLog, TelephonyAdapter, type SipTelephonyAdapter } from '@caruso/comms';
import { freePort, freeSipPort, has } from '@caruso/comms/testing';
import { requireOrSkip } from '@caruso/kernel/testing';
import { readAssembly } from '../src/assembly/assembly-file.js';
import { AssemblyStartError, startAssembly, type RunningAssembly } from '../src/assembly/assembly-runtime.js';

jest.setTimeout(60_000);

const LOOPBACK = '127.0.0.1';
const scenarios = fileURLToPath(new URL('../../../packages/comms/test/sip/scenarios/', import.meta.url));
const dtd = fileURLToPath(new URL('../../../dtd/assembly.dtd', import.meta.url));
const DTMF_1 = '/usr/share/sip-tester/dtmf_2833_1.pcap';

async function until(predicate: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const children = new Set<ChildProcess>();

function run(command: string, args: string[], cwd: string, timeoutMs: number): { child: ChildProcess; output: () => string; done: Promise<number | null> } {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  child.stderr?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    children.delete(child);
    resolve(code);
  }));
  return { child, output: () => output, done };
}

const tools = has('sipp', ['-v']) && has('baresip', ['-h']) && has('sox', ['--version']) && has('espeak-ng', ['--version']) && has('xmllint', ['--version']);
if (requireOrSkip('SIPp, baresip, sox, espeak-ng and xmllint', tools)) {
  describe('an assembly with <sip>', () => {
    let dir: string;
    let running: RunningAssembly | undefined;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-sip-'));
    });

    afterAll(async () => {
      await Promise.all([...children].map((c) => new Promise<void>((r) => { c.once('close', () => r()); c.kill('SIGKILL'); })));
      await running?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('fails to start, naming the telephony service, when the SIP port is taken (and stops what it started)', async () => {
      const sipPort = await freePort();
      const taken = createSocket('udp4');
      await new Promise<void>((r) => taken.bind(sipPort, LOOPBACK, () => r()));
      try {
        const file = join(dir, 'taken.assembly.xml');
        writeFileSync(file, `<assembly name="taken" data="taken-data">
  <manager port="0"/>
  <sip host="${LOOPBACK}" port="${sipPort}"/>
  <comms><queue id="general"/></comms>
</assembly>
`);
        const { assembly } = readAssembly(file, {});
        const err = await startAssembly(assembly!, { env: {} }).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(AssemblyStartError);
        expect((err as AssemblyStartError).failures).toEqual([
          expect.objectContaining({ token: TelephonyAdapter.id, message: expect.stringContaining(`the SIP adapter could not listen on ${LOOPBACK}:${sipPort}`) }),
        ]);
      } finally {
        await new Promise<void>((r) => taken.close(() => r()));
      }
    });

    it('answers the main number with its dialogue IVR, queues the call on the key pressed and rings the agent’s registered phone', async () => {
      const sipPort = await freePort();
      const rtpMin = 30000 + 2 * Math.floor(Math.random() * 7000);
      mkdirSync(join(dir, 'scripts'));
      writeFileSync(join(dir, 'scripts', 'main-menu.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<script id="main-menu" version="1" start="menu" xml:lang="en" fallback-queue="general">
  <question id="menu" type="choice" channels="ivr">
    <prompt>For support, press 1. For anything else, press 2.</prompt>
    <choice value="support" dtmf="1">Support</choice>
    <choice value="other" dtmf="2">Other</choice>
    <next cond="menu == 'support'" target="support"/>
    <next target="general"/>
  </question>
  <handoff id="support" queue="support"><prompt>One moment.</prompt></handoff>
  <handoff id="general" queue="general"><prompt>One moment.</prompt></handoff>
</script>
`);
      const file = join(dir, 'sip.assembly.xml');
      writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>
<assembly name="sip-test">
  <scripts folder="scripts"/>
  <manager port="0"/>
  <sip host="${LOOPBACK}" port="${sipPort}" rtp-ports="${rtpMin}-${rtpMin + 200}">
    <phone user="anna" password-env="TEST_ANNA_SIP_PASSWORD" agent="anna"/>
  </sip>
  <comms>
    <queue id="general"/>
    <queue id="support" ring-timeout="20"/>
    <agent id="anna" queues="support"/>
    <ivr number="+31300000000" script="main-menu" queue="general"/>
  </comms>
</assembly>
`);
      const xmllint = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, file], { encoding: 'utf8' });
      expect({ status: xmllint.status, stderr: xmllint.stderr }).toEqual({ status: 0, stderr: '' });

      const env = { TEST_ANNA_SIP_PASSWORD: 'anna-phone-secret', CARUSO_ACCESS_TOKEN: 'assembly-sip-test-token-0123' };
      const { assembly, diagnostics } = readAssembly(file, env);
      expect(diagnostics.map(String)).toEqual([]);
      running = await startAssembly(assembly!, { env });
      expect(running.notStarted).toEqual([]);
      expect(running.sipAddress).toBe(`sip:${LOOPBACK}:${sipPort}`);
      expect(running.services().find((s) => s.tokenId === TelephonyAdapter.id)).toMatchObject({ state: 'active', properties: { adapter: 'sip' } });
      const sip = running.manager.get(TelephonyAdapter) as SipTelephonyAdapter;
      const comms = running.manager.get(CommunicationServer);
      const log = running.manager.get(ContactEventLog);
      const calls: unknown[] = [];
      sip.onDidEvent((e) => calls.push(e));

      // The agent's phone: baresip with the password from the environment, auto-answer, no sound card.
      const conf = join(dir, 'baresip');
      mkdirSync(conf);
      const ctrlPort = await freePort();
      const mic = join(conf, 'mic.wav');
      execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', mic, 'synth', '30', 'sine', '440', 'vol', '0.5']);
      writeFileSync(join(conf, 'config'), [
        `sip_listen ${LOOPBACK}:${await freeSipPort()}`, 'module_path /usr/lib/baresip/modules', 'module g711.so', 'module aufile.so', 'module aubridge.so',
        'module_app account.so', 'module_app menu.so', 'module_app ctrl_tcp.so', `ctrl_tcp_listen ${LOOPBACK}:${ctrlPort}`,
        `audio_source aufile,${mic}`, 'audio_player aubridge,caruso', 'audio_alert aubridge,caruso', 'rtp_ports 40200-40300', 'dns_server 127.0.0.1:53', '',
      ].join('\n'));
      writeFileSync(join(conf, 'accounts'), `<sip:anna@${LOOPBACK}:${sipPort};transport=udp>;auth_pass=anna-phone-secret;answermode=auto;regint=600;audio_codecs=PCMU\n`);
      const phone = run('baresip', ['-f', conf], conf, 50_000);
      await until(() => sip.registrar.lookup('anna').length > 0, 25_000, () => `the phone to register\n${phone.output()}`);
      await comms.login('anna');

      // The caller dials the main number and presses 1 (RFC 4733) during the menu.
      const callerPort = await freePort();
      writeFileSync(join(dir, 'caller.xml'), readFileSync(join(scenarios, 'caller-dtmf-waits.xml'), 'utf8')
        .split('@DTMF@').join(DTMF_1).split('@WAIT_MS@').join('40000')
        .split('@AUDIO@').join(join(dir, 'voice.wav')));
      execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'u-law', join(dir, 'voice.wav'), 'synth', '30', 'sine', '300', 'vol', '0.5']);
      const caller = run('sipp', [
        '-sf', join(dir, 'caller.xml'), '-i', LOOPBACK, '-p', String(callerPort), '-mi', LOOPBACK, '-mp', String(await freePort()),
        '-m', '1', '-s', '+31300000000', '-nostdin', '-trace_err', '-error_file', join(dir, 'caller-errors.log'), `${LOOPBACK}:${sipPort}`,
      ], dir, 50_000);

      let seen: unknown[] = [];
      const events = async () => {
        const all = await log.read();
        seen = all;
        return all.filter((e) => e.contactId);
      };
      await until(async () => (await events()).some((e) => e.kind === 'connected'), 30_000, () => `the call to reach the agent ${JSON.stringify(seen)} ${JSON.stringify(calls)}\n${caller.output()}\n${phone.output()}`);
      const connected = (await events()).find((e) => e.kind === 'connected')!;
      expect(connected).toMatchObject({ queueId: 'support', agentId: 'anna', channel: 'call' });
      // The dialogue IVR's answer travelled with the call into the queue.
      const entered = (await events()).find((e) => e.kind === 'queue-entered' && e.contactId === connected.contactId);
      expect(entered).toMatchObject({ queueId: 'support' });
      expect(comms.contact(connected.contactId!)?.data).toMatchObject({ menu: 'support', dialled: '+31300000000' });
      // Audio flows both ways through Caruso between the caller and the phone.
      await until(() => (sip.mediaStats(connected.contactId!).agent?.packetsReceived ?? 0) > 25 && (sip.mediaStats(connected.contactId!).caller?.packetsReceived ?? 0) > 25, 5000,
        () => `media both ways ${JSON.stringify(sip.mediaStats(connected.contactId!))}`);
      // RTCP with a real phone: baresip's reports (every 5 s) reach the agent leg, with a block about our stream.
      await until(() => sip.mediaStats(connected.contactId!).agent?.rtcp.remoteFractionLost !== undefined, 12_000,
        () => `RTCP from the phone ${JSON.stringify(sip.mediaStats(connected.contactId!).agent)}`);
      expect(sip.mediaStats(connected.contactId!).agent?.rtcp).toMatchObject({ malformed: 0, remoteCumulativeLost: 0 });

      // The agent hangs up on the phone: the caller gets a BYE, the contact is completed.
      await new Promise<void>((resolve) => {
        const json = JSON.stringify({ command: 'hangup', token: 't1' });
        const s = createConnection({ host: LOOPBACK, port: ctrlPort }, () => s.end(`${Buffer.byteLength(json)}:${json},`));
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        setTimeout(() => s.destroy(), 1000);
      });
      const code = await caller.done;
      let errors = '';
      try {
        errors = readFileSync(join(dir, 'caller-errors.log'), 'utf8');
      } catch {
        // no error file: no errors
      }
      expect({ code, errors: code === 0 ? '' : `${caller.output()}\n${errors}` }).toEqual({ code: 0, errors: '' });
      await until(async () => (await events()).some((e) => e.kind === 'completed'), 5000, () => 'the contact to complete');
      expect((await events()).map((e) => e.kind)).toEqual(expect.arrayContaining(['queue-entered', 'offered', 'connected', 'completed']));
      phone.child.kill('SIGTERM');
      await phone.done;
      await running.stop();
      running = undefined;
    });
  });
}
