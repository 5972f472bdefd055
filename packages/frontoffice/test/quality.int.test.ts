import { jest } from '@jest/globals';
import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, loggedInClient } from '@caruso/frontoffice/testing';
import { restContract } from './rest-contract.js';
import { startQualityAssembly, type QualityAssembly } from './quality-assembly.js';
import { sendMail, until } from './smtp-helpers.js';
import { mustOpen, openSocket, type TestSocket } from './ws-helpers.js';

const PW = 'correct horse battery';
const USERS = [
  { name: 'anna', role: 'agent' as const, agentId: 'anna', password: PW },
  { name: 'bob', role: 'agent' as const, agentId: 'bob', password: PW },
  { name: 'sam', role: 'supervisor' as const, agentId: undefined, password: PW },
  { name: 'admin', role: 'administrator' as const, agentId: undefined, password: PW },
];
type Body = Record<string, unknown>;
const code = (r: { body: unknown }): string | undefined => (r.body as { error?: { code: string } }).error?.code;
const data = <T = Body>(r: { body: unknown }): T => (r.body as { data: T }).data;

jest.setTimeout(30_000);

/** What `probe` finds (not undefined or false), asked every 20 ms for at most 5 s. */
async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 250; i++) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('quality management in the front office: recording, playback, monitoring, chat watch and private notes', () => {
  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: QualityAssembly;
    let anna: ApiClient;
    let bob: ApiClient;
    let sam: ApiClient;
    let admin: ApiClient;
    let visitor: ApiClient;
    let annaCall = '';
    let bobCall = '';

    beforeAll(async () => {
      asm = await startQualityAssembly(await db.freshDatabase(), USERS, ['anna', 'bob']);
      [anna, bob, sam, admin] = (await Promise.all(['anna', 'bob', 'sam', 'admin'].map((n) => loggedInClient(asm.url, n, PW)))) as [ApiClient, ApiClient, ApiClient, ApiClient];
      visitor = new ApiClient(asm.url);
      const started = await visitor.post('/api/self-service/meter/sessions');
      if (started.status !== 201) throw new Error(`no self-service session: HTTP ${started.status}`);
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    const kinds = async (contactId: string): Promise<string[]> => (await asm.events.read({ contactId })).map((e) => e.kind);
    /** A caller dials in and the only ready agent takes it; the recorder taps the call. */
    const call = async (from: string): Promise<string> => {
      const callId = asm.telephony.placeInboundCall({ from, to: 'main', talkMs: 600_000 });
      await until(() => asm.comms.contact(callId)?.state === 'connected', `call ${callId} connected`);
      await until(() => asm.telephony.tapped(callId), `call ${callId} recorded`);
      return callId;
    };
    const audit = async (): Promise<Body[]> => ((await admin.get('/api/audit?limit=500')).body as { entries: Body[] }).entries;

    it('pauses and resumes a call\'s recording: the agent on the call or a supervisor; the log has recording-paused', async () => {
      await anna.post('/api/agent/ready');
      annaCall = await call('+3212340001');
      expect(asm.comms.contact(annaCall)?.agentIds).toEqual(['anna']);
      asm.telephony.speak(annaCall, 'caller', 400, 400);
      expect(data((await anna.get(`/api/contacts/${annaCall}/recording`)))).toMatchObject({ state: 'on', recordingId: expect.any(String) });

      // Nobody else: another agent (404, as if it did not exist), a visitor (403), no session (401).
      const bobs = await bob.patch(`/api/contacts/${annaCall}/recording`, { paused: true });
      expect([bobs.status, code(bobs)]).toEqual([404, 'CARUSO_FRONTOFFICE_NOT_FOUND']);
      expect((await visitor.patch(`/api/contacts/${annaCall}/recording`, { paused: true })).status).toBe(403);
      expect((await new ApiClient(asm.url).patch(`/api/contacts/${annaCall}/recording`, { paused: true })).status).toBe(401);
      const bad = await anna.patch(`/api/contacts/${annaCall}/recording`, { paused: 'yes' });
      expect([bad.status, code(bad)]).toEqual([400, 'CARUSO_FRONTOFFICE_BAD_REQUEST']);
      expect(await kinds(annaCall)).not.toContain('recording-paused');

      const paused = await anna.patch(`/api/contacts/${annaCall}/recording`, { paused: true });
      expect([paused.status, data(paused)]).toEqual([200, expect.objectContaining({ state: 'paused' })]);
      const ev = (await asm.events.read({ contactId: annaCall })).find((e) => e.kind === 'recording-paused');
      expect(ev).toMatchObject({ contactId: annaCall, agentId: 'anna' });
      asm.telephony.speak(annaCall, 'caller', 1000, 200);
      const resumed = await sam.patch(`/api/contacts/${annaCall}/recording`, { paused: false });
      expect(data(resumed)).toMatchObject({ state: 'on' });
      expect(await kinds(annaCall)).toEqual(expect.arrayContaining(['recording-started', 'recording-paused', 'recording-resumed']));
      asm.telephony.speak(annaCall, 'agent', 600, 400);

      asm.telephony.hangUp(annaCall);
      await until(() => asm.comms.contact(annaCall)?.state !== 'connected', 'the call ended');
      await until(() => !asm.telephony.tapped(annaCall), 'the recording stopped');
      // Not recorded any more: pausing is the communication server's coded 409 (or 404: no longer on it).
      const after = await sam.patch(`/api/contacts/${annaCall}/recording`, { paused: true });
      expect(after.status).toBe(409);
      expect(code(after)).toBe('CARUSO_COMMS_CONTACT_STATE');
    });

    it('plays recordings to supervisors and to the agent of the call only; every playback is audited; never to self-service', async () => {
      await bob.post('/api/agent/ready');
      bobCall = await call('+3212340002');
      expect(asm.comms.contact(bobCall)?.agentIds).toEqual(['bob']);
      asm.telephony.speak(bobCall, 'caller', 800, 200);
      asm.telephony.hangUp(bobCall);
      await until(() => !asm.telephony.tapped(bobCall), 'bob\'s recording stopped');

      const mine = await anna.get(`/api/contacts/${annaCall}/recordings`);
      expect(mine.status).toBe(200);
      const list = data<Body[]>(mine);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ contactId: annaCall, url: expect.stringMatching(/^\/api\/recordings\/.+\/audio$/) });
      const annaUrl = list[0]!['url'] as string;
      const bobUrl = (data<Body[]>(await sam.get(`/api/contacts/${bobCall}/recordings`))[0]!)['url'] as string;

      // anna cannot list or hear bob's.
      const other = await anna.get(`/api/contacts/${bobCall}/recordings`);
      expect([other.status, code(other)]).toEqual([403, 'CARUSO_FRONTOFFICE_FORBIDDEN']);
      const otherAudio = await anna.get(bobUrl);
      expect([otherAudio.status, code(otherAudio)]).toEqual([403, 'CARUSO_FRONTOFFICE_FORBIDDEN']);
      // Self-service and no session.
      expect((await visitor.get(bobUrl)).status).toBe(403);
      expect((await visitor.get(`/api/contacts/${bobCall}/recordings`)).status).toBe(403);
      expect((await new ApiClient(asm.url).get(bobUrl)).status).toBe(401);
      expect((await sam.get('/api/recordings/no-such-recording/audio')).status).toBe(404);

      const before = (await audit()).filter((e) => e['action'] === 'recording.play').length;
      const wav = await fetch(`${asm.url}${annaUrl}`, { headers: { cookie: anna.cookieHeader() } });
      expect(wav.status).toBe(200);
      expect(wav.headers.get('content-type')).toBe('audio/wav');
      const bytes = Buffer.from(await wav.arrayBuffer());
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
      expect(bytes.subarray(8, 12).toString('latin1')).toBe('WAVE');
      // G.711 A-law (format 6), and half a second of 8 kHz audio at least (one byte a sample).
      expect(bytes.readUInt16LE(20)).toBe(6);
      expect(bytes.length).toBeGreaterThan(58 + 4_000);
      expect((await sam.get(bobUrl)).status).toBe(200);
      const rows = await audit();
      const plays = rows.filter((e) => e['action'] === 'recording.play');
      expect(plays.length - before).toBe(2);
      expect(plays.map((e) => e['actor']).sort()).toEqual(expect.arrayContaining(['anna', 'sam']));
      expect(plays.find((e) => e['actor'] === 'anna')).toMatchObject({ target: annaUrl.split('/')[3], detail: expect.objectContaining({ contactId: annaCall }) });
      expect(rows.find((e) => e['action'] === 'recording.play-refused')).toMatchObject({ actor: 'anna', detail: expect.objectContaining({ contactId: bobCall }) });

      // A player seeking (in bob's finished recording): one range is served as 206 and audited with it;
      // past the end is 416 with the size; several ranges get the whole.
      const ranged = (range: string): Promise<Response> => fetch(`${asm.url}${bobUrl}`, { headers: { cookie: sam.cookieHeader(), range } });
      expect(wav.headers.get('accept-ranges')).toBe('bytes');
      const whole = Buffer.from(await (await fetch(`${asm.url}${bobUrl}`, { headers: { cookie: sam.cookieHeader() } })).arrayBuffer());
      const middle = await ranged('bytes=44-1043');
      expect([middle.status, middle.headers.get('content-range'), middle.headers.get('content-type')]).toEqual([206, `bytes 44-1043/${whole.length}`, 'audio/wav']);
      expect(Buffer.from(await middle.arrayBuffer()).equals(whole.subarray(44, 1044))).toBe(true);
      const from = await ranged('bytes=1000-');
      expect(from.headers.get('content-range')).toBe(`bytes 1000-${whole.length - 1}/${whole.length}`);
      expect(Buffer.from(await from.arrayBuffer()).equals(whole.subarray(1000))).toBe(true);
      const last = await ranged('bytes=-100');
      expect(Buffer.from(await last.arrayBuffer()).equals(whole.subarray(whole.length - 100))).toBe(true);
      const past = await ranged(`bytes=${whole.length}-`);
      expect([past.status, past.headers.get('content-range'), ((await past.json()) as { error: { code: string } }).error.code]).toEqual([416, `bytes */${whole.length}`, 'CARUSO_FRONTOFFICE_RANGE_NOT_SATISFIABLE']);
      const several = await ranged('bytes=0-1,5-9');
      expect([several.status, (await several.arrayBuffer()).byteLength]).toEqual([200, whole.length]);
      // A range does not pass the access check.
      expect((await fetch(`${asm.url}${bobUrl}`, { headers: { cookie: anna.cookieHeader(), range: 'bytes=0-99' } })).status).toBe(403);
      const seeks = (await audit()).filter((e) => e['action'] === 'recording.play' && e['actor'] === 'sam' && (e['detail'] as Record<string, unknown>)['range'] !== undefined);
      expect(seeks.map((e) => (e['detail'] as Record<string, unknown>)['range'])).toEqual(expect.arrayContaining(['44-1043', `${whole.length - 100}-${whole.length - 1}`]));
    });

    it('lets supervisors only monitor; the simulated telephony cannot monitor, so a start is its coded 409', async () => {
      const agentTry = await anna.post('/api/monitoring', { agentId: 'bob', mode: 'listen' });
      expect([agentTry.status, code(agentTry)]).toEqual([403, 'CARUSO_FRONTOFFICE_FORBIDDEN']);
      expect((await sam.post('/api/monitoring', { agentId: 'bob', mode: 'shout' })).status).toBe(400);
      expect((await sam.post('/api/monitoring', { agentId: 'nobody', mode: 'listen' })).status).toBe(404);
      // bob is in wrap-up: no call to monitor.
      const idle = await sam.post('/api/monitoring', { agentId: 'bob', mode: 'listen' });
      expect(idle.status).toBe(409);
      expect(code(idle)).toMatch(/^CARUSO_COMMS_(AGENT|CONTACT)_STATE$/);
      await anna.post(`/api/contacts/${annaCall}/wrap-up`, { code: 'solved', channel: 'call' });
      await anna.post('/api/agent/ready');
      const live = await call('+3212340003');
      const listen = await sam.post('/api/monitoring', { agentId: 'anna', mode: 'listen' });
      expect([listen.status, code(listen)]).toEqual([409, 'CARUSO_COMMS_CONTACT_STATE']);
      expect(data((await sam.get('/api/monitoring')))).toEqual([]);
      expect((await sam.patch('/api/monitoring', { mode: 'whisper' })).status).toBe(409);
      expect((await sam.delete('/api/monitoring')).status).toBe(204);
      expect((await anna.delete('/api/monitoring')).status).toBe(403);
      // The wallboard's menu: anna's call, recorded.
      const agents = (await sam.get('/api/quality/agents')).body as { data: Body[]; monitoring: boolean };
      expect(agents.monitoring).toBe(true);
      expect(agents.data.find((a) => a['agentId'] === 'anna')).toMatchObject({ contacts: [{ contactId: live, channel: 'call', recording: 'on' }], monitoring: [] });
      expect((await anna.get('/api/quality/agents')).status).toBe(403);
      // The OpenAPI document cut to the role: supervisors see the monitoring routes, agents do not.
      type Doc = { paths: Record<string, Record<string, unknown>> };
      const supDoc = (await sam.get('/api/openapi.json')).body as Doc;
      expect(Object.keys(supDoc.paths['/api/monitoring'] ?? {}).sort()).toEqual(['delete', 'get', 'patch', 'post']);
      const agentDoc = (await anna.get('/api/openapi.json')).body as Doc;
      expect(Object.keys(agentDoc.paths)).not.toContain('/api/monitoring');
      expect(Object.keys(agentDoc.paths['/api/contacts/{id}/recording'] ?? {}).sort()).toEqual(['get', 'patch']);
      expect(Object.keys(agentDoc.paths['/api/contacts/{id}/notes'] ?? {})).toEqual(['get']);
      // A note goes to chats and e-mails only.
      const onCall = await sam.post(`/api/contacts/${live}/notes`, { text: 'slow down' });
      expect([onCall.status, code(onCall)]).toEqual([409, 'CARUSO_FRONTOFFICE_NOTE_CHANNEL']);
      asm.telephony.hangUp(live);
      await until(() => !asm.telephony.tapped(live), 'the third recording stopped');
      await anna.post(`/api/contacts/${live}/wrap-up`, { code: 'solved', channel: 'call' });
    });

    it('names the agent who took a call recorded from its queue; the agent it was transferred to hears it too', async () => {
      await bob.post(`/api/contacts/${bobCall}/wrap-up`, { code: 'solved', channel: 'call' });
      await anna.post('/api/agent/ready');
      const moved = await call('+3212340004');
      expect(asm.comms.contact(moved)?.agentIds).toEqual(['anna']);
      await eventually(async () => (await asm.comms.recordings(moved))[0]?.agentId === 'anna', 'anna named in the catalogue');
      await bob.post('/api/agent/ready');
      const sent = await anna.post(`/api/contacts/${moved}/transfer`, { mode: 'blind', agentId: 'bob' });
      expect(sent.status).toBe(200);
      // A blind transfer to a ready agent connects the call to them at once.
      await until(() => asm.comms.contact(moved)?.agentIds.includes('bob') === true, 'bob on the call');
      asm.telephony.hangUp(moved);
      await eventually(async () => (await asm.comms.recordings(moved))[0]?.endedAt !== undefined, 'the recording ended');
      const [entry] = await asm.comms.recordings(moved);
      // One recording for the whole call; the catalogue keeps the first agent.
      expect(entry).toMatchObject({ contactId: moved, queueId: 'support', agentId: 'anna' });
      const url = `/api/recordings/${encodeURIComponent(entry!.id)}/audio`;
      expect((await anna.get(url)).status).toBe(200);
      expect((await bob.get(url)).status).toBe(200);
      expect(data<Body[]>(await bob.get(`/api/contacts/${moved}/recordings`)).map((r) => r['id'])).toEqual([entry!.id]);
      // bob stays in his wrap-up: the chats of the next tests go to anna.
      await anna.post(`/api/contacts/${moved}/wrap-up`, { code: 'solved', channel: 'call' });
    });

    it('a supervisor watches a live chat and sends the agent a private note that never reaches the customer (real WebSockets)', async () => {
      // Only supervisors (and administrators) open a watch socket.
      expect(await openSocket(`${asm.url}/ws/chat/watch`)).toBe(401);
      expect(await openSocket(`${asm.url}/ws/chat/watch`, anna)).toBe(403);
      expect(await openSocket(`${asm.url}/ws/chat/watch`, visitor)).toBe(401);
      await anna.post('/api/agent/ready');
      const sockets: TestSocket[] = [];
      const desk = await mustOpen(`${asm.url}/ws/chat`, anna);
      const agentDesk = await mustOpen(`${asm.url}/ws/agent`, anna);
      const watch = await mustOpen(`${asm.url}/ws/chat/watch`, sam);
      sockets.push(desk, agentDesk, watch);
      const opened = await asm.chat!.openChat({ customerName: 'Carla' });
      const customer = await mustOpen(`http://127.0.0.1:${asm.chat!.address()!.port}/chat/customer`);
      sockets.push(customer);
      try {
        customer.send({ type: 'auth', token: opened.token });
        await customer.next((f) => f['type'] === 'welcome');
        customer.send({ type: 'message', text: 'My card ends in 4711' });
        await customer.next((f) => f['type'] === 'sent');
        const offer = await desk.next((f) => f.type === 'offer' && f['chatId'] === opened.chatId);
        desk.send({ type: 'accept', offerId: offer['offerId'] });
        await desk.next((f) => f.type === 'joined');

        watch.send({ type: 'watch', chatId: opened.chatId });
        const watching = await watch.next((f) => f.type === 'watching');
        expect((watching['transcript'] as Body[]).map((m) => [m['from'], m['text']])).toEqual([['customer', 'My card ends in 4711']]);
        expect(watching['chat']).toMatchObject({ agentId: 'anna', customerName: 'Carla' });
        // Live: both sides as they are written.
        customer.send({ type: 'message', text: 'Can you see it?' });
        expect(await watch.next((f) => f.type === 'message' && f['from'] === 'customer' && f['seq'] === 2)).toMatchObject({ text: 'Can you see it?' });
        desk.send({ type: 'message', chatId: opened.chatId, text: 'Yes, one moment' });
        expect(await watch.next((f) => f.type === 'message' && f['from'] === 'agent')).toMatchObject({ seq: 3, agentId: 'anna' });
        // Read-only: the watch socket writes no message into the chat.
        watch.send({ type: 'message', chatId: opened.chatId, text: 'hello from sam' });
        expect(await watch.next((f) => f.type === 'error')).toMatchObject({ code: 'CARUSO_FRONTOFFICE_BAD_REQUEST' });

        watch.send({ type: 'note', chatId: opened.chatId, text: 'Never repeat card digits', clientId: 'n1' });
        const noted = await watch.next((f) => f.type === 'noted' && f['clientId'] === 'n1');
        expect(await desk.next((f) => f.type === 'note')).toMatchObject({ chatId: opened.chatId, id: noted['id'], private: true, from: 'sam', text: 'Never repeat card digits' });
        expect(await agentDesk.next((f) => f.type === 'note')).toMatchObject({ contactId: opened.chatId, private: true });
        expect(await watch.next((f) => f.type === 'note')).toMatchObject({ from: 'sam', private: true });
        // By REST too.
        const rest = await sam.post(`/api/contacts/${opened.chatId}/notes`, { text: 'Offer the payment plan' });
        expect(rest.status).toBe(201);
        await desk.next((f) => f.type === 'note' && f['text'] === 'Offer the payment plan');
        // The customer's window gets the next message, and never a note.
        desk.send({ type: 'message', chatId: opened.chatId, text: 'Please do not type card digits here' });
        await customer.next((f) => f['type'] === 'message' && f['seq'] === 4);
        expect(customer.seen.filter((f) => f['type'] === 'note' || JSON.stringify(f).includes('Never repeat') || JSON.stringify(f).includes('payment plan'))).toEqual([]);
        expect((await asm.chat!.transcript(opened.chatId)).map((m) => m.text)).not.toContain('Never repeat card digits');

        // Logged, and read back by the agent on the contact (a reload) and supervisors; not by bob.
        const notes = data<Body[]>(await anna.get(`/api/contacts/${opened.chatId}/notes`));
        expect(notes.map((n) => [n['from'], n['text'], n['private']])).toEqual([['sam', 'Never repeat card digits', true], ['sam', 'Offer the payment plan', true]]);
        expect((await asm.events.read({ contactId: opened.chatId })).filter((e) => e.kind === 'note-added')).toHaveLength(2);
        expect((await bob.get(`/api/contacts/${opened.chatId}/notes`)).status).toBe(404);
        expect((await anna.post(`/api/contacts/${opened.chatId}/notes`, { text: 'self' })).status).toBe(403);
        expect((await sam.post(`/api/contacts/${opened.chatId}/notes`, { text: '   ' })).status).toBe(400);

        customer.send({ type: 'leave' });
        expect(await watch.next((f) => f.type === 'ended')).toMatchObject({ chatId: opened.chatId, reason: 'customer-left' });
        watch.send({ type: 'watch', chatId: opened.chatId });
        expect(await watch.next((f) => f.type === 'error' && f['code'] === 'CARUSO_COMMS_CHAT_UNKNOWN_CHAT')).toBeDefined();
        // Bad frames answer an error and the socket stays open.
        watch.ws.send('not json');
        await watch.next((f) => f.type === 'error' && String(f['message']).includes('JSON object'));
        watch.send({ type: 'unwatch', chatId: opened.chatId });
        await watch.next((f) => f.type === 'unwatched');
      } finally {
        for (const s of sockets) await s.close();
      }
    });

    it('a private note on an e-mail contact reaches the agent\'s desktop socket and is read back; the watch socket survives a hostile frame', async () => {
      await until(() => asm.comms.agent('anna').state !== 'busy', 'anna free of the chat');
      const chatId = asm.comms.agent('anna').contactIds[0];
      if (chatId) await anna.post(`/api/contacts/${chatId}/wrap-up`, { code: 'solved', channel: 'chat' });
      await anna.post('/api/agent/ready');
      const agentDesk = await mustOpen(`${asm.url}/ws/agent`, anna);
      try {
        await sendMail(asm.email!.address()!.port, { from: 'Carla Caller <carla@example.org>', to: 'support@caruso.test', subject: 'My bill', text: 'Card 4111 1111 1111 1111 was charged twice.' });
        let offerId: string | undefined;
        let mailId = '';
        for (const end = Date.now() + 5_000; !offerId && Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
          const o = ((await anna.get('/api/agent')).body as { offers: { offerId: string; contactId: string; channel: string }[] }).offers.find((x) => x.channel === 'email');
          offerId = o?.offerId;
          mailId = o?.contactId ?? '';
        }
        expect(offerId).toBeDefined();
        expect((await anna.post(`/api/agent/offers/${encodeURIComponent(offerId!)}/accept`)).status).toBe(200);
        const r = await sam.post(`/api/contacts/${mailId}/notes`, { text: 'Refund the double charge; do not quote the card number' });
        expect([r.status, data(r)]).toEqual([201, expect.objectContaining({ contactId: mailId, from: 'sam', private: true })]);
        expect(await agentDesk.next((f) => f.type === 'note' && f['contactId'] === mailId)).toMatchObject({ text: 'Refund the double charge; do not quote the card number' });
        expect(data<Body[]>(await anna.get(`/api/contacts/${mailId}/notes`)).map((n) => n['text'])).toEqual(['Refund the double charge; do not quote the card number']);
        const logged = (await asm.events.read({ contactId: mailId })).find((e) => e.kind === 'note-added');
        expect(logged).toMatchObject({ agentId: 'anna', channel: 'email', data: { from: 'sam', private: true } });
      } finally {
        await agentDesk.close();
      }
      // A frame over the limit ends that socket only (1009); the server answers the next one.
      const watch = await mustOpen(`${asm.url}/ws/chat/watch`, sam);
      const closed = new Promise<number>((resolve) => watch.ws.once('close', (c: number) => resolve(c)));
      watch.ws.send('x'.repeat(10_000));
      expect(await closed).toBe(1009);
      const again = await mustOpen(`${asm.url}/ws/chat/watch`, sam);
      again.send({ type: 'watch' });
      expect(await again.next((f) => f.type === 'error')).toMatchObject({ code: 'CARUSO_FRONTOFFICE_BAD_REQUEST' });
      await again.close();
      expectAllDocumented(asm);
    });
  });
});
