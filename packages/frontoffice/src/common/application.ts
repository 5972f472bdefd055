/**
 * The application definition as the front office sees it after reading and checking the XML
 * (dtd/application.dtd, docs/application.md). Plain data with no Node imports, so that the pages
 * can share it.
 */

/** The four roles of the front office. `anonymous` is a self-service visitor. */
export type RoleName = 'administrator' | 'supervisor' | 'agent' | 'anonymous';

/** Every role, from most to least privileged. */
export const ROLES: readonly RoleName[] = ['administrator', 'supervisor', 'agent', 'anonymous'];

/** What a role may do with the records of an object. */
export type ObjectAction = 'read' | 'create' | 'update' | 'delete';

export const OBJECT_ACTIONS: readonly ObjectAction[] = ['read', 'create', 'update', 'delete'];

/** A grant of a role on one object. */
export interface Grant {
  readonly object: string;
  readonly actions: readonly ObjectAction[];
  /** The fields the role sees; `'*'` for all. */
  readonly fields: readonly string[] | '*';
  /** Fields the role sees but may not write. */
  readonly readonly: readonly string[];
}

/** A role's grants. The administrator has every right whatever is written. */
export interface RoleDef {
  readonly name: RoleName;
  readonly grants: readonly Grant[];
}

/** One entry of a role's navigation: a list, a dashboard, or a built-in page. */
export interface NavItem {
  /** A list or dashboard name, or `desktop`, `wallboard`, `users`. */
  readonly view: string;
  readonly label: string;
}

export interface Navigation {
  readonly role: RoleName;
  readonly items: readonly NavItem[];
}

/** The filter operators a saved filter may use (as the objects' query language). */
export type FilterOp = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'contains' | 'startsWith' | 'endsWith' | 'isNull';

export const FILTER_OPS: readonly FilterOp[] = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'contains', 'startsWith', 'endsWith', 'isNull'];

export interface Condition {
  readonly field: string;
  readonly op: FilterOp;
  readonly value: string;
}

/** A saved filter of a list: all conditions must hold. */
export interface SavedFilter {
  readonly name: string;
  readonly label: string;
  readonly conditions: readonly Condition[];
}

export interface Column {
  readonly field: string;
  readonly label: string | undefined;
}

/** A list view of an object. */
export interface ListView {
  readonly name: string;
  readonly object: string;
  readonly label: string;
  readonly columns: readonly Column[];
  /** Sort keys, `-field` for descending. */
  readonly sort: readonly string[];
  readonly pageSize: number;
  readonly search: boolean;
  readonly filters: readonly SavedFilter[];
  /** The record page opened from a row, when there is one. */
  readonly record: string | undefined;
}

export interface RecordSection {
  readonly label: string;
  readonly fields: readonly string[];
}

export interface RelatedList {
  readonly relation: string;
  readonly columns: readonly string[];
  readonly label: string | undefined;
}

/** A record page (also its edit form: the sections' fields the role may write are editable). */
export interface RecordView {
  readonly name: string;
  readonly object: string;
  readonly label: string;
  readonly sections: readonly RecordSection[];
  readonly related: readonly RelatedList[];
  /** Show the activity timeline (contacts and field changes). */
  readonly timeline: boolean;
}

/** How an incoming contact finds its customer record. */
export interface ScreenPop {
  readonly object: string;
  /**
   * `phone`: by the caller's number; `email`: by the sender's address; `field`: by the value of a
   * variable a script collected before the contact reached the agent (`var`: an IVR variable on the
   * contact, or a self-service visitor's answer carried by a chat or callback hand-off).
   */
  readonly by: 'phone' | 'email' | 'field';
  /** The record's field that is compared with the address or the variable. */
  readonly field: string;
  /** `by="field"`: the script variable whose value finds the record (e.g. `contractNumber`). */
  readonly var?: string;
  /** The record page to show. */
  readonly record: string | undefined;
}

/** An answer of a script written to the customer record when the script ends. */
export interface AnswerWrite {
  readonly variable: string;
  readonly field: string;
}

/** Which dialogue script runs for the contacts of a queue. */
export interface DesktopScript {
  readonly queue: string;
  readonly script: string;
  readonly writes: readonly AnswerWrite[];
}

export interface WrapUpCode {
  readonly code: string;
  readonly label: string;
}

/**
 * A canned reply (`<reply>`): a text the agent inserts into a chat or an e-mail. `{{name}}` stands for
 * a field of the contact's linked customer record, else a variable of the contact (`caller`, …).
 */
