import { containPromise, Disposable, silentLogger, type Logger } from '@caruso/kernel';
import type { DialogueEngine, Variables } from '@caruso/dialogue';
import type { OutboundMail } from '../email/outbound-mail.js';
import { CallEventWaiter, runIvrCall, type IvrOutcome } from './ivr/ivr-call.js';
import type { ContactConnected, ContactExit, LineCommand, QueueAnnouncement, QueueRouter } from '../acd/queue-router.js';
import type { Prompt, Recording, TelephonyAdapter, TelephonyEvent } from '../contract/telephony-adapter.js';
import type { VoicemailStore } from './voicemail/voicemail-store.js';
import { isOpen, nextOpening, type WeeklyHours } from '../acd/opening-hours.js';
import { builtInLanguage, queueAnnouncementTemplate } from './announcement-texts.js';

/** Options of a {@link TelephonyChannel}. */
export interface TelephonyChannelOptions {
  readonly router: QueueRouter;
  readonly telephony: TelephonyAdapter;
  /** The queue of an inbound call, by dialled number (default: `defaultQueueId`). */
  readonly queueFor?: (call: { readonly from: string; readonly to: string }) => string | undefined;
  /** Queue for calls `queueFor` does not place. */
  readonly defaultQueueId: string;
  /** The endpoint of an agent without one configured (default `agent:<id>`). */
  readonly endpointOf?: (agentId: string) => string;
  readonly logger?: Logger;
  /**
   * The IVR: the dialogue engine (through the service manager) and the script an inbound call runs
   * first, chosen by dialled number or queue. Without a script the call is queued at once.
   */
  readonly dialogue?: DialogueEngine;
  readonly scriptFor?: (call: { readonly from: string; readonly to: string; readonly queueId: string }) => string | undefined;
  /** How long the IVR waits for keys (default 5 s). */
  readonly keyTimeoutMs?: number;
  /** Where voicemails are stored; without it a voicemail exit only hangs up (with a warning). */
  readonly voicemail?: VoicemailStore;
  /** The queue voicemail callbacks wait in (default: a queue's `voicemailQueueId`, else `voicemail`). */
  readonly voicemailQueueId?: string;
  /** Longest message, ms (default 120 s). */
  readonly voicemailMaxMs?: number;
  /** Sends the voicemail notification (optional: without it the notification is only logged). */
  readonly mail?: OutboundMail;
  /** Who gets voicemail notifications, per queue (undefined: nobody). */
  readonly notifyTo?: (queueId: string) => string | readonly string[] | undefined;
  /**
   * The priority of a call entering `queueId` (over the router's default 0): the entry point's
   * (`call.to`) or the queue's. Voicemail callbacks get their callback queue's (no call is given).
   */
  readonly priorityFor?: (queueId: string, call?: { readonly from: string; readonly to: string }) => number | undefined;
  /**
   * The opening hours of a queue, when it has any: a voicemail callback for a queue that is closed
   * when the message is left waits as a scheduled callback until the queue next opens.
   */
  readonly hoursOf?: (queueId: string) => WeeklyHours | undefined;
  /** Our number shown on outbound calls (default `caruso`). */
  readonly callerId?: string;
  /** Attempts of a callback that does not reach the customer (default 3), and the gap between them (default 15 min). */
  readonly callbackAttempts?: number;
  readonly callbackRetryMs?: number;
  /** Makes the router's events durable (the service passes the log's flush); awaited before a voicemail is confirmed. */
  readonly commit?: () => Promise<void>;
  /** Texts spoken by the channel itself. */
  readonly prompts?: { readonly leaveMessage?: string; readonly messageSaved?: string };
}

interface Ringing {
  readonly offerId: string;
  readonly callId: string;
  readonly endpoint: string;
}

interface CallInfo {
  readonly from: string;
  readonly to: string;
}

/** An outbound leg dialled for a callback contact. */
interface CallbackLeg {
  readonly contactId: string;
  readonly agentId: string;
  readonly queueId: string;
  readonly endpoint: string;
  readonly number: string;
  readonly data: Readonly<Record<string, unknown>>;
  bridged: boolean;
  /** An agent's manual dial (not a callback: no attempts, no retry). */
  readonly manual: boolean;
}

