import { randomUUID } from 'node:crypto';
import { Emitter, type IDisposable } from '@caruso/kernel';
import type { Clock, Timer } from '../contract/clock.js';
import { CommsErrors } from '../errors.js';
import { sample, seededRandom, type Distribution, type RandomSource } from '../simulation/random.js';
import type { AudioTap, Prompt, TelephonyAdapter, TelephonyEvent } from '../contract/telephony-adapter.js';

/** The longest stretch of a simulated call's audio handed to a recording tap (bounds the work of a very long call). */
const MAX_TAPPED_MS = 10 * 60_000;
const FRAME = 160;
/** 20 ms frames of the simulated voices: the caller at 400 Hz, the agent at 1,000 Hz (whole periods: frames join seamlessly). */
const VOICE: Readonly<Record<'caller' | 'agent', Int16Array>> = {
  caller: Int16Array.from({ length: FRAME }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 400 * i) / 8000))),
  agent: Int16Array.from({ length: FRAME }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 1000 * i) / 8000))),
};
const QUIET = new Int16Array(FRAME);

/** How a simulated caller behaves. */
export interface SimulatedCaller {
  readonly from?: string;
  readonly to?: string;
  /** Talk time once bridged to an agent, ms (then the caller hangs up). */
  readonly talkMs: number;
  /** The caller hangs up after waiting this long unbridged, ms (default: never). */
  readonly patienceMs?: number;
  /** Keys the caller presses when asked (default none: collection times out). */
  readonly digits?: string;
  /**
   * Keys per collection, in order (an IVR asks several questions): each `collectDtmf` takes the next
   * entry (`''` = no key, the collection times out; a `#` terminator is stripped). Overrides `digits`.
   */
  readonly keys?: readonly string[];
  /** An outbound call: what happens when dialled (default answered). */
  readonly dialResult?: 'answered' | 'busy' | 'no-answer' | 'machine' | 'failed';
}

/** How a simulated agent endpoint behaves. */
export interface SimulatedEndpoint {
  /** Time from ringing to answer, ms (default 0). */
  readonly answerDelayMs?: number;
  /** False for an agent who never answers (default true). */
  readonly answers?: boolean;
}

/** How a dialled number behaves for {@link SimulatedTelephony.originate}. */
export interface SimulatedDestination {
  /** What dialling it gives (default answered). */
  readonly result?: 'answered' | 'busy' | 'no-answer' | 'machine' | 'failed';
  /** Time until the result, ms (default 5 s, at most the originate time-out). */
  readonly resultAfterMs?: number;
  /** Talk time once bridged to an agent, ms (default 60 s). */
  readonly talkMs?: number;
  /** The person hangs up when not bridged to an agent within this time after answering, ms (default never). */
  readonly patienceMs?: number;
}

interface SimCall {
  readonly id: string;
  readonly caller: SimulatedCaller;
  keyIndex: number;
  readonly parties: Set<string>;
  answered: boolean;
  held: boolean;
  bridgedTo: string | undefined;
  patience: Timer | undefined;
  talk: Timer | undefined;
  readonly ringing: Map<string, Timer>;
  readonly timers: Set<Timer>;
  muted?: boolean;
  /** An attended transfer's party: ringing (with its timer) or answered. */
  consult?: { readonly party: string; timer: Timer | undefined; answered: boolean } | undefined;
  /** Call recording: the tap, and since when the call's audio is owed to it (clock ms). */
  tap?: { readonly fn: AudioTap; since: number } | undefined;
  /** When the customer and the agent were connected (clock ms). */
  talkingSince?: number | undefined;
}

/**
 * A telephony adapter on a virtual clock: callers with talk times and patience, agent endpoints
 * that answer after a delay (or never). Used by tests, the demo and `caruso simulate`.
 */
export class SimulatedTelephony implements TelephonyAdapter, IDisposable {
  readonly name = 'sim';
  private readonly _onDidEvent = new Emitter<TelephonyEvent>({ owner: 'caruso.comms/telephony' });
  readonly onDidEvent = this._onDidEvent.event;
  private readonly _onDidPlayPrompt = new Emitter<{ readonly callId: string; readonly promptId: string; readonly prompt: Prompt; readonly at: number }>();
  /** A prompt starts playing on a call (tests and the demo see what callers hear). */
  readonly onDidPlayPrompt = this._onDidPlayPrompt.event;
  private readonly calls = new Map<string, SimCall>();
  private readonly endpoints = new Map<string, SimulatedEndpoint>();
  private readonly sent = new Map<string, string>();
  private readonly destinations = new Map<string, SimulatedDestination>();
  /** Numbers dialled by `originate`, in order (tests check the do-not-call list with it). */
  readonly dialled: string[] = [];
  private seq = 0;
  private readonly queue: TelephonyEvent[] = [];
  private delivering = false;

