/**
 * Test helpers of the communication server for its own tests and those of assemblies: real SIP
 * peers (SIPp runs bounded in time, baresip as an agent's phone), free loopback ports, sox audio;
 * and the internals that tests drive directly (the queue router on a virtual clock, the in-memory
 * log, the channels' implementations, the SIP stack, the stores). Not a contract: they may change.
 */
export * from './sip-peers.js';
export { kamailioBinary, kamailioConfig, startKamailio, type KamailioAccount, type KamailioProxy } from './kamailio.js';
export { digestAnswer, listen, PhoneSet, rms, TestPhone, toneLevel, writeWav, type AnswerMode, type SeenEvent, type SeenRequest } from './sip-test-phone.js';
export { capacityClassOf } from '../contract/model.js';
export { customerRefOf } from '../log/contact-fold.js';
export { InMemoryContactEventLog } from '../log/in-memory-event-log.js';
export { contactEventRow, StorageContactEventLog, type StorageContactEventLogOptions } from '../log/storage-event-log.js';
export { localTime, weeklyHoursProblem } from '../acd/opening-hours.js';
export {
  QueueRouter,
  type AgentOptions,
  type LineCommand,
  type QueueOptions,
  type QueueRouterOptions,
} from '../acd/queue-router.js';
export {
  CallEventWaiter,
  runIvrCall,
  type IvrCallOptions,
  type IvrOutcome,
} from '../telephony/ivr/ivr-call.js';
export { LoadGenerator, simulatedWav, type LoadGeneratorOptions } from '../telephony/simulated-telephony.js';
export {
  SipStreamFramer,
  defaultSipLimits,
  parseSipMessage,
  serializeSipMessage,
  type SipHeader,
  type SipMessage,
  type SipParseFailure,
  type SipParseLimits,
  type SipParseResult,
  type SipRequest,
  type SipResponse,
} from '../telephony/sip/sip-message.js';
export { SipRegistrar, type SipBinding } from '../telephony/sip/sip-registrar.js';
export {
  SipStack,
  type AckTimeout,
  type SipAddress,
  type SipStackOptions,
  type SipStackStats,
} from '../telephony/sip/sip-stack.js';
export { synthesizeWithEspeak } from '../telephony/sip/sip-telephony-adapter.js';
export {
  SipTrunkRegistration,
  type TrunkRegistrationOptions,
  type TrunkRegistrationState,
  type TrunkRegistrationStatus,
} from '../telephony/sip/sip-trunk-registration.js';
export {
  TelephonyChannel,
  announcementPrompt,
  type TelephonyChannelOptions,
} from '../telephony/telephony-channel.js';
export {
  StorageVoicemailStore,
  VOICEMAIL_MIGRATIONS,
  VOICEMAIL_TABLE,
} from '../telephony/voicemail/storage-voicemail-store.js';
export { SmtpEmailChannel } from '../email/smtp-email-channel.js';
export { SmtpRelayMail, smtpRelayOptionsFromEnv } from '../email/smtp-relay-mail.js';
export { WsChatChannel } from '../chat/ws-chat-channel.js';
export { CampaignDialer } from '../campaigns/campaign-dialer.js';
export {
  CAMPAIGNS_TABLE,
  CAMPAIGN_MIGRATIONS,
  CAMPAIGN_TARGETS_TABLE,
  CampaignStore,
  DO_NOT_CALL_TABLE,
  type CampaignTarget,
  type TargetState,
} from '../campaigns/campaign-store.js';
export {
  InteractionFold,
  type InteractionChange,
  type InteractionFoldOptions,
} from '../interactions/interaction-record.js';
export {
  InteractionRecorder,
  type InteractionRecorderOptions,
} from '../interactions/interaction-recorder.js';
export {
  INTERACTIONS_STATE_TABLE,
  INTERACTION_MIGRATIONS,
  InteractionStore,
} from '../interactions/interaction-store.js';
export { studentT975 } from '../simulation/contact-figures.js';
export {
  erlangAFigures,
  erlangB,
  erlangC,
  erlangCFigures,
  type ErlangAFigures,
  type ErlangCFigures,
} from '../simulation/erlang.js';
export { meanOf, sample } from '../simulation/random.js';

