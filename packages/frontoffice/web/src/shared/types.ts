/**
 * The API's types as the pages read them. Where the server has the type, it is imported from the
 * server's Node-free `src/common/` (with `import type`: nothing of the server is bundled); the rest
 * describe answers whose server side is a JSON schema only.
 */
export type { AppResponse, RoleApplication, RoleField, RoleObject, RoleRelation, WallboardFigures } from '../../../src/common/api-types.js';
export type { AdminAuditEntry, AdminUser, AuditPage, DuplicateHit, HistoryItem, HistoryPage, SearchAnswer, SearchHit, TaskList, TaskView, UserList } from '../../../src/common/api-types.js';
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
