import type { DialogueEngine, SessionView, Variables } from '@caruso/dialogue';
import type { TelephonyAdapter, TelephonyEvent } from '../../contract/telephony-adapter.js';

/** How an IVR session ended. */
export type IvrOutcome =
  /** The script handed the caller to a queue, with every collected variable. */
  | { readonly kind: 'handoff'; readonly sessionId: string; readonly queueId: string; readonly skills: readonly string[]; readonly vars: Variables; readonly priority?: number }
  /** The script ended without a hand-off (its goodbye prompt was played). */
  | { readonly kind: 'end'; readonly sessionId: string; readonly outcome: string }
  /** The caller hung up during the IVR. */
  | { readonly kind: 'hung-up'; readonly sessionId: string };

/** Waits for the next event of one call that a predicate accepts (or its hang-up). */
export class CallEventWaiter {
  private readonly waiting = new Map<string, { readonly accept: (e: TelephonyEvent) => boolean; readonly resolve: (e: TelephonyEvent) => void }>();

  /** The next accepted event of `callId`; a `hung-up` of the call always resolves it. */
  wait(callId: string, accept: (e: TelephonyEvent) => boolean): Promise<TelephonyEvent> {
    return new Promise((resolve) => this.waiting.set(callId, { accept, resolve }));
  }

  /** Offers an adapter event; true when a waiter took it. */
  deliver(e: TelephonyEvent): boolean {
    const w = this.waiting.get(e.callId);
    if (!w || (e.type !== 'hung-up' && !w.accept(e))) return false;
    this.waiting.delete(e.callId);
    w.resolve(e);
    return true;
  }

  /** Whether something waits on this call. */
  has(callId: string): boolean {
    return this.waiting.has(callId);
  }

  /** Resolves every waiter with a local hang-up (the channel is going away). */
  cancelAll(): void {
    for (const [callId, w] of this.waiting) w.resolve({ type: 'hung-up', callId, by: 'local', cause: 'channel-disposed' });
    this.waiting.clear();
  }
}

/** Options of {@link runIvrCall}. */
export interface IvrCallOptions {
  readonly engine: DialogueEngine;
  readonly telephony: TelephonyAdapter;
  readonly waiter: CallEventWaiter;
  readonly callId: string;
  /** The dialogue session id (one per call, so that the session can be resumed). */
  readonly sessionId: string;
  /** Script to start when there is no session yet. */
  readonly script: string;
  /** Initial variables (`caller`, `dialled`). */
  readonly vars: Variables;
  /** True: continue an existing session (after the channel was replaced) instead of starting one. */
  readonly resume?: boolean;
  /** How long to wait for keys (default 5 s). */
  readonly keyTimeoutMs?: number;
  /** Wraps each dialogue-engine call (the channel tracks them to know when it is settled). */
  readonly track?: <T>(p: Promise<T>) => Promise<T>;
}

/** Maximum steps of one IVR call; a script that loops forever on no input ends at the fallback. */
const MAX_STEPS = 500;

/**
 * Runs one call through a dialogue script on channel `ivr`: each step's prompt is played through
 * the adapter, keys are collected for questions and given to the engine as the answer (`null` when
 * none came), until the script hands off or ends. The engine saves the session after every step, so
 * a session of a call that is still up can be continued with `resume`.
 */
export async function runIvrCall(o: IvrCallOptions): Promise<IvrOutcome> {
  const track = o.track ?? (<T>(p: Promise<T>) => p);
  const { telephony, waiter, callId, sessionId } = o;
  let view: SessionView = o.resume
    ? await track(o.engine.resume(sessionId))
    : await track(o.engine.startSession(o.script, { channel: 'ivr', vars: o.vars, sessionId }));
  for (let i = 0; i < MAX_STEPS; i++) {
    const step = view.step;
    const text = [step.error, step.prompt].filter((t): t is string => typeof t === 'string' && t.trim().length > 0).join(' ');
    if (text) {
      if (!alive(telephony, callId)) return { kind: 'hung-up', sessionId };
      const promptId = telephony.playPrompt(callId, { text }, { interruptible: step.kind === 'question' });
      const e = await waiter.wait(callId, (x) => x.type === 'prompt-finished' && x.promptId === promptId);
      if (e.type === 'hung-up') return { kind: 'hung-up', sessionId };
    }
    switch (step.kind) {
      case 'handoff':
        return { kind: 'handoff', sessionId, queueId: step.queue ?? '', skills: step.skills ?? [], vars: step.vars ?? {}, ...(step.priority === undefined ? {} : { priority: step.priority }) };
      case 'end':
        return { kind: 'end', sessionId, outcome: step.outcome ?? '' };
      case 'info':
        view = await track(o.engine.answer(sessionId, null));
        break;
      case 'question': {
        const single = step.type === 'choice' || step.type === 'boolean';
        if (!alive(telephony, callId)) return { kind: 'hung-up', sessionId };
        telephony.collectDtmf(callId, { maxDigits: single ? 1 : 32, timeoutMs: o.keyTimeoutMs ?? 5_000, ...(single ? {} : { terminator: '#' }) });
        const e = await waiter.wait(callId, (x) => x.type === 'dtmf-collected');
        if (e.type === 'hung-up') return { kind: 'hung-up', sessionId };
        const digits = e.type === 'dtmf-collected' ? e.digits : '';
        view = await track(o.engine.answer(sessionId, digits.length === 0 ? null : digits));
        break;
      }
    }
  }
  // A script that never ends: hand the caller to a person rather than loop.
  return { kind: 'handoff', sessionId, queueId: '', skills: [], vars: {} };
}

function alive(telephony: TelephonyAdapter, callId: string): boolean {
  return telephony.isActive?.(callId) ?? true;
}
