import { containPromise, Disposable, silentLogger, type Logger } from '@caruso/kernel';
import type { Clock, Timer } from '../contract/clock.js';
import { CommsErrors } from '../errors.js';
import { DIALABLE } from '../internal/validate.js';
import { isOpen, isTimeZone, weeklyHoursProblem, type WeeklyHours } from '../acd/opening-hours.js';
import type { QueueRouter } from '../acd/queue-router.js';
import type { TelephonyAdapter, TelephonyEvent } from '../contract/telephony-adapter.js';
import type { CampaignStore, CampaignTarget } from './campaign-store.js';

/** How the dialer paces calls. */
export type DialerMode = 'preview' | 'progressive' | 'predictive';

/** A dial result that can be retried. */
export type RetryableResult = 'busy' | 'no-answer' | 'machine' | 'failed';

/** The configuration of an outbound campaign. */
export interface CampaignConfig {
  readonly id: string;
  /** The agents' queue: answered calls (or preview contacts) wait there. */
  readonly queueId: string;
  readonly mode: DialerMode;
  /** The dialogue script the agent runs (carried in the contact data as `script`). */
  readonly script?: string;
  /** Predictive: the highest share of answered calls dropped for want of an agent (default 0.03). */
  readonly maxDropRate?: number;
  /** Predictive: calls per free agent at the start (default 1.5; adapts to the answer rate). */
  readonly initialRatio?: number;
  /** An answered call with no agent within this time is dropped (default 2 s). */
  readonly dropAfterMs?: number;
  /** Retry rules per result: wait, and the most attempts in all (default 3 attempts, 30 min apart). */
  readonly retry?: Partial<Readonly<Record<RetryableResult, { readonly afterMs: number; readonly maxAttempts: number }>>>;
  /** Calling hours, read in each target's own time zone. */
  readonly callingHours?: Omit<WeeklyHours, 'timeZone'>;
  /** Time zone of targets that give none. */
  readonly timeZone?: string;
  /** Our number shown to the customer. */
  readonly callerId?: string;
  /** How long a dialled number may ring (default 25 s). */
  readonly ringTimeoutMs?: number;
}

/** Per-campaign progress. */
export interface CampaignProgress {
  readonly id: string;
  readonly status: 'created' | 'running' | 'paused' | 'stopped' | 'finished';
  readonly targets: number;
  readonly pending: number;
  readonly done: number;
  readonly doNotCall: number;
  readonly failed: number;
  readonly dials: number;
  readonly answered: number;
  readonly dropped: number;
  /** Dropped / answered (0 before the first answer). */
  readonly dropRate: number;
  /** The current calls per free agent (predictive). */
  readonly ratio: number;
}

interface Live {
  config: CampaignConfig;
  status: CampaignProgress['status'];
  targets: Map<string, CampaignTarget>;
  dials: number;
  answered: number;
  dropped: number;
  ratio: number;
  inflight: number;
}

const PACE_MS = 1_000;

/**
 * The outbound dialer: campaigns of targets (customers with a number and a time zone), dialled in
 * preview, progressive or predictive mode through the telephony adapter; answered calls join the
 * campaign's queue as outbound `call` contacts and reach agents through the router.
 *
 * Every decision is made durable first: a target's attempt is written before its number is dialled,
 * a campaign's status before its event; after a restart {@link CampaignDialer.open} reloads the
 * campaigns and running ones go on (a target that was being dialled counts that attempt and is
 * retried by its rule).
 *
 * Predictive pacing: `ratio` calls per free agent, set from the answer rate seen so far (1 / rate),
 * lowered while the drop rate is above the maximum, never below 1.
 */
export class CampaignDialer extends Disposable {
  private readonly live = new Map<string, Live>();
  private readonly calls = new Map<string, { campaignId: string; key: string; drop: Timer | undefined }>();
  private timer: Timer | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly log: Logger;

