import { Disposable, Emitter, type HealthStatus, type ServiceContext, type ServiceDefinition, type ServiceLifecycle, type StopReason } from '@caruso/kernel';
import type { SimulatedCaller, SimulatedEndpoint, SimulatedTelephony } from './simulated-telephony.js';
import type { AudioTap, Prompt, Recording, TelephonyAdapter, TelephonyEvent } from '../contract/telephony-adapter.js';
import type { MonitorMode } from '../contract/quality.js';

/** A real adapter as {@link TelephonyWithSimulation} drives it: its own lifecycle, and whether it can reach a destination. */
export type RealTelephony = TelephonyAdapter & ServiceLifecycle & { canReach?(destination: string): boolean };

/** The version of the combined adapter service, as registered. */
export const TELEPHONY_WITH_SIMULATION_SERVICE_VERSION = '0.1.0';

/**
 * Real telephony with a simulated telephone network beside it, for demonstrations and training
 * (`caruso start --simulate` on an assembly with `<sip>`): real callers reach the real adapter (a
 * stock SIP phone gets the IVR), while a load generator places simulated calls on the simulated one.
 *
 * Each call stays on the adapter it started on: a call offered by an adapter, or originated on it,
 * is driven there (answer, prompts, keys, bridging to agents, hang-up). An outbound call goes to the
 * real adapter when it can reach the destination (a registered phone, a SIP URI, a number through a
 * trunk), else to the simulated network, so a campaign of a demo dials simulated customers. Without
 * `canReach` on the real adapter every outbound call is real.
 *
 * The lifecycle (start, stop, health) is the real adapter's; the simulated one stays its owner's.
 */
export class TelephonyWithSimulation extends Disposable implements TelephonyAdapter, ServiceLifecycle {
  readonly name: string;
  private readonly _onDidEvent = this.register(new Emitter<TelephonyEvent>({ owner: 'caruso.comms/telephony' }));
  readonly onDidEvent = this._onDidEvent.event;
  /** The adapter of every call in progress, by call id. */
  private readonly owner = new Map<string, TelephonyAdapter>();
  /** The adapter of every monitoring leg, by monitoring id. */
  private readonly monitorOwner = new Map<string, TelephonyAdapter>();

  constructor(
    readonly real: RealTelephony,
    readonly simulated: SimulatedTelephony,
  ) {
    super();
    this.name = `${real.name}+sim`;
    this.register(real.onDidEvent((e) => this.forward(real, e)));
    this.register(simulated.onDidEvent((e) => this.forward(simulated, e)));
  }

  /** Places a simulated inbound call (load generators, tests). */
  placeInboundCall(caller: SimulatedCaller): string {
    return this.simulated.placeInboundCall(caller);
  }

  /** How a simulated agent endpoint behaves. */
  setEndpoint(endpoint: string, behaviour: SimulatedEndpoint): void {
    this.simulated.setEndpoint(endpoint, behaviour);
  }

  /** The adapter a call runs on: the simulated one for its calls, else the real one. */
  adapterOf(callId: string): 'real' | 'simulated' {
    return this.owner.get(callId) === this.simulated ? 'simulated' : 'real';
  }

  answer(callId: string): void {
    this.of(callId).answer(callId);
  }

  playPrompt(callId: string, prompt: Prompt, options?: { readonly interruptible?: boolean }): string {
    return this.of(callId).playPrompt(callId, prompt, options);
  }

  collectDtmf(callId: string, options: { readonly maxDigits: number; readonly timeoutMs: number; readonly terminator?: string }): void {
    this.of(callId).collectDtmf(callId, options);
  }

  record(callId: string, options: { readonly maxMs: number; readonly beep?: boolean }): void {
    this.of(callId).record(callId, options);
  }

  bridge(callId: string, endpoint: string, options: { readonly ringTimeoutMs: number }): void {
    this.of(callId).bridge(callId, endpoint, options);
  }

  cancelBridge(callId: string, endpoint: string): void {
    this.of(callId).cancelBridge(callId, endpoint);
  }

  transfer(callId: string, destination: string): void {
    this.of(callId).transfer(callId, destination);
  }

  hold(callId: string): void {
    this.of(callId).hold(callId);
  }

  unhold(callId: string): void {
    this.of(callId).unhold(callId);
  }

  hangUp(callId: string, cause?: string): void {
    this.of(callId).hangUp(callId, cause);
  }

  originate(destination: string, options: { readonly callerId: string; readonly timeoutMs: number }): string {
    const adapter = this.real.canReach && !this.real.canReach(destination) ? this.simulated : this.real;
    const id = adapter.originate(destination, options);
    // An id both adapters could hand out would mix calls up: refuse loudly rather than misroute.
    if (this.owner.has(id) && this.owner.get(id) !== adapter) throw new Error(`telephony: call id ${id} is in use on both adapters`);
    this.owner.set(id, adapter);
    return id;
  }

