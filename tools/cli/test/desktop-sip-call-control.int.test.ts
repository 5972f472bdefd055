// The agent desktop's call control end to end over real SIP: an assembly with the SIP adapter, a trunk
// and the front office; a customer (a scriptable SIP phone sending a 600 Hz tone) calls a direct line,
// the call rings the agent's registered phone (baresip, answering by itself, its microphone a sine of
// its own frequency), and the agent works on the front office's REST API only:
// REST → communication server → telephony channel → SIP adapter → phones.
// Who hears whom is measured on the audio each phone received: the customer's phone keeps its RTP,
// each baresip dumps what it decoded (module sndfile) and the test reads the dump as it grows.
// Each dialect (SQLite, PostgreSQL) gets its own assembly, SIP port, trunk peer and phones.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { ContactEventLog, TelephonyAdapter, type ContactEvent, type SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { freePort, freeSipPort, has } from '@caruso/comms/testing';
import { loggedInClient, type ApiClient } from '@caruso/frontoffice/testing';
import { onDidContainFault, type ContainedFault } from '@caruso/kernel';
import { requireOrSkip } from '@caruso/kernel/testing';
import { forEachDatabase } from '@caruso/storage/testing';
import { readAssembly } from '../src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../src/assembly/assembly-runtime.js';
import { rms, TestPhone, toneLevel } from '@caruso/comms/testing';

jest.setTimeout(40_000);

const LOOPBACK = '127.0.0.1';
const fixtures = fileURLToPath(new URL('./fixtures/assembly/', import.meta.url));

