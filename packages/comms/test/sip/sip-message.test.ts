import { parseSipMessage, serializeSipMessage, SipStreamFramer, defaultSipLimits, type SipRequest } from '@caruso/comms/testing';
import { parseSipUri } from '../../src/telephony/sip/sip-message.js';
import { routeRequest, routeSetOf, uriAddress } from '../../src/telephony/sip/sip-dialog.js';
import { outboundIdentity, outboundProxyOf, SipTelephonyAdapter, type SipTrunk } from '../../src/telephony/sip/sip-telephony-adapter.js';

const invite = (extra = '', body = 'v=0\r\n') =>
  `INVITE sip:100@127.0.0.1 SIP/2.0\r\n` +
  `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport\r\n` +
  `From: "Ann" <sip:ann@127.0.0.1>;tag=a1\r\n` +
  `To: <sip:100@127.0.0.1>\r\n` +
  `Call-ID: c1@127.0.0.1\r\n` +
  `CSeq: 1 INVITE\r\n` +
  `Max-Forwards: 70\r\n` +
  extra +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

function parse(text: string, datagram = true) {
  return parseSipMessage(Buffer.from(text, 'latin1'), defaultSipLimits, datagram);
}

describe('parseSipMessage (valid input)', () => {
  it('reads a request with its headers and body', () => {
    const r = parse(invite());
    expect(r.ok).toBe(true);
    if (!r.ok || r.message.kind !== 'request') throw new Error('not a request');
    expect(r.message.method).toBe('INVITE');
    expect(r.message.uri).toBe('sip:100@127.0.0.1');
    expect(r.message.headers.find((h) => h.name === 'call-id')?.value).toBe('c1@127.0.0.1');
    expect(r.message.body.toString()).toBe('v=0\r\n');
  });

  it('expands compact header names and unfolds continuation lines', () => {
    const text = 'OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKx\r\nf: <sip:a@h>;tag=1\r\nt: <sip:x@h>\r\ni: abc\r\nCSeq: 2\r\n  OPTIONS\r\nl: 0\r\n\r\n';
    const r = parse(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message.headers.map((h) => h.name)).toEqual(['via', 'from', 'to', 'call-id', 'cseq', 'content-length']);
    expect(r.message.headers.find((h) => h.name === 'cseq')?.value).toBe('2 OPTIONS');
  });

  it('reads a response and round-trips through the serializer', () => {
    const text = 'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
    const r = parse(text);
    expect(r.ok && r.message.kind === 'response' && r.message.status).toBe(180);
    if (!r.ok) return;
    const again = parse(serializeSipMessage(r.message).toString('latin1'));
    expect(again).toEqual(r);
  });

  it('cuts a datagram body at Content-Length', () => {
    const r = parse(invite().replace('v=0\r\n', 'v=0\r\nEXTRA'));
    expect(r.ok && r.message.body.toString()).toBe('v=0\r\n');
  });
});

