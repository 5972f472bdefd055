import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createDialogueEngine, MemorySessionStore, ScriptStore } from '@caruso/dialogue';
import { SimulatedTelephony, VirtualClock, type TelephonyEvent } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel, type AgentOptions, type QueueOptions, type TelephonyChannelOptions } from '@caruso/comms/testing';

export const IVR_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ivr');

/** A real dialogue engine on the fixture scripts (sessions in memory unless a store is given). */
export function fixtureEngine(clock: VirtualClock, sessions = new MemorySessionStore()) {
  const scripts = ScriptStore.loadFolder(IVR_FIXTURES);
  const bad = scripts.diagnostics().filter((d) => d.severity === 'error');
  if (bad.length) throw new Error(bad.map(String).join('\n'));
  const engine = createDialogueEngine({
    scripts,
    sessions,
    services: { fetch: () => null, action: () => null },
    now: () => clock.now(),
  });
  return { engine, scripts, sessions };
}

/** Router + simulated adapter + channel with the IVR, on one virtual clock. */
export function ivrSetup(opts: { queues?: QueueOptions[]; agents?: AgentOptions[]; channel?: Partial<TelephonyChannelOptions> } = {}) {
  const clock = new VirtualClock();
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
  const telephony = new SimulatedTelephony(clock);
  const { engine, scripts, sessions } = fixtureEngine(clock);
  const queues = opts.queues ?? [{ id: 'general' }, { id: 'billing' }, { id: 'faults' }, { id: 'voicemail' }];
  for (const q of queues) router.addQueue(q);
  for (const a of opts.agents ?? []) router.addAgent(a);
  const channel = new TelephonyChannel({
    router,
    telephony,
    defaultQueueId: 'general',
    dialogue: engine,
    scriptFor: ({ to }) => (to === '0800-utility' ? 'main-menu' : undefined),
    commit: () => log.flush(),
    ...opts.channel,
  });
  const calls: TelephonyEvent[] = [];
  telephony.onDidEvent((e) => calls.push(e));
  /** Advances the virtual clock in steps, letting the IVR's promises run between timers. */
  const run = async (ms: number) => {
    const until = clock.now() + ms;
    await channel.settled();
    for (let i = 0; i < 10_000; i++) {
      const next = clock.nextAt();
      if (next === undefined || next > until) break;
      clock.runNext();
      await channel.settled();
    }
    clock.advance(Math.max(0, until - clock.now()));
    await channel.settled();
  };
  const prompts = () => calls.filter((e) => e.type === 'prompt-finished').length;
  const dispose = () => {
    channel.dispose();
    router.dispose();
    telephony.dispose();
    scripts.dispose();
  };
  return { clock, log, router, telephony, engine, sessions, channel, calls, run, prompts, dispose };
}
