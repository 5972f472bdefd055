import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager } from '@caruso/kernel';
import { createStorage, type StorageManager } from '@caruso/storage';
import { OutboundMail, smtpRelayMail } from '@caruso/comms';
import { StorageVoicemailStore } from '@caruso/comms/testing';
import { ivrSetup } from './ivr-helpers.js';
import { startRelay, type TestRelay } from './email-helpers.js';

describe('voicemail (simulated adapter, SQLite store, real SMTP notification)', () => {
  let dir: string;
  let storage: StorageManager;
  let relay: TestRelay;
  const services = createServiceManager();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-vm-'));
    storage = await createStorage(`sqlite:${join(dir, 'vm.db')}`);
    relay = await startRelay();
    services.register(OutboundMail, smtpRelayMail({ host: '127.0.0.1', port: relay.port, from: 'Caruso IVR <ivr@caruso.test>', timeoutMs: 5_000 }));
    await services.start();
  });
  afterAll(async () => {
    await services.stop();
    await relay.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a voicemail overflow records the message, stores the WAV durably, queues a callback and e-mails the recording', async () => {
    const store = await StorageVoicemailStore.open(storage);
    const t = ivrSetup({
      queues: [{ id: 'general', overflow: [{ afterMs: 30_000, action: 'voicemail' }] }, { id: 'voicemail' }],
      channel: { voicemail: store, mail: services.get(OutboundMail), notifyTo: () => 'team@caruso.test', scriptFor: () => undefined },
    });
    const callId = t.telephony.placeInboundCall({ from: '+32470123456', to: 'main', talkMs: 12_000 });
    await t.run(120_000);
    await relay.waitFor(1);
    await t.channel.settled();
    const events = await t.log.read();
    expect(events.map((e) => e.kind)).toEqual(['queue-entered', 'exited', 'voicemail-left', 'queue-entered', 'voicemail-notified']);
    expect(events[1]).toMatchObject({ contactId: callId, reason: 'voicemail' });
    const vmId = events[2]!.contactId!;
    expect(vmId).toMatch(new RegExp(`^vm-${callId}-`));
    const vm = await store.get(vmId);
    expect(vm).toMatchObject({ callId, from: '+32470123456', queueId: 'general', durationMs: 12_000, mimeType: 'audio/wav' });
    expect(Buffer.from(vm!.audio.subarray(0, 4)).toString('ascii')).toBe('RIFF');
    expect(vm!.audio.byteLength).toBe(44 + 12 * 8000 * 2);
    // The message waits as a callback contact in the voicemail queue.
    expect(t.router.waiting('voicemail')).toEqual([expect.objectContaining({ id: vmId, channel: 'callback', data: expect.objectContaining({ callbackNumber: '+32470123456', voicemailId: vmId }) })]);
    // The caller heard the confirmation and was hung up.
    expect(t.calls.at(-1)).toMatchObject({ type: 'hung-up', by: 'local', cause: 'voicemail' });
    const mail = relay.received[0]!;
    expect(mail.rcptTo).toEqual(['team@caruso.test']);
    expect(mail.parsed.attachments).toHaveLength(1);
    expect(mail.parsed.attachments[0]).toMatchObject({ filename: `${vmId}.wav`, contentType: 'audio/wav' });
    expect(mail.parsed.attachments[0]!.content.equals(Buffer.from(vm!.audio))).toBe(true);
    t.dispose();
  });

  it('the caller chooses voicemail in the IVR; without a mailer the notification is only logged', async () => {
    const store = await StorageVoicemailStore.open(storage);
    const t = ivrSetup({ channel: { voicemail: store, notifyTo: () => 'team@caruso.test' } });
    const callId = t.telephony.placeInboundCall({ from: '+3250', to: '0800-utility', talkMs: 5_000, keys: ['9'] });
    await t.run(120_000);
    const events = await t.log.read();
    expect(events.map((e) => e.kind)).toEqual(['voicemail-left', 'queue-entered']);
    const vmId = events[0]!.contactId!;
    expect(vmId).toMatch(new RegExp(`^vm-${callId}-`));
    expect((await store.list()).map((m) => m.id)).toContain(vmId);
    expect(t.router.contact(vmId)).toMatchObject({ queueId: 'voicemail', data: expect.objectContaining({ menu: 'message' }) });
    t.dispose();
  });

  it('after hours with a voicemail action, and the empty exit with a message', async () => {
    const store = await StorageVoicemailStore.open(storage);
    const t = ivrSetup({
      queues: [
        // The virtual clock starts on Monday 2025-01-06 08:00 UTC = 09:00 in Brussels: closed before 10:00 here.
        { id: 'general', openingHours: { timeZone: 'Europe/Brussels', days: { mon: [['10:00', '17:00']] } }, afterHours: { action: 'voicemail' } },
        { id: 'billing', whenEmpty: { action: 'message', prompt: 'Nobody is here, please call later.' } },
        { id: 'voicemail' },
      ],
      channel: { voicemail: store, scriptFor: () => undefined, queueFor: ({ to }) => (to === 'billing' ? 'billing' : undefined) },
    });
    const a = t.telephony.placeInboundCall({ from: '+3261', to: 'main', talkMs: 4_000 });
    const b = t.telephony.placeInboundCall({ from: '+3262', to: 'billing', talkMs: 4_000 });
    await t.run(60_000);
    const events = await t.log.read();
    expect(events.filter((e) => e.kind === 'exited').map((e) => [e.contactId, e.reason])).toEqual([
      [a, 'after-hours'],
      [b, 'empty'],
    ]);
    const left = events.find((e) => e.kind === 'voicemail-left');
    expect(left).toMatchObject({ queueId: 'general', reason: 'after-hours', data: { callId: a } });
    expect(await store.get(left!.contactId!)).toBeDefined();
    expect(t.calls.filter((e) => e.type === 'hung-up').map((e) => [e.callId, e.type === 'hung-up' && e.cause])).toEqual(
      expect.arrayContaining([
        [b, 'empty'],
        [a, 'voicemail'],
      ]),
    );
    t.dispose();
  });
});
