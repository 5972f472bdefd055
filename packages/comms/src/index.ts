/**
 * @caruso/comms: the communication server. Every contact with a customer passes through it:
 * queues, agents and the ACD, the contact event log, channel adapters, and the simulator.
 */
export * from './errors.js';
export * from './clock.js';
export * from './random.js';
export * from './model.js';
export * from './contact-event-log.js';
export * from './in-memory-event-log.js';
export * from './queue-router.js';
export * from './contact-figures.js';
export * from './erlang.js';
export * from './telephony-adapter.js';
export * from './simulated-telephony.js';
export * from './telephony-channel.js';
export * from './simulation.js';
export * from './storage-event-log.js';
export * from './contact-recovery.js';
export { contactOfEvent, foldContact, foldContacts, isEndedContact, isOpenContact, type ContactLife, type ContactLifeStatus } from './contact-fold.js';
export * from './communication-server.js';
export * from './comms-service.js';
export * from './contact-event-log-service.js';
export * from './simulated-telephony-service.js';
export * from './telephony-with-simulation.js';
// e-mail and web-chat channels
export * from './email/outbound-mail.js';
export * from './email/smtp-relay-mail.js';
export * from './email/email-channel.js';
export * from './email/smtp-email-channel.js';
// SIP and RTP telephony adapter
export * from './sip/index.js';
export * from './opening-hours.js';
export * from './ivr/ivr-call.js';
export * from './voicemail/voicemail-store.js';
export * from './voicemail/storage-voicemail-store.js';
export * from './chat/chat-channel.js';
export * from './chat/ws-chat-channel.js';
export * from './campaigns/campaign-store.js';
export * from './campaigns/campaign-dialer.js';
export * from './interactions/interaction-record.js';
export * from './interactions/interaction-store.js';
export * from './interactions/interaction-recorder.js';
