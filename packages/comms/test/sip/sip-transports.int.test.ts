// Paths beside RFC 4733: keys sent as SIP INFO (application/dtmf-relay and application/dtmf), and a
// whole call over SIP on TCP (Contact with transport=tcp, Caruso's BYE on the caller's connection).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { requireOrSkip } from '@caruso/kernel/testing';
import { freePort, has, killPeers, LOOPBACK, rtpRange, sipp, until } from '@caruso/comms/testing';

jest.setTimeout(30_000);

if (requireOrSkip('SIPp', has('sipp'))) {
  describe('SipTelephonyAdapter: SIP INFO keys, UDP and TCP', () => {
    let dir: string;
    let sip: SipTelephonyAdapter;
    let events: TelephonyEvent[];
    /** true: collect the keys only 1 s after answering (they wait as type-ahead). */
    let collectLate = false;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-transports-'));
    });

    beforeEach(async () => {
      sip = new SipTelephonyAdapter({ host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), recordingDir: dir, users: [] });
      await sip.start();
      events = [];
      sip.onDidEvent((e) => {
        events.push(e);
        // Answer, take two keys, then hang up from our side.
        if (e.type === 'call-offered') {
          sip.answer(e.callId);
          if (!collectLate) sip.collectDtmf(e.callId, { maxDigits: 2, timeoutMs: 8000 });
          else {
            setTimeout(() => {
              // As the IVR does: collect, then start waiting. The type-ahead must not fire in between.
              sip.collectDtmf(e.callId, { maxDigits: 2, timeoutMs: 8000 });
              const late = sip.onDidEvent((x) => {
                if (x.type !== 'dtmf-collected') return;
                late.dispose();
                lateDigits = x.digits;
              });
            }, 1000);
          }
        }
        if (e.type === 'dtmf-collected') sip.hangUp(e.callId, 'done');
      });
    });

    let lateDigits: string | undefined;

    afterEach(async () => {
      collectLate = false;
      await killPeers();
      await sip.stop();
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps keys pressed before collectDtmf (type-ahead) and delivers them to a listener that starts waiting right after the call', async () => {
      collectLate = true;
      lateDigits = undefined;
      const caller = sipp({
        scenario: 'caller-info-dtmf.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port,
        args: ['-m', '1', '-s', '0800123'], placeholders: { CONTACT_TRANSPORT: `caruso@${LOOPBACK}:${sip.port}>` },
      });
      const c = await caller.done;
      expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
      expect(lateDigits).toBe('42');
    });

    for (const transport of ['udp', 'tcp'] as const) {
      it(`collects keys sent as SIP INFO (dtmf-relay 4, dtmf 2) over ${transport.toUpperCase()} and hangs up on the caller's transport`, async () => {
        const before = sip.stack.stats.received;
        const caller = sipp({
          scenario: 'caller-info-dtmf.xml', dir, port: await freePort(), mediaPort: await freePort(), remotePort: sip.port,
          args: ['-m', '1', '-s', '0800123', '-t', transport === 'tcp' ? 't1' : 'u1'],
          // Over TCP our Contact must say so, over UDP it must not.
          placeholders: { CONTACT_TRANSPORT: transport === 'tcp' ? 'transport=tcp' : `caruso@${LOOPBACK}:${sip.port}>` },
        });
        const c = await caller.done;
        expect({ code: c.code, output: c.code === 0 ? '' : c.output }).toEqual({ code: 0, output: '' });
        await until(() => events.some((e) => e.type === 'hung-up'), 2000, 'hung-up');
        expect(events.map((e) => e.type)).toEqual(['call-offered', 'answered', 'dtmf-collected', 'hung-up']);
        expect(events[0]).toMatchObject({ to: '0800123', from: 'customer' });
        expect(events[2]).toMatchObject({ digits: '42', timedOut: false });
        expect(events[3]).toMatchObject({ by: 'local', cause: 'done' });
        // INVITE, ACK, two INFOs and the 200 to our BYE reached the stack.
        expect(sip.stack.stats.received - before).toBeGreaterThanOrEqual(5);
        expect(sip.stack.stats.malformed).toBe(0);
        expect(sip.activeCalls).toBe(0);
      });
    }
  });
}
