/**
 * The shapes of API answers that the pages read, shared by the server (which produces them) and the
 * browser code (web/src/shared/types.ts imports them with `import type`). Plain types with no Node
 * imports, like ./application.ts.
 */
import type { Dashboard, Desktop, ListView, NavItem, ObjectAction, RecordView, RoleName } from './application.js';

/**
 * The figures of the wallboard as the communication server has them now (`GET /api/wallboard`), and
 * who serves which queue. The page draws them once, then follows the monitor's topics (`agents`,
 * `queue:<id>` over /ws/monitor, folded from the contact event log): one live feed, no polling.
 */
export interface WallboardFigures {
  /** When, by the server's clock. */
  readonly at: string;
  readonly agents: Readonly<Record<string, number>>;
  /** The agents of the front office's users (the ones counted by state). */
  readonly agentList: readonly { readonly id: string; readonly state: string; readonly reason?: string }[];
  readonly queues: readonly { readonly queueId: string; readonly waiting: number; readonly staffed: number; readonly available: number; readonly longestWaitMs: number }[];
  readonly waiting: number;
  /** Every agent of the communication server with the queues it serves now (staffed and available per queue follow their states). */
  readonly members: Readonly<Record<string, readonly string[]>>;
}

/** A field of an object as a role sees it (`GET /api/app`). */
export interface RoleField {
  readonly name: string;
  readonly label: string;
  /** The business-object field type (`text`, `integer`, `enum`, `phone`, `id`, …). */
  readonly type: string;
  readonly required: boolean;
  /** Whether this role may write it. */
  readonly writable: boolean;
  readonly options: readonly { readonly value: string; readonly label: string }[];
  readonly length: number | null;
  readonly pattern: string | null;
}

/** A relation of an object to another object the role may read. */
export interface RoleRelation {
  readonly name: string;
  readonly kind: string;
  readonly target: string;
  readonly label: string;
  readonly fields: readonly string[];
  readonly inverse: string | null;
}

/** An object as a role sees it: its visible fields and what the role may do. */
export interface RoleObject {
  readonly name: string;
  readonly label: string;
  readonly key: readonly string[];
  /** Whether updates carry `$version` (optimistic locking). */
  readonly versioned: boolean;
  /** The fields that name a record (the model's `nameFields`, those the role sees; may be empty). */
  readonly nameFields: readonly string[];
  readonly actions: readonly ObjectAction[];
  readonly fields: readonly RoleField[];
  readonly relations: readonly RoleRelation[];
}

/** The part of the application definition a role may see (what `applicationForRole` returns). */
export interface RoleApplication {
  readonly name: string;
  readonly lang: string;
  readonly navigation: readonly NavItem[];
  readonly lists: readonly ListView[];
  readonly records: readonly RecordView[];
  readonly objects: readonly RoleObject[];
  readonly desktop: Desktop;
  readonly dashboards: readonly Dashboard[];
}

/** A queue or dialogue script as people read it: its id and its label. */
export interface IdLabel {
  readonly id: string;
  /** The name to show: never empty (falls back to the id). */
  readonly label: string;
}

/**
 * `GET /api/app`: the role's application, the server's time (milliseconds since the epoch), and the
 * labels of the communication server's queues and of the dialogue scripts.
 */
export interface AppResponse extends RoleApplication {
  readonly serverTime: number;
  /**
   * Every queue of the communication server, in configuration order: the queue's configured label,
   * else the page text `queue.<id>` of the application's language, else the id.
   */
  readonly queues: readonly IdLabel[];
  /** Every dialogue script: its `<meta><title>`, else its id. */
  readonly scripts: readonly IdLabel[];
  /**
   * The country (ISO 3166-1 alpha-2) whose phone numbers the pages show in national format
   * (`020 555 1234`), others in international format (`+32 2 123 45 67`): the model's `defaultCountry`.
   * Absent: every number in international format.
   */
  readonly phoneCountry?: string;
}

/** A supervisor's private note to the agent of a contact (`GET /api/contacts/:id/notes`); `id` is its event's seq. */
export interface QualityNote {
  readonly id: string;
  readonly contactId: string;
  /** The supervisor's user name. */
  readonly from: string;
  readonly text: string;
  readonly at: number;
  readonly private: true;
}

/** Whether a contact is recorded now (`GET /api/contacts/:id/recording`). */
export interface QualityRecordingState {
  readonly state: 'off' | 'on' | 'paused';
  readonly recordingId: string | null;
}

/** A recording of a contact (`GET /api/contacts/:id/recordings`); `url` plays it (audited). */
export interface QualityRecording {
  readonly id: string;
  readonly contactId: string;
  readonly queueId: string | null;
  readonly agentId: string | null;
  readonly channels: 1 | 2;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly durationMs: number;
  readonly pausedMs: number;
  readonly url: string;
}

/** A supervisor monitoring an agent's call (`/api/monitoring`). */
export interface QualitySession {
  readonly supervisor: string;
  readonly agentId: string;
  readonly contactId: string;
  readonly mode: 'listen' | 'whisper' | 'barge';
  readonly since: number;
}

/** An agent with contacts now, as the wallboard's quality menu shows them (`GET /api/quality/agents`). */
export interface QualityAgent {
  readonly agentId: string;
  readonly state: string;
  readonly contacts: readonly { readonly contactId: string; readonly channel: string; readonly recording: 'off' | 'on' | 'paused' }[];
  readonly monitoring: readonly QualitySession[];
}

// ---- CRM: history, notes, tasks, search (api-crm.ts, docs/crm-api.md) ------------------------------

