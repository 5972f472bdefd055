/**
 * The dialogue engine's contract and token: what the communication server (IVR), the front office
 * (agent desktop, self-service pages) and the tools use to run scripts. Implementations live in
 * `internal/`; consumers import only this file.
 */
import { createToken } from '@caruso/kernel';
import type { Channel, Variables } from './common/model.js';
import type { SessionActor } from './object-access.js';
import type { ScriptInfo } from './script-store.js';
import type { DialogueStep, SessionIdentity, SessionState, SessionStatus, TraceEntry } from './session-runtime.js';

/** Options of {@link DialogueEngine.startSession}. */
export interface StartOptions {
  /** Who answers: `agent` (desktop), `web` (self-service) or `ivr` (telephone keys). */
  readonly channel: Channel;
  /** Initial variables, e.g. `{ caller: '+3120…' }`; declared `<var>` types are enforced. */
  readonly vars?: Variables;
  /** A given version instead of the latest. */
  readonly version?: string;
  /** Language for prompts with `xml:lang` (default: the script's). */
  readonly lang?: string;
  /** The session id (default: a random UUID). */
  readonly sessionId?: string;
  /**
   * Who the host verified the person to be (web self-service after the application's second factor).
   * Without it a web session runs only `<fetch>` and `<action>` marked `anonymous="true"`.
   */
  readonly identity?: SessionIdentity;
  /**
   * Who the session serves: an agent (with their application roles), a web visitor or an IVR
   * caller. `<fetch object>` and `<action object>` are decided for them by the access policy
   * (the `ObjectAccessPolicy` registered in the service manager, or the default one). Default: by channel.
   */
  readonly actor?: SessionActor;
}

/** What every session operation returns. */
export interface SessionView {
  readonly sessionId: string;
  /** Pass it back to `answer`/`back` to detect an answer given meanwhile on another device. */
  readonly revision: number;
  readonly status: SessionStatus;
  readonly script: string;
  readonly version: string;
  readonly channel: Channel;
  /** What to show or speak now. */
  readonly step: DialogueStep;
  /** What happened during the operation (nodes entered, actions, fetches, logs). */
  readonly trace: readonly TraceEntry[];
}

/** Options of `answer` and `back`. */
export interface StepOptions {
  /** The revision the caller saw; CARUSO_DIALOGUE_SESSION_CONFLICT when the session moved on. */
  readonly revision?: number;
  /**
   * Who the session serves, for a session that names nobody (one saved before actors existed):
   * adopted and saved with the step, so its object steps are decided for that actor and not for
   * the channel's default. A session that names its actor keeps it.
   */
  readonly actor?: SessionActor;
}

/**
 * Runs dialogue scripts as persisted sessions. Every operation is saved before it resolves; a
 * failed operation changes nothing.
 */
export interface DialogueEngine {
  /**
   * Starts a session on the latest (or the given) version of `script` and returns the first step.
   * Throws CARUSO_DIALOGUE_SCRIPT_NOT_FOUND, CARUSO_DIALOGUE_INVALID_CHANNEL,
   * CARUSO_DIALOGUE_INVALID_VARIABLE.
   * Note: named `startSession`, not `start`, because `start` is the service lifecycle's method.
   */
  startSession(script: string, options: StartOptions): Promise<SessionView>;
  /**
   * Answers the current question (for an info step: acknowledges it; the value is ignored). An
   * unusable answer returns the same question with `step.error` set.
   * @param value agent/web: the choice value, `true`/`false`/`yes`/`no`, a number, a text, a
   *   `YYYY-MM-DD` date; ivr: the keys pressed as a string (`'1'`, `'1234#'`); `null` = no input.
   * Note: actions on the transition run before the session is saved; if saving fails they are not undone.
   */
  answer(sessionId: string, value: unknown, options?: StepOptions): Promise<SessionView>;
  /** Goes back to the last answered question, undoing its answer and later ones (agent and web only). */
  back(sessionId: string, options?: StepOptions): Promise<SessionView>;
  /** The current step, unchanged: to resume after a restart or on another device. */
  resume(sessionId: string): Promise<SessionView>;
  /**
   * Ends an active session at once as abandoned at the node it stands at (e.g. the caller hung up
   * in the IVR), so reports count it without waiting for it to go idle. No action runs. A session
   * that is no longer active is returned unchanged. Throws CARUSO_DIALOGUE_SESSION_NOT_FOUND.
   * Note: an abandoned session shows an `end` step without prompt or outcome; `answer` on it throws
   * CARUSO_DIALOGUE_SESSION_ENDED and `back` CARUSO_DIALOGUE_CANNOT_GO_BACK.
   */
  abandon(sessionId: string): Promise<SessionView>;
  /** The full persisted state. Throws CARUSO_DIALOGUE_SESSION_NOT_FOUND. */
  state(sessionId: string): Promise<SessionState>;
  /** The scripts that can be started. */
  scripts(): ScriptInfo[];
}

/** The dialogue engine's token. */
export const DialogueEngine = createToken<DialogueEngine>('caruso.dialogue.DialogueEngine');
