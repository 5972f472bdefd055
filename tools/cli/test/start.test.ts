import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectServiceManager, createToken } from '@caruso/kernel';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const bin = fileURLToPath(new URL('../bin/caruso.js', import.meta.url));
const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('caruso start and caruso services', () => {
  it('starts the service manager, lists a remotely registered service, and stops cleanly on SIGINT', async () => {
    expect(existsSync(built)).toBe(true); // npm test builds before jest runs
    const token = 'start-test-token-0123456789';
    const child = spawn(process.execPath, [bin, 'start', '--port', '0'], {
      env: { ...process.env, CARUSO_ACCESS_TOKEN: token, CARUSO_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 10_000;
    while (!/remote endpoint: (ws:\/\/\S+)/.test(out)) {
      if (Date.now() > deadline) throw new Error(`caruso start did not come up: ${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const url = /remote endpoint: (ws:\/\/\S+)/.exec(out)![1]!;
    expect(out).toContain('no assembly yet');

    const wrapper = await connectServiceManager(url, { accessToken: token, name: 'test-wrapper' });
    await wrapper.register(createToken<{ ping(): string }>('legacy.Ping'), { version: '1.2.3', properties: { vendor: 'legacy' }, implementation: { ping: () => 'pong' } });

    const io = bufferIO({ CARUSO_ACCESS_TOKEN: token });
    expect(await main(['services', '--url', url], io)).toBe(0);
    expect(io.out()).toMatch(/legacy\.Ping\s+1\.2\.3\s+active\s+test-wrapper@\S+\s+ok/);
    expect(io.out()).toContain('vendor=legacy');

    const json = bufferIO({ CARUSO_ACCESS_TOKEN: token });
    expect(await main(['services', '--url', url, '--json'], json)).toBe(0);
    expect(JSON.parse(json.out())).toEqual([expect.objectContaining({ tokenId: 'legacy.Ping', version: '1.2.3', state: 'active' })]);

    await wrapper.close();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped.');
  }, 60_000);

  it('exits 1 naming the file when the assembly file cannot be read', async () => {
    const io = bufferIO({});
    expect(await main(['start', 'no-such-assembly.xml'], io)).toBe(1);
    expect(io.err()).toContain('no-such-assembly.xml:1:1: error: cannot read the assembly file: ENOENT');
  });

  it('exits 2 for two assembly files', async () => {
    const io = bufferIO({});
    expect(await main(['start', 'a.xml', 'b.xml'], io)).toBe(2);
    expect(io.err()).toContain('one assembly file at most');
  });

  it('exits 2 for --simulate without an assembly file, and explains --simulate in its help', async () => {
    const io = bufferIO({});
    expect(await main(['start', '--simulate'], io)).toBe(2);
    expect(io.err()).toContain('--simulate needs an assembly file');
    const help = bufferIO({});
    expect(await main(['start', '--help'], help)).toBe(0);
    expect(help.out()).toContain('--simulate    a demonstration or training run');
    expect(help.out()).toContain('--at TIME     with --simulate');
    const at = bufferIO({});
    expect(await main(['start', 'a.xml', '--at', 'office-hours'], at)).toBe(2);
    expect(at.err()).toContain('--at is for demonstrations and training: it needs --simulate');
  });
});
