// examples/utility started the way `npm start` starts it (with the simulate option): a stock SIP
// client (SIPp) that calls any number gets the telephone menu (ivr-main) over the SIP adapter,
// while the demo load's simulated network runs beside it. Needs `npx tsc -b` first (dist/ is loaded).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SimulatedTelephony, TelephonyAdapter, TelephonyWithSimulation, type SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { requireOrSkip } from '@caruso/kernel/testing';
import { createStorage, type StorageManager } from '@caruso/storage';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { freePort, has, killPeers, makeTone, sipp, until } from '@caruso/comms/testing';
import { generateDemoData } from '../src/index.js';
import { officeHoursClock } from './office-hours-clock.js';
import { root, utilityAssemblyOn } from './utility-assembly-setup.js';

jest.setTimeout(60_000);

const PASSWORD = randomBytes(12).toString('base64url');
const tools = has('sipp') && has('sox', ['--version']) && has('espeak-ng', ['--version']);

if (requireOrSkip('SIPp, sox and espeak-ng', tools)) {
  describe('examples/utility answers a SIP phone with its telephone menu (simulate option, SQLite)', () => {
    let dir: string;
    let storage: StorageManager;
    let running: RunningAssembly | undefined;
    let sipPort: number;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(clock);

    beforeAll(async () => {
      if (!existsSync(join(root, 'dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), 'caruso-utility-sip-'));
      const url = `sqlite:${join(dir, 'utility.db')}`;
      storage = await createStorage(url);
      sipPort = await freePort();
      const env = { CARUSO_DB_URL: url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: String(sipPort), CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0', UTILITY_SUPERVISOR_PASSWORD: PASSWORD };
      const assembly = await utilityAssemblyOn(storage, dir, generateDemoData({ customers: 60, seed: 3 }), env);
      running = await startAssembly(assembly, { env, clock, telephony, simulate: true });
    }, 60_000);

    afterAll(async () => {
      await killPeers();
      await running?.stop();
      telephony.dispose();
      await storage?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('plays ivr-main to a caller who dials a number no <ivr> names, over real SIP and RTP', async () => {
      const r = running as RunningAssembly;
      expect(r.sipAddress).toBe(`sip:127.0.0.1:${sipPort}`);
      expect(r.notStarted).toEqual([]);
      expect(r.services().map((s) => s.tokenId)).toContain('utility.DemoLoad');
      const adapter = r.manager.get(TelephonyAdapter) as unknown as TelephonyWithSimulation;
      expect(r.services().find((s) => s.tokenId === TelephonyAdapter.id)).toMatchObject({ state: 'active', properties: { adapter: 'sip+sim' } });
      const offered: Array<Extract<TelephonyEvent, { type: 'call-offered' }>> = [];
      const sub = adapter.onDidEvent((e) => {
        if (e.type === 'call-offered' && e.to === '+31612345678') offered.push(e);
      });
      try {
        const caller = sipp({
          scenario: 'caller-audio.xml',
          dir,
          placeholders: { AUDIO: makeTone(join(dir, 'voice.wav'), 10), TALK_MS: '6000' },
          port: await freePort(),
          mediaPort: await freePort(),
          remotePort: sipPort,
          args: ['-m', '1', '-s', '+31612345678'],
          timeoutMs: 30_000,
        });
        await until(() => offered.length === 1, 10_000, 'the SIP call to be offered');
        const callId = offered[0]!.callId;
        expect(adapter.adapterOf(callId)).toBe('real');
        // The menu is spoken to the caller: RTP flows from Caruso to the phone.
        const real = adapter.real as SipTelephonyAdapter;
        await until(() => (real.mediaStats(callId).caller?.packetsSent ?? 0) > 50, 15_000, () => `the menu prompt to play (${JSON.stringify(real.mediaStats(callId))})`);
        // …by the dialogue engine, running ivr-main on the IVR channel.
        const sessions = (await storage.knex('dialogue_sessions').where({ script: 'ivr-main', channel: 'ivr' })) as unknown[];
        expect(sessions.length).toBeGreaterThanOrEqual(1);
        const { code, output } = await caller.done;
        expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
        await until(() => !real.isActive(callId), 5_000, 'the call to end');
      } finally {
        sub.dispose();
      }
    });
  });
}
