/**
 * @caruso/comms: the communication server. Every contact with a customer passes through it:
 * queues, agents and the ACD, the contact event log, channel adapters, and the simulator.
 *
 * This is its contract: the tokens and their interfaces, the typed contact events and their fold,
 * the service factories with their options, and the errors. The ACD's router, the channels'
 * implementations and the SIP stack are internal; tests reach them through `@caruso/comms/testing`.
 */
export { CommsErrors, type CommsErrorCode } from './errors.js';
export { VirtualClock, shiftedClock, systemClock, type Clock, type Timer } from './contract/clock.js';
export {
  CommunicationServer,
  type AgentDesk,
  type AgentWork,
  type CampaignControl,
  type ContactCenterEvents,
  type ContactCenterSetup,
  type ContactCenterStatus,
  type ContactControl,
  type ContactHistory,
  type WrapUpInfo,
} from './contract/communication-server.js';
export {
  CONTACT_EVENT_KINDS,
  CONTACT_EVENT_SCHEMA_VERSION,
  ContactEventLog,
  parseContactEvent,
  type AbandonedEvent,
  type AgentLoggedInEvent,
  type AgentLoggedOutEvent,
  type AgentQueuesChangedData,
  type AgentQueuesChangedEvent,
  type AgentStateChangedEvent,
  type CallbackAttemptedData,
  type CallbackAttemptedEvent,
  type CallbackCompletedData,
  type CallbackCompletedEvent,
  type CallbackScheduledData,
  type CallbackScheduledEvent,
  type CampaignData,
  type CampaignPausedEvent,
  type CampaignStartedEvent,
  type CampaignStoppedEvent,
  type CampaignTagData,
  type CompletedEvent,
  type ConferencedData,
  type ConferencedEvent,
  type ConnectedEvent,
  type ContactEvent,
  type ContactEventFields,
  type ContactEventInput,
  type ContactEventKind,
  type ContactEventOf,
  type ContactEventSink,
  type CustomerRef,
  type DialAttemptEvent,
  type DialData,
  type DialDropEvent,
  type DialResultEvent,
  type DispositionData,
  type DispositionEvent,
  type EventData,
  type ExitedData,
  type ExitedEvent,
  type HeldEvent,
  type MonitoringChangedEvent,
  type MonitoringData,
  type MonitoringStartedEvent,
  type MonitoringStoppedEvent,
  type OfferedEvent,
  type QueueEnteredData,
  type QueueEnteredEvent,
  type ReadEventsOptions,
  type RecordingData,
  type RecordingPausedEvent,
  type RecordingResumedEvent,
  type RecordingStartedEvent,
  type RecordingStoppedData,
  type RecordingStoppedEvent,
  type RejectedEvent,
  type RetrievedEvent,
  type RingNoAnswerEvent,
  type TransferredData,
  type TransferredEvent,
  type VoicemailLeftData,
  type VoicemailLeftEvent,
  type VoicemailNotifiedData,
  type VoicemailNotifiedEvent,
  type WrapUpEndedEvent,
} from './contract/contact-event-log.js';
export {
  CHANNELS,
  ROUTING_STRATEGIES,
  isDeferredChannel,
  type AgentAttributeValue,
  type AgentConfig,
  type AgentQueueChoice,
  type AgentQueues,
  type AgentSnapshot,
  type AgentState,
  type CapacityClass,
  type Channel,
  type ContactSnapshot,
  type ConsultParty,
  type DialSpec,
  type ContactSpec,
  type ContactState,
  type Direction,
  type ExitReason,
  type Offer,
  type OverflowRule,
  type QueueAction,
  type QueueAnnouncementConfig,
  type QueueConfig,
  type QueueMembership,
  type RoutingStrategy,
  type SkillRequirement,
} from './contract/model.js';
export { BUILT_IN_LANGUAGES, builtInLanguage } from './telephony/announcement-texts.js';
export { MONITOR_MODES, type MonitorMode, type MonitorOptions, type MonitoringSession, type QualityManagement } from './contract/quality.js';
export {
  TelephonyAdapter,
  type AudioTap,
  type Prompt,
  type Recording,
  type TelephonyEvent,
} from './contract/telephony-adapter.js';
export {
  CONTACT_EVENT_LOG_SERVICE_VERSION,
  contactEventLogService,
  type ContactEventLogServiceOptions,
} from './log/contact-event-log-service.js';
export {
  contactOfEvent,
  foldContact,
  foldContacts,
  isEndedContact,
  isOpenContact,
  type ContactLife,
  type ContactLifeStatus,
} from './log/contact-fold.js';
export { COMMS_MIGRATIONS, CONTACT_EVENTS_TABLE } from './log/storage-event-log.js';
export {
  COMMS_SERVICE_VERSION,
  commsService,
  type CampaignSettings,
  type CampaignTargetQuery,
  type CommsDependencies,
  type CommsServiceOptions,
  type InteractionSettings,
  type IvrEntryPoint,
  type MonitoringSettings,
  type RecordingSettings,
  type TelephonySettings,
  type VoicemailSettings,
} from './service/comms-service.js';
export { openContacts, type WaitingContact } from './service/contact-recovery.js';
export {
  WEEKDAYS,
  isOpen,
  isTimeZone,
  nextOpening,
  type LocalTime,
  type Weekday,
  type WeeklyHours,
} from './acd/opening-hours.js';
export {
  type AgentStateChange,
  type ContactConnected,
  type ContactEnded,
  type ContactExit,
  type QueueAnnouncement,
  type QueuePosition,
  type QueueStatus,
  type ScheduledCallback,
  type ScheduledCallbackSpec,
  type WithdrawReason,
} from './acd/queue-router.js';
export {
  SIMULATED_TELEPHONY_SERVICE_VERSION,
  simulatedTelephonyService,
  type SimulatedTelephonyServiceOptions,
} from './telephony/simulated-telephony-service.js';
export {
  SimulatedTelephony,
  type SimulatedCaller,
  type SimulatedDestination,
  type SimulatedEndpoint,
} from './telephony/simulated-telephony.js';
export { type RtcpStats, type RtpStats } from './telephony/sip/rtp-session.js';
export {
  SipTelephonyAdapter,
  usersFromEnvironment,
  type SipAdapterMetrics,
  type SipTelephonyOptions,
  type SipTrunk,
  type SipUserCredentials,
} from './telephony/sip/sip-telephony-adapter.js';
export { SIP_TELEPHONY_SERVICE_VERSION, sipTelephonyService } from './telephony/sip/sip-telephony-service.js';
export {
  TELEPHONY_WITH_SIMULATION_SERVICE_VERSION,
  TelephonyWithSimulation,
  telephonyWithSimulationService,
  type RealTelephony,
} from './telephony/telephony-with-simulation.js';
export { VoicemailStore, type VoicemailMessage } from './telephony/voicemail/voicemail-store.js';
export { CallRecorder, type CallRecorderOptions, type RecordingChange } from './recording/call-recorder.js';
export { logRecordingChanges, recordingEvent } from './recording/recording-events.js';
export { CallRecording, type CallRecordingOptions, type CallRecordingSummary, type RecordingSide } from './recording/call-recording.js';
export { readRecording, WavStreamWriter, type RecordingAudio } from './recording/recording-file.js';
export { RecordingStore, type RecordingEnd, type RecordingEntry } from './recording/recording-store.js';
export { RECORDINGS_TABLE, StorageRecordingStore } from './recording/storage-recording-store.js';
export {
  EmailChannel,
  type EmailReply,
  type ReceivedEmail,
  type StoredAttachment,
  type StoredAttachmentInfo,
  type StoredEmail,
} from './email/email-channel.js';
export {
  OutboundMail,
  type MailAttachment,
  type OutgoingMail,
  type SentMail,
} from './email/outbound-mail.js';
export {
  EMAIL_CHANNEL_VERSION,
  emailChannel,
  type CustomerLookup,
  type EmailChannelOptions,
} from './email/smtp-email-channel.js';
export {
  SMTP_RELAY_MAIL_VERSION,
  smtpRelayMail,
  validateOutgoingMail,
  type SmtpRelayOptions,
} from './email/smtp-relay-mail.js';
export {
  ChatChannel,
  type ChatEndReason,
  type ChatInfo,
  type ChatMessage,
  type ChatPrincipal,
  type ChatSender,
  type ChatSocket,
  type OpenChatRequest,
  type OpenedChat,
} from './chat/chat-channel.js';
export { CHAT_CHANNEL_VERSION, chatChannel, type ChatChannelOptions } from './chat/ws-chat-channel.js';
export {
  type CampaignConfig,
  type CampaignProgress,
  type DialerMode,
  type RetryableResult,
} from './campaigns/campaign-dialer.js';
export { type InteractionRecord } from './interactions/interaction-record.js';
export { INTERACTIONS_TABLE, type InteractionQuery } from './interactions/interaction-store.js';
export {
  ContactFigures,
  type ContactFiguresOptions,
  type Estimate,
  type FiguresReport,
} from './simulation/contact-figures.js';
export { seededRandom, type Distribution, type RandomSource } from './simulation/random.js';
export { runSimulation, type SimulationOptions, type SimulationResult } from './simulation/simulation.js';
