// The agent desktop over real SIP (issue 12, "one accept path" and "Hang up ends the line"): an
// assembly with the SIP adapter and the front office; a caller (SIPp) dials a direct line, the call
// rings the agent's registered phone (baresip), and the agent works on the front office's REST API.
// - Hang up on the desktop ends the SIP dialog: the caller gets a BYE.
// - Accept on the desktop and the phone answering are one accept: whichever comes first connects
//   the contact, the second changes nothing (one `connected`, no fault, Accept answers 200).
// Each dialect (SQLite, PostgreSQL) gets its own assembly, SIP port and phones.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { ContactEventLog, TelephonyAdapter, type ContactEvent, type SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { freePort, freeSipPort, has, killPeers, sipp, type SippRun } from '@caruso/comms/testing';
import { loggedInClient, type ApiClient } from '@caruso/frontoffice/testing';
import { onDidContainFault, type ContainedFault } from '@caruso/kernel';
import { requireOrSkip } from '@caruso/kernel/testing';
import { forEachDatabase } from '@caruso/storage/testing';
import { readAssembly } from '../src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../src/assembly/assembly-runtime.js';

jest.setTimeout(60_000);

const LOOPBACK = '127.0.0.1';
const fixtures = fileURLToPath(new URL('./fixtures/assembly/', import.meta.url));

