/**
 * @caruso/dialogue: the dialogue-script engine. XML scripts (dtd/dialogue.dtd) run for an agent,
 * for web self-service and as an IVR menu; sessions are persisted after every step.
 */
export * from './common/expression.js';
export * from './common/model.js';
export { publicVariableNames } from './common/public-variables.js';
export { parseScript, successors, BUILTIN_VARIABLES, type ParsedScript } from './script-parser.js';
export { loadScriptBundle, mapSourceReader, publicVariables, identifiedDataAccess, type LoadedBundle, type ScriptSourceReader } from './script-bundle.js';
export * from './session-runtime.js';
export { DialogueErrors, type DialogueErrorCode } from './errors.js';
export * from './dialogue-engine.js';
export * from './session-store.js';
export { StorageSessionStore, DIALOGUE_MIGRATIONS, DIALOGUE_SESSIONS_TABLE } from './storage-session-store.js';
export * from './script-store.js';
export * from './script-services.js';
export { createDialogueEngine, type DialogueEngineOptions } from './internal/dialogue-engine-impl.js';
export { dialogueEngineService, DIALOGUE_SERVICE_VERSION, type DialogueServiceOptions } from './dialogue-service.js';
export * from './script-simulation.js';
export { scriptGraph, type GraphFormat } from './script-graph.js';
