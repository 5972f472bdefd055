// examples/citizen-desk answers a real SIP call (SIPp, on loopback) to the municipal number with its
// telephone menu: the SIP adapter of the assembly's <sip> takes the call, the dialogue engine runs
// ivr-main on the IVR channel and its prompt is spoken to the caller over RTP. Then a caller keys
// 0 (RFC 4733) in the menu, is queued in algemeen and reaches an agent: anouk, logged in over the
// REST API and ready, with her SIP phone (a TestPhone) registered under her agent id, the account
// given the way the assembly's <sip> without <phone> takes one (CARUSO_SIP_USERS). SQLite only (the
// other channels run on SQLite and PostgreSQL in citizen-desk.int.test.ts and
// citizen-desk-chat.int.test.ts). Needs `npx tsc -b` first (the assembly loads the billing wrapper
// from ../utility/dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { CommunicationServer, SimulatedTelephony, TelephonyAdapter, type SipTelephonyAdapter, type TelephonyEvent, type TelephonyWithSimulation } from '@caruso/comms';
import { eventually, freeMediaPort, freePort, has, killPeers, listen, makeTone, PhoneSet, sipp, until } from '@caruso/comms/testing';
import { loggedInClient } from '@caruso/frontoffice/testing';
import { requireOrSkip } from '@caruso/kernel/testing';
import { applyMigration, loadModelFile } from '@caruso/objects';
import { createStorage, type StorageManager } from '@caruso/storage';
import { readAssembly, type Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { seedLegacyBilling } from '../../utility/src/index.js';
import { officeHoursClock } from '../../utility/test/office-hours-clock.js';

jest.setTimeout(60_000);

const root = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = randomBytes(12).toString('base64url');
/** The SIP password of anouk's phone (account agent-anouk: the endpoint the router rings for her). */
const PHONE_SECRET = randomBytes(12).toString('base64url');
/** Key 0 of the telephone menu ("voor andere vragen"), as RFC 4733 events SIPp plays. */
const DTMF_0 = '/usr/share/sip-tester/dtmf_2833_0.pcap';
const tools = has('sipp') && has('sox', ['--version']) && has('espeak-ng', ['--version']) && existsSync(DTMF_0);

if (requireOrSkip('SIPp (with its DTMF pcaps), sox and espeak-ng', tools)) {
  describe('examples/citizen-desk over real SIP: the telephone menu of the municipal number, and a call through it to an agent', () => {
    let dir: string;
    let storage: StorageManager;
    let running: RunningAssembly | undefined;
    let sipPort: number;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(clock);
    const phones = new PhoneSet();

    beforeAll(async () => {
      if (!existsSync(join(root, '../utility/dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), 'caruso-citizen-desk-sip-'));
      const belas = join(dir, 'belas.db');
      await seedLegacyBilling({ database: belas, schemaSql: readFileSync(join(root, 'test/fixtures/belas-schema.sql'), 'utf8'), model: loadModelFile(join(root, 'model/legacy-tax.model.xml')), data: { accounts: [], invoices: [] } });
      const url = `sqlite:${join(dir, 'caruso.db')}`;
      storage = await createStorage(url);
      await applyMigration(loadModelFile(join(root, 'model/citizen.model.xml')), storage);
      sipPort = await freePort();
      const env = {
        CARUSO_DB_URL: url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: String(sipPort), CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0',
        BEEKDAL_ADMIN_PASSWORD: PASSWORD, BEEKDAL_AGENT_ANOUK_PASSWORD: PASSWORD,
        // The phone accounts of a <sip> without <phone> elements: anouk's phone, by her agent id.
        CARUSO_SIP_USERS: `agent-anouk:${PHONE_SECRET}`,
      };
      const read = readAssembly(join(root, 'assembly.xml'), env);
      const errors = read.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
      const a = read.assembly as Assembly;
      running = await startAssembly(
        { ...a, dataDir: dir, services: a.services.map((s) => (s.token === 'billing.Invoices' ? { ...s, config: { ...s.config, database: belas } } : s)) },
        { env, clock, telephony, simulate: true },
      );
    }, 60_000);

    afterAll(async () => {
      await killPeers();
      await phones.close();
      await running?.stop();
      telephony.dispose();
      await storage?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('speaks ivr-main to a caller who dials 14 0123, over real SIP and RTP', async () => {
      const r = running as RunningAssembly;
      expect(r.sipAddress).toBe(`sip:127.0.0.1:${sipPort}`);
      expect(r.services().find((s) => s.tokenId === TelephonyAdapter.id)).toMatchObject({ state: 'active', properties: { adapter: 'sip+sim' } });
      const adapter = r.manager.get(TelephonyAdapter) as unknown as TelephonyWithSimulation;
      const offered: Array<Extract<TelephonyEvent, { type: 'call-offered' }>> = [];
      const sub = adapter.onDidEvent((e) => {
        if (e.type === 'call-offered') offered.push(e);
      });
      try {
        const caller = sipp({
          scenario: 'caller-audio.xml',
          dir,
          placeholders: { AUDIO: makeTone(join(dir, 'voice.wav'), 10), TALK_MS: '6000' },
          port: await freePort(),
          mediaPort: await freePort(),
          remotePort: sipPort,
          args: ['-m', '1', '-s', '+31880123000'],
          timeoutMs: 30_000,
        });
        await until(() => offered.length === 1, 10_000, 'the SIP call to be offered');
        const callId = offered[0]!.callId;
        expect(offered[0]).toMatchObject({ to: '+31880123000' });
        expect(adapter.adapterOf(callId)).toBe('real');
        // The menu is spoken to the caller: RTP flows from Caruso to the phone…
        const real = adapter.real as SipTelephonyAdapter;
        await until(() => (real.mediaStats(callId).caller?.packetsSent ?? 0) > 50, 15_000, () => `the menu prompt to play (${JSON.stringify(real.mediaStats(callId))})`);
        // …by the dialogue engine, running the municipality's ivr-main on the IVR channel.
        const sessions = (await storage.knex('dialogue_sessions').where({ script: 'ivr-main', channel: 'ivr' })) as unknown[];
        expect(sessions).toHaveLength(1);
        const { code, output } = await caller.done;
        expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
        await until(() => !real.isActive(callId), 5_000, 'the call to end');
      } finally {
        sub.dispose();
      }
    });

    it('takes a caller who keys 0 in the menu through the queue algemeen to anouk’s registered phone, connected in the event log', async () => {
      const r = running as RunningAssembly;
      const adapter = r.manager.get(TelephonyAdapter) as unknown as TelephonyWithSimulation;
      const real = adapter.real as SipTelephonyAdapter;
      // anouk's phone registers with the assembly's SIP adapter (digest, the password from the environment)…
      const phone = await phones.open('anouk', { hz: 1000 });
      await phone.register({ port: sipPort }, 'agent-anouk', PHONE_SECRET);
      expect(real.registrar.lookup('agent-anouk')).toHaveLength(1);
      // …and she logs in over the REST API and goes ready.
      const anouk = await loggedInClient(r.frontOfficeUrl as string, 'anouk', PASSWORD);
      expect((await anouk.post('/api/agent/ready')).status).toBe(200);

      const offered: Array<Extract<TelephonyEvent, { type: 'call-offered' }>> = [];
      const sub = adapter.onDidEvent((e) => {
        if (e.type === 'call-offered') offered.push(e);
      });
      type EventRow = { kind: string; queue_id: string | null; agent_id: string | null; channel: string | null };
      const eventsOf = async (contactId: string): Promise<EventRow[]> => (await storage.knex('caruso_contact_events').where({ contact_id: contactId }).orderBy('seq')) as EventRow[];
      try {
        // The caller dials 14 0123, keys 0 while the menu speaks, streams a 440 Hz tone and waits for a BYE.
        const caller = sipp({
          scenario: 'caller-dtmf-waits.xml',
          dir,
          placeholders: { DTMF: DTMF_0, AUDIO: makeTone(join(dir, 'caller.wav'), 40, 440), WAIT_MS: '45000' },
          port: await freePort(),
          mediaPort: await freeMediaPort(),
          remotePort: sipPort,
          args: ['-m', '1', '-s', '+31880123000'],
          timeoutMs: 50_000,
        });
        await until(() => offered.length === 1, 10_000, 'the SIP call to be offered');
        const callId = offered[0]!.callId;
        expect(adapter.adapterOf(callId)).toBe('real');

        // The menu hands the call to algemeen; the router rings anouk's phone, which answers: connected.
        let rows: EventRow[] = [];
        await eventually(async () => (rows = await eventsOf(callId)).some((e) => e.kind === 'connected'), 'the call to reach anouk', 30_000)
          .catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(rows)} ${JSON.stringify(real.mediaStats(callId))}`); });
        expect(rows.find((e) => e.kind === 'connected')).toMatchObject({ queue_id: 'algemeen', agent_id: 'agent-anouk', channel: 'call' });
        expect(phone.connected).toBe(true);
        expect(phone.seen('INVITE')).toHaveLength(1);
        // What the caller keyed in the menu travelled with the call.
        expect(r.manager.get(CommunicationServer).contact(callId)?.data).toMatchObject({ menu: 'other', dialled: '+31880123000' });
        // The call is hers on the desktop.
        expect(((await anouk.get('/api/agent')).body as { agent: { contactIds: string[] } }).agent.contactIds).toContain(callId);

        // Audio both ways through Caruso: the phone hears the caller's tone, the caller's leg gets the phone's.
        const level = await listen(1000, 500);
        expect(level(phone, 440)).toBeGreaterThan(2500);
        await until(() => (real.mediaStats(callId).agent?.packetsReceived ?? 0) > 25 && (real.mediaStats(callId).caller?.packetsReceived ?? 0) > 25, 5_000,
          () => `media both ways ${JSON.stringify(real.mediaStats(callId))}`);

        // anouk hangs up on the desktop: the caller gets the BYE (SIPp ends well), so does her phone.
        expect((await anouk.post(`/api/contacts/${encodeURIComponent(callId)}/hang-up`)).status).toBe(200);
        const { code, output } = await caller.done;
        expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
        await until(() => !real.isActive(callId) && !phone.connected, 5_000, 'the call and the phone’s leg to end');
        expect(phone.seen('BYE')).toHaveLength(1);

        // Her wrap-up with one of the app's codes; the event log reads the call's life in algemeen.
        const w = await anouk.post(`/api/contacts/${encodeURIComponent(callId)}/wrap-up`, { code: 'afgehandeld' });
        expect(w.status).toBe(200);
        expect((w.body as { agent: { state: string } }).agent.state).toBe('ready');
        await eventually(async () => (rows = await eventsOf(callId)).some((e) => e.kind === 'disposition'), 'the call’s disposition in the contact event log');
        const lifecycle = rows.filter((e) => ['queue-entered', 'offered', 'connected', 'completed'].includes(e.kind));
        expect(lifecycle.map((e) => `${e.kind}:${e.queue_id ?? ''}:${e.agent_id ?? ''}`)).toEqual([
          'queue-entered:algemeen:',
          'offered:algemeen:agent-anouk',
          'connected:algemeen:agent-anouk',
          'completed:algemeen:agent-anouk',
        ]);
        expect(rows.filter((e) => e.kind === 'disposition')).toHaveLength(1);
      } finally {
        sub.dispose();
      }
    });
  });
}
