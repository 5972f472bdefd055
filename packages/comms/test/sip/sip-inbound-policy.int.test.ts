// Who may call in: with inbound "known" only the trunks' addresses and registered phones start a
// call; any other INVITE gets 403 and starts nothing. Real UDP on loopback (127.0.0.1 and 127.0.0.2).
import { createSocket, type Socket } from 'node:dgram';
import { SipTelephonyAdapter, type TelephonyEvent } from '@caruso/comms';
import { freePort, rtpRange, until } from '@caruso/comms/testing';

const sdp = 'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';

function invite(callId: string, from: Socket): Buffer {
  const { address, port } = from.address();
  return Buffer.from(
    `INVITE sip:+31300000000@127.0.0.1 SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${address}:${port};branch=z9hG4bK${callId};rport\r\n` +
      `From: <sip:caller@${address}>;tag=t${callId}\r\nTo: <sip:+31300000000@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\n` +
      `Contact: <sip:caller@${address}:${port}>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`,
    'latin1',
  );
}

describe('SipTelephonyAdapter inbound "known": trunks and registered phones only', () => {
  let sip: SipTelephonyAdapter;
  const sockets: Socket[] = [];
  const responses = new Map<string, number[]>();
  const events: TelephonyEvent[] = [];

  async function socketOn(host: string): Promise<Socket> {
    const s = createSocket('udp4');
    s.on('message', (buf) => {
      const text = buf.toString('latin1');
      const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
      const callId = /\r\nCall-ID: ([^\r]+)/i.exec(text)?.[1];
      if (status && callId) responses.set(callId, [...(responses.get(callId) ?? []), Number(status)]);
    });
    await new Promise<void>((r) => s.bind(0, host, () => r()));
    sockets.push(s);
    return s;
  }
  const send = (s: Socket, callId: string) => s.send(invite(callId, s), sip.port, '127.0.0.1');

  beforeAll(async () => {
    sip = new SipTelephonyAdapter({ host: '127.0.0.1', port: await freePort(), rtpPorts: rtpRange(), users: [], inbound: 'known', trunks: [{ id: 'pbx', host: '127.0.0.2' }] });
    await sip.start();
    sip.onDidEvent((e) => {
      events.push(e);
      if (e.type === 'call-offered') sip.hangUp(e.callId, 'test');
    });
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await sip.stop();
  });

  it('refuses an INVITE from an unknown address with 403 and offers no call', async () => {
    const stranger = await socketOn('127.0.0.1');
    send(stranger, 'stranger-1');
    await until(() => (responses.get('stranger-1') ?? []).length > 0, 2_000, 'an answer to the stranger');
    expect(responses.get('stranger-1')).toEqual([403]);
    expect(events.filter((e) => e.type === 'call-offered')).toEqual([]);
    expect(sip.activeCalls).toBe(0);
  });

  it('takes a call from the trunk’s address', async () => {
    const trunk = await socketOn('127.0.0.2');
    send(trunk, 'trunk-1');
    await until(() => events.some((e) => e.type === 'call-offered'), 2_000, 'the trunk call to be offered');
    // The call is offered before the answer reaches the test's socket (a loaded machine shows it).
    await until(() => (responses.get('trunk-1') ?? []).length > 0, 2_000, 'an answer to the trunk');
    expect(responses.get('trunk-1')?.[0]).toBe(100);
  });

  it('takes a call from the address a phone registered from', async () => {
    const phone = await socketOn('127.0.0.1');
    const { address, port } = phone.address();
    const before = events.filter((e) => e.type === 'call-offered').length;
    send(phone, 'phone-before');
    await until(() => (responses.get('phone-before') ?? []).length > 0, 2_000, 'an answer before registering');
    expect(responses.get('phone-before')).toEqual([403]);
    sip.registrar.bind('anna', `sip:anna@${address}:${port}`, { transport: 'udp', host: address, port }, 600);
    send(phone, 'phone-after');
    await until(() => events.filter((e) => e.type === 'call-offered').length > before, 2_000, 'the phone call to be offered');
    await until(() => (responses.get('phone-after') ?? []).length > 0, 2_000, 'an answer to the phone');
    expect(responses.get('phone-after')?.[0]).toBe(100);
  });
});
