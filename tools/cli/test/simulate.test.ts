import { main } from '../src/main.js';
import { bufferIO } from './io.js';

describe('caruso simulate', () => {
  it('prints one JSON document with the figures and the Erlang C prediction', async () => {
    const io = bufferIO();
    const code = await main(['simulate', '--agents', '55', '--rate', '720', '--aht', '240', '--hours', '100', '--sl', '15', '--seed', '2'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(io.out()) as {
      parameters: { agents: number; erlangs: number };
      figures: { offered: number; handled: number; abandoned: number; serviceLevel: { ofAnswered: { value: number; ci95: number } }; asaSeconds: { value: number }; occupancy: number };
      theory: { model: string; pWait: number; serviceLevel: number; asa: number };
    };
    expect(doc.parameters).toMatchObject({ agents: 55, erlangs: 48 });
    expect(doc.theory.model).toBe('erlang-c');
    expect(doc.theory.pWait).toBeCloseTo(0.239, 3);
    expect(doc.theory.serviceLevel).toBeCloseTo(0.846, 3);
    expect(doc.theory.asa).toBeCloseTo(8.2, 1);
    expect(doc.figures.offered).toBeGreaterThan(60_000);
    expect(doc.figures.abandoned).toBe(0);
    expect(Math.abs(doc.figures.serviceLevel.ofAnswered.value - doc.theory.serviceLevel)).toBeLessThan(doc.figures.serviceLevel.ofAnswered.ci95 * 1.4);
    expect(doc.figures.occupancy).toBeCloseTo(48 / 55, 1);
  }, 300_000);

  it('switches to Erlang A with --patience and reports abandons', async () => {
    const io = bufferIO();
    const code = await main(['simulate', '--agents', '10', '--rate', '200', '--aht', '180', '--patience', '90', '--hours', '50', '--strategy', 'round-robin'], io);
    expect(code).toBe(0);
    const doc = JSON.parse(io.out()) as { theory: { model: string; pAbandon: number }; figures: { abandoned: number; abandonRate: { value: number } }; parameters: { strategy: string } };
    expect(doc.theory.model).toBe('erlang-a');
    expect(doc.parameters.strategy).toBe('round-robin');
    expect(doc.figures.abandoned).toBeGreaterThan(0);
    expect(doc.figures.abandonRate.value).toBeCloseTo(doc.theory.pAbandon, 1);
  }, 300_000);

  it.each([
    [['--rate', '10', '--aht', '100'], '--agents is required'],
    [['--agents', 'many', '--rate', '10', '--aht', '100'], '--agents must be an integer'],
    [['--agents', '2', '--rate', '10', '--aht', '100', '--strategy', 'loudest'], '--strategy must be one of'],
    [['--agents', '2', '--rate', '1000', '--aht', '100'], 'CARUSO_COMMS_INVALID_SIMULATION'],
    [['--agents', '2', '--rate', '10', '--aht', '100', 'extra'], "unexpected argument 'extra'"],
  ])('exits 2 with a message for a bad command line (%j)', async (args, message) => {
    const io = bufferIO();
    expect(await main(['simulate', ...args], io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.out()).toBe('');
  });

  it('draws a progress bar on a terminal and erases it before the JSON', async () => {
    const io = bufferIO();
    Object.assign(io.stderr, { isTTY: true });
    // About 24,000 calls: a few slices of the run, the first one drawn.
    const code = await main(['simulate', '--agents', '55', '--rate', '720', '--aht', '240', '--hours', '30', '--seed', '2'], io);
    expect(code).toBe(0);
    expect(io.err()).toMatch(/^\r\[#*\.*\] \d+ % {2}[\d.]+ h simulated, [\d,]+ calls/);
    expect(io.err().endsWith('\r\x1b[K')).toBe(true);
    expect(JSON.parse(io.out())).toHaveProperty('figures');
  }, 300_000);

  it('shows its help', async () => {
    const io = bufferIO();
    expect(await main(['simulate', '--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: caruso simulate --agents N --rate CALLS_PER_HOUR --aht SECONDS');
  });
});
