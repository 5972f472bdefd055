/**
 * @caruso/frontoffice: the generated front office. An application definition (dtd/application.dtd)
 * over a business-object model becomes a REST API, an agent desktop, a supervisor wallboard,
 * self-service pages and list and record pages, with users, roles and sessions.
 */
export {
  readApplication,
  readApplicationFile,
  loadApplicationFile,
  requireApplication,
  type ApplicationContext,
  type ApplicationReadResult,
} from './application-reader.js';
export { scaffoldApplication } from './application-scaffold.js';
export { FrontOfficeErrors, type FrontOfficeErrorCode } from './errors.js';
export { FrontOffice } from './front-office.js';
export {
  frontOfficeService,
  FRONTOFFICE_SERVICE_VERSION,
  type FrontOfficeServiceOptions,
} from './frontoffice-service.js';
export { openApiDocument } from './openapi.js';
export { Permissions, type ObjectRights } from './permissions.js';
export { createFrontOfficeServer, type FrontOfficeServer, type FrontOfficeServerOptions } from './server.js';
export { PRESENCE_DEFAULTS, type AgentPresenceOptions } from './internal/agent-presence.js';
export type {
  DeskContact,
  DeskContactAnswer,
  DeskCustomer,
  DeskOffer,
  DeskTemplates,
  DeskTransferTargets,
  DeskWrapUp,
  DesktopState,
} from './common/desktop-types.js';
export { FrontOfficeStore, FRONTOFFICE_MIGRATIONS, MIN_PASSWORD_LENGTH, type User, type WrapUpDraft } from './user-store.js';
export {
  ROLES,
  OBJECT_ACTIONS,
  FILTER_OPS,
  WIDGET_KINDS,
  REPORT_PERIODS,
  BUILTIN_VIEWS,
  type RoleName,
  type ObjectAction,
  type Grant,
  type RoleDef,
  type NavItem,
  type Navigation,
  type FilterOp,
  type Condition,
  type SavedFilter,
  type Column,
  type ListView,
  type RecordSection,
  type RelatedList,
  type RecordView,
  type ScreenPop,
  type AnswerWrite,
  type DesktopScript,
  type WrapUpCode,
  type CannedReply,
  type EmailTemplate,
  type Desktop,
  type SelfService,
  type IdentifyField,
  type Identify,
  type WidgetKind,
  type ReportPeriod,
  type Widget,
  type Dashboard,
  type FollowUpRule,
  type Application,
} from './common/application.js';
export { CrmStore, NOTE_EDIT_WINDOW_MS, type Note, type Task, type TaskKind, type AuditRecord, type Account } from './crm-store.js';
export { isoDurationMs } from './follow-ups.js';
