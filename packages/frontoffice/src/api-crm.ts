/**
 * The CRM routes of a record (docs/crm-api.md): its whole history (contacts from the communication
 * server's interaction records and the channels' stores, grouped field changes, notes, tasks), notes,
 * tasks and reminders, the global search, duplicates and merge, and each user's saved list filters.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ChatChannel, CommunicationServer, ContactEventLog, EmailChannel, InteractionRecord, VoicemailStore } from '@caruso/comms';
import type { AuditEntry, BusinessObjects, RecordKey } from '@caruso/objects';
import { parseKey } from './api-objects.js';
import type { HistoryContact, NoteView, SearchAnswer, TaskList, TaskView } from './common/api-types.js';
import type { Application, RoleName } from './common/application.js';
import type { CrmStore, Note, Task } from './crm-store.js';
import { NOTE_EDIT_WINDOW_MS } from './crm-store.js';
import { FrontOfficeErrors } from './errors.js';
import type { FollowUps } from './follow-ups.js';
import { body, need, str } from './internal/http.js';
import type { Principal } from './internal/sessions.js';
import { ANY, BOOL, bodyOf, closed, errors, INT, NO_CONTENT, nullable, params, routeSchema, STRINGS, text, type JsonSchema } from './internal/route-schemas.js';
import { Permissions, type ObjectRights } from './permissions.js';
import { dayStartIn, nextDayStartIn, processTimeZone } from './internal/local-day.js';

const STAFF = ['administrator', 'supervisor', 'agent'] as const;
const MANAGERS: readonly RoleName[] = ['supervisor', 'administrator'];

export interface CrmApiDeps {
  readonly app: Application;
  readonly objects: BusinessObjects;
  readonly permissions: Permissions;
  readonly store: CrmStore;
  readonly comms: () => CommunicationServer;
  readonly chat: () => ChatChannel | undefined;
  readonly email: () => EmailChannel | undefined;
  readonly events: () => ContactEventLog | undefined;
  readonly voicemails: () => Pick<VoicemailStore, 'get' | 'list'> | undefined;
  readonly usersByAgent: () => Promise<ReadonlyMap<string, string>>;
  readonly followUps: FollowUps;
  /** Records an administrative action in the audit. */
  readonly audit: (actor: string, action: string, target: string | null, detail?: Record<string, unknown>) => Promise<void>;
}

// ---- the record and its rights ------------------------------------------------------------------

interface ReadableRecord {
  readonly principal: Principal;
  readonly rights: ObjectRights;
  readonly key: RecordKey;
  readonly id: string;
  readonly record: Record<string, unknown>;
}

/** The record of the URL when the session's role may read it (404 otherwise, as if it did not exist). */
async function readable(deps: CrmApiDeps, req: FastifyRequest, object: string, id: string, action: string): Promise<ReadableRecord> {
  const principal = need(req, STAFF, action);
  const rights = deps.permissions.on(principal.role, object);
  if (!rights || !rights.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `object ${object.slice(0, 100)}` });
  const key = parseKey(rights, id);
  const record = await deps.objects.repository(rights.object.name).get(key);
  if (!record) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${rights.object.name} ${String(key)}` });
  return { principal, rights, key, id: String(key), record };
}

// ---- history --------------------------------------------------------------------------------------

type HistoryItem = Record<string, unknown> & { readonly kind: 'contact' | 'note' | 'task' | 'change'; readonly at: number; readonly sortKey: string };

const HISTORY_KINDS = ['contact', 'note', 'task', 'change'] as const;
const CHANNELS = ['call', 'email', 'chat', 'callback'] as const;

/** One item per save: audit entries of the same time, actor and action are one change. */
export function groupChanges(entries: readonly AuditEntry[], rights: ObjectRights): HistoryItem[] {
  const out: HistoryItem[] = [];
  let current: { at: string; actor: string | null; action: string; fields: Record<string, unknown>[] } | undefined;
  const flush = (): void => {
    if (!current) return;
    const at = Date.parse(current.at);
    const imported = current.action === 'create' && (current.actor ?? '').startsWith('import:');
    out.push({
      kind: 'change',
      at: Number.isFinite(at) ? at : 0,
      sortKey: `change:${current.at}:${out.length}`,
      actor: current.actor ?? 'system',
      action: imported ? 'import' : current.action,
      fields: current.fields,
    });
  };
  for (const e of entries) {
    if (e.field !== null && !rights.visible.has(e.field)) continue;
    if (!current || current.at !== e.at || current.actor !== e.actor || current.action !== e.action || e.action === 'merge') {
      flush();
      current = { at: e.at, actor: e.actor, action: e.action, fields: [] };
    }
    if (e.field !== null) {
      const label = rights.object.fields.find((f) => f.name === e.field)?.label ?? e.field;
      current.fields.push({ field: e.field, label, before: e.oldValue ?? null, after: e.newValue ?? null });
    } else if (e.action === 'merge') current.fields.push({ field: '$merge', label: 'merge', before: null, after: e.newValue ?? null });
  }
  flush();
  return out;
}

const noteView = (n: Note, now: number, who: string): NoteView => ({
  id: n.id,
  at: n.createdAt,
  author: n.author,
  text: n.text,
  editableUntil: n.author === who && now < n.createdAt + NOTE_EDIT_WINDOW_MS ? n.createdAt + NOTE_EDIT_WINDOW_MS : null,
});

export const taskView = (t: Task): TaskView => ({
  id: t.id,
  object: t.object,
  recordId: t.recordKey,
  at: t.createdAt,
  title: t.title,
  kind: t.kind,
  note: t.note,
  due: t.due,
  assignee: t.assignee,
  done: t.done,
  createdBy: t.createdBy,
  rule: t.rule,
  callbackId: t.callbackId,
});

function cursorOf(item: HistoryItem): string {
  return Buffer.from(`${item.at}|${item.sortKey}`).toString('base64url');
}

function parseCursor(c: string): { at: number; key: string } {
  const m = /^(\d{1,16})\|(.{1,400})$/s.exec(Buffer.from(c, 'base64url').toString());
  if (!m) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'before is not a cursor this server gave' });
  return { at: Number(m[1]), key: m[2] as string };
}

/** Newest first; at equal times by a stable key. */
const newestFirst = (a: HistoryItem, b: HistoryItem): number => b.at - a.at || (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0);

function listParam<T extends string>(v: unknown, name: string, allowed: readonly T[]): Set<T> | undefined {
  if (v === undefined || v === '') return undefined;
  const words = String(v).split(',').filter((w) => w !== '');
  const bad = words.filter((w) => !(allowed as readonly string[]).includes(w));
  if (bad.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${name} takes ${allowed.join(', ')}; not ${bad.join(', ').slice(0, 100)}` });
  return new Set(words as T[]);
}

