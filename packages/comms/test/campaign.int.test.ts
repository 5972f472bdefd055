import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type StorageManager } from '@caruso/storage';
import { SimulatedTelephony, VirtualClock, type CampaignConfig } from '@caruso/comms';
import { CampaignDialer, CampaignStore, InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';

describe('outbound campaigns (SQLite, simulated adapter, virtual clock)', () => {
  let dir: string;
  let n = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-camp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function setup(agents: number, storage?: StorageManager, clock = new VirtualClock()) {
    const db = storage ?? (await createStorage(`sqlite:${join(dir, `c${++n}.db`)}`));
    const log = new InMemoryContactEventLog();
    const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
    const telephony = new SimulatedTelephony(clock);
    router.addQueue({ id: 'out' });
    for (let i = 1; i <= agents; i++) {
      router.addAgent({ id: `a${i}`, queues: [{ queueId: 'out' }] });
      router.login(`a${i}`);
    }
    const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'out' });
    const dialer = await CampaignDialer.open({ store: await CampaignStore.open(db), router, telephony, clock });
    const run = async (ms: number) => {
      const until = clock.now() + ms;
      for (let i = 0; i < 200_000; i++) {
        const next = clock.nextAt();
        if (next === undefined || next > until) break;
        clock.runNext();
        await dialer.settled();
      }
      clock.advance(Math.max(0, until - clock.now()));
      await dialer.settled();
    };
    const close = async () => {
      dialer.dispose();
      channel.dispose();
      router.dispose();
      telephony.dispose();
      if (!storage) await db.close();
    };
    return { db, clock, log, router, telephony, dialer, run, close };
  }

  it('progressive: one call per free agent, the do-not-call list checked before every dial, retries per result', async () => {
    const t = await setup(2);
    const config: CampaignConfig = { id: 'renewals', queueId: 'out', mode: 'progressive', retry: { busy: { afterMs: 600_000, maxAttempts: 2 } } };
    await t.dialer.createCampaign(config);
    await t.dialer.addTargets('renewals', ['+3201', '+3202', '+3203', '+3204', '+3205'].map((number, i) => ({ key: `cust-${i + 1}`, number })));
    await t.dialer.addDoNotCall(['+3203']);
    t.telephony.setDestination('+3204', { result: 'busy', resultAfterMs: 3_000 });
    for (const x of ['+3201', '+3202', '+3205']) t.telephony.setDestination(x, { resultAfterMs: 4_000, talkMs: 120_000 });
    await t.dialer.startCampaign('renewals');
    await t.run(15_000);
    // Two free agents: two dials at a time.
    expect(t.telephony.dialled.slice(0, 2)).toEqual(['+3201', '+3202']);
    await t.run(3 * 3_600_000);
    expect(t.telephony.dialled).not.toContain('+3203');
    expect(t.telephony.dialled.filter((x) => x === '+3204')).toHaveLength(2);
    expect(t.dialer.progress('renewals')).toMatchObject({ status: 'finished', targets: 5, done: 3, doNotCall: 1, failed: 1, answered: 3, dropped: 0 });
    const kinds = (await t.log.read()).map((e) => e.kind);
    expect(kinds.find((k) => k.startsWith('campaign-'))).toBe('campaign-started');
    expect(kinds.filter((k) => k === 'dial-attempt')).toHaveLength(5);
    expect(kinds.filter((k) => k === 'connected')).toHaveLength(3);
    await expect(t.dialer.startCampaign('renewals')).rejects.toMatchObject({ code: 'CARUSO_COMMS_CAMPAIGN_STATE' });
    await expect(t.dialer.createCampaign({ ...config, id: 'bad', mode: 'turbo' as never })).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CAMPAIGN' });
    await t.close();
  });

  it('predictive: pacing over-dials by the answer rate, and the drop-rate limit holds the drops down', async () => {
    const drops: number[] = [];
    const ratios: number[] = [];
    for (const maxDropRate of [1, 0.03]) {
      const t = await setup(3);
      await t.dialer.createCampaign({ id: 'p', queueId: 'out', mode: 'predictive', maxDropRate, initialRatio: 2.5, retry: { 'no-answer': { afterMs: 3_600_000, maxAttempts: 1 } } });
      const targets = Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, number: `+3280${String(i).padStart(4, '0')}` }));
      await t.dialer.addTargets('p', targets);
      targets.forEach((x, i) => t.telephony.setDestination(x.number, i % 2 === 0 ? { resultAfterMs: 6_000, talkMs: 90_000 } : { result: 'no-answer', resultAfterMs: 20_000 }));
      await t.dialer.startCampaign('p');
      await t.run(2 * 3_600_000);
      const p = t.dialer.progress('p');
      expect(p.dials).toBe(120);
      drops.push(p.dropRate);
      ratios.push(p.ratio);
      await t.close();
    }
    // Without a limit the over-dialling drops calls; with 3 % the pacing backs off and stays under it.
    expect(drops[0]).toBeGreaterThan(0.05);
    expect(drops[1]).toBeLessThanOrEqual(0.03);
    expect(ratios[1]).toBeLessThan(2.5);
  });

  it('a disposition set on its own (not by a wrap-up) is kept with the target and logged once with the campaign', async () => {
    const t = await setup(1);
    await t.dialer.createCampaign({ id: 'd', queueId: 'out', mode: 'preview' });
    await t.dialer.addTargets('d', [{ key: 'k1', number: '+32951' }]);
    await t.dialer.setDisposition('d', 'k1', 'wrong-number');
    const events = (await t.log.read()).filter((e) => e.kind === 'disposition');
    expect(events).toEqual([expect.objectContaining({ queueId: 'out', reason: 'wrong-number', data: { campaignId: 'd', target: 'k1' } })]);
    expect((await (await CampaignStore.open(t.db)).targets('d')).map((x) => [x.key, x.disposition])).toEqual([['k1', 'wrong-number']]);
    // keepDisposition (the wrap-up's half) keeps the code without a second event, and says when the target is unknown.
    await expect(t.dialer.keepDisposition('d', 'k1', 'sale')).resolves.toBe(true);
    await expect(t.dialer.keepDisposition('d', 'nobody', 'sale')).resolves.toBe(false);
    expect((await t.log.read()).filter((e) => e.kind === 'disposition')).toHaveLength(1);
    await expect(t.dialer.setDisposition('d', 'nobody', 'sale')).rejects.toMatchObject({ code: 'CARUSO_COMMS_INVALID_CAMPAIGN' });
    await t.close();
  });

  it('calling hours are read in each customer\'s time zone', async () => {
    const t = await setup(2);
    // 08:00 UTC on a Monday: 09:00 in Brussels, 03:00 in New York.
    await t.dialer.createCampaign({ id: 'tz', queueId: 'out', mode: 'progressive', callingHours: { days: { mon: [['09:00', '20:00']] } } });
    await t.dialer.addTargets('tz', [
      { key: 'ny', number: '+1212555', timeZone: 'America/New_York' },
      { key: 'be', number: '+3222555', timeZone: 'Europe/Brussels' },
    ]);
    await t.dialer.startCampaign('tz');
    await t.run(60_000);
    expect(t.telephony.dialled).toEqual(['+3222555']);
    await t.run(6 * 3_600_000);
    expect(t.telephony.dialled).toEqual(['+3222555', '+1212555']);
    await t.close();
  });

  it('campaign progress is durable: a paused campaign comes back paused after a restart and resumes', async () => {
    const storage = await createStorage(`sqlite:${join(dir, 'restart.db')}`);
    const clock = new VirtualClock();
    const first = await setup(1, storage, clock);
    await first.dialer.createCampaign({ id: 'r', queueId: 'out', mode: 'progressive' });
    await first.dialer.addTargets('r', [1, 2, 3].map((i) => ({ key: `k${i}`, number: `+3290${i}` })));
    await first.dialer.startCampaign('r');
    await first.run(70_000);
    await first.dialer.pauseCampaign('r');
    const before = first.dialer.progress('r');
    expect(before.done).toBeGreaterThanOrEqual(1);
    await first.close();
    const second = await setup(1, storage, clock);
    expect(second.dialer.progress('r')).toMatchObject({ status: 'paused', done: before.done, pending: before.pending });
    await second.dialer.startCampaign('r');
    await second.run(3_600_000);
    expect(second.dialer.progress('r')).toMatchObject({ status: 'finished', done: 3 });
    await second.close();
    await storage.close();
  });

  it('a pacing round still waiting on the store when the dialer is disposed dials nothing and schedules no next round', async () => {
    const storage = await createStorage(`sqlite:${join(dir, 'dispose.db')}`);
    const clock = new VirtualClock();
    const store = await CampaignStore.open(storage);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const realCheck = store.isDoNotCall.bind(store);
    let checks = 0;
    store.isDoNotCall = async (n: string) => {
      checks++;
      await gate;
      return realCheck(n);
    };
    const log = new InMemoryContactEventLog();
    const router = new QueueRouter({ clock, events: log, idPrefix: 'd' });
    const telephony = new SimulatedTelephony(clock);
    router.addQueue({ id: 'out' });
    router.addAgent({ id: 'a1', queues: [{ queueId: 'out' }] });
    router.login('a1');
    const dialer = await CampaignDialer.open({ store, router, telephony, clock });
    await dialer.createCampaign({ id: 'g', queueId: 'out', mode: 'progressive' });
    await dialer.addTargets('g', [{ key: 'k1', number: '+32911' }]);
    await dialer.startCampaign('g');
    clock.runNext(); // the pacing round starts and waits on the do-not-call check
    for (let i = 0; i < 50 && checks === 0; i++) await new Promise<void>((r) => setImmediate(r));
    expect(checks).toBe(1);
    dialer.dispose();
    release();
    await dialer.settled();
    expect(telephony.dialled).toEqual([]);
    expect(clock.nextAt()).toBeUndefined();
    router.dispose();
    telephony.dispose();
    await storage.close();
  });
});
