// A front office whose self-service page runs a script that reads customer data does not start
// without the application's <identify>: the integrator cannot forget the second factor.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

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
});
