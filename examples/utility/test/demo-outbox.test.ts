import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, type ServiceManager } from '@caruso/kernel';
import { OutboundMail } from '@caruso/comms';
import { demoOutboxService } from '../src/index.js';

describe('the demo outbox (caruso.comms.OutboundMail written to files)', () => {
  let dir: string;
  let sm: ServiceManager;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-utility-outbox-'));
    sm = createServiceManager();
    sm.register(OutboundMail, demoOutboxService({ folder: join(dir, 'outbox'), from: 'klantenservice@stadsenergie.example' }));
    await sm.start();
  });

  afterAll(async () => {
    await sm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each message as an .eml file a mail program opens, with its attachments', async () => {
    const mail = sm.get(OutboundMail);
    const sent = await mail.sendMail({
      to: 'r.verhoeven@voorbeeld.nl',
      subject: 'Bevestiging van uw verhuizing – 1 maart',
      text: 'Beste mevrouw Verhoeven,\n\nWij hebben uw verhuizing ontvangen.',
      inReplyTo: 'abc@klant.example',
      attachments: [{ filename: 'kaart.txt', contentType: 'text/plain', content: Buffer.from('meterkaart') }],
    });
    expect(sent.messageId).toMatch(/^<[0-9a-f-]+@stadsenergie\.example>$/);
    expect(sent.accepted).toEqual(['r.verhoeven@voorbeeld.nl']);
    const [file] = readdirSync(join(dir, 'outbox'));
    expect(file).toMatch(/\.eml$/);
    const eml = readFileSync(join(dir, 'outbox', file as string), 'utf8');
    expect(eml).toContain('From: klantenservice@stadsenergie.example\r\n');
    expect(eml).toContain(`Message-ID: ${sent.messageId}\r\n`);
    expect(eml).toContain('In-Reply-To: <abc@klant.example>\r\n');
    // The subject has a non-ASCII dash: encoded as RFC 2047.
    expect(eml).toContain(`Subject: =?UTF-8?B?${Buffer.from('Bevestiging van uw verhuizing – 1 maart').toString('base64')}?=`);
    const boundary = /boundary="([^"]+)"/.exec(eml)?.[1] as string;
    const parts = eml.split(`--${boundary}`);
    expect(parts).toHaveLength(4);
    expect(Buffer.from((parts[1] as string).split('\r\n\r\n')[1] as string, 'base64').toString('utf8')).toContain('Wij hebben uw verhuizing ontvangen.');
    expect(parts[2]).toContain('Content-Disposition: attachment; filename="kaart.txt"');
    expect(Buffer.from((parts[2] as string).split('\r\n\r\n')[1] as string, 'base64').toString('utf8')).toBe('meterkaart');
  });

  it('refuses a bad message with CARUSO_COMMS_MAIL_INVALID_MESSAGE and writes nothing', async () => {
    const before = readdirSync(join(dir, 'outbox')).length;
    await expect(sm.get(OutboundMail).sendMail({ to: 'not an address', subject: 'x', text: 'y' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_MAIL_INVALID_MESSAGE' });
    await expect(sm.get(OutboundMail).sendMail({ to: 'a@b.example', subject: 'two\nlines', text: 'y' })).rejects.toMatchObject({ code: 'CARUSO_COMMS_MAIL_INVALID_MESSAGE' });
    expect(readdirSync(join(dir, 'outbox'))).toHaveLength(before);
  });

  it('refuses a bad configuration with CARUSO_UTILITY_BAD_CONFIG', () => {
    const bad = expect.objectContaining({ code: 'CARUSO_UTILITY_BAD_CONFIG' });
    expect(() => demoOutboxService({})).toThrow(bad);
    expect(() => demoOutboxService({ folder: 'data/outbox' })).toThrow(bad);
    expect(() => demoOutboxService({ folder: join(dir, 'x'), from: 'nobody' })).toThrow(bad);
    expect(() => demoOutboxService({ folder: join(dir, 'x'), relay: 'yes' } as never)).toThrow(bad);
  });
});
