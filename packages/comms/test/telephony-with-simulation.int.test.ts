// The combined adapter of `caruso start --simulate`: a real SIP adapter on loopback with the
// simulated telephone network beside it. Each call stays on its own adapter.
import { createSocket, type Socket } from 'node:dgram';
import { SimulatedTelephony, SipTelephonyAdapter, systemClock, TelephonyWithSimulation, type TelephonyEvent } from '@caruso/comms';
import { createServiceManager } from '@caruso/kernel';

const LOOPBACK = '127.0.0.1';

async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('TelephonyWithSimulation (a real SIP adapter beside the simulated network)', () => {
  let sim: SimulatedTelephony;
  let real: SipTelephonyAdapter;
  let both: TelephonyWithSimulation;
  let events: TelephonyEvent[];
  let far: Socket;
  let received: string[];

  beforeEach(async () => {
    sim = new SimulatedTelephony(systemClock);
    real = new SipTelephonyAdapter({ host: LOOPBACK, port: 0, rtpPorts: { min: 41000 + 2 * Math.floor(Math.random() * 2000), max: 49998 } });
    both = new TelephonyWithSimulation(real, sim);
    events = [];
    both.onDidEvent((e) => events.push(e));
    far = createSocket('udp4');
    received = [];
    far.on('message', (m) => received.push(m.toString('utf8')));
    await new Promise<void>((r) => far.bind(0, LOOPBACK, () => r()));
    await both.start({} as never);
  });

  afterEach(async () => {
    await both.stop('shutdown' as never);
    sim.dispose();
    await new Promise<void>((r) => far.close(() => r()));
  });

  it('drives a simulated inbound call on the simulated network: its events come through, its commands go back there', async () => {
    const callId = sim.placeInboundCall({ from: '+31611111111', to: '+31300000000', talkMs: 60_000 });
    await until(() => events.some((e) => e.type === 'call-offered'), 2_000, 'the offered call');
    expect(events[0]).toEqual({ type: 'call-offered', callId, from: '+31611111111', to: '+31300000000' });
    expect(both.adapterOf(callId)).toBe('simulated');
    both.answer(callId);
    const prompts: string[] = [];
    sim.onDidPlayPrompt((p) => prompts.push('text' in p.prompt ? p.prompt.text : p.prompt.file));
    both.playPrompt(callId, { text: 'Welkom' });
    await until(() => events.some((e) => e.type === 'answered'), 2_000, 'the answer');
    expect(prompts).toEqual(['Welkom']);
    both.hangUp(callId);
    await until(() => events.some((e) => e.type === 'hung-up'), 2_000, 'the hang-up');
    expect(sim.activeCalls).toBe(0);
    expect(real.activeCalls).toBe(0);
  });

  it('dials what the real adapter can reach for real (a SIP URI) and a number it has no route for on the simulated network', async () => {
    const { port } = far.address();
    const realCall = both.originate(`sip:bob@${LOOPBACK}:${port}`, { callerId: 'caruso', timeoutMs: 5_000 });
    await until(() => received.some((m) => m.startsWith('INVITE sip:bob@')), 3_000, 'the INVITE at the far end');
    expect(both.adapterOf(realCall)).toBe('real');
    expect(real.activeCalls).toBe(1);
    expect(sim.dialled).toEqual([]);

    sim.setDestination('+31201234567', { resultAfterMs: 50 });
    const simCall = both.originate('+31201234567', { callerId: 'caruso', timeoutMs: 5_000 });
    expect(both.adapterOf(simCall)).toBe('simulated');
    expect(sim.dialled).toEqual(['+31201234567']);
    await until(() => events.some((e) => e.type === 'originate-result' && e.callId === simCall), 2_000, 'the simulated dial result');
    expect(events.find((e) => e.type === 'originate-result' && e.callId === simCall)).toMatchObject({ result: 'answered' });
    both.hangUp(realCall);
    both.hangUp(simCall);
    await until(() => real.activeCalls === 0 && sim.activeCalls === 0, 3_000, 'both calls to end');
  });

  it('is the real adapter’s lifecycle under the service manager: health names both, stop closes the SIP port', async () => {
    expect(real.port).toBeGreaterThan(0);
    expect(both.port).toBe(real.port);
    expect(both.name).toBe(`${real.name}+sim`);
    sim.placeInboundCall({ from: '+31622222222', to: '+31300000000', talkMs: 60_000 });
    expect(await both.health()).toMatchObject({ status: 'ok', detail: expect.stringContaining('simulated calls: 1') });
    // Registered with a manager, stopping the manager stops the SIP adapter (and not the simulated network).
    const manager = createServiceManager();
    const other = new TelephonyWithSimulation(new SipTelephonyAdapter({ host: LOOPBACK, port: 0 }), sim);
    const { TelephonyAdapter } = await import('@caruso/comms');
    manager.register(TelephonyAdapter, { version: '1.0.0', create: () => other });
    await manager.start();
    const port = (other.real as SipTelephonyAdapter).port;
    expect(port).toBeGreaterThan(0);
    await manager.stop();
    // The port is free again: something else can bind it.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, LOOPBACK, () => resolve());
    });
    await new Promise<void>((r) => probe.close(() => r()));
    expect(sim.activeCalls).toBe(1);
  });
});
