/**
 * The shapes of API answers that the pages read, shared by the server (which produces them) and the
 * browser code (web/src/shared/types.ts imports them with `import type`). Plain types with no Node
 * imports, like ./application.ts.
 */
import type { Dashboard, Desktop, ListView, NavItem, ObjectAction, RecordView } from './application.js';

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