function intParam(v: unknown, name: string, min: number, max: number, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!/^\d{1,9}$/.test(String(v)) || n < min || n > max) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${name} must be a whole number from ${min} to ${max}` });
  return n;
}

const CONTACT_ITEM = closed({
  kind: { const: 'contact' }, at: INT, contactId: text(), channel: { enum: [...CHANNELS] }, direction: text(), outcome: text(),
  queue: { oneOf: [{ type: 'null' }, closed({ id: text(), label: text() })] }, agent: nullable('string'), waitMs: nullable('number'), talkMs: nullable('number'),
  disposition: { oneOf: [{ type: 'null' }, closed({ code: text(), label: text() })] }, note: nullable('string'), campaign: nullable('string'),
  ivr: { oneOf: [{ type: 'null' }, closed({ script: text(), outcome: nullable('string') })] },
  voicemail: { oneOf: [{ type: 'null' }, closed({ url: text(), durationMs: { type: 'number' } })] },
  email: { oneOf: [{ type: 'null' }, closed({ subject: nullable('string'), body: nullable('string') })] },
  chat: { oneOf: [{ type: 'null' }, closed({ transcript: { type: 'array', items: closed({ from: { enum: ['customer', 'agent', 'system'] }, text: text(), at: INT }) } })] },
  attempts: nullable('integer'),
});
const NOTE: JsonSchema = closed({ id: text(), at: INT, author: text(), text: text(), editableUntil: nullable('integer') });
const NOTE_ITEM = closed({ kind: { const: 'note' }, ...(NOTE['properties'] as Record<string, JsonSchema>) });
const ASSIGNEE = closed({ user: text(), queue: text() }, ['user', 'queue']);
const TASK: JsonSchema = closed({ id: text(), object: text(), recordId: text(), at: INT, title: text(), kind: { enum: ['todo', 'call'] }, note: nullable('string'), due: INT, assignee: ASSIGNEE, done: BOOL, createdBy: text(), rule: nullable('string'), callbackId: nullable('string') });
const TASK_ITEM = closed({ ...(TASK['properties'] as Record<string, JsonSchema>), kind: { const: 'task' }, taskKind: { enum: ['todo', 'call'] } }, ['object', 'recordId', 'note', 'callbackId']);
const CHANGE_ITEM = closed({
  kind: { const: 'change' }, at: INT, actor: text(), action: { enum: ['create', 'update', 'delete', 'restore', 'merge', 'import'] },
  fields: { type: 'array', items: closed({ field: text(), label: text(), before: ANY, after: ANY }) },
});
const RECORD_PARAMS = params(['object', 'id'], 200);

export function registerCrmApi(fastify: FastifyInstance, deps: CrmApiDeps): void {
  const now = (): number => deps.comms().now();
  // "Today" begins at midnight in the server's time zone (TZ; the company's, where it runs), daylight
  // saving included, not at 00:00 UTC.
  const timeZone = processTimeZone();
  const dayStart = (t: number): number => dayStartIn(t, timeZone);
  const nextDayStart = (t: number): number => nextDayStartIn(t, timeZone);
  // Queues have no label of their own in the communication server: the id is what people know.
  const queueLabel = (id: string): string => id;
  const codeLabel = (code: string): string => deps.app.desktop.wrapUpCodes.find((c) => c.code === code)?.label ?? code;

  /** The contact items of a page, filled from the channels' stores and the contact event log. */
  const contactItem = async (c: InteractionRecord, users: ReadonlyMap<string, string>, voicemails: Map<string, { id: string; durationMs: number }>): Promise<HistoryContact> => {
    let email: HistoryContact['email'] = null;
    let chat: HistoryContact['chat'] = null;
    let ivr: HistoryContact['ivr'] = null;
    let attempts: number | null = null;
    if (c.channel === 'email') {
      const first = (await deps.email()?.messages(c.contactId).catch(() => []))?.[0];
      email = { subject: first?.subject ?? null, body: first?.text ?? null };
    }
    if (c.channel === 'chat') {
      const t = (await deps.chat()?.transcript(c.contactId).catch(() => [])) ?? [];
      chat = { transcript: t.map((m) => ({ from: m.from, text: m.text, at: m.at })) };
    }
    const log = deps.events();
    if (log && (c.channel === 'call' || c.channel === 'callback')) {
      const events = await log.read({ contactId: c.contactId, limit: 500 }).catch(() => []);
      if (c.channel === 'callback') attempts = events.filter((e) => e.kind === 'callback-attempted').length;
      const ivrEnd = events.find((e) => e.kind === 'disposition' && (e.reason === 'ivr-end' || e.reason === 'ivr-hung-up'));
      if (ivrEnd || c.outcome.startsWith('ivr-')) {
        const d = ivrEnd as { reason?: string; data?: { outcome?: string; script?: string } } | undefined;
        ivr = { script: d?.data?.script ?? 'ivr', outcome: d?.data?.outcome ?? d?.reason ?? c.outcome };
      } else {
        // A call the IVR handed to a queue: its script is in the contact data of the queue entry.
        const entered = events.find((e) => e.kind === 'queue-entered');
        const script = entered?.kind === 'queue-entered' ? entered.data?.data?.['ivrScript'] : undefined;
        if (typeof script === 'string') ivr = { script, outcome: 'handoff' };
      }
    }
    const vm = voicemails.get(c.contactId);
    return {
      kind: 'contact',
      at: c.endedAt,
      contactId: c.contactId,
      channel: c.channel,
      direction: c.direction,
      outcome: c.outcome,
      queue: c.queueId ? { id: c.queueId, label: queueLabel(c.queueId) } : null,
      agent: c.agentId === undefined ? null : (users.get(c.agentId) ?? c.agentId),
      waitMs: c.waitMs ?? null,
      talkMs: c.talkMs ?? null,
      disposition: c.disposition ? { code: c.disposition, label: codeLabel(c.disposition) } : null,
      note: c.note ?? null,
      campaign: c.campaignId ?? null,
      ivr,
      voicemail: vm ? { url: `/api/voicemails/${encodeURIComponent(vm.id)}`, durationMs: vm.durationMs } : null,
      email,
      chat,
      attempts,
    };
  };

  fastify.get('/api/objects/:object/:id/history', {
    schema: routeSchema('The whole history of a record, newest first: contacts (calls, IVR sessions, voicemails, callbacks, e-mails with subject and body, chats with their transcript), notes, tasks and field changes (one item per save), paged by an opaque cursor', [...STAFF], {
      params: RECORD_PARAMS,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { limit: { type: 'string', description: '1 to 200, default 50' }, before: { type: 'string', maxLength: 600, description: 'next of the previous page' }, channel: { type: 'string', maxLength: 100, description: 'comma-separated: call, email, chat, callback' }, kinds: { type: 'string', maxLength: 100, description: 'comma-separated: contact, note, task, change' } },
      },
      response: { 200: { description: 'a page of the history', ...closed({ items: { type: 'array', items: { oneOf: [CONTACT_ITEM, NOTE_ITEM, TASK_ITEM, CHANGE_ITEM] } }, next: nullable('string') }) }, ...errors([404, 'no such object or record for this role']) },
    }),
  }, async (req) => {
    const p = req.params as { object: string; id: string };
    const q = req.query as Record<string, unknown>;
    const r = await readable(deps, req, p.object, p.id, 'read records');
    const limit = intParam(q['limit'], 'limit', 1, 200, 50);
    const kinds = listParam(q['kinds'], 'kinds', HISTORY_KINDS);
    const channels = listParam(q['channel'], 'channel', CHANNELS);
    const before = q['before'] === undefined || q['before'] === '' ? undefined : parseCursor(String(q['before']));
    const wants = (k: (typeof HISTORY_KINDS)[number]): boolean => !kinds || kinds.has(k);
    const object = r.rights.object.name;
    const [contacts, notes, tasks, audit] = await Promise.all([
      wants('contact') ? deps.comms().history(object, r.id, { limit: 1000 }) : Promise.resolve([]),
      wants('note') ? deps.store.notesOf(object, r.id) : Promise.resolve([]),
      wants('task') ? deps.store.tasks({ object, recordKey: r.id, limit: 1000 }) : Promise.resolve([]),
      wants('change') ? deps.objects.repository(object).history(r.key) : Promise.resolve([]),
    ]);
    const t = now();
    const all: HistoryItem[] = [
      ...contacts.filter((c) => !channels || channels.has(c.channel)).map((c) => ({ kind: 'contact' as const, at: c.endedAt, sortKey: `contact:${c.contactId}:${c.endSeq}`, record: c })),
      ...notes.map((n) => ({ kind: 'note' as const, sortKey: `note:${n.id}`, ...noteView(n, t, r.principal.name), at: n.createdAt })),
      ...tasks.map((x) => {
        const { object: _o, recordId: _r, note: _n, callbackId: _c, kind: taskKind, ...v } = taskView(x);
        return { ...v, kind: 'task' as const, taskKind, sortKey: `task:${x.id}`, at: x.createdAt };
      }),
      ...groupChanges(audit, r.rights),
    ].sort(newestFirst);
    const start = before ? all.findIndex((i) => i.at < before.at || (i.at === before.at && i.sortKey < before.key)) : 0;
    const page = start < 0 ? [] : all.slice(start, start + limit);
    const last = page[page.length - 1];
    const next = last && start + limit < all.length ? cursorOf(last) : null;
    const needsContacts = page.some((i) => i.kind === 'contact');
    const users = needsContacts ? await deps.usersByAgent() : new Map<string, string>();
    const voicemails = new Map<string, { id: string; durationMs: number }>();
    const vms = needsContacts ? deps.voicemails() : undefined;
    if (vms) for (const m of await vms.list().catch(() => [])) voicemails.set(m.callId, { id: m.id, durationMs: m.durationMs });
    const items = await Promise.all(page.map(async (i) => {
      if (i.kind === 'contact') return contactItem(i['record'] as InteractionRecord, users, voicemails);
      const { sortKey: _s, ...rest } = i;
      return rest;
    }));
    return { items, next };
  });

  fastify.get('/api/voicemails/:id', {
    schema: routeSchema('The audio of a voicemail of a record the role may read (audio/wav)', [...STAFF], {
      params: params(['id'], 128),
      response: { 200: { description: 'the recording', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } }, ...errors([404, 'no such voicemail, no audio, or its customer is not readable'], [503, 'the voicemail store is not reachable from the front office']) },
    }),
  }, async (req, reply) => {
    const p = need(req, STAFF, 'listen to voicemails');
    const store = deps.voicemails();
    if (!store) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_CHANNEL_UNAVAILABLE({ channel: 'voicemail' });
    const m = await store.get(str((req.params as { id: string }).id, 'id', 128));
    if (!m || m.audio.length === 0) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'voicemail' });
    // The customer of the call must be readable for this role.
    const rec = (await deps.comms().interactions({ contactId: m.callId, limit: 1 }))[0];
    if (!rec?.customer || !deps.permissions.on(p.role, rec.customer.object)?.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'voicemail' });
    return reply.type(m.mimeType || 'audio/wav').send(Buffer.from(m.audio));
  });

  // ---- notes ------------------------------------------------------------------------------------
  const NOTE_BODY = bodyOf({ text: { type: 'string', minLength: 1, maxLength: 10_000 } }, ['text']);
  const noteText = (req: FastifyRequest): string => {
    const t = str(body(req, ['text'])['text'], 'text', 10_000);
    if (t.trim() === '') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a note needs a text' });
    return t;
  };
  fastify.post('/api/objects/:object/:id/notes', {
    schema: routeSchema('Add a note to a record (read rights on the record suffice: a note is not a field)', [...STAFF], {
      params: RECORD_PARAMS, body: NOTE_BODY,
      response: { 201: { description: 'the note', ...NOTE }, ...errors([404, 'no such object or record for this role']) },
    }),
  }, async (req, reply) => {
    const p = req.params as { object: string; id: string };
    const r = await readable(deps, req, p.object, p.id, 'write notes');
    const n = await deps.store.addNote({ object: r.rights.object.name, recordKey: r.id, author: r.principal.name, text: noteText(req) });
    return reply.code(201).send(noteView(n, now(), r.principal.name));
  });
  /** The note when the session may see its record. */
  const noteFor = async (req: FastifyRequest, action: string): Promise<{ note: Note; principal: Principal }> => {
    const id = str((req.params as { noteId: string }).noteId, 'noteId', 40);
    const note = await deps.store.note(id);
    if (!note) {
      need(req, STAFF, action);
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'note' });
    }
    const r = await readable(deps, req, note.object, note.recordKey, action);
    return { note, principal: r.principal };
  };
  const editable = (note: Note, p: Principal): boolean => note.author === p.name && now() < note.createdAt + NOTE_EDIT_WINDOW_MS;
  fastify.patch('/api/notes/:noteId', {
    schema: routeSchema('Change a note: its author, within 15 minutes', [...STAFF], {
      params: params(['noteId'], 40), body: NOTE_BODY,
      response: { 200: { description: 'the note', ...NOTE }, ...errors(404, [403, 'not the author, or the 15 minutes are over']) },
    }),
  }, async (req) => {
    const { note, principal } = await noteFor(req, 'change notes');
    const t = noteText(req);
    if (!editable(note, principal)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOTE_LOCKED({ minutes: NOTE_EDIT_WINDOW_MS / 60_000 });
    const n = await deps.store.updateNote(note.id, t);
    return noteView(n ?? note, now(), principal.name);
  });
  fastify.delete('/api/notes/:noteId', {
    schema: routeSchema('Delete a note: its author within 15 minutes, or an administrator', [...STAFF], {
      params: params(['noteId'], 40),
      response: { 204: NO_CONTENT, ...errors(404, [403, 'not the author, or the 15 minutes are over']) },
    }),
  }, async (req, reply) => {
    const { note, principal } = await noteFor(req, 'delete notes');
    if (principal.role !== 'administrator' && !editable(note, principal)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOTE_LOCKED({ minutes: NOTE_EDIT_WINDOW_MS / 60_000 });
    await deps.store.deleteNote(note.id);
    if (principal.role === 'administrator' && note.author !== principal.name) await deps.audit(principal.name, 'note.delete', `${note.object}/${note.recordKey}`, { author: note.author });
    return reply.code(204).send();
  });

  // ---- tasks ------------------------------------------------------------------------------------
  const ASSIGNEE_BODY: JsonSchema = { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1, properties: { user: text(64), queue: text(100) } };
  const checkAssignee = async (a: unknown): Promise<Task['assignee']> => {
    const o = (a ?? {}) as { user?: string; queue?: string };
    if (o.user !== undefined) {
      if (!(await deps.followUps.userExists(o.user))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `no user ${o.user.slice(0, 64)}` });
      return { user: o.user };
    }
    if (o.queue !== undefined) {
      if (!deps.comms().queues().some((q) => q.queueId === o.queue)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `no queue ${o.queue.slice(0, 100)}` });
      return { queue: o.queue };
    }
    throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'assignee is {user} or {queue}' });
  };
  const dueOf = (v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 8.64e15) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'due is a time in ms since the epoch (the server\'s clock)' });
    return v;
  };
  fastify.post('/api/tasks', {
    schema: routeSchema('Create a task on a record, for a user or a queue; a call task becomes a callback contact when due', [...STAFF], {
      body: bodyOf({ object: text(100), recordId: { type: ['string', 'integer'] }, title: { type: 'string', minLength: 1, maxLength: 200 }, due: INT, assignee: ASSIGNEE_BODY, kind: { enum: ['todo', 'call'] }, note: text(2000) }, ['object', 'recordId', 'title', 'due', 'assignee', 'kind']),
      response: { 201: { description: 'the task', ...TASK }, ...errors([404, 'no such object or record for this role']) },
    }),
  }, async (req, reply) => {
    const b = body(req, ['object', 'recordId', 'title', 'due', 'assignee', 'kind', 'note']);
    const r = await readable(deps, req, str(b['object'], 'object', 100), String(b['recordId']), 'create tasks');
    const title = str(b['title'], 'title', 200).trim();
    if (title === '') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a task needs a title' });
    const task = await deps.followUps.createTask({
      object: r.rights.object.name, recordKey: r.id, title, kind: b['kind'] === 'call' ? 'call' : 'todo',
      note: b['note'] === undefined ? null : str(b['note'], 'note', 2000), due: dueOf(b['due']), assignee: await checkAssignee(b['assignee']), createdBy: r.principal.name, rule: null,
    });
    return reply.code(201).send(taskView(task));
  });
  fastify.get('/api/tasks', {
    schema: routeSchema('Tasks by assignee (me, a user: supervisors), queue, due (overdue, today, upcoming) and done', [...STAFF], {
      querystring: { type: 'object', additionalProperties: false, properties: { assignee: text(64), queue: text(100), due: { enum: ['overdue', 'today', 'upcoming'] }, done: { enum: ['true', 'false'] }, object: text(100), recordId: text(200) } },
      response: { 200: { description: 'the tasks, soonest due first', ...closed({ tasks: { type: 'array', items: TASK } }) } },
    }),
  }, async (req): Promise<TaskList> => {
    const p = need(req, STAFF, 'read tasks');
    const q = req.query as Record<string, string | undefined>;
    let user = q['assignee'] === 'me' ? p.name : q['assignee'];
    if (user !== undefined && user !== p.name && !MANAGERS.includes(p.role)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: 'read other users\' tasks' });
    if (user === undefined && q['queue'] === undefined && q['recordId'] === undefined && !MANAGERS.includes(p.role)) user = p.name;
    const t = now();
    const range = q['due'] === 'overdue' ? { dueBefore: t } : q['due'] === 'today' ? { dueFrom: dayStart(t), dueBefore: nextDayStart(t) } : q['due'] === 'upcoming' ? { dueFrom: t } : {};
    if ((q['object'] === undefined) !== (q['recordId'] === undefined)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'object and recordId go together' });
    let recordKey: string | undefined;
    if (q['object'] !== undefined) recordKey = (await readable(deps, req, q['object'], String(q['recordId']), 'read tasks')).id;
    const tasks = await deps.store.tasks({
      ...(user !== undefined ? { user } : {}), ...(q['queue'] !== undefined ? { queue: q['queue'] } : {}), ...range,
      ...(q['done'] !== undefined ? { done: q['done'] === 'true' } : {}), ...(q['object'] !== undefined && recordKey !== undefined ? { object: q['object'], recordKey } : {}),
    });
    // Only tasks of records the role may read.
    return { tasks: tasks.filter((x) => deps.permissions.on(p.role, x.object)?.actions.has('read')).map(taskView) };
  });
  fastify.get('/api/tasks/reminders', {
    schema: routeSchema('The calling user\'s open tasks due within 15 minutes or overdue: their own, and an agent\'s queues\' tasks', [...STAFF], {
      response: { 200: { description: 'the tasks, soonest due first', ...closed({ tasks: { type: 'array', items: TASK } }) } },
    }),
  }, async (req): Promise<TaskList> => {
    const p = need(req, STAFF, 'read tasks');
    const dueBefore = now() + 15 * 60_000;
    const own = await deps.store.tasks({ user: p.name, done: false, dueBefore });
    // A task given to a queue reminds the agents who serve it now (their choice, else their configuration).
    let queues: string[] = [];
    if (p.agentId !== undefined) {
      try {
        const q = deps.comms().agentQueues(p.agentId);
        queues = (q.selected.length > 0 ? q.selected : q.configured).map((x) => x.queue);
      } catch {
        queues = [];
      }
    }
    const ofQueues = (await Promise.all(queues.map((queue) => deps.store.tasks({ queue, done: false, dueBefore })))).flat();
    const tasks = [...own, ...ofQueues].filter((x) => deps.permissions.on(p.role, x.object)?.actions.has('read')).sort((a, b) => a.due - b.due);
    return { tasks: tasks.map(taskView) };
  });
  fastify.get('/api/tasks/summary', {
    schema: routeSchema('Open tasks per queue: overdue and due today (the wallboard)', MANAGERS, {
      response: { 200: { description: 'counts per queue', ...closed({ queues: { type: 'array', items: closed({ queueId: text(), overdue: INT, dueToday: INT }) } }) } },
    }),
  }, async (req) => {
    need(req, MANAGERS, 'see the task summary');
    const t = now();
    const day0 = dayStart(t);
    const open = (await deps.store.tasks({ done: false, dueBefore: nextDayStart(t), limit: 10_000 })).filter((x) => x.assignee.queue !== undefined);
    const by = new Map<string, { queueId: string; overdue: number; dueToday: number }>();
    for (const x of open) {
      const e = by.get(x.assignee.queue as string) ?? { queueId: x.assignee.queue as string, overdue: 0, dueToday: 0 };
      if (x.due < t) e.overdue++;
      if (x.due >= day0) e.dueToday++;
      by.set(e.queueId, e);
    }
    return { queues: [...by.values()].sort((a, b) => (a.queueId < b.queueId ? -1 : 1)) };
  });
  const taskFor = async (req: FastifyRequest, action: string): Promise<{ task: Task; principal: Principal }> => {
    const p = need(req, STAFF, action);
    const task = await deps.store.task(str((req.params as { id: string }).id, 'id', 40));
    if (!task || !deps.permissions.on(p.role, task.object)?.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'task' });
    return { task, principal: p };
  };
  fastify.patch('/api/tasks/:id', {
    schema: routeSchema('Change a task (done, due, title, assignee): its assignee, its creator, a supervisor or an administrator', [...STAFF], {
      params: params(['id'], 40),
      body: bodyOf({ done: BOOL, due: INT, title: { type: 'string', minLength: 1, maxLength: 200 }, assignee: ASSIGNEE_BODY }),
      response: { 200: { description: 'the task', ...TASK }, ...errors(404) },
    }),
  }, async (req) => {
    const { task, principal } = await taskFor(req, 'change tasks');
    const mayChange = MANAGERS.includes(principal.role) || task.createdBy === principal.name || task.assignee.user === principal.name || (task.assignee.queue !== undefined && principal.role === 'agent');
    if (!mayChange) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: principal.role, action: 'change tasks of others' });
    const b = body(req, ['done', 'due', 'title', 'assignee']);
    const updated = await deps.followUps.updateTask(task.id, {
      ...(b['done'] !== undefined ? { done: Boolean(b['done']) } : {}),
      ...(b['due'] !== undefined ? { due: dueOf(b['due']) } : {}),
      ...(b['title'] !== undefined ? { title: str(b['title'], 'title', 200) } : {}),
      ...(b['assignee'] !== undefined ? { assignee: await checkAssignee(b['assignee']) } : {}),
    });
    return taskView(updated ?? task);
  });
  fastify.delete('/api/tasks/:id', {
    schema: routeSchema('Delete a task: its creator, a supervisor or an administrator', [...STAFF], {
      params: params(['id'], 40),
      response: { 204: NO_CONTENT, ...errors(404) },
    }),
  }, async (req, reply) => {
    const { task, principal } = await taskFor(req, 'delete tasks');
    if (!MANAGERS.includes(principal.role) && task.createdBy !== principal.name) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: principal.role, action: 'delete tasks of others' });
    await deps.store.deleteTask(task.id);
    return reply.code(204).send();
  });

  // ---- search, duplicates, merge ----------------------------------------------------------------
  fastify.get('/api/search', {
    schema: routeSchema('The global search over the searchable objects, only the fields the role may read', [...STAFF], {
      querystring: { type: 'object', additionalProperties: false, required: ['q'], properties: { q: { type: 'string', minLength: 1, maxLength: 100 }, objects: text(500), limit: { type: 'string', description: '1 to 100, default 20' } } },
      response: { 200: { description: 'the hits, best first', ...closed({ hits: { type: 'array', items: closed({ object: text(), objectLabel: text(), key: { type: ['string', 'integer'] }, label: text(), field: nullable('string'), score: INT }) } }) } },
    }),
  }, async (req): Promise<SearchAnswer> => {
    const p = need(req, STAFF, 'search');
    const q = req.query as Record<string, string | undefined>;
    const limit = intParam(q['limit'], 'limit', 1, 100, 20);
    const searchable = deps.objects.model.objects.filter((o) => o.searchable && deps.permissions.on(p.role, o.name)?.actions.has('read')).map((o) => o.name);
    let objects = searchable;
    if (q['objects'] !== undefined && q['objects'] !== '') {
      const asked = q['objects'].split(',').filter((x) => x !== '');
      const bad = asked.filter((x) => !searchable.includes(x));
      if (bad.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `not a searchable object for this role: ${bad.join(', ').slice(0, 200)}` });
      objects = asked;
    }
    if (objects.length === 0) return { hits: [] };
    const hits = await deps.objects.search(String(q['q']), { objects, limit, readable: (o) => [...(deps.permissions.on(p.role, o)?.visible ?? [])] });
    return { hits: hits.map((h) => ({ object: h.object, objectLabel: deps.objects.model.objects.find((o) => o.name === h.object)?.label ?? h.object, key: typeof h.key === 'object' ? JSON.stringify(h.key) : h.key, label: h.label, field: h.field, score: h.score })) };
  });
  fastify.get('/api/objects/:object/:id/duplicates', {
    schema: routeSchema('The records that duplicate this one (same phone, e-mail, or a similar name)', [...STAFF], {
      params: RECORD_PARAMS,
      response: { 200: { description: 'the duplicates', ...closed({ duplicates: { type: 'array', items: closed({ key: { type: ['string', 'integer'] }, label: text(), reasons: { type: 'array', items: { enum: ['phone', 'email', 'name'] } } }) } }) }, ...errors([404, 'no such object or record for this role']) },
    }),
  }, async (req) => {
    const prm = req.params as { object: string; id: string };
    const r = await readable(deps, req, prm.object, prm.id, 'read records');
    const found = await deps.objects.duplicatesOf(r.rights.object.name, r.key);
    const o = r.rights.object;
    const labelOf = (rec: Record<string, unknown>, key: RecordKey): string => {
      const names = (o.nameFields ?? o.fields.filter((f) => f.searchable).map((f) => f.name)).filter((f) => r.rights.visible.has(f)).map((f) => rec[f]).filter((v) => v !== null && v !== undefined && v !== '');
      return names.length ? names.join(' ') : String(key);
    };
    return { duplicates: found.map((d) => ({ key: typeof d.key === 'object' ? JSON.stringify(d.key) : d.key, label: labelOf(d.record, d.key), reasons: d.reasons })) };
  });
  fastify.post('/api/objects/:object/:id/merge', {
    schema: routeSchema('Merge another record (dropKey) into this one: related records, empty fields and the history move to the kept record (supervisors and administrators with update and delete rights)', MANAGERS, {
      params: RECORD_PARAMS,
      body: bodyOf({ dropKey: { type: ['string', 'integer'] } }, ['dropKey']),
      response: { 200: { description: 'the kept record', ...closed({ data: { type: 'object' }, moved: { type: 'array' }, filled: STRINGS }) }, ...errors([404, 'no such object or record for this role'], [409, 'a conflict with a concurrent change']) },
    }),
  }, async (req) => {
    const prm = req.params as { object: string; id: string };
    const r = await readable(deps, req, prm.object, prm.id, 'merge records');
    if (!MANAGERS.includes(r.principal.role)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: r.principal.role, action: 'merge records' });
    if (!r.rights.actions.has('update') || !r.rights.actions.has('delete')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: r.principal.role, action: `merge ${r.rights.object.name} records (needs update and delete)` });
    const drop = await readable(deps, req, prm.object, String(body(req, ['dropKey'])['dropKey']), 'merge records');
    if (drop.id === r.id) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a record cannot be merged into itself' });
    const result = await deps.objects.merge(r.rights.object.name, r.key, drop.key, { actor: `user:${r.principal.name}` });
    // The comms history moves by itself (the communication server listens to onDidMerge); notes and tasks here.
    await deps.store.relink(r.rights.object.name, drop.id, r.id);
    await deps.audit(r.principal.name, 'record.merge', `${r.rights.object.name}/${r.id}`, { dropped: drop.id });
    return { data: Permissions.project(r.rights, result.record), moved: result.moved, filled: result.filled.filter((f) => r.rights.visible.has(f)) };
  });

  // ---- saved filters ----------------------------------------------------------------------------
  const LIST_Q = { type: 'object', additionalProperties: false, required: ['list'], properties: { list: { type: 'string', minLength: 1, maxLength: 100 } } };
  const FILTER = closed({ name: text(), query: text() });
  fastify.get('/api/me/filters', {
    schema: routeSchema('The calling user\'s saved filters of a list', [...STAFF], { querystring: LIST_Q, response: { 200: { description: 'the filters by name', ...closed({ filters: { type: 'array', items: FILTER } }) } } }),
  }, async (req) => {
    const p = need(req, STAFF, 'use lists');
    return { filters: await deps.store.filters(p.name, (req.query as { list: string }).list) };
  });
  fastify.post('/api/me/filters', {
    schema: routeSchema('Save (or replace) a filter of a list for the calling user', [...STAFF], {
      querystring: LIST_Q, body: bodyOf({ name: { type: 'string', minLength: 1, maxLength: 100 }, query: text(2000) }, ['name', 'query']),
      response: { 201: { description: 'saved', ...FILTER }, ...errors([404, 'no such list']) },
    }),
  }, async (req, reply) => {
    const p = need(req, STAFF, 'use lists');
    const list = (req.query as { list: string }).list;
    if (!deps.app.lists.some((l) => l.name === list)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `list ${list}` });
    const b = body(req, ['name', 'query']);
    const f = { name: str(b['name'], 'name', 100), query: str(b['query'], 'query', 2000) };
    await deps.store.saveFilter(p.name, list, f);
    return reply.code(201).send(f);
  });
  fastify.delete('/api/me/filters', {
    schema: routeSchema('Delete a saved filter of the calling user', [...STAFF], {
      querystring: { type: 'object', additionalProperties: false, required: ['list', 'name'], properties: { list: text(100), name: text(100) } },
      response: { 204: NO_CONTENT, ...errors(404) },
    }),
  }, async (req, reply) => {
    const p = need(req, STAFF, 'use lists');
    const q = req.query as { list: string; name: string };
    if (!(await deps.store.deleteFilter(p.name, q.list, q.name))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'filter' });
    return reply.code(204).send();
  });
}
