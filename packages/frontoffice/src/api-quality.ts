/**
 * Quality management in the front office (docs/frontoffice-quality.md): a call's recording paused and
 * resumed from the desktop, a contact's recordings listed and played (every playback audited), the
 * supervisors' monitoring of calls (listen, whisper, barge) from the wallboard, and the supervisors'
 * watch of live chats with private notes to the agent (chat and e-mail contacts).
 *
 * Who may do what:
 * - supervisors and administrators (SUPERVISING) watch chats, write notes, monitor calls, and list and
 *   hear any recording;
 * - an agent pauses and resumes the recording of a call they are on, reads the notes of their own
 *   contacts, and lists and hears the recordings of contacts they handled themselves (403 for any
 *   other);
 * - a self-service visitor reaches none of it (403), nobody without a session (401).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { isCarusoError, type IDisposable, type Logger } from '@caruso/kernel';
import { foldContacts, type ChatChannel, type CommunicationServer, type ContactEvent, type ContactEventLog, type RecordingEntry } from '@caruso/comms';
import type { RoleName } from './common/application.js';
import type { QualityAgent, QualityNote, QualityRecording, QualityRecordingState, QualitySession } from './common/api-types.js';
import { FrontOfficeErrors } from './errors.js';
import { body, byteRange, need, str } from './internal/http.js';
import { BOOL, bodyOf, closed, errors, MONITOR_MODE, MONITOR_MODE_NAMES, MONITORING_SESSION as SESSION, NO_BODY, NO_CONTENT, params, QUALITY_AGENT, QUALITY_NOTE as NOTE, QUALITY_RECORDING as RECORDING, QUALITY_RECORDING_STATE as RECORDING_STATE, routeSchema, text } from './internal/route-schemas.js';
import type { Principal } from './internal/sessions.js';
import { SUPERVISING } from './permissions.js';

type Mode = (typeof MONITOR_MODE_NAMES)[number];
type ChatNote = Parameters<ChatChannel['deliverNote']>[0];
type WatchFrame = Parameters<Parameters<ChatChannel['watch']>[1]>[0];

/** Longest private note. */
export const MAX_NOTE_CHARS = 2_000;
/** Chats one watch socket may follow at once. */
const MAX_WATCHED = 20;
const STAFF: readonly RoleName[] = ['administrator', 'supervisor', 'agent'];
const NOTE_CHANNELS = new Set(['chat', 'email']);

export interface QualityApiDeps {
  readonly comms: () => CommunicationServer;
  readonly events: () => ContactEventLog | undefined;
  readonly chat: () => ChatChannel | undefined;
  /** Sends a frame to an agent's desktop sockets (/ws/agent). */
  readonly toAgent: (agentId: string, frame: object) => void;
  /** Writes the front office's audit (GET /api/audit). */
  readonly audit: (actor: string, action: string, target: string | null, detail?: Record<string, unknown>) => Promise<void>;
  readonly logger: Logger;
}


const noteOf = (e: ContactEvent): QualityNote | undefined =>
  e.kind === 'note-added' ? { id: String(e.seq), contactId: e.contactId, from: e.data.from, text: e.data.text, at: e.at, private: true } : undefined;

const recordingView = (r: RecordingEntry): QualityRecording => ({
  id: r.id,
  contactId: r.contactId,
  queueId: r.queueId ?? null,
  agentId: r.agentId ?? null,
  channels: r.channels,
  startedAt: r.startedAt,
  endedAt: r.endedAt ?? null,
  durationMs: r.durationMs,
  pausedMs: r.pausedMs,
  url: `/api/recordings/${encodeURIComponent(r.id)}/audio`,
});

/** The shared steps of the routes and the chat watch socket. */
export class QualityDesk {
  constructor(private readonly deps: QualityApiDeps) {}

  /** The communication server's quality part, or 503 when this assembly's server has none. */
  quality(): CommunicationServer {
    const c = this.deps.comms();
    if (typeof c.setRecordingPaused !== 'function' || typeof c.monitor !== 'function') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_QUALITY_UNAVAILABLE({ what: 'a communication server with quality management' });
    return c;
  }

  log(): ContactEventLog {
    const log = this.deps.events();
    if (!log) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_QUALITY_UNAVAILABLE({ what: 'the contact event log' });
    return log;
  }