/**
 * Connects a telephony adapter to the router: an inbound call first runs its IVR script (when one
 * is configured), then becomes a `call` contact (its id is the call id) with every collected
 * variable; an offer rings the agent's endpoint, the endpoint answering connects the contact, a
 * hang-up completes or abandons it. A contact leaving its queue for voicemail leaves a message; one
 * leaving after hours hears the queue's message; otherwise it is hung up. When an agent accepts a
 * callback, the customer is dialled and bridged to the agent. Hold, transfer out and conference
 * asked of the router are carried out on the line.
 */
/** Who owns the faults contained here (rule 10). */
const OWNER = 'caruso.comms/telephony';

export class TelephonyChannel extends Disposable {
  private readonly ringing = new Map<string, Ringing>();
  private readonly logger: Logger;
  private readonly waiter = new CallEventWaiter();
  private readonly calls = new Map<string, CallInfo>();
  private readonly legs = new Map<string, CallbackLeg>();
  private readonly legOfContact = new Map<string, string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private disposed = false;

  constructor(private readonly options: TelephonyChannelOptions) {
    super();
    this.logger = options.logger ?? silentLogger();
    const { router, telephony } = options;
    this.register(telephony.onDidEvent((e) => this.onTelephony(e)));
    this.register(
      router.onDidOffer((o) => {
        if (o.channel !== 'call') return;
        const endpoint = o.endpoint ?? this.endpointOf(o.agentId);
        this.ringing.set(ringKey(o.contactId, endpoint), { offerId: o.offerId, callId: o.contactId, endpoint });
        telephony.bridge(o.contactId, endpoint, { ringTimeoutMs: o.ringTimeoutMs });
      }),
    );
    this.register(
      router.onDidWithdrawOffer(({ offer }) => {
        if (offer.channel !== 'call') return;
        const endpoint = offer.endpoint ?? this.endpointOf(offer.agentId);
        if (this.ringing.delete(ringKey(offer.contactId, endpoint))) telephony.cancelBridge(offer.contactId, endpoint);
      }),
    );
    this.register(router.onDidExit((e) => this.onExit(e)));
    this.register(router.onDidConnect((c) => this.onConnect(c)));
    this.register(router.onDidLineCommand((c) => this.onLineCommand(c)));
    this.register(router.onDidAnnounce((a) => this.onAnnounce(a)));
  }

  /**
   * Resolves when no IVR, voicemail or callback work waits on the dialogue engine, the store or
   * the log (tests on a virtual clock call it after advancing the clock).
   */
  async settled(): Promise<void> {
    for (let i = 0; i < 1_000; i++) {
      if (this.inflight.size === 0) {
        await new Promise<void>((r) => setImmediate(r));
        if (this.inflight.size === 0) return;
      }
      await Promise.allSettled([...this.inflight]);
    }
  }

  /**
   * Continues the IVR of a call that is still up after this channel replaced another (the dialogue
   * session `ivr-<callId>` was saved after every step).
   */
  resumeIvr(callId: string, call: { readonly from: string; readonly to: string }): void {
    this.calls.set(callId, call);
    const queueId = this.options.queueFor?.(call) ?? this.options.defaultQueueId;
    this.startIvr(callId, call, queueId, '', true);
  }

  /**
   * Hangs up the line of a call contact (the inbound call, or the leg dialled for a callback), when
   * it is still up. The service completes the contact first, so the hang-up event finds it ended.
   */
  hangUpLine(contactId: string, cause = 'agent-hung-up'): void {
    const { telephony } = this.options;
    const callId = this.callOf(contactId);
    if (telephony.isActive?.(callId) ?? true) telephony.hangUp(callId, cause);
  }

  override dispose(): void {
    this.disposed = true;
    this.waiter.cancelAll();
    super.dispose();
  }

