// The demo load of examples/utility, started from the assembly file the way `npm start` does (the
// utility.DemoLoad <service>), sped up for a test: calls from demo customers dial the moves desk and
// the telephone menu on the simulated telephone network, e-mails arrive over SMTP at the e-mail
// channel, chats open on the chat channel; the simulated agents take them next to a person logged in
// through the REST API. Checked in the contact event log: calls offered, connected to simulated agents
// and to the person, completed, with dispositions. Needs `npx tsc -b` first (dist/ is loaded).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '@caruso/frontoffice/testing';
import { forEachDatabase } from '@caruso/storage/testing';
import { createToken } from '@caruso/kernel';
import { ChatChannel, CommunicationServer, EmailChannel, SimulatedTelephony } from '@caruso/comms';
import type { Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { generateDemoData, type DemoLoad } from '../src/index.js';
import { officeHoursClock } from './office-hours-clock.js';
import { root, utilityAssemblyOn } from './utility-assembly-setup.js';

const PASSWORD = randomBytes(12).toString('base64url');

type EventRow = { contact_id: string; kind: string; agent_id: string | null; queue_id: string | null; channel: string | null; priority: number | null };

describe('examples/utility with its demo load', () => {
  forEachDatabase((db) => {
    let dir: string;
    let running: RunningAssembly | undefined;
    const clock = officeHoursClock();
    const telephony = new SimulatedTelephony(clock);

    beforeAll(async () => {
      if (!existsSync(join(root, 'dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), `caruso-utility-load-${db.dialect}-`));
      const env = { CARUSO_DB_URL: db.url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: '0', CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0', UTILITY_AGENT_BRAM_PASSWORD: PASSWORD, UTILITY_SUPERVISOR_PASSWORD: PASSWORD };
      const a = await utilityAssemblyOn(db.storage, dir, generateDemoData({ customers: 120, seed: 5 }), env);
      const load = a.services.find((s) => s.token === 'utility.DemoLoad');
      if (!load) throw new Error('assembly.xml no longer declares the utility.DemoLoad service');
      // The assembly's load, sped up: two calls a second with one-second talks, around the clock
      // (the communication server's clock says office hours anyway). Calls mostly take the moves
      // desk's direct line: the telephone menu's prompts take a simulated 15 s.
      const fast = {
        ...load.config,
        callsPerHour: '7200',
        emailsPerHour: '1800',
        chatsPerHour: '1800',
        lines: '+31300000003*4 +31300000000',
        talkSeconds: '1',
        patienceSeconds: '0',
        wrapUpSeconds: '0.3',
        handleSeconds: '0.5',
        hours: 'always',
      };
      const assembly: Assembly = { ...a, services: a.services.map((s) => (s === load ? { ...s, config: fast } : s)) };
      running = await startAssembly(assembly, { env, clock, telephony, simulate: true });
    }, 60_000);

    afterAll(async () => {
      await running?.stop();
      telephony.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('keeps calls, e-mails and chats coming; simulated agents and a person at the desktop take them', async () => {
      const r = running as RunningAssembly;
      const load = r.manager.get(createToken<DemoLoad>('utility.DemoLoad'));
      expect(load.agents()).toEqual(['demo-agent-1', 'demo-agent-2', 'demo-agent-3', 'demo-campaign-agent-1']);

      const bram = new ApiClient(r.frontOfficeUrl as string);
      expect((await bram.login('bram', PASSWORD)).status).toBe(200);
      // Ready, or already ringing / talking: calls are waiting for him the moment he is ready.
      expect(['ready', 'reserved', 'busy']).toContain(((await bram.post('/api/agent/ready')).body as { agent: { state: string } }).agent.state);
      // A person gets calls too: his phone rings until he accepts on the desktop; bram accepts each
      // call offered to him, ends it and wraps it up with a code.
      type AgentView = { agent: { state: string; contactIds: string[] }; offers: Array<{ offerId: string; contactId: string; channel: string }> };
      const bramsContacts = new Set<string>();
      // Six seconds of work, longer (at most 20 s) until a first call reached him on a slow machine.
      const started = Date.now();
      while (Date.now() < started + 6000 || (bramsContacts.size === 0 && Date.now() < started + 20_000)) {
        const desk = (await bram.get('/api/agent')).body as AgentView;
        for (const offer of desk.offers) {
          if (offer.channel !== 'call') {
            // A chat or callback offered to him is declined, back to the queue: left ringing, it would
            // hold him (reserved) for the ring time-out of 20 s, the whole of this test's window.
            // (404/409: it was withdrawn meanwhile.)
            const declined = await bram.post(`/api/agent/offers/${encodeURIComponent(offer.offerId)}/reject`);
            if (![200, 404, 409].includes(declined.status)) throw new Error(`declining a ${offer.channel} offer: HTTP ${declined.status}`);
            continue;
          }
          expect((await bram.post(`/api/agent/offers/${encodeURIComponent(offer.offerId)}/accept`)).status).toBe(200);
          bramsContacts.add(offer.contactId);
          expect((await bram.post(`/api/contacts/${offer.contactId}/hang-up`)).status).toBe(200);
          expect((await bram.post(`/api/contacts/${offer.contactId}/wrap-up`, { code: 'opgelost', notes: 'test' })).status).toBe(200);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // His phone did not pick up by itself: every call connected to him went through the desktop.

      const counts = load.generated();
      expect(counts.call).toBeGreaterThan(4);
      expect(counts.email).toBeGreaterThan(0);
      expect(counts.chat).toBeGreaterThan(0);
      expect(counts.handled).toBeGreaterThan(2);

      const events = (await db.storage.knex('caruso_contact_events').select('contact_id', 'kind', 'agent_id', 'queue_id', 'channel', 'priority').orderBy('seq')) as EventRow[];
      const of = (kind: string, channel?: string): EventRow[] => events.filter((e) => e.kind === kind && (channel === undefined || e.channel === channel));
      expect(of('offered', 'call').length).toBeGreaterThan(2);
      const connected = of('connected', 'call');
      expect(connected.some((e) => e.agent_id?.startsWith('demo-agent-'))).toBe(true);
      expect(connected.some((e) => e.agent_id === 'agent-bram')).toBe(true);
      expect(bramsContacts.size).toBeGreaterThan(0);
      expect(new Set(connected.filter((e) => e.agent_id === 'agent-bram').map((e) => e.contact_id))).toEqual(bramsContacts);
      expect(of('completed', 'call').length).toBeGreaterThan(2);
      // Calls came through the telephone network into the moves desk's queue (the direct line).
      expect(new Set(of('queue-entered', 'call').map((e) => e.queue_id))).toContain('moves');
      // E-mails went through SMTP into the e-mail channel, chats through the chat channel.
      const mail = of('queue-entered', 'email')[0] as EventRow;
      // With the e-mail channel's priority (-1) below the calls' (0): callers first in 'general'.
      expect(mail.priority).toBe(-1);
      const [message] = await r.manager.get(EmailChannel).messages(mail.contact_id);
      expect(message).toMatchObject({ direction: 'inbound', to: ['klantenservice@stadsenergie.example'] });
      expect(message?.text).toMatch(/Mijn klantnummer is K1\d{5}/);
      const chat = of('queue-entered', 'chat')[0] as EventRow;
      expect(await r.manager.get(ChatChannel).chat(chat.contact_id)).toMatchObject({ queueId: 'general', customerKey: expect.stringMatching(/^K1\d{5}$/) });
      // Simulated agents gave dispositions, so the reports have wrap-up codes.
      const dispositions = of('disposition').filter((e) => e.agent_id?.startsWith('demo-agent-'));
      expect(dispositions.length).toBeGreaterThan(2);
      // The outbound campaign was started and dials customers for its simulated agent.
      const campaign = r.manager.get(CommunicationServer).campaignProgress('green-energy');
      expect(campaign.status).toBe('running');
      expect(campaign.dials).toBeGreaterThan(0);
      // The wallboard counts the simulated agents (each has a user account nobody logs in with).
      const sanne = new ApiClient(r.frontOfficeUrl as string);
      expect((await sanne.login('sanne', PASSWORD)).status).toBe(200);
      const board = (await sanne.get('/api/wallboard')).body as { agentList: Array<{ id: string; state: string }> };
      expect(board.agentList.map((x) => x.id)).toEqual(expect.arrayContaining(['demo-agent-1', 'demo-agent-2', 'demo-agent-3', 'agent-bram']));
      expect(board.agentList.filter((x) => x.id.startsWith('demo-agent-')).every((x) => x.state !== 'logged-out')).toBe(true);
      // Every offered call ended up connected, abandoned or still in progress: none was lost.
      const ended = new Set(events.filter((e) => ['completed', 'abandoned', 'exited'].includes(e.kind)).map((e) => e.contact_id));
      expect(ended.size).toBeGreaterThan(2);
    }, 45_000);
  });
});
