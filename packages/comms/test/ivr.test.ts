import { TelephonyChannel } from '@caruso/comms/testing';
import { ivrSetup } from './ivr-helpers.js';

const agents = [
  { id: 'bea', queues: [{ queueId: 'billing' }], endpoint: 'sip:bea@pbx' },
  { id: 'fred', skills: { power: 3 }, queues: [{ queueId: 'faults' }], endpoint: 'sip:fred@pbx' },
  { id: 'gus', queues: [{ queueId: 'general' }, { queueId: 'faults' }], endpoint: 'sip:gus@pbx' },
];

describe('IVR through dialogue scripts (channel ivr)', () => {
  it('plays the prompts, collects keys and hands the call to the chosen queue with every collected variable', async () => {
    const t = ivrSetup({ agents });
    t.router.login('fred');
    t.router.login('gus');
    const callId = t.telephony.placeInboundCall({ from: '+3212345678', to: '0800-utility', talkMs: 60_000, keys: ['2', '123456#'] });
    await t.run(60_000);
    const texts = t.calls.filter((e) => e.type === 'prompt-finished').length;
    expect(texts).toBe(4); // welcome, menu, meter, hand-off
    const entered = (await t.log.read()).find((e) => e.kind === 'queue-entered');
    // The fault branch's hand-off gives the call priority 5 in its queue (the script's priority="5").
    expect(entered).toMatchObject({ contactId: callId, queueId: 'faults', priority: 5 });
    expect(entered?.data).toMatchObject({ requiredSkills: [{ skill: 'power', minLevel: 1 }], data: { menu: 'fault', meter: '123456', caller: '+3212345678', dialled: '0800-utility', ivrSessionId: `ivr-${callId}`, ivrScript: 'main-menu' } });
    // Only the agent with the power skill gets it, and sees the collected variables.
    expect(t.router.agent('fred').state).toBe('busy');
    expect(t.router.agent('gus').state).toBe('ready');
    const state = await t.engine.state(`ivr-${callId}`);
    expect(state.status).not.toBe('active');
    t.dispose();
  });

  it('a script that ends without a hand-off plays its goodbye and hangs up politely; nothing is queued', async () => {
    const t = ivrSetup({ agents });
    const callId = t.telephony.placeInboundCall({ from: '+3212000000', to: '0800-utility', talkMs: 60_000, keys: ['3'] });
    await t.run(60_000);
    const kinds = (await t.log.read()).map((e) => e.kind);
    expect(kinds).not.toContain('queue-entered');
    expect((await t.log.read()).find((e) => e.kind === 'disposition')).toMatchObject({ contactId: callId, reason: 'ivr-end', data: { outcome: 'heard-hours', script: 'main-menu' } });
    const hangup = t.calls.find((e) => e.type === 'hung-up');
    expect(hangup).toMatchObject({ callId, by: 'local', cause: 'ivr-end' });
    // The goodbye prompt finished before the hang-up.
    const lastPrompt = t.calls.map((e) => e.type).lastIndexOf('prompt-finished');
    expect(lastPrompt).toBeLessThan(t.calls.indexOf(hangup!));
    expect(t.telephony.activeCalls).toBe(0);
    t.dispose();
  });

  it('no input goes to the fallback queue after the attempts, carrying the variables', async () => {
    const t = ivrSetup({ agents });
    const callId = t.telephony.placeInboundCall({ from: '+3299', to: '0800-utility', talkMs: 60_000, keys: [] });
    await t.run(120_000);
    expect(t.router.contact(callId)).toMatchObject({ queueId: 'general', data: { caller: '+3299' } });
    t.dispose();
  });

  it('a caller hanging up in the IVR leaves a disposition and no queued contact', async () => {
    const t = ivrSetup({ agents });
    const callId = t.telephony.placeInboundCall({ from: '+3277', to: '0800-utility', talkMs: 60_000, patienceMs: 3_000, keys: ['1'] });
    await t.run(30_000);
    const events = await t.log.read();
    expect(events.map((e) => e.kind)).toEqual(['disposition']);
    expect(events[0]).toMatchObject({ contactId: callId, reason: 'ivr-hung-up', data: { script: 'main-menu' } });
    expect(t.router.contact(callId)).toBeUndefined();
    t.dispose();
  });

  it('a caller hanging up mid-script ends the dialogue session at once as abandoned at the question it was on', async () => {
    const t = ivrSetup({ agents });
    const start = t.clock.now();
    // Welcome (1.74 s), menu (6.6 s), key 2 (0.5 s), the meter prompt (2.52 s): at 12 s the caller is at the meter question.
    const callId = t.telephony.placeInboundCall({ from: '+3277', to: '0800-utility', talkMs: 60_000, patienceMs: 12_000, keys: ['2'] });
    await t.run(12_000);
    expect(t.clock.now()).toBe(start + 12_000);
    const state = await t.engine.state(`ivr-${callId}`);
    expect(state).toMatchObject({ status: 'abandoned', at: { script: 'main-menu', node: 'meter' }, vars: { menu: 'fault' }, updatedAt: new Date(start + 12_000).toISOString() });
    expect(await t.sessions.listActive()).toEqual([]);
    expect((await t.log.read()).map((e) => [e.kind, e.reason])).toEqual([['disposition', 'ivr-hung-up']]);
    // Nothing else happens to the session later.
    await t.run(60_000);
    expect((await t.engine.state(`ivr-${callId}`)).revision).toBe(state.revision);
    t.dispose();
  });

  it('the script is chosen by the dialled number; other numbers are queued at once', async () => {
    const t = ivrSetup({ agents });
    const callId = t.telephony.placeInboundCall({ from: '+3211', to: 'main', talkMs: 60_000 });
    expect(t.router.contact(callId)).toMatchObject({ queueId: 'general', state: 'queued', data: { caller: '+3211', dialled: 'main' } });
    expect(t.calls.filter((e) => e.type === 'prompt-finished')).toHaveLength(0);
    t.dispose();
  });

  it('the IVR session is durable state: a replacement channel resumes the call at the question it was on', async () => {
    const t = ivrSetup({ agents });
    t.router.login('bea');
    const callId = t.telephony.placeInboundCall({ from: '+3255', to: '0800-utility', talkMs: 60_000, keys: ['1'] });
    // Welcome (28 chars × 60 ms) has played; the menu prompt is playing.
    await t.run(2_000);
    const before = await t.engine.state(`ivr-${callId}`);
    expect(before).toMatchObject({ status: 'active', at: { node: 'menu' } });
    t.channel.dispose();
    const again = new TelephonyChannel({ router: t.router, telephony: t.telephony, defaultQueueId: 'general', dialogue: t.engine, scriptFor: () => 'main-menu' });
    again.resumeIvr(callId, { from: '+3255', to: '0800-utility' });
    for (let i = 0; i < 200 && t.router.contact(callId) === undefined; i++) {
      await again.settled();
      t.clock.runNext();
    }
    expect(t.router.contact(callId)).toMatchObject({ queueId: 'billing', data: { menu: 'billing' } });
    expect(t.router.agent('bea').state).toBe('busy');
    again.dispose();
    t.dispose();
  });
});
