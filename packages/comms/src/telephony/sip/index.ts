/** The SIP and RTP telephony adapter: its public face inside @caruso/comms. */
export {
  SipTelephonyAdapter, usersFromEnvironment, synthesizeWithEspeak,
  type SipTelephonyOptions, type SipTrunk, type SipUserCredentials, type SipAdapterMetrics,
} from './sip-telephony-adapter.js';
export {
  parseSipMessage, serializeSipMessage, defaultSipLimits, SipStreamFramer,
  type SipMessage, type SipRequest, type SipResponse, type SipHeader, type SipParseLimits, type SipParseResult, type SipParseFailure,
} from './sip-message.js';
export { SipStack, type AckTimeout, type SipAddress, type SipStackOptions, type SipStackStats } from './sip-stack.js';
export { SipRegistrar, type SipBinding } from './sip-registrar.js';
export { SIP_TELEPHONY_SERVICE_VERSION, sipTelephonyService } from './sip-telephony-service.js';
export {
  SipTrunkRegistration, type TrunkRegistrationOptions, type TrunkRegistrationState, type TrunkRegistrationStatus,
} from './sip-trunk-registration.js';
export type { RtcpStats, RtpStats } from './rtp-session.js';
