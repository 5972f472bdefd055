// Units of the SIP adapter that need no peer: digest authentication, SDP offer/answer, G.711, WAV, the registrar.
import { createHash } from 'node:crypto';
import { DigestAuthenticator, digestAuthorization, parseDigest } from '../../src/telephony/sip/sip-digest.js';
import { answerDirection, buildSdp, chooseCodec, parseSdp, readSdp } from '../../src/telephony/sip/sdp.js';
import { decodeG711, encodeG711, transcodeG711 } from '../../src/telephony/sip/g711.js';
import { encodeWav, parseWav, tone } from '../../src/telephony/sip/wav-file.js';
import { SipRegistrar } from '../../src/telephony/sip/sip-registrar.js';

describe('DigestAuthenticator (RFC 2617 qop=auth, MD5)', () => {
  const auth = new DigestAuthenticator('caruso', (u) => (u === 'anna' ? 'secret' : undefined));

  it('accepts the answer a phone computes from the challenge, and not a replay of it', () => {
    const challenge = auth.challenge();
    const answer = digestAuthorization(challenge, { method: 'REGISTER', uri: 'sip:127.0.0.1' }, { username: 'anna', password: 'secret' })!;
    expect(auth.verify(answer, 'REGISTER')).toEqual({ user: 'anna' });
    expect(auth.verify(answer, 'REGISTER')).toBeUndefined();
  });

  it('refuses a wrong password, an unknown user, another method and a forged nonce', () => {
    const challenge = auth.challenge();
    const uri = { method: 'REGISTER', uri: 'sip:127.0.0.1' };
    expect(auth.verify(digestAuthorization(challenge, uri, { username: 'anna', password: 'nope' }), 'REGISTER')).toBeUndefined();
    expect(auth.verify(digestAuthorization(challenge, uri, { username: 'eve', password: 'secret' }), 'REGISTER')).toBeUndefined();
    expect(auth.verify(digestAuthorization(challenge, uri, { username: 'anna', password: 'secret' }), 'INVITE')).toBeUndefined();
    const forged = challenge.replace(/nonce="([0-9a-f]+)\.[0-9a-f]+"/, 'nonce="$1.00000000000000000000000000000000"');
    expect(auth.verify(digestAuthorization(forged, uri, { username: 'anna', password: 'secret' }), 'REGISTER')).toBeUndefined();
    expect(auth.verify('Basic YW5uYTpzZWNyZXQ=', 'REGISTER')).toBeUndefined();
  });

  it('answers an expired nonce with stale, so that the phone retries without asking for the password', () => {
    const old = new DigestAuthenticator('caruso', () => 'secret', -1);
    const answer = digestAuthorization(old.challenge(), { method: 'REGISTER', uri: 'sip:h' }, { username: 'anna', password: 'secret' });
    expect(old.verify(answer, 'REGISTER')).toBe('stale');
  });

  it('computes the RFC 2617 response without qop (what an old trunk asks for)', () => {
    const value = digestAuthorization('Digest realm="r", nonce="n"', { method: 'INVITE', uri: 'sip:1@t' }, { username: 'u', password: 'p' })!;
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    expect(parseDigest(value)?.['response']).toBe(md5(`${md5('u:r:p')}:n:${md5('INVITE:sip:1@t')}`));
  });
});

describe('SDP offer/answer', () => {
  const offer = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\nm=video 5000 RTP/AVP 96\r\n';

  it('takes the first G.711 codec of the offer, its telephone-event type and its direction', () => {
    const d = parseSdp(offer)!;
    expect(d).toMatchObject({ host: '10.0.0.1', port: 4000, dtmfPayloadType: 101, direction: 'sendonly' });
    expect(chooseCodec(d)).toBe(8);
    expect(answerDirection(d.direction)).toBe('recvonly');
  });

  it('refuses an offer without G.711 or without audio, and builds an answer it can read back', () => {
    expect(chooseCodec(parseSdp(offer.replace('9 8 0 101', '9 101'))!)).toBeUndefined();
    expect(parseSdp('v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 96\r\n')).toBeUndefined();
    expect(parseSdp('garbage')).toBeUndefined();
    const answer = buildSdp({ host: '127.0.0.1', port: 20000, sessionId: 1, version: 2, payloadTypes: [0], dtmfPayloadType: 101, direction: 'sendrecv' });
    expect(parseSdp(answer)).toMatchObject({ host: '127.0.0.1', port: 20000, payloadTypes: [0, 101], dtmfPayloadType: 101, direction: 'sendrecv' });
  });
});