  private readonly idPrefix: string;

  /**
   * @param options.idPrefix begins every call id; default `k-` and a random part, so that call ids
   * (which are contact ids) never repeat across restarts or processes sharing a log.
   */
  constructor(private readonly clock: Clock, private readonly options: { readonly defaultEndpoint?: SimulatedEndpoint; readonly idPrefix?: string } = {}) {
    this.idPrefix = options.idPrefix ?? `k-${randomUUID().slice(0, 8)}-`;
  }

  /** Sets how an endpoint behaves (default: answers at once). */
  setEndpoint(endpoint: string, behaviour: SimulatedEndpoint): void {
    this.endpoints.set(endpoint, behaviour);
  }

  /** Sets how a dialled number behaves (default: answers after 5 s). */
  setDestination(number: string, behaviour: SimulatedDestination): void {
    this.destinations.set(number, behaviour);
  }

  /** A caller dials in; returns the call id (`call-offered` fires now). */
  placeInboundCall(caller: SimulatedCaller): string {
    const id = `${this.idPrefix}${++this.seq}`;
    const call: SimCall = { id, caller, keyIndex: 0, parties: new Set(), answered: false, held: false, bridgedTo: undefined, patience: undefined, talk: undefined, ringing: new Map(), timers: new Set() };
    this.calls.set(id, call);
    if (caller.patienceMs !== undefined) {
      call.patience = this.clock.setTimer(caller.patienceMs, () => {
        call.patience = undefined;
        if (!call.bridgedTo) this.end(call, 'remote', 'caller-gave-up');
      });
    }
    this.emit({ type: 'call-offered', callId: id, from: caller.from ?? 'anonymous', to: caller.to ?? 'main' });
    return id;
  }

  /** Calls in progress. */
  get activeCalls(): number {
    return this.calls.size;
  }

  answer(callId: string): void {
    const call = this.call(callId);
    call.answered = true;
    this.emit({ type: 'answered', callId });
  }

  playPrompt(callId: string, prompt: Prompt): string {
    const call = this.call(callId);
    const promptId = `p${++this.seq}`;
    // A simulated prompt lasts 60 ms per character of text (or 2 s for a file).
    const ms = 'text' in prompt ? prompt.text.length * 60 : 2000;
    this.later(call, ms, () => this.emit({ type: 'prompt-finished', callId, promptId, interrupted: false }));
    this._onDidPlayPrompt.fire({ callId, promptId, prompt, at: this.clock.now() });
    return promptId;
  }

  collectDtmf(callId: string, options: { readonly maxDigits: number; readonly timeoutMs: number; readonly terminator?: string }): void {
    const call = this.call(callId);
    let pressed = call.caller.keys ? (call.caller.keys[call.keyIndex++] ?? '') : (call.caller.digits ?? '');
    if (options.terminator && pressed.includes(options.terminator)) pressed = pressed.slice(0, pressed.indexOf(options.terminator));
    const digits = pressed.slice(0, options.maxDigits);
    this.later(call, digits ? 500 * digits.length : options.timeoutMs, () =>
      this.emit({ type: 'dtmf-collected', callId, digits, timedOut: digits.length === 0 }),
    );
  }

  record(callId: string, options: { readonly maxMs: number }): void {
    const call = this.call(callId);
    const durationMs = Math.min(options.maxMs, call.caller.talkMs);
    this.later(call, durationMs, () =>
      this.emit({ type: 'recording-finished', callId, recording: { recordingId: `r${++this.seq}`, durationMs, uri: `sim://recordings/${callId}`, mimeType: 'audio/wav' } }),
    );
  }

  /** A WAV file (8 kHz, 16-bit mono) of the recording's length: a 440 Hz tone, so that it is not silence. */
  readRecording(recording: { readonly durationMs: number }): Promise<Uint8Array> {
    return Promise.resolve(simulatedWav(recording.durationMs));
  }

  isActive(callId: string): boolean {
    return this.calls.has(callId);
  }