/** Polls `predicate` every 50 ms; fails after `ms` with what it waited for. */
async function until(predicate: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const phones = new Set<ChildProcess>();

interface Phone {
  readonly child: ChildProcess;
  output(): string;
  /** Sends a ctrl_tcp command (`accept`, `hangup`) to the phone. */
  command(name: string): Promise<void>;
}

/**
 * An agent's softphone: baresip registered with the assembly's SIP adapter as `user`, no sound card
 * (a sine WAV as microphone), answering by itself (`auto`) or only when told (`manual`, then the
 * test sends `accept`). Killed after 80 s at the latest, and in afterAll.
 */
async function startPhone(dir: string, user: string, password: string, registrarPort: number, answer: 'auto' | 'manual'): Promise<Phone> {
  const conf = join(dir, `phone-${user}`);
  mkdirSync(conf, { recursive: true });
  const mic = join(conf, 'mic.wav');
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', mic, 'synth', '60', 'sine', '440', 'vol', '0.5']);
  const ctrlPort = await freePort();
  const rtp = 40000 + 2 * Math.floor(Math.random() * 4000);
  writeFileSync(join(conf, 'config'), [
    `sip_listen ${LOOPBACK}:${await freeSipPort()}`, 'module_path /usr/lib/baresip/modules', 'module g711.so', 'module aufile.so', 'module aubridge.so',
    'module_app account.so', 'module_app menu.so', 'module_app ctrl_tcp.so', `ctrl_tcp_listen ${LOOPBACK}:${ctrlPort}`,
    `audio_source aufile,${mic}`, 'audio_player aubridge,caruso', 'audio_alert aubridge,caruso', `rtp_ports ${rtp}-${rtp + 40}`, 'dns_server 127.0.0.1:53', '',
  ].join('\n'));
  writeFileSync(join(conf, 'accounts'), `<sip:${user}@${LOOPBACK}:${registrarPort};transport=udp>;auth_pass=${password};answermode=${answer};regint=600;audio_codecs=PCMU\n`);
  const child = spawn('baresip', ['-f', conf], { cwd: conf, stdio: ['ignore', 'pipe', 'pipe'] });
  phones.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  child.stderr?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
  child.on('close', () => {
    clearTimeout(timer);
    phones.delete(child);
  });
  return {
    child,
    output: () => output,
    command: (name) => new Promise<void>((resolve, reject) => {
      const json = JSON.stringify({ command: name, token: 't1' });
      const socket = createConnection({ host: LOOPBACK, port: ctrlPort }, () => socket.end(`${Buffer.byteLength(json)}:${json},`));
      socket.on('error', reject);
      socket.on('close', () => resolve());
      setTimeout(() => socket.destroy(), 1000);
    }),
  };
}

async function stopPhone(phone: Phone): Promise<void> {
  if (phone.child.exitCode !== null || phone.child.signalCode !== null) return;
  await new Promise<void>((r) => { phone.child.once('close', () => r()); phone.child.kill('SIGKILL'); });
}

const tools = has('sipp') && has('baresip', ['-h']) && has('sox', ['--version']);
if (requireOrSkip('SIPp, baresip and sox', tools)) {
  describe('the agent desktop over real SIP (an assembly with <sip> and the front office)', () => {
    afterAll(async () => {
      await killPeers();
      await Promise.all([...phones].map((c) => new Promise<void>((r) => { c.once('close', () => r()); c.kill('SIGKILL'); })));
    }, 30_000);

    forEachDatabase((db) => {
      let dir: string;
      let running: RunningAssembly | undefined;
      let sip: SipTelephonyAdapter;
      let log: ContactEventLog;
      let sipPort: number;
      let url: string;
      const secret = (): string => randomBytes(12).toString('base64url');
      const phonePasswords = { anna: secret(), bram: secret(), cleo: secret() };
      const userPasswords = { anna: secret(), bram: secret(), cleo: secret() };
      /** What the SIP adapter reported, in order (bridge-ringing, bridged, hung-up …). */
      const sipEvents: TelephonyEvent[] = [];

      beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'caruso-desktop-sip-'));
        mkdirSync(join(dir, 'scripts'));
        // The assembly names a scripts folder, and an empty one is an error (caruso start checks it).
        writeFileSync(join(dir, 'scripts', 'greet.xml'), '<?xml version="1.0" encoding="UTF-8"?>\n<script id="greet" version="1" xml:lang="en"><end id="bye"><prompt>Hello.</prompt></end></script>\n');
        sipPort = await freePort();
        const rtpMin = 30000 + 2 * Math.floor(Math.random() * 7000);
        // One queue, agent and direct line per test, so that the tests do not share a contact or an agent.
        const file = join(dir, 'desktop-sip.assembly.xml');
        writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>
<assembly name="desktop-sip">
  <model src="${join(fixtures, 'model', 'crm.model.xml')}"/>
  <scripts folder="scripts"/>
  <application src="${join(fixtures, 'app', 'crm.app.xml')}"/>
  <manager port="0"/>
  <http host="${LOOPBACK}" port="0"/>
  <sip host="${LOOPBACK}" port="${sipPort}" rtp-ports="${rtpMin}-${rtpMin + 200}">
    <phone user="anna" password-env="TEST_ANNA_PHONE" agent="anna"/>
    <phone user="bram" password-env="TEST_BRAM_PHONE" agent="bram"/>
    <phone user="cleo" password-env="TEST_CLEO_PHONE" agent="cleo"/>
  </sip>
  <comms>
    <queue id="hang-up" wrap-up="600" ring-timeout="30"/>
    <queue id="accept-first" wrap-up="600" ring-timeout="30"/>
    <queue id="phone-first" wrap-up="600" ring-timeout="30"/>
    <agent id="anna" queues="hang-up"/>
    <agent id="bram" queues="accept-first"/>
    <agent id="cleo" queues="phone-first"/>
    <ivr number="+31300000001" queue="hang-up"/>
    <ivr number="+31300000002" queue="accept-first"/>
    <ivr number="+31300000003" queue="phone-first"/>
  </comms>
  <user name="anna" role="agent" agent="anna" password-env="TEST_ANNA_PASSWORD"/>
  <user name="bram" role="agent" agent="bram" password-env="TEST_BRAM_PASSWORD"/>
  <user name="cleo" role="agent" agent="cleo" password-env="TEST_CLEO_PASSWORD"/>
</assembly>
`);
        const env = {
          CARUSO_DB_URL: db.url,
          CARUSO_ACCESS_TOKEN: secret(),
          TEST_ANNA_PHONE: phonePasswords.anna, TEST_BRAM_PHONE: phonePasswords.bram, TEST_CLEO_PHONE: phonePasswords.cleo,
          TEST_ANNA_PASSWORD: userPasswords.anna, TEST_BRAM_PASSWORD: userPasswords.bram, TEST_CLEO_PASSWORD: userPasswords.cleo,
        };
        const { assembly, diagnostics } = readAssembly(file, env);
        const errors = diagnostics.filter((d) => d.severity === 'error');
        if (errors.length || !assembly) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
        running = await startAssembly(assembly, { env });
        if (running.sipAddress !== `sip:${LOOPBACK}:${sipPort}`) throw new Error(`the SIP adapter listens at ${String(running.sipAddress)}`);
        url = running.frontOfficeUrl as string;
        sip = running.manager.get(TelephonyAdapter) as SipTelephonyAdapter;
        sip.onDidEvent((e) => sipEvents.push(e));
        log = running.manager.get(ContactEventLog);
      }, 60_000);

      afterAll(async () => {
        await running?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }, 30_000);

      /** The contact's events in the log, in order. */
      const eventsOf = async (contactId: string): Promise<ContactEvent[]> => (await log.read()).filter((e) => e.contactId === contactId);
      const kindsOf = async (contactId: string): Promise<string[]> => (await eventsOf(contactId)).map((e) => e.kind);

      /** Every fault contained while `body` runs (a listener, timer or socket that threw). */
      const watchFaults = (): { readonly faults: ContainedFault[]; dispose(): void } => {
        const faults: ContainedFault[] = [];
        const sub = onDidContainFault((f) => faults.push(f));
        return { faults, dispose: () => sub.dispose() };
      };
      const describeFaults = (faults: readonly ContainedFault[]): string[] =>
        faults.map((f) => `${f.owner} (${f.where}): ${f.error instanceof Error ? `${(f.error as Error & { code?: string }).code ?? ''} ${f.error.message}` : String(f.error)}`);

      /** The agent logs in on the desktop (session, then Ready) with the phone registered. */
      const readyAgent = async (user: 'anna' | 'bram' | 'cleo', answer: 'auto' | 'manual'): Promise<{ phone: Phone; client: ApiClient }> => {
        const phone = await startPhone(dir, user, phonePasswords[user], sipPort, answer);
        await until(() => sip.registrar.lookup(user).length > 0, 10_000, () => `${user}'s phone to register\n${phone.output()}`);
        const client = await loggedInClient(url, user, userPasswords[user]);
        const ready = await client.post('/api/agent/ready');
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({ agent: { id: user, state: 'ready' } });
        return { phone, client };
      };

      /** A caller (SIPp) dials `number` and stays on the line until a BYE (40 s at most). */
      const call = async (number: string): Promise<SippRun> =>
        sipp({
          scenario: 'caller-waits.xml',
          dir,
          placeholders: { WAIT_MS: '40000' },
          port: await freePort(),
          mediaPort: await freePort(),
          remotePort: sipPort,
          args: ['-m', '1', '-s', number],
          timeoutMs: 45_000,
        });

      /** The one offer the agent's desktop shows (GET /api/agent), once it is there. */
      const offerOnDesktop = async (client: ApiClient, caller: SippRun): Promise<{ offerId: string; contactId: string }> => {
        let offers: Array<{ offerId: string; contactId: string; channel: string }> = [];
        let callerOutput = '';
        // Only read for the time-out message (SIPp's output when it ended early); the test awaits `done` itself.
        void caller.done.then((r) => { callerOutput = r.output; });
        await until(async () => {
          const r = await client.get('/api/agent');
          offers = (r.body as { offers: typeof offers }).offers;
          return offers.length > 0;
        }, 10_000, () => `the call to be offered on the desktop\n${callerOutput}`);
        expect(offers).toEqual([expect.objectContaining({ channel: 'call' })]);
        return offers[0]!;
      };

      const ringingAt = (contactId: string): boolean => sipEvents.some((e) => e.type === 'bridge-ringing' && e.callId === contactId);
      const bridged = (contactId: string): boolean => sipEvents.some((e) => e.type === 'bridged' && e.callId === contactId);

      it('ends the SIP dialog when the agent presses Hang up: the caller gets a BYE, the contact is completed, the agent is in wrap-up', async () => {
        const { phone, client } = await readyAgent('anna', 'auto');
        const faults = watchFaults();
        try {
          const caller = await call('+31300000001');
          // The phone answers by itself: the contact connects from the SIP side.
          let contactId = '';
          await until(async () => {
            const connected = (await log.read()).find((e) => e.kind === 'connected' && e.agentId === 'anna');
            contactId = connected?.contactId ?? '';
            return contactId !== '';
          }, 15_000, () => `the call to connect to anna's phone ${JSON.stringify(sipEvents)}\n${phone.output()}`);
          expect(bridged(contactId)).toBe(true);
          expect(sip.isActive(contactId)).toBe(true);
          const shown = await client.get(`/api/contacts/${contactId}`);
          expect(shown).toMatchObject({ status: 200, body: { contact: { id: contactId, channel: 'call', queueId: 'hang-up', state: 'connected' } } });

          const hangUp = await client.post(`/api/contacts/${contactId}/hang-up`);
          expect({ status: hangUp.status, body: hangUp.body }).toEqual({ status: 200, body: { ok: true } });
          // SIPp's scenario ends only after it received the BYE and answered it.
          const { code, output } = await caller.done;
          expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
          await until(() => !sip.isActive(contactId), 5000, () => `the call to end on the SIP side ${JSON.stringify(sipEvents.filter((e) => e.callId === contactId))}`);
          // The agent's phone got its BYE too (baresip says so of a dialog the far end closed).
          await until(() => phone.output().includes('session closed'), 5000, () => `the phone's leg to end\n${phone.output()}`);
          expect(await kindsOf(contactId)).toEqual(['queue-entered', 'offered', 'connected', 'completed']);
          expect((await eventsOf(contactId)).at(-1)).toMatchObject({ kind: 'completed', agentId: 'anna' });
          const agent = await client.get('/api/agent');
          expect(agent).toMatchObject({ status: 200, body: { agent: { id: 'anna', state: 'wrap-up' } } });
          expect(describeFaults(faults.faults)).toEqual([]);
        } finally {
          faults.dispose();
          await stopPhone(phone);
        }
      });

      it('connects once when the agent presses Accept while the phone rings and then picks the phone up', async () => {
        const { phone, client } = await readyAgent('bram', 'manual');
        const faults = watchFaults();
        try {
          const caller = await call('+31300000002');
          const offer = await offerOnDesktop(client, caller);
          await until(() => ringingAt(offer.contactId), 10_000, () => `bram's phone to ring ${JSON.stringify(sipEvents)}\n${phone.output()}`);
          expect(bridged(offer.contactId)).toBe(false);

          // Accept on the desktop first: the contact connects (the phone still rings).
          const accept = await client.post(`/api/agent/offers/${encodeURIComponent(offer.offerId)}/accept`);
          expect(accept.status).toBe(200);
          expect(accept.body).toMatchObject({ agent: { id: 'bram', state: 'busy' }, offers: [] });
          expect(await kindsOf(offer.contactId)).toEqual(['queue-entered', 'offered', 'connected']);

          // Then the phone answers: the same accept, nothing changes and nothing fails.
          await phone.command('accept');
          await until(() => bridged(offer.contactId), 10_000, () => `bram's phone to answer ${JSON.stringify(sipEvents.filter((e) => e.callId === offer.contactId))}\n${phone.output()}`);
          // Media flows between the caller's leg and the phone's leg: the line is really up.
          await until(() => (sip.mediaStats(offer.contactId).agent?.packetsReceived ?? 0) > 25, 5000, () => `media from the phone ${JSON.stringify(sip.mediaStats(offer.contactId))}`);
          expect(await kindsOf(offer.contactId)).toEqual(['queue-entered', 'offered', 'connected']);
          expect(describeFaults(faults.faults)).toEqual([]);
          expect(running!.services().filter((s) => s.state !== 'active')).toEqual([]);
          const shown = await client.get(`/api/contacts/${offer.contactId}`);
          expect(shown).toMatchObject({ status: 200, body: { contact: { id: offer.contactId, state: 'connected' } } });
          expect((await client.get('/api/agent')).body).toMatchObject({ agent: { id: 'bram', state: 'busy' }, offers: [] });

          // The line is still the agent's: Hang up ends it.
          expect((await client.post(`/api/contacts/${offer.contactId}/hang-up`)).status).toBe(200);
          const { code, output } = await caller.done;
          expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
          expect(await kindsOf(offer.contactId)).toEqual(['queue-entered', 'offered', 'connected', 'completed']);
        } finally {
          faults.dispose();
          await stopPhone(phone);
        }
      });

      it('answers Accept with 200 and connects once when the phone answered first', async () => {
        const { phone, client } = await readyAgent('cleo', 'manual');
        const faults = watchFaults();
        try {
          const caller = await call('+31300000003');
          const offer = await offerOnDesktop(client, caller);
          await until(() => ringingAt(offer.contactId), 10_000, () => `cleo's phone to ring ${JSON.stringify(sipEvents)}\n${phone.output()}`);

          // The phone answers first: the contact connects from the SIP side.
          await phone.command('accept');
          await until(async () => (await kindsOf(offer.contactId)).includes('connected'), 10_000,
            () => `the phone's answer to connect the contact ${JSON.stringify(sipEvents.filter((e) => e.callId === offer.contactId))}\n${phone.output()}`);
          expect(bridged(offer.contactId)).toBe(true);

          // Then the desktop's Accept (a page that still showed the offer): the same accept, 200.
          const accept = await client.post(`/api/agent/offers/${encodeURIComponent(offer.offerId)}/accept`);
          expect({ status: accept.status, body: accept.body }).toEqual({ status: 200, body: expect.objectContaining({ agent: expect.objectContaining({ id: 'cleo', state: 'busy' }), offers: [] }) });
          await until(() => (sip.mediaStats(offer.contactId).agent?.packetsReceived ?? 0) > 25, 5000, () => `media from the phone ${JSON.stringify(sip.mediaStats(offer.contactId))}`);
          expect(await kindsOf(offer.contactId)).toEqual(['queue-entered', 'offered', 'connected']);
          expect(describeFaults(faults.faults)).toEqual([]);
          expect(running!.services().filter((s) => s.state !== 'active')).toEqual([]);
          const shown = await client.get(`/api/contacts/${offer.contactId}`);
          expect(shown).toMatchObject({ status: 200, body: { contact: { id: offer.contactId, state: 'connected' } } });

          expect((await client.post(`/api/contacts/${offer.contactId}/hang-up`)).status).toBe(200);
          const { code, output } = await caller.done;
          expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
          expect(await kindsOf(offer.contactId)).toEqual(['queue-entered', 'offered', 'connected', 'completed']);
        } finally {
          faults.dispose();
          await stopPhone(phone);
        }
      });
    });
  });
}