describe('parseSipMessage (hostile input)', () => {
  it('refuses a truncated message without an end of header', () => {
    const r = parse(invite().slice(0, 80));
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('truncated') });
  });

  it('answers a Content-Length larger than the body (keeps the request for a 400)', () => {
    const r = parse(invite().replace(/Content-Length: \d+/, 'Content-Length: 500'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/Content-Length 500/);
    expect(r.request?.method).toBe('INVITE');
  });

  it('refuses a negative or non-numeric Content-Length and two Content-Lengths', () => {
    expect(parse(invite().replace(/Content-Length: \d+/, 'Content-Length: -5')).ok).toBe(false);
    expect(parse(invite().replace(/Content-Length: \d+/, 'Content-Length: 9999999999')).ok).toBe(false);
    expect(parse(invite('Content-Length: 5\r\n')).ok).toBe(false);
  });

  it('refuses a message above the size limit before reading it', () => {
    const r = parse(invite(`X-Pad: ${'a'.repeat(1000)}\r\n`.repeat(20)));
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/exceeds 16384/) });
  });

  it('refuses a header line above its limit and too many headers', () => {
    expect(parse(invite(`X-Huge: ${'b'.repeat(3000)}\r\n`))).toMatchObject({ ok: false, reason: expect.stringMatching(/header line of \d+ bytes/) });
    expect(parse(invite('X-A: 1\r\n'.repeat(100)))).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 64 headers/) });
  });

  it('refuses a request without Call-ID, without a Via branch, or with a CSeq of another method', () => {
    expect(parse(invite().replace(/Call-ID: .*\r\n/, ''))).toMatchObject({ ok: false, reason: 'no call-id header' });
    expect(parse(invite().replace('branch=z9hG4bK-1;', ''))).toMatchObject({ ok: false, reason: 'Via without branch' });
    expect(parse(invite().replace('CSeq: 1 INVITE', 'CSeq: 1 BYE')).ok).toBe(false);
  });

  it('refuses binary junk, NUL bytes and bad start lines', () => {
    expect(parse('\u0000\u0001\u0002garbage\r\n\r\n').ok).toBe(false);
    expect(parse(invite().replace('INVITE sip', 'INVITE http')).ok).toBe(false);
    expect(parse('HELLO WORLD\r\n\r\n').ok).toBe(false);
    const random = Buffer.alloc(2000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919) % 256;
    expect(parseSipMessage(random).ok).toBe(false);
  });

  it('refuses header values out of their ranges, keeping the request for a 400', () => {
    const refused = (text: string) => {
      const r = parse(text);
      return r.ok ? 'accepted' : r.request ? r.reason : `unanswerable: ${r.reason}`;
    };
    expect(refused(invite().replace('Max-Forwards: 70', 'Max-Forwards: 256'))).toMatch(/Max-Forwards "256" out of range/);
    expect(refused(invite().replace('Max-Forwards: 70', 'Max-Forwards: -1'))).toMatch(/Max-Forwards/);
    expect(refused(invite('Expires: 4294967296\r\n'))).toMatch(/Expires "4294967296" out of range/);
    expect(refused(invite('Expires: soon\r\n'))).toMatch(/Expires/);
    expect(refused(invite().replace('127.0.0.1:5070;', '127.0.0.1:0;'))).toMatch(/Via port 0 out of range/);
    expect(refused(invite().replace('127.0.0.1:5070;', '127.0.0.1:65536;'))).toMatch(/Via port 65536/);
    expect(refused(invite().replace('SIP/2.0/UDP 127.0.0.1', 'SIP/3.0/UDP 127.0.0.1'))).toBe('bad Via sent-by');
    expect(refused(invite().replace('INVITE sip:100@127.0.0.1 ', 'INVITE sip:100@127.0.0.1:99999 '))).toBe('bad Request-URI');
    expect(refused(invite().replace('<sip:ann@127.0.0.1>', '<sip:ann@127.0.0.1:0>'))).toBe('bad From URI');
    expect(refused(invite().replace('To: <sip:100@127.0.0.1>', 'To: nobody'))).toBe('bad To URI');
    expect(refused(invite('Contact: <sip:ann@127.0.0.1:123456>\r\n'))).toBe('bad Contact URI');
    expect(refused(invite('Contact: <sip:ann@127.0.0.1>;expires=-5\r\n'))).toMatch(/Contact expires "-5"/);
    expect(refused(invite('Contact: *\r\n'))).toBe('bad Contact URI');
  });

  it('accepts values at the edges of their ranges, a wildcard Contact in REGISTER and broken %-escapes in a user part', () => {
    expect(parse(invite('Expires: 4294967295\r\nContact: <sip:ann@127.0.0.1:65535>;expires=0\r\n').replace('Max-Forwards: 70', 'Max-Forwards: 255')).ok).toBe(true);
    expect(parse(invite().replace('127.0.0.1:5070;', '127.0.0.1:1;')).ok).toBe(true);
    expect(parse(invite('Contact: *\r\nExpires: 0\r\n').replace(/INVITE/g, 'REGISTER')).ok).toBe(true);
    expect(parseSipUri('sip:%E0%A4%A@127.0.0.1')?.user).toBe('%E0%A4%A');
    expect(parseSipUri('sip:ann@127.0.0.1:0')).toBeUndefined();
  });

  it('parses an unknown method (the server answers it 501)', () => {
    const r = parse(invite().replace(/INVITE/g, 'FROBNICATE'));
    expect(r.ok && (r.message as SipRequest).method).toBe('FROBNICATE');
  });
});

describe('SipStreamFramer (TCP)', () => {
  it('cuts messages split over chunks and joined in one chunk', () => {
    const one = Buffer.from(invite());
    const framer = new SipStreamFramer();
    expect(framer.push(one.subarray(0, 50)).messages).toHaveLength(0);
    const r = framer.push(Buffer.concat([one.subarray(50), one, Buffer.from('\r\n\r\n')]));
    expect(r.messages.map((m) => m.toString())).toEqual([invite(), invite()]);
    expect(r.error).toBeUndefined();
  });

  it('refuses a stream without Content-Length or past the size limit', () => {
    expect(new SipStreamFramer().push(Buffer.from(invite().replace(/Content-Length: \d+\r\n/, ''))).error).toMatch(/no Content-Length/);
    expect(new SipStreamFramer().push(Buffer.from(`INVITE sip:a@b SIP/2.0\r\n${'X: y\r\n'.repeat(4000)}`)).error).toMatch(/limit/);
    expect(new SipStreamFramer().push(Buffer.from(invite().replace(/Content-Length: \d+/, 'Content-Length: 900000'))).error).toMatch(/exceeds/);
  });
});