/** The customer's tone, and those of a first and a second agent's phone. */
const CUSTOMER_HZ = 600;
const AGENT_HZ = 1000;
const SECOND_HZ = 1400;
/** The hold music of the assembly: a tone no phone sends. */
const HOLD_HZ = 1800;
/** A tone of amplitude 8000 measures about 8000; what is not there measures a few dozen. */
const PRESENT = 2500;
const ABSENT = 500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` every 50 ms; fails after `ms` with what it waited for. */
async function until(predicate: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Where each of a phone's decoded-audio dumps ended at one instant. */
type Mark = ReadonlyMap<string, number>;

interface AgentPhone {
  readonly user: string;
  readonly child: ChildProcess;
  output(): string;
  /** Sends a ctrl_tcp command (`accept`, `hangup`) to the phone. */
  command(name: string): Promise<void>;
  /** Where the audio received so far ends (measure from here with `heardSince`). */
  mark(): Mark;
  /** The audio the phone received (decoded) since `mark`, and its sample rate. */
  heardSince(mark: Mark): { readonly samples: Int16Array; readonly rate: number };
}

const phones = new Set<ChildProcess>();

/** The PCM data of a WAV file (from its `data` chunk on, whatever libsndfile wrote so far) and its rate. */
function wavData(bytes: Buffer): { readonly start: number; readonly rate: number } | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF') return undefined;
  let rate = 8000;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === 'fmt ' && at + 16 <= bytes.length) rate = bytes.readUInt32LE(at + 12);
    if (id === 'data') return { start: at + 8, rate };
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/**
 * An agent's softphone: baresip registered with the assembly's SIP adapter as `user`, no sound card
 * (a sine WAV of `hz` as microphone), answering by itself; what it decodes is dumped by the sndfile
 * module into its own folder. Killed after 80 s at the latest, and in afterAll.
 */
async function startPhone(dir: string, user: string, password: string, registrarPort: number, hz: number): Promise<AgentPhone> {
  const conf = join(dir, `phone-${user}`);
  const dumps = join(conf, 'dumps');
  mkdirSync(dumps, { recursive: true });
  const mic = join(conf, 'mic.wav');
  // Amplitude about 8000, as the customer's tone.
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', mic, 'synth', '80', 'sine', String(hz), 'vol', '0.25']);
  const ctrlPort = await freePort();
  const rtp = 40000 + 2 * Math.floor(Math.random() * 4000);
  writeFileSync(join(conf, 'config'), [
    `sip_listen ${LOOPBACK}:${await freeSipPort()}`, 'module_path /usr/lib/baresip/modules', 'module g711.so', 'module aufile.so', 'module aubridge.so', 'module sndfile.so',
    'module_app account.so', 'module_app menu.so', 'module_app ctrl_tcp.so', `ctrl_tcp_listen ${LOOPBACK}:${ctrlPort}`, `snd_path ${dumps}`,
    `audio_source aufile,${mic}`, 'audio_player aubridge,caruso', 'audio_alert aubridge,caruso', `rtp_ports ${rtp}-${rtp + 40}`, 'dns_server 127.0.0.1:53', '',
  ].join('\n'));
  writeFileSync(join(conf, 'accounts'), `<sip:${user}@${LOOPBACK}:${registrarPort};transport=udp>;auth_pass=${password};answermode=auto;regint=600;audio_codecs=PCMU\n`);
  const child = spawn('baresip', ['-f', conf], { cwd: conf, stdio: ['ignore', 'pipe', 'pipe'] });
  phones.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  child.stderr?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20000); });
  child.on('error', () => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
  child.on('close', () => {
    clearTimeout(timer);
    phones.delete(child);
  });
  const decoded = (): string[] => readdirSync(dumps).filter((f) => f.endsWith('dec.wav')).map((f) => join(dumps, f));
  return {
    user,
    child,
    output: () => output,
    command: (name) => new Promise<void>((resolve, reject) => {
      const json = JSON.stringify({ command: name, token: 't1' });
      const socket = createConnection({ host: LOOPBACK, port: ctrlPort }, () => socket.end(`${Buffer.byteLength(json)}:${json},`));
      socket.on('error', reject);
      socket.on('close', () => resolve());
      setTimeout(() => socket.destroy(), 1000);
    }),
    mark: () => new Map(decoded().map((f) => [f, readFileSync(f).length])),
    heardSince: (mark) => {
      const parts: Int16Array[] = [];
      let rate = 8000;
      for (const f of decoded()) {
        const bytes = readFileSync(f);
        const data = wavData(bytes);
        if (!data) continue;
        rate = data.rate;
        const from = Math.max(data.start, mark.get(f) ?? 0);
        const end = from + Math.floor((bytes.length - from) / 2) * 2;
        const chunk = bytes.subarray(from, end);
        parts.push(new Int16Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.length)));
      }
      const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
      let k = 0;
      for (const p of parts) {
        out.set(p, k);
        k += p.length;
      }
      return { samples: out, rate };
    },
  };
}

async function stopPhone(phone: AgentPhone): Promise<void> {
  if (phone.child.exitCode !== null || phone.child.signalCode !== null) return;
  await new Promise<void>((r) => { phone.child.once('close', () => r()); phone.child.kill('SIGKILL'); });
}

/**
 * What each phone heard while the test listened: `hears(phone, hz)` is true when the tone was there,
 * `misses(phone, hz)` when it was not; otherwise each says what was measured (level, samples).
 */
interface Heard {
  hears(who: TestPhone | AgentPhone, hz: number): true | string;
  misses(who: TestPhone | AgentPhone, hz: number): true | string;
}

/** Listens for `ms` after a short settling time; returns what each phone heard then. */
async function listen(agents: readonly AgentPhone[], ms = 800): Promise<Heard> {
  await sleep(400);
  const marks = new Map(agents.map((a) => [a, a.mark()]));
  const from = Date.now();
  await sleep(ms);
  const to = Date.now();
  const heard = new Map(agents.map((a) => [a, a.heardSince(marks.get(a)!)]));
  const measure = (who: TestPhone | AgentPhone, hz: number): { level: number; samples: number } => {
    if (who instanceof TestPhone) {
      const samples = who.heard(from, to);
      return { level: Math.round(toneLevel(samples, hz)), samples: samples.length };
    }
    const h = heard.get(who);
    if (!h) throw new Error(`${who.user} was not listened to`);
    return { level: Math.round(toneLevel(h.samples, hz, h.rate)), samples: h.samples.length };
  };
  const say = (m: { level: number; samples: number }): string => `level ${m.level} in ${m.samples} samples`;
  return {
    hears: (who, hz) => {
      const m = measure(who, hz);
      return m.level > PRESENT || say(m);
    },
    misses: (who, hz) => {
      const m = measure(who, hz);
      return m.level < ABSENT || say(m);
    },
  };
}

const AGENTS = ['anna', 'bram', 'cleo', 'dana', 'emil', 'fay', 'gus', 'hal'] as const;
type AgentName = (typeof AGENTS)[number];

const tools = has('baresip', ['-h']) && has('sox', ['--version']) && existsModule('sndfile.so');
function existsModule(name: string): boolean {
  try {
    return readdirSync('/usr/lib/baresip/modules').includes(name);
  } catch {
    return false;
  }
}

if (requireOrSkip('baresip (with its sndfile module) and sox', tools)) {
  describe('the agent desktop\'s call control over real SIP (an assembly with <sip>, a trunk and the front office)', () => {
    afterAll(async () => {
      await Promise.all([...phones].map((c) => new Promise<void>((r) => { c.once('close', () => r()); c.kill('SIGKILL'); })));
    }, 30_000);

    forEachDatabase((db) => {
      let dir: string;
      let running: RunningAssembly | undefined;
      let sip: SipTelephonyAdapter;
      let log: ContactEventLog;
      let sipPort: number;
      let url: string;
      /** The far end of the trunk: the customer a manual dial reaches. */
      let outside: TestPhone;
      const customers: TestPhone[] = [];
      const secret = (): string => randomBytes(12).toString('base64url');
      const phonePasswords = Object.fromEntries(AGENTS.map((a) => [a, secret()])) as Record<AgentName, string>;
      const userPasswords = Object.fromEntries(AGENTS.map((a) => [a, secret()])) as Record<AgentName, string>;
      /** What the SIP adapter reported, in order. */
      const sipEvents: TelephonyEvent[] = [];

      beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'caruso-desktop-sip-cc-'));
        mkdirSync(join(dir, 'scripts'));
        // The assembly names a scripts folder, and an empty one is an error (caruso start checks it).
        writeFileSync(join(dir, 'scripts', 'greet.xml'), '<?xml version="1.0" encoding="UTF-8"?>\n<script id="greet" version="1" xml:lang="en"><end id="bye"><prompt>Hello.</prompt></end></script>\n');
        sipPort = await freePort();
        outside = await TestPhone.open('outside', { hz: CUSTOMER_HZ });
        outside.startMedia();
        const rtpMin = 20000 + 2 * Math.floor(Math.random() * 4000);
        // One queue, agent and direct line per test, so that the tests share no contact and no agent;
        // cleo and emil are the second agents (consulted), in a queue nobody calls.
        const lines: ReadonlyArray<readonly [string, AgentName]> = [['hold', 'anna'], ['transfer', 'bram'], ['conference', 'dana'], ['mute', 'fay'], ['dtmf', 'gus'], ['dial', 'hal']];
        execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', join(dir, 'hold.wav'), 'synth', '2', 'sine', String(HOLD_HZ), 'vol', '0.25']);
        const file = join(dir, 'desktop-sip-call-control.assembly.xml');
        writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>
<assembly name="desktop-sip-call-control">
  <model src="${join(fixtures, 'model', 'crm.model.xml')}"/>
  <scripts folder="scripts"/>
  <application src="${join(fixtures, 'app', 'crm.app.xml')}"/>
  <manager port="0"/>
  <http host="${LOOPBACK}" port="0"/>
  <sip host="${LOOPBACK}" port="${sipPort}" rtp-ports="${rtpMin}-${rtpMin + 300}" hold-music="hold.wav">
    <trunk name="pstn" host="${LOOPBACK}" port="${outside.sipPort}"/>
${AGENTS.map((a) => `    <phone user="${a}" password-env="TEST_${a.toUpperCase()}_PHONE" agent="${a}"/>`).join('\n')}
  </sip>
  <comms>
${lines.map(([q]) => `    <queue id="${q}" wrap-up="600" ring-timeout="20"/>`).join('\n')}
    <queue id="second" wrap-up="600" ring-timeout="20"/>
${lines.map(([q, a]) => `    <agent id="${a}" queues="${q}"/>`).join('\n')}
    <agent id="cleo" queues="second"/>
    <agent id="emil" queues="second"/>
${lines.map(([q], i) => `    <ivr number="+3130000010${i}" queue="${q}"/>`).join('\n')}
  </comms>
${AGENTS.map((a) => `  <user name="${a}" role="agent" agent="${a}" password-env="TEST_${a.toUpperCase()}_PASSWORD"/>`).join('\n')}
</assembly>
`);
        const env: Record<string, string> = { CARUSO_DB_URL: db.url, CARUSO_ACCESS_TOKEN: secret() };
        for (const a of AGENTS) {
          env[`TEST_${a.toUpperCase()}_PHONE`] = phonePasswords[a];
          env[`TEST_${a.toUpperCase()}_PASSWORD`] = userPasswords[a];
        }
        const { assembly, diagnostics } = readAssembly(file, env);
        const errors = diagnostics.filter((d) => d.severity === 'error');
        if (errors.length || !assembly) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
        running = await startAssembly(assembly, { env });
        url = running.frontOfficeUrl as string;
        sip = running.manager.get(TelephonyAdapter) as SipTelephonyAdapter;
        sip.onDidEvent((e) => sipEvents.push(e));
        log = running.manager.get(ContactEventLog);
      }, 60_000);

      afterAll(async () => {
        await running?.stop();
        await Promise.all([outside, ...customers].filter((p) => p !== undefined).map((p) => p.close()));
        if (dir) rmSync(dir, { recursive: true, force: true });
      }, 30_000);

      /** The contact's events in the log, in order. */
      const eventsOf = async (contactId: string): Promise<ContactEvent[]> => (await log.read()).filter((e) => e.contactId === contactId);
      const kindsOf = async (contactId: string): Promise<string[]> => (await eventsOf(contactId)).map((e) => e.kind);
      const sipOf = (callId: string): string => JSON.stringify(sipEvents.filter((e) => e.callId === callId));

      /** Every fault contained while a test runs (a listener, timer or socket that threw). */
      const watchFaults = (): { readonly faults: ContainedFault[]; dispose(): void } => {
        const faults: ContainedFault[] = [];
        const sub = onDidContainFault((f) => faults.push(f));
        return { faults, dispose: () => sub.dispose() };
      };
      const describeFaults = (faults: readonly ContainedFault[]): string[] =>
        faults.map((f) => `${f.owner} (${f.where}): ${f.error instanceof Error ? `${(f.error as Error & { code?: string }).code ?? ''} ${f.error.message}` : String(f.error)}`);

      /** The agent's phone registered (its tone `hz`), the agent logged in on the desktop and Ready. */
      const readyAgent = async (user: AgentName, hz: number): Promise<{ phone: AgentPhone; client: ApiClient }> => {
        const phone = await startPhone(dir, user, phonePasswords[user], sipPort, hz);
        await until(() => sip.registrar.lookup(user).length > 0, 10_000, () => `${user}'s phone to register\n${phone.output()}`);
        const client = await loggedInClient(url, user, userPasswords[user]);
        const ready = await client.post('/api/agent/ready');
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({ agent: { id: user, state: 'ready' } });
        return { phone, client };
      };

      /** A customer calls the direct line of `queue` and is connected to `agent` (whose phone answers by itself). */
      const callIn = async (line: number, agent: AgentName, agentPhone: AgentPhone): Promise<{ caller: TestPhone; contactId: string }> => {
        const caller = await TestPhone.open('customer', { hz: CUSTOMER_HZ });
        customers.push(caller);
        caller.startMedia();
        await caller.call(sipPort, `+3130000010${line}`);
        let contactId = '';
        await until(async () => {
          contactId = (await log.read()).find((e) => e.kind === 'connected' && e.agentId === agent)?.contactId ?? '';
          return contactId !== '';
        }, 15_000, () => `the call to connect to ${agent}'s phone ${JSON.stringify(sipEvents)}\n${agentPhone.output()}`);
        await until(() => sipEvents.some((e) => e.type === 'bridged' && e.callId === contactId), 5000, () => `the SIP bridge ${sipOf(contactId)}`);
        return { caller, contactId };
      };

      /** GET /api/desktop of an agent. */
      const desktop = async (client: ApiClient): Promise<DesktopBody> => {
        const r = await client.get('/api/desktop');
        expect(r.status).toBe(200);
        return r.body as DesktopBody;
      };

      /** The customer hangs up; the contact completes and the agent's phone gets its BYE. */
      const customerHangsUp = async (caller: TestPhone, contactId: string, agentPhones: readonly AgentPhone[]): Promise<void> => {
        // An attended transfer completed the first agent's part already: one more `completed` ends the contact.
        const completed = async (): Promise<number> => (await kindsOf(contactId)).filter((k) => k === 'completed').length;
        const before = await completed();
        caller.hangUp();
        await until(async () => (await completed()) > before && !sip.isActive(contactId), 5000, () => `the contact to complete ${sipOf(contactId)}`);
        for (const p of agentPhones) await until(() => p.output().includes('session closed'), 5000, () => `${p.user}'s phone to get its BYE\n${p.output()}`);
      };

      it('holds and retrieves from the desktop: the customer gets re-INVITEs sendonly then sendrecv, the two stop and start hearing each other, held/retrieved are logged and shown', async () => {
        const { phone, client } = await readyAgent('anna', AGENT_HZ);
        const faults = watchFaults();
        try {
          const { caller, contactId } = await callIn(0, 'anna', phone);
          let heard = await listen([phone]);
          expect({ customerHearsAgent: heard.hears(caller, AGENT_HZ), agentHearsCustomer: heard.hears(phone, CUSTOMER_HZ) }).toEqual({ customerHearsAgent: true, agentHearsCustomer: true });
          const invites = caller.seen('INVITE').length;

          const hold = await client.post(`/api/contacts/${contactId}/hold`);
          expect({ status: hold.status, body: hold.body }).toMatchObject({ status: 200, body: { contact: { id: contactId, held: true } } });
          await until(() => caller.seen('INVITE').length > invites, 3000, () => `the hold re-INVITE ${sipOf(contactId)}`);
          expect(caller.seen('INVITE').slice(invites).map((r) => r.direction)).toEqual(['sendonly']);
          expect((await desktop(client)).contacts).toEqual([expect.objectContaining({ id: contactId, held: true })]);
          heard = await listen([phone]);
          // The held customer hears the assembly's hold music and nothing of the agent; the agent nothing of the customer.
          expect({ customerHearsMusic: heard.hears(caller, HOLD_HZ), customerMissesAgent: heard.misses(caller, AGENT_HZ), agentMissesCustomer: heard.misses(phone, CUSTOMER_HZ) })
            .toEqual({ customerHearsMusic: true, customerMissesAgent: true, agentMissesCustomer: true });

          const retrieve = await client.post(`/api/contacts/${contactId}/retrieve`);
          expect({ status: retrieve.status, body: retrieve.body }).toMatchObject({ status: 200, body: { contact: { id: contactId, held: false } } });
          await until(() => caller.seen('INVITE').length > invites + 1, 3000, () => `the retrieve re-INVITE ${sipOf(contactId)}`);
          expect(caller.seen('INVITE').slice(invites).map((r) => r.direction)).toEqual(['sendonly', 'sendrecv']);
          expect((await desktop(client)).contacts).toEqual([expect.objectContaining({ id: contactId, held: false })]);
          heard = await listen([phone]);
          expect({ customerHearsAgent: heard.hears(caller, AGENT_HZ), agentHearsCustomer: heard.hears(phone, CUSTOMER_HZ), musicStopped: heard.misses(caller, HOLD_HZ) })
            .toEqual({ customerHearsAgent: true, agentHearsCustomer: true, musicStopped: true });
          expect(await kindsOf(contactId)).toEqual(['queue-entered', 'offered', 'connected', 'held', 'retrieved']);

          await customerHangsUp(caller, contactId, [phone]);
          expect(describeFaults(faults.faults)).toEqual([]);
        } finally {
          faults.dispose();
          await stopPhone(phone);
        }
      });

      it('completes an attended transfer from the desktop: the second agent\'s phone answers, then talks to the customer; the first gets BYE, wraps up on the linked customer', async () => {
        const first = await readyAgent('bram', AGENT_HZ);
        const second = await readyAgent('cleo', SECOND_HZ);
        const faults = watchFaults();
        try {
          const created = await first.client.post('/api/objects/Customer', { name: 'Ada Transfer', phone: '+31205550001' });
          expect(created.status).toBe(201);
          const recordId = String((created.body as { data: { id: string | number } }).data.id);
          const { caller, contactId } = await callIn(1, 'bram', first.phone);
          const link = await first.client.request('PUT', `/api/contacts/${contactId}/customer`, { object: 'Customer', recordId });
          expect(link.status).toBe(200);

          const consult = await first.client.post(`/api/contacts/${contactId}/transfer`, { mode: 'consult', agentId: 'cleo' });
          expect({ status: consult.status, body: consult.body }).toMatchObject({ status: 200, body: { contact: { id: contactId, held: true, consult: { party: { agentId: 'cleo' } } } } });
          // cleo's phone rings and answers: the adapter reports the consultation answered, the desktop shows it.
          await until(() => sipEvents.some((e) => e.type === 'consult-answered' && e.callId === contactId), 10_000, () => `cleo's phone to answer the consultation ${sipOf(contactId)}\n${second.phone.output()}`);
          await until(async () => (await desktop(first.client)).contacts[0]?.consult?.answered === true, 5000, () => 'the desktop to show the consultation answered');
          expect(caller.seen('INVITE').at(-1)?.direction).toBe('sendonly');
          let heard = await listen([first.phone, second.phone]);
          expect({
            bramHearsCleo: heard.hears(first.phone, SECOND_HZ), cleoHearsBram: heard.hears(second.phone, AGENT_HZ),
            customerMissesBram: heard.misses(caller, AGENT_HZ), customerMissesCleo: heard.misses(caller, SECOND_HZ), cleoMissesCustomer: heard.misses(second.phone, CUSTOMER_HZ),
          }).toEqual({ bramHearsCleo: true, cleoHearsBram: true, customerMissesBram: true, customerMissesCleo: true, cleoMissesCustomer: true });

          const complete = await first.client.post(`/api/contacts/${contactId}/consult/complete`, { outcome: 'transfer' });
          expect({ status: complete.status, body: complete.body }).toEqual({ status: 200, body: { contact: null } });
          await until(() => first.phone.output().includes('session closed'), 5000, () => `bram's phone to get its BYE\n${first.phone.output()}`);
          await until(() => caller.seen('INVITE').at(-1)?.direction === 'sendrecv', 3000, () => `the customer's re-INVITE sendrecv ${sipOf(contactId)}`);
          heard = await listen([second.phone]);
          expect({ cleoHearsCustomer: heard.hears(second.phone, CUSTOMER_HZ), customerHearsCleo: heard.hears(caller, SECOND_HZ), customerMissesBram: heard.misses(caller, AGENT_HZ) })
            .toEqual({ cleoHearsCustomer: true, customerHearsCleo: true, customerMissesBram: true });

          const cleo = await desktop(second.client);
          expect(cleo.agent).toMatchObject({ id: 'cleo', state: 'busy' });
          expect(cleo.contacts).toEqual([expect.objectContaining({ id: contactId, held: false, consult: null, customer: expect.objectContaining({ object: 'Customer', id: recordId }) })]);
          const bram = await desktop(first.client);
          expect({ agent: bram.agent, contacts: bram.contacts, wrapUps: bram.wrapUps.map((w) => w.contactId) })
            .toEqual({ agent: expect.objectContaining({ id: 'bram', state: 'wrap-up' }), contacts: [], wrapUps: [contactId] });

          const wrap = await first.client.post(`/api/contacts/${contactId}/wrap-up`, { code: 'solved', notes: 'passed on to cleo' });
          expect(wrap.status).toBe(200);
          const disposition = (await eventsOf(contactId)).filter((e) => e.kind === 'disposition');
          expect(disposition).toEqual([expect.objectContaining({ agentId: 'bram', reason: 'solved', data: expect.objectContaining({ customer: { object: 'Customer', id: recordId } }) })]);
          expect(await kindsOf(contactId)).toEqual([
            'queue-entered', 'offered', 'connected', 'customer-linked', 'held', 'consult-started', 'consult-ended', 'retrieved', 'completed', 'transferred', 'connected', 'disposition', 'wrap-up-ended',
          ]);
          expect((await eventsOf(contactId)).filter((e) => e.kind === 'connected').map((e) => e.agentId)).toEqual(['bram', 'cleo']);

          await customerHangsUp(caller, contactId, [second.phone]);
          expect((await eventsOf(contactId)).at(-1)).toMatchObject({ kind: 'completed', agentId: 'cleo' });
          expect(describeFaults(faults.faults)).toEqual([]);
        } finally {
          faults.dispose();
          await Promise.all([stopPhone(first.phone), stopPhone(second.phone)]);
        }
      });

      it('joins three in a conference from the desktop (consult, then complete as a conference): each hears the two others', async () => {
        const first = await readyAgent('dana', AGENT_HZ);
        const second = await readyAgent('emil', SECOND_HZ);
        const faults = watchFaults();
        try {
          const { caller, contactId } = await callIn(2, 'dana', first.phone);
          const consult = await first.client.post(`/api/contacts/${contactId}/transfer`, { mode: 'consult', agentId: 'emil' });
          expect(consult.status).toBe(200);
          await until(async () => (await desktop(first.client)).contacts[0]?.consult?.answered === true, 10_000, () => `emil's phone to answer ${sipOf(contactId)}\n${second.phone.output()}`);

          const complete = await first.client.post(`/api/contacts/${contactId}/consult/complete`, { outcome: 'conference' });
          expect({ status: complete.status, body: complete.body }).toMatchObject({ status: 200, body: { contact: { id: contactId, held: false, consult: null, conferees: ['emil'] } } });
          await until(() => caller.seen('INVITE').at(-1)?.direction === 'sendrecv', 3000, () => `the customer's re-INVITE sendrecv ${sipOf(contactId)}`);
          const heard = await listen([first.phone, second.phone], 1000);
          // Each hears the two others; nobody hears their own tone back.
          const matrix = (p: TestPhone | AgentPhone, own: number): Array<true | string> => [CUSTOMER_HZ, AGENT_HZ, SECOND_HZ].map((hz) => (hz === own ? heard.misses(p, hz) : heard.hears(p, hz)));
          expect({ customer: matrix(caller, CUSTOMER_HZ), dana: matrix(first.phone, AGENT_HZ), emil: matrix(second.phone, SECOND_HZ) })
            .toEqual({ customer: [true, true, true], dana: [true, true, true], emil: [true, true, true] });
          expect((await desktop(second.client)).contacts).toEqual([expect.objectContaining({ id: contactId })]);
          expect(await kindsOf(contactId)).toEqual(['queue-entered', 'offered', 'connected', 'held', 'consult-started', 'consult-ended', 'retrieved', 'conferenced']);

          await customerHangsUp(caller, contactId, [first.phone, second.phone]);
          expect(describeFaults(faults.faults)).toEqual([]);
        } finally {
          faults.dispose();
          await Promise.all([stopPhone(first.phone), stopPhone(second.phone)]);
        }
      });

      it('mutes from the desktop: the customer gets silence (the packets keep coming), the agent still hears the customer; unmute restores', async () => {
        const { phone, client } = await readyAgent('fay', AGENT_HZ);
        const faults = watchFaults();
        try {
          const { caller, contactId } = await callIn(3, 'fay', phone);
          const mute = await client.post(`/api/contacts/${contactId}/mute`, { muted: true });
          expect({ status: mute.status, body: mute.body }).toMatchObject({ status: 200, body: { contact: { id: contactId, muted: true } } });
          await sleep(400);
          const marks = phone.mark();
          const from = Date.now();
          await sleep(1000);
          const to = Date.now();
          const agentHeard = phone.heardSince(marks);
          // About 50 packets a second keep coming, all silence; each check says what it measured when it fails.
          const packets = caller.packets(from, to);
          const loudness = Math.round(rms(caller.heard(from, to)));
          const agentLevel = Math.round(toneLevel(agentHeard.samples, CUSTOMER_HZ, agentHeard.rate));
          expect({ packets: packets > 35 || packets, silence: loudness < 150 || loudness, agentHearsCustomer: agentLevel > PRESENT || agentLevel })
            .toEqual({ packets: true, silence: true, agentHearsCustomer: true });
          expect((await desktop(client)).contacts).toEqual([expect.objectContaining({ id: contactId, muted: true })]);

          const unmute = await client.post(`/api/contacts/${contactId}/mute`, { muted: false });
          expect({ status: unmute.status, body: unmute.body }).toMatchObject({ status: 200, body: { contact: { id: contactId, muted: false } } });
          const heard = await listen([phone]);
          expect({ customerHearsAgent: heard.hears(caller, AGENT_HZ), agentHearsCustomer: heard.hears(phone, CUSTOMER_HZ) }).toEqual({ customerHearsAgent: true, agentHearsCustomer: true });
          expect(await kindsOf(contactId)).toEqual(['queue-entered', 'offered', 'connected', 'muted', 'unmuted']);

          await customerHangsUp(caller, contactId, [phone]);
          expect(describeFaults(faults.faults)).toEqual([]);
        } finally {
          faults.dispose();
          await stopPhone(phone);
        }
      });

      it('sends DTMF from the desktop: the customer receives "12#" as RFC 4733 events; the log keeps the count only', async () => {
        const { phone, client } = await readyAgent('gus', AGENT_HZ);
        const faults = watchFaults();
        try {
          const { caller, contactId } = await callIn(4, 'gus', phone);
          const dtmf = await client.post(`/api/contacts/${contactId}/dtmf`, { digits: '12#' });
          expect({ status: dtmf.status, body: dtmf.body }).toMatchObject({ status: 200, body: { contact: { id: contactId } } });
          await until(() => caller.events.filter((e) => e.end).length >= 9, 5000, () => `the three keys to arrive ${JSON.stringify(caller.events)}`);
          // The payload type the customer's SDP offered (101); one event per key, each ended by three end packets.
          expect(new Set(caller.events.map((e) => e.pt))).toEqual(new Set([101]));
          const keys = [...new Set(caller.events.map((e) => e.ts))].map((ts) => caller.events.filter((e) => e.ts === ts));
          expect(keys.map((k) => ({ event: k[0]!.event, marker: k[0]!.marker, ends: k.filter((e) => e.end).length })))
            .toEqual([{ event: 1, marker: true, ends: 3 }, { event: 2, marker: true, ends: 3 }, { event: 11, marker: true, ends: 3 }]);
          const sent = (await eventsOf(contactId)).filter((e) => e.kind === 'dtmf-sent');
          expect(sent).toEqual([expect.objectContaining({ agentId: 'gus', data: { count: 3 } })]);

          await customerHangsUp(caller, contactId, [phone]);
          expect(describeFaults(faults.faults)).toEqual([]);
        } finally {
          faults.dispose();
          await stopPhone(phone);
        }
      });

      it('dials a number from the desktop through the trunk: the agent\'s phone and the customer talk; the outbound contact is the agent\'s and ends when the customer hangs up', async () => {
        const { phone, client } = await readyAgent('hal', AGENT_HZ);
        const faults = watchFaults();
        try {
          const invites = outside.seen('INVITE').length;
          const dial = await client.post('/api/agent/dial', { number: '555 1234' });
          expect({ status: dial.status, body: dial.body }).toMatchObject({ status: 201, body: { contact: { channel: 'call', direction: 'outbound', queueId: 'dial', state: 'connected' } } });
          const contactId = (dial.body as { contact: { id: string } }).contact.id;
          // The customer's phone (behind the trunk) rings with the number dialled, and answers; then the agent's phone.
          await until(() => outside.seen('INVITE').length > invites && outside.connected, 5000, () => `the customer to answer ${JSON.stringify(sipEvents.slice(-5))}`);
          await until(() => sipEvents.some((e) => e.type === 'bridged' && e.endpoint === 'agent:hal'), 10_000, () => `hal's phone to answer ${JSON.stringify(sipEvents.slice(-5))}\n${phone.output()}`);
          const heard = await listen([phone]);
          expect({ customerHearsAgent: heard.hears(outside, AGENT_HZ), agentHearsCustomer: heard.hears(phone, CUSTOMER_HZ) }).toEqual({ customerHearsAgent: true, agentHearsCustomer: true });
          const hal = await desktop(client);
          expect({ agent: hal.agent.state, contacts: hal.contacts }).toEqual({ agent: 'busy', contacts: [expect.objectContaining({ id: contactId, channel: 'call', direction: 'outbound', state: 'connected' })] });
          expect(await eventsOf(contactId)).toEqual([
            expect.objectContaining({ kind: 'queue-entered', direction: 'outbound' }),
            expect.objectContaining({ kind: 'connected', agentId: 'hal' }),
            expect.objectContaining({ kind: 'dial-result', agentId: 'hal', reason: 'answered' }),
          ]);

          outside.hangUp();
          await until(async () => (await kindsOf(contactId)).includes('completed'), 5000, () => `the contact to complete ${JSON.stringify(sipEvents.slice(-5))}`);
          await until(() => phone.output().includes('session closed'), 5000, () => `hal's phone to get its BYE\n${phone.output()}`);
          expect((await eventsOf(contactId)).at(-1)).toMatchObject({ kind: 'completed', agentId: 'hal' });
          const after = await desktop(client);
          expect({ agent: after.agent.state, contacts: after.contacts, wrapUps: after.wrapUps.map((w) => w.contactId) }).toEqual({ agent: 'wrap-up', contacts: [], wrapUps: [contactId] });
          expect(describeFaults(faults.faults)).toEqual([]);
        } finally {
          faults.dispose();
          await stopPhone(phone);
        }
      });
    });
  });
}

/** What the tests read of GET /api/desktop. */
interface DesktopBody {
  readonly agent: { readonly id: string; readonly state: string };
  readonly contacts: ReadonlyArray<{
    readonly id: string;
    readonly held: boolean;
    readonly muted: boolean;
    readonly conferees: readonly string[];
    readonly consult: { readonly party: unknown; readonly answered: boolean } | null;
  }>;
  readonly wrapUps: ReadonlyArray<{ readonly contactId: string }>;
}