  /** Adds a party to a call (the simulated conference only keeps the list). */
  conference(callId: string, party: string): void {
    this.call(callId).parties.add(party);
  }

  leaveConference(callId: string, party: string): void {
    this.calls.get(callId)?.parties.delete(party);
  }

  mute(callId: string, muted: boolean): void {
    const call = this.call(callId);
    call.muted = muted;
    this.emit({ type: 'muted', callId, muted });
  }

  /** Whether the agent's side of a call is muted. */
  isMuted(callId: string): boolean {
    return this.calls.get(callId)?.muted === true;
  }

  /** Sends digits: kept per call (see {@link dtmfSent}), `dtmf-sent` after 100 ms a digit. */
  sendDtmf(callId: string, digits: string): void {
    const call = this.call(callId);
    this.sent.set(callId, (this.sent.get(callId) ?? '') + digits);
    this.later(call, 100 * digits.length, () => this.emit({ type: 'dtmf-sent', callId, count: digits.length }));
  }

  /** The digits sent to a call's customer so far. */
  dtmfSent(callId: string): string {
    return this.sent.get(callId) ?? '';
  }

  /** Consults a party: the customer is held; the party answers as an endpoint (or a destination) of this simulation would. */
  consult(callId: string, party: string, options: { readonly ringTimeoutMs: number }): void {
    const call = this.call(callId);
    if (call.consult) throw new Error(`call ${callId} is consulting already`);
    if (!call.held) {
      call.held = true;
      this.emit({ type: 'held', callId });
    }
    const d = this.destinations.get(party);
    const behaviour: SimulatedEndpoint = this.endpoints.get(party) ?? (d ? { answers: (d.result ?? 'answered') === 'answered', answerDelayMs: d.resultAfterMs ?? 0 } : (this.options.defaultEndpoint ?? {}));
    const answers = behaviour.answers !== false && (behaviour.answerDelayMs ?? 0) < options.ringTimeoutMs;
    const k: NonNullable<SimCall['consult']> = { party, timer: undefined, answered: false };
    call.consult = k;
    k.timer = this.clock.setTimer(answers ? (behaviour.answerDelayMs ?? 0) : options.ringTimeoutMs, () => {
      k.timer = undefined;
      if (call.consult !== k || !this.calls.has(callId)) return;
      if (!answers) {
        call.consult = undefined;
        this.emit({ type: 'consult-failed', callId, party, cause: 'no-answer' });
        return;
      }
      k.answered = true;
      this.emit({ type: 'consult-answered', callId, party });
    });
  }

  /** Ends a consultation: the party takes the call, joins a conference, or leaves. */
  endConsult(callId: string, outcome: 'transfer' | 'conference' | 'cancel'): void {
    const call = this.calls.get(callId);
    const k = call?.consult;
    if (!call || !k) return;
    k.timer?.dispose();
    call.consult = undefined;
    if (outcome === 'cancel') return;
    if (outcome === 'transfer') call.bridgedTo = k.party;
    else call.parties.add(k.party);
    call.held = false;
    call.muted = false;
    this.emit({ type: 'unheld', callId });
    if (outcome === 'transfer') this.emit({ type: 'transferred', callId, destination: k.party });
  }

  /** The party a call is consulting, and whether it answered. */
  consultOf(callId: string): { readonly party: string; readonly answered: boolean } | undefined {
    const k = this.calls.get(callId)?.consult;
    return k && { party: k.party, answered: k.answered };
  }

  /** Where a call is bridged now (the agent's endpoint, or the party it was handed to). */
  bridgedTo(callId: string): string | undefined {
    return this.calls.get(callId)?.bridgedTo;
  }

  /** Parties conferenced into a call. */
  partiesOf(callId: string): string[] {
    return [...(this.calls.get(callId)?.parties ?? [])];
  }