  private constructor(
    private readonly db: CampaignStore,
    private readonly router: QueueRouter,
    private readonly telephony: TelephonyAdapter,
    private readonly clock: Clock,
    log: Logger | undefined,
  ) {
    super();
    this.log = log ?? silentLogger();
    this.register(telephony.onDidEvent((e) => this.onTelephony(e)));
    this.register(
      router.onDidConnect((c) => {
        const call = this.calls.get(c.contactId);
        if (call?.drop) {
          call.drop.dispose();
          call.drop = undefined;
        }
      }),
    );
  }

  /** Opens the dialer on its store and resumes the campaigns that were running. */
  static async open(options: { store: CampaignStore; router: QueueRouter; telephony: TelephonyAdapter; clock: Clock; logger?: Logger }): Promise<CampaignDialer> {
    const d = new CampaignDialer(options.store, options.router, options.telephony, options.clock, options.logger);
    for (const c of await options.store.campaigns()) {
      const config = c.config as CampaignConfig;
      const targets = new Map<string, CampaignTarget>();
      for (const t of await options.store.targets(c.id)) {
        // A dial that was in flight when the process stopped: the attempt counted; retry it by its rule.
        const fixed = t.state === 'dialling' ? { ...t, state: 'pending' as const, nextAt: options.clock.now() } : t;
        if (t.state === 'dialling') await options.store.updateTarget(c.id, t.key, { state: 'pending', nextAt: fixed.nextAt });
        targets.set(t.key, fixed);
      }
      d.live.set(c.id, { config, status: c.status as CampaignProgress['status'], targets, dials: 0, answered: 0, dropped: 0, ratio: config.initialRatio ?? 1.5, inflight: 0 });
    }
    d.arm();
    return d;
  }

  /** Creates a campaign (CARUSO_COMMS_INVALID_CAMPAIGN, CARUSO_COMMS_DUPLICATE). */
  async createCampaign(config: CampaignConfig): Promise<void> {
    validateCampaign(config, this.router);
    if (this.live.has(config.id)) throw CommsErrors.CARUSO_COMMS_DUPLICATE({ what: 'campaign', id: config.id });
    await this.track(this.db.saveCampaign(config.id, 'created', config));
    this.live.set(config.id, { config, status: 'created', targets: new Map(), dials: 0, answered: 0, dropped: 0, ratio: config.initialRatio ?? 1.5, inflight: 0 });
  }

  /**
   * Adds customers to call (e.g. the rows of a business-object query mapped to `{ key, number, timeZone }`).
   * Returns how many were new.
   */
  async addTargets(campaignId: string, targets: ReadonlyArray<{ readonly key: string; readonly number: string; readonly timeZone?: string }>): Promise<number> {
    const c = this.campaign(campaignId);
    const list = targets.map((t, i) => {
      if (typeof t?.key !== 'string' || t.key.length === 0 || typeof t.number !== 'string' || !DIALABLE.test(t.number)) {
        throw CommsErrors.CARUSO_COMMS_INVALID_CAMPAIGN({ campaign: campaignId, reason: `target ${i} needs a key and a dialable number` });
      }
      const timeZone = t.timeZone ?? c.config.timeZone ?? 'UTC';
      if (!isTimeZone(timeZone)) throw CommsErrors.CARUSO_COMMS_INVALID_CAMPAIGN({ campaign: campaignId, reason: `target ${i}: unknown time zone ${JSON.stringify(timeZone)}` });
      return { key: t.key, number: t.number, timeZone };
    });
    const added = await this.track(this.db.addTargets(campaignId, list, this.clock.now()));
    for (const t of await this.track(this.db.targets(campaignId))) if (!c.targets.has(t.key)) c.targets.set(t.key, t);
    return added;
  }

  /** Adds numbers to the do-not-call list (checked before every dial). */
  async addDoNotCall(numbers: readonly string[]): Promise<void> {
    await this.track(this.db.addDoNotCall(numbers));
  }

  startCampaign = (id: string): Promise<void> => this.setStatus(id, 'running', 'campaign-started');
  pauseCampaign = (id: string): Promise<void> => this.setStatus(id, 'paused', 'campaign-paused');
  stopCampaign = (id: string): Promise<void> => this.setStatus(id, 'stopped', 'campaign-stopped');

