// examples/citizen-desk's web chat end to end, on SQLite and a real PostgreSQL: the assembly started
// from its own assembly file (as `caruso start` does) with its <chat queue="algemeen"/>. The
// municipality's web page back end opens a chat for a resident (ChatChannel.openChat, as
// docs/channels.md has it), the resident's browser talks over the assembly's own chat listener on
// 127.0.0.1 (/chat/customer), an agent logged in over the REST API goes ready, is offered the chat,
// accepts it and writes over the desktop's chat socket (/ws/chat); the agent ends the chat and files
// one of the app's wrap-up codes. Checked: the messages reach the other side, the transcript is
// stored, the contact event log reads queue-entered → offered → connected → completed in the chat
// queue, and the chat is in the history of the resident the agent linked it to, with its disposition. Needs `npx tsc -b` first
// (the assembly loads the billing wrapper from ../utility/dist/).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { ChatChannel, CommunicationServer } from '@caruso/comms';
import { eventually } from '@caruso/comms/testing';
import { loggedInClient, mustOpen, type ApiClient, type TestSocket } from '@caruso/frontoffice/testing';
import { applyMigration, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import { forEachDatabase } from '@caruso/storage/testing';
import { readAssembly, type Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly, type RunningAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { seedLegacyBilling } from '../../utility/src/index.js';
import { officeHoursClock } from '../../utility/test/office-hours-clock.js';

jest.setTimeout(60_000);

const root = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = randomBytes(12).toString('base64url');

type Desk = { agent: { state: string; contactIds: string[] }; offers: { offerId: string; contactId: string; channel: string; queueId: string }[] };
type EventRow = { kind: string; queue_id: string | null; agent_id: string | null; channel: string | null; reason: string | null };

/** The agent's offer of `contactId`, polled over the REST API (bounded). */
async function offerOf(agent: ApiClient, contactId: string): Promise<Desk['offers'][number]> {
  for (let i = 0; i < 250; i++) {
    const desk = (await agent.get('/api/agent')).body as Desk;
    const offer = desk.offers.find((o) => o.contactId === contactId);
    if (offer) return offer;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no offer of ${contactId} reached the agent`);
}

describe('examples/citizen-desk: a web chat from a resident to an agent', () => {
  forEachDatabase((db) => {
    let dir: string;
    let running: RunningAssembly | undefined;
    let residentId: string;
    let chatConfig: Assembly['chat'];
    const sockets: TestSocket[] = [];

    beforeAll(async () => {
      if (!existsSync(join(root, '../utility/dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
      dir = mkdtempSync(join(tmpdir(), `caruso-citizen-desk-chat-${db.dialect}-`));
      const belas = join(dir, 'belas.db');
      await seedLegacyBilling({ database: belas, schemaSql: readFileSync(join(root, 'test/fixtures/belas-schema.sql'), 'utf8'), model: loadModelFile(join(root, 'model/legacy-tax.model.xml')), data: { accounts: [], invoices: [] } });
      const model = loadModelFile(join(root, 'model/citizen.model.xml'));
      await applyMigration(model, db.storage);
      const resident = await new BusinessObjectsImpl(model, db.storage).repository('Resident').create(
        { subjectNumber: '40012347', initials: 'M.', lastName: 'Jansen', phone: '0611122233', email: 'm.jansen@example.nl', street: 'Kerkstraat', houseNumber: '7', postcode: '6711 EF', city: 'Beekdal' },
        { actor: 'test' },
      );
      residentId = String(resident['id']);

      // Every listener on a free port of loopback; the chat listener of <chat> too (CARUSO_CHAT_PORT).
      const env = { CARUSO_DB_URL: db.url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: '0', CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0', BEEKDAL_AGENT_ANOUK_PASSWORD: PASSWORD };
      const read = readAssembly(join(root, 'assembly.xml'), env);
      const errors = read.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
      const a = read.assembly as Assembly;
      chatConfig = a.chat;
      running = await startAssembly(
        { ...a, dataDir: dir, services: a.services.map((s) => (s.token === 'billing.Invoices' ? { ...s, config: { ...s.config, database: belas } } : s)) },
        // The office-hours clock: the queues' opening hours hold at any hour the test runs.
        { env, clock: officeHoursClock() },
      );
    }, 60_000);

    afterAll(async () => {
      await Promise.all(sockets.map((s) => s.close()));
      await running?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('queues the chat in algemeen; anouk accepts it, they write to each other, she ends it and files a wrap-up code', async () => {
      const r = running as RunningAssembly;
      const url = r.frontOfficeUrl as string;
      const chat = r.manager.get(ChatChannel);
      const comms = r.manager.get(CommunicationServer);
      // The assembly's <chat>: chats go to algemeen; its listener is on loopback.
      expect(chatConfig).toMatchObject({ queue: 'algemeen' });
      const listener = chat.address();
      expect(listener).toMatchObject({ host: '127.0.0.1', port: expect.any(Number) });

      // anouk logs in over the REST API, goes ready (chat is one of her channels) and opens the desktop's chat socket.
      const anouk = await loggedInClient(url, 'anouk', PASSWORD);
      expect(((await anouk.post('/api/agent/ready')).body as { channels: Record<string, boolean> }).channels).toMatchObject({ chat: true });
      const desk = await mustOpen(`${url}/ws/chat`, anouk);
      sockets.push(desk);
      expect(await desk.next((f) => f.type === 'welcome')).toMatchObject({ role: 'agent', agentId: 'agent-anouk' });

      // The web page's back end opens the chat; the resident's browser connects to the chat listener.
      const opened = await chat.openChat({ customerName: 'M. Jansen', subject: 'Ophalen grofvuil' });
      const citizen = await mustOpen(`http://127.0.0.1:${listener!.port}/chat/customer`);
      sockets.push(citizen);
      citizen.send({ type: 'auth', token: opened.token });
      expect(await citizen.next((f) => f.type === 'welcome')).toMatchObject({ role: 'customer', chatId: opened.chatId, agentId: null });
      citizen.send({ type: 'message', text: 'Wanneer wordt het grofvuil in de Kerkstraat opgehaald?', clientId: 'r1' });
      expect(await citizen.next((f) => f.type === 'sent' && f['clientId'] === 'r1')).toMatchObject({ seq: 1 });
      // In the chat queue of the assembly, as a chat contact.
      expect(comms.contact(opened.chatId)).toMatchObject({ channel: 'chat', queueId: 'algemeen' });

      // Offered to anouk (on the REST API and on her chat socket); she accepts over the REST API.
      const offer = await offerOf(anouk, opened.chatId);
      expect(offer).toMatchObject({ channel: 'chat', queueId: 'algemeen' });
      await desk.next((f) => f.type === 'offer' && f['chatId'] === opened.chatId);
      expect((await anouk.post(`/api/agent/offers/${encodeURIComponent(offer.offerId)}/accept`)).status).toBe(200);
      const joined = await desk.next((f) => f.type === 'joined' && f['chatId'] === opened.chatId);
      expect((joined['transcript'] as Array<Record<string, unknown>>).map((m) => [m['from'], m['text']])).toEqual([['customer', 'Wanneer wordt het grofvuil in de Kerkstraat opgehaald?']]);
      expect(await citizen.next((f) => f.type === 'connected')).toMatchObject({ agentId: 'agent-anouk' });
      expect(((await anouk.get('/api/agent')).body as Desk).agent.contactIds).toContain(opened.chatId);

      // They write to each other.
      desk.send({ type: 'message', chatId: opened.chatId, text: 'Goedemiddag, grofvuil in de Kerkstraat wordt op dinsdag opgehaald.', clientId: 'a1' });
      expect(await desk.next((f) => f.type === 'sent' && f['clientId'] === 'a1')).toMatchObject({ seq: 2 });
      expect(await citizen.next((f) => f.type === 'message' && f['from'] === 'agent')).toMatchObject({ seq: 2, text: 'Goedemiddag, grofvuil in de Kerkstraat wordt op dinsdag opgehaald.', agentId: 'agent-anouk' });
      citizen.send({ type: 'message', text: 'Dank u wel!', clientId: 'r2' });
      expect(await citizen.next((f) => f.type === 'sent' && f['clientId'] === 'r2')).toMatchObject({ seq: 3 });
      expect(await desk.next((f) => f.type === 'message' && f['from'] === 'customer' && f['seq'] === 3)).toMatchObject({ chatId: opened.chatId, text: 'Dank u wel!' });

      // anouk ends the chat (what the desktop's end button sends): the resident is told, anouk is in wrap-up.
      desk.send({ type: 'leave', chatId: opened.chatId });
      expect(await citizen.next((f) => f.type === 'ended')).toMatchObject({ reason: 'agent-left' });
      await eventually(async () => ((await anouk.get('/api/agent')).body as Desk).agent.state === 'wrap-up', 'anouk to be in wrap-up');
      // The wrap-up: one of the app's codes, and the resident anouk found on the desktop linked to the chat.
      const w = await anouk.post(`/api/contacts/${encodeURIComponent(opened.chatId)}/wrap-up`, { code: 'afgehandeld', notes: 'Ophaaldag grofvuil doorgegeven.', object: 'Resident', recordId: residentId });
      expect(w.status).toBe(200);
      expect((w.body as { agent: { state: string } }).agent.state).toBe('ready');

      // The transcript, stored: both sides in order.
      expect(await chat.chat(opened.chatId)).toMatchObject({ state: 'ended', endReason: 'agent-left', agentId: 'agent-anouk', queueId: 'algemeen' });
      expect((await chat.transcript(opened.chatId)).map((m) => [m.seq, m.from])).toEqual([[1, 'customer'], [2, 'agent'], [3, 'customer']]);

      // The contact event log: queued in algemeen, offered to anouk, connected, completed by her, then the disposition.
      let rows: EventRow[] = [];
      await eventually(async () => {
        rows = (await db.storage.knex('caruso_contact_events').where({ contact_id: opened.chatId }).orderBy('seq')) as EventRow[];
        return rows.some((e) => e.kind === 'disposition');
      }, 'the chat’s disposition in the contact event log');
      const lifecycle = rows.filter((e) => ['queue-entered', 'offered', 'connected', 'completed'].includes(e.kind));
      expect(lifecycle.map((e) => `${e.kind}:${e.queue_id ?? ''}:${e.agent_id ?? ''}`)).toEqual([
        'queue-entered:algemeen:',
        'offered:algemeen:agent-anouk',
        'connected:algemeen:agent-anouk',
        'completed:algemeen:agent-anouk',
      ]);
      expect(rows.every((e) => e.channel === null || e.channel === 'chat')).toBe(true);
      expect(rows.filter((e) => e.kind === 'disposition')).toHaveLength(1);

      // In the resident's history, with the wrap-up code and the note.
      await eventually(async () => (await comms.history('Resident', residentId)).some((h) => h.contactId === opened.chatId), 'the chat in the resident’s history');
      expect((await comms.history('Resident', residentId)).find((h) => h.contactId === opened.chatId)).toMatchObject({ channel: 'chat', queueId: 'algemeen', agentId: 'agent-anouk', outcome: 'completed', endedBy: 'agent', disposition: 'afgehandeld', note: 'Ophaaldag grofvuil doorgegeven.' });
    });
  });
});
