import type { IDisposable } from '@caruso/kernel';
import type { ContactEventInput, ContactEventSink } from '../contract/contact-event-log.js';
import type { CallRecorder, RecordingChange } from './call-recorder.js';

/** The contact event a recording change is written as. */
export function recordingEvent(c: RecordingChange): ContactEventInput {
  const data = { recordingId: c.recordingId };
  const who = c.by === undefined || c.by === 'system' ? { reason: 'system' } : { agentId: c.by, reason: 'agent' };
  const where = { channel: 'call' as const, ...(c.queueId !== undefined ? { queueId: c.queueId } : {}) };
  switch (c.kind) {
    case 'started':
      return { kind: 'recording-started', at: c.at, contactId: c.contactId, data, ...where, ...(c.agentId !== undefined ? { agentId: c.agentId } : {}) };
    case 'paused':
      return { kind: 'recording-paused', at: c.at, contactId: c.contactId, data, ...where, ...who };
    case 'resumed':
      return { kind: 'recording-resumed', at: c.at, contactId: c.contactId, data, ...where, ...who };
    default:
      return {
        kind: 'recording-stopped',
        at: c.at,
        contactId: c.contactId,
        data: { ...data, durationMs: c.durationMs ?? 0, pausedMs: c.pausedMs ?? 0 },
        ...where,
        ...(c.agentId !== undefined ? { agentId: c.agentId } : {}),
      };
  }
}

/** Writes every change of a recorder to the contact event log (start, pause, resume, stop). */
export function logRecordingChanges(recorder: CallRecorder, sink: ContactEventSink): IDisposable {
  return recorder.onDidChange((c) => {
    sink.append(recordingEvent(c));
  });
}
