import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { CommunicationServer, EmailChannel, OutboundMail, commsService, emailChannel, smtpRelayMail, type Offer, type ReceivedEmail } from '@caruso/comms';
import { sendTo, startRelay, type TestRelay } from './email-helpers.js';

import { jest } from '@jest/globals';

jest.setTimeout(20_000);

const comms = {
  queues: [{ id: 'email' }],
  agents: [{ id: 'anna', queues: [{ queueId: 'email' }], capacity: { email: 3 } }],
};
const pdf = Buffer.from('%PDF-1.4 invoice 2024-117\n' + 'x'.repeat(3_000));

describe('e-mail channel over real SMTP on loopback', () => {
  let relay: TestRelay;
  let modelDir: string;
  beforeAll(async () => {
    relay = await startRelay();
    modelDir = mkdtempSync(join(tmpdir(), 'caruso-email-model-'));
    writeFileSync(
      join(modelDir, 'crm.model.xml'),
      '<?xml version="1.0" encoding="UTF-8"?>\n<model name="mail">\n  <object name="Customer" id="o-customer" table="customers">\n    <field name="id" type="id"/>\n    <field name="name" type="string"/>\n    <field name="email" type="string"/>\n  </object>\n</model>\n',
    );
  });
  afterAll(async () => {
    await relay.close();
    rmSync(modelDir, { recursive: true, force: true });
  });

  forEachDatabase((db) => {
    let services: ServiceManager | undefined;
    afterEach(async () => {
      await services?.stop();
      services = undefined;
    });

    async function start(url: string, extra: { maxMessageBytes?: number; auth?: boolean; objects?: boolean } = {}) {
      const m = createServiceManager();
      m.register(StorageManager, storageService(url));
      m.register(CommunicationServer, commsService(comms));
      m.register(OutboundMail, smtpRelayMail({ host: '127.0.0.1', port: relay.port, from: 'Support <support@caruso.test>' }));
      if (extra.objects) m.register(BusinessObjects, businessObjectsService({ model: join(modelDir, 'crm.model.xml'), schema: 'migrate' }));
      m.register(
        EmailChannel,
        emailChannel({
          queueId: 'email',
          port: 0,
          recipients: ['support@caruso.test', '@sales.caruso.test'],
          mailbox: 'Support <support@caruso.test>',
          ...(extra.maxMessageBytes ? { maxMessageBytes: extra.maxMessageBytes } : {}),
          ...(extra.auth ? { auth: { users: [{ user: 'mx', pass: 'a-long-relay-password' }], allowInsecure: true } } : {}),
          ...(extra.objects ? { customer: { object: 'Customer', emailField: 'email' } } : {}),
        }),
      );
      await m.start();
      services = m;
      const channel = m.get(EmailChannel);
      return { m, channel, server: m.get(CommunicationServer), port: channel.address()!.port };
    }

    it('queues an inbound e-mail with its attachment, threads the reply both ways, and re-opens the contact when the customer writes again', async () => {
      const { channel, server, port } = await start(await db.freshDatabase());
      const offers: Offer[] = [];
      server.onDidOffer((o) => offers.push(o));
      const received: ReceivedEmail[] = [];
      channel.onDidReceive((r) => received.push(r));
      await server.login('anna');
      const relayBefore = relay.received.length;

      const first = await sendTo(port, {
        from: 'Ada Lovelace <ada@example.org>',
        to: 'support@caruso.test',
        subject: 'Invoice 2024-117 is wrong',
        text: 'The amount is twice what I expected.',
        html: '<p>The amount is <b>twice</b> what I expected.</p>',
        attachments: [{ filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' }],
      });
      // 250 came back: the message is stored and its contact is queued (and here offered to anna).
      expect(received).toHaveLength(1);
      const contactId = received[0]!.contactId;
      expect(received[0]).toMatchObject({ newThread: true, queued: true, messageId: first.messageId });
      expect(offers.map((o) => [o.contactId, o.channel])).toEqual([[contactId, 'email']]);
      expect(server.contact(contactId)?.data).toMatchObject({ subject: 'Invoice 2024-117 is wrong', from: 'ada@example.org' });
      const [stored] = await channel.messages(contactId);
      expect(stored).toMatchObject({ direction: 'inbound', from: 'ada@example.org', to: ['support@caruso.test'], subject: 'Invoice 2024-117 is wrong', text: 'The amount is twice what I expected.' });
      expect(stored!.html).toContain('<b>twice</b>');
      expect(stored!.attachments).toEqual([expect.objectContaining({ filename: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length })]);
      expect((await channel.attachment(stored!.attachments[0]!.id))?.content.equals(pdf)).toBe(true);

      await server.accept(offers[0]!.offerId);
      const answer = await channel.reply(contactId, {
        text: 'You are right, here is the corrected invoice.',
        attachments: [{ filename: 'invoice-corrected.pdf', content: Buffer.from('%PDF corrected'), contentType: 'application/pdf' }],
      });
      await relay.waitFor(relayBefore + 1);
      const out = relay.received[relayBefore]!;
      expect(out.rcptTo).toEqual(['ada@example.org']);
      expect(out.parsed.subject).toBe('Re: Invoice 2024-117 is wrong');
      expect(out.parsed.from?.value[0]?.address).toBe('support@caruso.test');
      expect(out.parsed.messageId).toBe(answer.sent.messageId);
      expect(out.parsed.inReplyTo).toBe(first.messageId);
      expect(out.parsed.references).toBe(first.messageId);
      expect(out.parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([['invoice-corrected.pdf', 'application/pdf', '%PDF corrected']]);
      expect(answer).toMatchObject({ direction: 'outbound', contactId, to: ['ada@example.org'], inReplyTo: first.messageId });

      // The customer answers the agent's reply: same contact, still connected, so not queued again.
      const second = await sendTo(port, {
        from: 'ada@example.org',
        to: 'support@caruso.test',
        subject: 'Re: Invoice 2024-117 is wrong',
        text: 'Thank you!',
        inReplyTo: answer.sent.messageId,
        references: [first.messageId, answer.sent.messageId],
      });
      expect(received[1]).toMatchObject({ contactId, newThread: false, queued: false, messageId: second.messageId });
      expect((await channel.messages(contactId)).map((m) => m.direction)).toEqual(['inbound', 'outbound', 'inbound']);

      // After the contact ended, a message of the thread brings the same contact back in the queue.
      await server.complete(contactId);
      await server.finishWrapUp('anna').catch(() => undefined);
      await sendTo(port, { from: 'ada@example.org', to: 'support@caruso.test', subject: 'One more thing', text: '…', references: [first.messageId, answer.sent.messageId, second.messageId] });
      expect(received[2]).toMatchObject({ contactId, newThread: false, queued: true });
      expect(offers.at(-1)?.contactId).toBe(contactId);

      // An unrelated mail starts its own contact.
      await sendTo(port, { from: 'bob@example.org', to: 'team@sales.caruso.test', subject: 'Offer', text: 'Hello' });
      expect(received[3]).toMatchObject({ newThread: true, queued: true });
      expect(received[3]!.contactId).not.toBe(contactId);
    });

    it('refuses oversize and malformed mail and mail for unknown mailboxes, storing nothing', async () => {
      const { channel, server, port } = await start(await db.freshDatabase(), { maxMessageBytes: 20_000 });
      const received: ReceivedEmail[] = [];
      channel.onDidReceive((r) => received.push(r));
      await expect(
        sendTo(port, { from: 'ada@example.org', to: 'support@caruso.test', subject: 'big', text: 'see attached', attachments: [{ filename: 'big.bin', content: Buffer.alloc(60_000, 7) }] }),
      ).rejects.toMatchObject({ responseCode: 552 });
      await expect(sendTo(port, { envelope: { from: 'ada@example.org', to: ['support@caruso.test'] }, raw: 'this is not an e-mail at all\r\n' })).rejects.toMatchObject({ responseCode: 550 });
      await expect(sendTo(port, { from: 'ada@example.org', to: 'someone@elsewhere.test', subject: 'x', text: 'y' })).rejects.toMatchObject({ responseCode: 550 });
      expect(received).toEqual([]);
      expect(server.waiting('email')).toEqual([]);
      const storage = services!.get(StorageManager);
      expect(Number((await storage.knex('caruso_email_messages').count({ n: '*' }))[0]!['n'])).toBe(0);
      // The server still works afterwards.
      await sendTo(port, { from: 'ada@example.org', to: 'support@caruso.test', subject: 'small', text: 'fine' });
      expect(received).toHaveLength(1);
    });

    it('acknowledges only after the message is durable: a failed write answers 451, the retry and a restart find it', async () => {
      const url = await db.freshDatabase();
      const first = await start(url);
      const storage = services!.get(StorageManager);
      await storage.knex.raw('ALTER TABLE caruso_email_messages RENAME TO caruso_email_messages_away');
      const mail = { from: 'ada@example.org', to: 'support@caruso.test', subject: 'Meter reading', text: '12345 kWh', messageId: '<reading-1@example.org>' };
      await expect(sendTo(first.port, mail)).rejects.toMatchObject({ responseCode: 451 });
      expect(first.server.waiting('email')).toEqual([]);
      await storage.knex.raw('ALTER TABLE caruso_email_messages_away RENAME TO caruso_email_messages');
      await sendTo(first.port, mail); // the sending server retries
      const [waiting] = first.server.waiting('email');
      expect(waiting?.data).toMatchObject({ messageId: '<reading-1@example.org>' });
      // The same message delivered twice is stored once.
      await sendTo(first.port, mail);
      expect(first.server.waiting('email')).toHaveLength(1);
      await services!.stop();
      services = undefined;

      const again = await start(url);
      expect(again.server.waiting('email').map((c) => c.id)).toEqual([waiting!.id]);
      const thread = await again.channel.messages(waiting!.id);
      expect(thread.map((m) => [m.messageId, m.text])).toEqual([['<reading-1@example.org>', '12345 kWh']]);
    });

    it('links the contact to the customer whose e-mail address sent it, and asks senders to log in when AUTH is configured', async () => {
      const { channel, server, port } = await start(await db.freshDatabase(), { objects: true, auth: true });
      const ada = await services!.get(BusinessObjects).repository('Customer').create({ name: 'Ada', email: 'ada@example.org' });
      const received: ReceivedEmail[] = [];
      channel.onDidReceive((r) => received.push(r));
      const mail = { from: 'Ada <ada@example.org>', to: 'support@caruso.test', subject: 'Move', text: 'I am moving house.' };
      await expect(sendTo(port, mail)).rejects.toMatchObject({ responseCode: 530 });
      await expect(sendTo(port, mail, { user: 'mx', pass: 'wrong-password-here' })).rejects.toMatchObject({ responseCode: 535 });
      expect(received).toEqual([]);
      await sendTo(port, mail, { user: 'mx', pass: 'a-long-relay-password' });
      await sendTo(port, { ...mail, from: 'stranger@example.org' }, { user: 'mx', pass: 'a-long-relay-password' });
      expect(server.contact(received[0]!.contactId)?.data).toMatchObject({ customerKey: String(ada['id']) });
      expect((await channel.messages(received[0]!.contactId))[0]?.customerKey).toBe(String(ada['id']));
      expect(server.contact(received[1]!.contactId)?.data['customerKey']).toBeUndefined();
    });
  });
});

describe('smtpRelayMail (OutboundMail)', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay({ users: { caruso: 'relay-secret-123' } });
  });
  afterAll(() => relay.close());

  it('sends through an authenticating relay with thread headers and attachments, and refuses bad messages before sending', async () => {
    const m = createServiceManager();
    m.register(OutboundMail, smtpRelayMail({ host: '127.0.0.1', port: relay.port, from: 'Voicemail <voicemail@caruso.test>', auth: { user: 'caruso', pass: 'relay-secret-123' } }));
    await m.start();
    try {
      const mail = m.get(OutboundMail);
      const sent = await mail.sendMail({
        to: ['agent@caruso.test'],
        subject: 'New voicemail from +31 20 765 4321',
        text: 'A message of 23 seconds.',
        attachments: [{ filename: 'voicemail.wav', content: Buffer.from('RIFF....WAVEfmt '), contentType: 'audio/wav' }],
        inReplyTo: 'thread-1@example.org',
        references: ['<thread-0@example.org>'],
      });
      expect(sent.messageId).toMatch(/^<[0-9a-f-]+@caruso\.test>$/);
      expect(sent.accepted).toEqual(['agent@caruso.test']);
      await relay.waitFor(1);
      const got = relay.received[0]!.parsed;
      expect(got.messageId).toBe(sent.messageId);
      expect(got.inReplyTo).toBe('<thread-1@example.org>');
      expect(got.references).toEqual(['<thread-0@example.org>', '<thread-1@example.org>']);
      expect(got.attachments[0]).toMatchObject({ filename: 'voicemail.wav', contentType: 'audio/wav' });
      expect(got.attachments[0]!.content.toString()).toBe('RIFF....WAVEfmt ');

      await expect(mail.sendMail({ to: 'not an address', subject: 's', text: 't' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_MAIL_INVALID_MESSAGE' });
      await expect(mail.sendMail({ to: 'a@b.test', subject: 'two\r\nBcc: victim@x.test', text: 't' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_MAIL_INVALID_MESSAGE' });
      await expect(mail.sendMail({ to: 'a@b.test', subject: 's', text: 't', attachments: [{ filename: '../etc/passwd', content: Buffer.from('x'), contentType: 'text/plain' }] })).rejects.toMatchObject({ code: 'CARUSO_COMMS_MAIL_INVALID_MESSAGE' });
      expect(relay.received).toHaveLength(1);
    } finally {
      await m.stop();
    }
  });

  it('fails with SEND_FAILED on wrong credentials or an unreachable relay, without the password in the message', async () => {
    const wrong = createServiceManager();
    wrong.register(OutboundMail, smtpRelayMail({ host: '127.0.0.1', port: relay.port, from: 'x@caruso.test', auth: { user: 'caruso', pass: 'not-the-password' }, timeoutMs: 3_000 }));
    await wrong.start();
    try {
      const err = await wrong.get(OutboundMail).sendMail({ to: 'a@b.test', subject: 's', text: 't' }).then(
        () => new Error('sent'),
        (e: unknown) => e as Error,
      );
      expect(err).toMatchObject({ code: 'CARUSO_COMMS_MAIL_SEND_FAILED' });
      expect(err.message).not.toContain('not-the-password');
    } finally {
      await wrong.stop();
    }
    const closed = createServiceManager();
    closed.register(OutboundMail, smtpRelayMail({ host: '127.0.0.1', port: 1, from: 'x@caruso.test', timeoutMs: 2_000 }));
    await closed.start();
    try {
      await expect(closed.get(OutboundMail).sendMail({ to: 'a@b.test', subject: 's', text: 't' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_MAIL_SEND_FAILED' });
    } finally {
      await closed.stop();
    }
  });

  it('refuses invalid options at once', () => {
    expect(() => smtpRelayMail({ host: '', from: 'x@y.test' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_MAIL_INVALID_OPTIONS' }));
    expect(() => smtpRelayMail({ host: 'h', port: 70_000, from: 'x@y.test' })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_MAIL_INVALID_OPTIONS' }));
    expect(() => emailChannel({ queueId: 'email', recipients: ['nonsense'] })).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_MAIL_INVALID_OPTIONS' }));
  });
});