  /** Whether the agent is on the live contact now (its agent or a conferee). */
  onContact(agentId: string | undefined, contactId: string): boolean {
    if (agentId === undefined) return false;
    const c = this.deps.comms().contact(contactId);
    return c !== undefined && (c.agentIds.includes(agentId) || (c.conferees ?? []).includes(agentId));
  }

  /** Whether the agent is on the contact now or took it (a `connected` event, or its interaction record, names them). */
  async handled(agentId: string | undefined, contactId: string): Promise<boolean> {
    if (agentId === undefined) return false;
    if (this.onContact(agentId, contactId)) return true;
    const log = this.deps.events();
    if (log && (await log.read({ contactId, limit: 10_000 })).some((e) => e.kind === 'connected' && e.agentId === agentId)) return true;
    const records = await this.deps.comms().interactions({ contactId, limit: 20 });
    return records.some((r) => r.agentId === agentId);
  }

  async events(contactId: string): Promise<ContactEvent[]> {
    return this.log().read({ contactId, limit: 10_000 });
  }

  async notes(contactId: string): Promise<QualityNote[]> {
    return (await this.events(contactId)).map(noteOf).filter((n): n is QualityNote => n !== undefined);
  }

  /** Makes what is buffered in the contact event log durable: reads see durable events only. */
  async flushed(): Promise<void> {
    await this.log().flush().catch((err: unknown) => this.deps.logger.warn({ err: { code: (err as { code?: string }).code } }, 'the contact event log could not be flushed'));
  }

  /**
   * The recording state of a contact as the contact fold has it. `flush`: first make buffered events
   * durable (a recorder's event may be buffered still); a caller reading many contacts flushes once.
   */
  async recordingState(contactId: string, flush = true): Promise<QualityRecordingState> {
    if (flush) await this.flushed();
    const events = await this.events(contactId);
    const life = foldContacts(events).get(contactId);
    const started = [...events].reverse().find((e) => e.kind === 'recording-started');
    return { state: life?.recording ?? 'off', recordingId: life && life.recording !== 'off' && started?.kind === 'recording-started' ? started.data.recordingId : null };
  }

  /**
   * A supervisor's private note to the agent of an open chat or e-mail contact: logged (`note-added`,
   * durable before the answer), then sent to the agent's desktop and, for a chat, through the chat
   * hub to the agent's chat panel and the watchers. Never to the customer.
   */
  async addNote(p: Principal, contactId: string, raw: unknown): Promise<QualityNote> {
    const noteText = str(raw, 'text', MAX_NOTE_CHARS).trim();
    if (noteText === '') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a note needs a text' });
    const contact = this.deps.comms().contact(contactId);
    if (!contact) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'open contact' });
    if (!NOTE_CHANNELS.has(contact.channel)) {
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOTE_CHANNEL({ contact: contactId, channel: contact.channel }, { details: { channel: contact.channel } });
    }
    const log = this.log();
    const agentId = contact.agentIds[0];
    const e = log.append({
      kind: 'note-added', at: this.deps.comms().now(), contactId, channel: contact.channel, queueId: contact.queueId,
      ...(agentId !== undefined ? { agentId } : {}),
      data: { from: p.name, text: noteText, private: true },
    });
    await log.flush();
    const note = noteOf(e)!;
    if (agentId !== undefined) this.deps.toAgent(agentId, { type: 'note', ...note });
    if (contact.channel === 'chat') {
      const chatNote: ChatNote = { chatId: contactId, id: note.id, from: note.from, text: note.text, at: note.at };
      try {
        this.deps.chat()?.deliverNote(chatNote);
      } catch (err) {
        // Logged already: a chat that ended meanwhile reads it from the log.
        if (!isCarusoError(err, 'CARUSO_COMMS_CHAT_UNKNOWN_CHAT')) throw err;
      }
    }
    return note;
  }
}

