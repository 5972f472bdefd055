/**
 * @caruso/dialogue: the dialogue-script engine. XML scripts (dtd/dialogue.dtd) run for an agent,
 * for web self-service and as an IVR menu; sessions are persisted after every step.
 */
export * from './common/expression.js';
export * from './common/model.js';
export { parseScript, successors, BUILTIN_VARIABLES, type ParsedScript } from './script-parser.js';
export { loadScriptBundle, mapSourceReader, type LoadedBundle, type ScriptSourceReader } from './script-bundle.js';
export * from './session-runtime.js';
export { DialogueErrors, type DialogueErrorCode } from './errors.js';