/** Whom a task is for: a user, or a queue (whoever serves it is reminded). */
export interface TaskAssignee {
  readonly user?: string;
  readonly queue?: string;
}

/**
 * A task (`POST /api/tasks`, `PATCH /api/tasks/:id`; `GET /api/tasks` and `GET /api/tasks/reminders`
 * answer {@link TaskList}).
 */
export interface TaskView {
  readonly id: string;
  readonly object: string;
  /** The key of its record, as text. */
  readonly recordId: string;
  /** When it was created. */
  readonly at: number;
  readonly title: string;
  /** A `call` task becomes an outbound callback when due. */
  readonly kind: 'todo' | 'call';
  readonly note: string | null;
  readonly due: number;
  readonly assignee: TaskAssignee;
  readonly done: boolean;
  readonly createdBy: string;
  /** The follow-up rule that created it; null when created by hand. */
  readonly rule: string | null;
  readonly callbackId: string | null;
}

/** `GET /api/tasks`, `GET /api/tasks/reminders`: the tasks, soonest due first. */
export interface TaskList {
  readonly tasks: readonly TaskView[];
}

/** A note of a record (`POST …/notes`, `PATCH /api/notes/:noteId`); `editableUntil` is set for its author within the edit window. */
export interface NoteView {
  readonly id: string;
  readonly at: number;
  readonly author: string;
  readonly text: string;
  readonly editableUntil: number | null;
}

/** A contact of a record's history: a call, IVR session, voicemail, callback, e-mail or chat. */
export interface HistoryContact {
  readonly kind: 'contact';
  /** When it ended. */
  readonly at: number;
  readonly contactId: string;
  readonly channel: 'call' | 'email' | 'chat' | 'callback';
  readonly direction: 'inbound' | 'outbound';
  readonly outcome: string;
  readonly queue: IdLabel | null;
  /** The agent's user name, else the agent id. */
  readonly agent: string | null;
  readonly waitMs: number | null;
  readonly talkMs: number | null;
  readonly disposition: { readonly code: string; readonly label: string } | null;
  readonly note: string | null;
  readonly campaign: string | null;
  readonly ivr: { readonly script: string; readonly outcome: string | null } | null;
  readonly voicemail: { readonly url: string; readonly durationMs: number } | null;
  readonly email: { readonly subject: string | null; readonly body: string | null } | null;
  readonly chat: { readonly transcript: readonly { readonly from: 'customer' | 'agent' | 'system'; readonly text: string; readonly at: number }[] } | null;
  /** A callback's attempts. */
  readonly attempts: number | null;
}

/** A note in a record's history. */
export interface HistoryNote extends NoteView {
  readonly kind: 'note';
}

/** A task in a record's history (`at`: when it was created; `taskKind`: the task's own kind). */
export interface HistoryTask extends Omit<TaskView, 'object' | 'recordId' | 'note' | 'callbackId' | 'kind'> {
  readonly kind: 'task';
  readonly taskKind: TaskView['kind'];
}

/** One save of a record: the fields it changed (a create or an import is one item, not a line per field). */
export interface HistoryChange {
  readonly kind: 'change';
  readonly at: number;
  readonly actor: string;
  readonly action: 'create' | 'update' | 'delete' | 'restore' | 'merge' | 'import';
  readonly fields: readonly { readonly field: string; readonly label: string; readonly before: unknown; readonly after: unknown }[];
}

/** One item of a record's whole history. */
export type HistoryItem = HistoryContact | HistoryNote | HistoryTask | HistoryChange;

/** `GET /api/objects/:object/:id/history`: a page of the history, newest first; `next` is the `before` of the next page. */
export interface HistoryPage {
  readonly items: readonly HistoryItem[];
  readonly next: string | null;
}

/** A likely duplicate of a record (`GET /api/objects/:object/:id/duplicates` → `{ duplicates }`). */
export interface DuplicateHit {
  readonly key: string | number;
  readonly label: string;
  /** What the two records share. */
  readonly reasons: readonly ('phone' | 'email' | 'name')[];
}

/** A hit of the global search. */
export interface SearchHit {
  readonly object: string;
  readonly objectLabel: string;
  /** The record's key (a composite key as JSON text). */
  readonly key: string | number;
  readonly label: string;
  /** The field that matched best; null when only the words together matched across fields. */
  readonly field: string | null;
  /** 100 exact, 50 prefix, 20 contains, 10 every word in some field. */
  readonly score: number;
}

/** `GET /api/search`: the hits, best first. */
export interface SearchAnswer {
  readonly hits: readonly SearchHit[];
}

// ---- administration (server.ts, api-admin.ts) ------------------------------------------------------

/** A user as administrators see it (never its password). */
export interface AdminUser {
  readonly name: string;
  readonly role: Exclude<RoleName, 'anonymous'>;
  /** Absent for a user without an agent. */
  readonly agentId?: string;
  readonly active: boolean;
  readonly mustChangePassword: boolean;
  readonly lastLogin: number | null;
}

/** `GET /api/users`: the users by name. */
export interface UserList {
  readonly data: readonly AdminUser[];
}

/** An administrative action (`GET /api/audit`). */
export interface AdminAuditEntry {
  readonly id: number;
  readonly at: number;
  /** The user who acted. */
  readonly actor: string;
  /** `user.add`, `user.change`, `record.merge`, … */
  readonly action: string;
  /** Whom or what it was done to. */
  readonly target: string | null;
  readonly detail: unknown;
}

/** `GET /api/audit`: the entries, newest first; `next` is the `before` of the next page. */
export interface AuditPage {
  readonly entries: readonly AdminAuditEntry[];
  readonly next: string | null;
}
