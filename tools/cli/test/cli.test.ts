import { main } from '../src/main.js';
import { areas } from '../src/commands/index.js';
import { bufferIO } from './io.js';

describe('caruso command line', () => {
  it('prints the areas with --help and exits 0', async () => {
    const io = bufferIO();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: caruso <area>');
    for (const a of areas) expect(io.out()).toContain(a.name);
  });

  it('prints help and exits 2 when called without arguments', async () => {
    const io = bufferIO();
    expect(await main([], io)).toBe(2);
    expect(io.out()).toContain('Areas:');
  });

  it('exits 2 with a message for an unknown area', async () => {
    const io = bufferIO();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err()).toContain("unknown area 'frobnicate'");
  });

  it('answers --help at every level', async () => {
    for (const area of areas) {
      const io = bufferIO();
      expect(await main([area.name, '--help'], io)).toBe(0);
      expect(io.out()).toMatch(/Usage: caruso/);
      for (const verb of Object.keys(area.verbs ?? {})) {
        const vio = bufferIO();
        expect(await main([area.name, verb, '--help'], vio)).toBe(0);
        expect(vio.out().length).toBeGreaterThan(20);
      }
    }
  });

  it('prints the version', async () => {
    const io = bufferIO();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 with the usage for a bad option', async () => {
    const io = bufferIO();
    expect(await main(['services', '--bogus'], io)).toBe(2);
    expect(io.err()).toContain("Unknown option '--bogus'");
    expect(io.err()).toContain('Usage: caruso services');
  });

  it('exits 1 with a clear message when no service manager is reachable', async () => {
    const io = bufferIO({ CARUSO_ACCESS_TOKEN: 'x'.repeat(20) });
    expect(await main(['services', '--url', 'ws://127.0.0.1:9'], io)).toBe(1);
    expect(io.err()).toContain('cannot reach a service manager at ws://127.0.0.1:9');
  });

  it('exits 1 when services has no access token', async () => {
    const io = bufferIO({});
    expect(await main(['services'], io)).toBe(1);
    expect(io.err()).toContain('set CARUSO_ACCESS_TOKEN');
  });
});
