// Issue 13: INVITEs that are never acknowledged, or that one address leaves half-way by the dozen,
// must not hold calls and RTP ports. Transactions end after 64×T1 (T1 = 20 ms here, so 1.28 s) and an
// un-ACKed 200 ends its call with BYE (RFC 3261 §13.3.1.4); each source address may hold only a few
// pending INVITEs (Kamailio's pike); a caller that sends no media for mediaTimeoutMs is hung up;
// the RTP range's use shows in metrics() and health().
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SipTelephonyAdapter, type SipTelephonyOptions, type TelephonyEvent } from '@caruso/comms';
import { freePort, LOOPBACK, promptDir, rtpRange, until } from '@caruso/comms/testing';
import { offer, RawSipPeer } from './sip-raw-peer.js';

jest.setTimeout(30_000);

const T1 = 20;

/** An adapter that answers every call at once and plays the menu, except calls to `hold`, which it leaves ringing. */
async function adapter(dir: string, options: Pick<SipTelephonyOptions, 'rtpPorts' | 'maxPendingInvitesPerSource' | 'trunks' | 'mediaTimeoutMs' | 'answerTimeoutMs' | 'maxServerTransactions'>) {
  const events: TelephonyEvent[] = [];
  const sip = new SipTelephonyAdapter({ host: LOOPBACK, port: await freePort(), promptDir, recordingDir: dir, users: [], t1Ms: T1, ...options });
  await sip.start();
  sip.onDidEvent((e) => {
    events.push(e);
    if (e.type !== 'call-offered' || e.to === 'hold') return;
    sip.answer(e.callId);
    sip.playPrompt(e.callId, { file: 'welcome.wav' });
  });
  return { sip, events };
}

/** A good call: answered 200, ACKed, hung up by the caller. Returns the final status of the INVITE. */
async function call(peer: RawSipPeer, callId: string): Promise<number> {
  peer.send(peer.request('INVITE', callId, { body: offer(peer.port + 2) }));
  const final = await peer.final(callId);
  if (final.status !== 200) return final.status!;
  peer.ack(callId);
  peer.bye(callId);
  await until(() => peer.statuses(callId).filter((s) => s === 200).length >= 2, 2000, `the BYE of ${callId} answered`);
  return 200;
}