  bridge(callId: string, endpoint: string, options: { readonly ringTimeoutMs: number }): void {
    const call = this.call(callId);
    if (call.bridgedTo === endpoint || call.ringing.has(endpoint)) return;
    // Already bridged: a transfer to another agent; the customer's talk time runs on.
    const transfer = call.bridgedTo !== undefined;
    const behaviour = this.endpoints.get(endpoint) ?? this.options.defaultEndpoint ?? {};
    this.emit({ type: 'bridge-ringing', callId, endpoint });
    const answers = behaviour.answers !== false && (behaviour.answerDelayMs ?? 0) < options.ringTimeoutMs;
    const timer = this.clock.setTimer(answers ? (behaviour.answerDelayMs ?? 0) : options.ringTimeoutMs, () => {
      call.ringing.delete(endpoint);
      if (!this.calls.has(callId) || (call.bridgedTo && !transfer)) return;
      if (!answers) {
        this.emit({ type: 'bridge-failed', callId, endpoint, cause: 'no-answer' });
        return;
      }
      for (const t of call.ringing.values()) t.dispose();
      call.ringing.clear();
      call.bridgedTo = endpoint;
      if (transfer) {
        this.emit({ type: 'bridged', callId, endpoint });
        return;
      }
      call.patience?.dispose();
      call.patience = undefined;
      call.talkingSince = this.clock.now();
      if (call.tap) call.tap.since = call.talkingSince;
      call.talk = this.clock.setTimer(call.caller.talkMs, () => {
        call.talk = undefined;
        this.end(call, 'remote', 'normal');
      });
      this.emit({ type: 'bridged', callId, endpoint });
    });
    call.ringing.set(endpoint, timer);
  }

  cancelBridge(callId: string, endpoint: string): void {
    const call = this.calls.get(callId);
    const t = call?.ringing.get(endpoint);
    if (!call || !t) return;
    t.dispose();
    call.ringing.delete(endpoint);
  }

  transfer(callId: string, destination: string): void {
    const call = this.call(callId);
    this.emit({ type: 'transferred', callId, destination });
    this.end(call, 'local', 'transferred', false);
  }

  hold(callId: string): void {
    this.call(callId).held = true;
    this.emit({ type: 'held', callId });
  }

  unhold(callId: string): void {
    this.call(callId).held = false;
    this.emit({ type: 'unheld', callId });
  }

  hangUp(callId: string, cause = 'normal'): void {
    const call = this.calls.get(callId);
    if (call) this.end(call, 'local', cause);
  }

  originate(destination: string, options: { readonly callerId: string; readonly timeoutMs: number }): string {
    const id = `${this.idPrefix}${++this.seq}`;
    this.dialled.push(destination);
    const d = this.destinations.get(destination) ?? {};
    const caller: SimulatedCaller = { from: options.callerId, to: destination, talkMs: d.talkMs ?? 60_000 };
    const call: SimCall = { id, caller, keyIndex: 0, parties: new Set(), answered: false, held: false, bridgedTo: undefined, patience: undefined, talk: undefined, ringing: new Map(), timers: new Set() };
    this.calls.set(id, call);
    const result = d.result ?? 'answered';
    this.later(call, Math.min(options.timeoutMs, d.resultAfterMs ?? 5000), () => {
      if (result === 'answered' || result === 'machine') {
        call.answered = true;
        if (result === 'answered' && d.patienceMs !== undefined) {
          call.patience = this.clock.setTimer(d.patienceMs, () => {
            call.patience = undefined;
            if (!call.bridgedTo) this.end(call, 'remote', 'caller-gave-up');
          });
        }
        this.emit({ type: 'originate-result', callId: id, result });
      } else {
        this.end(call, 'remote', result, false);
        this.emit({ type: 'originate-result', callId: id, result });
      }
    });
    return id;
  }

