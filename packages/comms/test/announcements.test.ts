import { SimulatedTelephony, VirtualClock, type Prompt, type QueueConfig } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';

/** A router, the simulated telephone network and the channel between them, recording every prompt played. */
function setup(queue: QueueConfig, agents: string[]) {
  const clock = new VirtualClock();
  const log = new InMemoryContactEventLog();
  const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
  router.addQueue(queue);
  for (const id of agents) router.addAgent({ id, queues: [{ queueId: queue.id }] });
  const telephony = new SimulatedTelephony(clock);
  const channel = new TelephonyChannel({ router, telephony, defaultQueueId: queue.id });
  const played: Array<{ callId: string; at: number; prompt: Prompt }> = [];
  telephony.onDidPlayPrompt((p) => played.push({ callId: p.callId, at: p.at - start, prompt: p.prompt }));
  const start = clock.now();
  const textsOf = (callId: string) => played.filter((p) => p.callId === callId).map((p) => ('text' in p.prompt ? p.prompt.text : p.prompt.file));
  const dispose = () => {
    channel.dispose();
    router.dispose();
    telephony.dispose();
  };
  return { clock, router, telephony, channel, played, textsOf, dispose, start };
}

describe('announcements to waiting callers (simulated telephony, virtual clock)', () => {
  it('tells a caller their position and expected wait on entering the queue and every everyMs, until an agent takes the call', () => {
    const t = setup({ id: 'support', announce: { everyMs: 30_000 } }, ['anna']);
    t.router.login('anna');
    const first = t.telephony.placeInboundCall({ talkMs: 100_000 });
    t.clock.advance(0); // anna's phone answers at once
    expect(t.router.contact(first)?.state).toBe('connected');
    const second = t.telephony.placeInboundCall({ talkMs: 60_000 });
    const third = t.telephony.placeInboundCall({ talkMs: 60_000 });
    // Nothing for the call an agent took at once; the default handle time (180 s) on one agent.
    expect(t.textsOf(first)).toEqual([]);
    expect(t.textsOf(second)).toEqual(['You are number 1 in the queue. Your expected waiting time is about 3 minutes.']);
    expect(t.textsOf(third)).toEqual(['You are number 2 in the queue. Your expected waiting time is about 6 minutes.']);
    expect(t.played.find((p) => p.callId === third)?.prompt).toMatchObject({ variables: { position: 2, minutes: 6, seconds: 360 } });
    t.clock.advance(61_000);
    expect(t.played.filter((p) => p.callId === second).map((p) => p.at)).toEqual([0, 30_000, 60_000]);
    // The first call ends at 100 s: its handle time (100 s) is now the queue's average.
    t.clock.advance(39_000);
    expect(t.router.contact(second)?.state).toBe('connected');
    t.clock.advance(20_000);
    expect(t.played.filter((p) => p.callId === second).map((p) => p.at)).toEqual([0, 30_000, 60_000, 90_000]);
    expect(t.textsOf(third).slice(3)).toEqual([
      'You are number 2 in the queue. Your expected waiting time is about 6 minutes.',
      'You are number 1 in the queue. Your expected waiting time is about 2 minutes.',
    ]);
    expect(t.played.filter((p) => p.callId === third).map((p) => p.at)).toEqual([0, 30_000, 60_000, 90_000, 120_000]);
    t.dispose();
  });

  it('expected wait follows the rate at which the queue served its last calls, not only the staffed agents', () => {
    const t = setup({ id: 'support', announce: { position: false } }, ['anna', 'bob']);
    t.router.login('anna');
    t.router.login('bob');
    t.router.pause('bob', 'training');
    // Anna handles six calls of 60 s in a row: one served per minute.
    for (let i = 0; i < 6; i++) {
      const id = t.telephony.placeInboundCall({ talkMs: 60_000 });
      expect(t.router.contact(id)?.agentIds).toEqual(['anna']);
      t.clock.advance(i < 5 ? 60_000 : 0);
    }
    const waiting = [t.telephony.placeInboundCall({ talkMs: 60_000 }), t.telephony.placeInboundCall({ talkMs: 60_000 })];
    // Two staffed agents at 60 s would say 30 s a place; the observed rate says 60 s.
    expect(t.router.position(waiting[1]!)).toEqual({ position: 2, expectedWaitMs: 120_000 });
    expect(t.textsOf(waiting[0]!)).toEqual(['Your expected waiting time is about one minute.']);
    expect(t.textsOf(waiting[1]!)).toEqual(['Your expected waiting time is about 2 minutes.']);
    t.dispose();
  });

  it('before five calls were served, the expected wait is the average handle time of the calls seen over the staffed agents', () => {
    const t = setup({ id: 'support', wrapUpMs: 10_000, announce: { text: 'Plaats {position}, nog {minutes} minuten ({seconds} s).', language: 'nl', expectedWait: true } }, ['anna']);
    t.router.login('anna');
    const a = t.telephony.placeInboundCall({ talkMs: 30_000 });
    t.clock.advance(40_000); // 30 s talk + 10 s wrap-up: handle time 40 s
    const b = t.telephony.placeInboundCall({ talkMs: 70_000 });
    t.clock.advance(80_000); // 70 s + 10 s: the average is (40 + 80) / 2 = 60 s
    expect(t.router.contact(a)).toBeUndefined();
    expect(t.router.contact(b)).toBeUndefined();
    t.telephony.placeInboundCall({ talkMs: 600_000 });
    const d = t.telephony.placeInboundCall({ talkMs: 1_000 });
    const e = t.telephony.placeInboundCall({ talkMs: 1_000 });
    expect(t.router.position(d)?.expectedWaitMs).toBe(60_000);
    expect(t.played.filter((p) => p.callId === e).map((p) => p.prompt)).toEqual([
      { text: 'Plaats 2, nog 2 minuten (120 s).', language: 'nl', variables: { position: 2, minutes: 2, seconds: 120 } },
    ]);
    // No repeat without everyMs.
    t.clock.advance(300_000);
    expect(t.played.filter((p) => p.callId === e)).toHaveLength(1);
    t.dispose();
  });

  it('speaks the built-in sentences in the queue’s language (Dutch, also for nl-BE), with one minute in the singular', () => {
    const t = setup({ id: 'support', wrapUpMs: 0, announce: { language: 'nl-BE' } }, ['anna']);
    t.router.login('anna');
    t.telephony.placeInboundCall({ talkMs: 100_000 });
    t.clock.advance(0);
    const waiting = t.telephony.placeInboundCall({ talkMs: 60_000 });
    expect(t.textsOf(waiting)).toEqual(['U bent nummer 1 in de wachtrij. Uw verwachte wachttijd is ongeveer 3 minuten.']);
    expect(t.played.find((p) => p.callId === waiting)?.prompt).toMatchObject({ language: 'nl-BE' });
    t.dispose();
    // A language without built-in sentences falls back to English (the assembly reader refuses it without a text).
    const u = setup({ id: 'support', announce: { language: 'fr', expectedWait: false } }, []);
    const call = u.telephony.placeInboundCall({ talkMs: 60_000 });
    expect(u.textsOf(call)).toEqual(['You are number 1 in the queue.']);
    // … spoken as English, not by a French voice.
    expect(u.played.find((p) => p.callId === call)?.prompt).toMatchObject({ language: 'en' });
    u.dispose();
  });

  it('says nothing while an agent phone rings for the call, and stops when the caller hangs up', () => {
    const t = setup({ id: 'support', ringTimeoutMs: 15_000, announce: { everyMs: 10_000, onEntry: false } }, ['anna']);
    t.telephony.setEndpoint('agent:anna', { answers: false });
    const call = t.telephony.placeInboundCall({ talkMs: 10_000, patienceMs: 55_000 });
    t.clock.advance(10_000);
    expect(t.textsOf(call)).toHaveLength(1);
    t.router.login('anna'); // rings at 10 s for 15 s: the repeat due at 20 s is skipped
    t.clock.advance(14_000);
    expect(t.textsOf(call)).toHaveLength(1);
    t.clock.advance(1_000); // ring-no-answer at 25 s: anna is declined, the call waits again
    t.clock.advance(60_000);
    expect(t.played.filter((p) => p.callId === call).map((p) => p.at)).toEqual([10_000, 30_000, 40_000, 50_000]);
    expect(t.router.contact(call)).toBeUndefined();
    t.dispose();
  });

  it('refuses a malformed announcement configuration with a coded error', () => {
    const t = setup({ id: 'support' }, []);
    for (const announce of [{ everyMs: 10 }, { position: 'yes' }, { colour: 'red' }, { position: false, expectedWait: false }, { language: 'english please' }, 'always']) {
      expect(() => t.router.addQueue({ id: 'q2', announce } as never)).toThrow(expect.objectContaining({ code: 'CARUSO_COMMS_INVALID_QUEUE' }));
    }
    expect(t.router.queueIds()).toEqual(['support']);
    t.dispose();
  });
});
