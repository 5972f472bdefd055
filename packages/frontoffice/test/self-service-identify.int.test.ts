// A front office whose self-service page runs a script that reads customer data does not start
// without the application's <identify>: the integrator cannot forget the second factor. With
// <identify code="email">, a one-time code goes to the address on file (a real SMTP relay on
// loopback) and the visitor types it before the script starts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, startTestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';
import { startRelay, type TestRelay } from './smtp-helpers.js';

type View = { sessionId: string; status: string; step: { kind: string; stage?: string; node: string; error?: string; fields?: { name: string }[] } };

describe('front office start (self-service identification)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-fo-identify-'));
    writeFileSync(
      join(dir, 'meter-reading.xml'),
      '<script id="meter-reading" version="1">\n<question id="n" type="text"><prompt>Number?</prompt><next target="bye">\n  <fetch source="crm.Customers" operation="get" key="n" into="c"/></next></question>\n<end id="bye" outcome="done"/>\n</script>\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(async () => {
    await relay?.close();
  });

  const app = (identify: string): string => {
    const file = join(dir, 'app.xml');
    writeFileSync(file, `<application name="a" model="crm">\n  <role name="anonymous"/>\n  ${identify}\n  <selfservice name="meter" script="meter-reading" queue="support"/>\n</application>\n`);
    return file;
  };

  it('refuses to start with a data-reading self-service page and no <identify>, and starts with one', async () => {
    const options = (application: string) => ({ db: `sqlite:${join(dir, `fo-${Date.now()}.db`)}`, model: fixturePath('crm.model.xml'), application, scripts: dir });
    const failed = await startTestAssembly(options(app(''))).then(
      async (asm) => {
        await asm.stop();
        return undefined;
      },
      (err: unknown) => err as Error,
    );
    expect(String(failed?.message ?? failed)).toMatch(/app\.xml:4:\d+: error: self-service page meter runs meter-reading, which reads or changes data on the web \(crm\.Customers\.get/);
    const asm = await startTestAssembly(options(app('<identify object="Customer" by="email" verify="postcode"/>')));
    try {
      const page = await fetch(`${asm.url}/api/self-service/meter`);
      expect(await page.json()).toEqual({ name: 'meter', label: 'meter', identify: [{ name: 'email', label: 'E-mail' }, { name: 'postcode', label: 'Postcode' }] });
    } finally {
      await asm.stop();
    }
  }, 30_000);

  it('with code="email" sends a one-time code to the address on file; the script starts only with the right code', async () => {
    const asm = await startTestAssembly({
      db: `sqlite:${join(dir, 'otp.db')}`,
      model: fixturePath('crm.model.xml'),
      application: app('<identify object="Customer" by="email" verify="postcode" code="email"/>'),
      scripts: dir,
      relay: { port: relay.port, from: 'Self-service <noreply@caruso.test>' },
    });
    try {
      await asm.objects.repository('Customer').create({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.test', postcode: '3511 AB' });
      const visitor = new ApiClient(asm.url);
      const seen: unknown[] = [];
      const answer = async (sessionId: string, value: unknown): Promise<View> => {
        const r = await visitor.post(`/api/self-service/sessions/${sessionId}/answer`, { value });
        seen.push(r.body);
        expect(r.status).toBe(200);
        return r.body as View;
      };
      const s = (await visitor.post('/api/self-service/meter/sessions')).body as View;
      expect(s.step).toMatchObject({ kind: 'identify', stage: 'details', fields: [{ name: 'email' }, { name: 'postcode' }] });
      const sent = await answer(s.sessionId, { email: 'ada@example.test', postcode: '3511ab' });
      expect(sent.step).toMatchObject({ kind: 'identify', stage: 'code', fields: [{ name: 'code' }] });
      expect(sent.step.error).toBeUndefined();
      await relay.waitFor(1);
      const mail = relay.received[0];
      expect(mail?.rcptTo).toEqual(['ada@example.test']);
      const code = /\b(\d{6})\b/.exec(mail?.parsed.text ?? '')?.[1] as string;
      expect(code).toMatch(/^\d{6}$/);
      expect(mail?.parsed.subject ?? '').not.toContain(code);
      const wrong = code === '000000' ? '111111' : '000000';
      expect((await answer(s.sessionId, { code: wrong })).step).toMatchObject({ kind: 'identify', stage: 'code', error: expect.stringMatching(/not right/) });
      expect(((await visitor.get(`/api/self-service/sessions/${s.sessionId}`)).body as View).step).toMatchObject({ stage: 'code' });
      expect((await answer(s.sessionId, { code })).step).toMatchObject({ kind: 'question', node: 'n' });
      // The code never comes back in an answer to the visitor.
      expect(JSON.stringify(seen)).not.toContain(code);

      // Five wrong codes use it up: back to the details, and that code no longer works.
      const t = (await visitor.post('/api/self-service/meter/sessions')).body as View;
      await answer(t.sessionId, { email: 'ada@example.test', postcode: '3511 AB' });
      await relay.waitFor(2);
      const second = /\b(\d{6})\b/.exec(relay.received[1]?.parsed.text ?? '')?.[1] as string;
      const bad = second === '000000' ? '111111' : '000000';
      for (let i = 0; i < 4; i++) expect((await answer(t.sessionId, { code: bad })).step.stage).toBe('code');
      expect((await answer(t.sessionId, { code: bad })).step).toMatchObject({ stage: 'details', error: expect.stringMatching(/too often/) });
      expect((await answer(t.sessionId, { code: second })).step).toMatchObject({ kind: 'identify', stage: 'details', error: expect.stringMatching(/do not match/) });
    } finally {
      await asm.stop();
    }
  }, 30_000);
});