  async readRecording(recording: Recording): Promise<Uint8Array> {
    for (const a of [this.real, this.simulated] as TelephonyAdapter[]) {
      if (!a.readRecording) continue;
      try {
        return await a.readRecording(recording);
      } catch {
        // Not this adapter's recording: try the other one.
      }
    }
    throw new Error(`no adapter can read the recording ${recording.recordingId}`);
  }

  isActive(callId: string): boolean {
    const a = this.of(callId);
    return a.isActive ? a.isActive(callId) : this.owner.has(callId);
  }

  conference(callId: string, party: string): void {
    const a = this.of(callId);
    if (!a.conference) throw new Error(`the ${a.name} adapter cannot conference`);
    a.conference(callId, party);
  }

  leaveConference(callId: string, party: string): void {
    this.of(callId).leaveConference?.(callId, party);
  }

  mute(callId: string, muted: boolean): void {
    const a = this.of(callId);
    if (!a.mute) throw new Error(`the ${a.name} adapter cannot mute`);
    a.mute(callId, muted);
  }

  sendDtmf(callId: string, digits: string): void {
    const a = this.of(callId);
    if (!a.sendDtmf) throw new Error(`the ${a.name} adapter cannot send DTMF`);
    a.sendDtmf(callId, digits);
  }

  consult(callId: string, party: string, options: { readonly ringTimeoutMs: number }): void {
    const a = this.of(callId);
    if (!a.consult) throw new Error(`the ${a.name} adapter cannot consult`);
    a.consult(callId, party, options);
  }

  endConsult(callId: string, outcome: 'transfer' | 'conference' | 'cancel'): void {
    this.of(callId).endConsult?.(callId, outcome);
  }

  tapAudio(callId: string, tap: AudioTap | undefined): void {
    this.of(callId).tapAudio?.(callId, tap);
  }

  monitor(callId: string, phone: string, mode: MonitorMode, options: { readonly ringTimeoutMs: number }): string {
    const a = this.of(callId);
    if (!a.monitor) throw new Error(`the ${a.name} adapter cannot monitor`);
    const id = a.monitor(callId, phone, mode, options);
    this.monitorOwner.set(id, a);
    return id;
  }

  setMonitorMode(monitorId: string, mode: MonitorMode): void {
    this.monitorOwner.get(monitorId)?.setMonitorMode?.(monitorId, mode);
  }

  stopMonitor(monitorId: string): void {
    this.monitorOwner.get(monitorId)?.stopMonitor?.(monitorId);
  }

  async start(ctx: ServiceContext): Promise<void> {
    await this.real.start?.(ctx);
  }

  async stop(reason: StopReason): Promise<void> {
    try {
      await this.real.stop?.(reason);
    } finally {
      this.dispose();
    }
  }

  async health(): Promise<HealthStatus> {
    const h = this.real.health ? await this.real.health() : { status: 'ok' as const };
    return { ...h, detail: `${h.detail ? `${h.detail}; ` : ''}simulated calls: ${this.simulated.activeCalls}` };
  }

  /** The real adapter's SIP port, when it has one (for the start-up lines). */
  get port(): number | undefined {
    return (this.real as { readonly port?: number }).port;
  }

  private of(callId: string): TelephonyAdapter {
    return this.owner.get(callId) ?? this.real;
  }

  private forward(from: TelephonyAdapter, e: TelephonyEvent): void {
    const known = this.owner.get(e.callId);
    if (known === undefined) this.owner.set(e.callId, from);
    else if (known !== from) return; // an id of the other adapter: never mix two calls up
    try {
      this._onDidEvent.fire(e);
    } finally {
      if (e.type === 'hung-up' || (e.type === 'originate-result' && e.result !== 'answered')) this.owner.delete(e.callId);
      if (e.type === 'monitor-ended') this.monitorOwner.delete(e.monitorId);
    }
  }
}

/**
 * {@link TelephonyWithSimulation} as a service under the {@link TelephonyAdapter} token: `real` is
 * created when the service starts (e.g. `() => new SipTelephonyAdapter(options)`).
 */
export function telephonyWithSimulationService(real: () => RealTelephony, simulated: SimulatedTelephony): ServiceDefinition<TelephonyAdapter> {
  return {
    version: TELEPHONY_WITH_SIMULATION_SERVICE_VERSION,
    properties: { adapter: 'sip+sim' },
    create: () => new TelephonyWithSimulation(real(), simulated),
  };
}
