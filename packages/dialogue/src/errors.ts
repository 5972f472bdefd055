import { defineErrors } from '@caruso/kernel';

/** Every error the dialogue-script engine raises. Each code is documented in docs/errors.md. */
export const DialogueErrors = defineErrors({
  CARUSO_DIALOGUE_INVALID_SCRIPT: { message: '{file} has {count} error(s); the first: {first}', status: 422 },
  CARUSO_DIALOGUE_SCRIPT_NOT_FOUND: { message: 'no script {script} (version {version}) is loaded; loaded: {known}', status: 404 },
  CARUSO_DIALOGUE_SCRIPT_FOLDER: { message: 'cannot read the script folder {folder}: {reason}' },
  CARUSO_DIALOGUE_SESSION_NOT_FOUND: { message: 'no dialogue session {session}; it never existed or was deleted', status: 404 },
  CARUSO_DIALOGUE_SESSION_ENDED: { message: 'session {session} is {status}: it takes no more answers; start a new session', status: 409 },
  CARUSO_DIALOGUE_SESSION_CONFLICT: { message: 'session {session} changed meanwhile (revision {actual}, expected {expected}); reload its state and try again', status: 409 },
  CARUSO_DIALOGUE_CANNOT_GO_BACK: { message: 'session {session} cannot go back: {reason}', status: 409 },
  CARUSO_DIALOGUE_INVALID_CHANNEL: { message: "channel '{channel}' is not one of agent, web, ivr" },
  CARUSO_DIALOGUE_INVALID_VARIABLE: { message: 'initial variable {name}: {reason}' },
  CARUSO_DIALOGUE_NO_TRANSITION: { message: '{at}: no <next> of {node} holds and there is no way on; add a <next> without cond', status: 422 },
  CARUSO_DIALOGUE_EXPRESSION_FAILED: { message: '{at}: {reason}', status: 422 },
  CARUSO_DIALOGUE_SERVICE_FAILED: { message: '{at}: {what} {service}.{operation} failed: {reason}', status: 502 },
  CARUSO_DIALOGUE_NOT_IDENTIFIED: { message: '{at}: {service}.{operation} on the web channel is refused: {reason}; self-service data needs the identification the application declares', status: 403 },
  CARUSO_DIALOGUE_OBJECT_DENIED: { message: '{at}: {reason} ({actor}); grant the right to the role in the application, or handle the refusal with on-error', status: 403 },
  CARUSO_DIALOGUE_LOOP: { message: '{at}: the script ran {steps} nodes without stopping at a question; check the <next> and <goto> targets for a loop', status: 422 },
  CARUSO_DIALOGUE_STORE_FAILED: { message: 'the session store failed to {operation}: {reason}', status: 503 },
  CARUSO_DIALOGUE_INVALID_TEST: { message: '{file}: {reason}' },
});

/** The union of dialogue error codes. */
export type DialogueErrorCode = (typeof DialogueErrors.codes)[number];
