import type { ServiceDefinition } from '@caruso/kernel';
import type { TelephonyAdapter } from '../../contract/telephony-adapter.js';
import { SipTelephonyAdapter, type SipTelephonyOptions } from './sip-telephony-adapter.js';

/** The version of the SIP telephony adapter service, as registered. */
export const SIP_TELEPHONY_SERVICE_VERSION = '0.1.0';

/**
 * The SIP and RTP telephony adapter as a service: register it under the {@link TelephonyAdapter}
 * token in place of the simulated adapter. The service creates its own adapter; the service manager
 * starts it (binds the SIP port, registers with the trunks that ask for it), asks its health (down
 * without a port, degraded while a trunk is not registered) and stops it (hangs up every call,
 * removes the trunk registrations, closes the sockets).
 * Note: a port that cannot be bound fails the start with CARUSO_COMMS_SIP_LISTEN_FAILED; bad options
 * fail it with CARUSO_COMMS_SIP_INVALID_OPTIONS.
 * @example
 * services.register(TelephonyAdapter, sipTelephonyService({ port: 5060, trunks: [{ id: 'provider', host: 'sip.example.net' }] }));
 */
export function sipTelephonyService(options: SipTelephonyOptions = {}): ServiceDefinition<TelephonyAdapter> {
  return {
    version: SIP_TELEPHONY_SERVICE_VERSION,
    properties: { adapter: 'sip', ...(options.name === undefined ? {} : { name: options.name }) },
    // SipTelephonyAdapter has start(), stop() and health(): the manager drives its lifecycle.
    create: () => new SipTelephonyAdapter(options),
  };
}
