import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { readApplication } from '@caruso/frontoffice';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import type { DesktopState, DeskTemplates } from '../src/common/desktop-types.js';
import { crmModel, fixturePath, fixtureText } from './fixture.js';
import { restContract } from './rest-contract.js';
import { sendMail, startRelay, until, type TestRelay } from './smtp-helpers.js';

const PW = 'correct horse battery';
type Body = Record<string, unknown>;

/** The fixture application with canned replies and an e-mail template on its desktop. */
function applicationFile(): string {
  const text = fixtureText('crm.app.xml')
    .replace(/<!DOCTYPE[^>]*>/, '')
    .replace(
      '<pause code="training" label="Training"/>',
      `<pause code="training" label="Training"/>
    <reply id="greeting" label="Greeting">Hello {{firstName}} {{lastName}}, you called from {{caller}}.</reply>
    <reply id="bye" label="Goodbye">Goodbye{{ missing }}!</reply>
    <emailtemplate id="reading" label="Meter reading" subject="Your reading, {{ customer.lastName }}">Dear {{firstName}},
we received your reading.</emailtemplate>`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'caruso-desk-'));
  writeFileSync(join(dir, 'desk.app.xml'), text);
  return join(dir, 'desk.app.xml');
}

async function desk(c: ApiClient): Promise<DesktopState> {
  const r = await c.get('/api/desktop');
  if (r.status !== 200) throw new Error(`GET /api/desktop: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as DesktopState;
}

/** Waits (bounded) for the offer of a contact on the agent's desktop. */
async function offerOf(c: ApiClient, contactId: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const o = (await desk(c)).offers.find((x) => x.contactId === contactId);
    if (o) return o.offerId;
    if (Date.now() > deadline) throw new Error(`no offer of ${contactId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('canned replies and e-mail templates in <desktop>', () => {
  const read = (desktop: string): { errors: string[]; app: ReturnType<typeof readApplication>['application'] } => {
    const r = readApplication(`<application name="a" model="crm">\n<desktop>\n${desktop}\n</desktop>\n</application>`, 'app.xml', { model: crmModel() });
    return { errors: r.diagnostics.filter((d) => d.severity === 'error').map(String), app: r.application };
  };

  it('reads them with their lines, labels and placeholders', () => {
    const { errors, app } = read('<reply id="hi">Hello {{ firstName }}</reply><emailtemplate id="mail" label="Mail" subject="About {{lastName}}">\n    Dear {{firstName}},\n\n    thanks.\n  </emailtemplate>');
    expect(errors).toEqual([]);
    expect(app?.desktop.cannedReplies).toEqual([{ id: 'hi', label: 'hi', text: 'Hello {{ firstName }}' }]);
    expect(app?.desktop.emailTemplates).toEqual([{ id: 'mail', label: 'Mail', subject: 'About {{lastName}}', body: 'Dear {{firstName}},\n\nthanks.' }]);
  });

  it('reports duplicate and bad ids, stray braces, an empty reply and a missing subject with file:line:col', () => {
    const { errors } = read(['<reply id="a">x</reply>', '<reply id="a">y</reply>', '<reply id="1x">z</reply>', '<reply id="b">Hi {{first name}}</reply>', '<reply id="c"> </reply>', '<emailtemplate id="d">body</emailtemplate>'].join('\n'));
    expect(errors).toEqual([
      expect.stringMatching(/^app\.xml:4:\d+: error: the template id a is declared twice/),
      expect.stringMatching(/^app\.xml:5:\d+: error: "1x" is not a template id/),
      expect.stringMatching(/^app\.xml:6:\d+: error: a placeholder is \{\{name\}\}/),
      expect.stringMatching(/^app\.xml:7:\d+: error: the reply c has no text/),
      expect.stringMatching(/^app\.xml:8:\d+: error: .*subject/),
    ]);
  });
});

describe('the agent desktop holds a shift on the server (GET /api/desktop, customers, drafts, templates, attachments)', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(async () => {
    await relay.close();
  });

  forEachDatabase((db) => {
    const expectAllDocumented = restContract();
    let asm: TestAssembly;
    let anna: ApiClient;
    let bob: ApiClient;
    let admin: ApiClient;

    beforeAll(async () => {
      asm = await startTestAssembly({
        db: await db.freshDatabase(),
        model: fixturePath('crm.model.xml'),
        application: applicationFile(),
        scripts: fixturePath('scripts'),
        queues: [{ id: 'support', wrapUpMs: 600_000 }],
        agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }, { id: 'bob', queues: [{ queueId: 'support' }] }],
        users: [
          { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
          { name: 'bob', role: 'agent', agentId: 'bob', password: PW },
          { name: 'admin', role: 'administrator', agentId: undefined, password: PW },
        ],
        chat: { queueId: 'support', port: 0 },
        email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
        relay: { port: relay.port, from: 'Support <support@caruso.test>' },
      });
      anna = await loggedInClient(asm.url, 'anna', PW);
      bob = await loggedInClient(asm.url, 'bob', PW);
      admin = await loggedInClient(asm.url, 'admin', PW);
    }, 60_000);

    afterAll(async () => {
      await asm?.stop();
    });

    const customer = async (fields: Body): Promise<string> => {
      const r = await admin.post('/api/objects/Customer', fields);
      if (r.status !== 201) throw new Error(`customer not created: ${JSON.stringify(r.body)}`);
      return String((r.body as { data: { id: number } }).data.id);
    };

    it('shows the same contact, script session (with its step) and wrap-up draft after a reload', async () => {
      const carla = await customer({ firstName: 'Carla', lastName: 'Caller', phone: '+3212345001' });
      expect((await anna.post('/api/agent/ready')).status).toBe(200);
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345001' } });
      expect((await anna.post(`/api/agent/offers/${encodeURIComponent(await offerOf(anna, call.id))}/accept`)).status).toBe(200);
      // The one record the screen pop finds is linked by the server when the call connects.
      await until(() => asm.comms.customerOf(call.id)?.id === carla, 'the call linked to Carla');
      expect((await bob.get('/api/desktop')).status).toBe(200);

      const started = await anna.post('/api/scripts/sessions', { contactId: call.id });
      expect(started.status).toBe(201);
      const sessionId = (started.body as { sessionId: string }).sessionId;
      expect(((await anna.post(`/api/scripts/sessions/${sessionId}/answer`, { value: 'water' })).body as { step: { node: string } }).step.node).toBe('postcode');
      expect((await anna.request('PUT', `/api/contacts/${call.id}/wrap-up-draft`, { code: 'solved', notes: 'half typed' })).body).toEqual({ ok: true });
      // Bad input changes nothing; another agent's contact is not found.
      expect((await anna.request('PUT', `/api/contacts/${call.id}/wrap-up-draft`, { code: 'bogus', notes: 'lost' })).status).toBe(400);
      expect((await anna.request('PUT', `/api/contacts/${call.id}/wrap-up-draft`, { notes: 'x', extra: 1 })).status).toBe(400);
      expect((await bob.request('PUT', `/api/contacts/${call.id}/wrap-up-draft`, { notes: 'mine?' })).status).toBe(404);
      // CSRF and roles as every route: no token 403, no session 401, not an agent 403.
      expect((await anna.request('PUT', `/api/contacts/${call.id}/wrap-up-draft`, { notes: 'forged' }, { csrf: null })).status).toBe(403);
      expect((await anna.request('PUT', `/api/contacts/${call.id}/customer`, { object: 'Customer', recordId: carla }, { csrf: null })).status).toBe(403);
      expect((await admin.get('/api/desktop')).status).toBe(403);
      expect((await new ApiClient(asm.url).get('/api/desktop')).status).toBe(401);

      // A reload: a new page with the same session cookie reads everything from the server.
      const reloaded = anna.withBase(asm.url);
      const st = await desk(reloaded);
      expect(st.agent).toMatchObject({ id: 'anna', state: 'busy', contactIds: [call.id] });
      expect(st.contacts).toHaveLength(1);
      const c = st.contacts[0]!;
      expect(c).toMatchObject({ id: call.id, channel: 'call', direction: 'inbound', address: '+3212345001', customer: { object: 'Customer', id: carla, label: 'Carla Caller' }, held: false, muted: false, conferees: [], consult: null, handoff: null });
      expect(c.script).toMatchObject({ sessionId, view: { sessionId, script: 'fault-check', status: 'active', step: { node: 'postcode' } } });
      expect(c.screenPop?.matches.map((m) => String(m['id']))).toEqual([carla]);
      expect(st.templates.cannedReplies.map((t) => t.id)).toEqual(['greeting', 'bye']);
      expect(st.presence).toEqual({ heartbeatMs: 10_000, disconnectGraceMs: 120_000 });
      // Starting the script again for the same contact gives the running session back, where it stands.
      const again = await reloaded.post('/api/scripts/sessions', { contactId: call.id });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ sessionId, step: { node: 'postcode' } });
      const [r1, r2] = await Promise.all([reloaded.post('/api/scripts/sessions', { contactId: call.id }), anna.post('/api/scripts/sessions', { contactId: call.id })]);
      expect([(r1.body as Body)['sessionId'], (r2.body as Body)['sessionId']]).toEqual([sessionId, sessionId]);

      // Templates are filled with the linked record's fields and the contact's variables.
      const tpl = (await anna.get(`/api/contacts/${call.id}/templates`)).body as DeskTemplates;
      expect(tpl.cannedReplies).toEqual([
        { id: 'greeting', label: 'Greeting', text: 'Hello Carla Caller, you called from +3212345001.' },
        { id: 'bye', label: 'Goodbye', text: 'Goodbye!' },
      ]);
      expect(tpl.emailTemplates).toEqual([{ id: 'reading', label: 'Meter reading', subject: 'Your reading, Caller', body: 'Dear Carla,\nwe received your reading.' }]);
      expect((await bob.get(`/api/contacts/${call.id}/templates`)).status).toBe(404);

      expect((await anna.post(`/api/contacts/${call.id}/hang-up`)).status).toBe(200);
      const wrapping = await desk(reloaded);
      expect(wrapping.contacts).toEqual([]);
      expect(wrapping.wrapUps).toEqual([{ contactId: call.id, channel: 'call', queueId: 'support', startedAt: expect.any(Number), address: '+3212345001', customer: { object: 'Customer', id: carla, label: 'Carla Caller' }, draft: { code: 'solved', notes: 'half typed' } }]);
      // The wrap-up files on the linked customer, and the draft goes.
      const w = await reloaded.post(`/api/contacts/${call.id}/wrap-up`, { code: 'solved', notes: 'half typed, then done' });
      expect(w.status).toBe(200);
      expect((await desk(anna)).wrapUps).toEqual([]);
      expect(Number(((await asm.manager.get(StorageManager).knex('caruso_fo_wrap_up_drafts').where({ contact_id: call.id }).count({ n: '*' })) as { n: unknown }[])[0]!.n)).toBe(0);
      const [rec] = await asm.comms.history('Customer', carla);
      expect(rec).toMatchObject({ contactId: call.id, disposition: 'solved', note: 'half typed, then done' });
      await anna.post('/api/agent/logout');
    }, 30_000);

    it('files each wrap-up on its own linked customer with a chat and a call at once, offers racing accepts and wrap-ups', async () => {
      const ada = await customer({ firstName: 'Ada', lastName: 'Lovelace', phone: '+3212345002' });
      const bert = await customer({ firstName: 'Bert', lastName: 'Chatter' });
      const cees = await customer({ firstName: 'Cees', lastName: 'Second', phone: '+3212345003' });
      await anna.post('/api/agent/ready');

      // A chat first: the agent links it to Bert (the visitor gave no address).
      const chat = await asm.chat!.openChat({ customerName: 'Bert', subject: 'Bill' });
      await anna.post(`/api/agent/offers/${encodeURIComponent(await offerOf(anna, chat.chatId))}/accept`);
      const linked = await anna.request('PUT', `/api/contacts/${chat.chatId}/customer`, { object: 'Customer', recordId: Number(bert) });
      expect(linked.status).toBe(200);
      expect(linked.body).toEqual({ customer: { object: 'Customer', id: bert, label: 'Bert Chatter' } });
      // Bad links change nothing.
      expect((await anna.request('PUT', `/api/contacts/${chat.chatId}/customer`, { object: 'Customer', recordId: '999999' })).status).toBe(404);
      expect((await anna.request('PUT', `/api/contacts/${chat.chatId}/customer`, { object: 'Nope', recordId: bert })).status).toBe(404);
      expect((await anna.request('PUT', `/api/contacts/${chat.chatId}/customer`, { object: 'Customer' })).status).toBe(400);
      expect((await bob.request('PUT', `/api/contacts/${chat.chatId}/customer`, { object: 'Customer', recordId: ada })).status).toBe(404);
      expect(asm.comms.customerOf(chat.chatId)).toEqual({ object: 'Customer', id: bert });

      // A call arrives while the chat is open: linked to Ada by her number.
      const call = await asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345002' } });
      await anna.post(`/api/agent/offers/${encodeURIComponent(await offerOf(anna, call.id))}/accept`);
      await until(() => asm.comms.customerOf(call.id)?.id === ada, 'the call linked to Ada');
      const both = await desk(anna);
      expect(both.contacts.map((c) => [c.id, c.customer?.id])).toEqual(expect.arrayContaining([[chat.chatId, bert], [call.id, ada]]));

      // Race: both end and are wrapped up in parallel while another call (Cees) and another chat arrive.
      const [, , later, dora] = await Promise.all([
        (async () => {
          await anna.post(`/api/contacts/${chat.chatId}/hang-up`);
          return anna.post(`/api/contacts/${chat.chatId}/wrap-up`, { code: 'follow-up', notes: 'chat note' });
        })(),
        (async () => {
          await anna.post(`/api/contacts/${call.id}/hang-up`);
          return anna.post(`/api/contacts/${call.id}/wrap-up`, { code: 'solved', notes: 'call note' });
        })(),
        asm.comms.enqueue({ channel: 'call', queueId: 'support', data: { caller: '+3212345003' } }),
        asm.chat!.openChat({ customerName: 'Dora' }),
      ]);
      // The next offer is accepted while the page still shows nothing of the previous contacts.
      await anna.post(`/api/agent/offers/${encodeURIComponent(await offerOf(anna, later.id))}/accept`);
      await until(() => asm.comms.customerOf(later.id)?.id === cees, 'the third call linked to Cees');

      const adaHistory = await asm.comms.history('Customer', ada);
      const bertHistory = await asm.comms.history('Customer', bert);
      expect(adaHistory.map((r) => [r.contactId, r.disposition, r.note])).toEqual([[call.id, 'solved', 'call note']]);
      expect(bertHistory.map((r) => [r.contactId, r.disposition, r.note])).toEqual([[chat.chatId, 'follow-up', 'chat note']]);

      // An older page that sends object/recordId links first; the wrap-up goes to that record.
      await anna.post(`/api/contacts/${later.id}/hang-up`);
      expect((await anna.post(`/api/contacts/${later.id}/wrap-up`, { code: 'solved', object: 'Customer', recordId: Number(ada) })).status).toBe(200);
      expect((await asm.comms.history('Customer', ada)).map((r) => r.contactId)).toEqual([later.id, call.id]);
      expect(await asm.comms.history('Customer', cees)).toEqual([]);

      // The chat that arrived meanwhile is offered once the call is wrapped up; unlinking leaves it without a customer.
      await anna.post(`/api/agent/offers/${encodeURIComponent(await offerOf(anna, dora.chatId))}/accept`);
      expect((await anna.request('PUT', `/api/contacts/${dora.chatId}/customer`, { object: 'Customer', recordId: bert })).status).toBe(200);
      expect((await anna.delete(`/api/contacts/${dora.chatId}/customer`)).body).toEqual({ customer: null });
      expect(asm.comms.customerOf(dora.chatId)).toBeUndefined();
      await anna.post(`/api/contacts/${dora.chatId}/hang-up`);
      expect((await anna.post(`/api/contacts/${dora.chatId}/wrap-up`, { code: 'solved' })).status).toBe(200);
      expect((await asm.comms.history('Customer', bert)).map((r) => r.contactId)).toEqual([chat.chatId]);
      await until(() => asm.comms.agent('anna').state === 'ready', 'anna ready');
      await anna.post('/api/agent/logout');
    }, 30_000);

    it('sends an e-mail reply with an attachment to a real SMTP relay, and refuses too many or bad files', async () => {
      await anna.post('/api/agent/ready');
      await sendMail(asm.email!.address()!.port, { from: 'Ada Lovelace <ada@example.org>', to: 'support@caruso.test', subject: 'My reading', text: 'It is 4711.' });
      const contactId = await (async () => {
        const deadline = Date.now() + 5_000;
        for (;;) {
          const o = (await desk(anna)).offers.find((x) => x.channel === 'email');
          if (o) return o.contactId;
          if (Date.now() > deadline) throw new Error('no e-mail offer');
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await anna.post(`/api/agent/offers/${encodeURIComponent(await offerOf(anna, contactId))}/accept`);
      const before = relay.received.length;
      const pdf = Buffer.from('%PDF-1.4 reading confirmation\n' + 'y'.repeat(3_000));
      const six = Array.from({ length: 6 }, (_, i) => ({ filename: `f${i}.txt`, contentType: 'text/plain', contentBase64: Buffer.from('x').toString('base64') }));
      const tooMany = await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'x', attachments: six });
      expect(tooMany.status).toBe(413);
      expect((tooMany.body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_ATTACHMENTS_TOO_LARGE');
      const big = await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'x', attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', contentBase64: Buffer.alloc(5 * 1024 * 1024 + 1).toString('base64') }] });
      expect(big.status).toBe(413);
      expect((await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'x', attachments: [{ filename: '../etc/passwd', contentType: 'text/plain', contentBase64: 'eA==' }] })).status).toBe(400);
      expect((await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'x', attachments: [{ filename: 'a.txt', contentType: 'text/plain', contentBase64: 'not base64!' }] })).status).toBe(400);
      expect(relay.received.length).toBe(before);

      const sent = await anna.post(`/api/contacts/${contactId}/email/reply`, { text: 'Thank you, see the confirmation.', attachments: [{ filename: 'confirmation.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') }] });
      expect(sent.status).toBe(201);
      await relay.waitFor(before + 1);
      const mail = relay.received[before]!;
      expect(mail.rcptTo).toEqual(['ada@example.org']);
      expect(mail.parsed.attachments.map((a) => [a.filename, a.contentType, a.content.equals(pdf)])).toEqual([['confirmation.pdf', 'application/pdf', true]]);
      expect(((sent.body as { message: { attachments: Body[] } }).message.attachments).map((a) => a['filename'])).toEqual(['confirmation.pdf']);
      await anna.post(`/api/contacts/${contactId}/hang-up`);
      await anna.post(`/api/contacts/${contactId}/wrap-up`, { code: 'solved' });
      await anna.post('/api/agent/logout');
    }, 30_000);

    it('answers only in the documented shapes', () => {
      expectAllDocumented(asm);
    });
  });
});