  private endpointOf(agentId: string): string {
    return this.options.endpointOf?.(agentId) ?? `agent:${agentId}`;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  private commit(): Promise<void> {
    return this.track(this.options.commit?.() ?? Promise.resolve());
  }

  /**
   * Makes a change from a telephony event durable without an acknowledgement to wait for: a failed
   * write is logged and counted (the events stay buffered for the next flush), never an unhandled
   * rejection that would end the process.
   */
  private commitInBackground(): void {
    containPromise(OWNER, this.commit());
  }

  private onTelephony(e: TelephonyEvent): void {
    if (this.waiter.deliver(e) && e.type !== 'hung-up') return;
    const { router, telephony } = this.options;
    switch (e.type) {
      case 'call-offered': {
        const call = { from: e.from, to: e.to };
        this.calls.set(e.callId, call);
        const queueId = this.options.queueFor?.(call) ?? this.options.defaultQueueId;
        telephony.answer(e.callId);
        const script = this.options.dialogue ? this.options.scriptFor?.({ ...call, queueId }) : undefined;
        if (script) this.startIvr(e.callId, call, queueId, script, false);
        else this.queueCall(e.callId, queueId, { caller: e.from, dialled: e.to }, []);
        return;
      }
      case 'originate-result': {
        const leg = this.legs.get(e.callId);
        if (leg) this.onCallbackResult(e.callId, leg, e.result);
        return;
      }
      case 'bridged': {
        const leg = this.legs.get(e.callId);
        if (leg && !leg.bridged) {
          leg.bridged = true;
          if (leg.manual) return;
          router.appendEvent({ kind: 'callback-completed', at: this.now(), contactId: leg.contactId, queueId: leg.queueId, agentId: leg.agentId, channel: 'callback', reason: 'reached' });
          this.commitInBackground();
          return;
        }
        const r = this.ringing.get(ringKey(e.callId, e.endpoint));
        if (!r) return;
        this.ringing.delete(ringKey(e.callId, e.endpoint));
        router.accept(r.offerId);
        this.commitInBackground();
        return;
      }
      case 'bridge-failed': {
        const leg = this.legs.get(e.callId);
        if (leg) {
          // The agent did not pick up the customer we dialled: the customer is told and the callback retried.
          telephony.hangUp(e.callId, 'agent-unreachable');
          return;
        }
        const r = this.ringing.get(ringKey(e.callId, e.endpoint));
        if (!r) return;
        this.ringing.delete(ringKey(e.callId, e.endpoint));
        // Ringing or already accepted on the desktop: either way the agent's leg did not come up.
        router.agentLegFailed(r.offerId, e.cause);
        this.commitInBackground();
        return;
      }
      case 'consult-answered':
        router.consultAnswered(this.contactOf(e.callId));
        return;
      case 'consult-failed':
        router.consultFailed(this.contactOf(e.callId), e.cause);
        this.commitInBackground();
        return;
      case 'held':
      case 'unheld':
        if (e.by === 'customer') {
          // The customer's own hold is not the agent's hold (no hold time, no router change): logged.
          this.logger.info({ call: e.callId, contact: this.contactOf(e.callId) }, e.type === 'held' ? "the customer's phone put the call on hold" : "the customer's phone took the call off hold");
          return;
        }
      {
        const id = this.contactOf(e.callId);
        if (router.contact(id)?.state !== 'connected' || router.isHeld(id) === (e.type === 'held')) return;
        if (e.type === 'held') router.hold(id);
        else router.retrieve(id);
        return;
      }
      case 'hung-up': {
        this.calls.delete(e.callId);
        const leg = this.legs.get(e.callId);
        if (leg) {
          this.legs.delete(e.callId);
          this.legOfContact.delete(leg.contactId);
          const c = router.contact(leg.contactId);
          if (c?.state === 'connected') {
            if (!leg.bridged && !leg.manual) this.retryCallback(leg, 'agent-unreachable');
            router.complete(leg.contactId, e.by === 'remote' ? 'caller' : 'agent');
          }
          this.commitInBackground();
          return;
        }
        const c = router.contact(e.callId);
        if (!c) return;
        if (c.state === 'connected') router.complete(e.callId, e.by === 'remote' ? 'caller' : 'agent');
        else router.abandon(e.callId);
        this.commitInBackground();
        return;
      }
      default:
        return;
    }
  }

  private now(): number {
    // The router's clock is the one time source; it is not exposed, so use the event time of the log.
    return this.options.router.clockNow();
  }

  private contactOf(callId: string): string {
    return this.legs.get(callId)?.contactId ?? callId;
  }

  /** The line of a contact: the inbound call's id, or the leg dialled for a callback or a manual dial. */
  callOf(contactId: string): string {
    return this.legOfContact.get(contactId) ?? contactId;
  }

  // ---------------------------------------------------------------- IVR

  private startIvr(callId: string, call: CallInfo, queueId: string, script: string, resume: boolean): void {
    const engine = this.options.dialogue;
    if (!engine) return;
    const run = runIvrCall({
      engine,
      telephony: this.options.telephony,
      waiter: this.waiter,
      callId,
      sessionId: `ivr-${callId}`,
      script,
      vars: { caller: call.from, dialled: call.to },
      resume,
      ...(this.options.keyTimeoutMs === undefined ? {} : { keyTimeoutMs: this.options.keyTimeoutMs }),
      track: (p) => this.track(p),
    });
    // Only the engine's operations are tracked (see settled()); the run itself waits on the caller.
    void run.then(
        (outcome) => this.afterIvr(callId, call, queueId, outcome, script),
        (err: unknown) => {
          // A broken script must not strand the caller: they go to the queue of the number.
          this.logger.error({ err, call: callId }, 'IVR failed; the call is queued without it');
          if (!this.disposed && (this.options.telephony.isActive?.(callId) ?? true)) this.queueCall(callId, queueId, { caller: call.from, dialled: call.to }, []);
        },
      );
  }

  private afterIvr(callId: string, call: CallInfo, queueId: string, outcome: IvrOutcome, script: string): void {
    if (this.disposed) return;
    const { router, telephony } = this.options;
    // The customer's history names the self-service script the caller went through.
    const base = { caller: call.from, dialled: call.to, ivrSessionId: outcome.sessionId, ivrScript: script };
    switch (outcome.kind) {
      case 'handoff': {
        if (outcome.queueId === (this.options.voicemailQueueId ?? 'voicemail') && this.options.voicemail) {
          // The caller chose to leave a message (a hand-off to the voicemail queue itself).
          void this.leaveVoicemail({ contactId: callId, queueId, channel: 'call', reason: 'key', data: { ...toData(outcome.vars), ...base } }).catch((err: unknown) => {
            this.logger.error({ err, call: callId }, 'voicemail failed');
            telephony.hangUp(callId, 'voicemail-failed');
          });
          return;
        }
        const target = outcome.queueId && router.queueIds().includes(outcome.queueId) ? outcome.queueId : queueId;
        if (target !== outcome.queueId) this.logger.warn({ call: callId, queue: outcome.queueId }, 'IVR hand-off to an unknown queue; the call goes to the queue of its number');
        this.queueCall(callId, target, { ...toData(outcome.vars), ...base }, outcome.skills, outcome.priority);
        return;
      }
      case 'end':
        router.appendEvent({ kind: 'disposition', at: this.now(), contactId: callId, channel: 'call', reason: 'ivr-end', data: { outcome: outcome.outcome, script } });
        telephony.hangUp(callId, 'ivr-end');
        this.commitInBackground();
        return;
      case 'hung-up': {
        router.appendEvent({ kind: 'disposition', at: this.now(), contactId: callId, channel: 'call', reason: 'ivr-hung-up', data: { script } });
        // The caller left self-service: the session ends now as abandoned at the node it stood at,
        // so the abandon point is reported at once rather than when the session goes idle.
        const engine = this.options.dialogue;
        if (engine) {
          void this.track(engine.abandon(outcome.sessionId)).catch((err: unknown) => {
            this.logger.warn({ err, call: callId }, 'the IVR session of a caller who hung up could not be marked abandoned; it will count once idle');
          });
        }
        this.commitInBackground();
        return;
      }
    }
  }

  /** Queues an inbound call; `scriptPriority` (a script's `<handoff priority>`) wins over the entry point's. */
  private queueCall(callId: string, queueId: string, data: Record<string, unknown>, skills: readonly string[], scriptPriority?: number): void {
    const { router, telephony } = this.options;
    const call = this.calls.get(callId);
    const priority = scriptPriority ?? this.options.priorityFor?.(queueId, call);
    try {
      router.enqueue({
        id: callId, channel: 'call', queueId, data,
        ...(priority === undefined ? {} : { priority }),
        ...(skills.length ? { requiredSkills: skills.map((skill) => ({ skill, minLevel: 1 })) } : {}),
      });
      this.commitInBackground();
    } catch (err) {
      this.logger.error({ err, queue: queueId }, 'inbound call could not be queued; hanging up');
      telephony.hangUp(callId, 'not-queued');
    }
  }

  // ---------------------------------------------------------------- exits and voicemail

  private onExit(e: ContactExit): void {
    if (e.channel !== 'call') return;
    const { telephony } = this.options;
    if (e.reason === 'voicemail' || e.action?.action === 'voicemail') {
      void this.leaveVoicemail(e).catch((err: unknown) => {
        this.logger.error({ err, call: e.contactId }, 'voicemail failed');
        telephony.hangUp(e.contactId, 'voicemail-failed');
      });
      return;
    }
    if (e.action?.action === 'message') {
      containPromise(OWNER, this.sayAndHangUp(e.contactId, e.action.prompt, e.reason));
      return;
    }
    telephony.hangUp(e.contactId, e.reason);
  }

  private async sayAndHangUp(callId: string, text: string, cause: string): Promise<void> {
    const { telephony } = this.options;
    if (!(telephony.isActive?.(callId) ?? true)) return;
    const promptId = telephony.playPrompt(callId, { text });
    await this.waiter.wait(callId, (x) => x.type === 'prompt-finished' && x.promptId === promptId);
    telephony.hangUp(callId, cause);
  }

  private async leaveVoicemail(e: ContactExit): Promise<void> {
    const { router, telephony } = this.options;
    const store = this.options.voicemail;
    const callId = e.contactId;
    if (!store) {
      this.logger.warn({ queue: e.queueId }, 'voicemail asked but no voicemail store is configured; hanging up');
      telephony.hangUp(callId, e.reason);
      return;
    }
    if (!(telephony.isActive?.(callId) ?? true)) return;
    const promptId = telephony.playPrompt(callId, { text: this.options.prompts?.leaveMessage ?? 'Please leave a message after the tone.' });
    let ev = await this.waiter.wait(callId, (x) => x.type === 'prompt-finished' && x.promptId === promptId);
    if (ev.type === 'hung-up') return;
    telephony.record(callId, { maxMs: this.options.voicemailMaxMs ?? 120_000, beep: true });
    ev = await this.waiter.wait(callId, (x) => x.type === 'recording-finished');
    if (ev.type !== 'recording-finished') return;
    const recording: Recording = ev.recording;
    const audio = (await this.track(telephony.readRecording?.(recording) ?? Promise.resolve(new Uint8Array()))) ?? new Uint8Array();
    const from = typeof e.data['caller'] === 'string' ? e.data['caller'] : (this.calls.get(callId)?.from ?? 'anonymous');
    // Call ids may repeat across adapter restarts; the recording time makes the message id unique.
    const id = `vm-${callId}-${this.now().toString(36)}`;
    const message = { id, callId, from, queueId: e.queueId, recordedAt: this.now(), durationMs: recording.durationMs, mimeType: recording.mimeType ?? 'audio/wav', uri: recording.uri, audio };
    // Durable first: the message, then its events and the callback contact, then the caller hears it is saved.
    await this.track(store.save(message));
    const queueId = this.voicemailQueueFor(e.queueId);
    router.appendEvent({ kind: 'voicemail-left', at: this.now(), contactId: id, queueId: e.queueId, channel: 'call', reason: e.reason, talkMs: recording.durationMs, data: { callId, durationMs: recording.durationMs, bytes: audio.byteLength } });
    const priority = this.options.priorityFor?.(queueId);
    const data = { ...e.data, callbackNumber: from, voicemailId: id, originalContactId: callId };
    // A message left while the queue is closed is called back in its hours, not by whoever works late:
    // it waits as a scheduled callback (durable, recovered after a restart) until the queue next opens.
    const hours = this.options.hoursOf?.(queueId);
    const opens = hours && !isOpen(hours, this.now()) ? nextOpening(hours, this.now()) : undefined;
    try {
      if (opens !== undefined) router.scheduleCallback({ id, number: from, queueId, at: opens, ...(priority === undefined ? {} : { priority }), data });
      else router.enqueue({ id, channel: 'callback', direction: 'outbound', queueId, ...(priority === undefined ? {} : { priority }), data });
    } catch (err) {
      this.logger.error({ err, queue: queueId }, 'the voicemail callback could not be queued; the message is stored');
    }
    await this.commit();
    if (telephony.isActive?.(callId) ?? true) {
      const thanks = telephony.playPrompt(callId, { text: this.options.prompts?.messageSaved ?? 'Thank you, your message is saved. Goodbye.' });
      const done = await this.waiter.wait(callId, (x) => x.type === 'prompt-finished' && x.promptId === thanks);
      if (done.type !== 'hung-up') telephony.hangUp(callId, 'voicemail');
    }
    await this.track(this.notify(message, queueId));
  }

  private voicemailQueueFor(queueId: string): string {
    const { router } = this.options;
    const candidates = [router.voicemailQueueOf(queueId), this.options.voicemailQueueId, 'voicemail'];
    for (const q of candidates) if (q && router.queueIds().includes(q)) return q;
    return queueId;
  }

  private async notify(m: { readonly id: string; readonly from: string; readonly queueId: string; readonly durationMs: number; readonly mimeType: string; readonly audio: Uint8Array }, callbackQueue: string): Promise<void> {
    const { router } = this.options;
    const to = this.options.notifyTo?.(m.queueId);
    if (!to) return;
    const mail = this.options.mail;
    if (!mail) {
      this.logger.info({ voicemail: m.id, queue: m.queueId }, 'voicemail notification not sent: no OutboundMail service is registered');
      return;
    }
    try {
      const sent = await this.track(mail.sendMail({
        to,
        subject: `Voicemail for ${m.queueId} (${Math.round(m.durationMs / 1000)} s)`,
        text: `A caller left a message of ${Math.round(m.durationMs / 1000)} seconds in queue ${m.queueId}.\nCall back: ${m.from}\nThe callback waits in queue ${callbackQueue} as contact ${m.id}.\n`,
        attachments: [{ filename: `${m.id}.wav`, content: m.audio, contentType: m.mimeType }],
      }));
      router.appendEvent({ kind: 'voicemail-notified', at: this.now(), contactId: m.id, queueId: m.queueId, channel: 'call', data: { messageId: sent.messageId } });
      await this.commit();
    } catch (err) {
      this.logger.error({ err, voicemail: m.id }, 'voicemail notification failed; the message is stored and queued');
    }
  }

  // ---------------------------------------------------------------- callbacks

  private onConnect(c: ContactConnected): void {
    // An attended transfer hands over a line that is up already.
    if (c.via === 'transfer') return;
    const manual = c.channel === 'call' && c.data['manualDial'] === true;
    if (c.channel !== 'callback' && !manual) return;
    const number = c.data['callbackNumber'];
    if (typeof number !== 'string') {
      this.logger.warn({ contact: c.contactId }, 'callback without a callbackNumber; the agent handles it by hand');
      return;
    }
    const { router, telephony } = this.options;
    const endpoint = c.endpoint ?? this.endpointOf(c.agentId);
    const attempt = Number(c.data['attempt'] ?? 1);
    if (!manual) router.appendEvent({ kind: 'callback-attempted', at: this.now(), contactId: c.contactId, queueId: c.queueId, agentId: c.agentId, channel: 'callback', data: { attempt } });
    const callId = telephony.originate(number, { callerId: this.options.callerId ?? 'caruso', timeoutMs: 30_000 });
    const leg: CallbackLeg = { contactId: c.contactId, agentId: c.agentId, queueId: c.queueId, endpoint, number, data: c.data, bridged: false, manual };
    this.legs.set(callId, leg);
    this.legOfContact.set(c.contactId, callId);
    this.commitInBackground();
  }

  private onCallbackResult(callId: string, leg: CallbackLeg, result: 'answered' | 'busy' | 'no-answer' | 'machine' | 'failed'): void {
    const { router, telephony } = this.options;
    router.appendEvent({ kind: 'dial-result', at: this.now(), contactId: leg.contactId, queueId: leg.queueId, agentId: leg.agentId, channel: leg.manual ? 'call' : 'callback', reason: result });
    if (result === 'answered') {
      telephony.bridge(callId, leg.endpoint, { ringTimeoutMs: 20_000 });
      this.commitInBackground();
      return;
    }
    // Not reached: the agent is freed, the callback is tried again later (or given up).
    this.legs.delete(callId);
    this.legOfContact.delete(leg.contactId);
    if (result === 'machine') telephony.hangUp(callId, 'machine');
    if (!leg.manual) this.retryCallback(leg, result);
    if (router.contact(leg.contactId)?.state === 'connected') router.complete(leg.contactId, 'agent');
    this.commitInBackground();
  }

  private retryCallback(leg: CallbackLeg, result: string): void {
    const { router } = this.options;
    const attempt = Number(leg.data['attempt'] ?? 1);
    const max = this.options.callbackAttempts ?? 3;
    if (attempt >= max) {
      router.appendEvent({ kind: 'callback-completed', at: this.now(), contactId: leg.contactId, queueId: leg.queueId, agentId: leg.agentId, channel: 'callback', reason: 'unreached', data: { attempts: attempt, lastResult: result } });
      return;
    }
    const base = String(leg.data['callbackId'] ?? leg.contactId);
    router.scheduleCallback({
      id: `${base}-a${attempt + 1}`,
      number: leg.number,
      queueId: leg.queueId,
      at: this.now() + (this.options.callbackRetryMs ?? 900_000),
      data: { ...leg.data, attempt: attempt + 1, callbackId: base, lastResult: result },
    });
  }

  // ---------------------------------------------------------------- announcements

  private onAnnounce(a: QueueAnnouncement): void {
    if (a.channel !== 'call') return;
    const { telephony } = this.options;
    // A call recovered after a restart has no line here any more.
    if (!this.calls.has(a.contactId) || !(telephony.isActive?.(a.contactId) ?? true)) return;
    try {
      telephony.playPrompt(a.contactId, announcementPrompt(a), { interruptible: false });
    } catch (err) {
      this.logger.warn({ err, call: a.contactId }, 'queue announcement not played');
    }
  }

  // ---------------------------------------------------------------- line commands

  private onLineCommand(c: LineCommand): void {
    const { telephony } = this.options;
    const callId = this.callOf(c.contactId);
    if (!(telephony.isActive?.(callId) ?? true)) return;
    switch (c.type) {
      case 'hold':
        telephony.hold(callId);
        return;
      case 'retrieve':
        telephony.unhold(callId);
        return;
      case 'transfer-out':
        telephony.transfer(callId, c.destination);
        return;
      case 'conference':
        if (telephony.conference) telephony.conference(callId, c.party);
        else this.logger.warn({ adapter: telephony.name }, 'the telephony adapter cannot conference');
        return;
      case 'leave-conference':
        telephony.leaveConference?.(callId, c.party);
        return;
      case 'mute':
        if (telephony.mute) telephony.mute(callId, c.muted);
        else this.logger.warn({ adapter: telephony.name }, 'the telephony adapter cannot mute');
        return;
      case 'dtmf':
        if (telephony.sendDtmf) telephony.sendDtmf(callId, c.digits);
        else this.logger.warn({ adapter: telephony.name }, 'the telephony adapter cannot send DTMF');
        return;
      case 'consult':
        if (telephony.consult) telephony.consult(callId, c.party, { ringTimeoutMs: c.ringTimeoutMs });
        else {
          this.logger.warn({ adapter: telephony.name }, 'the telephony adapter cannot consult (attended transfer)');
          queueMicrotask(() => this.options.router.consultFailed(c.contactId, 'failed'));
        }
        return;
      case 'end-consult':
        telephony.endConsult?.(callId, c.outcome);
        return;
    }
  }
}

/**
 * The prompt of a queue announcement: the queue's `text` (or the default sentences for position and
 * expected wait) with `{position}`, `{minutes}` and `{seconds}` filled in; the values also travel as
 * the prompt's `variables`.
 */
export function announcementPrompt(a: QueueAnnouncement): Prompt {
  const c = a.config;
  const minutes = Math.max(1, Math.ceil(a.expectedWaitMs / 60_000));
  const variables = { position: a.position, minutes, seconds: Math.round(a.expectedWaitMs / 1000) };
  // The queue's own text, else the built-in sentences in its language (English when there are none,
  // and then spoken as English).
  const template = c.text ?? queueAnnouncementTemplate(c.language, { position: c.position !== false, expectedWait: c.expectedWait !== false }, minutes);
  const language = c.text !== undefined ? c.language : c.language === undefined ? undefined : builtInLanguage(c.language) === undefined ? 'en' : c.language;
  const text = template.replace(/\{(position|minutes|seconds)\}/g, (_m, name: keyof typeof variables) => String(variables[name]));
  return { text, variables, ...(language === undefined ? {} : { language }) };
}

function ringKey(callId: string, endpoint: string): string {
  return `${callId}\u0000${endpoint}`;
}

function toData(vars: Variables): Record<string, unknown> {
  return { ...vars };
}