  /**
   * Call recording: there is no audio in a simulation, so the call's talk time is handed to the tap
   * as simulated voices taking turns every 2 s (the caller at 400 Hz, the agent at 1,000 Hz), all at
   * once when the tap is removed or the call ends (at most 10 minutes of it).
   */
  tapAudio(callId: string, tap: AudioTap | undefined): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (call.tap) this.feedTap(call);
    call.tap = tap ? { fn: tap, since: call.talkingSince === undefined ? Number.NaN : this.clock.now() } : undefined;
  }

  private feedTap(call: SimCall): void {
    const tap = call.tap;
    if (!tap || Number.isNaN(tap.since)) return;
    const now = this.clock.now();
    const frames = Math.floor(Math.min(MAX_TAPPED_MS, Math.max(0, now - tap.since)) / 20);
    const start = Math.floor((tap.since - (call.talkingSince ?? tap.since)) / 20);
    tap.since = now;
    for (let f = 0; f < frames; f++) {
      const callerTalks = Math.floor((start + f) / 100) % 2 === 0;
      tap.fn('caller', callerTalks ? VOICE.caller : QUIET);
      tap.fn('agent', callerTalks ? QUIET : VOICE.agent);
    }
  }

  dispose(): void {
    for (const call of this.calls.values()) this.clear(call);
    this.calls.clear();
    this._onDidEvent.dispose();
    this._onDidPlayPrompt.dispose();
  }

  /**
   * Delivers events in the order they happened to every listener: an event raised while listeners
   * handle another (a listener answering a call) waits until that one reached everyone.
   */
  private emit(e: TelephonyEvent): void {
    this.queue.push(e);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let i = 0; i < this.queue.length; i++) this._onDidEvent.fire(this.queue[i]!);
    } finally {
      this.queue.length = 0;
      this.delivering = false;
    }
  }

  private later(call: SimCall, ms: number, fn: () => void): void {
    const t = this.clock.setTimer(ms, () => {
      call.timers.delete(t);
      if (this.calls.has(call.id)) fn();
    });
    call.timers.add(t);
  }

  private end(call: SimCall, by: 'remote' | 'agent' | 'local', cause: string, notify = true): void {
    if (!this.calls.has(call.id)) return;
    this.feedTap(call);
    this.calls.delete(call.id);
    this.clear(call);
    if (notify) this.emit({ type: 'hung-up', callId: call.id, by, cause });
  }

  private clear(call: SimCall): void {
    call.patience?.dispose();
    call.talk?.dispose();
    for (const t of call.ringing.values()) t.dispose();
    for (const t of call.timers) t.dispose();
    call.consult?.timer?.dispose();
    call.ringing.clear();
    call.timers.clear();
  }

  private call(callId: string): SimCall {
    const c = this.calls.get(callId);
    if (!c) throw CommsErrors.CARUSO_COMMS_UNKNOWN_CALL({ call: callId, adapter: this.name });
    return c;
  }
}

/** A WAV file (RIFF, PCM 16-bit mono, 8 kHz) with a 440 Hz tone of the given length. */
export function simulatedWav(durationMs: number): Uint8Array {
  const rate = 8000;
  const samples = Math.max(0, Math.round((durationMs / 1000) * rate));
  const buf = new Uint8Array(44 + samples * 2);
  const v = new DataView(buf.buffer);
  const ascii = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + samples * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i++) v.setInt16(44 + i * 2, Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), true);
  return buf;
}

/** Options of a {@link LoadGenerator}. */
export interface LoadGeneratorOptions {
  readonly clock: Clock;
  readonly telephony: SimulatedTelephony;
  /** Poisson arrivals at this rate. */
  readonly callsPerHour: number;
  /** Talk time distribution, seconds. */
  readonly talk: Distribution;
  /** Patience distribution, seconds (default: infinitely patient). */
  readonly patience?: Distribution;
  /** Arrivals stop at this time (ms since the epoch). */
  readonly until: number;
  readonly random?: RandomSource;
  /** Dialled number of the calls (default `main`). */
  readonly to?: string;
  /** The caller's number of the n-th call (from 1); default anonymous callers. */
  readonly callerNumber?: (n: number) => string;
}

/** Generates Poisson call arrivals on the simulated adapter until a given time. */
export class LoadGenerator implements IDisposable {
  private timer: Timer | undefined;
  private readonly rng: RandomSource;
  private count = 0;

  constructor(private readonly options: LoadGeneratorOptions) {
    this.rng = options.random ?? seededRandom(1);
  }

  /** Starts generating (the first call arrives after an exponential gap). */
  start(): void {
    this.schedule();
  }

  /** Calls generated so far. */
  get generated(): number {
    return this.count;
  }

  dispose(): void {
    this.timer?.dispose();
    this.timer = undefined;
  }

  private schedule(): void {
    const meanGapMs = 3_600_000 / this.options.callsPerHour;
    const gap = -Math.log(1 - this.rng()) * meanGapMs;
    if (this.options.clock.now() + gap >= this.options.until) return;
    this.timer = this.options.clock.setTimer(gap, () => {
      this.count++;
      const talkMs = sample(this.options.talk, this.rng) * 1000;
      const patience = this.options.patience ? sample(this.options.patience, this.rng) * 1000 : undefined;
      const from = this.options.callerNumber?.(this.count);
      this.options.telephony.placeInboundCall({ talkMs, ...(patience === undefined ? {} : { patienceMs: patience }), to: this.options.to ?? 'main', ...(from === undefined ? {} : { from }) });
      this.schedule();
    });
  }
}