  /**
   * A disposition of a campaign target given outside an agent's wrap-up (e.g. set by a supervisor):
   * kept with the target and logged as a `disposition` event with `data.campaignId` and `data.target`.
   * Throws CARUSO_COMMS_UNKNOWN_CAMPAIGN or CARUSO_COMMS_INVALID_CAMPAIGN (no such target).
   * Note: the wrap-up of a campaign call logs its own disposition (with the campaign and target);
   * it keeps the code with {@link keepDisposition}, so the call is not counted twice.
   */
  async setDisposition(campaignId: string, key: string, disposition: string): Promise<void> {
    const c = this.campaign(campaignId);
    if (!c.targets.has(key)) throw CommsErrors.CARUSO_COMMS_INVALID_CAMPAIGN({ campaign: campaignId, reason: `no target ${key}` });
    await this.keepDisposition(campaignId, key, disposition);
    this.router.appendEvent({ kind: 'disposition', at: this.clock.now(), queueId: c.config.queueId, reason: disposition, data: { campaignId, target: key } });
  }

  /**
   * Keeps the disposition of a campaign call with its target without logging an event (the wrap-up
   * that gave it logged one). Returns false, changing nothing, when the campaign or the target is
   * not known (any more) to this dialer.
   */
  async keepDisposition(campaignId: string, key: string, disposition: string): Promise<boolean> {
    const c = this.live.get(campaignId);
    const t = c?.targets.get(key);
    if (!c || !t) return false;
    await this.track(this.db.updateTarget(campaignId, key, { disposition }));
    c.targets.set(key, { ...t, disposition });
    return true;
  }

  /** Ids of the campaigns (created, or reloaded after a restart), in creation order. */
  campaignIds(): string[] {
    return [...this.live.keys()];
  }

  progress(id: string): CampaignProgress {
    const c = this.campaign(id);
    const count = (s: string): number => [...c.targets.values()].filter((t) => t.state === s).length;
    return {
      id,
      status: c.status,
      targets: c.targets.size,
      pending: count('pending') + count('dialling'),
      done: count('done'),
      doNotCall: count('dnc'),
      failed: count('failed'),
      dials: c.dials,
      answered: c.answered,
      dropped: c.dropped,
      dropRate: c.answered === 0 ? 0 : c.dropped / c.answered,
      ratio: c.ratio,
    };
  }

  /** Resolves when no store write of the dialer is pending (tests on a virtual clock). */
  async settled(): Promise<void> {
    for (let i = 0; i < 1_000; i++) {
      await new Promise<void>((r) => setImmediate(r));
      if (this.inflight.size === 0) return;
      await Promise.allSettled([...this.inflight]);
    }
  }