/** Registers the quality routes (see the module's comment for who may do what). */
export function registerQualityApi(fastify: FastifyInstance, deps: QualityApiDeps, desk: QualityDesk = new QualityDesk(deps)): void {
  const contactIdOf = (req: FastifyRequest): string => str((req.params as { id: string }).id, 'contact', 128);
  /** A supervisor, or the agent on the live contact (404 for another agent, as if it did not exist). */
  const supervisorOrAgentOn = (req: FastifyRequest, action: string): { p: Principal; contactId: string } => {
    const p = need(req, STAFF, action);
    const contactId = contactIdOf(req);
    if (!SUPERVISING.includes(p.role) && !desk.onContact(p.agentId, contactId)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact' });
    return { p, contactId };
  };

  // ---- private notes ------------------------------------------------------------------------------
  fastify.get('/api/contacts/:id/notes', {
    schema: routeSchema('The private notes supervisors wrote to the agent of a contact, oldest first (the agent on the contact, supervisors)', [...STAFF], {
      params: params(['id'], 128),
      response: { 200: { description: 'the notes', ...closed({ data: { type: 'array', items: NOTE } }) }, ...errors([404, 'no such contact of this agent'], [503, 'no contact event log in this assembly']) },
    }),
  }, async (req) => {
    const p = need(req, STAFF, 'read private notes');
    const contactId = contactIdOf(req);
    const notes = await desk.notes(contactId);
    // An agent reads the notes of a contact they are on, or that were written to them.
    if (!SUPERVISING.includes(p.role) && !desk.onContact(p.agentId, contactId)) {
      const events = await desk.events(contactId);
      if (!events.some((e) => e.kind === 'note-added' && e.agentId === p.agentId)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact' });
    }
    return { data: notes };
  });

  fastify.post('/api/contacts/:id/notes', {
    schema: routeSchema('A supervisor\'s private note to the agent of an open chat or e-mail contact: logged (note-added), shown in the agent\'s desktop marked private, never sent to the customer', [...SUPERVISING], {
      params: params(['id'], 128),
      body: bodyOf({ text: { type: 'string', minLength: 1, maxLength: MAX_NOTE_CHARS } }, ['text']),
      response: { 201: { description: 'the note as logged', ...closed({ data: NOTE }) }, ...errors([400, 'an empty text'], [404, 'no open contact'], [409, 'a contact that is no chat or e-mail (CARUSO_FRONTOFFICE_NOTE_CHANNEL)'], [503, 'no contact event log in this assembly']) },
    }),
  }, async (req, reply) => {
    const p = need(req, SUPERVISING, 'write private notes');
    const b = body(req, ['text']);
    const note = await desk.addNote(p, contactIdOf(req), b['text']);
    return reply.code(201).send({ data: note });
  });

  // ---- recording ----------------------------------------------------------------------------------
  fastify.get('/api/contacts/:id/recording', {
    schema: routeSchema('Whether a contact is being recorded now, and whether the recording is paused (from the contact event log)', [...STAFF], {
      params: params(['id'], 128),
      response: { 200: { description: 'the recording state', ...closed({ data: RECORDING_STATE }) }, ...errors([404, 'no such contact of this agent'], [503, 'no contact event log in this assembly']) },
    }),
  }, async (req) => {
    const { contactId } = supervisorOrAgentOn(req, 'see recording state');
    return { data: await desk.recordingState(contactId) };
  });

  fastify.patch('/api/contacts/:id/recording', {
    schema: routeSchema('Pause (paused: true) or resume a call\'s recording, e.g. while the customer reads card details; the paused stretch is silence and the change is in the event log (recording-paused, recording-resumed)', [...STAFF], {
      params: params(['id'], 128),
      body: bodyOf({ paused: BOOL }, ['paused']),
      response: {
        200: { description: 'the recording state now', ...closed({ data: RECORDING_STATE }) },
        ...errors([404, 'no such contact of this agent'], [409, 'the contact is not being recorded (CARUSO_COMMS_CONTACT_STATE)'], [503, 'no recording in this assembly, or no contact event log']),
      },
    }),
  }, async (req) => {
    const { p, contactId } = supervisorOrAgentOn(req, 'pause or resume recording');
    const b = body(req, ['paused']);
    if (typeof b['paused'] !== 'boolean') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'paused must be true or false' });
    await desk.quality().setRecordingPaused(contactId, b['paused'], p.name);
    deps.logger.info({ contact: contactId, paused: b['paused'], by: p.name }, 'recording paused or resumed');
    return { data: await desk.recordingState(contactId) };
  });

  /** The recordings the principal may list of a contact (403 for an agent who did not handle it). */
  const recordingsFor = async (p: Principal, contactId: string): Promise<RecordingEntry[]> => {
    const entries = await desk.quality().recordings(contactId);
    if (SUPERVISING.includes(p.role)) return entries;
    // An agent who took the contact (first, or after a transfer) hears all of it, as the audio route allows.
    if (!(await desk.handled(p.agentId, contactId))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: 'hear recordings of another agent\'s contacts' });
    return entries;
  };

  fastify.get('/api/contacts/:id/recordings', {
    schema: routeSchema('The recordings of a contact (metadata, oldest first): supervisors any, an agent only of contacts they handled', [...STAFF], {
      params: params(['id'], 128),
      response: { 200: { description: 'the recordings', ...closed({ data: { type: 'array', items: RECORDING } }) }, ...errors([403, 'an agent and another agent\'s contact'], [503, 'no recording in this assembly']) },
    }),
  }, async (req) => {
    const p = need(req, STAFF, 'list recordings');
    return { data: (await recordingsFor(p, contactIdOf(req))).map(recordingView) };
  });

  fastify.get('/api/recordings/:id/audio', {
    schema: routeSchema('A recording\'s audio (audio/wav); every playback is written to the audit (recording.play). Supervisors any, an agent only of contacts they handled; never to self-service', [...STAFF], {
      params: params(['id'], 128),
      response: {
        200: { description: 'the recording (Accept-Ranges: bytes)', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } },
        206: { description: 'the bytes a Range header asked for (one range: bytes=a-b, a- or -n), with Content-Range', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } },
        ...errors([403, 'an agent and another agent\'s recording, or a self-service session'], [404, 'no such recording'], [416, 'a range past the end of the audio (CARUSO_FRONTOFFICE_RANGE_NOT_SATISFIABLE)'], [503, 'no recording in this assembly']),
      },
    }),
  }, async (req, reply) => {
    const p = need(req, STAFF, 'hear recordings');
    const id = str((req.params as { id: string }).id, 'id', 128);
    const found = await desk.quality().recordingAudio(id);
    if (!found) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'recording' });
    const { entry, wav } = found;
    if (!SUPERVISING.includes(p.role)) {
      // The agent the catalogue names, or any agent who took the contact (after a transfer, say).
      const mine = (entry.agentId !== undefined && entry.agentId === p.agentId) || (await desk.handled(p.agentId, entry.contactId));
      if (!mine) {
        await deps.audit(p.name, 'recording.play-refused', id, { contactId: entry.contactId });
        throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: 'hear another agent\'s recording' });
      }
    }
    // A player seeks with Range requests: one range is served (206); several, or one unreadable, get it all.
    const total = wav.byteLength;
    const range = byteRange(req.headers.range, total);
    if (range === 'unsatisfiable') {
      void reply.header('content-range', `bytes */${total}`);
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_RANGE_NOT_SATISFIABLE({ range: String(req.headers.range).slice(0, 64), size: total, what: 'recording' });
    }
    const [from, to] = range ?? [0, total - 1];
    // Written before a byte of audio leaves: no playback (nor any part of one) without its audit row.
    await deps.audit(p.name, 'recording.play', id, { contactId: entry.contactId, bytes: to - from + 1, ...(range ? { range: `${from}-${to}` } : {}) });
    void reply.type('audio/wav').header('accept-ranges', 'bytes').header('content-disposition', `inline; filename="${id.replace(/[^A-Za-z0-9._-]/g, '_')}.wav"`);
    if (range) void reply.code(206).header('content-range', `bytes ${from}-${to}/${total}`);
    return reply.send(Buffer.from(wav.buffer, wav.byteOffset + from, to - from + 1));
  });

  // ---- monitoring of calls ------------------------------------------------------------------------
  const sessionOf = (supervisor: string): QualitySession | null => desk.quality().monitoring().find((s) => s.supervisor === supervisor) ?? null;

  fastify.get('/api/monitoring', {
    schema: routeSchema('The supervisors\' monitoring sessions running now, oldest first', [...SUPERVISING], {
      response: { 200: { description: 'the sessions', ...closed({ data: { type: 'array', items: SESSION } }) }, ...errors([503, 'no monitoring in this assembly']) },
    }),
  }, async (req) => {
    need(req, SUPERVISING, 'see monitoring');
    return { data: desk.quality().monitoring() };
  });

  fastify.post('/api/monitoring', {
    schema: routeSchema('Start monitoring a busy agent\'s call (listen, whisper or barge) through the supervisor\'s phone, which the server dials; resolves once joined (monitoring-started)', [...SUPERVISING], {
      body: bodyOf({ agentId: text(64), mode: MONITOR_MODE, phone: text(64) }, ['agentId', 'mode']),
      response: {
        201: { description: 'the session', ...closed({ data: SESSION }) },
        ...errors([400, 'no phone for this supervisor (CARUSO_COMMS_INVALID_CONTACT)'], [404, 'no such agent'], [409, 'the agent has no call, the supervisor monitors one already, or the phone did not answer'], [503, 'no monitoring in this assembly']),
      },
    }),
  }, async (req, reply) => {
    const p = need(req, SUPERVISING, 'monitor calls');
    const b = body(req, ['agentId', 'mode', 'phone']);
    const agentId = str(b['agentId'], 'agentId', 64);
    const mode = str(b['mode'], 'mode', 10) as Mode;
    const phone = b['phone'] === undefined ? undefined : str(b['phone'], 'phone', 64);
    const q = desk.quality();
    await q.monitor(p.name, agentId, mode, phone === undefined ? {} : { phone });
    const s = sessionOf(p.name);
    await deps.audit(p.name, 'monitoring.start', agentId, { mode, contactId: s?.contactId ?? null });
    if (!s) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'monitoring session (the call ended)' });
    return reply.code(201).send({ data: s });
  });

  fastify.patch('/api/monitoring', {
    schema: routeSchema('Switch the supervisor\'s running session to another mode without dialling again (monitoring-changed)', [...SUPERVISING], {
      body: bodyOf({ mode: MONITOR_MODE }, ['mode']),
      response: { 200: { description: 'the session now', ...closed({ data: SESSION }) }, ...errors([409, 'the supervisor monitors nothing'], [503, 'no monitoring in this assembly']) },
    }),
  }, async (req) => {
    const p = need(req, SUPERVISING, 'monitor calls');
    const mode = str(body(req, ['mode'])['mode'], 'mode', 10) as Mode;
    await desk.quality().setMonitorMode(p.name, mode);
    const s = sessionOf(p.name);
    await deps.audit(p.name, 'monitoring.mode', s?.agentId ?? null, { mode, contactId: s?.contactId ?? null });
    if (!s) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'monitoring session (the call ended)' });
    return { data: s };
  });

  fastify.delete('/api/monitoring', {
    schema: routeSchema('Stop the supervisor\'s monitoring: their phone is hung up (monitoring-stopped); harmless when none', [...SUPERVISING], {
      body: NO_BODY,
      response: { 204: NO_CONTENT, ...errors([503, 'no monitoring in this assembly']) },
    }),
  }, async (req, reply) => {
    const p = need(req, SUPERVISING, 'monitor calls');
    const before = sessionOf(p.name);
    await desk.quality().stopMonitoring(p.name);
    if (before) await deps.audit(p.name, 'monitoring.stop', before.agentId, { mode: before.mode, contactId: before.contactId });
    return reply.code(204).send();
  });

  // ---- the wallboard's agents -----------------------------------------------------------------------
  fastify.get('/api/quality/agents', {
    schema: routeSchema('The agents with contacts now: each contact\'s channel and recording state, and who monitors them (the wallboard\'s Listen / Whisper / Barge menu and chat watch)', [...SUPERVISING], {
      response: { 200: { description: 'the agents with contacts', ...closed({ data: { type: 'array', items: QUALITY_AGENT }, monitoring: { type: 'boolean', description: 'whether this assembly can record and monitor calls' } }) } },
    }),
  }, async (req) => {
    need(req, SUPERVISING, 'see the wallboard');
    const comms = deps.comms();
    let sessions: readonly QualitySession[] = [];
    let monitoring = true;
    try {
      sessions = desk.quality().monitoring();
    } catch {
      monitoring = false;
    }
    const log = deps.events();
    if (log) await desk.flushed();
    const agents: QualityAgent[] = [];
    for (const a of comms.agents()) {
      if (a.contactIds.length === 0) continue;
      const contacts = await Promise.all(a.contactIds.map(async (id) => ({
        contactId: id,
        channel: comms.contact(id)?.channel ?? 'call',
        recording: log ? (await desk.recordingState(id, false)).state : ('off' as const),
      })));
      agents.push({ agentId: a.id, state: a.state, contacts, monitoring: sessions.filter((s) => s.agentId === a.id) });
    }
    return { data: agents, monitoring };
  });
}