describe('SipTelephonyAdapter INVITE transaction time-outs', () => {
  let dir: string;
  let sip: SipTelephonyAdapter;
  let events: TelephonyEvent[];
  let peer: RawSipPeer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-sip-limits-'));
    // 10 legs fit in the range (an even RTP port and its RTCP port each).
    ({ sip, events } = await adapter(dir, { rtpPorts: rtpRange(18), maxPendingInvitesPerSource: 100 }));
    peer = await RawSipPeer.open(sip.port);
  });

  afterAll(async () => {
    await peer.close();
    await sip.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends 200s never ACKed with BYE after 64×T1, releases their RTP ports, and then takes a good call', async () => {
    expect(sip.health()).toMatchObject({ status: 'ok', checks: { rtp: { status: 'ok', detail: expect.stringMatching(/^0 of 20 RTP ports in use/) } } });
    const ids = Array.from({ length: 30 }, (_, i) => `noack${i}`);
    const sentAt = Date.now();
    for (const id of ids) peer.send(peer.request('INVITE', id, { body: offer(peer.port + 2) }));
    await until(() => ids.every((id) => peer.statuses(id).some((s) => s >= 200)), 3000, 'a final response to every INVITE');
    const answered = ids.filter((id) => peer.statuses(id).find((s) => s >= 200) === 200);
    const refused = ids.filter((id) => peer.statuses(id).find((s) => s >= 200) === 503);
    // The small range is exhausted: ten calls hold every port, the others and a good call get 503.
    expect([answered.length, refused.length]).toEqual([10, 20]);
    expect(await call(peer, 'good-while-full')).toBe(503);
    expect(sip.metrics()).toMatchObject({ rtpPortsInUse: 20, rtpPortsTotal: 20, calls: 10, pendingInvites: 10 });
    expect(sip.health()).toMatchObject({ status: 'degraded', checks: { rtp: { status: 'degraded', detail: expect.stringMatching(/^20 of 20 RTP ports in use/) } } });

    // Each answered call gets a BYE once its 200 has been retransmitted for 64×T1 without an ACK.
    await until(() => answered.every((id) => peer.messages(id).some((m) => m.method === 'BYE')), 64 * T1 + 3000, 'a BYE for every un-ACKed call');
    for (const id of answered) {
      const bye = peer.messages(id).find((m) => m.method === 'BYE')!;
      expect(bye.at - sentAt).toBeGreaterThanOrEqual(64 * T1 - 50);
    }
    await until(() => sip.activeCalls === 0 && sip.media.openSessions === 0, 2000, 'the calls and their RTP ports released');
    const hungUp = events.filter((e) => e.type === 'hung-up' && e.cause === 'no-ack');
    expect(hungUp).toHaveLength(10);
    expect(sip.metrics()).toMatchObject({ ackTimeouts: 10, rtpPortsInUse: 0, pendingInvites: 0 });
    expect(sip.health()).toMatchObject({ status: 'ok', checks: { rtp: { status: 'ok' } } });

    // The 200s are no longer retransmitted.
    const twoHundreds = answered.map((id) => peer.statuses(id).filter((s) => s === 200).length);
    await new Promise((r) => setTimeout(r, 300));
    expect(answered.map((id) => peer.statuses(id).filter((s) => s === 200).length)).toEqual(twoHundreds);

    expect(await call(peer, 'good-after')).toBe(200);
    // Every transaction, the refused ones never ACKed included (Timer H), ends within 64×T1.
    await until(() => sip.stack.openTransactions === 0, 64 * T1 + 2000, 'every transaction ended');
  });

  it('gives up an agent leg whose phone rang but never answered the CANCEL after 64×T1, and releases its RTP port', async () => {
    const agent = await RawSipPeer.open(sip.port);
    try {
      const callId = 'caller-of-cancel';
      peer.send(peer.request('INVITE', callId, { body: offer(peer.port + 2) }));
      expect((await peer.final(callId)).status).toBe(200);
      peer.ack(callId);
      const offered = events.filter((e) => e.type === 'call-offered').at(-1)!;
      const failed = events.length;
      sip.bridge(offered.callId, `sip:agent@${LOOPBACK}:${agent.port}`, { ringTimeoutMs: 100 });
      // The phone rings (180) and then ignores everything: no 200, no answer to the CANCEL, no 487.
      await until(() => agent.requests('INVITE').length > 0, 2000, 'the INVITE to the agent');
      agent.respond(agent.requests('INVITE')[0]!.text, 180, 'Ringing', 'agenttag');
      await until(() => agent.requests('CANCEL').length > 0, 2000, 'the CANCEL after the ring time-out');
      const cancelledAt = Date.now();
      expect(sip.media.openSessions).toBe(2);
      await until(() => sip.media.openSessions === 1, 64 * T1 + 2000, 'the agent leg\'s RTP port released');
      expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(64 * T1 - 100);
      expect(events.slice(failed).filter((e) => e.type === 'bridge-failed')).toEqual([
        { type: 'bridge-failed', callId: offered.callId, endpoint: `sip:agent@${LOOPBACK}:${agent.port}`, cause: 'no-answer' },
      ]);
      expect(sip.isActive(offered.callId)).toBe(true);
      peer.bye(callId);
      await until(() => sip.activeCalls === 0 && sip.media.openSessions === 0, 2000, 'the call ended');
    } finally {
      await agent.close();
    }
  });
});

