import { defineErrors } from '@caruso/kernel';

/** Every error the communication server raises. Each code is documented in docs/errors.md. */
export const CommsErrors = defineErrors({
  CARUSO_COMMS_INVALID_QUEUE: { message: 'queue {queue}: {reason}' },
  CARUSO_COMMS_INVALID_AGENT: { message: 'agent {agent}: {reason}' },
  CARUSO_COMMS_INVALID_CONTACT: { message: 'contact {contact}: {reason}' },
  CARUSO_COMMS_UNKNOWN_QUEUE: { message: 'no queue {queue}; known queues: {known}', status: 404 },
  CARUSO_COMMS_UNKNOWN_AGENT: { message: 'no agent {agent}', status: 404 },
  CARUSO_COMMS_QUEUE_NOT_ALLOWED: { message: 'agent {agent} may not serve queue {queue}; allowed: {allowed}', status: 403 },
  CARUSO_COMMS_UNKNOWN_CONTACT: { message: 'no active contact {contact}', status: 404 },
  CARUSO_COMMS_UNKNOWN_OFFER: { message: 'no pending offer {offer} (it was answered, withdrawn or timed out)', status: 409 },
  CARUSO_COMMS_DUPLICATE: { message: '{what} {id} already exists', status: 409 },
  CARUSO_COMMS_AGENT_STATE: { message: 'agent {agent} cannot {action} while {state}', status: 409 },
  CARUSO_COMMS_CONTACT_STATE: { message: 'contact {contact} cannot {action} while {state}', status: 409 },
  CARUSO_COMMS_UNKNOWN_CALL: { message: 'no call {call} on telephony adapter {adapter}', status: 404 },
  CARUSO_COMMS_INVALID_SIMULATION: { message: 'invalid simulation: {reason}' },
  CARUSO_COMMS_EVENT_LOG_FAILED: {
    message: 'the contact event log could not be written ({reason}); the change was not acknowledged',
    status: 503,
    kind: 'bug',
  },
  CARUSO_COMMS_INVALID_EVENT: { message: 'event {seq} of the contact event log is malformed: {reason}', kind: 'bug' },
  CARUSO_COMMS_DATABASE_IN_USE: {
    message: 'the contact event log of this database is written by another process (host {host}, pid {pid}, since {since}, last heartbeat {ago} s ago); stop that process, or start this one {stale} s after it stopped',
    status: 503,
  },
  // SIP and RTP adapter (src/sip/)
  CARUSO_COMMS_SIP_INVALID_OPTIONS: { message: 'SIP adapter options: {reason}' },
  CARUSO_COMMS_SIP_LISTEN_FAILED: { message: 'the SIP adapter could not listen on {address} ({reason}); choose another port with SIP_PORT or the assembly file' },
  CARUSO_COMMS_SIP_NO_MEDIA_PORT: { message: 'no free RTP port between {min} and {max}; widen rtpPorts or lower maxCalls', status: 503 },
  CARUSO_COMMS_SIP_BAD_AUDIO: { message: 'audio file {file}: {reason}' },
  // e-mail and web-chat channels (src/email, src/chat)
  CARUSO_COMMS_MAIL_INVALID_MESSAGE: { message: 'the e-mail cannot be sent: {field} {reason}' },
  CARUSO_COMMS_MAIL_SEND_FAILED: { message: 'the mail relay {relay} did not take the message: {reason}; send it again later', status: 502 },
  CARUSO_COMMS_MAIL_INVALID_OPTIONS: { message: 'e-mail channel options: {field} {reason}' },
  CARUSO_COMMS_MAIL_TOO_LARGE: { message: 'the message is larger than {limit} bytes and was refused', status: 413 },
  CARUSO_COMMS_MAIL_MALFORMED: { message: 'the message could not be read as e-mail: {reason}' },
  CARUSO_COMMS_MAIL_STORE_FAILED: { message: 'the e-mail could not be stored ({reason}); it was not acknowledged', status: 503, kind: 'bug' },
  CARUSO_COMMS_MAIL_UNKNOWN_THREAD: { message: 'no e-mail thread for contact {contact}', status: 404 },
  CARUSO_COMMS_CHAT_AUTH_FAILED: { message: 'the chat connection was refused: {reason}', status: 401 },
  CARUSO_COMMS_CHAT_INVALID_FRAME: { message: 'chat frame refused: {reason}' },
  CARUSO_COMMS_CHAT_UNKNOWN_CHAT: { message: 'no open chat {chat}', status: 404 },
  CARUSO_COMMS_CHAT_FORBIDDEN: { message: '{who} may not {action} in chat {chat}', status: 403 },
  CARUSO_COMMS_CHAT_INVALID_OPTIONS: { message: 'chat channel options: {field} {reason}' },
  CARUSO_COMMS_CHAT_STORE_FAILED: { message: 'the chat could not be stored ({reason}); nothing was acknowledged', status: 503, kind: 'bug' },
  CARUSO_COMMS_INVALID_CAMPAIGN: { message: 'campaign {campaign}: {reason}' },
  CARUSO_COMMS_UNKNOWN_CAMPAIGN: { message: 'no campaign {campaign}', status: 404 },
  CARUSO_COMMS_CAMPAIGN_STATE: { message: 'campaign {campaign} cannot {action} while {state}', status: 409 },
  // the communication server's options (commsService)
  CARUSO_COMMS_INVALID_OPTIONS: { message: 'communication server options: {field} {reason}' },
});

/** The union of communication-server error codes. */
export type CommsErrorCode = (typeof CommsErrors.codes)[number];
