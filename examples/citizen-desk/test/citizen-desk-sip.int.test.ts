// examples/citizen-desk answers a real SIP call (SIPp, on loopback) to the municipal number with its
// telephone menu: the SIP adapter of the assembly's <sip> takes the call, the dialogue engine runs
// ivr-main on the IVR channel and its prompt is spoken to the caller over RTP. SQLite only (the
// other channels run on SQLite and PostgreSQL in citizen-desk.int.test.ts). Needs `npx tsc -b` first
// (the assembly loads the billing wrapper from ../utility/dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { SimulatedTelephony, TelephonyAdapter, type SipTelephonyAdapter, type TelephonyEvent, type TelephonyWithSimulation } from '@caruso/comms';
import { freePort, has, killPeers, makeTone, sipp, until } from '@caruso/comms/testing';
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
const tools = has('sipp') && has('sox', ['--version']) && has('espeak-ng', ['--version']);

if (requireOrSkip('SIPp, sox and espeak-ng', tools)) {
  describe('examples/citizen-desk answers a SIP call to the municipal number with its telephone menu', () => {
    let dir: string;
    let storage: StorageManager;
    let running: RunningAssembly | undefined;
    let sipPort: number;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(clock);

    beforeAll(async () => {
      if (!existsSync(join(root, '../utility/dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), 'caruso-citizen-desk-sip-'));
      const belas = join(dir, 'belas.db');
      await seedLegacyBilling({ database: belas, schemaSql: readFileSync(join(root, 'test/fixtures/belas-schema.sql'), 'utf8'), model: loadModelFile(join(root, 'model/legacy-tax.model.xml')), data: { accounts: [], invoices: [] } });
      const url = `sqlite:${join(dir, 'caruso.db')}`;
      storage = await createStorage(url);
      await applyMigration(loadModelFile(join(root, 'model/citizen.model.xml')), storage);
      sipPort = await freePort();
      const env = { CARUSO_DB_URL: url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: String(sipPort), CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0', BEEKDAL_ADMIN_PASSWORD: PASSWORD };
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
  });
}
