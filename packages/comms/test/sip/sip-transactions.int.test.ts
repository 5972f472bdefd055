// The transaction layer of RFC 3261 §17 seen from SIPp (software nobody on the project wrote), on real
// UDP sockets and the real clock: Timer A/B and the failover to the next trunk, Timer G/H for a final
// that is never ACKed, a retransmitted BYE answered with the same 200, and a retransmitted INVITE
// during ringing answered with the same 180 instead of a second call. Retransmissions are counted
// and timed from SIPp's own message trace (-trace_msg).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type SipTelephonyOptions, type TelephonyEvent } from '@caruso/comms';
import { freeMediaPort, freePort, has, killPeers, LOOPBACK, promptDir, rtpRange, sipp, until } from '@caruso/comms/testing';
import { requireOrSkip } from '@caruso/kernel/testing';

jest.setTimeout(60_000);

/** One message of SIPp's trace: when (ms since the epoch), whether it was received, and its text. */
interface TracedMessage {
  readonly at: number;
  readonly received: boolean;
  readonly text: string;
}

/**
 * Reads SIPp's -message_file: each entry starts with a line of dashes and the local time
 * (`2026-12-07 15:43:21.968094`), then `UDP message received [n] bytes :` or `UDP message sent (n bytes):`,
 * a blank line and the message. Times are only compared with each other, so the zone does not matter.
 */
function readTrace(file: string): TracedMessage[] {
  const out: TracedMessage[] = [];
  for (const entry of readFileSync(file, 'latin1').split(/^-{20,} /m).slice(1)) {
    const [stamp = '', what = '', ...rest] = entry.split('\n');
    const m = /^(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d)\.(\d+)/.exec(stamp.trim());
    if (!m || !/message (received|sent)/.test(what)) continue;
    const at = Date.parse(`${m[1]}T${m[2]}Z`) + Number(`0.${m[3]}`) * 1000;
    out.push({ at, received: /received/.test(what), text: rest.join('\n').trim() });
  }
  return out;
}

function firstLine(m: TracedMessage): string {
  return m.text.split(/\r?\n/)[0]!.trim();
}

function ok(run: { code: number | null; output: string }): void {
  expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
}

