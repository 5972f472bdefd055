/**
 * @caruso/dialogue: the dialogue-script engine. XML scripts (dtd/dialogue.dtd) run for an agent,
 * for web self-service and as an IVR menu; sessions are persisted after every step.
 */
export { DialogueEngine, type StartOptions, type SessionView, type StepOptions } from './dialogue-engine.js';
export {
  dialogueEngineService,
  DIALOGUE_SERVICE_VERSION,
  type DialogueServiceOptions,
} from './dialogue-service.js';
export { DialogueErrors, type DialogueErrorCode } from './errors.js';
export {
  loadScriptBundle,
  mapSourceReader,
  publicVariables,
  identifiedDataAccess,
  scriptVariables,
  type LoadedBundle,
  type ScriptSourceReader,
} from './script-bundle.js';
export { scriptGraph, type GraphFormat } from './script-graph.js';
export { parseScript, successors, BUILTIN_VARIABLES, type ParsedScript, type ParseOptions } from './script-parser.js';
export {
  ObjectAccessPolicy,
  defaultObjectAccessPolicy,
  actorOfChannel,
  OBJECTS_TOKEN_ID,
  type SessionActor,
  type VisitorIdentity,
  type ObjectOperation,
  type ObjectFilter,
  type ObjectRequest,
  type ObjectCaller,
  type ObjectFieldProblem,
  type ObjectFailure,
  type ObjectOutcome,
  type ObjectAccessRequest,
  type ObjectAccessDecision,
  type ScriptObjectModel,
  type ScriptObjectDef,
} from './object-access.js';
export { businessObjectRequests, type ScriptBusinessObjects, type ScriptRepository } from './internal/business-object-requests.js';
export { serviceLookupServices, RecordingServices, type RecordedAction } from './script-services.js';
export {
  simulate,
  readScriptTestFile,
  findScriptTests,
  runScriptTestFile,
  type RunStep,
  type RunReport,
  type SimulatedAnswer,
  type SimulateOptions,
  type ScriptTestCase,
  type ScriptTestFile,
  type ScriptTestResult,
} from './script-simulation.js';
export {
  bundleHash,
  storedVersion,
  compareVersions,
  fileSourceReader,
  ScriptStore,
  type ScriptVersion,
  type ScriptInfo,
  type ScriptChange,
  type ScriptCatalog,
  type ScriptStoreOptions,
} from './script-store.js';
export {
  SessionRuntime,
  type SessionPosition,
  type SessionSnapshot,
  type SessionStatus,
  type SessionState,
  type SessionIdentity,
  type StepChoice,
  type DialogueStep,
  type TraceEntry,
  type ScriptServices,
  type StepResult,
  type RuntimeOptions,
} from './session-runtime.js';
export { SessionStore, MemorySessionStore, type StoredScriptVersion } from './session-store.js';
export {
  StorageSessionStore,
  DIALOGUE_MIGRATIONS,
  DIALOGUE_SESSIONS_TABLE,
} from './storage-session-store.js';
export {
  parseExpression,
  compilePattern,
  referencedVariables,
  evaluate,
  MAX_EXPRESSION_LENGTH,
  MAX_PATTERN_LENGTH,
  equals,
  truthy,
  formatValue,
  type ScriptValue,
  type Expr,
  type BinaryOp,
  type CompiledExpression,
  type EvalContext,
} from './common/expression.js';
export {
  CHANNELS,
  QUESTION_TYPES,
  VAR_TYPES,
  QUESTION_EVENTS,
  type Channel,
  type SourceRef,
  type QuestionType,
  type VarType,
  type QuestionEvent,
  type PromptPart,
  type Prompt,
  type VarDecl,
  type Executable,
  type FailureHandling,
  type ObjectComparison,
  type ObjectCondition,
  type ObjectFetch,
  type ObjectAction,
  type ObjectWriteOperation,
  type Transition,
  type Choice,
  type Validation,
  type EventHandler,
  type QuestionNode,
  type InfoNode,
  type DecisionNode,
  type SubscriptNode,
  type HandoffNode,
  type EndNode,
  type ScriptNode,
  type NodeKind,
  type ScriptMeta,
  type CompiledScript,
  type ScriptBundle,
  type Variables,
} from './common/model.js';
export { publicVariableNames } from './common/public-variables.js';
export { createDialogueEngine, type DialogueEngineOptions } from './internal/dialogue-engine-impl.js';
/** The expression language's error, from the kernel (scripts' expressions raise it). */
export { ExpressionError } from './common/expression.js';
