/**
 * @caruso/comms: the communication server. Every contact with a customer passes through it:
 * queues, agents and the ACD, the contact event log, channel adapters, and the simulator.
 */
export * from './errors.js';
export * from './contract/clock.js';
export * from './simulation/random.js';
export * from './contract/model.js';
export * from './contract/contact-event-log.js';
export * from './log/in-memory-event-log.js';
export * from './acd/queue-router.js';
export * from './simulation/contact-figures.js';
export * from './simulation/erlang.js';
export * from './contract/telephony-adapter.js';
export * from './telephony/simulated-telephony.js';
export * from './telephony/telephony-channel.js';
export * from './simulation/simulation.js';
export * from './log/storage-event-log.js';
export * from './service/contact-recovery.js';
export { contactOfEvent, foldContact, foldContacts, isEndedContact, isOpenContact, type ContactLife, type ContactLifeStatus } from './log/contact-fold.js';
export * from './contract/communication-server.js';
export * from './service/comms-service.js';
export * from './log/contact-event-log-service.js';
export * from './telephony/simulated-telephony-service.js';
export * from './telephony/telephony-with-simulation.js';
// e-mail and web-chat channels
export * from './email/outbound-mail.js';
export * from './email/smtp-relay-mail.js';
export * from './email/email-channel.js';
export * from './email/smtp-email-channel.js';
// SIP and RTP telephony adapter
export * from './telephony/sip/index.js';
export * from './acd/opening-hours.js';
export * from './telephony/ivr/ivr-call.js';
export * from './telephony/voicemail/voicemail-store.js';
export * from './telephony/voicemail/storage-voicemail-store.js';
export * from './chat/chat-channel.js';
export * from './chat/ws-chat-channel.js';
export * from './campaigns/campaign-store.js';
export * from './campaigns/campaign-dialer.js';
export * from './interactions/interaction-record.js';
export * from './interactions/interaction-store.js';
export * from './interactions/interaction-recorder.js';