  override dispose(): void {
    this.timer?.dispose();
    this.timer = undefined;
    for (const c of this.calls.values()) c.drop?.dispose();
    super.dispose();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  private campaign(id: string): Live {
    const c = this.live.get(id);
    if (!c) throw CommsErrors.CARUSO_COMMS_UNKNOWN_CAMPAIGN({ campaign: id });
    return c;
  }

  private async setStatus(id: string, status: 'running' | 'paused' | 'stopped', kind: 'campaign-started' | 'campaign-paused' | 'campaign-stopped'): Promise<void> {
    const c = this.campaign(id);
    if (c.status === 'stopped' || c.status === 'finished') throw CommsErrors.CARUSO_COMMS_CAMPAIGN_STATE({ campaign: id, action: status === 'running' ? 'start' : status === 'paused' ? 'pause' : 'stop', state: c.status });
    await this.track(this.db.setStatus(id, status));
    c.status = status;
    this.router.appendEvent({ kind, at: this.clock.now(), queueId: c.config.queueId, reason: c.config.mode, data: { campaignId: id } });
    this.arm();
  }

  private arm(): void {
    // Never after dispose: a pacing round still running at stop must not schedule the next one
    // (it would read a store that is closed, or a database that is gone).
    if (this.isDisposed || this.timer || ![...this.live.values()].some((c) => c.status === 'running')) return;
    this.timer = this.clock.setTimer(PACE_MS, () => {
      this.timer = undefined;
      void this.track(this.pace())
        .catch((err: unknown) => {
          if (!this.isDisposed) this.log.error({ err }, 'campaign pacing round failed; next round as usual');
        })
        .finally(() => this.arm());
    });
  }

  /** One pacing round over the running campaigns. */
  private async pace(): Promise<void> {
    const now = this.clock.now();
    for (const [id, c] of this.live) {
      if (this.isDisposed) return;
      if (c.status !== 'running') continue;
      const status = this.router.queueStatus(c.config.queueId);
      const free = Math.max(0, status.available - status.waiting);
      let want: number;
      if (c.config.mode === 'predictive') {
        const answerRate = c.dials >= 10 ? Math.max(0.05, c.answered / c.dials) : 1 / (c.config.initialRatio ?? 1.5);
        const maxDrop = c.config.maxDropRate ?? 0.03;
        const dropRate = c.answered === 0 ? 0 : c.dropped / c.answered;
        c.ratio = dropRate > maxDrop ? Math.max(1, c.ratio * 0.8) : Math.min(3, Math.max(1, (1 / answerRate + c.ratio) / 2));
        want = Math.floor(free * c.ratio) - c.inflight;
      } else {
        want = free - c.inflight;
      }
      const due = [...c.targets.values()].filter((t) => t.state === 'pending' && t.nextAt <= now).sort((a, b) => a.nextAt - b.nextAt || a.position - b.position);
      if (due.length === 0 && [...c.targets.values()].every((t) => t.state !== 'pending' && t.state !== 'dialling') && c.targets.size > 0 && c.inflight === 0) {
        await this.db.setStatus(id, 'finished');
        c.status = 'finished';
        this.router.appendEvent({ kind: 'campaign-stopped', at: now, queueId: c.config.queueId, reason: 'finished', data: { campaignId: id } });
        continue;
      }
      for (const t of due) {
        if (want <= 0 || this.isDisposed) break;
        if (c.config.callingHours && !isOpen({ ...c.config.callingHours, timeZone: t.timeZone }, now)) continue;
        const doNotCall = await this.db.isDoNotCall(t.number);
        if (this.isDisposed) return; // stopped while the store answered: nothing more is written or dialled
        if (doNotCall) {
          await this.db.updateTarget(id, t.key, { state: 'dnc' });
          c.targets.set(t.key, { ...t, state: 'dnc' });
          this.router.appendEvent({ kind: 'dial-result', at: now, queueId: c.config.queueId, reason: 'do-not-call', data: { campaignId: id, target: t.key } });
          continue;
        }
        const attempts = t.attempts + 1;
        // Durable before dialling: the attempt is counted even if the process dies mid-call.
        await this.db.updateTarget(id, t.key, { state: 'dialling', attempts });
        c.targets.set(t.key, { ...t, state: 'dialling', attempts });
        // Stopped during that write: the attempt stays counted and is retried by its rule after a restart.
        if (this.isDisposed) return;
        want--;
        if (c.config.mode === 'preview') {
          // The agent sees the customer first; accepting the callback contact dials the number.
          this.router.enqueue({ id: `${id}:${t.key}:${attempts}`, channel: 'callback', direction: 'outbound', queueId: c.config.queueId, data: { campaignId: id, target: t.key, callbackNumber: t.number, ...(c.config.script ? { script: c.config.script } : {}) } });
          await this.db.updateTarget(id, t.key, { state: 'done', lastResult: 'previewed' });
          c.targets.set(t.key, { ...t, state: 'done', attempts, lastResult: 'previewed' });
          continue;
        }
        const callId = this.telephony.originate(t.number, { callerId: c.config.callerId ?? 'caruso', timeoutMs: c.config.ringTimeoutMs ?? 25_000 });
        this.calls.set(callId, { campaignId: id, key: t.key, drop: undefined });
        c.dials++;
        c.inflight++;
        this.router.appendEvent({ kind: 'dial-attempt', at: now, contactId: callId, queueId: c.config.queueId, direction: 'outbound', data: { campaignId: id, target: t.key, attempt: attempts } });
      }
    }
  }

  private onTelephony(e: TelephonyEvent): void {
    if (e.type !== 'originate-result') return;
    const call = this.calls.get(e.callId);
    if (!call) return;
    const c = this.live.get(call.campaignId);
    if (!c) {
      this.log.warn({ campaign: call.campaignId }, 'dial result for a campaign that is gone');
      return;
    }
    c.inflight = Math.max(0, c.inflight - 1);
    const now = this.clock.now();
    const t = c.targets.get(call.key)!;
    this.router.appendEvent({ kind: 'dial-result', at: now, contactId: e.callId, queueId: c.config.queueId, reason: e.result, data: { campaignId: call.campaignId, target: call.key } });
    if (e.result === 'answered') {
      c.answered++;
      c.targets.set(t.key, { ...t, state: 'done', lastResult: 'answered' });
      containPromise('caruso.comms/campaigns', this.track(this.db.updateTarget(call.campaignId, t.key, { state: 'done', lastResult: 'answered' })));
      this.router.enqueue({ id: e.callId, channel: 'call', direction: 'outbound', queueId: c.config.queueId, priority: 100, data: { campaignId: call.campaignId, target: t.key, number: t.number, ...(c.config.script ? { script: c.config.script } : {}) } });
      if (this.router.contact(e.callId)?.state === 'queued') {
        call.drop = this.clock.setTimer(c.config.dropAfterMs ?? 2_000, () => {
          call.drop = undefined;
          if (this.router.contact(e.callId)?.state !== 'queued') return;
          c.dropped++;
          this.router.appendEvent({ kind: 'dial-drop', at: this.clock.now(), contactId: e.callId, queueId: c.config.queueId, data: { campaignId: call.campaignId, target: t.key } });
          this.router.exit(e.callId, 'timeout');
        });
      }
      return;
    }
    this.calls.delete(e.callId);
    if (e.result === 'machine') this.telephony.hangUp(e.callId, 'machine');
    const rule = c.config.retry?.[e.result] ?? { afterMs: 1_800_000, maxAttempts: 3 };
    const next = t.attempts < rule.maxAttempts ? { state: 'pending' as const, nextAt: now + rule.afterMs, lastResult: e.result } : { state: 'failed' as const, lastResult: e.result };
    c.targets.set(t.key, { ...t, ...next });
    containPromise('caruso.comms/campaigns', this.track(this.db.updateTarget(call.campaignId, t.key, next)));
  }
}

function validateCampaign(config: CampaignConfig, router: QueueRouter): void {
  const id = typeof config?.id === 'string' ? config.id : '?';
  const bad = (reason: string): never => {
    throw CommsErrors.CARUSO_COMMS_INVALID_CAMPAIGN({ campaign: id, reason });
  };
  if (typeof config !== 'object' || config === null) bad('the configuration must be an object');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) bad("'id' must be letters, digits and . _ - (at most 64)");
  if (!router.queueIds().includes(config.queueId)) bad(`'queueId' ${JSON.stringify(config.queueId)} is not a queue`);
  if (!['preview', 'progressive', 'predictive'].includes(config.mode)) bad("'mode' must be preview, progressive or predictive");
  if (config.maxDropRate !== undefined && (typeof config.maxDropRate !== 'number' || config.maxDropRate < 0 || config.maxDropRate > 1)) bad("'maxDropRate' must be between 0 and 1");
  if (config.initialRatio !== undefined && (typeof config.initialRatio !== 'number' || config.initialRatio < 1 || config.initialRatio > 5)) bad("'initialRatio' must be between 1 and 5");
  if (config.timeZone !== undefined && !isTimeZone(config.timeZone)) bad(`unknown time zone ${JSON.stringify(config.timeZone)}`);
  if (config.callingHours !== undefined) {
    const p = weeklyHoursProblem({ ...config.callingHours, timeZone: 'UTC' });
    if (p) bad(`callingHours: ${p}`);
  }
  for (const [result, rule] of Object.entries(config.retry ?? {})) {
    if (!['busy', 'no-answer', 'machine', 'failed'].includes(result)) bad(`retry: unknown result '${result}'`);
    if (typeof rule?.afterMs !== 'number' || rule.afterMs < 0 || !Number.isInteger(rule.maxAttempts) || rule.maxAttempts < 1) bad(`retry.${result} must be { afterMs >= 0, maxAttempts >= 1 }`);
  }
}
