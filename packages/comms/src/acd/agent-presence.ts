// Agent presence: the state an agent is in, and what may be asked of an agent in each state.
//
// The state is derived from the facts the router keeps (logged in, contacts, offers, wrap-ups, a
// pause), by precedence: busy > reserved > wrap-up > paused > ready; logged out before all. The
// commands an agent or their desktop gives (log in, log out, pause, resume) are checked against one
// table of state × command, so every place that changes presence answers the same way.
import type { AgentState } from '../contract/model.js';
import { CommsErrors } from '../errors.js';
import type { AgentRec } from './router-records.js';

/** What an agent (or their desktop) asks of their presence. */
export type AgentCommand = 'login' | 'logout' | 'pause' | 'resume';

/**
 * What a command does in a state: `run` changes the presence, `no-op` is harmless (logging in twice),
 * `refused` is CARUSO_COMMS_AGENT_STATE and changes nothing. `force-only`: refused unless forced (a
 * log-out with contacts connected, when the agent's endpoint is gone).
 */
export type CommandOutcome = 'run' | 'no-op' | 'refused' | 'force-only';

/** The table of state × command. */
export const AGENT_COMMANDS: Readonly<Record<AgentState, Readonly<Record<AgentCommand, CommandOutcome>>>> = {
  'logged-out': { login: 'run', logout: 'no-op', pause: 'refused', resume: 'refused' },
  ready: { login: 'no-op', logout: 'run', pause: 'run', resume: 'run' },
  reserved: { login: 'no-op', logout: 'run', pause: 'run', resume: 'run' },
  busy: { login: 'no-op', logout: 'force-only', pause: 'run', resume: 'run' },
  'wrap-up': { login: 'no-op', logout: 'run', pause: 'run', resume: 'run' },
  paused: { login: 'no-op', logout: 'run', pause: 'run', resume: 'run' },
};

/** Words for the error message: "agent x cannot log out while busy". */
const ACTION: Readonly<Record<AgentCommand, string>> = { login: 'log in', logout: 'log out', pause: 'pause', resume: 'resume' };

/**
 * Whether `command` runs for an agent in `state`: true to run it, false for a harmless no-op.
 * Throws CARUSO_COMMS_AGENT_STATE when the table refuses it.
 */
export function admitAgentCommand(agentId: string, state: AgentState, command: AgentCommand, options: { readonly force?: boolean } = {}): boolean {
  const outcome = AGENT_COMMANDS[state][command];
  if (outcome === 'run' || (outcome === 'force-only' && options.force)) return true;
  if (outcome === 'no-op') return false;
  throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: agentId, action: ACTION[command], state });
}

/** True when the agent can take a new contact now (logged in, not paused, nothing ringing, in wrap-up or on a call, capacity left). */
export function isAvailable(a: AgentRec): boolean {
  return (
    a.loggedIn && !a.paused && a.wraps.size === 0 && a.offers.size === 0 && a.load.voice === 0 &&
    (a.load.voice < a.capacity.voice || a.load.email < a.capacity.email || a.load.chat < a.capacity.chat)
  );
}

/** The agent's state from the facts, by precedence. */
export function presenceOf(a: AgentRec): AgentState {
  if (!a.loggedIn) return 'logged-out';
  if (a.contacts.size > 0) return 'busy';
  if (a.offers.size > 0) return 'reserved';
  if (a.wraps.size > 0) return 'wrap-up';
  return a.paused ? 'paused' : 'ready';
}