if (requireOrSkip('SIPp', has('sipp'))) {
  describe('SipTelephonyAdapter transactions against SIPp (RFC 3261 §17, real clock)', () => {
    let dir: string;
    let sip: SipTelephonyAdapter | undefined;
    const events: TelephonyEvent[] = [];

    async function start(options: Partial<SipTelephonyOptions>): Promise<SipTelephonyAdapter> {
      const adapter = new SipTelephonyAdapter({ host: LOOPBACK, port: await freePort(), rtpPorts: rtpRange(), promptDir, recordingDir: dir, users: [], ...options });
      await adapter.start();
      adapter.onDidEvent((e) => events.push(e));
      sip = adapter;
      return adapter;
    }

    /** Runs a SIPp scenario with its message trace in `dir`; returns the run and the trace's path. */
    async function run(scenario: string, placeholders: Record<string, string>, remotePort?: number, timeoutMs = 20_000) {
      const port = await freePort();
      const trace = join(dir, `${port}-messages.log`);
      const child = sipp({
        scenario, dir, port, mediaPort: await freeMediaPort(), placeholders, timeoutMs,
        args: ['-m', '1', '-trace_msg', '-message_file', trace], ...(remotePort !== undefined ? { remotePort } : {}),
      });
      // The first request counts: it is sent once SIPp listens.
      await child.listening;
      return { ...child, port, trace };
    }

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'caruso-sip-tx-'));
    });

    afterEach(async () => {
      await killPeers();
      await sip?.stop();
      sip = undefined;
      events.length = 0;
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    /** The gaps between consecutive messages, ms. */
    function gaps(messages: readonly TracedMessage[]): number[] {
      return messages.slice(1).map((m, i) => Math.round(m.at - messages[i]!.at));
    }

    /** Each gap is its nominal value, late by at most `lateMs` (a loaded machine), never early. */
    function expectGaps(actual: readonly number[], nominal: readonly number[], lateMs: number): void {
      expect(actual.length).toBeGreaterThanOrEqual(nominal.length);
      const off = nominal.map((n, i) => ({ nominal: n, gap: actual[i]!, ok: actual[i]! >= n - 20 && actual[i]! <= n + lateMs }));
      expect(off.filter((g) => !g.ok)).toEqual([]);
    }

    it('retransmits an unanswered INVITE at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s (Timer A), gives up at 32 s (Timer B) and tries the next trunk', async () => {
      const silent = await run('uas-ignores-invite.xml', { WAIT_MS: '36000' }, undefined, 45_000);
      const next = await run('agent-uas.xml', { ANSWER_MS: '0' }, undefined, 45_000);
      // Default timers (T1 = 500 ms), as a carrier sees them.
      const adapter = await start({ trunks: [{ id: 'silent', host: LOOPBACK, port: silent.port }, { id: 'next', host: LOOPBACK, port: next.port }] });
      const callId = adapter.originate('0201234567', { callerId: '0301234567', timeoutMs: 50_000 });
      await until(() => events.some((e) => e.type === 'originate-result' && e.callId === callId), 45_000, () => `the call on the next trunk ${JSON.stringify(events)}`);
      expect(events.find((e) => e.type === 'originate-result')).toMatchObject({ result: 'answered' });
      adapter.hangUp(callId);
      ok(await next.done);
      ok(await silent.done);
      const invites = readTrace(silent.trace).filter((m) => m.received && firstLine(m).startsWith('INVITE '));
      // Every copy is the same request (one transaction), and none came after Timer B.
      expect(new Set(invites.map((m) => m.text)).size).toBe(1);
      expect(invites).toHaveLength(7);
      expectGaps(gaps(invites), [500, 1000, 2000, 4000, 8000, 16_000], 400);
      // The next trunk got its INVITE when Timer B fired, 64×T1 = 32 s after the first one.
      const failover = readTrace(next.trace).find((m) => m.received && firstLine(m).startsWith('INVITE '));
      expect(failover).toBeDefined();
      const waited = failover!.at - invites[0]!.at;
      expect(waited).toBeGreaterThanOrEqual(32_000 - 20);
      expect(waited).toBeLessThanOrEqual(32_000 + 1500);
    });

    it('retransmits a 486 that is never ACKed at T1 doubling (Timer G) and stops at 64×T1 (Timer H)', async () => {
      const T1 = 100;
      const adapter = await start({ t1Ms: T1 });
      adapter.onDidEvent((e) => {
        if (e.type === 'call-offered') adapter.hangUp(e.callId, 'busy');
      });
      const caller = await run('caller-no-ack.xml', { STATUS: '486', WAIT_MS: String(64 * T1 + 3000) }, adapter.port);
      ok(await caller.done);
      const busy = readTrace(caller.trace).filter((m) => m.received && firstLine(m).startsWith('SIP/2.0 486'));
      expect(new Set(busy.map((m) => m.text)).size).toBe(1);
      // Sent at 0, 0.1, 0.3, 0.7, 1.5, 3.1 (and 6.3 s if the timers were on time): T2 = 4 s is not reached.
      expectGaps(gaps(busy), [100, 200, 400, 800, 1600], 250);
      expect(busy.length).toBeLessThanOrEqual(7);
      // Nothing after Timer H (64×T1 = 6.4 s after the first), though SIPp listened 3 s longer.
      expect(busy[busy.length - 1]!.at - busy[0]!.at).toBeLessThanOrEqual(64 * T1 + 100);
      expect(events.filter((e) => e.type === 'call-offered')).toHaveLength(1);
    });

    it('answers a retransmitted BYE with the same 200 again, not as a new request', async () => {
      const adapter = await start({});
      adapter.onDidEvent((e) => {
        if (e.type === 'call-offered') adapter.answer(e.callId);
      });
      const caller = await run('caller-bye-twice.xml', {}, adapter.port);
      ok(await caller.done);
      const trace = readTrace(caller.trace).filter((m) => m.received && / BYE\s*$/m.test(m.text.split(/\r?\n/).find((l) => /^CSeq:/i.test(l)) ?? ''));
      expect(trace.map(firstLine)).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
      expect(trace[1]!.text).toBe(trace[0]!.text);
      expect(events.filter((e) => e.type === 'hung-up')).toHaveLength(1);
    });

    it('answers a retransmitted INVITE during ringing with the 180 again, and it stays one call', async () => {
      const adapter = await start({ ringMs: 1500 });
      adapter.onDidEvent((e) => {
        if (e.type === 'call-offered') adapter.answer(e.callId);
      });
      const caller = await run('caller-invite-again.xml', {}, adapter.port);
      ok(await caller.done);
      const trace = readTrace(caller.trace);
      const ringing = trace.filter((m) => m.received && firstLine(m).startsWith('SIP/2.0 180'));
      expect(ringing).toHaveLength(2);
      expect(ringing[1]!.text).toBe(ringing[0]!.text);
      // The second INVITE was sent before the second 180 arrived: the 180 answered it.
      const invites = trace.filter((m) => !m.received && firstLine(m).startsWith('INVITE '));
      expect(invites).toHaveLength(2);
      expect(ringing[1]!.at).toBeGreaterThanOrEqual(invites[1]!.at);
      expect(events.filter((e) => e.type === 'call-offered')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'answered')).toHaveLength(1);
      await until(() => events.some((e) => e.type === 'hung-up'), 3000, 'hung-up');
      expect(adapter.activeCalls).toBe(0);
    });
  });
}
