// Quality management against the communication server's real SIP path: phones on loopback
// (TestPhone), the SIP adapter recording the call and mixing the supervisor's phone in. The agent
// pauses the recording through the front office; the supervisor, in a real Chromium, picks Listen on
// the wallboard, and the supervisor's phone then hears the customer; Whisper and Stop switch and end
// the session (logged); after the call the recording is played through the audited route.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { requireOrSkip } from '@caruso/kernel/testing';
import { CommunicationServer, ContactEventLog, TelephonyAdapter, commsService, contactEventLogService, sipTelephonyService, type SipTelephonyAdapter } from '@caruso/comms';
import { freePort, has, killPeers, listen, LOOPBACK, PhoneSet, promptDir, rtpRange, until, type TestPhone } from '@caruso/comms/testing';
import { DialogueEngine, dialogueEngineService } from '@caruso/dialogue';
import { FrontOffice, frontOfficeService } from '@caruso/frontoffice';
import { launchChromium, loggedInClient, logIn, seriousFindings, watchedPage, type ApiClient } from '@caruso/frontoffice/testing';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import type { Browser } from 'playwright-core';
import { fixturePath } from './fixture.js';

jest.setTimeout(90_000);

const PW = 'correct horse battery';
const CUSTOMER_HZ = 440;
const AGENT_HZ = 1000;
const SUPERVISOR_HZ = 1400;
const PRESENT = 2500;
const ABSENT = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (requireOrSkip('sox', has('sox', ['--version']))) {
  describe('quality management over real SIP: pause recording, Listen from the wallboard in Chromium, audited playback', () => {
    let browser: Browser;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-fo-sipq-'));
      browser = await launchChromium();
    }, 40_000);
    afterAll(async () => {
      await browser?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    forEachDatabase((db) => {
      let m: ServiceManager | undefined;
      const phones = new PhoneSet();
      afterEach(async () => {
        await killPeers();
        await m?.stop();
        await phones.close();
      });
      const phone = (name: string, hz: number): Promise<TestPhone> => phones.open(name, { hz });

      it('the agent pauses the recording; the supervisor listens from the wallboard, whispers, stops; the recording plays audited', async () => {
        const agent = await phone('agent', AGENT_HZ);
        const sup = await phone('sup', SUPERVISOR_HZ);
        const customer = await phone('customer', CUSTOMER_HZ);
        m = createServiceManager();
        m.register(StorageManager, storageService(await db.freshDatabase()));
        m.register(BusinessObjects, businessObjectsService({ model: fixturePath('crm.model.xml'), schema: 'migrate' }));
        m.register(DialogueEngine, dialogueEngineService({ folder: fixturePath('scripts'), watch: false }));
        m.register(ContactEventLog, contactEventLogService());
        m.register(TelephonyAdapter, sipTelephonyService({ host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir, users: [] }));
        m.register(CommunicationServer, commsService({
          queues: [{ id: 'support', wrapUpMs: 600_000 }],
          agents: [{ id: 'anna', queues: [{ queueId: 'support' }], endpoint: agent.uri }],
          telephony: { entryPoints: [{ number: '100', queueId: 'support' }] },
          recording: { folder: join(dir, db.dialect), queues: ['support'], announcement: '' },
          monitoring: { phones: { sam: sup.uri } },
        }));
        const handle = m.register(FrontOffice, frontOfficeService({
          application: fixturePath('crm.app.xml'), port: 0,
          users: [{ name: 'anna', role: 'agent', agentId: 'anna', password: PW }, { name: 'sam', role: 'supervisor', agentId: undefined, password: PW }, { name: 'admin', role: 'administrator', agentId: undefined, password: PW }],
        }));
        await m.start();
        await handle.ready;
        const url = m.get(FrontOffice).url;
        const comms = m.get(CommunicationServer);
        const log = m.get(ContactEventLog);
        const sip = m.get(TelephonyAdapter) as SipTelephonyAdapter;
        const kinds = async (contactId: string): Promise<string[]> => (await log.read({ contactId, limit: 10_000 })).map((e) => e.kind);
        const [anna, sam, admin] = (await Promise.all(['anna', 'sam', 'admin'].map((n) => loggedInClient(url, n, PW)))) as [ApiClient, ApiClient, ApiClient];

        await anna.post('/api/agent/ready');
        await customer.call(sip.port, '100');
        await until(() => comms.agent('anna').contactIds.length === 1 && comms.contact(comms.agent('anna').contactIds[0]!)?.state === 'connected', 8000, 'the call connected to anna');
        const contactId = comms.agent('anna').contactIds[0]!;
        for (const end = Date.now() + 5000; (await kinds(contactId)).indexOf('recording-started') < 0 && Date.now() < end;) await sleep(50);

        // The agent pauses and resumes through the front office (the SIP recorder writes silence meanwhile).
        expect((await anna.patch(`/api/contacts/${contactId}/recording`, { paused: true })).body).toMatchObject({ data: { state: 'paused' } });
        await sleep(500);
        expect((await anna.patch(`/api/contacts/${contactId}/recording`, { paused: false })).body).toMatchObject({ data: { state: 'on' } });
        expect(await kinds(contactId)).toEqual(expect.arrayContaining(['recording-started', 'recording-paused', 'recording-resumed']));

        // The supervisor's wallboard in Chromium: Listen on anna's call.
        const board = await watchedPage(browser, { timeoutMs: 15_000 });
        await logIn(board.page, url, 'sam', PW, '**/wallboard');
        const row = board.page.locator('#quality-agents tr[data-agent="anna"]');
        await row.waitFor();
        const started = board.page.waitForResponse((r) => r.url().endsWith('/api/monitoring') && r.request().method() === 'POST');
        await row.locator('button[data-mode="listen"]').click();
        expect((await started).status()).toBe(201);
        await row.locator('.monitor-mode', { hasText: 'You: Listen' }).waitFor();
        expect(await row.locator('button[data-mode="listen"]').getAttribute('aria-pressed')).toBe('true');
        expect(comms.monitoring()).toEqual([expect.objectContaining({ supervisor: 'sam', agentId: 'anna', contactId, mode: 'listen' })]);
        // The supervisor's leg may still be coming up on a loaded machine: listen again, for at most 5 s.
        const listenUntil = async (heard: (l: Awaited<ReturnType<typeof listen>>) => boolean): Promise<Awaited<ReturnType<typeof listen>>> => {
          let l = await listen();
          for (const end = Date.now() + 5_000; !heard(l) && Date.now() < end; ) l = await listen();
          return l;
        };
        let level = await listenUntil((l) => l(sup, CUSTOMER_HZ) > PRESENT);
        expect({ supHearsCustomer: level(sup, CUSTOMER_HZ) > PRESENT, customerHearsSup: level(customer, SUPERVISOR_HZ) < ABSENT }).toEqual({ supHearsCustomer: true, customerHearsSup: true });

        // Switched during the call: whisper reaches the agent, not the customer.
        await row.locator('button[data-mode="whisper"]').click();
        await row.locator('.monitor-mode', { hasText: 'You: Whisper' }).waitFor();
        level = await listenUntil((l) => l(agent, SUPERVISOR_HZ) > PRESENT);
        expect({ agentHearsSup: level(agent, SUPERVISOR_HZ) > PRESENT, customerHearsSup: level(customer, SUPERVISOR_HZ) < ABSENT }).toEqual({ agentHearsSup: true, customerHearsSup: true });
        expect(await seriousFindings(board.page)).toEqual([]);
        await row.locator('button[data-mode="stop"]').click();
        await row.locator('button[data-mode="whisper"][aria-pressed="false"]').waitFor();
        expect(comms.monitoring()).toEqual([]);
        expect((await log.read({ contactId, limit: 10_000 })).filter((e) => e.kind.startsWith('monitoring-')).map((e) => [e.kind, e.reason])).toEqual([
          ['monitoring-started', 'listen'], ['monitoring-changed', 'whisper'], ['monitoring-stopped', 'whisper'],
        ]);
        expect(board.problems).toEqual([]);
        await board.ctx.close();

        // After the call: the recording, played by the supervisor through the audited route.
        customer.hangUp();
        await until(() => comms.contact(contactId)?.state !== 'connected', 5000, 'the call ended');
        for (const end = Date.now() + 5000; (await kinds(contactId)).indexOf('recording-stopped') < 0 && Date.now() < end;) await sleep(50);
        const [rec] = ((await sam.get(`/api/contacts/${contactId}/recordings`)).body as { data: { url: string; pausedMs: number; id: string }[] }).data;
        expect(rec?.pausedMs).toBeGreaterThan(300);
        const wav = await fetch(`${url}${rec!.url}`, { headers: { cookie: sam.cookieHeader() } });
        expect([wav.status, wav.headers.get('content-type')]).toEqual([200, 'audio/wav']);
        expect(Buffer.from(await wav.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('RIFF');
        const audit = ((await admin.get('/api/audit')).body as { entries: { action: string; actor: string; target: string | null }[] }).entries;
        expect(audit.filter((e) => e.action.startsWith('monitoring.')).map((e) => e.action).reverse()).toEqual(['monitoring.start', 'monitoring.mode', 'monitoring.stop']);
        expect(audit.find((e) => e.action === 'recording.play')).toMatchObject({ actor: 'sam', target: rec!.id });
      });
    });
  });
}