describe('SipTelephonyAdapter pending INVITEs per source address', () => {
  let dir: string;
  let sip: SipTelephonyAdapter;
  let a: RawSipPeer;
  let b: RawSipPeer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-sip-pike-'));
    ({ sip } = await adapter(dir, { rtpPorts: rtpRange(80), maxPendingInvitesPerSource: 5, trunks: [{ id: 'pbx', host: '127.0.0.3' }] }));
    a = await RawSipPeer.open(sip.port, '127.0.0.1');
    b = await RawSipPeer.open(sip.port, '127.0.0.2');
  });

  afterAll(async () => {
    await a.close();
    await b.close();
    await sip.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After beyond the limit for one address, while another address still calls', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `ring${i}`);
    for (const id of ids) a.send(a.request('INVITE', id, { body: offer(a.port + 2), uri: 'sip:hold@127.0.0.1' }));
    await until(() => ids.filter((id) => a.statuses(id).includes(503)).length === 3 && ids.filter((id) => a.statuses(id).includes(100)).length === 5, 2000, 'five ringing and three refused');
    const refusal = a.messages(ids.find((id) => a.statuses(id).includes(503))!).find((m) => m.status === 503)!;
    expect(refusal.text).toMatch(/\r\nRetry-After: \d+\r\n/);
    expect(sip.metrics()).toMatchObject({ pendingInvites: 5, pendingSources: 1, refusedPendingLimit: 3 });

    expect(await call(a, 'a-good-1')).toBe(503);
    expect(await call(b, 'b-good-1')).toBe(200);

    // The caller gives up one ringing call (CANCEL): that address may set up one call again.
    const ringing = ids.find((id) => a.statuses(id).includes(100))!;
    a.send(a.request('CANCEL', ringing));
    await until(() => a.statuses(ringing).includes(487), 2000, 'the INVITE ended with 487');
    expect(await call(a, 'a-good-2')).toBe(200);
    expect(sip.metrics()).toMatchObject({ pendingInvites: 4, pendingSources: 1 });
  });

  it('does not limit a trunk\'s address', async () => {
    const pbx = await RawSipPeer.open(sip.port, '127.0.0.3');
    try {
      const ids = Array.from({ length: 8 }, (_, i) => `pbx${i}`);
      for (const id of ids) pbx.send(pbx.request('INVITE', id, { body: offer(pbx.port + 2), uri: 'sip:hold@127.0.0.1' }));
      await until(() => ids.every((id) => pbx.statuses(id).includes(100)), 2000, 'eight ringing');
      expect(ids.filter((id) => pbx.statuses(id).includes(503))).toEqual([]);
      for (const id of ids) pbx.send(pbx.request('CANCEL', id));
      await until(() => ids.every((id) => pbx.statuses(id).includes(487)), 2000, 'eight cancelled');
    } finally {
      await pbx.close();
    }
  });

  it('counts answered but un-ACKed INVITEs as pending until 64×T1 ends them', async () => {
    // Address b fills its share with calls that are answered and never ACKed.
    const ids = Array.from({ length: 5 }, (_, i) => `b-noack${i}`);
    for (const id of ids) b.send(b.request('INVITE', id, { body: offer(b.port + 2) }));
    await until(() => ids.every((id) => b.statuses(id).includes(200)), 2000, 'five answered');
    expect(await call(b, 'b-good-2')).toBe(503);
    await until(() => ids.every((id) => b.messages(id).some((m) => m.method === 'BYE')), 64 * T1 + 3000, 'the un-ACKed calls ended');
    expect(await call(b, 'b-good-3')).toBe(200);
  });
});

