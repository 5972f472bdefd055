/**
 * The API's types as the pages read them. Where the server has the type, it is imported from the
 * server's Node-free `src/common/` (with `import type`: nothing of the server is bundled); the rest
 * describe answers whose server side is a JSON schema only.
 */
export type { AppResponse, RoleApplication, RoleField, RoleObject, RoleRelation, WallboardFigures } from '../../../src/common/api-types.js';
export type { Dashboard, ListView, NavItem, RecordView, ReportPeriod, RoleName, Widget, WidgetKind } from '../../../src/common/application.js';

/** A record of a business object as the objects API returns it (`$version` when versioned). */
export type ObjectRecord = Readonly<Record<string, unknown>>;

/** The signed-in user (`GET /api/session`). */
export interface SessionUser {
  readonly name: string;
  readonly role: 'administrator' | 'supervisor' | 'agent' | 'anonymous';
  readonly agentId?: string | null;
}

export interface SessionAnswer {
  readonly user: SessionUser;
  readonly csrf: string;
}

/** A page of records (`GET /api/objects/:name`). */
export interface RecordPage {
  readonly data: readonly ObjectRecord[];
  readonly total: number;
  readonly nextCursor: string | null;
}

/** One entry of a record's timeline: a contact with its wrap-up, or a change of a field. */
export type TimelineEntry =
  | { readonly kind: 'contact'; readonly at: string; readonly channel: string; readonly code: string; readonly actor: string; readonly notes?: string | null }
  | { readonly kind: 'change'; readonly at: string; readonly action: string; readonly field?: string | null; readonly actor?: string | null; readonly oldValue?: unknown; readonly newValue?: unknown };

export interface ScheduledCallbackView {
  readonly callbackId: string;
  readonly at: string;
  readonly number: string;
  readonly queueId: string;
  readonly note?: string | null;
  readonly scheduledBy?: string | null;
  readonly object?: string | null;
  readonly recordId?: string | null;
}

/** A step of a dialogue script as the desktop and self-service pages show it. */
export interface ScriptStep {
  readonly kind: 'question' | 'info' | 'end' | 'identify';
  readonly prompt: string;
  readonly help?: string | null;
  readonly error?: string | null;
  readonly type?: string;
  readonly choices?: readonly { readonly value: unknown; readonly label: string }[];
  readonly canGoBack?: boolean;
  /** identify steps: the fields to type, and whether the one-time code is asked for. */
  readonly fields?: readonly { readonly name: string; readonly label: string }[];
  readonly stage?: 'fields' | 'code';
}

export interface ScriptSession {
  readonly sessionId: string;
  readonly script: string;
  readonly revision: number;
  readonly status: string;
  readonly step: ScriptStep;
}

/** A report as `GET /api/reports/:name` returns it (`data`). */
export interface ReportAnswer {
  readonly title: string;
  readonly columns: readonly string[];
  readonly dimensions: readonly string[];
  readonly chart?: string | null;
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

/** One item of a record's whole history (`GET /api/objects/:object/:id/history`, docs/crm-api.md). */
export type HistoryItem =
  | {
      readonly kind: 'contact'; readonly at: number; readonly contactId: string; readonly channel: 'call' | 'email' | 'chat' | 'callback'; readonly direction: 'inbound' | 'outbound';
      readonly outcome: string; readonly queue: { readonly id: string; readonly label: string } | null; readonly agent: string | null; readonly waitMs: number | null; readonly talkMs: number | null;
      readonly disposition: { readonly code: string; readonly label: string } | null; readonly note: string | null; readonly campaign: string | null;
      readonly ivr: { readonly script: string; readonly outcome: string | null } | null;
      readonly voicemail: { readonly url: string; readonly durationMs: number } | null;
      readonly email: { readonly subject: string | null; readonly body: string | null } | null;
      readonly chat: { readonly transcript: readonly { readonly from: 'customer' | 'agent' | 'system'; readonly text: string; readonly at: number }[] } | null;
      readonly attempts: number | null;
    }
  | { readonly kind: 'note'; readonly at: number; readonly id: string; readonly author: string; readonly text: string; readonly editableUntil: number | null }
  | { readonly kind: 'task'; readonly at: number; readonly id: string; readonly title: string; readonly due: number; readonly assignee: { readonly user?: string; readonly queue?: string }; readonly done: boolean; readonly createdBy: string; readonly rule: string | null }
  | { readonly kind: 'change'; readonly at: number; readonly actor: string; readonly action: 'create' | 'update' | 'delete' | 'restore' | 'merge' | 'import'; readonly fields: readonly { readonly field: string; readonly label: string; readonly before: unknown; readonly after: unknown }[] };

/** A page of history. */
export interface HistoryPage {
  readonly items: readonly HistoryItem[];
  readonly next: string | null;
}

/** A hit of the global search (`GET /api/search`). */
export interface SearchHit {
  readonly object: string;
  readonly objectLabel: string;
  readonly key: string;
  readonly label: string;
  readonly field: string;
  readonly score: number;
}

/** A task (`GET /api/tasks`, `GET /api/tasks/reminders`). */
export interface TaskView {
  readonly id: string;
  readonly title: string;
  readonly due: number;
  readonly done: boolean;
  readonly object?: string;
  readonly recordId?: string;
}

/** A user as administrators see it (`GET /api/users`). */
export interface AdminUser {
  readonly name: string;
  readonly role: SessionUser['role'];
  readonly agentId?: string | null;
  readonly active?: boolean;
  readonly lastLogin?: number | null;
}
