// The TestPhone of @caruso/comms/testing against Caruso's own SIP adapter on loopback: register() with
// digest credentials from the phone's own socket (a wrong password is refused and leaves no binding,
// the right one binds the phone, which the adapter then reaches by its user name), and keepAudio:false
// (audio counted in audioPackets, no frame kept) beside a phone that keeps its frames.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { freePort, LOOPBACK, promptDir, rtpRange, TestPhone, until } from '@caruso/comms/testing';

jest.setTimeout(20_000);

describe('TestPhone against Caruso\'s registrar and SIP adapter', () => {
  let dir: string;
  let sip: SipTelephonyAdapter;
  let events: TelephonyEvent[];
  let phones: TestPhone[];

  const phone = async (name: string, options: Parameters<typeof TestPhone.open>[1] = {}): Promise<TestPhone> => {
    const p = await TestPhone.open(name, options);
    phones.push(p);
    return p;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-test-phone-'));
    events = [];
    phones = [];
    sip = new SipTelephonyAdapter({
      host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir,
      users: [{ username: 'ada', password: 'ada-secret' }],
    });
    await sip.start();
    sip.onDidEvent((e) => events.push(e));
  });

  afterEach(async () => {
    await sip.stop();
    await Promise.all(phones.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused with a wrong password (no binding) and registered with the right one, from its own SIP port', async () => {
    const ada = await phone('ada');
    await expect(ada.register({ port: sip.port }, 'ada', 'not-her-secret')).rejects.toThrow(/the registrar answered \d{3} to the REGISTER of ada/);
    expect(sip.registrar.lookup('ada')).toEqual([]);
    await expect(ada.register({ host: LOOPBACK, port: sip.port }, 'nobody', 'ada-secret')).rejects.toThrow(/the registrar answered \d{3}/);
    expect(sip.registrar.lookup('nobody')).toEqual([]);

    await ada.register({ port: sip.port }, 'ada', 'ada-secret', { expires: 120 });
    const bindings = sip.registrar.lookup('ada');
    expect(bindings).toHaveLength(1);
    expect(bindings[0]!.source).toMatchObject({ host: LOOPBACK, port: ada.sipPort });
    expect(bindings[0]!.contact).toBe(ada.uri);
    const expiresInS = (bindings[0]!.expiresAt - Date.now()) / 1000;
    expect(expiresInS).toBeGreaterThan(100);
    expect(expiresInS).toBeLessThanOrEqual(120);
  });

  it('rejects when nothing answers in time, and when closed while registering', async () => {
    const silent = await freePort();
    const ada = await phone('ada');
    await expect(ada.register({ port: silent }, 'ada', 'ada-secret', { timeoutMs: 300 })).rejects.toThrow(/did not answer the REGISTER of ada in 300 ms/);
    const bob = await TestPhone.open('bob');
    const pending = bob.register({ port: silent }, 'bob', 'x', { timeoutMs: 10_000 });
    await bob.close();
    await expect(pending).rejects.toThrow(/closed while registering/);
  });

  it('is reached by its user name once registered; with keepAudio:false it counts the audio and keeps no frame', async () => {
    const ada = await phone('ada', { hz: 1000, keepAudio: false });
    await ada.register({ port: sip.port }, 'ada', 'ada-secret');
    const customer = await phone('customer', { hz: 600 });
    sip.onDidEvent((e) => {
      if (e.type !== 'call-offered') return;
      sip.answer(e.callId);
      sip.bridge(e.callId, 'agent:ada', { ringTimeoutMs: 5000 });
    });
    await customer.call(sip.port);
    await until(() => events.some((e) => e.type === 'bridged'), 5000, () => `bridged (events: ${events.map((e) => e.type).join(', ')})`);
    expect(ada.seen('INVITE')).toHaveLength(1);
    expect(ada.connected).toBe(true);
    customer.startMedia();
    ada.startMedia();
    await until(() => ada.audioPackets > 25 && customer.audioPackets > 25, 5000, () => `audio both ways (ada ${ada.audioPackets}, customer ${customer.audioPackets})`);
    expect(ada.audio).toHaveLength(0);
    expect(ada.heard(0)).toHaveLength(0);
    expect(customer.audio.length).toBe(customer.audioPackets);
    expect(customer.audio.length).toBeGreaterThan(25);
    customer.hangUp();
    await until(() => ada.seen('BYE').length === 1, 3000, 'the BYE to ada');
  });

  it('forgets an ended call once its linger is over, so a phone taking many calls holds only the recent ones', async () => {
    const ada = await phone('ada', { lingerMs: 300 });
    await ada.register({ port: sip.port }, 'ada', 'ada-secret');
    const customer = await phone('customer', { lingerMs: 300 });
    sip.onDidEvent((e) => {
      if (e.type !== 'call-offered') return;
      sip.answer(e.callId);
      sip.bridge(e.callId, 'agent:ada', { ringTimeoutMs: 5000 });
    });
    for (let i = 1; i <= 3; i++) {
      await customer.call(sip.port);
      await until(() => ada.connected, 5000, `call ${i} reached ada`);
      expect([customer.calls, ada.calls]).toEqual([1, 1]);
      customer.hangUp();
      await until(() => ada.seen('BYE').length === i && !ada.connected, 3000, `the BYE of call ${i} to ada`);
      // Ended, still known for a moment (a retransmitted BYE would be answered 200).
      expect(ada.calls).toBe(1);
      await until(() => ada.calls === 0 && customer.calls === 0, 3000, `call ${i} forgotten (ada ${ada.calls}, customer ${customer.calls})`);
    }
    expect(ada.seen('INVITE')).toHaveLength(3);
  });
});