describe('SipTelephonyAdapter media and answer time-outs', () => {
  let dir: string;
  let sip: SipTelephonyAdapter;
  let events: TelephonyEvent[];
  let peer: RawSipPeer;
  let media: Socket;
  const TIMEOUT = 400;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-sip-media-timeout-'));
    ({ sip, events } = await adapter(dir, { rtpPorts: rtpRange(20), mediaTimeoutMs: TIMEOUT, answerTimeoutMs: 300 }));
    peer = await RawSipPeer.open(sip.port);
    media = createSocket('udp4');
    media.on('error', () => undefined);
    await new Promise<void>((r) => media.bind(0, LOOPBACK, () => r()));
  });

  afterAll(async () => {
    await new Promise<void>((r) => media.close(() => r()));
    await peer.close();
    await sip.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a call with BYE when the caller sends no RTP or RTCP for mediaTimeoutMs, and not while it sends', async () => {
    // Two answered and ACKed calls: the first caller is silent, the second sends RTP every 20 ms for 1.2 s.
    peer.send(peer.request('INVITE', 'silent', { body: offer(peer.port + 2) }));
    peer.send(peer.request('INVITE', 'talking', { body: offer(media.address().port) }));
    const [silent, talking] = await Promise.all([peer.final('silent'), peer.final('talking')]);
    expect([silent.status, talking.status]).toEqual([200, 200]);
    peer.ack('silent');
    peer.ack('talking');
    const answeredAt = Date.now();
    const rtpPort = Number(/m=audio (\d+)/.exec(talking.text)?.[1]);
    let seq = 0;
    const talk = setInterval(() => {
      const packet = Buffer.alloc(12 + 160, 0xff);
      packet[0] = 0x80;
      packet.writeUInt16BE(seq++ & 0xffff, 2);
      packet.writeUInt32BE(seq * 160, 4);
      packet.writeUInt32BE(0x1234, 8);
      media.send(packet, rtpPort, LOOPBACK);
    }, 20);
    try {
      await peer.requestFrom('silent', 'BYE', TIMEOUT + 2000);
      expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(TIMEOUT - 50);
      await new Promise((r) => setTimeout(r, 1200 - (Date.now() - answeredAt)));
      expect(peer.messages('talking').some((m) => m.method === 'BYE')).toBe(false);
    } finally {
      clearInterval(talk);
    }
    await peer.requestFrom('talking', 'BYE', TIMEOUT + 2000);
    await until(() => sip.activeCalls === 0 && sip.media.openSessions === 0, 2000, 'both calls and their ports released');
    expect(events.filter((e) => e.type === 'hung-up').map((e) => e.type === 'hung-up' && e.cause)).toEqual(['media-timeout', 'media-timeout']);
    expect(sip.metrics().mediaTimeouts).toBe(2);
  });

  it('does not hang up a caller on hold, and counts again from the moment the call is taken off hold', async () => {
    peer.send(peer.request('INVITE', 'held', { body: offer(peer.port + 2) }));
    expect((await peer.final('held')).status).toBe(200);
    peer.ack('held');
    const callId = events.filter((e) => e.type === 'call-offered').at(-1)!.callId;
    // Hold: the adapter re-INVITEs the caller with sendonly; the caller answers recvonly and sends nothing.
    const answerReInvite = async (n: number, direction: string) => {
      await until(() => peer.messages('held').filter((m) => m.method === 'INVITE').length >= n, 2000, `re-INVITE ${n}`);
      const reInvite = peer.messages('held').filter((m) => m.method === 'INVITE')[n - 1]!;
      peer.respond(reInvite.text, 200, 'OK', undefined, offer(peer.port + 2) + `a=${direction}\r\n`);
    };
    sip.hold(callId);
    await answerReInvite(1, 'recvonly');
    await until(() => events.some((e) => e.type === 'held' && e.callId === callId), 2000, 'held');
    await new Promise((r) => setTimeout(r, TIMEOUT * 2));
    expect(sip.isActive(callId)).toBe(true);
    sip.unhold(callId);
    const unheldAt = Date.now();
    await answerReInvite(2, 'sendrecv');
    // Taken off hold, the caller stays silent: the count starts at the unhold, not at the hold.
    await peer.requestFrom('held', 'BYE', TIMEOUT + 2000);
    expect(Date.now() - unheldAt).toBeGreaterThanOrEqual(TIMEOUT - 50);
    await until(() => !sip.isActive(callId), 2000, 'the call ended');
  });

  it('refuses an inbound call the application leaves unanswered for answerTimeoutMs with 480, releasing its port and pending place', async () => {
    const before = events.length;
    peer.send(peer.request('INVITE', 'unanswered', { body: offer(peer.port + 2), uri: 'sip:hold@127.0.0.1' }));
    await until(() => peer.statuses('unanswered').includes(100), 2000, '100 Trying');
    const offeredAt = Date.now();
    expect(sip.metrics()).toMatchObject({ pendingInvites: 1, rtpPortsInUse: 2 });
    const final = await peer.final('unanswered', 2000);
    expect(final.status).toBe(480);
    expect(Date.now() - offeredAt).toBeGreaterThanOrEqual(250);
    expect(events.slice(before).filter((e) => e.type === 'hung-up')).toEqual([expect.objectContaining({ by: 'local', cause: 'no-answer' })]);
    expect(sip.metrics()).toMatchObject({ pendingInvites: 0, rtpPortsInUse: 0, calls: 0 });
  });
});

describe('SipTelephonyAdapter transaction table', () => {
  let dir: string;
  let sip: SipTelephonyAdapter;
  let peer: RawSipPeer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-sip-table-'));
    ({ sip } = await adapter(dir, { rtpPorts: rtpRange(20), maxServerTransactions: 20 }));
    peer = await RawSipPeer.open(sip.port);
  });

  afterAll(async () => {
    await peer.close();
    await sip.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a flood beyond maxServerTransactions without keeping state, INVITEs with 503, and recovers after 64×T1', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `opt${i}`);
    for (const id of ids) peer.send(peer.request('OPTIONS', id));
    await until(() => ids.every((id) => peer.statuses(id).includes(200)), 2000, 'every OPTIONS answered');
    expect(sip.metrics()).toMatchObject({ transactions: 20, statelessAnswers: 40 });
    peer.send(peer.request('INVITE', 'invite-while-full', { body: offer(peer.port + 2) }));
    const refused = await peer.final('invite-while-full');
    expect(refused.status).toBe(503);
    expect(refused.text).toMatch(/\r\nRetry-After: \d+\r\n/);
    expect(sip.metrics()).toMatchObject({ calls: 0, rtpPortsInUse: 0, statelessAnswers: 41 });
    // Timer J ends the kept OPTIONS transactions after 64×T1; then a call is set up again.
    await until(() => sip.stack.openTransactions === 0, 64 * T1 + 2000, 'the table emptied');
    expect(await call(peer, 'good-after-flood')).toBe(200);
  });
});