describe('dialog routing (RFC 3261 §12)', () => {
  const peer = { transport: 'udp' as const, host: '192.0.2.1', port: 5060 };
  const withRR = (rr: string) => parseSipMessage(Buffer.from(invite(`Record-Route: ${rr}\r\n`), 'latin1'));

  it('keeps the Record-Route of a request in order as the UAS route set and reverses a 2xx\'s for the UAC', () => {
    const parsed = withRR('<sip:p2.example;lr>, <sip:p1.example:5070;lr>');
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(routeSetOf(parsed.message, 'uas')).toEqual(['<sip:p2.example;lr>', '<sip:p1.example:5070;lr>']);
    expect(routeSetOf(parsed.message, 'uac')).toEqual(['<sip:p1.example:5070;lr>', '<sip:p2.example;lr>']);
  });

  it('sends to the first loose router with the remote target as Request-URI and the whole set as Route', () => {
    expect(routeRequest('sip:bob@10.0.0.5:5062', ['<sip:127.0.0.1:5070;lr;ftag=x>', '<sip:p2.example;lr>'], peer, true)).toEqual({
      uri: 'sip:bob@10.0.0.5:5062', routes: ['<sip:127.0.0.1:5070;lr;ftag=x>', '<sip:p2.example;lr>'], dest: { transport: 'udp', host: '127.0.0.1', port: 5070 },
    });
  });

  it('puts a strict router into the Request-URI and the remote target last in Route', () => {
    expect(routeRequest('sip:bob@10.0.0.5', ['<sip:strict.example;transport=tcp>'], peer, false)).toEqual({
      uri: 'sip:strict.example;transport=tcp', routes: ['<sip:bob@10.0.0.5>'], dest: { transport: 'tcp', host: 'strict.example', port: 5060 },
    });
  });

  it('without a route set, goes to the remote target, or where the far end sends from when symmetric (NAT)', () => {
    expect(routeRequest('sip:bob@203.0.113.9:5080;transport=tcp', [], peer, false).dest).toEqual({ transport: 'tcp', host: '203.0.113.9', port: 5080 });
    expect(routeRequest('sip:bob@10.0.0.5:5062', [], peer, true).dest).toBe(peer);
    // A dialog over TCP stays on TCP when the Contact names no transport.
    expect(uriAddress('sip:bob@203.0.113.9', 'tcp')).toEqual({ transport: 'tcp', host: '203.0.113.9', port: 5060 });
  });
});

describe('outbound identity towards a trunk (RFC 3325, RFC 3323)', () => {
  const trunk = { id: 't', host: 'sbc.carrier.example', username: '31201234567' };

  it('uses the trunk\'s domain, the From user and asserts the caller ID', () => {
    expect(outboundIdentity({ ...trunk, domain: 'carrier.example', fromUser: '31201234567', assertedIdentity: 'pai' }, '0201234599', '198.51.100.7')).toEqual({
      from: '<sip:31201234567@carrier.example>', headers: [{ name: 'p-asserted-identity', value: '<sip:0201234599@carrier.example>' }],
    });
    expect(outboundIdentity({ ...trunk, assertedIdentity: 'rpid' }, '+3120', 'x').headers).toEqual([
      { name: 'remote-party-id', value: '<sip:+3120@sbc.carrier.example>;party=calling;screen=yes;privacy=off' },
    ]);
  });

  it('withholds the number with Privacy: id and an anonymous From, still asserting it to the carrier', () => {
    expect(outboundIdentity({ ...trunk, privacy: 'id', assertedIdentity: 'pai' }, '0201234599', 'x')).toEqual({
      from: '"Anonymous" <sip:anonymous@anonymous.invalid>',
      headers: [{ name: 'p-asserted-identity', value: '<sip:0201234599@sbc.carrier.example>' }, { name: 'privacy', value: 'id' }],
    });
  });

  it('without a trunk, calls as the caller ID at our own address', () => {
    expect(outboundIdentity(undefined, undefined, '198.51.100.7')).toEqual({ from: '<sip:caruso@198.51.100.7>', headers: [] });
  });

  it('refuses bad trunk options at construction, naming the trunk and the field', () => {
    const bad = (t: Partial<SipTrunk>) => () => new SipTelephonyAdapter({ host: '127.0.0.1', port: 0, users: [], trunks: [{ id: 'c', host: 'h', ...t }] });
    expect(bad({ assertedIdentity: 'x' as never })).toThrow(/trunk c: assertedIdentity x is not none, pai or rpid/);
    expect(bad({ authUsername: 'a b' })).toThrow(/trunk c: authUsername "a b" is not a SIP user name/);
    expect(bad({ outboundProxy: 'sip:user@proxy' })).toThrow(/trunk c: outboundProxy/);
    expect(bad({ domain: 'bad domain' })).toThrow(/trunk c: domain/);
    expect(bad({ privacy: 'full' as never })).toThrow(/trunk c: privacy/);
    expect(outboundProxyOf('proxy.example:5070', 'udp')).toEqual({ dest: { transport: 'udp', host: 'proxy.example', port: 5070 }, route: '<sip:proxy.example:5070;lr>' });
  });
});