describe('SDP ranges (issue 13: one m=audio 0 used to end the process)', () => {
  const sdp = (m: string, c = 'c=IN IP4 10.0.0.1\r\n') => `v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n${c}t=0 0\r\n${m}`;

  it('reads port 0 as a declined stream, and takes the next audio stream that is not declined', () => {
    expect(readSdp(sdp('m=audio 0 RTP/AVP 0\r\n'))).toMatchObject({ kind: 'declined' });
    const r = readSdp(sdp('m=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\nm=audio 4002 RTP/AVP 8\r\na=recvonly\r\n'));
    expect(r).toMatchObject({ kind: 'audio', audio: { port: 4002, index: 2, payloadTypes: [8], direction: 'recvonly' } });
    if (r.kind !== 'audio') return;
    const answer = buildSdp({ host: '127.0.0.1', port: 20000, sessionId: 1, version: 1, payloadTypes: [8], dtmfPayloadType: undefined, direction: 'sendonly', mirror: r.audio });
    expect(answer.split('\r\n').filter((l) => l.startsWith('m='))).toEqual(['m=audio 0 RTP/AVP 0', 'm=video 0 RTP/AVP 96', 'm=audio 20000 RTP/AVP 8']);
  });

  it('refuses ports, payload types and addresses out of range as malformed, with the reason', () => {
    const reason = (body: string) => {
      const r = readSdp(body);
      return r.kind === 'malformed' ? r.reason : r.kind;
    };
    expect(reason(sdp('m=audio 65536 RTP/AVP 0\r\n'))).toMatch(/port 65536 out of range/);
    expect(reason(sdp('m=audio 99999 RTP/AVP 0\r\n'))).toMatch(/port 99999/);
    expect(reason(sdp('m=audio 4000 RTP/AVP 0 128\r\n'))).toMatch(/payload types "0 128" out of range/);
    expect(reason(sdp('m=audio 4000 RTP/AVP 0\r\n', 'c=IN IP4 10.0.0.256\r\n'))).toMatch(/bad IPv4 address/);
    expect(reason(sdp('m=audio 4000 RTP/AVP 0\r\n', ''))).toMatch(/no connection address/);
    expect(reason(sdp('m=audio -1 RTP/AVP 0\r\n'))).toMatch(/bad media line/);
    expect(reason(sdp('m=audio 4000 RTP/AVP\r\n'))).toMatch(/without formats|bad media line/);
    expect(reason('x'.repeat(9000))).toMatch(/longer than/);
    expect(reason(sdp('m=audio 4000 RTP/AVP 0\r\n', 'c=IN IP6 ::1\r\n'))).toBe('ipv6-only');
    expect(reason(sdp('m=audio 65535 RTP/AVP 0\r\n'))).toBe('audio');
  });
});

describe('G.711 and WAV', () => {
  it('round-trips a tone through µ-law and A-law within the quantization error', () => {
    const t = tone(440, 100, 0.5);
    for (const pt of [0, 8] as const) {
      const back = decodeG711(encodeG711(t, pt), pt);
      let worst = 0;
      for (let i = 0; i < t.length; i++) worst = Math.max(worst, Math.abs(back[i]! - t[i]!) / Math.max(256, Math.abs(t[i]!)));
      expect(worst).toBeLessThan(0.07);
    }
    const mu = encodeG711(t, 0);
    expect(decodeG711(transcodeG711(mu, 0, 8), 8)[40]).toBeCloseTo(decodeG711(mu, 0)[40]!, -3);
  });

  it('writes and reads 8 kHz WAV, and refuses other rates and non-WAV files with a coded error', () => {
    const t = tone(1000, 50);
    expect(Array.from(parseWav(encodeWav(t), 'x.wav'))).toEqual(Array.from(t));
    const wrongRate = encodeWav(t);
    wrongRate.writeUInt32LE(16000, 24);
    expect(() => parseWav(wrongRate, 'x.wav')).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_SIP_BAD_AUDIO' }));
    expect(() => parseWav(Buffer.from('not a wav file at all'), 'y.wav')).toThrow(/y\.wav: not a RIFF\/WAVE file/);
  });
});

describe('SipRegistrar', () => {
  it('keeps a binding until it expires or is removed', () => {
    let now = 1_000_000;
    const r = new SipRegistrar(() => now);
    const source = { transport: 'udp' as const, host: '127.0.0.1', port: 5062 };
    r.bind('anna', 'sip:anna@127.0.0.1:5062', source, 60);
    expect(r.lookup('anna')).toEqual([expect.objectContaining({ contact: 'sip:anna@127.0.0.1:5062', source })]);
    now += 61_000;
    expect(r.lookup('anna')).toEqual([]);
    r.bind('anna', 'sip:anna@127.0.0.1:5062', source, 60);
    r.bind('anna', 'sip:anna@127.0.0.1:5062', source, 0);
    expect(r.users).toEqual([]);
  });
});
