import type { ServiceDefinition, ServiceLifecycle } from '@caruso/kernel';
import { systemClock, type Clock } from '../contract/clock.js';
import { SimulatedTelephony, type SimulatedEndpoint } from './simulated-telephony.js';
import type { TelephonyAdapter } from '../contract/telephony-adapter.js';

/** The version of the simulated telephony adapter service, as registered. */
export const SIMULATED_TELEPHONY_SERVICE_VERSION = '0.1.0';

/** An adapter the service created, disposed when the service stops. */
class OwnedSimulatedTelephony extends SimulatedTelephony implements ServiceLifecycle {
  stop(): void {
    this.dispose();
  }
}

/** Options of {@link simulatedTelephonyService}. */
export interface SimulatedTelephonyServiceOptions {
  /** The adapter to register (tests keep a handle to place calls); default a new one. */
  readonly telephony?: SimulatedTelephony;
  /** The clock of a new adapter (default the system clock). */
  readonly clock?: Clock;
  /** How agent endpoints of a new adapter behave (default: answer at once). */
  readonly defaultEndpoint?: SimulatedEndpoint;
}

/**
 * The simulated telephony adapter as a service: register it under the {@link TelephonyAdapter}
 * token (the SIP adapter takes its place in production). An adapter it created is disposed on stop;
 * one passed in `telephony` stays its owner's to dispose.
 * @example
 * services.register(TelephonyAdapter, simulatedTelephonyService({ clock }));
 */
export function simulatedTelephonyService(options: SimulatedTelephonyServiceOptions = {}): ServiceDefinition<TelephonyAdapter> {
  return {
    version: SIMULATED_TELEPHONY_SERVICE_VERSION,
    properties: { adapter: 'sim' },
    // Dispose only what we created: a given adapter stays its owner's to dispose.
    create: () => options.telephony ?? new OwnedSimulatedTelephony(options.clock ?? systemClock, options.defaultEndpoint ? { defaultEndpoint: options.defaultEndpoint } : {}),
  };
}
