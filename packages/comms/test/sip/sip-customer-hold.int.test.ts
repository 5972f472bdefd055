// The customer holds the call from their own phone (SIPp): re-INVITEs with a=sendonly, a=inactive, an
// old-style c=0.0.0.0 and a=sendrecv again are each answered with the matching direction (SIPp checks the
// bodies), the hold and its end are reported (`held`/`unheld` by the customer), the call survives the
// hold and ends when the customer hangs up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { freeMediaPort, freePort, has, killPeers, LOOPBACK, promptDir, rtpRange, sipp } from '@caruso/comms/testing';
import { requireOrSkip } from '@caruso/kernel/testing';

jest.setTimeout(30_000);

if (requireOrSkip('SIPp', has('sipp'))) {
  describe('SipTelephonyAdapter when the customer holds the call from their phone', () => {
    let dir: string;
    let sip: SipTelephonyAdapter;
    const events: TelephonyEvent[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-hold-'));
      sip = new SipTelephonyAdapter({ host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir, users: [], t1Ms: 100 });
      await sip.start();
      sip.onDidEvent((e) => {
        events.push(e);
        if (e.type === 'call-offered') sip.answer(e.callId);
      });
    });

    afterAll(async () => {
      await killPeers();
      await sip?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers sendonly with recvonly, inactive with inactive, c=0.0.0.0 with recvonly and sendrecv with sendrecv, and keeps the call', async () => {
      const caller = sipp({ scenario: 'caller-holds.xml', dir, port: await freePort(), mediaPort: await freeMediaPort(), remotePort: sip.port, args: ['-m', '1'] });
      const run = await caller.done;
      expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
      expect(events.filter((e) => e.type === 'hung-up')).toEqual([expect.objectContaining({ by: 'remote' })]);
      // The customer's hold is reported once (sendonly; inactive and c=0.0.0.0 keep it held), and its end.
      const callId = events.find((e) => e.type === 'call-offered')!.callId;
      expect(events.filter((e) => e.type === 'held' || e.type === 'unheld')).toEqual([
        { type: 'held', callId, by: 'customer' },
        { type: 'unheld', callId, by: 'customer' },
      ]);
      expect(sip.activeCalls).toBe(0);
    });
  });
}
