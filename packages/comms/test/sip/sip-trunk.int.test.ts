// Caruso and a provider's trunk, with SIPp as the trunk: registration with digest authentication
// (a failed attempt retried, the binding refreshed before it runs out, removed on stop), and an
// outbound call through the trunk answered only after a digest challenge: 401 from the trunk, or 407
// from a proxy in front of it.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { type TrunkRegistrationStatus } from '@caruso/comms/testing';
import { requireOrSkip } from '@caruso/kernel/testing';
import { freePort, has, killPeers, LOOPBACK, promptDir, rtpRange, sipp, until } from '@caruso/comms/testing';

jest.setTimeout(30_000);

if (requireOrSkip('SIPp', has('sipp'))) {
  describe('SipTelephonyAdapter with a trunk (SIPp as the provider)', () => {
    let dir: string;
    const adapters: SipTelephonyAdapter[] = [];

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-trunk-'));
    });

    afterEach(async () => {
      await killPeers();
      for (const a of adapters.splice(0)) await a.stop();
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    async function adapter(trunkPort: number, register: boolean, transport: 'udp' | 'tcp' = 'udp'): Promise<SipTelephonyAdapter> {
      const sip = new SipTelephonyAdapter({
        host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir, users: [], registerRetryMs: 300,
        trunks: [{ id: 'provider', host: LOOPBACK, port: trunkPort, username: '31201234567', password: 'trunk-secret', register, transport }],
      });
      adapters.push(sip);
      return sip;
    }

    for (const transport of ['udp', 'tcp'] as const) {
    it(`registers over ${transport.toUpperCase()} with digest auth after a failed attempt, refreshes before the binding runs out, and removes it on stop`, async () => {
      const trunkPort = await freePort();
      const registrar = sipp({
        scenario: 'trunk-registrar.xml', dir, port: trunkPort, mediaPort: await freePort(), args: ['-m', '1', '-t', transport === 'tcp' ? 't1' : 'u1'],
        placeholders: { USER: '31201234567', PASSWORD: 'trunk-secret' },
      });
      // SIPp needs a moment before its TCP socket listens.
      if (transport === 'tcp') await new Promise((r) => setTimeout(r, 300));
      const sip = await adapter(trunkPort, true, transport);
      const seen: Array<TrunkRegistrationStatus & { at: number }> = [];
      sip.onDidChangeTrunkRegistration((s) => seen.push({ ...s, at: Date.now() }));
      await sip.start();
      expect(sip.health().status).toBe('degraded');
      await until(() => seen.filter((s) => s.state === 'registered').length >= 2, 8000, () => `two registrations ${JSON.stringify(seen)}`);
      const registered = seen.filter((s) => s.state === 'registered');
      // The first attempt got 503 and was retried; the binding of 2 s was refreshed after about 1 s.
      expect(seen[0]).toMatchObject({ state: 'registering' });
      expect(seen).toContainEqual(expect.objectContaining({ state: 'failed', lastStatus: 503, failures: 1 }));
      expect(registered[0]).toMatchObject({ lastStatus: 200, failures: 0, registrations: 1 });
      const refreshAfter = registered[1]!.at - registered[0]!.at;
      expect(refreshAfter).toBeGreaterThan(800);
      expect(refreshAfter).toBeLessThan(2000);
      expect(registered[1]!.expiresAt! - registered[1]!.at).toBeGreaterThan(55_000);
      expect(sip.trunkRegistrations()).toEqual([expect.objectContaining({ trunk: 'provider', state: 'registered', registrations: 2 })]);
      expect(sip.health().status).toBe('ok');
      adapters.splice(0);
      await sip.stop();
      expect(seen.at(-1)).toMatchObject({ state: 'unregistered', lastStatus: 200 });
      // SIPp verified every digest answer and the Expires: 0 of the removal.
      const r = await registrar.done;
      expect({ code: r.code, output: r.code === 0 ? '' : r.output }).toEqual({ code: 0, output: '' });
    });
    }

    it('keeps retrying a registration the trunk does not answer, with growing gaps', async () => {
      // Nothing listens on this port: every REGISTER times out (408) and is tried again later.
      const sip = new SipTelephonyAdapter({
        host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), users: [], registerRetryMs: 300, t1Ms: 10,
        trunks: [{ id: 'provider', host: LOOPBACK, port: await freePort(), username: 'u', password: 'p', register: true }],
      });
      adapters.push(sip);
      const failures: Array<{ at: number; n: number }> = [];
      sip.onDidChangeTrunkRegistration((s) => { if (s.state === 'failed') failures.push({ at: Date.now(), n: s.failures }); });
      await sip.start();
      await until(() => failures.length >= 3, 8000, 'three failed attempts');
      expect(failures.map((f) => f.n)).toEqual([1, 2, 3]);
      expect(sip.trunkRegistrations()[0]).toMatchObject({ state: expect.stringMatching(/failed|registering/), lastStatus: 408 });
      // Back-off: 300 ms, then 600 ms before the next attempt (each attempt itself lasts 64 × T1 = 640 ms).
      expect(failures[1]!.at - failures[0]!.at).toBeGreaterThan(900);
      expect((failures[2]!.at - failures[1]!.at) - (failures[1]!.at - failures[0]!.at)).toBeGreaterThan(150);
      expect(sip.health().status).toBe('degraded');
    });

    it('originates through the trunk, answering its 401 digest challenge with the trunk credentials', async () => {
      const trunkPort = await freePort();
      const trunk = sipp({
        scenario: 'trunk-uas-auth.xml', dir, port: trunkPort, mediaPort: await freePort(), args: ['-m', '1'],
        placeholders: { USER: '31201234567', PASSWORD: 'trunk-secret', NUMBER: '0612345678' },
      });
      const sip = await adapter(trunkPort, false);
      await sip.start();
      const events: TelephonyEvent[] = [];
      sip.onDidEvent((e) => events.push(e));
      const id = sip.originate('trunk:provider:0612345678', { callerId: '0201234567', timeoutMs: 10_000 });
      await until(() => events.some((e) => e.type === 'originate-result'), 8000, () => `the trunk to answer ${JSON.stringify(events)}`);
      expect(events).toEqual([
        { type: 'originate-result', callId: id, result: 'answered' },
        { type: 'answered', callId: id },
      ]);
      sip.hangUp(id);
      const t = await trunk.done;
      expect({ code: t.code, output: t.code === 0 ? '' : t.output }).toEqual({ code: 0, output: '' });
      expect(events.at(-1)).toMatchObject({ type: 'hung-up', callId: id, by: 'local' });
    });

    it('answers a proxy’s 407 challenge with Proxy-Authorization, a digest the trunk can check', async () => {
      const trunkPort = await freePort();
      const trunk = sipp({
        scenario: 'proxy-uas-auth.xml', dir, port: trunkPort, mediaPort: await freePort(), args: ['-m', '1', '-trace_msg', '-message_file', join(dir, `${trunkPort}-messages.log`)],
        placeholders: { USER: '31201234567', NUMBER: '0612345678' },
      });
      const sip = await adapter(trunkPort, false);
      await sip.start();
      const events: TelephonyEvent[] = [];
      sip.onDidEvent((e) => events.push(e));
      const id = sip.originate('trunk:provider:0612345678', { callerId: '0201234567', timeoutMs: 10_000 });
      await until(() => events.some((e) => e.type === 'originate-result'), 8000, () => `the proxy to let the call through ${JSON.stringify(events)}`);
      expect(events.slice(0, 2)).toEqual([
        { type: 'originate-result', callId: id, result: 'answered' },
        { type: 'answered', callId: id },
      ]);
      sip.hangUp(id);
      const t = await trunk.done;
      expect({ code: t.code, output: t.code === 0 ? '' : t.output }).toEqual({ code: 0, output: '' });
      // The digest, checked here by RFC 2617 from what went over the wire (SIPp cannot check it).
      const trace = readFileSync(join(dir, `${trunkPort}-messages.log`), 'utf8');
      const nonce = /Proxy-Authenticate: Digest realm="trunk\.example", nonce="([^"]+)"/.exec(trace)?.[1];
      const answer = /Proxy-Authorization: (.*)/.exec(trace)?.[1] ?? '';
      const p = Object.fromEntries([...answer.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]));
      expect(p).toMatchObject({ username: '31201234567', realm: 'trunk.example', nonce, uri: expect.stringMatching(/^sip:0612345678@/), qop: 'auth' });
      const md5 = (x: string): string => createHash('md5').update(x).digest('hex');
      const ha1 = md5(`31201234567:trunk.example:trunk-secret`);
      const ha2 = md5(`INVITE:${p['uri']}`);
      expect(p['response']).toBe(md5(`${ha1}:${p['nonce']}:${p['nc']}:${p['cnonce']}:auth:${ha2}`));
    });

    it('reports an originate as not answered when the trunk does not accept its digest answer', async () => {
      const trunkPort = await freePort();
      // The trunk checks for another password: after the one answer it stays silent, SIPp fails.
      const trunk = sipp({
        scenario: 'trunk-uas-auth.xml', dir, port: trunkPort, mediaPort: await freePort(), args: ['-m', '1'],
        placeholders: { USER: '31201234567', PASSWORD: 'another-secret', NUMBER: '0612345678' },
      });
      const sip = new SipTelephonyAdapter({
        host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), users: [], t1Ms: 20,
        trunks: [{ id: 'provider', host: LOOPBACK, port: trunkPort, username: '31201234567', password: 'trunk-secret' }],
      });
      adapters.push(sip);
      await sip.start();
      const events: TelephonyEvent[] = [];
      sip.onDidEvent((e) => events.push(e));
      sip.originate('0612345678', { callerId: '0201234567', timeoutMs: 10_000 });
      await until(() => events.some((e) => e.type === 'originate-result'), 8000, () => `the originate to fail ${JSON.stringify(events)}`);
      expect(events[0]).toMatchObject({ type: 'originate-result', result: expect.stringMatching(/failed|no-answer/) });
      const t = await trunk.done;
      expect(t.code).not.toBe(0);
    });
  });
}