export interface CannedReply {
  readonly id: string;
  readonly label: string;
  readonly text: string;
}

/** An e-mail template (`<emailtemplate>`): subject and body with `{{name}}` placeholders as a canned reply's. */
export interface EmailTemplate {
  readonly id: string;
  readonly label: string;
  readonly subject: string;
  readonly body: string;
}

export interface Desktop {
  readonly screenPops: readonly ScreenPop[];
  readonly scripts: readonly DesktopScript[];
  readonly wrapUpCodes: readonly WrapUpCode[];
  /** Pause reasons offered to the agent. */
  readonly pauseReasons: readonly WrapUpCode[];
  /** Canned replies of the desktop (the reader always sets them; absent means none). */
  readonly cannedReplies?: readonly CannedReply[];
  /** E-mail templates of the desktop (the reader always sets them; absent means none). */
  readonly emailTemplates?: readonly EmailTemplate[];
}

/** A self-service page: a web-channel script, and the queue a visitor who asks for an agent joins. */
export interface SelfService {
  readonly name: string;
  readonly script: string;
  readonly queue: string;
  readonly label: string;
}

/** A field a self-service visitor types to identify themselves. */
export interface IdentifyField {
  readonly name: string;
  readonly label: string;
}

/**
 * `<identify>`: how a self-service visitor proves who they are before any of their data is shown or
 * changed. The record is found by `by` (e.g. the customer number) and every field of `verify` (e.g.
 * postcode and house number) must match it too; the session then runs with that record's identity.
 */
export interface Identify {
  readonly object: string;
  readonly by: IdentifyField;
  /** The second factor: at least one field, compared without regard to case and spaces. */
  readonly verify: readonly IdentifyField[];
  /**
   * `code="email"`: once the fields match, a one-time code goes to this field's address on file
   * (through the outbound mail service) and the visitor types it before the script starts.
   */
  readonly code?: IdentifyField;
}

export type WidgetKind = 'agents-by-state' | 'waiting' | 'service-level' | 'queues' | 'alerts' | 'campaigns' | 'report';

export const WIDGET_KINDS: readonly WidgetKind[] = ['agents-by-state', 'waiting', 'service-level', 'queues', 'alerts', 'campaigns', 'report'];

/** The period a report widget shows, in the viewer's local time; `last-7-days` ends with today. */
export type ReportPeriod = 'today' | 'yesterday' | 'last-7-days' | 'this-month';

export const REPORT_PERIODS: readonly ReportPeriod[] = ['today', 'yesterday', 'last-7-days', 'this-month'];

export interface Widget {
  readonly kind: WidgetKind;
  readonly label: string | undefined;
  /** Report widgets: the monitor's report name (e.g. `inbound-by-queue`). */
  readonly report?: string;
  /** Report widgets: the period shown (default `today`). */
  readonly period?: ReportPeriod;
}

export interface Dashboard {
  readonly name: string;
  readonly label: string;
  readonly roles: readonly RoleName[];
  readonly widgets: readonly Widget[];
}

/** A checked application definition. */
export interface Application {
  readonly name: string;
  /** The model it was written for. */
  readonly model: string;
  readonly lang: string;
  readonly roles: readonly RoleDef[];
  readonly navigation: readonly Navigation[];
  readonly lists: readonly ListView[];
  readonly records: readonly RecordView[];
  readonly desktop: Desktop;
  readonly selfService: readonly SelfService[];
  /** How self-service visitors identify themselves; pages whose script reads or changes data need it. */
  readonly identify?: Identify;
  readonly dashboards: readonly Dashboard[];
  /** The follow-up rules (`<followup>`): tasks created when a record changes so that a condition holds. */
  readonly followUps?: readonly FollowUpRule[];
}

/**
 * `<followup object when after title kind queue|user>`: when a record of `object` changes so that
 * `when` (an expression of the kernel's expression language over its fields) becomes true, a task
 * `title` (with `{{field}}` filled from the record) is created, due `after` later on the server's clock.
 */
export interface FollowUpRule {
  /** `name`, else `<object>:<line>` of the element. */
  readonly name: string;
  readonly object: string;
  /** The parsed condition (kernel expression AST; the source is kept for messages). */
  readonly when: { readonly source: string; readonly ast: import('@caruso/kernel').ExpressionNode };
  readonly afterMs: number;
  readonly title: string;
  readonly kind: 'todo' | 'call';
  readonly queue?: string;
  readonly user?: string;
}

/** Built-in pages a navigation item may name. */
export const BUILTIN_VIEWS: readonly string[] = ['desktop', 'wallboard', 'users'];