/**
 * A supervisor's chat watch socket (`/ws/chat/watch`), JSON frames:
 * - `{ type: 'watch', chatId }` → `{ type: 'watching', chatId, chat, transcript, notes }`, then the
 *   chat's `message`, `connected`, `note` and `ended` frames as they happen (read-only);
 * - `{ type: 'unwatch', chatId }` → `{ type: 'unwatched', chatId }`;
 * - `{ type: 'note', chatId, text, clientId? }` → the note is logged and delivered to the agent, then
 *   `{ type: 'noted', chatId, id, clientId }`;
 * - a bad frame → `{ type: 'error', code, message, ref }` (the socket stays open).
 */
export function attachChatWatch(ws: WebSocket, p: Principal, desk: QualityDesk, hub: ChatChannel, logger: Logger): void {
  const watched = new Map<string, IDisposable>();
  const send = (frame: object): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const error = (err: unknown, ref: unknown): void => {
    const e = isCarusoError(err) ? err : undefined;
    if (!e) logger.warn({ err: { message: (err as Error).message } }, 'chat watch frame failed');
    send({ type: 'error', code: e?.code ?? 'CARUSO_FRONTOFFICE_INTERNAL', message: e?.message ?? 'internal error', ref: typeof ref === 'string' ? ref.slice(0, 100) : null });
  };
  ws.on('close', () => {
    for (const d of watched.values()) d.dispose();
    watched.clear();
  });
  const watch = async (chatId: string): Promise<void> => {
    if (watched.has(chatId)) return;
    if (watched.size >= MAX_WATCHED) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `watch at most ${MAX_WATCHED} chats at once` });
    // Subscribed first, read after: what happens in between is held, then sent unless the snapshot has it.
    let held: WatchFrame[] | undefined = [];
    const sub = hub.watch(chatId, (f) => {
      if (held) held.push(f);
      else send(f);
      if (f.type === 'ended') {
        watched.get(chatId)?.dispose();
        watched.delete(chatId);
      }
    });
    watched.set(chatId, sub);
    try {
      const [chat, transcript, notes] = await Promise.all([hub.chat(chatId), hub.transcript(chatId), desk.notes(chatId)]);
      send({ type: 'watching', chatId, chat: chat ?? null, transcript: transcript.map((m) => ({ seq: m.seq, from: m.from, agentId: m.agentId ?? null, text: m.text, at: m.at })), notes });
      const lastSeq = transcript.reduce((m, x) => Math.max(m, x.seq), 0);
      const noteIds = new Set(notes.map((n) => n.id));
      for (const f of held) if (!(f.type === 'message' && f.seq <= lastSeq) && !(f.type === 'note' && noteIds.has(f.id))) send(f);
      held = undefined;
    } catch (err) {
      sub.dispose();
      watched.delete(chatId);
      throw err;
    }
  };
  ws.on('message', (data: Buffer) => {
    let f: Record<string, unknown> | undefined;
    try {
      const v = JSON.parse(String(data)) as unknown;
      f = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      f = undefined;
    }
    if (!f || typeof f['type'] !== 'string') return error(FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a frame is a JSON object with a string "type"' }), undefined);
    const frame = f;
    const chatId = typeof frame['chatId'] === 'string' && frame['chatId'].length <= 128 ? frame['chatId'] : undefined;
    const ref = frame['clientId'] ?? chatId;
    void (async () => {
      if (chatId === undefined) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${String(frame['type']).slice(0, 20)} needs a chatId of at most 128 characters` });
      switch (frame['type']) {
        case 'watch':
          return watch(chatId);
        case 'unwatch':
          watched.get(chatId)?.dispose();
          watched.delete(chatId);
          return send({ type: 'unwatched', chatId });
        case 'note': {
          const note = await desk.addNote(p, chatId, frame['text']);
          return send({ type: 'noted', chatId, id: note.id, clientId: typeof frame['clientId'] === 'string' ? frame['clientId'].slice(0, 100) : null });
        }
        default:
          throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown frame type ${JSON.stringify(frame['type']).slice(0, 40)}; watch, unwatch or note` });
      }
    })().catch((err: unknown) => error(err, ref));
  });
}
